"""One gate: `reco gate`, `reco eval --compare` and the DAG's evaluate/gate tasks give the same
decision on the same pair of runs (one pair that passes, one that fails), with the same numbers,
because they apply the same rules (reco_core.gate) with the same defaults (GateConfig)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from reco_airflow.data import shuffle_training_baskets
from reco_core import columns as C
from reco_core.artifacts.store import promote
from reco_core.cli import main
from reco_core.gate import GateConfig, read_decision
from reco_core.ranking import DEFAULT_PROFILE
from reco_core.training.config import TrainConfig
from reco_core.training.pipeline import train

REPO = Path(__file__).resolve().parents[3]
SAMPLES = 300


def _train(data_dir: Path, root: Path, tag: str) -> Path:
    cfg = TrainConfig(
        ventes=data_dir / C.VENTES_FILE,
        details=data_dir / C.DETAILS_FILE,
        pairs=data_dir / C.PAIRS_FILE,
        artifact_root=root,
        run_tag=tag,
        epochs=3,
        no_components=8,
        threads=2,
        blend_samples=500,
        ease_items=1000,
    )
    return train(cfg)


@pytest.fixture(scope="module")
def runs(extraction, tmp_path_factory) -> tuple[Path, Path, Path]:
    """(root, good run promoted as run_current, bad run trained on relabelled baskets)."""
    base = tmp_path_factory.mktemp("same_decision")
    root = base / "artifacts"
    good = _train(extraction, root, "good")
    shuffled = base / "shuffled"
    shutil.copytree(extraction, shuffled)
    shuffle_training_baskets(shuffled, seed=3)
    bad = _train(shuffled, root, "bad")
    promote(root, good)
    return root, good, bad


def _reco_gate(root: Path, candidate: Path, reference: Path, holdout: Path, capsys) -> tuple[int, str]:
    args = ["gate", str(candidate), "--reference", str(reference), "--ventes", str(holdout)]
    code = main(["-q", *args, "--artifact-root", str(root), "--n-samples", str(SAMPLES)])
    return code, capsys.readouterr().out


def _reco_eval_compare(candidate: Path, reference: Path, holdout: Path, out: Path) -> int:
    config = GateConfig()
    compare = ["eval", "--compare", str(candidate), str(reference), "--ventes", str(holdout)]
    protocol = ["--basket-m", str(config.basket_m), "--max-basket-m", str(config.max_basket_m)]
    return main(["-q", *compare, "--n-samples", str(SAMPLES), *protocol, "--out", str(out)])


class PushRecorder:
    """The task instance's xcom_push, the only part of it the gate task uses."""

    def __init__(self) -> None:
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value


def _dag_tasks(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags" / "reco_training.py")).dags["reco_training"]
    return dag.get_task("evaluate").python_callable, dag.get_task("gate").python_callable


@pytest.mark.parametrize("pair", ["passing", "failing"])
def test_reco_gate_eval_compare_and_the_dag_decide_alike(
    pair, runs, extraction, airflow_home, monkeypatch, tmp_path, capsys, caplog
):
    from airflow.sdk.exceptions import AirflowFailException

    from reco_airflow.links import REPORT_XCOM_KEY

    root, good, bad = runs
    candidate = good if pair == "passing" else bad  # the reference is run_current: the good run
    holdout = extraction / C.HOLDOUT_FILE
    document = root / "evaluations" / f"{candidate.name}.json"

    code, printed = _reco_gate(root, candidate, good, holdout, capsys)
    by_cli = read_decision(document)
    assert code == (0 if pair == "passing" else 1)
    assert by_cli["passed"] is (pair == "passing")

    out = tmp_path / "compare.json"
    assert _reco_eval_compare(candidate, good, holdout, out) == code
    by_eval = json.loads(out.read_text())

    monkeypatch.setenv("RECO_ARTIFACT_ROOT", str(root))
    evaluate, gate = _dag_tasks(airflow_home)
    params = {
        "seed": 42,
        "gate_tolerance": GateConfig().tolerance,
        "first_run_min_hit_at_10": GateConfig().first_run_min_hit_at_10,
        "eval_samples": SAMPLES,
        "profile": DEFAULT_PROFILE,
    }
    decision = evaluate(str(candidate), str(extraction), params)
    by_dag = read_decision(document)
    ti, verdict = PushRecorder(), "PASS" if pair == "passing" else "FAIL"
    caplog.clear()
    with caplog.at_level(logging.INFO):
        if pair == "passing":
            gate(decision, ti)
        else:
            with pytest.raises(AirflowFailException) as failed:
                gate(decision, ti)
            assert str(failed.value) == printed.strip()  # the alert says what `reco gate` prints
    # The log opens with the verdict, then the report and the table `reco gate` prints.
    headline, details = caplog.records[0].getMessage().split("\n", 1)
    assert headline.startswith(f"gate verdict: {verdict} for {candidate.name} (")
    assert details.strip() in printed
    report = root / "evaluations" / f"{candidate.name}.html"
    assert ti.pushed == {REPORT_XCOM_KEY: report.as_uri()}  # the HTML report extra link's URL

    for doc in (by_eval, by_dag):
        assert (doc["passed"], doc["rule"], doc["tolerance"]) == (
            by_cli["passed"],
            by_cli["rule"],
            by_cli["tolerance"],
        )
        assert doc["metrics"] == by_cli["metrics"]  # same samples, same profile, same numbers
    assert by_dag["gate_config"] == by_cli["gate_config"]
