"""The playground's states in headless Chromium: French labels and legend, only the current state on
screen (an error after results, an emptied basket, a cleared failed search), k checked in the page,
two profiles side by side, cards re-ordered for variety. Each state is screenshot under tmp_path
(the paths are printed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.browser import BrowserPage, chromium_page
from helpers.tiny_run import product_id
from playwright.sync_api import Page, Route, expect
from serving_server import make_root, running_server
from test_playground_browser import add_from_search

from reco_core.ranking.signals import Signal

DIVERSE = "diversity_friendly_v2"


@pytest.fixture(scope="module")
def server(tmp_path_factory, templates):
    base = tmp_path_factory.mktemp("playground_states")
    with running_server(base, ARTIFACT_DIR=str(make_root(base, templates))) as srv:
        yield srv


def shot(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    print(f"screenshot {name}: {path}")


def open_with_basket(browser: BrowserPage, server, *indices: int) -> Page:
    page = browser.page
    page.goto(server.url + "/")
    expect(page.get_by_test_id("legend-signal")).to_have_count(len(Signal))
    for i in indices:
        add_from_search(page, str(product_id(i)), product_id(i))
    return page


def recommend_body(page: Page) -> dict:
    with page.expect_request("**/recommend_panier") as request:
        page.get_by_test_id("recommend").click()
    return json.loads(request.value.post_data)


def test_french_labels_legend_and_the_current_state_only(server, tmp_path):
    with chromium_page() as browser:
        page = open_with_basket(browser, server)
        expect(page.get_by_test_id("state")).to_contain_text("Panier vide")
        for signal, term in zip(Signal, page.get_by_test_id("legend-signal").all(), strict=True):
            expect(term).to_have_text(signal.label)
        expect(page.get_by_test_id("legend-signals")).to_contain_text(Signal.PAIR.description)
        shot(page, tmp_path, "empty")

        add_from_search(page, str(product_id(0)), product_id(0))
        add_from_search(page, str(product_id(1)), product_id(1))
        expect(page.get_by_test_id("state")).to_contain_text("Recommander")
        page.get_by_test_id("recommend").click()
        expect(page.get_by_test_id("card").first).to_be_visible()
        summary = page.get_by_test_id("summary")
        expect(summary).to_contain_text("panier de 2 articles connus")
        expect(summary).to_contain_text("tranche « ")
        for bar in page.get_by_test_id("bar").all():  # the label, never the API key
            expect(bar.get_by_test_id("bar-label")).to_have_text(
                Signal(bar.get_attribute("data-signal")).label
            )
        shot(page, tmp_path, "results")

        # An error after results: the page's own (k out of range), then the server's.
        page.get_by_test_id("k").fill("1000")
        page.get_by_test_id("recommend").click()
        expect(page.get_by_test_id("error")).to_contain_text("k doit être un nombre entier de 1 à 100")
        expect(page.get_by_test_id("card")).to_have_count(0)
        expect(page.get_by_test_id("summary")).to_have_count(0)
        shot(page, tmp_path, "k-error")
        page.get_by_test_id("k").fill("3")
        page.get_by_test_id("recommend").click()
        expect(page.get_by_test_id("card")).to_have_count(3)
        expect(page.get_by_test_id("error")).to_be_hidden()

        def unavailable(route: Route) -> None:
            route.fulfill(status=503, content_type="application/json", body='{"detail": "no run served"}')

        page.route("**/recommend_panier", unavailable)
        page.get_by_test_id("recommend").click()
        expect(page.get_by_test_id("error")).to_have_text("erreur 503 : no run served")
        expect(page.get_by_test_id("card")).to_have_count(0)
        page.unroute("**/recommend_panier")
        shot(page, tmp_path, "server-error")

        page.get_by_test_id("recommend").click()  # results again, then the basket is emptied
        expect(page.get_by_test_id("card")).to_have_count(3)
        for _ in range(2):
            page.get_by_test_id("basket-item").first.get_by_role("button").click()
        expect(page.get_by_test_id("card")).to_have_count(0)
        expect(page.get_by_test_id("state")).to_contain_text("Panier vide")
        expect(page.get_by_test_id("error")).to_be_hidden()
        expect(page.get_by_test_id("recommend")).to_be_disabled()
        shot(page, tmp_path, "emptied-basket")

        # A failed search, then the search box cleared: no old error nor old results remain.
        page.route("**/products/search*", lambda route: route.fulfill(status=500, body="{}"))
        page.get_by_test_id("search").fill("plaque")
        expect(page.get_by_test_id("search-error")).to_contain_text("recherche impossible : erreur 500")
        shot(page, tmp_path, "failed-search")
        page.get_by_test_id("search").fill("")
        expect(page.get_by_test_id("search-error")).to_be_hidden()
        expect(page.get_by_test_id("search-result")).to_have_count(0)
        expect(page.get_by_test_id("state")).to_contain_text("Panier vide")
        shot(page, tmp_path, "cleared-search")
    assert [e for e in browser.errors if "status of 50" not in e] == [], (
        browser.errors
    )  # only the routed ones


def test_k_empty_means_the_default_and_a_fraction_is_refused_in_the_page(server, tmp_path):
    with chromium_page() as browser:
        page = open_with_basket(browser, server, 0)
        page.get_by_test_id("k").fill("")
        body = recommend_body(page)
        assert "k" not in body and body["product_ids"] == [product_id(0)]  # the server's default
        expect(page.get_by_test_id("summary")).to_contain_text("(k par défaut)")
        sent = len([url for url in browser.requests if url.endswith("/recommend_panier")])
        page.get_by_test_id("k").fill("2.5")
        page.get_by_test_id("recommend").click()
        expect(page.get_by_test_id("error")).to_contain_text(
            "k doit être un nombre entier de 1 à 100 (saisi : « 2.5 »)"
        )
        expect(page.get_by_test_id("card")).to_have_count(0)
        shot(page, tmp_path, "k-fraction")
        assert (
            len([url for url in browser.requests if url.endswith("/recommend_panier")]) == sent
        )  # nothing sent
        page.get_by_test_id("k").fill("2")
        assert recommend_body(page)["k"] == 2
        expect(page.get_by_test_id("card")).to_have_count(2)
    assert browser.errors == []


def test_two_profiles_side_by_side_with_their_differences(server, tmp_path):
    basket = [product_id(0)]
    with server.client() as client:
        options = client.get("/playground/options").json()
        answers = {
            name: client.post(
                "/recommend_panier", json={"product_ids": basket, "k": 5, "profile": name}
            ).json()
            for name in (options["active_profile"], DIVERSE)
        }
    (first, second) = answers
    with chromium_page(width=1400) as browser:
        page = open_with_basket(browser, server, 0)
        page.get_by_test_id("k").fill("5")
        page.get_by_test_id("compare").select_option(DIVERSE)
        page.get_by_test_id("recommend").click()
        columns = page.get_by_test_id("column")
        expect(columns).to_have_count(2)
        for column, name, other in ((columns.nth(0), first, second), (columns.nth(1), second, first)):
            assert column.get_attribute("data-profile") == name
            items = answers[name]["recommendations"]
            other_rank = {item["product_id"]: item["rank"] for item in answers[other]["recommendations"]}
            cards = column.get_by_test_id("card")
            expect(cards).to_have_count(len(items))
            for card, item in zip(cards.all(), items, strict=True):
                assert card.get_attribute("data-product-id") == str(item["product_id"])
                rank = other_rank.get(item["product_id"])
                expected = "only" if rank is None else "same" if rank == item["rank"] else "rank"
                assert card.get_attribute("data-diff") == expected
                if expected == "only":
                    expect(card.get_by_test_id("diff")).to_have_text(f"absent du profil {other}")
                elif expected == "rank":
                    expect(card.get_by_test_id("diff")).to_have_text(f"rang {rank} avec {other}")
                else:
                    expect(card.get_by_test_id("diff")).to_have_count(0)
                scores = [i["score"] for i in items]
                i = item["rank"] - 1
                moved = (
                    "down"
                    if any(s < scores[i] for s in scores[:i])
                    else "up"
                    if any(s > scores[i] for s in scores[i + 1 :])
                    else None
                )
                assert card.get_attribute("data-reordered") == moved
            has_moves = any(card.get_attribute("data-reordered") for card in cards.all())
            assert has_moves or name != DIVERSE  # this basket shows what its variety rules do
            expect(column.get_by_test_id("reorder-note")).to_have_count(1 if has_moves else 0)
        shot(page, tmp_path, "compare")
    assert browser.errors == []
