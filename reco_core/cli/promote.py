"""`reco promote`: point run_current at a verified run (atomic swap, logged)."""

from __future__ import annotations

import argparse

from reco_core.artifacts.store import promote
from reco_core.cli._artifacts import add_artifact_root, add_promotion_log_args, artifact_root


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "promote",
        help="make a run the current one (refused unless it verifies)",
        description="Swap the run_current symlink atomically to RUN and append to promotions.jsonl.",
    )
    p.add_argument("run", metavar="RUN", help="a run name under the artifact root, or a path to it")
    add_artifact_root(p)
    add_promotion_log_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    entry = promote(artifact_root(args), args.run, actor=args.actor, reason=args.reason)
    if entry is None:
        print(f"{args.run} is already the current run; nothing to do")
    else:
        print(f"promoted {entry.to_run} (previous: {entry.from_run or 'none'})")
    return 0
