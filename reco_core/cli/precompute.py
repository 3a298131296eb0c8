"""`reco precompute RUN`: recompute a run's embeddings and popularities from its model."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "precompute", help="recompute item_emb_norm / popularities of a run from model.pkl"
    )
    p.add_argument("run", type=Path, help="run directory, or an artifact root (run_current, else latest run)")
    p.add_argument(
        "--topk-per-prof", type=int, default=None, help="default: the value the run was trained with"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reco_core.artifacts.store import resolve_run
    from reco_core.training.precompute import save_precomputed

    run_dir = resolve_run(args.run)
    written = save_precomputed(run_dir, topk_per_prof=args.topk_per_prof)
    print(f"{run_dir}: rewrote {', '.join(written)}")
    return 0
