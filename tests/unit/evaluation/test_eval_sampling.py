"""Samples: the protocol (m given, the rest expected, known items only) and seeded reproducibility."""

import numpy as np
import pandas as pd
import pytest

from reco_core import columns as C
from reco_core.errors import RecoError
from reco_core.evaluation import Protocol
from reco_core.evaluation.sampling import draw_samples, item_positions
from reco_core.training.baskets import baskets_from_frame

ORDERS = baskets_from_frame(
    pd.DataFrame(
        {
            C.PROFESSION_CLIENT: ["PLAQUISTE", "PLOMBIER", "PLOMBIER", "PEINTRE"],
            C.NB_OCCURENCES_COMMANDE: [1, 3, 1, 1],
            C.LIST_ID_PRODUITS: [[10, 11, 12, 13], [20, 21, 99], [30, 31, 32, 33, 34, 35], [40]],
        }
    )
)
KNOWN = np.array([10, 11, 12, 13, 20, 21, 30, 31, 32, 33, 34, 35, 40])  # 99 is unknown


def _draw(seed=42, n=400, low=1, high=3, known=KNOWN):
    return draw_samples(ORDERS, known, n_samples=n, basket_m=low, max_basket_m=high, seed=seed)


def _rows(samples):
    return [
        (int(o), tuple(samples.given.row(i)), tuple(samples.expected.row(i)))
        for i, o in enumerate(samples.order)
    ]


def test_same_seed_same_samples_other_seed_other_samples():
    assert _rows(_draw(seed=1)) == _rows(_draw(seed=1))
    assert _rows(_draw(seed=1)) != _rows(_draw(seed=2))


def test_given_and_expected_split_the_known_items_of_the_order():
    samples = _draw()
    for i, order in enumerate(samples.order):
        given, expected = samples.given.row(i), samples.expected.row(i)
        assert len(given) == samples.m[i]
        assert len(expected) >= 1
        items = set(ORDERS.product_ids[ORDERS.indptr[order] : ORDERS.indptr[order + 1]].tolist()) - {99}
        assert set(given) | set(expected) == items
        assert not set(given) & set(expected)
        assert samples.profession[i] == ORDERS.professions[ORDERS.prof[order]]


def test_orders_need_m_plus_one_known_items_and_are_weighted():
    samples = _draw(n=4000)
    m2 = samples.order[samples.m == 2]
    # m = 2 needs 3 known items: PLOMBIER's order has only 2 known ones (99 is unknown)
    assert set(m2.tolist()) == {0, 2}
    m1 = samples.order[samples.m == 1]
    share = np.bincount(m1, minlength=4) / len(m1)
    assert share[3] == 0  # one item: never eligible
    assert share[1] == pytest.approx(3 / 5, abs=0.04)  # weight 3 among 1 + 3 + 1
    assert set(np.unique(samples.m).tolist()) == {1, 2, 3}
    assert samples.eligible_orders == {1: 3, 2: 2, 3: 2}


def test_sizes_no_order_can_serve_are_left_out():
    samples = _draw(low=4, high=9)
    assert set(samples.m.tolist()) == {4, 5}  # only the 6-item order serves, up to m = 5
    assert samples.describe()["eligible_orders_per_m"]["6"] == 0


def test_nothing_to_sample_is_an_error():
    with pytest.raises(RecoError, match="no order has 7 or more items known"):
        _draw(low=6, high=6)
    with pytest.raises(RecoError, match="basket-m"):
        _draw(low=3, high=2)


def test_matrix_is_in_the_run_index_space():
    samples = _draw(n=50)
    item_ids = KNOWN[::-1].copy()  # a run whose index is not sorted by product id
    matrix = samples.given.matrix(item_ids)
    assert matrix.shape == (50, len(KNOWN))
    for i in range(50):
        assert sorted(item_ids[matrix[i].indices].tolist()) == sorted(samples.given.row(i).tolist())
    assert item_positions(item_ids, np.array([40, 99, 10])).tolist() == [0, -1, len(KNOWN) - 1]


@pytest.mark.parametrize(
    "settings",
    [{"mode": "metier"}, {"k": 0}, {"n_samples": 0}, {"basket_m": 0}, {"basket_m": 3, "max_basket_m": 2}],
)
def test_protocol_refuses_impossible_settings(settings):
    with pytest.raises(RecoError):
        Protocol(**settings)
