"""The learned relevance's pure parts: the EASE table, the explanation by ablation, the training pool
(the shortlist and its features: tests/unit/ranking/test_ranking_kernels.py)."""

from __future__ import annotations

import lightgbm
import numpy as np
import pytest

from reco_core.evaluation import load_profile
from reco_core.ranking.blend_model import ABLATED, FEATURE_NAMES, FEATURES, LearnedBlend
from reco_core.ranking.learned import TRAINING_POOL
from reco_core.ranking.signals import Signal
from reco_core.training.blend import ease_table


def test_ease_table_keeps_the_topk_positive_entries_of_each_row_best_first_on_the_run_index():
    items = np.array([1, 3, 4])  # the EASE items among 6 run items
    weights = np.array(
        [
            [0.0, 0.5, -0.2],  # item 1: only 3 is positive
            [0.1, 0.0, 0.9],  # item 3: 4 then 1
            [-0.3, -0.1, 0.0],  # item 4: nothing positive
        ],
        dtype=np.float32,
    )
    table = ease_table(items, weights, n_items=6, topk=2)
    assert table.indptr.tolist() == [0, 0, 1, 1, 3, 3, 3]
    assert table.row(1)[0].tolist() == [3] and table.row(1)[1].tolist() == pytest.approx([0.5])
    assert table.row(3)[0].tolist() == [4, 1] and table.row(3)[1].tolist() == pytest.approx([0.9, 0.1])
    assert table.indices.dtype == np.int32 and table.scores.dtype == np.float32
    assert ease_table(items, weights, n_items=6, topk=1).row(3)[0].tolist() == [4]


def test_ease_table_of_more_rows_than_a_block_is_each_row_sorted_alone():
    rng = np.random.default_rng(4)
    items = np.sort(rng.choice(3000, size=1500, replace=False))
    weights = rng.normal(size=(1500, 1500)).astype(np.float32)
    table = ease_table(items, weights, n_items=3000, topk=7)
    for row in (0, 1023, 1024, 1499):
        best = np.argsort(-weights[row], kind="stable")[:7]
        best = best[weights[row, best] > 0]
        got, scores = table.row(items[row])
        assert got.tolist() == items[best].tolist() and scores.tolist() == weights[row, best].tolist()


@pytest.fixture(scope="module")
def blend() -> LearnedBlend:
    rng = np.random.default_rng(0)
    x = rng.random((600, len(FEATURE_NAMES))).astype(np.float32)
    y = ((x[:, 0] + x[:, 5] + 0.3 * x[:, 9]) > 1.2).astype(np.int32)
    data = lightgbm.Dataset(x, label=y, group=[20] * 30, feature_name=list(FEATURE_NAMES))
    model = lightgbm.train({"objective": "lambdarank", "verbosity": -1, "min_data_in_leaf": 5}, data, 20)
    return LearnedBlend.from_text(model.model_to_string())


def test_explanations_add_up_to_the_score_and_name_the_signals_used(blend):
    x = np.random.default_rng(1).random((7, len(FEATURE_NAMES))).astype(np.float32)
    scores = blend.score(x)
    for row, shares in enumerate(blend.explain(x)):
        assert sum(shares.values()) == pytest.approx(scores[row], abs=1e-9)
        assert set(shares) == set(ABLATED) | {Signal.BASE}


def test_each_signal_part_is_the_drop_when_its_features_are_zeroed(blend):
    x = np.random.default_rng(2).random((3, len(FEATURE_NAMES))).astype(np.float32)
    x[1, ABLATED[Signal.EASE]] = 0.0  # a candidate without the signal: nothing to drop
    shares = blend.explain(x)
    assert blend.explain(x, blend.score(x)) == shares
    assert shares[1][Signal.EASE] == 0.0
    for signal, columns in ABLATED.items():
        ablated = x.copy()
        ablated[:, columns] = 0.0
        drop = blend.score(x) - blend.score(ablated)
        assert [s[signal] for s in shares] == pytest.approx(drop.tolist(), abs=1e-9)


def test_every_feature_belongs_to_a_signal_and_basket_size_stays_in_the_base():
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    assert {signal for _, signal in FEATURES} <= set(Signal)
    assert Signal.BASE not in ABLATED
    assert sorted(c for cols in ABLATED.values() for c in cols) == [
        i for i, (_, s) in enumerate(FEATURES) if s is not Signal.BASE
    ]


def test_training_pool_has_no_policy_and_reads_the_ease_table():
    assert TRAINING_POOL.W_PL_BASE == TRAINING_POOL.W_PL_PER_BASK_PL == 0
    assert TRAINING_POOL.TOP_EASE > 0


def test_the_shipped_learned_profile_scores_pools_like_the_ones_training_learned_from():
    pool_keys = ("TOP_PAIRS", "TOP_PAIRS_ANY_FRAC", "TOP_PAIRS_TOTAL", "TOP_EASE", "TOP_POPP", "TOP_POPG")
    profile = load_profile("learned_v1")
    for size in range(1, 12):
        _, params = profile.for_size(size)
        assert params.LEARNED_BLEND == 1
        assert params.model_dump(include=set(pool_keys)) == TRAINING_POOL.model_dump(include=set(pool_keys))
