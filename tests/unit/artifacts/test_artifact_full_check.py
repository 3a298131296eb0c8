"""The record of a run's full check: a promotion after `reco verify-artifacts` does not parse the
original's files again, and nothing but the same checksums and the same checks earns that."""

from __future__ import annotations

import json

import pytest
from helpers.tiny_run import replace_file

from reco_core.artifacts import full_check
from reco_core.artifacts import layout as L
from reco_core.artifacts import verify as V
from reco_core.artifacts.manifest import check_manifest, read_manifest, write_manifest
from reco_core.artifacts.store import current_run, promote
from reco_core.artifacts.verify import verify_run
from reco_core.errors import ArtifactError


def _recorded_with(run_dir, **fields) -> None:
    """The record of a full check the run (as its manifest now stands) passed, with `fields` changed."""
    full_check.write_record(run_dir, read_manifest(run_dir), V._checks(), model_checked=True)
    record = run_dir / L.VERIFIED
    record.write_text(json.dumps(json.loads(record.read_text()) | fields))


def test_a_run_that_passed_the_full_check_is_promoted_without_parsing_the_originals_again(
    root, run_dir, evil_pickle
):
    first = verify_run(run_dir)
    assert first.ok and first.model_checked
    assert (run_dir / L.VERIFIED).is_file()
    # Proof by a forged record: mapping.pkl now runs code if unpickled, and the record says the
    # run passed with this manifest. Only a full check that trusts the record leaves it unread.
    data, marker = evil_pickle
    replace_file(run_dir, L.MAPPING, data)
    _recorded_with(run_dir)
    again = verify_run(run_dir)
    assert again.ok and again.model_checked and not marker.exists()
    checked_at = json.loads((run_dir / L.VERIFIED).read_text())["checked_at"]
    assert again.notes == [
        f"the original's files: passed the full check of {checked_at} with these checksums "
        f"({L.VERIFIED}); not parsed again"
    ]
    promote(root, run_dir)
    assert current_run(root) == run_dir.resolve() and not marker.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"manifest": "0" * 64},  # another manifest: a file changed and the manifest was rewritten
        {"checks": "0" * 64},  # another verifier
        {"model_checked": False},  # the model check was skipped (DISABLE_MODEL_PICKLE) and is asked now
        {"format": "reco-full-check/0"},
        {"checked_at": None},
    ],
    ids=["manifest", "checks", "model", "format", "checked_at"],
)
def test_a_record_of_other_checksums_or_other_checks_is_not_trusted(run_dir, evil_pickle, fields):
    data, marker = evil_pickle
    replace_file(run_dir, L.MAPPING, data)
    _recorded_with(run_dir, **fields)
    report = verify_run(run_dir)
    assert marker.exists()  # parsed: the full check ran
    assert not report.ok and any(p.startswith(f"{L.MAPPING}:") for p in report.problems)


def test_an_unreadable_record_means_a_full_check(run_dir, evil_pickle):
    data, marker = evil_pickle
    replace_file(run_dir, L.MAPPING, data)
    (run_dir / L.VERIFIED).write_text("{not json")
    assert not verify_run(run_dir).ok and marker.exists()


def test_a_companion_changed_after_the_record_is_refused(root, run_dir):
    assert verify_run(run_dir).ok
    twin = run_dir / L.pair_meta_file(L.PAIR_BOOST_IDX)
    twin.write_text(json.dumps(json.loads(twin.read_text()) | {"normalisation": "other"}))
    assert [p.split(":")[0] for p in verify_run(run_dir).problems] == [twin.name]  # its size or checksum
    write_manifest(run_dir)  # the manifest rewritten to match: the record no longer names it
    expected = [f"{twin.name}: does not hold what {L.PAIR_BOOST_IDX} holds"]
    assert verify_run(run_dir).problems == expected
    with pytest.raises(ArtifactError, match="does not hold what"):
        promote(root, run_dir)


def test_a_failed_full_check_leaves_no_record(run_dir, evil_pickle):
    replace_file(run_dir, L.MAPPING, evil_pickle[0])
    assert not verify_run(run_dir).ok
    assert not (run_dir / L.VERIFIED).exists()


def test_loading_for_serving_neither_reads_nor_writes_the_record(run_dir):
    report, parts = V.inspect_run(run_dir, check_model=False, check_raw_pairs=False, check_originals=False)
    assert report.ok and parts is not None and not (run_dir / L.VERIFIED).exists()


def test_the_record_is_not_a_file_of_the_run(run_dir):
    assert verify_run(run_dir).ok
    (run_dir / f".tmp-{L.VERIFIED}.x1y2").write_text("{}")  # one being written
    assert check_manifest(run_dir)[1] == []
    assert L.VERIFIED not in write_manifest(run_dir).files
