"""Environment defaults of the `reco` CLI: an empty variable counts as unset, as in the API's settings.

Compose files and .env templates often define a variable as empty; it must not turn into the
current directory (Path("")) or an invalid log level.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reco_core import logs
from reco_core.cli import main
from reco_core.cli._common import default_data_dir


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "var/data"), ("", "var/data"), ("/srv/data", "/srv/data")]
)
def test_data_dir_default(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("RECO_DATA_DIR", raising=False)
    else:
        monkeypatch.setenv("RECO_DATA_DIR", value)
    assert default_data_dir() == Path(expected)


def test_empty_log_level_is_the_default_level(monkeypatch):
    monkeypatch.setenv("RECO_LOG_LEVEL", "")
    logs.configure()
    assert logging.getLogger("reco").level == logging.INFO  # the one default, reco_core.settings


def test_train_with_empty_directories_in_the_environment_reads_var_data(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECO_DATA_DIR", "")
    monkeypatch.setenv("ARTIFACT_DIR", "")
    assert main(["train"]) != 0
    assert "var/data/df_ventes_grouped.parquet" in capsys.readouterr().err
