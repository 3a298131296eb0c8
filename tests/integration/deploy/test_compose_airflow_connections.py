"""The environment compose gives the Airflow services, read by reco_airflow's own code (the same
calls the tasks make) in a real Airflow process: the JSON connections parse, the warehouse URL,
the API's address and admin key, the paths and the alert settings come out as compose meant."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.deploy import (
    REPO,
    TEST_SECRETS,
    compose_config,
    dockerfile_instructions,
    env_example_keys,
    final_stage_env,
)

from reco_airflow.config import DEFAULT_ALERT_EMAILS

PROBE = """
import json
from airflow.providers.http.hooks.http import HttpHook
from reco_airflow import config

endpoint = config.serving_endpoint()
hook = HttpHook(method="GET", http_conn_id=endpoint.conn_id)
hook.get_conn()
print(json.dumps({
    "warehouse": config.warehouse_url(),
    "serving_url": hook.base_url,
    "admin_key": endpoint.admin_key,
    "smtp": config.smtp_configured(),
    "recipients": config.alert_recipients(),
    "artifact_root": str(config.artifact_root()),
    "data_dir": str(config.data_dir()),
}))
"""


def test_airflow_reads_the_compose_environment_as_meant(tmp_path: Path) -> None:
    compose_env = compose_config()["services"]["airflow-scheduler"]["environment"]
    image_env = final_stage_env(dockerfile_instructions(REPO / "Dockerfile.airflow"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RECO_"))},
        **image_env,
        **compose_env,
        # A scratch Airflow: no `postgres` host here; nothing below needs the metadata database
        # beyond Variable lookups that find nothing.
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
    }
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["warehouse"] == env_example_keys()["RECO_WAREHOUSE_URL"]
    assert seen["serving_url"] == "http://api:8080"
    assert seen["admin_key"] == TEST_SECRETS["ADMIN_KEY"]
    assert seen["smtp"] is False  # AIRFLOW_CONN_SMTP_DEFAULT empty in .env.example: alerts only logged
    assert seen["recipients"] == [DEFAULT_ALERT_EMAILS]  # RECO_ALERT_EMAILS empty in .env.example
    assert seen["artifact_root"] == image_env["RECO_ARTIFACT_ROOT"]
    assert seen["data_dir"] == image_env["RECO_DATA_DIR"]
