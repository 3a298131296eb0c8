"""Fixtures of the DAG helper tests: Airflow in this process with a scratch home, a small extraction.

Airflow reads its configuration once, when first imported: tests that need it (connections,
Variables, the notifier) take the `airflow_home` fixture and import Airflow-dependent modules
inside the test, never at collection time, so nothing is ever read from or written to ~/airflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reco_core.demo.generator import generate_demo
from reco_core.warehouse.extract import extract
from reco_core.warehouse.load import write_tables


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("airflow_home")
    patch = pytest.MonkeyPatch()
    patch.setenv("AIRFLOW_HOME", str(home))
    patch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    import airflow.sdk  # noqa: F401  (configuration read now, with the scratch home)

    yield home
    patch.undo()


@pytest.fixture(scope="session")
def extraction(tmp_path_factory) -> Path:
    """A real extraction of a small demo warehouse (600 products, 6000 orders, 30-day holdout)."""
    base = tmp_path_factory.mktemp("dag_extraction")
    url = f"sqlite:///{base / 'warehouse.db'}"
    write_tables(url, generate_demo(seed=7, n_products=600, n_orders=6000).tables())
    extract(url, base / "data", holdout_days=30)
    return base / "data"
