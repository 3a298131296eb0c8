"""Fixtures of the serving end-to-end tests (helpers live in serving_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from serving_server import make_templates


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> dict[str, Path]:
    return make_templates(tmp_path_factory.mktemp("serving_templates"))
