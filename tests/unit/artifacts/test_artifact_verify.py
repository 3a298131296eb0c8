"""verify_run: a damaged run is reported, and refused by promotion and loading alike."""

from __future__ import annotations

import ast
import gzip
import io
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from helpers.random_blend import random_blend
from helpers.tiny_run import make_tiny_run, replace_array, replace_file, replace_pickle

from reco_core.artifacts import layout as L
from reco_core.artifacts import verify as V
from reco_core.artifacts.loader import load_run
from reco_core.artifacts.manifest import write_manifest
from reco_core.artifacts.store import promote
from reco_core.artifacts.verify import verify_run
from reco_core.errors import ArtifactError
from reco_core.ranking.blend_model import FEATURE_NAMES
from reco_core.training.run_writer import save_json, save_pair_index


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


DAMAGES = {"truncated": _truncate, "emptied": lambda data: b"", "flipped": _flip, "missing": None}


def _assert_refused(run_dir, root, needle: str) -> None:
    with pytest.raises(ArtifactError, match="fails verification") as promoted:
        promote(root, run_dir)
    assert needle in str(promoted.value)
    assert not (root / L.CURRENT_LINK).is_symlink()
    with pytest.raises(ArtifactError, match="refusing to load") as loaded:
        load_run(run_dir)
    assert needle in str(loaded.value)


def test_the_tiny_run_verifies(run_dir):
    report = verify_run(run_dir)
    assert report.ok, report.problems
    assert (report.n_items, report.n_professions, report.model_checked) == (6, 2, True)
    assert report.notes == [] and report.run_id == run_dir.name


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("name", (*L.RUN_FILES, *L.COLUMNAR_FILES))
def test_a_damaged_file_is_reported_and_refused(run_dir, root, name, damage):
    path = run_dir / name
    if DAMAGES[damage] is None:
        path.unlink()
    else:
        path.write_bytes(DAMAGES[damage](path.read_bytes()))
    expected = {
        "missing": f"{name}: missing",
        "flipped": f"{name}: sha256 mismatch",
    }.get(damage, f"{name}: size ")
    report = verify_run(run_dir)
    assert not report.ok and len(report.problems) == 1
    assert report.problems[0].startswith(expected)
    _assert_refused(run_dir, root, expected)


def test_nothing_is_unpickled_from_a_run_whose_manifest_fails(run_dir, evil_pickle):
    data, marker = evil_pickle
    replace_file(run_dir, L.MAPPING, data)
    (run_dir / L.VERSIONS).write_text("{}")  # any other file out of step with the manifest
    assert not verify_run(run_dir).ok
    assert not marker.exists()


ARRAY_NAMES = list(L.PRECOMPUTED)
WRONG_DTYPE = {np.float32: np.float64, np.int32: np.int64, np.int64: np.int32, np.int8: np.int16}


@pytest.mark.parametrize("name", ARRAY_NAMES)
def test_wrong_dtype_with_a_matching_manifest(run_dir, root, name):
    a = np.load(run_dir / name)
    replace_array(run_dir, name, a.astype(WRONG_DTYPE[a.dtype.type]))
    problems = verify_run(run_dir).problems
    assert problems == [f"{name}: dtype {np.dtype(WRONG_DTYPE[a.dtype.type])}, expected {a.dtype}"]
    _assert_refused(run_dir, root, f"{name}: dtype")


@pytest.mark.parametrize("reshape", [lambda a: a[:-1], lambda a: a[None], lambda a: a.reshape(-1)[:-1]])
@pytest.mark.parametrize("name", ARRAY_NAMES)
def test_wrong_shape_with_a_matching_manifest(run_dir, root, name, reshape):
    replace_array(run_dir, name, np.ascontiguousarray(reshape(np.load(run_dir / name))))
    problems = verify_run(run_dir).problems
    assert len(problems) == 1 and problems[0].startswith(f"{name}: shape ")
    _assert_refused(run_dir, root, f"{name}: shape")


