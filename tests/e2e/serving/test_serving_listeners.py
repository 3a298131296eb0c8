"""`python -m serving` gives each worker its own listening socket, and the kernel spreads connections.

Under `uvicorn --workers` both workers hold the same listening socket (one inode): the first test
fails there. The burst of connections is how wrk and a storefront's pool connect; with the shared
socket most of such a burst went to one worker (docs/serving.md, "Several workers").
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
from serving_server import REPO, SERVICE_VARS, make_root, running_server

BURST = 64


def listening_inodes(master_pid: int, port: int) -> dict[int, int]:
    """Worker pid -> inode of its socket listening on `port` (workers not yet listening left out)."""
    found = {}
    for child in psutil.Process(master_pid).children():
        with contextlib.suppress(psutil.Error, FileNotFoundError):  # a worker just killed
            for conn in child.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port:
                    found[child.pid] = os.stat(f"/proc/{child.pid}/fd/{conn.fd}").st_ino
    return found


def wait_for_listeners(master_pid: int, port: int, n: int) -> dict[int, int]:
    deadline = time.monotonic() + 60
    while len(found := listening_inodes(master_pid, port)) < n:
        assert time.monotonic() < deadline, f"{n} workers listening not seen: {found}"
        time.sleep(0.2)
    return found


def test_each_worker_listens_on_its_own_socket_and_a_burst_reaches_both(tmp_path, templates):
    root = make_root(tmp_path, templates)
    with running_server(tmp_path, workers=2, ARTIFACT_DIR=str(root)) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        inodes = wait_for_listeners(srv.process.pid, port, 2)
        assert len(set(inodes.values())) == 2, f"the workers share a listening socket: {inodes}"
        # a burst: 64 connections opened at once, as a pool opens them, then kept alive
        clients = [httpx.Client(base_url=srv.url, timeout=30) for _ in range(BURST)]
        try:
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda c: c.get("/healthz"), clients))
                pids = list(pool.map(lambda c: c.get("/version").json()["worker_pid"], clients))
        finally:
            for client in clients:
                client.close()
    counts = {pid: pids.count(pid) for pid in set(pids)}
    assert set(counts) == set(inodes), counts  # each worker holds some of the burst's connections
    assert min(counts.values()) >= BURST // 8, counts  # by hash: 32 +- 4; under 8 about 1 time in 10^10


def test_a_killed_worker_is_replaced_by_one_with_a_socket_of_its_own(tmp_path, templates):
    root = make_root(tmp_path, templates)
    with running_server(tmp_path, workers=2, ARTIFACT_DIR=str(root)) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        before = wait_for_listeners(srv.process.pid, port, 2)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not set(after := listening_inodes(srv.process.pid, port)) - set(before):
            assert time.monotonic() < deadline, f"no replacement listening: {after}\n{srv.log_tail()}"
            time.sleep(0.2)
        after = wait_for_listeners(srv.process.pid, port, 2)
        assert victim not in after and len(set(after.values())) == 2, (before, after)
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            assert client.get("/healthz").status_code == 200


def test_a_port_already_listened_on_is_refused_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environ = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
        environ["ARTIFACT_DIR"] = str(tmp_path)
        started = subprocess.run(
            [sys.executable, "-m", "serving", "--port", str(port), "--workers", "2"],
            cwd=REPO,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert started.returncode != 0
    assert started.stderr.strip() == (
        f"python -m serving: cannot listen on 127.0.0.1:{port}: Address already in use"
    ), started.stderr


def test_an_invalid_setting_is_named_in_one_line(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    environ |= {"ARTIFACT_DIR": str(tmp_path), "WORKERS": "0"}
    started = subprocess.run(
        [sys.executable, "-m", "serving"], cwd=REPO, env=environ, capture_output=True, text=True, timeout=60
    )
    assert started.returncode != 0
    assert started.stderr.strip().splitlines() == [
        "python -m serving: invalid WORKERS: Input should be greater than or equal to 1"
    ], started.stderr
