"""The run as arrays: the product id lookup and the product metadata in columnar form.

mapping.pkl and product_meta.json.gz are the original's contract and are still written, but
turning them into Python objects costs seconds of GIL-holding work at 300k products (300k dicts,
a 300k-entry id dict), which stalls every request a worker serves while it reloads. Training
therefore also writes columnar companions (layout.COLUMNAR_FILES), which serving memory-maps:
nothing is unpickled nor turned into per-product objects, and API workers share the pages.

- `ItemLookup`: product id -> item index by binary search in the sorted ids (item_ids.npy and
  its argsort item_id_order.npy), with the Mapping API the ranking code uses (`lookup[pid]`,
  `pid in lookup`, `.get(pid)`) and a vectorised `positions(ids)` (-1 for an unknown id).
- `ProductMeta`: product_meta.json.gz as an Arrow IPC file (product_meta.arrow), one column per
  field, rows sorted by product id; `fields(pid)` gives what /products/enrich returns, whole
  columns feed the product search and the controls.

A run trained before the companions existed has none: it is loaded by building the same objects
from mapping.pkl and product_meta.json.gz (reco_core.artifacts.verify), as slowly as before.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reco_core import columns as C

if TYPE_CHECKING:  # pyarrow is imported where used: parsing the DAGs imports this module
    import pyarrow as pa

ITEM_INDEX_FORMAT = "reco-item-index/1"
PRODUCT_META_FORMAT = "reco-product-meta/1"  # schema metadata of product_meta.arrow
# Columns of product_meta.arrow besides ID_PRODUIT (int64, sorted, unique), in this order.
META_INT_FIELDS = (C.ID_GAMME, C.ID_UNIVERS, C.ID_MARQUE)
META_STR_FIELDS = (C.LIB_PRODUIT, C.LIB_GAMME, C.LIB_UNIVERS)
META_FIELDS = (C.ID_GAMME, C.ID_UNIVERS, C.LIB_PRODUIT, C.LIB_GAMME, C.LIB_UNIVERS, C.ID_MARQUE)


@cache
def meta_schema() -> pa.Schema:
    """The schema of product_meta.arrow: ID_PRODUIT (int64, not null) then META_FIELDS."""
    import pyarrow as pa

    fields = [pa.field(name, pa.int64() if name in META_INT_FIELDS else pa.string()) for name in META_FIELDS]
    return pa.schema(
        [pa.field(C.ID_PRODUIT, pa.int64(), nullable=False), *fields],
        metadata={"format": PRODUCT_META_FORMAT},
    )


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def is_integer(value: Any) -> bool:
    """An integer that is not a bool. A plain int skips the numbers.Integral check, an ABC check:
    the full check of a 300k-product run asks this 2.4M times (product_meta, mapping.pkl)."""
    return type(value) is int or isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _as_int64(value: Any) -> int | None:
    """`value` as an int64 product id, None when it cannot be one (a lookup then finds nothing)."""
    if not is_integer(value):
        return None
    value = int(value)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


CACHE_LINE = 64  # bytes


def item_stats_width(n_professions: int) -> int:
    """Columns of layout.ITEM_STATS: a profession's popularity each, the global popularity and the
    MDD flag, then zeros up to a whole number of cache lines (16 float32 each)."""
    per_line = CACHE_LINE // 4
    return -(-(n_professions + 2) // per_line) * per_line


def item_stats(pop_by_prof: np.ndarray, train_pop: np.ndarray, item_is_pl: np.ndarray) -> np.ndarray:
    """float32 [n_items, item_stats_width(n_prof)] (layout.ITEM_STATS): one row per item, so that
    scoring a candidate reads one cache line, not one per array.

    The pool reads the row of each of its thousands of candidates, scattered over the catalogue:
    at 300k products nearly every read misses the caches. A 14-float row (12 professions) at an
    arbitrary offset spans two lines six times out of seven; padded to whole lines and starting on
    one (the .npy format aligns its data on 64 bytes, mmap on a page), it is one line.
    """
    pop_by_prof = np.asarray(pop_by_prof)
    n_prof, rows = pop_by_prof.shape
    width = item_stats_width(n_prof)
    buffer = np.zeros(rows * width + CACHE_LINE // 4, dtype=np.float32)
    start = (-buffer.ctypes.data % CACHE_LINE) // 4  # aligned in memory too, for a run without the file
    stats = buffer[start : start + rows * width].reshape(rows, width)
    stats[:, :n_prof] = pop_by_prof.T
    stats[:, n_prof] = train_pop
    stats[:, n_prof + 1] = np.asarray(item_is_pl) == 1
    return stats


def pop_order(train_pop: np.ndarray) -> np.ndarray:
    """int64 [n_items] (layout.POP_ORDER): item indices by global popularity desc, ties by index."""
    return np.argsort(-np.asarray(train_pop, dtype=np.float32), kind="stable").astype(np.int64)


class ItemLookup(Mapping[int, int]):
    """Product id -> item index of a run, from its ids by item index and their argsort.

    Read-only, no per-product Python object: `sorted_ids` (one gather, 2.4 MB at 300k) is the
    only array built at load; `ids` and `order` stay the run's memory-mapped arrays.
    """

    __slots__ = ("ids", "order", "sorted_ids")

    def __init__(self, ids: np.ndarray, order: np.ndarray | None = None) -> None:
        self.ids = ids
        self.order = np.argsort(ids, kind="stable") if order is None else order
        self.sorted_ids = np.ascontiguousarray(ids[self.order])
        self.sorted_ids.setflags(write=False)

    def _find(self, pid: Any) -> int:
        """Item index of `pid`, -1 when unknown (a few hundred ns: the ranker calls it per item)."""
        if type(pid) is not int or not _INT64_MIN <= pid <= _INT64_MAX:
            pid = _as_int64(pid)
            if pid is None:
                return -1
        ids = self.sorted_ids
        pos = ids.searchsorted(pid)
        if pos < len(ids) and ids[pos] == pid:
            return int(self.order[pos])
        return -1

    def __getitem__(self, pid: Any) -> int:
        index = self._find(pid)
        if index < 0:
            raise KeyError(pid)
        return index

    def __contains__(self, pid: object) -> bool:
        return self._find(pid) >= 0

    def get(self, pid: Any, default: Any = None) -> Any:
        index = self._find(pid)
        return default if index < 0 else index

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def positions(self, product_ids: np.ndarray) -> np.ndarray:
        """Item index of each product id (int64), -1 where the run does not know it."""
        try:
            ids = np.asarray(product_ids, dtype=np.int64)
        except (OverflowError, TypeError, ValueError):  # ids beyond int64, or not ids: one by one
            return np.array([self._find(pid) for pid in product_ids], dtype=np.int64)
        n = len(self.sorted_ids)
        if n == 0:
            return np.full(ids.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.sorted_ids, ids), n - 1)
        return np.where(self.sorted_ids[pos] == ids, self.order[pos], -1).astype(np.int64)


# --- product metadata ------------------------------------------------------------------------
def product_meta_table(meta: Mapping[Any, Mapping[str, Any]]) -> pa.Table:
    """product_meta.json.gz's object (product id -> fields) as the columns of product_meta.arrow.

    A value the API would not return as such (an id that is not an integer, a label that is not
    a string) is stored as null, as /products/enrich and the controls always took it.
    """
    import pyarrow as pa

    rows = sorted((int(pid), fields) for pid, fields in meta.items())
    columns: dict[str, Any] = {C.ID_PRODUIT: np.array([pid for pid, _ in rows], dtype=np.int64)}
    for name in META_INT_FIELDS:
        columns[name] = pa.array([_meta_int(f.get(name)) for _, f in rows], type=pa.int64())
    for name in META_STR_FIELDS:
        columns[name] = pa.array(
            [v if isinstance(v := f.get(name), str) else None for _, f in rows], type=pa.string()
        )
    return pa.Table.from_pydict(columns, schema=meta_schema())


def _meta_int(value: Any) -> int | None:
    """An integer field as the API returns it: pandas writes ids as 12.0 when a column has nulls."""
    if is_integer(value):
        return _as_int64(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return _as_int64(int(value))
    return None


def write_product_meta(path: Path, table: pa.Table) -> None:
    """product_meta.arrow: an uncompressed Arrow IPC file of one record batch (memory-mappable)."""
    import pyarrow as pa

    batch = table.combine_chunks().to_batches()
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, meta_schema()) as writer:
        writer.write_batch(batch[0] if batch else pa.RecordBatch.from_pylist([], schema=meta_schema()))


def read_product_meta(path: Path) -> pa.RecordBatch:
    """The record batch of product_meta.arrow, memory-mapped (zero copy); ValueError when the file
    is not one batch of meta_schema()."""
    import pyarrow as pa

    reader = pa.ipc.open_file(pa.memory_map(str(path), "r"))
    if not reader.schema.equals(meta_schema(), check_metadata=True):
        shown = reader.schema.to_string(show_schema_metadata=False).replace("\n", ", ")
        raise ValueError(f"schema ({shown}) is not that of {PRODUCT_META_FORMAT}")
    if reader.num_record_batches != 1:
        raise ValueError(f"{reader.num_record_batches} record batches, expected 1")
    batch = reader.get_batch(0)
    batch.validate(full=True)  # offsets within bounds, UTF-8 labels
    return batch


class ProductMeta:
    """What the run knows of each catalogue product (not only the modelled ones), by columns.

    Built on one Arrow record batch (memory-mapped product_meta.arrow); the per-product access
    reads numpy views of its buffers, so answering an enrich creates no Arrow scalar.
    """

    def __init__(self, batch: pa.RecordBatch) -> None:
        self.batch = batch
        self.ids = _values(batch.column(C.ID_PRODUIT), np.int64)
        if len(self.ids) > 1 and not (np.diff(self.ids) > 0).all():
            raise ValueError(f"{C.ID_PRODUIT} is not sorted and unique")
        self._ints = {
            name: (_values(col, np.int64), _valid(col))
            for name in META_INT_FIELDS
            for col in (batch.column(name),)
        }
        self._strs = {name: _strings(batch.column(name)) for name in META_STR_FIELDS}

    @classmethod
    def from_dict(cls, meta: Mapping[Any, Mapping[str, Any]]) -> ProductMeta:
        """From product_meta.json.gz's object (a run without the companions, or built in memory)."""
        import pyarrow as pa

        batches = product_meta_table(meta).combine_chunks().to_batches()
        return cls(batches[0] if batches else pa.RecordBatch.from_pylist([], schema=meta_schema()))

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, pid: Any) -> int:
        """Row of product `pid`, -1 when the run has no metadata for it."""
        key = _as_int64(pid)
        if key is None or not len(self.ids):
            return -1
        pos = int(self.ids.searchsorted(key))
        return pos if pos < len(self.ids) and int(self.ids[pos]) == key else -1

    def rows(self, product_ids: np.ndarray) -> np.ndarray:
        """Row of each product id (int64), -1 when unknown."""
        ids = np.asarray(product_ids, dtype=np.int64)
        if not len(self.ids):
            return np.full(ids.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[pos] == ids, pos, -1).astype(np.int64)

    def __contains__(self, pid: object) -> bool:
        return self.row(pid) >= 0

    def __getitem__(self, pid: Any) -> dict[str, Any]:
        fields = self.get(pid)
        if fields is None:
            raise KeyError(pid)
        return fields

    def get(self, pid: Any, default: Any = None) -> dict[str, Any] | Any:
        """Every field of product `pid` (None for a missing value), or `default`."""
        row = self.row(pid)
        if row < 0:
            return default
        out: dict[str, Any] = {}
        for name, (values, valid) in self._ints.items():
            out[name] = int(values[row]) if valid[row] else None
        for name, (offsets, data, valid) in self._strs.items():
            out[name] = str(data[offsets[row] : offsets[row + 1]], "utf-8") if valid[row] else None
        return out

    def int_column(self, name: str, product_ids: np.ndarray, default: int = -1) -> np.ndarray:
        """Integer field `name` of each product id (int64), `default` when missing or unknown."""
        values, valid = self._ints[name]
        rows = self.rows(product_ids)
        if not len(values):  # no product has metadata (a synthetic run): nothing to gather
            return np.full(len(rows), default, dtype=np.int64)
        safe = np.maximum(rows, 0)
        return np.where((rows >= 0) & valid[safe], values[safe], default).astype(np.int64)

    def str_column(self, name: str, product_ids: np.ndarray) -> pa.StringArray:
        """String field `name` of each product id, "" when missing or unknown (an Arrow array)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = self.rows(product_ids)
        taken = pc.take(self.batch.column(name), pa.array(rows, mask=rows < 0))  # null index: null
        return pc.fill_null(taken, "")


def _values(col: pa.Array, dtype: type[np.generic]) -> np.ndarray:
    """The value buffer of a fixed-width Arrow column as a numpy view (null slots: any value)."""
    buf = col.buffers()[1]
    if buf is None:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(buf, dtype=dtype, count=col.offset + len(col))[col.offset :]


def _valid(col: pa.Array) -> np.ndarray:
    """bool [n]: not null. From the validity bitmap with numpy: Arrow's compute kernels cost a
    worker ~27 MiB of private memory on their first call."""
    bitmap = col.buffers()[0]
    if bitmap is None or col.null_count == 0:
        return np.ones(len(col), dtype=bool)
    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
    return bits[col.offset : col.offset + len(col)].astype(bool)


def _strings(col: pa.Array) -> tuple[np.ndarray, memoryview, np.ndarray]:
    """(offsets int32 [n + 1], data bytes, valid) views of a string column."""
    _, offsets_buf, data_buf = col.buffers()
    if offsets_buf is None:
        return np.zeros(1, dtype=np.int32), memoryview(b""), _valid(col)
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=col.offset + len(col) + 1)[col.offset :]
    data = memoryview(data_buf) if data_buf is not None else memoryview(b"")
    return offsets, data, _valid(col)
