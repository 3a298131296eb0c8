"""The hot-swappable state of one API worker: the snapshot being served, reloads, the watcher.

Serving never waits for a reload and never sees half of one: a reload builds a new snapshot
in a worker thread beside the one being served, then swaps the reference in one assignment.
A request reads the reference once and keeps that snapshot until it answers, so in-flight
requests finish on the old run while new ones start on the new run. A failed reload changes
nothing but the `last_reload` report.

The catalogue state (catalog_current) and the merchandising rules (rules_current) are followed
the same way, each by a `Follower`: a new state or rules version is loaded and verified beside
the served snapshot, then swapped in with the run unchanged; one that fails to load is reported
and the previous stays in force. Readiness: while a link exists but nothing it designated ever
loaded, the worker answers 503 with the reason, as for a run (serving unfiltered would
recommend what cannot be sold); once one loaded, a bad promotion changes nothing.

Following promotions: each worker polls where run_current points (one readlink every
RELOAD_CHECK_SECONDS). When the link changes, or while nothing is loaded, it loads the run the
way start-up would. An explicit /reload of another run pins that run until run_current next
changes: `followed_link` remembers the link value that was last acted on, and only a new value
triggers the watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import anyio.to_thread

from reco_core import logs
from reco_core.artifacts import layout as L
from reco_core.artifacts.layout import Kind
from reco_core.artifacts.store import resolve_run
from reco_core.catalog.layout import CATALOG
from reco_core.catalog.state import load_catalog
from reco_core.ranking import Profile
from reco_core.rules.layout import RULES
from reco_core.rules.versions import load_rules
from serving.metrics import Metrics
from serving.runs import (
    ReloadError,
    Snapshot,
    build_snapshot,
    current_link,
    default_run,
    read_profiles,
    requested_run,
)
from serving.settings import Settings

log = logs.get_logger("serving")
_libc_name = ctypes.util.find_library("c")
_malloc_trim = getattr(ctypes.CDLL(_libc_name), "malloc_trim", None) if _libc_name else None

Trigger = Literal["startup", "api", "watcher"]
RunFinder = Callable[[Settings], Path]


@dataclass(frozen=True)
class ReloadReport:
    """The outcome of the last load attempt, whatever triggered it (shown by /version)."""

    at: datetime
    trigger: Trigger
    ok: bool
    run_id: str | None
    profile: str
    seconds: float
    detail: str | None = None


@dataclass(frozen=True)
class StateLoad:
    """The last load attempt of a catalogue state or a rules version (shown by /version)."""

    at: datetime
    trigger: Trigger
    ok: bool
    name: str | None  # the directory loaded (or tried)
    seconds: float
    detail: str | None = None


@dataclass
class Follower:
    """Follows one `*_current` link of the artifact root (catalog_current, rules_current)."""

    kind: Kind
    load: Callable[[Path], Any]
    value: Any = None  # the loaded CatalogState / RulesVersion, None before the first load
    followed: str | None = None  # the link value last acted on
    failed: tuple | None = None  # fingerprint of the last failed load: not retried until it changes
    blocking: str | None = None  # the link exists but nothing ever loaded: why not ready
    last: StateLoad | None = None
    loaded_at: datetime | None = field(default=None)


@dataclass(frozen=True)
class Swap:
    """What an explicit reload did."""

    previous: Snapshot | None
    snapshot: Snapshot
    pinned: bool
    seconds: float


class ServingState:
    """One per worker process. Only `snapshot` is read by requests; everything else is reload bookkeeping."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.snapshot: Snapshot | None = None
        self.not_ready_reason = "starting: no run loaded yet"
        self.last_reload: ReloadReport | None = None
        self.followed_link: str | None = None
        self._lock = asyncio.Lock()
        self._failed_attempt: tuple | None = None  # fingerprint of the last failed automatic load
        self._release_due = False  # a run was dropped: give its freed memory back to the OS
        self.catalog = Follower(CATALOG, load_catalog)
        self.rules = Follower(RULES, load_rules)

    @property
    def followers(self) -> tuple[Follower, Follower]:
        return (self.catalog, self.rules)

    @property
    def blocking_reason(self) -> str | None:
        """Why the worker is not ready although it may serve a run: a catalogue state or rules
        link that exists but never loaded."""
        if self.snapshot is None:
            return self.not_ready_reason
        return next((f.blocking for f in self.followers if f.blocking), None)

    @property
    def pinned(self) -> bool:
        """Whether the served run is not the one run_current points to (an explicit choice)."""
        link = current_link(self.settings.artifact_root)
        return self.snapshot is not None and link is not None and Path(link).name != self.snapshot.run.run_id

    # --- loading -------------------------------------------------------------------------
    async def startup(self) -> None:
        """Load what ARTIFACT_DIR designates; on failure stay up, not ready, and say why.

        The catalogue state and the rules first, so that the run's snapshot is built with them."""
        await self.check_followers("startup")
        with contextlib.suppress(ReloadError):  # reported; the watcher retries when something changes
            await self.check("startup")

    async def reload(self, artifact_dir: str | None, profile: str | None) -> Swap:
        """An explicit /reload: re-read the profiles file, load the run, swap; ReloadError otherwise."""

        def find(settings: Settings) -> Path:
            return default_run(settings) if artifact_dir is None else requested_run(settings, artifact_dir)

        async with self._lock:
            link = current_link(self.settings.artifact_root)
            previous = self.snapshot
            # an empty name is a name (refused as unknown), not an omitted one
            default = previous.profile.name if previous else self.settings.panier_profile
            name = default if profile is None else profile
            start = time.monotonic()
            snapshot = await self._load(find, None, name, "api")
            self.followed_link = link
            self._failed_attempt = None
            return Swap(previous, snapshot, self.pinned, round(time.monotonic() - start, 3))

    async def _load(
        self, find: RunFinder, profiles: Mapping[str, Profile] | None, profile_name: str, trigger: Trigger
    ) -> Snapshot:
        """Find, load, verify and index a run in a worker thread, then swap it in; report either way.

        `profiles` None re-reads the profiles file (an explicit reload takes its edits into account).
        """
        start = time.monotonic()

        def build() -> Snapshot:
            run_dir = find(self.settings)
            return build_snapshot(
                run_dir,
                profiles or read_profiles(self.settings),
                profile_name,
                self.catalog.value,
                self.rules.value,
            )

        try:
            snapshot = await anyio.to_thread.run_sync(build)
        except ReloadError as exc:
            self._report(trigger, False, None, profile_name, start, str(exc))
            if self.snapshot is None:
                self.not_ready_reason = str(exc)
            raise
        except Exception as exc:  # a bug or a resource problem: report it, keep serving the old run
            self._report(trigger, False, None, profile_name, start, f"{type(exc).__name__}: {exc}")
            raise
        previous, self.snapshot = self.snapshot, snapshot  # the swap: one assignment
        self._release_due = previous is not None
        self._report(trigger, True, snapshot.run.run_id, profile_name, start)
        self.metrics.active(snapshot.run.run_id, snapshot.profile.name, str(snapshot.run.run_dir))
        logs.event(
            log,
            "serving run",
            run=snapshot.run.run_id,
            profile=snapshot.profile.name,
            previous=previous.run.run_id if previous else None,
            trigger=trigger,
        )
        return snapshot

    def _report(
        self,
        trigger: Trigger,
        ok: bool,
        run_id: str | None,
        profile: str,
        start: float,
        detail: str | None = None,
    ) -> None:
        seconds = round(time.monotonic() - start, 3)
        self.last_reload = ReloadReport(datetime.now(UTC), trigger, ok, run_id, profile, seconds, detail)
        self.metrics.reloads.labels(trigger=trigger, result="ok" if ok else "failed").inc()
        if not ok:
            logs.event(log, "reload failed", logging.WARNING, trigger=trigger, detail=detail)

    # --- following promotions ------------------------------------------------------------
    async def watch(self) -> None:
        """Poll run_current until cancelled (at shutdown); a failing check never stops the loop."""
        while True:
            await asyncio.sleep(self.settings.reload_check_seconds)
            await self.tick()

    async def tick(self) -> None:
        """One watcher step: release the memory of a run dropped at least one step ago, then check.

        Releasing a step later lets the requests still running on the dropped run finish first.
        """
        if self._release_due:
            self._release_due = False
            await anyio.to_thread.run_sync(release_free_memory)
        try:
            await self.check("watcher")
        except ReloadError:
            pass  # reported; retried when the run or the profiles file changes
        except Exception:
            log.exception("watcher check failed")
        try:
            await self.check_followers("watcher")
        except Exception:
            log.exception("watcher check of the catalogue state or rules failed")

    # --- catalogue state and rules -------------------------------------------------------
    async def check_followers(self, trigger: Trigger) -> None:
        for follower in self.followers:
            await self.follow(follower, trigger)

    async def follow(self, f: Follower, trigger: Trigger) -> None:
        """Load what `f`'s link designates if it moved; keep the previous one if that fails."""
        root = self.settings.artifact_root
        link = _readlink(root / f.kind.current_link)
        if link == f.followed and (f.value is not None or link is None):
            return  # the common case: one readlink, nothing to do
        if link is None:  # removed: what is loaded stays (nothing is filtered if nothing is)
            f.followed, f.blocking = None, None
            return
        async with self._lock:
            start = time.monotonic()
            try:
                path = resolve_run(root / f.kind.current_link, f.kind)
                attempt: tuple = (str(path), _mtime(path / L.MANIFEST))
            except Exception as exc:
                path, attempt = None, (link, str(exc))
            if attempt == f.failed:
                return
            try:
                if path is None:
                    raise ReloadError(409, f.kind.current_link, str(attempt[1]))
                value = await anyio.to_thread.run_sync(f.load, path)
                # the lock keeps the run from changing meanwhile: the snapshot is rebuilt on it
                snapshot = self.snapshot
                if snapshot is not None:
                    catalog = value if f is self.catalog else self.catalog.value
                    rules = value if f is self.rules else self.rules.value
                    rebuilt = await anyio.to_thread.run_sync(snapshot.with_state, catalog, rules)
            except Exception as exc:
                detail = f"{f.kind.current_link}: {exc}"
                f.failed = attempt
                f.last = StateLoad(datetime.now(UTC), trigger, False, Path(link).name, _since(start), detail)
                if f.value is None:
                    f.blocking = detail
                self.metrics.state_loads.labels(kind=f.kind.prefix.rstrip("_"), result="failed").inc()
                logs.event(log, f"{f.kind.noun} load failed", logging.WARNING, trigger=trigger, detail=detail)
                return
            previous, f.value = f.value, value
            f.followed, f.failed, f.blocking = link, None, None
            f.loaded_at = datetime.now(UTC)
            if snapshot is not None:
                self.snapshot = rebuilt  # the swap: one assignment
            f.last = StateLoad(f.loaded_at, trigger, True, path.name, _since(start))
            self.metrics.state_loads.labels(kind=f.kind.prefix.rstrip("_"), result="ok").inc()
            logs.event(
                log,
                f"serving {f.kind.noun}",
                name=path.name,
                previous=getattr(previous, "state_id", None) or getattr(previous, "version_id", None),
                trigger=trigger,
            )

    async def check(self, trigger: Trigger) -> None:
        """Load run_current if it moved, or, while nothing is served, what start-up would load."""
        if self._up_to_date(current_link(self.settings.artifact_root)):
            return  # the common case: one readlink, nothing to do
        async with self._lock:
            link = current_link(self.settings.artifact_root)
            if self._up_to_date(link):  # a reload done while this check waited for the lock
                return
            if self.snapshot is None:
                find, profiles, name = default_run, None, self.settings.panier_profile
            else:
                find, profiles, name = promoted_run, self.snapshot.profiles, self.snapshot.profile.name
            attempt = _fingerprint(find, self.settings, with_profiles=profiles is None)
            if attempt == self._failed_attempt:
                return  # this very run failed already: do not verify it again every few seconds
            try:
                await self._load(find, profiles, name, trigger)
            except Exception:
                self._failed_attempt = attempt
                raise
            self.followed_link = link
            self._failed_attempt = None

    def _up_to_date(self, link: str | None) -> bool:
        """Serving, and run_current has not moved since it was last acted on (or is gone)."""
        return self.snapshot is not None and (link is None or link == self.followed_link)


def release_free_memory() -> None:
    """Hand the heap memory freed by a dropped run back to the OS (glibc's malloc_trim).

    The pair tables are unpickled into arrays of tens of MB each, below glibc's mmap threshold
    once it has adapted, so they live in malloc arenas that glibc keeps after they are freed:
    measured at 300k products, each reload left a worker ~1.1 GB larger (RSS 1.5 -> 2.6 GB)
    until malloc_trim brought it back. A no-op where the C library has no malloc_trim.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def promoted_run(settings: Settings) -> Path:
    return requested_run(settings, L.CURRENT_LINK)


def _fingerprint(find: RunFinder, settings: Settings, *, with_profiles: bool) -> tuple:
    """What a load would read (the run and its manifest's mtime, the profiles file): a load that
    failed is tried again only once one of them changes."""
    try:
        run_dir = find(settings)
        run: tuple = (str(run_dir), _mtime(run_dir / L.MANIFEST))
    except ReloadError as exc:
        run = (str(exc),)
    return run, _mtime(settings.panier_params_path) if with_profiles else None


def _readlink(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _since(start: float) -> float:
    return round(time.monotonic() - start, 3)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
