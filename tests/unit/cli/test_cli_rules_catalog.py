"""`reco rules check` and the store sub-commands of `reco catalog` / `reco rules`, in process:
what they print, their exit codes, and that a refused file names its line and field."""

from __future__ import annotations

from pathlib import Path

from helpers.demo_catalog import write_state

from reco_core.artifacts import store
from reco_core.catalog.layout import CATALOG
from reco_core.cli import main
from reco_core.demo.generator import generate_demo


def test_rules_check_accepts_a_good_file_and_names_the_line_of_a_bad_one(tmp_path: Path, capsys) -> None:
    good = tmp_path / "regles.yaml"
    good.write_text(
        "rules:\n  - {id: a, action: block, brands: [Knauf]}\n"
        "  - {id: b, action: boost, gammes: [1], ranks: 2}\n",
        encoding="utf-8",
    )
    assert main(["rules", "check", str(good)]) == 0
    assert capsys.readouterr().out.strip() == f"ok: {good}: 2 rules (1 block, 1 boost)"
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("ranks: 2", "ranks: 11"), encoding="utf-8")
    assert main(["rules", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert (
        "reco rules: error: bad.yaml line 3: rules[1].ranks: Input should be less than or equal to 10" in err
    )


def test_catalog_promote_rollback_verify_and_cleanup(tmp_path: Path, capsys) -> None:
    demo = generate_demo(seed=1, n_products=400, n_orders=300, n_branches=3)
    states = [write_state(tmp_path, demo, tag=t) for t in ("a", "b", "c")]
    root = ["--artifact-root", str(tmp_path)]
    for state in states:
        assert main(["catalog", "promote", state.name, *root]) == 0
    assert "promoted catalog_" in capsys.readouterr().out
    assert main(["catalog", "rollback", *root]) == 0
    assert f"rolled back to {states[1].name} (from {states[2].name})" in capsys.readouterr().out
    assert main(["catalog", "verify", *root]) == 0
    assert capsys.readouterr().out.strip() == f"ok: {states[1].name}"
    assert main(["catalog", "cleanup", "--keep", "1", "--dry-run", *root]) == 0
    assert capsys.readouterr().out.startswith("would delete: nothing")  # current and previous are kept
    (states[0] / "branch_ids.npy").write_bytes(b"")
    assert main(["catalog", "verify", str(states[0])]) == 5
    assert "branch_ids.npy: size 0 bytes" in capsys.readouterr().err
    assert store.current_run(tmp_path, CATALOG) == states[1].resolve()
