"""Serving load bench: uvicorn with 2 workers on a 300k-product run, wrk as the load generator.

1. Builds a synthetic 300k-product run on disk (bench/synthetic_run.py: the exact run format,
   verified), or reuses one with --run.
2. Serves it with 2 workers and runs wrk (a separate, efficient process; installed with apt-get
   if missing) on POST /recommend_panier: baskets of 3 products drawn by popularity, k = 10,
   expand, 32 connections. Prints requests/s, p50/p90/p99 and errors of two phases:
   - saturated: each connection sends its next request as soon as it has an answer (closed
     loop): the most the server can answer. By Little's law, mean latency = 32 / throughput:
     this phase alone could only show p99 <= 25 ms above ~1300 requests/s;
   - paced: requests sent on a fixed schedule of --rate per second (500/s; each wrk thread hands
     its share of send times to whichever connection is free): the latency clients see at the
     target rate. Latency is timed from the actual send (wrk), so a server falling behind shows
     as a rate below --rate rather than in the percentiles.
3. The paced phase with 10 /reload calls during it (each reloads and re-verifies the whole run
   in one worker): zero errors expected.
4. Memory of each worker, then of one worker alone: RSS, USS and PSS (psutil
   memory_full_info). RSS counts every shared page (the memory-mapped arrays of the run) once
   per process, so the summed RSS of N identical workers is N times one worker's whatever they
   share; PSS splits each shared page between the processes mapping it, so summed PSS is the
   memory the workers really take, and USS what each holds alone. USS also counts the pages of
   the run's files that only one worker has mapped so far (after a reload: those it has read
   through its new mappings and the other worker not yet): the last column, from
   /proc/PID/smaps. They are page cache, shared as soon as the other worker reads them, so the
   private-memory target is checked on USS less that column.

Targets on the 2-core reference machine (issue 17): >= 500 requests/s; p99 <= 25 ms in the paced
phases, the one with 10 reloads included; zero errors; a /reload (request to serving the new run)
<= 1 s; total memory (PSS) of 2 workers <= 1.1 x that of one worker alone, and the private memory
(USS, less the run's file pages it alone maps) of each worker <= 100 MiB. The last lines say
PASS or FAIL for each. The load generator shares the two cores with the server: check that
nothing else runs (`uptime`) before trusting the figures.

    .venv/bin/python bench/serving_load.py                                  # build + full bench
    .venv/bin/python bench/serving_load.py --run var/bench/serving/run_...  # reuse a run
    .venv/bin/python bench/serving_load.py --items 10000 --duration 10      # quick check
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import psutil
from synthetic_run import write_synthetic_run

from reco_core.artifacts import layout as L
from reco_core.artifacts.manifest import read_manifest
from reco_core.artifacts.pickles import load_verified_pickle
from reco_core.artifacts.verify import verify_run

REPO = Path(__file__).resolve().parents[1]
PORT = 8765
N_BODIES = 2000
P99_MS, RELOAD_S, PSS_RATIO, USS_MIB = 25.0, 1.0, 1.1, 100.0  # the targets (module doc)
WRK_THREADS = 2

WRK_SCRIPT = """
local bodies = {%(bodies)s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- Paced phases: this thread hands out send times one interval apart (its share of the rate) to
-- whichever of its connections asks; a connection freed late sends at once, so the offered rate
-- holds while the connections keep up. interval 0 = closed loop (send as soon as answered).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } reco_timespec;
int clock_gettime(int clk_id, reco_timespec *tp);
]]
local ts = ffi.new("reco_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local interval = %(interval_ms)f
local next_at = nil
delay = function()
  if interval == 0 then return 0 end
  local t = now_ms()
  if next_at == nil or next_at < t - 1000 then next_at = t end  -- no backlog older than 1 s
  local wait = next_at - t
  next_at = next_at + interval
  return wait > 0 and wait or 0
end
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, "/recommend_panier", nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "errors": [%%d, %%d, %%d, %%d, %%d], ' ..
    '"p50": %%d, "p90": %%d, "p99": %%d, "max": %%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class LoadResult:
    label: str
    requests: int
    seconds: float
    errors: tuple[int, ...]  # connect, read, write, timeout, non-2xx status
    p50: float
    p90: float
    p99: float
    max: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def row(self) -> str:
        return (
            f"{self.label:<36} {self.rps:>9.0f} {self.p50:>7.2f} {self.p90:>7.2f} {self.p99:>7.2f} "
            f"{self.max:>8.1f} {sum(self.errors):>7} {'/'.join(map(str, self.errors)):>11}"
        )


# --- set-up ------------------------------------------------------------------------------------
def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    print("wrk is not installed: apt-get install -y wrk (Debian package)", flush=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or sys.exit("wrk still not found after apt-get install")


def the_run(args: argparse.Namespace) -> Path:
    if args.run:
        return Path(args.run).resolve()
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    print(f"building a synthetic run of {args.items} products under {root} ...", flush=True)
    start = time.monotonic()
    run_dir = write_synthetic_run(root, args.items)
    report = verify_run(run_dir)
    if not report.ok:
        sys.exit(f"the synthetic run does not verify: {report.summary()}")
    print(f"built and verified {run_dir} in {time.monotonic() - start:.0f} s (reuse it with --run)")
    return run_dir.resolve()


def basket_bodies(
    run_dir: Path, size: int, k: int, seed: int = 0, agences: Sequence[int] | None = None
) -> list[str]:
    """Request bodies with baskets of `size` products drawn by popularity (people buy popular items);
    each at a random branch of `agences` when given (the request controls)."""
    mapping = load_verified_pickle(run_dir, L.MAPPING, read_manifest(run_dir))
    item_ids = np.empty(len(mapping["item_id_map"]), np.int64)
    item_ids[list(mapping["item_id_map"].values())] = list(mapping["item_id_map"].keys())
    by_popularity = item_ids[np.argsort(-np.load(run_dir / L.TRAIN_POP), kind="stable")]
    rng = np.random.default_rng(seed)
    bodies = []
    for _ in range(N_BODIES):
        picks = np.unique((len(item_ids) * rng.random(4 * size) ** 3).astype(np.int64))[:size]
        basket = by_popularity[picks].tolist()
        body = {"profession": None, "product_ids": basket, "k": k, "expand": True}
        if agences:
            body["agence"] = int(agences[int(rng.integers(len(agences)))])
        bodies.append(json.dumps(body))
    return bodies


# --- server ------------------------------------------------------------------------------------
@contextlib.contextmanager
def serving(
    run_dir: Path, workers: int, admin_key: str, log: Path, access_log: bool, shared_socket: bool = False
) -> Iterator[psutil.Process]:
    """The API as `make serve` starts it (`python -m serving`: a listening socket per worker), or,
    with `shared_socket`, as `uvicorn --workers` does (one socket the workers share)."""
    env = {**os.environ, "ARTIFACT_DIR": str(run_dir), "ADMIN_KEY": admin_key, "RECO_LOG_LEVEL": "WARNING"}
    if shared_socket:
        cmd = [sys.executable, "-m", "uvicorn", "serving.app:app", "--timeout-worker-healthcheck", "60"]
    else:
        cmd = [sys.executable, "-m", "serving"]
    cmd += ["--host", "127.0.0.1", "--port", str(PORT), "--workers", str(workers)]
    cmd += [] if access_log else ["--no-access-log"]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        start = time.monotonic()
        wait_ready(process, workers, log)
        print(f"{workers} worker(s) ready in {time.monotonic() - start:.0f} s", flush=True)
        yield psutil.Process(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# in the header of a --shared-socket run
SHARED_SOCKET_NOTE = ", one listening socket shared (uvicorn --workers)"


def add_shared_socket_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shared-socket",
        action="store_true",
        help="serve with `uvicorn --workers` (one listening socket the workers share), for comparison",
    )


def wait_ready(process: subprocess.Popen, workers: int, log: Path, timeout: float = 900) -> None:
    """Until every worker answers: wrk's connections, kept for a whole phase, would otherwise all
    go to the workers already up (a worker listens once it has loaded its run)."""
    deadline = time.monotonic() + timeout
    answered: set[int] = set()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited; see {log}")
        with contextlib.suppress(httpx.HTTPError):  # a fresh connection each time
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=2).status_code == 200:
                answered.add(httpx.get(f"http://127.0.0.1:{PORT}/version", timeout=2).json()["worker_pid"])
                if len(answered) == workers:
                    return
        time.sleep(0.2)
    sys.exit(f"{len(answered)} of {workers} workers ready after {timeout:.0f} s; see {log}")


def workers_of(master: psutil.Process) -> list[psutil.Process]:
    """The uvicorn worker processes (the multiprocessing resource tracker is not one)."""
    return [p for p in master.children() if "spawn_main" in " ".join(p.cmdline())] or [master]


def pair_tables_mib(run: dict) -> float:
    """Bytes of the pair indexes (memory-mapped, shared by the workers): int32 index + float32
    score per pair, int64 row pointers per table; the reverse index has as many pairs as the
    forward one."""
    tables = run["pairs_per_profession"]
    forward = 8 * sum(tables.values()) + 8 * (run["items"] + 1) * len(tables)
    return 2 * forward / 2**20


def memory(processes: list[psutil.Process], run_dir: Path) -> list[dict[str, float]]:
    """RSS, USS and PSS of each process, and `run_alone`: the part of its USS that is pages of
    the run's memory-mapped files no other process maps at that moment (see run_pages_alone)."""
    out = []
    for p in processes:
        m = p.memory_full_info()
        out.append(
            {
                "pid": p.pid,
                "rss": m.rss / 2**20,
                "uss": m.uss / 2**20,
                "pss": m.pss / 2**20,
                "run_alone": run_pages_alone(p, run_dir) / 2**20,
            }
        )
    return out


def run_pages_alone(process: psutil.Process, run_dir: Path) -> int:
    """Bytes of the process's private pages (smaps' Private_Clean + Private_Dirty) in its mappings
    of files under `run_dir`.

    USS counts a page of a shared file mapping as private while only this process has it mapped:
    after a reload, the pages of the run that one worker has read through its new mappings and the
    other not yet. They are the page cache, read-only and shared with the other worker as soon as
    it reads them, not memory this worker holds on its own (issue 17's "private memory")."""
    prefix = f"{run_dir.resolve()}/"
    maps = process.memory_maps()  # grouped by path, from /proc/PID/smaps
    return sum(m.private_clean + m.private_dirty for m in maps if m.path.startswith(prefix))


# --- load --------------------------------------------------------------------------------------
def wrk_script(path: Path, bodies: list[str], rate: float | None) -> Path:
    """A wrk script cycling through `bodies`, paced at `rate` requests/s in all (None: closed loop)."""
    interval_ms = 0.0 if rate is None else 1000 * WRK_THREADS / rate
    bodies_lua = ",\n".join(f"[[{b}]]" for b in bodies)
    path.write_text(WRK_SCRIPT % {"bodies": bodies_lua, "interval_ms": interval_ms})
    return path


def run_wrk(wrk: str, script: Path, seconds: float, connections: int, label: str) -> LoadResult:
    cmd = [wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s"]
    cmd += ["-s", str(script)]
    out = subprocess.run(
        [*cmd, f"http://127.0.0.1:{PORT}"], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    r = json.loads(line.removeprefix("RESULT "))
    return LoadResult(
        label,
        r["requests"],
        r["duration_us"] / 1e6,
        tuple(r["errors"]),
        r["p50"] / 1e3,
        r["p90"] / 1e3,
        r["p99"] / 1e3,
        r["max"] / 1e3,
    )


def reload_once(admin_key: str) -> tuple[int, float]:
    start = time.monotonic()
    response = httpx.post(
        f"http://127.0.0.1:{PORT}/reload", json={}, headers={"X-Admin-Key": admin_key}, timeout=600
    )
    return response.status_code, time.monotonic() - start


def reloads_during(
    admin_key: str, n: int, seconds: float, results: list[tuple[int, float]]
) -> threading.Thread:
    """A thread posting `n` /reload calls spread over `seconds` (each waits for the previous one)."""

    def loop() -> None:
        start = time.monotonic()
        for i in range(n):
            time.sleep(max(0.0, start + (i + 1) * seconds / (n + 1) - time.monotonic()))
            results.append(reload_once(admin_key))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", help="reuse this run directory instead of building one")
    parser.add_argument(
        "--root", default=str(REPO / "var" / "bench" / "serving"), help="where to build the run"
    )
    parser.add_argument("--items", type=int, default=300_000)
    parser.add_argument("--duration", type=float, default=30, help="seconds of each measured load phase")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--basket", type=int, default=3)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--reloads", type=int, default=10)
    parser.add_argument("--rate", type=int, default=500, help="offered requests/s of the paced phases")
    parser.add_argument(
        "--access-log", action="store_true", help="keep uvicorn's access log on (as make serve)"
    )
    add_shared_socket_flag(parser)
    args = parser.parse_args()

    load1 = os.getloadavg()[0]
    print(
        f"load average {load1:.2f} on {os.cpu_count()} cores"
        + (" - other jobs are running" if load1 > 1 else "")
    )
    wrk = ensure_wrk()
    run_dir = the_run(args)
    work = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    bodies = basket_bodies(run_dir, args.basket, args.k)
    saturate = wrk_script(work / "saturate.lua", bodies, None)
    paced = wrk_script(work / "paced.lua", bodies, args.rate)
    admin_key = secrets.token_hex(16)
    log = work / "uvicorn.log"
    results: list[LoadResult] = []
    reload_calls: list[tuple[int, float]] = []

    c = args.connections
    with serving(run_dir, 2, admin_key, log, args.access_log, args.shared_socket) as master:
        run_wrk(wrk, saturate, 5, c, "warm-up")
        results.append(run_wrk(wrk, saturate, args.duration, c, "2 workers, saturated"))
        results.append(run_wrk(wrk, paced, args.duration, c, f"2 workers, paced ({args.rate}/s)"))
        two = memory(workers_of(master), run_dir)
        pairs_mib = pair_tables_mib(httpx.get(f"http://127.0.0.1:{PORT}/version", timeout=10).json()["run"])
        status, one_reload = reload_once(admin_key)
        print(f"one /reload of the run: HTTP {status} in {one_reload:.2f} s", flush=True)
        seconds = max(args.duration, 1.5 * args.reloads * one_reload)
        thread = reloads_during(admin_key, args.reloads, seconds, reload_calls)
        results.append(run_wrk(wrk, paced, seconds, c, f"2 workers, paced, {args.reloads} reloads"))
        thread.join()
        two_after = memory(workers_of(master), run_dir)
    with serving(run_dir, 1, admin_key, log, args.access_log, args.shared_socket) as master:
        run_wrk(wrk, saturate, 5, c, "warm-up")
        results.append(run_wrk(wrk, saturate, args.duration, c, "1 worker, saturated"))
        one = memory(workers_of(master), run_dir)

    access = "on" if args.access_log else "off"
    print(
        f"\nrun {run_dir}, basket {args.basket}, k {args.k}, expand, {args.connections} connections, "
        f"wrk -t2, access log {access}" + (SHARED_SOCKET_NOTE if args.shared_socket else "")
    )
    columns = ("req/s", 9), ("p50 ms", 7), ("p90 ms", 7), ("p99 ms", 7), ("max ms", 8), ("errors", 7)
    print(f"{'phase':<36} " + " ".join(f"{name:>{width}}" for name, width in columns) + f" {'c/r/w/t/s':>11}")
    for result in results:
        print(result.row())
    failed = [s for s, _ in reload_calls if s != 200]
    durations = ", ".join(f"{d:.2f}" for _, d in reload_calls)
    print(f"/reload calls: {len(reload_calls)}, failed {len(failed)}; seconds each: {durations}")
    print(f"\n{'memory (MiB)':<36} {'RSS':>8} {'USS':>8} {'PSS':>8} {'USS in run files':>17}")
    for label, rows in (
        ("2 workers, steady", two),
        ("2 workers, after reloads", two_after),
        ("1 worker alone", one),
    ):
        for row in rows:
            name = f"{label} pid {row['pid']}"
            figures = " ".join(f"{row[key]:>8.0f}" for key in ("rss", "uss", "pss"))
            print(f"{name:<36} {figures} {row['run_alone']:>17.0f}")
    print(f"pair tables (forward + reverse, memory-mapped, shared): {pairs_mib:.0f} MiB")
    for kind in ("rss", "pss"):
        ratio = sum(r[kind] for r in two) / one[0][kind]
        target = f"target <= {PSS_RATIO}" if kind == "pss" else "shared pages counted in each worker"
        print(f"total {kind.upper()} of 2 workers / 1 worker alone: {ratio:.2f} ({target})")
    deaths = log.read_text(errors="replace").count("died")
    print(f"worker processes that died (uvicorn restarted them): {deaths}")
    paced_results = [r for r in results if "paced" in r.label]
    checks = {
        f"p99 <= {P99_MS} ms in the paced phases": all(r.p99 <= P99_MS for r in paced_results),
        "zero errors": not any(sum(r.errors) for r in results) and not failed and not deaths,
        f"/reload <= {RELOAD_S} s": max([one_reload, *(d for _, d in reload_calls)]) <= RELOAD_S,
        f"summed PSS of 2 workers <= {PSS_RATIO} x one worker": sum(r["pss"] for r in two) / one[0]["pss"]
        <= PSS_RATIO,
        f"USS of each worker, less the run's pages it alone has mapped, <= {USS_MIB} MiB": all(
            r["uss"] - r["run_alone"] <= USS_MIB for r in (*two, *two_after)
        ),
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    if deaths or any(sum(r.errors) for r in results):
        print(f"uvicorn log kept: {log}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
