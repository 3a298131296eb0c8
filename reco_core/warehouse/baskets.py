"""Order lines -> baskets -> contract tables, with numpy arrays only.

Millions of order lines must fit in a few hundred MB, so nothing here keeps one Python object
per line: an order's products are a slice of one int64 array (CSR layout: `indptr`/`products`),
and per-order attributes are parallel arrays.

Pairs are counted here, from the training baskets, rather than by a self-join in the warehouse:
the join would return O(sum of squared basket sizes) rows from the server and would mix in the
held-out orders, which evaluation must never have seen. Here it is one sparse product per
profession, X_p^T diag(w) X_p, where X_p is the binary (distinct basket x product) matrix of the
profession and w the number of orders having that basket.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from reco_core.contract import PAIRS_SCHEMA, PRODUCT_LIST, VENTES_SCHEMA

_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


def splitmix64(values: np.ndarray, salt: int) -> np.ndarray:
    """A well-mixed uint64 hash of int64 `values` (vectorised SplitMix64 finaliser)."""
    z = values.astype(np.uint64) + np.uint64(((salt + 1) * _GOLDEN) & _MASK64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _segment_positions(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenated ranges [starts[i], starts[i] + sizes[i]) as one index array."""
    total = int(sizes.sum())
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    return offsets + np.arange(total)


@dataclass
class Baskets:
    """Distinct-product baskets, one per order, sorted by order id."""

    order_id: np.ndarray  # int64 (n,)
    date: np.ndarray  # datetime64[D] (n,), NaT when unknown
    profession: np.ndarray  # int32 (n,), index into `professions`
    indptr: np.ndarray  # int64 (n + 1,)
    products: np.ndarray  # int64 (indptr[-1],), sorted within each basket
    professions: list[str]  # sorted names

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    def __len__(self) -> int:
        return len(self.order_id)


@dataclass(frozen=True)
class AssemblyStats:
    duplicate_lines: int  # the same product twice in an order, counted once
    empty_orders: int  # orders whose every line had no product id


def assemble(
    line_order: np.ndarray,
    line_product: np.ndarray,
    run_order: np.ndarray,
    run_date: np.ndarray,
    run_profession: np.ndarray,
    professions: list[str],
) -> tuple[Baskets, AssemblyStats]:
    """Build baskets from lines (any order) and per-run order attributes.

    A run is a stretch of consecutive query rows with the same order id; with ORDER BY there is
    one run per order, without it the first run gives the order's date and profession.
    `professions` names the codes of `run_profession`; they are re-coded in sorted name order.
    """
    order_ids, first_run = np.unique(run_order, return_index=True)  # stable: first run wins
    rank = np.argsort(np.argsort(np.array(professions, dtype=object))).astype(np.int32)
    sort = np.lexsort((line_product, line_order))
    line_order, line_product = line_order[sort], line_product[sort]
    new = np.ones(len(line_order), dtype=bool)
    new[1:] = (line_order[1:] != line_order[:-1]) | (line_product[1:] != line_product[:-1])
    line_order, line_product = line_order[new], line_product[new]
    change = np.ones(len(line_order), dtype=bool)
    change[1:] = line_order[1:] != line_order[:-1]
    starts = np.flatnonzero(change)
    basket_order = line_order[starts]
    position = np.searchsorted(order_ids, basket_order)
    baskets = Baskets(
        order_id=basket_order,
        date=run_date[first_run][position],
        profession=rank[run_profession[first_run][position]],
        indptr=np.append(starts, len(line_order)).astype(np.int64),
        products=line_product,
        professions=sorted(professions),
    )
    return baskets, AssemblyStats(int((~new).sum()), len(order_ids) - len(basket_order))


def holdout_by_days(baskets: Baskets, days: int) -> tuple[np.ndarray, np.datetime64]:
    """Orders dated within the last `days` days of the latest date; returns (mask, cut date).

    Training keeps dates <= cut, the holdout gets dates > cut; undated orders stay in training.
    """
    known = ~np.isnat(baskets.date)
    cut = baskets.date[known].max() - np.timedelta64(days, "D")
    return known & (baskets.date > cut), cut


