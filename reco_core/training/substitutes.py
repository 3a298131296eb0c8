"""Substitute detection: items that replace each other in orders rather than go together.

A customer with Knauf BA13 plasterboard in the basket needs joint compound and screws, not a
second plasterboard. Nothing in a real warehouse links a product to its substitutes, so the
link is learned from the training orders and the catalogue. Two items a and b of one group (the
same gamme; the same univers when the gamme is unknown; for a catalogue without either, pairs of
labels sharing most of their words) are substitutes when:

1. **they are not bought together more than chance**: their weighted co-occurrence count C(a, b)
   is at most what their sales predict under independence within each profession,
   E(a, b) = sum_p n_a,p n_b,p / N_p. Complements are bought together far more than chance
   (lift C / E >> 1), and so are colour variants of one giftware item: there they are
   complements. Substitutes are mostly never bought together (C = 0 where E is several orders).
   A significance test alone is not enough: two rare items bought together once where chance
   predicts 0.02 orders (lift 50) are not significantly above chance, and on tafeng such pairs
   made most of the table (median lift of the pairs it flagged 1.46) and cost 1.1 % of Hit@10.
   A pair of an own-brand and a branded item needs only not to be *significantly* above chance,
   P(Poisson(E) >= C) >= EXCESS_P: the house brand's copy of a best seller bought by everyone
   reaches independence with it (the demo's most sold own-brand item: C 427, E 415);
2. **they are bought in the same context**: the cosine of their context vectors - what each is
   bought with, over all the other items, each context item weighted by 1 / sqrt(its orders) so
   that best sellers do not make every pair look alike (a random projection to CONTEXT_DIM
   dimensions of the co-occurrence rows) - is in the top (1 - CONTEXT_QUANTILE) of the
   candidate pairs of this very run. The threshold is learned from the run's own distribution,
   not tuned to a catalogue: substitutes share nearly all their context (same jobs, same
   professions, same other items), complements of one gamme share only part of it. A pair of
   an own-brand item and a branded one (the catalogue's MDD flag) needs less: the top
   (1 - OWN_BRAND_QUANTILE) of such pairs. A house brand copies commodity items, and its copy
   often also sells outside its twin's jobs, which dilutes its context (on the demo, "Linteau
   béton précontraint 1,20 m" Batipro sells 4.6 times its Rector twin: cosine 0.53);
3. both sold in at least MIN_SALES training orders (below that, a context is noise);
4. where both have labels, the labels share at least LABEL_JACCARD of their words (two brands
   of one article; on the demo this gate lifts the precision from 0.92 to 0.99 at the same
   recall).

The table keeps, per item, its substitutes by decreasing context cosine (at most TOP_PER_ITEM),
symmetrical, in the layout of the EASE table (layout.SUBSTITUTE_ARRAYS).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import poisson

from reco_core import columns as C
from reco_core.artifacts.run import CsrPairs
from reco_core.text import fold_one

EXCESS_P = 0.01  # own-brand / branded pair significantly above independence (Poisson tail): not substitutes
MIN_SALES = 5  # weighted training orders of each item of a pair
OWN_BRAND_QUANTILE = 0.97  # ... of the pairs of an own-brand and a branded item
CONTEXT_QUANTILE = 0.985  # context cosine threshold: this quantile of the candidate pairs'
CONTEXT_DIM = 256  # random projection of the co-occurrence rows
CONTEXT_POWER = 0.5  # context items weighted by 1 / orders ** this
MAX_GROUP = 3000  # items of one group compared pairwise (the best sellers when it has more)
TOP_PER_ITEM = 20  # substitutes kept per item
LABEL_JACCARD = 0.5  # catalogue without gamme and univers: candidate pairs share this share of words
LABEL_MAX_DF = 0.02  # ... words in more than this share of the labels (and > LABEL_COMMON labels)
LABEL_COMMON = 1000  # count in the label sizes, not in the overlap: bounds the cost at 300k items
# Work by blocks: at 300k products there are 62.7M candidate pairs, and whole-array temporaries
# (float64 tests, gathered rows, one Gram matrix of all candidate items) took the training past 8 GB.
_CHUNK = 200_000  # pairs per block when computing expected counts, cosines and the tests
_GRAM_CHUNK = 4_000_000  # pairs per Gram matrix (pairs come group by group: a few groups' items)
_BASKET_CHUNK = 262_144  # baskets per block of the context projection


@dataclass(frozen=True)
class SubstituteTable:
    table: CsrPairs  # row a: substitutes of a, best first (scores = context cosine)
    report: dict  # how many candidates, the threshold learned, how many pairs kept


def item_groups(item_ids: np.ndarray, details: pd.DataFrame) -> np.ndarray:
    """int64 group of each item: its gamme; its univers (offset past the gammes) when the gamme
    is unknown; -1 when neither is known."""
    meta = details.drop_duplicates(C.ID_PRODUIT).set_index(C.ID_PRODUIT).reindex(item_ids)
    gamme = (
        meta[C.ID_GAMME].fillna(-1).to_numpy(np.int64) if C.ID_GAMME in meta else np.full(len(item_ids), -1)
    )
    if C.ID_UNIVERS in meta:
        univers = meta[C.ID_UNIVERS].fillna(-1).to_numpy(np.int64)
        offset = int(gamme.max(initial=0)) + 1
        gamme = np.where((gamme < 0) & (univers >= 0), offset + univers, gamme)
    return gamme.astype(np.int64)


def item_labels(item_ids: np.ndarray, details: pd.DataFrame) -> list[str] | None:
    if C.LIB_PRODUIT not in details:
        return None
    meta = details.drop_duplicates(C.ID_PRODUIT).set_index(C.ID_PRODUIT).reindex(item_ids)
    return [str(v) if isinstance(v, str) else "" for v in meta[C.LIB_PRODUIT].tolist()]


def detect_substitutes(
    x: sp.csr_matrix,
    prof: np.ndarray,
    weight: np.ndarray,
    n_prof: int,
    groups: np.ndarray,
    labels: list[str] | None = None,
    is_pl: np.ndarray | None = None,
    *,
    seed: int = 42,
    min_sales: int = MIN_SALES,
    quantile: float = CONTEXT_QUANTILE,
) -> SubstituteTable:
    """The substitute table of the items of `x` (baskets x items, binary), from the baskets'
    professions `prof` and weights `weight` (NB_OCCURENCES_COMMANDE), the items' `groups`
    (item_groups), `labels` (for items without a group) and own-brand flags `is_pl` (None: no
    own-brand item)."""
    n_items = x.shape[1]
    x = x.tocsr().astype(np.float32)
    x.data[:] = 1.0
    xw = sp.diags(weight.astype(np.float32)) @ x
    sales = np.asarray(xw.sum(axis=0)).ravel()
    by_prof = np.zeros((n_items, max(n_prof, 1)), dtype=np.float32)
    for p in range(n_prof):
        by_prof[:, p] = np.asarray(xw[prof == p].sum(axis=0)).ravel()
    orders_by_prof = np.maximum(np.bincount(prof, weights=weight, minlength=max(n_prof, 1)), 1.0)
    eligible = sales >= min_sales

    a, b, source = _candidate_pairs(groups, labels, eligible, sales)
    report: dict = {"min_sales": min_sales, "quantile": quantile, "eligible_items": int(eligible.sum())}
    report["candidate_pairs"] = len(a)
    report["candidates_from_labels"] = int((source == 1).sum())
    if len(a) == 0:
        report.update(threshold=None, pairs=0)
        return SubstituteTable(_empty(n_items), report)

    together = _cooccurrence(x.tocsc(), xw.tocsc(), a, b)
    expected = _pair_dots(by_prof / orders_by_prof, by_prof, a, b)
    context = _context_vectors(x, xw, sales, seed)
    cosine = _pair_dots(context, context, a, b)
    threshold = float(np.quantile(cosine, quantile))
    mixed = (
        np.zeros(len(a), dtype=bool)
        if is_pl is None
        else (np.asarray(is_pl)[a] > 0) != (np.asarray(is_pl)[b] > 0)
    )
    own_brand_threshold = None
    if mixed.any():
        own_brand_threshold = float(np.quantile(cosine[mixed], OWN_BRAND_QUANTILE))
    apart, close = _tests(
        together,
        expected,
        cosine,
        mixed,
        threshold,
        threshold if own_brand_threshold is None else min(threshold, own_brand_threshold),
    )
    keep = apart & close
    context_and_apart = int(keep.sum())
    similar = np.zeros(len(a), dtype=bool)
    similar[keep] = _label_similarity(labels, a[keep], b[keep]) >= LABEL_JACCARD  # few pairs left
    keep &= similar
    report.update(
        threshold=round(threshold, 4),
        own_brand_pairs=int(mixed.sum()),
        own_brand_threshold=None if own_brand_threshold is None else round(own_brand_threshold, 4),
        bought_apart=int(apart.sum()),
        context_and_apart=context_and_apart,
        pairs=int(keep.sum()),
        items_with_substitutes=len(np.unique(np.r_[a[keep], b[keep]])),
    )
    return SubstituteTable(_table(n_items, a[keep], b[keep], cosine[keep]), report)


def _candidate_pairs(
    groups: np.ndarray, labels: list[str] | None, eligible: np.ndarray, sales: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, source) with a < b (int32): pairs of eligible items of one group (source 0), then
    pairs of eligible ungrouped items whose labels share most words (source 1)."""
    firsts, seconds = [], []
    grouped = np.flatnonzero(eligible & (groups >= 0))
    order = grouped[np.lexsort((-sales[grouped], groups[grouped]))]
    bounds = np.flatnonzero(np.r_[True, np.diff(groups[order]) != 0, True])
    for start, stop in itertools.pairwise(bounds):
        members = np.sort(order[start : min(stop, start + MAX_GROUP)]).astype(np.int32)
        i, j = np.triu_indices(len(members), 1)
        firsts.append(members[i])
        seconds.append(members[j])
    n_grouped = sum(len(f) for f in firsts)
    if labels is not None:
        la, lb = _label_pairs(labels, np.flatnonzero(eligible & (groups < 0)))
        firsts.append(la.astype(np.int32))
        seconds.append(lb.astype(np.int32))
    a = np.concatenate(firsts) if firsts else np.empty(0, np.int32)
    b = np.concatenate(seconds) if seconds else np.empty(0, np.int32)
    source = np.r_[np.zeros(n_grouped, np.int8), np.ones(len(a) - n_grouped, np.int8)]
    return a, b, source


