"""Held-out orders for tiny runs, so `reco eval` (and its HTML report) runs in a second.

Orders are drawn from the tiny run's catalogue (tests/helpers/tiny_run.py: product ids
100001 + 10 x index), with both professions of the tiny run, 2 to 4 products each.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.tiny_run import DEFAULT_PROFESSIONS, product_id
from reco_core import columns as C
from reco_core.contract import HOLDOUT_SCHEMA, write_parquet


def make_holdout(path: Path, n_items: int, n_orders: int = 40, seed: int = 0) -> Path:
    """Write `n_orders` random orders over the first `n_items` tiny-run products to `path`."""
    rng = np.random.default_rng(seed)
    orders = [
        sorted(product_id(int(i)) for i in rng.choice(n_items, size=rng.integers(2, 5), replace=False))
        for _ in range(n_orders)
    ]
    frame = pd.DataFrame(
        {
            C.PROFESSION_CLIENT: [DEFAULT_PROFESSIONS[i % 2] for i in range(n_orders)],
            C.NB_OCCURENCES_COMMANDE: np.ones(n_orders, dtype=np.int64),
            C.LIST_ID_PRODUITS: orders,
        }
    )
    write_parquet(frame, path, HOLDOUT_SCHEMA)
    return path
