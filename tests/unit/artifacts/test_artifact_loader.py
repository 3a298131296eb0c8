"""load_run: what serving gets from a verified run, read-only and without the model pickle."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from helpers.tiny_run import product_id, replace_array, replace_file

from reco_core.artifacts import layout as L
from reco_core.artifacts.loader import load_run
from reco_core.artifacts.run import CsrPairs
from reco_core.artifacts.verify import verify_run
from reco_core.errors import ArtifactError


def test_load_run_maps_item_indices_to_product_ids(run_dir):
    run = load_run(run_dir)
    assert run.run_id == run_dir.name and run.run_dir == run_dir.resolve()
    assert run.item_ids.dtype == np.int64
    assert run.item_ids.tolist() == [product_id(i) for i in range(6)]
    assert run.item_index == {product_id(i): i for i in range(6)}
    assert run.professions == ("PLAQUISTE", "PLOMBIER")
    assert run.n_items == 6
    assert run.product_meta[product_id(0)]["LIB_PRODUIT"] == f"Produit {product_id(0)}"
    assert run.params["run_id"] == run_dir.name and run.versions == {"reco_materiaux": "test"}


def test_arrays_are_read_only_memory_maps_equal_to_the_files(run_dir):
    run = load_run(run_dir)
    for name, array in {
        L.ITEM_EMB_NORM: run.item_emb_norm,
        L.TRAIN_POP: run.train_pop,
        L.POP_BY_PROF_NORM: run.pop_by_prof_norm,
        L.TOP_POPP_BY_PROF: run.top_popp_by_prof,
        L.ITEM_TO_GAMME: run.item_to_gamme,
        L.ITEM_IS_PL: run.item_is_pl,
    }.items():
        assert isinstance(array, np.memmap) and not array.flags.writeable, name
        np.testing.assert_array_equal(array, np.load(run_dir / name))
    with pytest.raises(ValueError, match="read-only"):
        run.item_ids[0] = 1


def test_pairs_are_read_only_views_of_the_memory_mapped_arrays(run_dir):
    run = load_run(run_dir)
    meta = pickle.loads((run_dir / L.PAIR_REV_IDX).read_bytes())
    files = L.pair_array_files(L.PAIR_REV_IDX)
    indptr, indices, scores = (np.load(run_dir / files[part]) for part in L.PAIR_ARRAY_PARTS)
    assert list(run.pairs_rev) == meta["professions"]
    assert set(run.pairs) == set(run.pairs_rev) == {"PLAQUISTE", "PLOMBIER", "ANY"}
    offset = 0
    for row, prof in enumerate(meta["professions"]):
        table = run.pairs_rev[prof]
        assert all(isinstance(a, np.memmap) for a in (table.indptr, table.indices, table.scores))
        np.testing.assert_array_equal(table.indptr, indptr[row])
        for i in range(run.n_items):
            start, stop = offset + indptr[row, i], offset + indptr[row, i + 1]
            np.testing.assert_array_equal(table.row(i)[0], indices[start:stop])
            np.testing.assert_array_equal(table.row(i)[1], scores[start:stop])
        offset += indptr[row, -1]
    assert offset == len(indices)
    assert sum(run.pairs["ANY"].row(i)[0].size for i in range(6)) == run.pairs["ANY"].nnz > 0
    with pytest.raises(ValueError, match="read-only"):
        run.pairs["ANY"].scores[0] = 1.0


def test_load_run_checks_the_raw_pairs_by_checksum_only(run_dir, evil_pickle):
    data, marker = evil_pickle
    replace_file(run_dir, L.PAIR_BOOST_RAW, data)
    load_run(run_dir)  # serving never reads the raw pairs: it does not unpickle them
    assert not marker.exists()
    assert any(p.startswith(L.PAIR_BOOST_RAW) for p in verify_run(run_dir).problems)
    assert not marker.exists()


def test_csr_pairs_row():
    pairs = CsrPairs(
        np.array([0, 2, 2, 3]), np.array([1, 2, 0], np.int32), np.array([0.9, 0.5, 0.7], np.float32)
    )
    assert [pairs.row(i)[0].tolist() for i in range(3)] == [[1, 2], [], [0]]
    assert pairs.row(0)[1].tolist() == pytest.approx([0.9, 0.5])


def test_run_artifacts_are_frozen(run_dir):
    run = load_run(run_dir)
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.run_id = "other"  # type: ignore[misc]


def test_load_run_never_unpickles_the_model(run_dir, evil_pickle):
    data, marker = evil_pickle
    replace_file(run_dir, L.MODEL, data)
    load_run(run_dir)
    assert not marker.exists()


def test_tables_checked_once_per_content_and_again_when_it_changes(add_run, monkeypatch):
    """A worker reloading a run it has checked does not read its pair tables' scores again; the
    cache is keyed on the files' verified digests, so a run whose table changed is checked and
    refused even right after the intact one passed."""
    from reco_core.artifacts import verify as V

    checked: list[int] = []
    real = V._csr_problem
    monkeypatch.setattr(V, "_csr_problem", lambda csr, n: checked.append(len(csr.scores)) or real(csr, n))
    monkeypatch.setattr(V, "_PASSED", V._PassedChecks(size=16))
    intact, damaged = add_run("run_intact"), add_run("run_damaged")
    load_run(intact)
    first = len(checked)
    assert first > 0
    load_run(intact)
    load_run(damaged)  # other files, same contents: their digests passed already
    assert len(checked) == first

    scores_file = L.pair_array_files(L.PAIR_BOOST_IDX)["scores"]
    scores = np.load(damaged / scores_file)
    scores[0] = np.nan
    replace_array(damaged, scores_file, scores)
    with pytest.raises(ArtifactError, match="NaN or inf"):
        load_run(damaged)
    assert len(checked) > first


def test_array_and_index_checks_remembered_by_content_and_run_again_when_it_changes(add_run, monkeypatch):
    """The same for the precomputed arrays' value checks, the columnar id index and the ranker
    arrays: a reload of known contents reads none of them again; an embedding row that is no
    longer unit-norm, in files whose digests the manifest now lists, is checked and refused."""
    from reco_core.artifacts import verify as V

    calls: list[str] = []
    for name in ("_unit_rows", "_id_order_problem", "_item_stats_problem", "_pop_order_problem"):
        real = getattr(V, name)
        monkeypatch.setattr(V, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    spec = dataclasses.replace(V._ARRAYS[L.ITEM_EMB_NORM], check=V._unit_rows)  # holds the function
    monkeypatch.setitem(V._ARRAYS, L.ITEM_EMB_NORM, spec)
    monkeypatch.setattr(V, "_PASSED", V._PassedChecks(size=64))
    intact, damaged = add_run("run_intact"), add_run("run_damaged")
    load_run(intact)
    assert sorted(set(calls)) == [
        "_id_order_problem",
        "_item_stats_problem",
        "_pop_order_problem",
        "_unit_rows",
    ]
    calls.clear()
    load_run(intact)
    load_run(damaged)
    assert calls == []

    emb = np.load(damaged / L.ITEM_EMB_NORM)
    emb[0] *= 2.0
    replace_array(damaged, L.ITEM_EMB_NORM, emb)
    with pytest.raises(ArtifactError, match="not L2-normalised"):
        load_run(damaged)
    assert calls == ["_unit_rows"]
