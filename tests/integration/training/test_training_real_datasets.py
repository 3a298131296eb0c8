"""Every real dataset of ../shared/datasets trains once imported, with or without categories/segments."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from helpers.datasets import dataset_params

from reco_core import columns as C
from reco_core.artifacts.loader import load_run
from reco_core.training.config import TrainConfig
from reco_core.training.pipeline import train
from reco_core.warehouse.extract import extract
from reco_core.warehouse.importer import import_baskets


@pytest.mark.slow
@pytest.mark.parametrize("dataset", dataset_params())
def test_real_dataset_imports_extracts_and_trains(dataset, tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    import_baskets(dataset, url)
    dated = "DATE" in pq.read_schema(dataset / "baskets.parquet").names
    extract(url, tmp_path / "data", **({"holdout_days": 14} if dated else {"holdout_frac": 0.1}))
    run_dir = train(
        TrainConfig(
            ventes=tmp_path / "data" / C.VENTES_FILE,
            details=tmp_path / "data" / C.DETAILS_FILE,
            pairs=tmp_path / "data" / C.PAIRS_FILE,
            artifact_root=tmp_path / "artifacts",
            no_components=16,
            epochs=2,
            threads=2,
            val_baskets=500,
            blend_samples=500,  # the learned relevance on real data, small: its cost is benched apart
            ease_items=2000,
        )
    )
    run = load_run(run_dir)
    assert run.n_items > 100
    assert run.pairs[C.ANY_PROFESSION].nnz > 0
    assert len(run.professions) >= 1
