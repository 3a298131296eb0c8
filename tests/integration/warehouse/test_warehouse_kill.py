"""`reco data` SIGKILLed while writing and between each rename of its files, over an earlier
extraction: every file under a final name is whole (the earlier one or the new one, never a
mix of bytes), and extracting again produces exactly what an uninterrupted extraction does and
removes the killed one's temporary files.

Kills happen at the Nth os.replace (N walks up until the command completes without reaching
it, so a file added to the extraction is covered) and inside the Parquet writer. Between a kill
and the re-run the directory may hold new files beside earlier ones: extraction.json, renamed
last, still describes the earlier set, and its checksums tell which files are not from it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from reco_core import columns as C
from reco_core.fsutil import TMP_PREFIX
from reco_core.warehouse.load import write_tables

SIGKILL_AT = Path(__file__).resolve().parents[2] / "helpers" / "sigkill_at.py"
EARLIER, LATER = ("--holdout-days", "30"), ("--holdout-days", "90")  # two different extractions


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under a final name; extraction.json is compared by content, it holds timings."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if not p.name.startswith(TMP_PREFIX) and p.name != C.EXTRACTION_SUMMARY_FILE
    }


@pytest.fixture(scope="module")
def extractions(tmp_path_factory, demo_tables) -> tuple[str, dict[str, str], dict[str, str], Path]:
    """The warehouse URL, the digests of both extractions done without interruption, and the earlier one."""
    base = tmp_path_factory.mktemp("extraction_kill")
    url = f"sqlite:///{base / 'warehouse.db'}"
    write_tables(url, demo_tables)
    done = {}
    for name, flags in (("earlier", EARLIER), ("later", LATER)):
        run = reco("data", "--warehouse-url", url, "--dir_data", str(base / name), *flags)
        assert run.returncode == 0, run.stderr
        done[name] = digests(base / name)
    assert done["earlier"] != done["later"]
    return url, done["earlier"], done["later"], base / "earlier"


def reco(*args: str, kill: tuple[str, int, str] | None = None) -> subprocess.CompletedProcess:
    prefix = [str(SIGKILL_AT), kill[0], str(kill[1]), kill[2], "--"] if kill else ["-m", "reco_core.cli"]
    return subprocess.run([sys.executable, *prefix, "-q", *args], capture_output=True, text=True, timeout=300)


def assert_whole(data: Path, earlier: dict[str, str], later: dict[str, str]) -> None:
    """Each file under a final name is entirely the earlier or the later extraction's, and reads."""
    for name, digest in digests(data).items():
        assert digest in (earlier.get(name), later.get(name)), f"{name}: neither extraction's bytes"
        pq.read_table(data / name)
    json.loads((data / C.EXTRACTION_SUMMARY_FILE).read_text())


def assert_matches_its_summary(data: Path) -> None:
    summary = json.loads((data / C.EXTRACTION_SUMMARY_FILE).read_text())
    assert {name: entry["sha256"] for name, entry in summary["files"].items()} == {
        name: digest for name, digest in digests(data).items() if name in summary["files"]
    }


def kill_then_recover(extractions, data: Path, kill: tuple[str, int, str]) -> bool:
    """Extract the later data over the earlier with `kill`; False when the command got past it.
    When killed: check what is left, extract again, check the result."""
    url, earlier, later, earlier_dir = extractions
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(earlier_dir, data)
    args = ("data", "--warehouse-url", url, "--dir_data", str(data), *LATER)
    done = reco(*args, kill=kill)
    if done.returncode == 0:
        return False
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert_whole(data, earlier, later)
    again = reco(*args)
    assert again.returncode == 0, again.stderr
    assert digests(data) == later
    assert_matches_its_summary(data)
    assert sorted(p.name for p in data.iterdir()) == sorted(
        [*later, C.EXTRACTION_SUMMARY_FILE]
    )  # no leftover
    return True


def test_sigkill_after_each_rename_of_extraction(extractions, tmp_path):
    renames = 0
    while kill_then_recover(extractions, tmp_path / "data", ("os.replace", renames + 1, "after")):
        renames += 1
    assert renames >= 5  # the four Parquet files and extraction.json


@pytest.mark.parametrize(
    "kill",
    [
        ("os.replace", 1, "before"),  # every file written, none renamed yet
        ("pyarrow.parquet:ParquetWriter.write_table", 1, "after"),  # half-way through the pairs file
    ],
)
def test_sigkill_while_writing_extraction(extractions, tmp_path, kill):
    assert kill_then_recover(extractions, tmp_path / "data", kill)
