"""The one place of the artifact store that unpickles.

Unpickling runs arbitrary code, so a pickle is only ever loaded from bytes whose checksum was
just checked against the run's manifest (see read_verified_bytes), and `model.pkl` not at all
when DISABLE_MODEL_PICKLE=1. Keeping every `pickle.loads` here makes that rule checkable.
"""

from __future__ import annotations

import gzip
import io
import pickle
from pathlib import Path
from typing import Any

from reco_core.artifacts import layout as L
from reco_core.artifacts.manifest import Manifest, read_verified_bytes
from reco_core.errors import ArtifactError

DISABLE_MODEL_PICKLE_ENV = "DISABLE_MODEL_PICKLE"


def model_pickle_disabled() -> bool:
    """DISABLE_MODEL_PICKLE, read through reco_core.settings."""
    from reco_core.settings import RecoSettings

    return RecoSettings().disable_model_pickle


def load_verified_pickle(run_dir: Path | str, name: str, manifest: Manifest) -> Any:
    """Unpickle one run file (gunzipped when it ends in .gz) from manifest-verified bytes."""
    if name == L.MODEL and model_pickle_disabled():
        raise ArtifactError(f"{name}: not loaded, {DISABLE_MODEL_PICKLE_ENV}=1 forbids unpickling the model")
    data = read_verified_bytes(run_dir, name, manifest)
    if name.endswith(".gz"):  # unpickled as it is inflated: no copy of the whole inflated bytes
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return pickle.load(stream)
    return pickle.loads(data)
