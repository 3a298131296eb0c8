"""Every DAG file parses, quickly, without lookups, into the expected task graphs.

The dags folder is parsed once, in a subprocess with a scratch AIRFLOW_HOME and no connection
nor Variable defined (dag_parse_probe.py): parse-time lookups are recorded by a secrets backend,
heavy imports by comparing sys.modules before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.airflow_support import REPO, airflow_env

from reco_core.ranking import DEFAULT_PROFILE

HERE = Path(__file__).resolve().parent
TRAINING_CHAIN = [
    "extract",
    "validate",
    "train",
    "verify",
    "evaluate",
    "gate",
    "promote",
    "reload_serving",
    "check_serving",
]
# Typed values flow through XCom (extract's data directory, train's run directory, evaluate's
# decision); side-effect-only tasks are ordered with `>>`. The chain above stays the order.
TRAINING_DOWNSTREAM = {
    "extract": {"validate", "train", "evaluate"},
    "validate": {"train"},
    "train": {"verify", "evaluate", "promote", "reload_serving", "check_serving"},
    "verify": {"evaluate"},
    "evaluate": {"gate"},
    "gate": {"promote"},
    "promote": {"reload_serving"},
    "reload_serving": {"check_serving"},
    "check_serving": set(),
}


# The groups of the graph view (data -> model -> release), whose tasks keep unprefixed ids.
TRAINING_GROUPS = {
    "data": ["extract", "validate"],
    "model": ["train", "verify", "evaluate", "gate"],
    "release": ["promote", "reload_serving", "check_serving"],
}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("dag_parse")
    env = airflow_env(
        base,
        AIRFLOW__SECRETS__BACKEND="dag_parse_probe.RecordingBackend",
        RECORD_FILE=str(base / "lookups.jsonl"),
        # the probe's backend, and the checkout under test before any installed copy of it
        PYTHONPATH=os.pathsep.join([str(HERE), str(REPO)]),
    )
    for name in ("AIRFLOW_CONN_RECO_WAREHOUSE",):  # airflow-env.sh's default: parsing must not need it
        env.pop(name)
    out = subprocess.run(
        [sys.executable, str(HERE / "dag_parse_probe.py"), str(REPO / "dags")],
        env=env,
        cwd=base,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_dag_file_imports(parsed):
    assert parsed["import_errors"] == {}
    files = sorted(p.stem for p in (REPO / "dags").glob("*.py"))
    assert (
        sorted(parsed["dags"])
        == files
        == ["reco_catalog_refresh", "reco_cleanup", "reco_rollback", "reco_training"]
    )


def test_parsing_makes_no_lookup_and_imports_nothing_heavy(parsed):
    assert parsed["parse_lookups"] == []
    # the recording backend works: a lookup after parsing is recorded
    assert ["variable", "probe_control"] in parsed["all_lookups"]
    assert parsed["heavy_modules_loaded"] == []
    assert parsed["seconds"] < 10, "parsing the dags folder should take a fraction of a second to a few"


def test_training_dag_is_the_documented_chain(parsed):
    dag = parsed["dags"]["reco_training"]
    tasks = dag["tasks"]
    assert set(tasks) == set(TRAINING_CHAIN)
    for task_id, following in zip(TRAINING_CHAIN, [*TRAINING_CHAIN[1:], None], strict=True):
        assert set(tasks[task_id]["downstream"]) == TRAINING_DOWNSTREAM[task_id], task_id
        assert following is None or following in TRAINING_DOWNSTREAM[task_id], task_id
    assert dag["schedule"] == "@daily" and dag["catchup"] is False and dag["max_active_runs"] == 1
    assert tasks["extract"]["retries"] == 2
    assert all(tasks[t]["retries"] == 0 for t in TRAINING_CHAIN[1:])


def test_training_params_have_defaults(parsed):
    params = parsed["dags"]["reco_training"]["params"]
    assert params["epochs"] == 30 and params["no_components"] == 64 and params["lr"] == 0.05
    assert params["patience"] == 5 and params["holdout_days"] == 30 and params["min_occ"] == 1
    assert params["gate_tolerance"] == 0.05 and params["first_run_min_hit_at_10"] == 0.05
    assert params["profile"] == DEFAULT_PROFILE
    assert params["shuffle_training_baskets"] is False


def test_manual_dags(parsed):
    rollback, cleanup = parsed["dags"]["reco_rollback"], parsed["dags"]["reco_cleanup"]
    assert rollback["schedule"] is None and cleanup["schedule"] is None
    assert rollback["tasks"]["rollback_run"]["downstream"] == ["reload_serving"]
    assert {t: v["downstream"] for t, v in cleanup["tasks"].items()} == {"cleanup_runs": [], "prune_data": []}
    assert rollback["params"]["target_run"] == "" and cleanup["params"]["keep"] == 5


def test_alerts_are_task_level(parsed):
    """A DAG-level notifier crashes under `airflow dags test` (apache/airflow#64649)."""
    for dag_id, dag in parsed["dags"].items():
        assert dag["dag_callbacks"] is False, dag_id
        for task_id, task in dag["tasks"].items():
            assert task["failure_callbacks"] == ["FailureAlert"], f"{dag_id}.{task_id}"


def test_training_tasks_are_grouped_data_model_release(parsed):
    tasks = parsed["dags"]["reco_training"]["tasks"]
    assert {task_id: task["group"] for task_id, task in tasks.items()} == {
        task_id: group for group, task_ids in TRAINING_GROUPS.items() for task_id in task_ids
    }
    assert [t for tasks in TRAINING_GROUPS.values() for t in tasks] == TRAINING_CHAIN


def test_every_task_has_a_one_line_doc_md(parsed):
    """The UI shows a task's doc_md in its details: one line saying what the task does."""
    for dag_id, dag in parsed["dags"].items():
        for task_id, task in dag["tasks"].items():
            doc = task["doc_md"]
            assert doc and len(doc.strip().splitlines()) == 1, f"{dag_id}.{task_id}: {doc!r}"


def test_the_gate_links_its_html_report(parsed):
    tasks = parsed["dags"]["reco_training"]["tasks"]
    assert {t: task["extra_links"] for t, task in tasks.items() if task["extra_links"]} == {
        "gate": ["HTML report"]
    }


def test_catalog_refresh_is_hourly_extract_validate_verify_promote_prune(parsed):
    dag = parsed["dags"]["reco_catalog_refresh"]
    tasks = dag["tasks"]
    assert dag["schedule"] == "@hourly" and dag["catchup"] is False and dag["max_active_runs"] == 1
    assert {t: set(v["downstream"]) for t, v in tasks.items()} == {
        "extract": {"validate", "verify", "promote"},
        "validate": {"verify"},
        "verify": {"promote"},
        "promote": {"prune"},
        "prune": set(),
    }
    assert tasks["extract"]["retries"] == 2
    assert dag["params"]["row_count_band"] == 0.2 and dag["params"]["max_delisted_share"] == 0.5
    assert dag["params"]["keep_states"] == 48
