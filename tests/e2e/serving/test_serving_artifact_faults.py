"""Damaged runs and broken run_current, refused by all three gates: `reco verify-artifacts`,
`reco promote` and `/reload` of a real uvicorn process, which keeps answering from its run.

The files damaged are those the run's own manifest lists (not a list written here), so a change
of the run format is covered as soon as the trainer writes it. In-process verification and
promotion of each damage are tested in tests/unit/artifacts/test_artifact_verify.py; this adds
the command line and the serving process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers.tiny_run import product_id, replace_array
from serving_server import ADMIN_KEY, RUN_A, add_run, admin, make_root, running_server

from reco_core.artifacts import layout as L
from reco_core.artifacts.manifest import read_manifest
from reco_core.cli import main as reco_main

WATCH_SECONDS = 0.5
DAMAGED = "run_20240201_000000"  # + _<fault>-<file>: one run per fault, all under the served root


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _flip(path: Path) -> None:
    """Same size, one byte changed: only the checksum can tell."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncate, "size "),
    "emptied": (_empty, "size 0 bytes"),
    "checksum": (_flip, "sha256 mismatch"),
    "missing": (Path.unlink, "missing"),
}


def _other_dtype(dtype: np.dtype) -> np.dtype:
    if dtype.kind == "f":
        return np.dtype(np.float64 if dtype.itemsize == 4 else np.float32)
    return np.dtype(np.int32 if dtype.itemsize == 8 else np.int64)


RESHAPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "dtype": lambda a: a.astype(_other_dtype(a.dtype)),
    "short": lambda a: np.ascontiguousarray(a[:-1]),
    "extra-dim": lambda a: a[None],
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory, templates):
    base = tmp_path_factory.mktemp("artifact_faults")
    root = make_root(base, templates)
    with running_server(
        base, ARTIFACT_DIR=str(root), ADMIN_KEY=ADMIN_KEY, RELOAD_CHECK_SECONDS=str(WATCH_SECONDS)
    ) as srv:
        yield srv, root, templates[RUN_A]


@pytest.fixture
def client(setup):
    server, root, _ = setup
    with server.client() as c:
        assert os.readlink(root / L.CURRENT_LINK) == RUN_A
        yield c


def run_files(run: Path) -> list[str]:
    names = sorted(read_manifest(run).files)
    assert len(names) >= len(L.RUN_FILES), names  # the manifest lists at least the contract files
    return names


def served_run(client) -> str:
    response = client.post("/recommend_panier", json={"product_ids": [product_id(0)], "k": 2})
    assert response.status_code == 200, response.text
    return response.json()["run_id"]


def reco(capsys, *args: str) -> tuple[int, str]:
    """`reco ARGS` run in this process (what the console script calls): exit code and stderr."""
    code = reco_main(["-q", *args])
    return code, capsys.readouterr().err


def refusals(capsys, client, root: Path, run: Path, needles: tuple[str, ...]) -> list[str]:
    """What each gate did wrong with a damaged `run` (empty when all three refused it, naming a needle)."""

    def names_it(text: str) -> bool:
        return any(needle in text for needle in needles)

    wrong = []
    code, err = reco(capsys, "verify-artifacts", str(run))
    if code != 5 or not names_it(err):
        wrong.append(f"verify-artifacts {run.name}: exit {code}, {err!r}")
    code, err = reco(capsys, "promote", run.name, "--artifact-root", str(root))
    if code != 5 or "fails verification" not in err or not names_it(err):
        wrong.append(f"promote {run.name}: exit {code}, {err!r}")
    if os.readlink(root / L.CURRENT_LINK) != RUN_A:
        wrong.append(f"promote {run.name}: run_current moved")
    response = client.post("/reload", json={"artifact_dir": run.name}, headers=admin())
    detail = response.json()["detail"]
    if response.status_code != 409 or not detail.startswith("artifact_dir: ") or not names_it(detail):
        wrong.append(f"/reload {run.name}: {response.status_code} {detail!r}")
    if served_run(client) != RUN_A:
        wrong.append(f"/reload {run.name}: the server no longer serves {RUN_A}")
    return wrong


@pytest.mark.parametrize("damage", DAMAGES)
def test_each_file_of_the_manifest_damaged_is_refused_by_every_gate(setup, client, capsys, damage):
    _, root, template = setup
    apply, message = DAMAGES[damage]
    wrong = []
    for name in run_files(template):
        run = add_run(root, template, f"{DAMAGED}_{damage}-{name}")
        apply(run / name)
        wrong += refusals(capsys, client, root, run, (f"{name}: {message}",))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("change", RESHAPES)
