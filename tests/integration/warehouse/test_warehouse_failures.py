"""`reco data` failures: one readable line, no password, a non-zero exit, nothing half-written."""

from __future__ import annotations

import hashlib
import socket

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from reco_core import columns as C
from reco_core.errors import DataContractError, WarehouseError
from reco_core.warehouse import queries
from reco_core.warehouse.load import write_tables

PASSWORD = "s3cr3t-Pw"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _assert_failed_cleanly(result, exit_code: int, *needles: str) -> None:
    """The command was run with -q: stderr is exactly the error line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == exit_code, result.stderr
    assert len(lines) == 1 and lines[0].startswith("reco data: error: "), result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0]


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_unreachable_postgres(tmp_path, reco):
    url = f"postgresql+psycopg://reco:{PASSWORD}@127.0.0.1:{_closed_port()}/dwh"
    result = reco(
        "-q", "data", "--warehouse-url", url, "--dir_data", tmp_path / "data", "--holdout-days", "30"
    )
    _assert_failed_cleanly(result, WarehouseError.exit_code, "cannot connect", "reco:***@127.0.0.1")
    assert not (tmp_path / "data").exists()


@pytest.mark.mariadb
def test_wrong_mariadb_credentials(tmp_path, reco):
    url = f"mysql+pyodbc://nobody_here:{PASSWORD}@127.0.0.1:3306/test?driver=MariaDB+Unicode"
    (tmp_path / "data").mkdir()
    result = reco("-q", "data", "--warehouse-url", url, "--dir_data", tmp_path / "data")
    _assert_failed_cleanly(result, WarehouseError.exit_code, "Access denied", "nobody_here")
    assert list((tmp_path / "data").iterdir()) == []


def test_missing_sqlite_file_is_not_created(tmp_path, reco):
    result = reco(
        "-q", "data", "--warehouse-url", f"sqlite:///{tmp_path}/absent.db", "--dir_data", tmp_path / "data"
    )
    _assert_failed_cleanly(result, WarehouseError.exit_code, "does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_missing_required_column_keeps_the_previous_extraction(tmp_path, demo_tables, sqlite_url, reco):
    write_tables(sqlite_url, demo_tables)
    data = tmp_path / "data"
    assert reco("-q", "data", "--warehouse-url", sqlite_url, "--dir_data", data).returncode == 0
    before = _digests(data)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE products RENAME COLUMN id_produit TO code_article")
    engine.dispose()
    result = reco("-q", "data", "--warehouse-url", sqlite_url, "--dir_data", data, "--holdout-days", "30")
    _assert_failed_cleanly(result, WarehouseError.exit_code, queries.DETAILS_SQL, "id_produit")
    assert _digests(data) == before  # no temporary file, previous files untouched


def test_custom_sql_without_profession_is_named(tmp_path, demo_tables, sqlite_url, reco):
    write_tables(sqlite_url, demo_tables)
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    ventes = queries.load_query(queries.VENTES_SQL).sql.replace(
        "c.profession AS profession", "c.id_client AS client"
    )
    (sql_dir / queries.VENTES_SQL).write_text(ventes)
    (sql_dir / queries.DETAILS_SQL).write_text(queries.load_query(queries.DETAILS_SQL).sql)
    result = reco(
        "-q", "data", "--warehouse-url", sqlite_url, "--dir_data", tmp_path / "data", "--sql-dir", sql_dir
    )
    _assert_failed_cleanly(result, DataContractError.exit_code, "no column profession", str(sql_dir))
    assert not (tmp_path / "data").exists()


def test_optional_columns_and_dates_may_be_missing(tmp_path, demo_tables, sqlite_url, reco):
    """A warehouse without ranges/universes nor order dates still extracts (holdout by hash)."""
    write_tables(sqlite_url, demo_tables)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE gammes")
    engine.dispose()
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    (sql_dir / queries.DETAILS_SQL).write_text("SELECT id_produit, lib_produit FROM products")
    ventes = queries.load_query(queries.VENTES_SQL).sql.replace("o.date_commande AS date_commande,", "")
    ventes = ventes[: ventes.index("WHERE")] + "ORDER BY l.id_commande"
    (sql_dir / queries.VENTES_SQL).write_text(ventes)
    common = (
        "-q",
        "data",
        "--warehouse-url",
        sqlite_url,
        "--dir_data",
        tmp_path / "data",
        "--sql-dir",
        sql_dir,
    )

    result = reco(*common, "--holdout-days", "30")
    _assert_failed_cleanly(result, DataContractError.exit_code, queries.ORDER_DATE, "--holdout-frac")
    result = reco(*common, "--holdout-frac", "0.1")
    assert result.returncode == 0, result.stderr
    details = pq.read_table(tmp_path / "data" / C.DETAILS_FILE)
    assert details.column_names == list(C.DETAILS_COLUMNS)
    assert details.column(C.ID_GAMME).null_count == len(details) == len(demo_tables["products"])
    assert details.column(C.ID_MARQUE).to_pylist() == [0] * len(details)
    assert details.column(C.LIB_PRODUIT).null_count < len(details)
    assert (tmp_path / "data" / C.HOLDOUT_FILE).exists()
