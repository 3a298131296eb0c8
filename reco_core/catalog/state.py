"""Writing, verifying and loading a catalogue-state directory (layout.py says what it holds).

A state is written in a `.tmp-` directory, sealed by its manifest, then renamed: a reader never
sees half of one. Verification is the run's: manifest first (every file's size and sha256), then
what the files hold (dtypes, shapes, sorted ids, flags, padding bits, counts agreeing with
catalog.json). Only a state that verifies is loaded, promoted or rolled back to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reco_core import logs
from reco_core.artifacts.manifest import check_manifest, read_verified_bytes, write_manifest
from reco_core.artifacts.store import new_run_name
from reco_core.artifacts.verify import VerifyReport
from reco_core.catalog import layout as CL
from reco_core.errors import ArtifactError, DataContractError
from reco_core.fsutil import atomic_dir

if TYPE_CHECKING:  # pandas only builds a state (extraction): serving loads one without it (memory)
    import pandas as pd

log = logs.get_logger("catalog")

# Column names of the frames `write_catalog` takes: the SQL aliases of agences.sql, stock.sql and
# statut_produits.sql (reco_core/warehouse/sql), lower case like every extraction query's.
ID_AGENCE, LIB_AGENCE, NB_CLIENTS = "id_agence", "lib_agence", "nb_clients"
ID_PRODUIT, QTE_STOCK, COMMANDABLE = "id_produit", "qte_stock", "commandable"
DEREFERENCE, LIB_MARQUE = "dereference", "lib_marque"


@dataclass(frozen=True)
class Branch:
    branch_id: int
    label: str | None
    customers: int | None  # customers attached to it (nb_clients), None when not extracted
    available: int  # products available there (in stock or orderable, delisted excluded)


@dataclass(frozen=True, eq=False)
class CatalogState:
    """A verified catalogue state; arrays are memory-mapped read-only (shared by API workers)."""

    state_id: str
    state_dir: Path
    product_ids: np.ndarray  # int64 [n_products], ascending
    delisted: np.ndarray  # int8 [n_products]
    brand: np.ndarray  # int32 [n_products], -1 = none
    branch_ids: np.ndarray  # int64 [n_branches], ascending
    bits: np.ndarray  # uint8 [n_branches, ceil(n_products / 8)]
    branches: tuple[Branch, ...]
    brands: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_products(self) -> int:
        return len(self.product_ids)

    def branch_row(self, branch_id: int) -> int | None:
        """Row of a branch in `bits`, None when the state has no such branch."""
        row = int(np.searchsorted(self.branch_ids, branch_id))
        return row if row < len(self.branch_ids) and int(self.branch_ids[row]) == branch_id else None

    def positions(self, product_ids: np.ndarray) -> np.ndarray:
        """Position of each product id in the catalogue, -1 when the catalogue does not list it."""
        ids = np.asarray(product_ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.product_ids, ids), max(self.n_products - 1, 0))
        found = self.n_products > 0 and self.product_ids[pos] == ids
        return np.where(found, pos, -1)

    def available(self, row: int, positions: np.ndarray) -> np.ndarray:
        """Whether the catalogue products at `positions` (>= 0) are available at branch `row`."""
        bytes_ = self.bits[row, positions >> 3]
        return ((bytes_ >> (positions & 7).astype(np.uint8)) & 1).astype(bool)


# --- building --------------------------------------------------------------------------------
def build_arrays(
    status: pd.DataFrame, branches: pd.DataFrame, stock: pd.DataFrame | Iterable[pd.DataFrame]
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and catalog.json of a state, from the three queries' frames.

    `stock` may come in chunks (the extraction streams it: 200 branches x 300k products can be
    tens of millions of rows, never held at once; what is held is two bool matrices of
    branches x products, 60 MB each at that size). Stock rows naming a branch or a product the
    other queries do not list are dropped and counted (a stock table often keeps rows of closed
    depots or purged references).
    """
    for frame, name, required in (
        (status, "statut_produits.sql", (ID_PRODUIT, DEREFERENCE)),
        (branches, "agences.sql", (ID_AGENCE,)),
    ):
        _require(frame, name, required)
    status = status.sort_values(ID_PRODUIT, kind="stable")
    product_ids = status[ID_PRODUIT].to_numpy(dtype=np.int64)
    _unique(product_ids, "statut_produits.sql", ID_PRODUIT)
    delisted = (status[DEREFERENCE].fillna(0).to_numpy(dtype=np.int64) != 0).astype(np.int8)
    if LIB_MARQUE in status.columns:
        labels = status[LIB_MARQUE].astype(object).where(status[LIB_MARQUE].notna(), None)
        brands = sorted({str(b).strip() for b in labels if b is not None and str(b).strip()})
        code = {b: i for i, b in enumerate(brands)}
        brand = np.array(
            [-1 if b is None or not str(b).strip() else code[str(b).strip()] for b in labels], dtype=np.int32
        )
    else:
        brands, brand = [], np.full(len(product_ids), -1, dtype=np.int32)

    branches = branches.sort_values(ID_AGENCE, kind="stable")
    branch_ids = branches[ID_AGENCE].to_numpy(dtype=np.int64)
    _unique(branch_ids, "agences.sql", ID_AGENCE)
    import pandas as pd

    flags, stock_counts = _stock_flags(
        [stock] if isinstance(stock, pd.DataFrame) else stock, branch_ids, product_ids
    )
    bits = np.packbits(flags, axis=1, bitorder="little")

    customers = (
        branches[NB_CLIENTS].fillna(0).to_numpy(dtype=np.int64).tolist()
        if NB_CLIENTS in branches.columns
        else [None] * len(branch_ids)
    )
    labels = (
        branches[LIB_AGENCE].astype(object).where(branches[LIB_AGENCE].notna(), None).tolist()
        if LIB_AGENCE in branches.columns
        else [None] * len(branch_ids)
    )
    sellable = flags & (delisted == 0)[None, :]
    meta = {
        "format": CL.CATALOG_FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": {
            "products": len(product_ids),
            "delisted": int(delisted.sum()),
            "branches": len(branch_ids),
            "brands": len(brands),
            **stock_counts,
        },
        "branches": [
            {"id": int(b), "label": label, "customers": c, "available": int(n)}
            for b, label, c, n in zip(
                branch_ids.tolist(), labels, customers, sellable.sum(axis=1), strict=True
            )
        ],
        "brands": brands,
    }
    arrays = {
        CL.PRODUCT_IDS: product_ids,
        CL.PRODUCT_DELISTED: delisted,
        CL.PRODUCT_BRAND: brand,
        CL.BRANCH_IDS: branch_ids,
        CL.AVAILABILITY_BITS: bits,
    }
    return arrays, meta


