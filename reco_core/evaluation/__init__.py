"""Offline evaluation: the ranker and simple baselines on held-out orders, and the run comparison.

    report = evaluate_run(run_dir, holdout, profile=load_profile(), protocol=Protocol(mode="use_order"))
    print(format_evaluation(report.to_dict()))
    verdict = compare_runs(candidate_run, production_run, holdout)  # the gate's tolerance

Modules: sampling (the protocol's samples), metrics (Hit/Recall/MRR@K, pure), baselines (the
method contract and the simple baselines), ease (EASE), scoring (methods on samples, the ranker
adapter, modes), leakage (no training orders), evaluate (`reco eval`), compare (the promotion
gate), report (tables and JSON). docs/quality.md has the protocol, the benchmark and its results.
"""

from reco_core.evaluation.baselines import PROFESSION_AUTO, PROFESSION_NONE, Recommender
from reco_core.evaluation.compare import Comparison, compare_runs
from reco_core.evaluation.evaluate import DEFAULT_PROFILE, EvalReport, Protocol, evaluate_run, load_profile
from reco_core.evaluation.report import format_comparison, format_evaluation

__all__ = [
    "DEFAULT_PROFILE",
    "PROFESSION_AUTO",
    "PROFESSION_NONE",
    "Comparison",
    "EvalReport",
    "Protocol",
    "Recommender",
    "compare_runs",
    "evaluate_run",
    "format_comparison",
    "format_evaluation",
    "load_profile",
]
