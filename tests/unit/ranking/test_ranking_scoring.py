"""The linear blend on a hand-built run whose every score is worked out below.

Run (8 items, basket = items 0 and 1, profession PLAQUISTE):
  pairs PLAQUISTE  0 -> {2: .6, 3: .2}   1 -> {2: .4, 4: .5}   6 -> {0: .4} (6 precedes 0)
  pairs PLOMBIER   0 -> {7: .9}          (not the request's profession: never counts)
  pairs ANY        0 -> {2: .5, 5: .3}
  embeddings       e0 = (1,0,0,0) e1 = (0,1,0,0): basket centroid (1,1,0,0)/sqrt2
                   e2 = -e0 (cosine < 0, clipped), e3 = (1,1,0,0) (cosine 1), e4 = e0 (cos 1/sqrt2)
  popularity       PLAQUISTE {5: 1, 6: .5}; global {6: 1, 7: .5}
  own brand        items 1 (in the basket: MDD share 1/2), 4 and 5
"""

import math

import numpy as np
import pytest
from helpers.ranking_runs import make_index, params, pid, pids

from reco_core.ranking import ScoreBreakdown, recommend
from reco_core.ranking.signals import SIGNAL_NAMES as SIGNALS

EMB = np.array(
    [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [-1, 0, 0, 0],
        [1, 1, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
        [0, 0, 1, 1],
    ],
    dtype=float,
)
INDEX = make_index(
    8,
    pairs={
        "PLAQUISTE": {0: {2: 0.6, 3: 0.2}, 1: {2: 0.4, 4: 0.5}, 6: {0: 0.4}},
        "PLOMBIER": {0: {7: 0.9}},
        "ANY": {0: {2: 0.5, 5: 0.3}},
    },
    emb=EMB,
    pop_by_prof={"PLAQUISTE": {5: 1.0, 6: 0.5}},
    train_pop={6: 1.0, 7: 0.5},
    is_pl=[1, 4, 5],
)
BASKET = pids(0, 1)
ALL_ON = {
    "W_PAIR": 0.6,
    "PAIR_ANY_WEIGHT": 0.4,
    "PAIR_REV_WEIGHT": 0.5,
    "W_EMB": 0.3,
    "W_POPP": 0.2,
    "W_POPG": 0.1,
    "W_COVERAGE": 0.1,
    "W_PL_BASE": 0.1,
    "W_PL_PER_BASK_PL": 0.15,
}
# item -> {signal: weighted contribution}, by hand from the docstring's run and ALL_ON
EXPECTED = {
    2: {"pair": 0.6 * (0.6 + 0.4) / 2, "pair_any": 0.6 * 0.4 * 0.5 / 2, "coverage": 0.1 * (2 - 1) / (2 - 1)},
    3: {"pair": 0.6 * 0.2 / 2, "emb": 0.3 * 1.0},
    4: {"pair": 0.6 * 0.5 / 2, "emb": 0.3 / math.sqrt(2), "pl_base": 0.1, "pl_basket": 0.15 * 0.5},
    5: {"pair_any": 0.6 * 0.4 * 0.3 / 2, "popp": 0.2 * 1.0, "pl_base": 0.1, "pl_basket": 0.15 * 0.5},
    6: {"reverse": 0.6 * 0.5 * 0.4 / 2, "popp": 0.2 * 0.5, "popg": 0.1 * 1.0},
    7: {"popg": 0.1 * 0.5},
}


def _reco(basket=BASKET, k=6, **weights):
    return recommend(INDEX, params(**weights), "PLAQUISTE", basket, k)


def test_breakdown_fields_follow_the_signals():
    assert tuple(ScoreBreakdown.__dataclass_fields__) == SIGNALS


def test_every_contribution_and_the_order_match_the_hand_computation():
    result = _reco(**ALL_ON)
    totals = {i: sum(parts.values()) for i, parts in EXPECTED.items()}
    assert result.product_ids == tuple(pid(i) for i in sorted(totals, key=lambda i: -totals[i]))
    assert result.product_ids == tuple(pids(4, 2, 5, 3, 6, 7))
    for item in result.items:
        expected = EXPECTED[(item.product_id - 5000) // 7]
        got = vars(item.breakdown)
        assert got == pytest.approx({s: expected.get(s, 0.0) for s in SIGNALS}, abs=1e-6)
        assert item.score == pytest.approx(item.breakdown.total, abs=1e-12)


@pytest.mark.parametrize(
    ("weights", "order"),
    [
        ({"W_PAIR": 0.6}, (2, 4, 3, 5, 6, 7)),  # .3, .15, .06, then ties by item index
        ({"W_PAIR": 0.6, "PAIR_ANY_WEIGHT": 2.0}, (2, 5, 4, 3, 6, 7)),  # 5: .6 x 2 x .3 / 2 = .18
        ({"W_PAIR": 0.6, "PAIR_REV_WEIGHT": 1.0}, (2, 4, 6, 3, 5, 7)),  # 6: .6 x .4 / 2 = .12
        ({"W_EMB": 0.3}, (3, 4, 2, 5, 6, 7)),  # cosines 1, .71; item 2's -.71 clipped to 0
        ({"W_POPP": 0.2}, (5, 6, 2, 3, 4, 7)),  # PLAQUISTE's popularity; 7 is PLOMBIER's
        ({"W_POPG": 0.1}, (6, 7, 2, 3, 4, 5)),
        ({"W_COVERAGE": 0.1}, (2, 3, 4, 5, 6, 7)),  # only 2 is linked by both basket items
        ({"W_PL_BASE": 0.1}, (4, 5, 2, 3, 6, 7)),
        ({"W_PL_PER_BASK_PL": 0.15}, (4, 5, 2, 3, 6, 7)),
    ],
)
def test_switching_one_weight_on_orders_by_that_signal(weights, order):
    assert _reco(**weights).product_ids == tuple(pids(*order))


def test_profession_pairs_outside_the_request_profession_do_not_count():
    result = recommend(INDEX, params(W_PAIR=0.6), "PLOMBIER", pids(0), 1)
    assert result.product_ids == (pid(7),)
    assert result.items[0].breakdown.pair == pytest.approx(0.6 * 0.9)


@pytest.mark.parametrize(("basket", "share"), [(pids(0, 1), 0.5), (pids(1), 1.0), (pids(0), 0.0)])
def test_basket_mdd_share_scales_the_multiplicative_boost(basket, share):
    result = _reco(basket=basket, k=8, W_PL_PER_BASK_PL=0.15, W_PL_BASE=0.1)
    by_id = {item.product_id: item.breakdown for item in result.items}
    assert by_id[pid(4)].pl_base == pytest.approx(0.1)
    assert by_id[pid(4)].pl_basket == pytest.approx(0.15 * share)
    assert by_id[pid(3)].pl_base == by_id[pid(3)].pl_basket == 0.0  # not an own-brand item


def test_pair_scores_are_averaged_over_basket_items():
    def pair_of_item_2(basket):
        items = _reco(basket=basket, k=6, W_PAIR=0.6).items
        return next(item.breakdown.pair for item in items if item.product_id == pid(2))

    assert pair_of_item_2(pids(1)) == pytest.approx(0.6 * 0.4)
    assert pair_of_item_2(pids(0, 1)) == pytest.approx(0.6 * (0.6 + 0.4) / 2)


def test_sources_name_the_linking_basket_items_then_popularity_then_emb():
    by_id = {item.product_id: item.sources for item in _reco(**ALL_ON).items}
    assert by_id[pid(2)] == (pid(0), pid(1), "popg")
    assert by_id[pid(6)] == (pid(0), "popp", "popg")  # a predecessor of basket item 0
    assert by_id[pid(3)] == (pid(0), "popg", "emb")  # the embedding is its largest contribution
    assert by_id[pid(7)] == ("popg",)
