"""Where the real public basket datasets are (../shared/datasets beside the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATASETS = Path(os.environ.get("RECO_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))


def dataset_dirs() -> list[Path]:
    if not SHARED_DATASETS.is_dir():
        return []
    return sorted(p for p in SHARED_DATASETS.iterdir() if (p / "baskets.parquet").is_file())


def dataset_params() -> list:
    """pytest params, one per dataset; a single skipped param when the folder is absent."""
    dirs = dataset_dirs()
    if not dirs:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no datasets under {SHARED_DATASETS}"))]
    return [pytest.param(d, id=d.name) for d in dirs]
