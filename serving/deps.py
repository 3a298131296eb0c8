"""Dependencies of the routes, as `Annotated` aliases (the full-stack FastAPI template's style).

`ServedSnapshot` is where a request reads the state reference, once: the route then works on
that snapshot only, whatever reload happens meanwhile. The dependencies are `async def` although
they never await: FastAPI runs a plain `def` dependency in its thread pool, a thread hand-off per
dependency per request that cost more than the rest of the request's overhead together.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from serving.runs import Snapshot
from serving.settings import Settings
from serving.state import ServingState

_admin_key_header = APIKeyHeader(
    name="X-Admin-Key", auto_error=False, description="The ADMIN_KEY of the service"
)


async def get_state(request: Request) -> ServingState:
    return request.app.state.serving


async def get_settings(request: Request) -> Settings:
    return request.app.state.serving.settings


State = Annotated[ServingState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_snapshot(state: State) -> Snapshot:
    """The snapshot this request will use to the end; 503 while no run is loaded (or a
    catalogue state or rules link exists that never loaded: serving without them would
    recommend what cannot be sold)."""
    snapshot = state.snapshot
    if snapshot is None:
        raise HTTPException(503, f"not ready: {state.not_ready_reason}")
    if (reason := state.blocking_reason) is not None:
        raise HTTPException(503, f"not ready: {reason}")
    return snapshot


ServedSnapshot = Annotated[Snapshot, Depends(get_snapshot)]


async def require_admin(
    settings: SettingsDep, key: Annotated[str | None, Security(_admin_key_header)]
) -> None:
    """X-Admin-Key must equal ADMIN_KEY (constant-time). Without ADMIN_KEY, reload is closed unless
    ALLOW_UNAUTHENTICATED_RELOAD says otherwise. The key is never logged nor echoed."""
    expected = settings.admin_key_bytes
    if expected is None:
        if settings.allow_unauthenticated_reload:
            return
        raise HTTPException(
            403,
            "reload is disabled: ADMIN_KEY is not set "
            "(ALLOW_UNAUTHENTICATED_RELOAD=1 opens it without a key)",
        )
    if key is None:
        raise HTTPException(401, "X-Admin-Key header required")
    # Header values reach us latin-1 decoded: encoding back gives the bytes the client sent.
    if not hmac.compare_digest(key.encode("latin-1"), expected):
        raise HTTPException(403, "invalid X-Admin-Key")


Admin = Depends(require_admin)
