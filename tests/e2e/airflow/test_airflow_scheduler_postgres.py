"""reco_training under a real scheduler: PostgreSQL metadata, LocalExecutor, triggered over REST.

The components are started and stopped by scripts/airflow-local.sh, the code behind `make
airflow` / `make stop` (api-server, scheduler, dag-processor on a free port), on a fresh
PostgreSQL database. The run is triggered through Airflow's REST API (/api/v2, token from
/auth/token) the way a person or another system would, and must succeed. The scheduler's own
daily schedule is switched off (use_job_schedule): only the triggered run runs.
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

from reco_core.artifacts.store import current_run

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def airflow(tmp_path, pg_url) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    env = airflow_env(
        tmp_path,
        AIRFLOW_API_PORT=str(free_port()),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=pg_url,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=pg_url,
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
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


def test_triggered_run_succeeds_under_the_scheduler(airflow):
    client, env = airflow
    wait_for(lambda: True if client.get("/dags/reco_training").status_code == 200 else None, 120, "the DAG")
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
