"""The learned blend's model calls: LightGBM's C function called directly gives Booster.predict's
scores, and the ranking's per-item arrays are laid out as index.py says."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.random_blend import random_blend

from reco_core.artifacts.columnar import CACHE_LINE, item_stats
from reco_core.ranking.blend_model import FEATURE_NAMES, LearnedBlend, raw_scores


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
    pop_by_prof = np.arange(12 * 5, dtype=np.float32).reshape(12, 5) / 60
    train_pop, own_brand = np.linspace(0, 1, 5, dtype=np.float32), np.array([1, 0, 0, 1, 0], np.int8)
    rows = item_stats(pop_by_prof, train_pop, own_brand)
    assert rows.ctypes.data % CACHE_LINE == 0 and rows.strides[0] == CACHE_LINE
    assert rows.dtype == np.float32 and rows.shape == (5, 16)
    assert rows[:, :12].tolist() == pop_by_prof.T.tolist() and rows[:, 12].tolist() == train_pop.tolist()
    assert rows[:, 13].tolist() == [1, 0, 0, 1, 0] and not rows[:, 14:].any()
    assert item_stats(np.ones((15, 3)), np.ones(3), np.ones(3)).shape == (3, 32)
