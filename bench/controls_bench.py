"""10,000 random requests with random branches on the demo with its catalogue state: nothing
delisted, nothing out of stock at the requested branch, k items whenever the branch has k
sellable candidates.

The demo is built the way production builds it: `reco demo-warehouse` tables in SQLite, `reco
data` (30-day holdout), `reco train`, `reco catalog extract` (agences.sql, stock.sql,
statut_produits.sql), into `--work` (reused when it already holds a run and a catalogue state).
Requests go through rules.apply.recommend_with_controls, the API's path: a basket of 0 to 5
products drawn from the catalogue, a profession (or auto), a branch, k, each at random. Every
answer is checked against the catalogue state by brute force (per item, not with the ranker's
masks).

    .venv/bin/python bench/controls_bench.py                  # 10,000 requests
    .venv/bin/python bench/controls_bench.py --requests 2000 --work var/bench/controls
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from reco_core import columns as C  # noqa: E402
from reco_core.artifacts import store  # noqa: E402
from reco_core.artifacts.loader import load_run  # noqa: E402
from reco_core.catalog.layout import CATALOG  # noqa: E402
from reco_core.catalog.state import load_catalog  # noqa: E402
from reco_core.evaluation import load_profile  # noqa: E402
from reco_core.ranking import DEFAULT_PROFILE, RankerIndex  # noqa: E402
from reco_core.ranking.controls import ControlIndex, Controls  # noqa: E402
from reco_core.rules.apply import recommend_with_controls  # noqa: E402

K_CHOICES = (1, 5, 10, 20, 50)


def build(work: Path, epochs: int) -> Path:
    """The demo's artifact root with run_current and catalog_current promoted."""
    from reco_core.catalog.extract import extract_catalog
    from reco_core.demo.generator import generate_demo
    from reco_core.training.config import TrainConfig
    from reco_core.training.pipeline import train
    from reco_core.warehouse.extract import extract
    from reco_core.warehouse.load import write_tables

    root = work / "artifacts"
    if root.is_dir() and store.current_run(root) and store.current_run(root, CATALOG):
        return root
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / 'warehouse.db'}"
    t0 = time.perf_counter()
    write_tables(url, generate_demo().tables())
    extract(url, work / "data", holdout_days=30)
    run = train(
        TrainConfig(
            ventes=work / "data" / C.VENTES_FILE,
            details=work / "data" / C.DETAILS_FILE,
            pairs=work / "data" / C.PAIRS_FILE,
            artifact_root=root,
            epochs=epochs,
            threads=2,
        )
    )
    store.promote(root, run)
    state = extract_catalog(url, root).state_dir
    store.promote(root, state, kind=CATALOG)
    print(f"demo built in {time.perf_counter() - t0:.0f} s: {run.name}, {state.name}")
    return root


def sellable_matrix(view: ControlIndex) -> np.ndarray:
    """bool [n_branches, n_items], bit by bit from the state's files (not the ranker's masks)."""
    state = view.catalog
    pos = state.positions(view.index.run.item_ids)
    out = np.zeros((len(state.branch_ids), view.index.n_items), dtype=bool)
    listed = np.flatnonzero(pos >= 0)
    p = pos[listed]
    ok = np.asarray(state.delisted)[p] == 0
    for b in range(len(state.branch_ids)):
        bits = (np.asarray(state.bits[b])[p // 8] >> (p % 8)) & 1
        out[b, listed] = (bits == 1) & ok
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=Path("var/bench/controls"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--profile", default=DEFAULT_PROFILE)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    root = build(args.work, args.epochs)
    index = RankerIndex.build(load_run(store.current_run(root)))
    view = ControlIndex.build(index, load_catalog(store.current_run(root, CATALOG)))
    profile = load_profile(args.profile)
    sellable = sellable_matrix(view)
    state, rng = view.catalog, np.random.default_rng(args.seed)
    ids = index.run.item_ids
    rows: dict[int, dict[str, float]] = {
        k: dict.fromkeys(("n", "delisted", "oos", "full", "due", "short_ok", "bad"), 0) for k in K_CHOICES
    }
    times = []
    for _ in range(args.requests):
        b = int(rng.integers(len(state.branch_ids)))
        basket_idx = rng.choice(index.n_items, size=int(rng.integers(0, 6)), replace=False)
        k = int(rng.choice(K_CHOICES))
        profession = [None, *index.professions][int(rng.integers(len(index.professions) + 1))]
        start = time.perf_counter_ns()
        reco = recommend_with_controls(
            view,
            None,
            profile,
            profession,
            ids[basket_idx].tolist(),
            k,
            Controls(agence=int(state.branch_ids[b])),
        )
        times.append((time.perf_counter_ns() - start) / 1e6)
        got = np.array([index.run.item_index[p] for p in reco.product_ids], dtype=np.int64)
        row = rows[k]
        row["n"] += 1
        row["delisted"] += int((~view.sellable[got]).sum()) if len(got) else 0
        row["oos"] += int((~sellable[b, got]).sum()) if len(got) else 0
        enough = int(sellable[b].sum() - sellable[b, basket_idx].sum()) >= k
        row["due"] += enough
        row["full"] += enough and len(got) == k
        row["short_ok"] += (not enough) and len(got) < k and bool(reco.shortfall)
        row["bad"] += (enough and len(got) != k) or ((not enough) and not reco.shortfall)
    print(
        f"{args.requests:,} requests, profile {profile.name}, {len(state.branch_ids)} branches "
        f"({min(b.available for b in state.branches)}-{max(b.available for b in state.branches)} products "
        f"available each), run {index.run.run_id} ({index.n_items:,} items), state {state.state_id}"
    )
    columns = (("k", 4), ("requests", 9), ("delisted", 9), ("out of stock", 13), ("k due", 7), ("k given", 8))
    columns += (("fewer, said why", 16), ("wrong", 6))
    print(" ".join(f"{name:>{width}}" for name, width in columns))
    total = dict.fromkeys(("n", "delisted", "oos", "due", "full", "short_ok", "bad"), 0)
    for k, row in rows.items():
        print(
            f"{k:>4} {row['n']:>9,} {row['delisted']:>9} {row['oos']:>13} {row['due']:>7,} {row['full']:>8,} "
            f"{row['short_ok']:>16,} {row['bad']:>6}"
        )
        for key in total:
            total[key] += row[key]
    print(
        f"{'all':>4} {total['n']:>9,} {total['delisted']:>9} {total['oos']:>13} {total['due']:>7,} "
        f"{total['full']:>8,} {total['short_ok']:>16,} {total['bad']:>6}"
    )
    t = np.array(times)
    print(f"latency per request: p50 {np.percentile(t, 50):.2f} ms, p99 {np.percentile(t, 99):.2f} ms")
    ok = total["delisted"] == 0 and total["oos"] == 0 and total["bad"] == 0 and total["full"] == total["due"]
    print("PASS" if ok else "FAIL")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
