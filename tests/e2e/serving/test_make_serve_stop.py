"""`make stop` stops what `make serve-fg` (and so `make demo`) started: the port is free again.

It used to answer "nothing runs" while the foreground server kept port 8080: only `make serve`
wrote the pid file. The targets run as a newcomer runs them, with VAR and the artifact root in
tmp_path; `-o .venv/.installed` keeps make from re-running the setup in a fresh work tree.
"""

from __future__ import annotations

import os
import socket
import subprocess

from helpers.processes import stop_process_group, wait_for_healthz
from serving_server import REPO, SERVICE_VARS, free_port, make_root

MAKE = ["make", "--no-print-directory", "-o", ".venv/.installed"]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_make_stop_frees_the_port_make_serve_fg_holds(tmp_path, templates):
    port = free_port()
    variables = [f"PORT={port}", f"VAR={tmp_path / 'var'}", f"ARTIFACT_ROOT={make_root(tmp_path, templates)}"]
    environ = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    log = tmp_path / "serve-fg.log"
    with open(log, "wb") as out:
        foreground = subprocess.Popen(
            [*MAKE, "serve-fg", *variables],
            cwd=REPO,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_healthz(foreground, f"http://127.0.0.1:{port}", statuses=(200,), why=log.read_text)
        again = subprocess.run(
            [*MAKE, "serve-fg", *variables], cwd=REPO, env=environ, capture_output=True, text=True
        )
        assert again.returncode != 0 and "already serving" in again.stdout  # the pid file is kept
        stop = subprocess.run(
            [*MAKE, "stop", *variables], cwd=REPO, env=environ, capture_output=True, text=True, timeout=60
        )
        assert stop.returncode == 0, stop.stderr
        assert stop.stdout.startswith("stopped pid ") and "make stop: nothing runs" not in stop.stdout, (
            stop.stdout
        )
        foreground.wait(timeout=30)  # uvicorn gone, so make serve-fg returned
        assert port_is_free(port)
        assert not (tmp_path / "var" / "serve.pid").exists()
    finally:
        if foreground.poll() is None:
            stop_process_group(foreground)
