"""The fixtures really reach both servers (a broken fixture would silently skip every DB test)."""

import pytest
import sqlalchemy as sa


@pytest.mark.postgres
def test_postgres_fixture_gives_an_empty_database(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar() == 1
        assert sa.inspect(conn).get_table_names() == []
    engine.dispose()


@pytest.mark.mariadb
def test_mariadb_fixture_gives_an_empty_database_through_odbc(mariadb_url):
    engine = sa.create_engine(mariadb_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar() == 1
        assert sa.inspect(conn).get_table_names() == []
    engine.dispose()
