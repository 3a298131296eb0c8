"""Where the tasks find their settings: connections, Variables, environment, defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reco_airflow import config


@pytest.fixture(autouse=True)
def clean_env(airflow_home, monkeypatch):
    for name in ("RECO_WAREHOUSE", "RECO_SERVING", "SMTP_DEFAULT"):
        monkeypatch.delenv(f"AIRFLOW_CONN_{name}", raising=False)
    for name in ("RECO_ARTIFACT_ROOT", "RECO_DATA_DIR", "RECO_ALERT_EMAILS"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"AIRFLOW_VAR_{name}", raising=False)
    monkeypatch.delenv("ARTIFACT_DIR", raising=False)


@pytest.mark.parametrize(
    ("conn", "url"),
    [
        ("sqlite:////srv/dwh/warehouse.db", "sqlite:////srv/dwh/warehouse.db"),
        ("sqlite:///var/warehouse.db", "sqlite:///var/warehouse.db"),
        (
            "postgres://etl:p%40ss@db:5432/dwh?sslmode=require",
            "postgresql+psycopg://etl:p%40ss@db:5432/dwh?sslmode=require",
        ),
        ("postgresql+psycopg://etl@db/dwh", "postgresql+psycopg://etl@db/dwh"),
        (
            json.dumps(
                {"conn_type": "generic", "extra": {"sqlalchemy_url": "mssql+pyodbc://dwh01/DWH?driver=X"}}
            ),
            "mssql+pyodbc://dwh01/DWH?driver=X",
        ),
    ],
)
def test_warehouse_url_from_the_connection(monkeypatch, conn, url):
    monkeypatch.setenv("AIRFLOW_CONN_RECO_WAREHOUSE", conn)
    assert config.warehouse_url() == url


def test_variable_beats_environment_beats_default(monkeypatch, tmp_path):
    assert config.artifact_root() == Path("artifacts").absolute()
    assert config.data_dir() == Path("var/data").absolute()
    monkeypatch.setenv("RECO_DATA_DIR", str(tmp_path / "env"))
    assert config.data_dir() == tmp_path / "env"
    monkeypatch.setenv("AIRFLOW_VAR_RECO_DATA_DIR", str(tmp_path / "var"))
    assert config.data_dir() == tmp_path / "var"


def test_the_artifact_root_has_the_name_the_cli_and_the_api_read(monkeypatch, tmp_path):
    """One setting (reco_core.settings): RECO_ARTIFACT_ROOT, or the original's ARTIFACT_DIR."""
    from reco_core.artifacts.store import default_artifact_root

    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "original"))
    assert config.artifact_root() == tmp_path / "original" == default_artifact_root()
    monkeypatch.setenv("RECO_ARTIFACT_ROOT", str(tmp_path / "root"))
    assert config.artifact_root() == tmp_path / "root" == default_artifact_root()


def test_alert_recipients(monkeypatch):
    assert config.alert_recipients() == [config.DEFAULT_ALERT_EMAILS]
    monkeypatch.setenv("RECO_ALERT_EMAILS", "a@x.fr, b@x.fr c@x.fr")
    assert config.alert_recipients() == ["a@x.fr", "b@x.fr", "c@x.fr"]


def test_run_data_dir_is_a_safe_name_per_run(monkeypatch, tmp_path):
    monkeypatch.setenv("RECO_DATA_DIR", str(tmp_path))
    path = config.run_data_dir("manual__2026-01-02T03:04:05.123+00:00")
    assert path == tmp_path / "dag_runs" / "manual__2026-01-02T03_04_05.123_00_00"


def test_serving_endpoint_is_optional(monkeypatch):
    from airflow.sdk.exceptions import AirflowSkipException

    assert config.serving_endpoint() is None
    with pytest.raises(AirflowSkipException, match="no connection reco_serving"):
        config.serving_endpoint_or_skip()
    monkeypatch.setenv("AIRFLOW_CONN_RECO_SERVING", "http://:k3y@127.0.0.1:8080")
    assert config.serving_endpoint() == config.ServingEndpoint("reco_serving", "k3y")
    assert not config.smtp_configured()
