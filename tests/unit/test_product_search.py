"""reco_core.search: folding, match groups and their order, bounds, ids."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from reco_core.artifacts.columnar import (
    ProductMeta,
    product_meta_table,
    read_product_meta,
    write_product_meta,
)
from reco_core.errors import RecoError
from reco_core.search import MAX_LIMIT, MAX_QUERY_CHARS, ProductSearchIndex, fold
from reco_core.text import fold_one

LABELS = {
    101: "Plaque de plâtre BA13",
    102: "Vis plaque placo 25 mm",
    103: "PLÂTRE  fin   25 kg",
    104: "Enduit de jointoiement",
    105: "Plaque de plâtre hydro BA13",
    106: None,  # a product without a label: found by id only
    1050: "Rail 48",
}
POPULARITY = {101: 0.5, 102: 0.9, 103: 0.1, 104: 0.3, 105: 0.5, 106: 1.0, 1050: 0.2}


@pytest.fixture(scope="module")
def index() -> ProductSearchIndex:
    ids = np.array(list(LABELS), dtype=np.int64)
    meta = ProductMeta.from_dict({pid: {"LIB_PRODUIT": label} for pid, label in LABELS.items()})
    return ProductSearchIndex.build(ids, meta, np.array([POPULARITY[pid] for pid in LABELS]))


def found(index: ProductSearchIndex, query: str, limit: int = 20) -> list[int]:
    return index.item_ids[index.search(query, limit)].tolist()


def test_fold_lowers_strips_accents_and_collapses_spaces():
    folded = fold(pa.array(["  PLÂTRE  fin\t25 kg ", "Étanchéité", None]))
    assert folded.to_pylist() == ["platre fin 25 kg", "etancheite", None]


def test_prefix_matches_come_before_substring_matches_most_bought_first(index):
    # 101 and 105 start with "plaque" (same popularity: label order), 102 only contains it.
    assert found(index, "Plaque") == [101, 105, 102]


def test_accents_and_case_are_ignored_both_ways(index):
    assert found(index, "platre") == [103, 101, 105]
    assert found(index, "PLÂTRE") == found(index, "platre")


def test_every_word_must_appear_in_any_order(index):
    assert found(index, "ba13 hydro") == [105]
    assert found(index, "plaque zzz") == []


def test_an_id_matches_exactly_and_comes_first(index):
    assert found(index, "106") == [106]  # no label, found by its id
    assert found(index, "105") == [105]  # not 1050: ids match exactly
    assert found(index, "25") == [102, 103]  # a number that is no id still searches labels
    assert found(index, str(2**70)) == []  # beyond int64: no match, no overflow


def test_limit_bounds_the_results_and_keeps_the_best(index):
    assert found(index, "a", limit=2) == [102, 101]
    assert sorted(found(index, "a", limit=MAX_LIMIT)) == [101, 102, 103, 105, 1050]  # 104 has no "a"


def test_ties_at_the_cut_are_broken_by_label_exactly():
    ids = np.arange(1, 201, dtype=np.int64)
    meta = ProductMeta.from_dict({int(pid): {"LIB_PRODUIT": f"produit {300 - pid:03d}"} for pid in ids})
    index = ProductSearchIndex.build(ids, meta, np.ones(len(ids)))
    # Every product ties on popularity: the first 3 labels are 100, 101, 102 -> ids 200, 199, 198.
    assert found(index, "produit", limit=3) == [200, 199, 198]


def test_blank_query_finds_nothing(index):
    assert found(index, "   ") == []


@pytest.mark.parametrize(
    ("query", "limit", "field"),
    [("plaque", 0, "limit"), ("plaque", MAX_LIMIT + 1, "limit"), ("x" * (MAX_QUERY_CHARS + 1), 5, "q")],
)
def test_out_of_bounds_arguments_name_the_field(index, query, limit, field):
    with pytest.raises(RecoError, match=rf"^{field}: "):
        index.search(query, limit)


@pytest.mark.parametrize(
    "text", ["Plâtrier ", "  PLAQUISTE", "Électricien\tchauffagiste", "Œuvre  Façade", "ß straße", ""]
)
def test_one_string_folds_like_a_column(text):
    assert fold_one(text) == fold(pa.array([text], type=pa.string()))[0].as_py()


def test_the_columns_give_the_labels_the_json_object_gave(tmp_path):
    """The index built on product_meta.arrow (memory-mapped) folds the labels the dict of dicts of
    product_meta.json.gz gave: items without metadata, without a label, with a non-string label
    or an empty one get "", products the run does not model are left out, order is the items'."""
    meta = {
        "7": {"LIB_PRODUIT": "Câble  rigide"},
        "3": {"LIB_PRODUIT": None},
        "12": {"LIB_PRODUIT": 42},
        "5": {"LIB_PRODUIT": ""},
        "99": {"LIB_PRODUIT": "not modelled"},
        "4": {},
        "-2": {"LIB_PRODUIT": "Négatif"},
    }
    item_ids = np.array([12, 7, 3, 5, 4, 1000, -2], dtype=np.int64)
    write_product_meta(tmp_path / "meta.arrow", product_meta_table(meta))
    columns = ProductMeta(read_product_meta(tmp_path / "meta.arrow"))
    index = ProductSearchIndex.build(item_ids, columns, np.ones(len(item_ids)))
    by_id = {int(pid): fields for pid, fields in meta.items()}
    before = [(by_id.get(pid) or {}).get("LIB_PRODUIT") or "" for pid in item_ids.tolist()]
    before = [label if isinstance(label, str) else "" for label in before]  # 42: no label to search
    assert index.folded.to_pylist() == fold(pa.array(before, type=pa.string())).to_pylist()
    assert index.folded.to_pylist() == ["", "cable rigide", "", "", "", "", "negatif"]
    assert found(index, "cable") == [7] and found(index, "neg") == [-2] and found(index, "modelled") == []
