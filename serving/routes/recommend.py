"""POST /recommend_panier: the basket -> complements answer, computed by reco_core.ranking."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from reco_core.errors import RecoError
from reco_core.ranking import get_profile
from reco_core.ranking.controls import ControlError, Controls
from reco_core.rules.apply import recommend_with_controls
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

    Controls: delisted products are never returned (with a catalogue state served); `agence`
    keeps what that branch stocks or can order; exclusions and univers/gamme filters apply; the
    rules in force apply after ranking. k products come back whenever the catalogue allows;
    `shortfall` says why otherwise. An unknown branch is a 422 naming `agence`.
    """
    profile = snapshot.profile
    if body.profile is not None:
        try:
            profile = get_profile(snapshot.profiles, body.profile)
        except RecoError as exc:
            raise HTTPException(422, f"profile: {exc}") from None
    controls = Controls(
        agence=body.agence,
        exclude_product_ids=tuple(body.exclude_product_ids),
        include_univers=tuple(body.include_univers),
        exclude_univers=tuple(body.exclude_univers),
        include_gammes=tuple(body.include_gammes),
        exclude_gammes=tuple(body.exclude_gammes),
    )
    try:
        reco = recommend_with_controls(
            snapshot.controls, snapshot.rules, profile, body.profession, body.product_ids, body.k, controls
        )
    except ControlError as exc:
        raise HTTPException(422, str(exc)) from None
    return recommendation(snapshot, reco, body.expand, profile.name, controls)
