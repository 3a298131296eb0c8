"""Real public basket datasets: `reco import-baskets` then extraction reproduce their published stats.

The datasets are not part of the project; without them (../shared/datasets beside the checkout,
or RECO_SHARED_DATASETS) these tests skip.
"""

from __future__ import annotations

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from helpers.datasets import SHARED_DATASETS

from reco_core import columns as C
from reco_core.warehouse.extract import extract

# From each dataset's SOURCE.md: baskets, distinct products, (basket, product) rows, segments
# (+1 for the default profession where some or all baskets have no segment).
STATS = {
    "groceries_arules": (9_835, 169, 43_367, 1),
    "online_retail": (19_773, 3_798, 517_287, 38),
    "tafeng": (119_578, 23_812, 817_741, 11),
    "instacart_train": (131_209, 39_123, 1_384_617, 1),
}


@pytest.mark.parametrize("name", sorted(STATS))
def test_import_then_extract_matches_published_stats(name, tmp_path, reco):
    folder = SHARED_DATASETS / name
    if not (folder / "baskets.parquet").is_file():
        pytest.skip(f"dataset {folder} not available (set RECO_SHARED_DATASETS)")
    n_baskets, n_products, n_rows, n_professions = STATS[name]
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    result = reco("-q", "import-baskets", folder, "--warehouse-url", url)
    assert result.returncode == 0, result.stderr
    assert f"{n_baskets:,} orders" in result.stdout

    # A high pair threshold keeps the pairs file small; counting still covers every basket.
    summary = extract(url, tmp_path / "data", min_pair_count=20)
    ventes = pq.read_table(tmp_path / "data" / C.VENTES_FILE)
    counts = ventes.column(C.NB_OCCURENCES_COMMANDE)
    sizes = pc.list_value_length(ventes.column(C.LIST_ID_PRODUITS))
    assert pc.sum(counts).as_py() == n_baskets
    assert pc.sum(pc.multiply(counts, sizes)).as_py() == n_rows
    assert pq.read_metadata(tmp_path / "data" / C.DETAILS_FILE).num_rows == n_products
    assert summary.counts["products_sold"] == n_products
    assert summary.counts["professions"] == n_professions
    assert summary.files[C.PAIRS_FILE]["rows"] > 0
