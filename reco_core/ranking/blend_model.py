"""The fitted model of a run's learned blend (ranking/learned.py), and its feature columns.

Apart from learned.py so that the RankerIndex can hold the model without importing the pool code.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reco_core.errors import RecoError
from reco_core.ranking.signals import Signal

# (feature name, signal it explains), in the column order of the model's input.
FEATURES: tuple[tuple[str, Signal], ...] = (
    ("pair", Signal.PAIR),
    ("pair_rel", Signal.PAIR),
    ("pair_any", Signal.PAIR_ANY),
    ("pair_any_rel", Signal.PAIR_ANY),
    ("reverse", Signal.REVERSE),
    ("ease", Signal.EASE),
    ("ease_rel", Signal.EASE),
    ("emb", Signal.EMB),
    ("popp", Signal.POPP),
    ("popg", Signal.POPG),
    # 1 / (1 + rank) in the shortlist (0 without the signal): ranks compare across requests and
    # catalogues where the values' scales do not.
    ("pair_rr", Signal.PAIR),
    ("pair_any_rr", Signal.PAIR_ANY),
    ("ease_rr", Signal.EASE),
    ("popp_rr", Signal.POPP),
    ("links", Signal.COVERAGE),
    ("link_share", Signal.COVERAGE),
    ("basket_size", Signal.BASE),
    # 1 when the request names the profession, 0 when it is detected from the basket: a detected
    # profession is often wrong even when the detection is confident, so its own pairs and
    # popularity deserve less trust than the ANY ones.
    ("profession_named", Signal.BASE),
)
FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _ in FEATURES)
# The feature columns of each signal that an explanation sets to 0 (ablation); the basket size and
# whether the profession was named are context, not signals of the candidate, so their effect
# stays in Signal.BASE.
ABLATED: dict[Signal, list[int]] = {}
for _column, (_, _signal) in enumerate(FEATURES):
    if _signal is not Signal.BASE:
        ABLATED.setdefault(_signal, []).append(_column)


_PREDICT_PARAMETERS = ctypes.c_char_p(b"num_threads=1")


def raw_scores(booster: Any, x: np.ndarray) -> np.ndarray:
    """booster.predict(x, raw_score=True, num_threads=1) of float32 features (the ranking's), by
    LightGBM's C function directly.

    Booster.predict builds a predictor object, deep-copies its parameters and asks the C library
    for the output size on every call: ~30 microseconds, twice per request, more than predicting
    50 rows. This is the one C call it ends with (LGBM_BoosterPredictForMat, a stable function of
    the C API); tests/unit/ranking/test_ranking_blend_model.py holds it equal to Booster.predict.
    """
    from lightgbm.basic import _C_API_DTYPE_FLOAT32, _C_API_PREDICT_RAW_SCORE, _LIB, _safe_call

    rows = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty(len(rows), dtype=np.float64)
    written = ctypes.c_int64(0)
    _safe_call(
        _LIB.LGBM_BoosterPredictForMat(
            booster._handle,
            ctypes.c_void_p(rows.ctypes.data),
            ctypes.c_int(_C_API_DTYPE_FLOAT32),
            ctypes.c_int32(rows.shape[0]),
            ctypes.c_int32(rows.shape[1]),
            ctypes.c_int(1),  # row-major
            ctypes.c_int(_C_API_PREDICT_RAW_SCORE),
            ctypes.c_int(0),  # from the first tree
            ctypes.c_int(-1),  # to the last
            _PREDICT_PARAMETERS,
            ctypes.byref(written),
            ctypes.c_void_p(out.ctypes.data),  # double *
        )
    )
    if written.value != len(rows):
        raise RecoError(f"the blend model gave {written.value} scores for {len(rows)} rows")
    return out


# bool [signals, features]: the columns ABLATED zeroes for each signal, in its order
_SIGNAL_COLUMNS = np.zeros((len(ABLATED), len(FEATURES)), dtype=bool)
for _row, _columns in enumerate(ABLATED.values()):
    _SIGNAL_COLUMNS[_row, _columns] = True


@dataclass(frozen=True, eq=False)
class LearnedBlend:
    """A fitted lambdarank model; `score` ranks a pool, `explain` breaks scores down by signal.

    `score` and `explain` take rows of every FEATURES column; a model fitted on fewer (a run
    trained before a feature was added) reads its own `columns` of them, so that such a run stays
    servable after an upgrade.
    """

    booster: Any  # lightgbm.Booster
    columns: np.ndarray | None = None  # the model's inputs, as FEATURES columns; None: all, in order

    @classmethod
    def from_text(cls, model: str, features: Sequence[str] = FEATURE_NAMES) -> LearnedBlend:
        """The model of LightGBM's text format whose inputs are the named `features`.

        Raises RecoError if a name is not a feature this code computes, or is repeated, or if the
        model reads another number of features."""
        import lightgbm  # here, not at import: it loads pandas and scipy (the DAGs import ranking)

        features = list(features)
        if unknown := [name for name in features if name not in FEATURE_NAMES]:
            raise RecoError(f"features {unknown} are not among those this code computes: {FEATURE_NAMES}")
        if len(set(features)) != len(features):
            raise RecoError(f"features {features} name a feature twice")
        booster = lightgbm.Booster(model_str=model)
        if booster.num_feature() != len(features):
            count = booster.num_feature()
            raise RecoError(f"the model reads {count} features, its metadata names {len(features)}")
        if tuple(features) == FEATURE_NAMES:
            return cls(booster)
        return cls(booster, np.array([FEATURE_NAMES.index(name) for name in features]))

    def score(self, x: np.ndarray) -> np.ndarray:
        """The model's raw scores of the rows of `x` (float64), on the calling thread."""
        if not len(x):
            return np.zeros(0)
        inputs = x if self.columns is None else x[:, self.columns]
        return raw_scores(self.booster, inputs)

    def explain(self, x: np.ndarray, scores: np.ndarray | None = None) -> list[dict[Signal, float]]:
        """Per row of `x`: each signal's part of the score, by ablation.

        A signal's part is how much the score drops when its features are set to 0, the value a
        candidate without that signal has (no co-purchase, no EASE link, ...); Signal.BASE gets
        the rest, so the parts add up to the score. `scores`: the rows' scores when the caller
        has them (the ranking does), so that only ablated rows are predicted, in one batch; a row
        whose signal is already 0 everywhere is left out (its drop is 0: same input, same score).
        Exact tree SHAP values (pred_contrib) took 2.5 ms for the 10 items of a request, measured
        on a demo run, as much as the whole ranking of a 300k-product basket.
        """
        if not len(x):
            return []
        base = self.score(x) if scores is None else np.asarray(scores, dtype=np.float64)
        # one row per (signal, candidate) that has the signal, with the signal's columns zeroed
        signal_of_row, row = np.nonzero(((x != 0) @ _SIGNAL_COLUMNS.T).T)
        batch = x[row]
        batch[_SIGNAL_COLUMNS[signal_of_row]] = 0.0
        drops = np.zeros((len(ABLATED), len(x)))
        drops[signal_of_row, row] = base[row] - self.score(batch)
        out = []
        for total, parts in zip(base.tolist(), drops.T.tolist(), strict=True):
            shares = dict(zip(ABLATED, parts, strict=True))
            shares[Signal.BASE] = total - sum(parts)
            out.append(shares)
        return out
