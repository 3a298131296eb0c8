"""A successful `reco data` never shows the warehouse password: not in its output at debug level,
not in the files it writes (extraction.json records the URL masked). The failures are covered by
test_warehouse_failures.py."""

from __future__ import annotations

import json

import pytest

from reco_core import columns as C
from reco_core.warehouse.load import write_tables

PASSWORD = "Pg-s3cret-pa55"


@pytest.mark.postgres
def test_the_warehouse_password_is_never_written_nor_logged(tmp_path, demo_tables, pg_url, reco):
    write_tables(pg_url, demo_tables)
    user, host = pg_url.split("://", 1)[1].split("@", 1)
    url = pg_url.replace(f"://{user}@", f"://{user}:{PASSWORD}@")  # the test server trusts local users
    data = tmp_path / "data"
    result = reco("-v", "data", "--warehouse-url", url, "--dir_data", data, "--holdout-days", "30")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() and PASSWORD not in result.stdout + result.stderr
    written = sorted(data.iterdir())
    assert len(written) == 5
    for path in written:
        assert PASSWORD.encode() not in path.read_bytes(), path.name
    recorded = json.loads((data / C.EXTRACTION_SUMMARY_FILE).read_text())["warehouse"]
    assert recorded == f"postgresql+psycopg://{user}:***@{host}"
