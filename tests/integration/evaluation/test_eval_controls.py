"""`reco eval` reports what the controls cost: the share of the model's top-k the branch cannot
sell, and Hit@10 with and without the controls, on the same samples. A catalogue state where
every branch sells everything costs exactly nothing; the demo's costs something."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers.demo_catalog import DemoWithCatalog, build_demo_with_catalog, catalog_frames

from reco_core import columns as C
from reco_core.artifacts import store
from reco_core.catalog import state as S
from reco_core.catalog.layout import CATALOG


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoWithCatalog:
    return build_demo_with_catalog(tmp_path_factory.mktemp("demo"))


def reco_eval(demo: DemoWithCatalog, out: Path, *extra: object) -> dict:
    ventes = demo.root.parent / C.VENTES_FILE
    args = ["eval", "--ventes", ventes, "--artifact-dir", demo.root, "--n-samples", 1500, "--no-baselines"]
    args += ["--allow-train-orders", "--max-basket-m", 3, "--out", out, *extra]
    done = subprocess.run(
        [sys.executable, "-m", "reco_core.cli", "-q", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def test_the_demo_controls_cost_something_and_are_reported(demo: DemoWithCatalog, tmp_path: Path) -> None:
    cost = reco_eval(demo, tmp_path / "report.json")["controls"]
    assert cost["catalog_id"] == demo.catalog_dir.name and cost["samples"] == 1500
    assert cost["branch_draw"] == "by share of customers" and cost["branches"] == 20
    assert 0 < cost["removed_delisted"] <= cost["removed_by_availability"] < 1
    assert 0 < cost["hit@10_with_controls"] <= 1 and 0 < cost["hit@10_without_controls"] <= 1
    assert cost["hit@10_difference"] == pytest.approx(
        cost["hit@10_with_controls"] - cost["hit@10_without_controls"]
    )
    assert cost["answers_short_of_k"] == 0
    text = subprocess.run(
        [
            sys.executable,
            "-m",
            "reco_core.cli",
            "-q",
            "eval",
            "--ventes",
            str(demo.root.parent / C.VENTES_FILE),
            "--artifact-dir",
            str(demo.root),
            "--n-samples",
            "300",
            "--no-baselines",
            "--allow-train-orders",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    assert "what the controls cost" in text and "hit@10 with controls" in text
    assert "controls" not in reco_eval(demo, tmp_path / "none.json", "--no-controls")


def test_a_catalogue_where_everything_sells_everywhere_costs_nothing(
    demo: DemoWithCatalog, tmp_path: Path
) -> None:
    status, branches, _ = catalog_frames(demo.warehouse)
    status = status.assign(dereference=0)
    stock = pd.DataFrame(
        [(b, p, 1, 0) for b in branches["id_agence"] for p in status["id_produit"]],
        columns=["id_agence", "id_produit", "qte_stock", "commandable"],
    )
    everything = S.write_catalog(tmp_path, *S.build_arrays(status, branches, stock))
    cost = reco_eval(demo, tmp_path / "report.json", "--catalog", everything)["controls"]
    assert cost["catalog_id"] == everything.name
    assert cost["removed_by_availability"] == 0 and cost["removed_delisted"] == 0
    assert cost["hit@10_with_controls"] == cost["hit@10_without_controls"]
    assert store.current_run(demo.root, CATALOG) == demo.catalog_dir.resolve()  # untouched
