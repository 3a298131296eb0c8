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

# --- the catalogue state (reco_core.catalog): branches, stock, product status -------------------
# Optional: a warehouse without them still trains and serves, unfiltered.
agences = Table(
    "agences",
    metadata,
    Column("id_agence", BigInteger, primary_key=True, autoincrement=False),
    Column("lib_agence", String(200), nullable=True),
)

customers = Table(
    "customers",
    metadata,
    Column("id_client", BigInteger, primary_key=True, autoincrement=False),
    Column("profession", String(64), nullable=True),
    Column("id_agence", BigInteger, ForeignKey("agences.id_agence"), nullable=True),  # home branch
)

# One row per (branch, product) the branch lists; a product without a row is not sold there.
stock = Table(
    "stock",
    metadata,
    Column("id_agence", BigInteger, ForeignKey("agences.id_agence"), primary_key=True),
    Column("id_produit", BigInteger, ForeignKey("products.id_produit"), primary_key=True),
    Column("qte_stock", Integer, nullable=False, default=0),  # units on hand
    Column("commandable", SmallInteger, nullable=False, default=0),  # 1 = can be ordered for the customer
)

# One row per product of the catalogue: delisted (déréférencé) or not, since when, its brand.
product_status = Table(
    "product_status",
    metadata,
    Column("id_produit", BigInteger, ForeignKey("products.id_produit"), primary_key=True),
    Column("dereference", SmallInteger, nullable=False, default=0),  # 1 = delisted: never sold again
    Column("date_dereferencement", Date, nullable=True),
    Column("lib_marque", String(100), nullable=True),  # the brand (Placo, Knauf, Batipro...)
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
TABLE_ORDER: tuple[Table, ...] = (
    univers,
    gammes,
    products,
    agences,
    customers,
    orders,
    order_lines,
    stock,
    product_status,
)
