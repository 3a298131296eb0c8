"""The promotion gate: the candidate run against the production run, on the same holdout samples.

- A production run exists (run_current): reco_core.evaluation.compare_runs ranks the same
  samples of this run's holdout with both runs; the candidate passes when it does not regress
  beyond the relative tolerance on the gated metrics (Hit@K and MRR@K).
- First run (no run_current): nothing to compare with, so the candidate's own Hit@K must reach
  an absolute floor, which keeps an empty or broken first model out of production.

The decision document is written to `<artifact_root>/evaluations/<run_id>.json`, and the same
numbers as an HTML report with charts (reco_core.evaluation.html_report) to `<run_id>.html` beside
it: outside the run directory, because the run's manifest was sealed before evaluation and a file
it does not list makes the run fail verification (so it could be neither promoted nor loaded).
The gate task's log and its failure alert give the report's path (REPORT_LINE).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVALUATIONS_DIR = "evaluations"
REPORT_LINE = "HTML report: "  # prefixes the report's path in the gate's log and alert (alerts.py links it)


@dataclass(frozen=True)
class GateSettings:
    tolerance: float  # relative drop allowed against the production run
    first_run_floor: float  # minimal Hit@K of a first run
    profile: str
    k: int = 10
    n_samples: int = 10_000
    seed: int = 42


def evaluation_path(artifact_root: Path, run_id: str, suffix: str = ".json") -> Path:
    """The decision document (.json) or the HTML report (.html) of a candidate run."""
    return artifact_root / EVALUATIONS_DIR / f"{run_id}{suffix}"


def evaluate_candidate(
    candidate: Path, reference: Path | None, holdout: Path, settings: GateSettings, artifact_root: Path
) -> dict[str, Any]:
    """Evaluate, decide, write the decision document and the HTML report; return their paths and the
    verdict (small enough for XCom)."""
    from reco_core.evaluation import Protocol, compare_runs, evaluate_run, load_profile
    from reco_core.evaluation.html_report import write_report
    from reco_core.evaluation.report import format_comparison, format_evaluation
    from reco_core.fsutil import atomic_write_text

    profile = load_profile(settings.profile)
    protocol = Protocol(k=settings.k, n_samples=settings.n_samples, seed=settings.seed)
    if reference is not None:
        comparison = compare_runs(
            candidate, reference, holdout, tolerance=settings.tolerance, profile=profile, protocol=protocol
        )
        doc = {"kind": "comparison", **comparison.to_dict()}
        doc["table"] = format_comparison(doc)
        shown = doc
    else:
        report = evaluate_run(candidate, holdout, profile=profile, protocol=protocol, with_ease=False)
        hit_key = f"hit@{settings.k}"
        hit = report.ranker.overall[hit_key]
        passed = hit >= settings.first_run_floor
        doc = {
            "kind": "first_run",
            "verdict": "pass" if passed else "fail",
            "passed": passed,
            "rule": f"first run (no run_current): pass if {hit_key} >= {settings.first_run_floor:g}",
            "candidate": report.run,
            "reference": None,
            "evaluation": report.to_dict(),
        }
        doc["table"] = (
            format_evaluation(doc["evaluation"]) + f"\n\nverdict: {doc['verdict'].upper()} ({doc['rule']})"
        )
        shown = doc["evaluation"] | {"gate": {"verdict": doc["verdict"], "rule": doc["rule"]}}
    path = evaluation_path(artifact_root, candidate.name)
    atomic_write_text(path, json.dumps(doc, indent=2, default=str) + "\n")
    html_path = evaluation_path(artifact_root, candidate.name, ".html")
    write_report(shown, html_path)
    return {
        "path": str(path),
        "report": str(html_path),
        "passed": doc["passed"],
        "verdict": doc["verdict"],
        "rule": doc["rule"],
    }


def read_decision(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def prune_evaluations(artifact_root: Path, *, dry_run: bool = False) -> list[Path]:
    """Delete the decision documents and HTML reports of runs that no longer exist (removed by the
    clean-up)."""
    folder = artifact_root / EVALUATIONS_DIR
    if not folder.is_dir():
        return []
    doomed = sorted(
        p
        for p in folder.glob("run_*")
        if p.suffix in (".json", ".html") and not (artifact_root / p.stem).is_dir()
    )
    if not dry_run:
        for path in doomed:
            path.unlink(missing_ok=True)
    return doomed
