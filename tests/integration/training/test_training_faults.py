"""A killed training leaves no run that looks finished, and training again succeeds; a tampered
run is refused."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from reco_core import columns as C
from reco_core.artifacts import layout as L
from reco_core.artifacts.store import current_run, list_runs, promote
from reco_core.artifacts.verify import verify_run
from reco_core.errors import ArtifactError


@pytest.mark.parametrize("kill_after", ["epoch", "write"])
def test_sigkill_during_training_leaves_no_run(trained_demo, tmp_path, kill_after):
    root = tmp_path / "artifacts"
    cmd = [
        sys.executable,
        "-m",
        "reco_core.cli",
        "train",
        "--ventes",
        str(trained_demo.data_dir / C.VENTES_FILE),
        "--details",
        str(trained_demo.data_dir / C.DETAILS_FILE),
        "--artifact-root",
        str(root),
        "--epochs",
        "50",
        "--patience",
        "50",
        "--threads",
        "1",
        "--blend-samples",
        "1000",
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if f" {kill_after} " in line:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    leftovers = sorted(p.name for p in root.iterdir()) if root.exists() else []
    assert not [name for name in leftovers if name.startswith(L.RUN_PREFIX)], leftovers
    # training again (shorter) succeeds beside what the killed one left, and is promoted
    again = subprocess.run(
        [*cmd, "--epochs", "2", "--patience", "2", "--make-current-symlink"], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    [run] = list_runs(root)
    assert verify_run(run).ok and current_run(root) == run


def test_tampered_real_run_is_reported_and_refused(trained_demo, tmp_path):
    root = tmp_path / "artifacts"
    run = root / trained_demo.run.name
    shutil.copytree(trained_demo.run, run)
    with open(run / L.PAIR_BOOST_IDX, "r+b") as fh:
        fh.seek(os.path.getsize(run / L.PAIR_BOOST_IDX) // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0xFF]))
    report = verify_run(run)
    assert not report.ok and any(L.PAIR_BOOST_IDX in p for p in report.problems)
    with pytest.raises(ArtifactError):
        promote(root, run)
    assert not (root / L.CURRENT_LINK).exists()
