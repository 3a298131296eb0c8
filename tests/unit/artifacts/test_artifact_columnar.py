"""The columnar companions of a run: the id lookup, the product metadata columns, their checks,
and that serving loads a run from them without unpickling anything."""

from __future__ import annotations

import gzip
import json
import logging

import numpy as np
import pytest
from helpers.tiny_run import make_tiny_run, product_id, replace_array, replace_file

from reco_core.artifacts import columnar as CO
from reco_core.artifacts import layout as L
from reco_core.artifacts import pickles
from reco_core.artifacts import verify as V
from reco_core.artifacts.columnar import ItemLookup, ProductMeta, product_meta_table
from reco_core.artifacts.loader import load_run
from reco_core.artifacts.manifest import write_manifest
from reco_core.artifacts.store import promote
from reco_core.artifacts.verify import verify_run
from reco_core.errors import ArtifactError
from reco_core.training.run_writer import save_json


# --- ItemLookup ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ids() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.choice(np.arange(-50_000, 10**12, 997, dtype=np.int64), 5000, replace=False)


def test_the_lookup_answers_like_the_dict_it_replaces(ids):
    lookup, expected = ItemLookup(ids), {int(pid): i for i, pid in enumerate(ids.tolist())}
    assert len(lookup) == len(expected) and list(lookup) == list(expected)
    assert all(lookup[pid] == i and pid in lookup and lookup.get(pid) == i for pid, i in expected.items())
    assert lookup == expected  # the Mapping protocol: equal to the dict


@pytest.mark.parametrize("key", [-1, 3, 10**12 + 1, 2**70, -(2**70), "1", 1.0, None, True, (1,)])
def test_an_unknown_or_foreign_key_is_not_found(key):
    lookup = ItemLookup(np.array([5, 1, 9, 0], dtype=np.int64))
    assert key not in lookup and lookup.get(key) is None and lookup.get(key, -7) == -7
    with pytest.raises(KeyError):
        lookup[key]
    assert lookup[np.int64(9)] == 2 and lookup[0] == 3


def test_positions_are_vectorised_with_minus_one_for_unknown_ids(ids):
    lookup = ItemLookup(ids, np.argsort(ids))
    rng = np.random.default_rng(4)
    unknown = np.array([ids.min() - 1, ids.max() + 1, ids[0] + 1], dtype=np.int64)
    query = rng.permutation(np.concatenate([ids[rng.choice(len(ids), 300)], unknown]))
    got = lookup.positions(query)
    assert got.dtype == np.int64 and got.shape == query.shape
    assert got.tolist() == [lookup.get(int(pid), -1) for pid in query]
    assert (ids[got[got >= 0]] == query[got >= 0]).all() and (got < 0).sum() == 3
    assert lookup.positions(np.empty(0, np.int64)).tolist() == []
    assert ItemLookup(np.empty(0, np.int64)).positions(query).tolist() == [-1] * len(query)


# --- ProductMeta ---------------------------------------------------------------------------------
META = {
    "30": {"LIB_PRODUIT": "Vis à bois", "ID_GAMME": 12.0, "LIB_GAMME": "Visserie", "ID_MARQUE": 1},
    "10": {"LIB_PRODUIT": "Plâtre", "ID_GAMME": 7, "ID_UNIVERS": 2, "LIB_UNIVERS": "Plâtrerie"}
    | {"ID_MARQUE": 0},
    "20": {"LIB_PRODUIT": None, "ID_GAMME": None, "ID_UNIVERS": "x", "ID_MARQUE": None},
    "-5": {},
}


