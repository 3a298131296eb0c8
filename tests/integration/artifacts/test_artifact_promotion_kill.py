"""`reco promote` SIGKILLed at every step of the swap: the store stays consistent, and promoting
again finishes the job.

Each step is the Nth call of one of the system calls promotion makes (os.symlink of the
temporary link, os.replace onto run_current, os.fsync of the directory and of the log, os.write
of the log line), killed before or after it; N walks up until the command completes without
reaching it, so a step added to promotion is covered without editing this test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.tiny_run import make_tiny_run

from reco_core.artifacts import layout as L
from reco_core.artifacts.store import current_run, previous_run, promote, read_promotion_log
from reco_core.artifacts.verify import verify_run
from reco_core.fsutil import TMP_PREFIX

A, B = "run_20240101_000000", "run_20240102_000000"
SIGKILL_AT = Path(__file__).resolve().parents[2] / "helpers" / "sigkill_at.py"
STEPS = ["os.symlink", "os.replace", "os.fsync", "os.write"]


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("promotion_kill")
    for name in (A, B):
        make_tiny_run(base, name)
    return base


def fresh_root(templates: Path, where: Path) -> Path:
    """A root with runs A and B, A promoted (and logged)."""
    root = where / "artifacts"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for name in (A, B):
        shutil.copytree(templates / name, root / name)
    promote(root, A, actor="test")
    return root


def reco(*args: str, kill: tuple[str, int, str] | None = None) -> subprocess.CompletedProcess:
    prefix = [str(SIGKILL_AT), kill[0], str(kill[1]), kill[2], "--"] if kill else ["-m", "reco_core.cli"]
    return subprocess.run([sys.executable, *prefix, "-q", *args], capture_output=True, text=True, timeout=120)


def assert_consistent(root: Path) -> str:
    """run_current designates a complete, verified run; no torn log line; nothing half-made under a
    final name (temporary names are allowed: the clean-up removes them once stale)."""
    current = current_run(root)
    assert current is not None and current.name in (A, B)
    assert verify_run(current).ok
    for line in (root / L.PROMOTION_LOG).read_text().splitlines():
        json.loads(line)
    finals = {p.name for p in root.iterdir() if not p.name.startswith(TMP_PREFIX)}
    assert finals == {A, B, L.CURRENT_LINK, L.PROMOTION_LOG}, finals
    return current.name


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_every_step_of_promotion(templates, tmp_path, step, when):
    killed = 0
    for n in range(1, 20):
        root = fresh_root(templates, tmp_path)
        done = reco("promote", B, "--artifact-root", str(root), kill=(step, n, when))
        if done.returncode == 0:  # promotion finished before an Nth call: every step was killed
            break
        assert done.returncode == -signal.SIGKILL, done.stderr
        killed += 1
        assert_consistent(root)
        again = reco("promote", B, "--artifact-root", str(root))
        assert again.returncode == 0, again.stderr
        assert assert_consistent(root) == B
        # the log ends where run_current is, whether or not the killed promotion had logged it
        entries = read_promotion_log(root)
        assert entries[-1].to_run == B and entries[-1].from_run == A
        assert [e.to_run for e in entries].count(B) == 1
        assert previous_run(root) == root / A
    else:
        pytest.fail(f"promotion still killed at call {n} of {step}")
    assert killed >= 1  # promotion makes every one of these calls
    assert os.readlink(root / L.CURRENT_LINK) == B
