"""Servers the tests start in their own process group: wait until they answer, stop them whole."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Collection

import httpx


def wait_for_healthz(
    process: subprocess.Popen,
    url: str,
    *,
    statuses: Collection[int] = (200, 503),
    timeout: float = 60,
    why: Callable[[], str] = str,
) -> None:
    """Poll `url`/healthz until it answers one of `statuses`; fail (with `why()`, e.g. the log's
    tail) as soon as the process exits or after `timeout` seconds. 503 = up but not ready."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"the server exited:\n{why()}"
        assert time.monotonic() < deadline, f"{url}/healthz did not answer in {timeout:g} s:\n{why()}"
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=5).status_code in statuses:
                return
        time.sleep(0.2)


def stop_process_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process group (uvicorn workers included), SIGKILL after `timeout` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
