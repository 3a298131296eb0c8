"""Candidate run against reference run on the same samples: the promotion gate's verdict.

Both runs rank the same samples (known items = items of both runs, same seed), with the same
profile and mode, so a difference is the runs' and not the draw's. The gate passes when, for
every gated metric (Hit@K and MRR@K), candidate >= reference x (1 - tolerance): a candidate may
be slightly worse - LightFM is noisy from run to run - but not by more than the tolerance.
Recall is reported, not gated: on orders with many remaining items it moves with Hit@K.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reco_core.errors import RecoError
from reco_core.evaluation import metrics as M
from reco_core.evaluation.evaluate import Protocol, load_index, load_profile, read_orders
from reco_core.evaluation.leakage import check_leakage
from reco_core.evaluation.scoring import (
    ProgressFn,
    RankerRecommender,
    evaluate_methods,
    known_items,
    metric_key,
)
from reco_core.gate import GateConfig
from reco_core.ranking import Profile

GATED: tuple[str, ...] = (M.HIT, M.MRR)


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    candidate: float
    reference: float
    gated: bool
    passed: bool  # True for a metric that is not gated

    @property
    def relative_change(self) -> float | None:
        return self.candidate / self.reference - 1.0 if self.reference > 0 else None

    def to_dict(self) -> dict:
        return {
            "candidate": self.candidate,
            "reference": self.reference,
            "relative_change": self.relative_change,
            "gated": self.gated,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Comparison:
    candidate: dict[str, str]  # run_id, run_dir
    reference: dict[str, str]
    tolerance: float
    profile: str
    protocol: Protocol
    samples: dict
    metrics: tuple[MetricComparison, ...]
    leakage: dict
    # "by_m" / "by_profession" -> "candidate" / "reference" -> group -> metrics: for the HTML report
    groups: dict[str, dict[str, dict]]

    @property
    def passed(self) -> bool:
        return all(m.passed for m in self.metrics)

    @property
    def rule(self) -> str:
        gated = " and ".join(m.metric for m in self.metrics if m.gated)
        return f"pass if candidate >= reference x (1 - {self.tolerance:g}) on {gated}"

    def to_dict(self) -> dict:
        """JSON-ready (the Airflow gate pushes it to XCom)."""
        return {
            "verdict": "pass" if self.passed else "fail",
            "passed": self.passed,
            "rule": self.rule,
            "tolerance": self.tolerance,
            "candidate": self.candidate,
            "reference": self.reference,
            "profile": self.profile,
            "protocol": self.protocol.to_dict(),
            "samples": self.samples,
            "metrics": {m.metric: m.to_dict() for m in self.metrics},
            "groups": self.groups,
            "leakage": self.leakage,
        }


def compare_runs(
    candidate: Path | str,
    reference: Path | str,
    ventes: Path | str,
    *,
    tolerance: float | None = None,
    profile: Profile | None = None,
    protocol: Protocol | None = None,
    allow_train_orders: bool = False,
    progress: ProgressFn | None = None,
) -> Comparison:
    """Rank the same samples of `ventes` with both runs and apply the gate (see module doc).

    `tolerance`: default the gate's (GateConfig); `profile`: default the API's (DEFAULT_PROFILE of
    the profiles the settings designate); `protocol`: default Protocol() (the original's defaults:
    K=10, m=1, 10000 samples, mode auto).
    Raises RecoError when `ventes` is the training input of either run (unless allowed).
    """
    if tolerance is None:
        tolerance = GateConfig().tolerance
    if not 0 <= tolerance < 1:
        raise RecoError(f"--tolerance must be in [0, 1), got {tolerance}", exit_code=2)
    profile = profile or load_profile()
    protocol = protocol or Protocol()
    runs = load_index(candidate), load_index(reference)
    leakage = check_leakage(ventes, [index.run for index in runs], allow_train_orders=allow_train_orders)
    samples = protocol.draw(read_orders(ventes), known_items(*runs))
    scores = [
        evaluate_methods(
            index,
            samples,
            [RankerRecommender(index, profile)],
            mode=protocol.mode,
            k=protocol.k,
            progress=progress,
        )[0]
        for index in runs
    ]
    cand, ref = (s.overall for s in scores)
    metrics = []
    for name in M.METRICS:
        key = metric_key(name, protocol.k)
        gated = name in GATED
        passed = not gated or cand[key] >= ref[key] * (1.0 - tolerance)
        metrics.append(MetricComparison(key, cand[key], ref[key], gated, passed))
    return Comparison(
        candidate={"run_id": runs[0].run.run_id, "run_dir": str(runs[0].run.run_dir)},
        reference={"run_id": runs[1].run.run_id, "run_dir": str(runs[1].run.run_dir)},
        tolerance=tolerance,
        profile=profile.name,
        protocol=protocol,
        samples=samples.describe(),
        metrics=tuple(metrics),
        leakage=leakage,
        groups={
            group: {"candidate": getattr(scores[0], group), "reference": getattr(scores[1], group)}
            for group in ("by_m", "by_profession")
        },
    )
