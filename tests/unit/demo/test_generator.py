"""The demo warehouse must be loadable as is (schema, keys), realistic enough to exercise the
recommender (skew, baskets, MDD, seasonality) and carry planted kits that co-purchase counts
recover, since the end-to-end demo and tests rely on finding them."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from reco_core.demo import catalog
from reco_core.demo.generator import (
    MIN_PRODUCTS,
    PROFESSIONS,
    DemoWarehouse,
    Kit,
    generate_demo,
    read_kits,
    read_twins,
    twins_path,
    write_kits,
    write_twins,
)
from reco_core.errors import RecoError
from reco_core.warehouse.schema import TABLE_ORDER

SMALL = {"seed": 7, "n_products": 800, "n_orders": 4000}
KIT_FOUND_THRESHOLD = 0.80  # share of kits that co-purchase counts must recover


@pytest.fixture(scope="module")
def small() -> DemoWarehouse:
    return generate_demo(**SMALL)


@pytest.fixture(scope="module")
def default() -> DemoWarehouse:
    return generate_demo()


def test_same_seed_and_knobs_give_identical_tables(small: DemoWarehouse) -> None:
    again = generate_demo(**SMALL)
    for name, table in small.tables().items():
        pd.testing.assert_frame_equal(table, again.tables()[name], check_exact=True, obj=name)
    assert again.kits == small.kits


def test_another_seed_gives_other_orders(small: DemoWarehouse) -> None:
    other = generate_demo(**{**SMALL, "seed": 8})
    assert not other.order_lines.equals(small.order_lines)
    assert not other.orders["date_commande"].equals(small.orders["date_commande"])


def test_catalogue_and_kits_do_not_depend_on_the_number_of_orders(small: DemoWarehouse) -> None:
    fewer = generate_demo(**{**SMALL, "n_orders": 100})
    pd.testing.assert_frame_equal(fewer.products, small.products)
    assert fewer.kits == small.kits


def test_tables_follow_the_warehouse_schema(small: DemoWarehouse) -> None:
    tables = small.tables()
    assert list(tables) == [t.name for t in TABLE_ORDER]
    for table in TABLE_ORDER:
        df = tables[table.name]
        assert list(df.columns) == [c.name for c in table.columns], table.name
        for column in df.columns:
            dtype = df[column].dtype
            if column.startswith(("lib_", "profession")):
                assert pd.api.types.is_string_dtype(dtype) and df[column].notna().all(), column
            elif column.startswith("date_"):
                assert pd.api.types.is_datetime64_dtype(dtype)
                dated = df[column].dropna()
                assert (dated == dated.dt.normalize()).all()  # dates, no time of day
            else:
                assert dtype == np.int64, f"{table.name}.{column} is {dtype}"


def test_keys_are_unique_and_foreign_keys_hold(small: DemoWarehouse) -> None:
    for df, key in [
        (small.univers, ["id_univers"]),
        (small.gammes, ["id_gamme"]),
        (small.products, ["id_produit"]),
        (small.customers, ["id_client"]),
        (small.orders, ["id_commande"]),
        (small.order_lines, ["id_commande", "id_produit"]),
    ]:
        assert not df.duplicated(key).any(), key
    assert small.gammes["id_univers"].isin(small.univers["id_univers"]).all()
    assert small.products["id_gamme"].isin(small.gammes["id_gamme"]).all()
    assert small.orders["id_client"].isin(small.customers["id_client"]).all()
    assert small.order_lines["id_commande"].isin(small.orders["id_commande"]).all()
    assert small.order_lines["id_produit"].isin(small.products["id_produit"]).all()
    assert small.orders["id_commande"].isin(small.order_lines["id_commande"]).all()  # no empty order


def test_ids_are_sparse_so_nobody_can_assume_row_numbers(small: DemoWarehouse) -> None:
    for series in (small.products["id_produit"], small.gammes["id_gamme"], small.univers["id_univers"]):
        ids = series.to_numpy()
        assert ids.min() > 0 and (np.diff(ids) > 1).any()
    assert small.products["id_produit"].between(100_000, 999_999).all()


@pytest.mark.parametrize("n_products", [MIN_PRODUCTS, 800, 5000])
def test_catalogue_has_exactly_the_requested_size_and_unique_labels(n_products: int) -> None:
    products = generate_demo(n_products=n_products, n_orders=10).products
    assert len(products) == n_products
    assert products["lib_produit"].is_unique
    assert products["id_gamme"].nunique() == sum(len(u.gammes) for u in catalog.UNIVERS)


def test_a_large_catalogue_numbers_its_extra_references() -> None:
    products = generate_demo(n_products=20_000, n_orders=10).products
    assert products["lib_produit"].str.contains(" réf. ", regex=False).mean() > 0.5
    assert products["lib_produit"].is_unique


def test_about_15_percent_of_products_are_mdd_twins(small: DemoWarehouse) -> None:
    products = small.products
    share = products["id_marque"].mean()
    assert 0.10 <= share <= 0.20
    assert set(products["id_marque"].unique()) == {0, 1}
    mdd = products[products["id_marque"] == 1]
    assert mdd["lib_produit"].str.contains(catalog.HOUSE_BRAND, regex=False).all()
    # A twin shares its branded product's gamme and label up to the brand.
    branded = products[products["id_marque"] == 0].groupby("id_gamme")["lib_produit"].apply(list)
    for gamme, label in zip(mdd["id_gamme"], mdd["lib_produit"], strict=True):
        stem = label.split(f" {catalog.HOUSE_BRAND}")[0] + " "
        assert any(b.startswith(stem) for b in branded[gamme]), label


def test_every_profession_buys_with_a_skewed_mix(small: DemoWarehouse) -> None:
    assert PROFESSIONS == catalog.PROFESSIONS and len(PROFESSIONS) == 12
    by_customer = small.customers["profession"].value_counts()
    assert set(by_customer.index) == set(PROFESSIONS)
    assert by_customer.max() >= 3 * by_customer.min()
    ordering = small.orders.merge(small.customers, on="id_client")["profession"]
    assert set(ordering.unique()) == set(PROFESSIONS)


def test_orders_fill_the_window_with_seasonality(default: DemoWarehouse) -> None:
    dates = default.orders["date_commande"]
    assert dates.min() >= pd.Timestamp("2025-05-01") and dates.max() <= pd.Timestamp("2026-10-31")
    per_month = dates.dt.to_period("M").value_counts()
    assert len(per_month) == 18
    assert per_month.min() > 0.01 * len(dates)
    assert per_month[pd.Period("2026-08", "M")] < 0.7 * per_month.median()  # August holidays
    assert (dates.dt.day_of_week == 6).sum() == 0  # the counter is closed on Sundays
    assert default.orders["id_commande"].is_monotonic_increasing and dates.is_monotonic_increasing


def test_window_follows_months_and_end_date() -> None:
    demo = generate_demo(n_products=800, n_orders=2000, months=3, end_date=datetime.date(2024, 3, 15))
    dates = demo.orders["date_commande"]
    assert dates.min() >= pd.Timestamp("2023-12-16") and dates.max() <= pd.Timestamp("2024-03-15")
    assert dates.dt.to_period("M").nunique() == 4


def test_baskets_have_realistic_sizes_and_quantities(default: DemoWarehouse) -> None:
    lines = default.order_lines
    basket = lines.groupby("id_commande").size()
    assert 6 <= basket.mean() <= 10
    assert basket.min() >= 1 and basket.max() <= 30
    assert (lines["quantite"] >= 1).all() and lines["quantite"].median() > 1


def test_sales_follow_a_zipf_like_skew(default: DemoWarehouse) -> None:
    counts = default.order_lines["id_produit"].value_counts()
    top = np.sort(counts.reindex(default.products["id_produit"], fill_value=0).to_numpy())[::-1]
    assert top[: len(top) // 10].sum() > 0.4 * top.sum()
    orders_per_customer = default.orders["id_client"].value_counts()
    assert orders_per_customer.quantile(0.9) > 3 * orders_per_customer.median()


def test_kits_are_well_formed(default: DemoWarehouse) -> None:
    kits = default.kits
    ids = set(default.products["id_produit"].tolist())
    assert len({k.kit_id for k in kits}) == len(kits)
    assert len({frozenset(k.product_ids) for k in kits}) == len(kits)  # all distinct
    for kit in kits:
        assert 4 <= len(kit.product_ids) <= 8 and len(set(kit.product_ids)) == len(kit.product_ids)
        assert set(kit.product_ids) <= ids
        assert set(kit.professions) <= set(PROFESSIONS) and kit.name
    assert {p for k in kits for p in k.professions} == set(PROFESSIONS)
    assert any(k.kit_id == "PLAQUISTE-cloison-ba13-0" for k in kits)
    shared = [k for k in kits if len(k.professions) == 2]
    assert 3 <= len(shared) <= 0.2 * len(kits)
    assert {"MULTISERVICES", "PARTICULIER"} <= {k.professions[1] for k in shared}


def test_bigger_catalogue_has_more_kits(default: DemoWarehouse) -> None:
    assert len(generate_demo(n_products=30_000, n_orders=10).kits) > 2 * len(default.kits)


def test_planted_kits_dominate_co_purchases(default: DemoWarehouse) -> None:
    """A kit counts as found when at least half of its items have another item of the same kit
    among their 10 most co-purchased products (order-level co-occurrence, diagonal excluded)."""
    product_ids = default.products["id_produit"].to_numpy()
    order_ids = default.orders["id_commande"].to_numpy()
    lines = default.order_lines
    rows = np.searchsorted(order_ids, lines["id_commande"].to_numpy())
    cols = np.searchsorted(product_ids, lines["id_produit"].to_numpy())
    baskets = sp.csr_matrix(
        (np.ones(len(lines), dtype=np.float32), (rows, cols)), shape=(len(order_ids), len(product_ids))
    )
    co = (baskets.T @ baskets).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()

    def top10(item: int) -> set[int]:
        start, end = co.indptr[item], co.indptr[item + 1]
        neighbours, counts = co.indices[start:end], co.data[start:end]
        return set(neighbours[np.lexsort((neighbours, -counts))[:10]].tolist())

    found = 0
    for kit in default.kits:
        items = np.searchsorted(product_ids, kit.product_ids).tolist()
        hits = sum(bool(top10(i) & (set(items) - {i})) for i in items)
        found += 2 * hits >= len(items)
    assert found / len(default.kits) >= KIT_FOUND_THRESHOLD  # measured: 1.00 at the default size


def test_kits_round_trip_through_json(small: DemoWarehouse, tmp_path) -> None:
    path = tmp_path / "sub" / "kits.json"
    write_kits(small.kits, path)
    assert read_kits(path) == small.kits
    assert "Cloison BA13 sur ossature" in path.read_text(encoding="utf-8")  # readable French
    assert [p.name for p in path.parent.iterdir()] == ["kits.json"]  # no temporary file left


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("{not json", "cannot read"),
        ('{"kits": []}', "not a demo kits file"),
        ('{"format": "reco-materiaux/demo-kits/1", "kits": [{"kit_id": "x"}]}', "malformed"),
    ],
)
def test_read_kits_rejects_bad_files(tmp_path, content: str | None, message: str) -> None:
    path = tmp_path / "kits.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(RecoError, match=message):
        read_kits(path)


def test_planted_twins_are_a_branded_product_and_its_own_brand_copy(small: DemoWarehouse, tmp_path) -> None:
    products = small.products.set_index("id_produit")
    assert len(small.twins) == int(products["id_marque"].sum())  # every own-brand product is a twin
    for branded, own in small.twins:
        assert products.at[branded, "id_marque"] == 0 and products.at[own, "id_marque"] == 1
        assert products.at[branded, "id_gamme"] == products.at[own, "id_gamme"]
        stem = products.at[own, "lib_produit"].split(f" {catalog.HOUSE_BRAND}")[0] + " "
        assert products.at[branded, "lib_produit"].startswith(stem)
    # the orders swap one for the other: they are (almost) never in the same order
    lines = small.order_lines
    pairs = pd.DataFrame(small.twins, columns=["a", "b"])
    both = lines.merge(pairs, left_on="id_produit", right_on="a").merge(
        lines, left_on=["id_commande", "b"], right_on=["id_commande", "id_produit"]
    )
    assert len(both) < 0.01 * len(lines)
    path = twins_path(tmp_path / "demo_kits.json")
    assert path == tmp_path / "demo_twins.json"
    write_twins(small.twins, path)
    assert read_twins(path) == small.twins
    path.write_text('{"kits": []}')
    with pytest.raises(RecoError, match="not a demo twins file"):
        read_twins(path)


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"n_products": MIN_PRODUCTS - 1}, "n_products"),
        ({"n_products": 0}, "n_products"),
        ({"n_orders": 0}, "n_orders"),
        ({"n_customers": 5}, "n_customers"),
        ({"months": 0}, "months"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_knobs_raise_a_one_line_reco_error(knobs: dict, message: str) -> None:
    with pytest.raises(RecoError, match=message) as info:
        generate_demo(**knobs)
    assert "\n" not in str(info.value)


def test_kit_round_trip_keeps_types(tmp_path) -> None:
    kit = Kit(kit_id="X-y-0", name="Étanchéité", professions=("PLOMBIER",), product_ids=(100001, 100002))
    write_kits([kit], tmp_path / "k.json")
    (back,) = read_kits(tmp_path / "k.json")
    assert back == kit and isinstance(back.product_ids[0], int)


def test_catalogue_state_tables_have_keys_and_plausible_shapes(default: DemoWarehouse) -> None:
    """Big branches list most products, small ones fewer; a few percent of the catalogue is
    delisted each month; customers have a home branch; the order tables do not depend on them."""
    stock, status, agences = default.stock, default.product_status, default.agences
    assert not stock.duplicated(["id_agence", "id_produit"]).any()
    assert not status.duplicated(["id_produit"]).any() and len(status) == len(default.products)
    assert stock["id_agence"].isin(agences["id_agence"]).all()
    assert stock["id_produit"].isin(default.products["id_produit"]).all()
    assert default.customers["id_agence"].isin(agences["id_agence"]).all()
    assert default.customers["id_agence"].nunique() == len(agences)

    available = stock[(stock["qte_stock"] > 0) | (stock["commandable"] == 1)]
    share = available.groupby("id_agence").size() / len(default.products)
    assert share.max() > 0.6 and share.min() < 0.3, share.describe()
    assert ((stock["qte_stock"] == 0).mean()) < 0.15  # mostly in stock when listed

    delisted = status["dereference"] == 1
    months = status.loc[delisted, "date_dereferencement"].dt.to_period("M").value_counts()
    assert 0.04 < delisted.mean() < 0.15
    assert len(months) >= 5 and (months / len(status)).max() < 0.04  # a few percent a month
    assert status.loc[~delisted, "date_dereferencement"].isna().all()
    # best sellers are stocked more widely than the tail
    per_product = available.groupby("id_produit").size().reindex(status["id_produit"], fill_value=0)
    sold = default.order_lines["id_produit"].value_counts().reindex(status["id_produit"], fill_value=0)
    top = sold.to_numpy() >= np.quantile(sold, 0.9)
    assert per_product.to_numpy()[top].mean() > per_product.to_numpy()[~top].mean()


def test_the_catalogue_state_does_not_change_the_order_tables() -> None:
    """The branches came from a fifth random stream: orders are what they were without them."""
    one, many = generate_demo(**SMALL, n_branches=1), generate_demo(**SMALL, n_branches=30)
    pd.testing.assert_frame_equal(one.order_lines, many.order_lines)
    pd.testing.assert_frame_equal(one.products, many.products)
    assert len(many.agences) == 30 and len(one.agences) == 1
