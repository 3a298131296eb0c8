"""The demo path a user runs first: `reco demo-warehouse` then `reco data` (like `make demo`)."""

from __future__ import annotations

import json

from reco_core import columns as C
from reco_core.contract import read_details, read_pairs, read_ventes
from reco_core.demo.generator import read_kits, read_twins


def test_demo_warehouse_then_data(tmp_path, reco):
    url = f"sqlite:///{tmp_path / 'var' / 'warehouse.db'}"
    kits = tmp_path / "var" / "demo_kits.json"
    made = reco(
        "-q",
        "demo-warehouse",
        "--warehouse-url",
        url,
        "--n-products",
        400,
        "--n-orders",
        2000,
        "--kits-out",
        kits,
    )
    assert made.returncode == 0, made.stderr
    assert "2,000 orders" in made.stdout and len(read_kits(kits)) > 0
    twins = read_twins(kits.with_name("demo_twins.json"))  # the planted own-brand twins, beside the kits
    assert len(twins) > 0 and "own-brand twins ->" in made.stdout

    data = tmp_path / "var" / "data"
    result = reco("data", "--warehouse-url", url, "--dir_data", data, "--holdout-days", "30")
    assert result.returncode == 0, result.stderr
    assert "ventes chunk" in result.stderr  # progress is logged
    summary = json.loads((data / C.EXTRACTION_SUMMARY_FILE).read_text())
    assert summary["counts"]["training_orders"] + summary["counts"]["holdout_orders"] == 2000
    assert f"{summary['counts']['training_orders']:,} training orders" in result.stdout
    # The readers training will use accept what the extraction wrote.
    assert (
        read_ventes(data / C.VENTES_FILE)[C.NB_OCCURENCES_COMMANDE].sum()
        == summary["counts"]["training_orders"]
    )
    assert len(read_ventes(data / C.HOLDOUT_FILE)) == summary["files"][C.HOLDOUT_FILE]["rows"]
    assert len(read_details(data / C.DETAILS_FILE)) == 400
    assert len(read_pairs(data / C.PAIRS_FILE)) == summary["files"][C.PAIRS_FILE]["rows"]
