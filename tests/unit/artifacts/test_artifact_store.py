"""The artifact root: naming, resolution, promotion, rollback, clean-up and the promotion log."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from reco_core.artifacts import layout as L
from reco_core.artifacts import store as S
from reco_core.errors import ArtifactError

A, B, C, D, E = (f"run_2024010{i}_000000" for i in range(1, 6))


def _current(root) -> str:
    return os.readlink(root / L.CURRENT_LINK)


def _log(root) -> list[dict]:
    return [json.loads(line) for line in (root / L.PROMOTION_LOG).read_text().splitlines()]


def _corrupt(run_dir) -> None:
    (run_dir / L.VERSIONS).write_text("{}")


# --- naming ------------------------------------------------------------------------------------
def test_new_run_name_uses_utc_and_the_tag(root):
    paris = timezone(timedelta(hours=2))
    assert S.new_run_name(root, now=datetime(2024, 5, 6, 9, 8, 7, tzinfo=paris)) == "run_20240506_070807"
    assert S.new_run_name(root, "nightly", datetime(2024, 5, 6, 9, 8, 7)) == "run_20240506_090807_nightly"
    before = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    stamp = datetime.strptime(S.new_run_name(root), "run_%Y%m%d_%H%M%S")
    assert before <= stamp <= before + timedelta(seconds=2)


@pytest.mark.parametrize("tag", ["bad tag", "-lead", "a/b", "x" * 65])
def test_new_run_name_rejects_a_bad_tag(root, tag):
    with pytest.raises(ArtifactError, match="invalid run tag"):
        S.new_run_name(root, tag)


def test_new_run_name_never_reuses_a_name_taken_or_being_written(root):
    now = datetime(2024, 1, 1, tzinfo=UTC)
    (root / "run_20240101_000000").mkdir()
    (root / ".tmp-run_20240101_000001.ab12").mkdir()
    assert S.new_run_name(root, now=now) == "run_20240101_000002"
    assert S.new_run_name(root, "t", now=now) == "run_20240101_000000_t"


# --- resolution --------------------------------------------------------------------------------
def test_resolve_an_explicit_run(add_run):
    run = add_run(B)
    add_run(C)
    assert S.resolve_run(run) == run.resolve()


def test_resolve_prefers_run_current_over_the_latest(root, add_run):
    add_run(A)
    add_run(B)
    (root / L.CURRENT_LINK).symlink_to(A)
    assert S.resolve_run(root) == (root / A).resolve()
    assert S.resolve_run(root / L.CURRENT_LINK) == (root / A).resolve()
    assert S.current_run(root) == (root / A).resolve()


def test_resolve_takes_the_latest_run_without_run_current(root, add_run, tmp_path):
    add_run(A)
    add_run(B)
    (root / ".tmp-run_20991231_000000.x").mkdir()  # being written
    (root / "run_latest").mkdir()  # not a run name
    (root / "run_20991231_000000").symlink_to(add_run(C, under=tmp_path))  # not a real directory
    (root / "run_20991231_000001.txt").write_text("")
    assert S.resolve_run(root) == (root / B).resolve()
    assert S.current_run(root) is None
    assert S.list_runs(root) == [(root / A).resolve(), (root / B).resolve()]


def test_resolve_without_any_run(root):
    with pytest.raises(
        ArtifactError, match=f"no run found under {re.escape(str(root))}: run_current missing"
    ):
        S.resolve_run(root)
    with pytest.raises(ArtifactError, match="no such artifact directory"):
        S.resolve_run(root / "nowhere")


def _loop(root):
    (root / L.CURRENT_LINK).symlink_to("run_current")


def _two_link_loop(root):
    (root / "a").symlink_to("b")
    (root / "b").symlink_to("a")
    (root / L.CURRENT_LINK).symlink_to("a")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root, other: (root / L.CURRENT_LINK).symlink_to("run_20230101_000000"), "is dangling"),
        (lambda root, other: _loop(root), "is a symlink loop"),
        (lambda root, other: _two_link_loop(root), "is a symlink loop"),
        (lambda root, other: (root / L.CURRENT_LINK).symlink_to(other), "points outside the artifact root"),
        (lambda root, other: (root / L.CURRENT_LINK).symlink_to(".tmp-x"), "not a run directory"),
        (lambda root, other: (root / L.CURRENT_LINK).mkdir(), "exists but is not a symlink"),
    ],
)
def test_a_broken_run_current_is_an_error_not_a_fallback(root, add_run, tmp_path, make, message):
    add_run(A)
    (root / ".tmp-x").mkdir()
    make(root, add_run(B, under=tmp_path))
    with pytest.raises(ArtifactError, match=message):
        S.resolve_run(root)
    with pytest.raises(ArtifactError, match=message):
        S.current_run(root)


# --- promotion ---------------------------------------------------------------------------------
def test_promote_swaps_a_relative_symlink_and_logs_it(root, add_run):
    add_run(A)
    run_b = add_run(B)
    first = S.promote(root, A, reason="first")
    assert _current(root) == A
    S.promote(root, run_b, actor="airflow@scheduler")  # a path works as well as a name
    assert _current(root) == B
    assert not [p for p in os.listdir(root) if p.startswith(".tmp-")]
    [one, two] = _log(root)
    expected = {
        "ts": first.ts,
        "actor": first.actor,
        "action": "promote",
        "from": None,
        "to": A,
        "reason": "first",
    }
    assert one == expected
    assert re.fullmatch(r"[^@]+@[^@]+", one["actor"])
    assert datetime.fromisoformat(one["ts"]).tzinfo is not None
    assert two == {
        **expected,
        "ts": two["ts"],
        "actor": "airflow@scheduler",
        "from": A,
        "to": B,
        "reason": None,
    }


def test_promoting_the_current_run_again_changes_nothing(root, add_run):
    add_run(A)
    S.promote(root, A)
    assert S.promote(root, L.CURRENT_LINK) is None
    assert S.promote(root, A) is None
    assert len(_log(root)) == 1


def test_a_swap_that_was_never_logged_is_logged_when_promoted_again(root, add_run):
    """A promotion killed between the swap and the log write (test_artifact_promotion_kill.py)."""
    add_run(A)
    add_run(B)
    S.promote(root, A)
    (root / L.CURRENT_LINK).unlink()
    (root / L.CURRENT_LINK).symlink_to(B)  # swapped, not logged
    entry = S.promote(root, B, reason="again")
    assert (entry.from_run, entry.to_run, entry.reason) == (A, B, "again") and _current(root) == B
    assert [e["to"] for e in _log(root)] == [A, B]
    assert S.promote(root, B) is None and len(_log(root)) == 2


def test_promote_refuses_a_run_that_fails_verification(root, add_run):
    add_run(A)
    _corrupt(add_run(B))
    S.promote(root, A)
    with pytest.raises(
        ArtifactError, match="refusing to promote to run_20240102_000000: it fails verification"
    ):
        S.promote(root, B)
    assert _current(root) == A and len(_log(root)) == 1


def test_a_promotion_checks_the_run_in_a_thread_that_yields_the_cpu_to_requests(root, add_run, monkeypatch):
    """The full check (seconds of CPU at 300k products) runs reniced below the caller, which
    keeps its priority; its verdict still decides."""
    import threading

    from reco_core.artifacts import manifest as M
    from reco_core.artifacts import verify as V

    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[tuple[int, int]] = []
    real = V.verify_run

    def recording(run_dir):
        tid = threading.get_native_id()
        seen.append((tid, os.getpriority(os.PRIO_PROCESS, tid)))
        return real(run_dir)

    monkeypatch.setattr(V, "verify_run", recording)
    add_run(A)
    _corrupt(add_run(B))
    S.promote(root, A)
    with pytest.raises(ArtifactError, match="it fails verification"):
        S.promote(root, B)
    assert [nice for _, nice in seen] == [min(19, caller + M.BACKGROUND_NICE)] * 2
    assert threading.get_native_id() not in {tid for tid, _ in seen}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller and _current(root) == A


@pytest.mark.parametrize("where", ["outside", "symlink_out", "tmp", "not_a_run_name", "missing", "nested"])
def test_promote_refuses_anything_but_a_run_directly_under_root(root, add_run, tmp_path, where):
    outside = add_run(A, under=tmp_path)
    target = {
        "outside": outside,
        "symlink_out": root / "run_20990101_000000",
        "tmp": add_run(".tmp-run_20990101_000000.x"),
        "not_a_run_name": add_run("candidate"),
        "missing": "run_20990101_000000",
        "nested": add_run(A, under=(root / "sub")),
    }[where]
    if where == "symlink_out":
        target.symlink_to(outside)
    with pytest.raises(ArtifactError, match=r"not a run directory directly under|not found"):
        S.promote(root, target)
    assert not (root / L.CURRENT_LINK).is_symlink()


def test_promote_repairs_a_dangling_run_current_but_not_a_directory(root, add_run):
    add_run(A)
    (root / L.CURRENT_LINK).symlink_to("run_20230101_000000")
    S.promote(root, A)
    assert _current(root) == A and _log(root)[0]["from"] == "run_20230101_000000"
    (root / L.CURRENT_LINK).unlink()
    (root / L.CURRENT_LINK).mkdir()
    with pytest.raises(ArtifactError, match="is a directory, not a symlink"):
        S.promote(root, A)
    assert not [p for p in os.listdir(root) if p.startswith(".tmp-")]


def test_promote_into_a_missing_root(tmp_path):
    with pytest.raises(ArtifactError, match="does not exist"):
        S.promote(tmp_path / "nowhere", A)


# --- previous & rollback -----------------------------------------------------------------------
def test_rollback_goes_to_the_previous_run_and_is_logged(root, add_run):
    for name in (A, B, C):
        add_run(name)
        S.promote(root, name)
    assert S.previous_run(root) == root / B
    entry = S.rollback(root, reason="C serves errors")
    assert _current(root) == B
    assert (entry.action, entry.from_run, entry.to_run, entry.reason) == ("rollback", C, B, "C serves errors")
    assert _log(root)[-1]["action"] == "rollback"
    # C was rolled back from: it is not "previous" any more, A is
    assert S.previous_run(root) == root / A
    S.rollback(root)
    assert _current(root) == A


def test_a_rolled_back_run_is_eligible_again_once_re_promoted(root, add_run):
    for name in (A, B):
        add_run(name)
        S.promote(root, name)
    S.rollback(root)  # B -> A
    S.promote(root, B)  # B fixed
    add_run(C)
    S.promote(root, C)
    assert S.previous_run(root) == root / B


def test_rollback_to_a_named_run(root, add_run):
    for name in (A, B, C):
        add_run(name)
    S.promote(root, C)
    S.rollback(root, to=A)
    assert _current(root) == A and _log(root)[-1]["action"] == "rollback"


def test_previous_run_skips_deleted_and_corrupted_runs(root, add_run):
    for name in (A, B, C, D):
        add_run(name)
        S.promote(root, name)
    shutil.rmtree(root / C)
    _corrupt(root / B)
    assert S.previous_run(root) == root / A


def test_rollback_without_a_previous_run(root, add_run):
    add_run(A)
    with pytest.raises(ArtifactError, match="no previous run to roll back to"):
        S.rollback(root)
    S.promote(root, A)
    with pytest.raises(ArtifactError, match="no previous run to roll back to"):
        S.rollback(root)


def test_an_unreadable_log_line_is_skipped(root, add_run):
    for name in (A, B):
        add_run(name)
        S.promote(root, name)
    with open(root / L.PROMOTION_LOG, "a") as fh:
        fh.write('{"ts": "2024-01-0')  # a crash mid-write
    assert [e.to_run for e in S.read_promotion_log(root)] == [A, B]
    assert S.previous_run(root) == root / A


# --- clean-up ----------------------------------------------------------------------------------
@pytest.fixture
def five_runs(root, add_run):
    """Runs A..E; C is current, A previous (promoted A then C)."""
    for name in (A, B, C, D, E):
        add_run(name)
    S.promote(root, A)
    S.promote(root, C)
    return root


def _names(paths) -> list[str]:
    return [p.name for p in paths]


def test_cleanup_keeps_the_newest_and_never_current_or_previous(five_runs):
    root = five_runs
    result = S.cleanup(root, keep=1)
    assert _names(result.removed_runs) == [B, D]
    assert _names(result.kept) == [A, C, E]
    assert _names(S.list_runs(root)) == [A, C, E]
    assert not [p for p in os.listdir(root) if p.startswith(".tmp-")]
    assert _names(S.cleanup(root, keep=0).removed_runs) == [E]
    assert _names(S.list_runs(root)) == [A, C]


def test_cleanup_dry_run_removes_nothing(five_runs):
    result = S.cleanup(five_runs, keep=2, dry_run=True)
    assert result.dry_run and _names(result.removed_runs) == [B]
    assert len(S.list_runs(five_runs)) == 5


def test_cleanup_removes_stale_temporary_entries_only(root, add_run):
    add_run(A)
    stale_dir, fresh_dir, stale_link = (
        root / ".tmp-run_x.1",
        root / ".tmp-run_y.2",
        root / ".tmp-run_current.9",
    )
    stale_dir.mkdir()
    (stale_dir / "model.pkl").write_bytes(b"half")
    fresh_dir.mkdir()
    stale_link.symlink_to(A)
    old = time.time() - 2 * 3600
    os.utime(stale_dir, (old, old))
    os.utime(stale_link, (old, old), follow_symlinks=False)
    result = S.cleanup(root, keep=5)
    assert sorted(result.removed_tmp) == [stale_link, stale_dir] and result.removed_runs == []
    assert fresh_dir.exists() and not stale_dir.exists() and not stale_link.is_symlink()
    assert (root / A).exists()


def test_cleanup_refuses_to_guess_with_a_broken_run_current(five_runs):
    (five_runs / L.CURRENT_LINK).unlink()
    (five_runs / L.CURRENT_LINK).symlink_to("run_current")
    with pytest.raises(ArtifactError, match="symlink loop"):
        S.cleanup(five_runs, keep=0)
    assert len(S.list_runs(five_runs)) == 5


def test_cleanup_rejects_a_negative_keep(root):
    with pytest.raises(ValueError, match="keep must be >= 0"):
        S.cleanup(root, keep=-1)


def test_default_artifact_root(monkeypatch):
    monkeypatch.delenv("ARTIFACT_DIR", raising=False)
    assert str(S.default_artifact_root()) == "artifacts"
    monkeypatch.setenv("ARTIFACT_DIR", "/srv/reco")
    assert str(S.default_artifact_root()) == "/srv/reco"
