"""The record of a run's full check (`verified.json`): which manifest passed it, with which checks.

The full check (`reco verify-artifacts`, the DAG's verify task, `reco promote`, `reco rollback`)
parses the original's files - mapping.pkl, model.pkl, the pair indexes' pickles,
pair_boost.pkl.gz, product_meta.json.gz - and checks that the columnar companions hold exactly
what they hold: 6-7 s of CPU and ~3 GB of fresh memory at 300k products. A promotion runs on the
host that serves, and on two cores that much memory traffic raises the workers' p99 even at the
lowest CPU priority (docs/serving.md, "A promotion beside the workers").

Its verdict is a function of the files' bytes and of the checks' code. So a run that passed it
keeps this record: the digest of its manifest (every file's sha256 and size) and the digest of
the checks' source. A later full check hashes every file again against the manifest, as always;
when the manifest and the checks are those of the record, the original's files are not parsed
again. A changed file fails its checksum or, with its manifest rewritten, no longer matches the
record; a changed verifier no longer matches either. Like the manifest, the record is about
integrity, not authenticity: whoever can write the run can rewrite both.

The record is not a file of the run: the manifest does not list it and the manifest check does
not count it (manifest._run_entries). A record that cannot be read or written is ignored (a
run on a read-only disk is checked in full each time).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reco_core import logs
from reco_core.artifacts import layout as L
from reco_core.artifacts.manifest import Manifest
from reco_core.fsutil import atomic_write_text

RECORD_FORMAT = "reco-full-check/1"

log = logs.get_logger("artifacts")


@dataclass(frozen=True)
class FullCheck:
    checked_at: str  # ISO 8601, UTC
    model_checked: bool  # model.pkl was unpickled and checked against the mapping


def manifest_digest(manifest: Manifest) -> str:
    """sha256 of what the manifest says of the files (not of its run_id or date: a copy of a run
    under another name holds the same files)."""
    files = {name: [entry.sha256, entry.size] for name, entry in manifest.files.items()}
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def code_digest(*sources: str) -> str:
    """sha256 of the source files that define the checks."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()


def read_record(run_dir: Path, manifest: Manifest, checks: str) -> FullCheck | None:
    """The full check this run passed, if its record names this manifest and these checks."""
    try:
        doc = json.loads((run_dir / L.VERIFIED).read_bytes())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(doc, dict)
        or doc.get("format") != RECORD_FORMAT
        or doc.get("manifest") != manifest_digest(manifest)
        or doc.get("checks") != checks
        or not isinstance(doc.get("checked_at"), str)
        or not isinstance(doc.get("model_checked"), bool)
    ):
        return None
    return FullCheck(doc["checked_at"], doc["model_checked"])


def write_record(run_dir: Path, manifest: Manifest, checks: str, *, model_checked: bool) -> None:
    """Record that the run with this manifest passed the full check (atomically; best effort)."""
    doc = {
        "format": RECORD_FORMAT,
        "manifest": manifest_digest(manifest),
        "checks": checks,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_checked": model_checked,
    }
    try:
        atomic_write_text(run_dir / L.VERIFIED, json.dumps(doc, indent=1) + "\n")
    except OSError as exc:
        logs.event(log, "full check not recorded", run=run_dir.name, error=str(exc))
