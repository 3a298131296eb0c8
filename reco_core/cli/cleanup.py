"""`reco cleanup`: delete old runs (never the current or previous one) and stale temporaries."""

from __future__ import annotations

import argparse

from reco_core.artifacts.store import cleanup
from reco_core.cli._artifacts import add_artifact_root, artifact_root


def _count(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "cleanup",
        help="delete runs beyond the N newest (never the current or previous run)",
        description="Also removes .tmp-* entries older than an hour (left by interrupted writers).",
    )
    p.add_argument("--keep", type=_count, required=True, metavar="N", help="newest runs to keep")
    add_artifact_root(p)
    p.add_argument("--dry-run", action="store_true", help="only print what would be removed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = cleanup(artifact_root(args), args.keep, dry_run=args.dry_run)
    verb = "would remove" if result.dry_run else "removed"
    for path in (*result.removed_runs, *result.removed_tmp):
        print(f"{verb} {path}")
    print(f"kept {len(result.kept)} run(s): {', '.join(p.name for p in result.kept) or 'none'}")
    return 0
