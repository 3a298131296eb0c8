"""The manifest of a run: sha256 and size of every file, written last.

A run is only trusted once every file matches its manifest entry: a half-copied run, a file
truncated by a full disk, or a file replaced by hand is caught before anything is loaded,
promoted or evaluated. The manifest is about integrity, not authenticity: whoever can write
the run directory can rewrite the manifest too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reco_core.artifacts import layout as L
from reco_core.errors import ArtifactError
from reco_core.fsutil import atomic_path, temporary_prefix

MANIFEST_FORMAT = "reco-manifest/1"
_BLOCK = 1 << 20  # 1 MiB: hash big files without holding them in memory
# hashlib releases the GIL while it hashes a block (and reading does too), so files are hashed in
# a few threads: a 300k-product run is 1.6 GB, ~1.1 s of sha256 on one core, ~0.6 s on two; the
# threads of the request path keep running meanwhile.
_HASH_THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2))
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    run_id: str
    created_at: str
    files: Mapping[str, FileEntry]


def sha256_file(path: Path) -> str:
    """sha256 of a file, read by blocks into one reused buffer: a new 1 MiB bytes object per block
    is an mmap and 256 page faults each in an API worker (serving/lean.py), 30 % more CPU."""
    digest = hashlib.sha256()
    buffer = bytearray(_BLOCK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as fh:
        while size := fh.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def _run_entries(run_dir: Path) -> dict[str, os.stat_result]:
    """Every entry of the run directory but the manifest and the record of its full check (being
    written included), not following symlinks."""
    return {
        name: os.lstat(run_dir / name)
        for name in os.listdir(run_dir)
        if name not in (L.MANIFEST, L.VERIFIED) and not name.startswith(temporary_prefix(L.VERIFIED))
    }


def write_manifest(run_dir: Path | str, *, run_id: str | None = None) -> Manifest:
    """Hash every file of `run_dir` and write `manifest.json` atomically; return what was written.

    `run_id` defaults to the directory name; pass the final name when the run is written in a
    temporary directory. A run holds regular files only: a symlink or a sub-directory could
    change behind the manifest's back, so it is refused.
    """
    run_dir = Path(run_dir)
    files: dict[str, FileEntry] = {}
    for name, st in sorted(_run_entries(run_dir).items()):
        if not stat.S_ISREG(st.st_mode):
            raise ArtifactError(f"{run_dir / name}: not a regular file; a run holds regular files only")
        files[name] = FileEntry(sha256_file(run_dir / name), st.st_size)
    manifest = Manifest(
        run_id=run_id or run_dir.name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        files=files,
    )
    doc = {
        "format": MANIFEST_FORMAT,
        "run_id": manifest.run_id,
        "created_at": manifest.created_at,
        "files": {name: {"sha256": e.sha256, "size": e.size} for name, e in files.items()},
    }
    with atomic_path(run_dir / L.MANIFEST) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def read_manifest(run_dir: Path | str) -> Manifest:
    """Parse and validate `manifest.json`; ArtifactError says what is wrong with it."""
    path = Path(run_dir) / L.MANIFEST
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ArtifactError(f"{L.MANIFEST}: missing (not a finished run?)") from None
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{L.MANIFEST}: unreadable ({exc})") from None
    return _parse_manifest(doc)


def _parse_manifest(doc: Any) -> Manifest:
    def bad(why: str) -> ArtifactError:
        return ArtifactError(f"{L.MANIFEST}: invalid: {why}")

    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT:
        raise bad(f"format is not {MANIFEST_FORMAT!r}")
    run_id, created_at, files = doc.get("run_id"), doc.get("created_at"), doc.get("files")
    if not isinstance(run_id, str) or not isinstance(created_at, str):
        raise bad("run_id and created_at must be strings")
    if not isinstance(files, dict):
        raise bad("files must be an object")
    entries: dict[str, FileEntry] = {}
    for name, entry in files.items():
        # A name is looked up inside the run directory: no path separators, no way out of it.
        if not name or "/" in name or "\0" in name or name in (".", "..", L.MANIFEST):
            raise bad(f"file name {name!r} is not a plain file name of the run")
        if not isinstance(entry, dict):
            raise bad(f"entry of {name} must be an object")
        sha, size = entry.get("sha256"), entry.get("size")
        if not isinstance(sha, str) or not _SHA256_RE.match(sha):
            raise bad(f"sha256 of {name} is not 64 lowercase hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise bad(f"size of {name} is not a non-negative integer")
        entries[name] = FileEntry(sha, size)
    return Manifest(run_id=run_id, created_at=created_at, files=entries)


def check_manifest(
    run_dir: Path | str, required: tuple[str, ...] = L.RUN_FILES, noun: str = "run"
) -> tuple[Manifest | None, list[str]]:
    """The manifest (None if it cannot be read) and every problem of the directory against it.

    `required`: the files the manifest must list (a run's by default; a catalogue state or a
    rules version passes its own). Sizes are compared before hashing: a truncated file is
    reported without reading it.
    """
    run_dir = Path(run_dir)
    try:
        manifest = read_manifest(run_dir)
    except ArtifactError as exc:
        return None, [str(exc)]
    present = _run_entries(run_dir)
    to_hash = [
        name
        for name, entry in manifest.files.items()
        if (st := present.get(name)) is not None and stat.S_ISREG(st.st_mode) and st.st_size == entry.size
    ]
    digests = _sha256_files(run_dir, sorted(to_hash, key=lambda name: -present[name].st_size), present)
    problems = [
        f"{name}: required {noun} file not listed in the manifest"
        + ("" if name in present else " (and missing)")
        for name in required
        if name not in manifest.files
    ]
    for name, entry in sorted(manifest.files.items()):
        st = present.get(name)
        if st is None:
            problems.append(f"{name}: missing")
        elif not stat.S_ISREG(st.st_mode):
            problems.append(f"{name}: not a regular file")
        elif st.st_size != entry.size:
            problems.append(f"{name}: size {st.st_size} bytes, manifest says {entry.size}")
        elif (digest := digests[name]) is None:
            problems.append(f"{name}: cannot be read")
        elif digest != entry.sha256:
            problems.append(f"{name}: sha256 mismatch (content differs from the manifest)")
    problems += [
        f"{name}: present but not listed in the manifest"
        for name in sorted(present)
        if name not in manifest.files and name not in required
    ]
    return manifest, problems


BACKGROUND_NICE = 10  # niceness added to the threads that hash and check a run beside the requests


def lower_thread_priority() -> None:
    """Make the calling thread yield the CPU to the others (Linux: niceness is per thread).

    A worker loads a run beside the requests it serves, on the same cores: its hashing and
    checking threads run at a lower priority so that a request is not kept waiting for a core
    while a reload hashes gigabytes. A no-op where threads cannot be reniced."""
    with contextlib.suppress(AttributeError, OSError):
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)  # inherited from the thread that started it
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + BACKGROUND_NICE))


def _sha256_files(run_dir: Path, names: list[str], stats: dict[str, os.stat_result]) -> dict[str, str | None]:
    """sha256 of each file (None when it cannot be read), over a few threads (the largest first
    balances them: pass `names` by decreasing size); a file this process hashed before and that
    has not changed since (_KnownDigests) is not read again."""

    def one(name: str) -> str | None:
        path = run_dir / name
        if (known := _KNOWN.get(path, stats[name])) is not None:
            return known
        try:
            digest = sha256_file(path)
        except OSError:
            return None
        _KNOWN.remember(path, stats[name], digest)
        return digest

    if len(names) < 2 or _HASH_THREADS == 1:
        return {name: one(name) for name in names}
    with ThreadPoolExecutor(_HASH_THREADS, "sha256", initializer=lower_thread_priority) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


class _KnownDigests:
    """The sha256 of the files this process has hashed, by file identity: path, device, inode,
    size, modification and change times (nanoseconds).

    An API worker reloads runs it has verified before (a pin back, a rollback, a promotion
    between two runs, `/reload` of the run it serves): hashing 1.65 GB again at 300k products
    takes a core-second and more from the requests. The kernel sets a file's change time on
    every write, truncation, rename or chmod, and user space cannot set it back, so a file whose
    identity is unchanged holds the bytes that were hashed; a new or rewritten file is hashed.
    What the cache cannot see is what no reload could either: pages that rot under a file being
    served. A digest is remembered only if the file's identity was the same before and after
    reading it (one being written meanwhile is hashed again next time), and if it last changed
    more than RACY_SECONDS before: the kernel stamps times from a clock that ticks every few
    milliseconds, so a file rewritten within one tick of the times it had keeps them ("racy"
    entries, as git calls them). Per process, bounded.
    """

    RACY_SECONDS = 2

    def __init__(self, size: int) -> None:
        self._size = size
        self._digests: dict[tuple, str] = {}

    @staticmethod
    def _key(path: Path, st: os.stat_result) -> tuple:
        return (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def get(self, path: Path, st: os.stat_result) -> str | None:
        return self._digests.get(self._key(path, st))

    def remember(self, path: Path, before: os.stat_result, digest: str) -> None:
        try:
            after = os.lstat(path)
        except OSError:
            return
        if self._key(path, after) != self._key(path, before):
            return
        if time.time_ns() - after.st_ctime_ns < self.RACY_SECONDS * 1_000_000_000:
            return
        if len(self._digests) >= self._size:  # oldest first (dicts keep insertion order)
            del self._digests[next(iter(self._digests))]
        self._digests[self._key(path, before)] = digest


_KNOWN = _KnownDigests(size=4096)


def verify_manifest(run_dir: Path | str) -> list[str]:
    """Every problem of `run_dir` against its manifest; empty when the run is intact."""
    return check_manifest(run_dir)[1]


def read_verified_bytes(run_dir: Path | str, name: str, manifest: Manifest) -> bytes:
    """The bytes of one run file, checked against the manifest after reading them.

    Hashing the bytes actually read (not the file as it was at verification time) means a file
    swapped between verification and use is refused instead of parsed.
    """
    entry = manifest.files.get(name)
    if entry is None:
        raise ArtifactError(f"{name}: not listed in the manifest; refusing to read it")
    data = (Path(run_dir) / name).read_bytes()
    if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
        raise ArtifactError(f"{name}: content changed since the manifest was verified; refusing to load it")
    return data
