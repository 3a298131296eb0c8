"""Which run to load, and loading it into a snapshot: the blocking half of a reload.

Everything here runs in a worker thread (never on the event loop) and raises ReloadError, whose
status and message the API returns as is. Nothing here touches the snapshot being served: a
snapshot is built beside it, complete, or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from reco_core.artifacts import layout as L
from reco_core.artifacts.loader import load_run
from reco_core.artifacts.run import RunArtifacts
from reco_core.artifacts.store import resolve_run
from reco_core.catalog.state import CatalogState
from reco_core.errors import ArtifactError, RecoError
from reco_core.ranking import Profile, RankerIndex, get_profile
from reco_core.ranking.controls import ControlIndex
from reco_core.rules.apply import RulesEngine
from reco_core.rules.versions import RulesVersion
from reco_core.search import ProductSearchIndex
from serving.settings import Settings


class ReloadError(RecoError):
    """A reload that cannot happen: `status` is the HTTP answer, the message names the field."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.status = status


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything one request reads, immutable: a request keeps the snapshot it started with."""

    run: RunArtifacts
    index: RankerIndex
    profiles: Mapping[str, Profile]
    profile: Profile
    loaded_at: datetime
    # The catalogue state and the rules in force, aligned on this run (None: none is served; then
    # nothing is filtered by availability, and no rule applies). Swapped with the run, or alone
    # when catalog_current / rules_current moves (with_state).
    controls: ControlIndex | None = None
    rules: RulesEngine | None = None

    @property
    def catalog(self) -> CatalogState | None:
        return None if self.controls is None else self.controls.catalog

    def with_state(self, catalog: CatalogState | None, rules: RulesVersion | None) -> Snapshot:
        """This snapshot with another catalogue state and rules: the run and profile unchanged."""
        same_run = self.controls is not None and self.controls.index is self.index
        controls = ControlIndex.build(self.index, catalog, self.controls.item_univers if same_run else None)
        engine = None if rules is None else RulesEngine.build(rules, controls)
        return replace(self, controls=controls, rules=engine)

    @cached_property
    def search(self) -> ProductSearchIndex:
        """GET /products/search: the labels folded once per run, not per query, and only when the
        first search comes (0.4-0.6 s of Arrow kernels at 300k products, GIL released, and ~35 MiB
        per worker, which a reload or a promotion followed by every worker need not pay). The
        labels come from the run's product_meta.arrow column: no Python string per product. Two
        first searches at once may both build it."""
        return ProductSearchIndex.build(self.run.item_ids, self.run.product_meta, self.run.train_pop)


def current_link(root: Path) -> str | None:
    """Where `run_current` points (one readlink: cheap enough to poll), None when it is not a symlink."""
    try:
        return os.readlink(root / L.CURRENT_LINK)
    except OSError:
        return None


def default_run(settings: Settings) -> Path:
    """The run ARTIFACT_DIR designates: itself if it is a run, else run_current, else the latest run."""
    try:
        return resolve_run(settings.artifact_dir)
    except ArtifactError as exc:
        status = 404 if not settings.artifact_dir.exists() else 409
        raise ReloadError(status, "artifact_dir", str(exc)) from None


def requested_run(settings: Settings, artifact_dir: str) -> Path:
    """The run a /reload asks for: a path relative to the artifact root, or absolute inside it.

    The check is made on the real path (symlinks resolved), so neither `..`, an absolute path
    elsewhere, nor a symlink placed in the root can lead the API to load files from outside it.
    """
    root = settings.artifact_root
    if not artifact_dir.strip() or "\0" in artifact_dir:
        raise ReloadError(400, "artifact_dir", "must be a non-empty path without NUL characters")
    real = Path(os.path.realpath(root / artifact_dir))  # an absolute artifact_dir replaces root
    if real != root and root not in real.parents:
        raise ReloadError(403, "artifact_dir", f"{artifact_dir!r} resolves outside the artifact root {root}")
    if not real.exists():
        raise ReloadError(
            404, "artifact_dir", f"{artifact_dir!r} does not exist under the artifact root {root}"
        )
    try:
        run_dir = resolve_run(real)
    except ArtifactError as exc:
        raise ReloadError(409, "artifact_dir", str(exc)) from None
    if root not in run_dir.parents:  # a run_current below the root pointing elsewhere
        raise ReloadError(
            403, "artifact_dir", f"{artifact_dir!r} leads to {run_dir}, outside the artifact root"
        )
    if not L.RUN_NAME_RE.match(run_dir.name):
        raise ReloadError(
            400, "artifact_dir", f"{run_dir.name} is not a run directory (run_YYYYMMDD_HHMMSS[_tag])"
        )
    return run_dir


def read_profiles(settings: Settings) -> Mapping[str, Profile]:
    """The profiles of PANIER_PARAMS_PATH with the ranking overrides: RecoSettings.profiles, which
    the promotion gate loads too."""
    try:
        return settings.profiles()
    except RecoError as exc:
        raise ReloadError(409, "profile", f"the profiles file does not load: {exc}") from None


def build_snapshot(
    run_dir: Path,
    profiles: Mapping[str, Profile],
    profile_name: str,
    catalog: CatalogState | None = None,
    rules: RulesVersion | None = None,
) -> Snapshot:
    """Load and verify `run_dir` (load_run), index it and pick the profile, or raise ReloadError.

    The profile is checked first: an unknown name fails in a millisecond instead of after the
    run has been read and verified.
    """
    try:
        profile = get_profile(profiles, profile_name)
    except RecoError as exc:
        raise ReloadError(422, "profile", str(exc)) from None
    try:
        run = load_run(run_dir)
    except ArtifactError as exc:
        raise ReloadError(409, "artifact_dir", str(exc)) from None
    return Snapshot(run, RankerIndex.build(run), profiles, profile, datetime.now(UTC)).with_state(
        catalog, rules
    )
