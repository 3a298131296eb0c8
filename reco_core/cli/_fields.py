"""Flags built from a config's fields (TrainConfig, GateConfig): default, bounds, choices and help
come from the model, so `reco train` and the DAG's Params read them from one place."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from reco_core.config_fields import FieldSpec, field_spec


@dataclass(frozen=True)
class Bounded:
    """An argparse `type` that converts and applies the field's bounds (kept for the tests)."""

    spec: FieldSpec

    def __call__(self, text: str) -> Any:
        value = self.spec.kind(text)
        self.spec.check(value)  # ValueError: argparse says "invalid value"
        return value

    @property
    def __name__(self) -> str:  # argparse names the type in its error message
        return self.spec.kind.__name__


def add_field(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    model: type[BaseModel],
    name: str,
    **overrides: Any,
) -> argparse.Action:
    """Add `--<name with dashes>` for `model.name`; `overrides` (default=..., help=...) win.

    A bool defaulting to False is a switch (`--include-all-items`); one defaulting to True takes
    0 or 1 (`--cold-identity-token 0`), since a switch could not turn it off.
    """
    spec = field_spec(model, name)
    kwargs: dict[str, Any] = {"default": spec.default, "help": spec.description}
    if spec.kind is bool and spec.default is False:
        kwargs["action"] = "store_true"
    elif spec.kind is bool:
        kwargs |= {"type": int, "choices": (0, 1), "default": int(spec.default)}
    elif spec.choices is not None:
        kwargs["choices"] = spec.choices
    elif spec.kind in (int, float):
        kwargs["type"] = Bounded(spec)
    elif spec.kind is not str:
        kwargs["type"] = spec.kind
    kwargs |= overrides
    return parser.add_argument("--" + name.replace("_", "-"), **kwargs)


def config_values(args: argparse.Namespace, model: type[BaseModel]) -> dict[str, Any]:
    """The parsed flags that are fields of `model` (a 0|1 flag becomes the bool again)."""
    values = {name: getattr(args, name) for name in model.model_fields if hasattr(args, name)}
    for name, value in values.items():
        if field_spec(model, name).kind is bool:
            values[name] = bool(value)
    return values
