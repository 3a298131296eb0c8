"""Top-K metrics, per sample, as pure vectorised functions of a ranked list and the expected items.

A ranked list is a row of item indices, best first, -1 where a method had fewer than K items to
offer; the expected items of the samples are a CSR matrix (samples x items) of the same index
space. Everything is per sample, so that one function serves the overall mean, the means per
basket size and per profession, and their standard errors.

- Hit@K: 1 if at least one expected item is in the top K.
- Recall@K: expected items found / min(K, |expected|). The denominator is capped at K because a
  list of K items cannot hold more than K of them: an order with 30 remaining items and all 10
  recommendations right scores 1, not 1/3. RECALL_PLAIN divides by |expected| (the textbook
  recall, which punishes large orders for a limit of the list, not of the method).
- MRR@K: 1 / rank of the first expected item in the top K (rank from 1), 0 when none is.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

HIT, RECALL, RECALL_PLAIN, MRR = "hit", "recall", "recall_plain", "mrr"
METRICS: tuple[str, ...] = (HIT, RECALL, RECALL_PLAIN, MRR)
RECALL_DENOMINATOR = "min(K, number of expected items)"
RECALL_PLAIN_DENOMINATOR = "number of expected items"


def relevance(ranked: np.ndarray, expected: sp.csr_matrix) -> np.ndarray:
    """bool [n, K]: whether the item at each rank of each sample is expected (-1 never is)."""
    n, n_items = ranked.shape[0], expected.shape[1]
    sample = np.arange(n, dtype=np.int64)
    wanted = np.repeat(sample, np.diff(expected.indptr)) * n_items + expected.indices
    keys = np.where(ranked >= 0, sample[:, None] * n_items + ranked, -1)
    return np.isin(keys, wanted)


def hit_at_k(rel: np.ndarray) -> np.ndarray:
    return rel.any(axis=1).astype(np.float64)


def recall_at_k(rel: np.ndarray, n_expected: np.ndarray) -> np.ndarray:
    """Found / min(K, |expected|); a sample without expected items scores 0."""
    return rel.sum(axis=1) / np.maximum(np.minimum(rel.shape[1], n_expected), 1)


def recall_plain_at_k(rel: np.ndarray, n_expected: np.ndarray) -> np.ndarray:
    return rel.sum(axis=1) / np.maximum(n_expected, 1)


def mrr_at_k(rel: np.ndarray) -> np.ndarray:
    first = rel.argmax(axis=1)
    return np.where(rel.any(axis=1), 1.0 / (first + 1), 0.0)


def per_sample(ranked: np.ndarray, expected: sp.csr_matrix) -> dict[str, np.ndarray]:
    """Every metric of METRICS for every sample (float64 arrays of length n)."""
    rel = relevance(ranked, expected)
    n_expected = np.diff(expected.indptr)
    return {
        HIT: hit_at_k(rel),
        RECALL: recall_at_k(rel, n_expected),
        RECALL_PLAIN: recall_plain_at_k(rel, n_expected),
        MRR: mrr_at_k(rel),
    }


def means_by_group(values: Mapping[str, np.ndarray], groups: np.ndarray) -> dict[str, dict[str, float]]:
    """{group: {metric: mean, "n": samples}} over the distinct values of `groups` (sorted)."""
    keys, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    out: dict[str, dict[str, float]] = {str(key): {"n": int(c)} for key, c in zip(keys, counts, strict=True)}
    for name, v in values.items():
        sums = np.bincount(inverse, weights=v, minlength=len(keys))
        for key, s, c in zip(keys, sums, counts, strict=True):
            out[str(key)][name] = float(s / c)
    return out


def mean_and_se(v: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error (sample standard deviation / sqrt(n); 0 for n < 2)."""
    if len(v) == 0:
        return 0.0, 0.0
    se = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0
    return float(v.mean()), se


OWN_BRAND_SHARE, DISTINCT_GAMMES, COVERAGE = "own_brand_share", "distinct_gammes", "catalogue_coverage"


def list_measures(ranked: np.ndarray, is_pl: np.ndarray, gamme: np.ndarray) -> dict[str, float]:
    """What the lists hold, beside their accuracy: the business policies' effects.

    own_brand_share: MDD items / recommended items; distinct_gammes: mean number of distinct
    gammes per list (an item without gamme counts as its own); catalogue_coverage: distinct items
    recommended over all samples / items of the run.
    """
    shown = ranked >= 0
    if not shown.any():
        return {OWN_BRAND_SHARE: 0.0, DISTINCT_GAMMES: 0.0, COVERAGE: 0.0}
    items = np.where(shown, ranked, 0)
    groups = np.where(gamme[items] >= 0, gamme[items], -1 - items)  # no gamme: a group of its own
    groups = np.where(shown, groups, np.iinfo(np.int64).min)
    ordered = np.sort(groups, axis=1)
    distinct = (np.diff(ordered, axis=1) != 0).sum(axis=1) + 1 - (~shown).any(axis=1)
    return {
        OWN_BRAND_SHARE: float(is_pl[ranked[shown]].mean()),
        DISTINCT_GAMMES: float(distinct.mean()),
        COVERAGE: float(len(np.unique(ranked[shown])) / len(is_pl)),
    }


BASKET_SUBSTITUTE_RATE, MUTUAL_SUBSTITUTE_RATE = "basket_substitute_rate", "mutual_substitute_rate"
BASKET_TWIN_RATE, MUTUAL_TWIN_RATE = "basket_twin_rate", "mutual_twin_rate"


def substitute_measures(
    ranked: np.ndarray, given: sp.csr_matrix, pairs: sp.csr_matrix
) -> tuple[float, float]:
    """(share of lists holding a substitute of a basket item, share of lists holding two
    substitutes of each other), `pairs` a symmetric items x items matrix of substitute pairs (the
    run's table, or the demo's planted twins)."""
    n, k = ranked.shape
    if n == 0:
        return 0.0, 0.0
    shown = ranked >= 0
    rows = np.repeat(np.arange(n), k)[shown.ravel()]
    cols = ranked[shown]
    lists = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, pairs.shape[0]))
    basket_subs = (sp.csr_matrix(given, dtype=np.float32) @ pairs).multiply(lists)
    mutual = (lists @ pairs).multiply(lists)
    return float((basket_subs.getnnz(axis=1) > 0).mean()), float((mutual.getnnz(axis=1) > 0).mean())


def pair_matrix(n_items: int, a: np.ndarray, b: np.ndarray) -> sp.csr_matrix:
    """Symmetric 0/1 items x items matrix of the pairs (a, b), item indices."""
    rows, cols = np.r_[a, b], np.r_[b, a]
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_items, n_items))
    m.data[:] = 1.0
    return m
