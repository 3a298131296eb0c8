"""LightFM feature matrices: who the "users" are and what describes an item.

Users are the grouped baskets (one row of df_ventes_grouped each): an identity feature lets the
model place each basket, and the profession feature shares what one trade buys. Learning item
vectors that explain baskets is what makes co-bought items close, which the ranker reads as the
cosine to the basket centroid. Items carry their gamme, univers and own-brand flag, plus an
identity token (dropped for unsold items with --cold-identity-token 0: they are then described
by their gamme/univers only, which is also what keeps the feature count low on huge catalogues).
Rows are normalised to sum to 1, as LightFM recommends for several features per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from reco_core import columns as C

PROF_PREFIX = "prof:"


def user_features(prof: np.ndarray, professions: tuple[str, ...]) -> tuple[sp.csr_matrix, dict[str, int]]:
    n = len(prof)
    feature_map = {f"basket:{i}": i for i in range(n)}
    feature_map.update({f"{PROF_PREFIX}{p}": n + j for j, p in enumerate(professions)})
    has_prof = prof >= 0
    rows = np.concatenate([np.arange(n), np.flatnonzero(has_prof)])
    cols = np.concatenate([np.arange(n), n + prof[has_prof].astype(np.int64)])
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, n + len(professions)))
    return _row_normalise(m), feature_map


def item_features(
    item_ids: np.ndarray, sales: np.ndarray, details: pd.DataFrame, *, cold_identity_token: bool
) -> tuple[sp.csr_matrix, dict[str, int]]:
    meta = details.drop_duplicates(C.ID_PRODUIT).set_index(C.ID_PRODUIT).reindex(item_ids)
    feature_map: dict[str, int] = {}
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []

    def add(names: np.ndarray, present: np.ndarray) -> None:
        idx = np.flatnonzero(present)
        uniq, inverse = np.unique(names[idx], return_inverse=True)
        base = len(feature_map)
        feature_map.update({str(u): base + k for k, u in enumerate(uniq)})
        rows.append(idx)
        cols.append(base + inverse)

    ident = np.array([f"prod:{i}" for i in item_ids], dtype=object)
    add(ident, (sales > 0) | cold_identity_token)
    for column, prefix in ((C.ID_GAMME, "gamme:"), (C.ID_UNIVERS, "univers:")):
        if column in meta:
            values = meta[column]
            add(
                np.array([f"{prefix}{v}" for v in values.fillna(-1).astype("int64")], dtype=object),
                values.notna().to_numpy(),
            )
    if C.ID_MARQUE in meta:
        is_pl = meta[C.ID_MARQUE].fillna(0).to_numpy() == 1
        add(np.full(len(item_ids), "mdd:1", dtype=object), is_pl)
    r, c = np.concatenate(rows), np.concatenate(cols)
    m = sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(len(item_ids), len(feature_map)))
    # an unsold item without identity nor any category would have an empty row: give it one shared token
    empty = np.flatnonzero(np.diff(m.indptr) == 0)
    if len(empty):
        feature_map["item:undescribed"] = len(feature_map)
        extra = sp.csr_matrix(
            (np.ones(len(empty), np.float32), (empty, np.zeros(len(empty), np.int64))),
            shape=(len(item_ids), 1),
        )
        m = sp.hstack([m, extra]).tocsr()
    return _row_normalise(m), feature_map


def _row_normalise(m: sp.csr_matrix) -> sp.csr_matrix:
    sums = np.asarray(m.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return (sp.diags((1.0 / sums).astype(np.float32)) @ m).tocsr().astype(np.float32)
