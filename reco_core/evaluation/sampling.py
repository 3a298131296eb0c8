"""Evaluation samples: orders cut into the items a ranker is given and the items it should find.

Protocol (SPEC §7, original README §9): a sample is an order drawn at random, weighted by
NB_OCCURENCES_COMMANDE (a grouped row stands for that many identical orders), among the orders
with at least m + 1 known items; m of its known items, chosen at random, are the basket given to
the method; the other known items are expected. Each sample gets its own m, uniform over
basket_m..max_basket_m (values of m that no order can serve are left out and reported).

"Known" items are those the evaluated run(s) can recommend: an item outside the run's catalogue
can neither be given (the ranker would ignore it) nor found by any method, so counting it as
expected would only lower every method's recall by the same unexplained amount. When two runs
are compared, known = items of both, so that both see exactly the same samples.

Orders are drawn with replacement: a holdout is often smaller than --n-samples, and one order
then gives several samples, usually with different given items. Samples hold product ids (not
item indices), so the same samples can be scored by runs with different item indexes. The whole
draw comes from one numpy Generator seeded with `seed`: same inputs and seed, same samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from reco_core.errors import RecoError
from reco_core.training.baskets import Baskets


@dataclass(frozen=True, eq=False)
class Ragged:
    """Rows of product ids of varying length (CSR layout without values)."""

    indptr: np.ndarray  # int64 [n + 1]
    ids: np.ndarray  # int64 [indptr[-1]]

    def row(self, i: int) -> np.ndarray:
        return self.ids[self.indptr[i] : self.indptr[i + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def matrix(self, item_ids: np.ndarray, rows: slice = slice(None)) -> sp.csr_matrix:
        """Binary samples x items matrix in the index space of a run (`item_ids`: index -> product id).

        Raises ValueError for an id the run does not know: samples only hold known items.
        """
        start, stop, _ = rows.indices(len(self.indptr) - 1)
        indptr = self.indptr[start : stop + 1] - self.indptr[start]
        columns = item_positions(item_ids, self.ids[self.indptr[start] : self.indptr[stop]])
        if (columns < 0).any():
            raise ValueError("a sample holds a product the run does not know")
        data = np.ones(len(columns), dtype=np.float32)
        return sp.csr_matrix((data, columns, indptr), shape=(stop - start, len(item_ids)))


@dataclass(frozen=True, eq=False)
class Samples:
    order: np.ndarray  # int64 [n]: row of the sampled order in the evaluated orders
    m: np.ndarray  # int64 [n]: size of the given basket
    profession: np.ndarray  # str [n]: the order's profession
    given: Ragged  # the m given items, in the random order they were drawn
    expected: Ragged  # the other known items of the order
    seed: int
    eligible_orders: dict[int, int]  # m -> orders with at least m + 1 known items

    def __len__(self) -> int:
        return len(self.order)

    def describe(self) -> dict:
        """What the report says about the samples."""
        m_values, counts = np.unique(self.m, return_counts=True)
        return {
            "n": len(self),
            "seed": self.seed,
            "distinct_orders": len(np.unique(self.order)),
            "per_m": {int(m): int(c) for m, c in zip(m_values, counts, strict=True)},
            "eligible_orders_per_m": {str(m): n for m, n in self.eligible_orders.items()},
            "mean_expected_items": float(self.expected.lengths().mean()) if len(self) else 0.0,
        }


def item_positions(item_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Index of each product id in `item_ids` (any order), -1 for an unknown id."""
    order = np.argsort(item_ids, kind="stable")
    ranked = item_ids[order]
    if len(ranked) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(ranked, ids), len(ranked) - 1)
    return np.where(ranked[pos] == ids, order[pos], -1).astype(np.int64)


def draw_samples(
    orders: Baskets,
    known_ids: np.ndarray,
    *,
    n_samples: int,
    basket_m: int = 1,
    max_basket_m: int | None = None,
    seed: int = 42,
) -> Samples:
    """Draw `n_samples` samples from `orders` (see the module doc); RecoError if none is possible."""
    max_basket_m = basket_m if max_basket_m is None else max_basket_m
    if n_samples < 1 or basket_m < 1 or max_basket_m < basket_m:
        raise RecoError("need --n-samples >= 1 and 1 <= --basket-m <= --max-basket-m", exit_code=2)
    known = np.isin(orders.product_ids, known_ids)
    line_order = np.repeat(np.arange(orders.n_baskets), orders.sizes())
    n_known = np.bincount(line_order[known], minlength=orders.n_baskets)
    starts = np.concatenate([[0], np.cumsum(n_known)[:-1]])
    kept_ids = orders.product_ids[known]  # rows stay contiguous: known items of order o at starts[o]
    weight = orders.weight.astype(np.float64)
    eligible = {m: int(((n_known > m) & (weight > 0)).sum()) for m in range(basket_m, max_basket_m + 1)}
    usable = np.array([m for m, count in eligible.items() if count], dtype=np.int64)
    if not len(usable):
        raise RecoError(
            f"no order has {basket_m + 1} or more items known to the run(s): nothing to evaluate "
            f"({orders.n_baskets} orders read)"
        )

    rng = np.random.default_rng(seed)
    m = rng.choice(usable, size=n_samples)
    order = np.empty(n_samples, dtype=np.int64)
    for size in usable.tolist():
        at = np.flatnonzero(m == size)
        candidates = np.flatnonzero((n_known > size) & (weight > 0))
        p = weight[candidates] / weight[candidates].sum()
        order[at] = rng.choice(candidates, size=len(at), p=p)

    lengths = n_known[order]
    total = int(lengths.sum())
    first = np.cumsum(lengths) - lengths  # position of each sample's first line
    sample_of_line = np.repeat(np.arange(n_samples), lengths)
    line = np.repeat(starts[order] - first, lengths) + np.arange(total)
    shuffled = line[np.lexsort((rng.random(total), sample_of_line))]  # random order within a sample
    is_given = np.arange(total) - first[sample_of_line] < m[sample_of_line]
    ids = kept_ids[shuffled]
    return Samples(
        order=order,
        m=m,
        profession=np.asarray(orders.professions, dtype=object)[orders.prof[order]],
        given=Ragged(_indptr(m), ids[is_given]),
        expected=Ragged(_indptr(lengths - m), ids[~is_given]),
        seed=seed,
        eligible_orders=eligible,
    )


def _indptr(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
