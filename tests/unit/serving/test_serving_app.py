"""The app in-process (no lifespan, so no run loaded): error bodies and request metrics."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families
from threadpoolctl import threadpool_info

from serving.app import create_app
from serving.settings import Settings


def call(app, method: str, path: str, **kwargs) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(send())


def make_app(tmp_path, **settings):
    return create_app(Settings(artifact_dir=tmp_path, _env_file=None, **settings))


def test_an_unexpected_error_is_a_json_500_without_internals(tmp_path):
    app = make_app(tmp_path)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    response = call(app, "GET", "/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; see the server log"}


def test_not_ready_answers_503_and_a_refused_body_is_counted_under_its_route(tmp_path):
    app = make_app(tmp_path, max_body_bytes=100)
    response = call(app, "POST", "/recommend_panier", json={"product_ids": [1]})
    assert response.status_code == 503 and response.json()["detail"].startswith("not ready: ")
    response = call(app, "POST", "/recommend_panier", content=b"[" + b"1," * 100 + b"1]")
    assert response.status_code == 413
    text = call(app, "GET", "/metrics").text
    samples = {
        (s.labels["endpoint"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "reco_http_requests_total"
    }
    assert samples[("/recommend_panier", "503")] == 1
    assert samples[("/recommend_panier", "413")] == 1


def test_a_worker_uses_one_blas_thread_while_serving(tmp_path):
    app = make_app(tmp_path)

    async def blas_threads() -> set[int]:
        async with app.router.lifespan_context(app):
            return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}

    assert asyncio.run(blas_threads()) == {1}
