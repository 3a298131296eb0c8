"""What this worker serves: versions, counts, profile weights, run, training metrics, reload state."""

from __future__ import annotations

import os
from dataclasses import asdict

from fastapi import APIRouter

from reco_core import __version__
from serving.deps import State
from serving.runs import current_link
from serving.schemas import ReloadReportOut, VersionResponse
from serving.views import profile_info, run_info, state_info

router = APIRouter(tags=["service"])


@router.get("/version", response_model=VersionResponse)
async def version(state: State) -> VersionResponse:
    snapshot = state.snapshot  # read once, like every request
    report = state.last_reload
    return VersionResponse(
        service="reco-materiaux",
        version=__version__,
        worker_pid=os.getpid(),
        ready=state.blocking_reason is None,
        not_ready_reason=state.blocking_reason,
        run=None if snapshot is None else run_info(snapshot, state.pinned),
        profile=None if snapshot is None else profile_info(snapshot),
        run_current=current_link(state.settings.artifact_root),
        last_reload=None if report is None else ReloadReportOut(**asdict(report)),
        reload_check_seconds=state.settings.reload_check_seconds,
        catalog=state_info(state, state.catalog, snapshot),
        rules=state_info(state, state.rules, snapshot),
    )
