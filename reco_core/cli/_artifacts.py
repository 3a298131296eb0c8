"""Flags shared by the artifact-store commands: --artifact-root, and --reason/--actor of the promotion log."""

from __future__ import annotations

import argparse
from pathlib import Path

from reco_core.artifacts.store import default_artifact_root


def add_artifact_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--artifact-root",
        type=Path,
        default=None,
        help="directory of the run_* directories and run_current "
        "(default: $RECO_ARTIFACT_ROOT or $ARTIFACT_DIR, else ./artifacts)",
    )


def artifact_root(args: argparse.Namespace) -> Path:
    """The root given on the command line, else from the environment at run time."""
    return args.artifact_root or default_artifact_root()


def add_promotion_log_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", help="why, recorded in the promotion log")
    parser.add_argument("--actor", help="who, recorded in the promotion log (default: user@host)")
