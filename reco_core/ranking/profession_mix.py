"""The professions a request is scored for: the given one, or a mix detected from the basket.

Detection: softmax over cos(basket centroid, profession centroid) / PROFMIX_TEMP, keep the
PROFMIX_TOPK most probable professions, drop those whose softmax mass is below PROFMIX_MINMASS,
renormalise. The most probable profession is always kept, so a basket with an embedding always
gets profession-specific pairs and popularity.

Why PROFMIX_TEMP = 0.1: cosines to profession centroids live in [-1, 1] and, on the demo run,
the right trade leads the next one by 0.3 to 0.8; at 0.1 such a lead gives the leader ~95% of
the mass or more, while a trade within 0.1 of the leader (a basket that fits two trades) gets
e^-1 = 37% of the leader's mass (~27% of a two-trade mix) and survives PROFMIX_MINMASS = 0.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class ProfessionMix:
    """Profession rows with weights summing to 1, best first; empty = no profession."""

    rows: np.ndarray  # int64: rows of the per-profession arrays (RankerIndex)
    weights: np.ndarray  # float64

    @classmethod
    def single(cls, row: int) -> ProfessionMix:
        return cls(np.array([row], np.int64), np.ones(1))

    @classmethod
    def empty(cls) -> ProfessionMix:
        return cls(np.empty(0, np.int64), np.empty(0))

    def named(self, professions: tuple[str, ...]) -> dict[str, float]:
        return {professions[p]: float(w) for p, w in zip(self.rows, self.weights, strict=True)}


def basket_centroid(emb: np.ndarray, basket: np.ndarray) -> np.ndarray | None:
    """L2-normalised mean embedding of the basket items; None when it is the zero vector."""
    mean = emb[basket].astype(np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def detect_mix(
    centroids: np.ndarray, basket: np.ndarray, *, topk: int, temp: float, minmass: float
) -> ProfessionMix:
    """The profession mix of a basket (`basket` = its L2-normalised centroid)."""
    logits = (centroids.astype(np.float64) @ basket) / temp
    mass = np.exp(logits - logits.max())
    mass /= mass.sum()
    best = np.argsort(-mass, kind="stable")[:topk]
    kept = best[mass[best] >= minmass]
    if kept.size == 0:
        kept = best[:1]
    return ProfessionMix(kept.astype(np.int64), mass[kept] / mass[kept].sum())
