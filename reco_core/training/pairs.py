"""Directional co-purchase pairs A -> B, per profession and for all professions ("ANY").

Counts: C_p[A, B] = weighted number of orders of profession p containing both A and B, from
df_couple_produit when given, else from the baskets as one sparse product X_p^T W X_p.

Score: s_p(A -> B) = C_p[A, B] / (n_p(A) + alpha), with n_p(A) the weighted number of orders of p
containing A. It is the conditional probability P(B | A) shrunk towards 0 for rarely sold A, so
that (1) scores live in [0, 1] and are comparable across professions and basket items, which is
what lets W_PAIR be weighed against the other [0, 1] signals, and (2) one co-purchase of an item
sold once does not score 1.0. Direction comes from the normalisation: B is a good follower of A
when most orders with A have B, whatever B's own popularity.

The reverse index holds, for each B, its predecessors A with s(A -> B): items whose purchase
usually comes with B. Both indexes keep the `pair_topk` best entries per row, sorted descending.
"""

from __future__ import annotations

import functools
import operator

import numpy as np
import pandas as pd
import scipy.sparse as sp

from reco_core import columns as C
from reco_core.artifacts import layout as L
from reco_core.columns import ANY_PROFESSION
from reco_core.training.config import TrainConfig

RAW_FORMAT = "reco-pairs-raw/1"


def counts_from_baskets(
    x: sp.csr_matrix, prof: np.ndarray, weight: np.ndarray, n_prof: int
) -> list[sp.csr_matrix]:
    """One co-occurrence count matrix per profession (diagonal removed)."""
    out = []
    for p in range(n_prof):
        rows = np.flatnonzero(prof == p)
        xp = x[rows]
        weighted = sp.diags(weight[rows].astype(np.float32)) @ xp
        out.append(_offdiag((xp.T @ weighted).tocsr()))
    return out


def counts_from_table(
    table: pd.DataFrame, item_ids: np.ndarray, professions: tuple[str, ...]
) -> list[sp.csr_matrix]:
    """Count matrices from df_couple_produit rows (one row per A, B, profession).

    Pairs of products outside the modelled items, or of professions never seen in the sales,
    are dropped: they could not be recommended nor weighted.
    """
    n = len(item_ids)
    a = _positions(item_ids, table[C.ID_PRODUIT_A].to_numpy(np.int64))
    b = _positions(item_ids, table[C.ID_PRODUIT_B].to_numpy(np.int64))
    lookup = {name: i for i, name in enumerate(professions)}
    p = np.fromiter(
        (lookup.get(v, -1) for v in table[C.PROFESSION_CLIENT].astype("str")), np.int64, len(table)
    )
    ok = (a >= 0) & (b >= 0) & (p >= 0) & (a != b)
    cnt = table[C.OCCURENCE_PAIR].to_numpy(np.float32)[ok]
    a, b, p = a[ok], b[ok], p[ok]
    out = []
    for k in range(len(professions)):
        sel = p == k
        out.append(sp.csr_matrix((cnt[sel], (a[sel], b[sel])), shape=(n, n), dtype=np.float32))
    return out


def symmetrize(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Add B -> A wherever only A -> B is known (max, so an already symmetric table is unchanged)."""
    return counts.maximum(counts.T).tocsr()


def score_matrix(
    counts: sp.csr_matrix, item_orders: np.ndarray, *, alpha: float, min_count: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """s(A -> B) = C[A, B] / (max(n(A), max_B C[A, B]) + alpha), entries below min_count dropped.

    Returns the scores and the per-row denominators (count = score x denominator).
    """
    counts = counts.tocsr(copy=True)
    counts.data[counts.data < min_count] = 0
    counts.eliminate_zeros()
    row_max = counts.max(axis=1).toarray().ravel()
    denom = np.maximum(item_orders.astype(np.float64), row_max) + alpha
    denom[denom <= 0] = 1.0
    scores = sp.diags((1.0 / denom).astype(np.float32)) @ counts
    return scores.tocsr().astype(np.float32), denom


def top_k_per_row(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of every row, rows sorted by value descending (ties: smaller index).

    One int64 sort does it: the key is the row in the high 32 bits and the inverted bit pattern
    of the (non-negative float32) score in the low 32 bits, whose integer order is the float order.
    """
    m = m.tocsr()
    m.sort_indices()
    n_rows = m.shape[0]
    row = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(m.indptr))
    bits = np.ascontiguousarray(m.data, dtype=np.float32).view(np.uint32).astype(np.int64)
    order = np.argsort((row << 32) | (0xFFFFFFFF - bits), kind="stable")
    rank = np.arange(len(order), dtype=np.int64) - m.indptr[row[order]]
    keep = order[rank < k]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[keep], minlength=n_rows), out=indptr[1:])
    out = sp.csr_matrix((m.data[keep], m.indices[keep], indptr), shape=m.shape)
    out.has_sorted_indices = False  # rows are sorted by score, not by column
    return out


