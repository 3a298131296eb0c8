"""Promotion under load: readers resolving run_current never see it missing or half-written.

A reader process resolves the artifact root in a tight loop while this process promotes two
runs alternately; every single read must land on one of the two complete runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from helpers.tiny_run import make_tiny_run

from reco_core.artifacts import layout as L
from reco_core.artifacts.store import promote

A, B = "run_20240101_000000", "run_20240102_000000"
PROMOTIONS = 200
MIN_READS = 3000

READER = """
import json, sys
from pathlib import Path
from reco_core.artifacts.store import resolve_run

root, expected, min_reads = Path(sys.argv[1]), set(sys.argv[2].split(",")), int(sys.argv[3])
stop, ready = root.parent / "stop", root.parent / "ready"
reads, errors, seen = 0, [], {}
ready.touch()
while reads < min_reads or not stop.exists():
    reads += 1
    try:
        run = resolve_run(root)
        if run.name not in expected or not (run / "manifest.json").is_file():
            errors.append(f"unexpected run {run}")
        seen[run.name] = seen.get(run.name, 0) + 1
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"reads": reads, "errors": errors[:5], "n_errors": len(errors), "seen": seen}))
"""


def test_readers_always_see_a_complete_run_during_200_promotions(tmp_path):
    root = tmp_path / "artifacts"
    for name in (A, B):
        make_tiny_run(root, name)
    promote(root, A)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(root), f"{A},{B}", str(MIN_READS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "ready").exists():
            assert reader.poll() is None, reader.stderr.read()
            assert time.monotonic() < deadline, "reader did not start"
            time.sleep(0.01)
        for i in range(PROMOTIONS):
            promote(root, B if i % 2 == 0 else A, actor="test")
    finally:
        (tmp_path / "stop").touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    result = json.loads(out)
    assert result["n_errors"] == 0, result["errors"]
    assert result["reads"] >= MIN_READS
    assert set(result["seen"]) == {A, B}, result["seen"]
    assert len((root / L.PROMOTION_LOG).read_text().splitlines()) == PROMOTIONS + 1
