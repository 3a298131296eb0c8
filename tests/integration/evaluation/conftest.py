"""A small demo warehouse, extracted with a holdout, and two runs: a good one and a bad one.

The bad run is trained on the same orders with their products shuffled across orders (basket
sizes and product popularity kept, co-purchases destroyed): what a broken extraction would give,
and what the promotion gate must refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from reco_core import columns as C
from reco_core.contract import VENTES_SCHEMA, read_ventes, write_parquet
from reco_core.demo.generator import generate_demo
from reco_core.training.config import TrainConfig
from reco_core.training.pipeline import train
from reco_core.warehouse.extract import extract
from reco_core.warehouse.load import write_tables


@dataclass(frozen=True)
class EvalDemo:
    data_dir: Path
    root: Path  # artifact root of the good run (promoted: run_current)
    run: Path
    bad_run: Path
    knobs: dict  # generate_demo's arguments


def _train(data_dir: Path, ventes: Path, root: Path, *, pairs: bool) -> Path:
    cfg = TrainConfig(
        ventes=ventes,
        details=data_dir / C.DETAILS_FILE,
        pairs=data_dir / C.PAIRS_FILE if pairs else None,
        artifact_root=root,
        epochs=8,
        patience=2,
        lr=0.1,
        threads=2,
        val_baskets=300,
        blend_samples=2000,
        make_current_symlink=True,
    )
    return train(cfg)


@pytest.fixture(scope="session")
def eval_demo(tmp_path_factory) -> EvalDemo:
    base = tmp_path_factory.mktemp("eval_demo")
    url = f"sqlite:///{base / 'warehouse.db'}"
    knobs = {"seed": 11, "n_products": 400, "n_orders": 6000}
    write_tables(url, generate_demo(**knobs).tables())
    data_dir = base / "data"
    extract(url, data_dir, holdout_days=30)
    run = _train(data_dir, data_dir / C.VENTES_FILE, base / "artifacts", pairs=True)

    ventes = read_ventes(data_dir / C.VENTES_FILE)
    lists = ventes[C.LIST_ID_PRODUITS].to_numpy()
    flat = np.random.default_rng(0).permutation(np.concatenate(lists))
    cuts = np.cumsum([len(x) for x in lists])[:-1]
    ventes[C.LIST_ID_PRODUITS] = [np.unique(part) for part in np.split(flat, cuts)]
    shuffled = base / "shuffled.parquet"
    write_parquet(ventes, shuffled, VENTES_SCHEMA)
    bad_run = _train(data_dir, shuffled, base / "bad_artifacts", pairs=False)
    return EvalDemo(data_dir, base / "artifacts", run, bad_run, knobs)
