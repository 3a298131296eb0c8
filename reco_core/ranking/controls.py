"""Request controls: what the ranking may return, as vectorised masks over candidate items.

Never recommend what cannot be sold: a delisted product, one the catalogue state does not list,
one the customer's branch neither stocks nor can order. And let the caller steer: exclude
products, keep or drop univers and gammes, and the merchandising rules' blocks (reco_core.rules).

The filter is applied where candidates are pooled (candidates.build_pool), before scoring, so
the answer still has k items whenever the catalogue allows: the pool is topped up with the most
popular items that pass, as deep into the catalogue as needed. Every test is a numpy gather on
the pool's items (a few thousand), never a loop and never a pass over the whole catalogue:
per-branch availability is one row of the catalogue state's memory-mapped bitset.

`ControlIndex` aligns a catalogue state on a run's item index, once per (run, state) pair (the
API builds it when either is loaded); `Controls` is what one request asks; `ControlIndex.filter`
turns them into a `CandidateFilter` for that request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from reco_core import columns as C
from reco_core.errors import RecoError
from reco_core.ranking.index import RankerIndex

if TYPE_CHECKING:  # reco_core.ranking is imported when the DAGs are parsed: no pandas there
    from reco_core.catalog.state import CatalogState

# Why a candidate was left out, in the order the reasons are attributed (first failing wins).
DELISTED = "delisted"  # delisted, or not listed by the catalogue state at all
OUT_OF_STOCK = "out_of_stock"  # neither in stock nor orderable at the requested branch
EXCLUDED = "excluded_product_ids"
UNIVERS = "univers"
GAMMES = "gammes"
BLOCKED = "blocked"  # by a merchandising rule
REASONS = (DELISTED, OUT_OF_STOCK, EXCLUDED, UNIVERS, GAMMES, BLOCKED)


class ControlError(RecoError):
    """A control the served state cannot honour (unknown branch...): `field` names the request field."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name


@dataclass(frozen=True)
class Controls:
    """What one request asks to keep out (or to keep only). Empty tuples: no constraint."""

    agence: int | None = None
    exclude_product_ids: tuple[int, ...] = ()
    include_univers: tuple[int, ...] = ()
    exclude_univers: tuple[int, ...] = ()
    include_gammes: tuple[int, ...] = ()
    exclude_gammes: tuple[int, ...] = ()

    @property
    def any(self) -> bool:
        return bool(
            self.agence is not None
            or self.exclude_product_ids
            or self.include_univers
            or self.exclude_univers
            or self.include_gammes
            or self.exclude_gammes
        )


@dataclass(frozen=True)
class Blocks:
    """Item-level blocks of the merchandising rules: item indices, gamme ids, brand indices of the
    catalogue state, each with the rule that blocks it (the first one)."""

    items: Mapping[int, str] = field(default_factory=dict)
    gammes: Mapping[int, str] = field(default_factory=dict)
    brands: Mapping[int, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.items or self.gammes or self.brands)


@dataclass(frozen=True, eq=False)
class ControlIndex:
    """A run's items seen through a catalogue state (None: no state, nothing filtered by it)."""

    index: RankerIndex
    catalog: CatalogState | None
    item_univers: np.ndarray  # int64 [n_items], -1 = unknown (from the run's product_meta)
    item_pos: np.ndarray | None  # int64 [n_items]: position in the catalogue state, -1 = not listed
    sellable: np.ndarray | None  # bool [n_items]: listed by the state and not delisted
    item_brand: np.ndarray | None  # int32 [n_items]: brand index in the state, -1 = none

    @classmethod
    def build(
        cls, index: RankerIndex, catalog: CatalogState | None, item_univers: np.ndarray | None = None
    ) -> ControlIndex:
        """`item_univers`: the run's univers array when already built (a new catalogue state on the
        same run: the API swaps states hourly; the column is read by one vectorised gather)."""
        univers = item_univers
        if univers is None:
            univers = index.run.product_meta.int_column(C.ID_UNIVERS, index.run.item_ids)
            univers.setflags(write=False)
        if catalog is None:
            return cls(index, None, univers, None, None, None)
        pos = catalog.positions(index.run.item_ids)
        listed = pos >= 0
        safe = np.where(listed, pos, 0)
        sellable = listed & (np.asarray(catalog.delisted)[safe] == 0)
        brand = np.where(listed, np.asarray(catalog.brand)[safe], -1).astype(np.int32)
        for a in (pos, sellable, brand):
            a.setflags(write=False)
        return cls(index, catalog, univers, pos, sellable, brand)

    @property
    def catalog_id(self) -> str | None:
        return None if self.catalog is None else self.catalog.state_id

    def branch_row(self, agence: int | None) -> int | None:
        """The bitset row of a requested branch; ControlError when the state does not know it."""
        if agence is None or self.catalog is None:
            return None
        row = self.catalog.branch_row(agence)
        if row is None:
            raise ControlError(
                "agence",
                f"unknown branch {agence}: the catalogue state {self.catalog.state_id} has "
                f"{len(self.catalog.branch_ids)} branches",
            )
        return row

    def filter(self, controls: Controls | None, blocks: Blocks | None = None) -> CandidateFilter | None:
        """The filter of one request; None when nothing constrains it (no state, no controls)."""
        controls = controls or Controls()
        blocks = blocks or Blocks()
        if self.catalog is None and not controls.any and not blocks:
            return None
        item_index = self.index.run.item_index
        excluded = [item_index[p] for p in controls.exclude_product_ids if p in item_index]
        return CandidateFilter(
            view=self,
            branch_row=self.branch_row(controls.agence),
            excluded=np.array(sorted(excluded), dtype=np.int64),
            include_univers=_ids(controls.include_univers),
            exclude_univers=_ids(controls.exclude_univers),
            include_gammes=_ids(controls.include_gammes),
            exclude_gammes=_ids(controls.exclude_gammes),
            blocks=blocks,
        )


