"""The run's learned blend: how the signals combine, fitted on the run's own data.

Which signal completes baskets best changes from one catalogue to the next and with the basket
size (plain P(b|a) on some, EASE on large baskets, popularity where co-purchase says little),
so one set of hand-tuned weights cannot win everywhere. Training therefore fits, for each run, a
LightGBM lambdarank model over the features below, on candidate pools of baskets drawn from
held-out *training* orders (training/blend.py); serving scores the pool with it. Basket size is a
feature, so the trees split by bucket where the data says the signals behave differently.

The features are the same raw signals the linear blend weighs (pool built with unit weights),
plus each one relative to its best value in the pool, which lambdarank needs to compare requests
whose scales differ. Every feature belongs to one Signal: a recommended item's explanation is, for
each signal, how much its score drops without that signal (blend_model.LearnedBlend.explain); the
rest, under Signal.BASE, so the breakdown still adds up to the score.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np

from reco_core.ranking.blend_model import FEATURE_NAMES, FEATURES
from reco_core.ranking.candidates import EASE, PAIR, PAIR_ANY, REVERSE, CandidatePool
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.params import BasketParams
from reco_core.ranking.profession_mix import ProfessionMix

SHORTLIST = 150  # candidates the model scores per request (at least 3 k)
_COLUMN = {name: column for column, name in enumerate(FEATURE_NAMES)}  # features are set by name
# Weights that make build_pool accumulate the raw signals (each a mean over the basket items).
UNIT_POOL_WEIGHTS = {"W_PAIR": 1.0, "PAIR_ANY_WEIGHT": 1.0, "PAIR_REV_WEIGHT": 1.0, "W_EASE": 1.0}


# The pool sizes training fits the blend on (training/blend.py); the shipped learned profile uses
# the same, so that the model scores pools like the ones it learned from (checked by
# tests/unit/training/test_blend.py).
TRAINING_POOL = BasketParams(
    W_PL_BASE=0.0,
    W_PL_PER_BASK_PL=0.0,
    TOP_PAIRS=500,
    TOP_PAIRS_ANY_FRAC=1.0,
    TOP_PAIRS_TOTAL=1000,
    TOP_EASE=200,
    TOP_POPP=100,
    TOP_POPG=100,
)


@functools.lru_cache(maxsize=64)
def pool_params(params: BasketParams) -> BasketParams:
    """The bucket's pool sizes with unit weights: the pool the learned blend scores (cached: a
    pydantic copy per request cost more than reading a pair table; parameters are frozen)."""
    return params.model_copy(update=UNIT_POOL_WEIGHTS)


def shortlist(signals: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    """Slots of the `size` candidates the model scores: the best by a plain prior, the sum of the
    co-purchase, EASE and popularity features relative to their best in the pool.

    `signals`: float32 [n] per feature of the prior (pair_rel, pair_any_rel, ease_rel, popp, popg).
    A tree ensemble costs a few microseconds per candidate, and pools hold hundreds to thousands;
    the prior keeps the ones with any strong signal. Training learns on exactly these shortlists.
    """
    n = len(signals["popg"])
    if n <= size:
        return np.arange(n)
    prior = (signals["pair_rel"] + signals["pair_any_rel"]) + signals["ease_rel"]
    for name in ("popp", "popg"):
        peak = signals[name].max()
        if peak > 0:
            prior += signals[name] / peak
    return np.sort(np.argpartition(-prior, size - 1)[:size])


def reciprocal_ranks(values: np.ndarray) -> np.ndarray:
    """1 / (1 + rank) of each value among `values` (or of each column, for a matrix), best
    (largest) first, ties sharing the better rank; 0 where the value is 0 (no signal)."""
    if not len(values):
        return np.zeros(values.shape)
    columns = values.reshape(len(values), -1)
    ordered = np.sort(columns, axis=0)
    larger = [np.searchsorted(ordered[:, c], columns[:, c], side="right") for c in range(columns.shape[1])]
    rank = (len(values) - np.stack(larger, axis=1)).reshape(values.shape)  # how many are larger
    return np.where(values > 0, 1.0 / (1.0 + rank), 0.0)


def _as_named_everyone(parts: np.ndarray) -> np.ndarray:
    """The pair parts of a request with no profession (NO_PROFESSION) as those of a request naming
    a profession whose tables are the ANY ones, the kind the model learned on.

    The pool reads the ANY tables once (candidates._pair_tables: a linear profile must not count
    them twice), as the profession's; the model, trained on named and detected requests, reads
    the ANY pairs in `pair_any` and the reverse pairs as the profession's plus the ANY ones. With
    `pair_any` left at 0, it ranked `reco eval --mode none` 7-16 % below plain pairs on the
    demo's recall (4 % with these parts)."""
    parts = parts.copy()
    parts[PAIR_ANY] = parts[PAIR]
    parts[REVERSE] *= 2.0
    return parts


def shortlist_features(
    index: RankerIndex,
    pool: CandidatePool,
    centroid: np.ndarray | None,
    mix: ProfessionMix,
    size: int,
    *,
    named: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """(slots of the shortlist, float32 [len(slots), len(FEATURES)] their features): for training
    and serving alike.

    Only the prior's signals are computed for the whole pool, one vector each; the feature rows
    are laid out for the shortlist alone (writing 18 strided columns for a pool of thousands cost
    more than the model's prediction). The embedding cosine is computed for the shortlist only:
    gathering 64 floats per candidate from a 300k-row matrix is the costliest read of a request.
    """
    parts = pool.pair_parts
    if index.any_row in mix.rows:
        parts = _as_named_everyone(parts)
    stats = np.take(index.item_stats, pool.items, axis=0)  # 3x faster than indexing with []
    signals = {
        "popp": stats[:, mix.rows] @ mix.weights.astype(np.float32)
        if len(mix.rows)
        else np.zeros(len(pool.items), np.float32),
        "popg": stats[:, index.popg_column],
    }
    for name, row in (("pair", PAIR), ("pair_any", PAIR_ANY), ("ease", EASE)):
        peak = parts[row].max(initial=0.0)
        signals[f"{name}_rel"] = (parts[row] / peak if peak > 0 else np.zeros(len(pool.items))).astype(
            np.float32
        )
    slots = shortlist(signals, size)

    x = np.zeros((len(slots), len(FEATURES)), dtype=np.float32)
    for name, row in (("pair", PAIR), ("pair_any", PAIR_ANY), ("reverse", REVERSE), ("ease", EASE)):
        x[:, _COLUMN[name]] = parts[row, slots]
    for name, values in signals.items():
        x[:, _COLUMN[name]] = values[slots]
    links = pool.links[slots]
    x[:, _COLUMN["links"]] = links
    x[:, _COLUMN["link_share"]] = links / max(pool.n_basket, 1)
    x[:, _COLUMN["basket_size"]] = pool.n_basket
    x[:, _COLUMN["profession_named"]] = named
    ranked = ("pair", "pair_any", "ease", "popp")
    x[:, [_COLUMN[f"{name}_rr"] for name in ranked]] = reciprocal_ranks(
        x[:, [_COLUMN[name] for name in ranked]]
    )
    if centroid is not None:
        x[:, _COLUMN["emb"]] = np.take(index.emb, pool.items[slots], axis=0) @ centroid.astype(np.float32)
    return slots, x
