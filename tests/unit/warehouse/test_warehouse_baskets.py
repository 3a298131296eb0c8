"""Basket assembly, grouping, holdout and pair counting against a plain-Python reference."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from reco_core import columns as C
from reco_core.warehouse import baskets as B


def _random_lines(seed: int, n_orders: int = 400, n_products: int = 30):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, n_orders)
    order = np.repeat(np.arange(10, 10 + n_orders) * 7, sizes)
    product = rng.integers(1, n_products, len(order)) * 1000  # few products: many identical baskets
    shuffle = rng.permutation(len(order))  # the query need not be sorted
    professions = ["PLOMBIER", "AUTRE", "MACON"]  # codes in arrival order, not sorted
    order_ids = np.arange(10, 10 + n_orders) * 7
    prof = rng.integers(0, 3, n_orders).astype(np.int32)
    dates = np.datetime64("2026-01-01") + rng.integers(0, 90, n_orders).astype("timedelta64[D]")
    return order[shuffle], product[shuffle], order_ids, dates, prof, professions


def _reference(order, product, order_ids, prof, professions, selected_ids):
    """Baskets as {order: (profession, sorted distinct products)} restricted to selected orders."""
    items: dict[int, set] = {}
    for o, p in zip(order.tolist(), product.tolist(), strict=True):
        items.setdefault(o, set()).add(p)
    names = dict(zip(order_ids.tolist(), (professions[c] for c in prof), strict=True))
    return {o: (names[o], tuple(sorted(items[o]))) for o in selected_ids}


@pytest.mark.parametrize("seed", [0, 1])
def test_grouping_and_pairs_match_a_plain_python_count(seed):
    order, product, order_ids, dates, prof, professions = _random_lines(seed)
    baskets, _ = B.assemble(order, product, order_ids, dates, prof, professions)
    assert baskets.professions == sorted(professions)
    held, _ = B.holdout_by_days(baskets, 20)
    train = B.group_identical(baskets, ~held)
    ventes = B.ventes_table(train, baskets.professions).to_pylist()

    reference = _reference(order, product, order_ids, prof, professions, baskets.order_id[~held].tolist())
    expected = Counter(reference.values())
    got = Counter()
    for row in ventes:
        key = (row[C.PROFESSION_CLIENT], tuple(row[C.LIST_ID_PRODUITS]))
        assert key not in got, "identical baskets must be grouped into one row"
        got[key] = row[C.NB_OCCURENCES_COMMANDE]
    assert got == expected
    assert max(got.values()) > 1  # the data does have repeated baskets
    # Sorted by profession name, then by the group's first order id.
    first_order = {}
    for o in sorted(reference):
        first_order.setdefault(reference[o], o)
    keys = [
        (r[C.PROFESSION_CLIENT], first_order[(r[C.PROFESSION_CLIENT], tuple(r[C.LIST_ID_PRODUITS]))])
        for r in ventes
    ]
    assert keys == sorted(keys)

    pairs = Counter()
    for name, items in reference.values():
        for a in items:
            for b in items:
                if a != b:
                    pairs[(name, a, b)] += 1
    for min_count in (1, 3):
        rows = [t.to_pylist() for t in B.pair_tables(train, baskets.professions, min_count)]
        flat = [r for table in rows for r in table]
        got_pairs = {
            (r[C.PROFESSION_CLIENT], r[C.ID_PRODUIT_A], r[C.ID_PRODUIT_B]): r[C.OCCURENCE_PAIR] for r in flat
        }
        assert got_pairs == {k: v for k, v in pairs.items() if v >= min_count}
        order_keys = [(r[C.PROFESSION_CLIENT], r[C.ID_PRODUIT_A], r[C.ID_PRODUIT_B]) for r in flat]
        assert order_keys == sorted(order_keys)


def test_assemble_dedupes_lines_and_keeps_first_run_attributes():
    order = np.array([5, 5, 5, 9, 7])
    product = np.array([2, 1, 2, 3, 4])
    run_order = np.array([5, 9, 7, 5, 11])  # order 5 seen again later; order 11 has no product
    run_date = np.array(
        ["2026-01-02", "2026-01-03", "NaT", "2026-02-01", "2026-01-05"], dtype="datetime64[D]"
    )
    baskets, stats = B.assemble(
        order, product, run_order, run_date, np.array([1, 0, 0, 0, 0], np.int32), ["B", "A"]
    )
    assert baskets.order_id.tolist() == [5, 7, 9]
    assert baskets.products.tolist() == [1, 2, 4, 3]
    assert baskets.indptr.tolist() == [0, 2, 3, 4]
    assert baskets.date[0] == np.datetime64("2026-01-02") and np.isnat(baskets.date[1])
    assert [baskets.professions[c] for c in baskets.profession] == ["A", "B", "B"]
    assert (stats.duplicate_lines, stats.empty_orders) == (1, 1)


def test_holdout_rules():
    order_ids = np.arange(1, 2001)
    dates = np.datetime64("2026-10-31") - (order_ids % 60).astype("timedelta64[D]")
    dates[::50] = np.datetime64("NaT")
    baskets, _ = B.assemble(order_ids, order_ids, order_ids, dates, np.zeros(2000, np.int32), ["X"])
    held, cut = B.holdout_by_days(baskets, 30)
    assert cut == np.datetime64("2026-10-01")
    assert (baskets.date[held] > cut).all() and not (baskets.date[~held] > cut).any()
    assert not held[np.isnat(baskets.date)].any()  # undated orders stay in training

    by_hash = B.holdout_by_fraction(baskets, 0.2, seed=42)
    assert 0.15 < by_hash.mean() < 0.25
    assert np.array_equal(by_hash, B.holdout_by_fraction(baskets, 0.2, seed=42))
    assert not np.array_equal(by_hash, B.holdout_by_fraction(baskets, 0.2, seed=43))
    # The side of an order depends on its id only, not on which other orders are extracted.
    half, _ = B.assemble(
        order_ids[::2], order_ids[::2], order_ids[::2], dates[::2], np.zeros(1000, np.int32), ["X"]
    )
    assert np.array_equal(B.holdout_by_fraction(half, 0.2, seed=42), by_hash[::2])
