"""scripts/ensure-services.sh: a missing database client or server is a failure naming it.

It used to treat a missing pg_isready or mariadb-admin as "server up", and the database tests
then skipped quietly: `make test` looked green without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "ensure-services.sh"


def run_with_path(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("hidden", ["pg_isready", "mariadb-admin"])
def test_a_missing_client_fails_and_says_what_to_install(tmp_path, hidden):
    """A PATH holding every tool the script uses but `hidden`."""
    for tool in ("pg_isready", "pg_ctlcluster", "mariadb-admin", "ls", "head", "seq", "sleep"):
        found = shutil.which(tool)
        if tool != hidden and found:
            (tmp_path / tool).symlink_to(found)
    result = run_with_path(tmp_path)
    assert result.returncode == 1, result
    assert f"ensure-services: missing: {hidden}" in result.stderr
    assert "scripts/install-system-deps.sh" in result.stderr
    assert "starting" not in result.stdout  # nothing was tried with half the tools


def test_nothing_at_all_lists_every_missing_tool(tmp_path):
    result = run_with_path(tmp_path)
    assert result.returncode == 1
    for tool in ("pg_isready", "pg_ctlcluster", "mariadb-admin"):
        assert tool in result.stderr
