"""Dockerfile.api and Dockerfile.airflow, without a Docker engine: hadolint (the venv's binary)
finds nothing, every ignore is explained and still needed, every COPY source exists and is in the
build context, the images run as non-root users and match the pinned Python and Airflow."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from helpers.deploy import (
    DOCKERFILES,
    HADOLINT,
    REPO,
    copy_sources,
    dockerfile_instructions,
    dockerignore_excludes,
    dockerignore_patterns,
    final_stage_env,
    instruction_words,
    reachable_files,
    require_binary,
)

HADOLINT_CONFIG = REPO / ".hadolint.yaml"
IGNORE_PRAGMA = re.compile(r"^#\s*hadolint\s+ignore=([A-Z0-9, ]+)$")
BY_NAME = {path.name: path for path in DOCKERFILES}


def hadolint(path: Path) -> list[dict]:
    """hadolint's findings on `path` with the repository's configuration (JSON records)."""
    result = subprocess.run(
        [str(require_binary(HADOLINT)), "--config", str(HADOLINT_CONFIG), "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise AssertionError(f"hadolint failed on {path} (exit {result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    findings = hadolint(dockerfile)
    assert findings == [], "\n".join(f"{f['file']}:{f['line']} {f['code']} {f['message']}" for f in findings)


def test_hadolint_reports_a_bad_dockerfile(tmp_path: Path) -> None:
    """The binary and the configuration really lint: a Dockerfile with known faults is reported,
    an image from outside the trusted registry (.hadolint.yaml) included."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "FROM ghcr.io/acme/base:1.0 AS base\nFROM python:latest\n"
        "RUN apt-get update && apt-get install -y curl\nUSER root\n"
    )
    codes = {finding["code"] for finding in hadolint(bad)}
    assert {"DL3026", "DL3007", "DL3008", "DL3002"} <= codes, codes


def _pragmas(dockerfile: Path) -> list[tuple[int, list[str]]]:
    """(0-based line index, rule codes) of each inline `# hadolint ignore=...`."""
    lines = dockerfile.read_text().splitlines()
    found = []
    for index, line in enumerate(lines):
        match = IGNORE_PRAGMA.match(line.strip())
        if match:
            found.append((index, [code.strip() for code in match.group(1).split(",")]))
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_ignore_is_explained_and_still_needed(dockerfile: Path, tmp_path: Path) -> None:
    """An ignore sits under a comment giving its reason, and hadolint does report the rule without
    it: an ignore that silences nothing is dead and hides the next real finding."""
    lines = dockerfile.read_text().splitlines()
    for index, codes in _pragmas(dockerfile):
        above = lines[index - 1].strip() if index else ""
        assert above.startswith("#") and not IGNORE_PRAGMA.match(above) and len(above) > 20, (
            f"{dockerfile.name}:{index + 1}: `# hadolint ignore` without a comment above saying why"
        )
        stripped = tmp_path / dockerfile.name
        stripped.write_text("\n".join(lines[:index] + lines[index + 1 :]) + "\n")
        # The instruction under the pragma moved up one line in the stripped copy.
        reported = {f["code"] for f in hadolint(stripped) if f["line"] == index + 1}
        assert set(codes) <= reported, f"{dockerfile.name}:{index + 1}: ignore of {codes} silences nothing"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_copied_path_exists_in_the_build_context(dockerfile: Path) -> None:
    sources = copy_sources(dockerfile_instructions(dockerfile))
    assert sources, f"{dockerfile.name} copies nothing from the context"
    patterns = dockerignore_patterns()
    for instruction, source in sources:
        where = f"{dockerfile.name}:{instruction.line} COPY {source}"
        assert (REPO / source).exists(), f"{where}: no such path in the repository"
        assert not dockerignore_excludes(source, patterns), f"{where}: excluded by .dockerignore"


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        (".env", True),
        (".venv/bin/python", True),
        ("reco_core/__pycache__/columns.cpython-311.pyc", True),
        ("tests/unit/deploy/test_deploy_dockerfiles.py", True),
        ("reco_core/columns.py", False),
        ("reco_core/ranking/panier_params.json", False),
        ("reco_airflow/expectations/ventes.json", False),
        ("README.md", False),
    ],
)
def test_dockerignore_keeps_secrets_and_local_state_out(path: str, excluded: bool) -> None:
    assert dockerignore_excludes(path, dockerignore_patterns()) is excluded


def test_dockerignore_rules_follow_docker_semantics() -> None:
    """Last match wins, `!` re-includes, a directory pattern covers what it holds."""
    assert dockerignore_excludes("docs/a/b.md", ["docs"])
    assert not dockerignore_excludes("docs/keep.md", ["docs", "!docs/keep.md"])
    assert dockerignore_excludes("a/b/__pycache__/x.pyc", ["**/__pycache__"])
    assert not dockerignore_excludes("a/__pycache__.py", ["__pycache__"])


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_run_as_a_numeric_non_root_user(dockerfile: Path) -> None:
    instructions = dockerfile_instructions(dockerfile)
    last_stage = max(ins.stage for ins in instructions)
    users = [ins.args for ins in instructions if ins.keyword == "USER" and ins.stage == last_stage]
    assert users, f"{dockerfile.name}: the final stage never sets USER (it would run as root)"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"{dockerfile.name}: final USER {users[-1]!r}"


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_base_images_match_the_pinned_python_and_airflow() -> None:
    project = _pyproject()
    target = project["tool"]["ruff"]["target-version"]  # py311
    python = f"{target[2]}.{target[3:]}"
    (airflow_pin,) = [
        d for d in project["project"]["optional-dependencies"]["airflow"] if "apache-airflow==" in d
    ]
    airflow = airflow_pin.split("==")[1]
    assert f"apache-airflow=={airflow}" in (REPO / "constraints.txt").read_text().splitlines()

    airflow_file = dockerfile_instructions(BY_NAME["Dockerfile.airflow"])
    args = dict(ins.args.split("=", 1) for ins in airflow_file if ins.keyword == "ARG" and "=" in ins.args)
    assert args["AIRFLOW_VERSION"] == airflow
    for ins in (i for i in airflow_file if i.keyword == "FROM"):
        assert ins.args.split()[0] == f"apache/airflow:slim-${{AIRFLOW_VERSION}}-python{python}", ins.args
    for ins in (i for i in dockerfile_instructions(BY_NAME["Dockerfile.api"]) if i.keyword == "FROM"):
        assert ins.args.split()[0].startswith(f"python:{python}-"), ins.args


