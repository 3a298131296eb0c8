"""What `recommend` returns: the items with their explanations, and what was made of the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, dataclass
from typing import Literal

from reco_core.ranking.params import BasketParams

# Why a request was answered by popularity alone: no usable basket item, with or without a
# profession to take the popularity of.
Fallback = Literal["profession_popularity", "global_popularity"]


@dataclass(frozen=True)
class ScoreBreakdown:
    """Weighted contribution of each signal (fields in reco_core.ranking.scoring.SIGNALS order)."""

    pair: float
    pair_any: float
    reverse: float
    emb: float
    popp: float
    popg: float
    coverage: float
    pl_base: float
    pl_basket: float

    @property
    def total(self) -> float:
        return sum(astuple(self))


@dataclass(frozen=True)
class RecommendedItem:
    product_id: int
    score: float  # = breakdown.total
    breakdown: ScoreBreakdown
    # Basket product ids whose pairs (forward or reverse) link the item, in basket order; then
    # "popp" / "popg" when it entered the pool as a popular item of a profession of the mix /
    # overall; then "emb" when the embedding similarity is its largest contribution.
    sources: tuple[int | str, ...]


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

    @property
    def product_ids(self) -> tuple[int, ...]:
        return tuple(item.product_id for item in self.items)
