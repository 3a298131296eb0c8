"""Hit@K, Recall@K (both denominators) and MRR@K on hand-computed cases."""

import numpy as np
import pytest
import scipy.sparse as sp

from reco_core.evaluation import metrics as M


def _expected(rows: list[list[int]], n_items: int = 10) -> sp.csr_matrix:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    data = np.ones(indptr[-1], np.float32)
    return sp.csr_matrix((data, np.concatenate(rows).astype(np.int64), indptr), shape=(len(rows), n_items))


# 4 samples, K = 3; -1 = no item at that rank
RANKED = np.array([[4, 2, 7], [1, 3, 5], [9, 8, -1], [6, 0, 2]])
EXPECTED = _expected([[2, 5], [0], [8, 1, 2, 3, 4], [6, 0, 2, 9]])


def test_relevance_marks_expected_items_and_never_padding():
    rel = M.relevance(RANKED, EXPECTED)
    assert rel.tolist() == [
        [False, True, False],
        [False, False, False],
        [False, True, False],
        [True, True, True],
    ]
    # padding (-1) must not match item n_items - 1 of the previous sample
    assert not M.relevance(np.array([[-1]] * 2), _expected([[9], [3]]))[1, 0]


def test_metrics_by_hand():
    values = M.per_sample(RANKED, EXPECTED)
    assert values[M.HIT].tolist() == [1, 0, 1, 1]
    # found / min(K=3, |expected|): 1/2, 0/1, 1/3, 3/3
    assert values[M.RECALL] == pytest.approx([0.5, 0.0, 1 / 3, 1.0])
    # found / |expected|: 1/2, 0/1, 1/5, 3/4
    assert values[M.RECALL_PLAIN] == pytest.approx([0.5, 0.0, 0.2, 0.75])
    # 1 / rank of the first expected item
    assert values[M.MRR] == pytest.approx([0.5, 0.0, 0.5, 1.0])


def test_a_sample_without_expected_items_scores_zero():
    values = M.per_sample(np.array([[1, 2]]), _expected([[]]))
    assert [values[name][0] for name in M.METRICS] == [0, 0, 0, 0]


def test_means_by_group_and_standard_error():
    values = {"hit": np.array([1.0, 0.0, 1.0, 1.0])}
    groups = np.array(["B", "A", "B", "A"])
    assert M.means_by_group(values, groups) == {"A": {"n": 2, "hit": 0.5}, "B": {"n": 2, "hit": 1.0}}
    mean, se = M.mean_and_se(values["hit"])
    assert mean == 0.75
    assert se == pytest.approx(np.std([1, 0, 1, 1], ddof=1) / 2)
    assert M.mean_and_se(np.array([1.0])) == (1.0, 0.0)


def test_list_measures_count_own_brand_distinct_gammes_and_coverage_by_hand():
    is_pl = np.array([0, 1, 0, 1, 0, 0], dtype=np.int8)
    gamme = np.array([10, 10, 20, -1, -1, 30])
    ranked = np.array([[0, 1, 2], [3, 4, -1]])
    got = M.list_measures(ranked, is_pl, gamme)
    assert got["own_brand_share"] == pytest.approx(2 / 5)  # items 1 and 3 of the 5 shown
    assert got["distinct_gammes"] == pytest.approx((2 + 2) / 2)  # {10, 20}; two items without gamme
    assert got["catalogue_coverage"] == pytest.approx(5 / 6)


def test_substitute_rates_by_hand():
    # substitutes: 1-2 and 3-4; basket of sample 0 = {1}, of sample 1 = {5}, of sample 2 = {0}
    pairs = M.pair_matrix(10, np.array([1, 3]), np.array([2, 4]))
    given = sp.csr_matrix((np.ones(3), ([0, 1, 2], [1, 5, 0])), shape=(3, 10))
    ranked = np.array(
        [
            [2, 6, -1],  # holds 2, a substitute of the basket's 1
            [3, 4, 7],  # holds 3 and 4, substitutes of each other
            [6, 7, 8],  # neither
        ]
    )
    assert M.substitute_measures(ranked, given, pairs) == pytest.approx((1 / 3, 1 / 3))
    assert (pairs != pairs.T).nnz == 0 and pairs.max() == 1
    assert M.substitute_measures(ranked[:0], given[:0], pairs) == (0.0, 0.0)


def test_detection_against_planted_twins_by_hand(tmp_path):
    from helpers.ranking_runs import make_index, pid

    from reco_core.demo.generator import write_twins
    from reco_core.evaluation.evaluate import detection_vs_twins, twin_matrix

    # the run's table: 1-2 (a twin) and 3-4 (not one); planted: 1-2, 5-6, and one the run does not know
    index = make_index(8, substitutes=[(1, 2), (3, 4)], train_pop={1: 1.0, 2: 0.5, 5: 0.1, 6: 0.3})
    path = tmp_path / "demo_twins.json"
    write_twins([(pid(1), pid(2)), (pid(6), pid(5)), (pid(7), 999_999)], path)
    twins = twin_matrix(index, path)
    assert twins.nnz == 4  # two pairs, both ways; the unknown product is left out
    found = detection_vs_twins(index, twins)
    assert found == {
        "twins": 2,
        "table": "present",
        "table_pairs": 2,
        "found": 1,
        "precision": 0.5,
        "recall": 0.5,
        "recall_by_sales": pytest.approx(0.5 / (0.5 + 0.1)),
    }
    assert detection_vs_twins(make_index(8), twins) == {"twins": 2, "table": "none"}
