"""A run trained on a small demo warehouse, with that warehouse's catalogue state: what the
controls tests, the serving tests and the benches filter with (real model, real bitsets)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reco_core import columns as C
from reco_core.artifacts import store
from reco_core.catalog import layout as CL
from reco_core.catalog import state as S
from reco_core.demo.generator import DemoWarehouse, generate_demo
from reco_core.training.config import TrainConfig
from reco_core.training.pipeline import train


@dataclass(frozen=True)
class DemoWithCatalog:
    warehouse: DemoWarehouse
    root: Path  # the artifact root: run_current and catalog_current promoted
    run_dir: Path
    catalog_dir: Path


def catalog_frames(dw: DemoWarehouse) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What agences.sql, stock.sql and statut_produits.sql return on this warehouse."""
    status = dw.product_status[["id_produit", "dereference", "lib_marque"]]
    counts = dw.customers.groupby("id_agence").size().rename("nb_clients").reset_index()
    branches = dw.agences.merge(counts, on="id_agence", how="left").fillna({"nb_clients": 0})
    return status, branches, dw.stock


def write_state(root: Path, dw: DemoWarehouse, tag: str | None = None) -> Path:
    arrays, meta = S.build_arrays(*catalog_frames(dw))
    return S.write_catalog(root, arrays, meta, tag=tag)


def _inputs(dw: DemoWarehouse, out: Path) -> tuple[Path, Path]:
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
    details = dw.products.merge(dw.gammes, on="id_gamme", how="left").merge(dw.univers, on="id_univers")
    details = details.rename(
        columns={
            "id_produit": C.ID_PRODUIT,
            "id_gamme": C.ID_GAMME,
            "id_univers": C.ID_UNIVERS,
            "lib_produit": C.LIB_PRODUIT,
            "lib_gamme": C.LIB_GAMME,
            "lib_univers": C.LIB_UNIVERS,
            "id_marque": C.ID_MARQUE,
        }
    )[list(C.DETAILS_COLUMNS)]
    ventes.to_parquet(out / C.VENTES_FILE)
    details.to_parquet(out / C.DETAILS_FILE)
    return out / C.VENTES_FILE, out / C.DETAILS_FILE


def build_demo_with_catalog(
    base: Path, *, seed: int = 7, n_products: int = 600, n_orders: int = 6000, n_branches: int = 20
) -> DemoWithCatalog:
    dw = generate_demo(seed=seed, n_products=n_products, n_orders=n_orders, n_branches=n_branches)
    base.mkdir(parents=True, exist_ok=True)
    ventes, details = _inputs(dw, base)
    root = base / "artifacts"
    cfg = TrainConfig(
        ventes=ventes,
        details=details,
        artifact_root=root,
        epochs=8,
        threads=1,
        val_baskets=200,
        blend_samples=2000,
    )
    run_dir = train(cfg)
    store.promote(root, run_dir)
    catalog_dir = write_state(root, dw)
    store.promote(root, catalog_dir, kind=CL.CATALOG)
    return DemoWithCatalog(dw, root, run_dir, catalog_dir)


def fresh_root(demo: DemoWithCatalog, base: Path, *, catalog: bool = True) -> Path:
    """The demo's run (and its catalogue state unless `catalog` is False), promoted, in a root of
    the calling test's own."""
    root = base / "artifacts"
    root.mkdir()
    shutil.copytree(demo.run_dir, root / demo.run_dir.name)
    store.promote(root, demo.run_dir.name)
    if catalog:
        shutil.copytree(demo.catalog_dir, root / demo.catalog_dir.name)
        store.promote(root, demo.catalog_dir.name, kind=CL.CATALOG)
    return root
