"""What `recommend` returns: the items with their explanations, and what was made of the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass, field, fields
from typing import Literal

from reco_core.ranking.params import BasketParams
from reco_core.ranking.signals import SIGNAL_NAMES

# Why a request was answered by popularity alone: no usable basket item, with or without a
# profession to take the popularity of.
Fallback = Literal["profession_popularity", "global_popularity"]


@dataclass(frozen=True)
class ScoreBreakdown:
    """Contribution of each signal to a score (they sum to it); built by name, one field per
    member of reco_core.ranking.signals.Signal, in its order (checked below, at import)."""

    pair: float = 0.0
    pair_any: float = 0.0
    reverse: float = 0.0
    ease: float = 0.0
    emb: float = 0.0
    popp: float = 0.0
    popg: float = 0.0
    coverage: float = 0.0
    base: float = 0.0
    pl_base: float = 0.0
    pl_basket: float = 0.0

    @property
    def total(self) -> float:
        return sum(astuple(self))


if tuple(field.name for field in fields(ScoreBreakdown)) != SIGNAL_NAMES:  # pragma: no cover
    raise ImportError("ScoreBreakdown's fields must be the members of Signal, in their order")


@dataclass(frozen=True)
class RuleHit:
    """A merchandising rule that touched a recommended item: pinned it, or moved it (boost/bury)."""

    rule_id: str
    action: str  # "pin" | "boost" | "bury"
    detail: str  # in words, for the playground and the logs ("rang 2 imposé", "+3 rangs"...)


@dataclass(frozen=True)
class RuleApplied:
    """What one rule did to an answer: the products it touched (blocks: how many it removed)."""

    rule_id: str
    action: str  # "block" | "pin" | "boost" | "bury"
    product_ids: tuple[int, ...] = ()
    removed: int = 0  # candidates a block left out
    skipped: str | None = None  # why an active rule did nothing (a pin whose product cannot be sold)


@dataclass(frozen=True)
class Alternative:
    """The own-brand policy's mark on an item (ranking/substitutes.py).

    kind "mdd_alternative": `product_id` is an own-brand substitute of the item, of comparable
    score, offered beside it; kind "mdd_swap": the item is own-brand and took the place of the
    branded `product_id`, its substitute."""

    product_id: int
    score: float
    kind: Literal["mdd_alternative", "mdd_swap"]


@dataclass(frozen=True)
class RecommendedItem:
    product_id: int
    score: float  # = breakdown.total
    breakdown: ScoreBreakdown
    # Basket product ids whose pairs (forward or reverse) link the item, in basket order; then
    # "popp" / "popg" when it entered the pool as a popular item of a profession of the mix /
    # overall; then "emb" when the embedding similarity is its largest contribution.
    sources: tuple[int | str, ...]
    rules: tuple[RuleHit, ...] = ()  # the merchandising rules that placed or moved it
    alternative: Alternative | None = None  # the own-brand policy's swap or alternative


@dataclass(frozen=True)
class Recommendation:
    items: tuple[RecommendedItem, ...]
    basket: tuple[int, ...]  # known product ids used, duplicates collapsed, request order
    unknown_product_ids: tuple[int, ...]  # ignored: not items of the run
    profession: str | None  # the explicit profession used, "ANY" for NO_PROFESSION; None when detected
    unknown_profession: str | None  # given but not a profession of the run: detection was used
    profession_mix: Mapping[str, float]  # professions weighting the profession signals, sum 1
    fallback: Fallback | None
    bucket: str  # the profile bucket chosen for the basket size
    params: BasketParams
    # Controls: candidates left out, by reason (controls.REASONS); why fewer than k came back.
    removed: Mapping[str, int] = field(default_factory=dict)
    shortfall: str | None = None
    rules_applied: tuple[RuleApplied, ...] = ()

    @property
    def product_ids(self) -> tuple[int, ...]:
        return tuple(item.product_id for item in self.items)
