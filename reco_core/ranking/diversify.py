"""From scored candidates to the k recommended: gamme cap, MMR, pair quota, fill.

Order of operations: (1) on the SHORTLIST best candidates, pick k greedily - by MMR when
DIVERSIFY=1, else by score - never taking more than CAP_PER_GAMME items of one gamme (gamme -1
= unknown is not capped; 0 = no cap); (2) if fewer than k were picked (the cap or a small pool),
fill with the next candidates by score under the cap, then regardless of it, so that k items
come back whenever the pool has them; (3) enforce PAIR_QUOTA by replacing the lowest-ranked
items not linked by pairs with the best pair-linked ones the cap allows. The cap wins over the
quota: a pair-linked item whose gamme is full is not available.

MMR runs on a shortlist only: its greedy loop is O(k x shortlist), and candidates beyond the
best few hundred by score never win against the relevance term anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reco_core.ranking import kernels
from reco_core.ranking.order import top_order
from reco_core.ranking.params import BasketParams
from reco_core.ranking.substitutes import SubstituteRules

MMR_SHORTLIST = 300


def shortlist_size(k: int) -> int:
    return max(MMR_SHORTLIST, 3 * k)


def choose(
    items: np.ndarray,
    scores: np.ndarray,
    pair_linked: np.ndarray,
    gamme: np.ndarray,
    emb: np.ndarray,
    k: int,
    params: BasketParams,
    substitutes: SubstituteRules | None = None,
) -> np.ndarray:
    """Pool positions of the result, in result order: min(k, pool size) of them.

    `items`, `scores`, `pair_linked` are per pool position; `gamme`, `emb` per item index.
    `substitutes`: the substitute rules (ranking/substitutes.py) - excluded positions are never
    taken, and an item is skipped when a substitute of it was taken before.
    """
    if substitutes is not None:
        return _choose_without_substitutes(items, scores, pair_linked, gamme, emb, k, params, substitutes)
    cap = params.CAP_PER_GAMME
    shortlist = top_order(scores, shortlist_size(k))
    gammes = gamme[items[shortlist]]
    if params.DIVERSIFY:
        picked = mmr(scores[shortlist], emb[items[shortlist]], gammes, k, params.MMR_LAMBDA, cap)
    else:
        picked = capped_prefix(gammes, cap, k)
    chosen = shortlist[picked]
    if len(chosen) < min(k, len(items)):
        chosen = _fill(chosen, items, scores, gamme, k, cap)
    return apply_quota(chosen, items, scores, pair_linked, gamme, params.PAIR_QUOTA, cap)


def _choose_without_substitutes(
    items: np.ndarray,
    scores: np.ndarray,
    pair_linked: np.ndarray,
    gamme: np.ndarray,
    emb: np.ndarray,
    k: int,
    params: BasketParams,
    rules: SubstituteRules,
) -> np.ndarray:
    """choose() under the substitute rules: the same steps, each skipping what the rules forbid."""
    cap = params.CAP_PER_GAMME
    allowed = np.flatnonzero(~rules.excluded)
    shortlist = allowed[top_order(scores[allowed], shortlist_size(k))]
    gammes = gamme[items[shortlist]]
    conflicts = rules.closes(shortlist)
    if params.DIVERSIFY:
        picked = mmr(scores[shortlist], emb[items[shortlist]], gammes, k, params.MMR_LAMBDA, cap, conflicts)
    else:
        picked = mmr(scores[shortlist], None, gammes, k, 1.0, cap, conflicts)
    chosen = shortlist[picked]
    if len(chosen) < min(k, len(allowed)):
        by_score = allowed[top_order(scores[allowed], len(allowed))]
        chosen, rest = _top_up(chosen, by_score, items, scores, gamme, k, cap, rules)
        if len(chosen) < k:  # the cap gives way, the substitute rules do not
            chosen, _ = _top_up(chosen, rest, items, scores, gamme, k, 0, rules)
    linked = pair_linked & ~rules.excluded
    quota = apply_quota(chosen, items, scores, linked, gamme, params.PAIR_QUOTA, cap)
    if np.array_equal(quota, chosen):
        return chosen
    # the quota brought in pair-linked items: drop any that conflicts with an item ranked before
    # it, then top up by score with what the rules allow
    keep = [int(quota[0])] if len(quota) else []
    for slot in quota[1:]:
        if not rules.blocked_by(np.array(keep), np.array([slot]))[0]:
            keep.append(int(slot))
    chosen = np.array(keep, dtype=np.int64)
    if len(chosen) < k:
        by_score = allowed[top_order(scores[allowed], len(allowed))]
        chosen, _ = _top_up(chosen, by_score, items, scores, gamme, k, 0, rules)
    return chosen


def _top_up(
    chosen: np.ndarray,
    candidates: np.ndarray,
    items: np.ndarray,
    scores: np.ndarray,
    gamme: np.ndarray,
    k: int,
    cap: int,
    rules: SubstituteRules,
) -> tuple[np.ndarray, np.ndarray]:
    """(`chosen` topped up to k by score from `candidates` - pool positions, best first - under the
    gamme cap and the substitute rules; the candidates that were still eligible)."""
    rest = candidates[~np.isin(candidates, chosen)]
    rest = rest[~rules.blocked_by(chosen, rest)]
    more = mmr(scores[rest], None, gamme[items[rest]], k - len(chosen), 1.0, cap, rules.closes(rest))
    return np.concatenate([chosen, rest[more]]), rest


def mmr(
    relevance: np.ndarray,
    emb: np.ndarray | None,
    gammes: np.ndarray,
    k: int,
    lam: float,
    cap: int,
    conflicts: Callable[[int], np.ndarray] | None = None,
) -> np.ndarray:
    """Greedy maximal marginal relevance under the gamme cap; positions in pick order.

    Each step takes argmax of lam x relevance - (1 - lam) x (max cosine to the items already
    taken), relevance min-max normalised over the candidates. Cosines are clipped at 0: an item
    unrelated to the ones taken is not penalised, but not rewarded for being opposite either
    (which would favour noise over relevant items). Ties go to the lower position, i.e. the
    better score, the candidates being sorted by score.

    `emb` None: no similarity term (lam is then 1: by score). `conflicts(j)`: the positions that
    picking j closes (the substitute rules, SubstituteRules.closes).
    """
    return kernels.mmr(relevance, emb, gammes, k, lam, cap, conflicts)


def capped_prefix(gammes: np.ndarray, cap: int, need: int, taken: np.ndarray | None = None) -> np.ndarray:
    """Positions of the first `need` items, in order, that fit the cap given the gammes of the
    items already `taken`."""
    if cap == 0:
        return np.arange(min(need, len(gammes)))
    rank = _rank_within(gammes)
    if taken is not None and len(taken):
        values, counts = np.unique(taken, return_counts=True)
        at = np.minimum(np.searchsorted(values, gammes), len(values) - 1)
        rank += np.where(values[at] == gammes, counts[at], 0)
    return np.flatnonzero((gammes < 0) | (rank < cap))[:need]


def apply_quota(
    chosen: np.ndarray,
    items: np.ndarray,
    scores: np.ndarray,
    pair_linked: np.ndarray,
    gamme: np.ndarray,
    quota: int,
    cap: int,
) -> np.ndarray:
    """`chosen` with at least min(quota, pair-linked candidates, len(chosen)) pair-linked items:
    the lowest-ranked other items are replaced by the best pair-linked ones the cap allows, which
    take the freed slots in score order."""
    target = min(quota, int(pair_linked.sum()), len(chosen))
    if int(pair_linked[chosen].sum()) >= target:
        return chosen
    chosen = chosen.copy()
    slots: list[int] = []
    candidates = np.flatnonzero(pair_linked)
    candidate_gammes = gamme[items[candidates]]
    while int(pair_linked[chosen].sum()) < target:
        slot = int(np.flatnonzero(~pair_linked[chosen])[-1])
        kept = np.delete(chosen, slot)
        ok = ~np.isin(candidates, kept)
        if cap:
            kept_gammes = gamme[items[kept]]
            values, counts = np.unique(kept_gammes[kept_gammes >= 0], return_counts=True)
            ok &= ~np.isin(candidate_gammes, values[counts >= cap])
        if not ok.any():
            break
        chosen[slot] = candidates[ok][np.argmax(scores[candidates[ok]])]
        slots.append(slot)
    slots.sort()
    newcomers = chosen[slots]
    chosen[slots] = newcomers[np.argsort(-scores[newcomers], kind="stable")]
    return chosen


def _fill(
    chosen: np.ndarray, items: np.ndarray, scores: np.ndarray, gamme: np.ndarray, k: int, cap: int
) -> np.ndarray:
    """Top `chosen` up to k with the best remaining candidates: under the cap first, then not."""
    rest = top_order(scores, len(scores))
    rest = rest[~np.isin(rest, chosen)]
    more = rest[capped_prefix(gamme[items[rest]], cap, k - len(chosen), taken=gamme[items[chosen]])]
    chosen = np.concatenate([chosen, more])
    rest = rest[~np.isin(rest, more)]
    return np.concatenate([chosen, rest[: k - len(chosen)]])


def _rank_within(values: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions hold the same value."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(values)]))
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values)) - run_start
    return rank
