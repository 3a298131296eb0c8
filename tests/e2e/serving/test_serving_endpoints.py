"""Every read endpoint of a real uvicorn process, good and bad input, /docs offline, /metrics."""

from __future__ import annotations

import re

import pytest
from helpers.tiny_run import product_id
from prometheus_client.parser import text_string_to_metric_families
from serving_server import ITEMS, RUN_A, TRAINING, ids_of, make_root, running_server, shipped_profile

from reco_core.ranking import DEFAULT_PROFILE

MAX_BODY = 16384


@pytest.fixture(scope="module")
def server(tmp_path_factory, templates):
    base = tmp_path_factory.mktemp("endpoints")
    with running_server(
        base, ARTIFACT_DIR=str(make_root(base, templates)), MAX_BODY_BYTES=str(MAX_BODY)
    ) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    with server.client() as c:
        yield c


def recommend(client, **body):
    return client.post("/recommend_panier", json={"product_ids": [product_id(0)], **body})


def test_healthz_says_ok_once_a_run_is_served(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_version_describes_the_run_profile_and_reload_state(client):
    doc = client.get("/version").json()
    assert doc["ready"] is True and doc["not_ready_reason"] is None
    assert doc["service"] == "reco-materiaux" and doc["version"]
    run = doc["run"]
    assert run["run_id"] == RUN_A and run["run_dir"].endswith(RUN_A)
    assert run["items"] == ITEMS[RUN_A]
    assert run["professions"] == ["PLAQUISTE", "PLOMBIER"]
    assert set(run["pairs_per_profession"]) == {"PLAQUISTE", "PLOMBIER", "ANY"}
    assert run["pairs_per_profession"]["ANY"] > 0
    assert run["training"] == TRAINING
    assert run["pinned"] is False
    assert doc["run_current"] == RUN_A
    profile = doc["profile"]
    assert profile["name"] == DEFAULT_PROFILE
    shipped = shipped_profile(DEFAULT_PROFILE)
    assert set(profile["buckets"]) == set(shipped.buckets)
    assert profile["buckets"] == {name: params.model_dump() for name, params in shipped.buckets.items()}
    assert doc["last_reload"]["trigger"] == "startup" and doc["last_reload"]["ok"] is True
    assert doc["reload_check_seconds"] == 5
    assert isinstance(doc["worker_pid"], int)


def test_recommend_with_expand_explains_and_labels_every_item(client):
    basket = [product_id(0), product_id(1)]
    response = client.post(
        "/recommend_panier", json={"profession": "PLAQUISTE", "product_ids": basket, "k": 3, "expand": True}
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["run_id"] == RUN_A and doc["profile"] == DEFAULT_PROFILE
    assert doc["bucket"] == shipped_profile(DEFAULT_PROFILE).for_size(2)[0]
    assert doc["profession"] == "PLAQUISTE" and doc["profession_mix"] == {"PLAQUISTE": 1.0}
    assert doc["unknown_profession"] is None and doc["unknown_product_ids"] == [] and doc["fallback"] is None
    assert doc["basket"] == basket
    items = doc["recommendations"]
    assert [item["rank"] for item in items] == [1, 2, 3]
    for item in items:
        pid = item["product_id"]
        index = (pid - product_id(0)) // 10
        assert pid in ids_of(RUN_A) and pid not in basket
        assert item["score"] == pytest.approx(sum(item["score_breakdown"].values()))
        assert item["LIB_PRODUIT"] == f"A produit {pid}"
        assert item["MDD"] is (index % 2 == 1)  # tiny runs: odd items are own brand
        assert item["ID_GAMME"] == (None if index == ITEMS[RUN_A] - 1 else 10 * (1 + index % 3))
        assert isinstance(item["sources"], list)


def test_recommend_without_expand_leaves_product_fields_out(client):
    doc = recommend(client, k=2, expand=False).json()
    assert len(doc["recommendations"]) == 2
    for item in doc["recommendations"]:
        assert set(item) == {"product_id", "rank", "score", "sources", "score_breakdown"}


def test_unknown_ids_are_reported_and_an_unknown_profession_means_detection(client):
    basket = [product_id(0), 999_999, product_id(0), -5]
    doc = client.post("/recommend_panier", json={"profession": "MACON", "product_ids": basket}).json()
    assert doc["unknown_profession"] == "MACON" and doc["profession"] is None
    assert doc["basket"] == [product_id(0)] and doc["unknown_product_ids"] == [999_999, -5]
    assert set(doc["profession_mix"]) <= {"PLAQUISTE", "PLOMBIER"} and doc["profession_mix"]
    assert doc["bucket"] == shipped_profile(DEFAULT_PROFILE).for_size(1)[0]


@pytest.mark.parametrize("typed", ["plaquiste", " Plaquiste  ", "PLAQUISTE"])
def test_a_profession_is_matched_without_case_or_spaces_and_answered_as_the_run_spells_it(client, typed):
    doc = client.post("/recommend_panier", json={"profession": typed, "product_ids": [product_id(0)]}).json()
    assert doc["profession"] == "PLAQUISTE" and doc["unknown_profession"] is None
    assert doc["profession_mix"] == {"PLAQUISTE": 1.0}


@pytest.mark.parametrize("profession", [None, "", "  "])
def test_no_profession_means_detection(client, profession):
    doc = recommend(client, profession=profession).json()
    assert doc["profession"] is None and doc["unknown_profession"] is None and doc["profession_mix"]


def test_a_basket_without_known_ids_falls_back_to_popularity(client):
    assert recommend(client, product_ids=[1, 2]).json()["fallback"] == "global_popularity"
    doc = recommend(client, product_ids=[], profession="PLOMBIER").json()
    assert doc["fallback"] == "profession_popularity" and len(doc["recommendations"]) > 0


def test_enrich_returns_metadata_and_lists_unknown_ids(client):
    response = client.post("/products/enrich", json={"product_ids": [product_id(1), product_id(1), 42]})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["run_id"] == RUN_A and doc["unknown_product_ids"] == [42]
    assert doc["products"] == [
        {
            "product_id": product_id(1),
            "LIB_PRODUIT": f"A produit {product_id(1)}",
            "ID_GAMME": 20,
            "LIB_GAMME": None,
            "ID_UNIVERS": None,
            "LIB_UNIVERS": None,
            "MDD": True,
            "substitutes": [],  # the run has a substitute table, without any for this product
        }
    ]
    # tiny runs: item 3 (own brand) is a substitute of item 0 (branded), both ways
    doc = client.post("/products/enrich", json={"product_ids": [product_id(0), product_id(3)]}).json()
    assert [p["substitutes"] for p in doc["products"]] == [[product_id(3)], [product_id(0)]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product_ids": [1], "k": 0}, "k"),
        ({"product_ids": [1], "k": 101}, "k"),
        ({"product_ids": [1], "k": "10"}, "k"),
        ({"product_ids": [1], "k": True}, "k"),
        ({"product_ids": list(range(501))}, "product_ids"),
        ({"product_ids": [1, "a"]}, "product_ids[1]"),
        ({"product_ids": [1.5]}, "product_ids[0]"),
        ({"product_ids": [float(2**53)]}, "product_ids[0]"),  # a float that may stand for 2**53 + 1
        ({"product_ids": [1], "k": 2.5}, "k"),
        ({"product_ids": [2**63]}, "product_ids[0]"),
        ({"product_ids": [-(2**63) - 1]}, "product_ids[0]"),
        ({"product_ids": "1,2"}, "product_ids"),
        ({"product_ids": [1], "profession": 12}, "profession"),
        ({"product_ids": [1], "expand": "yes"}, "expand"),
        ({"k": 3}, "product_ids"),
        ({"product_ids": [1], "product_id": 2}, "product_id"),
        ([1, 2], "body"),
    ],
)
def test_bad_recommend_input_is_a_422_naming_the_field(client, body, field):
    response = client.post("/recommend_panier", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.startswith(f"{field}: "), detail
    assert response.json()["errors"][0]["field"] == field


def test_whole_numbers_written_as_floats_are_the_integers_json_schema_says_they_are(client):
    doc = recommend(client, product_ids=[float(product_id(0)), 9007199254740991.0], k=2.0).json()
    assert doc["basket"] == [product_id(0)] and doc["unknown_product_ids"] == [2**53 - 1]
    assert len(doc["recommendations"]) == 2


def test_invalid_json_and_bad_enrich_input_are_422_too(client):
    response = client.post(
        "/recommend_panier", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("body: not valid JSON")
    response = client.post("/products/enrich", json={"product_ids": list(range(501))})
    assert (
        response.status_code == 422
        and "product_ids: List should have at most 500 items" in response.json()["detail"]
    )


def test_bodies_over_the_limit_are_413_declared_or_streamed(client):
    big = b'{"product_ids": [' + b"1," * MAX_BODY + b"1]}"
    response = client.post("/recommend_panier", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "larger than 16384 bytes" in response.json()["detail"]

    def chunks(data: bytes, size: int = 1000):
        yield from (data[i : i + size] for i in range(0, len(data), size))

    headers = {"Content-Type": "application/json"}  # a generator body is sent chunked, without length
    response = client.post("/recommend_panier", content=chunks(big), headers=headers)
    assert response.status_code == 413 and response.json()["detail"]
    small = b'{"product_ids": [' + str(product_id(0)).encode() + b"], " + b" " * 5000 + b'"k": 2}'
    response = client.post("/recommend_panier", content=chunks(small), headers=headers)
    assert response.status_code == 200 and len(response.json()["recommendations"]) == 2


def test_other_errors_are_json_too(client):
    response = client.get("/nope/123")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
    response = client.get("/recommend_panier")
    assert response.status_code == 405 and response.json()["detail"]


def test_docs_render_from_local_assets(client):
    response = client.get("/docs")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    html = response.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") for a in assets), assets  # nothing from a CDN
    assert "cdn" not in html.lower()
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css")):
        (url,) = [a for a in assets if a.endswith(asset)]
        fetched = client.get(url)
        assert fetched.status_code == 200 and kind in fetched.headers["content-type"]
        assert len(fetched.content) > 100_000  # the real Swagger UI, not a stub
    spec = client.get("/openapi.json").json()
    assert {"/recommend_panier", "/products/enrich", "/reload", "/healthz", "/version", "/metrics"} <= set(
        spec["paths"]
    )


def test_no_cors_headers_unless_origins_are_configured(client):
    response = client.get("/healthz", headers={"Origin": "https://shop.example"})
    assert "access-control-allow-origin" not in response.headers


def test_metrics_count_requests_by_route_template(client):
    recommend(client)
    client.post("/recommend_panier", json={"product_ids": [1], "k": 0})
    client.get("/nope/123")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = [s for family in text_string_to_metric_families(response.text) for s in family.samples]

    def value(name: str, **labels: str) -> float | None:
        found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
        return found[0] if found else None

    ok = {"endpoint": "/recommend_panier", "method": "POST", "status": "200"}
    assert value("reco_http_requests_total", **ok) >= 1
    assert value("reco_http_requests_total", **(ok | {"status": "422"})) >= 1
    assert value("reco_http_request_duration_seconds_count", **ok) >= 1
    assert value("reco_http_request_duration_seconds_bucket", **ok, le="+Inf") >= 1
    assert value("reco_http_requests_total", endpoint="<unmatched>", status="404") >= 1
    assert "/nope/123" not in response.text  # raw paths never become labels
    assert value("reco_reloads_total", trigger="startup", result="ok") == 1
    assert value("reco_active_run_info", run_id=RUN_A, profile=DEFAULT_PROFILE) == 1
    assert value("reco_ready") == 1
