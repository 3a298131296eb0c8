"""POST /products/enrich: what the served run knows of a list of products; GET /products/search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from reco_core.search import MAX_LIMIT, MAX_QUERY_CHARS
from serving.deps import ServedSnapshot
from serving.schemas import EnrichRequest, EnrichResponse, ErrorBody, ProductSearchResponse
from serving.views import enrich, search_results

router = APIRouter(prefix="/products", tags=["products"])
_errors = {422: {"model": ErrorBody}, 503: {"model": ErrorBody}}


@router.post("/enrich", response_model=EnrichResponse, responses=_errors)
async def enrich_products(body: EnrichRequest, snapshot: ServedSnapshot) -> EnrichResponse:
    """Labels, gamme, univers, MDD flag and substitutes (the run's table) of each id (deduplicated,
    request order)."""
    return enrich(snapshot, body.product_ids)


@router.get("/search", response_model=ProductSearchResponse, responses=_errors)
def search_products(
    snapshot: ServedSnapshot,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="Words of the label (case and accents ignored) or an exact product id",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most results returned")] = 20,
) -> ProductSearchResponse:
    """The run's products whose label starts with or contains `q`, or whose id is `q` (the playground's
    search box). A plain `def`: on a large catalogue a query scans every label for tens of
    milliseconds, which belongs in the thread pool rather than on the event loop."""
    return search_results(snapshot, q, limit)
