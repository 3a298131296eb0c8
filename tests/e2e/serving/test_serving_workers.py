"""Two uvicorn workers both follow `reco promote` within RELOAD_CHECK_SECONDS, with no /reload call."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
from serving_server import RUN_A, RUN_B, make_root, running_server

INTERVAL = 1.0
LOAD_SLACK = 2.0  # reading and verifying a tiny run, and a loaded machine


def poll_versions(url: str, n: int) -> dict[int, str]:
    """Worker pid -> run it serves, from n /version calls on fresh connections (each may reach
    either worker: a kept-alive connection would always reach the same one)."""
    answers: dict[int, str] = {}
    for _ in range(n):
        with httpx.Client(base_url=url, timeout=10) as client:
            doc = client.get("/version").json()
        answers[doc["worker_pid"]] = doc["run"]["run_id"]
    return answers


def test_both_workers_serve_the_promoted_run_within_the_interval(tmp_path, templates):
    root = make_root(tmp_path, templates)
    with running_server(
        tmp_path, workers=2, ARTIFACT_DIR=str(root), RELOAD_CHECK_SECONDS=str(INTERVAL)
    ) as srv:
        deadline = time.monotonic() + 30
        while len(before := poll_versions(srv.url, 10)) < 2 or set(before.values()) != {RUN_A}:
            assert time.monotonic() < deadline, (
                f"two workers serving {RUN_A} not seen: {before}\n{srv.log_tail()}"
            )
        promoted = subprocess.run(
            [sys.executable, "-m", "reco_core.cli", "promote", RUN_B, "--artifact-root", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert promoted.returncode == 0, promoted.stderr
        start = time.monotonic()
        latest: dict[int, str] = {}
        while set(latest) != set(before) or set(latest.values()) != {RUN_B}:
            assert time.monotonic() - start < INTERVAL + LOAD_SLACK, (
                f"not converged: {latest}\n{srv.log_tail()}"
            )
            latest.update(poll_versions(srv.url, 4))
        converged = time.monotonic() - start
        after = poll_versions(srv.url, 20)
    assert set(after.values()) == {RUN_B}, after
    assert converged < INTERVAL + LOAD_SLACK
