"""The `reco` command line: one sub-command per module of this package.

Each command module exposes `register(subparsers)`, which adds its parser and sets
`func(args) -> int`. Commands only parse flags and call reco_core functions; the logic they
run is the same the DAG tasks and the API run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from reco_core import __version__, logs
from reco_core.errors import RecoError
from reco_core.settings import JobSettings

# Modules of this package that define a command, in the order `reco --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "demo_warehouse",
    "data",
    "catalog",
    "rules",
    "import_baskets",
    "train",
    "precompute",
    "verify_artifacts",
    "promote",
    "rollback",
    "cleanup",
    "eval",
    "gate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reco",
        description="reco-materiaux: basket -> complements recommender (extraction, training, "
        "artifacts, evaluation).",
    )
    parser.add_argument("--version", action="version", version=f"reco-materiaux {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="debug output and tracebacks")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure("WARNING" if args.quiet else "DEBUG" if args.verbose else "INFO")
    try:
        return int(args.func(args) or 0)
    except RecoError as exc:
        if args.verbose or JobSettings().debug:
            raise
        print(f"reco {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"reco {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover - `python -m reco_core.cli`
    sys.exit(main())
