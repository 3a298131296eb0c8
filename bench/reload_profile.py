"""Where a reload's time goes, and how long it keeps requests from the GIL (docs/serving.md).

Loads a run the way an API worker does on /reload (serving.runs.build_snapshot in a worker
thread, after the worker's imports, allocator settings and one BLAS thread) several times and
prints, for each reload:

- its wall time, the CPU time of the loading thread (`time.thread_time`: the part that can hold
  the GIL is within it) and of the whole process (the hashing and checking threads included);
- the longest waits of a probe thread that sleeps 0.5 ms in a loop, as a request's thread would
  wait for the GIL (on a busy machine they also include waiting for a core);

then a cProfile of one more reload (the loading thread's functions by own time) and the time of
the first product search (built lazily, on the first GET /products/search).

    .venv/bin/python bench/reload_profile.py --run var/bench/serving/run_..._synthetic
    .venv/bin/python bench/reload_profile.py --items 300000        # builds a synthetic run first
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

import serving.app  # noqa: F401  (what a worker imports: serving/lean.py's settings included)
from reco_core.settings import RecoSettings
from serving.runs import Snapshot, build_snapshot

PROBE_SLEEP = 0.0005


def reload_once(
    run_dir: Path | None, profiles, name: str, seconds: float = 0.0
) -> tuple[Snapshot | None, dict[str, float], list[float]]:
    """One reload with the probe running (`run_dir` None: the probe alone for `seconds`, the
    baseline of a machine that is not idle)."""
    stalls: list[float] = []
    stop = threading.Event()
    out: dict = {"snapshot": None}

    def probe() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            time.sleep(PROBE_SLEEP)
            stalls.append(time.perf_counter() - start - PROBE_SLEEP)

    def load() -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        if run_dir is None:
            time.sleep(seconds)
        else:
            out["snapshot"] = build_snapshot(run_dir, profiles, name)
        out["wall"], out["thread"] = time.perf_counter() - wall, time.thread_time() - cpu

    prober = threading.Thread(target=probe)
    prober.start()
    process = time.process_time()
    loader = threading.Thread(target=load)
    loader.start()
    loader.join()
    out["process"] = time.process_time() - process
    stop.set()
    prober.join()
    return out.pop("snapshot"), out, sorted(stalls, reverse=True)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--run", help="a run directory (default: build a synthetic one)")
    parser.add_argument("--items", type=int, default=300_000)
    parser.add_argument("--reloads", type=int, default=3)
    args = parser.parse_args()
    threadpool_limits(1)  # as the app's lifespan does
    if args.run:
        run_dir = Path(args.run)
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        from synthetic_run import write_synthetic_run

        run_dir = write_synthetic_run(Path(tempfile.mkdtemp(prefix="reload-profile-")), args.items)
    profiles = RecoSettings().profiles()
    name = next(iter(profiles))
    build_snapshot(run_dir, profiles, name)  # the page cache warm, as for a run just written
    _, _, stalls = reload_once(None, profiles, name, seconds=2.0)
    worst = ", ".join(f"{1000 * s:.1f}" for s in stalls[:5])
    print(f"no reload (2 s): probe waits > 5 ms: {sum(s > 0.005 for s in stalls)}, longest (ms): {worst}")
    for i in range(args.reloads):
        _, times, stalls = reload_once(run_dir, profiles, name)
        worst = ", ".join(f"{1000 * s:.1f}" for s in stalls[:5])
        print(
            f"reload {i + 1}: wall {times['wall']:.3f} s, loading thread CPU {times['thread']:.3f} s, "
            f"process CPU {times['process']:.3f} s; probe waits > 5 ms: "
            f"{sum(s > 0.005 for s in stalls)}, longest (ms): {worst}"
        )
    profile = cProfile.Profile()
    profile.enable()
    snapshot = build_snapshot(run_dir, profiles, name)
    profile.disable()
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(15)
    print(text.getvalue())
    start = time.perf_counter()
    snapshot.search.search("plaque", 20)
    print(f"first search (builds the index): {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
