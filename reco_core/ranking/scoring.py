"""Linear scoring of a candidate pool: one vector per signal, a candidate's score is their sum.

The weighted contribution of each signal is kept as its own vector (not only their sum), which
gives each recommended item its explanation for free. A signal whose weight is 0 is neither
computed nor stored (the embedding gather is the costly one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reco_core.ranking.blend_model import LearnedBlend
from reco_core.ranking.candidates import POOL_SIGNALS, CandidatePool
from reco_core.ranking.diversify import MMR_SHORTLIST
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

    def explain(self, slots: np.ndarray) -> None:
        """Prepare the contributions of the candidates at `slots` (nothing to do: `parts` has them)."""

    def contributions(self, slots: np.ndarray) -> list[dict[str, float]]:
        """For each candidate at `slots` of the pool: the non-zero signals' contributions, by name."""
        columns = [(signal.value, part[slots].tolist()) for signal, part in self.parts.items()]
        return [{name: values[i] for name, values in columns if values[i]} for i in range(len(slots))]


@dataclass(frozen=True, eq=False)
class LearnedScores(Scores):
    """Scores of the learned blend: the model's relevance plus the own-brand policy's parts.

    The model's part of a candidate's explanation (ablation per signal, blend_model.explain) costs
    a prediction per signal, so it is computed by `explain` for the recommended items only.
    """

    blend: LearnedBlend | None = None
    features: np.ndarray | None = None
    relevance: np.ndarray | None = None  # the model's scores of the features' rows
    explained: dict[int, dict[Signal, float]] = field(default_factory=dict)

    def explain(self, slots: np.ndarray) -> None:
        slots = [int(s) for s in slots if int(s) not in self.explained]
        if self.blend is not None and slots:
            rows = self.blend.explain(self.features[slots], self.relevance[slots])
            self.explained.update(zip(slots, rows, strict=True))

    def contributions(self, slots: np.ndarray) -> list[dict[str, float]]:
        policy = super().contributions(slots)
        shares = [self.explained.get(slot, {}) for slot in slots.tolist()]
        return [
            {s.value: v for s, v in mine.items() if v} | rest
            for mine, rest in zip(shares, policy, strict=True)
        ]


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
    if not params.W_EASE:
        del parts[Signal.EASE]
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
    return Scores.of({signal: index.item_stats[pool.items, column]}, len(pool.items))


def score_learned(
    index: RankerIndex,
    pool: CandidatePool,
    features: np.ndarray,
    basket_pl_share: float,
    params: BasketParams,
) -> LearnedScores:
    """The run's learned blend on the pool's `features` (ranker.basket_pool), then the own-brand
    policy.

    The policy is the linear blend's MDD bonus, (W_PL_BASE + W_PL_PER_BASK_PL x basket MDD share),
    expressed as a share of the spread of the model's scores over the best SHORTLIST candidates:
    the model's scores have no fixed scale, and a bonus relative to their spread lifts an MDD item
    only above candidates whose relevance is close to its own.
    """
    assert index.blend is not None
    relevance = index.blend.score(features)
    parts: dict[Signal, np.ndarray] = {}
    bonus = params.W_PL_BASE + params.W_PL_PER_BASK_PL * basket_pl_share
    if bonus and len(relevance):
        top = np.partition(relevance, -min(MMR_SHORTLIST, len(relevance)))[-MMR_SHORTLIST:]
        spread = float(top.max() - top.min())
        # indexed in 2-D: np.take of the column view would copy the whole catalogue's column
        own_brand = index.item_stats[pool.items, index.pl_column]
        parts[Signal.PL_BASE] = params.W_PL_BASE * spread * own_brand
        parts[Signal.PL_BASKET] = params.W_PL_PER_BASK_PL * basket_pl_share * spread * own_brand
    total = relevance + sum(parts.values(), np.zeros(len(relevance)))
    return LearnedScores(parts, total, blend=index.blend, features=features, relevance=relevance)