def _set(name, index, value):
    def change(a):
        a = a.copy()
        a[index] = value
        return a

    return name, change


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (*_set(L.ITEM_EMB_NORM, (0, 0), np.nan), "contains NaN or inf"),
        (*_set(L.ITEM_EMB_NORM, 1, 0.3), "1 non-zero rows are not L2-normalised (e.g. norm 0.6)"),
        (*_set(L.TRAIN_POP, 0, np.inf), "contains NaN or inf"),
        (*_set(L.TRAIN_POP, 0, 1.5), "values outside [0, 1]"),
        (*_set(L.POP_BY_PROF_NORM, (1, 2), -0.1), "values outside [0, 1]"),
        (*_set(L.TOP_POPP_BY_PROF, (0, 0), 6), "item indices outside [-1, 6)"),
        (*_set(L.TOP_POPP_BY_PROF, (0, 0), -2), "item indices outside [-1, 6)"),
        (*_set(L.ITEM_TO_GAMME, 0, -5), "gamme ids below -1"),
        (*_set(L.ITEM_IS_PL, 0, 2), "values other than 0 and 1"),
    ],
)
def test_values_out_of_range(run_dir, name, change, message):
    replace_array(run_dir, name, change(np.load(run_dir / name)))
    [problem] = verify_run(run_dir).problems
    assert problem.startswith(f"{name}: {message}")


def test_an_all_zero_embedding_row_is_allowed(run_dir):
    emb = np.load(run_dir / L.ITEM_EMB_NORM)
    emb[2] = 0
    replace_array(run_dir, L.ITEM_EMB_NORM, emb)
    assert verify_run(run_dir).ok


def _pairs(run_dir, name):
    """(metadata, arrays by part) of a pair index, as training.pairs.to_index returns them."""
    meta = pickle.loads((run_dir / name).read_bytes())
    return meta, {part: np.load(run_dir / f) for part, f in L.pair_array_files(name).items()}


def _any_segment(meta, arrays):
    """(row, start, stop): the ANY profession's indptr row and its segment of indices/scores."""
    row = meta["professions"].index("ANY")
    start = int(arrays["indptr"][:row, -1].sum())
    return row, start, start + int(arrays["indptr"][row, -1])


def _break_indices(meta, arrays):
    arrays["indices"][_any_segment(meta, arrays)[1]] = meta["n_items"]


def _break_indptr(meta, arrays):
    arrays["indptr"] = arrays["indptr"][:, :-1]


def _break_order(meta, arrays):
    row, start, _ = _any_segment(meta, arrays)
    first = start + int(arrays["indptr"][row, 0])
    assert arrays["indptr"][row, 1] >= 2, "the tiny run should have a first row with two pairs"
    arrays["scores"][first : first + 2] = [0.1, 0.9]


def _break_dtype(meta, arrays):
    arrays["indices"] = arrays["indices"].astype(np.int64)


def _break_segments(meta, arrays):
    arrays["indices"], arrays["scores"] = arrays["indices"][:-1], arrays["scores"][:-1]


def _drop_any(meta, arrays):
    row, start, stop = _any_segment(meta, arrays)
    meta["professions"].pop(row)
    arrays["indptr"] = np.delete(arrays["indptr"], row, axis=0)
    for part in ("indices", "scores"):
        arrays[part] = np.delete(arrays[part], np.arange(start, stop))


def _unknown_profession(meta, arrays):
    meta["professions"][meta["professions"].index("PLOMBIER")] = "ASTRONAUTE"


def _wrong_n_items(meta, arrays):
    meta["n_items"] += 1


@pytest.mark.parametrize(
    ("damage", "file_part", "message"),
    [
        (_break_indices, "", "profession ANY: item indices outside [0, 6)"),
        (_break_indptr, ".indptr.npy", "shapes (3, 6)/"),
        (_break_order, "", "profession ANY: scores not sorted descending within a row"),
        (_break_dtype, ".indices.npy", "dtype int64, expected int32"),
        (_break_segments, "", "segments do not add up to the indices and scores arrays"),
        (_drop_any, "", "no ANY entry"),
        (_unknown_profession, "", "professions unknown to the mapping: ASTRONAUTE"),
        (_wrong_n_items, "", "n_items 7, the mapping has 6"),
    ],
)
@pytest.mark.parametrize("name", [L.PAIR_BOOST_IDX, L.PAIR_REV_IDX])
def test_inconsistent_pair_index(run_dir, root, name, damage, file_part, message):
    meta, arrays = _pairs(run_dir, name)
    damage(meta, arrays)
    save_pair_index(run_dir, name, (meta, arrays))
    save_json(run_dir, L.pair_meta_file(name), meta)  # the JSON twin serving reads says the same
    write_manifest(run_dir)
    problems = verify_run(run_dir).problems
    where = name.removesuffix(".pkl") + file_part if file_part else name
    assert len(problems) == 1 and problems[0].startswith(f"{where}: ") and message in problems[0]
    _assert_refused(run_dir, root, message)


