"""serving/lean.py: what an API worker imports stays small (its private memory is per worker)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

PROBE = """
import json, sys
import numpy as np
import serving.app  # what a uvicorn worker imports
sys.path.insert(0, "tests")
from helpers.random_blend import random_blend
from reco_core.ranking.blend_model import LearnedBlend

text, _ = random_blend(seed=1)
blend = LearnedBlend.from_text(text)
scores = blend.booster.predict(np.random.default_rng(0).random((7, blend.booster.num_feature())))
print(json.dumps({
    "modules": sorted(m for m in ("pandas", "sklearn", "joblib", "lightgbm") if m in sys.modules),
    "scores": len(scores),
}))
"""


def test_a_worker_imports_lightgbm_without_pandas_nor_scikit_learn_and_the_blend_predicts():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", PROBE]
    out = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"modules": ["lightgbm"], "scores": 7}


def test_an_already_imported_lightgbm_is_left_alone_and_malloc_is_tuned():
    import lightgbm

    from serving import lean

    assert lean.import_lightgbm() is lightgbm
    assert lean.tune_malloc() is (sys.platform == "linux")
