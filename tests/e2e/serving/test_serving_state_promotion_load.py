"""Promoting catalogue states and rules under load loses no request, and no answer mixes them.

Two uvicorn workers serve a run trained on the demo. Two catalogue states differ on purpose:
in state EVEN only products with an even id are available anywhere, in state ODD only odd
ones. Two rules versions block one gamme each. For 20 s, 6 clients send baskets at random
branches while catalog_current and rules_current are promoted back and forth (reco_core's
promote, as the DAG and the CLI do) every 0.7 s and 1.1 s. Every answer must be a 200 whose
items all match the catalogue state it names (parity) and avoid the gamme of the rules version
it names; both workers must end on the last promoted state and rules."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import pytest
from helpers.demo_catalog import DemoWithCatalog, build_demo_with_catalog, catalog_frames, fresh_root
from serving_server import running_server

from reco_core.artifacts import store
from reco_core.catalog import state as S
from reco_core.catalog.layout import CATALOG
from reco_core.rules.layout import RULES
from reco_core.rules.versions import publish_rules

SECONDS, CLIENTS = 20, 6


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoWithCatalog:
    return build_demo_with_catalog(tmp_path_factory.mktemp("demo"))


def parity_state(root: Path, demo: DemoWithCatalog, parity: int) -> Path:
    status, branches, stock = catalog_frames(demo.warehouse)
    stock = stock[stock["id_produit"] % 2 == parity]
    return S.write_catalog(
        root, *S.build_arrays(status, branches, stock), tag="even" if parity == 0 else "odd"
    )


def workers_serving(url: str, expected: tuple[str, str], seconds: float = 20) -> dict[int, tuple]:
    """(catalogue state, rules) per worker pid, polled over new connections (either worker answers)
    until both serve `expected` or `seconds` pass."""
    followed: dict[int, tuple] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (len(followed) < 2 or set(followed.values()) != {expected}):
        v = httpx.get(f"{url}/version", timeout=30).json()
        followed[v["worker_pid"]] = (v["catalog"]["id"], v["rules"]["id"])
    return followed


def test_promotions_of_states_and_rules_under_load_lose_no_request(
    demo: DemoWithCatalog, tmp_path: Path
) -> None:
    root = fresh_root(demo, tmp_path, catalog=False)
    states = {parity_state(root, demo, 0).name: 0, parity_state(root, demo, 1).name: 1}
    basket = [int(demo.warehouse.kits[0].product_ids[0])]
    rules_files = [tmp_path / f"rules{i}.yaml" for i in range(2)]
    branches = demo.warehouse.agences["id_agence"].tolist()
    store.promote(root, next(iter(states)), kind=CATALOG)

    env = {"RECO_ARTIFACT_ROOT": str(root), "RELOAD_CHECK_SECONDS": "0.3"}
    with running_server(tmp_path, workers=2, **env) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            # the gammes blocked: the two most recommended for the basket, so that blocking shows
            shown = Counter()
            for b in branches:
                answer = client.post(
                    "/recommend_panier", json={"product_ids": basket, "k": 20, "agence": b}
                ).json()
                shown.update(r["ID_GAMME"] for r in answer["recommendations"])
            gammes = [g for g, _ in shown.most_common(2)]
        versions = {}
        for i, (path, gamme) in enumerate(zip(rules_files, gammes, strict=True)):
            path.write_text(
                f"rules:\n  - {{id: sans-{gamme}, action: block, gammes: [{gamme}]}}\n", encoding="utf-8"
            )
            versions[publish_rules(root, path, tag=f"v{i}", promote_it=i == 0).name] = gamme

        first = (store.current_run(root, CATALOG).name, store.current_run(root, RULES).name)
        assert set(workers_serving(server.url, first).values()) == {first}

        stop = threading.Event()
        problems: list[str] = []
        seen: Counter = Counter()
        counts = Counter()

        def client_loop(seed: int) -> None:
            rng = np.random.default_rng(seed)
            with httpx.Client(base_url=server.url, timeout=30) as c:
                while not stop.is_set():
                    body = {"product_ids": basket, "k": 10, "agence": int(rng.choice(branches))}
                    try:
                        response = c.post("/recommend_panier", json=body)
                    except httpx.HTTPError as exc:
                        problems.append(f"{type(exc).__name__}: {exc}")
                        continue
                    counts[response.status_code] += 1
                    if response.status_code != 200:
                        problems.append(f"{response.status_code}: {response.text[:200]}")
                        continue
                    doc = response.json()
                    catalog_id, rules_id = doc["controls"]["catalog_id"], doc["controls"]["rules_id"]
                    seen[(catalog_id, rules_id)] += 1
                    ids = [r["product_id"] for r in doc["recommendations"]]
                    if catalog_id not in states or any(p % 2 != states[catalog_id] for p in ids):
                        problems.append(f"{catalog_id}: items {ids} of the other state")
                    if rules_id not in versions or any(
                        r["ID_GAMME"] == versions[rules_id] for r in doc["recommendations"]
                    ):
                        problems.append(f"{rules_id}: blocked gamme in {ids}")
                    if len(ids) != 10:
                        problems.append(f"{len(ids)} items: {doc['shortfall']}")

        def promoter(kind, names: list[str], every: float, done: list) -> None:
            i = 0
            while not stop.is_set():
                time.sleep(every)
                i += 1
                store.promote(root, names[i % 2], kind=kind, actor="load-test")
                done.append(names[i % 2])

        promoted_states: list[str] = []
        promoted_rules: list[str] = []
        threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(CLIENTS)]
        threads += [
            threading.Thread(target=promoter, args=(CATALOG, list(states), 0.7, promoted_states)),
            threading.Thread(target=promoter, args=(RULES, list(versions), 1.1, promoted_rules)),
        ]
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join()

        assert problems == [], problems[:10]
        assert counts[200] >= 20 * SECONDS and set(counts) == {200}, counts
        assert len(promoted_states) >= 20 and len(promoted_rules) >= 12
        assert {c for c, _ in seen} == set(states) and {r for _, r in seen} == set(versions)  # both served
        final = (store.current_run(root, CATALOG).name, store.current_run(root, RULES).name)
        followed = workers_serving(server.url, final)
        assert len(followed) == 2 and set(followed.values()) == {final}, followed
        total = sum(counts.values())
        print(f"requests {total}, promotions {len(promoted_states)} + {len(promoted_rules)}, errors 0")
