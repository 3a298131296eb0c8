"""`reco rollback`: go back to the previous run (or a named one), logged as a rollback."""

from __future__ import annotations

import argparse

from reco_core.artifacts.store import rollback
from reco_core.cli._artifacts import add_artifact_root, add_promotion_log_args, artifact_root


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rollback",
        help="point run_current back at the previous run, or at --to RUN",
        description="The previous run is the one current before the current one, per promotions.jsonl, "
        "skipping runs rolled back from, deleted, or failing verification.",
    )
    p.add_argument("--to", metavar="RUN", help="a run name under the artifact root, or a path to it")
    add_artifact_root(p)
    add_promotion_log_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    entry = rollback(artifact_root(args), args.to, actor=args.actor, reason=args.reason)
    if entry is None:
        print(f"{args.to} is already the current run; nothing to do")
    else:
        print(f"rolled back to {entry.to_run} (from {entry.from_run or 'none'})")
    return 0