def test_product_meta_columns_read_back_what_the_json_object_holds(tmp_path):
    CO.write_product_meta(tmp_path / "m.arrow", product_meta_table(META))
    meta = ProductMeta(CO.read_product_meta(tmp_path / "m.arrow"))
    assert meta.ids.tolist() == [-5, 10, 20, 30] and len(meta) == 4
    none = dict.fromkeys((*CO.META_INT_FIELDS, *CO.META_STR_FIELDS))
    vis = {"LIB_PRODUIT": "Vis à bois", "ID_GAMME": 12, "LIB_GAMME": "Visserie", "ID_MARQUE": 1}
    assert meta[30] == none | vis
    assert meta.get(10) == none | {
        "LIB_PRODUIT": "Plâtre",
        "ID_GAMME": 7,
        "ID_UNIVERS": 2,
        "LIB_UNIVERS": "Plâtrerie",
        "ID_MARQUE": 0,
    }
    assert meta.get(20) == none and meta.get(-5) == none  # "x" is no univers id: null
    assert meta.get(11) is None and 11 not in meta and 30 in meta
    with pytest.raises(KeyError):
        meta[11]
    asked = np.array([30, 11, 10, 20], dtype=np.int64)
    assert meta.int_column("ID_UNIVERS", asked).tolist() == [-1, -1, 2, -1]
    assert meta.int_column("ID_GAMME", asked).tolist() == [12, -1, 7, -1]
    assert meta.str_column("LIB_PRODUIT", asked).to_pylist() == ["Vis à bois", "", "Plâtre", ""]
    assert ProductMeta.from_dict({}).get(1) is None and len(ProductMeta.from_dict({})) == 0
    assert ProductMeta.from_dict({}).int_column("ID_UNIVERS", asked).tolist() == [-1] * 4
    assert ProductMeta.from_dict({}).str_column("LIB_PRODUIT", asked).to_pylist() == [""] * 4


