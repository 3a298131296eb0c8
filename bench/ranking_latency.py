"""In-process latency of `recommend` on synthetic runs of 10k, 100k and 300k products.

Target (one thread): p99 <= 5 ms at 300k products, k = 10, with and without the controls. With
controls (the last column group): a synthetic catalogue state of `--branches` (200) branches
written to disk and memory-mapped as the API does (bench/synthetic_run.write_synthetic_catalog),
each request at a random branch, through rules.apply.recommend_with_controls (what the API calls):
delisted and unavailable candidates masked, the pool topped up to k. The runs are built in memory with
the shapes of a real one (bench/synthetic_run.py; the process peaks at ~1.1 GB at 300k
products). Baskets are drawn by popularity (people buy popular items), so they hit the long
pair rows.

    .venv/bin/python bench/ranking_latency.py                 # full table
    .venv/bin/python bench/ranking_latency.py --sizes 10000 --requests 200
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from synthetic_run import synthetic_run, write_synthetic_catalog  # noqa: E402

from reco_core.catalog.state import load_catalog  # noqa: E402
from reco_core.evaluation import load_profile  # noqa: E402
from reco_core.ranking import DEFAULT_PROFILE, Profile, RankerIndex, recommend  # noqa: E402
from reco_core.ranking.controls import ControlIndex, Controls  # noqa: E402
from reco_core.rules.apply import recommend_with_controls  # noqa: E402

BASKET_SIZES = (1, 3, 10, 30)


def measure(
    index: RankerIndex,
    profile: Profile,
    size: int,
    profession: str | None,
    n: int,
    view: ControlIndex | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(wall, CPU) latencies in ms of `n` requests with popularity-drawn baskets of `size` items.

    The CPU time of the thread leaves out the time the process was preempted: on a shared
    machine, the wall-clock p99 measures the neighbours as much as the ranker.
    """
    rng = np.random.default_rng(size)
    ids = index.run.item_ids
    by_rank = index.pop_order
    baskets = [
        ids[by_rank[np.unique((len(ids) * rng.random(4 * size) ** 3).astype(np.int64))[:size]]].tolist()
        for _ in range(n + 20)
    ]
    branches = (
        []
        if view is None
        else view.catalog.branch_ids[rng.integers(len(view.catalog.branch_ids), size=n + 20)]
    )

    def call(i: int, basket: list[int]) -> None:
        if view is None:
            recommend(index, profile, profession, basket, 10)
        else:
            reco = recommend_with_controls(
                view, None, profile, profession, basket, 10, Controls(agence=int(branches[i]))
            )
            assert len(reco.items) == 10, reco.shortfall

    for i, basket in enumerate(baskets[:20]):  # warm-up: page in the arrays, fill the allocator
        call(i, basket)
    wall, cpu = np.empty(n), np.empty(n)
    for i, basket in enumerate(baskets[20:]):
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        call(i + 20, basket)
        wall[i], cpu[i] = time.perf_counter_ns() - start, time.thread_time_ns() - start_cpu
    return wall / 1e6, cpu / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", default=DEFAULT_PROFILE, help="a profile of the shipped file")
    parser.add_argument(
        "--branches", type=int, default=200, help="branches of the catalogue state (controls)"
    )
    parser.add_argument("--no-controls", action="store_true", help="leave out the controls column group")
    args = parser.parse_args()
    profile = load_profile(args.profile)  # each basket size takes its bucket
    print(f"k=10, profile {profile.name}, {args.requests} requests per cell, one thread, ms")
    cell = "{:>8} {:>8} {:>10}"
    groups = ["auto-detected profession mix", "explicit profession"]
    if not args.no_controls:
        groups.append(f"controls: random of {args.branches} branches")
    print(f"{'':>16} | " + " | ".join(f"{g:^28}" for g in groups))
    header = cell.format("p50", "p99", "p99 CPU")
    print(f"{'products':>9} {'basket':>6} | " + " | ".join([header] * len(groups)))
    with tempfile.TemporaryDirectory(prefix="ranking-latency-") as tmp:
        for n_items in args.sizes:
            t0 = time.perf_counter()
            index = RankerIndex.build(synthetic_run(n_items))
            build = time.perf_counter() - t0
            view = None
            if not args.no_controls:
                t1 = time.perf_counter()
                state = write_synthetic_catalog(Path(tmp), index.run.item_ids, args.branches)
                view = ControlIndex.build(index, load_catalog(state))  # memory-mapped, as the API
                controls_build = time.perf_counter() - t1
            for size in BASKET_SIZES:
                runs = [(None, None), (index.professions[0], None)] + ([(None, view)] if view else [])
                cells = []
                for profession, controls in runs:
                    wall, cpu = measure(index, profile, size, profession, args.requests, controls)
                    stats = (np.percentile(wall, 50), np.percentile(wall, 99), np.percentile(cpu, 99))
                    cells.append(cell.format(*(f"{v:.2f}" for v in stats)))
                print(f"{n_items:>9} {size:>6} | " + " | ".join(cells))
            note = f"(synthetic run built in {build:.1f} s"
            if view is not None:
                note += f"; {args.branches}-branch catalogue state written, loaded in {controls_build:.1f} s"
            print(f"{'':>9} {note})")


if __name__ == "__main__":
    main()
