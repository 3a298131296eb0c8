"""Item universe, basket matrix and LightFM feature matrices on tiny frames."""

import numpy as np
import pandas as pd
import pytest

from reco_core import columns as C
from reco_core.errors import DataContractError
from reco_core.training import features
from reco_core.training.baskets import basket_item_matrix, baskets_from_frame, select_items

VENTES = pd.DataFrame(
    {
        C.PROFESSION_CLIENT: ["PLAQUISTE", "PLOMBIER", "PLAQUISTE"],
        C.NB_OCCURENCES_COMMANDE: [3, 1, 1],
        C.LIST_ID_PRODUITS: [[30, 10, 10], [20], [10, 40]],
    }
)
DETAILS = pd.DataFrame(
    {
        C.ID_PRODUIT: [10, 20, 30, 40, 50],
        C.ID_GAMME: pd.array([1, 1, 2, None, 3], dtype="Int64"),
        C.ID_UNIVERS: pd.array([7, 7, 7, None, None], dtype="Int64"),
        C.ID_MARQUE: [0, 1, 0, 0, 1],
    }
)


def test_baskets_dedupe_ids_and_map_professions():
    b = baskets_from_frame(VENTES)
    assert b.professions == ("PLAQUISTE", "PLOMBIER")
    assert b.prof.tolist() == [0, 1, 0]
    assert b.sizes().tolist() == [2, 1, 2]  # the duplicate 10 counts once
    assert b.product_ids.tolist() == [10, 30, 20, 10, 40]


def test_select_items_min_occ_include_all_and_max_items():
    b = baskets_from_frame(VENTES)
    ids, sales = select_items(
        b, DETAILS[C.ID_PRODUIT].to_numpy(), min_occ=2, include_all_items=False, max_items=0
    )
    assert ids.tolist() == [10, 30] and sales.tolist() == [4, 3]
    ids, sales = select_items(
        b, DETAILS[C.ID_PRODUIT].to_numpy(), min_occ=1, include_all_items=True, max_items=0
    )
    assert ids.tolist() == [10, 20, 30, 40, 50] and sales.tolist() == [4, 1, 3, 1, 0]
    ids, _ = select_items(b, DETAILS[C.ID_PRODUIT].to_numpy(), min_occ=1, include_all_items=True, max_items=2)
    assert ids.tolist() == [10, 30]
    with pytest.raises(DataContractError, match="min-occ=99"):
        select_items(b, DETAILS[C.ID_PRODUIT].to_numpy(), min_occ=99, include_all_items=False, max_items=0)


def test_basket_matrix_drops_products_outside_the_universe():
    b = baskets_from_frame(VENTES)
    x = basket_item_matrix(b, np.array([10, 30]))
    assert x.toarray().tolist() == [[1, 1], [0, 0], [1, 0]]


def test_user_features_identity_plus_profession_rows_sum_to_one():
    m, fmap = features.user_features(np.array([0, 1, 0]), ("A", "B"))
    assert fmap["prof:B"] == 4 and fmap["basket:2"] == 2
    dense = m.toarray()
    assert dense[1].tolist() == pytest.approx([0, 0.5, 0, 0, 0.5])
    assert np.allclose(dense.sum(axis=1), 1)


def test_item_features_cold_identity_and_categories():
    ids = np.array([10, 20, 50])
    sales = np.array([4.0, 1.0, 0.0])
    m, fmap = features.item_features(ids, sales, DETAILS, cold_identity_token=False)
    assert "prod:50" not in fmap and "prod:10" in fmap
    row50 = m.toarray()[2]
    assert {k for k, v in fmap.items() if row50[v] > 0} == {"gamme:3", "mdd:1"}
    m1, fmap1 = features.item_features(ids, sales, DETAILS, cold_identity_token=True)
    assert "prod:50" in fmap1 and m1.shape[1] == m.shape[1] + 1
    assert np.allclose(m.toarray().sum(axis=1), 1)


def test_item_without_any_feature_gets_a_shared_token():
    details = pd.DataFrame({C.ID_PRODUIT: [10, 60]})
    m, fmap = features.item_features(
        np.array([10, 60]), np.array([1.0, 0.0]), details, cold_identity_token=False
    )
    assert fmap["item:undescribed"] == m.shape[1] - 1
    assert m.toarray()[1, -1] == 1.0
