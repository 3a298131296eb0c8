"""The soak of bench/serving_soak.py, short: 20 s of wrk on 2 uvicorn workers with a promotion
every 6 s. Zero failed requests, every promotion done, the last one served by both workers.

The 10-minute version at the target rate is the bench itself (docs/reliability.md); this one
runs in the test suite to catch a regression of hot promotion under load.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from serving_server import REPO, free_port

BENCH = REPO / "bench"
SECONDS, WINDOW, RATE, PROMOTE_EVERY = 20, 10, 150, 6


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """bench/serving_soak.py (bench scripts import each other by module name, from bench/)."""
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("serving_soak")
    finally:
        sys.path.remove(str(BENCH))


def test_a_short_soak_with_promotions_loses_no_request(bench, tmp_path):
    synthetic_run = importlib.import_module("synthetic_run")
    run_dir: Path = synthetic_run.write_synthetic_run(tmp_path / "artifacts", 3000)
    result = bench.soak(
        run_dir,
        seconds=SECONDS,
        window_seconds=WINDOW,
        rate=RATE,
        connections=8,
        promote_every=PROMOTE_EVERY,
        reload_check_seconds=1,
        port=free_port(),
    )
    bench.report(result)
    assert result.errors == 0, [w.load for w in result.windows]
    assert result.requests >= 0.8 * RATE * SECONDS
    assert len(result.promotions) >= SECONDS // PROMOTE_EVERY - 1 and result.failed_promotions == 0
    assert result.deaths == 0
    assert set(result.followed.values()) == {result.current} and len(result.followed) == 2
    assert all(w.rss_mib and w.anon_mib for w in result.windows)
    assert all(
        len(w.worker_cores) == 2 and min(w.worker_cores) > 0 and 0 < w.busy <= 1 for w in result.windows
    )  # the CPU columns
