"""manifest.json: written over every file, and every way a run can drift from it is reported."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat

import pytest

from reco_core.artifacts import layout as L
from reco_core.artifacts import manifest as M
from reco_core.errors import ArtifactError


def _doc(run_dir):
    return json.loads((run_dir / L.MANIFEST).read_text())


def test_manifest_lists_every_other_file_with_size_and_sha256(run_dir):
    doc = _doc(run_dir)
    assert doc["format"] == M.MANIFEST_FORMAT
    assert doc["run_id"] == run_dir.name
    assert set(doc["files"]) == set(L.RUN_FILES) | set(L.OPTIONAL_FILES) | set(L.COLUMNAR_FILES)
    for name, entry in doc["files"].items():
        data = (run_dir / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert M.verify_manifest(run_dir) == []


def test_write_manifest_takes_the_final_run_id_and_leaves_no_temporary_file(run_dir):
    manifest = M.write_manifest(run_dir, run_id="run_20990101_000000")
    assert _doc(run_dir)["run_id"] == manifest.run_id == "run_20990101_000000"
    assert not [p for p in os.listdir(run_dir) if p.startswith(".tmp-")]
    assert stat.S_IMODE((run_dir / L.MANIFEST).stat().st_mode) == 0o644  # readable by the API's user


def test_write_manifest_refuses_a_symlink_in_the_run(run_dir, tmp_path):
    (run_dir / "extra.bin").symlink_to(tmp_path)
    with pytest.raises(ArtifactError, match=re.escape("extra.bin: not a regular file")):
        M.write_manifest(run_dir)


def test_missing_manifest(run_dir):
    (run_dir / L.MANIFEST).unlink()
    assert M.verify_manifest(run_dir) == ["manifest.json: missing (not a finished run?)"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda doc: "{not json", "unreadable"),
        (lambda doc: {**doc, "format": "other/1"}, "format is not"),
        (lambda doc: {**doc, "files": []}, "files must be an object"),
        (
            lambda doc: {**doc, "files": {**doc["files"], "../escape": doc["files"][L.MODEL]}},
            "not a plain file",
        ),
        (lambda doc: {**doc, "files": {**doc["files"], L.MODEL: {"sha256": "xyz", "size": 1}}}, "sha256 of"),
        (
            lambda doc: {**doc, "files": {**doc["files"], L.MODEL: {"sha256": "0" * 64, "size": -1}}},
            "size of",
        ),
    ],
)
def test_invalid_manifest(run_dir, mutate, message):
    new = mutate(_doc(run_dir))
    (run_dir / L.MANIFEST).write_text(new if isinstance(new, str) else json.dumps(new))
    [problem] = M.verify_manifest(run_dir)
    assert problem.startswith("manifest.json:") and message in problem


def test_extra_file_not_in_the_manifest(run_dir):
    (run_dir / "notes.txt").write_text("hello")
    assert M.verify_manifest(run_dir) == ["notes.txt: present but not listed in the manifest"]


def test_required_file_missing_from_the_manifest(run_dir):
    doc = _doc(run_dir)
    del doc["files"][L.PARAMS]
    (run_dir / L.MANIFEST).write_text(json.dumps(doc))
    assert M.verify_manifest(run_dir) == ["params.json: required run file not listed in the manifest"]
    (run_dir / L.PARAMS).unlink()
    assert M.verify_manifest(run_dir) == [
        "params.json: required run file not listed in the manifest (and missing)"
    ]


def test_size_is_checked_before_hashing(run_dir, monkeypatch):
    hashed = []
    real = M.sha256_file
    monkeypatch.setattr(M, "sha256_file", lambda path: hashed.append(path.name) or real(path))
    size = (run_dir / L.MODEL).stat().st_size
    with open(run_dir / L.MODEL, "ab") as fh:
        fh.write(b"x")
    assert M.verify_manifest(run_dir) == [f"model.pkl: size {size + 1} bytes, manifest says {size}"]
    assert L.MODEL not in hashed and len(hashed) == len(M.read_manifest(run_dir).files) - 1


def test_read_verified_bytes_hashes_what_it_reads(run_dir):
    manifest = M.read_manifest(run_dir)
    assert M.read_verified_bytes(run_dir, L.VERSIONS, manifest) == (run_dir / L.VERSIONS).read_bytes()
    (run_dir / L.VERSIONS).write_text('{"reco_materiaux": "TEST"}')  # same size, other content
    with pytest.raises(
        ArtifactError, match=re.escape("versions.json: content changed since the manifest was verified")
    ):
        M.read_verified_bytes(run_dir, L.VERSIONS, manifest)
    with pytest.raises(ArtifactError, match="not listed in the manifest"):
        M.read_verified_bytes(run_dir, "other.json", manifest)


def test_files_are_hashed_over_threads_that_yield_the_cpu_to_requests(run_dir, monkeypatch):
    """The manifest check hashes in threads reniced below the caller (a worker's request threads
    keep their priority while it reloads), and finds the same digests as hashing in line."""
    import os
    import threading

    seen: dict[str, tuple[int, int]] = {}
    real = M.sha256_file
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def recording(path):
        tid = threading.get_native_id()
        seen[path.name] = (tid, os.getpriority(os.PRIO_PROCESS, tid))
        return real(path)

    monkeypatch.setattr(M, "sha256_file", recording)
    manifest, problems = M.check_manifest(run_dir)
    assert problems == [] and set(seen) == set(manifest.files)
    assert {nice for _, nice in seen.values()} == {min(19, caller + M.BACKGROUND_NICE)}
    assert threading.get_native_id() not in {tid for tid, _ in seen.values()}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller


def _count_hashing(monkeypatch) -> list[str]:
    hashed: list[str] = []
    real = M.sha256_file
    monkeypatch.setattr(M, "sha256_file", lambda path: hashed.append(path.name) or real(path))
    return hashed


def test_a_file_hashed_before_and_unchanged_since_is_not_read_again(run_dir, monkeypatch):
    """A worker reloading a run it verified before does not hash it again; a file rewritten since,
    even to the same size, is hashed and refused."""
    monkeypatch.setattr(M._KnownDigests, "RACY_SECONDS", 0)  # the fixture's files are seconds old
    hashed = _count_hashing(monkeypatch)
    assert M.verify_manifest(run_dir) == []
    first = len(hashed)
    assert first == len(M.read_manifest(run_dir).files)
    assert M.verify_manifest(run_dir) == [] and len(hashed) == first
    (run_dir / L.VERSIONS).write_text('{"reco_materiaux": "TEST"}')  # same size, other content
    changed = "versions.json: sha256 mismatch (content differs from the manifest)"
    assert M.verify_manifest(run_dir) == [changed]
    assert hashed[first:] == [L.VERSIONS]


def test_a_file_changed_moments_ago_is_hashed_at_every_check(run_dir, monkeypatch):
    """Within RACY_SECONDS of a change, a rewrite could keep the file's times: no digest is kept."""
    hashed = _count_hashing(monkeypatch)
    os.utime(run_dir / L.VERSIONS)  # changed now
    assert M.verify_manifest(run_dir) == [] and M.verify_manifest(run_dir) == []
    assert hashed.count(L.VERSIONS) == 2
