"""Helpers shared by command modules: config validation errors as one readable line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reco_core.errors import RecoError
from reco_core.settings import JobSettings

M = TypeVar("M", bound=BaseModel)


def default_data_dir() -> Path:
    """Where `reco data` writes and `reco train`/`reco eval` read: RECO_DATA_DIR, unset or empty
    meaning var/data (an empty value must not become the current directory)."""
    return JobSettings().data_dir


def build_config(model: type[M], values: dict[str, Any]) -> M:
    """Validate flags into a config; the error names the flag as the user typed it."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        flag = "--" + field.replace("_", "-")
        raise RecoError(f"invalid {flag}: {first['msg']}", exit_code=2) from None
