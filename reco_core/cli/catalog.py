"""`reco catalog`: the catalogue state (branches, stock, delisted products) apart from the model.

    reco catalog extract [--promote]   warehouse -> artifacts/catalog_YYYYMMDD_HHMMSS/ (sealed)
    reco catalog verify [DIR]          manifest, dtypes, shapes, values
    reco catalog promote DIR           atomic swap of catalog_current (refused unless verified)
    reco catalog rollback [--to DIR]   back to the previous state

The API follows catalog_current as it follows run_current (docs/serving.md, "Controls").
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reco_core.catalog.layout import CATALOG
from reco_core.cli._artifacts import add_artifact_root, add_promotion_log_args, artifact_root
from reco_core.cli._versioned import add_store_commands
from reco_core.warehouse.connect import ENV_URL


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "catalog",
        help="extract, verify, promote or roll back the catalogue state (branches, stock, delisted)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND", required=True)
    e = sub.add_parser("extract", help="read agences.sql, stock.sql, statut_produits.sql into a new state")
    e.add_argument("--warehouse-url", help=f"SQLAlchemy URL (default: ${ENV_URL} or var/warehouse.db)")
    e.add_argument(
        "--sql-dir", type=Path, help="folder with adapted agences.sql, stock.sql, statut_produits.sql"
    )
    e.add_argument("--tag", help="suffix of the state's name (catalog_YYYYMMDD_HHMMSS_TAG)")
    e.add_argument("--promote", action="store_true", help="promote the state once written and verified")
    add_artifact_root(e)
    add_promotion_log_args(e)
    e.set_defaults(func=_extract)
    add_store_commands(sub, CATALOG, "catalog")


def _extract(args: argparse.Namespace) -> int:
    from reco_core.artifacts.store import promote
    from reco_core.catalog.extract import extract_catalog
    from reco_core.warehouse.connect import resolve_warehouse_url

    root = artifact_root(args)
    done = extract_catalog(
        resolve_warehouse_url(args.warehouse_url), root, sql_dir=args.sql_dir, tag=args.tag
    )
    c = done.counts
    print(
        f"{done.state_dir}: {c['products']:,} products ({c['delisted']:,} delisted), "
        f"{c['branches']} branches, "
        f"{c['stock_rows_available']:,} available (branch, product) pairs in {done.seconds:.1f} s"
    )
    if args.promote:
        entry = promote(root, done.state_dir, actor=args.actor, reason=args.reason, kind=CATALOG)
        print(
            f"promoted {done.state_dir.name}" + (f" (previous: {entry.from_run or 'none'})" if entry else "")
        )
    return 0
