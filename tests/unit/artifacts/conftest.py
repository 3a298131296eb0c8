"""Fixtures of the artifact-store tests: copies of the session's tiny valid run (tests/unit/conftest.py)."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest


@pytest.fixture
def add_run(template_run, root):
    """Copy the template run under the artifact root as `name`."""

    def add(name: str = template_run.name, under: Path | None = None) -> Path:
        return Path(shutil.copytree(template_run, (under or root) / name))

    return add


@pytest.fixture
def run_dir(add_run) -> Path:
    return add_run()


class _MakesDirectory:
    """Unpickling this creates a directory: proof that a pickle was (or was not) loaded."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@pytest.fixture
def evil_pickle(tmp_path) -> tuple[bytes, Path]:
    marker = tmp_path / "pickle-was-loaded"
    return pickle.dumps(_MakesDirectory(marker)), marker
