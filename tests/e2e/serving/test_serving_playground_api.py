"""What the playground page needs from a real uvicorn: the page and its assets, offline; product
search; the pickers' options; a per-request profile on /recommend_panier."""

from __future__ import annotations

import re

import pytest
from helpers.tiny_run import product_id
from serving_server import ITEMS, RUN_A, make_root, running_server

from reco_core.ranking import load_profiles
from reco_core.search import MAX_LIMIT
from reco_core.settings import SHIPPED_PROFILES
from serving.routes.playground import STATIC_DIR
from serving.settings import DEFAULT_PROFILE


@pytest.fixture(scope="module")
def client(tmp_path_factory, templates):
    base = tmp_path_factory.mktemp("playground_api")
    with running_server(base, ARTIFACT_DIR=str(make_root(base, templates))) as server, server.client() as c:
        yield c


def test_the_page_and_its_assets_are_served_without_any_external_url(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="(/[^"]*)"', page.text)  # "data:," (no favicon) is inline
    assert sorted(assets) == ["/static/playground.css", "/static/playground.js"]
    for asset in assets:
        assert client.get(asset).status_code == 200
    for path in STATIC_DIR.iterdir():  # no CDN, no font service: the page must work offline
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text()), path.name


def test_options_list_the_runs_professions_and_the_loaded_profiles(client):
    doc = client.get("/playground/options").json()
    assert doc["run_id"] == RUN_A and doc["professions"] == ["PLAQUISTE", "PLOMBIER"]
    assert DEFAULT_PROFILE in doc["profiles"] and doc["active_profile"] == DEFAULT_PROFILE
    assert doc["profiles"] == sorted(load_profiles(SHIPPED_PROFILES))
    assert doc["max_k"] == 100
    loaded = load_profiles(SHIPPED_PROFILES)
    assert set(doc["reordering"]) == set(loaded)
    for name, profile in loaded.items():
        assert set(doc["reordering"][name]) == set(profile.buckets)
        for bucket, params in profile.buckets.items():
            shown = doc["reordering"][name][bucket]
            assert shown == {key: getattr(params, key) for key in shown} and len(shown) == 4


def test_search_by_label_and_by_id(client):
    doc = client.get("/products/search", params={"q": "a PRODUIT"}).json()  # case ignored, prefix
    assert doc["run_id"] == RUN_A and doc["query"] == "a PRODUIT"
    assert {p["product_id"] for p in doc["products"]} == {product_id(i) for i in range(ITEMS[RUN_A])}
    first = doc["products"][0]
    assert first["LIB_PRODUIT"] == f"A produit {first['product_id']}" and isinstance(first["MDD"], bool)
    by_id = client.get("/products/search", params={"q": str(product_id(3))}).json()["products"]
    assert [p["product_id"] for p in by_id] == [product_id(3)]
    assert client.get("/products/search", params={"q": "B produit"}).json()["products"] == []
    assert len(client.get("/products/search", params={"q": "produit", "limit": 2}).json()["products"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "produit", "limit": 0}, "limit"),
        ({"q": "produit", "limit": MAX_LIMIT + 1}, "limit"),
        ({"q": "produit", "limit": "ten"}, "limit"),
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({}, "q"),
    ],
)
def test_bad_search_parameters_are_a_422_naming_the_field(client, params, field):
    response = client.get("/products/search", params=params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}: ")


def test_recommend_with_another_profile_for_one_request(client):
    profiles = client.get("/playground/options").json()["profiles"]
    other = next(name for name in profiles if name != DEFAULT_PROFILE)
    body = {"product_ids": [product_id(0)], "k": 3}
    assert client.post("/recommend_panier", json=body | {"profile": other}).json()["profile"] == other
    assert client.post("/recommend_panier", json=body).json()["profile"] == DEFAULT_PROFILE  # not sticky
    bad = client.post("/recommend_panier", json=body | {"profile": "nope"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("profile: unknown profile 'nope' (known: ")
