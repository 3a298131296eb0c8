"""The API image's CMD and HEALTHCHECK, run as written in Dockerfile.api with its ENV, on this
machine's venv instead of the image's (no Docker engine here): the launcher (`python -m serving`)
starts $WORKERS uvicorn workers, the probe fails while no run is served and passes once a run is
promoted, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
from helpers.airflow_support import free_port
from helpers.deploy import BIN, REPO, dockerfile_instructions, final_stage_env, instruction_words
from helpers.tiny_run import make_tiny_run

from reco_core.artifacts import layout as L

DOCKERFILE = REPO / "Dockerfile.api"


def _commands() -> tuple[list[str], list[str], dict[str, str]]:
    """CMD words, HEALTHCHECK's CMD words, and the final stage's ENV."""
    instructions = dockerfile_instructions(DOCKERFILE)
    (cmd,) = [ins for ins in instructions if ins.keyword == "CMD"]
    (health,) = [ins for ins in instructions if ins.keyword == "HEALTHCHECK"]
    _, _, probe = health.args.partition(" CMD ")
    return instruction_words(cmd.args), instruction_words(probe.strip()), final_stage_env(instructions)


def _probe(words: list[str], env: dict[str, str]) -> int:
    return subprocess.run(words, env=env, capture_output=True, timeout=30, check=False).returncode


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)


def _workers(pid: int) -> list[psutil.Process]:
    """uvicorn's worker processes (multiprocessing's resource tracker is a child too)."""
    return [child for child in psutil.Process(pid).children() if "spawn_main" in " ".join(child.cmdline())]


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.TransportError:
        return False
    return True


def test_image_command_serves_and_healthcheck_follows_readiness(tmp_path: Path) -> None:
    cmd, probe, image_env = _commands()
    root = tmp_path / "artifacts"
    root.mkdir()
    port = free_port()
    env = {
        **image_env,
        # The image's venv is this one; loopback only in a test (the image listens on 0.0.0.0).
        "PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": "2",
        "RECO_ARTIFACT_ROOT": str(root),
        "ADMIN_KEY": "k" * 32,
        "RELOAD_CHECK_SECONDS": "0.2",
    }
    log = tmp_path / "api.log"
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=out, stderr=out, start_new_session=True)
    try:
        _wait(
            lambda: _answers(f"http://127.0.0.1:{port}/healthz") or process.poll() is not None, 90, "uvicorn"
        )
        assert process.poll() is None, log.read_text()
        # the launcher itself is the image's process (no shell), and runs $WORKERS worker processes
        assert psutil.Process(process.pid).cmdline()[-2:] == ["-m", "serving"]
        _wait(lambda: len(_workers(process.pid)) == 2, 30, "2 workers")

        assert _probe(probe, env) != 0, "healthy with no run to serve"
        make_tiny_run(root)
        os.symlink("run_20240101_000000", root / L.CURRENT_LINK)
        _wait(lambda: _probe(probe, env) == 0, 60, "the healthcheck to pass once a run is promoted")

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
