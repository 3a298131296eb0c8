"""`reco demo-warehouse`: generate the demo BTP warehouse and load it (SQLite by default)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo-warehouse",
        help="generate a demo building-materials warehouse and load it",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--warehouse-url", help="SQLAlchemy URL (default: $RECO_WAREHOUSE_URL or var/warehouse.db)"
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--n-products", type=int, default=3000)
    p.add_argument("--n-orders", type=int, default=50_000)
    p.add_argument("--n-branches", type=int, default=20, help="branches (agences) with their stock")
    p.add_argument(
        "--kits-out",
        type=Path,
        default=Path("var/demo_kits.json"),
        help="planted kits (JSON); the planted own-brand twins go beside it (demo_twins.json)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reco_core.demo.generator import generate_demo, twins_path, write_kits, write_twins
    from reco_core.warehouse.connect import mask, resolve_warehouse_url
    from reco_core.warehouse.load import write_tables

    url = resolve_warehouse_url(args.warehouse_url)
    demo = generate_demo(
        seed=args.seed, n_products=args.n_products, n_orders=args.n_orders, n_branches=args.n_branches
    )
    counts = write_tables(url, demo.tables())
    write_kits(demo.kits, args.kits_out)
    write_twins(demo.twins, twins_path(args.kits_out))
    print(
        f"{mask(url)}: {counts['products']:,} products, {counts['customers']:,} customers, "
        f"{counts['orders']:,} orders, {counts['order_lines']:,} lines, {counts['agences']} branches "
        f"({counts['stock']:,} stock rows); "
        f"{len(demo.kits)} planted kits -> {args.kits_out}, "
        f"{len(demo.twins)} own-brand twins -> {twins_path(args.kits_out)}"
    )
    return 0
