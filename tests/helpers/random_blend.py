"""A LightGBM lambdarank model of the learned blend's format, fitted on random features.

Real file format and real tree walks (what verification and latency need), meaningless ranking:
for tiny test runs and the synthetic benchmark runs, which have no orders to learn from.
"""

from __future__ import annotations

import lightgbm
import numpy as np

from reco_core.artifacts import layout as L
from reco_core.ranking.blend_model import FEATURE_NAMES


def random_blend(
    trees: int = 3, leaves: int = 4, seed: int = 0, names: tuple[str, ...] = FEATURE_NAMES
) -> tuple[str, dict]:
    """(model text, blend.json) of a model with `trees` trees of up to `leaves` leaves, reading
    the features `names` (all of them by default; fewer: a run fitted by an older version)."""
    rng = np.random.default_rng(seed)
    groups, per_group = max(20, 4 * leaves), 10
    features = rng.random((groups * per_group, len(names))).astype(np.float32)
    labels = (features[:, 0] + 0.3 * rng.random(len(features)) > 0.8).astype(np.int32)
    data = lightgbm.Dataset(features, label=labels, group=[per_group] * groups, feature_name=list(names))
    params = {"objective": "lambdarank", "min_data_in_leaf": 1, "num_leaves": leaves, "verbosity": -1}
    model = lightgbm.train(params | {"seed": seed}, data, num_boost_round=trees)
    meta = {"format": L.BLEND_FORMAT, "features": list(names), "trees": model.num_trees()}
    return model.model_to_string(), meta