_WORD = re.compile(r"[^\W_]+")


def _label_pairs(labels: list[str], items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a < b) of `items` whose labels have a word Jaccard >= LABEL_JACCARD (words found in
    more than LABEL_MAX_DF and LABEL_COMMON of the labels count in the sizes, not in the overlap)."""
    if len(items) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    words = [set(_WORD.findall(fold_one(labels[i]))) for i in items]
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for r, ws in enumerate(words):
        for w in ws:
            rows.append(r)
            cols.append(vocab.setdefault(w, len(vocab)))
    if not vocab:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    t = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(items), len(vocab)))
    sizes = np.asarray(t.sum(axis=1)).ravel()
    df = np.asarray(t.sum(axis=0)).ravel()
    rare = t @ sp.diags((df <= max(LABEL_COMMON, LABEL_MAX_DF * len(items))).astype(np.float32))
    inter = sp.triu(rare @ rare.T, k=1).tocoo()
    jaccard = inter.data / np.maximum(sizes[inter.row] + sizes[inter.col] - inter.data, 1)
    ok = jaccard >= LABEL_JACCARD
    return items[inter.row[ok]], items[inter.col[ok]]


def _label_similarity(labels: list[str] | None, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Word Jaccard of the labels of each pair; 1 where either label is missing (no evidence
    against the pair: the gate only applies where labels exist)."""
    if labels is None:
        return np.ones(len(a))
    words = {}
    for i in np.unique(np.r_[a, b]).tolist():
        words[i] = set(_WORD.findall(fold_one(labels[i])))
    out = np.ones(len(a))
    for n, (i, j) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        wi, wj = words[i], words[j]
        if wi and wj:
            out[n] = len(wi & wj) / len(wi | wj)
    return out


