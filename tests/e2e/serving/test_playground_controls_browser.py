"""The playground's branch picker and merchandising rules in headless Chromium, on a run trained
on the demo with its catalogue state and a published pin rule: the page sends the chosen branch,
shows what was left out, puts the pinned product at its rank with the rule's id on its card, and
lists the rules that applied. Screenshots under tmp_path (paths printed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers.browser import chromium_page
from helpers.demo_catalog import DemoWithCatalog, build_demo_with_catalog, fresh_root
from playwright.sync_api import expect
from serving_server import running_server
from test_playground_browser import add_from_search

from reco_core.catalog.state import load_catalog
from reco_core.rules.versions import publish_rules

RULE = "ba13-bande-a-joint"


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[DemoWithCatalog, Path, int, int, int]:
    base = tmp_path_factory.mktemp("playground_controls")
    demo = build_demo_with_catalog(base / "demo")
    root = fresh_root(demo, base)
    state = load_catalog(demo.catalog_dir)
    row = int(np.argmax([b.available for b in state.branches]))
    trigger = int(demo.warehouse.kits[0].product_ids[0])
    ids = demo.warehouse.products["id_produit"].to_numpy()
    pos = state.positions(ids)
    ok = (pos >= 0) & (state.delisted[np.maximum(pos, 0)] == 0) & state.available(row, np.maximum(pos, 0))
    kit = set(demo.warehouse.kits[0].product_ids)
    pinned = int(next(p for p in ids[ok][::-1] if int(p) not in kit))  # a tail product: never ranked 2nd
    rules = base / "regles.yaml"
    rules.write_text(
        f"rules:\n  - id: {RULE}\n    action: pin\n    when: {{product_ids: [{trigger}]}}\n"
        f"    product_id: {pinned}\n    position: 2\n",
        encoding="utf-8",
    )
    publish_rules(root, rules)
    return demo, root, int(state.branch_ids[row]), trigger, pinned


def test_branch_picker_and_the_rules_that_applied(setup, tmp_path):
    demo, root, branch, trigger, pinned = setup
    with running_server(tmp_path, RECO_ARTIFACT_ROOT=str(root)) as server, chromium_page() as browser:
        page = browser.page
        page.goto(server.url + "/")
        picker = page.get_by_test_id("agence")
        expect(picker.locator("option")).to_have_count(len(demo.warehouse.agences) + 1)
        expect(page.get_by_test_id("run-info")).to_contain_text("catalogue catalog_")
        expect(page.get_by_test_id("run-info")).to_contain_text("règles rules_")
        add_from_search(page, str(trigger), trigger)
        picker.select_option(str(branch))
        with page.expect_request("**/recommend_panier") as request:
            page.get_by_test_id("recommend").click()
        assert json.loads(request.value.post_data)["agence"] == branch
        cards = page.get_by_test_id("card")
        expect(cards.first).to_be_visible()
        second = cards.nth(1)
        expect(second).to_have_attribute("data-product-id", str(pinned))
        flag = second.get_by_test_id("rule")
        expect(flag).to_have_attribute("data-rule", RULE)
        expect(flag).to_contain_text(f"règle « {RULE} » : rang 2 imposé")
        expect(second.get_by_test_id("reordered")).to_have_count(0)  # a rule placed it, not variety
        applied = page.get_by_test_id("rule-applied")
        expect(applied).to_have_count(1)
        expect(applied.first).to_have_attribute("data-rule", RULE)
        expect(applied.first).to_contain_text(f"produit {pinned}")
        expect(page.get_by_test_id("controls")).to_contain_text(f"stock : agence {branch}")
        expect(page.get_by_test_id("controls")).to_contain_text("hors stock à l'agence")
        page.screenshot(path=tmp_path / "controls.png", full_page=True)
        print(f"screenshot controls: {tmp_path / 'controls.png'}")
        assert browser.errors == []


def test_without_a_catalogue_state_the_picker_says_so(setup, tmp_path):
    demo, _, _, trigger, _ = setup
    root = fresh_root(demo, tmp_path, catalog=False)
    with running_server(tmp_path, RECO_ARTIFACT_ROOT=str(root)) as server, chromium_page() as browser:
        page = browser.page
        page.goto(server.url + "/")
        picker = page.get_by_test_id("agence")
        expect(picker).to_be_disabled()
        expect(picker).to_contain_text("aucun état du catalogue servi")
        add_from_search(page, str(trigger), trigger)
        page.get_by_test_id("recommend").click()
        expect(page.get_by_test_id("controls-note")).to_contain_text("no catalogue state is served")
        assert browser.errors == []
