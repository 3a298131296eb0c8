"""The candidate pool of a request, and the pair signals accumulated on it.

Pool = for each basket item, the heads of its pair rows (each profession of the mix: TOP_PAIRS
entries, forward and reverse; "ANY": round(TOP_PAIRS x TOP_PAIRS_ANY_FRAC) entries, forward and
reverse; when W_EASE > 0, TOP_EASE entries of its row of the run's EASE table) + the TOP_POPP
most popular items of each profession of the mix + the TOP_POPG most
popular items overall, minus the basket. A pool smaller than asked (`min_size`: tiny catalogue,
zero pool sizes) is topped up from the global popularity order, so that k items can be returned.

With a request filter (controls.CandidateFilter: delisted, out of stock at the branch, excluded,
blocked by a rule), candidates that fail it leave the pool before anything is scored, and the
top-up takes the most popular items that pass, chunk by chunk, as deep into the popularity order
as it takes: k items come back whenever the catalogue has k that pass.

TOP_PAIRS_TOTAL caps the entries one pair table gives for the whole basket (a row then gives at
most ceil(TOP_PAIRS_TOTAL / basket size)): without it a 30-item basket reads ~100k entries and
pools tens of thousands of candidates, each costing an embedding gather, for entries deep in
long rows whose score, averaged over 30 items, is negligible. Baskets of up to 2 items read
their rows whole at the default (1000; rows hold at most --pair-topk = 500 entries).

The pair signals are sums over exactly those rows, so they are accumulated while the pool is
built: candidates are mapped to a compact id space (their rank in the sorted pool, not arrays of
n_items per signal) and each table's entries are summed with np.bincount.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reco_core.artifacts.run import CsrPairs
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.params import BasketParams
from reco_core.ranking.profession_mix import ProfessionMix
from reco_core.ranking.signals import Signal

if TYPE_CHECKING:
    from reco_core.ranking.controls import CandidateFilter

# The signals of CandidatePool.pair_parts, one row each, in this order.
POOL_SIGNALS = (Signal.PAIR, Signal.PAIR_ANY, Signal.REVERSE, Signal.EASE)
PAIR, PAIR_ANY, REVERSE, EASE = range(len(POOL_SIGNALS))


@dataclass(frozen=True, eq=False)
class CandidatePool:
    # A candidate's "slot" is its index in these arrays; a basket item's "basket index" is its
    # index in the basket (request order); a profession's "row" is its row in the RankerIndex.
    items: np.ndarray  # int64 [n]: item indices, ascending, never a basket item
    pair_parts: np.ndarray  # float64 [4, n]: weighted contributions of the POOL_SIGNALS tables
    links: np.ndarray  # int64 [n]: how many distinct basket items link the candidate by pairs
    link_bits: np.ndarray  # uint64 [ceil(n_basket / 64), n]: bit b set = basket item b links it
    n_basket: int
    from_popp: np.ndarray  # bool [n]: among the popular items of a profession of the mix
    from_popg: np.ndarray  # bool [n]: among the globally popular items (or the top-up)

    def linked_by(self, slot: int) -> list[int]:
        """Basket indices (ascending) whose pair rows list the candidate at `slot`."""
        words = self.link_bits[:, slot].tolist()
        return [b for b in range(self.n_basket) if words[b // 64] >> (b % 64) & 1]

    def subset(self, slots: np.ndarray) -> CandidatePool:
        """The pool of the candidates at `slots` only (ascending: items stay sorted)."""
        slots = np.sort(slots)
        return CandidatePool(
            items=self.items[slots],
            pair_parts=self.pair_parts[:, slots],
            links=self.links[slots],
            link_bits=self.link_bits[:, slots],
            n_basket=self.n_basket,
            from_popp=self.from_popp[slots],
            from_popg=self.from_popg[slots],
        )

    def coverage(self) -> np.ndarray:
        """(links - 1) / (n_basket - 1): 0 when linked to at most one basket item, 1 to all."""
        if self.n_basket < 2:
            return np.zeros(len(self.items))
        return np.maximum(self.links - 1, 0) / (self.n_basket - 1)


def build_pool(
    index: RankerIndex,
    basket: np.ndarray,
    mix: ProfessionMix,
    params: BasketParams,
    min_size: int,
    *,
    keep: CandidateFilter | None = None,
) -> CandidatePool:
    """The pool of a basket (item indices; may be empty) scored for `mix`; only candidates that
    `keep` allows, when given."""
    n_basket = len(basket)
    tables = _pair_tables(index, mix, params, n_basket)
    entry_items, entry_scores, lens = _read_rows([(table, take) for table, take, _, _ in tables], basket)

    popp = _concat([index.popp_top[p][: params.TOP_POPP] for p in mix.rows], np.int64)
    popg = index.pop_order[: params.TOP_POPG]
    items = _without(_sorted_unique(np.concatenate([entry_items, popp, popg])), np.sort(basket))
    if keep is not None:
        items = items[keep.keep(items)]
    if len(items) < min_size:
        extra = _top_up(index, items, basket, min_size - len(items), keep)
        popg = np.concatenate([popg, extra])
        items = np.sort(np.concatenate([items, extra]))

    n = len(items)
    with index.scratch() as slot:  # only read where written just below
        if keep is not None:  # entries and popular items that were filtered out: the dropped bin
            slot[entry_items] = n
            slot[popp] = n
            slot[popg] = n
        slot[items] = np.arange(n, dtype=np.int32)
        slot[basket] = n  # entries naming a basket item land in an extra bin, dropped
        local = slot[entry_items]
        from_popp, from_popg = _flags(slot[popp], n), _flags(slot[popg], n)
    sums = np.zeros((len(POOL_SIGNALS), n + 1))
    stops = np.cumsum(lens.sum(axis=1)).tolist()
    for (_, _, signal, factor), start, stop in zip(tables, [0, *stops], stops, strict=False):
        sums[signal] += factor * np.bincount(
            local[start:stop], weights=entry_scores[start:stop], minlength=n + 1
        )
    # links count pair tables only: an EASE entry is a score, not a co-purchase
    pair_lens = lens[[signal != EASE for _, _, signal, _ in tables]]
    entry_basket = np.repeat(np.tile(np.arange(n_basket), len(pair_lens)), pair_lens.ravel())
    link_bits = _link_bits(local[: len(entry_basket)], entry_basket, n_basket, n + 1)[:, :n]
    return CandidatePool(
        items=items,
        pair_parts=sums[:, :n],
        links=np.bitwise_count(link_bits).sum(axis=0, dtype=np.int64),
        link_bits=link_bits,
        n_basket=n_basket,
        from_popp=from_popp,
        from_popg=from_popg,
    )


def _pair_tables(
    index: RankerIndex, mix: ProfessionMix, params: BasketParams, n_basket: int
) -> list[tuple[CsrPairs, int, int, float]]:
    """(table, entries read per row, signal, weight of an entry) of every pair table read.

    An entry's weight is its share of the weighted score: W_PAIR x mix weight (x PAIR_ANY_WEIGHT
    for ANY, x PAIR_REV_WEIGHT for reverse) / basket size, the mean over basket items. A row gives
    its first TOP_PAIRS entries (ANY: round(TOP_PAIRS x TOP_PAIRS_ANY_FRAC)), and no table more
    than TOP_PAIRS_TOTAL entries for the whole basket.
    """
    if n_basket == 0:
        return []
    budget = -(-params.TOP_PAIRS_TOTAL // n_basket) if params.TOP_PAIRS_TOTAL else params.TOP_PAIRS
    take, take_any = min(params.TOP_PAIRS, budget), min(params.top_pairs_any, budget)
    unit = params.W_PAIR / n_basket
    rev, any_ = params.PAIR_REV_WEIGHT, index.any_row
    tables = []
    for row, weight in zip(mix.rows.tolist(), mix.weights.tolist(), strict=True):
        tables.append((index.pairs[row], take, PAIR, unit * weight))
        tables.append((index.pairs_rev[row], take, REVERSE, unit * weight * rev))
    if any_ not in mix.rows:  # a mix on everyone (NO_PROFESSION) already reads ANY in full
        unit_any = unit * params.PAIR_ANY_WEIGHT
        tables.append((index.pairs[any_], take_any, PAIR_ANY, unit_any))
        tables.append((index.pairs_rev[any_], take_any, REVERSE, unit_any * rev))
    if params.W_EASE:  # last: build_pool counts links over the tables before it
        tables.append((index.ease, min(params.TOP_EASE, budget), EASE, params.W_EASE / n_basket))
    return [t for t in tables if t[0] is not None and t[1] > 0]


def _read_rows(
    tables: list[tuple[CsrPairs, int]], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first `take` entries of each of the `rows` of each table, concatenated table by table:
    (items int32, scores float32, int64 [n_tables, n_rows] entries read per row).

    The positions of every table's entries are computed in one pass: a request reads up to nine
    tables, and a dozen numpy calls per table cost more than the arithmetic they do."""
    if not tables:
        return np.empty(0, np.int32), np.empty(0, np.float32), np.zeros((0, len(rows)), np.int64)
    starts = np.stack([table.indptr[rows] for table, _ in tables])
    ends = np.stack([table.indptr[rows + 1] for table, _ in tables])
    takes = np.array([take for _, take in tables], dtype=np.int64)
    lens = np.minimum(ends - starts, takes[:, None])
    counts = lens.ravel()
    flat = np.repeat(starts.ravel() - (np.cumsum(counts) - counts), counts)
    flat += np.arange(len(flat))
    bounds = [0, *np.cumsum(lens.sum(axis=1)).tolist()]
    items = [table.indices[flat[a:b]] for (table, _), a, b in zip(tables, bounds, bounds[1:], strict=False)]
    scores = [table.scores[flat[a:b]] for (table, _), a, b in zip(tables, bounds, bounds[1:], strict=False)]
    return np.concatenate(items), np.concatenate(scores), lens