def test_each_array_of_the_manifest_with_a_wrong_dtype_or_shape_is_refused(setup, client, capsys, change):
    """The manifest is regenerated after the change: only the content checks can catch it."""
    _, root, template = setup
    arrays = [name for name in run_files(template) if name.endswith(".npy")]
    assert len(arrays) >= len(L.PRECOMPUTED)
    wrong = []
    for name in arrays:
        run = add_run(root, template, f"{DAMAGED}_{change}-{name}")
        replace_array(run, name, RESHAPES[change](np.load(run / name)))
        # A pair array's problem may be reported under its index (pair_boost_idx...), not the file.
        wrong += refusals(capsys, client, root, run, (f"{name}: ", name.split(".")[0]))
    assert not wrong, "\n".join(wrong)


def test_a_run_without_manifest_is_refused_by_every_gate(setup, client, capsys):
    _, root, template = setup
    run = add_run(root, template, f"{DAMAGED}_no-manifest")
    (run / L.MANIFEST).unlink()
    assert refusals(capsys, client, root, run, (f"{L.MANIFEST}: missing",)) == []


def _point_current_at(root: Path, target: str) -> None:
    """Replace run_current atomically, as promotion does, with any target."""
    tmp = root / ".tmp-test-link"
    os.symlink(target, tmp)
    os.replace(tmp, root / L.CURRENT_LINK)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("run_20230101_000000", "is dangling"),
        (L.CURRENT_LINK, "is a symlink loop"),
        ("{outside}", "points outside the artifact root"),
    ],
)
def test_a_broken_run_current_is_refused_and_the_served_run_stays(setup, client, tmp_path, target, reason):
    server, root, template = setup
    outside = add_run(tmp_path, template, RUN_A)  # a valid run, but not under the root
    _point_current_at(root, target.format(outside=outside))
    try:
        time.sleep(3 * WATCH_SECONDS)  # the watcher sees the link move, and must keep the old run
        version = client.get("/version").json()
        assert version["run"]["run_id"] == RUN_A and version["ready"] is True, server.log_tail()
        assert version["last_reload"]["trigger"] != "watcher" or version["last_reload"]["ok"] is False
        cli = [sys.executable, "-m", "reco_core.cli", "-q"]
        verified = subprocess.run([*cli, "verify-artifacts", str(root)], capture_output=True, text=True)
        assert verified.returncode == 5 and reason in verified.stderr, verified.stderr
        promoted = subprocess.run(
            [*cli, "promote", L.CURRENT_LINK, "--artifact-root", str(root)], capture_output=True, text=True
        )
        assert promoted.returncode == 5 and promoted.stderr.startswith("reco promote: error: ")
        response = client.post("/reload", json={}, headers=admin())  # what ARTIFACT_DIR designates
        assert response.status_code == 409 and reason in response.json()["detail"], response.text
        response = client.post("/reload", json={"artifact_dir": L.CURRENT_LINK}, headers=admin())
        assert 400 <= response.status_code < 500 and response.json()["detail"].startswith("artifact_dir: ")
        assert served_run(client) == RUN_A
        assert client.get("/healthz").json() == {"ok": True}
    finally:
        _point_current_at(root, RUN_A)


def test_a_damaged_run_behind_run_current_is_not_served(setup, client):
    """A run damaged after its promotion (or a link set by hand): the watcher of each worker tries
    it, says why it failed, and keeps the run it had."""
    _, root, template = setup
    name = max(run_files(template), key=lambda n: (root / RUN_A / n).stat().st_size)
    run = add_run(root, template, f"{DAMAGED}_behind-current")
    _truncate(run / name)
    _point_current_at(root, run.name)
    try:
        deadline = time.monotonic() + 10
        while name not in str((last := client.get("/version").json()["last_reload"])["detail"]):
            assert time.monotonic() < deadline, f"the watcher did not try {run.name}: {last}"
            time.sleep(0.1)
        assert last["trigger"] == "watcher" and last["ok"] is False
        assert served_run(client) == RUN_A
    finally:
        _point_current_at(root, RUN_A)


def test_the_served_run_is_untouched_by_all_this(setup, client):
    """After every refusal above, the process still serves A, and A itself was never modified."""
    _, root, template = setup
    assert served_run(client) == RUN_A
    version = client.get("/version").json()
    assert version["run"]["run_id"] == RUN_A and version["ready"] is True
    assert read_manifest(root / RUN_A) == read_manifest(template)