def test_mapping_whose_item_indices_are_not_a_permutation(run_dir):
    mapping = pickle.loads((run_dir / L.MAPPING).read_bytes())
    first = next(iter(mapping["item_id_map"]))
    mapping["item_id_map"][first] = 99
    replace_pickle(run_dir, L.MAPPING, mapping)
    assert verify_run(run_dir).problems == ["mapping.pkl: item_id_map values are not the item indices 0..5"]


def test_mapping_with_professions_of_another_length_than_the_arrays(run_dir):
    mapping = pickle.loads((run_dir / L.MAPPING).read_bytes())
    mapping["professions"].append("CARRELEUR")
    index = json.loads((run_dir / L.ITEM_INDEX).read_text())
    index["professions"].append("CARRELEUR")  # the columnar twin says the same
    save_json(run_dir, L.ITEM_INDEX, index)
    replace_pickle(run_dir, L.MAPPING, mapping)
    problems = verify_run(run_dir).problems
    assert {p.split(":")[0] for p in problems} == {L.POP_BY_PROF_NORM, L.TOP_POPP_BY_PROF}


def test_sparse_matrix_of_the_wrong_shape(run_dir):
    buffer = io.BytesIO()
    sp.save_npz(buffer, sp.identity(5, format="csr"))
    replace_file(run_dir, L.ITEM_FEATURES, buffer.getvalue())
    [problem] = verify_run(run_dir).problems
    assert problem.startswith("item_features.npz: shape (5, 5), expected (6, ")


def test_a_model_that_is_not_a_lightfm_model(run_dir):
    replace_pickle(run_dir, L.MODEL, {"not": "a model"})
    assert verify_run(run_dir).problems == ["model.pkl: not a fitted lightfm.LightFM (got dict)"]
    assert verify_run(run_dir, check_model=False).ok


@pytest.mark.parametrize(
    "name", [L.MAPPING, L.MODEL, L.PAIR_BOOST_IDX, L.PAIR_REV_IDX, L.PAIR_BOOST_RAW, L.PARAMS, L.VERSIONS]
)
def test_a_file_that_holds_nothing_is_refused(run_dir, root, name):
    """A pickled None or a JSON null is not taken for a file that failed to read and then skipped."""
    empty = {".json": b"null", ".gz": gzip.compress(pickle.dumps(None))}.get(
        Path(name).suffix, pickle.dumps(None)
    )
    replace_file(run_dir, name, empty)
    assert verify_run(run_dir).problems == [f"{name}: holds nothing (None)"]
    with pytest.raises(ArtifactError, match="holds nothing"):
        promote(root, run_dir)


def test_disable_model_pickle_never_unpickles_the_model(run_dir, evil_pickle, monkeypatch):
    data, marker = evil_pickle
    replace_file(run_dir, L.MODEL, data)  # checksums match: only the env var stands in the way
    monkeypatch.setenv("DISABLE_MODEL_PICKLE", "1")
    report = verify_run(run_dir)
    assert report.ok and not report.model_checked
    assert report.notes == ["model.pkl: not unpickled (DISABLE_MODEL_PICKLE=1); model check skipped"]
    assert not marker.exists()


def test_check_model_false_says_the_check_was_skipped(run_dir):
    report = verify_run(run_dir, check_model=False)
    assert report.ok and report.notes == ["model.pkl: not unpickled (not requested); model check skipped"]


