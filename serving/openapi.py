"""The OpenAPI schema published at /openapi.json (and read by /docs): FastAPI's, made exact.

A client generator or a fuzzer trusts the schema to say which requests the server accepts, so
it must not accept what the server refuses:

- Request bodies are published as pydantic validates them. FastAPI's OpenAPI model types
  `minimum`/`maximum` as float, so the int64 bound 2**63 - 1 came out as 9.223372036854776e+18
  (= 2**63), and 2**63 + 191 passed the schema but got a 422.
- `profile` lists the profiles of the file the worker has loaded (an unknown one is a 422).
  That file changes with a reload, so the schema is rebuilt when the loaded names change, not
  cached once for the process like FastAPI's `app.openapi_schema`.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from serving.schemas import PROFILE_NAMES_KEY, EnrichRequest, RecommendRequest, ReloadRequest
from serving.state import ServingState

REQUEST_MODELS: tuple[type[BaseModel], ...] = (RecommendRequest, EnrichRequest, ReloadRequest)
_REF_TEMPLATE = "#/components/schemas/{model}"


def install(app: FastAPI, state: ServingState) -> None:
    """Serve `published_schema` instead of FastAPI's cached one."""
    app.openapi = _Publisher(app, state)  # type: ignore[method-assign]


class _Publisher:
    """`app.openapi`: FastAPI's schema, fixed once, with the profiles enum of the loaded file."""

    def __init__(self, app: FastAPI, state: ServingState) -> None:
        self._app = app
        self._state = state
        self._published: tuple[tuple[str, ...] | None, dict[str, Any]] | None = None

    def __call__(self) -> dict[str, Any]:
        snapshot = self._state.snapshot
        names = tuple(sorted(snapshot.profiles)) if snapshot is not None else None
        if self._published is None or self._published[0] != names:
            base = FastAPI.openapi(self._app)  # FastAPI's own, built once and cached by it
            self._published = (names, published_schema(base, names))
        return self._published[1]


def published_schema(base: dict[str, Any], profile_names: tuple[str, ...] | None) -> dict[str, Any]:
    """`base` (FastAPI's schema) with the request bodies as pydantic writes them and `profile`
    restricted to `profile_names` (None, nothing loaded yet: any name)."""
    schema = copy.deepcopy(base)
    components = schema["components"]["schemas"]
    for model in REQUEST_MODELS:
        components[model.__name__] = model.model_json_schema(ref_template=_REF_TEMPLATE)
    _set_profile_names(components, profile_names)
    return schema


def _set_profile_names(node: Any, names: tuple[str, ...] | None) -> None:
    """Replace each PROFILE_NAMES_KEY marker by an enum of `names` (dropped when None)."""
    if isinstance(node, dict):
        if node.pop(PROFILE_NAMES_KEY, False) and names is not None:
            node["enum"] = list(names)
        for value in node.values():
            _set_profile_names(value, names)
    elif isinstance(node, list):
        for value in node:
            _set_profile_names(value, names)
