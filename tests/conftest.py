"""Shared fixtures: real database URLs, a scratch directory per test, a tiny run and an empty
artifact root.

The PostgreSQL and MariaDB servers of this machine are real; when one is down a test that needs
it is skipped locally but fails under CI (CI=true), where `.ci/run` has started them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers.tiny_run import make_tiny_run

PG_ADMIN_URL = os.environ.get("RECO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ODBC_DRIVER = os.environ.get("RECO_TEST_MARIADB_DRIVER", "MariaDB Unicode")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"required service unavailable under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    name = f"reco_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unavailable(f"PostgreSQL: {exc.orig}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A fresh, empty MariaDB database reached through pyodbc and the MariaDB ODBC driver."""
    name = f"reco_test_{uuid.uuid4().hex[:10]}"
    driver = MARIADB_ODBC_DRIVER.replace(" ", "+")
    base = f"mysql+pyodbc://root:@127.0.0.1:3306/{{db}}?driver={driver}&charset=utf8mb4"
    admin = sa.create_engine(base.format(db="test"))
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            conn.commit()
    except (sa.exc.OperationalError, sa.exc.DBAPIError) as exc:
        admin.dispose()
        _unavailable(f"MariaDB via ODBC: {exc.orig}")
    try:
        yield base.format(db=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
            conn.commit()
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.db'}"


@pytest.fixture(scope="session")
def template_run(tmp_path_factory) -> Path:
    """One tiny valid run built once per session: copy it, never change it."""
    return make_tiny_run(tmp_path_factory.mktemp("template"))


@pytest.fixture
def root(tmp_path) -> Path:
    """An empty artifact root."""
    path = tmp_path / "artifacts"
    path.mkdir()
    return path
