"""reco_core results -> response bodies: pure functions of a snapshot, no I/O."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from reco_core import columns as C
from reco_core.ranking import Recommendation
from reco_core.ranking.controls import Controls
from reco_core.ranking.result import Alternative
from serving.runs import Snapshot
from serving.schemas import (
    AlternativeOut,
    BranchInfo,
    ControlsOut,
    EnrichResponse,
    ProductInfo,
    ProductSearchResponse,
    ProfileInfo,
    RecommendedProduct,
    RecommendResponse,
    RuleAppliedOut,
    RuleHitOut,
    RunInfo,
    ScoreBreakdown,
    StateInfo,
    StateLoadOut,
    TrainingInfo,
)

if TYPE_CHECKING:
    from serving.state import Follower, ServingState

_META_FIELDS = (C.LIB_PRODUIT, C.ID_GAMME, C.LIB_GAMME, C.ID_UNIVERS, C.LIB_UNIVERS)


def product_fields(snapshot: Snapshot, product_id: int) -> dict[str, Any] | None:
    """Labels, gamme, univers and MDD flag of a product; None when the run knows nothing of it.

    MDD comes from ID_MARQUE in product_meta (1 = own brand); for an item without it, from the
    run's item_is_pl array, which training derived from the same column.
    """
    run = snapshot.run
    meta = run.product_meta.get(product_id)
    index = run.item_index.get(product_id)
    if meta is None and index is None:
        return None
    meta = meta or {}
    fields = {name: meta.get(name) for name in _META_FIELDS}
    brand = meta.get(C.ID_MARQUE)
    if brand is not None:
        fields["MDD"] = brand == 1
    else:
        fields["MDD"] = None if index is None else bool(run.item_is_pl[index])
    return fields


def recommendation(
    snapshot: Snapshot, reco: Recommendation, expand: bool, profile: str, controls: Controls | None = None
) -> RecommendResponse:
    items = []
    for rank, item in enumerate(reco.items, 1):
        extra = (product_fields(snapshot, item.product_id) or {}) if expand else {}
        items.append(
            RecommendedProduct(
                product_id=item.product_id,
                rank=rank,
                score=item.score,
                sources=list(item.sources),
                score_breakdown=ScoreBreakdown(**vars(item.breakdown)),  # asdict: 10x slower
                **extra,
                # only on the items a rule touched: the answer's shape is unchanged otherwise
                **(
                    {
                        "rules": [
                            RuleHitOut(rule_id=h.rule_id, action=h.action, detail=h.detail)
                            for h in item.rules
                        ]
                    }
                    if item.rules
                    else {}
                ),
                **({"alternative": _alternative(snapshot, item.alternative)} if item.alternative else {}),
            )
        )
    return RecommendResponse(
        run_id=snapshot.run.run_id,
        profile=profile,
        bucket=reco.bucket,
        profession=reco.profession,
        profession_mix=dict(reco.profession_mix),
        unknown_profession=reco.unknown_profession,
        basket=list(reco.basket),
        unknown_product_ids=list(reco.unknown_product_ids),
        fallback=reco.fallback,
        recommendations=items,
        controls=controls_out(snapshot, reco, controls),
        shortfall=reco.shortfall,
        rules_applied=[
            RuleAppliedOut(
                rule_id=r.rule_id,
                action=r.action,
                product_ids=list(r.product_ids),
                removed=r.removed,
                skipped=r.skipped,
            )
            for r in reco.rules_applied
        ],
    )


def _alternative(snapshot: Snapshot, alt: Alternative) -> AlternativeOut:
    fields = product_fields(snapshot, alt.product_id) or {}
    return AlternativeOut(
        product_id=alt.product_id,
        score=alt.score,
        kind=alt.kind,
        LIB_PRODUIT=fields.get(C.LIB_PRODUIT),
        MDD=fields.get("MDD"),
    )


def substitutes_of(snapshot: Snapshot, product_id: int) -> list[int] | None:
    """The run's substitutes of a product, best first; None when the run has no table or does
    not model the product."""
    run = snapshot.run
    table = getattr(run, "substitutes", None)
    index = run.item_index.get(product_id)
    if table is None or index is None:
        return None
    return [int(pid) for pid in run.item_ids[table.row(index)[0]].tolist()]


def controls_out(snapshot: Snapshot, reco: Recommendation, controls: Controls | None) -> ControlsOut:
    """What was applied: the catalogue state and rules served, what left the candidates, and what
    could not be applied (no catalogue state: nothing filtered by availability, said here)."""
    catalog = snapshot.catalog
    agence = controls.agence if controls else None
    notes = []
    if catalog is None:
        notes.append(
            "no catalogue state is served (catalog_current): delisted and out-of-stock products "
            "are not filtered" + (f"; agence {agence} not applied" if agence is not None else "")
        )
    if snapshot.rules is not None and snapshot.rules.notes:
        notes += snapshot.rules.notes
    return ControlsOut(
        catalog_id=None if catalog is None else catalog.state_id,
        rules_id=None if snapshot.rules is None else snapshot.rules.version_id,
        agence=agence if catalog is not None else None,
        removed={reason: n for reason, n in reco.removed.items() if n},
        note="; ".join(notes) or None,
    )


def enrich(snapshot: Snapshot, product_ids: Iterable[int]) -> EnrichResponse:
    products, unknown = [], []
    for pid in dict.fromkeys(product_ids):  # deduplicated, request order
        fields = product_fields(snapshot, pid)
        if fields is None:
            unknown.append(pid)
        else:
            products.append(ProductInfo(product_id=pid, **fields, substitutes=substitutes_of(snapshot, pid)))
    return EnrichResponse(run_id=snapshot.run.run_id, products=products, unknown_product_ids=unknown)


def search_results(snapshot: Snapshot, query: str, limit: int) -> ProductSearchResponse:
    """The run's products matching `query` (reco_core.search), with what the run knows of each."""
    ids = snapshot.run.item_ids[snapshot.search.search(query, limit)].tolist()
    products = [ProductInfo(product_id=pid, **(product_fields(snapshot, pid) or {})) for pid in ids]
    return ProductSearchResponse(run_id=snapshot.run.run_id, query=query, products=products)


