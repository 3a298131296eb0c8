"""Every method of the evaluation honours the Recommender contract; baselines score as documented."""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers.ranking_runs import make_index, substitute_table

from reco_core.evaluation.baselines import (
    PROFESSION_AUTO,
    PROFESSION_NONE,
    EmbeddingsOnly,
    GlobalPopularity,
    PairsOnly,
    ProfessionPopularity,
    Recommender,
    UnderSubstituteRules,
    top_k,
)
from reco_core.evaluation.ease import fit_ease
from reco_core.evaluation.scoring import RankerRecommender
from reco_core.ranking import BasketParams, Profile

N = 40
RNG = np.random.default_rng(3)
INDEX = make_index(
    N,
    pairs={
        name: {a: {int(b): float(RNG.uniform(0.01, 1)) for b in RNG.choice(N, 6)} for a in range(N)}
        for name in ("PLAQUISTE", "PLOMBIER", "ANY")
    },
    emb=RNG.normal(size=(N, 6)),
    pop_by_prof={"PLAQUISTE": dict(enumerate(RNG.random(N))), "PLOMBIER": dict(enumerate(RNG.random(N)))},
    train_pop=dict(enumerate(RNG.random(N))),
    gamme={i: int(g) for i, g in enumerate(RNG.integers(-1, 5, N))},
)
INTERACTIONS = sp.csr_matrix((RNG.random((300, N)) < 0.15).astype(np.float32))


def _baskets(rows: list[list[int]]) -> sp.csr_matrix:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.concatenate([np.asarray(r, np.int64) for r in rows])
    return sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(len(rows), N))


BASKETS = _baskets([[0], [1, 2], [3, 4, 5], [6], [7, 8], list(range(30))])
PROFESSIONS = np.array([0, 1, PROFESSION_AUTO, PROFESSION_NONE, 0, 1])


class RecommenderContract:
    """The contract of reco_core.evaluation.baselines, for any implementation (`method` fixture)."""

    @pytest.fixture
    def method(self) -> Recommender:
        raise NotImplementedError

    def test_shape_k_and_item_range(self, method):
        ranked = method.recommend_batch(BASKETS, PROFESSIONS, 10)
        assert ranked.shape == (6, 10)
        assert ranked.dtype == np.int64
        assert ((ranked >= 0) & (ranked < N)).all()  # the catalogue has 10 other items for every basket

    def test_never_a_basket_item_nor_a_duplicate(self, method):
        ranked = method.recommend_batch(BASKETS, PROFESSIONS, 10)
        for row, items in enumerate(ranked):
            assert not set(items.tolist()) & set(BASKETS[row].indices.tolist())
            assert len(set(items.tolist())) == 10

    def test_pads_with_minus_one_when_the_catalogue_runs_out(self, method):
        ranked = method.recommend_batch(BASKETS[5:], PROFESSIONS[5:], 15)
        assert sorted(ranked[0, :10].tolist()) == list(range(30, 40))
        assert ranked[0, 10:].tolist() == [-1] * 5

    def test_deterministic_and_independent_of_the_batch(self, method):
        ranked = method.recommend_batch(BASKETS, PROFESSIONS, 5)
        assert (method.recommend_batch(BASKETS, PROFESSIONS, 5) == ranked).all()
        alone = [method.recommend_batch(BASKETS[i : i + 1], PROFESSIONS[i : i + 1], 5)[0] for i in range(6)]
        assert (np.stack(alone) == ranked).all()

    def test_k_is_respected(self, method):
        assert method.recommend_batch(BASKETS, PROFESSIONS, 1).shape == (6, 1)


class TestGlobalPopularity(RecommenderContract):
    @pytest.fixture
    def method(self):
        return GlobalPopularity(INDEX)


class TestProfessionPopularity(RecommenderContract):
    @pytest.fixture
    def method(self):
        return ProfessionPopularity(INDEX)


class TestPairsOnly(RecommenderContract):
    @pytest.fixture
    def method(self):
        return PairsOnly(INDEX)


class TestPairsUnderSubstituteRules(RecommenderContract):
    @pytest.fixture
    def method(self):
        # substitutes among items 10-19 only: the catalogue still has 10 items for every basket
        return UnderSubstituteRules(
            PairsOnly(INDEX), substitute_table(N, [(i, i + 1) for i in range(10, 19, 2)])
        )


