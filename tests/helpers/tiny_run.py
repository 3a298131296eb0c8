"""A tiny but complete and valid run directory, in the exact formats the trainer writes.

Artifact-store and ranking tests need real runs without training on real data: this writes
every file of layout.RUN_FILES from a handful of baskets (a real LightFM fitted for one epoch,
popularity, pair indexes), the optional files of the learned relevance (an EASE table of the
closed form, a LightGBM lambdarank fitted on random features: real formats, meaningless model)
unless `learned=False`, the columnar companions serving reads (layout.COLUMNAR_FILES) unless
`columnar=False` (a run trained before them), and then the manifest. Item indices and product ids differ on
purpose (product id = 100001 + 10 * index), so tests catch one used for the other.
"""

from __future__ import annotations

import gzip
import json
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM

from helpers.random_blend import random_blend
from reco_core.artifacts import layout as L
from reco_core.artifacts.columnar import product_meta_table, write_product_meta
from reco_core.artifacts.manifest import write_manifest
from reco_core.columns import ANY_PROFESSION
from reco_core.evaluation.ease import ease_weights, gram_matrix
from reco_core.training.blend import ease_table
from reco_core.training.pairs import to_index, top_k_per_row
from reco_core.training.run_writer import save_columnar, save_pair_index

DEFAULT_NAME = "run_20240101_000000"
DEFAULT_PROFESSIONS = ("PLAQUISTE", "PLOMBIER")


def product_id(index: int) -> int:
    return 100001 + 10 * index


