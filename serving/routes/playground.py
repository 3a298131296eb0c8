"""The merchandiser playground: GET / (a static page under serving/static) and the choices it offers.

The page is plain HTML, CSS and JavaScript served by the API itself (no build step, no CDN): it
works on a network without internet access, and it calls the very routes a client calls
(/products/search, /recommend_panier), so what it shows is what production answers.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from reco_core.ranking.signals import Signal
from serving.deps import ServedSnapshot
from serving.schemas import MAX_K, ErrorBody, PlaygroundOptions, Reordering, SignalInfo
from serving.views import branches

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["playground"])


@router.get("/", include_in_schema=False)
async def playground_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


@router.get("/playground/options", response_model=PlaygroundOptions, responses={503: {"model": ErrorBody}})
async def playground_options(snapshot: ServedSnapshot) -> PlaygroundOptions:
    """The run's professions and the loaded profiles (with what re-orders for variety): the page's pickers."""
    return PlaygroundOptions(
        run_id=snapshot.run.run_id,
        professions=list(snapshot.run.professions),
        profiles=sorted(snapshot.profiles),
        active_profile=snapshot.profile.name,
        max_k=MAX_K,
        signals=[SignalInfo(name=s.value, label=s.label, description=s.description) for s in Signal],
        reordering={
            name: {
                bucket: Reordering.model_validate(params, from_attributes=True)
                for bucket, params in profile.buckets.items()
            }
            for name, profile in snapshot.profiles.items()
        },
        branches=branches(snapshot),
        catalog_id=None if snapshot.catalog is None else snapshot.catalog.state_id,
        rules_id=None if snapshot.rules is None else snapshot.rules.version_id,
    )
