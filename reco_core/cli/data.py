"""`reco data`: extract the contract Parquet files (and the holdout) from the warehouse."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from reco_core.cli._common import default_data_dir
from reco_core.warehouse.connect import DEFAULT_DATABASE, ENV_URL


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "data",
        help="extract the contract Parquet files (ventes, details, pairs, holdout) from the warehouse",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    source = p.add_argument_group(
        "warehouse (first given wins: --warehouse-url, --nom_serveur, $" + ENV_URL + ")"
    )
    source.add_argument("--warehouse-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db")
    source.add_argument(
        "--nom_serveur", help="SQL Server name, reached through ODBC Driver 18 (Windows auth)"
    )
    source.add_argument("--database", help=f"database on --nom_serveur (default {DEFAULT_DATABASE})")
    source.add_argument("--sql-dir", type=Path, help="folder with adapted ventes.sql and details.sql")
    p.add_argument("--dir_data", type=Path, default=default_data_dir())
    p.add_argument("--since", type=iso_date, help="first order day kept (YYYY-MM-DD)")
    p.add_argument("--until", type=iso_date, help="last order day kept (YYYY-MM-DD, inclusive)")
    p.add_argument("--holdout-days", type=int, default=0, help="hold out the orders of the last N days")
    p.add_argument(
        "--holdout-frac", type=float, default=0.0, help="hold out this share of orders (by id hash)"
    )
    p.add_argument("--seed", type=int, default=42, help="seed of --holdout-frac")
    p.add_argument("--min-pair-count", type=int, default=1, help="drop pairs bought together fewer times")
    p.add_argument("--chunk-rows", type=int, default=200_000, help="rows fetched per round trip")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reco_core import columns as C
    from reco_core.warehouse.connect import resolve_warehouse_url
    from reco_core.warehouse.extract import extract

    url = resolve_warehouse_url(args.warehouse_url, args.nom_serveur, args.database)
    summary = extract(
        url,
        args.dir_data,
        since=args.since,
        until=args.until,
        holdout_days=args.holdout_days,
        holdout_frac=args.holdout_frac,
        seed=args.seed,
        min_pair_count=args.min_pair_count,
        chunk_rows=args.chunk_rows,
        sql_dir=args.sql_dir,
    )
    counts, files = summary.counts, summary.files
    rows = {name: files.get(name, {}).get("rows", 0) for name in (C.VENTES_FILE, C.HOLDOUT_FILE)}
    print(
        f"{args.dir_data}: {counts['training_orders']:,} training orders ({rows[C.VENTES_FILE]:,} rows), "
        f"{counts['holdout_orders']:,} holdout orders ({rows[C.HOLDOUT_FILE]:,} rows), "
        f"{files[C.DETAILS_FILE]['rows']:,} products, {files[C.PAIRS_FILE]['rows']:,} pairs "
        f"in {summary.timings_s['total']:.1f} s"
    )
    return 0
