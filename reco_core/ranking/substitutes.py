"""Substitute rules: complements, not substitutes (training/substitutes.py finds them).

Applied after scoring, within the selection (diversify.choose), when the bucket has
SUBSTITUTES = 1 and the run has a substitute table (a run trained before it has none: the rules
are then off):

1. no item that is a substitute of a basket item (a second plasterboard for a basket with one);
2. no two substitutes of each other in one list: the better-scored one stays, the other is
   skipped by the greedy selection (MMR or by score) and by the fill and the pair quota.

And the own-brand policy (MDD_POLICY), on the selected list:

- `boost`: the original's flat MDD bonus only (W_PL_BASE, W_PL_PER_BASK_PL), nothing else;
- `mdd_swap`: a selected branded item whose own-brand substitute scores within MDD_SWAP_MARGIN
  (a share of the spread of the candidates' scores) is replaced by it, in its place;
- `alternative`: that own-brand substitute is returned beside the branded item, as its
  `alternative` (the playground shows "existe en MDD").

The W_PL_* bonuses apply under every policy (a profile sets them to 0 to rely on the policy).

Per request: one CSR row per basket item and one per selected item, arrays of the size of the
pool; nothing of the size of the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reco_core.artifacts.run import CsrPairs

POLICIES = ("boost", "mdd_swap", "alternative")


@dataclass(frozen=True, eq=False)
class SubstituteRules:
    """The rules for one request's pool: which positions are out, which conflict."""

    table: CsrPairs
    items: np.ndarray  # int64 item index of each pool position
    excluded: np.ndarray  # bool per pool position: a substitute of a basket item (or in the basket)
    dedupe: bool  # rule 2: no two mutual substitutes in one list

    def conflicting(self, slot: int, positions: np.ndarray) -> np.ndarray:
        """bool over `positions`: their item is a substitute of the item at pool position `slot`."""
        return self._substitutes_among(int(self.items[slot]), self.items[positions])

    def closes(self, positions: np.ndarray) -> Callable[[int], np.ndarray] | None:
        """For the greedy selection over `positions`: f(j) -> the indices into `positions` that
        taking positions[j] closes, or None when no item there has a substitute (nothing to do)."""
        items = self.items[positions]
        has = row_lengths(self.table, items) > 0
        if not self.dedupe or not has.any():
            return None
        empty = np.empty(0, dtype=np.int64)
        return lambda j: np.flatnonzero(self._substitutes_among(int(items[j]), items)) if has[j] else empty

    def _substitutes_among(self, item: int, items: np.ndarray) -> np.ndarray:
        """bool over `items`: a substitute of `item`."""
        start, stop = self.table.indptr[item], self.table.indptr[item + 1]
        if not self.dedupe or start == stop or len(items) == 0:
            return np.zeros(len(items), dtype=bool)
        return _isin(items, self.table.indices[start:stop])

    def blocked_by(self, chosen: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """bool over `positions`: excluded, or a substitute of an item at the `chosen` positions."""
        out = self.excluded[positions].copy()
        for slot in chosen:
            out |= self.conflicting(int(slot), positions)
        return out


def _isin(items: np.ndarray, few: np.ndarray) -> np.ndarray:
    """bool over `items`: among `few` (substitute rows: a few items). Each item is looked up in
    the sorted few, where np.isin sorts the pool's thousands of items with them."""
    if not len(few):
        return np.zeros(len(items), dtype=bool)
    few = np.sort(few)
    return few[np.minimum(np.searchsorted(few, items), len(few) - 1)] == items


def row_lengths(table: CsrPairs, items: np.ndarray) -> np.ndarray:
    """Substitutes of each of `items`: two gathers of the row pointer, nothing of the catalogue's size."""
    items = np.asarray(items, dtype=np.int64)
    return table.indptr[items + 1] - table.indptr[items]


def rules_for(
    table: CsrPairs | None, basket: np.ndarray, items: np.ndarray, on: bool
) -> SubstituteRules | None:
    """The rules of a request whose pool holds `items` (None when off or the run has no table)."""
    if not on or table is None or len(items) == 0:
        return None
    items = np.asarray(items, dtype=np.int64)
    rows = [table.indices[table.indptr[b] : table.indptr[b + 1]] for b in basket.tolist()]
    excluded = _isin(items, np.concatenate(rows) if rows else np.empty(0, np.int32))
    return SubstituteRules(table=table, items=items, excluded=excluded, dedupe=True)


@dataclass(frozen=True)
class OwnBrandMove:
    """What the own-brand policy did at one position of the list."""

    position: int  # index in the chosen list
    branded: int  # pool position of the branded item the policy looked at
    own_brand: int  # pool position of its own-brand substitute


def own_brand_moves(
    table: CsrPairs | None,
    items: np.ndarray,
    scores: np.ndarray,
    chosen: np.ndarray,
    item_stats: np.ndarray,
    pl_column: int,
    margin: float,
    excluded: np.ndarray | None,
) -> list[OwnBrandMove]:
    """For each chosen branded item, its best own-brand substitute of the pool whose score is at
    least the item's minus `margin` x the spread of the pool's scores (top 300), provided it is not
    already chosen nor excluded nor a substitute of another chosen item; one own-brand item
    serves one position at most."""
    if table is None or len(chosen) == 0:
        return []
    if not (row_lengths(table, items[chosen]) > 0).any():  # no selected item has a substitute
        return []
    finite = scores[np.isfinite(scores)]
    if len(finite) == 0:
        return []
    top = np.sort(finite)[-300:]
    spread = float(top[-1] - top[0]) if len(top) > 1 else 0.0
    order = np.argsort(items, kind="stable")
    sorted_items = items[order]
    taken = set(int(c) for c in chosen)
    moves: list[OwnBrandMove] = []
    for position, slot in enumerate(chosen):
        slot = int(slot)
        item = int(items[slot])
        if table.indptr[item] == table.indptr[item + 1] or item_stats[item, pl_column]:
            continue
        row, _ = table.row(item)
        row = np.asarray(row, dtype=np.int64)
        row = row[item_stats[row, pl_column] > 0]
        if len(row) == 0:
            continue
        at = np.searchsorted(sorted_items, row)
        found = (at < len(sorted_items)) & (sorted_items[np.minimum(at, len(sorted_items) - 1)] == row)
        slots = order[at[found]]
        if excluded is not None:
            slots = slots[~excluded[slots]]
        listed = {int(i) for i in items[chosen].tolist()} - {item}
        slots = np.array(
            [
                s
                for s in slots.tolist()
                if s not in taken  # neither listed nor serving another position
                and listed.isdisjoint(
                    table.row(int(items[s]))[0].tolist()
                )  # no substitute of another listed item
            ],
            dtype=np.int64,
        )
        if len(slots) == 0:
            continue
        best = int(slots[np.argmax(scores[slots])])
        if scores[best] >= scores[slot] - margin * spread:
            moves.append(OwnBrandMove(position, slot, best))
            taken.add(best)
    return moves
