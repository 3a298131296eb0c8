"""Sub-commands shared by the directory kinds promoted like runs (catalogue states, rules):
verify, promote, rollback, cleanup. One implementation over reco_core.artifacts.store with the kind, so
`reco catalog promote` behaves exactly like `reco promote` (refused unless verified, atomic
swap of the kind's link, logged in the kind's promotion log)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reco_core.artifacts.layout import Kind
from reco_core.artifacts.store import cleanup, promote, resolve_run, rollback, verify_dir
from reco_core.cli._artifacts import add_artifact_root, add_promotion_log_args, artifact_root
from reco_core.errors import ArtifactError


def add_store_commands(sub: argparse._SubParsersAction, kind: Kind, command: str) -> None:
    """Add `verify`, `promote` and `rollback` for `kind` to the sub-parsers of `reco <command>`."""
    v = sub.add_parser("verify", help=f"verify a {kind.noun}: manifest, dtypes, shapes, values")
    v.add_argument(
        "path",
        nargs="?",
        type=Path,
        help=f"a {kind.noun} directory, or the artifact root (its {kind.current_link}, else its latest)",
    )
    add_artifact_root(v)
    v.set_defaults(func=_with(kind, command, _verify))
    p = sub.add_parser("promote", help=f"make a {kind.noun} the current one (refused unless it verifies)")
    p.add_argument("name", metavar="DIR", help=f"a {kind.prefix}* name under the artifact root, or a path")
    add_artifact_root(p)
    add_promotion_log_args(p)
    p.set_defaults(func=_with(kind, command, _promote))
    r = sub.add_parser("rollback", help=f"point {kind.current_link} back at the previous {kind.noun}")
    r.add_argument("--to", metavar="DIR", help=f"a {kind.prefix}* name under the artifact root")
    add_artifact_root(r)
    add_promotion_log_args(r)
    r.set_defaults(func=_with(kind, command, _rollback))
    c = sub.add_parser(
        "cleanup", help=f"delete the oldest {kind.prefix}* directories (never the current or previous one)"
    )
    c.add_argument("--keep", type=int, required=True, help="how many of the newest to keep")
    c.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    add_artifact_root(c)
    c.set_defaults(func=_with(kind, command, _cleanup))


def _with(kind: Kind, command: str, fn: Callable[..., int]) -> Callable[[argparse.Namespace], int]:
    return lambda args: fn(args, kind, command)


def _verify(args: argparse.Namespace, kind: Kind, command: str) -> int:
    target = resolve_run(args.path or artifact_root(args), kind)
    report: Any = verify_dir(target, kind)
    if report.ok:
        print(f"ok: {target.name}")
        return 0
    print(f"reco {command} verify: {target} fails verification:", file=sys.stderr)
    for problem in report.problems:
        print(problem, file=sys.stderr)
    return ArtifactError.exit_code


def _promote(args: argparse.Namespace, kind: Kind, command: str) -> int:
    entry = promote(artifact_root(args), args.name, actor=args.actor, reason=args.reason, kind=kind)
    if entry is None:
        print(f"{args.name} is already the current {kind.noun}; nothing to do")
    else:
        print(f"promoted {entry.to_run} (previous: {entry.from_run or 'none'})")
    return 0


def _rollback(args: argparse.Namespace, kind: Kind, command: str) -> int:
    entry = rollback(artifact_root(args), args.to, actor=args.actor, reason=args.reason, kind=kind)
    if entry is None:
        print(f"{args.to} is already the current {kind.noun}; nothing to do")
    else:
        print(f"rolled back to {entry.to_run} (from {entry.from_run or 'none'})")
    return 0


def _cleanup(args: argparse.Namespace, kind: Kind, command: str) -> int:
    result = cleanup(artifact_root(args), args.keep, dry_run=args.dry_run, kind=kind)
    verb = "would delete" if result.dry_run else "deleted"
    names = ", ".join(p.name for p in result.removed_runs) or "nothing"
    print(f"{verb}: {names}; kept {len(result.kept)} {kind.prefix}* directories")
    return 0
