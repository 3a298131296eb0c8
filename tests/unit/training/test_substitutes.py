"""Substitute detection (training/substitutes.py) on planted baskets: twins swapped for each
other are found, colour variants bought together are not, and the table is what serving reads."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from reco_core import columns as C
from reco_core.training import substitutes
from reco_core.training.substitutes import detect_substitutes, item_groups, item_labels

N_ITEMS = 60
TWINS = {(0, 1), (2, 3)}
VARIANTS = (50, 51, 52, 53)  # colour variants of one bag, bought together


def _baskets(seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """Two kits whose board is swapped for its own-brand twin 40 % of the time; 14 other boards,
    each with its own accessory; the bag's colour variants, two or three per basket."""
    rng = np.random.default_rng(seed)
    baskets: list[list[int]] = []
    for board, twin, extras in ((0, 1, [30, 31, 32]), (2, 3, [33, 34, 35])):
        for _ in range(300):
            baskets.append([twin if rng.random() < 0.4 else board, *extras])
    for board in range(4, 18):  # each with its own accessory: alike labels, other contexts
        for _ in range(30):
            baskets.append([board, 32 + board])
    for _ in range(300):
        size = int(rng.integers(2, 4))
        baskets.append([*rng.choice(VARIANTS, size, replace=False).tolist(), 54])
    for _ in range(100):
        baskets.append([int(rng.choice(VARIANTS)), 55])
    rows = np.repeat(np.arange(len(baskets)), [len(b) for b in baskets])
    cols = np.concatenate(baskets)
    x = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(baskets), N_ITEMS))
    prof = rng.integers(0, 2, len(baskets))
    return x, prof


def _labels() -> list[str]:
    labels = [f"Produit {i}" for i in range(N_ITEMS)]
    labels[4:30] = [f"Plaque BA13 format {k} Siniat" for k in range(4, 30)]  # alike, sold apart
    labels[0:4] = [
        "Plaque BA13 standard Placo",
        "Plaque BA13 standard Batipro",
        "Rail R48 Knauf",
        "Rail R48 Batipro",
    ]
    for i, colour in zip(VARIANTS, ("rouge", "bleu", "vert", "noir"), strict=True):
        labels[i] = f"Sac cabas motif {colour}"
    return labels


def _groups() -> np.ndarray:
    return np.select(
        [np.arange(N_ITEMS) < 30, np.arange(N_ITEMS) < 50, np.arange(N_ITEMS) < 54], [1, 2, 3], 4
    ).astype(np.int64)


def _pairs(table) -> set[tuple[int, int]]:
    rows = np.repeat(np.arange(N_ITEMS), np.diff(table.indptr))
    return {(int(a), int(b)) for a, b in zip(rows, table.indices, strict=True) if a < b}


@pytest.mark.parametrize("grouped", [True, False])
def test_twins_are_found_and_colour_variants_bought_together_are_not(grouped):
    x, prof = _baskets()
    groups = _groups() if grouped else np.full(N_ITEMS, -1, np.int64)
    found = detect_substitutes(x, prof, np.ones(x.shape[0]), 2, groups, _labels())
    pairs = _pairs(found.table)
    assert pairs == TWINS
    assert found.report["pairs"] == 2
    if not grouped:  # candidates came from the labels: the variants were candidates, and refused
        assert found.report["candidates_from_labels"] >= 6


def test_the_table_is_symmetric_sorted_and_in_the_serving_dtypes():
    x, prof = _baskets()
    table = detect_substitutes(x, prof, np.ones(x.shape[0]), 2, _groups(), _labels()).table
    assert (table.indptr.dtype, table.indices.dtype, table.scores.dtype) == (np.int64, np.int32, np.float32)
    rows = np.repeat(np.arange(N_ITEMS), np.diff(table.indptr))
    assert {(a, b) for a, b in zip(rows, table.indices, strict=True)} == {
        (b, a) for a, b in zip(rows, table.indices, strict=True)
    }
    for i in range(N_ITEMS):
        scores = table.scores[table.indptr[i] : table.indptr[i + 1]]
        assert (np.diff(scores) <= 0).all()


def test_items_sold_too_rarely_are_not_judged():
    x, prof = _baskets()
    found = detect_substitutes(x, prof, np.ones(x.shape[0]), 2, _groups(), _labels(), min_sales=10_000)
    assert found.report["candidate_pairs"] == 0 and found.table.nnz == 0


def test_twins_bought_together_are_complements_not_substitutes():
    x, prof = _baskets()
    x = sp.lil_matrix(x)
    x[:600, 0] = 1  # every basket of the first kit now holds both 0 and its twin 1 (400 times)
    x[:600, 1] = 1
    found = detect_substitutes(sp.csr_matrix(x), prof, np.ones(x.shape[0]), 2, _groups(), _labels())
    assert (0, 1) not in _pairs(found.table)