def make_tiny_run(
    root: Path | str,
    name: str = DEFAULT_NAME,
    n_items: int = 6,
    professions: Sequence[str] = DEFAULT_PROFESSIONS,
    *,
    baskets: Sequence[tuple[str, Sequence[int]]] | None = None,
    no_components: int = 4,
    seed: int = 0,
    learned: bool = True,
    columnar: bool = True,
    substitutes: Sequence[tuple[int, int]] = ((0, 3),),
) -> Path:
    """Write `<root>/<name>/` with every run file and its manifest; return its path.

    `baskets` are (profession, item indices) pairs; by default a few random baskets per
    profession. Gammes cycle over 10/20/30 (the last item has none); odd items are own brand.
    With `learned`, the optional files are written too: the learned relevance and a substitute
    table of the pairs `substitutes` (item indices; by default item 3, own brand, is a substitute
    of item 0, branded, of the same gamme).
    """
    professions = tuple(professions)
    rng = np.random.default_rng(seed)
    if baskets is None:
        baskets = [
            (prof, sorted(rng.choice(n_items, size=min(3, n_items), replace=False).tolist()))
            for prof in professions
            for _ in range(3)
        ]
    prof_of = np.array([professions.index(p) for p, _ in baskets])
    n_users, n_prof = len(baskets), len(professions)
    rows = np.concatenate([np.full(len(items), u) for u, (_, items) in enumerate(baskets)])
    cols = np.concatenate([np.asarray(items, np.int64) for _, items in baskets])
    x = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))

    item_ids = np.array([product_id(i) for i in range(n_items)], np.int64)
    gamme = np.array([10 * (1 + i % 3) for i in range(n_items)], np.int64)
    gamme[-1] = -1
    is_pl = (np.arange(n_items) % 2).astype(np.int8)

    user_feature_map = {f"basket:{u}": u for u in range(n_users)}
    user_feature_map.update({f"prof:{p}": n_users + j for j, p in enumerate(professions)})
    user_features = _row_normalised(sp.hstack([sp.identity(n_users), _one_hot(prof_of, n_prof)]))
    gammes = sorted(set(gamme[gamme >= 0].tolist()))
    item_feature_map = {f"prod:{pid}": i for i, pid in enumerate(item_ids.tolist())}
    item_feature_map.update({f"gamme:{g}": n_items + j for j, g in enumerate(gammes)})
    gamme_col = np.array([gammes.index(g) if g >= 0 else -1 for g in gamme])
    item_features = _row_normalised(sp.hstack([sp.identity(n_items), _one_hot(gamme_col, len(gammes))]))

    model = LightFM(no_components=no_components, random_state=seed)
    model.fit(x.tocoo(), user_features=user_features, item_features=item_features, epochs=1)
    _, emb = model.get_item_representations(item_features)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    emb_norm = (emb / np.where(norms == 0, 1, norms)).astype(np.float32)

    by_prof = np.stack([np.asarray(x[prof_of == p].sum(axis=0)).ravel() for p in range(n_prof)])
    train_pop = _scaled(by_prof.sum(axis=0, keepdims=True))[0]
    order = np.argsort(-by_prof, axis=1, kind="stable")
    top_popp = np.where(np.take_along_axis(by_prof, order, axis=1) > 0, order, -1).astype(np.int32)

    counts = {p: _cooccurrence(x[prof_of == j]) for j, p in enumerate(professions)}
    counts[ANY_PROFESSION] = _cooccurrence(x)
    orders = {p: np.asarray(x[prof_of == j].sum(axis=0)).ravel() for j, p in enumerate(professions)}
    orders[ANY_PROFESSION] = np.asarray(x.sum(axis=0)).ravel()
    scores = {p: sp.csr_matrix(sp.diags(1.0 / (orders[p] + 1.0)) @ c) for p, c in counts.items()}

    run_dir = Path(root) / name
    run_dir.mkdir(parents=True)
    mapping = {
        "user_id_map": {u: u for u in range(n_users)},
        "user_feature_map": user_feature_map,
        "item_id_map": {int(pid): i for i, pid in enumerate(item_ids)},
        "item_feature_map": item_feature_map,
        "professions": list(professions),
    }
    _pickle(run_dir / L.MAPPING, mapping)
    sp.save_npz(run_dir / L.USER_FEATURES, user_features)
    sp.save_npz(run_dir / L.ITEM_FEATURES, item_features)
    sp.save_npz(run_dir / L.INTERACTIONS, x)
    _pickle(run_dir / L.MODEL, model)
    for fname, array in (
        (L.ITEM_EMB_NORM, emb_norm),
        (L.TRAIN_POP, train_pop),
        (L.POP_BY_PROF_NORM, _scaled(by_prof)),
        (L.TOP_POPP_BY_PROF, top_popp),
        (L.ITEM_TO_GAMME, gamme),
        (L.ITEM_IS_PL, is_pl),
    ):
        np.save(run_dir / fname, array, allow_pickle=False)
    raw = {p: _raw_counts(c, item_ids) for p, c in counts.items()}
    (run_dir / L.PAIR_BOOST_RAW).write_bytes(gzip.compress(pickle.dumps({"by_profession": raw})))
    forward_index = _pair_index(scores, n_items, "tiny P(B|A)")
    save_pair_index(run_dir, L.PAIR_BOOST_IDX, forward_index)
    reverse = {p: s.T.tocsr() for p, s in scores.items()}
    reverse_index = _pair_index(reverse, n_items, "tiny P(B|A), reverse")
    save_pair_index(run_dir, L.PAIR_REV_IDX, reverse_index)
    meta = {
        str(pid): {
            "LIB_PRODUIT": f"Produit {pid}",
            "ID_GAMME": None if g < 0 else int(g),
            "ID_MARQUE": int(pl),
        }
        for pid, g, pl in zip(item_ids.tolist(), gamme, is_pl, strict=True)
    }
    (run_dir / L.PRODUCT_META).write_bytes(gzip.compress(json.dumps(meta).encode()))
    (run_dir / L.VERSIONS).write_text(json.dumps({"reco_materiaux": "test"}))
    (run_dir / L.PARAMS).write_text(json.dumps({"run_id": name, "flags": {"no_components": no_components}}))
    if learned:
        _write_learned(run_dir, x, rng)
        _write_substitutes(run_dir, n_items, substitutes)
    if columnar:
        pair_metas = {L.PAIR_BOOST_IDX: forward_index[0], L.PAIR_REV_IDX: reverse_index[0]}
        arrays = {L.TRAIN_POP: train_pop, L.POP_BY_PROF_NORM: _scaled(by_prof), L.ITEM_IS_PL: is_pl}
        save_columnar(run_dir, item_ids, professions, pair_metas, meta, arrays)
    write_manifest(run_dir, run_id=name)
    return run_dir


