"""Settings from the environment, and the one-line messages built from validation errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from serving.errors import field_name
from serving.settings import DEFAULT_PROFILE, Settings

SERVICE_VARS = (
    "PORT",
    "HOST",
    "ARTIFACT_DIR",
    "RECO_ARTIFACT_ROOT",
    "ADMIN_KEY",
    "ALLOW_UNAUTHENTICATED_RELOAD",
    "CORS_ALLOW_ORIGINS",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in SERVICE_VARS:
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_documented_ones():
    s = Settings()
    assert (s.port, s.host, str(s.artifact_dir), s.admin_key, s.allow_unauthenticated_reload) == (
        8080,
        "127.0.0.1",
        "artifacts",
        None,
        False,
    )
    assert (s.panier_profile, s.reload_check_seconds, s.cors_allow_origins, s.max_body_bytes) == (
        DEFAULT_PROFILE,
        5.0,
        (),
        1 << 20,
    )
    assert s.panier_params_path.is_file()


def test_environment_values_are_parsed(monkeypatch):
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", " https://a.fr, ,https://b.fr ")
    monkeypatch.setenv("ALLOW_UNAUTHENTICATED_RELOAD", "1")
    monkeypatch.setenv("ADMIN_KEY", "clé")
    s = Settings()
    assert s.port == 9000 and s.cors_allow_origins == ("https://a.fr", "https://b.fr")
    assert s.allow_unauthenticated_reload is True
    assert s.admin_key_bytes == "clé".encode() and "clé" not in repr(s)  # SecretStr hides it


def test_an_empty_admin_key_counts_as_unset(monkeypatch):
    monkeypatch.setenv("ADMIN_KEY", "")
    assert Settings().admin_key_bytes is None


def test_invalid_values_are_refused(monkeypatch):
    monkeypatch.setenv("PORT", "80000")
    with pytest.raises(ValidationError, match="port"):
        Settings()


def test_artifact_dir_naming_a_run_makes_its_parent_the_root(tmp_path):
    assert Settings(artifact_dir=tmp_path).artifact_root == tmp_path.resolve()
    for name in ("run_20240101_000000", "run_current"):
        s = Settings(artifact_dir=tmp_path / name)
        assert s.designates_run and s.artifact_root == tmp_path.resolve()


@pytest.mark.parametrize(
    ("loc", "name"),
    [
        (("body", "k"), "k"),
        (("body", "product_ids", 3), "product_ids[3]"),
        (("body",), "body"),
        (("header", "x-admin-key"), "x-admin-key"),
        (("body", "a", "b"), "a.b"),
    ],
)
def test_validation_errors_name_the_field_as_the_client_spelled_it(loc, name):
    assert field_name(loc) == name
