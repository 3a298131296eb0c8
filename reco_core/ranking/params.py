"""The ranking parameters of one basket-size bucket, and how layers of them are merged.

The names are the original product's (upper case, so that a profile key, an environment variable
and a field are spelled the same). Built-in defaults are the original README §8 values; the
additions (PAIR_REV_WEIGHT, W_COVERAGE, TOP_PAIRS_TOTAL, PROFMIX_*) are documented in docs/profiles.md.

Parameters are resolved in layers: built-in defaults < environment variables < a profile's
"default" bucket < the bucket chosen for the basket size. Each layer is validated as it is laid
on the previous one, so an error names the layer (and the key as the user spelled it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reco_core.errors import RecoError

# Spellings of the original's tips (README §13) accepted for the canonical names.
ALIASES: Mapping[str, str] = {"W_PL_ABS": "W_PL_BASE", "PL_MULT": "W_PL_PER_BASK_PL"}


class BasketParams(BaseModel):
    """Weights, pool sizes, diversity and profession-mix settings for one basket-size bucket.

    Weights are non-negative: every signal is scaled to [0, 1] (see reco_core.ranking), so a
    weight is directly the most that signal can add to a score.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # weights of the linear blend
    W_PAIR: float = Field(0.60, ge=0)
    W_EMB: float = Field(0.30, ge=0)
    W_POPP: float = Field(0.20, ge=0)
    W_POPG: float = Field(0.0, ge=0)
    PAIR_ANY_WEIGHT: float = Field(0.40, ge=0)  # ANY pairs relative to the profession's pairs
    PAIR_REV_WEIGHT: float = Field(0.50, ge=0)  # addition: reverse pairs relative to forward ones
    W_COVERAGE: float = Field(0.10, ge=0)  # addition: bonus for links to several basket items
    W_EASE: float = Field(0.0, ge=0)  # addition: the run's EASE item-item table (0 = not read)
    W_PL_BASE: float = Field(0.10, ge=0)
    W_PL_PER_BASK_PL: float = Field(0.15, ge=0)
    # candidate pool
    TOP_PAIRS: int = Field(2400, ge=0)
    TOP_POPP: int = Field(1600, ge=0)
    TOP_POPG: int = Field(300, ge=0)
    TOP_PAIRS_ANY_FRAC: float = Field(0.30, ge=0, le=1)
    TOP_PAIRS_TOTAL: int = Field(1000, ge=0)  # addition: entries per pair table per basket, 0 = no cap
    TOP_EASE: int = Field(200, ge=0)  # addition: entries of each basket item's EASE row in the pool
    # addition: 1 = relevance is the run's learned blend (ranking/learned.py) when the run has one;
    # the W_* relevance weights above then only apply to runs without it. Policies still apply.
    LEARNED_BLEND: int = Field(0, ge=0, le=1)
    # selection
    PAIR_QUOTA: int = Field(2, ge=0)
    DIVERSIFY: int = Field(1, ge=0, le=1)
    MMR_LAMBDA: float = Field(0.7, ge=0, le=1)
    CAP_PER_GAMME: int = Field(2, ge=0)  # 0 = no cap
    # addition: substitute rules (ranking/substitutes.py), for runs with a substitute table:
    # 1 = no substitute of a basket item, no two mutual substitutes in one list
    SUBSTITUTES: int = Field(1, ge=0, le=1)
    # addition: own-brand policy: "boost" = the W_PL_* bonuses only; "mdd_swap" = an own-brand
    # substitute of comparable score takes its branded twin's place; "alternative" = it is
    # returned beside it (RecommendedItem.alternative)
    MDD_POLICY: Literal["boost", "mdd_swap", "alternative"] = "boost"
    MDD_SWAP_MARGIN: float = Field(0.10, ge=0)  # "comparable": within this share of the score spread
    # profession auto-detection
    PROFMIX_TOPK: int = Field(3, ge=1)
    PROFMIX_TEMP: float = Field(0.1, gt=0)
    PROFMIX_MINMASS: float = Field(0.1, ge=0, lt=1)

    @property
    def top_pairs_any(self) -> int:
        """How many entries of each "ANY" pair row enter the pool."""
        return round(self.TOP_PAIRS * self.TOP_PAIRS_ANY_FRAC)


PARAM_NAMES: tuple[str, ...] = tuple(BasketParams.model_fields)


def overlay(base: BasketParams, layer: Mapping[str, Any], where: str) -> BasketParams:
    """`base` with the values of `layer` (canonical names or aliases) laid over it.

    `where` prefixes every error, e.g. "profile 'x', bucket '5+'", so that the message names the
    layer, and the key as it was spelled in that layer.
    """
    spelled = _canonical_keys(layer, where)
    values = {name: layer[key] for name, key in spelled.items()}
    try:
        return BasketParams.model_validate({**base.model_dump(), **values})
    except ValidationError as exc:
        error = exc.errors()[0]
        key = spelled.get(str(error["loc"][0]), str(error["loc"][0]))
        raise RecoError(f"{where}: invalid {key}={layer[key]!r}: {error['msg']}") from None


def params_from_env(environ: Mapping[str, str] | None = None) -> BasketParams:
    """Built-in defaults overridden by the environment variables named like the parameters.

    An empty variable counts as unset (what an env file with `W_PAIR=` means). `environ` None:
    the overrides of reco_core.settings, the one module that reads the environment.
    """
    if environ is None:
        from reco_core.settings import RecoSettings

        environ = RecoSettings().ranking_overrides
    names = (*PARAM_NAMES, *ALIASES)
    layer = {name: environ[name] for name in names if environ.get(name, "").strip()}
    return overlay(BasketParams(), layer, "environment")


def _canonical_keys(layer: Mapping[str, Any], where: str) -> dict[str, str]:
    """Canonical name -> key as spelled in `layer`; unknown keys and alias clashes are errors."""
    spelled: dict[str, str] = {}
    for key in layer:
        name = ALIASES.get(key, key)
        if name not in BasketParams.model_fields:
            raise RecoError(f"{where}: unknown key '{key}'")
        if name in spelled:
            raise RecoError(f"{where}: both '{spelled[name]}' and '{key}' set {name}")
        spelled[name] = key
    return spelled
