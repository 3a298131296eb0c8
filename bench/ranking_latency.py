"""In-process latency of `recommend` on synthetic runs of 10k, 100k and 300k products.

Target (one thread): p99 <= 5 ms at 300k products, k = 10. The runs are built in memory with
the shapes of a real one: 12 professions + ANY, 64-dim embeddings clustered by trade, Zipf-like
popularity, pair rows of up to 500 entries - long for popular items, short in the tail - whose
entries lean towards popular items (drawn with replacement: a row may repeat an item, which
changes nothing for timing). Baskets are drawn by popularity (people buy popular items),
so they hit the long rows. Reverse tables reuse the forward table of another profession (same
shape, different rows): it halves the memory (the process peaks at ~1.1 GB at 300k products)
without making requests cheaper.

    .venv/bin/python bench/ranking_latency.py                 # full table
    .venv/bin/python bench/ranking_latency.py --sizes 10000 --requests 200
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from reco_core.artifacts.run import CsrPairs, RunArtifacts  # noqa: E402
from reco_core.columns import ANY_PROFESSION  # noqa: E402
from reco_core.ranking import BasketParams, RankerIndex, recommend  # noqa: E402

N_PROF, DIM, MAX_ROW, TOP_POPP = 12, 64, 500, 3000
BASKET_SIZES = (1, 3, 10, 30)


def synthetic_run(n_items: int, seed: int = 0) -> RunArtifacts:
    rng = np.random.default_rng(seed)
    rank = rng.permutation(n_items)  # popularity rank of each item (0 = best seller)
    by_rank = np.argsort(rank)
    train_pop = ((1.0 + rank) ** -0.8).astype(np.float32)
    home = rng.integers(0, N_PROF, n_items)
    trades = _unit(rng.standard_normal((N_PROF, DIM)))
    emb = _unit(0.8 * trades[home] + rng.standard_normal((n_items, DIM)) / np.sqrt(DIM)).astype(np.float32)
    affinity = np.where(home[None, :] == np.arange(N_PROF)[:, None], 1.0, 0.1)
    by_prof = train_pop[None, :] * affinity * rng.gamma(2.0, 0.5, (N_PROF, n_items))
    pop_by_prof = (by_prof / by_prof.max(axis=1, keepdims=True)).astype(np.float32)
    top_popp = np.argsort(-pop_by_prof, axis=1, kind="stable")[:, :TOP_POPP].astype(np.int32)
    names = (*(f"METIER_{p:02d}" for p in range(N_PROF)), ANY_PROFESSION)
    pairs = {
        name: _pair_table(rng, rank, by_rank, scale=2.0 if name == ANY_PROFESSION else 1.0) for name in names
    }
    pairs_rev = {name: pairs[names[(i + 1) % len(names)]] for i, name in enumerate(names)}
    item_ids = np.arange(1_000_000, 1_000_000 + n_items, dtype=np.int64)
    gamme = rng.integers(0, max(1, n_items // 30), n_items).astype(np.int64)
    gamme[rng.random(n_items) < 0.05] = -1
    return RunArtifacts(
        run_id=f"synthetic_{n_items}",
        run_dir=Path("/nonexistent"),
        item_ids=item_ids,
        item_index={int(pid): i for i, pid in enumerate(item_ids.tolist())},
        professions=names[:-1],
        item_emb_norm=emb,
        train_pop=train_pop / train_pop.max(),
        pop_by_prof_norm=pop_by_prof,
        top_popp_by_prof=top_popp,
        item_to_gamme=gamme,
        item_is_pl=(rng.random(n_items) < 0.15).astype(np.int8),
        pairs=pairs,
        pairs_rev=pairs_rev,
        product_meta={},
        params={},
        versions={},
    )


def _pair_table(rng: np.random.Generator, rank: np.ndarray, by_rank: np.ndarray, scale: float) -> CsrPairs:
    """Rows of min(500, ~500 x (2000 / (rank + 2000))^0.9) entries: 500 for the best sellers,
    ~20 on average at 300k; entries drawn towards popular items; scores decreasing along a row."""
    n = len(rank)
    lens = np.clip(scale * MAX_ROW * (2000.0 / (rank + 2000.0)) ** 0.9 * rng.uniform(0.5, 1.0, n), 2, MAX_ROW)
    lens = lens.astype(np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = by_rank[(n * rng.random(nnz, dtype=np.float32) ** 3).astype(np.int64).clip(0, n - 1)]
    position = np.arange(nnz) - np.repeat(indptr[:-1], lens)
    top = np.repeat(rng.uniform(0.2, 0.9, n).astype(np.float32), lens)
    scores = (top / np.sqrt(1.0 + position)).astype(np.float32)
    return CsrPairs(indptr=indptr, indices=indices.astype(np.int32), scores=scores)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def measure(
    index: RankerIndex, params: BasketParams, size: int, profession: str | None, n: int
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
    for basket in baskets[:20]:  # warm-up: page in the arrays, fill the allocator
        recommend(index, params, profession, basket, 10)
    wall, cpu = np.empty(n), np.empty(n)
    for i, basket in enumerate(baskets[20:]):
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        recommend(index, params, profession, basket, 10)
        wall[i], cpu[i] = time.perf_counter_ns() - start, time.thread_time_ns() - start_cpu
    return wall / 1e6, cpu / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 300_000])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    params = BasketParams()  # the built-in defaults: README §8 values
    print(f"k=10, built-in default parameters, {args.requests} requests per cell, one thread, ms")
    cell = "{:>8} {:>8} {:>10}"
    print(f"{'':>16} | {'auto-detected profession mix':^28} | {'explicit profession':^28}")
    header = cell.format("p50", "p99", "p99 CPU")
    print(f"{'products':>9} {'basket':>6} | {header} | {header}")
    for n_items in args.sizes:
        t0 = time.perf_counter()
        index = RankerIndex.build(synthetic_run(n_items))
        build = time.perf_counter() - t0
        for size in BASKET_SIZES:
            cells = []
            for profession in (None, index.professions[0]):
                wall, cpu = measure(index, params, size, profession, args.requests)
                stats = (np.percentile(wall, 50), np.percentile(wall, 99), np.percentile(cpu, 99))
                cells.append(cell.format(*(f"{v:.2f}" for v in stats)))
            print(f"{n_items:>9} {size:>6} | {cells[0]} | {cells[1]}")
        print(f"{'':>9} (synthetic run built in {build:.1f} s)")


if __name__ == "__main__":
    main()
