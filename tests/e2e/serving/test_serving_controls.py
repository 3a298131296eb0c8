"""Controls and merchandising rules over HTTP, on a real uvicorn serving a run trained on the demo
with the demo's catalogue state: branch availability, exclusions and filters, 422s naming the
field, pins at their rank with the rule's id, blocks; catalog_current and rules_current followed
without a reload; a damaged state or a bad rules file refused while the previous stays in force;
no catalogue state: nothing filtered and the answer says so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers.demo_catalog import DemoWithCatalog, build_demo_with_catalog, fresh_root, write_state
from serving_server import running_server

from reco_core.artifacts import store
from reco_core.catalog.layout import AVAILABILITY_BITS, CATALOG
from reco_core.catalog.state import load_catalog
from reco_core.rules.layout import RULES, RULES_JSON


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoWithCatalog:
    return build_demo_with_catalog(tmp_path_factory.mktemp("demo"))


def reco(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reco_core.cli", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def wait_for(client, what: str, expected: str | None, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        version = client.get("/version").json()
        if (version[what] or {}).get("id") == expected:
            return version
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} is {version[what]}, expected {expected}")
        time.sleep(0.2)


def test_branch_availability_exclusions_and_field_errors(demo: DemoWithCatalog, tmp_path: Path) -> None:
    root = fresh_root(demo, tmp_path)
    state = load_catalog(demo.catalog_dir)
    rng = np.random.default_rng(1)
    with running_server(tmp_path, RECO_ARTIFACT_ROOT=str(root)) as server, server.client() as client:
        options = client.get("/playground/options").json()
        assert [b["id"] for b in options["branches"]] == state.branch_ids.tolist()
        assert options["catalog_id"] == demo.catalog_dir.name
        items = list(demo.warehouse.products["id_produit"])
        for _ in range(200):
            branch = int(rng.choice(state.branch_ids))
            row = state.branch_row(branch)
            basket = [int(p) for p in rng.choice(items, size=2, replace=False)]
            body = {"product_ids": basket, "k": 10, "agence": branch}
            answer = client.post("/recommend_panier", json=body).json()
            got = np.array([r["product_id"] for r in answer["recommendations"]])
            pos = state.positions(got)
            assert (pos >= 0).all() and (state.delisted[pos] == 0).all()
            assert state.available(row, pos).all()
            assert len(got) == 10 and answer["shortfall"] is None
            assert (
                answer["controls"]["agence"] == branch and answer["controls"]["catalog_id"] == state.state_id
            )
        excluded = [r["product_id"] for r in answer["recommendations"][:3]]
        univers = answer["recommendations"][0]["ID_UNIVERS"]
        again = client.post(
            "/recommend_panier", json={**body, "exclude_product_ids": excluded, "include_univers": [univers]}
        ).json()
        assert not set(excluded) & {r["product_id"] for r in again["recommendations"]}
        assert {r["ID_UNIVERS"] for r in again["recommendations"]} == {univers}
        assert again["controls"]["removed"]["excluded_product_ids"] >= 1

        unknown = client.post("/recommend_panier", json={"product_ids": basket, "agence": 987654})
        assert unknown.status_code == 422 and unknown.json()["detail"].startswith(
            "agence: unknown branch 987654"
        )
        typed = client.post("/recommend_panier", json={"product_ids": basket, "agence": "Lyon"})
        assert typed.status_code == 422 and typed.json()["detail"].startswith("agence: ")
        listed = client.post("/recommend_panier", json={"product_ids": basket, "include_gammes": ["x"]})
        assert listed.status_code == 422 and listed.json()["detail"].startswith("include_gammes[0]: ")
        version = client.get("/version").json()
        assert version["catalog"]["id"] == state.state_id and version["catalog"]["current"] == state.state_id
        assert version["rules"]["id"] is None and "no rule applies" in version["rules"]["summary"]["note"]


def test_without_a_catalogue_state_nothing_is_filtered_and_the_answer_says_so(
    demo: DemoWithCatalog, tmp_path: Path
) -> None:
    root = fresh_root(demo, tmp_path, catalog=False)
    with running_server(tmp_path, RECO_ARTIFACT_ROOT=str(root)) as server, server.client() as client:
        assert client.get("/healthz").json() == {"ok": True}
        answer = client.post("/recommend_panier", json={"product_ids": [100003], "agence": 1}).json()
        controls = answer["controls"]
        assert controls["catalog_id"] is None and controls["agence"] is None
        assert (
            "no catalogue state is served" in controls["note"] and "agence 1 not applied" in controls["note"]
        )
        assert len(answer["recommendations"]) == 10
        assert client.get("/playground/options").json()["branches"] == []


def _pin_case(client, state, demo) -> tuple[int, int, int, list[int]]:
    """(branch, trigger product, product to pin, the answer without rules) where the product
    is sellable at the branch and not already at rank 2."""
    row = int(np.argmax([b.available for b in state.branches]))
    branch = int(state.branch_ids[row])
    trigger = int(demo.warehouse.kits[0].product_ids[0])
    plain = client.post(
        "/recommend_panier", json={"product_ids": [trigger], "k": 10, "agence": branch}
    ).json()
    shown = [r["product_id"] for r in plain["recommendations"]]
    ids = demo.warehouse.products["id_produit"].to_numpy()
    pos = state.positions(ids)
    ok = (pos >= 0) & (state.delisted[np.maximum(pos, 0)] == 0) & state.available(row, np.maximum(pos, 0))
    pinned = next(int(p) for p in ids[ok] if int(p) not in shown and int(p) != trigger)
    return branch, trigger, pinned, shown


def test_rules_follow_rules_current_a_pin_takes_its_rank_and_bad_rules_are_refused(
    demo: DemoWithCatalog, tmp_path: Path
) -> None:
    root = fresh_root(demo, tmp_path)
    state = load_catalog(demo.catalog_dir)
    env = {"RECO_ARTIFACT_ROOT": str(root), "RELOAD_CHECK_SECONDS": "0.5"}
    with running_server(tmp_path, **env) as server, server.client() as client:
        branch, trigger, pinned, shown = _pin_case(client, state, demo)
        blocked_gamme = client.post("/products/enrich", json={"product_ids": [shown[0]]}).json()["products"][
            0
        ]
        rules = tmp_path / "regles.yaml"
        rules.write_text(
            "rules:\n"
            "  - id: ba13-bande-a-joint\n"
            "    action: pin\n"
            f"    when: {{product_ids: [{trigger}]}}\n"
            f"    product_id: {pinned}\n"
            "    position: 2\n"
            "  - id: sans-gamme\n"
            "    action: block\n"
            f"    gammes: [{blocked_gamme['ID_GAMME']}]\n",
            encoding="utf-8",
        )
        done = reco("rules", "publish", rules, "--artifact-root", root)
        assert done.returncode == 0, done.stderr
        version_id = store.current_run(root, RULES).name
        wait_for(client, "rules", version_id)
        answer = client.post(
            "/recommend_panier", json={"product_ids": [trigger], "k": 10, "agence": branch}
        ).json()
        second = answer["recommendations"][1]
        assert second["product_id"] == pinned and second["rank"] == 2
        assert second["rules"] == [
            {"rule_id": "ba13-bande-a-joint", "action": "pin", "detail": "rang 2 imposé"}
        ]
        assert len(answer["recommendations"]) == 10
        assert all(r["ID_GAMME"] != blocked_gamme["ID_GAMME"] for r in answer["recommendations"])
        applied = {r["rule_id"]: r for r in answer["rules_applied"]}
        assert applied["ba13-bande-a-joint"]["product_ids"] == [pinned]
        assert applied["sans-gamme"]["action"] == "block" and applied["sans-gamme"]["removed"] >= 1
        assert answer["controls"]["rules_id"] == version_id

        # a bad file: refused with its line and field; the rules in force stay
        bad = tmp_path / "bad.yaml"
        bad.write_text(rules.read_text().replace("position: 2", "position: 0"), encoding="utf-8")
        refused = reco("rules", "publish", bad, "--artifact-root", root)
        assert refused.returncode == 2
        assert (
            "bad.yaml line 6: rules[0].position: Input should be greater than or equal to 1" in refused.stderr
        )
        assert store.current_run(root, RULES).name == version_id

        # a damaged version forced behind rules_current (by hand): refused by the worker, the
        # previous rules stay in force and /version says why
        damaged = root / f"{version_id}-copy"
        shutil.copytree(root / version_id, damaged)
        renamed = root / "rules_20991231_000000_damaged"
        damaged.rename(renamed)
        (renamed / RULES_JSON).write_text("{}", encoding="utf-8")
        tmp_link = root / ".tmp-link"
        os.symlink(renamed.name, tmp_link)
        os.replace(tmp_link, root / RULES.current_link)
        deadline = time.monotonic() + 20
        while (last := client.get("/version").json()["rules"]["last_load"])["name"] != renamed.name:
            assert time.monotonic() < deadline, last
            time.sleep(0.2)
        assert last["ok"] is False and "rules.json" in last["detail"]
        assert client.get("/version").json()["rules"]["id"] == version_id
        again = client.post(
            "/recommend_panier", json={"product_ids": [trigger], "k": 10, "agence": branch}
        ).json()
        assert again["recommendations"][1]["product_id"] == pinned


def test_catalog_current_is_followed_and_a_damaged_state_keeps_the_previous(
    demo: DemoWithCatalog, tmp_path: Path
) -> None:
    root = fresh_root(demo, tmp_path)
    env = {"RECO_ARTIFACT_ROOT": str(root), "RELOAD_CHECK_SECONDS": "0.5"}
    with running_server(tmp_path, **env) as server, server.client() as client:
        newer = write_state(root, demo.warehouse, tag="newer")
        store.promote(root, newer, kind=CATALOG)
        wait_for(client, "catalog", newer.name)
        # damage a state, force it behind the link: refused, the previous stays in force
        broken = write_state(root, demo.warehouse, tag="broken")
        data = bytearray((broken / AVAILABILITY_BITS).read_bytes())
        data[-1] ^= 0xFF
        (broken / AVAILABILITY_BITS).write_bytes(bytes(data))
        refused = reco("catalog", "promote", broken.name, "--artifact-root", root)
        assert refused.returncode == 5 and AVAILABILITY_BITS in refused.stderr
        os.symlink(broken.name, root / ".tmp-link")
        os.replace(root / ".tmp-link", root / CATALOG.current_link)
        deadline = time.monotonic() + 20
        while (last := client.get("/version").json()["catalog"]["last_load"])["name"] != broken.name:
            assert time.monotonic() < deadline, last
            time.sleep(0.2)
        assert last["ok"] is False and AVAILABILITY_BITS in last["detail"]
        version = client.get("/version").json()
        assert version["catalog"]["id"] == newer.name and version["ready"] is True
        answer = client.post("/recommend_panier", json={"product_ids": [100003], "agence": 1}).json()
        assert answer["controls"]["catalog_id"] == newer.name


def test_a_broken_catalog_current_at_start_up_is_not_ready_and_says_why(
    demo: DemoWithCatalog, tmp_path: Path
) -> None:
    root = fresh_root(demo, tmp_path)
    os.symlink("catalog_20990101_000000", root / ".tmp-link")
    os.replace(root / ".tmp-link", root / CATALOG.current_link)  # dangling
    env = {"RECO_ARTIFACT_ROOT": str(root), "RELOAD_CHECK_SECONDS": "0.5"}
    with running_server(tmp_path, **env) as server, server.client() as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["reason"].startswith("catalog_current: ")
        assert client.post("/recommend_panier", json={"product_ids": [1]}).status_code == 503
        store.rollback(root, to=demo.catalog_dir.name, kind=CATALOG)  # an operator repairs it
        deadline = time.monotonic() + 20
        while client.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
