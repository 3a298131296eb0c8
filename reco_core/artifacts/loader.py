"""Loading a run for serving and evaluation: only a run that verifies is ever loaded.

model.pkl is not loaded: serving scores with the precomputed embeddings, and not unpickling the
model is what lets DISABLE_MODEL_PICKLE=1 hold in production. pair_boost.pkl.gz (raw pairs, a
fallback serving never reads) is checked by its checksum only, and so are the original's files
the columnar companions stand for (mapping.pkl, product_meta.json.gz, the pair indexes'
pickles, the .npz matrices): nothing is unpickled. A run without the companions (trained before
them) is still loaded, from those files, with a warning: its reloads hold the GIL for seconds.
"""

from __future__ import annotations

import logging
from pathlib import Path

from reco_core import logs
from reco_core.artifacts import layout as L
from reco_core.artifacts.run import RunArtifacts
from reco_core.artifacts.verify import inspect_run
from reco_core.errors import ArtifactError

log = logs.get_logger("artifacts")


def load_run(run_dir: Path | str) -> RunArtifacts:
    """Verify `run_dir` (manifest, shapes, values) and return its contents, or raise ArtifactError.

    The .npy arrays are memory-mapped read-only, so API workers loading the same run share
    the pages instead of holding one copy each.
    """
    report, parts = inspect_run(run_dir, check_model=False, check_raw_pairs=False, check_originals=False)
    if parts is None:
        raise ArtifactError(f"refusing to load {report.run_dir}: {report.summary()}")
    item_ids = parts.items.ids
    artifacts = RunArtifacts(
        run_id=report.run_id,
        run_dir=report.run_dir,
        item_ids=item_ids,
        item_index=parts.items,
        professions=parts.professions,
        item_emb_norm=parts.arrays[L.ITEM_EMB_NORM],
        train_pop=parts.arrays[L.TRAIN_POP],
        pop_by_prof_norm=parts.arrays[L.POP_BY_PROF_NORM],
        top_popp_by_prof=parts.arrays[L.TOP_POPP_BY_PROF],
        item_to_gamme=parts.arrays[L.ITEM_TO_GAMME],
        item_is_pl=parts.arrays[L.ITEM_IS_PL],
        pairs=parts.pairs,
        pairs_rev=parts.pairs_rev,
        product_meta=parts.product_meta,
        params=parts.params,
        versions=parts.versions,
        ease=parts.ease,
        blend=parts.blend,
        blend_meta=parts.blend_meta,
        item_stats=parts.item_stats,
        pop_order=parts.pop_order,
        substitutes=parts.substitutes,
    )
    if not parts.columnar:
        logs.event(
            log,
            "run without columnar companions: loaded from mapping.pkl and product_meta.json.gz",
            logging.WARNING,
            run=artifacts.run_id,
        )
    logs.event(
        log, "run loaded", run=artifacts.run_id, items=artifacts.n_items, professions=len(parts.professions)
    )
    return artifacts
