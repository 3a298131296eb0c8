"""Verification of a run: manifest first, then the consistency of what the files hold.

Checksums prove the files are the ones the trainer wrote; they do not prove the trainer wrote
something serving can use. So once (and only once) the manifest verifies, every file is parsed
and checked against the item index: shapes, dtypes, no NaN/inf, value ranges. The objects
parsed here are handed to the loader, so a run is read once to be verified and loaded.

The item index comes from the columnar companions (layout.COLUMNAR_FILES: item_ids.npy and its
argsort, item_index.json) when the run has them, from mapping.pkl otherwise (a run trained
before they existed). `check_originals=False` (loading for serving) leaves the original's files
serving does not read - mapping.pkl, the .npz matrices, the pair indexes' pickles and
product_meta.json.gz - at their checksums: parsing them is seconds of GIL-holding Python at
300k products. The full check (`reco verify-artifacts`, promotion) parses them and checks that
the companions hold exactly what they hold, and a run that passed keeps a record of it (module
full_check) so that its next full check, by `reco promote` on the serving host say, does not
parse them again while the checksums and this code are unchanged.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from reco_core.artifacts import columnar, full_check, pickles
from reco_core.artifacts import layout as L
from reco_core.artifacts.columnar import (
    ITEM_INDEX_FORMAT,
    ItemLookup,
    ProductMeta,
    is_integer,
    item_stats,
    item_stats_width,
    product_meta_table,
    read_product_meta,
)
from reco_core.artifacts.manifest import (
    Manifest,
    check_manifest,
    lower_thread_priority,
    read_verified_bytes,
)
from reco_core.artifacts.pickles import DISABLE_MODEL_PICKLE_ENV, load_verified_pickle, model_pickle_disabled
from reco_core.artifacts.run import CsrPairs, split_professions
from reco_core.columns import ANY_PROFESSION
from reco_core.errors import ArtifactError

_CHUNK = 1 << 20
CHECK_THREADS = 2  # value checks of the pair tables: numpy releases the GIL, so they run side by side
NORM_TOLERANCE = 1e-3  # float32 rows normalised then saved: |norm - 1| is ~1e-7, corruption is not
_MAPPING_DICTS = ("user_id_map", "user_feature_map", "item_id_map", "item_feature_map")
_MAPPING_KEYS = (*_MAPPING_DICTS, "professions")
_PAIR_DTYPES = (np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.float32))  # indptr, indices, scores

T = TypeVar("T")


@dataclass(frozen=True)
class VerifyReport:
    run_dir: Path
    problems: list[str]
    notes: list[str] = field(default_factory=list)  # checks skipped, and why
    n_items: int | None = None
    n_professions: int | None = None
    model_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    def summary(self) -> str:
        return f"{len(self.problems)} problem(s): {'; '.join(self.problems)}"


@dataclass(frozen=True)
class VerifiedParts:
    """The contents of a run that passed verification, as parsed while verifying it."""

    items: ItemLookup
    professions: tuple[str, ...]
    arrays: dict[str, np.ndarray]
    pairs: dict[str, CsrPairs]
    pairs_rev: dict[str, CsrPairs]
    product_meta: ProductMeta
    params: dict[str, Any]
    versions: dict[str, Any]
    ease: CsrPairs | None = None
    blend: Any = None  # LearnedBlend
    blend_meta: dict[str, Any] | None = None
    columnar: bool = True  # False: a run without the companions, read from the original's files
    item_stats: np.ndarray | None = None  # layout.ITEM_STATS (None without the companions)
    pop_order: np.ndarray | None = None  # layout.POP_ORDER
    substitutes: CsrPairs | None = None


# --- value checks of the precomputed arrays: a problem, or None -----------------------------
def _finite(a: np.ndarray) -> str | None:
    return None if np.isfinite(a).all() else "contains NaN or inf"


def _unit_interval(a: np.ndarray, n_items: int) -> str | None:
    if problem := _finite(a):
        return problem
    return None if a.min() >= 0 and a.max() <= 1 else f"values outside [0, 1] (min {a.min()}, max {a.max()})"


def _unit_rows(a: np.ndarray, n_items: int) -> str | None:
    if problem := _finite(a):
        return problem
    norms = np.sqrt(np.einsum("ij,ij->i", a, a, dtype=np.float64))  # no [n, d] temporary
    bad = (norms > 0) & (np.abs(norms - 1) > NORM_TOLERANCE)
    if bad.any():
        return f"{int(bad.sum())} non-zero rows are not L2-normalised (e.g. norm {norms[bad][0]:.4g})"
    return None


def _item_indices(a: np.ndarray, n_items: int) -> str | None:
    ok = a.size == 0 or (a.min() >= -1 and a.max() < n_items)
    return None if ok else f"item indices outside [-1, {n_items})"


def _gammes(a: np.ndarray, n_items: int) -> str | None:
    return None if a.size == 0 or a.min() >= -1 else "gamme ids below -1"


def _flags(a: np.ndarray, n_items: int) -> str | None:
    return None if np.isin(a, (0, 1)).all() else "values other than 0 and 1"


@dataclass(frozen=True)
class _ArraySpec:
    dtype: type[np.generic]
    dims: tuple[str | None, ...]  # "items", "professions" or None (any length)
    check: Callable[[np.ndarray, int], str | None]


_ARRAYS: dict[str, _ArraySpec] = {
    L.ITEM_EMB_NORM: _ArraySpec(np.float32, ("items", None), _unit_rows),
    L.TRAIN_POP: _ArraySpec(np.float32, ("items",), _unit_interval),
    L.POP_BY_PROF_NORM: _ArraySpec(np.float32, ("professions", "items"), _unit_interval),
    L.TOP_POPP_BY_PROF: _ArraySpec(np.int32, ("professions", None), _item_indices),
    L.ITEM_TO_GAMME: _ArraySpec(np.int64, ("items",), _gammes),
    L.ITEM_IS_PL: _ArraySpec(np.int8, ("items",), _flags),
}


class _PassedChecks:
    """The value checks that passed in this process (CSR tables: pairs, EASE, substitutes; the
    precomputed arrays; the columnar id index and ranker arrays), by the sha256 digests of the
    files checked and what they were read with (the catalogue size, the professions).

    The checks are a function of the files' contents, and a digest names a content: once the
    manifest check has proved that a run's files have these digests, a table that passed for
    them passes again. An API worker reloads runs it has checked before (`/reload` of the run it
    serves, a pin back, a rollback): at 300k products the checks read 2 x 66M scores, a core-
    second taken from the requests. Bounded, oldest first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._passed: dict[tuple, int] = {}

    def get(self, key: tuple) -> int | None:
        return self._passed.get(key)

    def remember(self, key: tuple, tables: int) -> None:
        if len(self._passed) >= self._size:
            del self._passed[next(iter(self._passed))]
        self._passed[key] = tables


