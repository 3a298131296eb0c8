"""Ranking engine: basket (+ profession) -> the k products that complete it.

    index = RankerIndex.build(load_run(run_dir))        # once per loaded run
    profile = get_profile(load_profiles(path), name)    # once per profile (re)load
    reco = recommend(index, profile, "PLAQUISTE" | None, [274426, 373353], k=10)

The profession is given, or detected from the basket when None (docs: profession_mix.py), or
NO_PROFESSION: scored for everyone, with the "ANY" pairs and the global popularity in place of a
profession's (the offline evaluation's --mode none).

Score of a candidate c for a basket A_1..A_n (n known items), profession mix {p: m_p}:

    pair      = W_PAIR x mean_i sum_p m_p s_p(A_i -> c)
    pair_any  = W_PAIR x PAIR_ANY_WEIGHT x mean_i s_ANY(A_i -> c)
    reverse   = W_PAIR x PAIR_REV_WEIGHT x mean_i [sum_p m_p s_p(c -> A_i)
                                                   + PAIR_ANY_WEIGHT x s_ANY(c -> A_i)]
    emb       = W_EMB x max(0, cos(e_c, normalised mean of e_A_i))
    popp      = W_POPP x sum_p m_p pop_p(c)
    popg      = W_POPG x pop(c)
    coverage  = W_COVERAGE x (links(c) - 1) / (n - 1)       (0 when n = 1)
    pl_base   = W_PL_BASE x mdd(c)
    pl_basket = W_PL_PER_BASK_PL x (share of MDD items in the basket) x mdd(c)

How the signals are scaled so that weights compare: every raw signal lies in [0, 1], so a
weight is the most its signal can add. Pair scores s are shrunk P(B | A) (training/pairs.py),
already in [0, 1]; they are averaged, not summed, over basket items, so a 1-item and a 10-item
basket produce pair signals of the same scale and one profile works across sizes (a candidate
linked to every basket item keeps its full score, one linked to a single item of ten gets a
tenth: breadth is rewarded by the mean itself, and explicitly by the coverage term). Mix weights
sum to 1, so the profession pair and popularity terms stay in [0, 1]. Reverse pairs (c usually
bought in orders containing A_i: c "comes before" A_i) are weaker evidence that c completes the
basket than forward ones, hence a factor PAIR_REV_WEIGHT (default 0.5) on top of the same
weighting. Cosines are clipped at 0: an unrelated item is not pushed below an unknown one.
Popularities are divided by the best seller's (training/popularity.py). links(c) is the number
of distinct basket items whose (forward or reverse, profession or ANY) pair rows list c, so the
coverage term is 0 for a candidate linked to one basket item and W_COVERAGE when linked to all.
MDD flags are 0/1 and the basket share is in [0, 1].

Without any known basket item the score is the raw popularity of the profession (or the global
one), see scoring.score_popularity. The candidate pool (and why TOP_PAIRS_TOTAL bounds it) is
described in candidates.py, the selection (gamme cap, MMR, pair quota, fill to k) in
diversify.py, the parameters and profiles in docs/profiles.md.
"""

from reco_core.ranking.index import RankerIndex
from reco_core.ranking.params import BasketParams, params_from_env
from reco_core.ranking.profiles import (
    DEFAULT_PROFILE,
    Profile,
    get_profile,
    load_profiles,
    parse_profiles,
    select_bucket,
)
from reco_core.ranking.ranker import K_MAX, NO_PROFESSION, recommend
from reco_core.ranking.result import Recommendation, RecommendedItem, ScoreBreakdown

__all__ = [
    "DEFAULT_PROFILE",
    "K_MAX",
    "NO_PROFESSION",
    "BasketParams",
    "Profile",
    "RankerIndex",
    "Recommendation",
    "RecommendedItem",
    "ScoreBreakdown",
    "get_profile",
    "load_profiles",
    "params_from_env",
    "parse_profiles",
    "recommend",
    "select_bucket",
]
