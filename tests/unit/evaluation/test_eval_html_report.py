"""The HTML report: self-contained, every number of the JSON in its table, charts, highlighted changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.tiny_eval import make_holdout
from helpers.tiny_run import make_tiny_run

from reco_core.evaluation import Protocol, compare_runs, evaluate_run, load_profile
from reco_core.evaluation.html_report import comparison_html, evaluation_html, write_report

PROTOCOL = Protocol(n_samples=200, basket_m=1, max_basket_m=3, mode="use_order")
CELL = re.compile(
    r'<td data-value="([^"]+)" data-(method|run)="([^"]+)" data-metric="([^"]+)"(?: data-group="([^"]+)")?>'
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("html_report")
    first = make_tiny_run(base, "run_20240101_000000", n_items=12)
    second = make_tiny_run(base, "run_20240102_000000", n_items=12, seed=3)
    return first, second, make_holdout(base / "holdout.parquet", n_items=12)


@pytest.fixture(scope="module")
def evaluation(runs) -> dict:
    return evaluate_run(runs[0], runs[2], profile=load_profile(), protocol=PROTOCOL).to_dict()


@pytest.fixture(scope="module")
def comparison(runs) -> dict:
    return compare_runs(runs[0], runs[1], runs[2], profile=load_profile(), protocol=PROTOCOL).to_dict()


def cells(page: str) -> dict[tuple[str, str, str], float]:
    """{(method or run, metric, group or "overall"): value} of every metric cell of the page."""
    return {
        (who, metric, group or "overall"): float(value) for value, _, who, metric, group in CELL.findall(page)
    }


def assert_self_contained(page: str) -> None:
    assert "<script" not in page and "<link" not in page and "@import" not in page
    # The one URL allowed is the SVG namespace, which is a name, never fetched.
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"}


def test_evaluation_report_holds_every_number_of_the_json(evaluation):
    page = evaluation_html(evaluation)
    assert_self_contained(page)
    found = cells(page)
    k = evaluation["protocol"]["k"]
    for name, method in evaluation["methods"].items():
        for metric, value in method["overall"].items():
            assert found[(name, metric, "overall")] == value
        for group in ("by_m", "by_profession"):
            for value_name, metrics in method[group].items():
                for metric in (f"hit@{k}", f"recall@{k}", f"mrr@{k}"):
                    assert found[(name, metric, value_name)] == metrics[metric]
    # The table shows the same numbers, rounded: the cell text is the value with 4 decimals.
    ranker_hit = evaluation["methods"]["ranker"]["overall"][f"hit@{k}"]
    assert f'data-method="ranker" data-metric="hit@{k}">{ranker_hit:.4f}</td>' in page


def test_evaluation_report_shows_what_the_lists_hold(evaluation):
    found = cells(evaluation_html(evaluation))
    for name, method in evaluation["methods"].items():
        assert "basket_substitute_rate" in method["lists"]  # tiny runs have a substitute table
        for key, value in method["lists"].items():
            assert found[(name, key, "lists")] == value


def test_evaluation_report_shows_the_lift_under_the_substitute_rules_when_the_report_has_it(evaluation):
    plain = {key: value for key, value in evaluation.items() if key != "lift_under_substitute_rules"}
    assert 'data-table="lift-rules"' not in evaluation_html(plain)  # a run without substitutes
    ruled = {
        key: value | {"best_baseline": "pairs+rules", "baseline": 0.123456}
        for key, value in evaluation["lift_over_best_baseline"].items()
    }
    page = evaluation_html(plain | {"lift_under_substitute_rules": ruled})
    table = page.split('data-table="lift-rules"', 1)[1].split("</table>", 1)[0]
    assert table.count("<td>pairs+rules</td>") == len(ruled) and "0.1235" in table


def test_evaluation_report_charts_every_group(evaluation):
    page = evaluation_html(evaluation)
    charts = re.findall(r'data-chart="([^"]+)"', page)
    k = evaluation["protocol"]["k"]
    assert charts == ["overall"] + [
        f"{group}-{metric}@{k}" for group in ("by_m", "by_profession") for metric in ("hit", "recall", "mrr")
    ]
    methods = len(evaluation["methods"])
    overall = page[page.index('data-chart="overall"') : page.index("</svg>")]
    assert overall.count("<rect") == methods + 3 * methods  # legend squares + one bar per method and metric


def test_comparison_report_puts_runs_side_by_side_and_highlights_changes(comparison):
    page = comparison_html(comparison)
    assert_self_contained(page)
    found = cells(page)
    for metric, m in comparison["metrics"].items():
        assert found[("candidate", metric, "overall")] == m["candidate"]
        assert found[("reference", metric, "overall")] == m["reference"]
    for group in ("by_m", "by_profession"):
        for run in ("candidate", "reference"):
            for value_name, metrics in comparison["groups"][group][run].items():
                assert found[(run, "hit@10", value_name)] == metrics["hit@10"]
    assert f'data-verdict="{comparison["verdict"]}"' in page
    for metric, m in comparison["metrics"].items():
        change = m["relative_change"]
        tone = "up" if change > 5e-4 else "down" if change < -5e-4 else ""
        assert f'<td class="{tone}" data-value="{change!r}">{change:+.1%}</td>' in page, metric
    assert re.search(r'class="(up|down)"', page)  # two different runs: some change is highlighted


def test_text_is_escaped_and_an_older_comparison_without_groups_still_renders(comparison):
    older = {key: value for key, value in comparison.items() if key != "groups"}
    older["leakage"] = {**older["leakage"], "warnings": ["<b>careful</b>"]}
    page = comparison_html(older)
    assert "&lt;b&gt;careful&lt;/b&gt;" in page and "<b>careful" not in page
    assert re.findall(r'data-chart="([^"]+)"', page) == ["overall"]


def test_write_report_picks_the_kind_and_writes_atomically(evaluation, comparison, tmp_path):
    write_report(evaluation, tmp_path / "reports" / "eval.html")
    write_report(comparison, tmp_path / "reports" / "compare.html")
    assert "<h1>Evaluation of run_20240101_000000</h1>" in (tmp_path / "reports" / "eval.html").read_text()
    assert (
        "<h1>Candidate run_20240101_000000 against reference run_20240102_000000</h1>"
        in (tmp_path / "reports" / "compare.html").read_text()
    )
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["compare.html", "eval.html"]
