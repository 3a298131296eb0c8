"""The compiled loops (reco_core/ranking/kernels.pyx) against their definitions written plainly.

Each reference below is the rule a kernel implements, in Python loops over small random inputs:
the kernels must give exactly its numbers (same floating-point operations, same order), so that
the ranking's answers are those of the numpy code the kernels replaced.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reco_core.ranking import kernels

N_ITEMS = 300
COLUMN = {name: i for i, name in enumerate(kernels.KERNEL_FEATURES)}


def _table(rng: np.random.Generator, density: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CSR pair table over N_ITEMS rows: (indptr int64, indices int32, scores float32)."""
    lengths = rng.binomial(40, density, size=N_ITEMS)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.concatenate([rng.choice(N_ITEMS, size=n, replace=False) for n in lengths]).astype(np.int32)
    scores = rng.random(len(indices)).astype(np.float32)
    return indptr, indices, scores


def _rows(table, take: int, basket: np.ndarray) -> list[list[tuple[int, float]]]:
    indptr, indices, scores = table
    out = []
    for b in basket.tolist():
        start, stop = int(indptr[b]), min(int(indptr[b + 1]), int(indptr[b]) + take)
        out.append([(int(indices[j]), float(scores[j])) for j in range(start, stop)])
    return out


def _request(seed: int, basket_size: int):
    rng = np.random.default_rng(seed)
    tables = [_table(rng, density) for density in (0.5, 0.3, 0.0, 0.8)]  # one table is empty
    takes = [int(t) for t in rng.integers(0, 30, size=len(tables))]
    basket = rng.choice(N_ITEMS, size=basket_size, replace=False).astype(np.int64)
    popp = rng.choice(N_ITEMS, size=15).astype(np.int64)  # repeats, basket items: both happen
    popg = rng.choice(N_ITEMS, size=10, replace=False).astype(np.int64)
    reads = [(*table, take) for table, take in zip(tables, takes, strict=True)]
    return rng, reads, basket, popp, popg


@pytest.mark.parametrize(("seed", "basket_size"), [(0, 0), (1, 1), (2, 3), (3, 10), (4, 70), (5, 130)])
def test_pool_items_are_the_rows_heads_and_popular_items_minus_the_basket(seed, basket_size):
    _, reads, basket, popp, popg = _request(seed, basket_size)
    expected = {item for *table, take in reads for row in _rows(table, take, basket) for item, _ in row}
    expected = sorted((expected | set(popp.tolist()) | set(popg.tolist())) - set(basket.tolist()))
    items = kernels.pool_items(reads, basket, popp, popg, N_ITEMS)
    assert items.dtype == np.int64 and items.tolist() == expected