def _write_learned(run_dir: Path, x: sp.csr_matrix, rng: np.random.Generator) -> None:
    n_items = x.shape[1]
    table = ease_table(np.arange(n_items), ease_weights(gram_matrix(x), 10.0), n_items, topk=4)
    for fname, array in zip(L.EASE_ARRAYS, (table.indptr, table.indices, table.scores), strict=True):
        np.save(run_dir / fname, array, allow_pickle=False)
    model, meta = random_blend(seed=int(rng.integers(1 << 16)))
    (run_dir / L.BLEND_MODEL).write_text(model, encoding="utf-8")
    (run_dir / L.BLEND_META).write_text(json.dumps(meta))


def _write_substitutes(run_dir: Path, n_items: int, pairs: Sequence[tuple[int, int]]) -> None:
    rows = np.array([a for a, b in pairs] + [b for a, b in pairs], np.int64)
    cols = np.array([b for a, b in pairs] + [a for a, b in pairs], np.int64)
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n_items + 1, np.int64)
    np.add.at(indptr, rows + 1, 1)
    arrays = (np.cumsum(indptr), cols[order].astype(np.int32), np.ones(len(rows), np.float32))
    for fname, array in zip(L.SUBSTITUTE_ARRAYS, arrays, strict=True):
        np.save(run_dir / fname, array, allow_pickle=False)


def replace_file(run_dir: Path, name: str, data: bytes) -> None:
    """Overwrite one run file and regenerate the manifest, so only content checks can catch it."""
    (run_dir / name).write_bytes(data)
    write_manifest(run_dir)


def replace_product_meta(run_dir: Path, meta: dict) -> None:
    """Rewrite product_meta.json.gz and, when the run has the columnar companions, its Arrow twin
    (what serving reads), then the manifest: the run stays consistent."""
    (run_dir / L.PRODUCT_META).write_bytes(gzip.compress(json.dumps(meta).encode()))
    if (run_dir / L.PRODUCT_META_ARROW).exists():
        write_product_meta(run_dir / L.PRODUCT_META_ARROW, product_meta_table(meta))
    write_manifest(run_dir)


def replace_array(run_dir: Path, name: str, array: np.ndarray) -> None:
    """Overwrite one .npy file of a run (e.g. chosen embeddings) and regenerate the manifest."""
    np.save(run_dir / name, array, allow_pickle=False)
    write_manifest(run_dir)


def replace_pickle(run_dir: Path, name: str, obj: object) -> None:
    _pickle(run_dir / name, obj)
    write_manifest(run_dir)


def _pickle(path: Path, obj: object) -> None:
    path.write_bytes(pickle.dumps(obj, protocol=5))


def _one_hot(col: np.ndarray, width: int) -> sp.csr_matrix:
    rows = np.flatnonzero(col >= 0)
    return sp.csr_matrix((np.ones(len(rows)), (rows, col[rows])), shape=(len(col), width))


def _row_normalised(m: sp.spmatrix) -> sp.csr_matrix:
    sums = np.asarray(m.sum(axis=1)).ravel()
    return sp.csr_matrix(sp.diags(1.0 / np.where(sums == 0, 1, sums)) @ m, dtype=np.float32)


def _scaled(counts: np.ndarray) -> np.ndarray:
    peak = counts.max(axis=1, keepdims=True)
    return (counts / np.where(peak == 0, 1, peak)).astype(np.float32)


def _cooccurrence(x: sp.csr_matrix) -> sp.csr_matrix:
    c = sp.csr_matrix(x.T @ x)
    c.setdiag(0)
    c.eliminate_zeros()
    return c


def _raw_counts(counts: sp.csr_matrix, item_ids: np.ndarray) -> dict[tuple[int, int], float]:
    a, b = counts.nonzero()
    return {(int(item_ids[i]), int(item_ids[j])): float(counts[i, j]) for i, j in zip(a, b, strict=True)}


def _pair_index(
    scores: dict[str, sp.csr_matrix], n_items: int, normalisation: str
) -> tuple[dict, dict[str, np.ndarray]]:
    """The trainer's pair index layout, each row sorted by score descending (ties: lower index)."""
    return to_index({p: top_k_per_row(m, n_items) for p, m in scores.items()}, n_items, normalisation)
