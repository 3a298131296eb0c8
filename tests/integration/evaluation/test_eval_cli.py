"""`reco eval` end to end on a trained demo run: JSON, table, modes, leakage refusal, --compare."""

import json

import pytest

from reco_core import columns as C
from reco_core.cli import main
from reco_core.demo.generator import generate_demo, write_twins
from reco_core.evaluation import DEFAULT_PROFILE, Protocol, compare_runs
from reco_core.gate import GateConfig

BASELINES = {"global_popularity", "profession_popularity", "pairs", "embeddings", "ease"}
RULED = {"pairs+rules", "ease+rules"}  # the run has a substitute table, the default profile its rules
FAST = ["--n-samples", "300", "--seed", "5"]


def _eval(demo, *args):
    return main(["eval", "--data-dir", str(demo.data_dir), "--artifact-dir", str(demo.root), *FAST, *args])


def test_json_report_has_every_method_metric_and_breakdown(eval_demo, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert _eval(eval_demo, "--mode", "use_order", "--max-basket-m", "3", "--out", str(out)) == 0
    assert f"report written to {out}" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["run"]["run_id"] == eval_demo.run.name  # run_current of the root
    assert report["ventes"]["path"].endswith(C.HOLDOUT_FILE)
    assert report["profile"] == DEFAULT_PROFILE
    assert report["protocol"]["mode"] == "use_order"
    assert report["protocol"]["recall_denominator"] == "min(K, number of expected items)"
    assert report["samples"]["n"] == 300 and set(report["samples"]["per_m"]) == {"1", "2", "3"}
    assert set(report["methods"]) == {"ranker", *BASELINES, *RULED}
    for method in report["methods"].values():
        assert set(method["overall"]) == {"hit@10", "recall@10", "recall_plain@10", "mrr@10"}
        assert 0 <= method["overall"]["mrr@10"] <= method["overall"]["hit@10"] <= 1
        assert set(method["by_m"]) == {"1", "2", "3"}
        assert sum(group["n"] for group in method["by_profession"].values()) == 300
    assert report["methods"]["ease"]["fit"]["lambda"] > 0
    assert set(report["lift_over_best_baseline"]) == {"hit@10", "recall@10", "recall_plain@10", "mrr@10"}
    for key, lift in report["lift_over_best_baseline"].items():  # the plain baselines decide
        assert lift["best_baseline"] in BASELINES
        ruled = report["lift_under_substitute_rules"][key]
        assert ruled["best_baseline"] in RULED and ruled["ranker"] == lift["ranker"]
    for name in RULED:  # the rules hold in those lists, as in the ranker's
        lists = report["methods"][name]["lists"]
        assert lists["basket_substitute_rate"] == lists["mutual_substitute_rate"] == 0
    for lift in report["lift_over_best_baseline"].values():  # the gain over its paired standard error
        gain = lift["ranker"] - lift["baseline"]
        assert lift["gain_in_standard_errors"] is None or (lift["gain_in_standard_errors"] > 0) == (gain > 0)
    for method in report["methods"].values():  # what the lists hold
        assert set(method["lists"]) == {
            "own_brand_share",
            "distinct_gammes",
            "catalogue_coverage",
            "basket_substitute_rate",  # the run has a substitute table
            "mutual_substitute_rate",
        }
        assert 0 <= method["lists"]["own_brand_share"] <= 1 and 1 <= method["lists"]["distinct_gammes"] <= 10
    assert report["leakage"]["training_input_of"] == [] and report["warnings"] == []
    # the ranker finds demo kits far better than popularity
    assert (
        report["methods"]["ranker"]["overall"]["hit@10"]
        > report["methods"]["global_popularity"]["overall"]["hit@10"]
    )


def test_substitute_rates_policies_and_the_planted_twins(eval_demo, tmp_path, capsys):
    twins = tmp_path / "demo_twins.json"
    write_twins(generate_demo(**eval_demo.knobs).twins, twins)
    out = tmp_path / "report.json"
    args = ["--no-ease", "--twins", str(twins), "--variants", "no_substitutes", "mdd_swap", "--out", str(out)]
    assert _eval(eval_demo, *args) == 0
    report = json.loads(out.read_text())
    methods = report["methods"]
    assert set(methods) == {
        "ranker",
        "ranker[no_substitutes]",
        "ranker[mdd_swap]",
        "pairs+rules",
        *BASELINES,
    } - {"ease"}
    rates = ("basket_substitute_rate", "mutual_substitute_rate", "basket_twin_rate", "mutual_twin_rate")
    for method in methods.values():
        assert all(0 <= method["lists"][rate] <= 1 for rate in rates)
    ranker, without = methods["ranker"]["lists"], methods["ranker[no_substitutes]"]["lists"]
    # the rules leave no substitute of the run's own table in a list; without them, some remain
    assert ranker["basket_substitute_rate"] == ranker["mutual_substitute_rate"] == 0
    assert without["basket_substitute_rate"] + without["mutual_substitute_rate"] > 0
    assert ranker["mutual_twin_rate"] <= without["mutual_twin_rate"]
    assert (
        report["lift_over_best_baseline"]["hit@10"]["best_baseline"] in BASELINES
    )  # a variant is no baseline
    found = report["substitutes"]
    assert found["table"] == "present" and found["twins"] > 0 and 0 <= found["recall"] <= 1
    assert found["precision"] is None or 0 <= found["precision"] <= 1
    assert "substitutes in the lists" not in capsys.readouterr().out  # --out: JSON only


def test_table_on_stdout_and_progress_on_stderr(eval_demo, capsys):
    assert _eval(eval_demo, "--no-ease", "--mode", "none") == 0
    captured = capsys.readouterr()
    assert "mode none" in captured.out
    assert "hit@10" in captured.out and "ranker vs the best baseline" in captured.out
    assert "\nease " not in captured.out and "EASE" not in captured.out
    assert "reco eval: ranker" in captured.err and "300/300 samples" in captured.err


@pytest.mark.parametrize("mode", ["auto", "use_order", "none"])
def test_every_mode_runs_the_ranker(eval_demo, tmp_path, mode):
    out = tmp_path / f"{mode}.json"
    assert _eval(eval_demo, "--no-baselines", "--mode", mode, "--out", str(out)) == 0
    report = json.loads(out.read_text())
    assert set(report["methods"]) == {"ranker"} and report["lift_over_best_baseline"] == {}


def test_training_orders_are_refused_unless_allowed(eval_demo, tmp_path, capsys):
    train_file = str(eval_demo.data_dir / C.VENTES_FILE)
    assert _eval(eval_demo, "--ventes", train_file, "--no-baselines") == 2
    err = capsys.readouterr().err
    assert "training input of" in err and "--allow-train-orders" in err
    out = tmp_path / "leaky.json"
    assert (
        _eval(eval_demo, "--ventes", train_file, "--no-baselines", "--allow-train-orders", "--out", str(out))
        == 0
    )
    report = json.loads(out.read_text())
    assert report["leakage"]["training_input_of"] == [eval_demo.run.name]
    assert "EVALUATED WITH --allow-train-orders" in report["warnings"][0]
    assert "WARNING: EVALUATED WITH --allow-train-orders" in capsys.readouterr().err
    assert _eval(eval_demo, "--ventes", train_file, "--no-baselines", "--allow-train-orders") == 0
    assert capsys.readouterr().out.startswith("!!! EVALUATED WITH --allow-train-orders")


def test_missing_holdout_is_a_usage_error(eval_demo, tmp_path, capsys):
    assert main(["eval", "--data-dir", str(tmp_path), "--artifact-dir", str(eval_demo.root)]) == 2
    assert f"no such file: {tmp_path / C.HOLDOUT_FILE}" in capsys.readouterr().err


def test_a_run_compared_with_itself_passes(eval_demo, capsys):
    run = str(eval_demo.run)
    assert _eval(eval_demo, "--compare", run, run, "--tolerance", "0") == 0
    out = capsys.readouterr().out
    assert "verdict: PASS (pass if candidate >= reference x (1 - 0) on hit@10 and mrr@10)" in out


def test_a_run_trained_on_shuffled_baskets_fails_the_gate(eval_demo, tmp_path, capsys):
    out = tmp_path / "gate.json"
    args = ["--compare", str(eval_demo.bad_run), str(eval_demo.run), "--out", str(out)]
    assert _eval(eval_demo, *args) == 1
    gate = json.loads(out.read_text())
    assert gate["verdict"] == "fail" and gate["passed"] is False
    assert gate["candidate"]["run_id"] == eval_demo.bad_run.name
    assert gate["metrics"]["hit@10"]["passed"] is False
    assert gate["metrics"]["hit@10"]["relative_change"] < -0.02
    assert gate["metrics"]["recall@10"]["gated"] is False


def test_compare_runs_is_json_ready_for_the_gate(eval_demo):
    protocol = Protocol(n_samples=200, mode="use_order")
    comparison = compare_runs(
        eval_demo.run, eval_demo.run, eval_demo.data_dir / C.HOLDOUT_FILE, protocol=protocol
    )
    data = json.loads(json.dumps(comparison.to_dict()))
    assert comparison.passed and data["verdict"] == "pass"
    assert {m["relative_change"] for m in data["metrics"].values()} == {0.0}
    assert data["samples"]["n"] == 200 and data["tolerance"] == GateConfig().tolerance  # the gate's
