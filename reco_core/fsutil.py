"""Crash-safe file writing.

A reader (the API, the next DAG task, a human) must never see a half-written file under its
final name, so everything is written beside its destination under a temporary name, flushed
to disk, then renamed with os.replace, which is atomic on POSIX within one filesystem.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

TMP_PREFIX = ".tmp-"


def temporary_prefix(name: str) -> str:
    """How every temporary entry standing for `name` begins (being written, being deleted, a link
    being swapped): `.tmp-<name>.`, so that a glob or a prefix test finds them all."""
    return f"{TMP_PREFIX}{name}."


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _publishable(path: Path, mode: int) -> None:
    """mkstemp/mkdtemp create owner-only entries; give the final name the usual umask-based mode,
    so a service running as another user (the API container) can read what training wrote."""
    os.chmod(path, mode & ~_umask())


def fsync_dir(path: Path) -> None:
    """Persist a rename: the directory entry itself must reach the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_path(dest: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside `dest`; on success it becomes `dest`, on error it is removed."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=temporary_prefix(dest.name), dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    _publishable(tmp, 0o666)
    try:
        yield tmp
        fsync_file(tmp)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(dest: Path | str, data: bytes) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(dest: Path | str, text: str) -> None:
    atomic_write_bytes(dest, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_dir(dest: Path | str) -> Iterator[Path]:
    """Yield a temporary directory beside `dest`; it is renamed to `dest` only if the block succeeds.

    `dest` must not exist yet: a finished directory is never overwritten in place.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=temporary_prefix(dest.name), dir=dest.parent))
    _publishable(tmp, 0o777)
    try:
        yield tmp
        for child in tmp.rglob("*"):
            if child.is_file():
                fsync_file(child)
        os.rename(tmp, dest)  # fails if dest exists: never clobber a finished directory
        fsync_dir(dest.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