def test_product_meta_arrow_of_another_schema_is_refused(tmp_path):
    table = product_meta_table(META).drop_columns(["LIB_GAMME"])
    import pyarrow as pa

    with pa.OSFile(str(tmp_path / "m.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    with pytest.raises(ValueError, match="schema"):
        CO.read_product_meta(tmp_path / "m.arrow")


# --- a run's companions --------------------------------------------------------------------------
def _assert_refused_everywhere(run_dir, root, needle: str) -> None:
    assert any(needle in p for p in verify_run(run_dir).problems), verify_run(run_dir).problems
    with pytest.raises(ArtifactError, match="fails verification") as promoted:
        promote(root, run_dir)
    assert needle in str(promoted.value)
    with pytest.raises(ArtifactError, match="refusing to load") as loaded:
        load_run(run_dir)
    assert needle in str(loaded.value)


def test_a_run_is_loaded_without_unpickling_anything(run_dir, monkeypatch):
    """The serving path: no pickle is opened, neither the original's JSON of 300k objects read."""
    read: list[str] = []
    real = V.read_verified_bytes

    def recording(run, name, manifest):
        read.append(name)
        return real(run, name, manifest)

    def no_unpickling(*args, **kwargs):
        raise AssertionError("unpickled on the serving path")

    monkeypatch.setattr(V, "read_verified_bytes", recording)
    monkeypatch.setattr(pickles, "read_verified_bytes", no_unpickling)
    run = load_run(run_dir)
    assert run.item_index[product_id(2)] == 2 and run.product_meta[product_id(2)]["LIB_PRODUIT"]
    assert not {L.MAPPING, L.PRODUCT_META, L.PAIR_BOOST_IDX, L.PAIR_REV_IDX} & set(read), read
    problems = verify_run(run_dir).problems  # the full check does parse the original's files
    assert any("unpickled on the serving path" in problem for problem in problems)


def test_a_run_without_companions_loads_the_same_from_the_originals(root, run_dir, caplog):
    old = make_tiny_run(root, "run_20230101_000000", columnar=False)
    report = verify_run(old)
    assert report.ok and any("no columnar companions" in note for note in report.notes)
    with caplog.at_level(logging.WARNING):
        before = load_run(old)
    assert "without columnar companions" in caplog.text
    after = load_run(run_dir)
    assert dict(before.item_index) == dict(after.item_index)
    assert before.item_index.positions(after.item_ids).tolist() == list(range(after.n_items))
    for pid in [*after.item_ids.tolist(), 1, -3]:
        assert before.product_meta.get(pid) == after.product_meta.get(pid)
    assert before.pairs.keys() == after.pairs.keys() and before.professions == after.professions


def test_an_incomplete_set_of_companions_is_refused(run_dir, root):
    (run_dir / L.PRODUCT_META_ARROW).unlink()
    write_manifest(run_dir)
    _assert_refused_everywhere(run_dir, root, "product_meta.arrow: columnar companions incomplete")


def test_an_order_that_is_not_a_permutation_is_refused(run_dir, root):
    order = np.load(run_dir / L.ITEM_ID_ORDER)
    order[0] = order[1]
    replace_array(run_dir, L.ITEM_ID_ORDER, order)
    _assert_refused_everywhere(run_dir, root, "item_id_order.npy: not a permutation")


def test_an_order_that_does_not_sort_the_ids_is_refused(run_dir, root):
    replace_array(run_dir, L.ITEM_ID_ORDER, np.load(run_dir / L.ITEM_ID_ORDER)[::-1].copy())
    _assert_refused_everywhere(run_dir, root, "item_id_order.npy: does not sort item_ids.npy")


@pytest.mark.parametrize(
    ("array", "needle"),
    [
        (np.arange(6, dtype=np.int32), "item_ids.npy: int32 (6,), expected int64 (6,)"),
        (np.arange(5, dtype=np.int64), "item_ids.npy: int64 (5,), expected int64 (6,)"),
    ],
)
def test_ids_of_the_wrong_dtype_or_length_are_refused(run_dir, root, array, needle):
    replace_array(run_dir, L.ITEM_IDS, array)
    _assert_refused_everywhere(run_dir, root, needle)


def test_an_unreadable_product_meta_arrow_is_refused(run_dir, root):
    replace_file(run_dir, L.PRODUCT_META_ARROW, b"ARROW1\x00\x00not really")
    _assert_refused_everywhere(run_dir, root, "product_meta.arrow: cannot be read")


def test_an_item_index_json_of_another_format_is_refused(run_dir, root):
    doc = json.loads((run_dir / L.ITEM_INDEX).read_text())
    save_json(run_dir, L.ITEM_INDEX, doc | {"format": "reco-item-index/0"})
    write_manifest(run_dir)
    _assert_refused_everywhere(run_dir, root, "item_index.json: format 'reco-item-index/0'")


# Companions that disagree with the original's files but are consistent by themselves: the full
# check (verify-artifacts, promotion) refuses them; serving trusts the companions it verified.
def test_companions_that_differ_from_the_originals_are_refused_by_the_full_check(run_dir, root):
    ids = np.load(run_dir / L.ITEM_IDS)
    ids[[0, 1]] = ids[[1, 0]]
    np.save(run_dir / L.ITEM_IDS, ids)
    replace_array(run_dir, L.ITEM_ID_ORDER, np.argsort(ids).astype(np.int64))
    assert verify_run(run_dir).problems == [
        "item_ids.npy: not the product ids of mapping.pkl's item_id_map by item index"
    ]
    with pytest.raises(ArtifactError, match=r"item_ids\.npy: not the product ids"):
        promote(root, run_dir)
    assert load_run(run_dir).item_index[product_id(0)] == 1


def test_product_meta_arrow_that_differs_from_the_json_is_refused_by_the_full_check(run_dir):
    meta = json.loads(gzip.decompress((run_dir / L.PRODUCT_META).read_bytes()))
    meta[str(product_id(3))]["LIB_PRODUIT"] = "autre chose"
    CO.write_product_meta(run_dir / L.PRODUCT_META_ARROW, product_meta_table(meta))
    write_manifest(run_dir)
    expected = "product_meta.arrow: does not hold what product_meta.json.gz holds"
    assert verify_run(run_dir).problems == [expected]
    assert load_run(run_dir).product_meta[product_id(3)]["LIB_PRODUIT"] == "autre chose"


@pytest.mark.parametrize("index_name", [L.PAIR_BOOST_IDX, L.PAIR_REV_IDX])
def test_pair_metadata_json_that_differs_from_the_pickle_is_refused_by_the_full_check(run_dir, index_name):
    twin = run_dir / L.pair_meta_file(index_name)
    save_json(run_dir, twin.name, json.loads(twin.read_text()) | {"normalisation": "other"})
    write_manifest(run_dir)
    assert verify_run(run_dir).problems == [f"{twin.name}: does not hold what {index_name} holds"]


# --- what the ranker derives, precomputed (item_stats.npy, pop_order.npy) -----------------------
def test_the_ranker_index_reads_the_precomputed_arrays_it_would_have_computed(root, run_dir):
    from reco_core.ranking import RankerIndex

    shared = RankerIndex.build(load_run(run_dir))
    computed = RankerIndex.build(load_run(make_tiny_run(root, "run_20230101_000000", columnar=False)))
    assert isinstance(shared.run.item_stats, np.memmap) and computed.run.item_stats is None
    assert np.array_equal(shared.item_stats, computed.item_stats) and shared.item_stats.dtype == np.float32
    assert np.array_equal(shared.pop_order, computed.pop_order)
    assert not shared.item_stats.flags.writeable and not shared.pop_order.flags.writeable


def test_item_stats_that_differ_from_the_arrays_are_refused(run_dir, root):
    stats = np.load(run_dir / L.ITEM_STATS)
    stats[4, 0] += 0.25
    replace_array(run_dir, L.ITEM_STATS, stats)
    _assert_refused_everywhere(run_dir, root, "item_stats.npy: rows 0-5 differ from what")


def test_item_stats_of_another_shape_are_refused(run_dir, root):
    replace_array(run_dir, L.ITEM_STATS, np.load(run_dir / L.ITEM_STATS)[:, :-1].copy())
    _assert_refused_everywhere(run_dir, root, "item_stats.npy: float32 (6, 15), expected float32 (6, 16)")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda order: order[::-1].copy(), "pop_order.npy: not the items by train_pop.npy descending"),
        (lambda order: np.zeros_like(order), "pop_order.npy: not a permutation"),
        (lambda order: order.astype(np.int32), "pop_order.npy: int32 (6,), expected int64 (6,)"),
    ],
)
def test_a_wrong_popularity_order_is_refused(run_dir, root, change, needle):
    replace_array(run_dir, L.POP_ORDER, change(np.load(run_dir / L.POP_ORDER)))
    _assert_refused_everywhere(run_dir, root, needle)


