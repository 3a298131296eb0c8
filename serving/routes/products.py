"""POST /products/enrich: what the served run knows of a list of products."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import ServedSnapshot
from serving.schemas import EnrichRequest, EnrichResponse, ErrorBody
from serving.views import enrich

router = APIRouter(prefix="/products", tags=["products"])


@router.post(
    "/enrich", response_model=EnrichResponse, responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}}
)
async def enrich_products(body: EnrichRequest, snapshot: ServedSnapshot) -> EnrichResponse:
    """Labels, gamme, univers and MDD flag of each id (deduplicated, request order)."""
    return enrich(snapshot, body.product_ids)
