"""Request and response bodies (the OpenAPI schema at /docs is generated from these).

Requests forbid unknown fields: a misspelt `product_id` would otherwise be ignored silently and
answered by popularity. Product ids are JSON integers within int64 (the warehouse's type); a
string or a fractional number is refused rather than guessed (`2.0` is the integer 2, as in JSON
Schema).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from reco_core.ranking import BasketParams
from reco_core.ranking.signals import Signal

MAX_K = 100
MAX_PRODUCT_IDS = 500

# Beyond this magnitude a float no longer spells one integer: 2**53 + 1 written as a float is read as 2**53.
_EXACT_FLOAT_INTS = 2**53


def _whole_number(value: object) -> object:
    """JSON's `2.0` as the integer 2, which JSON Schema's "integer" admits (and some clients write every
    number as a float); while a float spells one integer exactly only. Fractional values, larger
    floats (they could stand for a neighbouring id), strings and booleans stay refused by strict ints."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_FLOAT_INTS:
        return int(value)
    return value


WholeNumber = BeforeValidator(_whole_number)
ProductId = Annotated[
    int, Field(strict=True, ge=-(2**63), le=2**63 - 1, description="ID_PRODUIT"), WholeNumber
]
# Marks a profile name in the JSON schema: serving/openapi.py replaces it by the enum of the
# loaded profiles file (which a reload can change), so no name is fixed here.
PROFILE_NAMES_KEY = "x-loaded-profiles"
ProfileName = Annotated[str, Field(max_length=200, json_schema_extra={PROFILE_NAMES_KEY: True})]
# What serving.runs.requested_run accepts (it answers 400 otherwise): not blank, no NUL character.
# Python's \s is str.isspace, what that check strips.
RunPath = Annotated[
    str, Field(max_length=4096, json_schema_extra={"minLength": 1, "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"})
]
ProductIds = Annotated[list[ProductId], Field(max_length=MAX_PRODUCT_IDS)]
Int64 = Annotated[int, Field(strict=True, ge=-(2**63), le=2**63 - 1), WholeNumber]
IdList = Annotated[list[Int64], Field(max_length=MAX_PRODUCT_IDS)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecommendRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"profession": "PLAQUISTE", "product_ids": [100003, 100047], "k": 10, "expand": True}
            ]
        }
    )

    profession: Annotated[
        str | None,
        Field(
            max_length=100,
            description="A profession of the run; null, empty or unknown: detected from the basket",
        ),
    ] = None
    product_ids: Annotated[ProductIds, Field(description="The basket; unknown ids are ignored and reported")]
    k: Annotated[
        int, Field(strict=True, ge=1, le=MAX_K, description="How many products to return"), WholeNumber
    ] = 10
    expand: Annotated[bool, Field(strict=True, description="Add labels, gamme, univers and MDD flag")] = True
    profile: Annotated[
        ProfileName | None,
        Field(
            description="A profile of the loaded profiles file, for this request only (the playground "
            "compares them); omitted: the active profile",
        ),
    ] = None
    # --- controls (docs/serving.md, "Controls"): delisted products are never returned anyway
    agence: Annotated[
        Int64 | None,
        Field(
            description="ID_AGENCE of the customer's branch: only what it has in stock or can order "
            "(the catalogue state's); unknown branch: 422; no catalogue state served: not applied, "
            "and the answer's controls.note says so"
        ),
    ] = None
    exclude_product_ids: Annotated[ProductIds, Field(description="Products never to return")] = []
    include_univers: Annotated[IdList, Field(description="ID_UNIVERS: return only these (empty: all)")] = []
    exclude_univers: Annotated[IdList, Field(description="ID_UNIVERS never to return")] = []
    include_gammes: Annotated[IdList, Field(description="ID_GAMME: return only these (empty: all)")] = []
    exclude_gammes: Annotated[IdList, Field(description="ID_GAMME never to return")] = []


class EnrichRequest(_Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"product_ids": [100003, 100047]}]})

    product_ids: ProductIds


class ReloadRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"artifact_dir": "run_current", "profile": "diversity_friendly_v2"}]}
    )

    artifact_dir: Annotated[
        RunPath | None,
        Field(
            description="A run, run_current or the root, relative to the artifact root or absolute "
            "inside it; omitted: what ARTIFACT_DIR designates (run_current, else the latest run)",
        ),
    ] = None
    profile: Annotated[
        ProfileName | None,
        Field(description="A profile of the profiles file; omitted: keep the active one"),
    ] = None


