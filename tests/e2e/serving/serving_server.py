"""Helpers of the serving end-to-end tests: the real API process (`python -m serving`, uvicorn)
serving tiny runs, over HTTP.

Two template runs are built once per session and copied into each test's artifact root:
A (6 items) and B (12 items). Their product ids overlap on the first 6 items only and their
labels say which run they come from ("A produit ..."), so any answer can be checked against
the run it claims (`run_id`).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from helpers.processes import stop_process_group, wait_for_healthz
from helpers.tiny_run import make_tiny_run, product_id, replace_file, replace_product_meta

from reco_core.artifacts import layout as L
from reco_core.ranking import Profile, load_profiles
from reco_core.settings import SHIPPED_PROFILES

RUN_A, RUN_B, RUN_C = "run_20240101_000000", "run_20240102_000000", "run_20240103_000000"
ITEMS = {RUN_A: 6, RUN_B: 12}
ADMIN_KEY = "s3cret-admin-key"
TRAINING = {"best_epoch": 3, "best_val_hit@10": 0.25, "timings": {"lightfm": 1.5, "pairs": 0.25}}
REPO = Path(__file__).resolve().parents[3]
# Variables of the service that the test process may have in its environment: never inherited.
SERVICE_VARS = (
    "PORT",
    "HOST",
    "WORKERS",
    "ARTIFACT_DIR",
    "RECO_ARTIFACT_ROOT",
    "ADMIN_KEY",
    "ALLOW_UNAUTHENTICATED_RELOAD",
    "PANIER_PARAMS_PATH",
    "PANIER_PROFILE",
    "RELOAD_CHECK_SECONDS",
    "CORS_ALLOW_ORIGINS",
    "MAX_BODY_BYTES",
)


def shipped_profile(name: str) -> Profile:
    """A profile of reco_core/ranking/panier_params.json as reco_core resolves it (the file is being tuned:
    tests compare with it rather than with copied values)."""
    return load_profiles(SHIPPED_PROFILES)[name]


def ids_of(run: str) -> set[int]:
    return {product_id(i) for i in range(ITEMS[run])}


def label_tag(run: str) -> str:
    return "A" if run == RUN_A else "B"


def make_templates(base: Path) -> dict[str, Path]:
    """Runs A and B, labels tagged with the run, training metrics in params.json."""
    runs = {}
    for name, n_items in ITEMS.items():
        run_dir = make_tiny_run(base, name, n_items=n_items)
        meta = json.loads(gzip.decompress((run_dir / L.PRODUCT_META).read_bytes()))
        for pid, fields in meta.items():
            fields["LIB_PRODUIT"] = f"{label_tag(name)} produit {pid}"
        replace_product_meta(run_dir, meta)
        replace_file(run_dir, L.PARAMS, json.dumps(TRAINING | {"run_id": name}).encode())
        runs[name] = run_dir
    return runs


def add_run(root: Path, template: Path, name: str | None = None) -> Path:
    return Path(shutil.copytree(template, root / (name or template.name)))


def make_root(base: Path, templates: dict[str, Path]) -> Path:
    """An artifact root holding runs A and B, run_current -> A."""
    path = base / "artifacts"
    path.mkdir()
    for template in templates.values():
        add_run(path, template)
    os.symlink(RUN_A, path / L.CURRENT_LINK)
    return path


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(log_dir: Path, workers: int = 1, **env: str) -> Iterator[Server]:
    """`python -m serving` with `env` (service variables in upper case), stopped on exit.

    Returns once /healthz answers (200 or 503): the app has finished starting up.
    """
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    environ.update(env, RECO_LOG_LEVEL="INFO")
    log = log_dir / f"uvicorn-{port}.log"
    cmd = [sys.executable, "-m", "serving", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-access-log"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cmd, env=environ, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_for_healthz(process, server.url, why=server.log_tail)
        yield server
    finally:
        stop_process_group(process)


def admin(key: str = ADMIN_KEY) -> dict[str, str]:
    return {"X-Admin-Key": key}