def _top_up(
    index: RankerIndex,
    pooled: np.ndarray,
    basket: np.ndarray,
    count: int,
    keep: CandidateFilter | None = None,
) -> np.ndarray:
    """The `count` most popular items that are neither `pooled` (sorted) nor in the basket, and
    that `keep` allows: read by chunks of the popularity order, each twice the last, so a branch
    that stocks little costs a few chunks, and only an impossible request reads the whole order."""
    taken = np.union1d(pooled, basket)
    found: list[np.ndarray] = []
    start, chunk, total = 0, max(4 * count, 1024), len(index.pop_order)
    while count > 0 and start < total:
        part = index.pop_order[start : start + chunk]
        part = part[~np.isin(part, taken, kind="sort")]
        if keep is not None:
            part = part[keep.keep(part)]
        part = part[:count]
        found.append(part)
        count -= len(part)
        start, chunk = start + chunk, 2 * chunk
    if count > 0 and keep is not None:
        keep.exhausted = True
    return _concat(found, np.int64)


def _link_bits(local: np.ndarray, basket_index: np.ndarray, n_basket: int, n: int) -> np.ndarray:
    """One bit per (candidate, basket item) linked by at least one pair entry.

    A bitset rather than np.unique of (candidate, basket item) keys: an OR per entry is linear,
    and a candidate listed by several tables of the same basket item still counts once. A basket
    of up to 64 items (nearly all) fills one word per candidate, by the 1-D form of the OR, which
    numpy runs about twice as fast as the 2-D one.
    """
    bits = np.zeros(((n_basket + 63) // 64, n), dtype=np.uint64)
    shift = np.left_shift(np.uint64(1), (basket_index % 64).astype(np.uint64))
    if len(bits) == 1:
        np.bitwise_or.at(bits[0], local, shift)
    else:
        np.bitwise_or.at(bits, (basket_index // 64, local), shift)
    return bits


def _flags(slots: np.ndarray, n: int) -> np.ndarray:
    """bool [n]: the pool slots in `slots` (n: not in the pool)."""
    flags = np.zeros(n + 1, dtype=bool)
    flags[slots] = True
    return flags[:n]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique, by a plain sort: for a few thousand ids, several times faster than np.unique."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _without(items: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Sorted `items` minus the sorted `removed` (a basket: a few items)."""
    if not len(removed) or not len(items):
        return items
    at = np.minimum(np.searchsorted(items, removed), len(items) - 1)
    return np.delete(items, at[items[at] == removed])


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.empty(0, dtype)
