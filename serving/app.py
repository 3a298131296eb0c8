"""The FastAPI application: `create_app(settings)` for tests, `app` for `uvicorn serving.app:app`.

The app is thin: routes, schemas and the hot-swappable state; ranking, loading and verification
are reco_core's. Each uvicorn worker imports this module and so builds its own app, state,
metrics and watcher; what workers share is the memory-mapped arrays of the run files.

/docs serves Swagger UI from the fastapi-offline package's copy of its JS and CSS (no CDN):
the API is documented on networks without internet access. `/` is the merchandiser playground
(serving/static, routes/playground.py), offline too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from threadpoolctl import threadpool_limits

from reco_core import __version__, logs
from serving import errors, lean, openapi
from serving.metrics import Metrics
from serving.middleware import ServingMiddleware
from serving.routes import admin, health, metrics, playground, products, recommend, version
from serving.settings import Settings
from serving.state import ServingState

# each worker's private memory (serving/lean.py): lightgbm without pandas nor scikit-learn, before
# a run's blend needs it; large temporaries given back to the OS when freed
lean.import_lightgbm()
lean.tune_malloc()

DESCRIPTION = """Basket → complements for a building-materials distributor.

`POST /recommend_panier` with a basket (and optionally the customer's profession) returns the k
products that complete it, each with its score breakdown. See docs/serving.md."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    logs.configure(settings.log_level)
    state = ServingState(settings, Metrics())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One BLAS thread: a request's matrix-vector products are small, and OpenBLAS's threads
        # spin-wait for each other; with several workers on few cores, 2 threads made a 300k
        # recommendation cost 5.8 ms of CPU instead of 1.6 ms (bench/serving_load.py).
        with threadpool_limits(limits=1, user_api="blas"):
            # Loaded before the worker accepts connections: with several workers, one still
            # loading takes no request instead of answering 503.
            await state.startup()
            watcher = asyncio.create_task(state.watch(), name="run_current watcher")
            try:
                yield
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    app = FastAPIOffline(
        title="reco-materiaux",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.serving = state
    for module in (health, version, recommend, products, admin, metrics, playground):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=playground.STATIC_DIR), name="static")
    errors.install(app)
    openapi.install(app, state)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_allow_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Admin-Key"],
        )
    app.add_middleware(
        ServingMiddleware, metrics=state.metrics, max_body_bytes=settings.max_body_bytes, routes=app.routes
    )
    return app


app = create_app()
