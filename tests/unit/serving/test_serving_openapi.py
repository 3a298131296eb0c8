"""The published OpenAPI schema says exactly which requests the server accepts (serving/openapi.py).

schemathesis (tests/e2e/serving/test_serving_fuzz.py) finds any gap by fuzzing; these pin the three
it found: int64 bounds written as floats, `profile` open to any name, an empty `artifact_dir`.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

from fastapi import FastAPI

from serving import openapi
from serving.app import create_app
from serving.settings import Settings


def published(profiles: dict | None) -> tuple[FastAPI, SimpleNamespace]:
    """An app whose publisher reads a stand-in state serving `profiles` (None: nothing loaded)."""
    app = create_app(Settings(artifact_dir="/nonexistent", _env_file=None))
    state = SimpleNamespace(snapshot=None if profiles is None else SimpleNamespace(profiles=profiles))
    openapi.install(app, state)  # in place of the app's own state: nothing is loaded here
    return app, state


def test_int64_bounds_are_exact_integers_in_the_json_served():
    app, _ = published(None)
    text = json.dumps(app.openapi())
    assert "e+18" not in text
    items = app.openapi()["components"]["schemas"]["RecommendRequest"]["properties"]["product_ids"]["items"]
    assert (items["minimum"], items["maximum"]) == (-(2**63), 2**63 - 1)


def test_profile_lists_the_loaded_profiles_and_follows_a_reload():
    app, state = published({"b": 1, "a": 2})
    schemas = app.openapi()["components"]["schemas"]
    for model in ("RecommendRequest", "ReloadRequest"):
        (string,) = [s for s in schemas[model]["properties"]["profile"]["anyOf"] if s.get("type") == "string"]
        assert string["enum"] == ["a", "b"]
    state.snapshot = SimpleNamespace(profiles={"c": 3})  # a reload loaded another profiles file
    properties = app.openapi()["components"]["schemas"]["ReloadRequest"]["properties"]
    assert properties["profile"]["anyOf"][0]["enum"] == ["c"]
    assert "x-loaded-profiles" not in json.dumps(app.openapi())


def test_artifact_dir_must_hold_something_other_than_spaces_and_no_nul():
    app, _ = published(None)
    (string,) = [
        s
        for s in app.openapi()["components"]["schemas"]["ReloadRequest"]["properties"]["artifact_dir"][
            "anyOf"
        ]
        if s.get("type") == "string"
    ]
    assert string["minLength"] == 1
    pattern = re.compile(string["pattern"])
    for refused in ("", " ", "\t\n", "run\0x", "\x1c"):
        assert not pattern.search(refused), refused
    for accepted in (".", "run_current", " run_a ", "/abs/path"):
        assert pattern.search(accepted), accepted
