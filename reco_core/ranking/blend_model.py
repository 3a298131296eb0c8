"""The fitted model of a run's learned blend (ranking/learned.py), and its feature columns.

Apart from learned.py so that the RankerIndex can hold the model without importing the pool code.
"""

from __future__ import annotations

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
        if not len(x):
            return np.zeros(0)
        inputs = x if self.columns is None else x[:, self.columns]
        return np.asarray(self.booster.predict(inputs, raw_score=True, num_threads=1), dtype=np.float64)

    def explain(self, x: np.ndarray) -> list[dict[Signal, float]]:
        """Per row of `x`: each signal's part of the score, by ablation.

        A signal's part is how much the score drops when its features are set to 0, the value a
        candidate without that signal has (no co-purchase, no EASE link, ...); Signal.BASE gets
        the rest, so the parts add up to the score. One prediction of (signals + 1) x rows rows:
        exact tree SHAP values (pred_contrib) took 2.5 ms for the 10 items of a request, measured
        on a demo run, as much as the whole ranking of a 300k-product basket.
        """
        if not len(x):
            return []
        n = len(x)
        batch = np.repeat(x[None, :, :], len(ABLATED) + 1, axis=0)
        for i, columns in enumerate(ABLATED.values(), 1):
            batch[i][:, columns] = 0.0
        scores = self.score(batch.reshape(-1, x.shape[1])).reshape(len(ABLATED) + 1, n)
        drops = scores[0] - scores[1:]
        out = []
        for row in range(n):
            shares = dict(zip(ABLATED, drops[:, row].tolist(), strict=True))
            shares[Signal.BASE] = float(scores[0, row]) - sum(shares.values())
            out.append(shares)
        return out
