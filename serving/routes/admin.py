"""POST /reload: load another run and/or profile into this worker, protected by X-Admin-Key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from serving.deps import Admin, State
from serving.schemas import ErrorBody, ReloadRequest, ReloadResponse

router = APIRouter(tags=["admin"])
_errors = {status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 422)}


@router.post("/reload", response_model=ReloadResponse, dependencies=[Admin], responses=_errors)
async def reload(state: State, body: Annotated[ReloadRequest | None, Body()] = None) -> ReloadResponse:
    """Load, verify and index the run (in a thread, beside the served one), then swap it in.

    On failure the previous run keeps serving and the answer says which field is at fault and
    why (4xx). A run other than run_current stays pinned until run_current next changes. Reaches
    the one worker that gets the request: see docs/serving.md for several workers.
    """
    body = body or ReloadRequest()
    swap = await state.reload(body.artifact_dir, body.profile)
    snapshot = swap.snapshot
    return ReloadResponse(
        ok=True,
        run_id=snapshot.run.run_id,
        run_dir=str(snapshot.run.run_dir),
        profile=snapshot.profile.name,
        previous_run_id=swap.previous.run.run_id if swap.previous else None,
        pinned=swap.pinned,
        loaded_at=snapshot.loaded_at,
        seconds=swap.seconds,
    )
