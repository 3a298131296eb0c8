"""Popularity signals and item attributes, as arrays aligned on the item index.

Popularities are weighted order counts divided by the best seller's count (global, or within
each profession), so they live in [0, 1] like the pair scores and the cosine they are blended
with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from reco_core import columns as C
from reco_core.training.baskets import profession_item_counts


def popularity_arrays(
    weighted: sp.csr_matrix, prof: np.ndarray, n_prof: int, topk: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train_pop [n_items], pop_by_prof_norm [n_prof, n_items], top_popp_by_prof [n_prof, topk])."""
    total = np.asarray(weighted.sum(axis=0)).ravel()
    train_pop = _scale(total[None, :])[0]
    by_prof = profession_item_counts(weighted, prof, np.ones(len(prof), np.float32), n_prof)
    pop_by_prof_norm = _scale(by_prof)
    k = min(topk, weighted.shape[1])
    order = np.argsort(-by_prof, axis=1, kind="stable")[:, :k]
    top = np.where(np.take_along_axis(by_prof, order, axis=1) > 0, order, -1).astype(np.int32)
    return train_pop, pop_by_prof_norm, top


def _scale(counts: np.ndarray) -> np.ndarray:
    peak = counts.max(axis=1, keepdims=True)
    peak[peak == 0] = 1.0
    return (counts / peak).astype(np.float32)


def item_attributes(item_ids: np.ndarray, details: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(item_to_gamme int64 with -1 for unknown, item_is_pl int8)."""
    meta = details.drop_duplicates(C.ID_PRODUIT).set_index(C.ID_PRODUIT).reindex(item_ids)
    gamme = (
        meta[C.ID_GAMME].fillna(-1).to_numpy(np.int64) if C.ID_GAMME in meta else np.full(len(item_ids), -1)
    )
    is_pl = (meta[C.ID_MARQUE].fillna(0).to_numpy() == 1) if C.ID_MARQUE in meta else np.zeros(len(item_ids))
    return gamme.astype(np.int64), is_pl.astype(np.int8)


def product_meta(details: pd.DataFrame) -> dict[str, dict]:
    """Labels and categories of every catalogue product (not only modelled ones), for /products/enrich."""
    cols = [c for c in C.DETAILS_OPTIONAL if c in details]
    frame = details.drop_duplicates(C.ID_PRODUIT).set_index(C.ID_PRODUIT)[cols]
    frame = frame.astype(object).where(frame.notna(), None)
    frame.index = frame.index.astype("int64").astype(str)
    return frame.to_dict(orient="index")