def _swap_mapping_after_the_manifest_check(run_dir, data, monkeypatch) -> None:
    """Each manifest check sees the original mapping.pkl; `data` replaces it right after."""
    real, original = V.check_manifest, (run_dir / L.MAPPING).read_bytes()

    def verify_then_swap(path):
        (run_dir / L.MAPPING).write_bytes(original)
        result = real(path)
        (run_dir / L.MAPPING).write_bytes(data)
        return result

    monkeypatch.setattr(V, "check_manifest", verify_then_swap)


def test_a_pickle_swapped_after_verification_is_not_unpickled(run_dir, evil_pickle, monkeypatch):
    """The race: the manifest verifies, then mapping.pkl is replaced before it is unpickled."""
    data, marker = evil_pickle
    _swap_mapping_after_the_manifest_check(run_dir, data, monkeypatch)
    assert verify_run(run_dir).problems == [
        "mapping.pkl: content changed since the manifest was verified; refusing to load it"
    ]
    assert not marker.exists()
    load_run(run_dir)  # serving reads the columnar companions: mapping.pkl is not even opened
    assert not marker.exists()


def test_a_pickle_swapped_after_verification_is_not_unpickled_by_loading_an_older_run(
    root, evil_pickle, monkeypatch
):
    """The same race on a run without the columnar companions: loading it reads mapping.pkl."""
    run_dir = make_tiny_run(root, columnar=False)
    data, marker = evil_pickle
    _swap_mapping_after_the_manifest_check(run_dir, data, monkeypatch)
    with pytest.raises(ArtifactError, match=re.escape("mapping.pkl: content changed")):
        load_run(run_dir)
    assert not marker.exists()


def test_not_a_directory(tmp_path):
    assert verify_run(tmp_path / "nowhere").problems == [f"{tmp_path / 'nowhere'}: not a directory"]


def test_only_the_pickles_module_imports_pickle():
    """Every unpickle must go through load_verified_pickle: no other module may even import pickle."""
    package = Path(V.__file__).parent
    importers = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n.split(".")[0] in {"pickle", "_pickle", "dill", "joblib"} for n in names):
                importers.add(path.name)
    assert importers == {"pickles.py"}


# --- the optional files of the learned relevance (layout.OPTIONAL_FILES) ----------------------
def test_the_learned_relevance_is_loaded_with_the_run(run_dir):
    run = load_run(run_dir)
    assert run.ease is not None and len(run.ease.indptr) == run.n_items + 1
    assert run.blend is not None and run.blend_meta["format"] == L.BLEND_FORMAT


def test_a_run_without_the_optional_files_verifies_and_loads_without_them(run_dir):
    for name in L.OPTIONAL_FILES:
        (run_dir / name).unlink()
    write_manifest(run_dir)
    assert verify_run(run_dir).ok
    run = load_run(run_dir)
    assert run.ease is None and run.blend is None and run.substitutes is None


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ((L.EASE_ARRAYS[1],), "incomplete EASE table"),
        ((L.BLEND_META,), "learned blend incomplete"),
        (L.EASE_ARRAYS, "reads the EASE table, which the run does not have"),
    ],
)
def test_a_partial_learned_relevance_is_refused(run_dir, root, remove, message):
    for name in remove:
        (run_dir / name).unlink()
    write_manifest(run_dir)
    _assert_refused(run_dir, root, message)


def test_a_blend_computed_on_other_features_is_refused(run_dir, root):
    meta = (run_dir / L.BLEND_META).read_text().replace('"pair_rel"', '"pair_max"')
    replace_file(run_dir, L.BLEND_META, meta.encode())
    _assert_refused(run_dir, root, "this code computes")


def test_a_blend_fitted_on_fewer_features_is_served_on_its_own_columns(run_dir):
    """A run trained before a feature was added stays servable after the upgrade."""
    older = FEATURE_NAMES[:13]
    model, meta = random_blend(names=older)
    replace_file(run_dir, L.BLEND_MODEL, model.encode())
    replace_file(run_dir, L.BLEND_META, json.dumps(meta).encode())
    blend = load_run(run_dir).blend
    x = np.random.default_rng(3).random((6, len(FEATURE_NAMES))).astype(np.float32)
    assert blend.score(x) == pytest.approx(blend.booster.predict(x[:, :13], raw_score=True))


