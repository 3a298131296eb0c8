"""The learned blend's model calls: LightGBM's C function called directly gives Booster.predict's
scores, and the ranking's per-item arrays are laid out as index.py says."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.random_blend import random_blend

from reco_core.ranking.blend_model import FEATURE_NAMES, LearnedBlend, raw_scores
from reco_core.ranking.index import CACHE_LINE, cache_line_rows


@pytest.fixture(scope="module")
def blend() -> LearnedBlend:
    model, meta = random_blend(trees=20, leaves=8, seed=3)
    return LearnedBlend.from_text(model, meta["features"])


@pytest.mark.parametrize("rows", [1, 7, 150])
def test_raw_scores_are_booster_predict_raw_scores(blend, rows):
    x = np.random.default_rng(rows).random((rows, len(FEATURE_NAMES))).astype(np.float32)
    x[::2, 3] = 0.0
    expected = blend.booster.predict(x, raw_score=True, num_threads=1)
    assert raw_scores(blend.booster, x).tolist() == expected.tolist()
    # a non-contiguous input (the column subset of an older run's model) alike
    wide = np.hstack([x, x])[:, : len(FEATURE_NAMES)]
    assert raw_scores(blend.booster, wide).tolist() == expected.tolist()


def test_a_model_of_fewer_features_scores_its_own_columns():
    names = FEATURE_NAMES[:5]
    model, _ = random_blend(trees=5, leaves=4, seed=1, names=names)
    older = LearnedBlend.from_text(model, names)
    x = np.random.default_rng(0).random((4, len(FEATURE_NAMES))).astype(np.float32)
    assert older.score(x).tolist() == older.booster.predict(x[:, :5], raw_score=True).tolist()


def test_item_rows_start_on_a_cache_line_and_fill_whole_lines():
    values = np.arange(5 * 14, dtype=np.float64).reshape(5, 14)
    rows = cache_line_rows(values)
    assert rows.ctypes.data % CACHE_LINE == 0 and rows.strides[0] == CACHE_LINE
    assert rows.dtype == np.float32 and not rows.flags.writeable
    assert rows[:, :14].tolist() == values.tolist() and not rows[:, 14:].any()
    assert cache_line_rows(np.ones((3, 17))).shape == (3, 32)