@pytest.mark.parametrize(("seed", "basket_size"), [(0, 0), (1, 1), (2, 3), (3, 10), (4, 70), (5, 130)])
@pytest.mark.parametrize("filtered", [False, True])
def test_pool_sums_add_each_tables_entries_in_order_and_link_the_basket_items(seed, basket_size, filtered):
    rng, reads, basket, popp, popg = _request(seed, basket_size)
    items = kernels.pool_items(reads, basket, popp, popg, N_ITEMS)
    if filtered:  # the request's controls left some candidates out: their entries fall out too
        items = items[rng.random(len(items)) < 0.6]
    signals = np.array([0, 2, 1, 2], dtype=np.int64)
    factors = rng.random(len(reads))
    counted = np.array([1, 1, 0, 1], dtype=np.uint8)
    sums, bits, links, from_popp, from_popg = kernels.pool_sums(
        reads, signals, factors, counted, 4, basket, items, popp, popg, N_ITEMS
    )

    n = len(items)
    slot = {item: i for i, item in enumerate(items.tolist())}
    expected = [[0.0] * (n + 1) for _ in range(4)]
    linked: list[set[int]] = [set() for _ in range(n)]
    for (*table, take), signal, factor, count in zip(reads, signals, factors, counted, strict=True):
        table_sum = [0.0] * (n + 1)
        for b, row in enumerate(_rows(table, take, basket)):
            for item, score in row:
                table_sum[slot.get(item, n)] += score
                if count and item in slot:
                    linked[slot[item]].add(b)
        for i in range(n + 1):
            expected[signal][i] += factor * table_sum[i]
    assert sums.tolist() == [row[:n] for row in expected]
    assert links.tolist() == [len(basket_items) for basket_items in linked]
    words = bits.tolist()
    assert [{b for b in range(basket_size) if words[b // 64][i] >> (b % 64) & 1} for i in range(n)] == linked
    assert from_popp.tolist() == [item in set(popp.tolist()) for item in items.tolist()]
    assert from_popg.tolist() == [item in set(popg.tolist()) for item in items.tolist()]


def _features(parts: np.ndarray, popp, popg, size: int, links=None, n_basket: int = 3, named=False):
    """kernels.shortlist_features on a pool of items 0..n-1 whose one profession's popularity is
    `popp` and global popularity `popg`; the features in KERNEL_FEATURES order."""
    n = parts.shape[1]
    stats = np.zeros((n, 16), dtype=np.float32)
    stats[:, 0], stats[:, 1] = popp, popg
    links = np.zeros(n, dtype=np.int64) if links is None else links
    return kernels.shortlist_features(
        parts,
        np.arange(4, dtype=np.int64),  # PART_SIGNALS in rows 0-3
        stats,
        np.arange(n, dtype=np.int64),
        np.array([0], dtype=np.int64),
        np.ones(1, dtype=np.float32),
        1,
        links,
        n_basket,
        named,
        size,
        np.arange(len(kernels.KERNEL_FEATURES), dtype=np.int64),
        len(kernels.KERNEL_FEATURES),
    )


def _parts(n: int) -> np.ndarray:
    return np.zeros((len(kernels.PART_SIGNALS), n))


def test_shortlist_keeps_the_strongest_by_the_prior_in_pool_order():
    size = 150
    parts, popp, popg = _parts(size + 50), np.zeros(size + 50), np.zeros(size + 50)
    strong = np.arange(50, 50 + size)
    parts[0, strong] = 0.3  # pair, relative to its best: 1
    assert _features(parts, popp, popg, size)[0].tolist() == strong.tolist()
    popg[:10] = 2.0  # relative to its best: 1, so popularity and EASE outweigh the pairs
    parts[3, :10] = 0.5
    assert _features(parts, popp, popg, size)[0].tolist()[:10] == list(range(10))
    # a pool no larger than the shortlist is kept whole
    assert _features(parts[:, :10], popp[:10], popg[:10], size)[0].tolist() == list(range(10))


def test_shortlist_takes_the_lowest_slots_of_equal_priors_at_the_cut():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(2, 60))
        size = int(rng.integers(1, n))
        parts = _parts(n)
        parts[0] = rng.integers(0, 4, size=n) / 3  # few distinct values: ties at the cut
        popg = rng.integers(0, 3, size=n).astype(np.float32)
        slots, _ = _features(parts, np.zeros(n), popg, size)
        peak, top = parts[0].max(), popg.max()
        prior = (parts[0] / peak if peak else 0 * parts[0]).astype(np.float32) + (
            popg / top if top else 0 * popg
        )
        best = sorted(range(n), key=lambda i: (-prior[i], i))[:size]
        assert slots.tolist() == sorted(best)


def test_the_features_are_the_pools_signals_at_the_shortlisted_slots():
    rng = np.random.default_rng(1)
    n = 40
    parts = rng.random((4, n)) * (rng.random((4, n)) < 0.7)
    popp, popg = rng.random(n).astype(np.float32), rng.random(n).astype(np.float32)
    links = rng.integers(0, 4, size=n)
    slots, x = _features(parts, popp, popg, 25, links=links, n_basket=3, named=True)
    for name, row in zip(kernels.PART_SIGNALS, parts, strict=True):
        assert x[:, COLUMN[name]].tolist() == row[slots].astype(np.float32).tolist()
    for name, row in (("pair_rel", 0), ("pair_any_rel", 1), ("ease_rel", 3)):
        assert (
            x[:, COLUMN[name]].tolist() == (parts[row] / parts[row].max()).astype(np.float32)[slots].tolist()
        )
    assert x[:, COLUMN["popp"]].tolist() == popp[slots].tolist()
    assert x[:, COLUMN["popg"]].tolist() == popg[slots].tolist()
    assert x[:, COLUMN["links"]].tolist() == links[slots].astype(np.float32).tolist()
    assert x[:, COLUMN["link_share"]].tolist() == (links[slots] / 3).astype(np.float32).tolist()
    assert set(x[:, COLUMN["basket_size"]].tolist()) == {3.0}
    assert set(x[:, COLUMN["profession_named"]].tolist()) == {1.0}


def test_reciprocal_ranks_put_the_best_first_share_ties_and_give_nothing_without_signal():
    parts = _parts(5)
    parts[0] = [0.5, 0.0, 0.9, 0.5, 0.1]
    _, x = _features(parts, np.zeros(5), np.zeros(5), 10)
    assert x[:, COLUMN["pair_rr"]].tolist() == [1 / 2, 0.0, 1.0, 1 / 2, 1 / 4]
    assert x[:, COLUMN["pair_any_rr"]].tolist() == [0.0] * 5
    slots, x = _features(_parts(0), np.zeros(0), np.zeros(0), 10)
    assert slots.tolist() == [] and x.shape == (0, len(kernels.KERNEL_FEATURES))
    # each ranked feature on its own
    rng = np.random.default_rng(2)
    parts = rng.integers(0, 30, size=(4, 300)).astype(np.float64)
    popp = rng.integers(0, 30, size=300).astype(np.float32)
    _, x = _features(parts, popp, np.zeros(300), 300)
    for name in ("pair", "pair_any", "ease", "popp"):
        column = x[:, COLUMN[name]]
        larger = (column[None, :] > column[:, None]).sum(axis=1)
        expected = np.where(column > 0, 1 / (1 + larger), 0).astype(np.float32)
        assert x[:, COLUMN[f"{name}_rr"]].tolist() == expected.tolist()


def _mmr(relevance, emb, gammes, k, lam, cap):
    """diversify.mmr's rules, one candidate at a time."""
    span = max(relevance) - min(relevance)
    rel = [(r - min(relevance)) / span if span > 0 else 0.0 for r in relevance]
    sim, picked, counts, closed = [0.0] * len(rel), [], {}, set()
    while len(picked) < k:
        gains = [-np.inf if i in closed else lam * rel[i] - (1 - lam) * sim[i] for i in range(len(rel))]
        best = int(np.argmax(gains))
        if gains[best] == -np.inf:
            break
        picked.append(best)
        closed.add(best)
        g = int(gammes[best])
        if cap and g >= 0:
            counts[g] = counts.get(g, 0) + 1
            if counts[g] >= cap:
                closed |= {i for i in range(len(rel)) if gammes[i] == g}
        if emb is not None:
            sim = [
                max(s, float(np.float32(np.dot(emb[i].astype(np.float64), emb[best]))))
                for i, s in enumerate(sim)
            ]
    return picked


@pytest.mark.parametrize("seed", range(6))
def test_mmr_picks_as_its_rules_say(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    relevance = rng.random(n)
    emb = rng.standard_normal((n, 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    gammes = rng.integers(-1, 4, size=n)
    for e, lam, cap in ((emb, 0.7, 2), (None, 1.0, 1), (emb, 0.95, 0)):
        expected = _mmr(relevance.tolist(), e, gammes, 10, lam, cap)
        assert kernels.mmr(relevance, e, gammes, 10, lam, cap, None).tolist() == expected


def test_the_compiled_module_is_built_from_this_source():
    """A kernels.pyx edited since the last `make setup` would leave the tests on the old build."""
    source = Path(kernels.__file__).with_name("kernels.pyx")
    assert Path(kernels.__file__).suffix != ".pyx"
    assert Path(kernels.__file__).stat().st_mtime >= source.stat().st_mtime, (
        "reco_core/ranking/kernels.pyx is newer than its build: run `make setup`"
    )
