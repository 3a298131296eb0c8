"""The per-run extraction directories: the QA relabelling option and their retention.

Each DAG run extracts into its own `<data_dir>/dag_runs/<run id>/` (config.run_data_dir), so a
failed or concurrent run never overwrites the files another run trains on, and the files a run
was trained and gated on stay inspectable afterwards. The clean-up DAG prunes the old ones.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from reco_airflow.config import RUNS_SUBDIR


def shuffle_training_baskets(data_dir: Path, seed: int) -> int:
    """QA option: relabel the products of the training baskets and pairs with a random permutation
    of the catalogue; returns the number of relabelled product ids.

    Counts, dtypes and catalogue membership are unchanged, so the data checks pass, but what the
    model learns no longer matches the (untouched) holdout orders: a candidate trained on it is
    bad by construction, and the promotion gate must stop it. Used by tests and drills, never in
    a normal run.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from reco_core import columns as C
    from reco_core.contract import PAIRS_SCHEMA, VENTES_SCHEMA, write_parquet_atomic

    ids = np.unique(pq.read_table(data_dir / C.DETAILS_FILE, columns=[C.ID_PRODUIT]).column(0).to_numpy())
    relabelled = np.random.default_rng(seed).permutation(ids)

    def relabel(values: pa.Array) -> pa.Array:
        array = values.to_numpy(zero_copy_only=False).copy()
        pos = np.minimum(np.searchsorted(ids, array), len(ids) - 1)
        known = ids[pos] == array
        array[known] = relabelled[pos[known]]
        return pa.array(array, pa.int64())

    ventes = pq.read_table(data_dir / C.VENTES_FILE)
    lists = ventes.column(C.LIST_ID_PRODUITS).combine_chunks()
    shuffled = pa.ListArray.from_arrays(lists.offsets, relabel(pc.list_flatten(lists)))
    ventes = ventes.set_column(
        ventes.schema.get_field_index(C.LIST_ID_PRODUITS), C.LIST_ID_PRODUITS, shuffled
    )
    write_parquet_atomic(ventes, data_dir / C.VENTES_FILE, VENTES_SCHEMA)
    pairs = pq.read_table(data_dir / C.PAIRS_FILE)
    for name in (C.ID_PRODUIT_A, C.ID_PRODUIT_B):
        column = relabel(pairs.column(name).combine_chunks())
        pairs = pairs.set_column(pairs.schema.get_field_index(name), name, column)
    write_parquet_atomic(pairs, data_dir / C.PAIRS_FILE, PAIRS_SCHEMA)
    return len(ids)


def prune_run_data(data_dir: Path, keep: int, protected: set[Path], *, dry_run: bool = False) -> list[Path]:
    """Delete all but the `keep` most recent per-run extraction directories, never one of
    `protected` (the reference of the data checks' row-count band); returns what was deleted.

    Most recent by modification time: the directory of a run in progress is the newest, so it
    survives as long as keep >= 1. A directory is renamed before it is deleted, so a crash never
    leaves a half-deleted extraction that looks complete.
    """
    from reco_core.fsutil import TMP_PREFIX, temporary_prefix

    if keep < 1:
        raise ValueError(
            f"keep must be >= 1 (the newest directory may belong to a running DAG run), got {keep}"
        )
    runs = data_dir / RUNS_SUBDIR
    if not runs.is_dir():
        return []
    dirs = sorted(
        (
            p
            for p in runs.iterdir()
            if p.is_dir() and not p.is_symlink() and not p.name.startswith(TMP_PREFIX)
        ),
        key=lambda p: p.stat().st_mtime,
    )
    protected = {p.resolve() for p in protected}
    doomed = [p for p in dirs[: max(0, len(dirs) - keep)] if p.resolve() not in protected]
    for path in [] if dry_run else doomed:
        trash = path.with_name(f"{temporary_prefix(path.name)}deleting")
        os.rename(path, trash)
        shutil.rmtree(trash)
    return doomed
