"""/reload over HTTP: admin key, paths kept inside the artifact root, failures that change nothing,
pinning until the next promotion, and readiness before any run exists."""

from __future__ import annotations

import os
import time

import pytest
from helpers.tiny_run import product_id
from serving_server import (
    ADMIN_KEY,
    RUN_A,
    RUN_B,
    RUN_C,
    add_run,
    admin,
    make_root,
    running_server,
    shipped_profile,
)

from reco_core.artifacts import layout as L
from reco_core.artifacts.store import promote

TAMPERED = "run_20240104_000000"
OUTSIDE = "run_20240105_000000"
LINK_OUT = "run_20240106_000000"
BEING_WRITTEN = ".tmp-run_20240107_000000.1"


@pytest.fixture(scope="module")
def setup(tmp_path_factory, templates):
    """Root with A (current), B, C (a copy of A), a tampered run and two symlinks leading outside."""
    base = tmp_path_factory.mktemp("reload")
    root = make_root(base, templates)
    add_run(root, templates[RUN_A], RUN_C)
    add_run(root, templates[RUN_A], BEING_WRITTEN)
    tampered = add_run(root, templates[RUN_B], TAMPERED)
    with open(tampered / L.ITEM_TO_GAMME, "ab") as fh:
        fh.write(b"\0" * 8)
    outside = base / "outside"
    outside.mkdir()
    add_run(outside, templates[RUN_A], OUTSIDE)
    os.symlink(outside, root / "escape")
    os.symlink(outside / OUTSIDE, root / LINK_OUT)
    with running_server(base, ARTIFACT_DIR=str(root), ADMIN_KEY=ADMIN_KEY, RELOAD_CHECK_SECONDS="1") as srv:
        yield srv, root, outside


@pytest.fixture
def client(setup):
    """A client of the module's server, put back on run A (current) and the default profile."""
    server, root, _ = setup
    with server.client() as c:
        if os.readlink(root / L.CURRENT_LINK) != RUN_A:
            promote(root, RUN_A)
        response = c.post("/reload", json={"profile": "precision_pair_heavy_v2"}, headers=admin())
        assert response.status_code == 200 and response.json()["run_id"] == RUN_A, response.text
        yield c


def served_run(client) -> str:
    response = client.post("/recommend_panier", json={"product_ids": [product_id(0)], "k": 2})
    assert response.status_code == 200, response.text
    return response.json()["run_id"]


def wait_for_run(client, run: str, timeout: float = 10) -> float:
    start = time.monotonic()
    while client.get("/version").json()["run"]["run_id"] != run:
        assert time.monotonic() - start < timeout, f"still not serving {run} after {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - start


@pytest.mark.parametrize(
    ("headers", "status", "detail"),
    [
        ({}, 401, "X-Admin-Key header required"),
        (admin("wrong"), 403, "invalid X-Admin-Key"),
        (admin(ADMIN_KEY[:-1]), 403, "invalid X-Admin-Key"),
        (admin(ADMIN_KEY + "x"), 403, "invalid X-Admin-Key"),
        (admin("k" * 8000), 403, "invalid X-Admin-Key"),
        (admin(""), 401, "X-Admin-Key header required"),
    ],
)
def test_reload_needs_the_right_admin_key(setup, client, headers, status, detail):
    response = client.post("/reload", json={"artifact_dir": RUN_B}, headers=headers)
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert served_run(client) == RUN_A
    assert ADMIN_KEY not in setup[0].log.read_text()


def test_reload_switches_run_and_pins_it_until_run_current_changes(client, setup):
    _, root, _ = setup
    response = client.post("/reload", json={"artifact_dir": RUN_B}, headers=admin())
    assert response.status_code == 200, response.text
    doc = response.json()
    assert (doc["run_id"], doc["previous_run_id"], doc["pinned"]) == (RUN_B, RUN_A, True)
    assert served_run(client) == RUN_B
    time.sleep(2.5)  # the watcher (every second) leaves an explicit choice alone...
    version = client.get("/version").json()
    assert version["run"]["run_id"] == RUN_B and version["run"]["pinned"] is True
    promote(root, RUN_C)  # ...until the next promotion
    assert wait_for_run(client, RUN_C) < 5
    assert client.get("/version").json()["run"]["pinned"] is False
    assert served_run(client) == RUN_C


def test_reload_with_a_profile_only_keeps_the_run(client):
    response = client.post("/reload", json={"profile": "diversity_friendly_v2"}, headers=admin())
    assert response.status_code == 200 and response.json()["profile"] == "diversity_friendly_v2"
    doc = client.post("/recommend_panier", json={"product_ids": [product_id(0)]}).json()
    assert (doc["run_id"], doc["profile"]) == (RUN_A, "diversity_friendly_v2")
    default = shipped_profile("diversity_friendly_v2").buckets["default"].model_dump()
    assert client.get("/version").json()["profile"]["buckets"]["default"] == default


