"""The normalised warehouse tables the demo generator and the real-data importer write, and
the extraction SQL (reco_core/warehouse/sql/*.sql) reads.

Identifiers are lower-case and unquoted so the same SQL runs on SQLite, PostgreSQL, MariaDB
and SQL Server. A real warehouse will differ: adapt the .sql files, not this module.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

metadata = MetaData()

univers = Table(
    "univers",
    metadata,
    Column("id_univers", Integer, primary_key=True, autoincrement=False),
    Column("lib_univers", String(200), nullable=True),
)

gammes = Table(
    "gammes",
    metadata,
    Column("id_gamme", BigInteger, primary_key=True, autoincrement=False),
    Column("lib_gamme", String(200), nullable=True),
    Column("id_univers", Integer, ForeignKey("univers.id_univers"), nullable=True),
)

products = Table(
    "products",
    metadata,
    Column("id_produit", BigInteger, primary_key=True, autoincrement=False),
    Column("lib_produit", String(300), nullable=True),
    Column("id_gamme", BigInteger, ForeignKey("gammes.id_gamme"), nullable=True),
    Column("id_marque", SmallInteger, nullable=False, default=0),  # 1 = own brand (MDD)
)

customers = Table(
    "customers",
    metadata,
    Column("id_client", BigInteger, primary_key=True, autoincrement=False),
    Column("profession", String(64), nullable=True),
)

orders = Table(
    "orders",
    metadata,
    Column("id_commande", BigInteger, primary_key=True, autoincrement=False),
    Column("id_client", BigInteger, ForeignKey("customers.id_client"), nullable=False),
    Column("date_commande", Date, nullable=True),  # null for sources without dates
    Index("ix_orders_date", "date_commande"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id_commande", BigInteger, ForeignKey("orders.id_commande"), primary_key=True),
    Column("id_produit", BigInteger, ForeignKey("products.id_produit"), primary_key=True),
    Column("quantite", Integer, nullable=False, default=1),
)

# Insertion order that respects the foreign keys.
TABLE_ORDER: tuple[Table, ...] = (univers, gammes, products, customers, orders, order_lines)
