"""The promotion gate's decision documents, and the automatic rollback after a failed promotion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.tiny_run import make_tiny_run

from reco_airflow import serving_client
from reco_core import columns as C
from reco_core import gate
from reco_core.artifacts.store import current_run, promote, read_promotion_log
from reco_core.artifacts.verify import verify_run
from reco_core.ranking import DEFAULT_PROFILE
from reco_core.training.config import TrainConfig
from reco_core.training.pipeline import train


@pytest.fixture(scope="module")
def trained(extraction, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gate_root")
    cfg = TrainConfig(
        ventes=extraction / C.VENTES_FILE,
        details=extraction / C.DETAILS_FILE,
        pairs=extraction / C.PAIRS_FILE,
        artifact_root=root,
        epochs=3,
        no_components=8,
        threads=2,
        blend_samples=500,
        ease_items=1000,
    )
    return train(cfg)


def settings(floor: float = 0.05) -> gate.GateConfig:
    return gate.GateConfig(
        tolerance=0.05, first_run_min_hit_at_10=floor, profile=DEFAULT_PROFILE, n_samples=300
    )


def test_first_run_passes_on_an_absolute_floor(trained, extraction):
    root, holdout = trained.parent, extraction / C.HOLDOUT_FILE
    decision = gate.judge(trained, None, holdout, settings(), root)
    assert decision.passed and decision.path == root / "evaluations" / f"{trained.name}.json"
    doc = gate.read_decision(decision.path)
    assert doc["kind"] == "first_run" and doc["reference"] is None
    assert doc["evaluation"]["methods"]["ranker"]["overall"]["hit@10"] >= 0.05
    assert "verdict: PASS (first run (no run_current): pass if hit@10 >= 0.05)" in doc["table"]
    # The HTML report beside the decision, outside the run: the run still verifies and can be promoted.
    report = decision.report
    assert report == root / "evaluations" / f"{trained.name}.html"
    assert 'data-verdict="pass"' in report.read_text() and "<svg" in report.read_text()
    assert verify_run(trained).ok
    failed = gate.judge(trained, None, holdout, settings(floor=1.0), root)
    assert not failed.passed and failed.verdict == "fail"


def test_comparison_on_the_same_samples(trained, extraction):
    root = trained.parent
    decision = gate.judge(trained, trained, extraction / C.HOLDOUT_FILE, settings(), root)
    doc = json.loads(decision.path.read_text())
    assert doc["kind"] == "comparison" and doc["passed"]
    assert doc["metrics"]["hit@10"]["candidate"] == doc["metrics"]["hit@10"]["reference"]
    assert "candidate >= reference x (1 - 0.05)" in doc["rule"] and "verdict: PASS" in doc["table"]
    page = decision.report.read_text()
    assert f"<h1>Candidate {trained.name} against reference {trained.name}</h1>" in page
    assert 'data-chart="by_profession-hit@10"' in page  # both runs per profession, side by side


def test_prune_evaluations_of_deleted_runs(tmp_path):
    (tmp_path / "run_20240101_000000").mkdir()
    folder = tmp_path / gate.EVALUATIONS_DIR
    folder.mkdir()
    for name in ("run_20240101_000000", "run_20240102_000000"):
        (folder / f"{name}.json").write_text("{}")
        (folder / f"{name}.html").write_text("<html></html>")
    (folder / "run_20240102_000000.txt").write_text("not ours")
    gone = [folder / "run_20240102_000000.html", folder / "run_20240102_000000.json"]
    assert gate.prune_evaluations(tmp_path, dry_run=True) == gone
    assert gate.prune_evaluations(tmp_path) == gone
    assert sorted(p.name for p in folder.iterdir()) == [
        "run_20240101_000000.html",
        "run_20240101_000000.json",
        "run_20240102_000000.txt",
    ]
    assert gate.prune_evaluations(tmp_path / "empty") == []


@pytest.fixture
def root(tmp_path) -> Path:
    for name in ("run_20240101_000000", "run_20240102_000000"):
        make_tiny_run(tmp_path, name)
    return tmp_path


def test_roll_back_puts_the_previous_run_back(root):
    promote(root, "run_20240101_000000")
    promote(root, "run_20240102_000000")
    done = serving_client.roll_back(
        root, "run_20240102_000000", None, DEFAULT_PROFILE, "airflow:r1", "unhealthy"
    )
    assert done == "rolled back run_current to run_20240101_000000"
    assert current_run(root).name == "run_20240101_000000"
    last = read_promotion_log(root)[-1]
    assert (last.action, last.actor, last.reason) == ("rollback", "airflow:r1", "unhealthy")


def test_roll_back_leaves_a_newer_decision_alone(root):
    promote(root, "run_20240102_000000")
    promote(root, "run_20240101_000000")  # someone promoted another run meanwhile
    done = serving_client.roll_back(root, "run_20240102_000000", None, DEFAULT_PROFILE, "airflow:r1", "x")
    assert done.startswith("no rollback: run_current is run_20240101_000000")
    assert current_run(root).name == "run_20240101_000000"


def test_first_promotion_cannot_be_rolled_back(root):
    promote(root, "run_20240101_000000")
    done = serving_client.roll_back(root, "run_20240101_000000", None, DEFAULT_PROFILE, "airflow:r1", "x")
    assert done.startswith("no rollback possible, run_current stays run_20240101_000000")
