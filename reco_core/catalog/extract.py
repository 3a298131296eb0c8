"""`reco catalog extract`: the warehouse's branches, stock and product status -> a catalogue state.

Three queries (reco_core/warehouse/sql/agences.sql, stock.sql, statut_produits.sql; each file's
header says what it must return; `sql_dir` points at adapted copies) are streamed in chunks,
turned into the state's arrays (state.build_arrays) and written as a sealed directory
(state.write_catalog). Promotion is separate (`reco catalog promote`, or `--promote`), so the
DAG can run its data checks between the two.

A warehouse without these tables is not an error of the product: it has no catalogue state,
and serving filters nothing by availability. The extraction says so with NoCatalogTables (exit
code 6), which the DAG turns into a skipped run rather than an hourly alert.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from reco_core import logs
from reco_core.catalog import state as S
from reco_core.errors import RecoError, WarehouseError
from reco_core.warehouse import queries as Q
from reco_core.warehouse.connect import mask, open_warehouse

log = logs.get_logger("catalog")

AGENCES_SQL, STOCK_SQL, STATUT_SQL = "agences.sql", "stock.sql", "statut_produits.sql"
CATALOG_QUERIES = (AGENCES_SQL, STOCK_SQL, STATUT_SQL)
DEFAULT_CHUNK_ROWS = 200_000

# (query, {alias: Arrow type}, required aliases)
_QUERIES: dict[str, tuple[dict[str, pa.DataType], tuple[str, ...]]] = {
    AGENCES_SQL: (
        {S.ID_AGENCE: pa.int64(), S.LIB_AGENCE: pa.string(), S.NB_CLIENTS: pa.int64()},
        (S.ID_AGENCE,),
    ),
    STOCK_SQL: (
        {
            S.ID_AGENCE: pa.int64(),
            S.ID_PRODUIT: pa.int64(),
            S.QTE_STOCK: pa.float64(),
            S.COMMANDABLE: pa.int64(),
        },
        (S.ID_AGENCE, S.ID_PRODUIT, S.QTE_STOCK),
    ),
    STATUT_SQL: (
        {S.ID_PRODUIT: pa.int64(), S.DEREFERENCE: pa.int64(), S.LIB_MARQUE: pa.string()},
        (S.ID_PRODUIT, S.DEREFERENCE),
    ),
}
# How SQLite, PostgreSQL, MariaDB/MySQL and SQL Server say that a table does not exist.
_NO_TABLE = re.compile(r"no such table|does not exist|doesn't exist|invalid object name", re.IGNORECASE)


class NoCatalogTables(RecoError):
    """The warehouse has no branch/stock/status tables: no catalogue state, nothing filtered."""

    exit_code = 6


@dataclass(frozen=True)
class CatalogExtraction:
    state_dir: Path
    counts: dict[str, int]
    seconds: float


def _frames(conn: sa.Connection, name: str, sql_dir: Path | None, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The rows of query `name` as DataFrames, one per fetched chunk. The query runs (and a
    missing table is told apart) when this is called, not when the first chunk is taken."""
    if sql_dir is not None and not (Path(sql_dir) / name).is_file():
        raise RecoError(
            f"{Path(sql_dir) / name}: SQL file not found (--sql-dir must hold {', '.join(CATALOG_QUERIES)})"
        )
    query = Q.load_query(name, sql_dir)
    types, required = _QUERIES[name]
    try:
        names, chunks = Q.stream(conn, query, sa.text(query.sql), {}, required, chunk_rows)
    except WarehouseError as exc:
        if _NO_TABLE.search(str(exc)):
            raise NoCatalogTables(
                f"{query.name}: the warehouse has no such table ({exc}); without a catalogue state "
                "nothing is filtered by availability (see the query's header to map yours)"
            ) from None
        raise
    present = [n for n in names if n in types]

    def frames() -> Iterator[pd.DataFrame]:
        empty = True
        for rows in chunks:
            cols = list(zip(*rows, strict=True))
            arrays = {
                n: Q.arrow_column(cols[i], types[n], query, n) for i, n in enumerate(names) if n in types
            }
            empty = False
            yield pa.table(arrays).to_pandas()
        if empty:
            yield pa.schema([(n, types[n]) for n in present]).empty_table().to_pandas()

    return frames()


def _read(conn: sa.Connection, name: str, sql_dir: Path | None, chunk_rows: int) -> pd.DataFrame:
    return pd.concat(list(_frames(conn, name, sql_dir, chunk_rows)), ignore_index=True)


def extract_catalog(
    url: str,
    artifact_root: Path | str,
    *,
    sql_dir: Path | None = None,
    tag: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> CatalogExtraction:
    """Read the three queries from the warehouse at `url` and write a state under `artifact_root`
    (not promoted). NoCatalogTables when the warehouse has none of these tables."""
    start = time.perf_counter()
    engine = open_warehouse(url)
    try:
        with engine.connect() as conn:
            branches = _read(conn, AGENCES_SQL, sql_dir, chunk_rows)
            status = _read(conn, STATUT_SQL, sql_dir, chunk_rows)
            # stock streams: tens of millions of rows at 200 branches x 300k products
            arrays, meta = S.build_arrays(status, branches, _frames(conn, STOCK_SQL, sql_dir, chunk_rows))
    finally:
        engine.dispose()
    meta["source"] = {"warehouse": mask(url), "sql_dir": str(sql_dir) if sql_dir else None}
    state_dir = S.write_catalog(artifact_root, arrays, meta, tag=tag)
    seconds = round(time.perf_counter() - start, 3)
    logs.event(log, "catalogue extracted", state=state_dir.name, seconds=seconds)
    return CatalogExtraction(state_dir, meta["counts"], seconds)