def holdout_by_fraction(baskets: Baskets, fraction: float, seed: int) -> np.ndarray:
    """A seeded share of orders chosen by a hash of the order id: same id + seed = same side, anywhere."""
    uniform = (splitmix64(baskets.order_id, seed) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return uniform < fraction


def _set_hash(baskets: Baskets, salt: int) -> np.ndarray:
    """Per basket, the wrapping sum of its products' hashes: equal sets give equal values."""
    if not len(baskets):
        return np.zeros(0, np.uint64)
    return np.add.reduceat(splitmix64(baskets.products, salt), baskets.indptr[:-1])


@dataclass
class Grouped:
    """Distinct (profession, basket) rows, sorted by profession name then first order id."""

    profession: np.ndarray  # int32 codes into the baskets' sorted professions
    count: np.ndarray  # int64, orders having this basket
    indptr: np.ndarray
    products: np.ndarray


def group_identical(baskets: Baskets, selected: np.ndarray) -> Grouped:
    """Group the `selected` orders whose profession and product set are equal.

    Baskets are keyed by (profession, size, two independent 64-bit set hashes); equality of
    every grouped basket with its group's first one is then checked exactly.
    """
    index = np.flatnonzero(selected)
    sizes = baskets.sizes[index]
    starts = baskets.indptr[:-1][index]
    h1, h2 = (_set_hash(baskets, salt)[index] for salt in (1, 2))
    prof = baskets.profession[index]
    order = np.lexsort((baskets.order_id[index], h2, h1, sizes, prof))
    key_change = np.zeros(len(order), dtype=bool)
    key_change[:1] = True
    for key in (prof, sizes, h1, h2):
        sorted_key = key[order]
        key_change[1:] |= sorted_key[1:] != sorted_key[:-1]
    group_of = np.cumsum(key_change) - 1
    first = order[key_change]  # positions (in `index`) of each group's lowest order id
    rep_lines = _segment_positions(starts[first][group_of], sizes[order])
    own_lines = _segment_positions(starts[order], sizes[order])
    if not np.array_equal(baskets.products[rep_lines], baskets.products[own_lines]):
        raise RuntimeError("two different baskets share a 128-bit hash; please report this")
    count = np.bincount(group_of, minlength=len(first)).astype(np.int64)
    output = np.lexsort((baskets.order_id[index][first], prof[first]))
    first, count = first[output], count[output]
    rep_sizes = sizes[first]
    return Grouped(
        profession=prof[first],
        count=count,
        indptr=np.concatenate(([0], np.cumsum(rep_sizes))).astype(np.int64),
        products=baskets.products[_segment_positions(starts[first], rep_sizes)],
    )


def _professions_column(codes: np.ndarray, names: list[str]) -> pa.Array:
    return pa.array(names, pa.string()).take(pa.array(codes, pa.int32()))


def ventes_table(grouped: Grouped, professions: list[str]) -> pa.Table:
    lists = pa.ListArray.from_arrays(pa.array(grouped.indptr.astype(np.int32)), pa.array(grouped.products))
    return pa.Table.from_arrays(
        [
            _professions_column(grouped.profession, professions),
            pa.array(grouped.count),
            lists.cast(PRODUCT_LIST),
        ],
        schema=VENTES_SCHEMA,
    )


def pair_tables(grouped: Grouped, professions: list[str], min_count: int) -> Iterator[pa.Table]:
    """Directional co-purchase counts per profession, in (profession, A, B) order.

    OCCURENCE_PAIR(A, B, p) = number of orders of profession p containing both A and B; the
    matrix is symmetric, so A->B and B->A are both present; A == B is excluded.
    """
    catalogue, columns = np.unique(grouped.products, return_inverse=True)
    bounds = np.searchsorted(grouped.profession, np.arange(len(professions) + 1))
    for code in range(len(professions)):
        lo, hi = bounds[code], bounds[code + 1]
        if lo == hi:
            continue
        # X_p: the profession's distinct baskets x products; W: orders per basket.
        indptr = grouped.indptr[lo : hi + 1] - grouped.indptr[lo]
        cols = columns[grouped.indptr[lo] : grouped.indptr[hi]]
        shape = (hi - lo, len(catalogue))
        weighted = sp.csr_matrix(
            (np.repeat(grouped.count[lo:hi], np.diff(indptr)), cols, indptr), shape=shape
        )
        binary = sp.csr_matrix((np.ones(len(cols), np.int64), cols, indptr), shape=shape)
        counts = (weighted.T.tocsr() @ binary).tocsr()  # X_p^T W X_p
        counts.sort_indices()
        coo = counts.tocoo()
        keep = (coo.row != coo.col) & (coo.data >= min_count)
        n = int(keep.sum())
        if n == 0:
            continue
        yield pa.Table.from_arrays(
            [
                pa.array(catalogue[coo.row[keep]]),
                pa.array(catalogue[coo.col[keep]]),
                pa.array(coo.data[keep].astype(np.int64)),
                _professions_column(np.full(n, code, np.int32), professions),
            ],
            schema=PAIRS_SCHEMA,
        )
