"""The discovery of the environment variables the code reads (tests/helpers/deploy.py), which the
compose tests trust: it must find each kind of read, keep the API's and Airflow's apart, and
refuse a read it cannot name rather than miss it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.deploy import (
    REPO,
    airflow_variables,
    api_variables,
    file_env_reads,
    reachable_files,
)


def test_each_kind_of_read_in_a_file_is_found(tmp_path: Path) -> None:
    source = tmp_path / "reads.py"
    source.write_text(
        "import os\n"
        "from os import getenv\n"
        'NAME = "FROM_CONSTANT"\n'
        "def f():\n"
        '    os.environ.get("LITERAL", "x")\n'
        "    os.environ.get(NAME)\n"
        '    os.environ["SUBSCRIPT"]\n'
        '    getenv("BARE_GETENV")\n'
        '    Connection.get("reco_db")\n'
        '    Notifier(smtp_conn_id="smtp_default")\n'
    )
    reads = file_env_reads(source)
    assert reads.variables == {"LITERAL", "FROM_CONSTANT", "SUBSCRIPT", "BARE_GETENV"}
    assert reads.connection_ids == {"reco_db", "smtp_default"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('os.environ.get(prefix + "_URL")', "environment read of a computed name"),
        ("Connection.get(prefix)", "Connection.get of a computed id"),
    ],
)
def test_a_read_of_a_computed_name_is_refused(tmp_path: Path, call: str, message: str) -> None:
    source = tmp_path / "computed.py"
    source.write_text(f"import os\ndef lookup(prefix):\n    return {call}\n")
    with pytest.raises(ValueError, match=rf"computed.py:3: {re.escape(message)} in lookup\(\)"):
        file_env_reads(source)


def test_imports_inside_functions_are_followed() -> None:
    """reco_core/gate.py imports reco_core.evaluation inside `judge` (heavy imports stay out of DAG
    parsing): a variable read there is still one Airflow reads."""
    files = reachable_files([REPO / "reco_core" / "gate.py"])
    assert REPO / "reco_core" / "evaluation" / "__init__.py" in files


def test_api_variables_cover_settings_constants_and_ranking_parameters() -> None:
    found = api_variables()
    # The API's Settings fields, the shared fields of reco_core.settings, the ranking overrides.
    assert {
        "ADMIN_KEY",
        "PORT",
        "RECO_ARTIFACT_ROOT",
        "PANIER_PARAMS_PATH",
        "DISABLE_MODEL_PICKLE",
        "RECO_LOG_LEVEL",
        "W_PAIR",
        "PL_MULT",
    } <= found
    # The API imports no warehouse code and no Airflow helper: their variables are not its business.
    assert not {"RECO_WAREHOUSE_URL", "RECO_ALERT_EMAILS"} & found


def test_airflow_variables_cover_helpers_connections_and_the_env_script() -> None:
    found = airflow_variables()
    assert {
        "RECO_ALERT_EMAILS",  # AirflowSettings of reco_airflow/config.py
        "RECO_ARTIFACT_ROOT",  # reco_core.settings, the name the API reads too
        "PANIER_PARAMS_PATH",  # the gate ranks with the API's profiles file
        "AIRFLOW_CONN_RECO_WAREHOUSE",  # Connection.get(WAREHOUSE_CONN_ID)
        "AIRFLOW_CONN_SMTP_DEFAULT",  # smtp_conn_id=config.SMTP_CONN_ID
        "RECO_WAREHOUSE_URL",  # JobSettings of reco_core.settings
        "AIRFLOW__API_AUTH__JWT_SECRET",  # scripts/airflow-env.sh
        "W_PAIR",  # the gate ranks with the profiles, like the API
    } <= found
    # Airflow never builds the API's Settings.
    assert "ADMIN_KEY" not in found