def test_a_blend_whose_model_reads_another_number_of_features_is_refused(run_dir, root):
    meta = json.loads((run_dir / L.BLEND_META).read_text())
    meta["features"] = meta["features"][:-1]
    replace_file(run_dir, L.BLEND_META, json.dumps(meta).encode())
    _assert_refused(run_dir, root, "its metadata names")


def test_a_blend_model_that_lightgbm_cannot_parse_is_refused(run_dir, root):
    replace_file(run_dir, L.BLEND_MODEL, b"tree\nnot a model\n")
    _assert_refused(run_dir, root, L.BLEND_MODEL)


def test_the_substitute_table_is_loaded_memory_mapped_with_the_run(run_dir):
    run = load_run(run_dir)
    assert run.substitutes is not None and run.substitutes.row(0)[0].tolist() == [3]
    assert run.substitutes.row(3)[0].tolist() == [0]
    assert isinstance(run.substitutes.indices, np.memmap)
    assert set(L.SUBSTITUTE_ARRAYS) <= set(json.loads((run_dir / L.MANIFEST).read_text())["files"])


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([(0, 3), (3, 3)], "its own substitute"),
        (None, "not symmetrical"),
    ],
)
def test_a_substitute_table_that_serving_would_misread_is_refused(run_dir, root, pairs, message):
    if pairs is None:  # 0 -> 3 without 3 -> 0
        arrays = (np.array([0, 1] + [1] * 5, np.int64)[:7], np.array([3], np.int32), np.ones(1, np.float32))
    else:
        rows = np.array([a for a, _ in pairs], np.int64)
        indptr = np.searchsorted(rows, np.arange(7), side="left").astype(np.int64)
        arrays = (indptr, np.array([b for _, b in pairs], np.int32), np.ones(len(pairs), np.float32))
    for name, array in zip(L.SUBSTITUTE_ARRAYS, arrays, strict=True):
        replace_array(run_dir, name, array)
    _assert_refused(run_dir, root, message)


def test_an_incomplete_substitute_table_is_refused(run_dir, root):
    (run_dir / L.SUBSTITUTE_ARRAYS[2]).unlink()
    write_manifest(run_dir)
    _assert_refused(run_dir, root, "incomplete substitute table")


def test_an_ease_table_with_items_outside_the_run_is_refused(run_dir, root):
    indices = np.load(run_dir / L.EASE_ARRAYS[1])
    indices[0] = 10_000
    replace_array(run_dir, L.EASE_ARRAYS[1], indices)
    _assert_refused(run_dir, root, "item indices outside")


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_the_pair_table_checks_by_chunks_find_what_whole_array_checks_find(monkeypatch, chunk):
    """Scores are checked by chunks (no full-size temporaries): rows straddling chunk boundaries,
    empty rows, NaN anywhere give the answer the whole-array check gave."""
    monkeypatch.setattr(V, "_CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    for _ in range(400):
        n = int(rng.integers(1, 8))
        indptr = np.concatenate([[0], np.cumsum(rng.integers(0, 5, n))]).astype(np.int64)
        scores = rng.random(int(indptr[-1])).astype(np.float32)
        for i in range(n):
            scores[indptr[i] : indptr[i + 1]] = np.sort(scores[indptr[i] : indptr[i + 1]])[::-1]
        if len(scores) > 1 and rng.random() < 0.5:
            scores[rng.integers(len(scores))] = rng.random()
        if len(scores) and rng.random() < 0.1:
            scores[rng.integers(len(scores))] = np.nan
        if not np.isfinite(scores).all():
            expected = "scores contains NaN or inf"
        else:
            rises, starts = np.diff(scores) > 0, indptr[1:-1]
            rises[starts[(starts > 0) & (starts < len(scores))] - 1] = False
            expected = "scores not sorted descending within a row" if rises.any() else None
        table = V.CsrPairs(indptr, np.zeros(len(scores), np.int32), scores)
        assert V._csr_problem(table, n) == expected, (indptr, scores)
