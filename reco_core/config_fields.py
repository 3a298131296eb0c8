"""What a config field allows, read from the pydantic model: its type, default, bounds and choices.

TrainConfig and GateConfig are the only places where a default, a bound or a list of choices is
written. The `reco` flags (reco_core.cli._fields) and the DAG Params (reco_airflow.params) are
built from FieldSpec, so a change in a config reaches both and they cannot drift apart again.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types as at
from pydantic import BaseModel


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: type  # int, float, bool, str or another class (Path...): the type without None
    default: Any
    optional: bool  # None is allowed
    choices: tuple[Any, ...] | None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    description: str | None = None

    def check(self, value: Any) -> None:
        """Raise ValueError when `value` breaks a bound (the config would refuse it too)."""
        for bound, ok, sign in (
            (self.ge, lambda b: value >= b, ">="),
            (self.gt, lambda b: value > b, ">"),
            (self.le, lambda b: value <= b, "<="),
            (self.lt, lambda b: value < b, "<"),
        ):
            if bound is not None and not ok(bound):
                raise ValueError(f"must be {sign} {bound:g}")


def field_spec(model: type[BaseModel], name: str) -> FieldSpec:
    """The FieldSpec of `model.name`; a required field has the default None."""
    field = model.model_fields[name]
    kind, optional = _strip_none(field.annotation)
    choices = tuple(typing.get_args(kind)) if typing.get_origin(kind) is Literal else None
    if choices is not None:
        kind = type(choices[0])
    bounds: dict[str, float] = {}
    for item in field.metadata:
        for attr, cls in (("ge", at.Ge), ("gt", at.Gt), ("le", at.Le), ("lt", at.Lt)):
            if isinstance(item, cls):
                bounds[attr] = getattr(item, attr)
    default = None if field.is_required() else field.get_default(call_default_factory=True)
    return FieldSpec(name, kind, default, optional, choices, description=field.description, **bounds)


def _strip_none(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False