class ProductInfo(BaseModel):
    """What the run knows of a product (product_meta.json.gz); null when it has no value."""

    product_id: int
    LIB_PRODUIT: str | None = None
    ID_GAMME: int | None = None
    LIB_GAMME: str | None = None
    ID_UNIVERS: int | None = None
    LIB_UNIVERS: str | None = None
    MDD: bool | None = Field(None, description="Own brand (marque de distributeur); null when unknown")
    substitutes: list[int] | None = Field(
        None,
        description="/products/enrich: products the run found to replace this one in orders (same gamme, "
        "bought apart, same context), best first; the ranking never recommends them beside it. Null: "
        "the run has no substitute table (trained before it) or does not model the product",
    )


class AlternativeOut(BaseModel):
    """The own-brand policy's mark on a recommended product (profile key MDD_POLICY)."""

    product_id: int = Field(
        description="mdd_alternative: the own-brand substitute offered beside the product; mdd_swap: "
        "the branded product this own-brand one replaced"
    )
    score: float
    kind: str = Field(description="mdd_alternative or mdd_swap")
    LIB_PRODUIT: str | None = None
    MDD: bool | None = None


# One field per member of reco_core.ranking.signals.Signal, in its order, described by its label.
ScoreBreakdown = create_model(
    "ScoreBreakdown",
    __doc__="Contribution of each signal; they add up to `score` (reco_core.ranking.signals).",
    **{s.value: (float, Field(description=f"{s.label} : {s.description}")) for s in Signal},
)


class SignalInfo(BaseModel):
    name: str = Field(description="Key of the signal in score_breakdown")
    label: str
    description: str


class RuleHitOut(BaseModel):
    rule_id: str
    action: str = Field(description="pin, boost or bury")
    detail: str = Field(description="What the rule did to the product, in words")


class RuleAppliedOut(BaseModel):
    rule_id: str
    action: str = Field(description="block, pin, boost or bury")
    product_ids: list[int] = Field(description="Products the rule placed or moved")
    removed: int = Field(description="Candidates a block left out")
    skipped: str | None = Field(description="Why a rule in force did nothing")


class ControlsOut(BaseModel):
    catalog_id: str | None = Field(description="The catalogue state served (catalog_current); null: none")
    rules_id: str | None = Field(description="The rules version served (rules_current); null: none")
    agence: int | None = Field(description="The branch whose availability was applied")
    removed: dict[str, int] = Field(
        description="Candidates left out, by reason: delisted, out_of_stock, excluded_product_ids, "
        "univers, gammes, blocked"
    )
    note: str | None = Field(description="What could not be applied and why (no catalogue state...)")


class RecommendedProduct(BaseModel):
    product_id: int
    rank: int
    score: float
    sources: list[int | str] = Field(
        description="Basket ids whose pairs link the product, then 'popp'/'popg' (entered as popular), "
        "then 'emb' when embedding similarity is its largest contribution"
    )
    score_breakdown: ScoreBreakdown
    # With expand: the ProductInfo fields (left out of the answer otherwise).
    LIB_PRODUIT: str | None = None
    ID_GAMME: int | None = None
    LIB_GAMME: str | None = None
    ID_UNIVERS: int | None = None
    LIB_UNIVERS: str | None = None
    MDD: bool | None = None
    rules: list[RuleHitOut] = Field(
        default_factory=list, description="Merchandising rules that placed or moved this product"
    )
    alternative: AlternativeOut | None = Field(
        None,
        description="Only on a product the own-brand policy touched: its own-brand alternative "
        '("existe en MDD"), or the branded product it replaced',
    )


class RecommendResponse(BaseModel):
    run_id: str
    profile: str
    bucket: str = Field(description="Bucket of the profile chosen for the basket size")
    profession: str | None = Field(description="The profession used; null when detected from the basket")
    profession_mix: dict[str, float] = Field(description="Professions weighting the profession signals")
    unknown_profession: str | None = Field(description="Given but unknown to the run: detection was used")
    basket: list[int] = Field(description="Known product ids used, duplicates collapsed")
    unknown_product_ids: list[int]
    fallback: str | None = Field(description="profession_popularity / global_popularity when no id is known")
    recommendations: list[RecommendedProduct]
    controls: ControlsOut | None = None
    shortfall: str | None = Field(None, description="Why fewer than k products came back; null when k did")
    rules_applied: list[RuleAppliedOut] = Field(default_factory=list, description="What each rule did")


