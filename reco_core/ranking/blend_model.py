"""The fitted model of a run's learned blend (ranking/learned.py), and its feature columns.

Apart from learned.py so that the RankerIndex can hold the model without importing the pool code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reco_core.errors import RecoError
from reco_core.ranking import kernels
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


def forest(model: str, columns: np.ndarray) -> kernels.Forest:
    """The trees of a LightGBM text model as the compiled evaluator's arrays; `columns`: the FEATURES
    column of each of the model's inputs.

    Raises RecoError for what the evaluator does not do: categorical splits, linear trees,
    several trees per iteration (multiclass), averaged outputs (random forests), splits that send
    a missing value a default way (LightGBM's missing types Zero and NaN: fitted on data with NaN
    or with zero_as_missing). The blend's training makes none of these."""
    head, _, rest = model.partition("\nTree=")
    header = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
    if header.get("num_tree_per_iteration", "1") != "1" or "average_output" in head.splitlines():
        raise RecoError("the blend model is not a single-output boosted model")
    feature, threshold, left, right, leaf_value, root = ([] for _ in range(6))
    nodes = leaves = 0
    for block in rest.partition("end of trees")[0].split("\nTree=") if rest else []:
        fields = dict(line.split("=", 1) for line in block.splitlines()[1:] if "=" in line)
        if fields.get("num_cat", "0") != "0" or fields.get("is_linear", "0") != "0":
            raise RecoError("the blend model has categorical splits or linear trees")
        values = np.array(fields["leaf_value"].split(), dtype=np.float64)
        if len(values) == 1:
            root.append(~leaves)
        else:
            if (np.array(fields["decision_type"].split(), dtype=np.int64) & ~_DEFAULT_LEFT).any():
                raise RecoError("the blend model sends missing values a default way at some splits")
            feature.append(columns[np.array(fields["split_feature"].split(), dtype=np.int64)])
            threshold.append(np.array(fields["threshold"].split(), dtype=np.float64))
            for side, name in ((left, "left_child"), (right, "right_child")):
                child = np.array(fields[name].split(), dtype=np.int64)
                side.append(np.where(child >= 0, child + nodes, ~(~child + leaves)))
            root.append(nodes)
            nodes += len(values) - 1
        leaf_value.append(values)
        leaves += len(values)
    return kernels.Forest(
        _concat(feature, np.int32),
        _concat(threshold, np.float64),
        _concat(left, np.int32),
        _concat(right, np.int32),
        _concat(leaf_value, np.float64),
        np.array(root, dtype=np.int32),
    )


_DEFAULT_LEFT = 2  # LightGBM's decision_type bit kDefaultLeftMask; the others: categorical, missing type


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype) if arrays else np.empty(0, dtype)


# bool [signals, features]: the columns ABLATED zeroes for each signal, in its order
_SIGNAL_COLUMNS = np.zeros((len(ABLATED), len(FEATURES)), dtype=bool)
for _row, _columns in enumerate(ABLATED.values()):
    _SIGNAL_COLUMNS[_row, _columns] = True


@dataclass(frozen=True, eq=False)
class LearnedBlend:
    """A fitted lambdarank model; `score` ranks a pool, `explain` breaks scores down by signal.

    `score` and `explain` take rows of every FEATURES column; a model fitted on fewer (a run
    trained before a feature was added) reads its own columns of them, so that such a run stays
    servable after an upgrade. The scores are the compiled evaluator's (`trees`), equal to the
    booster's raw scores (tests/unit/ranking/test_ranking_blend_model.py); the booster is what
    training fitted, kept to write and to check the model.
    """

    booster: Any  # lightgbm.Booster
    trees: kernels.Forest

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
        columns = np.array([FEATURE_NAMES.index(name) for name in features], dtype=np.int64)
        return cls(booster, forest(model, columns))

    def score(self, x: np.ndarray) -> np.ndarray:
        """The model's raw scores of the rows of `x` (float64), on the calling thread."""
        return self.trees.predict(np.ascontiguousarray(x, dtype=np.float32))

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
