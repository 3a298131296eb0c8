"""recommend with a profile that uses the run's learned blend (LEARNED_BLEND=1)."""

from __future__ import annotations

from dataclasses import replace

import lightgbm
import numpy as np
import pytest
from helpers.tiny_run import make_tiny_run, product_id

from reco_core.artifacts.loader import load_run
from reco_core.ranking import BasketParams, RankerIndex, recommend
from reco_core.ranking.blend_model import FEATURE_NAMES, LearnedBlend
from reco_core.ranking.learned import TRAINING_POOL
from reco_core.ranking.ranker import basket_pool

LEARNED = TRAINING_POOL.model_copy(update={"LEARNED_BLEND": 1, "DIVERSIFY": 0, "CAP_PER_GAMME": 0})
BASKET = [product_id(0), product_id(2)]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> RankerIndex:
    return RankerIndex.build(load_run(make_tiny_run(tmp_path_factory.mktemp("learned"), n_items=12)))


@pytest.fixture(scope="module")
def linear_only(tmp_path_factory) -> RankerIndex:
    root = tmp_path_factory.mktemp("linear")
    return RankerIndex.build(load_run(make_tiny_run(root, n_items=12, learned=False)))


def test_items_are_ranked_by_the_model_and_explained_to_the_score(index):
    reco = recommend(index, LEARNED, "PLAQUISTE", BASKET, 5)
    basket = np.array([index.run.item_index[p] for p in BASKET])
    _, _, pool, features = basket_pool(index, basket, 0, LEARNED, 5, learned=True)
    expected = index.blend.score(features)
    by_item = dict(zip(index.run.item_ids[pool.items].tolist(), expected.tolist(), strict=True))
    assert [item.score for item in reco.items] == pytest.approx([by_item[i.product_id] for i in reco.items])
    assert [item.score for item in reco.items] == sorted((item.score for item in reco.items), reverse=True)
    for item in reco.items:
        assert item.breakdown.total == pytest.approx(item.score, abs=1e-9)


def test_the_model_is_told_whether_the_profession_was_named_or_detected(index):
    basket = np.array([index.run.item_index[p] for p in BASKET])
    column = FEATURE_NAMES.index("profession_named")
    named = basket_pool(index, basket, 0, LEARNED, 5, learned=True)[3]
    detected = basket_pool(index, basket, None, LEARNED, 5, learned=True)[3]
    assert set(named[:, column].tolist()) == {1.0} and set(detected[:, column].tolist()) == {0.0}


def test_without_explanation_the_ranking_is_the_same(index):
    explained = recommend(index, LEARNED, None, BASKET, 5)
    bare = recommend(index, LEARNED, None, BASKET, 5, explain=False)
    assert bare.product_ids == explained.product_ids
    assert all(item.breakdown.total == 0 for item in bare.items)  # no policy weight, nothing explained


def test_the_own_brand_policy_is_a_visible_share_of_the_score_spread(index):
    popularity_model = replace(index, blend=_model_of("popg"))  # scores that differ by item
    plain = recommend(popularity_model, LEARNED, "PLAQUISTE", BASKET, 11)
    relevance = {item.product_id: item.score for item in plain.items}
    spread = max(relevance.values()) - min(relevance.values())
    assert spread > 0
    policy = LEARNED.model_copy(update={"W_PL_BASE": 0.5})
    for item in recommend(popularity_model, policy, "PLAQUISTE", BASKET, 11).items:
        own_brand = index.run.item_is_pl[index.run.item_index[item.product_id]]
        assert item.breakdown.pl_base == pytest.approx(0.5 * spread * own_brand)
        assert item.score == pytest.approx(relevance[item.product_id] + item.breakdown.pl_base)
        assert item.breakdown.total == pytest.approx(item.score, abs=1e-9)


def _model_of(feature: str) -> LearnedBlend:
    """A lambdarank model whose score grows with one feature."""
    x = np.random.default_rng(0).random((400, len(FEATURE_NAMES))).astype(np.float32)
    y = (x[:, FEATURE_NAMES.index(feature)] > 0.5).astype(np.int32)
    data = lightgbm.Dataset(x, label=y, group=[20] * 20, feature_name=list(FEATURE_NAMES))
    model = lightgbm.train({"objective": "lambdarank", "verbosity": -1, "min_data_in_leaf": 5}, data, 10)
    return LearnedBlend.from_text(model.model_to_string())


def test_a_run_without_a_learned_blend_is_ranked_with_the_profile_weights(linear_only):
    learned = recommend(linear_only, LEARNED, "PLAQUISTE", BASKET, 5)
    fixed = recommend(linear_only, LEARNED.model_copy(update={"LEARNED_BLEND": 0}), "PLAQUISTE", BASKET, 5)
    assert learned.product_ids == fixed.product_ids
    assert [i.score for i in learned.items] == [i.score for i in fixed.items]


def test_learned_blend_is_off_by_default():
    assert BasketParams().LEARNED_BLEND == 0 and BasketParams().W_EASE == 0
