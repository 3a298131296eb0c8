"""Linear scoring of a candidate pool: one vector per signal, a candidate's score is their sum.

The weighted contribution of each signal is kept as its own vector (not only their sum), which
gives each recommended item its explanation for free. A signal whose weight is 0 is neither
computed nor stored (the embedding gather is the costly one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reco_core.ranking.candidates import POOL_SIGNALS, CandidatePool
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.params import BasketParams
from reco_core.ranking.profession_mix import ProfessionMix
from reco_core.ranking.signals import Signal


@dataclass(frozen=True, eq=False)
class Scores:
    parts: dict[Signal, np.ndarray]  # signal -> contribution per candidate (absent: 0 everywhere)
    total: np.ndarray  # float64 [n]: sum of the parts, in Signal order

    @classmethod
    def of(cls, parts: dict[Signal, np.ndarray], n: int) -> Scores:
        total = np.zeros(n)
        for signal in Signal:
            if signal in parts:
                total += parts[signal]
        return cls(parts, total)

    def contributions(self, slot: int) -> dict[str, float]:
        """The non-zero signals' contributions to the candidate at `slot` of the pool, by name."""
        return {signal.value: float(part[slot]) for signal, part in self.parts.items() if part[slot]}


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
    parts = dict(zip(POOL_SIGNALS, pool.pair_parts, strict=True))
    if params.W_EMB and centroid is not None:
        cosine = np.take(index.emb, items, axis=0) @ centroid.astype(np.float32)
        parts[Signal.EMB] = params.W_EMB * np.clip(cosine, 0.0, 1.0)
    if params.W_COVERAGE and pool.n_basket > 1:
        parts[Signal.COVERAGE] = params.W_COVERAGE * pool.coverage()
    use_popp = bool(params.W_POPP and len(mix.rows))
    use_pl = bool(params.W_PL_BASE or (params.W_PL_PER_BASK_PL and basket_pl_share))
    if use_popp or params.W_POPG or use_pl:
        stats = np.take(index.item_stats, items, axis=0)
        if use_popp:
            parts[Signal.POPP] = stats[:, mix.rows] @ (params.W_POPP * mix.weights).astype(np.float32)
        if params.W_POPG:
            parts[Signal.POPG] = params.W_POPG * stats[:, index.popg_column]
        if use_pl:
            own_brand = stats[:, index.pl_column]
            parts[Signal.PL_BASE] = params.W_PL_BASE * own_brand
            parts[Signal.PL_BASKET] = (params.W_PL_PER_BASK_PL * basket_pl_share) * own_brand
    return Scores.of(parts, len(items))


def score_popularity(index: RankerIndex, pool: CandidatePool, profession: int | None) -> Scores:
    """Scores of a request without a usable basket: the raw popularity of the profession (signal
    "popp"), or the global one ("popg") when there is no profession. Unweighted on purpose: it is
    the only signal, and W_POPG is usually 0."""
    signal, column = (Signal.POPG, index.popg_column) if profession is None else (Signal.POPP, profession)
    return Scores.of({signal: np.take(index.item_stats[:, column], pool.items)}, len(pool.items))
