"""In-process latency of `recommend` on synthetic runs of 10k, 100k and 300k products.

Target (one thread): p99 <= 5 ms at 300k products, k = 10, with and without the controls. With
controls (the last column group): a synthetic catalogue state of `--branches` (200) branches
written to disk and memory-mapped as the API does (bench/synthetic_run.write_synthetic_catalog),
each request at a random branch, through rules.apply.recommend_with_controls (what the API calls):
delisted and unavailable candidates masked, the pool topped up to k. The runs are built in memory with
the shapes of a real one (bench/synthetic_run.py; the process peaks at ~1.1 GB at 300k
products). Baskets are drawn by popularity (people buy popular items), so they hit the long
pair rows.

`--compare REF` times this checkout against another one (REF: e.g. a `git worktree` of the
commit before a change) on the same synthetic run, written to disk once and loaded by each side
with its own code, in two worker processes. Each cell is measured in rounds that alternate the
two sides, so that both see the same machine; it prints each side's p50 (wall and thread CPU)
and the new/old ratio of the CPU p50, the ranking's cost without the preemption a shared machine
adds.

    .venv/bin/python bench/ranking_latency.py                 # full table
    .venv/bin/python bench/ranking_latency.py --sizes 10000 --requests 200
    .venv/bin/python bench/ranking_latency.py --compare ../ref --sizes 300000
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import IO, Any  # noqa: E402

import numpy as np  # noqa: E402

# Only what every version of reco_core has since the learned blend: a --compare worker runs this
# file against another checkout's package (the controls and the synthetic runs are imported where
# used, by this checkout only).
from reco_core.evaluation import load_profile  # noqa: E402
from reco_core.ranking import DEFAULT_PROFILE, Profile, RankerIndex, recommend  # noqa: E402

BASKET_SIZES = (1, 3, 10, 30)
ROOT = Path(__file__).resolve().parents[1]


def measure(
    index: RankerIndex,
    profile: Profile,
    size: int,
    profession: str | None,
    n: int,
    view: Any = None,
    round_: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(wall, CPU) latencies in ms of `n` requests with popularity-drawn baskets of `size` items.

    The CPU time of the thread leaves out the time the process was preempted: on a shared
    machine, the wall-clock p99 measures the neighbours as much as the ranker.
    """
    rng = np.random.default_rng([size, round_])
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
        from reco_core.ranking.controls import Controls
        from reco_core.rules.apply import recommend_with_controls

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


def worker(run_dir: str, profile_name: str) -> None:
    """--compare's worker: load the run with the reco_core on the path, then time the cells asked
    on stdin (one JSON line each), answering one JSON line of latencies each."""
    import reco_core
    from reco_core.artifacts.loader import load_run

    index = RankerIndex.build(load_run(run_dir))
    profile = load_profile(profile_name)
    reply(sys.stdout, {"package": str(Path(reco_core.__file__).parent)})
    for line in sys.stdin:
        ask = json.loads(line)
        profession = index.professions[0] if ask["explicit"] else None
        wall, cpu = measure(index, profile, ask["size"], profession, ask["n"], round_=ask["round"])
        reply(sys.stdout, {"wall": wall.tolist(), "cpu": cpu.tolist()})


def reply(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def compare(ref: Path, sizes: list[int], requests: int, profile: str, rounds: int = 4) -> None:
    """New/old p50 per cell, this checkout against `ref`, on one synthetic run per size."""
    from synthetic_run import write_synthetic_run

    if not (ref / "reco_core").is_dir():
        sys.exit(f"--compare: {ref} is not a checkout of this project (no reco_core/ in it)")
    for checkout in (ref, ROOT):
        _build_kernels(checkout)
    print(f"k=10, profile {profile}, {requests} requests per cell and side, in {rounds} alternating rounds")
    print("p50 in ms (wall / thread CPU); ratio = new / old CPU p50\n")
    head = f"{'products':>9} {'basket':>6} {'profession':>10} | {'old':>13} | {'new':>13} | {'ratio':>5}"
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory(prefix="ranking-compare-") as tmp:
        for n_items in sizes:
            run_dir = write_synthetic_run(Path(tmp), n_items)
            sides = {
                "old": _start_worker(ref, run_dir, profile),
                "new": _start_worker(ROOT, run_dir, profile),
            }
            for size in BASKET_SIZES:
                for explicit in (False, True):
                    p50 = _compare_cell(sides, {"size": size, "explicit": explicit}, requests, rounds)
                    cells = " | ".join(
                        f"{p50[name][0]:>6.2f}/{p50[name][1]:<6.2f}" for name in ("old", "new")
                    )
                    kind = "explicit" if explicit else "auto"
                    ratio = p50["new"][1] / p50["old"][1]
                    print(f"{n_items:>9} {size:>6} {kind:>10} | {cells} | {ratio:>5.2f}", flush=True)
            for proc in sides.values():
                proc.stdin.close()
                proc.wait()


def _build_kernels(checkout: Path) -> None:
    """Compile a checkout's ranking kernels into its tree when they are missing or older than their
    source (a `git worktree` has none): its worker imports its package from there. The checkout's
    own pyproject.toml builds them (pip wheel); the compiled module is taken out of the wheel."""
    source = checkout / "reco_core" / "ranking" / "kernels.pyx"
    built = list(source.parent.glob("kernels.*.so"))
    if not source.exists() or any(so.stat().st_mtime >= source.stat().st_mtime for so in built):
        return
    print(f"--compare: compiling the kernels of {checkout} (pip wheel, about 20 s)", flush=True)
    with tempfile.TemporaryDirectory(prefix="kernels-") as tmp:
        pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp, str(checkout)]
        if subprocess.run(pip).returncode != 0:
            sys.exit(f"--compare: pip could not build {checkout} (its output is above)")
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.startswith("reco_core/ranking/kernels.") and name.endswith(".so"):
                    archive.extract(name, checkout)


def _compare_cell(
    sides: dict[str, subprocess.Popen[str]], cell: dict[str, Any], requests: int, rounds: int
) -> dict[str, tuple[float, float]]:
    """Each side's (wall, CPU) p50 of one cell, the sides taking turns round after round."""
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    for round_ in range(rounds):
        for name, proc in sides.items():
            answer = _ask(proc, {**cell, "n": requests // rounds, "round": round_})
            wall[name] += answer["wall"]
            cpu[name] += answer["cpu"]
    return {name: (float(np.median(wall[name])), float(np.median(cpu[name]))) for name in sides}


def _start_worker(checkout: Path, run_dir: Path, profile: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    args = [sys.executable, __file__, "--worker", str(run_dir), "--profile", profile]
    proc = subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    hello = _ask(proc, None)
    if Path(hello["package"]).resolve() != (checkout / "reco_core").resolve():
        sys.exit(f"--compare: the worker for {checkout} imported {hello['package']}")
    return proc


def _ask(proc: subprocess.Popen[str], ask: dict[str, Any] | None) -> dict[str, Any]:
    if ask is not None:
        proc.stdin.write(json.dumps(ask) + "\n")
        proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        sys.exit(f"--compare: a worker stopped (exit code {proc.wait()})")
    return json.loads(line)


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
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="REF",
        help="time this checkout against the checkout REF (new/old p50)",
    )
    parser.add_argument("--worker", metavar="RUN_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.profile)
    if args.compare:
        return compare(args.compare.resolve(), args.sizes, args.requests, args.profile)
    from synthetic_run import synthetic_run, write_synthetic_catalog

    from reco_core.catalog.state import load_catalog
    from reco_core.ranking.controls import ControlIndex

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