@pytest.mark.parametrize(
    "artifact_dir", [".", "run_current", RUN_A, "{root}/" + RUN_A, f"{RUN_B}/../{RUN_A}"]
)
def test_reload_accepts_paths_inside_the_root(client, setup, artifact_dir):
    body = {"artifact_dir": artifact_dir.format(root=setup[1])}
    response = client.post("/reload", json=body, headers=admin())
    assert response.status_code == 200, response.text
    assert (response.json()["run_id"], response.json()["pinned"]) == (RUN_A, False)


@pytest.mark.parametrize(
    ("artifact_dir", "status", "reason"),
    [
        ("..", 403, "resolves outside the artifact root"),
        (f"../outside/{OUTSIDE}", 403, "resolves outside the artifact root"),
        ("/etc", 403, "resolves outside the artifact root"),
        ("{outside}/" + OUTSIDE, 403, "resolves outside the artifact root"),
        ("escape", 403, "resolves outside the artifact root"),  # a symlink to a directory outside
        (LINK_OUT, 403, "resolves outside the artifact root"),  # a run-named symlink to a run outside
        ("run_20991231_000000", 404, "does not exist"),
        ("", 400, "must be a non-empty path"),
        (BEING_WRITTEN, 400, "is not a run directory"),
        (f"{RUN_A}/{L.MAPPING}", 409, "not a directory"),
        (TAMPERED, 409, f"{L.ITEM_TO_GAMME}: size"),  # fails verification: the problems are listed
    ],
)
def test_refused_reloads_name_the_field_and_keep_the_old_run(client, setup, artifact_dir, status, reason):
    body = {"artifact_dir": artifact_dir.format(outside=setup[2])}
    response = client.post("/reload", json=body, headers=admin())
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail.startswith("artifact_dir: ") and reason in detail, detail
    assert served_run(client) == RUN_A
    version = client.get("/version").json()
    assert version["last_reload"]["ok"] is False and version["last_reload"]["detail"] == detail
    assert version["run"]["run_id"] == RUN_A


def test_an_unknown_profile_is_refused_and_changes_nothing(client):
    response = client.post("/reload", json={"artifact_dir": RUN_B, "profile": "nope"}, headers=admin())
    assert response.status_code == 422
    assert response.json()["detail"].startswith("profile: unknown profile 'nope' (known: ")
    assert served_run(client) == RUN_A
    response = client.post("/reload", json={"artifact_dir": 3}, headers=admin())
    assert response.status_code == 422 and response.json()["detail"].startswith("artifact_dir: ")


def test_failed_reloads_are_counted(client):
    client.post("/reload", json={"artifact_dir": TAMPERED}, headers=admin())
    text = client.get("/metrics").text
    assert 'reco_reloads_total{result="failed",trigger="api"}' in text
    assert 'reco_reloads_total{result="ok",trigger="api"}' in text


def test_without_admin_key_reload_is_closed_unless_explicitly_opened(tmp_path, templates):
    root = make_root(tmp_path, templates)
    with running_server(tmp_path, ARTIFACT_DIR=str(root)) as srv, srv.client() as client:
        for headers in ({}, admin(), admin("")):
            response = client.post("/reload", json={}, headers=headers)
            assert response.status_code == 403 and "ADMIN_KEY is not set" in response.json()["detail"]
    origin = "https://shop.example"
    with (
        running_server(
            tmp_path, ARTIFACT_DIR=str(root), ALLOW_UNAUTHENTICATED_RELOAD="1", CORS_ALLOW_ORIGINS=origin
        ) as srv,
        srv.client() as client,
    ):
        response = client.post("/reload", json={"artifact_dir": RUN_B})
        assert response.status_code == 200 and response.json()["run_id"] == RUN_B
        allowed = client.get("/healthz", headers={"Origin": origin})
        assert allowed.headers["access-control-allow-origin"] == origin
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_not_ready_without_a_run_then_ready_once_one_is_promoted(tmp_path, templates):
    root = tmp_path / "artifacts"
    root.mkdir()
    with (
        running_server(tmp_path, ARTIFACT_DIR=str(root), RELOAD_CHECK_SECONDS="1") as srv,
        srv.client() as client,
    ):
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["ok"] is False
        assert "no run found" in health.json()["reason"]
        for path, body in (
            ("/recommend_panier", {"product_ids": [1]}),
            ("/products/enrich", {"product_ids": [1]}),
        ):
            response = client.post(path, json=body)
            assert response.status_code == 503 and response.json()["detail"].startswith(
                "not ready: artifact_dir: no run found"
            )
        version = client.get("/version").json()
        assert (
            version["ready"] is False
            and version["run"] is None
            and "no run found" in version["not_ready_reason"]
        )
        add_run(root, templates[RUN_B])
        promote(root, RUN_B)
        deadline = time.monotonic() + 10
        while client.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline, srv.log_tail()
            time.sleep(0.1)
        assert served_run(client) == RUN_B
        assert client.get("/version").json()["last_reload"]["trigger"] == "watcher"
