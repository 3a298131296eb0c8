"""The promotion gate: its settings, its rules and its decision document, for `reco gate`,
`reco eval --compare` and the DAG's gate task alike.

- A production run exists (run_current): reco_core.evaluation.compare_runs ranks the same
  samples of the holdout with both runs; the candidate passes when it does not regress beyond
  the relative tolerance on the gated metrics (Hit@10 and MRR@10).
- First run (no run_current): nothing to compare with, so the candidate's own Hit@10 must reach
  an absolute floor, which keeps an empty or broken first model out of production.

The gate judges what is served: baskets of 1 to 3 items by default (the API ranks baskets of every
size, each with its bucket of the profile), ranked with the profile and the ranking settings the
API reads (RecoSettings.profiles: PANIER_PARAMS_PATH and the ranking overrides).

The decision document is written to `<artifact_root>/evaluations/<run_id>.json`, and the same
numbers as an HTML report with charts (reco_core.evaluation.html_report) to `<run_id>.html` beside
it: outside the run directory, because the run's manifest was sealed before evaluation and a file
it does not list makes the run fail verification (so it could be neither promoted nor loaded).
The document records the gate's config and the holdout, so `reco gate` reproduces a decision.

This module imports only pydantic and the standard library at the top: the DAG builds its Params
from GateConfig at parse time; evaluation code is imported inside `judge`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from reco_core.ranking.profiles import DEFAULT_PROFILE

if TYPE_CHECKING:
    from reco_core.evaluation import Protocol
    from reco_core.settings import RecoSettings

EVALUATIONS_DIR = "evaluations"
REPORT_LINE = "HTML report: "  # prefixes the report's path in the gate's output (the alert links it)
GATE_K = 10  # the gated metrics are hit@10 and mrr@10


class GateConfig(BaseModel):
    """The gate's settings: the only place their defaults, bounds and help are written (the `reco
    gate` / `reco eval --compare` flags and the DAG's Params are built from these fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # 5 %: LightFM varies by up to 0.03 Hit@10 from run to run on the same data (STACK-NOTES), a
    # real regression (a broken extraction, a bad model) costs far more.
    tolerance: float = Field(
        0.05, ge=0, lt=1, description="relative drop of hit@10 and mrr@10 allowed against the reference run"
    )
    first_run_min_hit_at_10: float = Field(
        0.05, ge=0, le=1, description="first run (no run_current): minimal hit@10"
    )
    profile: str = Field(DEFAULT_PROFILE, description="ranking profile evaluated (the one the API serves)")
    n_samples: int = Field(10_000, ge=100, description="holdout samples ranked by both runs")
    basket_m: int = Field(1, ge=1, description="smallest number of basket items given to the ranker")
    max_basket_m: int = Field(3, ge=1, description="largest number of basket items given to the ranker")
    seed: int = Field(42, description="seed of the samples")

    def protocol(self) -> Protocol:
        from reco_core.evaluation import Protocol

        return Protocol(
            k=GATE_K,
            basket_m=self.basket_m,
            max_basket_m=self.max_basket_m,
            n_samples=self.n_samples,
            seed=self.seed,
        )


@dataclass(frozen=True)
class Decision:
    """The verdict on a candidate, and where its document and report are."""

    candidate: str  # run id
    passed: bool
    rule: str
    path: Path  # the decision document (.json)
    report: Path  # the HTML report
    table: str  # the metrics as text

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    def headline(self) -> str:
        """The verdict in one line: what a log shows first, before the report's path and the table."""
        return f"gate verdict: {self.verdict.upper()} for {self.candidate} ({self.rule})"

    def details(self) -> str:
        """The HTML report's path and the metrics table."""
        return f"{REPORT_LINE}{self.report}\n\n{self.table}"

    def message(self) -> str:
        """What `reco gate` prints, or the DAG's gate task fails with (the alert's body)."""
        if self.passed:
            return self.details()
        rejected = f"candidate {self.candidate} rejected by the gate ({self.rule}); nothing promoted"
        return f"{rejected}\n{self.details()}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (XCom)."""
        return {
            "candidate": self.candidate,
            "passed": self.passed,
            "rule": self.rule,
            "path": str(self.path),
            "report": str(self.report),
            "table": self.table,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(
            data["candidate"],
            data["passed"],
            data["rule"],
            Path(data["path"]),
            Path(data["report"]),
            data["table"],
        )


def evaluation_path(artifact_root: Path, run_id: str, suffix: str = ".json") -> Path:
    """The decision document (.json) or the HTML report (.html) of a candidate run."""
    return Path(artifact_root) / EVALUATIONS_DIR / f"{run_id}{suffix}"


def judge(
    candidate: Path,
    reference: Path | None,
    holdout: Path,
    config: GateConfig,
    artifact_root: Path,
    settings: RecoSettings | None = None,
) -> Decision:
    """Evaluate the candidate (against `reference`, or alone for a first run), decide, and write
    the decision document and the HTML report."""
    from reco_core.evaluation import compare_runs, evaluate_run, load_profile
    from reco_core.evaluation.html_report import write_report
    from reco_core.evaluation.report import format_comparison, format_evaluation
    from reco_core.fsutil import atomic_write_text

    candidate = Path(candidate)
    profile = load_profile(config.profile, settings=settings)
    protocol = config.protocol()
    if reference is not None:
        comparison = compare_runs(
            candidate, reference, holdout, tolerance=config.tolerance, profile=profile, protocol=protocol
        )
        doc = {"kind": "comparison", **comparison.to_dict()}
        doc["table"] = format_comparison(doc)
        shown = doc
    else:
        report = evaluate_run(candidate, holdout, profile=profile, protocol=protocol, with_ease=False)
        hit_key = f"hit@{GATE_K}"
        passed = report.ranker.overall[hit_key] >= config.first_run_min_hit_at_10
        doc = {
            "kind": "first_run",
            "verdict": "pass" if passed else "fail",
            "passed": passed,
            "rule": f"first run (no run_current): pass if {hit_key} >= {config.first_run_min_hit_at_10:g}",
            "candidate": report.run,
            "reference": None,
            "evaluation": report.to_dict(),
        }
        doc["table"] = (
            format_evaluation(doc["evaluation"]) + f"\n\nverdict: {doc['verdict'].upper()} ({doc['rule']})"
            "\na first run has nothing served to compare with: only that floor decides ('NOT beaten': FYI)"
        )
        shown = doc["evaluation"] | {"gate": {"verdict": doc["verdict"], "rule": doc["rule"]}}
    doc |= {"gate_config": config.model_dump(), "holdout": str(holdout)}
    path = evaluation_path(artifact_root, candidate.name)
    atomic_write_text(path, json.dumps(doc, indent=2, default=str) + "\n")
    html_path = evaluation_path(artifact_root, candidate.name, ".html")
    write_report(shown, html_path)
    return Decision(candidate.name, doc["passed"], doc["rule"], path, html_path, doc["table"])


def read_decision(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def prune_evaluations(artifact_root: Path, *, dry_run: bool = False) -> list[Path]:
    """Delete the decision documents and HTML reports of runs that no longer exist (removed by the
    clean-up)."""
    folder = Path(artifact_root) / EVALUATIONS_DIR
    if not folder.is_dir():
        return []
    doomed = sorted(
        p
        for p in folder.glob("run_*")
        if p.suffix in (".json", ".html") and not (Path(artifact_root) / p.stem).is_dir()
    )
    if not dry_run:
        for path in doomed:
            path.unlink(missing_ok=True)
    return doomed
