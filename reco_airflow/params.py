"""DAG Params built from a config's fields (TrainConfig, GateConfig): the default, the bounds, the
choices and the description are the model's, the ones the `reco` flags are built from too, so the
DAG and the CLI cannot judge or train with different rules again."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param
from pydantic import BaseModel

from reco_core.config_fields import field_spec

_JSON_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string"}
_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


def param_of(model: type[BaseModel], name: str, **overrides: Any) -> Param:
    """The Param of `model.name`; `overrides` (default=..., description=..., pattern=...) win."""
    spec = field_spec(model, name)
    schema: dict[str, Any] = {"description": spec.description}
    if spec.choices is not None:
        schema["enum"] = list(spec.choices)
    else:
        schema["type"] = _JSON_TYPES[spec.kind]
    for attr, keyword in _BOUNDS.items():
        if (bound := getattr(spec, attr)) is not None:
            schema[keyword] = bound
    schema |= overrides
    return Param(schema.pop("default", spec.default), **schema)
