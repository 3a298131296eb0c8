"""The catalogue state: what the arrays say is exactly what the stock and status tables say; a
damaged state is refused by verification, promotion and loading, and the promoted one stays."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reco_core.artifacts import store
from reco_core.catalog import layout as CL
from reco_core.catalog import state as S
from reco_core.demo.generator import generate_demo
from reco_core.errors import ArtifactError, DataContractError


@pytest.fixture(scope="module")
def demo():
    return generate_demo(seed=3, n_products=700, n_orders=2000, n_branches=7)


def _frames(demo) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    status = demo.product_status[["id_produit", "dereference", "lib_marque"]]
    counts = demo.customers.groupby("id_agence").size().rename("nb_clients").reset_index()
    branches = demo.agences.merge(counts, on="id_agence", how="left")
    return status, branches, demo.stock


@pytest.fixture
def state_dir(tmp_path: Path, demo) -> Path:
    arrays, meta = S.build_arrays(*_frames(demo))
    return S.write_catalog(tmp_path, arrays, meta, tag="t")


def test_availability_bits_are_exactly_the_stock_table(state_dir: Path, demo) -> None:
    state = S.load_catalog(state_dir)
    stock = demo.stock
    expected = stock[(stock["qte_stock"] > 0) | (stock["commandable"] == 1)]
    all_positions = np.arange(state.n_products)
    for row, branch in enumerate(state.branch_ids.tolist()):
        got = set(state.product_ids[state.available(row, all_positions)].tolist())
        assert got == set(expected.loc[expected["id_agence"] == branch, "id_produit"].tolist()), branch
    assert state.branch_row(int(state.branch_ids[2])) == 2 and state.branch_row(10**9) is None
    delisted = set(demo.product_status.loc[demo.product_status["dereference"] == 1, "id_produit"])
    assert set(state.product_ids[state.delisted == 1].tolist()) == delisted
    assert state.positions(np.array([int(state.product_ids[5]), 1])).tolist() == [5, -1]
    brands = np.array(state.brands, dtype=object)[state.brand]
    assert brands.tolist() == demo.product_status["lib_marque"].tolist()
    assert sum(b.customers for b in state.branches) == len(demo.customers)
    assert isinstance(state.bits, np.memmap)  # shared by the API workers, not copied


def test_stock_rows_of_unknown_branches_or_products_are_counted_not_kept(demo) -> None:
    status, branches, stock = _frames(demo)
    extra = pd.DataFrame(
        {"id_agence": [999, 1], "id_produit": [int(status.id_produit[0]), 5], "qte_stock": [3, 3]}
    )
    _, meta = S.build_arrays(status, branches, pd.concat([stock, extra], ignore_index=True))
    assert meta["counts"]["stock_rows_unknown_branch"] == 1
    assert meta["counts"]["stock_rows_unknown_product"] == 1
    with pytest.raises(DataContractError, match="appears more than once"):
        S.build_arrays(status, branches, pd.concat([stock, stock.head(1)], ignore_index=True))
    with pytest.raises(DataContractError, match=r"id_produit .* appears more than once"):
        S.build_arrays(pd.concat([status, status.head(1)]), branches, stock)
    with pytest.raises(DataContractError, match=r"stock\.sql: the query returns no column qte_stock"):
        S.build_arrays(status, branches, stock.drop(columns="qte_stock"))


def _damages(path: Path) -> dict[str, bytes]:
    data = path.read_bytes()
    flipped = bytearray(data)
    flipped[-1] ^= 0xFF
    return {"truncated": data[: len(data) // 2], "emptied": b"", "changed byte": bytes(flipped)}


@pytest.mark.parametrize("name", CL.CATALOG_FILES)
def test_each_damaged_file_is_refused_and_the_promoted_state_stays(tmp_path: Path, demo, name: str) -> None:
    arrays, meta = S.build_arrays(*_frames(demo))
    good = S.write_catalog(tmp_path, arrays, meta, tag="good")
    store.promote(tmp_path, good, kind=CL.CATALOG)
    refusals = 0
    for damage, content in [*_damages(good / name).items(), ("missing", None)]:
        bad = S.write_catalog(tmp_path, arrays, meta, tag="bad")
        if content is None:
            (bad / name).unlink()
        else:
            (bad / name).write_bytes(content)
        report = S.verify_catalog(bad)
        assert not report.ok and any(p.startswith(name) for p in report.problems), (damage, report.problems)
        with pytest.raises(ArtifactError, match=f"refusing to promote.*{name}"):
            store.promote(tmp_path, bad, kind=CL.CATALOG)
        with pytest.raises(ArtifactError, match=name):
            S.load_catalog(bad)
        assert store.current_run(tmp_path, CL.CATALOG) == good.resolve()
        refusals += 3
        shutil.rmtree(bad)
    assert refusals == 12


@pytest.mark.parametrize(
    ("name", "change", "problem"),
    [
        (CL.PRODUCT_IDS, lambda a: a[::-1].copy(), "not strictly ascending"),
        (CL.PRODUCT_DELISTED, lambda a: a.astype(np.int64), "dtype int64"),
        (CL.PRODUCT_DELISTED, lambda a: np.full_like(a, 2), "values other than 0 and 1"),
        (CL.PRODUCT_BRAND, lambda a: a[:-1].copy(), "shape"),
        (CL.AVAILABILITY_BITS, lambda a: a[:-1].copy(), "shape"),
        (CL.AVAILABILITY_BITS, lambda a: np.full_like(a, 255), "padding bits"),
        (CL.PRODUCT_BRAND, lambda a: a + 10_000, "brand indices"),
    ],
)
def test_content_that_a_resealed_manifest_cannot_hide_is_refused(
    tmp_path: Path, demo, name: str, change, problem: str
) -> None:
    """Manifest rewritten after the change: only the content checks can tell."""
    from reco_core.artifacts.manifest import write_manifest

    arrays, meta = S.build_arrays(*_frames(demo))
    bad = S.write_catalog(tmp_path, arrays, meta)
    np.save(bad / name, change(np.load(bad / name)), allow_pickle=False)
    write_manifest(bad)
    report = S.verify_catalog(bad)
    assert not report.ok and any(problem in p for p in report.problems), report.problems


def test_counts_in_catalog_json_must_match_the_arrays(tmp_path: Path, demo) -> None:
    from reco_core.artifacts.manifest import write_manifest

    arrays, meta = S.build_arrays(*_frames(demo))
    bad = S.write_catalog(tmp_path, arrays, meta)
    doc = json.loads((bad / CL.CATALOG_META).read_text())
    doc["counts"]["products"] += 1
    (bad / CL.CATALOG_META).write_text(json.dumps(doc))
    write_manifest(bad)
    assert any("counts disagree" in p for p in S.verify_catalog(bad).problems)


def test_promotion_and_rollback_are_the_runs_and_leave_runs_alone(tmp_path: Path, demo) -> None:
    arrays, meta = S.build_arrays(*_frames(demo))
    first = S.write_catalog(tmp_path, arrays, meta, tag="a")
    second = S.write_catalog(tmp_path, arrays, meta, tag="b")
    assert store.promote(tmp_path, first.name, kind=CL.CATALOG).to_run == first.name
    assert store.promote(tmp_path, second.name, kind=CL.CATALOG).from_run == first.name
    back = store.rollback(tmp_path, kind=CL.CATALOG)
    assert back.action == "rollback" and back.to_run == first.name
    assert store.current_run(tmp_path, CL.CATALOG) == first.resolve()
    assert store.current_run(tmp_path) is None  # run_current untouched
    assert not (tmp_path / "promotions.jsonl").exists()
    assert [e.to_run for e in store.read_promotion_log(tmp_path, CL.CATALOG)] == [
        first.name,
        second.name,
        first.name,
    ]
    assert store.list_runs(tmp_path) == [] and len(store.list_runs(tmp_path, CL.CATALOG)) == 2


def test_stock_in_chunks_gives_the_same_state_and_a_duplicate_across_chunks_is_caught(demo) -> None:
    """The extraction streams stock.sql: chunk by chunk must be the same as all at once."""
    status, branches, stock = _frames(demo)
    whole, meta = S.build_arrays(status, branches, stock)
    chunks = [stock.iloc[i : i + 997] for i in range(0, len(stock), 997)]
    chunked, chunked_meta = S.build_arrays(status, branches, iter(chunks))
    assert all(np.array_equal(whole[name], chunked[name]) for name in whole)
    assert chunked_meta["counts"] == meta["counts"]
    with pytest.raises(DataContractError, match="appears more than once"):
        S.build_arrays(status, branches, iter([stock.head(50), stock.iloc[40:60]]))


def test_extraction_in_small_chunks_matches(tmp_path: Path, demo) -> None:
    from reco_core.catalog.extract import extract_catalog
    from reco_core.warehouse.load import write_tables

    url = f"sqlite:///{tmp_path / 'wh.db'}"
    write_tables(url, demo.tables())
    small = extract_catalog(url, tmp_path / "a", chunk_rows=333).state_dir
    large = extract_catalog(url, tmp_path / "b").state_dir
    for name in CL.CATALOG_FILES[:-1]:  # the arrays; catalog.json differs by its date and source
        assert np.array_equal(np.load(small / name), np.load(large / name)), name
