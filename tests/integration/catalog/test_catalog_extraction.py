"""`reco catalog extract` on real databases: the state says exactly what the warehouse's stock
and status tables say, on SQLite, PostgreSQL and MariaDB alike; a warehouse without these tables
is told apart (exit 6, one line naming the query), and leaves the promoted state in force."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from reco_core.artifacts import store
from reco_core.catalog.layout import CATALOG
from reco_core.catalog.state import load_catalog
from reco_core.demo.generator import generate_demo
from reco_core.warehouse.load import write_tables


def reco(*args: object) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "reco_core.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=5, n_products=500, n_orders=1500, n_branches=6)


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wh.db'}"
    return request.getfixturevalue("pg_url" if request.param == "postgres" else "mariadb_url")


def test_extracted_state_matches_the_tables_on_every_database(url: str, demo, tmp_path: Path) -> None:
    write_tables(url, demo.tables())
    root = tmp_path / "artifacts"
    done = reco("catalog", "extract", "--warehouse-url", url, "--artifact-root", root, "--promote")
    assert done.returncode == 0, done.stderr
    assert "6 branches" in done.stdout and "promoted catalog_" in done.stdout
    state = load_catalog(store.current_run(root, CATALOG))
    stock = demo.stock
    avail = stock[(stock.qte_stock > 0) | (stock.commandable == 1)]
    every = np.arange(state.n_products)
    for row, branch in enumerate(state.branch_ids.tolist()):
        got = state.product_ids[state.available(row, every)]
        assert sorted(got.tolist()) == sorted(avail.loc[avail.id_agence == branch, "id_produit"].tolist())
    assert int(state.delisted.sum()) == int(demo.product_status.dereference.sum())
    customers = demo.customers.groupby("id_agence").size()
    assert {b.branch_id: b.customers for b in state.branches} == customers.to_dict()
    verify = reco("catalog", "verify", "--artifact-root", root)
    assert verify.returncode == 0 and verify.stdout.startswith("ok: catalog_")


def test_a_warehouse_without_catalogue_tables_is_told_apart(demo, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    write_tables(url, demo.tables())
    root = tmp_path / "artifacts"
    assert (
        reco("catalog", "extract", "--warehouse-url", url, "--artifact-root", root, "--promote").returncode
        == 0
    )
    promoted = store.current_run(root, CATALOG)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE stock")
    engine.dispose()
    done = reco("catalog", "extract", "--warehouse-url", url, "--artifact-root", root, "--promote")
    assert done.returncode == 6, done.stderr
    assert "stock.sql: the warehouse has no such table" in done.stderr
    assert "nothing is filtered by availability" in done.stderr
    assert store.current_run(root, CATALOG) == promoted
    assert len(store.list_runs(root, CATALOG)) == 1  # nothing half-written
