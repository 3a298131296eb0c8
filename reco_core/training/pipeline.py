"""`reco train`: from the three contract Parquet files to a complete, verified run directory.

The run is assembled in a `.tmp-run_*` directory and renamed to `run_YYYYMMDD_HHMMSS[_tag]`
only after every file and the manifest are written, so a crash or a kill never leaves a
directory that looks like a finished run.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from reco_core import __version__, contract, logs
from reco_core import columns as C
from reco_core.artifacts import layout as L
from reco_core.artifacts.manifest import write_manifest
from reco_core.artifacts.store import new_run_name, promote
from reco_core.errors import RecoError
from reco_core.fsutil import atomic_dir
from reco_core.training import features, pairs, popularity, substitutes
from reco_core.training.baskets import (
    basket_item_matrix,
    baskets_from_frame,
    profession_item_counts,
    select_items,
)
from reco_core.training.blend import FitData, fit_blend, fit_index
from reco_core.training.config import TrainConfig
from reco_core.training.embeddings import normalised_item_embeddings
from reco_core.training.fit import fit_with_early_stopping, make_validation
from reco_core.training.run_writer import (
    save_columnar,
    save_json,
    save_npy,
    save_npz,
    save_pair_index,
    save_pickle,
    save_table,
    save_text,
)

log = logs.get_logger("train")
MIN_BLEND_ORDERS = 1000  # held-out orders the learned blend needs, where the run has them (blend_size)
LIBRARIES = ("numpy", "scipy", "pandas", "pyarrow", "rectools-lightfm", "lightgbm", "scikit-learn")


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str, **fields) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._t, 3)
        self._t = now
        logs.event(log, name, seconds=self.timings[name], **fields)


def blend_size(asked: int, eligible: int) -> int:
    """How many orders (of `eligible`, those with 2 items or more) to hold out for the learned
    blend: a fifth, at most `asked` (--blend-baskets), but at least MIN_BLEND_ORDERS or half of
    them when a fifth is fewer.

    Why a floor: the blend learns from, and is early-stopped on, samples of these orders. A small
    run's fifth is a few hundred orders drawn into 10,000 samples (2,500 baskets of 166 groceries:
    334 orders), from which the model learns noise: its MRR@10 was 4 % below plain popularity on
    the holdout; with 836 (half) it ties it. What a larger share costs - pair counts, popularity
    and LightFM on fewer orders - weighs less on such runs than a blend that cannot learn.
    """
    return min(asked, max(eligible // 5, min(MIN_BLEND_ORDERS, eligible // 2)))


def train(cfg: TrainConfig) -> Path:
    """Train and write a run; return its final path (promoted when --make-current-symlink)."""
    watch = _Stopwatch()
    ventes = contract.read_ventes(cfg.ventes)
    details = contract.read_details(cfg.details)
    pair_table = contract.read_pairs(cfg.pairs) if cfg.pairs else None
    watch.lap("read_inputs", baskets=len(ventes), products=len(details))

    baskets = baskets_from_frame(ventes)
    # At 300k products the inputs' Python objects take gigabytes; each large intermediate is
    # dropped as soon as it is used, so that the EASE fit's dense matrices do not come on top.
    del ventes
    professions = baskets.professions
    item_ids, sales = select_items(
        baskets,
        details[C.ID_PRODUIT].to_numpy(np.int64),
        min_occ=cfg.min_occ,
        include_all_items=cfg.include_all_items,
        max_items=cfg.max_items,
    )
    x = basket_item_matrix(baskets, item_ids)
    nonempty = np.flatnonzero(np.diff(x.indptr) > 0)
    x, prof, weight = x[nonempty], baskets.prof[nonempty], baskets.weight[nonempty]
    n_items, n_prof = len(item_ids), len(professions)
    watch.lap("items", items=n_items, baskets=x.shape[0], professions=n_prof)
    # df_couple_produit is read first so that a bad file fails before LightFM; its counts are
    # taken now, so that the frame (tens of millions of rows at 300k products) is not held
    # through LightFM and the learned blend.
    source = "baskets" if pair_table is None else "df_couple_produit"
    counts = None if pair_table is None else pairs.counts_from_table(pair_table, item_ids, professions)
    del pair_table
    watch.lap("pair_counts", source=source)

    rng = np.random.default_rng(cfg.seed)
    # Held out of LightFM: its early-stopping baskets and the learned blend's (training/blend.py).
    eligible = np.flatnonzero(np.diff(x.indptr) >= 2)
    n_val = min(cfg.val_baskets, len(eligible) // 10)
    n_blend = blend_size(cfg.blend_baskets, len(eligible))
    held = rng.permutation(eligible)[: max(n_val, n_blend)]
    val_rows, blend_rows = np.sort(held[:n_val]), np.sort(held[:n_blend])
    train_rows = np.setdiff1d(np.arange(x.shape[0]), held)
    x_train, prof_train = x[train_rows].tocoo(), prof[train_rows]
    # LightFM wants the weights as a COO matrix with exactly the interactions' entry order
    weights = sp.coo_matrix(
        (weight[train_rows][x_train.row], (x_train.row, x_train.col)), shape=x_train.shape
    )
    weighted = weights.tocsr()
    ufeat, ufeat_map = features.user_features(prof_train, professions)
    ifeat, ifeat_map = features.item_features(
        item_ids, sales, details, cold_identity_token=cfg.cold_identity_token
    )
    validation = make_validation(x[val_rows], rng)
    watch.lap(
        "features", user_features=ufeat.shape[1], item_features=ifeat.shape[1], val_baskets=validation.size
    )

    fit = fit_with_early_stopping(
        x_train,
        weights,
        ufeat,
        ifeat,
        validation,
        no_components=cfg.no_components,
        epochs=cfg.epochs,
        lr=cfg.lr,
        loss=cfg.loss,
        threads=cfg.threads,
        patience=cfg.patience,
        seed=cfg.seed,
    )
    watch.lap("lightfm", epochs=len(fit.history), best_epoch=fit.best_epoch)
    del x_train, weights

    emb = normalised_item_embeddings(fit.model, ifeat)
    all_weighted = sp.diags(weight.astype(np.float32)) @ x
    train_pop, pop_by_prof, top_popp = popularity.popularity_arrays(
        all_weighted, prof, n_prof, cfg.topk_per_prof
    )
    item_to_gamme, item_is_pl = popularity.item_attributes(item_ids, details)
    watch.lap("precompute")
    found = substitutes.detect_substitutes(
        x,
        prof,
        weight,
        n_prof,
        substitutes.item_groups(item_ids, details),
        substitutes.item_labels(item_ids, details),
        item_is_pl,
        seed=cfg.seed,
    )
    watch.lap("substitutes", **{k: v for k, v in found.report.items() if k in ("pairs", "threshold")})

    # Before the shipped pair tables: it reads none of them, and their memory need not add to
    # the EASE fit's at 300k products.
    try:
        learned = _learned_relevance(
            cfg,
            x,
            prof,
            weight,
            train_rows,
            blend_rows,
            item_ids,
            professions,
            emb,
            item_to_gamme,
            item_is_pl,
        )
    except RecoError as exc:  # an optional part: without it the run is ranked with fixed weights
        logs.event(log, "learned relevance skipped", level=logging.WARNING, reason=str(exc))
        learned = None
    watch.lap("learned_blend", learned=learned is not None)

    if counts is None:
        counts = pairs.counts_from_baskets(x, prof, weight, n_prof)
    orders_by_prof = profession_item_counts(x, prof, weight, n_prof)
    fwd, rev, raw, kept = pairs.indexes_for(cfg, counts, professions, orders_by_prof, item_ids)
    del counts, orders_by_prof
    watch.lap("pairs", source=source, kept=sum(kept.values()))

    root = Path(cfg.artifact_root)
    name = new_run_name(root, cfg.run_tag)
    with atomic_dir(root / name) as tmp:
        save_pickle(
            tmp,
            L.MAPPING,
            {
                "user_id_map": {int(r): i for i, r in enumerate(nonempty[train_rows])},
                "user_feature_map": ufeat_map,
                "item_id_map": {int(pid): i for i, pid in enumerate(item_ids)},
                "item_feature_map": ifeat_map,
                "professions": list(professions),
            },
        )
        save_npz(tmp, L.USER_FEATURES, ufeat)
        save_npz(tmp, L.ITEM_FEATURES, ifeat)
        save_npz(tmp, L.INTERACTIONS, weighted)
        save_pickle(tmp, L.MODEL, fit.model)
        for fname, arr in (
            (L.ITEM_EMB_NORM, emb),
            (L.TRAIN_POP, train_pop),
            (L.POP_BY_PROF_NORM, pop_by_prof),
            (L.TOP_POPP_BY_PROF, top_popp),
            (L.ITEM_TO_GAMME, item_to_gamme),
            (L.ITEM_IS_PL, item_is_pl),
        ):
            save_npy(tmp, fname, arr)
        save_pickle(tmp, L.PAIR_BOOST_RAW, raw)
        save_pair_index(tmp, L.PAIR_BOOST_IDX, fwd)
        save_pair_index(tmp, L.PAIR_REV_IDX, rev)
        if learned is not None:
            ease, model_text, blend_meta = learned
            save_table(tmp, L.EASE_ARRAYS, ease)
            if model_text is not None:
                save_text(tmp, L.BLEND_MODEL, model_text)
                save_json(tmp, L.BLEND_META, blend_meta)
        save_table(tmp, L.SUBSTITUTE_ARRAYS, found.table)
        meta = popularity.product_meta(details)
        save_json(tmp, L.PRODUCT_META, meta)
        # what serving reads: the same contents as arrays (layout.COLUMNAR_FILES)
        save_columnar(
            tmp,
            item_ids,
            professions,
            {L.PAIR_BOOST_IDX: fwd[0], L.PAIR_REV_IDX: rev[0]},
            meta,
            {L.TRAIN_POP: train_pop, L.POP_BY_PROF_NORM: pop_by_prof, L.ITEM_IS_PL: item_is_pl},
        )
        del meta
        save_json(tmp, L.VERSIONS, _versions(cfg))
        watch.lap("write")
        save_json(
            tmp,
            L.PARAMS,
            {
                "run_id": name,
                "flags": cfg.model_dump(mode="json"),
                "history": fit.history,
                "best_epoch": fit.best_epoch,
                "stopped_early": fit.stopped_early,
                "best_val_hit@10": fit.history[fit.best_epoch - 1]["val_hit@10"],
                "counts": {
                    "items": n_items,
                    "baskets": int(x.shape[0]),
                    "train_baskets": len(train_rows),
                    "val_baskets": validation.size,
                    "blend_baskets": len(blend_rows),
                    "professions": n_prof,
                    "pairs_kept": kept,
                },
                "learned_blend": None if learned is None else learned[2],
                "substitutes": found.report,
                "timings": watch.timings,
            },
        )
        write_manifest(tmp, run_id=name)
    run_dir = root / name
    logs.event(log, "run written", run=str(run_dir), seconds=sum(watch.timings.values()))
    if cfg.make_current_symlink:
        promote(root, run_dir, reason="reco train --make-current-symlink")
    return run_dir


def _learned_relevance(
    cfg: TrainConfig,
    x: sp.csr_matrix,
    prof: np.ndarray,
    weight: np.ndarray,
    fit_rows: np.ndarray,
    held_rows: np.ndarray,
    item_ids: np.ndarray,
    professions: tuple[str, ...],
    emb: np.ndarray,
    item_to_gamme: np.ndarray,
    item_is_pl: np.ndarray,
):
    """(EASE table, blend model text or None, blend.json or EASE report) of training/blend.py;
    None with --blend-baskets 0 or too few baskets to hold any out."""
    if not len(held_rows):
        return None
    index, ease_report = fit_index(
        FitData(x[fit_rows], prof[fit_rows], weight[fit_rows]),
        item_ids,
        professions,
        emb,
        item_to_gamme,
        item_is_pl,
        cfg,
    )
    held = FitData(x[held_rows], prof[held_rows], weight[held_rows])
    blend = fit_blend(index, held, samples=cfg.blend_samples, threads=cfg.threads, seed=cfg.seed)
    model_text, meta = blend if blend is not None else (None, {})
    return index.ease, model_text, meta | {"ease": ease_report}


def _versions(cfg: TrainConfig) -> dict:
    libs = {}
    for lib in LIBRARIES:
        try:
            libs[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            libs[lib] = None
    inputs = {
        role: _fingerprint(path)
        for role, path in (("ventes", cfg.ventes), ("details", cfg.details), ("pairs", cfg.pairs))
        if path is not None
    }
    return {
        "reco_materiaux": __version__,
        "code_commit": _git_commit(),
        "python": platform.python_version(),
        "libraries": libs,
        "inputs": inputs,
    }


def _fingerprint(path: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(path), "size": path.stat().st_size, "sha256": digest.hexdigest()}


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
