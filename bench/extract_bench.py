"""Extraction benchmark: demo warehouse (300k products, 2M orders) in PostgreSQL -> `reco data`.

Targets on the 2-core reference machine: extraction under 5 minutes and under 3 GB peak RSS.
Each step runs in its own child process and its peak RSS is read from os.wait4 for that child
alone. The parent stays small on purpose: a child started from a large parent inherits the
parent's high-water mark at exec on Linux, which would inflate the figure.

    .venv/bin/python bench/extract_bench.py                                   # full size
    .venv/bin/python bench/extract_bench.py --n-products 3000 --n-orders 50000   # quick run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from reco_core import columns as C

PG_ADMIN_URL = os.environ.get("RECO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TARGET_SECONDS, TARGET_RSS_GB = 300, 3.0


def _load(url: str, seed: int, n_products: int, n_orders: int) -> None:
    """Child step: generate the demo warehouse and load it into `url`."""
    from reco_core.demo.generator import generate_demo
    from reco_core.warehouse.load import write_tables

    write_tables(url, generate_demo(seed=seed, n_products=n_products, n_orders=n_orders).tables())


def _run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of `command` run as a child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"step failed ({child.returncode}): {' '.join(command)}")
    return time.perf_counter() - start, usage.ru_maxrss * 1024 / 1e9  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-products", type=int, default=300_000)
    parser.add_argument("--n-orders", type=int, default=2_000_000)
    parser.add_argument("--holdout-days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the benchmark database")
    parser.add_argument("--load-into", metavar="URL", help=argparse.SUPPRESS)  # the child step
    args = parser.parse_args()
    if args.load_into:
        _load(args.load_into, args.seed, args.n_products, args.n_orders)
        return 0

    name = f"reco_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    sizes = ["--n-products", str(args.n_products), "--n-orders", str(args.n_orders), "--seed", str(args.seed)]
    try:
        load = _run([sys.executable, __file__, "--load-into", url, *sizes])
        with tempfile.TemporaryDirectory(prefix="reco-bench-") as out:
            command = [sys.executable, "-m", "reco_core.cli", "-q", "data", "--warehouse-url", url]
            extraction = _run([*command, "--dir_data", out, "--holdout-days", str(args.holdout_days)])
            summary = json.loads((Path(out) / C.EXTRACTION_SUMMARY_FILE).read_text())
    finally:
        with admin.connect() as conn:
            if not args.keep_db:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    counts = summary["counts"]
    print(f"\n{args.n_products:,} products, {counts['orders']:,} orders, {counts['lines']:,} order lines")
    print(f"{'step':<36} {'seconds':>8} {'peak RSS':>9}")
    for step, (seconds, peak) in (
        ("generate_demo + load PostgreSQL", load),
        ("extract: reco data --holdout-days", extraction),
    ):
        print(f"{step:<36} {seconds:>8.1f} {peak:>7.2f} GB")
    print("extraction steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in summary["timings_s"].items()))
    print(
        "files: "
        + ", ".join(f"{k} {v['rows']:,} rows {v['bytes'] / 1e6:.1f} MB" for k, v in summary["files"].items())
    )
    ok = extraction[0] < TARGET_SECONDS and extraction[1] < TARGET_RSS_GB
    print(f"targets (< {TARGET_SECONDS} s, < {TARGET_RSS_GB:.0f} GB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
