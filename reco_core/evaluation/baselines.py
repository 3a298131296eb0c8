"""The method contract of the offline evaluation, and the simple baselines the ranker must beat.

Every evaluated method - the ranker, each baseline, EASE - is a `Recommender`: one call,
`recommend_batch(baskets, professions, k)`, maps a batch of baskets (binary CSR, samples x items,
in the item index of the evaluated run) and the profession of each (PROFESSION_AUTO /
PROFESSION_NONE / a profession position of the run) to an int64 [n, k] array of item indices,
best first, never a basket item, -1 only where the catalogue has fewer than k other items. The
same samples go through every method, so their metrics compare (like implicit's RecommenderBase).

Baselines score all items at once with matrix products over the batch (no Python loop per
sample), then `top_k` picks the k best per row:
- global popularity: the run's train_pop;
- profession popularity: the row of pop_by_prof_norm of the sample's profession (auto: the
  profession the ranker's detection ranks first, none: the global popularity);
- pairs only: sum over basket items a of s_ANY(a -> b), the run's "ANY" pair index. Those
  scores are the shrunk P(b | a) = count(a, b) / (orders(a) + alpha) the ranker reads (top
  --pair-topk per item), used as stored: the baseline is the classic item-to-item co-purchase
  recommender on exactly the ranker's pair evidence. Items without any pair come after the
  others, by global popularity;
- embeddings only: cosine between each item and the L2-normalised centroid of the basket's
  LightFM item embeddings (the ranker's emb signal alone).
"""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from reco_core.artifacts.run import CsrPairs
from reco_core.columns import ANY_PROFESSION
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.substitutes import rules_for

# Values of `professions` besides a profession position: detect it from the basket / use none.
PROFESSION_AUTO, PROFESSION_NONE = -1, -2
# Dense score matrices are built for at most this many cells at a time (128 MB of float32).
MAX_CELLS = 1 << 25
RULES_SUFFIX = "+rules"  # the name of a baseline under the substitute rules (UnderSubstituteRules)


class Recommender(abc.ABC):
    """A method the evaluation scores: see the module doc for the contract."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abc.abstractmethod
    def recommend_batch(self, baskets: sp.csr_matrix, professions: np.ndarray, k: int) -> np.ndarray:
        """int64 [n, k]: item indices best first, never a basket item, -1 padding (see module doc)."""

    def describe(self) -> dict:
        """What the report should add about how the method was built (EASE: its fit)."""
        return {}


class ScoringRecommender(Recommender):
    """A method that gives every item a score: batches are scored densely and cut with top_k."""

    # Items whose score is <= 0 (no evidence) come after all others, ordered by global popularity.
    popularity_fill: ClassVar[bool] = False

    def __init__(self, index: RankerIndex) -> None:
        self.index = index

    @abc.abstractmethod
    def scores(self, baskets: sp.csr_matrix, professions: np.ndarray) -> np.ndarray:
        """float32 [n, n_items] (higher is better; basket items are masked afterwards)."""

    def recommend_batch(self, baskets: sp.csr_matrix, professions: np.ndarray, k: int) -> np.ndarray:
        baskets = sp.csr_matrix(baskets)
        step = max(1, MAX_CELLS // max(1, self.index.n_items))
        parts = []
        for start in range(0, baskets.shape[0], step):
            rows = slice(start, start + step)
            scores = self.scores(baskets[rows], professions[rows])
            if self.popularity_fill:
                scores = np.where(scores > 0, scores, self.index.run.train_pop - np.float32(2.0))
            parts.append(top_k(scores, baskets[rows], k))
        return np.concatenate(parts) if parts else np.empty((0, k), np.int64)


def top_k(scores: np.ndarray, baskets: sp.csr_matrix, k: int) -> np.ndarray:
    """The k best items of each row, best first (ties: smaller index), basket items excluded.

    `scores` is overwritten. argpartition then sorting the k survivors keeps it O(n_items) per row.
    """
    n, n_items = scores.shape
    rows = np.repeat(np.arange(n), np.diff(baskets.indptr))
    scores[rows, baskets.indices] = -np.inf
    take = min(k, n_items)
    if take == 0:
        return np.full((n, k), -1, dtype=np.int64)
    best = np.argpartition(-scores, take - 1, axis=1)[:, :take]
    values = np.take_along_axis(scores, best, axis=1)
    order = np.lexsort((best, -values), axis=1)
    ranked = np.take_along_axis(best, order, axis=1).astype(np.int64)
    ranked[np.take_along_axis(values, order, axis=1) == -np.inf] = -1
    return np.pad(ranked, ((0, 0), (0, k - take)), constant_values=-1)


def detected_professions(index: RankerIndex, baskets: sp.csr_matrix) -> np.ndarray:
    """The profession the ranker's auto-detection ranks first for each basket (PROFESSION_NONE
    when the basket's centroid is zero). Softmax is monotone: its argmax is the cosine's."""
    centroids = np.asarray(baskets @ index.emb, dtype=np.float64)
    norms = np.linalg.norm(centroids, axis=1)
    best = np.argmax(centroids @ index.prof_centroids.T.astype(np.float64), axis=1)
    return np.where(norms > 0, best, PROFESSION_NONE)


def popularity_columns(index: RankerIndex, baskets: sp.csr_matrix, professions: np.ndarray) -> np.ndarray:
    """Column of index.item_stats holding each sample's popularity: its profession's, the detected
    one's (PROFESSION_AUTO), or the global one (PROFESSION_NONE)."""
    professions = np.asarray(professions, dtype=np.int64)
    auto = professions == PROFESSION_AUTO
    if auto.any():
        professions = professions.copy()
        professions[auto] = detected_professions(index, baskets[np.flatnonzero(auto)])
    return np.where(professions >= 0, professions, index.popg_column)


