"""Linear scoring of a candidate pool: one vector per signal, a candidate's score is their sum.

The weighted contribution of each signal is kept as its own vector (not only their sum), which
gives each recommended item its explanation for free. A signal whose weight is 0 is neither
computed nor stored (the embedding gather is the costly one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reco_core.ranking.candidates import PAIR, PAIR_ANY, REVERSE, CandidatePool
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.params import BasketParams
from reco_core.ranking.profession_mix import ProfessionMix

SIGNALS = ("pair", "pair_any", "reverse", "emb", "popp", "popg", "coverage", "pl_base", "pl_basket")
EMB, POPP, POPG, COVERAGE, PL_BASE, PL_BASKET = range(REVERSE + 1, len(SIGNALS))


@dataclass(frozen=True, eq=False)
class Scores:
    parts: dict[int, np.ndarray]  # signal (SIGNALS position) -> weighted contribution per candidate
    total: np.ndarray  # float64 [n]: sum of the parts, in SIGNALS order

    @classmethod
    def of(cls, parts: dict[int, np.ndarray], n: int) -> Scores:
        total = np.zeros(n)
        for signal in sorted(parts):
            total += parts[signal]
        return cls(parts, total)

    def contributions(self, position: int) -> list[float]:
        """Every signal's contribution to one candidate, in SIGNALS order (they sum to total)."""
        return [float(self.parts[s][position]) if s in self.parts else 0.0 for s in range(len(SIGNALS))]


def score_pool(
    index: RankerIndex,
    pool: CandidatePool,
    centroid: np.ndarray | None,
    mix: ProfessionMix,
    basket_pl_share: float,
    params: BasketParams,
) -> Scores:
    """The linear blend of reco_core.ranking's docstring on every candidate of the pool."""
    items = pool.items
    parts = {signal: pool.pair_parts[signal] for signal in (PAIR, PAIR_ANY, REVERSE)}
    if params.W_EMB and centroid is not None:
        cosine = np.take(index.emb, items, axis=0) @ centroid.astype(np.float32)
        parts[EMB] = params.W_EMB * np.clip(cosine, 0.0, 1.0)
    if params.W_COVERAGE and pool.n_basket > 1:
        parts[COVERAGE] = params.W_COVERAGE * pool.coverage()
    use_popp = bool(params.W_POPP and len(mix.positions))
    use_pl = bool(params.W_PL_BASE or (params.W_PL_PER_BASK_PL and basket_pl_share))
    if use_popp or params.W_POPG or use_pl:
        stats = np.take(index.item_stats, items, axis=0)
        if use_popp:
            parts[POPP] = stats[:, mix.positions] @ (params.W_POPP * mix.weights).astype(np.float32)
        if params.W_POPG:
            parts[POPG] = params.W_POPG * stats[:, index.popg_column]
        if use_pl:
            own_brand = stats[:, index.pl_column]
            parts[PL_BASE] = params.W_PL_BASE * own_brand
            parts[PL_BASKET] = (params.W_PL_PER_BASK_PL * basket_pl_share) * own_brand
    return Scores.of(parts, len(items))


def score_popularity(index: RankerIndex, pool: CandidatePool, profession: int | None) -> Scores:
    """Scores of a request without a usable basket: the raw popularity of the profession (signal
    "popp"), or the global one ("popg") when there is no profession. Unweighted on purpose: it is
    the only signal, and W_POPG is usually 0."""
    signal, column = (POPG, index.popg_column) if profession is None else (POPP, profession)
    return Scores.of({signal: np.take(index.item_stats[:, column], pool.items)}, len(pool.items))
