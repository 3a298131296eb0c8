"""Pair counts, scores and indexes on hand-computed cases."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from reco_core import columns as C
from reco_core.artifacts.run import split_professions
from reco_core.training import pairs
from reco_core.training.baskets import Baskets, basket_item_matrix, profession_item_counts


def _baskets() -> Baskets:
    # items (product ids) 10, 20, 30, 40; professions A (0) and B (1)
    lists = [[10, 20], [10, 20, 30], [10, 30], [20, 40]]
    return Baskets(
        professions=("A", "B"),
        prof=np.array([0, 0, 0, 1], np.int32),
        weight=np.array([1, 2, 1, 1], np.float32),
        indptr=np.cumsum([0, *map(len, lists)]).astype(np.int64),
        product_ids=np.array([p for basket in lists for p in basket], np.int64),
    )


def test_counts_from_baskets_are_weighted_per_profession_without_diagonal():
    b = _baskets()
    x = basket_item_matrix(b, np.array([10, 20, 30, 40]))
    ca, cb = pairs.counts_from_baskets(x, b.prof, b.weight, 2)
    # profession A: {10,20} w1, {10,20,30} w2, {10,30} w1
    assert ca.toarray().tolist() == [[0, 3, 3, 0], [3, 0, 2, 0], [3, 2, 0, 0], [0, 0, 0, 0]]
    assert cb.toarray()[1, 3] == 1 and cb.toarray()[3, 1] == 1 and cb.sum() == 2


def test_score_is_shrunk_conditional_probability():
    counts = sp.csr_matrix(np.array([[0, 3, 1], [3, 0, 0], [1, 0, 0]], np.float32))
    orders = np.array([4.0, 3.0, 1.0])
    scores, denom = pairs.score_matrix(counts, orders, alpha=1.0, min_count=1)
    assert scores[0, 1] == pytest.approx(3 / 5)  # 3 of the 4 orders with item 0 have item 1; +1 shrinkage
    assert scores[1, 0] == pytest.approx(3 / 4)
    assert scores[2, 0] == pytest.approx(1 / 2)
    assert denom.tolist() == [5.0, 4.0, 2.0]
    dropped, _ = pairs.score_matrix(counts, orders, alpha=1.0, min_count=2)
    assert dropped[0, 2] == 0 and dropped[0, 1] > 0


def test_top_k_per_row_sorts_descending_and_breaks_ties_by_index():
    m = sp.csr_matrix(np.array([[0, 0.2, 0.5, 0.2, 0.1], [0, 0, 0, 0, 0], [0.3, 0, 0, 0, 0]], np.float32))
    top = pairs.top_k_per_row(m, 3)
    assert top.indptr.tolist() == [0, 3, 3, 4]
    assert top.indices[:3].tolist() == [2, 1, 3]
    assert top.data[:3].tolist() == pytest.approx([0.5, 0.2, 0.2])


def test_indexes_forward_reverse_any_and_raw_counts():
    b = _baskets()
    item_ids = np.array([10, 20, 30, 40])
    x = basket_item_matrix(b, item_ids)
    counts = pairs.counts_from_baskets(x, b.prof, b.weight, 2)
    orders = profession_item_counts(x, b.prof, b.weight, 2)
    fwd, rev, raw, kept = pairs.build_pair_indexes(
        counts, b.professions, orders, item_ids, topk=2, alpha=0.0, min_count=1, symmetric=False
    )
    assert fwd[0]["professions"] == rev[0]["professions"] == ["A", "B", C.ANY_PROFESSION]
    forward, reverse = (split_professions(meta["professions"], **arrays) for meta, arrays in (fwd, rev))
    # item 20 (index 1) in A: orders {10,20} w1 + {10,20,30} w2 -> P(10|20)=1, P(30|20)=2/3
    indices, scores = forward["A"].row(1)
    assert indices.tolist() == [0, 2]
    assert scores.tolist() == pytest.approx([1.0, 2 / 3])
    # reverse of item 30 (index 2) in A: predecessors 10 (P(30|10)=3/4) then 20 (2/3)
    indices, scores = reverse["A"].row(2)
    assert indices.tolist() == [0, 1]
    assert scores.tolist() == pytest.approx([3 / 4, 2 / 3])
    # ANY sums professions: 20 -> 40 only comes from B
    assert forward[C.ANY_PROFESSION].row(3)[0].tolist() == [1]
    raw_a = raw["by_profession"]["A"]
    got = {(int(p), int(q)): float(c) for p, q, c in zip(raw_a["a"], raw_a["b"], raw_a["count"], strict=True)}
    assert got[(20, 10)] == 3.0 and got[(10, 30)] == 3.0
    assert kept["A"] == sum(min(2, n) for n in (2, 2, 2))


def test_counts_from_table_drops_unknown_items_and_professions_and_symmetrize_is_idempotent():
    table = pd.DataFrame(
        {
            C.ID_PRODUIT_A: [10, 10, 99, 20],
            C.ID_PRODUIT_B: [20, 30, 10, 30],
            C.OCCURENCE_PAIR: [5, 2, 7, 1],
            C.PROFESSION_CLIENT: ["A", "A", "A", "ZZZ"],
        }
    )
    (ca,) = pairs.counts_from_table(table, np.array([10, 20, 30]), ("A",))
    assert ca.toarray().tolist() == [[0, 5, 2], [0, 0, 0], [0, 0, 0]]
    sym = pairs.symmetrize(ca)
    assert sym.toarray()[1, 0] == 5 and sym.toarray()[2, 0] == 2
    assert (pairs.symmetrize(sym) != sym).nnz == 0