class GlobalPopularity(ScoringRecommender):
    name = "global_popularity"
    description = "most sold items overall (train_pop)"

    def scores(self, baskets: sp.csr_matrix, professions: np.ndarray) -> np.ndarray:
        return np.tile(self.index.item_stats[:, self.index.popg_column], (baskets.shape[0], 1))


class ProfessionPopularity(ScoringRecommender):
    name = "profession_popularity"
    description = "most sold items of the sample's profession (per --mode)"

    def scores(self, baskets: sp.csr_matrix, professions: np.ndarray) -> np.ndarray:
        columns = popularity_columns(self.index, baskets, professions)
        return np.ascontiguousarray(self.index.item_stats[:, columns].T)


class PairsOnly(ScoringRecommender):
    name = "pairs"
    description = "sum over basket items of the run's ANY pair scores (shrunk P(b|a)), then popularity"
    popularity_fill = True

    def __init__(self, index: RankerIndex) -> None:
        super().__init__(index)
        table = index.pairs[index.any_row]
        if table is None:
            raise ValueError(f"the run has no {ANY_PROFESSION} pair table")
        n = index.n_items
        self.matrix = sp.csr_matrix((table.scores, table.indices, table.indptr), shape=(n, n))

    def scores(self, baskets: sp.csr_matrix, professions: np.ndarray) -> np.ndarray:
        return (baskets @ self.matrix).toarray().astype(np.float32, copy=False)


class EmbeddingsOnly(ScoringRecommender):
    name = "embeddings"
    description = "cosine of LightFM item embeddings to the basket centroid"

    def scores(self, baskets: sp.csr_matrix, professions: np.ndarray) -> np.ndarray:
        centroids = np.asarray(baskets @ self.index.emb, dtype=np.float32)
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        centroids /= np.where(norms > 0, norms, 1.0)
        return centroids @ self.index.emb.T


SIMPLE_BASELINES: tuple[type[ScoringRecommender], ...] = (
    GlobalPopularity,
    ProfessionPopularity,
    PairsOnly,
    EmbeddingsOnly,
)


class UnderSubstituteRules(Recommender):
    """A baseline's lists under the ranker's substitute rules, applied by the ranker's own code
    (ranking/substitutes.py): no substitute of a basket item, and of two substitutes of each
    other only the better ranked.

    Why: a list of plain co-purchase can hold a branded item and its own-brand twin side by side,
    which the served ranker may not do; when a customer's choice between twins is hard to tell,
    listing both is a hedge worth recall. The plain baseline stays the one the ranker must beat;
    this one shows how much of a gap is the rules' cost rather than the ranking's.
    """

    DEPTH = 4  # the base list is read this many times k deep, for the items the rules skip

    def __init__(self, base: Recommender, substitutes: CsrPairs) -> None:
        self.base = base
        self.substitutes = substitutes  # the run's table (RankerIndex.substitutes)
        self.name = f"{base.name}{RULES_SUFFIX}"
        self.description = f"{base.description}; under the substitute rules"

    def recommend_batch(self, baskets: sp.csr_matrix, professions: np.ndarray, k: int) -> np.ndarray:
        baskets = sp.csr_matrix(baskets)
        deep = self.base.recommend_batch(baskets, professions, k * self.DEPTH)
        out = np.full((baskets.shape[0], k), -1, dtype=np.int64)
        for row in range(baskets.shape[0]):
            listed = deep[row][deep[row] >= 0]
            basket = baskets.indices[baskets.indptr[row] : baskets.indptr[row + 1]]
            rules = rules_for(self.substitutes, basket.astype(np.int64), listed, on=True)
            if rules is None:  # nothing listed
                continue
            positions = np.arange(len(listed))
            closed = rules.excluded.copy()
            kept: list[int] = []
            for slot in positions.tolist():
                if len(kept) == k:
                    break
                if not closed[slot]:
                    kept.append(slot)
                    closed |= rules.conflicting(slot, positions)
            out[row, : len(kept)] = listed[kept]
        return out

    def describe(self) -> dict:
        return self.base.describe()
