"""`recommend`: the one entry point of the API and of the offline evaluation.

It validates the request, then chains pure functions: basket -> profession mix -> candidate
pool -> signal rows -> selection -> explained items. Nothing is cached or mutated between calls,
so concurrent requests on one RankerIndex are safe.

Controls (reco_core.ranking.controls) enter as a per-request `CandidateFilter`, applied where the
pool is built, and merchandising rules (reco_core.rules) as a `PostRanking` step applied to the
ranked list: both optional, and a request without them ranks exactly as before.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
from collections.abc import Iterable, Sequence
from typing import Final, Protocol

import numpy as np

from reco_core.errors import RecoError
from reco_core.ranking.candidates import CandidatePool, build_pool
from reco_core.ranking.controls import CandidateFilter
from reco_core.ranking.diversify import choose, shortlist_size
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.learned import SHORTLIST, pool_params, shortlist_features
from reco_core.ranking.params import BasketParams
from reco_core.ranking.profession_mix import ProfessionMix, basket_centroid, detect_mix
from reco_core.ranking.profiles import Profile
from reco_core.ranking.result import (
    Alternative,
    Fallback,
    Recommendation,
    RecommendedItem,
    RuleApplied,
    ScoreBreakdown,
)
from reco_core.ranking.scoring import Scores, score_learned, score_pool, score_popularity
from reco_core.ranking.signals import Signal
from reco_core.ranking.substitutes import SubstituteRules, own_brand_moves, rules_for
from reco_core.text import fold_one

K_MAX = 1000


class NoProfession(enum.Enum):
    NO_PROFESSION = "no profession"


# `profession` value that scores a basket for everyone: no profession given and none detected.
# The "ANY" pairs take the place of a profession's pairs (in full: there is no separate ANY term)
# and the global popularity that of the profession's (weighted by W_POPP, pool TOP_POPP). It is
# the offline evaluation's `--mode none`; an object, not a string, so no API request can send it.
NO_PROFESSION: Final = NoProfession.NO_PROFESSION


class PostRanking(Protocol):
    """A step applied to the ranked list (the merchandising rules, reco_core.rules.apply)."""

    @property
    def extra_depth(self) -> int:
        """How many items beyond k it needs to see (a buried item leaves room for the next ones)."""
        ...

    def apply(
        self,
        index: RankerIndex,
        items: list[RecommendedItem],
        basket: np.ndarray,
        k: int,
        candidate_filter: CandidateFilter | None,
    ) -> tuple[list[RecommendedItem], Sequence[RuleApplied]]:
        """The final list (at most k items) and what each rule did."""
        ...


def recommend(
    index: RankerIndex,
    params: Profile | BasketParams,
    profession: str | NoProfession | None,
    product_ids: Iterable[int],
    k: int,
    *,
    explain: bool = True,
    candidate_filter: CandidateFilter | None = None,
    rules: PostRanking | None = None,
) -> Recommendation:
    """The k products that best complete a basket.

    `explain=False` (the offline evaluation, which reads only the order) skips breaking the
    learned blend's scores down by signal: item breakdowns then hold the policies' parts only.

    `params`: a profile (its bucket is chosen by the number of known basket items) or one
    parameter set. `profession`: None, "" or a name the run does not know -> detected from the
    basket; NO_PROFESSION -> scored for everyone (see NO_PROFESSION). Unknown product ids are
    ignored and reported; with no known item left, the answer is the popularity of the profession
    (or global popularity) and says so in `fallback`.
    `candidate_filter`: what this request may return (controls.ControlIndex.filter); the pool is
    filtered before scoring and topped up so that k items come back when the catalogue allows;
    `shortfall` says why there are fewer otherwise. `rules`: applied to the ranked list.
    Raises RecoError for an invalid k or a product id that is not an integer.
    """
    k = _check_k(k)
    known, unknown_ids = _split_basket(index, product_ids)
    basket_ids = tuple(known)
    basket = np.fromiter(known.values(), dtype=np.int64, count=len(known))
    profile = params if isinstance(params, Profile) else Profile.fixed(params)
    bucket, p = profile.for_size(len(basket))
    row, unknown_profession = _profession(index, profession)

    keep = candidate_filter
    if len(basket):
        fallback: Fallback | None = None
        mix, pool, scores = _score_basket(index, basket, row, p, k, keep)
    else:
        if row == index.any_row:  # everyone's popularity is the global one
            row = None
        fallback = "global_popularity" if row is None else "profession_popularity"
        mix, pool, scores = _score_popularity(index, row, p, k, keep)
    depth = k + (rules.extra_depth if rules is not None else 0)
    subst = rules_for(index.substitutes, basket, pool.items, bool(p.SUBSTITUTES))
    chosen = choose(pool.items, scores.total, pool.links > 0, index.gamme, index.emb, depth, p, subst)
    alternatives: dict[int, Alternative] = {}
    if p.MDD_POLICY != "boost":
        chosen, alternatives = _own_brand_policy(index, pool, scores, chosen, p, subst)
    if explain:
        scores.explain(chosen)
    items = _items(index, pool, scores, chosen, basket_ids)
    if alternatives:
        items = [
            dataclasses.replace(item, alternative=alternatives.get(int(c)))
            for item, c in zip(items, chosen, strict=True)
        ]
    applied: Sequence[RuleApplied] = ()
    if rules is not None:
        items, applied = rules.apply(index, items, basket, k, keep)
    items = items[:k]
    return Recommendation(
        items=tuple(items),
        basket=basket_ids,
        unknown_product_ids=unknown_ids,
        profession=None if row is None else index.row_names[row],
        unknown_profession=unknown_profession,
        profession_mix=mix.named(index.row_names),
        fallback=fallback,
        bucket=bucket,
        params=p,
        removed=dict(keep.removed) if keep is not None else {},
        shortfall=_shortfall(len(items), k, len(pool.items), keep, subst),
        rules_applied=tuple(applied),
    )


def _own_brand_policy(
    index: RankerIndex,
    pool: CandidatePool,
    scores: Scores,
    chosen: np.ndarray,
    p: BasketParams,
    subst: SubstituteRules | None,
) -> tuple[np.ndarray, dict[int, Alternative]]:
    """(chosen, alternative by chosen pool position) under MDD_POLICY mdd_swap / alternative."""
    moves = own_brand_moves(
        index.substitutes,
        pool.items,
        scores.total,
        chosen,
        index.item_stats,
        index.pl_column,
        p.MDD_SWAP_MARGIN,
        None if subst is None else subst.excluded,
    )
    chosen = chosen.copy()
    out: dict[int, Alternative] = {}
    ids = index.run.item_ids
    for move in moves:
        if p.MDD_POLICY == "mdd_swap":
            chosen[move.position] = move.own_brand
            other, slot, kind = move.branded, move.own_brand, "mdd_swap"
        else:
            other, slot, kind = move.own_brand, move.branded, "mdd_alternative"
        out[slot] = Alternative(int(ids[pool.items[other]]), float(scores.total[other]), kind)
    return chosen, out


def _shortfall(
    n: int, k: int, pooled: int, keep: CandidateFilter | None, subst: SubstituteRules | None = None
) -> str | None:
    """Why fewer than k items came back (None when k did)."""
    if n >= k:
        return None
    if subst is not None and n < pooled:
        return (
            f"only {n} of the {pooled} products that can complete this basket are neither a substitute "
            "of a basket product nor of a better-ranked one (profile key SUBSTITUTES)"
        )
    if keep is None:
        return f"the run has only {pooled} products that can complete this basket"
    removed = ", ".join(f"{count} {reason}" for reason, count in keep.removed.items() if count)
    return f"only {pooled} products of the catalogue pass this request's controls" + (
        f" (left out of the candidates: {removed})" if removed else ""
    )


def _score_basket(
    index: RankerIndex,
    basket: np.ndarray,
    row: int | None,
    p: BasketParams,
    k: int,
    keep: CandidateFilter | None = None,
) -> tuple[ProfessionMix, CandidatePool, Scores]:
    learned = bool(p.LEARNED_BLEND and index.blend is not None)
    mix, centroid, pool, features = basket_pool(index, basket, row, p, k, learned=learned, keep=keep)
    # the float32 mean, as ndarray.mean computes it (float32 sum / count), in a third of its time
    pl_share = float(np.take(index.item_stats, basket, axis=0)[:, index.pl_column].sum() / len(basket))
    if features is not None:
        return mix, pool, score_learned(index, pool, features, pl_share, p)
    return mix, pool, score_pool(index, pool, centroid, mix, pl_share, p)


def basket_pool(
    index: RankerIndex,
    basket: np.ndarray,
    row: int | None,
    p: BasketParams,
    k: int,
    *,
    learned: bool,
    keep: CandidateFilter | None = None,
) -> tuple[ProfessionMix, np.ndarray | None, CandidatePool, np.ndarray | None]:
    """(profession mix, basket centroid, candidate pool, features) of a non-empty basket (item
    indices).

    `row`: the explicit profession's row, or None to detect the mix. `learned`: the pool the
    learned blend scores - built with unit weights (learned.pool_params), cut to its shortlist,
    with the shortlist's features (None otherwise). Training fits the blend on exactly these.
    """
    centroid = basket_centroid(index.emb, basket)
    if row is not None:
        mix = ProfessionMix.single(row)
    elif centroid is None:
        mix = ProfessionMix.empty()
    else:
        mix = detect_mix(
            index.prof_centroids,
            centroid,
            topk=p.PROFMIX_TOPK,
            temp=p.PROFMIX_TEMP,
            minmass=p.PROFMIX_MINMASS,
        )
    if not learned:
        return mix, centroid, build_pool(index, basket, mix, p, shortlist_size(k), keep=keep), None
    pool = build_pool(index, basket, mix, pool_params(p), shortlist_size(k), keep=keep)
    slots, features = shortlist_features(
        index, pool, centroid, mix, max(SHORTLIST, 3 * k), named=row is not None
    )
    return mix, centroid, pool.subset(slots), features


def _score_popularity(
    index: RankerIndex, row: int | None, p: BasketParams, k: int, keep: CandidateFilter | None = None
) -> tuple[ProfessionMix, CandidatePool, Scores]:
    """No usable basket: the popular items of the profession, or of everyone."""
    mix = ProfessionMix.empty() if row is None else ProfessionMix.single(row)
    pool = build_pool(index, np.empty(0, np.int64), mix, p, shortlist_size(k), keep=keep)
    return mix, pool, score_popularity(index, pool, row)


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= K_MAX:
        raise RecoError(f"k must be an integer from 1 to {K_MAX}, got {k!r}")
    return int(k)


def _split_basket(index: RankerIndex, product_ids: Iterable[int]) -> tuple[dict[int, int], tuple[int, ...]]:
    """(known product id -> item index, unknown product ids), each deduplicated in request order."""
    known: dict[int, int] = {}
    unknown: dict[int, None] = {}
    lookup = index.run.item_index
    for raw in product_ids:
        if isinstance(raw, bool):
            raise RecoError(f"product ids must be integers, got {raw!r}")
        try:
            pid = operator.index(raw)
        except TypeError:
            raise RecoError(f"product ids must be integers, got {raw!r}") from None
        if pid in known or pid in unknown:
            continue
        item = lookup.get(pid, -1)
        if item >= 0:
            known[pid] = item
        else:
            unknown[pid] = None
    return known, tuple(unknown)


def _profession(index: RankerIndex, profession: str | NoProfession | None) -> tuple[int | None, str | None]:
    """(row of the explicit profession or None, the name when the run does not know it).

    Names are matched without regard to case, accents or spaces ("plaquiste" is PLAQUISTE):
    people type them, and an unmatched name silently falls back to detection."""
    if profession is NO_PROFESSION:
        return index.any_row, None
    name = (profession or "").strip()
    if not name:
        return None, None
    row = index.prof_row.get(name)
    if row is None:
        row = index.prof_row_folded.get(fold_one(name))
    return (None, name) if row is None else (row, None)


def _items(
    index: RankerIndex,
    pool: CandidatePool,
    scores: Scores,
    chosen: np.ndarray,
    basket_ids: tuple[int, ...],
) -> list[RecommendedItem]:
    """The recommended items at pool slots `chosen`, in that order, with their explanations."""
    product_ids = index.run.item_ids[pool.items[chosen]].tolist()
    totals = scores.total[chosen].tolist()
    popular = pool.from_popp[chosen].tolist(), pool.from_popg[chosen].tolist()
    items = []
    for i, (slot, contributions) in enumerate(
        zip(chosen.tolist(), scores.contributions(chosen), strict=True)
    ):
        sources: list[int | str] = [basket_ids[b] for b in pool.linked_by(slot)]
        sources += [name for name, flags in zip(("popp", "popg"), popular, strict=True) if flags[i]]
        emb = contributions.get(Signal.EMB, 0.0)
        if emb > 0 and emb == max(contributions.values()):
            sources.append("emb")
        items.append(
            RecommendedItem(
                product_id=product_ids[i],
                score=totals[i],
                breakdown=ScoreBreakdown(**contributions),
                sources=tuple(sources),
            )
        )
    return items
