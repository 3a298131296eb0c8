"""NO_PROFESSION (the evaluation's --mode none): ANY pairs and global popularity, no detection."""

import numpy as np
import pytest
from helpers.ranking_runs import make_index, params, pid, pids

from reco_core.ranking import NO_PROFESSION, recommend
from reco_core.ranking.blend_model import FEATURE_NAMES
from reco_core.ranking.learned import TRAINING_POOL
from reco_core.ranking.ranker import basket_pool

# PLAQUISTE's own pair (0 -> 1: .5) and popularity (item 1) must play no part for everyone.
INDEX = make_index(
    5,
    pairs={"PLAQUISTE": {0: {1: 0.5}}, "ANY": {0: {2: 0.4, 1: 0.1}, 4: {0: 0.3}}},
    pop_by_prof={"PLAQUISTE": {1: 1.0}},
    train_pop={3: 0.5, 4: 0.2},
)


def test_any_pairs_and_global_popularity_take_the_profession_places():
    result = recommend(INDEX, params(W_PAIR=1.0, PAIR_ANY_WEIGHT=0.5, W_POPP=0.1), NO_PROFESSION, pids(0), 4)
    assert result.profession == "ANY"
    assert result.profession_mix == {"ANY": 1.0}
    assert result.fallback is None
    # 2: ANY pair .4 in full (not x PAIR_ANY_WEIGHT); 1: .1; 3: W_POPP x global .5; 4: W_POPP x .2
    assert result.product_ids == tuple(pids(2, 1, 3, 4))
    assert [item.breakdown.pair for item in result.items] == pytest.approx([0.4, 0.1, 0.0, 0.0])
    assert [item.breakdown.popp for item in result.items] == pytest.approx([0.0, 0.0, 0.05, 0.02])
    assert all(item.breakdown.pair_any == 0.0 for item in result.items)


def test_any_reverse_pairs_are_read_once():
    result = recommend(
        INDEX, params(W_PAIR=1.0, PAIR_ANY_WEIGHT=1.0, PAIR_REV_WEIGHT=1.0), NO_PROFESSION, pids(0), 1
    )
    assert result.product_ids == (pid(2),)
    item4 = recommend(INDEX, params(W_PAIR=1.0, PAIR_REV_WEIGHT=1.0), NO_PROFESSION, pids(0), 4).items
    assert {i.product_id: i.breakdown.reverse for i in item4}[pid(4)] == pytest.approx(0.3)


def test_a_given_profession_still_reads_its_own_tables():
    result = recommend(INDEX, params(W_PAIR=1.0, PAIR_ANY_WEIGHT=0.5), "PLAQUISTE", pids(0), 1)
    assert result.product_ids == (pid(1),)  # .5 + .5 x .1 beats .5 x .4
    assert result.items[0].breakdown.pair_any == pytest.approx(0.05)


def test_without_basket_it_is_the_global_popularity():
    result = recommend(INDEX, params(), NO_PROFESSION, [999], 2)
    assert result.fallback == "global_popularity"
    assert result.profession is None and result.profession_mix == {}
    assert result.product_ids == tuple(pids(3, 4))


def test_the_learned_blend_reads_no_profession_as_a_profession_whose_data_is_everyones():
    """The learned blend learned on named and detected requests, where the ANY pairs sit in the
    pair_any features: with no profession they sat only in the profession's, pair_any was 0, and
    `reco eval --mode none` ranked 7-16 % below plain pairs on the demo's recall."""
    pairs = {0: {2: 0.4, 1: 0.1}, 4: {0: 0.3, 3: 0.2}, 2: {3: 0.6}}
    popularity = {3: 1.0, 4: 0.2, 1: 0.5}
    twin = make_index(
        5,
        pairs={"PLAQUISTE": pairs, "ANY": pairs},
        pop_by_prof={"PLAQUISTE": popularity},
        train_pop=popularity,
    )
    basket = np.array([0, 4])
    named = basket_pool(twin, basket, twin.prof_row["PLAQUISTE"], TRAINING_POOL, 3, learned=True)
    everyone = basket_pool(twin, basket, twin.any_row, TRAINING_POOL, 3, learned=True)
    np.testing.assert_array_equal(everyone[2].items, named[2].items)
    assert named[3][:, FEATURE_NAMES.index("pair_any")].any()
    np.testing.assert_array_equal(everyone[3], named[3])
