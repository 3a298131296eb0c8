"""What serving reads from a verified run: arrays aligned on the item index, pairs, metadata.

Everything is read-only: the arrays are memory-mapped (several API workers share the pages)
or frozen, so the ranking code cannot alter a run it shares with other requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reco_core.artifacts.columnar import ItemLookup, ProductMeta


@dataclass(frozen=True, eq=False)
class CsrPairs:
    """Pair scores of one profession: row i lists the items paired with item i, best first."""

    indptr: np.ndarray  # int64 [n_items + 1]
    indices: np.ndarray  # int32 [nnz], item indices
    scores: np.ndarray  # float32 [nnz], sorted descending within each row

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        start, stop = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:stop], self.scores[start:stop]

    @property
    def nnz(self) -> int:
        return len(self.indices)


def split_professions(
    professions: list[str], indptr: np.ndarray, indices: np.ndarray, scores: np.ndarray
) -> dict[str, CsrPairs]:
    """The tables of a pair index's arrays (layout.pair_array_files), by profession: views, no copy.

    Row p of `indptr` starts at 0; the professions' segments of indices/scores follow each other.
    """
    stops = np.cumsum(indptr[:, -1], dtype=np.int64)
    starts = stops - indptr[:, -1]
    return {
        prof: CsrPairs(indptr[row], indices[starts[row] : stops[row]], scores[starts[row] : stops[row]])
        for row, prof in enumerate(professions)
    }


@dataclass(frozen=True, eq=False)
class RunArtifacts:
    run_id: str
    run_dir: Path
    item_ids: np.ndarray  # int64 [n_items]: item index -> product id
    # product id -> item index: the Mapping API (lookup[pid], pid in lookup, .get) and .positions
    item_index: ItemLookup
    professions: tuple[str, ...]  # row order of the per-profession arrays
    item_emb_norm: np.ndarray  # float32 [n_items, d]
    train_pop: np.ndarray  # float32 [n_items]
    pop_by_prof_norm: np.ndarray  # float32 [n_prof, n_items]
    top_popp_by_prof: np.ndarray  # int32 [n_prof, topk], -1 padding
    item_to_gamme: np.ndarray  # int64 [n_items], -1 = none
    item_is_pl: np.ndarray  # int8 [n_items]
    pairs: dict[str, CsrPairs]  # profession (and "ANY") -> A -> B scores
    pairs_rev: dict[str, CsrPairs]  # profession (and "ANY") -> B -> predecessors A
    product_meta: ProductMeta  # what the run knows of each catalogue product, by columns
    params: dict[str, Any]
    versions: dict[str, Any]
    # Optional files (layout.OPTIONAL_FILES): None in a run trained without them, or older.
    ease: CsrPairs | None = None  # EASE item-item table (layout.EASE_ARRAYS)
    # the learned blend (layout.BLEND_MODEL), a reco_core.ranking.blend_model.LearnedBlend: parsed
    # once, by verification, and handed on (LightGBM parses the text in milliseconds per reload)
    blend: Any = None
    blend_meta: dict[str, Any] | None = None  # layout.BLEND_META
    # Precomputed for the ranker (layout.ITEM_STATS, layout.POP_ORDER), memory-mapped: None in a
    # run without the columnar companions (RankerIndex computes them, one private copy per worker)
    item_stats: np.ndarray | None = None
    pop_order: np.ndarray | None = None
    substitutes: CsrPairs | None = None  # substitute table (layout.SUBSTITUTE_ARRAYS)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)
