"""Rules applied after ranking, on a run trained on the demo with its catalogue state: a pin puts
its product at its rank and names the rule; blocks leave the candidates and k still comes back;
boosts and buries move items by at most their bounds; dates bound every rule; a pin whose
product cannot be sold here does nothing and says why. Versions: a bad file is refused before
anything is written, a damaged version is refused by verification and promotion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from helpers.demo_catalog import DemoWithCatalog, build_demo_with_catalog

from reco_core.artifacts import store
from reco_core.artifacts.loader import load_run
from reco_core.catalog.state import load_catalog
from reco_core.errors import ArtifactError
from reco_core.ranking import RankerIndex, get_profile, load_profiles
from reco_core.ranking.controls import ControlIndex, Controls
from reco_core.rules.apply import RulesEngine, recommend_with_controls
from reco_core.rules.layout import RULES, RULES_FILES
from reco_core.rules.model import MAX_SHIFT, RulesFileError, parse_rules
from reco_core.rules.versions import RulesVersion, load_rules, publish_rules, verify_rules
from reco_core.settings import RecoSettings

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoWithCatalog:
    return build_demo_with_catalog(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def view(demo: DemoWithCatalog) -> ControlIndex:
    return ControlIndex.build(RankerIndex.build(load_run(demo.run_dir)), load_catalog(demo.catalog_dir))


@pytest.fixture(scope="module")
def profile():
    return get_profile(load_profiles(RecoSettings().panier_params_path), "learned_v1")


def engine(view: ControlIndex, text: str) -> RulesEngine:
    return RulesEngine.build(RulesVersion("rules_x", Path("."), parse_rules(text, "r.yaml"), "r.yaml"), view)


def answer(view, eng, profile, basket, k=10, controls=None, today=TODAY):
    return recommend_with_controls(view, eng, profile, None, basket, k, controls, today=today)


def sellable_ids(view: ControlIndex, branch_row: int) -> np.ndarray:
    pos = view.item_pos
    ok = view.sellable & (pos >= 0) & view.catalog.available(branch_row, np.maximum(pos, 0))
    return view.index.run.item_ids[ok]


def test_a_pin_puts_its_product_at_its_rank_and_names_the_rule(view, profile) -> None:
    basket = [int(view.index.run.item_ids[0])]
    branch_row = 0
    branch = int(view.catalog.branch_ids[branch_row])
    plain = answer(view, None, profile, basket, controls=Controls(agence=branch))
    candidates = [
        int(p) for p in sellable_ids(view, branch_row) if int(p) not in plain.product_ids + tuple(basket)
    ]
    for position, pinned in ((1, candidates[0]), (2, candidates[1]), (10, candidates[2])):
        eng = engine(
            view,
            f"rules:\n  - {{id: p{position}, action: pin, when: {{product_ids: [{basket[0]}]}}, "
            f"product_id: {pinned}, position: {position}}}\n",
        )
        got = answer(view, eng, profile, basket, controls=Controls(agence=branch))
        assert got.product_ids[position - 1] == pinned and len(got.items) == 10
        hit = got.items[position - 1].rules
        assert [(h.rule_id, h.action) for h in hit] == [(f"p{position}", "pin")]
        others = [p for p in got.product_ids if p != pinned]
        assert others == [p for p in plain.product_ids if p != pinned][:9]  # the rest keeps its order
        assert [(r.rule_id, r.skipped) for r in got.rules_applied] == [(f"p{position}", None)]


def test_a_pin_by_gamme_and_its_dates(view, profile) -> None:
    item = 3
    basket = [int(view.index.run.item_ids[item])]
    gamme = int(view.index.gamme[item])
    plain = answer(view, None, profile, basket)
    pinned = next(
        int(p)
        for p in view.index.run.item_ids[view.sellable]
        if int(p) not in plain.product_ids + tuple(basket)
    )
    text = (
        f"rules:\n  - {{id: g, action: pin, when: {{gammes: [{gamme}]}}, product_id: {pinned}, position: 3, "
        "start: 2026-06-01, end: 2026-06-30}\n"
    )
    eng = engine(view, text)
    assert answer(view, eng, profile, basket).product_ids[2] == pinned
    assert pinned not in answer(view, eng, profile, basket, today=dt.date(2026, 7, 1)).product_ids
    assert pinned not in answer(view, eng, profile, basket, today=dt.date(2026, 5, 31)).product_ids


def test_a_pin_that_cannot_be_sold_here_does_nothing_and_says_why(view, profile) -> None:
    basket = [int(view.index.run.item_ids[0])]
    delisted = int(view.index.run.item_ids[~view.sellable][0])
    when = f"when: {{product_ids: [{basket[0]}]}}"
    eng = engine(
        view,
        f"rules:\n  - {{id: d, action: pin, {when}, product_id: {delisted}, position: 1}}\n"
        f"  - {{id: b, action: pin, {when}, product_id: {basket[0]}, position: 2}}\n"
        f"  - {{id: u, action: pin, {when}, product_id: 1, position: 3}}\n",
    )
    got = answer(view, eng, profile, basket)
    assert delisted not in got.product_ids and len(got.items) == 10
    skipped = {r.rule_id: r.skipped for r in got.rules_applied}
    assert skipped["d"].startswith("cannot be recommended here")
    assert skipped["b"] == "already in the basket" and skipped["u"] == "not a product of the served run"


def test_blocks_leave_the_candidates_and_k_still_comes_back(view, profile) -> None:
    basket = [int(p) for p in view.index.run.item_ids[[0, 5]]]
    plain = answer(view, None, profile, basket)
    first = view.index.run.item_index[plain.product_ids[0]]
    gamme = int(view.index.gamme[view.index.run.item_index[plain.product_ids[1]]])
    brand = view.catalog.brands[int(view.item_brand[view.index.run.item_index[plain.product_ids[2]]])]
    eng = engine(
        view,
        f"rules:\n  - {{id: p, action: block, product_ids: [{plain.product_ids[0]}]}}\n"
        f"  - {{id: g, action: block, gammes: [{gamme}]}}\n"
        f"  - {{id: m, action: block, brands: ['{brand.upper()}']}}\n",  # brands match folded
    )
    got = answer(view, eng, profile, basket)
    idx = [view.index.run.item_index[p] for p in got.product_ids]
    assert len(idx) == 10 and first not in idx
    assert gamme not in view.index.gamme[idx]
    assert brand not in {view.catalog.brands[b] for b in view.item_brand[idx] if b >= 0}
    removed = {r.rule_id: r.removed for r in got.rules_applied if r.action == "block"}
    assert removed["p"] == 1 and removed["g"] >= 1 and removed["m"] >= 1
    assert got.removed["blocked"] == sum(removed.values())


def test_boost_and_bury_move_items_within_their_bounds(view, profile) -> None:
    basket = [int(view.index.run.item_ids[0])]
    plain = answer(view, None, profile, basket, k=10)
    deep = answer(view, None, profile, basket, k=10 + MAX_SHIFT)
    top = view.index.run.item_index[plain.product_ids[0]]
    gamme_top = int(view.index.gamme[top])
    eng = engine(view, f"rules:\n  - {{id: down, action: bury, gammes: [{gamme_top}], ranks: 4}}\n")
    got = answer(view, eng, profile, basket, k=10)
    old = {p: i for i, p in enumerate(deep.product_ids)}
    for rank, item in enumerate(got.items):
        if item.rules:
            assert item.rules[0].rule_id == "down" and item.rules[0].detail == "-4 rangs"
            assert rank - old[item.product_id] <= 4  # moved down by at most its ranks
            assert view.index.gamme[view.index.run.item_index[item.product_id]] == gamme_top
    assert plain.product_ids[0] != got.product_ids[0]
    # a boost of a gamme just below the cut brings it in, by at most MAX_SHIFT ranks
    outsider = deep.product_ids[12]
    gamme_out = int(view.index.gamme[view.index.run.item_index[outsider]])
    eng = engine(view, f"rules:\n  - {{id: up, action: boost, gammes: [{gamme_out}], ranks: {MAX_SHIFT}}}\n")
    boosted = answer(view, eng, profile, basket, k=10)
    assert outsider in boosted.product_ids
    assert any(h.rule_id == "up" for h in boosted.items[boosted.product_ids.index(outsider)].rules)


def test_publishing_refuses_a_bad_file_and_a_damaged_version(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.json"
    good.write_text("rules:\n  - {id: a, action: block, product_ids: [1]}\n", encoding="utf-8")
    bad.write_text('{"rules": [{"id": "a", "action": "block"}]}', encoding="utf-8")
    version = publish_rules(tmp_path, good)
    assert store.current_run(tmp_path, RULES) == version.resolve()
    with pytest.raises(RulesFileError, match=r"^bad\.json line 1: rules\[0\]: a block names"):
        publish_rules(tmp_path, bad)
    assert store.list_runs(tmp_path, RULES) == [version.resolve()]  # nothing written
    for name in RULES_FILES:
        copy = publish_rules(tmp_path, good, promote_it=False)
        (copy / name).write_text((copy / name).read_text() + " ", encoding="utf-8")
        assert not verify_rules(copy).ok
        with pytest.raises(ArtifactError, match=name):
            store.promote(tmp_path, copy, kind=RULES)
        with pytest.raises(ArtifactError):
            load_rules(copy)
    assert store.current_run(tmp_path, RULES) == version.resolve()
    assert load_rules(version).rules.rules[0].id == "a"