class TestEmbeddingsOnly(RecommenderContract):
    @pytest.fixture
    def method(self):
        return EmbeddingsOnly(INDEX)


@pytest.fixture(scope="module")
def ease():
    return fit_ease(INDEX, INTERACTIONS, lambdas=(1.0, 10.0), val_samples=100)


class TestEase(RecommenderContract):
    @pytest.fixture
    def method(self, ease):
        return ease


class TestRanker(RecommenderContract):
    @pytest.fixture
    def method(self):
        return RankerRecommender(INDEX, Profile.fixed(BasketParams(CAP_PER_GAMME=0)))


# --- what each baseline computes, by hand ----------------------------------------------------
SMALL = make_index(
    5,
    pairs={"ANY": {0: {1: 0.2, 2: 0.5}, 3: {1: 0.4}}, "PLAQUISTE": {0: {4: 0.9}}},
    emb={0: [1, 0], 1: [0.9, 0.1], 2: [0, 1], 3: [1, 1], 4: [-1, 0]},
    pop_by_prof={"PLAQUISTE": {4: 1.0, 2: 0.5}, "PLOMBIER": {1: 1.0, 3: 0.3}},
    train_pop={3: 1.0, 2: 0.8, 1: 0.1},
)


def _one(rows, n=5):
    indptr = np.cumsum([0] + [len(r) for r in rows])
    data = np.ones(indptr[-1], np.float32)
    return sp.csr_matrix((data, np.concatenate(rows).astype(np.int64), indptr), shape=(len(rows), n))


def test_pairs_sum_the_any_scores_over_basket_items_then_popularity():
    ranked = PairsOnly(SMALL).recommend_batch(_one([[0, 3]]), np.array([0]), 3)
    # 1: .2 + .4 = .6 > 2: .5; then no pair: 4 (popularity 0) is the only one left
    assert ranked.tolist() == [[1, 2, 4]]
    ranked = PairsOnly(SMALL).recommend_batch(_one([[4]]), np.array([0]), 3)
    assert ranked.tolist() == [[3, 2, 1]]  # no pair at all: global popularity


def test_profession_popularity_follows_the_mode():
    method = ProfessionPopularity(SMALL)
    baskets = _one([[0], [0], [0], [0]])
    # PLAQUISTE, PLOMBIER, none = global; auto: item 0's embedding is nearest PLOMBIER's centroid
    ranked = method.recommend_batch(baskets, np.array([0, 1, PROFESSION_NONE, PROFESSION_AUTO]), 2)
    assert ranked.tolist() == [[4, 2], [1, 3], [3, 2], [1, 3]]


def test_embeddings_rank_by_cosine_to_the_basket_centroid():
    ranked = EmbeddingsOnly(SMALL).recommend_batch(_one([[0, 2]]), np.array([0]), 3)
    assert ranked.tolist() == [[3, 1, 4]]  # centroid (1, 1): cos 1, then .78, then -.71


def test_top_k_breaks_ties_by_index_and_overwrites_basket_items():
    scores = np.array([[0.5, 0.9, 0.5, 0.9, 0.1]], np.float32)
    assert top_k(scores, _one([[3]]), 4).tolist() == [[1, 0, 2, 4]]


def test_under_the_substitute_rules_no_substitute_of_the_basket_nor_two_of_each_other():
    subs = substitute_table(5, [(1, 2), (0, 4)])
    baskets, professions = _one([[0, 3], [2]]), np.array([0, 0])
    assert PairsOnly(SMALL).recommend_batch(baskets, professions, 3).tolist() == [[1, 2, 4], [3, 1, 0]]
    ruled = UnderSubstituteRules(PairsOnly(SMALL), subs)
    assert ruled.name == "pairs+rules"
    # basket {0, 3}: 2 is the substitute of 1, better ranked; 4 that of the basket item 0
    # basket {2}: 1 is its substitute; 0 stays and closes 4; nothing else is left
    assert ruled.recommend_batch(baskets, professions, 3).tolist() == [[1, -1, -1], [3, 0, -1]]
