"""Where a task finds its configuration: Airflow connections, Variables, environment, defaults.

Every lookup happens at task run time (these functions are only called from task bodies): a
DAG file that read a Variable or a connection at parse time would query the metadata database
or the secrets backend on every parse, every 30 seconds, on every scheduler and dag-processor.

- Warehouse: connection `reco_warehouse`. Its `extra.sqlalchemy_url`, if set, is used as is
  (any SQLAlchemy URL, e.g. `mssql+pyodbc://...` with ODBC options); otherwise the connection's
  fields make the URL: `AIRFLOW_CONN_RECO_WAREHOUSE='sqlite:////abs/path/warehouse.db'` or
  `'postgresql+psycopg://user:pass@host:5432/dwh'` (conn type = SQLAlchemy dialect+driver).
- Serving: connection `reco_serving` (host, port, scheme `https` in the schema field if needed,
  admin key as password): `AIRFLOW_CONN_RECO_SERVING='http://:ADMIN_KEY@127.0.0.1:8080'`.
  Absent: reload and post-promotion check are skipped.
- Paths and alert recipients: Variables `reco_artifact_root`, `reco_data_dir`,
  `reco_alert_emails`, else AirflowSettings: the environment as reco_core.settings reads it for
  the CLI and the API too (RECO_ARTIFACT_ROOT, or the original's ARTIFACT_DIR; RECO_DATA_DIR;
  RECO_ALERT_EMAILS), else their defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from reco_core.settings import JobSettings

WAREHOUSE_CONN_ID = "reco_warehouse"
SERVING_CONN_ID = "reco_serving"
SMTP_CONN_ID = "smtp_default"

DEFAULT_ALERT_EMAILS = "reco-alerts@example.com"

# Airflow normalises some URI schemes to its own connection types; SQLAlchemy needs the dialect.
_DIALECT_OF_CONN_TYPE = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
_UNSAFE_PATH_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
RUNS_SUBDIR = "dag_runs"  # <data_dir>/dag_runs/<dag run id>/: one extraction per DAG run


class AirflowSettings(JobSettings):
    """The batch jobs' settings (reco_core.settings) and the one only the DAGs read."""

    # Alert recipients, comma- or space-separated.
    alert_emails: str = Field(DEFAULT_ALERT_EMAILS, validation_alias="RECO_ALERT_EMAILS")


def variable_or(name: str, fallback: object) -> str:
    """Airflow Variable `name` (empty counts as unset), else `fallback` (an AirflowSettings value)."""
    from airflow.sdk import Variable

    return Variable.get(name, default=None) or str(fallback)


def artifact_root() -> Path:
    return Path(variable_or("reco_artifact_root", AirflowSettings().artifact_dir)).absolute()


def data_dir() -> Path:
    return Path(variable_or("reco_data_dir", AirflowSettings().data_dir)).absolute()


def alert_recipients() -> list[str]:
    """Comma- or space-separated addresses."""
    return re.split(r"[,\s]+", variable_or("reco_alert_emails", AirflowSettings().alert_emails).strip())


def run_data_dir(dag_run_id: str) -> Path:
    """The extraction directory of one DAG run, so a failed or concurrent run never overwrites
    the files another run is training on. Run ids carry ':' and '+', kept out of paths."""
    return data_dir() / RUNS_SUBDIR / _UNSAFE_PATH_CHARS.sub("_", dag_run_id)


def warehouse_url() -> str:
    """The SQLAlchemy URL of connection `reco_warehouse` (see the module doc)."""
    import sqlalchemy as sa
    from airflow.sdk import Connection

    conn = Connection.get(WAREHOUSE_CONN_ID)
    extra = conn.extra_dejson
    if extra.get("sqlalchemy_url"):
        return str(extra["sqlalchemy_url"])
    query = {key: str(value) for key, value in extra.items()}
    url = sa.URL.create(
        _DIALECT_OF_CONN_TYPE.get(conn.conn_type, conn.conn_type),
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host or None,
        port=conn.port,
        database=conn.schema or None,
        query=query,
    )
    return url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class ServingEndpoint:
    conn_id: str
    admin_key: str | None


def serving_endpoint() -> ServingEndpoint | None:
    """Connection `reco_serving`, or None when it is not configured (reload is then skipped)."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(SERVING_CONN_ID)
    except AirflowNotFoundException:
        return None
    return ServingEndpoint(SERVING_CONN_ID, conn.password or None)


def serving_endpoint_or_skip() -> ServingEndpoint:
    """The serving endpoint; without one, skip the task (and what depends on it) with a clear reason."""
    from airflow.sdk.exceptions import AirflowSkipException

    endpoint = serving_endpoint()
    if endpoint is None:
        raise AirflowSkipException(
            f"no connection {SERVING_CONN_ID}: serving reload and check skipped (the API follows "
            "run_current by itself; set AIRFLOW_CONN_RECO_SERVING, or start `make serve` with ADMIN_KEY "
            "before `make airflow`: docs/airflow.md)"
        )
    return endpoint


def smtp_configured() -> bool:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        Connection.get(SMTP_CONN_ID)
    except AirflowNotFoundException:
        return False
    return True
