"""Rules versions: publish a validated file as a sealed directory, verify it, load it.

Verification re-validates rules.json with the same model: a version written by an older code, or
edited by hand after its manifest was rewritten, is refused with the field at fault.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reco_core import logs
from reco_core.artifacts.manifest import check_manifest, read_verified_bytes, write_manifest
from reco_core.artifacts.store import new_run_name, promote
from reco_core.artifacts.verify import VerifyReport
from reco_core.errors import ArtifactError
from reco_core.fsutil import atomic_dir
from reco_core.rules import layout as RL
from reco_core.rules.model import RulesFile, RulesFileError, canonical_json, parse_rules, read_rules_file

log = logs.get_logger("rules")


@dataclass(frozen=True, eq=False)
class RulesVersion:
    version_id: str
    version_dir: Path
    rules: RulesFile
    source: str | None  # the published file's name


def write_rules(
    root: Path | str, rules: RulesFile, source_text: str, source_name: str, *, tag: str | None = None
) -> Path:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = new_run_name(root, tag, kind=RL.RULES)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    with atomic_dir(root / name) as tmp:
        (tmp / RL.RULES_JSON).write_text(canonical_json(rules), encoding="utf-8")
        (tmp / RL.SOURCE).write_text(source_text, encoding="utf-8")
        (tmp / RL.VERSION).write_text(
            json.dumps(
                {
                    "source": source_name,
                    "published_by": f"{user}@{socket.gethostname()}",
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "rules": len(rules.rules),
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        write_manifest(tmp, run_id=name)
    return root / name


def publish_rules(
    root: Path | str,
    path: Path | str,
    *,
    tag: str | None = None,
    promote_it: bool = True,
    actor: str | None = None,
) -> Path:
    """Validate the file at `path`, write it as a version under `root`, and promote it.

    A file that does not validate raises RulesFileError before anything is written: the rules in
    force stay."""
    rules, text = read_rules_file(path)
    version = write_rules(root, rules, text, Path(path).name, tag=tag)
    if promote_it:
        promote(root, version, actor=actor, reason=f"rules file {Path(path).name}", kind=RL.RULES)
    logs.event(log, "rules published", version=version.name, rules=len(rules.rules), promoted=promote_it)
    return version


def inspect_rules(version_dir: Path | str) -> tuple[VerifyReport, RulesVersion | None]:
    version_dir = Path(version_dir).resolve()
    manifest, problems = check_manifest(version_dir, RL.RULES_FILES, RL.RULES.noun)
    if manifest is None or problems:
        return VerifyReport(version_dir, problems), None
    try:
        text = read_verified_bytes(version_dir, RL.RULES_JSON, manifest).decode("utf-8")
        rules = parse_rules(text, RL.RULES_JSON)
        meta = json.loads(read_verified_bytes(version_dir, RL.VERSION, manifest))
    except (ArtifactError, RulesFileError, UnicodeDecodeError, ValueError) as exc:
        return VerifyReport(version_dir, [str(exc)]), None
    source = meta.get("source") if isinstance(meta, dict) else None
    return VerifyReport(version_dir, []), RulesVersion(version_dir.name, version_dir, rules, source)


def verify_rules(version_dir: Path | str) -> VerifyReport:
    return inspect_rules(version_dir)[0]


def load_rules(version_dir: Path | str) -> RulesVersion:
    report, version = inspect_rules(version_dir)
    if version is None:
        raise ArtifactError(f"refusing to load {report.run_dir}: {report.summary()}")
    return version