_PASSED = _PassedChecks(size=256)


class _Checker:
    """Reads the files of a manifest-verified run and collects every problem found."""

    def __init__(self, run_dir: Path, manifest: Manifest) -> None:
        self.run_dir = run_dir
        self.manifest = manifest
        self.problems: list[str] = []
        self.notes: list[str] = []

    def fail(self, name: str, why: str) -> None:
        self.problems.append(f"{name}: {why}")

    def read(self, name: str, reader: Callable[[str], T]) -> T | None:
        """What `name` holds, or None with a problem recorded."""
        try:
            value = reader(name)
        except ArtifactError as exc:
            self.problems.append(str(exc))
            return None
        except Exception as exc:  # a file that does not parse is a verification problem, not a crash
            self.fail(name, f"cannot be read ({type(exc).__name__}: {exc})")
            return None
        if value is None:  # a pickled None or a JSON null: no run file holds it, and callers skip None
            self.fail(name, "holds nothing (None)")
        return value

    def passed_before(
        self, names: tuple[str, ...], context: tuple, check: Callable[[], list[str | None]]
    ) -> list[str | None]:
        """check(): a problem or None per table held by the files `names` (read with `context`:
        the catalogue size, the professions), not run again for files whose manifest digests
        passed it before in this process (_PassedChecks)."""
        if any(name not in self.manifest.files for name in names):  # no digest to remember it by
            return check()
        key = (context, *(self.manifest.files[name].sha256 for name in names))
        if (tables := _PASSED.get(key)) is not None:
            return [None] * tables
        problems = check()
        if not any(problems):
            _PASSED.remember(key, len(problems))
        return problems

    # --- readers -------------------------------------------------------------------------
    def pickle(self, name: str) -> Any:
        return load_verified_pickle(self.run_dir, name, self.manifest)

    def npy(self, name: str) -> np.ndarray:
        return np.load(self.run_dir / name, mmap_mode="r", allow_pickle=False)

    def npz(self, name: str) -> Any:
        import scipy.sparse as sp  # only the full check reads the .npz matrices (serving: 15 MiB less)

        return sp.load_npz(self.run_dir / name)

    def json(self, name: str) -> Any:
        data = read_verified_bytes(self.run_dir, name, self.manifest)
        return json.loads(gzip.decompress(data) if name.endswith(".gz") else data)

    # --- the columnar companions ---------------------------------------------------------
    def columnar_listed(self) -> bool | None:
        """Whether the run has the columnar companions; None (a problem) when only some."""
        listed = [name for name in L.COLUMNAR_FILES if name in self.manifest.files]
        if not listed:
            self.notes.append(
                f"no columnar companions ({', '.join(L.COLUMNAR_FILES)}): a run trained before "
                "them, loaded from mapping.pkl and product_meta.json.gz (slower reloads)"
            )
            return False
        if len(listed) < len(L.COLUMNAR_FILES):
            missing = sorted(set(L.COLUMNAR_FILES) - set(listed))
            self.fail(missing[0], f"columnar companions incomplete: {', '.join(missing)} not in the manifest")
            return None
        return True

    def columnar_index(self) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None:
        """(item ids by item index, their argsort, professions) of the companions, or None."""
        doc = _json_object(self, L.ITEM_INDEX)
        ids = self.read(L.ITEM_IDS, self.npy)
        order = self.read(L.ITEM_ID_ORDER, self.npy)
        if doc is None or ids is None or order is None:
            return None
        if doc.get("format") != ITEM_INDEX_FORMAT:
            self.fail(L.ITEM_INDEX, f"format {doc.get('format')!r}, expected {ITEM_INDEX_FORMAT!r}")
            return None
        professions = self.professions(L.ITEM_INDEX, doc.get("professions"))
        if professions is None:
            return None
        n = doc.get("n_items")
        if ids.dtype != np.int64 or ids.ndim != 1 or not len(ids) or len(ids) != n:
            self.fail(L.ITEM_IDS, f"{ids.dtype} {ids.shape}, expected int64 ({n},) as {L.ITEM_INDEX} says")
            return None
        if order.dtype != np.int64 or order.shape != ids.shape:
            self.fail(L.ITEM_ID_ORDER, f"{order.dtype} {order.shape}, expected int64 {ids.shape}")
            return None
        if problem := self.passed_before(
            (L.ITEM_IDS, L.ITEM_ID_ORDER), (), lambda: [_id_order_problem(ids, order)]
        )[0]:
            self.problems.append(problem)
            return None
        return ids, order, professions

    def ranker_arrays(self, checked: dict[str, np.ndarray], sizes: dict[str, int]) -> tuple | None:
        """(item_stats, pop_order) of the companions, checked to be exactly what the ranker derives
        from the precomputed arrays (by chunks of rows: no full-size temporary)."""
        stats, order = self.read(L.ITEM_STATS, self.npy), self.read(L.POP_ORDER, self.npy)
        sources = [checked.get(name) for name in (L.POP_BY_PROF_NORM, L.TRAIN_POP, L.ITEM_IS_PL)]
        if stats is None or order is None or any(a is None for a in sources):
            return None  # a source array failed: reported already
        pop_by_prof, train_pop, is_pl = sources
        n = sizes["items"]
        shape = (n, item_stats_width(sizes["professions"]))
        if stats.dtype != np.float32 or stats.shape != shape:
            self.fail(L.ITEM_STATS, f"{stats.dtype} {stats.shape}, expected float32 {shape}")
            return None
        if order.dtype != np.int64 or order.shape != (n,):
            self.fail(L.POP_ORDER, f"{order.dtype} {order.shape}, expected int64 ({n},)")
            return None

        def check() -> list[str | None]:
            return [
                _item_stats_problem(stats, pop_by_prof, train_pop, is_pl)
                or _pop_order_problem(order, train_pop)
            ]

        names = (L.ITEM_STATS, L.POP_ORDER, L.POP_BY_PROF_NORM, L.TRAIN_POP, L.ITEM_IS_PL)
        if problem := self.passed_before(names, (), check)[0]:
            self.problems.append(problem)
            return None
        return stats, order

    def professions(self, name: str, professions: Any) -> tuple[str, ...] | None:
        if (
            not isinstance(professions, list | tuple)
            or not professions
            or not all(isinstance(p, str) and p for p in professions)
            or len(set(professions)) != len(professions)
            or ANY_PROFESSION in professions
        ):
            self.fail(
                name, f"professions must be a non-empty list of distinct names, without {ANY_PROFESSION}"
            )
            return None
        return tuple(professions)

    def product_meta(self, columnar: bool, cross_check: bool) -> ProductMeta | None:
        """product_meta.arrow (or, for a run without it, product_meta.json.gz made columns);
        `cross_check`: the Arrow file must hold exactly what the JSON file holds."""
        import pyarrow as pa  # here: parsing the DAGs imports this module

        table = None
        if not columnar or cross_check:
            meta = self.read(L.PRODUCT_META, self.json)
            if meta is None:
                return None
            if not isinstance(meta, dict) or not all(isinstance(v, dict) for v in meta.values()):
                self.fail(L.PRODUCT_META, "not an object of product id -> object")
                return None
            try:
                table = product_meta_table(meta)
            except ValueError:
                self.fail(L.PRODUCT_META, "keys must be integer product ids")
                return None
        if columnar:
            batch = self.read(L.PRODUCT_META_ARROW, lambda name: read_product_meta(self.run_dir / name))
            if batch is None:
                return None
            if table is not None and not pa.Table.from_batches([batch]).equals(table.combine_chunks()):
                self.fail(L.PRODUCT_META_ARROW, f"does not hold what {L.PRODUCT_META} holds")
                return None
        else:
            batches = table.combine_chunks().to_batches()
            batch = batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)
        return self.read(L.PRODUCT_META_ARROW if columnar else L.PRODUCT_META, lambda _: ProductMeta(batch))

    # --- checks --------------------------------------------------------------------------
    def mapping(self, mapping: Any) -> tuple[np.ndarray, tuple[str, ...]] | None:
        """Item ids by item index and the professions, or None when the mapping is unusable."""
        name = L.MAPPING
        if not isinstance(mapping, dict) or any(key not in mapping for key in _MAPPING_KEYS):
            self.fail(name, f"not a dict with keys {', '.join(_MAPPING_KEYS)}")
            return None
        if not all(isinstance(mapping[key], dict) for key in _MAPPING_DICTS):
            self.fail(name, f"{', '.join(_MAPPING_DICTS)} must be dicts")
            return None
        professions = self.professions(name, mapping["professions"])
        if professions is None:
            return None
        item_id_map = mapping["item_id_map"]
        if not item_id_map or not all(is_integer(k) and is_integer(v) for k, v in item_id_map.items()):
            self.fail(name, "item_id_map must map integer product ids to integer item indices")
            return None
        index = np.fromiter(item_id_map.values(), np.int64, len(item_id_map))
        if not np.array_equal(np.sort(index), np.arange(len(index))):
            self.fail(name, f"item_id_map values are not the item indices 0..{len(index) - 1}")
            return None
        item_ids = np.empty(len(index), np.int64)
        item_ids[index] = np.fromiter(item_id_map.keys(), np.int64, len(index))
        return item_ids, professions

    def array(self, name: str, a: np.ndarray, sizes: dict[str, int]) -> bool:
        spec = _ARRAYS[name]
        if a.dtype != np.dtype(spec.dtype):
            self.fail(name, f"dtype {a.dtype}, expected {np.dtype(spec.dtype)}")
            return False
        expected = tuple(sizes[d] if d else None for d in spec.dims)
        if a.ndim != len(expected) or any(
            e is not None and e != s for e, s in zip(expected, a.shape, strict=True)
        ):
            shown = ", ".join("*" if e is None else str(e) for e in expected)
            self.fail(name, f"shape {a.shape}, expected ({shown}) for {sizes['items']} items")
            return False
        problem = self.passed_before((name,), (sizes["items"],), lambda: [spec.check(a, sizes["items"])])[0]
        if problem:
            self.fail(name, problem)
            return False
        return True

    def pairs(
        self, name: str, n_items: int, professions: tuple[str, ...], columnar: bool, cross_check: bool
    ) -> dict[str, CsrPairs]:
        """The CSR tables of pair index `name` by profession, as read-only views of its
        memory-mapped arrays (nothing is copied: API workers share the pages).

        The metadata is read from its JSON twin when the run has the companions (`cross_check`:
        and it must equal the pickle), from the pickle otherwise."""
        meta = self.read(L.pair_meta_file(name) if columnar else name, self.json if columnar else self.pickle)
        if meta is None:
            return {}
        if columnar and cross_check:
            pickled = self.read(name, self.pickle)
            if pickled is None:
                return {}
            if pickled != meta:
                self.fail(L.pair_meta_file(name), f"does not hold what {name} holds")
                return {}
            meta = pickled
        if not isinstance(meta, dict) or meta.get("format") != L.PAIRS_FORMAT:
            self.fail(name, f"not a {L.PAIRS_FORMAT!r} pair index")
            return {}
        if meta.get("n_items") != n_items:
            self.fail(name, f"n_items {meta.get('n_items')}, the mapping has {n_items}")
        names = meta.get("professions")
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(p, str) for p in names)
            or len(set(names)) != len(names)
        ):
            self.fail(name, "professions must be a non-empty list of distinct names")
            return {}
        if ANY_PROFESSION not in names:
            self.fail(name, f"no {ANY_PROFESSION} entry")
        if unknown := [p for p in names if p != ANY_PROFESSION and p not in professions]:
            self.fail(name, f"professions unknown to the mapping: {', '.join(map(str, unknown))}")
        problems_before = len(self.problems)
        files = L.pair_array_files(name)
        arrays = {part: self.read(fname, self.npy) for part, fname in files.items()}
        if any(a is None for a in arrays.values()):
            return {}
        for (part, fname), dtype in zip(files.items(), _PAIR_DTYPES, strict=True):
            if arrays[part].dtype != dtype:
                self.fail(fname, f"dtype {arrays[part].dtype}, expected {dtype}")
        indptr, indices, scores = arrays["indptr"], arrays["indices"], arrays["scores"]
        if indptr.shape != (len(names), n_items + 1) or indices.ndim != 1 or scores.ndim != 1:
            self.fail(
                files["indptr"],
                f"shapes {indptr.shape}/{indices.shape}/{scores.shape} (indptr/indices/scores), "
                f"expected ({len(names)}, {n_items + 1}) for {len(names)} professions and 1-d arrays",
            )
        if len(self.problems) > problems_before:
            return {}
        if int(indptr[:, -1].sum()) != len(indices) or len(scores) != len(indices):
            self.fail(name, "the professions' segments do not add up to the indices and scores arrays")
            return {}
        out = {}
        tables = split_professions(names, indptr, indices, scores)
        problems = self.passed_before(
            tuple(files.values()), (n_items, *names), lambda: _csr_problems(list(tables.values()), n_items)
        )
        for (prof, csr), problem in zip(tables.items(), problems, strict=True):
            if problem:
                self.fail(name, f"profession {prof}: {problem}")
            else:
                out[prof] = csr
        return out

    def ease(self, n_items: int) -> CsrPairs | None:
        """The EASE table when the run has one (all three arrays listed, or none of them)."""
        return self.table(n_items, L.EASE_IDX, L.EASE_ARRAYS, "EASE table")

    def substitutes(self, n_items: int) -> CsrPairs | None:
        """The substitute table when the run has one; it must also be symmetrical and hold no
        item as its own substitute (the ranking rules read it both ways)."""
        csr = self.table(n_items, L.SUBSTITUTE_IDX, L.SUBSTITUTE_ARRAYS, "substitute table")
        if csr is None:
            return None
        rows = np.repeat(np.arange(n_items, dtype=np.int64), np.diff(csr.indptr))
        cols = np.asarray(csr.indices, dtype=np.int64)
        if (rows == cols).any():
            self.fail(L.SUBSTITUTE_IDX, "an item is listed as its own substitute")
            return None
        forward = np.sort(rows * n_items + cols)
        backward = np.sort(cols * n_items + rows)
        if not np.array_equal(forward, backward):
            self.fail(L.SUBSTITUTE_IDX, "not symmetrical: b is a substitute of a but a not of b")
            return None
        return csr

    def table(self, n_items: int, stem: str, names: tuple[str, ...], what: str) -> CsrPairs | None:
        """A one-table CSR of the run (all three arrays listed, or none of them)."""
        listed = [name for name in names if name in self.manifest.files]
        if not listed:
            return None
        if len(listed) < len(names):
            missing = sorted(set(names) - set(listed))
            self.fail(stem, f"incomplete {what}: {', '.join(missing)} not in the manifest")
            return None
        arrays = [self.read(name, self.npy) for name in names]
        if any(a is None for a in arrays):
            return None
        if any(a.ndim != 1 for a in arrays):
            self.fail(names[0], f"shapes {[a.shape for a in arrays]}, expected 1-d arrays")
            return None
        csr = CsrPairs(*arrays)
        if problem := self.passed_before(names, (n_items,), lambda: [_csr_problem(csr, n_items)])[0]:
            self.fail(stem, problem)
            return None
        return csr

    def blend(self, has_ease: bool) -> tuple[Any, dict[str, Any]] | None:
        """(LearnedBlend, metadata) of the learned blend when the run has one.

        The model is LightGBM's own text format, parsed by LightGBM (no pickle); its features
        must be ones this code computes (a run fitted before a feature was added reads the ones it
        names), or its trees would read the wrong columns.
        """
        from reco_core.ranking.blend_model import LearnedBlend  # lightgbm: only here

        listed = [name for name in (L.BLEND_MODEL, L.BLEND_META) if name in self.manifest.files]
        if not listed:
            return None
        if len(listed) < 2:
            self.fail(listed[0], f"learned blend incomplete: {L.BLEND_MODEL} and {L.BLEND_META} go together")
            return None
        meta = _json_object(self, L.BLEND_META)
        text = self.read(L.BLEND_MODEL, lambda name: read_verified_bytes(self.run_dir, name, self.manifest))
        if meta is None or text is None:
            return None
        if meta.get("format") != L.BLEND_FORMAT:
            self.fail(L.BLEND_META, f"format {meta.get('format')!r}, expected {L.BLEND_FORMAT!r}")
            return None
        features = meta.get("features")
        if not isinstance(features, list) or not all(isinstance(name, str) for name in features):
            self.fail(L.BLEND_META, f"features must be a list of names, got {features!r}")
            return None
        if not has_ease:
            self.fail(L.BLEND_META, "the learned blend reads the EASE table, which the run does not have")
            return None
        model = self.read(L.BLEND_MODEL, lambda _: text.decode("utf-8"))
        blend = self.read(L.BLEND_MODEL, lambda _: LearnedBlend.from_text(model, features)) if model else None
        if blend is None:
            return None
        return blend, meta

    def model(self, mapping: dict, emb: np.ndarray | None) -> None:
        from lightfm import LightFM  # only the model check needs it

        model = self.read(L.MODEL, self.pickle)
        if model is None:
            return
        if not isinstance(model, LightFM) or getattr(model, "item_embeddings", None) is None:
            self.fail(L.MODEL, f"not a fitted lightfm.LightFM (got {type(model).__name__})")
            return
        n_item_feat, n_user_feat = len(mapping["item_feature_map"]), len(mapping["user_feature_map"])
        d = model.no_components
        if model.item_embeddings.shape != (n_item_feat, d) or model.user_embeddings.shape != (n_user_feat, d):
            self.fail(
                L.MODEL,
                f"embeddings {model.item_embeddings.shape} (items), {model.user_embeddings.shape} "
                f"(users); the mapping has {n_item_feat} item and {n_user_feat} user features",
            )
        elif emb is not None and emb.shape[1] != d:
            self.fail(L.ITEM_EMB_NORM, f"{emb.shape[1]} dimensions, the model has {d} components")


