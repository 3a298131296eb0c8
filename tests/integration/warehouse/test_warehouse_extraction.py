"""Extraction from real databases: same files whatever the engine, holdout and pairs correct."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pandas as pd
import pyarrow.parquet as pq
import pytest

from reco_core import columns as C
from reco_core.warehouse import schema
from reco_core.warehouse.extract import extract
from reco_core.warehouse.load import write_tables

CU, ORD, L = schema.customers.c, schema.orders.c, schema.order_lines.c
CONTRACT_FILES = (C.VENTES_FILE, C.HOLDOUT_FILE, C.DETAILS_FILE, C.PAIRS_FILE)


def _orders(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Reference: per order with lines, its profession, date and sorted product tuple."""
    lines = tables["order_lines"].sort_values([L.id_commande.name, L.id_produit.name])
    items = lines.groupby(L.id_commande.name)[L.id_produit.name].agg(tuple).rename("items")
    orders = tables["orders"].merge(tables["customers"], on=ORD.id_client.name, how="left")
    orders = orders.set_index(ORD.id_commande.name).join(items, how="inner")
    prof = orders[CU.profession.name].astype(object)
    orders["prof"] = prof.where(prof.notna() & (prof != ""), C.DEFAULT_PROFESSION)
    return orders


def _baskets(path) -> Counter:
    table = pq.read_table(path).to_pylist()
    return Counter(
        {(r[C.PROFESSION_CLIENT], tuple(r[C.LIST_ID_PRODUITS])): r[C.NB_OCCURENCES_COMMANDE] for r in table}
    )


@pytest.mark.postgres
@pytest.mark.mariadb
def test_postgres_mariadb_and_sqlite_give_identical_files(
    tmp_path, demo_tables, pg_url, mariadb_url, sqlite_url
):
    results = {}
    for name, url in (("sqlite", sqlite_url), ("postgres", pg_url), ("mariadb", mariadb_url)):
        write_tables(url, demo_tables)
        # Small chunks: orders straddle chunk boundaries.
        results[name] = extract(url, tmp_path / name, holdout_days=30, chunk_rows=1000)
    reference = {f: pq.read_table(tmp_path / "sqlite" / f) for f in CONTRACT_FILES}
    assert all(len(table) for table in reference.values())
    for name in ("postgres", "mariadb"):
        for f in CONTRACT_FILES:
            assert pq.read_table(tmp_path / name / f).equals(reference[f]), f"{f} from {name} differs"
        assert results[name].counts == results["sqlite"].counts
    details = reference[C.DETAILS_FILE].to_pandas()
    assert "two\nlines" in set(details[C.LIB_PRODUIT]) and "" in set(details[C.LIB_PRODUIT].dropna())
    assert details[C.LIB_PRODUIT].isna().sum() == 1 and details[C.ID_GAMME].isna().sum() == 2


def test_holdout_by_days_and_pairs_from_training_only(tmp_path, demo_tables, sqlite_url):
    write_tables(sqlite_url, demo_tables)
    summary = extract(sqlite_url, tmp_path, holdout_days=30, min_pair_count=2, chunk_rows=777)
    orders = _orders(demo_tables)
    dates = orders[ORD.date_commande.name]
    cut = dates.max() - pd.Timedelta(days=30)
    assert summary.holdout["cut_date"] == str(cut.date())
    held = dates > cut  # NaT compares False: undated orders train
    train_orders, holdout_orders = orders[~held], orders[held]
    assert 0 < len(holdout_orders) < len(train_orders)

    assert _baskets(tmp_path / C.VENTES_FILE) == Counter(
        zip(train_orders["prof"], train_orders["items"], strict=True)
    )
    assert _baskets(tmp_path / C.HOLDOUT_FILE) == Counter(
        zip(holdout_orders["prof"], holdout_orders["items"], strict=True)
    )

    expected = Counter()
    for prof, items in zip(train_orders["prof"], train_orders["items"], strict=True):
        expected.update((prof, a, b) for a in items for b in items if a != b)
    pairs = pq.read_table(tmp_path / C.PAIRS_FILE).to_pylist()
    got = {(r[C.PROFESSION_CLIENT], r[C.ID_PRODUIT_A], r[C.ID_PRODUIT_B]): r[C.OCCURENCE_PAIR] for r in pairs}
    assert got == {k: v for k, v in expected.items() if v >= 2}
    assert all(got[(p, b, a)] == n for (p, a, b), n in got.items())  # symmetric

    recorded = json.loads((tmp_path / C.EXTRACTION_SUMMARY_FILE).read_text())
    assert recorded["counts"]["holdout_orders"] == len(holdout_orders)
    assert recorded["files"][C.PAIRS_FILE]["rows"] == len(pairs)
    assert len(recorded["files"][C.VENTES_FILE]["sha256"]) == 64


def test_since_until_window_and_hash_holdout(tmp_path, demo_tables, sqlite_url):
    write_tables(sqlite_url, demo_tables)
    since, until = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    summary = extract(sqlite_url, tmp_path, since=since, until=until, holdout_frac=0.2, seed=7)
    orders = _orders(demo_tables)
    dates = orders[ORD.date_commande.name]
    in_window = orders[(dates >= pd.Timestamp(since)) & (dates <= pd.Timestamp(until))]
    assert dates.min() < pd.Timestamp(since) and dates.max() > pd.Timestamp(until)  # the window does cut
    train, holdout = _baskets(tmp_path / C.VENTES_FILE), _baskets(tmp_path / C.HOLDOUT_FILE)
    assert train + holdout == Counter(zip(in_window["prof"], in_window["items"], strict=True))
    assert 0.1 < summary.counts["holdout_orders"] / len(in_window) < 0.3
    assert summary.window == {"since": "2026-01-01", "until": "2026-03-31"}

    # Same seed, same split; a re-extraction without holdout removes the stale holdout file.
    again = extract(sqlite_url, tmp_path / "again", since=since, until=until, holdout_frac=0.2, seed=7)
    assert again.files[C.HOLDOUT_FILE]["sha256"] == summary.files[C.HOLDOUT_FILE]["sha256"]
    extract(sqlite_url, tmp_path, since=since, until=until)
    assert not (tmp_path / C.HOLDOUT_FILE).exists()
    assert sum(_baskets(tmp_path / C.VENTES_FILE).values()) == len(in_window)