@dataclass(eq=False)
class CandidateFilter:
    """One request's filter. `keep(items)` is what the pool calls; `removed` counts, per reason,
    the pooled candidates it left out (first call only: the top-up's are not candidates)."""

    view: ControlIndex
    branch_row: int | None
    excluded: np.ndarray
    include_univers: np.ndarray | None
    exclude_univers: np.ndarray | None
    include_gammes: np.ndarray | None
    exclude_gammes: np.ndarray | None
    blocks: Blocks
    removed: dict[str, int] = field(default_factory=dict)
    blocked_by: dict[str, int] = field(default_factory=dict)  # rule id -> candidates it removed
    exhausted: bool = False  # the top-up went through the whole catalogue: all that passes is pooled
    _counted: bool = False

    def keep(self, items: np.ndarray) -> np.ndarray:
        """bool [len(items)]: which item indices may be returned."""
        fails = self._fails(items)
        ok = np.ones(len(items), dtype=bool)
        for mask in fails.values():
            ok &= ~mask
        if not self._counted:
            self._counted = True
            self._count(items, fails)
        return ok

    def _fails(self, items: np.ndarray) -> dict[str, np.ndarray]:
        v = self.view
        fails: dict[str, np.ndarray] = {}
        if v.sellable is not None:
            fails[DELISTED] = ~v.sellable[items]
        if self.branch_row is not None and v.catalog is not None and v.item_pos is not None:
            pos = v.item_pos[items]
            fails[OUT_OF_STOCK] = ~((pos >= 0) & v.catalog.available(self.branch_row, np.maximum(pos, 0)))
        if len(self.excluded):
            fails[EXCLUDED] = np.isin(items, self.excluded)
        if self.include_univers is not None or self.exclude_univers is not None:
            univers = v.item_univers[items]
            fails[UNIVERS] = _outside(univers, self.include_univers, self.exclude_univers)
        if self.include_gammes is not None or self.exclude_gammes is not None:
            gammes = v.index.gamme[items]
            fails[GAMMES] = _outside(gammes, self.include_gammes, self.exclude_gammes)
        if self.blocks:
            fails[BLOCKED] = self._blocked(items)
        return fails

    def _blocked(self, items: np.ndarray) -> np.ndarray:
        b = self.blocks
        mask = np.zeros(len(items), dtype=bool)
        if b.items:
            mask |= np.isin(items, np.fromiter(b.items, np.int64))
        if b.gammes:
            mask |= np.isin(self.view.index.gamme[items], np.fromiter(b.gammes, np.int64))
        if b.brands and self.view.item_brand is not None:
            mask |= np.isin(self.view.item_brand[items], np.fromiter(b.brands, np.int64))
        return mask

    def _count(self, items: np.ndarray, fails: dict[str, np.ndarray]) -> None:
        left = np.ones(len(items), dtype=bool)
        for reason in REASONS:
            if reason in fails:
                hit = fails[reason] & left
                self.removed[reason] = int(hit.sum())
                left &= ~hit
                if reason == BLOCKED and hit.any():
                    self._count_rules(items[hit])

    def _count_rules(self, items: np.ndarray) -> None:
        """Which rule removed each blocked candidate (the product's rule, then its gamme's, then
        its brand's): a few dozen items at most, so a plain loop over them is fine."""
        b, gamme, brand = self.blocks, self.view.index.gamme, self.view.item_brand
        for item in items.tolist():
            rule = (
                b.items.get(item)
                or b.gammes.get(int(gamme[item]))
                or (b.brands.get(int(brand[item])) if brand is not None else None)
            )
            if rule:
                self.blocked_by[rule] = self.blocked_by.get(rule, 0) + 1

    def allows(self, item: int) -> bool:
        """One item (a pin's product): the same tests, without counting."""
        items = np.array([item], dtype=np.int64)
        return not any(mask[0] for mask in self._fails(items).values())

    def report(self) -> dict[str, Any]:
        return {"removed": dict(self.removed), "blocked_by": dict(self.blocked_by)}


def _outside(values: np.ndarray, include: np.ndarray | None, exclude: np.ndarray | None) -> np.ndarray:
    out = np.zeros(len(values), dtype=bool)
    if include is not None:
        out |= ~np.isin(values, include)
    if exclude is not None:
        out |= np.isin(values, exclude)
    return out


def _ids(values: Iterable[int]) -> np.ndarray | None:
    values = tuple(values)
    return np.array(sorted(set(values)), dtype=np.int64) if values else None
