"""Verification of a run: manifest first, then the consistency of what the files hold.

Checksums prove the files are the ones the trainer wrote; they do not prove the trainer wrote
something serving can use. So once (and only once) the manifest verifies, every file is parsed
and checked against the item index of mapping.pkl: shapes, dtypes, no NaN/inf, value ranges.
The objects parsed here are handed to the loader, so a run is read once to be verified and
loaded.
"""

from __future__ import annotations

import gzip
import json
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from reco_core.artifacts import layout as L
from reco_core.artifacts.manifest import Manifest, check_manifest, read_verified_bytes
from reco_core.artifacts.pickles import DISABLE_MODEL_PICKLE_ENV, load_verified_pickle, model_pickle_disabled
from reco_core.artifacts.run import CsrPairs, split_professions
from reco_core.columns import ANY_PROFESSION
from reco_core.errors import ArtifactError

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

    item_ids: np.ndarray
    professions: tuple[str, ...]
    arrays: dict[str, np.ndarray]
    pairs: dict[str, CsrPairs]
    pairs_rev: dict[str, CsrPairs]
    product_meta: dict[int, dict[str, Any]]
    params: dict[str, Any]
    versions: dict[str, Any]
    ease: CsrPairs | None = None
    blend: Any = None  # LearnedBlend
    blend_meta: dict[str, Any] | None = None
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
    norms = np.linalg.norm(a, axis=1)
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
        try:
            return reader(name)
        except ArtifactError as exc:
            self.problems.append(str(exc))
        except Exception as exc:  # a file that does not parse is a verification problem, not a crash
            self.fail(name, f"cannot be read ({type(exc).__name__}: {exc})")
        return None

    # --- readers -------------------------------------------------------------------------
    def pickle(self, name: str) -> Any:
        return load_verified_pickle(self.run_dir, name, self.manifest)

    def npy(self, name: str) -> np.ndarray:
        return np.load(self.run_dir / name, mmap_mode="r", allow_pickle=False)

    def npz(self, name: str) -> sp.sparray | sp.spmatrix:
        return sp.load_npz(self.run_dir / name)

    def json(self, name: str) -> Any:
        data = read_verified_bytes(self.run_dir, name, self.manifest)
        return json.loads(gzip.decompress(data) if name.endswith(".gz") else data)

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
        professions = mapping["professions"]
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
        item_id_map = mapping["item_id_map"]
        if not item_id_map or not all(_is_int(k) and _is_int(v) for k, v in item_id_map.items()):
            self.fail(name, "item_id_map must map integer product ids to integer item indices")
            return None
        index = np.fromiter(item_id_map.values(), np.int64, len(item_id_map))
        if not np.array_equal(np.sort(index), np.arange(len(index))):
            self.fail(name, f"item_id_map values are not the item indices 0..{len(index) - 1}")
            return None
        item_ids = np.empty(len(index), np.int64)
        item_ids[index] = np.fromiter(item_id_map.keys(), np.int64, len(index))
        return item_ids, tuple(professions)

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
        if problem := spec.check(a, sizes["items"]):
            self.fail(name, problem)
            return False
        return True

    def pairs(self, name: str, n_items: int, professions: tuple[str, ...]) -> dict[str, CsrPairs]:
        """The CSR tables of pair index `name` by profession, as read-only views of its
        memory-mapped arrays (nothing is copied: API workers share the pages)."""
        meta = self.read(name, self.pickle)
        if meta is None:
            return {}
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
        for prof, csr in split_professions(names, indptr, indices, scores).items():
            if problem := _csr_problem(csr, n_items):
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
        if problem := _csr_problem(csr, n_items):
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
    if len(indices) and (indices.min() < 0 or indices.max() >= n_items):
        return f"item indices outside [0, {n_items})"
    if problem := _finite(scores):
        return f"scores {problem}"
    rises = np.diff(scores) > 0
    starts = indptr[1:-1]
    rises[starts[(starts > 0) & (starts < len(scores))] - 1] = False  # a new row may start higher
    return "scores not sorted descending within a row" if rises.any() else None


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def inspect_run(
    run_dir: Path | str, *, check_model: bool = True, check_raw_pairs: bool = True
) -> tuple[VerifyReport, VerifiedParts | None]:
    """Verify a run and, when it passes, return what was parsed (None otherwise).

    `check_raw_pairs=False` (loading for serving) leaves pair_boost.pkl.gz at its checksum:
    unpickling it is seconds of GIL-holding work at 300k products for a file serving never reads.
    """
    run_dir = Path(run_dir).resolve()
    if not run_dir.is_dir():
        return VerifyReport(run_dir, [f"{run_dir}: not a directory"]), None
    manifest, problems = check_manifest(run_dir)
    if manifest is None or problems:  # nothing is parsed, let alone unpickled, from a run that fails
        return VerifyReport(run_dir, problems), None
    c = _Checker(run_dir, manifest)
    mapping = c.read(L.MAPPING, c.pickle)
    index = c.mapping(mapping) if mapping is not None else None
    if index is None:  # every other file is indexed on the mapping: nothing more can be checked
        return VerifyReport(run_dir, c.problems), None
    item_ids, professions = index
    sizes = {"items": len(item_ids), "professions": len(professions)}

    arrays = {name: c.read(name, c.npy) for name in _ARRAYS}
    checked = {name: a for name, a in arrays.items() if a is not None and c.array(name, a, sizes)}

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

    pairs = c.pairs(L.PAIR_BOOST_IDX, sizes["items"], professions)
    pairs_rev = c.pairs(L.PAIR_REV_IDX, sizes["items"], professions)
    if check_raw_pairs:  # not served, but a fallback must at least load
        c.read(L.PAIR_BOOST_RAW, c.pickle)
    else:
        c.notes.append(f"{L.PAIR_BOOST_RAW}: checksum verified, not unpickled (not read by serving)")

    ease = c.ease(sizes["items"])
    blend = c.blend(ease is not None)
    substitutes = c.substitutes(sizes["items"])
    product_meta = _product_meta(c)
    params, versions = (_json_object(c, name) for name in (L.PARAMS, L.VERSIONS))

    model_checked = check_model and not model_pickle_disabled()
    if model_checked:
        c.model(mapping, checked.get(L.ITEM_EMB_NORM))
    else:
        why = f"{DISABLE_MODEL_PICKLE_ENV}=1" if check_model else "not requested"
        c.notes.append(f"{L.MODEL}: not unpickled ({why}); model check skipped")

    report = VerifyReport(run_dir, c.problems, c.notes, sizes["items"], sizes["professions"], model_checked)
    if not report.ok or product_meta is None or params is None or versions is None:
        return report, None
    parts = VerifiedParts(
        item_ids,
        professions,
        checked,
        pairs,
        pairs_rev,
        product_meta,
        params,
        versions,
        ease,
        *(blend or (None, None)),
        substitutes,
    )
    return report, parts


def _product_meta(c: _Checker) -> dict[int, dict[str, Any]] | None:
    meta = c.read(L.PRODUCT_META, c.json)
    if meta is None:
        return None
    if not isinstance(meta, dict) or not all(isinstance(v, dict) for v in meta.values()):
        c.fail(L.PRODUCT_META, "not an object of product id -> object")
        return None
    try:
        return {int(pid): fields for pid, fields in meta.items()}
    except ValueError:
        c.fail(L.PRODUCT_META, "keys must be integer product ids")
        return None


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
