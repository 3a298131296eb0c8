"""Deterministic partial ordering of scores, shared by pool limiting, scoring and selection."""

from __future__ import annotations

import numpy as np


def top_order(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` best scores, best first; ties broken by position (= item index,
    the pool being sorted), so the result never depends on the partitioning algorithm."""
    if n <= 0:
        return np.empty(0, np.int64)
    if n < len(scores):
        threshold = scores[np.argpartition(-scores, n - 1)[:n]].min()
        positions = np.flatnonzero(scores >= threshold)
    else:
        positions = np.arange(len(scores))
    return positions[np.argsort(-scores[positions], kind="stable")][:n]
