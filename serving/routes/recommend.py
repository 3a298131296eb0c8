"""POST /recommend_panier: the basket -> complements answer, computed by reco_core.ranking."""

from __future__ import annotations

from fastapi import APIRouter

from reco_core.ranking import recommend
from serving.deps import ServedSnapshot
from serving.schemas import ErrorBody, RecommendRequest, RecommendResponse
from serving.views import recommendation

router = APIRouter(tags=["recommendations"])


@router.post(
    "/recommend_panier",
    response_model=RecommendResponse,
    response_model_exclude_unset=True,
    responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
async def recommend_panier(body: RecommendRequest, snapshot: ServedSnapshot) -> RecommendResponse:
    """The k products that best complete the basket.

    A profession the run does not know is treated like none (detected from the basket) and
    reported in `unknown_profession`; unknown product ids are ignored and listed. Ranking runs
    on the event loop: it takes a few milliseconds of CPU, less than a thread hand-off would
    cost under load.
    """
    reco = recommend(snapshot.index, snapshot.profile, body.profession, body.product_ids, body.k)
    return recommendation(snapshot, reco, body.expand)
