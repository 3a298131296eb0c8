"""`reco import-baskets`: load a public basket dataset into the warehouse tables."""

from __future__ import annotations

import argparse
from pathlib import Path

from reco_core import columns as C


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import-baskets",
        help="replace the warehouse with a dataset folder (baskets.parquet + products.parquet)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("dataset_dir", type=Path, metavar="DATASET_DIR")
    p.add_argument(
        "--warehouse-url", help="SQLAlchemy URL (default: $RECO_WAREHOUSE_URL or var/warehouse.db)"
    )
    p.add_argument(
        "--default-profession", default=C.DEFAULT_PROFESSION, help="profession of unsegmented baskets"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reco_core.warehouse.connect import mask, resolve_warehouse_url
    from reco_core.warehouse.importer import import_baskets

    url = resolve_warehouse_url(args.warehouse_url)
    counts = import_baskets(args.dataset_dir, url, default_profession=args.default_profession)
    print(f"{mask(url)}: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))
    return 0
