"""Secrets and exposure of the API: no secret in its logs nor in any answer, and the make targets
serve on the loopback interface unless told otherwise.

The API is started with every secret of a deployment in its environment (ADMIN_KEY, a warehouse
URL and an SMTP connection with passwords, as .env.example lists them): the API only needs the
first, and none may come out, whatever it is asked, including failed reloads and errors.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import psutil
from helpers.airflow_support import airflow_env
from helpers.processes import stop_process_group, wait_for_healthz
from helpers.tiny_run import product_id
from serving_server import (
    ADMIN_KEY,
    REPO,
    RUN_B,
    SERVICE_VARS,
    add_run,
    admin,
    free_port,
    make_root,
    running_server,
)

from reco_core.artifacts import layout as L

WAREHOUSE_PASSWORD = "Wh-pa55-5ecret"
SMTP_PASSWORD = "Smtp-pa55-5ecret"
SECRETS = {
    "ADMIN_KEY": ADMIN_KEY,
    "RECO_WAREHOUSE_URL": f"postgresql+psycopg://etl:{WAREHOUSE_PASSWORD}@dwh01:5432/dwh",
    "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps(
        {"conn_type": "smtp", "host": "smtp.example.com", "login": "airflow", "password": SMTP_PASSWORD}
    ),
    "AIRFLOW__SMTP__SMTP_PASSWORD": SMTP_PASSWORD,
}
NEEDLES = (ADMIN_KEY, WAREHOUSE_PASSWORD, SMTP_PASSWORD)


def exercise(client: httpx.Client, root) -> list[httpx.Response]:
    """Every endpoint, with good and bad input, successful and failed reloads."""
    tampered = add_run(root, root / RUN_B, "run_20240109_000000")
    (tampered / L.VERSIONS).write_text("{}")
    basket = {"product_ids": [product_id(0)], "k": 3}
    return [
        client.get("/healthz"),
        client.get("/version"),
        client.get("/openapi.json"),
        client.get("/docs"),
        client.post("/recommend_panier", json=basket),
        client.post("/recommend_panier", json={"product_ids": ["x"]}),
        client.post("/products/enrich", json={"product_ids": [product_id(1)]}),
        client.post("/reload", json={"artifact_dir": RUN_B}),
        client.post("/reload", json={"artifact_dir": RUN_B}, headers=admin("wrong")),
        client.post("/reload", json={"artifact_dir": RUN_B}, headers=admin()),
        client.post("/reload", json={"artifact_dir": tampered.name}, headers=admin()),
        client.post("/reload", json={"artifact_dir": "/etc"}, headers=admin()),
        client.post("/reload", json={"profile": "nope"}, headers=admin()),
        client.get("/version"),
        client.get("/metrics"),
        client.get("/nope"),
    ]


def test_no_secret_in_the_logs_nor_in_any_answer(tmp_path, templates):
    root = make_root(tmp_path, templates)
    with running_server(tmp_path, ARTIFACT_DIR=str(root), **SECRETS) as server, server.client() as client:
        responses = exercise(client, root)
        assert [r.status_code for r in responses][:10] == [200, 200, 200, 200, 200, 422, 200, 401, 403, 200]
        assert responses[-3].json()["last_reload"]["ok"] is False  # the failures were really tried
    log = server.log.read_text(errors="replace")
    assert "reload failed" in log and "serving run" in log  # the log did record the reloads
    for needle in NEEDLES:
        assert needle not in log
        for response in responses:
            assert needle not in response.text and needle not in str(response.headers), response.url


def serve_command(port: int, var: Path) -> str:
    """The command line `make serve-fg` runs (make -n prints it without running anything); it
    writes its pid file under `var`."""
    dry = subprocess.run(
        ["make", "-n", "serve-fg", f"PORT={port}", f"VAR={var}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    [line] = [line for line in dry.stdout.splitlines() if "-m serving " in line]
    return line


def test_make_serve_listens_on_the_loopback_interface_only(tmp_path, templates):
    port = free_port()
    command = serve_command(port, tmp_path)
    assert "--host 127.0.0.1" in command, command
    environ = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    environ["ARTIFACT_DIR"] = str(make_root(tmp_path, templates))
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=REPO,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_healthz(process, f"http://127.0.0.1:{port}", statuses=(200,), why=lambda: command)
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        listening = {
            c.laddr.ip
            for p in tree
            for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        }
        assert listening == {"127.0.0.1"}
    finally:
        stop_process_group(process, timeout=30)


def test_local_airflow_listens_on_the_loopback_interface_by_default(tmp_path):
    """scripts/airflow-env.sh (sourced by make airflow/demo): API server on 127.0.0.1; the scheduler
    runs without its log server (which would listen on 0.0.0.0:8793)."""
    env = airflow_env(tmp_path)
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__API__BASE_URL"].startswith("http://127.0.0.1:")
    assert (
        'scheduler) echo "scheduler --skip-serve-logs"' in (REPO / "scripts" / "airflow-local.sh").read_text()
    )
