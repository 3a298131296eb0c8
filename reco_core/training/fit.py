"""LightFM fitting with early stopping on held-out baskets.

LightFM (WARP) is noisy from epoch to epoch, so the model kept is the best epoch's, not the last:
its item/user vectors are snapshotted whenever the validation Hit@10 improves, and training stops
after --patience epochs without improvement.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM

from reco_core import logs
from reco_core.training.embeddings import hit_and_mrr_at_k, normalised_item_embeddings

log = logs.get_logger("train")
_SNAPSHOT = ("item_embeddings", "item_biases", "user_embeddings", "user_biases")


@dataclass
class FitResult:
    model: LightFM
    best_epoch: int
    stopped_early: bool
    history: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Validation:
    context: sp.csr_matrix  # val baskets x items, visible items
    target: np.ndarray  # hidden item per val basket

    @property
    def size(self) -> int:
        return int(self.target.shape[0])


def make_validation(x_val: sp.csr_matrix, rng: np.random.Generator) -> Validation:
    """Hide one random item of each held-out basket (baskets of one item are unusable)."""
    x_val = x_val.tocsr()
    sizes = np.diff(x_val.indptr)
    usable = np.flatnonzero(sizes >= 2)
    x_val = x_val[usable]
    sizes = sizes[usable]
    pick = x_val.indptr[:-1] + (rng.random(len(usable)) * sizes).astype(np.int64)
    target = x_val.indices[pick].astype(np.int64)
    context = x_val.copy()
    context.data[pick] = 0
    context.eliminate_zeros()
    return Validation(context, target)


def fit_with_early_stopping(
    interactions: sp.coo_matrix,
    weights: sp.coo_matrix,
    user_features: sp.csr_matrix,
    item_features: sp.csr_matrix,
    validation: Validation,
    *,
    no_components: int,
    epochs: int,
    lr: float,
    loss: str,
    threads: int,
    patience: int,
    seed: int,
) -> FitResult:
    threads = max(1, min(threads, os.cpu_count() or 1))
    model = LightFM(no_components=no_components, loss=loss, learning_rate=lr, random_state=seed)
    history: list[dict] = []
    best_metric, best_epoch, best_state = -1.0, 0, None
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.fit_partial(
            interactions,
            user_features=user_features,
            item_features=item_features,
            sample_weight=weights,
            epochs=1,
            num_threads=threads,
        )
        fit_s = time.perf_counter() - t0
        hit = mrr = None
        if validation.size:
            emb = normalised_item_embeddings(model, item_features)
            hit, mrr = hit_and_mrr_at_k(emb, validation.context, validation.target, k=10)
        entry = {
            "epoch": epoch,
            "val_hit@10": hit,
            "val_mrr@10": mrr,
            "fit_seconds": fit_s,
            "seconds": time.perf_counter() - t0,
        }
        history.append(entry)
        # without validation baskets every epoch counts as the best one: all epochs run
        if hit is None or hit > best_metric:
            best_metric, best_epoch = (hit if hit is not None else best_metric), epoch
            best_state = {name: getattr(model, name).copy() for name in _SNAPSHOT}
        logs.event(
            log,
            "epoch",
            epoch=epoch,
            val_hit10=hit,
            val_mrr10=mrr,
            seconds=entry["seconds"],
            best=best_epoch,
            threads=threads,
        )
        if epoch - best_epoch >= patience:
            break
    assert best_state is not None
    for name, value in best_state.items():
        setattr(model, name, value)
    return FitResult(model, best_epoch, len(history) < epochs, history)
