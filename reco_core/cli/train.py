"""`reco train`: the original's training flags, same names and defaults.

Defaults, bounds, choices and help come from TrainConfig's fields (reco_core.cli._fields), the
source the DAG's Params are built from too; only the input paths' defaults are the CLI's own
(files of RECO_DATA_DIR, the artifact root of the settings).
"""

from __future__ import annotations

import argparse

from reco_core import columns as C
from reco_core.artifacts.store import default_artifact_root
from reco_core.cli._common import build_config, default_data_dir
from reco_core.cli._fields import add_field, config_values
from reco_core.errors import RecoError
from reco_core.training.config import TrainConfig

GROUPS: dict[str, tuple[str, ...]] = {
    "LightFM": ("no_components", "epochs", "lr", "loss", "threads", "patience"),
    "building & filtering": (
        "min_occ",
        "include_all_items",
        "cold_identity_token",
        "symmetrize_pairs",
        "max_items",
        "topk_per_prof",
        "make_current_symlink",
    ),
    "additions": ("pair_topk", "pair_alpha", "min_pair_count", "val_baskets", "seed"),
    "learned relevance (docs/quality.md)": ("blend_baskets", "blend_samples", "ease_items", "ease_topk"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    data_dir = default_data_dir()
    p = subparsers.add_parser(
        "train",
        help="train LightFM + pairs + popularity and write a run directory",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_field(p, TrainConfig, "ventes", default=data_dir / C.VENTES_FILE, help="df_ventes_grouped.parquet")
    add_field(
        p, TrainConfig, "details", default=data_dir / C.DETAILS_FILE, help="df_details_produits.parquet"
    )
    add_field(
        p,
        TrainConfig,
        "pairs",
        help="df_couple_produit.parquet (optional; pairs are derived from the baskets without it)",
    )
    add_field(p, TrainConfig, "artifact_root", default=default_artifact_root())
    add_field(p, TrainConfig, "run_tag")
    for title, names in GROUPS.items():
        group = p.add_argument_group(title)
        for name in names:
            add_field(group, TrainConfig, name)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reco_core.training.pipeline import train

    values = config_values(args, TrainConfig)
    for flag in ("ventes", "details", "pairs"):
        path = values[flag]
        if path is not None and not path.is_file():
            raise RecoError(f"--{flag}: no such file: {path}", exit_code=2)
    run_dir = train(build_config(TrainConfig, values))
    print(run_dir)
    return 0