def _pip_installs(dockerfile: Path) -> list[str]:
    return [
        ins.args
        for ins in dockerfile_instructions(dockerfile)
        if ins.keyword == "RUN" and "pip install" in ins.args
    ]


def test_images_install_the_locked_dependencies_of_their_extra_only() -> None:
    (api,) = _pip_installs(BY_NAME["Dockerfile.api"])
    (airflow,) = _pip_installs(BY_NAME["Dockerfile.airflow"])
    for command in (api, airflow):
        assert "-c constraints.txt" in command and "pip check" in command, command
    assert "'.[serving]'" in api and "airflow" not in api and "dev" not in api
    # the Airflow image installs the project's wheel, built where the compiler is (its build stage)
    assert "reco-materiaux[airflow] @ file://" in airflow and "dev" not in airflow


def test_api_image_serves_on_its_settings_and_checks_healthz() -> None:
    instructions = dockerfile_instructions(BY_NAME["Dockerfile.api"])
    env = final_stage_env(instructions)
    (cmd,) = [ins for ins in instructions if ins.keyword == "CMD"]
    (health,) = [ins for ins in instructions if ins.keyword == "HEALTHCHECK"]
    assert "/healthz" in health.args
    assert instruction_words(cmd.args) == ["python", "-m", "serving"]
    # Every variable the launcher and the probe read is set by the image (compose may override).
    used = {"HOST", "PORT", "WORKERS"} | set(re.findall(r"environ\['(\w+)'\]", health.args))
    assert used <= set(env), f"not set by ENV: {used - set(env)}"
    assert env["HOST"] == "0.0.0.0" and env["DISABLE_MODEL_PICKLE"] == "1"


def _package_data_matches(path: Path, package_data: dict[str, list[str]]) -> bool:
    """Whether setuptools' package-data of an enclosing package (a directory with __init__.py)
    has a pattern matching `path`, relative to that package's directory."""
    for package_dir in path.parents[:-1]:  # the last parent is the repository root itself
        if not (REPO / package_dir / "__init__.py").is_file():
            continue
        patterns = package_data.get(".".join(package_dir.parts), []) + package_data.get("*", [])
        relative = path.relative_to(package_dir).as_posix()
        if any(fnmatch(relative, pattern) for pattern in patterns):
            return True
    return False


def test_api_image_install_carries_every_data_file_of_its_packages() -> None:
    """Dockerfile.api installs the project as a wheel (not editable, unlike the venv): a data file
    of a copied package (profiles, SQL, the playground's static files) reaches the image only if
    pyproject's package-data names it."""
    package_data = _pyproject()["tool"]["setuptools"]["package-data"]
    copied = [src for _, src in copy_sources(dockerfile_instructions(BY_NAME["Dockerfile.api"]))]
    packages = [src for src in copied if (REPO / src / "__init__.py").is_file()]
    tracked = subprocess.run(
        ["git", "ls-files", "--", *packages], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    compiled = {
        source for ext in _pyproject()["tool"]["setuptools"]["ext-modules"] for source in ext["sources"]
    }
    data_files = [Path(name) for name in tracked if not name.endswith(".py") and name not in compiled]
    assert data_files, f"no data file found under {packages}: the check would check nothing"
    missing = [str(path) for path in data_files if not _package_data_matches(path, package_data)]
    assert not missing, f"not in [tool.setuptools.package-data], so absent from the API image: {missing}"


@pytest.mark.parametrize(
    ("dockerfile", "entries"),
    [
        ("Dockerfile.api", ["serving/app.py"]),
        ("Dockerfile.airflow", ["dags/*.py", "reco_core/cli/__init__.py"]),
    ],
)
def test_images_copy_every_module_their_code_imports(dockerfile: str, entries: list[str]) -> None:
    """What uvicorn (API) or the DAGs and the `reco` CLI (Airflow) import, at any depth, is in the
    image: a new import of another package of the repository would otherwise fail at start."""
    copied = [REPO / src for _, src in copy_sources(dockerfile_instructions(BY_NAME[dockerfile]))]
    files = reachable_files([path for pattern in entries for path in sorted(REPO.glob(pattern))])
    outside = sorted(
        str(f.relative_to(REPO)) for f in files if not any(f == c or f.is_relative_to(c) for c in copied)
    )
    assert not outside, f"{dockerfile} does not copy: {outside}"


def test_the_secrets_file_is_never_committed() -> None:
    """.env holds the deployment's secrets (.env.example says so); .dockerignore keeps it out of the
    images (test above) and .gitignore out of the repository."""
    ignored = subprocess.run(["git", "check-ignore", "--quiet", ".env"], cwd=REPO, check=False)
    assert ignored.returncode == 0, ".env is not git-ignored"
