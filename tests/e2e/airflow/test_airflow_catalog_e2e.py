"""reco_catalog_refresh with `airflow dags test`: extraction -> Great Expectations checks ->
verification -> promotion of catalog_current; a state that fails the checks is not promoted (the
previous stays in force, an alert is sent); a warehouse without catalogue tables skips the run
and leaves it green."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from airflow_harness import dags_test, demo_warehouse
from helpers.airflow_support import BIN, Inbox, airflow_env, smtp_server

from reco_core.artifacts.store import current_run, list_runs, read_promotion_log
from reco_core.catalog.layout import CATALOG
from reco_core.catalog.state import verify_catalog

pytestmark = pytest.mark.slow
DAG = "reco_catalog_refresh"
TASKS = {"extract", "validate", "verify", "promote", "prune"}


def test_refresh_promotes_checked_states_and_refuses_a_bad_one(tmp_path: Path) -> None:
    url = demo_warehouse(tmp_path / "warehouse.db", n_orders=3000)
    with smtp_server() as (inbox, smtp_conn):
        env = airflow_env(
            tmp_path,
            AIRFLOW_CONN_RECO_WAREHOUSE=url,
            AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn,
            RECO_ALERT_EMAILS="ops@example.com",
        )
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        root = Path(env["RECO_ARTIFACT_ROOT"])
        root.mkdir(parents=True, exist_ok=True)

        first = dags_test(env, DAG, {"keep_states": 2}, tmp_path)
        assert first.returncode == 0, first.tail()
        assert first.states == dict.fromkeys(TASKS, "success")
        promoted = current_run(root, CATALOG)
        assert promoted is not None and promoted.name.endswith("_airflow") and verify_catalog(promoted).ok
        assert read_promotion_log(root, CATALOG)[-1].actor.startswith("airflow:")

        # a branch that lost its stock rows: the checks stop the state, the previous stays
        broken = tmp_path / "broken.db"
        shutil.copy(tmp_path / "warehouse.db", broken)
        with sqlite3.connect(broken) as conn:
            conn.execute("DELETE FROM stock WHERE id_agence = 1")
        inbox.messages.clear()
        second = dags_test(env | {"AIRFLOW_CONN_RECO_WAREHOUSE": f"sqlite:///{broken}"}, DAG, {}, tmp_path)
        assert second.returncode != 0
        assert second.states["validate"] == "failed" and second.states["promote"] in ("upstream_failed", None)
        assert current_run(root, CATALOG) == promoted
        assert len(list_runs(root, CATALOG)) == 2  # written, checked, never promoted
        assert second.states["prune"] in ("upstream_failed", None)
        (message,) = inbox.messages
        assert str(message["Subject"]).startswith(f"[reco-materiaux] {DAG}.validate failed: ")
        body = Inbox.body(message)
        assert "catalog_branches" in body and "NB_DISPONIBLES" in body

        # no catalogue tables: skipped, green, nothing promoted
        bare = tmp_path / "bare.db"
        shutil.copy(tmp_path / "warehouse.db", bare)
        with sqlite3.connect(bare) as conn:
            conn.execute("DROP TABLE stock")
        third = dags_test(env | {"AIRFLOW_CONN_RECO_WAREHOUSE": f"sqlite:///{bare}"}, DAG, {}, tmp_path)
        assert third.returncode == 0, third.tail()
        assert third.states == dict.fromkeys(TASKS, "skipped")
        assert current_run(root, CATALOG) == promoted
        assert "stock.sql: the warehouse has no such table" in third.log.read_text(errors="replace")

        # two more good runs with keep_states=2: the rejected state and the oldest are pruned
        for _ in range(2):
            again = dags_test(env, DAG, {"keep_states": 2}, tmp_path)
            assert again.returncode == 0 and again.states == dict.fromkeys(TASKS, "success"), again.tail()
        kept = list_runs(root, CATALOG)
        assert len(kept) == 2 and current_run(root, CATALOG) == kept[-1] and promoted not in kept
