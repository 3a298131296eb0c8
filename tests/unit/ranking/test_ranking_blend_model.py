"""The learned blend's model: the compiled tree walk gives Booster.predict's raw scores, bit for
bit, and refuses the models it does not walk; the ranking's per-item arrays are laid out as
index.py says."""

from __future__ import annotations

import lightgbm
import numpy as np
import pytest
from helpers.random_blend import random_blend

from reco_core.artifacts.columnar import CACHE_LINE, item_stats
from reco_core.errors import RecoError
from reco_core.ranking.blend_model import FEATURE_NAMES, LearnedBlend


@pytest.fixture(scope="module")
def blend() -> LearnedBlend:
    model, meta = random_blend(trees=20, leaves=8, seed=3)
    return LearnedBlend.from_text(model, meta["features"])


def _at_thresholds(blend: LearnedBlend, rows: int) -> np.ndarray:
    """Rows whose features sit on the model's thresholds and the floats beside them, zeros, and NaN:
    where a walk that compared in float32, or read NaN otherwise, would go the other way."""
    dump = blend.booster.dump_model()["tree_info"]
    stack = [tree["tree_structure"] for tree in dump]
    cuts: dict[int, list[float]] = {}
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            cuts.setdefault(node["split_feature"], []).append(node["threshold"])
            stack += [node["left_child"], node["right_child"]]
    rng = np.random.default_rng(rows)
    x = rng.random((rows, len(FEATURE_NAMES))).astype(np.float32)
    for column, values in cuts.items():
        near = np.float32(values)
        near = np.concatenate([near, np.nextafter(near, np.float32(-1)), np.nextafter(near, np.float32(2))])
        x[:, column] = rng.choice(near, size=rows)
    x[::3, 2] = 0.0
    x[1::5, 4] = np.nan
    return x


@pytest.mark.parametrize("rows", [1, 7, 150, 2000])
def test_scores_are_booster_predict_raw_scores_bit_for_bit(blend, rows):
    x = _at_thresholds(blend, rows)
    expected = blend.booster.predict(x, raw_score=True, num_threads=1)
    assert blend.score(x).tolist() == expected.tolist()
    # a non-contiguous input alike
    wide = np.hstack([x, x])[:, : len(FEATURE_NAMES)]
    assert blend.score(wide).tolist() == expected.tolist()
    assert blend.score(x[:0]).tolist() == []


def test_a_model_of_fewer_features_scores_its_own_columns():
    names = FEATURE_NAMES[:5]
    model, _ = random_blend(trees=5, leaves=4, seed=1, names=names)
    older = LearnedBlend.from_text(model, names)
    x = np.random.default_rng(0).random((4, len(FEATURE_NAMES))).astype(np.float32)
    assert older.score(x).tolist() == older.booster.predict(x[:, :5], raw_score=True).tolist()
    # its columns in another order than FEATURES'
    shuffled = (FEATURE_NAMES[3], FEATURE_NAMES[0], FEATURE_NAMES[7])
    model, _ = random_blend(trees=5, leaves=4, seed=2, names=shuffled)
    other = LearnedBlend.from_text(model, shuffled)
    assert other.score(x).tolist() == other.booster.predict(x[:, [3, 0, 7]], raw_score=True).tolist()


def test_a_tree_of_one_leaf_adds_its_value():
    rng = np.random.default_rng(0)
    x = rng.random((40, len(FEATURE_NAMES))).astype(np.float32)
    data = lightgbm.Dataset(x, label=np.zeros(40), feature_name=list(FEATURE_NAMES))  # nothing to split
    booster = lightgbm.train({"objective": "regression", "verbosity": -1}, data, num_boost_round=2)
    blend = LearnedBlend.from_text(booster.model_to_string())
    assert blend.score(x).tolist() == booster.predict(x, raw_score=True).tolist()


def _fitted(x: np.ndarray, **params) -> str:
    label = (np.nan_to_num(x[:, 0]) > np.nanmedian(x[:, 0])).astype(float)
    data = lightgbm.Dataset(x, label=label, feature_name=list(FEATURE_NAMES), **params.pop("dataset", {}))
    base = {"objective": "regression", "verbosity": -1, "min_data_in_leaf": 1}
    return lightgbm.train(base | params, data, num_boost_round=3).model_to_string()


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("nan", "sends missing values a default way"),
        ("zero_as_missing", "sends missing values a default way"),
        ("categorical", "categorical splits"),
        ("multiclass", "not a single-output boosted model"),
    ],
)
def test_a_model_the_walk_does_not_evaluate_is_refused_by_name(how, message):
    x = np.random.default_rng(1).random((200, len(FEATURE_NAMES))).astype(np.float32)
    if how == "nan":
        x[::4, 0] = np.nan
        model = _fitted(x)
    elif how == "zero_as_missing":
        x[::4, 0] = 0.0
        model = _fitted(x, zero_as_missing=True)
    elif how == "categorical":
        x[:, 0] = np.floor(x[:, 0] * 4)
        model = _fitted(x, dataset={"categorical_feature": [0]}, min_data_per_group=1, cat_smooth=0)
    else:
        label = np.floor(x[:, 0] * 3)
        data = lightgbm.Dataset(x, label=label, feature_name=list(FEATURE_NAMES))
        params = {"objective": "multiclass", "num_class": 3, "verbosity": -1}
        model = lightgbm.train(params, data, num_boost_round=2).model_to_string()
    with pytest.raises(RecoError, match=message):
        LearnedBlend.from_text(model)


def test_item_rows_start_on_a_cache_line_and_fill_whole_lines():
    pop_by_prof = np.arange(12 * 5, dtype=np.float32).reshape(12, 5) / 60
    train_pop, own_brand = np.linspace(0, 1, 5, dtype=np.float32), np.array([1, 0, 0, 1, 0], np.int8)
    rows = item_stats(pop_by_prof, train_pop, own_brand)
    assert rows.ctypes.data % CACHE_LINE == 0 and rows.strides[0] == CACHE_LINE
    assert rows.dtype == np.float32 and rows.shape == (5, 16)
    assert rows[:, :12].tolist() == pop_by_prof.T.tolist() and rows[:, 12].tolist() == train_pop.tolist()
    assert rows[:, 13].tolist() == [1, 0, 0, 1, 0] and not rows[:, 14:].any()
    assert item_stats(np.ones((15, 3)), np.ones(3), np.ones(3)).shape == (3, 32)
