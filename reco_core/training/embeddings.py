"""Item vectors the ranker reads, from a fitted LightFM model.

Serving never calls LightFM.predict (per-user scoring on the fly is slow and needs the pickle):
it takes the item representations once, L2-normalises them, and scores by cosine with numpy.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def normalised_item_embeddings(model, item_features: sp.csr_matrix) -> np.ndarray:
    _, emb = model.get_item_representations(item_features)
    return l2_normalise(emb)


def l2_normalise(emb: np.ndarray) -> np.ndarray:
    emb = np.asarray(emb, dtype=np.float32)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (emb / norms).astype(np.float32)


def hit_and_mrr_at_k(
    emb_norm: np.ndarray, context: sp.csr_matrix, target: np.ndarray, k: int = 10, chunk: int = 256
) -> tuple[float, float]:
    """Hit@k and MRR@k of ranking items by cosine to the centroid of each context basket.

    `context` is baskets x items (the visible items), `target` the hidden item of each basket.
    Visible items are never counted as predictions.
    """
    hits = 0.0
    rr = 0.0
    n = context.shape[0]
    for start in range(0, n, chunk):
        ctx = context[start : start + chunk]
        centroid = l2_normalise(np.asarray(ctx @ emb_norm))
        scores = centroid @ emb_norm.T
        rows, cols = ctx.nonzero()
        scores[rows, cols] = -np.inf
        tgt = target[start : start + chunk]
        tgt_score = scores[np.arange(len(tgt)), tgt]
        rank = (scores > tgt_score[:, None]).sum(axis=1)  # 0-based rank of the hidden item
        inside = rank < k
        hits += float(inside.sum())
        rr += float((1.0 / (rank[inside] + 1)).sum())
    return hits / max(n, 1), rr / max(n, 1)
