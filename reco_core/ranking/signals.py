"""The signals of a score: one enumeration owns their names, their order and their labels.

Every place that shows or stores a score breakdown reads this list: the core result
(result.ScoreBreakdown, built by name), the API schema (serving/schemas.py builds its model from
it), the playground (it gets the labels from GET /playground/options) and the evaluation. A new
signal is one member here; nothing else is matched by position.

Labels are French because the people who tune a négoce's recommendations work in French; the
`value` is the API key and never changes once published.
"""

from __future__ import annotations

from enum import StrEnum


class Signal(StrEnum):
    label: str
    description: str

    def __new__(cls, value: str, label: str, description: str) -> Signal:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.description = description
        return member

    PAIR = (
        "pair",
        "acheté avec ces produits (même métier)",
        "co-achats des articles du panier chez les clients du ou des métiers retenus",
    )
    PAIR_ANY = (
        "pair_any",
        "acheté avec ces produits (tous métiers)",
        "co-achats des articles du panier, tous métiers confondus",
    )
    REVERSE = (
        "reverse",
        "souvent acheté avant ces produits",
        "le produit figure dans les commandes qui contiennent les articles du panier",
    )
    EASE = (
        "ease",
        "complète l'ensemble du panier",
        "modèle article-article (EASE) appris sur les commandes : tient compte de tout le panier à la fois",
    )
    EMB = (
        "emb",
        "produit proche (profil d'achat)",
        "similarité des produits apprise par LightFM (gamme, univers, marque, clients)",
    )
    POPP = (
        "popp",
        "populaire dans le métier",
        "part des commandes du ou des métiers retenus qui contiennent le produit",
    )
    POPG = (
        "popg",
        "populaire chez tous les clients",
        "part de toutes les commandes qui contiennent le produit",
    )
    COVERAGE = (
        "coverage",
        "lié à plusieurs articles du panier",
        "nombre d'articles du panier dont les co-achats citent le produit",
    )
    BASE = (
        "base",
        "point de départ du modèle",
        "mélange appris : part du score qu'aucun signal seul n'explique (taille du panier, effets croisés)",
    )
    PL_BASE = ("pl_base", "bonus marque propre (MDD)", "règle commerciale : les produits MDD sont remontés")
    PL_BASKET = (
        "pl_basket",
        "bonus MDD, panier riche en MDD",
        "règle commerciale : bonus MDD proportionnel à la part de MDD dans le panier",
    )


SIGNAL_NAMES: tuple[str, ...] = tuple(signal.value for signal in Signal)
