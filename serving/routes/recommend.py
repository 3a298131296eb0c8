"""POST /recommend_panier: the basket -> complements answer, computed by reco_core.ranking."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from reco_core.errors import RecoError
from reco_core.ranking import get_profile, recommend
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
    cost under load. `profile` picks another profile of the loaded file for this request only
    (an unknown one is a 422 listing the known ones).
    """
    profile = snapshot.profile
    if body.profile is not None:
        try:
            profile = get_profile(snapshot.profiles, body.profile)
        except RecoError as exc:
            raise HTTPException(422, f"profile: {exc}") from None
    reco = recommend(snapshot.index, profile, body.profession, body.product_ids, body.k)
    return recommendation(snapshot, reco, body.expand, profile.name)