def _require(frame: pd.DataFrame, query: str, required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataContractError(f"{query}: the query returns no column {', '.join(missing)}")


def _positions(ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position of each value in the sorted `ids`, whether it is there)."""
    pos = np.searchsorted(ids, values)
    found = (pos < len(ids)) & (ids[np.minimum(pos, max(len(ids) - 1, 0))] == values) if len(ids) else pos < 0
    return pos, found


def _stock_flags(
    chunks: Iterable[pd.DataFrame], branch_ids: np.ndarray, product_ids: np.ndarray
) -> tuple[np.ndarray, dict[str, int]]:
    """bool [n_branches, n_products]: available (qte_stock > 0 or commandable), from stock.sql's
    rows chunk by chunk; a (branch, product) pair listed twice is a DataContractError."""
    seen = np.zeros((len(branch_ids), len(product_ids)), dtype=bool)
    flags = np.zeros_like(seen)
    counts = dict.fromkeys(
        ("stock_rows", "stock_rows_available", "stock_rows_unknown_branch", "stock_rows_unknown_product"), 0
    )
    import pandas as pd

    for chunk in chunks:
        _require(chunk, "stock.sql", (ID_AGENCE, ID_PRODUIT, QTE_STOCK))
        row, row_ok = _positions(branch_ids, chunk[ID_AGENCE].to_numpy(dtype=np.int64))
        pos, pos_ok = _positions(product_ids, chunk[ID_PRODUIT].to_numpy(dtype=np.int64))
        qty = pd.to_numeric(chunk[QTE_STOCK]).fillna(0).to_numpy(dtype=np.float64)
        orderable = (
            chunk[COMMANDABLE].fillna(0).to_numpy(dtype=np.int64) != 0
            if COMMANDABLE in chunk.columns
            else np.zeros(len(chunk), dtype=bool)
        )
        keep = row_ok & pos_ok
        r, p = row[keep], pos[keep]
        key = r * (len(product_ids) + 1) + p
        if len(np.unique(key)) < len(key) or seen[r, p].any():
            raise DataContractError("stock.sql: a (branch, product) pair appears more than once")
        seen[r, p] = True
        available = ((qty > 0) | orderable)[keep]
        flags[r[available], p[available]] = True
        counts["stock_rows"] += len(chunk)
        counts["stock_rows_available"] += int(available.sum())
        counts["stock_rows_unknown_branch"] += int((~row_ok).sum())
        counts["stock_rows_unknown_product"] += int((row_ok & ~pos_ok).sum())
    return flags, counts


def _unique(ids: np.ndarray, query: str, column: str) -> None:
    if len(ids) > 1 and (np.diff(ids) == 0).any():
        dup = int(ids[1:][np.diff(ids) == 0][0])
        raise DataContractError(f"{query}: {column} {dup} appears more than once; one row each is expected")


def write_catalog(
    root: Path | str,
    arrays: dict[str, np.ndarray],
    meta: dict[str, Any],
    *,
    tag: str | None = None,
) -> Path:
    """Write a state under `root` as `catalog_YYYYMMDD_HHMMSS[_tag]/`, sealed by its manifest."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = new_run_name(root, tag, kind=CL.CATALOG)
    with atomic_dir(root / name) as tmp:
        for file, array in arrays.items():
            np.save(tmp / file, np.ascontiguousarray(array), allow_pickle=False)
        (tmp / CL.CATALOG_META).write_text(
            json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        write_manifest(tmp, run_id=name)
    logs.event(log, "catalogue state written", state=name, **meta["counts"])
    return root / name


# --- verification and loading ----------------------------------------------------------------
_DTYPES = {
    CL.PRODUCT_IDS: np.int64,
    CL.PRODUCT_DELISTED: np.int8,
    CL.PRODUCT_BRAND: np.int32,
    CL.BRANCH_IDS: np.int64,
    CL.AVAILABILITY_BITS: np.uint8,
}


def inspect_catalog(state_dir: Path | str) -> tuple[VerifyReport, CatalogState | None]:
    """(report, the loaded state or None): manifest, then dtypes, shapes, order and values."""
    state_dir = Path(state_dir).resolve()
    manifest, problems = check_manifest(state_dir, CL.CATALOG_FILES, CL.CATALOG.noun)
    if manifest is None or problems:
        return VerifyReport(state_dir, problems), None
    arrays: dict[str, np.ndarray] = {}
    for name, dtype in _DTYPES.items():
        try:
            a = np.load(state_dir / name, mmap_mode="r", allow_pickle=False)
        except Exception as exc:
            problems.append(f"{name}: cannot be read ({type(exc).__name__}: {exc})")
            continue
        if a.dtype != np.dtype(dtype):
            problems.append(f"{name}: dtype {a.dtype}, expected {np.dtype(dtype)}")
        arrays[name] = a
    try:
        meta = json.loads(read_verified_bytes(state_dir, CL.CATALOG_META, manifest))
    except (ArtifactError, ValueError) as exc:
        problems.append(f"{CL.CATALOG_META}: cannot be read ({exc})")
        meta = None
    if problems:
        return VerifyReport(state_dir, problems), None
    problems += _content_problems(arrays, meta)
    if problems:
        return VerifyReport(state_dir, problems), None
    branches = tuple(
        Branch(int(b["id"]), b.get("label"), b.get("customers"), int(b.get("available", 0)))
        for b in meta["branches"]
    )
    state = CatalogState(
        state_id=state_dir.name,
        state_dir=state_dir,
        product_ids=arrays[CL.PRODUCT_IDS],
        delisted=arrays[CL.PRODUCT_DELISTED],
        brand=arrays[CL.PRODUCT_BRAND],
        branch_ids=arrays[CL.BRANCH_IDS],
        bits=arrays[CL.AVAILABILITY_BITS],
        branches=branches,
        brands=tuple(meta["brands"]),
        meta=meta,
    )
    return VerifyReport(state_dir, []), state


def _content_problems(arrays: dict[str, np.ndarray], meta: Any) -> list[str]:
    problems: list[str] = []
    ids, delisted, brand = arrays[CL.PRODUCT_IDS], arrays[CL.PRODUCT_DELISTED], arrays[CL.PRODUCT_BRAND]
    branch_ids, bits = arrays[CL.BRANCH_IDS], arrays[CL.AVAILABILITY_BITS]
    n, nb = len(ids), len(branch_ids)
    for name, a in ((CL.PRODUCT_IDS, ids), (CL.BRANCH_IDS, branch_ids)):
        if a.ndim != 1:
            problems.append(f"{name}: {a.ndim} dimensions, expected 1")
        elif len(a) > 1 and not (np.diff(a) > 0).all():
            problems.append(f"{name}: ids are not strictly ascending (duplicated or unsorted)")
    for name, a in ((CL.PRODUCT_DELISTED, delisted), (CL.PRODUCT_BRAND, brand)):
        if a.shape != (n,):
            problems.append(f"{name}: shape {a.shape}, expected ({n},) like {CL.PRODUCT_IDS}")
    if delisted.shape == (n,) and not np.isin(delisted, (0, 1)).all():
        problems.append(f"{CL.PRODUCT_DELISTED}: values other than 0 and 1")
    if bits.shape != (nb, (n + 7) // 8):
        problems.append(f"{CL.AVAILABILITY_BITS}: shape {bits.shape}, expected ({nb}, {(n + 7) // 8})")
    elif n % 8 and nb and (np.asarray(bits[:, -1]) >> (n % 8)).any():
        problems.append(f"{CL.AVAILABILITY_BITS}: padding bits beyond the last product are set")
    if not isinstance(meta, dict) or meta.get("format") != CL.CATALOG_FORMAT:
        problems.append(f"{CL.CATALOG_META}: format is not {CL.CATALOG_FORMAT!r}")
        return problems
    brands, listed = meta.get("brands"), meta.get("branches")
    if not isinstance(brands, list) or not all(isinstance(b, str) for b in brands):
        problems.append(f"{CL.CATALOG_META}: brands must be a list of names")
    elif brand.shape == (n,) and n and (brand.min() < -1 or brand.max() >= len(brands)):
        problems.append(f"{CL.PRODUCT_BRAND}: brand indices outside [-1, {len(brands)})")
    if not isinstance(listed, list) or not all(isinstance(b, dict) and "id" in b for b in listed):
        problems.append(f"{CL.CATALOG_META}: branches must be a list of objects with an id")
    elif [b["id"] for b in listed] != branch_ids.tolist():
        problems.append(f"{CL.CATALOG_META}: branches do not match {CL.BRANCH_IDS}")
    counts = meta.get("counts", {})
    if counts.get("products") != n or counts.get("branches") != nb:
        problems.append(f"{CL.CATALOG_META}: counts disagree with the arrays ({n} products, {nb} branches)")
    return problems


def verify_catalog(state_dir: Path | str) -> VerifyReport:
    """Every problem of a catalogue-state directory; `.ok` when it can be promoted and served."""
    return inspect_catalog(state_dir)[0]


def load_catalog(state_dir: Path | str) -> CatalogState:
    """The verified state, or ArtifactError naming every problem."""
    report, state = inspect_catalog(state_dir)
    if state is None:
        raise ArtifactError(f"refusing to load {report.run_dir}: {report.summary()}")
    logs.event(log, "catalogue state loaded", state=state.state_id, products=state.n_products)
    return state
