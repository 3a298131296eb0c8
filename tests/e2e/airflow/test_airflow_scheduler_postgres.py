"""reco_training under a real scheduler: PostgreSQL metadata, LocalExecutor, triggered over REST.

The components are started and stopped by scripts/airflow-local.sh, the code behind `make
airflow` / `make stop` (api-server, scheduler, dag-processor on a free port), on a fresh
PostgreSQL database. The run is triggered through Airflow's REST API (/api/v2, token from
/auth/token) the way a person or another system would, and must succeed. The script's defaults
are checked on the way: the DAG is created paused and the scheduler creates no scheduled run
(use_job_schedule off), so unpausing to trigger starts only the triggered run.

What an operator sees of that run is checked through the real api-server too: the gate's log
opens with its verdict (REST API), the gate links its HTML report (extra link), and the UI's graph
view renders the grouped tasks (headless Chromium; the screenshot's path is printed).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from airflow_harness import FAST, demo_warehouse
from helpers.airflow_support import REPO, airflow_env, free_port
from helpers.browser import chromium_page

from reco_core.artifacts.store import current_run
from reco_core.catalog.layout import CATALOG

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def airflow(tmp_path, pg_url) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    env = airflow_env(
        tmp_path,
        AIRFLOW_API_PORT=str(free_port()),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=pg_url,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=pg_url,
        AIRFLOW_CONN_RECO_WAREHOUSE=demo_warehouse(tmp_path / "warehouse.db", n_orders=6000),
    )

    def script(action: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "scripts/airflow-local.sh", action],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )

    started = script("start")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert "login: admin / " in started.stdout
        assert "no daily schedule" in started.stdout and "make serve is not running" in started.stdout
        password = json.loads(Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).read_text())[
            "admin"
        ]
        base_url = env["AIRFLOW__API__BASE_URL"]
        token = httpx.post(
            f"{base_url}/auth/token", json={"username": "admin", "password": password}, timeout=30
        )
        assert token.status_code in (200, 201), token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=f"{base_url}/api/v2", headers=headers, timeout=30) as client:
            yield client, env
    finally:
        pids = [int(p.read_text()) for p in (Path(env["AIRFLOW_HOME"]) / "pids").glob("*.pid")]
        stopped = script("stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert not [pid for pid in pids if alive(pid)], "make stop left Airflow processes running"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_triggered_run_succeeds_under_the_scheduler(airflow, tmp_path):
    client, env = airflow
    wait_for(lambda: True if client.get("/dags/reco_training").status_code == 200 else None, 120, "the DAG")
    assert client.get("/dags/reco_training").json()["is_paused"] is True
    assert client.patch("/dags/reco_training", json={"is_paused": False}).status_code == 200
    triggered = client.post("/dags/reco_training/dagRuns", json={"logical_date": None, "conf": FAST})
    assert triggered.status_code == 200, triggered.text
    run_id = triggered.json()["dag_run_id"]

    def finished() -> str | None:
        state = client.get(f"/dags/reco_training/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    assert wait_for(finished, 300, f"run {run_id}") == "success"
    tasks = client.get(f"/dags/reco_training/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    states = {t["task_id"]: t["state"] for t in tasks}
    assert states.pop("reload_serving") == states.pop("check_serving") == "skipped"  # no reco_serving
    assert set(states.values()) == {"success"}
    promoted = current_run(env["RECO_ARTIFACT_ROOT"])
    assert promoted is not None and promoted.name.endswith("_airflow")

    runs = client.get("/dags/reco_training/dagRuns").json()["dag_runs"]
    assert [r["run_type"] for r in runs] == ["manual"], "unpausing started a scheduled run too"

    gate_log = client.get(
        f"/dags/reco_training/dagRuns/{run_id}/taskInstances/gate/logs/1",
        headers={"Accept": "application/json"},
    )
    assert gate_log.status_code == 200, gate_log.text
    events = [
        str(line.get("event", "")) if isinstance(line, dict) else str(line)
        for line in gate_log.json()["content"]
    ]
    # The task's own log starts after Airflow's "Pre Execute" group (DAG bundle, parse): the
    # verdict must be its first line, before the table's end and "Done. Returned value".
    own = events[events.index("::endgroup::", events.index("::group::Pre Execute")) + 1 :]
    verdict = next(event for event in own if event.strip())
    assert verdict.startswith("gate verdict: PASS"), "\n".join(events[:30])
    assert "HTML report: " in verdict and "hit@10" in verdict  # the report's path and the table, in one entry

    links = client.get(f"/dags/reco_training/dagRuns/{run_id}/taskInstances/gate/links").json()["extra_links"]
    report = Path(links["HTML report"].removeprefix("file://"))
    assert report == Path(env["RECO_ARTIFACT_ROOT"]) / "evaluations" / f"{promoted.name}.html"
    assert report.is_file()

    screenshot = graph_screenshot(env["AIRFLOW__API__BASE_URL"], client, run_id, tmp_path / "graph.png")
    print(f"graph view of {run_id}: {screenshot}")

    # reco_catalog_refresh under the same scheduler: extraction, checks, verification, promotion
    wait_for(
        lambda: True if client.get("/dags/reco_catalog_refresh").status_code == 200 else None, 120, "DAG"
    )
    assert client.patch("/dags/reco_catalog_refresh", json={"is_paused": False}).status_code == 200
    triggered = client.post("/dags/reco_catalog_refresh/dagRuns", json={"logical_date": None, "conf": {}})
    assert triggered.status_code == 200, triggered.text
    catalog_run = triggered.json()["dag_run_id"]

    def catalog_finished() -> str | None:
        state = client.get(f"/dags/reco_catalog_refresh/dagRuns/{catalog_run}").json()["state"]
        return state if state in ("success", "failed") else None

    assert wait_for(catalog_finished, 300, f"run {catalog_run}") == "success"
    tasks = client.get(f"/dags/reco_catalog_refresh/dagRuns/{catalog_run}/taskInstances").json()
    assert {t["task_id"]: t["state"] for t in tasks["task_instances"]} == dict.fromkeys(
        ("extract", "validate", "verify", "promote", "prune"), "success"
    )
    state = current_run(env["RECO_ARTIFACT_ROOT"], CATALOG)
    assert state is not None and state.name.endswith("_airflow")


def graph_screenshot(base_url: str, client: httpx.Client, run_id: str, path: Path) -> Path:
    """The run's graph view at the UI's default zoom, logged in with the REST client's token (the UI
    reads it from the `_token` cookie); the three groups must be drawn, with no JavaScript error."""
    token = client.headers["Authorization"].removeprefix("Bearer ")
    with chromium_page(width=1400, height=900) as browser:
        page = browser.page
        page.context.add_cookies([{"name": "_token", "value": token, "url": base_url}])
        # The DAG page opens on the grid unless the graph was chosen last (the UI's local storage).
        page.add_init_script("window.localStorage.setItem('default_dag_view', JSON.stringify('graph'))")
        page.goto(f"{base_url}/dags/reco_training/runs/{run_id}")
        graph = page.locator(".react-flow__node")
        graph.first.wait_for(timeout=60_000)
        for group in ("data", "model", "release"):
            page.locator(".react-flow__node", has_text=group).first.wait_for(timeout=30_000)
        page.wait_for_timeout(1000)  # the layout settles (fit to view)
        page.screenshot(path=str(path))
        assert browser.errors == [], browser.errors
    return path
