"""`reco import-baskets`: a public basket dataset (/work/shared/datasets format) -> warehouse tables.

It lets extraction, training and evaluation run on real transactions nobody here generated.
Mapping (the datasets' README calls it natural):
- BASKET_ID -> orders.id_commande: 1..n in sorted BASKET_ID order (stable across imports);
- CUSTOMER_SEGMENT -> customers.profession (null -> the default profession);
- customers: one per (segment, CUSTOMER_ID). A basket without CUSTOMER_ID (or a dataset with
  no such column) goes to one synthetic customer of its segment. Keying on the pair, not on
  CUSTOMER_ID alone, keeps every basket's profession equal to its own segment even where a
  source customer appears under two segments (8 customers of online_retail have two countries);
- DATE -> date_commande (earliest of the basket, day resolution; null where absent);
- QUANTITY -> quantite (summed over duplicate lines; 1 where absent);
- CATEGORY -> gamme, DEPARTMENT -> univers of that gamme (the department most of its products
  have), LABEL -> lib_produit, id_marque 0. Products sold but missing from products.parquet are
  added without metadata, so the foreign keys hold.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reco_core import columns as C
from reco_core import logs
from reco_core.errors import DataContractError
from reco_core.warehouse import schema
from reco_core.warehouse.load import write_tables

log = logs.get_logger("warehouse.importer")

BASKETS_FILE, PRODUCTS_FILE = "baskets.parquet", "products.parquet"
# Column names of the datasets' common format (/work/shared/datasets/README.md).
BASKET_ID, SEGMENT, PRODUCT_ID = "BASKET_ID", "CUSTOMER_SEGMENT", "PRODUCT_ID"
CUSTOMER_ID, DATE, QUANTITY = "CUSTOMER_ID", "DATE", "QUANTITY"
LABEL, CATEGORY_ID, CATEGORY_NAME = "LABEL", "CATEGORY_ID", "CATEGORY_NAME"
DEPARTMENT_ID, DEPARTMENT_NAME = "DEPARTMENT_ID", "DEPARTMENT_NAME"

U, G, P = schema.univers.c, schema.gammes.c, schema.products.c
CU, ORD, L = schema.customers.c, schema.orders.c, schema.order_lines.c


def _read(path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> pd.DataFrame:
    """The columns of a dataset file that the import uses, absent optional ones as nulls."""
    if not path.is_file():
        raise DataContractError(f"{path}: file not found")
    present = set(pq.read_schema(path).names)
    missing = [col for col in required if col not in present]
    if missing:
        raise DataContractError(f"{path}: missing required column {', '.join(missing)}")
    frame = pq.read_table(path, columns=[c for c in required + optional if c in present]).to_pandas()
    for col in optional:
        if col not in frame:
            frame[col] = pd.Series(None, index=frame.index, dtype=object)
    return frame


def _first_valid(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    return frame.dropna(subset=[column]).drop_duplicates(key).set_index(key)[column]


def _catalogue(products: pd.DataFrame, sold: np.ndarray) -> dict[str, pd.DataFrame]:
    products = products.drop_duplicates(PRODUCT_ID)
    unknown = np.setdiff1d(sold, products[PRODUCT_ID].to_numpy())
    if len(unknown):
        logs.event(log, "products without metadata added", level=logging.WARNING, products=len(unknown))
        products = pd.concat([products, pd.DataFrame({PRODUCT_ID: unknown})], ignore_index=True)
    products = products.sort_values(PRODUCT_ID, kind="stable")
    categorised = products.dropna(subset=[CATEGORY_ID])
    # A category's department: the one most of its products have (ties: the smallest id).
    votes = categorised.dropna(subset=[DEPARTMENT_ID]).groupby([CATEGORY_ID, DEPARTMENT_ID]).size()
    votes = votes.reset_index(name="n").sort_values(["n", DEPARTMENT_ID], ascending=[False, True])
    department = votes.drop_duplicates(CATEGORY_ID).set_index(CATEGORY_ID)[DEPARTMENT_ID]
    category_ids = np.unique(categorised[CATEGORY_ID].to_numpy(np.int64))
    department_ids = np.unique(products[DEPARTMENT_ID].dropna().to_numpy(np.int64))
    return {
        "univers": pd.DataFrame(
            {
                U.id_univers.name: department_ids,
                U.lib_univers.name: _first_valid(products, DEPARTMENT_ID, DEPARTMENT_NAME).reindex(
                    department_ids
                ),
            }
        ),
        "gammes": pd.DataFrame(
            {
                G.id_gamme.name: category_ids,
                G.lib_gamme.name: _first_valid(products, CATEGORY_ID, CATEGORY_NAME).reindex(category_ids),
                G.id_univers.name: department.reindex(category_ids).astype("Int64"),
            }
        ),
        "products": pd.DataFrame(
            {
                P.id_produit.name: products[PRODUCT_ID].to_numpy(np.int64),
                P.lib_produit.name: products[LABEL].to_numpy(),
                P.id_gamme.name: products[CATEGORY_ID].astype("Int64").to_numpy(),
                P.id_marque.name: 0,
            }
        ),
    }


def dataset_tables(
    baskets: pd.DataFrame, products: pd.DataFrame, default_profession: str = C.DEFAULT_PROFESSION
) -> dict[str, pd.DataFrame]:
    """The six warehouse tables from a dataset's baskets and products (see module doc)."""
    baskets = baskets.dropna(subset=[BASKET_ID, PRODUCT_ID])
    order_code, _ = pd.factorize(baskets[BASKET_ID], sort=True)
    baskets = baskets.assign(
        order=order_code + 1,
        qty=baskets[QUANTITY].fillna(1).astype(np.int64),
        day=pd.to_datetime(baskets[DATE]).dt.floor("D"),  # typed even when absent: min() stays vectorised
    )
    per_order = baskets.groupby("order", sort=True).agg(
        segment=(SEGMENT, "first"), customer=(CUSTOMER_ID, "first"), date=("day", "min")
    )
    profession = per_order["segment"].astype(object).where(per_order["segment"].notna(), default_profession)
    profession = profession.where(profession != "", default_profession).astype(str)
    customer_key = profession + "\x1f" + per_order["customer"].astype(object).fillna("").astype(str)
    customer_code, customer_keys = pd.factorize(customer_key, sort=True)
    lines = baskets.groupby(["order", PRODUCT_ID], sort=True, as_index=False)["qty"].sum()
    tables = _catalogue(products, np.unique(lines[PRODUCT_ID].to_numpy(np.int64)))
    tables["customers"] = pd.DataFrame(
        {
            CU.id_client.name: np.arange(1, len(customer_keys) + 1),
            CU.profession.name: [key.split("\x1f", 1)[0] for key in customer_keys],
        }
    )
    tables["orders"] = pd.DataFrame(
        {
            ORD.id_commande.name: per_order.index.to_numpy(np.int64),
            ORD.id_client.name: customer_code + 1,
            ORD.date_commande.name: per_order["date"].to_numpy(),
        }
    )
    tables["order_lines"] = pd.DataFrame(
        {
            L.id_commande.name: lines["order"].to_numpy(np.int64),
            L.id_produit.name: lines[PRODUCT_ID].to_numpy(np.int64),
            L.quantite.name: lines["qty"].to_numpy(np.int64),
        }
    )
    return tables


def import_baskets(
    dataset_dir: Path | str, url: str, *, default_profession: str = C.DEFAULT_PROFESSION
) -> dict[str, int]:
    """Replace the warehouse at `url` with the dataset in `dataset_dir`; returns rows per table."""
    dataset_dir = Path(dataset_dir)
    try:
        baskets = _read(
            dataset_dir / BASKETS_FILE, (BASKET_ID, PRODUCT_ID), (SEGMENT, CUSTOMER_ID, DATE, QUANTITY)
        )
        products = _read(
            dataset_dir / PRODUCTS_FILE,
            (PRODUCT_ID,),
            (LABEL, CATEGORY_ID, CATEGORY_NAME, DEPARTMENT_ID, DEPARTMENT_NAME),
        )
    except pa.ArrowInvalid as exc:
        raise DataContractError(f"{dataset_dir}: unreadable Parquet ({exc})") from None
    tables = dataset_tables(baskets, products, default_profession)
    logs.event(log, "dataset mapped", dataset=dataset_dir.name, **{k: len(v) for k, v in tables.items()})
    return write_tables(url, tables)
