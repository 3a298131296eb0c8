"""A run's learned relevance: its EASE table and its learned blend, fitted on training orders only.

Why it is learned per run: which signal completes baskets best changes with the catalogue and the
basket size (ranking/learned.py). The blend is therefore fitted on the run's own data, on
*held-out training orders* - never on the holdout that `reco eval` and the gate judge with:

1. The pipeline holds training orders out of LightFM (pipeline.blend_size: a fifth, at most
   `--blend-baskets`, at least 1,000 or half; its early-stopping baskets are among them).
   Popularity, pairs and EASE are counted once more on the other orders, the *fit* orders:
   features of a held-out basket must come from statistics that never saw it, or the blend
   would learn to trust co-purchase counts that include the answer.
2. An in-memory RankerIndex on those statistics (and the run's embeddings: LightFM never saw the
   held-out orders either) scores baskets exactly as serving does: samples are drawn from the
   held-out orders with the evaluation's protocol (m items given, the rest expected; m = 1 to
   MAX_M), the profession being the order's for half the samples and detected for the others,
   as the API receives both (the `profession_named` feature tells the model which); each sample's
   pool and features are built by ranker.basket_pool and learned.shortlist_features, the
   functions serving calls.
3. LightGBM lambdarank learns to put the expected items first, early-stopped on NDCG@10 of the
   samples of a quarter of the orders; on those, blend.json records Hit@10 and MRR@10 of the learned
   blend and of each signal alone, overall and per basket size, so every run says whether its
   blend earns its keep.

The shipped run serves the blend over statistics counted on *all* training orders (its pair
tables and popularity); its features are means and ratios, whose scale does not depend on how
many orders were counted. The EASE table is the one fitted on the fit orders (λ chosen on a
validation slice of them, evaluation/ease.py): refitting it would cost one more factorisation.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import scipy.sparse as sp

from reco_core import logs
from reco_core.artifacts import layout as L
from reco_core.artifacts.columnar import ItemLookup, ProductMeta
from reco_core.artifacts.run import CsrPairs, RunArtifacts, split_professions
from reco_core.evaluation.ease import fit_ease
from reco_core.evaluation.sampling import draw_samples
from reco_core.ranking.blend_model import FEATURE_NAMES, FEATURES
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.learned import TRAINING_POOL
from reco_core.ranking.ranker import basket_pool
from reco_core.training import pairs, popularity
from reco_core.training.baskets import Baskets, profession_item_counts
from reco_core.training.config import TrainConfig

log = logs.get_logger("train")

MAX_M = 5  # basket sizes the blend learns from: 1..MAX_M given items
K = 10  # the metrics' cut-off, as in the evaluation and the gate
GIVEN_PROFESSION_SHARE = 0.5
VALID_SHARE = 0.25  # of the held-out orders: their samples stop the training and are reported on
MAX_TREES = 150  # each tree costs serving time: a few microseconds per candidate
EARLY_STOP = 20
# Single signals the report compares the learned blend with (feature columns ranked alone).
SINGLE_SIGNALS = ("pair", "pair_any", "ease", "popp", "popg")
_ROWS_PER_BLOCK = 1024  # of the EASE weights, when their top-k are taken


@dataclass(frozen=True)
class FitData:
    """The fit orders of a run (baskets x items, weights = order counts) and their professions."""

    x: sp.csr_matrix  # binary baskets x items
    prof: np.ndarray
    weight: np.ndarray


def fit_index(
    fit: FitData,
    item_ids: np.ndarray,
    professions: tuple[str, ...],
    emb: np.ndarray,
    item_to_gamme: np.ndarray,
    item_is_pl: np.ndarray,
    cfg: TrainConfig,
) -> tuple[RankerIndex, dict[str, Any]]:
    """(index on the fit orders' statistics, with its EASE table; the EASE fit report): built with
    the run's own settings (pair table size and shrinkage, popular items kept, EASE size)."""
    n_prof = len(professions)
    weighted = sp.diags(fit.weight.astype(np.float32)) @ fit.x
    train_pop, pop_by_prof, top_popp = popularity.popularity_arrays(
        weighted, fit.prof, n_prof, cfg.topk_per_prof
    )
    fwd, rev = pairs.indexes_for(
        cfg,
        pairs.counts_from_baskets(fit.x, fit.prof, fit.weight, n_prof),  # freed before EASE's dense fit
        professions,
        profession_item_counts(fit.x, fit.prof, fit.weight, n_prof),
        item_ids,
    )[:2]
    run = RunArtifacts(
        run_id="blend-fit",
        run_dir=Path("."),
        item_ids=item_ids,
        item_index=ItemLookup(item_ids),
        professions=professions,
        item_emb_norm=emb,
        train_pop=train_pop,
        pop_by_prof_norm=pop_by_prof,
        top_popp_by_prof=top_popp,
        item_to_gamme=item_to_gamme,
        item_is_pl=item_is_pl,
        pairs=_tables(fwd),
        pairs_rev=_tables(rev),
        product_meta=ProductMeta.from_dict({}),
        params={},
        versions={},
    )
    index = RankerIndex.build(run)
    ease = fit_ease(index, sp.csr_matrix(weighted), max_items=cfg.ease_items, max_basket_m=3, seed=cfg.seed)
    table = ease_table(ease.items, ease.weights, len(item_ids), cfg.ease_topk)
    return RankerIndex.build(replace(run, ease=table)), ease.report.to_dict()


def ease_table(items: np.ndarray, weights: np.ndarray, n_items: int, topk: int) -> CsrPairs:
    """The `topk` largest positive B[a, b] of each row a, best first, on the run's item index.

    A block of rows at a time: argpartition of all 20k x 20k weights at once would hold 3.2 GB
    of int64 positions.
    """
    n = len(items)
    k = min(topk, max(n - 1, 0))
    if k == 0:
        return CsrPairs(np.zeros(n_items + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
    columns, scores, kept = [], [], np.zeros(n, np.int64)
    for start in range(0, n, _ROWS_PER_BLOCK):
        rows = weights[start : start + _ROWS_PER_BLOCK]
        top = np.argpartition(-rows, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(rows, top, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        top, values = np.take_along_axis(top, order, axis=1), np.take_along_axis(values, order, axis=1)
        keep = values > 0
        kept[start : start + len(rows)] = keep.sum(axis=1)
        columns.append(items[top[keep]].astype(np.int32))
        scores.append(values[keep].astype(np.float32))
    lengths = np.zeros(n_items, np.int64)
    lengths[items] = kept
    indptr = np.zeros(n_items + 1, np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return CsrPairs(indptr, np.concatenate(columns), np.concatenate(scores))


def fit_blend(
    index: RankerIndex, held: FitData, *, samples: int, threads: int, seed: int
) -> tuple[str, dict[str, Any]] | None:
    """(LightGBM model text, blend.json) fitted on samples of the held-out orders; None when they
    give too few samples with an expected item in their pool to learn from."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    train, valid = _training_groups(index, held, samples, rng)
    if len(train) < 50 or len(valid) < 10:
        logs.event(log, "learned blend skipped", usable_samples=len(train) + len(valid), reason="too few")
        return None
    model = _fit_lambdarank(train, valid, threads=threads, seed=seed)
    validation = _validation_report(model, valid)
    meta = {
        "format": L.BLEND_FORMAT,
        "features": list(FEATURE_NAMES),
        "signals": {name: signal.value for name, signal in FEATURES},
        "model": "LightGBM lambdarank (NDCG@10), early-stopped on the validation samples",
        "trees": model.num_trees(),
        "samples": {"train": len(train), "validation": len(valid), "max_m": MAX_M},
        # distinct orders behind them: no order is on both sides (_training_groups)
        "orders": {"train": len({g.order for g in train}), "validation": len({g.order for g in valid})},
        "held_out_orders": int(held.x.shape[0]),
        "validation": validation,
        "seconds": round(time.perf_counter() - start, 3),
    }
    overall = validation["overall"]
    logs.event(
        log,
        "learned blend",
        trees=model.num_trees(),
        samples=len(train) + len(valid),
        val_hit=round(overall["learned"]["hit@10"], 4),
        best_single=max(SINGLE_SIGNALS, key=lambda s: overall[s]["hit@10"]),
        best_single_hit=round(max(overall[s]["hit@10"] for s in SINGLE_SIGNALS), 4),
    )
    return model.model_to_string(), meta


@dataclass(frozen=True)
class _Group:
    order: int  # the held-out order the sample was drawn from
    m: int
    features: np.ndarray  # float32 [rows, F]
    labels: np.ndarray  # int [rows]


def _training_groups(
    index: RankerIndex, held: FitData, n_samples: int, rng: np.random.Generator
) -> tuple[list[_Group], list[_Group]]:
    """(training groups, validation groups): one per sample whose shortlist holds an expected
    item (the others teach nothing). The validation samples are those of a VALID_SHARE of the
    orders: samples are drawn with replacement, and a small run draws each order many times (334
    held-out orders for 10,000 samples on 2,500 baskets); split by sample, the same orders taught
    and judged the model, early stopping never stopped it, and the run ranked 7 % below plain
    popularity on MRR@10 while its validation said 14 % above."""
    item_ids = index.run.item_ids
    orders = Baskets(
        index.professions,
        held.prof.astype(np.int32),
        held.weight.astype(np.float32),
        held.x.indptr.astype(np.int64),
        item_ids[held.x.indices],
    )
    drawn = draw_samples(
        orders, item_ids, n_samples=n_samples, basket_m=1, max_basket_m=MAX_M, seed=int(rng.integers(1 << 31))
    )
    given, expected = drawn.given.matrix(item_ids), drawn.expected.matrix(item_ids)
    given_profession = rng.random(len(drawn)) < GIVEN_PROFESSION_SHARE
    row_of = {name: i for i, name in enumerate(index.professions)}
    is_valid = (rng.random(held.x.shape[0]) < VALID_SHARE)[drawn.order]
    groups: tuple[list[_Group], list[_Group]] = ([], [])
    for i in range(len(drawn)):
        if i and i % 2000 == 0:  # minutes at 300k products: say how far it is
            logs.event(log, "learned blend samples", done=i, of=len(drawn))
        basket = given.indices[given.indptr[i] : given.indptr[i + 1]].astype(np.int64)
        wanted = expected.indices[expected.indptr[i] : expected.indptr[i + 1]]
        row = row_of.get(drawn.profession[i]) if given_profession[i] else None
        _, _, pool, x = basket_pool(index, basket, row, TRAINING_POOL, K, learned=True)
        labels = np.isin(pool.items, wanted)
        if labels.any():
            groups[int(is_valid[i])].append(
                _Group(int(drawn.order[i]), int(drawn.m[i]), x, labels.astype(np.int32))
            )
    return groups


def _dataset(groups: list[_Group]) -> lightgbm.Dataset:
    return lightgbm.Dataset(
        np.concatenate([g.features for g in groups]),
        label=np.concatenate([g.labels for g in groups]),
        group=[len(g.labels) for g in groups],
        feature_name=list(FEATURE_NAMES),
        free_raw_data=True,
    )


def _fit_lambdarank(train: list[_Group], valid: list[_Group], *, threads: int, seed: int) -> lightgbm.Booster:
    params = {
        "objective": "lambdarank",
        "metric": "ndcg",
        "eval_at": [K],
        "lambdarank_truncation_level": K,  # pairs beyond the top K: a cost, not a gain, for Hit/MRR@K
        "learning_rate": 0.1,
        "num_leaves": 15,
        "min_data_in_leaf": 50,
        "max_bin": 63,
        "feature_pre_filter": False,
        "num_threads": max(1, min(threads, os.cpu_count() or 1)),
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
    }
    train_set = _dataset(train)
    valid_set = _dataset(valid)
    valid_set.reference = train_set
    model = lightgbm.train(
        params,
        train_set,
        num_boost_round=MAX_TREES,
        valid_sets=[valid_set],
        callbacks=[lightgbm.early_stopping(EARLY_STOP, verbose=False)],
    )
    if model.best_iteration and model.best_iteration < model.current_iteration():
        model = lightgbm.Booster(model_str=model.model_to_string(num_iteration=model.best_iteration))
    return model


def _validation_report(model: lightgbm.Booster, valid: list[_Group]) -> dict[str, Any]:
    """Hit@K and MRR@K on the validation samples (those whose pool holds an expected item): the
    learned blend and each signal alone ranking the same pool, overall and per basket size."""
    rankers = {"learned": None} | {name: FEATURE_NAMES.index(name) for name in SINGLE_SIGNALS}
    per_sample: dict[str, list[tuple[int, float, float]]] = {name: [] for name in rankers}
    for g in valid:
        scores = {
            name: model.predict(g.features, num_threads=1) if column is None else g.features[:, column]
            for name, column in rankers.items()
        }
        for name, s in scores.items():
            top = np.argsort(-s, kind="stable")[:K]
            hits = np.flatnonzero(g.labels[top])
            per_sample[name].append((g.m, float(len(hits) > 0), 1.0 / (hits[0] + 1) if len(hits) else 0.0))
    out: dict[str, Any] = {"overall": {}, "per_m": {}}
    for name, rows in per_sample.items():
        a = np.array(rows)
        out["overall"][name] = {"hit@10": float(a[:, 1].mean()), "mrr@10": float(a[:, 2].mean())}
        for m in np.unique(a[:, 0]).astype(int).tolist():
            sel = a[a[:, 0] == m]
            out["per_m"].setdefault(str(m), {})[name] = {
                "hit@10": float(sel[:, 1].mean()),
                "mrr@10": float(sel[:, 2].mean()),
                "n": len(sel),
            }
    return out


def _tables(index: tuple[dict, dict[str, np.ndarray]]) -> dict[str, CsrPairs]:
    meta, arrays = index
    return split_professions(meta["professions"], arrays["indptr"], arrays["indices"], arrays["scores"])
