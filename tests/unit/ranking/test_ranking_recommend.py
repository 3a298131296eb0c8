"""`recommend` as the API and the evaluation see it: request handling, fallbacks, invariants."""

import dataclasses

import numpy as np
import pytest
from helpers.ranking_runs import make_index, make_run, params, pid, pids

from reco_core.errors import RecoError
from reco_core.ranking import BasketParams, Profile, RankerIndex, recommend
from reco_core.ranking.order import top_order

INDEX = make_index(
    6,
    pairs={"PLAQUISTE": {0: {1: 0.5, 2: 0.4}}, "ANY": {0: {3: 0.9}}},
    pop_by_prof={"PLAQUISTE": {4: 1.0, 5: 0.5}, "PLOMBIER": {5: 1.0, 3: 0.2}},
    train_pop={2: 1.0, 3: 0.6, 0: 0.4},
)


def test_unknown_ids_are_ignored_and_reported_duplicates_collapse():
    result = recommend(INDEX, params(W_PAIR=1.0), "PLAQUISTE", [999, pid(0), 999, pid(0), 12], 2)
    assert result.basket == (pid(0),)
    assert result.unknown_product_ids == (999, 12)
    assert result.fallback is None
    assert result.product_ids == tuple(pids(1, 2))


@pytest.mark.parametrize("basket", [[], [999, 998]])
def test_no_known_item_falls_back_to_the_profession_popularity(basket):
    result = recommend(INDEX, params(), "PLOMBIER", basket, 3)
    assert result.fallback == "profession_popularity"
    assert result.profession_mix == {"PLOMBIER": 1.0}
    assert result.product_ids == tuple(pids(5, 3, 0))  # popularity 1, .2, then ties by index
    assert [item.breakdown.popp for item in result.items] == pytest.approx([1.0, 0.2, 0.0])
    assert result.items[0].sources == ("popp", "popg")


@pytest.mark.parametrize("profession", [None, "", "MAGICIEN"])
def test_no_known_item_and_no_profession_falls_back_to_global_popularity(profession):
    result = recommend(INDEX, params(), profession, [999], 3)
    assert result.fallback == "global_popularity"
    assert result.profession_mix == {}
    assert result.product_ids == tuple(pids(2, 3, 0))
    assert [item.score for item in result.items] == pytest.approx([1.0, 0.6, 0.4])


def test_never_returns_a_basket_item_and_is_deterministic():
    rng = np.random.default_rng(7)
    n = 60
    pairs = {
        name: {a: {int(b): float(rng.uniform(0.01, 1)) for b in rng.choice(n, 12)} for a in range(n)}
        for name in ("PLAQUISTE", "PLOMBIER", "ANY")
    }
    index = make_index(
        n,
        pairs=pairs,
        emb=rng.normal(size=(n, 8)),
        pop_by_prof={"PLAQUISTE": dict(enumerate(rng.random(n))), "PLOMBIER": dict(enumerate(rng.random(n)))},
        train_pop=dict(enumerate(rng.random(n))),
        gamme={i: int(g) for i, g in enumerate(rng.integers(-1, 6, n))},
        is_pl=np.flatnonzero(rng.random(n) < 0.3).tolist(),
    )
    p = BasketParams(CAP_PER_GAMME=3)
    for trial in range(40):
        basket = pids(*rng.choice(n, 1 + trial % 9, replace=False).tolist())
        profession = (None, "PLAQUISTE", "PLOMBIER")[trial % 3]
        k = 1 + trial % 12
        result = recommend(index, p, profession, basket, k)
        assert len(result.items) == k
        assert not set(result.product_ids) & set(basket)
        assert len(set(result.product_ids)) == k
        for item in result.items:
            assert item.score == pytest.approx(item.breakdown.total, abs=1e-12)
        assert recommend(index, p, profession, basket, k) == result


def test_all_items_but_the_basket_when_k_exceeds_the_catalogue():
    result = recommend(INDEX, params(), "PLAQUISTE", pids(0, 1), 1000)
    assert sorted(result.product_ids) == pids(2, 3, 4, 5)


@pytest.mark.parametrize("k", [0, -1, 1001, True, 2.0, "3", None])
def test_invalid_k_is_refused(k):
    with pytest.raises(RecoError, match="k must be an integer from 1 to 1000"):
        recommend(INDEX, params(), None, pids(0), k)


@pytest.mark.parametrize("bad", ["abc", 1.5, None, True])
def test_product_ids_must_be_integers(bad):
    with pytest.raises(RecoError, match="product ids must be integers"):
        recommend(INDEX, params(), None, [pid(0), bad], 3)


def test_numpy_integers_are_accepted():
    result = recommend(INDEX, params(W_PAIR=1.0), "PLAQUISTE", np.array(pids(0)), np.int64(1))
    assert result.product_ids == (pid(1),)


def test_profile_bucket_is_chosen_by_the_number_of_known_items():
    profile = Profile("p", {"default": params(W_POPG=1.0), "1": params(W_PAIR=1.0), "3": params()})
    one = recommend(INDEX, profile, "PLAQUISTE", [pid(0), 999, pid(0)], 1)
    assert (one.bucket, one.product_ids) == ("1", (pid(1),))
    two = recommend(INDEX, profile, "PLAQUISTE", pids(0, 4), 1)
    assert (two.bucket, two.product_ids) == ("default", (pid(2),))
    assert two.params.W_POPG == 1.0


def test_a_profession_without_pair_tables_is_skipped():
    run = make_run(4, pairs={"PLAQUISTE": {0: {1: 0.5}}, "ANY": {0: {2: 0.5}}})
    partial = dataclasses.replace(
        run, pairs={"ANY": run.pairs["ANY"]}, pairs_rev={"ANY": run.pairs_rev["ANY"]}
    )
    result = recommend(
        RankerIndex.build(partial), params(W_PAIR=1.0, PAIR_ANY_WEIGHT=1.0), "PLAQUISTE", pids(0), 1
    )
    assert result.product_ids == (pid(2),)


def test_baskets_beyond_64_items_count_every_link():
    n = 80
    index = make_index(n, pairs={"PLAQUISTE": {a: {75: 0.5} for a in range(70)}})
    result = recommend(index, params(W_COVERAGE=1.0), "PLAQUISTE", pids(*range(70)), 1)
    assert result.product_ids == (pid(75),)
    assert result.items[0].breakdown.coverage == pytest.approx(1.0)
    assert result.items[0].sources[:70] == tuple(pids(*range(70)))


def test_top_order_breaks_ties_by_position():
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    assert top_order(scores, 2).tolist() == [1, 2]
    assert top_order(scores, 4).tolist() == [1, 2, 4, 3]
    assert top_order(scores, 9).tolist() == [1, 2, 4, 3, 0]
    assert top_order(scores, 0).tolist() == []
