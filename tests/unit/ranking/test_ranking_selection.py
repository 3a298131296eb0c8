"""Gamme cap, MMR, pair quota and the fill to k, on hand-built runs (basket = item 0)."""

import numpy as np
import pytest
from helpers.ranking_runs import make_index, params, pid, pids

from reco_core.ranking import recommend
from reco_core.ranking.diversify import capped_prefix, mmr

# pair scores from item 0 decrease with the item index; items 1-3 share gamme 10, 5 and 6 have none
CAPPED = make_index(
    8,
    pairs={"PLAQUISTE": {0: {1: 0.9, 2: 0.8, 3: 0.7, 4: 0.6, 5: 0.5, 6: 0.4}}},
    gamme={1: 10, 2: 10, 3: 10, 4: 20, 5: -1, 6: -1, 7: 30},
)


def _capped(k, cap, **more):
    return recommend(CAPPED, params(W_PAIR=1.0, CAP_PER_GAMME=cap, **more), "PLAQUISTE", pids(0), k)


@pytest.mark.parametrize(
    ("cap", "order"),
    [
        (0, (1, 2, 3, 4, 5)),  # no cap
        (2, (1, 2, 4, 5, 6)),  # the third item of gamme 10 is skipped
        (1, (1, 4, 5, 6, 7)),  # unknown gamme (-1) is never capped; 7 has a zero score
    ],
)
def test_gamme_cap(cap, order):
    assert _capped(5, cap).product_ids == tuple(pids(*order))


def test_cap_also_binds_mmr():
    result = _capped(5, 1, DIVERSIFY=1, MMR_LAMBDA=0.7)
    gammes = [CAPPED.gamme[(p - 5000) // 7] for p in result.product_ids]
    assert sorted(gammes) == [-1, -1, 10, 20, 30]


def test_when_the_cap_leaves_too_few_items_the_rest_fills_up_to_k():
    # cap 1 allows 1, 4, 5, 6, 7; k = 7 takes the capped-out 2 and 3, best first
    assert _capped(7, 1).product_ids == tuple(pids(1, 4, 5, 6, 7, 2, 3))


# MMR: items 1 and 2 are identical in embedding space, 3 is orthogonal to both
MMR_RUN = make_index(
    6,
    pairs={"PLAQUISTE": {0: {1: 0.9, 2: 0.8, 3: 0.5}}},
    emb={1: [0, 1], 2: [0, 1], 3: [0, 0, 1]},
)


@pytest.mark.parametrize(
    ("diversify", "lam", "order"),
    [
        # relevance = score / .9 (the shortlist's minimum is 0): 1, .889, .556, 0...
        # after 1: gain(2) = .7 x .889 - .3 x cos(2, 1) = .322 < gain(3) = .7 x .556 = .389
        (1, 0.7, (1, 3, 2)),
        (1, 1.0, (1, 2, 3)),  # lambda 1: relevance only
        (0, 0.7, (1, 2, 3)),  # DIVERSIFY=0: by score
    ],
)
def test_mmr(diversify, lam, order):
    p = params(W_PAIR=1.0, DIVERSIFY=diversify, MMR_LAMBDA=lam)
    assert recommend(MMR_RUN, p, "PLAQUISTE", pids(0), 3).product_ids == tuple(pids(*order))


def test_mmr_relevance_is_min_max_normalised_over_the_candidates():
    relevance = np.array([3.0, 2.0, 1.0])
    emb = np.array([[1, 0], [1, 0], [0, 1]], np.float32)
    # normalised 1, .5, 0: after item 0, gain(1) = .5 x .5 - .5 x 1 < gain(2) = 0 - 0
    assert mmr(relevance, emb, np.full(3, -1), 3, 0.5, 0).tolist() == [0, 2, 1]
    assert mmr(relevance * 10 + 7, emb, np.full(3, -1), 3, 0.5, 0).tolist() == [0, 2, 1]


def test_capped_prefix_counts_items_already_taken():
    gammes = np.array([10, 10, 20, -1, 20])
    assert capped_prefix(gammes, 2, 5).tolist() == [0, 1, 2, 3, 4]
    assert capped_prefix(gammes, 2, 5, taken=np.array([10, 20, -1])).tolist() == [0, 2, 3]
    assert capped_prefix(gammes, 0, 2).tolist() == [0, 1]


# Quota: pair-linked items 1 and 2 score low; popular items 3-6 score high
QUOTA_RUN = make_index(
    8,
    pairs={"PLAQUISTE": {0: {1: 0.1, 2: 0.05}}},
    pop_by_prof={"PLAQUISTE": {3: 1.0, 4: 0.9, 5: 0.8, 6: 0.7}},
    gamme={1: 40, 3: 40, 4: 50},
)


@pytest.mark.parametrize(
    ("quota", "cap", "order"),
    [
        (0, 0, (3, 4, 5, 6)),
        (1, 0, (3, 4, 5, 1)),  # the lowest-ranked non-pair item makes room
        (2, 0, (3, 4, 1, 2)),  # the freed slots are filled in score order
        (5, 0, (3, 4, 1, 2)),  # only two pair-linked items exist
        (2, 1, (3, 4, 5, 2)),  # 1 would be a second item of gamme 40: the cap wins
    ],
)
def test_pair_quota(quota, cap, order):
    p = params(W_PAIR=1.0, W_POPP=1.0, PAIR_QUOTA=quota, CAP_PER_GAMME=cap)
    assert recommend(QUOTA_RUN, p, "PLAQUISTE", pids(0), 4).product_ids == tuple(pids(*order))


@pytest.mark.parametrize("k", [1, 3, 7, 8, 20])
def test_exactly_k_items_when_the_catalogue_allows(k):
    p = params(W_PAIR=1.0, CAP_PER_GAMME=2, DIVERSIFY=1, PAIR_QUOTA=2)
    result = recommend(CAPPED, p, None, pids(0), k)
    assert len(result.items) == min(k, 7)  # 8 items, one in the basket
    assert len(set(result.product_ids)) == len(result.items)
    assert pid(0) not in result.product_ids
