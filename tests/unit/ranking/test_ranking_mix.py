"""Profession auto-detection: centroids, softmax, top-k, minimum mass; explicit professions."""

import math

import numpy as np
import pytest
from helpers.ranking_runs import make_index, params, pid, pids

from reco_core.ranking import recommend
from reco_core.ranking.index import profession_centroids
from reco_core.ranking.profession_mix import detect_mix

PROFS = ("A", "B", "C")
# Each profession's popularity sits on one item, so its centroid is that item's embedding;
# item 3 is the basket: cosines .6, .5, .1 before normalisation.
RUN = make_index(
    5,
    professions=PROFS,
    emb={0: [1, 0, 0], 1: [0, 1, 0], 2: [0, 0, 1], 3: [0.6, 0.5, 0.1], 4: [0, 0, 0]},
    pop_by_prof={"A": {0: 1.0}, "B": {1: 1.0}, "C": {2: 1.0}},
    pairs={"A": {3: {0: 0.5}}, "B": {3: {0: 0.2, 1: 0.9}}},
)
COS = np.array([0.6, 0.5, 0.1]) / math.sqrt(0.62)


def _softmax(cos, temp):
    z = [math.exp(c / temp) for c in cos]
    return [v / sum(z) for v in z]


def test_centroids_are_normalised_popularity_weighted_means():
    emb = np.array([[1, 0], [0, 1], [1, 1]], np.float32) / np.array([[1], [1], [math.sqrt(2)]], np.float32)
    pop = np.array([[1.0, 0.5, 0.0], [0.0, 0.0, 0.0]], np.float32)
    centroids = profession_centroids(emb, pop)
    assert centroids[0] == pytest.approx(np.array([1, 0.5]) / math.sqrt(1.25))
    assert centroids[1].tolist() == [0.0, 0.0]  # no sales: zero centroid
    assert RUN.prof_centroids == pytest.approx(np.eye(3, 5))  # embeddings have n_items dims


@pytest.mark.parametrize(
    ("topk", "temp", "minmass", "kept"),
    [
        (3, 0.1, 0.1, (0, 1)),  # C's mass .0014 < .1
        (1, 0.1, 0.1, (0,)),
        (3, 0.1, 0.3, (0,)),  # B's .22 < .3
        (3, 10.0, 0.1, (0, 1, 2)),  # hot softmax: nearly uniform, all above .1
        (3, 0.1, 0.9, (0,)),  # everything below the minimum: the best profession stays
    ],
)
def test_mix_is_softmax_topk_minmass_renormalised(topk, temp, minmass, kept):
    mass = _softmax(COS, temp)
    expected = {PROFS[p]: mass[p] / sum(mass[q] for q in kept) for p in kept}
    p = params(PROFMIX_TOPK=topk, PROFMIX_TEMP=temp, PROFMIX_MINMASS=minmass)
    result = recommend(RUN, p, None, pids(3), 2)
    assert result.profession is None
    assert list(result.profession_mix) == [PROFS[p] for p in kept]  # best first
    assert result.profession_mix == pytest.approx(expected)


def test_detect_mix_by_hand():
    mix = detect_mix(np.eye(3), COS, topk=3, temp=0.1, minmass=0.1)
    mass = _softmax(COS, 0.1)
    assert mix.rows.tolist() == [0, 1]
    assert mix.weights.tolist() == pytest.approx(
        [mass[0] / (mass[0] + mass[1]), mass[1] / (mass[0] + mass[1])]
    )


def test_mix_weights_the_profession_pair_scores():
    result = recommend(RUN, params(W_PAIR=1.0), None, pids(3), 2)
    w = result.profession_mix
    by_id = {item.product_id: item.breakdown.pair for item in result.items}
    assert by_id[pid(0)] == pytest.approx(w["A"] * 0.5 + w["B"] * 0.2)
    assert by_id[pid(1)] == pytest.approx(w["B"] * 0.9)


@pytest.mark.parametrize("profession", [None, "", "  ", "MAGICIEN", "ANY"])
def test_missing_or_unknown_profession_is_detected(profession):
    result = recommend(RUN, params(), profession, pids(3), 2)
    assert set(result.profession_mix) == {"A", "B"}
    assert result.profession is None
    unknown = (profession or "").strip() or None
    assert result.unknown_profession == unknown


def test_explicit_profession_is_the_whole_mix():
    result = recommend(RUN, params(W_PAIR=1.0), "B", pids(3), 2)
    assert result.profession == "B" and result.profession_mix == {"B": 1.0}
    assert result.product_ids == tuple(pids(1, 0))


def test_basket_without_embedding_has_no_profession_mix():
    result = recommend(RUN, params(W_PAIR=1.0), None, pids(4), 2)
    assert result.profession_mix == {} and result.fallback is None
