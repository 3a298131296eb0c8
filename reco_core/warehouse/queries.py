"""The extraction's SQL files: where they come from, how they are bound and streamed.

The .sql files ship inside the package (importlib.resources, so an installed wheel has them);
`sql_dir` points at a user's adapted copies instead. Results are streamed in chunks through
`yield_per` (a server-side cursor where the driver has one) so that memory holds one chunk of
Python rows at a time, whatever the warehouse size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from reco_core.errors import DataContractError, RecoError, WarehouseError
from reco_core.warehouse.connect import driver_message

VENTES_SQL = "ventes.sql"
DETAILS_SQL = "details.sql"

# Aliases the queries return, typed so that every driver hands back the same Python types
# (SQLite returns dates as text unless told).
ORDER_ID, ORDER_DATE, PROFESSION, PRODUCT_ID = "id_commande", "date_commande", "profession", "id_produit"
VENTES_COLUMNS: Mapping[str, Any] = {
    ORDER_ID: sa.BigInteger,
    ORDER_DATE: sa.Date,
    PROFESSION: sa.String,
    PRODUCT_ID: sa.BigInteger,
}
VENTES_REQUIRED = (ORDER_ID, PROFESSION, PRODUCT_ID)
WINDOW_PARAMS = ("since", "before")
MISSING_HINTS = {ORDER_DATE: "--since/--until/--holdout-days need it (use --holdout-frac without dates)"}


@dataclass(frozen=True)
class Query:
    name: str  # what messages call it: the file name, or its path when user-supplied
    sql: str


def load_query(name: str, sql_dir: Path | None = None) -> Query:
    """The SQL of `name`, from `sql_dir` when given, else the packaged default.

    Full-line `--` comments are dropped: SQLAlchemy would otherwise read ':word' in a comment as
    a bind parameter, and some ODBC drivers count '?' in comments as parameters.
    """
    if sql_dir is not None:
        path = Path(sql_dir) / name
        if not path.is_file():
            raise RecoError(
                f"{path}: SQL file not found (--sql-dir must hold {VENTES_SQL} and {DETAILS_SQL})"
            )
        text, shown = path.read_text(encoding="utf-8"), str(path)
    else:
        text, shown = resources.files("reco_core.warehouse").joinpath("sql", name).read_text("utf-8"), name
    sql = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return Query(shown, sql)


def window_statement(
    query: Query, since: dt.date | None, before: dt.date | None
) -> tuple[sa.TextClause, dict]:
    """`query` typed and bound; the window parameters must be present if a window is asked for."""
    clause = sa.text(query.sql)
    present = [name for name in WINDOW_PARAMS if name in clause.compile().params]
    if (since or before) and len(present) < len(WINDOW_PARAMS):
        raise RecoError(
            f"{query.name}: --since/--until need the bind parameters :since and :before in the query"
        )
    clause = clause.bindparams(*(sa.bindparam(name, type_=sa.Date) for name in present))
    values = {"since": since, "before": before}
    return clause.columns(**VENTES_COLUMNS), {name: values[name] for name in present}


def stream(
    conn: sa.Connection,
    query: Query,
    statement: sa.Executable,
    params: Mapping[str, Any],
    required: Sequence[str],
    chunk_rows: int,
) -> tuple[list[str], Iterator[list[tuple]]]:
    """Run `statement`; return the lower-cased column names and an iterator of row chunks.

    A required column missing from the result is a DataContractError naming it and the query;
    a database error is a WarehouseError with the driver's message.
    """
    try:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(statement, params)
    except sa.exc.DBAPIError as exc:
        raise WarehouseError(f"{query.name} failed: {driver_message(exc)}") from None
    names = [key.lower() for key in result.keys()]  # noqa: SIM118 (iterating a result gives rows)
    missing = [col for col in required if col not in names]
    if missing:
        result.close()
        hints = "".join(f"; {MISSING_HINTS[col]}" for col in missing if col in MISSING_HINTS)
        raise DataContractError(
            f"{query.name}: the query returns no column {', '.join(missing)} "
            f"(returned: {', '.join(names)}){hints}"
        )

    def chunks() -> Iterator[list[tuple]]:
        try:
            yield from result.partitions(chunk_rows)
        except sa.exc.DBAPIError as exc:
            raise WarehouseError(f"{query.name} failed while reading: {driver_message(exc)}") from None
        finally:
            result.close()

    return names, chunks()


def arrow_column(values: Sequence[Any], type_: pa.DataType, query: Query, column: str) -> pa.Array:
    """A column of driver values as an Arrow array of `type_` (integer or string).

    Drivers hand back Decimal (SQL Server numeric), bool (bit) or, with SQLite's dynamic typing,
    a mix of int and str in one column; each is converted, anything else is a DataContractError.
    """
    try:
        return pa.array(values, type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    try:
        return pa.array(values).cast(type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    convert = str if pa.types.is_string(type_) else int
    try:
        return pa.array([None if v is None else convert(v) for v in values], type_)
    except (ValueError, TypeError, pa.ArrowInvalid) as exc:
        raise DataContractError(f"{query.name}: column {column} cannot be read as {type_} ({exc})") from None
