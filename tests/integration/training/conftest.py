"""A demo warehouse, extracted and trained once per session: the real pipeline, small size."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reco_core import columns as C
from reco_core.demo.generator import Kit, generate_demo
from reco_core.training.config import TrainConfig
from reco_core.training.pipeline import train
from reco_core.warehouse.extract import extract
from reco_core.warehouse.load import write_tables


@dataclass(frozen=True)
class TrainedDemo:
    data_dir: Path
    root: Path
    run: Path
    kits: list[Kit]
    opened: frozenset[Path]  # every file training opened (audit hook), resolved


_opened: set[Path] | None = None


def _record_open(event: str, args: tuple) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], str | Path):
        _opened.add(Path(args[0]).resolve())


sys.addaudithook(_record_open)  # permanent for the process: it records only while _opened is set


@pytest.fixture(scope="session")
def trained_demo(tmp_path_factory) -> TrainedDemo:
    base = tmp_path_factory.mktemp("demo")
    demo = generate_demo(seed=7, n_products=1000, n_orders=20_000)
    url = f"sqlite:///{base / 'warehouse.db'}"
    write_tables(url, demo.tables())
    data_dir = base / "data"
    extract(url, data_dir, holdout_days=30)
    cfg = TrainConfig(
        ventes=data_dir / C.VENTES_FILE,
        details=data_dir / C.DETAILS_FILE,
        pairs=data_dir / C.PAIRS_FILE,
        artifact_root=base / "artifacts",
        run_tag="demo",
        epochs=60,
        patience=2,
        lr=0.1,
        threads=2,
        blend_samples=3000,
        make_current_symlink=True,
    )
    global _opened
    _opened = set()
    try:
        run = train(cfg)
    finally:
        opened, _opened = frozenset(_opened), None
    return TrainedDemo(data_dir, cfg.artifact_root, run, demo.kits, opened)
