"""Writing a run directory: one function per file format, so every file is written the same way."""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from reco_core.artifacts import layout as L
from reco_core.artifacts.run import CsrPairs

PICKLE_PROTOCOL = 5
# Level 3 compresses pair tables ~as well as 9 at a fraction of the time (the default level 9
# took over a minute on a 10M-pair table).
GZIP_LEVEL = 3


def save_npy(run_dir: Path, name: str, array: np.ndarray) -> None:
    np.save(run_dir / name, np.ascontiguousarray(array), allow_pickle=False)


def save_npz(run_dir: Path, name: str, matrix: sp.spmatrix) -> None:
    sp.save_npz(run_dir / name, matrix, compressed=True)


def save_pickle(run_dir: Path, name: str, obj: Any) -> None:
    path = run_dir / name
    with gzip.open(path, "wb", compresslevel=GZIP_LEVEL) if name.endswith(".gz") else open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=PICKLE_PROTOCOL)


def save_pair_index(run_dir: Path, name: str, index: tuple[dict, dict[str, np.ndarray]]) -> None:
    """A pair index as training.pairs.to_index returns it: the pickle `name` and its .npy arrays."""
    meta, arrays = index
    save_pickle(run_dir, name, meta)
    for part, fname in L.pair_array_files(name).items():
        save_npy(run_dir, fname, arrays[part])


def save_table(run_dir: Path, names: tuple[str, ...], table: CsrPairs) -> None:
    """A one-table CSR (indptr, indices, scores) as the .npy files `names`, in that order."""
    for name, array in zip(names, (table.indptr, table.indices, table.scores), strict=True):
        save_npy(run_dir, name, array)


def save_text(run_dir: Path, name: str, text: str) -> None:
    (run_dir / name).write_text(text, encoding="utf-8")


def save_json(run_dir: Path, name: str, obj: Any) -> None:
    text = json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False, default=_default)
    if name.endswith(".gz"):
        with gzip.open(run_dir / name, "wt", encoding="utf-8", compresslevel=GZIP_LEVEL) as fh:
            fh.write(text)
    else:
        (run_dir / name).write_text(text, encoding="utf-8")


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def save_columnar(
    run_dir: Path,
    item_ids: np.ndarray,
    professions: list[str] | tuple[str, ...],
    pair_metas: dict[str, dict],
    product_meta: dict,
    arrays: dict[str, np.ndarray],
) -> None:
    """The columnar companions of a run (layout.COLUMNAR_FILES), from what the original files hold:
    the item ids of mapping.item_id_map by item index, its professions, the pickled metadata of
    each pair index (by index file name), the object of product_meta.json.gz, and the run's
    precomputed arrays by file name (train_pop, pop_by_prof_norm, item_is_pl are read)."""
    from reco_core.artifacts import columnar

    ids = np.asarray(item_ids, dtype=np.int64)
    save_npy(run_dir, L.ITEM_IDS, ids)
    save_npy(run_dir, L.ITEM_ID_ORDER, np.argsort(ids, kind="stable").astype(np.int64))
    save_json(
        run_dir,
        L.ITEM_INDEX,
        {"format": columnar.ITEM_INDEX_FORMAT, "n_items": len(ids), "professions": list(professions)},
    )
    for index_name in (L.PAIR_BOOST_IDX, L.PAIR_REV_IDX):
        save_json(run_dir, L.pair_meta_file(index_name), pair_metas[index_name])
    columnar.write_product_meta(run_dir / L.PRODUCT_META_ARROW, columnar.product_meta_table(product_meta))
    train_pop = arrays[L.TRAIN_POP]
    save_npy(
        run_dir,
        L.ITEM_STATS,
        columnar.item_stats(arrays[L.POP_BY_PROF_NORM], train_pop, arrays[L.ITEM_IS_PL]),
    )
    save_npy(run_dir, L.POP_ORDER, columnar.pop_order(train_pop))