def test_ties_in_popularity_must_be_ordered_by_index(run_dir, root):
    train_pop = np.load(run_dir / L.TRAIN_POP)
    order = np.load(run_dir / L.POP_ORDER)
    tied = np.flatnonzero(train_pop[order][1:] == train_pop[order][:-1])
    assert len(tied), "the tiny run has ties in popularity"
    order[[tied[0], tied[0] + 1]] = order[[tied[0] + 1, tied[0]]]
    replace_array(run_dir, L.POP_ORDER, order)
    _assert_refused_everywhere(run_dir, root, "pop_order.npy: not the items by train_pop.npy descending")


def test_positions_of_ids_beyond_int64_or_not_ids_are_minus_one():
    lookup = ItemLookup(np.array([5, 1, 9, 0], dtype=np.int64))
    assert lookup.positions([9, 2**70, 0, -(2**64)]).tolist() == [2, -1, 3, -1]
    assert lookup.positions(()).tolist() == [] and lookup.positions([1]).dtype == np.int64


def test_the_bench_synthetic_run_passes_the_full_check_companions_included(tmp_path):
    """bench/synthetic_run.py writes the original's files (mapping.pkl holds plain dicts, as the
    original's tools expect) and the companions: the full check cross-checks them."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
    try:
        from synthetic_run import write_synthetic_run
    finally:
        sys.path.pop(0)
    run_dir = write_synthetic_run(tmp_path, 400)
    report = verify_run(run_dir)
    assert report.ok and report.model_checked, report.problems
    assert set(L.COLUMNAR_FILES) <= set(json.loads((run_dir / L.MANIFEST).read_text())["files"])


def test_product_meta_arrow_with_unsorted_or_repeated_ids_is_refused(run_dir, root):
    meta = json.loads(gzip.decompress((run_dir / L.PRODUCT_META).read_bytes()))
    table = product_meta_table(meta)
    CO.write_product_meta(run_dir / L.PRODUCT_META_ARROW, table.take(list(range(len(table)))[::-1]))
    write_manifest(run_dir)
    # the full check sees it differ from the JSON first; loading, which reads only the Arrow file,
    # refuses ids it could not search
    differs = "product_meta.arrow: does not hold what product_meta.json.gz holds"
    assert verify_run(run_dir).problems == [differs]
    with pytest.raises(ArtifactError, match="fails verification"):
        promote(root, run_dir)
    unreadable = r"product_meta\.arrow: cannot be read \(ValueError: ID_PRODUIT is not"
    with pytest.raises(ArtifactError, match=unreadable):
        load_run(run_dir)