def run_info(snapshot: Snapshot, pinned: bool) -> RunInfo:
    run = snapshot.run
    return RunInfo(
        run_id=run.run_id,
        run_dir=str(run.run_dir),
        loaded_at=snapshot.loaded_at,
        pinned=pinned,
        items=run.n_items,
        professions=list(run.professions),
        pairs_per_profession={name: csr.nnz for name, csr in run.pairs.items()},
        training=_training(run.params),
    )


def _training(params: dict[str, Any]) -> TrainingInfo:
    """The training summary of params.json; a hand-made run may lack it or spell it otherwise,
    which must not make /version fail."""
    try:
        return TrainingInfo.model_validate(
            {key: params[key] for key in ("best_epoch", "best_val_hit@10", "timings") if key in params}
        )
    except ValidationError:
        return TrainingInfo()


def profile_info(snapshot: Snapshot) -> ProfileInfo:
    return ProfileInfo(name=snapshot.profile.name, buckets=dict(snapshot.profile.buckets))


def state_info(state: ServingState, follower: Follower, snapshot: Snapshot | None) -> StateInfo:
    """/version's view of the catalogue state or the rules: what is applied, where the link
    points, the last load attempt (failed ones with their detail)."""
    try:
        current = os.readlink(state.settings.artifact_root / follower.kind.current_link)
    except OSError:
        current = None
    value = follower.value
    summary: dict[str, Any] = {}
    if value is None:
        summary["note"] = f"no {follower.kind.noun} served" + (
            ": nothing is filtered by availability" if follower is state.catalog else ": no rule applies"
        )
        name = None
    elif follower is state.catalog:
        name = value.state_id
        summary = {**value.meta.get("counts", {})}
        if snapshot is not None and snapshot.controls is not None and snapshot.controls.sellable is not None:
            summary["run_items_not_sellable"] = int((~snapshot.controls.sellable).sum())
    else:
        name = value.version_id
        summary = {"rules": len(value.rules.rules), "source": value.source}
        if snapshot is not None and snapshot.rules is not None and snapshot.rules.notes:
            summary["notes"] = list(snapshot.rules.notes)
    last = follower.last
    return StateInfo(
        id=name,
        current=current,
        loaded_at=follower.loaded_at,
        summary=summary,
        last_load=None if last is None else StateLoadOut(**asdict(last)),
    )


def branches(snapshot: Snapshot) -> list[BranchInfo]:
    catalog = snapshot.catalog
    if catalog is None:
        return []
    return [BranchInfo(id=b.branch_id, label=b.label, available=b.available) for b in catalog.branches]
