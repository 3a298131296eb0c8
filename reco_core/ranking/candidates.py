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
n_items per signal) and each table's entries are summed into its signal's row. Both passes over
the rows (the pool's items, then the sums) are compiled loops (kernels.pyx): as numpy calls, a
request spent more in the interpreter than in the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reco_core.artifacts.run import CsrPairs
from reco_core.ranking import kernels
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
    tables = _pair_tables(index, mix, params, len(basket))
    reads = [(table.indptr, table.indices, table.scores, take) for table, take, _, _ in tables]
    popp = _concat([index.popp_top[p][: params.TOP_POPP] for p in mix.rows], np.int64)
    popg = index.pop_order[: params.TOP_POPG]
    items = kernels.pool_items(reads, basket, popp, popg, index.n_items)
    if keep is not None:
        items = items[keep.keep(items)]
    if len(items) < min_size:
        extra = _top_up(index, items, basket, min_size - len(items), keep)
        popg = np.concatenate([popg, extra])
        items = np.sort(np.concatenate([items, extra]))

    signals = np.array([signal for _, _, signal, _ in tables], dtype=np.int64)
    factors = np.array([factor for _, _, _, factor in tables], dtype=np.float64)
    # links count pair tables only: an EASE entry is a score, not a co-purchase
    counted = (signals != EASE).astype(np.uint8)
    sums, link_bits, links, from_popp, from_popg = kernels.pool_sums(
        reads, signals, factors, counted, len(POOL_SIGNALS), basket, items, popp, popg, index.n_items
    )
    return CandidatePool(
        items=items,
        pair_parts=sums,
        links=links,
        link_bits=link_bits,
        n_basket=len(basket),
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
    if params.W_EASE:
        tables.append((index.ease, min(params.TOP_EASE, budget), EASE, params.W_EASE / n_basket))
    return [t for t in tables if t[0] is not None and t[1] > 0]


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


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.empty(0, dtype)