class ProductSearchResponse(BaseModel):
    run_id: str
    query: str
    products: list[ProductInfo] = Field(
        description="Exact id first, then labels starting with the query, then labels containing "
        "every word of it; most bought first within each group"
    )


class Reordering(BaseModel):
    """The settings of a profile's bucket that can place a product above a better-scored one."""

    DIVERSIFY: int = Field(description="1: picked by MMR (relevance traded for variety), 0: by score")
    MMR_LAMBDA: float = Field(description="Share of relevance in MMR; the rest rewards difference")
    CAP_PER_GAMME: int = Field(description="At most this many products of one gamme (0: no cap)")
    PAIR_QUOTA: int = Field(description="At least this many products bought with the basket items")


class BranchInfo(BaseModel):
    id: int
    label: str | None
    available: int = Field(description="Products available there (in stock or orderable, not delisted)")


class PlaygroundOptions(BaseModel):
    """What the playground page offers to choose from, for the run and profiles file served."""

    run_id: str
    professions: list[str] = Field(description="The run's professions ('auto' is null in a request)")
    profiles: list[str] = Field(description="Profiles of the loaded profiles file")
    active_profile: str
    max_k: int
    signals: list[SignalInfo] = Field(
        description="The signals of score_breakdown, in order, with their labels"
    )
    reordering: dict[str, dict[str, Reordering]] = Field(
        description="Per profile and bucket, what may re-order products for variety: the page says "
        "why a card sits below a lower-scored one"
    )
    branches: list[BranchInfo] = Field(
        default_factory=list, description="The catalogue state's branches (empty: none served)"
    )
    catalog_id: str | None = None
    rules_id: str | None = None


class EnrichResponse(BaseModel):
    run_id: str
    products: list[ProductInfo]
    unknown_product_ids: list[int] = Field(description="Ids the run has no metadata for")


class Health(BaseModel):
    ok: bool
    reason: str | None = None


class ReloadReportOut(BaseModel):
    at: datetime
    trigger: str
    ok: bool
    run_id: str | None
    profile: str
    seconds: float
    detail: str | None


class TrainingInfo(BaseModel):
    """From the run's params.json (null when the run does not say)."""

    best_epoch: int | None = None
    best_val_hit_at_10: float | None = Field(None, alias="best_val_hit@10")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per training step")


class RunInfo(BaseModel):
    run_id: str
    run_dir: str
    loaded_at: datetime
    pinned: bool = Field(description="Served by an explicit /reload, not the run run_current points to")
    items: int
    professions: list[str]
    pairs_per_profession: dict[str, int]
    training: TrainingInfo


class ProfileInfo(BaseModel):
    name: str
    buckets: dict[str, BasketParams]


class StateLoadOut(BaseModel):
    at: datetime
    trigger: str
    ok: bool
    name: str | None
    seconds: float
    detail: str | None


class StateInfo(BaseModel):
    """The catalogue state or the rules version this worker applies."""

    id: str | None = Field(description="The directory served; null: none (nothing filtered / no rule)")
    current: str | None = Field(description="Where the link (catalog_current / rules_current) points now")
    loaded_at: datetime | None
    summary: dict[str, Any] = Field(default_factory=dict, description="Counts, notes")
    last_load: StateLoadOut | None


class VersionResponse(BaseModel):
    service: str
    version: str
    worker_pid: int
    ready: bool
    not_ready_reason: str | None
    run: RunInfo | None
    profile: ProfileInfo | None
    run_current: str | None = Field(description="Where run_current points now")
    last_reload: ReloadReportOut | None
    reload_check_seconds: float
    catalog: StateInfo | None = None
    rules: StateInfo | None = None


class ReloadResponse(BaseModel):
    ok: bool
    run_id: str
    run_dir: str
    profile: str
    previous_run_id: str | None
    pinned: bool
    loaded_at: datetime
    seconds: float


class ErrorBody(BaseModel):
    detail: str
    errors: list[dict[str, Any]] | None = None