def to_index(
    matrices: dict[str, sp.csr_matrix], n_items: int, normalisation: str
) -> tuple[dict, dict[str, np.ndarray]]:
    """(metadata pickled as pair_boost_idx.pkl / pair_rev_idx.pkl, its arrays by part): the
    layout.PAIRS_FORMAT layout, professions in the order of `matrices`."""
    meta = {
        "format": L.PAIRS_FORMAT,
        "n_items": n_items,
        "normalisation": normalisation,
        "professions": list(matrices),
    }
    csrs = list(matrices.values())
    arrays = {
        "indptr": np.stack([m.indptr.astype(np.int64) for m in csrs]),
        "indices": np.concatenate([m.indices.astype(np.int32) for m in csrs]),
        "scores": np.concatenate([m.data.astype(np.float32) for m in csrs]),
    }
    return meta, arrays


def to_raw(kept: dict[str, sp.csr_matrix], denoms: dict[str, np.ndarray], item_ids: np.ndarray) -> dict:
    """Raw counts on product ids of the pairs kept in the index (pair_boost.pkl.gz)."""
    by_prof = {}
    for name, m in kept.items():
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        raw = np.rint(m.data.astype(np.float64) * denoms[name][rows]).astype(np.float32)
        by_prof[name] = {"a": item_ids[rows], "b": item_ids[m.indices], "count": raw}
    return {"format": RAW_FORMAT, "professions": list(kept), "by_profession": by_prof}


def build_pair_indexes(
    counts_by_prof: list[sp.csr_matrix],
    professions: tuple[str, ...],
    orders_by_prof: np.ndarray,
    item_ids: np.ndarray,
    *,
    topk: int,
    alpha: float,
    min_count: int,
    symmetric: bool,
) -> tuple[tuple[dict, dict], tuple[dict, dict], dict, dict[str, int]]:
    """Forward index, reverse index (both as `to_index` returns them), raw counts and the number
    of kept pairs per profession."""
    n = len(item_ids)

    def index_one(counts: sp.csr_matrix, orders: np.ndarray):
        if symmetric:
            counts = symmetrize(counts)
        scores, denom = score_matrix(counts, orders, alpha=alpha, min_count=min_count)
        return top_k_per_row(scores, topk), top_k_per_row(scores.T.tocsr(), topk), denom

    built = {
        name: index_one(m, o) for name, m, o in zip(professions, counts_by_prof, orders_by_prof, strict=True)
    }
    if len(professions) == 1:  # ANY is that profession: share instead of recomputing
        built[ANY_PROFESSION] = built[professions[0]]
    else:
        built[ANY_PROFESSION] = index_one(
            functools.reduce(operator.add, counts_by_prof), orders_by_prof.sum(axis=0)
        )
    forward = {name: b[0] for name, b in built.items()}
    reverse = {name: b[1] for name, b in built.items()}
    denoms = {name: b[2] for name, b in built.items()}
    normalisation = f"P(B|A) shrunk: count(A,B) / (orders(A) + {alpha:g}); top {topk} per item"
    kept = {name: int(m.nnz) for name, m in forward.items()}
    return (
        to_index(forward, n, normalisation),
        to_index(reverse, n, normalisation + " (reverse: rows are B, entries A)"),
        to_raw(forward, denoms, item_ids),
        kept,
    )


def _offdiag(m: sp.csr_matrix) -> sp.csr_matrix:
    m = m.tocsr()
    m.setdiag(0)
    m.eliminate_zeros()
    return m


def _positions(sorted_ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of each value in sorted_ids, -1 when absent."""
    pos = np.searchsorted(sorted_ids, values)
    pos = np.minimum(pos, len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == values, pos, -1)


def indexes_for(
    cfg: TrainConfig,
    counts_by_prof: list[sp.csr_matrix],
    professions: tuple[str, ...],
    orders_by_prof: np.ndarray,
    item_ids: np.ndarray,
) -> tuple[tuple[dict, dict], tuple[dict, dict], dict, dict[str, int]]:
    """build_pair_indexes with a run's settings (--pair-topk, --pair-alpha, --min-pair-count,
    --symmetrize-pairs): the shipped tables and the learned blend's fit tables alike."""
    return build_pair_indexes(
        counts_by_prof,
        professions,
        orders_by_prof,
        item_ids,
        topk=cfg.pair_topk,
        alpha=cfg.pair_alpha,
        min_count=cfg.min_pair_count,
        symmetric=cfg.symmetrize_pairs,
    )
