"""The Great Expectations suites on real and corrupted extractions, and what a failure says."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reco_airflow import config, data, gx_checks
from reco_core import columns as C


@pytest.fixture
def copy(extraction, tmp_path) -> Path:
    return Path(shutil.copytree(extraction, tmp_path / "data"))


def rewrite(path: Path, change) -> None:
    pq.write_table(change(pq.read_table(path)), path)


def test_a_clean_extraction_passes(extraction):
    report = gx_checks.check_extraction(extraction, previous_rows=None, band=0.3)
    assert report.ok, report.summary()
    assert report.evaluated > 30
    assert set(report.rows) == {"ventes", "details", "pairs"} and report.rows["details"] == 600
    assert report.band == {"ventes": [0, None], "details": [0, None], "pairs": [0, None]}


def test_row_counts_must_stay_within_the_band_of_the_previous_extraction(extraction):
    rows = gx_checks.check_extraction(extraction, previous_rows=None, band=0.3).rows
    assert gx_checks.check_extraction(extraction, previous_rows=rows, band=0.3).ok
    doubled = rows | {"ventes": rows["ventes"] * 2}
    report = gx_checks.check_extraction(extraction, previous_rows=doubled, band=0.3)
    assert [(f.dataset, f.expectation) for f in report.failures] == [
        ("ventes", "expect_table_row_count_to_be_between")
    ]
    detail = report.failures[0].detail
    assert f"{rows['ventes']:,} rows, expected {int(rows['ventes'] * 2 * 0.7):,}.." in detail
    assert f"previous validated extraction: {rows['ventes'] * 2:,} rows" in detail


def test_bad_rows_are_counted_and_quoted(copy):
    def bad_pairs(table: pa.Table) -> pa.Table:
        ids = table.column(C.ID_PRODUIT_A).to_numpy().copy()
        ids[:3] = 999
        return table.set_column(table.schema.get_field_index(C.ID_PRODUIT_A), C.ID_PRODUIT_A, pa.array(ids))

    def bad_ventes(table: pa.Table) -> pa.Table:
        counts = table.column(C.NB_OCCURENCES_COMMANDE).to_numpy().copy()
        counts[0] = 0
        lists = table.column(C.LIST_ID_PRODUITS).to_pylist()
        lists[1] = []
        table = table.set_column(1, C.NB_OCCURENCES_COMMANDE, pa.array(counts))
        return table.set_column(2, C.LIST_ID_PRODUITS, pa.array(lists, pa.list_(pa.int64())))

    rewrite(copy / C.PAIRS_FILE, bad_pairs)
    rewrite(copy / C.VENTES_FILE, bad_ventes)
    report = gx_checks.check_extraction(copy, previous_rows=None, band=0.3)
    found = {(f.dataset, f.expectation, f.column): f.detail for f in report.failures}
    assert set(found) == {
        ("pairs", "expect_column_values_to_be_in_set", C.ID_PRODUIT_A),
        ("ventes", "expect_column_values_to_be_between", C.NB_OCCURENCES_COMMANDE),
        ("ventes", "expect_column_values_to_be_between", "NB_PRODUITS"),
    }
    assert found[("pairs", "expect_column_values_to_be_in_set", C.ID_PRODUIT_A)].startswith("3 of ")
    assert "e.g. [999]" in found[("pairs", "expect_column_values_to_be_in_set", C.ID_PRODUIT_A)]
    summary = report.summary()
    assert summary.startswith("data checks FAILED: 3 of ") and str(copy) in summary
    assert "ventes   expect_column_values_to_be_between" in summary


def test_a_missing_column_is_named(copy):
    rewrite(copy / C.DETAILS_FILE, lambda t: t.drop_columns([C.ID_MARQUE]))
    report = gx_checks.check_extraction(copy, previous_rows=None, band=0.3)
    assert {f.column for f in report.failures} == {C.ID_MARQUE}
    assert {f.detail for f in report.failures} == {"column missing from the file"}


def test_basket_products_outside_the_catalogue_are_tolerated_up_to_one_percent(copy, extraction):
    def unknown_product_in(share: float) -> None:
        table = pq.read_table(extraction / C.VENTES_FILE)
        lists = table.column(C.LIST_ID_PRODUITS).to_pylist()
        for basket in lists[: int(len(lists) * share)]:
            basket[0] = 999_999
        column = pa.array(lists, pa.list_(pa.int64()))
        pq.write_table(table.set_column(2, C.LIST_ID_PRODUITS, column), copy / C.VENTES_FILE)

    unknown_product_in(0.005)
    assert gx_checks.check_extraction(copy, previous_rows=None, band=0.3).ok
    unknown_product_in(0.05)
    (failure,) = gx_checks.check_extraction(copy, previous_rows=None, band=0.3).failures
    assert (failure.dataset, failure.column) == ("ventes", "NB_PRODUITS_HORS_CATALOGUE")


def test_validated_state_round_trip(extraction, tmp_path):
    assert gx_checks.read_validated(tmp_path) is None
    report = gx_checks.check_extraction(extraction, previous_rows=None, band=0.3)
    gx_checks.record_validated(tmp_path, report, "manual__x")
    state = gx_checks.read_validated(tmp_path)
    assert state["rows"] == report.rows and state["dag_run_id"] == "manual__x"
    assert state["data_dir"] == str(extraction)


def test_shuffled_baskets_pass_the_checks_but_no_longer_match(copy):
    before = pq.read_table(copy / C.VENTES_FILE).column(C.LIST_ID_PRODUITS).to_pylist()
    pairs_before = pq.read_table(copy / C.PAIRS_FILE)
    relabelled = data.shuffle_training_baskets(copy, seed=1)
    after = pq.read_table(copy / C.VENTES_FILE).column(C.LIST_ID_PRODUITS).to_pylist()
    pairs_after = pq.read_table(copy / C.PAIRS_FILE)
    assert relabelled == 600
    assert [len(b) for b in after] == [len(b) for b in before]
    assert sum(a != b for a, b in zip(before, after, strict=True)) > 0.9 * len(before)
    assert pairs_after.num_rows == pairs_before.num_rows
    assert pairs_after.column(C.ID_PRODUIT_A) != pairs_before.column(C.ID_PRODUIT_A)
    assert gx_checks.check_extraction(copy, previous_rows=None, band=0.3).ok


def test_prune_run_data_keeps_the_newest_and_the_reference(tmp_path):
    runs = tmp_path / config.RUNS_SUBDIR
    dirs = []
    for i in range(5):
        path = runs / f"manual__{i}"
        path.mkdir(parents=True)
        (path / "x").write_text("x")
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
        dirs.append(path)
    with pytest.raises(ValueError):
        data.prune_run_data(tmp_path, 0, set())
    assert data.prune_run_data(tmp_path, 2, {dirs[0]}, dry_run=True) == dirs[1:3]
    assert all(p.exists() for p in dirs)
    assert data.prune_run_data(tmp_path, 2, {dirs[0]}) == dirs[1:3]
    assert sorted(p.name for p in runs.iterdir()) == ["manual__0", "manual__3", "manual__4"]
    assert data.prune_run_data(tmp_path / "nowhere", 2, set()) == []
