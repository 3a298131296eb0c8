"""Readiness: 200 once a run is served, 503 with the reason before (or while none could be loaded)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from serving.deps import State
from serving.schemas import Health

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", response_model=Health, response_model_exclude_none=True, responses={503: {"model": Health}}
)
async def healthz(state: State) -> Health | JSONResponse:
    if (reason := state.blocking_reason) is not None:
        return JSONResponse({"ok": False, "reason": reason}, status_code=503)
    return Health(ok=True)
