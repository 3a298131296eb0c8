"""`reco precompute RUN`: the original's save_precomputed, recomputing a run's derived arrays.

Item embeddings come from model.pkl and item_features.npz; popularities from interactions.npz
and the profession columns of user_features.npz. Useful after changing how embeddings are
normalised or how many popular items are kept, without retraining. Files are replaced one by
one with atomic renames and the manifest is rewritten last; reload serving afterwards.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from reco_core import logs
from reco_core.artifacts import layout as L
from reco_core.artifacts.manifest import read_manifest, read_verified_bytes, write_manifest
from reco_core.artifacts.pickles import load_verified_pickle
from reco_core.artifacts.verify import verify_run
from reco_core.errors import ArtifactError
from reco_core.fsutil import atomic_path
from reco_core.training.embeddings import normalised_item_embeddings
from reco_core.training.features import PROF_PREFIX
from reco_core.training.popularity import popularity_arrays

log = logs.get_logger("precompute")


def save_precomputed(run_dir: Path | str, *, topk_per_prof: int | None = None) -> list[str]:
    """Recompute item_emb_norm, train_pop, pop_by_prof_norm and top_popp_by_prof; return the files written."""
    run_dir = Path(run_dir)
    report = verify_run(run_dir, check_model=True)
    if not report.ok:
        raise ArtifactError(
            f"{run_dir}: refusing to recompute an unverified run: " + "; ".join(report.problems)
        )
    manifest = read_manifest(run_dir)
    mapping = load_verified_pickle(run_dir, L.MAPPING, manifest)
    model = load_verified_pickle(run_dir, L.MODEL, manifest)
    params = _json(run_dir, L.PARAMS, manifest)
    ifeat = _npz(run_dir, L.ITEM_FEATURES, manifest)
    ufeat = _npz(run_dir, L.USER_FEATURES, manifest)
    weighted = _npz(run_dir, L.INTERACTIONS, manifest)

    professions = list(mapping["professions"])
    prof = _basket_professions(ufeat, mapping["user_feature_map"], professions)
    topk = topk_per_prof or int(params["flags"]["topk_per_prof"])
    emb = normalised_item_embeddings(model, ifeat)
    train_pop, pop_by_prof, top_popp = popularity_arrays(weighted, prof, len(professions), topk)
    written = []
    for name, array in (
        (L.ITEM_EMB_NORM, emb),
        (L.TRAIN_POP, train_pop),
        (L.POP_BY_PROF_NORM, pop_by_prof),
        (L.TOP_POPP_BY_PROF, top_popp),
    ):
        with atomic_path(run_dir / name) as tmp, open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        written.append(name)
    write_manifest(run_dir, run_id=manifest.run_id)
    logs.event(log, "precomputed", run=str(run_dir), files=len(written), items=emb.shape[0])
    return written


def _basket_professions(
    ufeat: sp.csr_matrix, feature_map: dict[str, int], professions: list[str]
) -> np.ndarray:
    """Profession index of each basket row, read back from its prof:* user feature (-1 if none)."""
    column_to_prof = np.full(ufeat.shape[1], -1, dtype=np.int32)
    for j, name in enumerate(professions):
        column_to_prof[feature_map[f"{PROF_PREFIX}{name}"]] = j
    coo = ufeat.tocoo()
    prof = np.full(ufeat.shape[0], -1, dtype=np.int32)
    hit = column_to_prof[coo.col] >= 0
    prof[coo.row[hit]] = column_to_prof[coo.col[hit]]
    return prof


def _npz(run_dir: Path, name: str, manifest) -> sp.csr_matrix:
    return sp.load_npz(io.BytesIO(read_verified_bytes(run_dir, name, manifest))).tocsr()


def _json(run_dir: Path, name: str, manifest) -> dict:
    return json.loads(read_verified_bytes(run_dir, name, manifest))
