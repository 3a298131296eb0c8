"""Baskets as compact arrays, the item universe and the sparse matrices built on them.

A basket table can hold millions of rows; keeping it as CSR-like arrays (indptr + product ids)
instead of Python lists keeps memory proportional to the number of order lines and lets every
later step (pairs, popularity, interactions) be a sparse-matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from reco_core import columns as C
from reco_core.errors import DataContractError


@dataclass(frozen=True)
class Baskets:
    professions: tuple[str, ...]  # sorted distinct professions
    prof: np.ndarray  # int32 [n_baskets], index into professions
    weight: np.ndarray  # float32 [n_baskets], NB_OCCURENCES_COMMANDE
    indptr: np.ndarray  # int64 [n_baskets + 1]
    product_ids: np.ndarray  # int64 [n_lines]

    @property
    def n_baskets(self) -> int:
        return int(self.prof.shape[0])

    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)


def baskets_from_frame(ventes: pd.DataFrame, professions: tuple[str, ...] | None = None) -> Baskets:
    """Turn a df_ventes_grouped frame into arrays; duplicate ids inside one basket count once."""
    lists = ventes[C.LIST_ID_PRODUITS].to_numpy()
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    flat = (
        np.concatenate([np.asarray(x, dtype=np.int64) for x in lists])
        if len(lists)
        else np.empty(0, np.int64)
    )
    row = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
    # dedupe (row, product) pairs while keeping rows contiguous
    order = np.lexsort((flat, row))
    row, flat = row[order], flat[order]
    keep = np.ones(len(flat), dtype=bool)
    keep[1:] = (row[1:] != row[:-1]) | (flat[1:] != flat[:-1])
    row, flat = row[keep], flat[keep]
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=len(lists)), out=indptr[1:])

    names = ventes[C.PROFESSION_CLIENT].astype("str").to_numpy()
    known = professions if professions is not None else tuple(sorted(set(names.tolist())))
    lookup = {p: i for i, p in enumerate(known)}
    prof = np.fromiter((lookup.get(p, -1) for p in names), dtype=np.int32, count=len(names))
    weight = ventes[C.NB_OCCURENCES_COMMANDE].to_numpy(dtype=np.float32)
    return Baskets(known, prof, weight, indptr, flat)


def select_items(
    baskets: Baskets,
    catalogue_ids: np.ndarray,
    *,
    min_occ: int,
    include_all_items: bool,
    max_items: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose the modelled products and return (item_ids sorted ascending, their sales counts).

    Sales are weighted order counts. Items below --min-occ are dropped unless
    --include-all-items keeps the whole catalogue; --max-items keeps the best sellers.
    """
    sold_ids, inverse = np.unique(baskets.product_ids, return_inverse=True)
    line_weight = np.repeat(baskets.weight, baskets.sizes())
    sold_counts = np.bincount(inverse, weights=line_weight, minlength=len(sold_ids))
    keep = sold_counts >= min_occ
    ids, counts = sold_ids[keep], sold_counts[keep]
    if include_all_items:
        cold = np.setdiff1d(np.asarray(catalogue_ids, dtype=np.int64), ids)
        ids = np.concatenate([ids, cold])
        counts = np.concatenate([counts, np.zeros(len(cold))])
    if max_items and len(ids) > max_items:
        best = np.lexsort((ids, -counts))[:max_items]  # by sales desc, then id for ties
        ids, counts = ids[best], counts[best]
    order = np.argsort(ids, kind="stable")
    ids, counts = ids[order], counts[order]
    if len(ids) == 0:
        raise DataContractError(f"no product has at least --min-occ={min_occ} sales: nothing to train on")
    return ids, counts


def basket_item_matrix(baskets: Baskets, item_ids: np.ndarray) -> sp.csr_matrix:
    """Binary baskets x items matrix restricted to `item_ids` (sorted); other products are dropped."""
    pos = np.searchsorted(item_ids, baskets.product_ids)
    pos_clipped = np.minimum(pos, len(item_ids) - 1)
    known = item_ids[pos_clipped] == baskets.product_ids
    rows = np.repeat(np.arange(baskets.n_baskets), baskets.sizes())[known]
    data = np.ones(int(known.sum()), dtype=np.float32)
    return sp.csr_matrix(
        (data, (rows, pos_clipped[known])), shape=(baskets.n_baskets, len(item_ids)), dtype=np.float32
    )


def profession_item_counts(x: sp.csr_matrix, prof: np.ndarray, weight: np.ndarray, n_prof: int) -> np.ndarray:
    """Weighted number of orders containing each item, per profession: float64 [n_prof, n_items]."""
    valid = prof >= 0
    onehot = sp.csr_matrix(
        (weight[valid].astype(np.float64), (prof[valid], np.flatnonzero(valid))),
        shape=(n_prof, x.shape[0]),
    )
    return np.asarray((onehot @ x).todense())
