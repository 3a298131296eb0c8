"""Substitute rules and own-brand policies (ranking/substitutes.py) on hand-built runs.

Basket = item 0. Pair scores from item 0 decrease with the item index, so without the rules the
list is 1, 2, 3, ... Items 1 and 2 are substitutes of each other; 5 is a substitute of the
basket item 0; 3 is own brand and a substitute of 4 (branded).
"""

import numpy as np
import pytest
from helpers.ranking_runs import make_index, params, pid, pids

from reco_core.ranking import recommend
from reco_core.ranking.result import Alternative
from reco_core.ranking.substitutes import rules_for

SCORES = {1: 0.9, 2: 0.85, 3: 0.6, 4: 0.62, 5: 0.95, 6: 0.4, 7: 0.3}
PAIRS = {"PLAQUISTE": {0: SCORES}}
SUBSTITUTES = [(1, 2), (0, 5), (3, 4)]


def _index(**more):
    return make_index(9, pairs=PAIRS, is_pl=(3,), substitutes=SUBSTITUTES, **more)


def _ids(index, k=5, **values):
    return recommend(index, params(W_PAIR=1.0, **values), "PLAQUISTE", pids(0), k)


@pytest.mark.parametrize("diversify", [0, 1])
def test_substitute_rules_drop_the_basket_items_substitutes_and_the_worse_of_two_substitutes(diversify):
    on = _ids(_index(), DIVERSIFY=diversify, MMR_LAMBDA=0.99).product_ids
    off = _ids(_index(), DIVERSIFY=diversify, MMR_LAMBDA=0.99, SUBSTITUTES=0).product_ids
    assert off[:3] == tuple(pids(5, 1, 2))  # the basket's twin first, then two twins of each other
    assert pid(5) not in on  # a substitute of the basket item
    assert pid(1) in on and pid(2) not in on  # the better-scored of the two stays
    assert pid(4) in on and pid(3) not in on
    assert len(on) == 5  # the fill tops up with the next items


def test_the_shortfall_says_when_the_rules_left_fewer_than_k():
    result = _ids(_index(), k=8)  # 8 candidates, 3 of them left out by the rules
    assert len(result.items) == 5
    assert "SUBSTITUTES" in result.shortfall and "neither a substitute" in result.shortfall
    assert _ids(_index(), k=8, SUBSTITUTES=0).shortfall is None


def test_a_run_without_a_substitute_table_ranks_as_with_the_rules_off():
    plain = make_index(9, pairs=PAIRS, is_pl=(3,))
    assert _ids(plain).product_ids == _ids(_index(), SUBSTITUTES=0).product_ids
    assert rules_for(None, np.array([0]), np.arange(9), True) is None


def test_the_pair_quota_does_not_bring_back_a_substitute():
    index = _index()
    result = _ids(index, k=3, PAIR_QUOTA=3)
    ids = result.product_ids
    assert pid(5) not in ids and not {pid(1), pid(2)} <= set(ids)


def test_mdd_swap_puts_the_own_brand_substitute_in_the_branded_items_place():
    index = _index()
    boost = _ids(index, k=4)
    assert boost.product_ids == tuple(pids(1, 4, 6, 7))
    swap = _ids(index, k=4, MDD_POLICY="mdd_swap", MDD_SWAP_MARGIN=0.1)
    assert swap.product_ids == tuple(pids(1, 3, 6, 7))
    assert swap.items[1].alternative == Alternative(pid(4), pytest.approx(0.62), "mdd_swap")
    assert all(item.alternative is None for i, item in enumerate(swap.items) if i != 1)


def test_alternative_keeps_the_branded_item_and_names_its_own_brand_substitute():
    result = _ids(_index(), k=4, MDD_POLICY="alternative", MDD_SWAP_MARGIN=0.1)
    assert result.product_ids == tuple(pids(1, 4, 6, 7))
    assert result.items[1].alternative == Alternative(pid(3), pytest.approx(0.6), "mdd_alternative")


def test_an_own_brand_substitute_of_another_listed_item_is_neither_swapped_nor_offered():
    # own-brand 3 is also a substitute of 6, which is listed: swapping 4 for 3 would list two substitutes
    index = make_index(9, pairs=PAIRS, is_pl=(3,), substitutes=[*SUBSTITUTES, (3, 6)])
    for policy in ("mdd_swap", "alternative"):
        result = _ids(index, k=4, MDD_POLICY=policy, MDD_SWAP_MARGIN=0.1)
        assert result.product_ids == tuple(pids(1, 4, 6, 7))
        assert all(item.alternative is None for item in result.items)


def test_an_own_brand_substitute_far_below_is_neither_swapped_nor_offered():
    # spread of the scores 0.9 - 0.3 = 0.6 (item 5 is out): 0.02 / 0.6 = 3 % of it
    for policy in ("mdd_swap", "alternative"):
        result = _ids(_index(), k=4, MDD_POLICY=policy, MDD_SWAP_MARGIN=0.02)
        assert result.product_ids == tuple(pids(1, 4, 6, 7))
        assert all(item.alternative is None for item in result.items)


def test_policies_read_nothing_without_a_table():
    plain = make_index(9, pairs=PAIRS, is_pl=(3,))
    for policy in ("mdd_swap", "alternative"):
        result = _ids(plain, k=4, MDD_POLICY=policy)
        assert all(item.alternative is None for item in result.items)


def test_unknown_policy_is_refused():
    from reco_core.errors import RecoError
    from reco_core.ranking.params import BasketParams, overlay

    with pytest.raises(RecoError, match="MDD_POLICY"):
        overlay(BasketParams(), {"MDD_POLICY": "copy"}, "profile 'x', bucket 'default'")
