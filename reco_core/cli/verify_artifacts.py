"""`reco verify-artifacts`: check a run's manifest, then the shapes and values of what it holds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reco_core.artifacts.store import default_artifact_root, resolve_run
from reco_core.artifacts.verify import verify_run
from reco_core.errors import ArtifactError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "verify-artifacts",
        help="verify a run: manifest checksums, shapes, dtypes, value ranges",
        description="Exit 0 when the run verifies; otherwise list every problem, one per line.",
    )
    p.add_argument(
        "run",
        nargs="?",
        type=Path,
        help="a run directory, or an artifact root (its run_current, else its latest run); "
        "default: $RECO_ARTIFACT_ROOT or $ARTIFACT_DIR, else ./artifacts",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    run_dir = resolve_run(args.run or default_artifact_root())
    report = verify_run(run_dir)
    for note in report.notes:
        print(f"note: {note}")
    if report.ok:
        print(f"ok: {report.run_id} ({report.n_items} items, {report.n_professions} professions)")
        return 0
    print(f"reco verify-artifacts: {report.run_dir} fails verification:", file=sys.stderr)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    return ArtifactError.exit_code
