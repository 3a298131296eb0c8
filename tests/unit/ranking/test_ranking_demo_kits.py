"""On a run trained on demo data, a planted kit item as the basket brings back the rest of its kit."""

from pathlib import Path

import pandas as pd
import pytest

from reco_core import columns as C
from reco_core.artifacts.loader import load_run
from reco_core.demo.generator import DemoWarehouse, generate_demo
from reco_core.ranking import BasketParams, RankerIndex, recommend
from reco_core.training.config import TrainConfig
from reco_core.training.pipeline import train


def _write_inputs(dw: DemoWarehouse, out: Path) -> None:
    lines = dw.order_lines.merge(dw.orders, on="id_commande").merge(dw.customers, on="id_client")
    grouped = lines.sort_values("id_produit").groupby("id_commande")
    orders = grouped.agg(prof=("profession", "first"), items=("id_produit", list))
    ventes = pd.DataFrame(
        {
            C.PROFESSION_CLIENT: orders["prof"].to_numpy(),
            C.NB_OCCURENCES_COMMANDE: 1,
            C.LIST_ID_PRODUITS: orders["items"].to_numpy(),
        }
    )
    details = dw.products.rename(
        columns={"id_produit": C.ID_PRODUIT, "id_gamme": C.ID_GAMME, "id_marque": C.ID_MARQUE}
    )
    ventes.to_parquet(out / C.VENTES_FILE)
    details[[C.ID_PRODUIT, C.ID_GAMME, C.ID_MARQUE]].to_parquet(out / C.DETAILS_FILE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[DemoWarehouse, RankerIndex, pd.Series]:
    dw = generate_demo(n_products=400, n_orders=4000)
    root = tmp_path_factory.mktemp("demo")
    _write_inputs(dw, root)
    cfg = TrainConfig(
        ventes=root / C.VENTES_FILE,
        details=root / C.DETAILS_FILE,
        artifact_root=root / "artifacts",
        epochs=10,
        threads=1,
        val_baskets=200,
        blend_samples=2000,
    )
    index = RankerIndex.build(load_run(train(cfg)))
    orders = pd.read_parquet(root / C.VENTES_FILE)[C.LIST_ID_PRODUITS].map(set)
    return dw, index, orders


def test_a_kit_item_brings_back_its_kit(demo):
    dw, index, orders = demo
    # the kits actually bought: at least 3 of their items together in many orders
    bought = {
        kit.kit_id: int(orders.map(lambda o, k=kit: len(o & set(k.product_ids)) >= 3).sum())
        for kit in dw.kits
    }
    kits = sorted(dw.kits, key=lambda kit: -bought[kit.kit_id])[:8]
    assert min(bought[kit.kit_id] for kit in kits) >= 50
    found = total = 0
    for kit in kits:
        known = [p for p in kit.product_ids if p in index.run.item_index]
        result = recommend(index, BasketParams(), None, known[:1], 10)
        others = set(known[1:])
        hits = others & set(result.product_ids)
        assert result.product_ids[0] in others, kit.name
        assert len(hits) >= 0.75 * len(others), kit.name
        assert set(result.profession_mix) & set(kit.professions), kit.name
        found, total = found + len(hits), total + len(others)
    assert found >= 0.9 * total
