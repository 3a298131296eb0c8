"""Training benchmark: demo warehouse at 10k, 100k and 300k products -> `reco train`.

For each size: generate the demo warehouse, load it into SQLite, extract it (30-day holdout),
then run `reco train` in a child process and read its peak RSS from wait4(). Prints time per
epoch (median), LightFM, pairs and total times, and peak RSS.

Targets on the 2-core reference machine: demo size end to end under 2 minutes; 300k products /
2M orders under 30 minutes and under 8 GB peak RSS.

    .venv/bin/python bench/train_bench.py                         # 10k, 100k, 300k
    .venv/bin/python bench/train_bench.py --sizes 3000:50000      # demo size only
    .venv/bin/python bench/train_bench.py --train-flags "--cold-identity-token 0"
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reco_core import columns as C
from reco_core.demo.generator import generate_demo
from reco_core.warehouse.extract import extract
from reco_core.warehouse.load import write_tables

DEFAULT_SIZES = "10000:100000,100000:700000,300000:2000000"


def _train(data: Path, root: Path, flags: list[str]) -> tuple[float, float, dict]:
    cmd = [
        sys.executable,
        "-m",
        "reco_core.cli",
        "-q",
        "train",
        "--ventes",
        str(data / C.VENTES_FILE),
        "--details",
        str(data / C.DETAILS_FILE),
        "--pairs",
        str(data / C.PAIRS_FILE),
        "--artifact-root",
        str(root),
        *flags,
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"reco train failed with exit code {os.waitstatus_to_exitcode(status)}")
    run_dir = Path(proc.stdout.read().strip())
    params = json.loads((run_dir / "params.json").read_text())
    return seconds, usage.ru_maxrss / 1e6, params  # ru_maxrss is in KiB on Linux -> GB


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="products:orders,... (default: %(default)s)")
    parser.add_argument(
        "--train-flags", default="", help="extra `reco train` flags, e.g. '--max-items 100000'"
    )
    args = parser.parse_args()
    flags = shlex.split(args.train_flags)
    header = (
        "products",
        "orders",
        "items",
        "epochs",
        "s/epoch",
        "lightfm s",
        "pairs s",
        "train s",
        "e2e s",
        "peak RSS GB",
    )
    rows = []
    for spec in args.sizes.split(","):
        n_products, n_orders = (int(v) for v in spec.split(":"))
        with tempfile.TemporaryDirectory(prefix="reco-train-bench-") as tmp:
            base = Path(tmp)
            start = time.perf_counter()
            url = f"sqlite:///{base / 'warehouse.db'}"
            write_tables(url, generate_demo(n_products=n_products, n_orders=n_orders).tables())
            extract(url, base / "data", holdout_days=30)
            prepared = time.perf_counter() - start
            seconds, rss, params = _train(base / "data", base / "artifacts", flags)
            rows.append(
                (
                    n_products,
                    n_orders,
                    params["counts"]["items"],
                    len(params["history"]),
                    f"{statistics.median(h['seconds'] for h in params['history']):.2f}",
                    f"{params['timings']['lightfm']:.1f}",
                    f"{params['timings']['pairs']:.1f}",
                    f"{seconds:.1f}",
                    f"{seconds + prepared:.1f}",
                    f"{rss:.2f}",
                )
            )
            print(f"done {n_products}:{n_orders} ({seconds:.0f} s training)", file=sys.stderr, flush=True)
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for r in (header, *rows):
        print("  ".join(str(v).rjust(w) for v, w in zip(r, widths, strict=True)))
    if flags:
        print(f"train flags: {' '.join(flags)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
