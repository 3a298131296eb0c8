"""Helpers of the Airflow end-to-end tests: DAG runs with `airflow dags test`, their task states,
and a real serving API (uvicorn) over the test's artifact root."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from helpers.airflow_support import BIN, REPO, free_port
from helpers.processes import stop_process_group, wait_for_healthz

from reco_core.demo.generator import generate_demo
from reco_core.warehouse.load import write_tables

# Small and fast: the DAG's behaviour is under test here, not the model.
FAST = {
    "epochs": 5,
    "patience": 2,
    "no_components": 16,
    "threads": 2,
    "eval_samples": 500,
    "gate_tolerance": 0.2,  # 500 samples are noisy; a shuffled candidate loses ~90 %
    "serving_check_seconds": 10,
}


def demo_warehouse(path: Path, n_orders: int) -> str:
    """A demo warehouse (600 products, same catalogue whatever `n_orders`); its SQLAlchemy URL."""
    url = f"sqlite:///{path}"
    write_tables(url, generate_demo(seed=7, n_products=600, n_orders=n_orders).tables())
    return url


@dataclass
class DagRun:
    returncode: int
    states: dict[str, str]
    log: Path

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def dags_test(env: dict[str, str], dag_id: str, conf: dict, log_dir: Path) -> DagRun:
    """`airflow dags test dag_id -c conf`: one DAG run in a fresh process, as `make demo` does."""
    log = log_dir / f"dags-test-{dag_id}-{time.monotonic_ns()}.log"
    with open(log, "wb") as out:
        done = subprocess.run(
            [str(BIN / "airflow"), "dags", "test", dag_id, "-c", json.dumps(conf)],
            env=env,
            cwd=log_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=600,
        )
    return DagRun(done.returncode, latest_states(env, dag_id), log)


def latest_states(env: dict[str, str], dag_id: str) -> dict[str, str | None]:
    """Task id -> state of the latest run of `dag_id`, read from the SQLite metadata database."""
    db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (run_id,) = conn.execute(
            "SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        rows = conn.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
        )
        return dict(rows.fetchall())


@dataclass
class Api:
    url: str
    admin_key: str
    process: subprocess.Popen

    def version(self) -> dict:
        return httpx.get(f"{self.url}/version", timeout=30).json()

    def connection(self, admin_key: str | None = None) -> str:
        """AIRFLOW_CONN_RECO_SERVING for this API (with another key than its own if given)."""
        host_port = self.url.removeprefix("http://")
        return f"http://:{admin_key or self.admin_key}@{host_port}"


@contextlib.contextmanager
def serving_api(artifact_root: Path, admin_key: str, log: Path) -> Iterator[Api]:
    """`python -m serving` on a free port over `artifact_root`, stopped on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECO_"))}
    env |= {"RECO_ARTIFACT_ROOT": str(artifact_root), "ADMIN_KEY": admin_key, "PORT": str(port)}
    cmd = [sys.executable, "-m", "serving", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    api = Api(f"http://127.0.0.1:{port}", admin_key, process)
    try:
        wait_for_healthz(process, api.url, why=lambda: log.read_text(errors="replace")[-3000:])
        yield api
    finally:
        stop_process_group(process)
