"""Controls on a run trained on the demo, with the demo's catalogue state: over 10,000 random
requests with random branches, nothing delisted and nothing out of stock at the branch comes
back, and k items come back whenever the branch has k sellable candidates. Exclusions and
univers/gamme filters hold too; without controls the answer is what it was."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.demo_catalog import DemoWithCatalog, build_demo_with_catalog

from reco_core.artifacts.loader import load_run
from reco_core.catalog.state import load_catalog
from reco_core.ranking import RankerIndex, get_profile, load_profiles, recommend
from reco_core.ranking.controls import ControlError, ControlIndex, Controls
from reco_core.settings import RecoSettings

N_REQUESTS = 10_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoWithCatalog:
    return build_demo_with_catalog(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def view(demo: DemoWithCatalog) -> ControlIndex:
    return ControlIndex.build(RankerIndex.build(load_run(demo.run_dir)), load_catalog(demo.catalog_dir))


def _sellable_at(view: ControlIndex) -> np.ndarray:
    """bool [n_branches, n_items]: what each branch may be recommended (brute force, per item)."""
    state, items = view.catalog, np.arange(view.index.n_items)
    out = np.zeros((len(state.branch_ids), len(items)), dtype=bool)
    pos = state.positions(view.index.run.item_ids)
    for b in range(len(state.branch_ids)):
        for i in items.tolist():
            p = int(pos[i])
            if p >= 0 and state.delisted[p] == 0:
                out[b, i] = bool(state.bits[b, p // 8] >> (p % 8) & 1)
    return out


def test_ten_thousand_random_requests_never_return_what_cannot_be_sold(view: ControlIndex) -> None:
    rng = np.random.default_rng(18)
    index, state = view.index, view.catalog
    profiles = load_profiles(RecoSettings().panier_params_path)
    names = sorted(profiles)
    sellable = _sellable_at(view)
    item_ids = index.run.item_ids
    full = short = 0
    for _ in range(N_REQUESTS):
        b = int(rng.integers(len(state.branch_ids)))
        basket = rng.choice(index.n_items, size=int(rng.integers(0, 6)), replace=False)
        k = int(rng.integers(1, 31))
        profession = [None, *index.professions][int(rng.integers(len(index.professions) + 1))]
        profile = get_profile(profiles, names[int(rng.integers(len(names)))])
        keep = view.filter(Controls(agence=int(state.branch_ids[b])))
        reco = recommend(index, profile, profession, item_ids[basket].tolist(), k, candidate_filter=keep)
        got = np.array([index.run.item_index[p] for p in reco.product_ids], dtype=np.int64)
        assert sellable[b, got].all(), (b, got[~sellable[b, got]])
        assert not np.isin(got, basket).any() and len(set(got.tolist())) == len(got)
        enough = int(sellable[b].sum() - sellable[b, basket].sum()) >= k
        if enough:
            assert len(got) == k, (b, k, reco.shortfall)
            full += 1
        else:
            assert reco.shortfall and "pass this request's controls" in reco.shortfall
            short += 1
    assert full > 0.95 * N_REQUESTS  # the branches stock enough for nearly every request


def test_a_branch_that_stocks_fewer_than_k_gets_all_it_has_and_says_why(view: ControlIndex) -> None:
    index, state = view.index, view.catalog
    # keep one univers only, at the smallest branch: fewer products than k pass
    b = int(np.argmin([br.available for br in state.branches]))
    present = np.unique(view.item_univers[view.item_univers >= 0])
    univers = int(present[np.argmin([(view.item_univers == u).sum() for u in present])])
    controls = Controls(agence=int(state.branch_ids[b]), include_univers=(univers,))
    reco = recommend(
        index,
        get_profile(load_profiles(RecoSettings().panier_params_path), "learned_v1"),
        None,
        [],
        100,
        candidate_filter=view.filter(controls),
    )
    sellable = _sellable_at(view)[b] & (view.item_univers == univers)
    assert 0 < int(sellable.sum()) < 100
    assert sorted(reco.product_ids) == sorted(index.run.item_ids[sellable].tolist())
    assert reco.shortfall.startswith(f"only {int(sellable.sum())} products of the catalogue pass")
    assert reco.removed["univers"] > 0


def test_exclusions_and_univers_gamme_filters_hold(view: ControlIndex) -> None:
    rng = np.random.default_rng(5)
    index = view.index
    profile = get_profile(load_profiles(RecoSettings().panier_params_path), "blend_tuned_v3")
    gammes = np.unique(index.gamme[index.gamme >= 0])
    univers = np.unique(view.item_univers[view.item_univers >= 0])
    for _ in range(300):
        basket = index.run.item_ids[rng.choice(index.n_items, size=2, replace=False)].tolist()
        free = recommend(index, profile, None, basket, 10)
        excluded = tuple(free.product_ids[:3])
        inc_u = tuple(int(u) for u in rng.choice(univers, size=3, replace=False))
        exc_g = tuple(int(g) for g in rng.choice(gammes, size=5, replace=False))
        keep = view.filter(
            Controls(exclude_product_ids=excluded, include_univers=inc_u, exclude_gammes=exc_g)
        )
        reco = recommend(index, profile, None, basket, 10, candidate_filter=keep)
        got = np.array([index.run.item_index[p] for p in reco.product_ids])
        assert not set(excluded) & set(reco.product_ids)
        assert np.isin(view.item_univers[got], inc_u).all()
        assert not np.isin(index.gamme[got], exc_g).any()
        assert view.sellable[got].all()  # delisted never, with or without a branch
        assert len(got) == 10


def test_unknown_branch_names_the_field_and_no_controls_changes_nothing(view: ControlIndex) -> None:
    with pytest.raises(ControlError, match=r"^agence: unknown branch 999999"):
        view.filter(Controls(agence=999_999))
    no_state = ControlIndex.build(view.index, None)
    assert no_state.filter(Controls()) is None
    profile = get_profile(load_profiles(RecoSettings().panier_params_path), "learned_v1")
    basket = view.index.run.item_ids[:2].tolist()
    plain = recommend(view.index, profile, None, basket, 10)
    assert plain.removed == {} and plain.shortfall is None
    # without a catalogue state a branch filters nothing (the API says so): the same answer
    keep = no_state.filter(Controls(agence=1))
    assert keep is not None and keep.branch_row is None
    same = recommend(view.index, profile, None, basket, 10, candidate_filter=keep)
    assert same.product_ids == plain.product_ids and not any(same.removed.values())
    # with the state but no control, what cannot be sold still leaves, and k items come back
    sold = recommend(view.index, profile, None, basket, 10, candidate_filter=view.filter(None))
    assert len(sold.items) == 10
    assert all(view.sellable[view.index.run.item_index[p]] for p in sold.product_ids)
