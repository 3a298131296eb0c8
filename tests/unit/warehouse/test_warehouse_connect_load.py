"""Warehouse URL resolution and the loader's checks (SQLite only: fast, no server)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from reco_core.errors import DataContractError, WarehouseError
from reco_core.warehouse import queries, schema
from reco_core.warehouse.connect import DEFAULT_URL, ENV_URL, mask, open_warehouse, resolve_warehouse_url
from reco_core.warehouse.load import write_tables

P, CU = schema.products.c, schema.customers.c


def test_url_precedence(monkeypatch):
    monkeypatch.setenv(ENV_URL, "postgresql+psycopg://env@h/db")
    assert resolve_warehouse_url("sqlite:///x.db", "SRV01") == "sqlite:///x.db"
    mssql = sa.make_url(resolve_warehouse_url(None, "SRV01"))
    assert (mssql.drivername, mssql.host, mssql.database) == ("mssql+pyodbc", "SRV01", "DWH")
    assert mssql.query == {
        "driver": "ODBC Driver 18 for SQL Server",
        "trusted_connection": "yes",
        "TrustServerCertificate": "yes",
    }
    assert sa.make_url(resolve_warehouse_url(nom_serveur="SRV01", database="VENTES")).database == "VENTES"
    assert resolve_warehouse_url() == "postgresql+psycopg://env@h/db"
    monkeypatch.delenv(ENV_URL)
    assert resolve_warehouse_url() == DEFAULT_URL


def test_password_is_masked():
    assert mask("postgresql+psycopg://bob:hunter2@h:5432/db") == "postgresql+psycopg://bob:***@h:5432/db"
    with pytest.raises(WarehouseError) as err:
        open_warehouse("mssql+pyodbc://bob:hunter2@nowhere/db?driver=No+Such+Driver")
    assert "hunter2" not in str(err.value) and "bob:***@nowhere" in str(err.value)


def test_write_tables_fills_defaults_and_rejects_missing_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    products = pd.DataFrame({P.id_produit.name: [3, 1], P.lib_produit.name: ["b", None]})  # no id_marque
    customers = pd.DataFrame({CU.id_client.name: [1], CU.profession.name: [None]})
    assert write_tables(url, {"products": products, "customers": customers}) == {
        "products": 2,
        "customers": 1,
    }
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id_produit, lib_produit, id_gamme, id_marque FROM products")
        ).all()
        assert sorted(rows) == [(1, None, None, 0), (3, "b", None, 0)]
        assert set(sa.inspect(conn).get_table_names()) == {t.name for t in schema.TABLE_ORDER}
    engine.dispose()
    with pytest.raises(DataContractError, match="products: missing column id_produit"):
        write_tables(url, {"products": products.drop(columns=[P.id_produit.name])})
    with pytest.raises(DataContractError, match="unknown warehouse table"):
        write_tables(url, {"produits": products})


def test_driver_values_become_typed_arrow_columns():
    query = queries.Query("q.sql", "")
    assert queries.arrow_column([Decimal("12"), None, 3], pa.int64(), query, "x").to_pylist() == [12, None, 3]
    assert queries.arrow_column([True, False], pa.int64(), query, "x").to_pylist() == [1, 0]
    assert queries.arrow_column([7, "b"], pa.string(), query, "x").to_pylist() == ["7", "b"]
    with pytest.raises(DataContractError, match=r"q\.sql: column x"):
        queries.arrow_column(["12", "douze"], pa.int64(), query, "x")
