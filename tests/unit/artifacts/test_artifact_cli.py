"""`reco verify-artifacts | promote | rollback | cleanup`: exit codes and messages, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reco_core.artifacts import layout as L

A, B, C = "run_20240101_000000", "run_20240102_000000", "run_20240103_000000"


@pytest.fixture
def reco(tmp_path):
    """Run `python -m reco_core.cli ARGS` in an empty directory, ARTIFACT_DIR unset unless given."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        environ = {
            k: v
            for k, v in os.environ.items()
            if k not in {"ARTIFACT_DIR", "RECO_ARTIFACT_ROOT", "DISABLE_MODEL_PICKLE"}
        }
        return subprocess.run(
            [sys.executable, "-m", "reco_core.cli", "-q", *args],
            cwd=tmp_path,
            env={**environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def test_verify_artifacts_ok(reco, run_dir):
    done = reco("verify-artifacts", str(run_dir))
    assert (done.returncode, done.stdout, done.stderr) == (0, f"ok: {A} (6 items, 2 professions)\n", "")


def test_verify_artifacts_resolves_a_root_and_reports_a_skipped_model_check(reco, root, add_run):
    add_run(A)
    add_run(B)
    done = reco("verify-artifacts", DISABLE_MODEL_PICKLE="1", ARTIFACT_DIR=str(root))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "note: model.pkl: not unpickled (DISABLE_MODEL_PICKLE=1); model check skipped",
        f"ok: {B} (6 items, 2 professions)",
    ]


def test_verify_artifacts_lists_every_problem_one_per_line(reco, run_dir):
    size = (run_dir / L.PARAMS).stat().st_size
    (run_dir / L.PARAMS).write_text("{}")
    (run_dir / L.MAPPING).unlink()
    (run_dir / "stray.txt").write_text("")
    done = reco("verify-artifacts", str(run_dir))
    assert done.returncode == 5 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"reco verify-artifacts: {run_dir} fails verification:",
        "mapping.pkl: missing",
        f"params.json: size 2 bytes, manifest says {size}",
        "stray.txt: present but not listed in the manifest",
    ]


def test_verify_artifacts_without_any_run(reco, root):
    done = reco("verify-artifacts", str(root))
    assert done.returncode == 5
    assert done.stderr == (
        f"reco verify-artifacts: error: no run found under {root}: "
        "run_current missing and no run_* directory\n"
    )


def test_promote_rollback_and_cleanup(reco, root, add_run):
    for name in (A, B, C):
        add_run(name)
    assert reco("promote", A, "--artifact-root", str(root)).stdout == f"promoted {A} (previous: none)\n"
    done = reco("promote", str(root / B), "--reason", "nightly", ARTIFACT_DIR=str(root))
    assert (done.returncode, done.stdout) == (0, f"promoted {B} (previous: {A})\n")
    assert (
        reco("promote", B, ARTIFACT_DIR=str(root)).stdout
        == f"{B} is already the current run; nothing to do\n"
    )

    done = reco("rollback", "--artifact-root", str(root))
    assert (done.returncode, done.stdout) == (0, f"rolled back to {A} (from {B})\n")
    assert os.readlink(root / L.CURRENT_LINK) == A

    done = reco("cleanup", "--keep", "0", "--dry-run", ARTIFACT_DIR=str(root))
    # B was rolled back from, so it is not protected as the previous run
    assert done.stdout.splitlines() == [
        f"would remove {root / B}",
        f"would remove {root / C}",
        f"kept 1 run(s): {A}",
    ]
    assert (root / C).is_dir()
    done = reco("cleanup", "--keep", "1", ARTIFACT_DIR=str(root))
    assert (done.returncode, done.stdout.splitlines()) == (
        0,
        [f"removed {root / B}", f"kept 2 run(s): {A}, {C}"],
    )
    assert not (root / B).exists()


def test_promote_refuses_a_corrupted_run(reco, root, add_run):
    (add_run(A) / L.VERSIONS).write_text("{}")
    done = reco("promote", A, "--artifact-root", str(root))
    assert done.returncode == 5 and done.stdout == ""
    assert done.stderr.startswith(f"reco promote: error: refusing to promote to {A}: it fails verification: ")
    assert "versions.json: size 2 bytes" in done.stderr
    assert not (root / L.CURRENT_LINK).is_symlink()


def test_rollback_without_previous_run(reco, root, add_run):
    add_run(A)
    done = reco("rollback", "--artifact-root", str(root))
    assert done.returncode == 5 and "no previous run to roll back to" in done.stderr


def test_cleanup_rejects_a_negative_keep(reco, root):
    done = reco("cleanup", "--keep", "-1", "--artifact-root", str(root))
    assert done.returncode == 2 and "must be >= 0" in done.stderr