def _cooccurrence(xc: sp.csc_matrix, xwc: sp.csc_matrix, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Weighted number of orders holding both a and b, for every pair: one Gram matrix per block
    of pairs, over the block's items only."""
    out = np.empty(len(a), dtype=np.float32)
    for s in range(0, len(a), _GRAM_CHUNK):
        first, second = a[s : s + _GRAM_CHUNK], b[s : s + _GRAM_CHUNK]
        items = np.unique(np.r_[first, second])
        gram = (xc[:, items].T @ xwc[:, items]).tocsr()
        found = gram[np.searchsorted(items, first), np.searchsorted(items, second)]
        out[s : s + len(first)] = np.asarray(found).ravel()
    return out


def _tests(
    together: np.ndarray,
    expected: np.ndarray,
    cosine: np.ndarray,
    mixed: np.ndarray,
    threshold: float,
    own_brand_threshold: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(bought apart, close in context) of each pair, by blocks of _CHUNK pairs.

    Apart: an own-brand / branded pair is not significantly above its expected count (Poisson
    tail >= EXCESS_P); any other pair is bought together no more than expected. Close: context
    cosine > 0 and at least the threshold (the own-brand one for a mixed pair)."""
    apart = np.empty(len(together), dtype=bool)
    close = np.empty(len(together), dtype=bool)
    bounds = np.array([threshold, own_brand_threshold])  # float64: the thresholds are not rounded
    for s in range(0, len(together), _CHUNK):
        block = slice(s, s + _CHUNK)
        count, chance, mix = together[block], expected[block], mixed[block]
        test = count <= chance
        if mix.any():
            test[mix] = poisson.sf(count[mix] - 1.0, np.maximum(chance[mix], 1e-12)) >= EXCESS_P
        apart[block] = test
        close[block] = (cosine[block] >= bounds[mix.astype(np.int8)]) & (cosine[block] > 0)
    return apart, close


def _pair_dots(left: np.ndarray, right: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """left[a[i]] . right[b[i]] for every pair, by blocks of _CHUNK pairs: the gathered rows of all
    the pairs at once would take gigabytes."""
    return np.concatenate(
        [
            np.einsum("ij,ij->i", left[a[s : s + _CHUNK]], right[b[s : s + _CHUNK]])
            for s in range(0, len(a), _CHUNK)
        ]
    )


def _context_vectors(x: sp.csr_matrix, xw: sp.csr_matrix, sales: np.ndarray, seed: int) -> np.ndarray:
    """L2-normalised context of each item: its co-occurrence row (itself excluded) over the
    other items weighted by 1 / sqrt(orders), randomly projected to CONTEXT_DIM dimensions."""
    rng = np.random.default_rng(seed)
    proj = rng.standard_normal((x.shape[1], CONTEXT_DIM)).astype(np.float32)
    proj /= (np.maximum(sales, 1.0) ** CONTEXT_POWER).astype(np.float32)[:, None]
    # by blocks of baskets: xw @ proj of 1.65M baskets is a 1.7 GB dense matrix
    context = np.zeros((x.shape[1], CONTEXT_DIM), dtype=np.float32)
    for s in range(0, x.shape[0], _BASKET_CHUNK):
        context += x[s : s + _BASKET_CHUNK].T @ (xw[s : s + _BASKET_CHUNK] @ proj)
    context -= sales[:, None].astype(np.float32) * proj
    norms = np.linalg.norm(context, axis=1, keepdims=True)
    return (context / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def _table(n_items: int, a: np.ndarray, b: np.ndarray, score: np.ndarray) -> CsrPairs:
    """Symmetric CSR, rows by decreasing score, at most TOP_PER_ITEM entries each."""
    rows = np.r_[a, b]
    cols = np.r_[b, a]
    scores = np.r_[score, score].astype(np.float32)
    order = np.lexsort((cols, -scores, rows))
    rows, cols, scores = rows[order], cols[order], scores[order]
    starts = np.searchsorted(rows, rows, side="left")
    keep = (np.arange(len(rows)) - starts) < TOP_PER_ITEM
    rows, cols, scores = rows[keep], cols[keep], scores[keep]
    indptr = np.zeros(n_items + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    return CsrPairs(np.cumsum(indptr), cols.astype(np.int32), scores)


def _empty(n_items: int) -> CsrPairs:
    return CsrPairs(np.zeros(n_items + 1, np.int64), np.empty(0, np.int32), np.empty(0, np.float32))
