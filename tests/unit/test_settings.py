"""reco_core.settings is the one module that reads the environment, and the one source of the
settings the CLI, the API and the Airflow helpers share (names, aliases, defaults, profiles)."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import pytest

from reco_core import logs
from reco_core.evaluation import load_profile
from reco_core.settings import SHIPPED_PROFILES, JobSettings, RecoSettings
from serving.runs import read_profiles
from serving.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("reco_core", "serving", "dags", "reco_airflow")
SETTINGS_MODULE = REPO / "reco_core" / "settings.py"
SHARED_VARS = ("RECO_ARTIFACT_ROOT", "ARTIFACT_DIR", "RECO_LOG_LEVEL", "PANIER_PARAMS_PATH", "W_PAIR")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in SHARED_VARS:
        monkeypatch.delenv(name, raising=False)


def _environment_reads(path: Path) -> list[str]:
    """`os.environ`, `os.environb`, `os.getenv`/`putenv`, `from os import environ`... and settings
    classes that do not extend reco_core.settings' (they would read the environment their own way)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "environb", "getenv", "getenvb"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(f"{path.relative_to(REPO)}:{node.lineno}: os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {alias.name for alias in node.names} & {"environ", "environb", "getenv", "getenvb"}
            found += [f"{path.relative_to(REPO)}:{node.lineno}: from os import {n}" for n in sorted(names)]
        elif isinstance(node, ast.ClassDef):
            bases = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
            if "BaseSettings" in bases:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: class {node.name}(BaseSettings)")
    return found


def test_only_the_settings_module_reads_the_environment():
    files = [path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))]
    assert SETTINGS_MODULE in files and len(files) > 50
    reads = [read for path in files if path != SETTINGS_MODULE for read in _environment_reads(path)]
    assert reads == []
    assert _environment_reads(SETTINGS_MODULE)  # the scan does see reads where they are


def test_the_api_and_the_jobs_extend_the_shared_settings():
    from reco_airflow.config import AirflowSettings

    assert issubclass(Settings, RecoSettings) and issubclass(AirflowSettings, JobSettings)


def test_one_name_for_the_artifact_root_and_the_original_alias(monkeypatch, tmp_path):
    assert RecoSettings().artifact_dir == Path("artifacts")
    monkeypatch.setenv("ARTIFACT_DIR", str(tmp_path / "original"))
    assert RecoSettings().artifact_dir == Settings().artifact_dir == tmp_path / "original"
    monkeypatch.setenv("RECO_ARTIFACT_ROOT", str(tmp_path / "root"))
    assert RecoSettings().artifact_dir == Settings().artifact_dir == JobSettings().artifact_dir
    assert JobSettings().artifact_dir == tmp_path / "root"


def test_one_log_level_default_for_the_api_and_the_tasks(monkeypatch):
    assert Settings().log_level == JobSettings().log_level == "INFO"
    monkeypatch.setenv("RECO_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"
    logs.configure()
    assert logging.getLogger("reco").level == logging.DEBUG
    logs.configure("INFO")


def test_ranking_overrides_are_read_here_exactly_spelled(monkeypatch):
    monkeypatch.setenv("W_PAIR", "0.25")
    monkeypatch.setenv("w_emb", "0.5")  # not a parameter's spelling
    monkeypatch.setenv("PL_MULT", "")  # empty: unset
    assert RecoSettings().ranking_overrides == {"W_PAIR": "0.25"}
    assert RecoSettings(ranking_overrides={}).ranking_overrides == {}  # given: replaces the environment


def test_the_profiles_setting_changes_what_the_api_and_the_gate_rank_with(monkeypatch, tmp_path):
    """PANIER_PARAMS_PATH and the ranking overrides reach the API (read_profiles, what /reload and
    the watcher load) and the gate (load_profile, what reco_core.gate.judge ranks with) alike."""
    shipped = json.loads(SHIPPED_PROFILES.read_text())
    assert read_profiles(Settings()).keys() == shipped.keys()
    custom = tmp_path / "profiles.json"
    custom.write_text(json.dumps({"only": {"basket_params_by_size": {"default": {"W_EMB": 0.9}}}}))
    monkeypatch.setenv("PANIER_PARAMS_PATH", str(custom))
    monkeypatch.setenv("W_PAIR", "0.33")
    served = read_profiles(Settings())
    assert served.keys() == {"only"}
    judged = load_profile("only")
    assert judged == served["only"]
    assert (judged.buckets["default"].W_EMB, judged.buckets["default"].W_PAIR) == (0.9, 0.33)
