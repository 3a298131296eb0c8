"""Which warehouse to read, and a connection that fails early with one readable line.

The original job took a SQL Server name (`--nom_serveur`) and connected through ODBC with
Windows authentication; that path is kept. Any SQLAlchemy URL works too, which is how the demo
(SQLite), the tests (PostgreSQL, MariaDB through ODBC) and other warehouses are reached.

A connection problem is the most common failure of a nightly extraction, so it is turned into a
WarehouseError whose single line says which server (password masked) and what the driver said.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from reco_core.errors import WarehouseError

ENV_URL = "RECO_WAREHOUSE_URL"
DEFAULT_URL = "sqlite:///var/warehouse.db"
DEFAULT_DATABASE = "DWH"
MSSQL_DRIVER = "ODBC Driver 18 for SQL Server"


def resolve_warehouse_url(
    warehouse_url: str | None = None, nom_serveur: str | None = None, database: str | None = None
) -> str:
    """Precedence: explicit URL > SQL Server named by --nom_serveur > $RECO_WAREHOUSE_URL > SQLite default.

    `database` only applies to --nom_serveur (a URL already names its database).
    """
    if warehouse_url:
        return warehouse_url
    if nom_serveur:
        url = sa.URL.create(
            "mssql+pyodbc",
            host=nom_serveur,
            database=database or DEFAULT_DATABASE,
            query={"driver": MSSQL_DRIVER, "trusted_connection": "yes", "TrustServerCertificate": "yes"},
        )
        return url.render_as_string(hide_password=False)
    from reco_core.settings import JobSettings

    return JobSettings().warehouse_url or DEFAULT_URL


def _parse(url: str | sa.URL) -> sa.URL:
    try:
        return sa.make_url(url)
    except sa.exc.ArgumentError:
        # Do not echo the string: a malformed URL may still carry a password.
        raise WarehouseError("invalid warehouse URL (expected dialect+driver://user@host/database)") from None


def mask(url: str | sa.URL) -> str:
    """The URL as it may appear in logs and messages: password replaced by ***."""
    return _parse(url).render_as_string(hide_password=True)


def driver_message(exc: BaseException, url: sa.URL | None = None) -> str:
    """The driver's own explanation on one line, with the password scrubbed if it was echoed."""
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    # pyodbc errors are (sqlstate, message); the message is the readable part.
    text = args[-1] if len(args) >= 2 and isinstance(args[-1], str) else str(orig)
    text = " ".join(text.split())
    if url is not None and url.password:
        text = text.replace(str(url.password), "***")
    return text


def open_warehouse(url: str | sa.URL, *, create: bool = False) -> sa.Engine:
    """An engine whose server answered `SELECT 1`.

    An SQLite file must already exist unless `create` (SQLite would otherwise create an empty
    database and the extraction would fail later with a confusing 'no such table').
    """
    parsed = _parse(url)
    shown = mask(parsed)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise WarehouseError(
                f"SQLite warehouse {path} does not exist (create it with `reco demo-warehouse` "
                "or `reco import-baskets`, or pass --warehouse-url)"
            )
    try:
        engine = sa.create_engine(parsed)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise WarehouseError(f"cannot use warehouse {shown}: {driver_message(exc, parsed)}") from None
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        message = driver_message(exc, parsed)
        if "Can't open lib" in message:
            message += " (ODBC driver not installed? `odbcinst -q -d` lists the installed ones)"
        raise WarehouseError(f"cannot connect to warehouse {shown}: {message}") from None
    return engine
