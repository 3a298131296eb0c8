"""`reco catalog promote` and `reco rules promote` SIGKILLed at every step of the swap: the same
store code as runs, so the same guarantee: the link designates a complete verified directory,
the log has no torn line, and promoting again finishes the job."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.demo_catalog import write_state

from reco_core.artifacts.layout import Kind
from reco_core.artifacts.store import current_run, promote, read_promotion_log, verify_dir
from reco_core.catalog.layout import CATALOG
from reco_core.demo.generator import generate_demo
from reco_core.fsutil import TMP_PREFIX
from reco_core.rules.layout import RULES
from reco_core.rules.versions import publish_rules

SIGKILL_AT = Path(__file__).resolve().parents[2] / "helpers" / "sigkill_at.py"
STEPS = ["os.symlink", "os.replace", "os.fsync", "os.write"]


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Per kind, two sealed directories (A, B) to promote one after the other."""
    base = tmp_path_factory.mktemp("state_kill")
    demo = generate_demo(seed=2, n_products=400, n_orders=500, n_branches=4)
    catalogs = base / "catalog"
    a, b = write_state(catalogs, demo, tag="a"), write_state(catalogs, demo, tag="b")
    rules = base / "rules"
    text = base / "r.yaml"
    text.write_text("rules:\n  - {id: x, action: block, gammes: [1010]}\n", encoding="utf-8")
    ra = publish_rules(rules, text, tag="a", promote_it=False)
    rb = publish_rules(rules, text, tag="b", promote_it=False)
    return {"catalog": (a, b), "rules": (ra, rb)}


KINDS: dict[str, Kind] = {"catalog": CATALOG, "rules": RULES}


def fresh_root(pair: tuple[Path, Path], kind: Kind, where: Path) -> Path:
    root = where / "artifacts"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for path in pair:
        shutil.copytree(path, root / path.name)
    promote(root, pair[0].name, actor="test", kind=kind)
    return root


def assert_consistent(root: Path, kind: Kind, names: set[str]) -> str:
    current = current_run(root, kind)
    assert current is not None and current.name in names and verify_dir(current, kind).ok
    for line in (root / kind.promotion_log).read_text().splitlines():
        json.loads(line)
    finals = {p.name for p in root.iterdir() if not p.name.startswith(TMP_PREFIX)}
    assert finals == {*names, kind.current_link, kind.promotion_log}, finals
    return current.name


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("command", ["catalog", "rules"])
def test_sigkill_at_every_step_of_a_state_promotion(templates, tmp_path, command, step, when):
    kind, (a, b) = KINDS[command], templates[command]
    names = {a.name, b.name}
    killed = 0
    for n in range(1, 20):
        root = fresh_root((a, b), kind, tmp_path)
        args = [command, "promote", b.name, "--artifact-root", str(root)]
        done = subprocess.run(
            [sys.executable, str(SIGKILL_AT), step, str(n), when, "--", "-q", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode == 0:
            break
        assert done.returncode == -signal.SIGKILL, done.stderr
        killed += 1
        assert_consistent(root, kind, names)
        again = subprocess.run(
            [sys.executable, "-m", "reco_core.cli", "-q", *args], capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0, again.stderr
        assert assert_consistent(root, kind, names) == b.name
        entries = read_promotion_log(root, kind)
        assert entries[-1].to_run == b.name and entries[-1].from_run == a.name
        assert [e.to_run for e in entries].count(b.name) == 1
    else:
        pytest.fail(f"promotion still killed at call {n} of {step}")
    assert killed >= 1
