"""Per-run precomputation for the ranker, done once when a run is loaded.

A request must not pay for anything that depends only on the run: profession centroids (for
the profession auto-detection), the global popularity order (pool and fill), the unpadded
popular items of each profession, and access to the pair indexes by profession row. The embeddings and
pair tables stay plain read-only views of the run's (memory-mapped) arrays, not copies: API
workers keep sharing the pages, and fancy indexing skips the np.memmap subclass overhead.
`item_stats` (17 MB at 300k products, 12 professions) lays the popularities and the MDD flag out
per item, because gathering them per candidate from separate arrays costs one cache miss per
array (one per profession of the mix, plus the MDD flag) instead of one; training writes it, and
`pop_order`, as columnar companions (layout.ITEM_STATS, layout.POP_ORDER) that workers share;
for a run without them they are computed here, one private copy per worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from reco_core.artifacts import columnar
from reco_core.artifacts.run import CsrPairs, RunArtifacts
from reco_core.columns import ANY_PROFESSION
from reco_core.ranking.blend_model import LearnedBlend
from reco_core.text import fold_one


@dataclass(frozen=True, eq=False)
class RankerIndex:
    """What `recommend` reads. Pair tables are by profession row (the row of the per-profession arrays); row
    `any_row` (= number of professions) is the "ANY" table. None = no table in the run.

    That row stands for everyone, in every per-profession structure: "ANY" pairs, the
    global popularity (item_stats column `popg_column`, the same number) and the globally most
    popular items (last entry of popp_top). So a mix on it scores a basket without profession
    (ranking.NO_PROFESSION) with the same code as a mix of professions."""

    run: RunArtifacts
    professions: tuple[str, ...]
    prof_row: Mapping[str, int]
    # Folded name (search.fold: case, accents, spaces) -> row, for professions typed by people;
    # a folded name shared by two professions is left out rather than guessed.
    prof_row_folded: Mapping[str, int]
    emb: np.ndarray  # float32 [n_items, d], L2-normalised rows
    prof_centroids: np.ndarray  # float32 [n_prof, d], L2-normalised (zero row: no sales)
    pairs: tuple[CsrPairs | None, ...]  # [n_prof + 1]
    pairs_rev: tuple[CsrPairs | None, ...]  # [n_prof + 1]
    pop_order: np.ndarray  # int64 [n_items]: item indices by global popularity desc, ties by index
    popp_top: tuple[np.ndarray, ...]  # [n_prof + 1]: most popular items of each profession, then overall
    # float32 [n_items, >= n_prof + 2]: popularity in each profession, global popularity, MDD flag
    # (then zeros: rows are padded to whole cache lines, see columnar.item_stats). One row per item so
    # that scoring a candidate reads one cache line, not one per array.
    item_stats: np.ndarray
    gamme: np.ndarray  # int64 [n_items], -1 = unknown
    ease: CsrPairs | None  # the run's EASE item-item table, None when it has none
    blend: LearnedBlend | None  # the run's learned blend, None when it has none
    substitutes: CsrPairs | None = None  # the run's substitute table, None when it has none

    @classmethod
    def build(cls, run: RunArtifacts) -> RankerIndex:
        emb = np.asarray(run.item_emb_norm, dtype=np.float32)
        pop_by_prof = np.asarray(run.pop_by_prof_norm, dtype=np.float32)
        train_pop = np.asarray(run.train_pop, dtype=np.float32)
        top = np.asarray(run.top_popp_by_prof)
        names = (*run.professions, ANY_PROFESSION)
        # precomputed by training (memory-mapped, shared by the workers) unless the run predates it
        item_stats = run.item_stats
        if item_stats is None:
            item_stats = columnar.item_stats(pop_by_prof, train_pop, run.item_is_pl)
        item_stats = np.asarray(item_stats)
        item_stats.setflags(write=False)
        pop_order = run.pop_order
        pop_order = np.argsort(-train_pop, kind="stable") if pop_order is None else np.asarray(pop_order)
        pop_order.setflags(write=False)
        centroids = profession_centroids(emb, pop_by_prof)
        centroids.setflags(write=False)
        return cls(
            run=run,
            professions=run.professions,
            prof_row={name: i for i, name in enumerate(run.professions)},
            prof_row_folded=folded_rows(run.professions),
            emb=emb,
            prof_centroids=centroids,
            pairs=tuple(_plain(run.pairs.get(name)) for name in names),
            pairs_rev=tuple(_plain(run.pairs_rev.get(name)) for name in names),
            pop_order=pop_order,
            popp_top=(*(row[row >= 0].astype(np.int64) for row in top), pop_order),
            item_stats=item_stats,
            gamme=np.asarray(run.item_to_gamme, dtype=np.int64),
            ease=_plain(run.ease),
            blend=run.blend,
            substitutes=_plain(run.substitutes),
        )

    @property
    def n_items(self) -> int:
        return len(self.emb)

    @property
    def any_row(self) -> int:
        return len(self.professions)

    @property
    def row_names(self) -> tuple[str, ...]:
        """Name of every profession row: the professions, then "ANY" (everyone)."""
        return (*self.professions, ANY_PROFESSION)

    @property
    def popg_column(self) -> int:
        """Column of item_stats holding the global popularity (the next one: the MDD flag)."""
        return len(self.professions)

    @property
    def pl_column(self) -> int:
        return len(self.professions) + 1


def _plain(table: CsrPairs | None) -> CsrPairs | None:
    """The table on plain ndarray views of its (memory-mapped) arrays: no copy, and indexing skips
    the np.memmap subclass's Python-level __getitem__ and __array_finalize__ (a request indexes
    the pair and EASE tables about 40 times)."""
    if table is None:
        return None
    return CsrPairs(np.asarray(table.indptr), np.asarray(table.indices), np.asarray(table.scores))


def folded_rows(professions: tuple[str, ...]) -> dict[str, int]:
    """Folded profession name -> row, without the folded names that two professions share."""
    rows: dict[str, list[int]] = {}
    for row, name in enumerate(professions):
        rows.setdefault(fold_one(name), []).append(row)
    return {folded: found[0] for folded, found in rows.items() if len(found) == 1}


def profession_centroids(emb: np.ndarray, pop_by_prof: np.ndarray) -> np.ndarray:
    """L2-normalised popularity-weighted mean embedding of each profession's items.

    Weighting by the profession's popularity makes the centroid point at what the trade
    actually buys; normalising makes a cosine with a basket centroid a plain dot product.
    A profession without sales keeps a zero centroid (cosine 0 with every basket).
    """
    sums = pop_by_prof @ emb
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1.0, norms)).astype(np.float32)
