"""reco_training end to end with `airflow dags test`, a real serving API and a local SMTP server.

One Airflow home, artifact root and data dir for the module, like a deployment living through
successive days: a first run is promoted and served; then a bad candidate (shuffled training
baskets) is stopped by the gate; an extraction with half the orders is stopped by the data
checks; an API that refuses the reload gets the promotion rolled back; the manual DAGs roll back
to a named run and clean up. Each failing case must leave production unchanged and e-mail an
alert naming the DAG, the task and the reason.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from airflow_harness import FAST, Api, DagRun, dags_test, demo_warehouse, serving_api
from helpers.airflow_support import BIN, Inbox, airflow_env, smtp_server

from reco_core.artifacts.store import current_run, list_runs, previous_run, read_promotion_log
from reco_core.artifacts.verify import verify_run

pytestmark = pytest.mark.slow

ADMIN_KEY = "airflow-e2e-admin-key"


@dataclass
class Stack:
    base: Path
    env: dict[str, str]
    inbox: Inbox
    api: Api
    half_warehouse: str

    @property
    def root(self) -> Path:
        return Path(self.env["RECO_ARTIFACT_ROOT"])

    @property
    def data_dir(self) -> Path:
        return Path(self.env["RECO_DATA_DIR"])

    def run(self, dag_id: str = "reco_training", conf: dict | None = None, **env: str) -> DagRun:
        self.inbox.messages.clear()
        return dags_test(self.env | env, dag_id, FAST | (conf or {}), self.base)

    def current(self) -> str | None:
        run = current_run(self.root)
        return run.name if run else None

    def runs(self) -> set[str]:
        return {p.name for p in list_runs(self.root)}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("airflow_e2e")
    full = demo_warehouse(base / "warehouse.db", n_orders=6000)
    half = demo_warehouse(base / "warehouse_half.db", n_orders=3000)
    (base / "artifacts").mkdir()
    with (
        smtp_server() as (inbox, smtp_conn),
        serving_api(base / "artifacts", ADMIN_KEY, base / "api.log") as api,
    ):
        env = airflow_env(
            base,
            AIRFLOW_CONN_RECO_WAREHOUSE=full,
            AIRFLOW_CONN_RECO_SERVING=api.connection(),
            AIRFLOW_CONN_SMTP_DEFAULT=smtp_conn,
            RECO_ALERT_EMAILS="ops@example.com",
        )
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True
        )
        assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
        yield Stack(base, env, inbox, api, half)


@pytest.fixture(scope="module")
def first_run(stack) -> str:
    """The first DAG run: no run_current yet, so the gate applies the absolute Hit@10 floor."""
    result = stack.run()
    assert result.returncode == 0, result.tail()
    assert set(result.states.values()) == {"success"}, result.states
    return stack.current()


def alert(stack: Stack, task_id: str) -> tuple[str, str]:
    (message,) = stack.inbox.messages
    assert message["X-Envelope-To"] == "ops@example.com"
    assert str(message["Subject"]).startswith(f"[reco-materiaux] reco_training.{task_id} failed: ")
    return str(message["Subject"]), Inbox.body(message)


def test_first_run_is_trained_promoted_and_served(stack, first_run):
    assert first_run is not None and first_run.endswith("_airflow")
    assert verify_run(stack.root / first_run).ok  # the evaluation did not touch the sealed run
    assert stack.api.version()["run"]["run_id"] == first_run
    decision = json.loads((stack.root / "evaluations" / f"{first_run}.json").read_text())
    assert decision["kind"] == "first_run" and decision["passed"]
    (entry,) = read_promotion_log(stack.root)
    assert entry.to_run == first_run and entry.actor.startswith("airflow:manual__")
    validated = json.loads((stack.data_dir / "last_validated_extraction.json").read_text())
    assert Path(validated["data_dir"]).parent == stack.data_dir / "dag_runs"
    assert stack.inbox.messages == []


def test_bad_candidate_is_stopped_by_the_gate(stack, first_run):
    production, runs = stack.current(), stack.runs()
    result = stack.run(conf={"shuffle_training_baskets": True})
    assert result.returncode != 0
    assert result.states["gate"] == "failed", result.states
    assert result.states["promote"] == "upstream_failed"
    assert stack.current() == production and stack.api.version()["run"]["run_id"] == production
    (candidate,) = stack.runs() - runs  # trained and kept for inspection, never promoted
    subject, body = alert(stack, "gate")
    assert f"candidate {candidate} rejected by the gate" in subject
    assert "hit@10" in body and "FAIL" in body and production in body
    report = stack.root / "evaluations" / f"{candidate}.html"  # beside the decision, outside the run
    assert f'<p>Report: <a href="{report.as_uri()}">{report}</a></p>' in body
    assert 'data-verdict="fail"' in report.read_text()


def test_half_the_orders_fails_the_data_checks(stack, first_run):
    production, runs = stack.current(), stack.runs()
    state_file = stack.data_dir / "last_validated_extraction.json"
    reference = state_file.read_text()
    result = stack.run(AIRFLOW_CONN_RECO_WAREHOUSE=stack.half_warehouse)
    assert result.returncode != 0
    assert result.states["validate"] == "failed" and result.states["train"] == "upstream_failed"
    assert stack.runs() == runs and stack.current() == production  # nothing trained
    assert state_file.read_text() == reference  # a failed extraction never becomes the reference
    subject, body = alert(stack, "validate")
    assert "data checks FAILED" in subject
    assert "ventes" in body and "expect_table_row_count_to_be_between" in body
    assert "previous validated extraction" in body


def test_unhealthy_serving_gets_the_promotion_rolled_back(stack, first_run, tmp_path):
    production, runs = stack.current(), stack.runs()
    with serving_api(stack.root, "another-key", tmp_path / "api.log") as other:
        result = stack.run(AIRFLOW_CONN_RECO_SERVING=other.connection(admin_key=ADMIN_KEY))
    assert result.returncode != 0
    assert result.states["promote"] == "success" and result.states["reload_serving"] == "failed"
    (candidate,) = stack.runs() - runs
    assert stack.current() == production
    promoted, rolled_back = read_promotion_log(stack.root)[-2:]
    assert (promoted.action, promoted.to_run) == ("promote", candidate)
    assert (rolled_back.action, rolled_back.from_run, rolled_back.to_run) == (
        "rollback",
        candidate,
        production,
    )
    subject, body = alert(stack, "reload_serving")
    assert f"serving is not healthy on {candidate}" in subject and "HTTP 403" in body
    # the reload of the previous run meets the same wrong key: the alert says so
    assert f"rolled back run_current to {production}; reloading serving on it failed too" in body


def test_manual_rollback_and_cleanup(stack, first_run):
    production = stack.current()
    target = max(stack.runs() - {production})  # the newest other run (in this module: the rolled-back one)
    result = stack.run("reco_rollback", {"target_run": target})
    assert result.returncode == 0 and set(result.states.values()) == {"success"}, result.tail()
    assert stack.current() == target and stack.api.version()["run"]["run_id"] == target

    protected = {target} | ({previous.name} if (previous := previous_run(stack.root)) else set())
    result = stack.run("reco_cleanup", {"keep": 0, "keep_data_dirs": 1})
    assert result.returncode == 0, result.tail()
    assert stack.runs() == protected  # keep=0: only what is never deleted
    assert {p.stem for p in (stack.root / "evaluations").glob("*.json")} <= protected
    validated = json.loads((stack.data_dir / "last_validated_extraction.json").read_text())
    kept = {p.name for p in (stack.data_dir / "dag_runs").iterdir()}
    assert Path(validated["data_dir"]).name in kept and len(kept) <= 2
