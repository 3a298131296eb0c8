"""Hot reload under load: 8 clients never see a failed or a mixed answer while /reload switches runs.

Basket [item 0, item 8]: item 8 exists in run B only. So an answer from A must report it
unknown and recommend A's items with A's labels; one from B must know it and use B's items.
An answer mixing the two (run id of one, items or labels of the other) fails the test.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from helpers.tiny_run import product_id
from serving_server import ADMIN_KEY, RUN_A, RUN_B, admin, ids_of, label_tag, make_root, running_server

CLIENTS = 8
RELOADS = 20
BASKET = [product_id(0), product_id(8)]


def check_recommendation(doc: dict) -> str | None:
    run = doc["run_id"]
    if run not in (RUN_A, RUN_B):
        return f"unexpected run {run}"
    unknown = [product_id(8)] if run == RUN_A else []
    if doc["unknown_product_ids"] != unknown or doc["basket"] != [b for b in BASKET if b not in unknown]:
        return f"{run}: basket {doc['basket']}, unknown {doc['unknown_product_ids']}"
    for item in doc["recommendations"]:
        if item["product_id"] not in ids_of(run) or not item["LIB_PRODUIT"].startswith(f"{label_tag(run)} "):
            return f"{run}: item {item['product_id']} labelled {item['LIB_PRODUIT']!r}"
    return None if doc["recommendations"] else f"{run}: no recommendation"


def check_enrich(doc: dict) -> str | None:
    run = doc["run_id"]
    expected = [p for p in BASKET if p in ids_of(run)] if run in (RUN_A, RUN_B) else None
    labels = {p["LIB_PRODUIT"].split()[0] for p in doc["products"]}
    if [p["product_id"] for p in doc["products"]] != expected or labels != {label_tag(run)}:
        return f"{run}: enriched {doc['products']}"
    return None


def client_loop(url: str, enrich: bool, stop: threading.Event, seen: dict, problems: list) -> None:
    path, body = (
        ("/products/enrich", {"product_ids": BASKET})
        if enrich
        else (
            "/recommend_panier",
            {"product_ids": BASKET, "k": 4, "expand": True},
        )
    )
    check = check_enrich if enrich else check_recommendation
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            try:
                response = client.post(path, json=body)
            except httpx.HTTPError as exc:
                problems.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            if response.status_code != 200:
                problems.append(f"{path}: HTTP {response.status_code}: {response.text[:200]}")
                continue
            doc = response.json()
            if problem := check(doc):
                problems.append(f"{path}: {problem}")
            seen[doc["run_id"]] = seen.get(doc["run_id"], 0) + 1


@pytest.mark.timeout(120)
def test_no_request_fails_while_reloads_switch_runs(tmp_path, templates):
    root = make_root(tmp_path, templates)
    with running_server(tmp_path, ARTIFACT_DIR=str(root), ADMIN_KEY=ADMIN_KEY) as srv:
        stop, problems = threading.Event(), []
        seen: list[dict] = [{} for _ in range(CLIENTS)]
        threads = [
            threading.Thread(target=client_loop, args=(srv.url, i % 4 == 3, stop, seen[i], problems))
            for i in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        reloads = []
        try:
            with srv.client() as admin_client:
                for i in range(RELOADS):
                    time.sleep(0.1)
                    target = RUN_B if i % 2 == 0 else RUN_A
                    response = admin_client.post("/reload", json={"artifact_dir": target}, headers=admin())
                    reloads.append((response.status_code, response.json().get("run_id")))
                time.sleep(0.1)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    assert reloads == [(200, RUN_B if i % 2 == 0 else RUN_A) for i in range(RELOADS)]
    assert problems == [], f"{len(problems)} failed or inconsistent answers, e.g. {problems[:5]}"
    totals = {run: sum(s.get(run, 0) for s in seen) for run in (RUN_A, RUN_B)}
    assert min(totals.values()) > 50, totals  # both runs really served, under load