def test_groups_fall_back_on_the_univers_and_labels_are_read_from_the_details():
    details = pd.DataFrame(
        {
            C.ID_PRODUIT: [10, 11, 12, 13],
            C.ID_GAMME: [5, None, None, 7],
            C.ID_UNIVERS: [1, 2, None, 1],
            C.LIB_PRODUIT: ["a", "b", None, "d"],
        }
    )
    groups = item_groups(np.array([10, 11, 12, 13, 14]), details)
    assert groups[0] == 5 and groups[3] == 7 and groups[2] == -1 and groups[4] == -1
    assert groups[1] not in (5, 7, -1)  # the univers, past every gamme id
    assert item_labels(np.array([10, 12]), details) == ["a", ""]
    assert item_labels(np.array([10]), details.drop(columns=[C.LIB_PRODUIT])) is None


def test_an_own_brand_copy_sold_beyond_its_twins_jobs_is_found_through_the_own_brand_flag():
    """Own-brand item 1 also sells on its own in 150 other baskets: its context is diluted below
    the threshold of all candidate pairs, not below the one of own-brand / branded pairs (the
    odd boards are own brand too, with labels of their own)."""
    x, prof = _baskets()
    rng = np.random.default_rng(1)
    extra = [[1, *rng.choice(np.arange(56, 60), 2, replace=False).tolist()] for _ in range(150)]
    rows = np.repeat(np.arange(len(extra)), 3)
    cols = np.concatenate(extra)
    noise = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(extra), N_ITEMS))
    x = sp.vstack([x, noise]).tocsr()
    prof = np.r_[prof, rng.integers(0, 2, len(extra))]
    is_pl = np.zeros(N_ITEMS, np.int8)
    is_pl[[1, 3, 5, 7, 9, 11, 13, 15, 17]] = 1
    labels = _labels()
    labels[4:30] = [f"Produit {i}" for i in range(4, 30)]
    weight = np.ones(x.shape[0])
    without = detect_substitutes(x, prof, weight, 2, _groups(), labels)
    with_flag = detect_substitutes(x, prof, weight, 2, _groups(), labels, is_pl)
    assert _pairs(without.table) == {(2, 3)}
    assert _pairs(with_flag.table) == TWINS
    assert with_flag.report["own_brand_pairs"] == 81  # 9 own-brand x 9 branded boards that sell
    assert with_flag.report["own_brand_threshold"] < with_flag.report["threshold"]


def test_rare_items_bought_together_above_chance_are_not_substitutes_unless_own_brand():
    """Items 56 and 57: the same context, alike labels, 7 orders each, bought together once where
    independence predicts 0.03 orders (lift ~30, not significant). Not substitutes; an own-brand
    copy of the other needs only not to be significantly above chance, and is one."""
    x, prof = _baskets()
    extra = [[56, 42, 43]] * 6 + [[57, 42, 43]] * 6 + [[56, 57, 42, 43]]
    rows = np.repeat(np.arange(len(extra)), [len(b) for b in extra])
    more = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, np.concatenate(extra))), shape=(len(extra), N_ITEMS)
    )
    x = sp.vstack([x, more]).tocsr()
    prof = np.r_[prof, np.arange(len(extra)) % 2]
    labels = _labels()
    labels[56], labels[57] = "Vis inox 4x40 boîte Spit", "Vis inox 4x40 boîte Batipro"
    weight = np.ones(x.shape[0])
    assert (56, 57) not in _pairs(detect_substitutes(x, prof, weight, 2, _groups(), labels).table)
    is_pl = np.zeros(N_ITEMS, np.int8)
    is_pl[57] = 1
    assert (56, 57) in _pairs(detect_substitutes(x, prof, weight, 2, _groups(), labels, is_pl).table)


def test_working_by_blocks_gives_the_table_of_one_block(monkeypatch):
    """At 300k products the pairs, baskets and Gram matrices are processed by blocks (memory);
    blocks of a few pairs and baskets must give the pairs and report of a single block (the
    context cosines are summed in another order: equal to float32 rounding)."""
    x, prof = _baskets()
    is_pl = np.zeros(N_ITEMS, np.int8)
    is_pl[[1, 3, 51]] = 1  # own-brand / branded pairs take the Poisson test
    weight = np.random.default_rng(2).integers(1, 4, x.shape[0]).astype(np.float64)

    def detect():
        return detect_substitutes(x, prof, weight, 2, _groups(), _labels(), is_pl)

    whole = detect()
    for name, size in (("_CHUNK", 7), ("_GRAM_CHUNK", 11), ("_BASKET_CHUNK", 13)):
        monkeypatch.setattr(substitutes, name, size)
    blocks = detect()
    assert whole.report == blocks.report and whole.report["own_brand_pairs"] > 0
    np.testing.assert_array_equal(whole.table.indptr, blocks.table.indptr)
    np.testing.assert_array_equal(whole.table.indices, blocks.table.indices)
    np.testing.assert_allclose(whole.table.scores, blocks.table.scores, rtol=1e-6)
    assert _pairs(blocks.table) == TWINS
