"""The artifact root: run naming, resolution, promotion, rollback and clean-up.

Every function takes a `kind` (layout.Kind, runs by default): the catalogue states
(`catalog_*`, `catalog_current`) and the merchandising rules (`rules_*`, `rules_current`) live in
the same root and are named, verified, promoted, logged and rolled back by this same code, each
kind with its own link and promotion log, so a rollback of the rules never touches the runs.

Layout: `<root>/run_YYYYMMDD_HHMMSS[_tag]/` (finished runs), `<root>/.tmp-*` (being written or
being deleted, never resolved), `<root>/run_current` (a relative symlink to the promoted run)
and `<root>/promotions.jsonl` (who promoted or rolled back what, when, why).

Resolution policy (SPEC §5): an explicit run if given; else `run_current`; else the latest
`run_*` by name. A `run_current` that exists but is broken (dangling, looping, pointing outside
the root or at something that is not a run) is an error, never a reason to fall back to the
latest run: the latest run may be a candidate that has not passed the promotion gate, and
silently serving it would bypass the gate. The fallback only applies when `run_current` does
not exist at all (a fresh root, or training without --make-current-symlink).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import getpass
import importlib
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reco_core import logs
from reco_core.artifacts import layout as L
from reco_core.artifacts.layout import RUNS, Kind
from reco_core.artifacts.manifest import lower_thread_priority
from reco_core.errors import ArtifactError
from reco_core.fsutil import TMP_PREFIX, fsync_dir, temporary_prefix

log = logs.get_logger("artifacts")

STALE_TMP_SECONDS = 3600  # a .tmp-* entry older than this belongs to a writer that died


def default_artifact_root() -> Path:
    """RECO_ARTIFACT_ROOT (or the original's ARTIFACT_DIR), else ./artifacts: reco_core.settings."""
    from reco_core.settings import RecoSettings

    return RecoSettings().artifact_dir


# --- naming & listing --------------------------------------------------------------------------
def verify_dir(path: Path, kind: Kind = RUNS) -> Any:
    """The verification report of a directory of `kind` (its `.ok`, its `.summary()`).

    Checked in a thread of background priority: a promotion's full check (the original's pickles
    and compressed files parsed, 5-7 s of CPU at 300k products) shares the cores of the API's
    workers, and the requests go first (docs/serving.md, "A promotion beside the workers")."""
    module, function = kind.verifier.split(":")
    verifier = getattr(importlib.import_module(module), function)
    with ThreadPoolExecutor(1, "verify-dir", initializer=lower_thread_priority) as pool:
        return pool.submit(verifier, path).result()


def new_run_name(
    root: Path | str, tag: str | None = None, now: datetime | None = None, kind: Kind = RUNS
) -> str:
    """A fresh `run_YYYYMMDD_HHMMSS[_tag]` name (UTC; `kind`'s prefix) that no directory of `root`
    uses or is writing.

    UTC keeps names in creation order across daylight-saving changes, which the "latest run"
    rule relies on. A taken name moves one second later rather than being reused.
    """
    if tag and not L.TAG_RE.match(tag):
        raise ArtifactError(f"invalid run tag {tag!r}: letters, digits, '_', '.', '-' (64 max, not first)")
    root = Path(root)
    stamp = datetime.now(UTC) if now is None else now
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    while True:
        name = f"{kind.prefix}{stamp:%Y%m%d_%H%M%S}" + (f"_{tag}" if tag else "")
        if not _name_taken(root, name):
            return name
        stamp += timedelta(seconds=1)


def _name_taken(root: Path, name: str) -> bool:
    path = root / name
    return path.exists() or path.is_symlink() or any(root.glob(f"{temporary_prefix(name)}*"))


def list_runs(root: Path | str, kind: Kind = RUNS) -> list[Path]:
    """Finished runs (directories of `kind`) directly under `root`, oldest first."""
    root = Path(root).resolve()
    with os.scandir(root) as entries:
        names = [e.name for e in entries if kind.name_re.match(e.name) and e.is_dir(follow_symlinks=False)]
    return [root / name for name in sorted(names)]


# --- resolution --------------------------------------------------------------------------------
def current_run(root: Path | str, kind: Kind = RUNS) -> Path | None:
    """The run `run_current` (`kind`'s link) points to; None if there is none; ArtifactError if broken."""
    link = Path(root).resolve() / kind.current_link
    if not link.is_symlink():
        if link.exists():
            raise ArtifactError(f"{link} exists but is not a symlink; promotion manages it as a symlink")
        return None
    return _link_target(link, kind)


def _link_target(link: Path, kind: Kind = RUNS) -> Path:
    """The directory a `run_current` symlink points to, which must be one of `kind` beside it."""
    root = link.parent.resolve()
    try:
        target = link.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a symlink loop this way
        raise ArtifactError(f"{link} is a symlink loop") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ArtifactError(f"{link} is a symlink loop") from None
        raise ArtifactError(f"{link} is dangling: its target {_readlink(link)} does not exist") from None
    if target.parent != root:
        raise ArtifactError(f"{link} points outside the artifact root {root}: {target}")
    if not kind.name_re.match(target.name) or not target.is_dir():
        raise ArtifactError(f"{link} points to {target.name}, which is not a {kind.noun} directory")
    return target


def _readlink(link: Path) -> str | None:
    """Where a symlink points, None if it is not one (or no longer exists: it may be swapped meanwhile)."""
    try:
        return os.readlink(link)
    except OSError:
        return None


def resolve_run(path: Path | str, kind: Kind = RUNS) -> Path:
    """The run directory `path` designates: itself if it is a run, else the run of that root."""
    path = Path(path)
    if path.name == kind.current_link and path.is_symlink():
        return _link_target(path, kind)
    if path.is_dir():
        if (path / L.MANIFEST).exists() or kind.name_re.match(path.name):
            return path.resolve()
        current = current_run(path, kind)
        if current is not None:
            return current
        runs = list_runs(path, kind)
        if not runs:
            raise ArtifactError(
                f"no {kind.noun} found under {path}: {kind.current_link} missing "
                f"and no {kind.prefix}* directory"
            )
        return runs[-1]
    if path.is_symlink():
        raise ArtifactError(f"{path} is a broken symlink (dangling or looping)")
    raise ArtifactError(
        f"{path}: no such artifact directory" if not path.exists() else f"{path}: not a directory"
    )


# --- promotion log -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Promotion:
    """One line of promotions.jsonl."""

    ts: str
    actor: str
    action: str  # "promote" | "rollback"
    from_run: str | None
    to_run: str
    reason: str | None = None

    def to_json(self) -> str:
        doc = asdict(self)
        doc["from"], doc["to"] = doc.pop("from_run"), doc.pop("to_run")
        return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def read_promotion_log(root: Path | str, kind: Kind = RUNS) -> list[Promotion]:
    """Entries of promotions.jsonl (`kind`'s log), oldest first; unreadable lines (a crash
    mid-write) are skipped."""
    path = Path(root) / kind.promotion_log
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for number, line in enumerate(lines, 1):
        try:
            doc = json.loads(line)
            entries.append(
                Promotion(doc["ts"], doc["actor"], doc["action"], doc["from"], doc["to"], doc.get("reason"))
            )
        except (ValueError, KeyError, TypeError):
            logs.event(
                log, "skipping unreadable promotion log line", logging.WARNING, file=str(path), line=number
            )
    return entries


def _default_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name nor passwd entry (some containers)
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


@contextlib.contextmanager
def _locked_log(root: Path, kind: Kind = RUNS) -> Iterator[int]:
    """The promotion log opened for appending, under an exclusive lock.

    The lock serialises promotions of one root, so each logged `from` is the run that was
    really current when the swap happened.
    """
    fd = os.open(root / kind.promotion_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


# --- promotion ---------------------------------------------------------------------------------
def _run_under_root(root: Path, run: Path | str, kind: Kind = RUNS) -> Path:
    """The run directory `run` (a name under root, or a path) designates; it must sit directly in root."""
    candidate = Path(run)
    if not candidate.is_absolute() and len(candidate.parts) == 1:
        candidate = root / candidate
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ArtifactError(f"run {run} not found (looked for {candidate})") from None
    if resolved.parent != root or not kind.name_re.match(resolved.name) or not resolved.is_dir():
        raise ArtifactError(
            f"{run} is {resolved}, not a {kind.noun} directory directly under the artifact root {root}"
        )
    return resolved


def _existing_root(root: Path | str) -> Path:
    path = Path(root)
    if not path.is_dir():
        raise ArtifactError(f"artifact root {path} does not exist or is not a directory")
    return path.resolve()


def _swap_current(root: Path, link: Path, run_name: str) -> None:
    """Point `link` at `run_name` atomically: a temporary symlink renamed over it, then persisted."""
    tmp = root / f"{temporary_prefix(link.name)}{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(run_name, tmp)  # relative: the root can be moved or mounted elsewhere
    try:
        os.replace(tmp, link)  # atomic: readers see the old run or the new one, never nothing
    except IsADirectoryError:
        tmp.unlink()
        raise ArtifactError(f"{link} is a directory, not a symlink; refusing to replace it") from None
    fsync_dir(root)


def _last_logged_run(root: Path, kind: Kind = RUNS) -> str | None:
    """The run the promotion log says is current (the `to` of its last readable line)."""
    entries = read_promotion_log(root, kind)
    return entries[-1].to_run if entries else None


def _switch(
    root: Path, run_dir: Path, action: str, actor: str | None, reason: str | None, kind: Kind = RUNS
) -> Promotion | None:
    report = verify_dir(run_dir, kind)
    if not report.ok:
        raise ArtifactError(
            f"refusing to {action} to {run_dir.name}: it fails verification: {report.summary()}"
        )
    link = root / kind.current_link
    with _locked_log(root, kind) as log_fd:
        if not run_dir.is_dir():  # deleted by a clean-up since it was verified
            raise ArtifactError(f"{run_dir} disappeared before the {action}")
        before = _readlink(link)
        logged = _last_logged_run(root, kind)
        if before == run_dir.name and logged == run_dir.name:
            logs.event(log, f"{action}: already current", run=run_dir.name)
            return None
        if before == run_dir.name:
            # The link was swapped but its log line never written (a promotion killed between the
            # two, or a link set by hand): log it now, from the run the log last recorded.
            from_run = logged
        else:
            _swap_current(root, link, run_dir.name)
            from_run = Path(before).name if before else None
        entry = Promotion(
            ts=datetime.now(UTC).isoformat(timespec="milliseconds"),
            actor=actor or _default_actor(),
            action=action,
            from_run=from_run,
            to_run=run_dir.name,
            reason=reason,
        )
        os.write(log_fd, (entry.to_json() + "\n").encode("utf-8"))
        os.fsync(log_fd)
    logs.event(log, action, run=entry.to_run, previous=entry.from_run, actor=entry.actor)
    return entry


def promote(
    root: Path | str,
    run: Path | str,
    *,
    actor: str | None = None,
    reason: str | None = None,
    kind: Kind = RUNS,
) -> Promotion | None:
    """Point `run_current` at `run` (a name under root or a path into it) and log it.

    Refused unless the run verifies and sits directly under `root`. Returns the log entry, or
    None when the run already was current and logged as such (nothing swapped, nothing logged).
    A run that is current but not the last one logged (a promotion killed between the swap and
    the log write) is logged without swapping again.
    """
    root = _existing_root(root)
    return _switch(root, _run_under_root(root, run, kind), "promote", actor, reason, kind)


def previous_run(root: Path | str, kind: Kind = RUNS) -> Path | None:
    """The run current before the current one, from the promotion log, that still exists and verifies.

    A run that was rolled back away from is skipped (until it is promoted again): it is the
    run that failed, not one to go back to.
    """
    root = _existing_root(root)
    current = _readlink(root / kind.current_link)
    skipped = {Path(current).name if current else None}
    for entry in reversed(read_promotion_log(root, kind)):
        if entry.action == "rollback":
            skipped.add(entry.from_run)
        for name in (entry.to_run, entry.from_run):
            if name in skipped or not name or not kind.name_re.match(name):
                continue
            skipped.add(name)
            candidate = root / name
            if candidate.is_dir() and not candidate.is_symlink() and verify_dir(candidate, kind).ok:
                return candidate
    return None


def rollback(
    root: Path | str,
    to: Path | str | None = None,
    *,
    actor: str | None = None,
    reason: str | None = None,
    kind: Kind = RUNS,
) -> Promotion | None:
    """Promote the previous run (or `to`), logged as a rollback."""
    root = _existing_root(root)
    target = _run_under_root(root, to, kind) if to is not None else previous_run(root, kind)
    if target is None:
        raise ArtifactError(
            f"no previous {kind.noun} to roll back to under {root}: the promotion log names none that "
            "still exists and verifies (name one with --to)"
        )
    return _switch(root, target, "rollback", actor, reason, kind)


# --- clean-up ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CleanupResult:
    removed_runs: list[Path] = field(default_factory=list)
    removed_tmp: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    dry_run: bool = False


def cleanup(
    root: Path | str, keep: int, *, dry_run: bool = False, now: float | None = None, kind: Kind = RUNS
) -> CleanupResult:
    """Delete the oldest runs beyond the `keep` newest, and stale `.tmp-*` entries.

    The current and previous runs are never deleted, whatever `keep` says. A run is renamed to
    a `.tmp-` name before being deleted, so a crash mid-deletion never leaves a partial
    directory that resolution could pick as the latest run. The clean-up holds the promotion
    lock, so a run cannot be promoted while it is being deleted.
    """
    if keep < 0:
        raise ValueError(f"keep must be >= 0, got {keep}")
    root = _existing_root(root)
    if dry_run:
        return _cleanup(root, keep, dry_run=True, now=now, kind=kind)
    with _locked_log(root, kind):
        return _cleanup(root, keep, dry_run=False, now=now, kind=kind)


def _cleanup(root: Path, keep: int, *, dry_run: bool, now: float | None, kind: Kind) -> CleanupResult:
    # a broken run_current stops the clean-up here
    protected = {current_run(root, kind), previous_run(root, kind)}
    runs = list_runs(root, kind)
    newest = set(runs[len(runs) - keep :]) if keep else set()
    kept = [r for r in runs if r in newest or r in protected]
    doomed = [r for r in runs if r not in kept]
    cutoff = (time.time() if now is None else now) - STALE_TMP_SECONDS
    stale = sorted(p for p in root.iterdir() if p.name.startswith(TMP_PREFIX) and p.lstat().st_mtime < cutoff)
    if not dry_run:
        for run in doomed:
            trash = root / f"{temporary_prefix(run.name)}deleting"
            if trash.exists():  # left by an interrupted clean-up of the same run
                shutil.rmtree(trash)
            os.rename(run, trash)
            shutil.rmtree(trash)
        for path in stale:
            with contextlib.suppress(FileNotFoundError):  # its writer may have finished meanwhile
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        fsync_dir(root)
    logs.event(log, "cleanup", removed=len(doomed), tmp=len(stale), kept=len(kept), dry_run=dry_run)
    return CleanupResult(doomed, stale, kept, dry_run)
