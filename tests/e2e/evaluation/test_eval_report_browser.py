"""`reco eval --report` opened in headless Chromium with the network cut: it renders from the file
alone, shows its charts and tables, and every number on screen is the number of `--out`'s JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.browser import chromium_page
from helpers.tiny_eval import make_holdout
from helpers.tiny_run import make_tiny_run
from playwright.sync_api import Page, expect

from reco_core.cli import main

FAST = ["--n-samples", "200", "--max-basket-m", "3", "--seed", "3"]
CHARTED = ("hit@10", "recall@10", "mrr@10")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("report_browser")
    make_tiny_run(base, "run_20240101_000000", n_items=12)
    make_tiny_run(base, "run_20240102_000000", n_items=12, seed=3)
    make_holdout(base / "holdout.parquet", n_items=12)
    return base


def run_eval(base: Path, name: str, *args: str) -> tuple[dict, Path]:
    """`reco eval ... --out NAME.json --report NAME.html`: the JSON and the HTML file."""
    out, report = base / f"{name}.json", base / f"{name}.html"
    status = main(
        [
            "eval",
            "--ventes",
            str(base / "holdout.parquet"),
            *FAST,
            *args,
            "--out",
            str(out),
            "--report",
            str(report),
        ]
    )
    assert status in (0, 1)  # --compare: 1 when the candidate fails the gate
    return json.loads(out.read_text()), report


def shown(page: Page, who: str) -> dict[tuple[str, str, str], str]:
    """{(method or run, metric, group or "overall"): the text of its cell} of every table cell on screen."""
    cells = page.locator(f"td[data-{who}]")
    return {
        (
            cell.get_attribute(f"data-{who}"),
            cell.get_attribute("data-metric"),
            cell.get_attribute("data-group") or "overall",
        ): cell.inner_text()
        for cell in cells.all()
    }


def check_charts(page: Page, names: list[str], series: int) -> None:
    """The charts, in order, laid out with a bar per series and group, the largest spanning the plot."""
    assert [svg.get_attribute("data-chart") for svg in page.locator("svg").all()] == names
    for svg in page.locator("svg").all():
        box = svg.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 30  # laid out, not collapsed
        bars = svg.locator("rect[data-value]")
        assert bars.count() % series == 0 and bars.count() > 0
        widest = max(bar.bounding_box()["width"] for bar in bars.all())
        assert widest > 100  # the largest value spans most of the plot


def test_evaluation_report_renders_offline_with_the_numbers_of_the_json(base, tmp_path):
    data, report = run_eval(
        base, "evaluation", "--artifact-dir", str(base / "run_20240101_000000"), "--mode", "use_order"
    )
    with chromium_page(file_only=True) as browser:
        page = browser.page
        page.goto(report.as_uri())
        page.screenshot(path=tmp_path / "evaluation.png", full_page=True)
        assert browser.requests == [report.as_uri()] and browser.errors == []
        groups = ["by_m", "by_profession"]
        check_charts(page, ["overall", *(f"{g}-{m}" for g in groups for m in CHARTED)], len(data["methods"]))
        # overall, lift (and under the substitute rules: the tiny run has a table), per group x
        # metric, what the lists hold
        assert "lift_under_substitute_rules" in data
        assert page.locator("table").count() == 4 + 2 * len(CHARTED)
        cells = shown(page, "method")
        for name, method in data["methods"].items():
            for metric, value in method["overall"].items():
                assert cells[(name, metric, "overall")] == f"{value:.4f}"
            for group in groups:
                for value_name, metrics in method[group].items():
                    for metric in CHARTED:
                        assert cells[(name, metric, value_name)] == f"{metrics[metric]:.4f}"
            # own-brand share, gammes, coverage and the substitute rates (tiny runs have a table)
            assert {"own_brand_share", "basket_substitute_rate", "mutual_substitute_rate"} <= set(
                method["lists"]
            )
            for key, value in method["lists"].items():
                assert cells[(name, key, "lists")] == f"{value:.4f}"
        assert len(cells) == len(data["methods"]) * (
            4
            + sum(len(data["methods"]["ranker"][g]) for g in groups) * 3
            + len(data["methods"]["ranker"]["lists"])
        )
        expect(page.locator('table[data-table="lists"]')).to_be_visible()
        assert [w.inner_text() for w in page.locator(".warning").all()] == data["warnings"]


def test_comparison_report_renders_offline_with_deltas(base, tmp_path):
    data, report = run_eval(
        base, "comparison", "--compare", str(base / "run_20240101_000000"), str(base / "run_20240102_000000")
    )
    with chromium_page(file_only=True) as browser:
        page = browser.page
        page.goto(report.as_uri())
        page.screenshot(path=tmp_path / "comparison.png", full_page=True)
        assert browser.requests == [report.as_uri()] and browser.errors == []
        check_charts(page, ["overall", *(f"{g}-{m}" for g in ("by_m", "by_profession") for m in CHARTED)], 2)
        assert page.locator("[data-verdict]").inner_text() == data["verdict"].upper()
        cells = shown(page, "run")
        for metric, m in data["metrics"].items():
            assert cells[("candidate", metric, "overall")] == f"{m['candidate']:.4f}"
            assert cells[("reference", metric, "overall")] == f"{m['reference']:.4f}"
        for runs in data["groups"].values():
            for run, values in runs.items():
                for value_name, metrics in values.items():
                    for metric in CHARTED:
                        assert cells[(run, metric, value_name)] == f"{metrics[metric]:.4f}"
        overall = page.locator('table[data-table="overall"] tbody tr').all()
        for row, (metric, m) in zip(overall, data["metrics"].items(), strict=True):
            change = row.locator("td").nth(3)
            assert change.inner_text() == f"{m['relative_change']:+.1%}", metric
            colour = change.evaluate("cell => getComputedStyle(cell).backgroundColor")
            if abs(m["relative_change"]) > 5e-4:  # highlighted: green up, red down
                assert colour == ("rgb(227, 244, 225)" if m["relative_change"] > 0 else "rgb(253, 236, 234)")
