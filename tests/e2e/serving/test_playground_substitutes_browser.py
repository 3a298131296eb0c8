"""The playground's own-brand badges and the basket's substitutes, in headless Chromium against a
real uvicorn serving a tiny run with a substitute table (`PAIRS`: a branded item, even, and its
own-brand substitute, odd).

What the page shows is checked against what the API answers to the same request: a badge on the
wrong card, a missing one or a wrong label fails the test.
"""

from __future__ import annotations

import json
import os

import pytest
from helpers.browser import chromium_page
from helpers.tiny_run import make_tiny_run, product_id
from playwright.sync_api import Page, expect
from serving_server import running_server

from reco_core.artifacts import layout as L
from reco_core.artifacts.manifest import write_manifest
from reco_core.settings import SHIPPED_PROFILES

N_ITEMS = 8
PAIRS = ((0, 3), (2, 5), (4, 7), (6, 1))  # (branded, own brand): even items are branded
RUN = "run_20240105_000000"
# Any own-brand substitute counts as "of comparable score": the tiny run's scores are arbitrary.
POLICIES = {"test_alternative": "alternative", "test_swap": "mdd_swap"}
KIND = {"alternative": "mdd_alternative", "mdd_swap": "mdd_swap"}  # MDD_POLICY -> the item's alternative.kind


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("playground_substitutes")
    root = base / "artifacts"
    make_tiny_run(root, RUN, n_items=N_ITEMS, substitutes=PAIRS, seed=3)
    os.symlink(RUN, root / "run_current")
    profiles = json.loads(SHIPPED_PROFILES.read_text())
    for name, policy in POLICIES.items():
        profiles[name] = {
            "basket_params_by_size": {
                "default": {
                    "LEARNED_BLEND": 0,
                    "MDD_POLICY": policy,
                    "MDD_SWAP_MARGIN": 100.0,
                    "PAIR_QUOTA": 0,
                }
            }
        }
    path = base / "profiles.json"
    path.write_text(json.dumps(profiles))
    with running_server(base, ARTIFACT_DIR=str(root), PANIER_PARAMS_PATH=str(path)) as srv:
        yield srv


def basket_with(page: Page, pid: int) -> None:
    page.get_by_test_id("search").fill(str(pid))
    row = page.locator(f'[data-testid=search-result][data-product-id="{pid}"]')
    expect(row).to_be_visible()
    row.get_by_test_id("add").click()
    expect(page.locator(f'[data-testid=basket-item][data-product-id="{pid}"]')).to_be_visible()


def test_the_basket_item_shows_its_substitutes_from_enrich(server):
    branded, own_brand = product_id(0), product_id(3)
    with server.client() as client:
        doc = client.post("/products/enrich", json={"product_ids": [branded, own_brand]}).json()
    assert [p["substitutes"] for p in doc["products"]] == [[own_brand], [branded]]
    with chromium_page() as browser:
        page = browser.page
        page.goto(server.url + "/")
        basket_with(page, branded)
        item = page.locator(f'[data-testid=basket-item][data-product-id="{branded}"]')
        expect(item.get_by_test_id("substitutes")).to_have_text(f"remplaçable par : Produit {own_brand}")
    assert browser.errors == []


@pytest.mark.parametrize(
    ("profile", "testid"), [("test_alternative", "mdd-alternative"), ("test_swap", "mdd-swap")]
)
def test_the_own_brand_policy_shows_its_badge_on_the_cards_the_api_marks(server, tmp_path, profile, testid):
    basket = [product_id(N_ITEMS - 1)]
    with server.client() as client:
        answer = client.post(
            "/recommend_panier",
            json={"product_ids": basket, "k": N_ITEMS - 1, "profile": profile, "expand": True},
        ).json()
    items = answer["recommendations"]
    marked = {item["product_id"]: item["alternative"] for item in items if "alternative" in item}
    assert marked, answer  # the policy did something on this basket
    kinds = {alt["kind"] for alt in marked.values()}
    assert kinds == {KIND[POLICIES[profile]]}
    for pid, alt in marked.items():
        own = pid if POLICIES[profile] == "mdd_swap" else alt["product_id"]
        other = alt["product_id"] if POLICIES[profile] == "mdd_swap" else pid
        assert (other - product_id(0)) // 10 % 2 == 0 and (
            own - product_id(0)
        ) // 10 % 2 == 1  # branded, own brand
        assert ((other - product_id(0)) // 10, (own - product_id(0)) // 10) in PAIRS
    shown = [item["product_id"] for item in items]
    assert not any((a, b) in PAIRS or (b, a) in PAIRS for a in shown for b in shown)  # never both in the list

    with chromium_page() as browser:
        page = browser.page
        page.goto(server.url + "/")
        expect(page.locator(f'#profile option[value="{profile}"]')).to_have_count(1)
        page.locator("#profile").select_option(profile)
        basket_with(page, basket[0])
        page.get_by_test_id("k").fill(str(N_ITEMS - 1))
        page.get_by_test_id("recommend").click()
        cards = page.get_by_test_id("card")
        expect(cards).to_have_count(len(items))
        for card, item in zip(cards.all(), items, strict=True):
            assert card.get_attribute("data-product-id") == str(item["product_id"])
            badge = card.get_by_test_id(testid)
            if item["product_id"] not in marked:
                expect(badge).to_have_count(0)
                continue
            alt = marked[item["product_id"]]
            expect(badge).to_have_attribute("data-product-id", str(alt["product_id"]))
            text = "existe en MDD : " if testid == "mdd-alternative" else "MDD à la place de "
            expect(badge).to_have_text(f"{text}{alt['LIB_PRODUIT']}")
        page.screenshot(path=tmp_path / f"{profile}.png", full_page=True)
    assert browser.errors == []


def test_a_run_trained_before_the_substitute_table_still_serves_with_the_rules_off(tmp_path):
    root = tmp_path / "artifacts"
    run = make_tiny_run(root, RUN, n_items=N_ITEMS, substitutes=PAIRS, seed=3)
    for name in L.SUBSTITUTE_ARRAYS:
        (run / name).unlink()
    write_manifest(run)
    with running_server(tmp_path, ARTIFACT_DIR=str(root)) as srv, srv.client() as client:
        doc = client.post("/products/enrich", json={"product_ids": [product_id(0)]}).json()
        assert doc["products"][0]["substitutes"] is None
        for profile in ("learned_v1", "learned_v1_mdd_swap"):
            answer = client.post(
                "/recommend_panier",
                json={"product_ids": [product_id(N_ITEMS - 1)], "k": N_ITEMS - 1, "profile": profile},
            )
            assert answer.status_code == 200, answer.text
            items = answer.json()["recommendations"]
            assert len(items) == N_ITEMS - 1  # nothing left out: no table, no rule
            assert all("alternative" not in item for item in items)
