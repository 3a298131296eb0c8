"""`reco train`: the original's training flags, same names and defaults."""

from __future__ import annotations

import argparse
from pathlib import Path

from reco_core import columns as C
from reco_core.artifacts.store import default_artifact_root
from reco_core.cli._common import build_config, default_data_dir
from reco_core.errors import RecoError


def register(subparsers: argparse._SubParsersAction) -> None:
    data_dir = default_data_dir()
    p = subparsers.add_parser(
        "train",
        help="train LightFM + pairs + popularity and write a run directory",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--ventes", type=Path, default=data_dir / C.VENTES_FILE, help="df_ventes_grouped.parquet")
    p.add_argument(
        "--details", type=Path, default=data_dir / C.DETAILS_FILE, help="df_details_produits.parquet"
    )
    p.add_argument(
        "--pairs",
        type=Path,
        default=None,
        help="df_couple_produit.parquet (optional; pairs are derived from the baskets without it)",
    )
    p.add_argument("--artifact-root", type=Path, default=default_artifact_root())
    p.add_argument("--run-tag", default=None, help="suffix of the run name run_YYYYMMDD_HHMMSS_<tag>")
    g = p.add_argument_group("LightFM")
    g.add_argument("--no-components", type=int, default=64)
    g.add_argument("--epochs", type=int, default=30, help="maximum epochs (early stopping may stop sooner)")
    g.add_argument("--lr", type=float, default=0.05)
    g.add_argument("--loss", default="warp", help="warp | bpr | logistic | warp-kos")
    g.add_argument("--threads", type=int, default=8, help="capped at the number of CPUs")
    g.add_argument(
        "--patience", type=int, default=5, help="epochs without validation improvement before stopping"
    )
    b = p.add_argument_group("building & filtering")
    b.add_argument("--min-occ", type=int, default=1, help="minimum sales of a modelled product")
    b.add_argument("--include-all-items", action="store_true", help="model the whole catalogue, sold or not")
    b.add_argument(
        "--cold-identity-token",
        type=int,
        choices=(0, 1),
        default=1,
        help="0: no identity feature for unsold items",
    )
    b.add_argument("--symmetrize-pairs", action="store_true", help="add B->A wherever only A->B is known")
    b.add_argument("--max-items", type=int, default=0, help="keep the N best sellers (0 = no cap)")
    b.add_argument("--topk-per-prof", type=int, default=3000, help="popular items kept per profession")
    b.add_argument(
        "--make-current-symlink", action="store_true", help="promote the run (artifacts/run_current)"
    )
    x = p.add_argument_group("additions")
    x.add_argument("--pair-topk", type=int, default=500, help="pairs kept per item and profession")
    x.add_argument("--pair-alpha", type=float, default=2.0, help="shrinkage of P(B|A) for rarely sold A")
    x.add_argument("--min-pair-count", type=int, default=1, help="drop pairs seen fewer times")
    x.add_argument("--val-baskets", type=int, default=2000, help="held-out baskets for early stopping")
    x.add_argument("--seed", type=int, default=42)
    r = p.add_argument_group("learned relevance (docs/quality.md)")
    r.add_argument(
        "--blend-baskets",
        type=int,
        default=20000,
        help="training orders held out to learn the blend on (at most 1/5 of them); 0 = no learned blend",
    )
    r.add_argument("--blend-samples", type=int, default=10000, help="baskets drawn from them to learn on")
    r.add_argument("--ease-items", type=int, default=20000, help="most sold items of the EASE table")
    r.add_argument("--ease-topk", type=int, default=200, help="EASE entries kept per item")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reco_core.training.config import TrainConfig
    from reco_core.training.pipeline import train

    values = {k: v for k, v in vars(args).items() if k not in {"func", "command", "quiet", "verbose"}}
    values["cold_identity_token"] = bool(values["cold_identity_token"])
    for flag in ("ventes", "details", "pairs"):
        path = values[flag]
        if path is not None and not path.is_file():
            raise RecoError(f"--{flag}: no such file: {path}", exit_code=2)
    run_dir = train(build_config(TrainConfig, values))
    print(run_dir)
    return 0
