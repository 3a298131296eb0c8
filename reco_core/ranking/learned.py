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

import numpy as np

from reco_core.ranking import kernels
from reco_core.ranking.blend_model import FEATURE_NAMES, FEATURES
from reco_core.ranking.candidates import PAIR, PAIR_ANY, POOL_SIGNALS, REVERSE, CandidatePool
from reco_core.ranking.index import RankerIndex
from reco_core.ranking.params import BasketParams
from reco_core.ranking.profession_mix import ProfessionMix

SHORTLIST = 150  # candidates the model scores per request (at least 3 k)
_COLUMN = {name: column for column, name in enumerate(FEATURE_NAMES)}  # features are set by name
# What the compiled pass (kernels.shortlist_features) reads and where it writes: the pool's parts
# rows of its raw pair signals, and the model's column of each feature it computes.
_PART_ROWS = np.array([POOL_SIGNALS.index(name) for name in kernels.PART_SIGNALS], dtype=np.int64)
_KERNEL_COLUMNS = np.array([_COLUMN[name] for name in kernels.KERNEL_FEATURES], dtype=np.int64)
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
    """(slots of the shortlist, ascending; float32 [len(slots), len(FEATURES)] their features):
    for training and serving alike.

    The shortlist is the `size` candidates the model scores: the best by a plain prior, the sum
    of the co-purchase and EASE features relative to their best in the pool (pair_rel,
    pair_any_rel, ease_rel) and of the popularities relative to theirs (popp, popg); of equal
    priors at the cut, the lowest slots. A tree ensemble costs a few microseconds per candidate,
    and pools hold hundreds to thousands; the prior keeps the ones with any strong signal.
    Training learns on exactly these shortlists.

    Only the prior's signals are computed for the whole pool; the feature rows, for the shortlist
    alone. The `_rr` features are 1 / (1 + rank) in the shortlist, best first, equal values
    sharing the better rank, 0 without the signal. The embedding
    cosine is computed for the shortlist only: gathering 64 floats per candidate from a 300k-row
    matrix is the costliest read of a request.
    """
    parts = pool.pair_parts
    if index.any_row in mix.rows:
        parts = _as_named_everyone(parts)
    slots, x = kernels.shortlist_features(
        parts,
        _PART_ROWS,
        index.item_stats,
        pool.items,
        mix.rows,
        mix.weights.astype(np.float32),
        index.popg_column,
        pool.links,
        pool.n_basket,
        named,
        size,
        _KERNEL_COLUMNS,
        len(FEATURES),
    )
    if centroid is not None:
        x[:, _COLUMN["emb"]] = np.take(index.emb, pool.items[slots], axis=0) @ centroid.astype(np.float32)
    return slots, x
