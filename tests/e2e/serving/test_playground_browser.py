"""The playground page in headless Chromium against a real uvicorn: search, basket, recommendations.

What the page shows is checked against what the API answers to the same request, so a card in the
wrong order, a missing breakdown bar or a wrong MDD badge fails the test.
"""

from __future__ import annotations

import pytest
from helpers.browser import chromium_page
from helpers.tiny_run import product_id
from playwright.sync_api import Page, expect
from serving_server import RUN_A, make_root, running_server

from reco_core.ranking.signals import SIGNAL_NAMES

BREAKDOWN = SIGNAL_NAMES


@pytest.fixture(scope="module")
def server(tmp_path_factory, templates):
    base = tmp_path_factory.mktemp("playground_browser")
    with running_server(base, ARTIFACT_DIR=str(make_root(base, templates))) as srv:
        yield srv


def add_from_search(page: Page, query: str, pid: int, *, press_enter: bool = False) -> None:
    page.get_by_test_id("search").fill(query)
    row = page.locator(f'[data-testid=search-result][data-product-id="{pid}"]')
    expect(row).to_be_visible()
    if press_enter:  # Enter adds the first result
        page.get_by_test_id("search").press("Enter")
    else:
        row.get_by_test_id("add").click()
    expect(page.locator(f'[data-testid=basket-item][data-product-id="{pid}"]')).to_be_visible()


def test_two_products_by_search_then_recommendations_with_breakdowns(server, tmp_path):
    first, second = product_id(0), product_id(1)
    with chromium_page() as browser:
        page = browser.page
        page.goto(server.url + "/")
        expect(page.get_by_test_id("run-info")).to_contain_text(RUN_A)
        expect(page.get_by_test_id("recommend")).to_be_disabled()  # empty basket
        add_from_search(page, f"produit {first}", first)  # by label (a substring of "A produit ...")
        add_from_search(page, str(second), second, press_enter=True)  # by exact id
        expect(page.get_by_test_id("basket-item")).to_have_count(2)

        page.get_by_test_id("k").fill("3")
        page.get_by_test_id("recommend").click()
        cards = page.get_by_test_id("card")
        expect(cards.first).to_be_visible()

        with server.client() as client:
            answer = client.post("/recommend_panier", json={"product_ids": [first, second], "k": 3}).json()
        items = answer["recommendations"]
        assert items, answer
        expect(cards).to_have_count(len(items))
        largest = max(abs(item["score_breakdown"][name]) for item in items for name in BREAKDOWN)
        for card, item in zip(cards.all(), items, strict=True):
            assert card.get_attribute("data-product-id") == str(item["product_id"])
            expect(card.get_by_test_id("card-label")).to_have_text(item["LIB_PRODUIT"])
            expect(card.get_by_test_id("score")).to_have_text(f"score {item['score']:.4f}")
            expect(card.get_by_test_id("mdd")).to_have_count(1 if item["MDD"] else 0)
            shown = [bar.get_attribute("data-signal") for bar in card.get_by_test_id("bar").all()]
            assert shown == [name for name in BREAKDOWN if item["score_breakdown"][name] != 0]
            for name in shown:
                bar = card.locator(f'[data-signal="{name}"] .bar')
                filled = bar.locator("span").bounding_box()
                track = bar.bounding_box()
                assert filled and track and filled["width"] > 0
                expected = track["width"] * abs(item["score_breakdown"][name]) / largest
                assert filled["width"] == pytest.approx(expected, abs=1.5)  # pixels on screen
            sources = [s.get_attribute("data-source") for s in card.locator(".source").all()]
            assert sources == [str(s) for s in item["sources"]]
            for source in card.locator(".source").all():  # basket items are named by their label
                if source.get_attribute("data-source") in (str(first), str(second)):
                    expect(source).to_have_text(
                        f"acheté avec A produit {source.get_attribute('data-source')}"
                    )
        expect(page.get_by_test_id("mix-item")).to_have_count(len(answer["profession_mix"]))
        for name in answer["profession_mix"]:
            expect(page.get_by_test_id("mix")).to_contain_text(name)

        page.screenshot(path=tmp_path / "playground.png", full_page=True)
        assert (tmp_path / "playground.png").stat().st_size > 10_000
        print(f"screenshot: {tmp_path / 'playground.png'}")
    assert browser.errors == []
    assert {url.removeprefix(server.url).split("?")[0] for url in browser.requests} == {
        "/",
        "/static/playground.css",
        "/static/playground.js",
        "/playground/options",
        "/products/search",
        "/products/enrich",  # the basket items' substitutes
        "/recommend_panier",
    }
