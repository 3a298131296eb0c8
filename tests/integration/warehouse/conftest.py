"""A small demo warehouse with the awkward values real warehouses have, and a CLI runner."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from reco_core.demo.generator import generate_demo
from reco_core.warehouse import schema

CU, ORD, P = schema.customers.c, schema.orders.c, schema.products.c

TRICKY_LABELS = [
    'Vis "6x40", tête fraisée; lot\\N',
    "tab\there",
    "two\nlines",
    "",
    None,
    "Crème àéîõü ß € 🙂 ' \\ ",
]


@pytest.fixture(scope="session")
def demo_tables() -> dict[str, pd.DataFrame]:
    """generate_demo(400 products, 3000 orders) plus nulls, empty strings and odd characters."""
    tables = {
        name: frame.copy() for name, frame in generate_demo(n_products=400, n_orders=3000).tables().items()
    }
    customers, orders, products = tables["customers"], tables["orders"], tables["products"]
    profession = customers[CU.profession.name].astype(object)
    profession.iloc[:3] = None
    profession.iloc[3] = ""
    customers[CU.profession.name] = profession
    orders.loc[orders.index[10:15], ORD.date_commande.name] = pd.NaT
    labels = products[P.lib_produit.name].astype(object)
    labels.iloc[: len(TRICKY_LABELS)] = TRICKY_LABELS
    products[P.lib_produit.name] = labels
    gamme = products[P.id_gamme.name].astype("Int64")
    gamme.iloc[[7, 8]] = pd.NA
    products[P.id_gamme.name] = gamme
    assert (
        orders[ORD.date_commande.name].isna().sum() == 5 and customers[CU.profession.name].isna().sum() == 3
    )
    return tables


@pytest.fixture
def reco():
    """Run the `reco` command line in a child process, as a user does; returns the CompletedProcess."""

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "reco_core.cli", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True, timeout=300)

    return run