def _is_permutation(order: np.ndarray, n: int) -> bool:
    """Whether int64 `order` holds each of 0..n-1 exactly once."""
    return not (order.min() < 0 or order.max() >= n or (np.bincount(order, minlength=n) != 1).any())


def _id_order_problem(ids: np.ndarray, order: np.ndarray) -> str | None:
    """ITEM_ID_ORDER must be the permutation that sorts ITEM_IDS strictly ("file: why" or None)."""
    if not _is_permutation(order, len(ids)):
        return f"{L.ITEM_ID_ORDER}: not a permutation of the item indices"
    sorted_ids = ids[order]
    if (sorted_ids[1:] <= sorted_ids[:-1]).any():
        return f"{L.ITEM_ID_ORDER}: does not sort {L.ITEM_IDS} strictly (unsorted or repeated ids)"
    return None


def _item_stats_problem(
    stats: np.ndarray, pop_by_prof: np.ndarray, train_pop: np.ndarray, is_pl: np.ndarray
) -> str | None:
    """ITEM_STATS must be exactly what the ranker derives from its sources (by chunks of rows: no
    full-size temporary)."""
    n = len(stats)
    for lo in range(0, n, _CHUNK // 16):
        hi = min(n, lo + _CHUNK // 16)
        if not np.array_equal(
            stats[lo:hi], item_stats(pop_by_prof[:, lo:hi], train_pop[lo:hi], is_pl[lo:hi])
        ):
            return (
                f"{L.ITEM_STATS}: rows {lo}-{hi - 1} differ from what {L.POP_BY_PROF_NORM}, "
                f"{L.TRAIN_POP} and {L.ITEM_IS_PL} give"
            )
    return None


def _pop_order_problem(order: np.ndarray, train_pop: np.ndarray) -> str | None:
    """POP_ORDER must be the items by TRAIN_POP descending, ties by index."""
    if not _is_permutation(order, len(order)):
        return f"{L.POP_ORDER}: not a permutation of the item indices"
    pop = train_pop[order]
    ties = pop[1:] == pop[:-1]
    if (pop[1:] > pop[:-1]).any() or (order[1:][ties] <= order[:-1][ties]).any():
        return f"{L.POP_ORDER}: not the items by {L.TRAIN_POP} descending, ties by index"
    return None


def _csr_problem(csr: CsrPairs, n_items: int) -> str | None:
    indptr, indices, scores = csr.indptr, csr.indices, csr.scores
    if (indptr.dtype, indices.dtype, scores.dtype) != _PAIR_DTYPES:
        return f"dtypes {indptr.dtype}/{indices.dtype}/{scores.dtype}, expected int64/int32/float32"
    if len(indptr) != n_items + 1:
        return f"indptr has {len(indptr)} entries, expected n_items + 1 = {n_items + 1}"
    if (
        indptr[0] != 0
        or (np.diff(indptr) < 0).any()
        or indptr[-1] != len(indices)
        or len(scores) != len(indices)
    ):
        return "indptr is not a valid row pointer for indices and scores"
    # one pass, no temporary: a negative int32 seen as uint32 is above any item index
    if len(indices) and indices.view(np.uint32).max() >= n_items:
        return f"item indices outside [0, {n_items})"
    starts = indptr[1:-1]
    starts = starts[(starts > 0) & (starts < len(scores))]  # where a new row begins (it may start higher)
    # By chunks of 1M scores: tens of millions at 300k products, whose full-size temporaries (a
    # bool per score, twice) cost more in page faults than the comparisons themselves.
    with np.errstate(invalid="ignore"):  # inf - inf in a sum: reported below, not warned
        return _scores_problem(scores, starts)


def _scores_problem(scores: np.ndarray, starts: np.ndarray) -> str | None:
    unsorted = False
    for lo in range(0, len(scores), _CHUNK):
        chunk = scores[lo : lo + _CHUNK + 1]
        # a float64 sum of float32 values cannot overflow: it is finite iff every value is
        if not np.isfinite(chunk.sum(dtype=np.float64)):
            return "scores contains NaN or inf"
        if unsorted:
            continue
        rises = np.flatnonzero(chunk[1:] > chunk[:-1]) + (lo + 1)
        if len(rises):
            at = np.minimum(np.searchsorted(starts, rises), max(len(starts) - 1, 0))
            unsorted = not len(starts) or bool((starts[at] != rises).any())
    return "scores not sorted descending within a row" if unsorted else None


def _csr_problems(tables: list[CsrPairs], n_items: int) -> list[str | None]:
    """_csr_problem of each table, over a few threads: numpy releases the GIL in these loops, and
    the pair tables of a 300k-product run are 2 x 66M scores."""
    if len(tables) < 2:
        return [_csr_problem(csr, n_items) for csr in tables]
    with ThreadPoolExecutor(CHECK_THREADS, "verify", initializer=lower_thread_priority) as pool:
        return list(pool.map(lambda csr: _csr_problem(csr, n_items), tables))


def inspect_run(
    run_dir: Path | str,
    *,
    check_model: bool = True,
    check_raw_pairs: bool = True,
    check_originals: bool = True,
) -> tuple[VerifyReport, VerifiedParts | None]:
    """Verify a run and, when it passes, return what was parsed (None otherwise).

    `check_raw_pairs=False` (loading for serving) leaves pair_boost.pkl.gz at its checksum:
    unpickling it is seconds of GIL-holding work at 300k products for a file serving never reads.
    `check_originals=False` (loading for serving) does the same for the files the columnar
    companions stand for (module doc), when the run has them. The full check (both True) of a
    run whose record says it passed it with these checksums and these checks is done as if both
    were False, model included (full_check); one that passes is recorded.
    """
    run_dir = Path(run_dir).resolve()
    if not run_dir.is_dir():
        return VerifyReport(run_dir, [f"{run_dir}: not a directory"]), None
    manifest, problems = check_manifest(run_dir)
    if manifest is None or problems:  # nothing is parsed, let alone unpickled, from a run that fails
        return VerifyReport(run_dir, problems), None
    c = _Checker(run_dir, manifest)
    columnar = c.columnar_listed()
    if columnar is None:
        return VerifyReport(run_dir, c.problems, c.notes), None
    full = check_originals and check_raw_pairs and columnar
    reused = full_check.read_record(run_dir, manifest, _checks()) if full else None
    if reused is not None and (reused.model_checked or not check_model or model_pickle_disabled()):
        check_originals = check_raw_pairs = check_model = False
        c.notes.append(
            f"the original's files: passed the full check of {reused.checked_at} with these "
            f"checksums ({L.VERIFIED}); not parsed again"
        )
    else:
        reused = None
    originals = check_originals or not columnar
    index = c.columnar_index() if columnar else None
    mapping = None
    if originals:
        mapping = c.read(L.MAPPING, c.pickle)
        from_mapping = c.mapping(mapping) if mapping is not None else None
        if from_mapping is None:
            mapping = None
        elif not columnar:
            index = (from_mapping[0], None, from_mapping[1])
        elif index is not None:
            if not np.array_equal(index[0], from_mapping[0]):
                c.fail(L.ITEM_IDS, f"not the product ids of {L.MAPPING}'s item_id_map by item index")
            if index[2] != from_mapping[1]:
                c.fail(L.ITEM_INDEX, f"professions differ from those of {L.MAPPING}")
    elif reused is None:
        skipped = (L.MAPPING, L.USER_FEATURES, L.ITEM_FEATURES, L.INTERACTIONS, L.PRODUCT_META)
        c.notes.append(
            f"{', '.join(skipped)} and the pair indexes' pickles: checksums verified, not parsed "
            "(serving reads the columnar companions)"
        )
    if index is None or c.problems:  # every other file is indexed on the item index
        return VerifyReport(run_dir, c.problems, c.notes), None
    item_ids, order, professions = index
    sizes = {"items": len(item_ids), "professions": len(professions)}

    arrays = {name: c.read(name, c.npy) for name in _ARRAYS}
    checked = {name: a for name, a in arrays.items() if a is not None and c.array(name, a, sizes)}
    ranker = c.ranker_arrays(checked, sizes) if columnar else None

    if mapping is not None:
        n_users = len(mapping["user_id_map"])
        expected_shapes = {
            L.USER_FEATURES: (n_users, len(mapping["user_feature_map"])),
            L.ITEM_FEATURES: (sizes["items"], len(mapping["item_feature_map"])),
            L.INTERACTIONS: (n_users, sizes["items"]),
        }
        for name, shape in expected_shapes.items():
            matrix = c.read(name, c.npz)
            if matrix is not None and matrix.shape != shape:
                c.fail(name, f"shape {matrix.shape}, expected {shape} from the mapping")
            elif matrix is not None and not np.isfinite(matrix.data).all():
                c.fail(name, "contains NaN or inf")

    pairs = c.pairs(L.PAIR_BOOST_IDX, sizes["items"], professions, columnar, check_originals)
    pairs_rev = c.pairs(L.PAIR_REV_IDX, sizes["items"], professions, columnar, check_originals)
    if check_raw_pairs:  # not served, but a fallback must at least load
        c.read(L.PAIR_BOOST_RAW, c.pickle)
    elif reused is None:
        c.notes.append(f"{L.PAIR_BOOST_RAW}: checksum verified, not unpickled (not read by serving)")

    ease = c.ease(sizes["items"])
    blend = c.blend(ease is not None)
    substitutes = c.substitutes(sizes["items"])
    product_meta = c.product_meta(columnar, check_originals)
    params, versions = (_json_object(c, name) for name in (L.PARAMS, L.VERSIONS))

    model_checked = check_model and not model_pickle_disabled() and mapping is not None
    if model_checked:
        c.model(mapping, checked.get(L.ITEM_EMB_NORM))
    elif reused is None:
        why = f"{DISABLE_MODEL_PICKLE_ENV}=1" if check_model and mapping is not None else "not requested"
        c.notes.append(f"{L.MODEL}: not unpickled ({why}); model check skipped")

    model_checked = model_checked or (reused is not None and reused.model_checked)
    report = VerifyReport(run_dir, c.problems, c.notes, sizes["items"], sizes["professions"], model_checked)
    if full and reused is None and report.ok:
        full_check.write_record(run_dir, manifest, _checks(), model_checked=model_checked)
    if not report.ok or product_meta is None or params is None or versions is None:
        return report, None
    item_ids.setflags(write=False)
    parts = VerifiedParts(
        ItemLookup(item_ids, order),
        professions,
        checked,
        pairs,
        pairs_rev,
        product_meta,
        params,
        versions,
        ease,
        *(blend or (None, None)),
        columnar=columnar,
        item_stats=None if ranker is None else ranker[0],
        pop_order=None if ranker is None else ranker[1],
        substitutes=substitutes,
    )
    return report, parts


@functools.cache
def _checks() -> str:
    """The digest of the code of the full check, which its record names (module full_check)."""
    return full_check.code_digest(__file__, columnar.__file__, pickles.__file__)


def _json_object(c: _Checker, name: str) -> dict[str, Any] | None:
    doc = c.read(name, c.json)
    if doc is not None and not isinstance(doc, dict):
        c.fail(name, "not a JSON object")
        return None
    return doc


def verify_run(run_dir: Path | str, *, check_model: bool = True) -> VerifyReport:
    """Every problem of a run: manifest, then shapes, dtypes and values of what it holds.

    `check_model` unpickles model.pkl to check it against the mapping; DISABLE_MODEL_PICKLE=1
    skips that check whatever the argument (the report's notes say so).
    """
    return inspect_run(run_dir, check_model=check_model)[0]
