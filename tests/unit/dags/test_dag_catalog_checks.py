"""The catalogue-state suites (reco_catalog_refresh's validate): a demo state passes; a branch
that lost its stock, a catalogue that shrank beyond the band, a status column mapped the wrong way
(everything delisted) each fail, naming the dataset, the expectation and the column."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.demo_catalog import catalog_frames

from reco_airflow import gx_checks
from reco_core.catalog import state as S
from reco_core.demo.generator import generate_demo


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=4, n_products=600, n_orders=500, n_branches=8)


def write(root: Path, demo, *, status=None, stock=None) -> Path:
    s, branches, st = catalog_frames(demo)
    return S.write_catalog(
        root, *S.build_arrays(s if status is None else status, branches, st if stock is None else stock)
    )


def check(state: Path, previous: Path | None = None) -> gx_checks.DataCheckReport:
    return gx_checks.check_catalog(state, previous_dir=previous, band=0.2, max_delisted_share=0.5)


def test_a_demo_state_passes_alone_and_against_itself(tmp_path: Path, demo) -> None:
    first = write(tmp_path, demo)
    report = check(first)
    assert report.ok, report.summary()
    assert report.rows == {"catalog_products": 600, "catalog_branches": 8} and report.evaluated == 11
    assert check(write(tmp_path, demo), previous=first).ok


def test_a_branch_without_stock_fails(tmp_path: Path, demo) -> None:
    stock = demo.stock[demo.stock["id_agence"] != 3]
    report = check(write(tmp_path, demo, stock=stock))
    assert not report.ok
    (failure,) = report.failures
    assert (failure.dataset, failure.column) == ("catalog_branches", "NB_DISPONIBLES")
    assert "1 of 8 rows unexpected" in failure.detail and "e.g. [0]" in failure.detail


def test_a_shrunk_catalogue_and_everything_delisted_fail(tmp_path: Path, demo) -> None:
    previous = write(tmp_path, demo)
    status = demo.product_status.head(400)
    shrunk = check(
        write(tmp_path, demo, status=status[["id_produit", "dereference", "lib_marque"]]), previous
    )
    assert [(f.dataset, f.expectation) for f in shrunk.failures] == [
        ("catalog_products", "expect_table_row_count_to_be_between")
    ]
    assert (
        "400 rows, expected 480..720 (previous validated extraction: 600 rows)" in shrunk.failures[0].detail
    )
    everything = demo.product_status.assign(dereference=1)[["id_produit", "dereference", "lib_marque"]]
    report = check(write(tmp_path, demo, status=everything))
    kinds = {(f.dataset, f.expectation, f.column) for f in report.failures}
    assert ("catalog_products", "expect_column_mean_to_be_between", "DEREFERENCE") in kinds
    assert ("catalog_branches", "expect_column_values_to_be_between", "NB_DISPONIBLES") in kinds
