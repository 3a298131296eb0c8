"""Synthetic runs with the shapes of a real one: in memory (ranking bench) or on disk (serving bench).

Shapes: 12 professions + ANY, 64-dim embeddings clustered by trade, Zipf-like popularity, pair
rows of up to 500 entries - long for popular items, short in the tail - whose entries lean
towards popular items (drawn with replacement: a row may repeat an item, which changes nothing
for timing). Reverse tables reuse the forward table of another profession (same shape,
different rows): in memory it halves the footprint without making requests cheaper; on disk
pair_rev_idx.pkl holds them in full, as a trained run would.

On disk, every file of the run contract and the columnar companions is written with the trainer's
own writers (reco_core.training.run_writer, pairs.to_index / to_raw) and the manifest last, so the run
verifies and loads exactly like a trained one; only the model is untrained (a LightFM object
initialised to the right shapes: serving never reads it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM

from reco_core import __version__
from reco_core.artifacts import layout as L
from reco_core.artifacts.columnar import ItemLookup, ProductMeta
from reco_core.artifacts.manifest import write_manifest
from reco_core.artifacts.run import CsrPairs, RunArtifacts
from reco_core.artifacts.store import new_run_name
from reco_core.columns import ANY_PROFESSION
from reco_core.fsutil import atomic_dir
from reco_core.ranking.blend_model import LearnedBlend
from reco_core.training.pairs import to_index, to_raw
from reco_core.training.run_writer import (
    save_columnar,
    save_json,
    save_npy,
    save_npz,
    save_pair_index,
    save_pickle,
    save_table,
    save_text,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the random blend helper
from helpers.random_blend import random_blend

N_PROF, DIM, MAX_ROW, TOP_POPP = 12, 64, 500, 3000
N_UNIVERS, GAMMES_PER_UNIVERS = 12, 40
N_BASKETS = 1000  # interactions/user features only need consistent shapes: serving never reads them
# The learned blend: as many trees and leaves as training can give it (training/blend.py), so that
# the latency measured is the worst a trained run can cost; the EASE rows are pair-like, <= 200.
BLEND_TREES, BLEND_LEAVES = 150, 15
SUBSTITUTE_SHARE = 0.3  # items with a substitute (a twin of the same gamme): the rules read their rows


def synthetic_run(n_items: int, seed: int = 0) -> RunArtifacts:
    rng = np.random.default_rng(seed)
    blend = random_blend(trees=BLEND_TREES, leaves=BLEND_LEAVES, seed=seed)
    rank = rng.permutation(n_items)  # popularity rank of each item (0 = best seller)
    by_rank = np.argsort(rank)
    train_pop = ((1.0 + rank) ** -0.8).astype(np.float32)
    home = rng.integers(0, N_PROF, n_items)
    trades = _unit(rng.standard_normal((N_PROF, DIM)))
    emb = _unit(0.8 * trades[home] + rng.standard_normal((n_items, DIM)) / np.sqrt(DIM)).astype(np.float32)
    affinity = np.where(home[None, :] == np.arange(N_PROF)[:, None], 1.0, 0.1)
    by_prof = train_pop[None, :] * affinity * rng.gamma(2.0, 0.5, (N_PROF, n_items))
    pop_by_prof = (by_prof / by_prof.max(axis=1, keepdims=True)).astype(np.float32)
    top_popp = np.argsort(-pop_by_prof, axis=1, kind="stable")[:, :TOP_POPP].astype(np.int32)
    names = (*(f"METIER_{p:02d}" for p in range(N_PROF)), ANY_PROFESSION)
    pairs = {
        name: _pair_table(rng, rank, by_rank, scale=2.0 if name == ANY_PROFESSION else 1.0) for name in names
    }
    pairs_rev = {name: pairs[names[(i + 1) % len(names)]] for i, name in enumerate(names)}
    item_ids = np.arange(1_000_000, 1_000_000 + n_items, dtype=np.int64)
    gamme = rng.integers(0, N_UNIVERS * GAMMES_PER_UNIVERS, n_items).astype(np.int64)
    gamme[rng.random(n_items) < 0.05] = -1
    return RunArtifacts(
        run_id=f"synthetic_{n_items}",
        run_dir=Path("/nonexistent"),
        item_ids=item_ids,
        item_index=ItemLookup(item_ids),
        professions=names[:-1],
        item_emb_norm=emb,
        train_pop=train_pop / train_pop.max(),
        pop_by_prof_norm=pop_by_prof,
        top_popp_by_prof=top_popp,
        item_to_gamme=gamme,
        item_is_pl=(rng.random(n_items) < 0.15).astype(np.int8),
        pairs=pairs,
        pairs_rev=pairs_rev,
        product_meta=ProductMeta.from_dict({}),
        params={},
        versions={},
        ease=_pair_table(rng, rank, by_rank, scale=0.4),
        blend=LearnedBlend.from_text(blend[0]),
        blend_meta=blend[1],
        substitutes=_substitutes(rng, gamme, SUBSTITUTE_SHARE),
    )


def _substitutes(rng: np.random.Generator, gamme: np.ndarray, share: float) -> CsrPairs:
    """A symmetric substitute table: items of one gamme paired two by two (neighbours by index
    within the gamme), for about `share` of the items - what the rules read per request."""
    n = len(gamme)
    by_gamme = np.lexsort((np.arange(n), gamme))
    first, second = by_gamme[:-1:2], by_gamme[1::2]
    keep = (gamme[first] == gamme[second]) & (gamme[first] >= 0) & (rng.random(len(first)) < share)
    a, b = first[keep], second[keep]
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return CsrPairs(indptr, cols[order].astype(np.int32), np.ones(len(rows), np.float32))


def _pair_table(rng: np.random.Generator, rank: np.ndarray, by_rank: np.ndarray, scale: float) -> CsrPairs:
    """Rows of min(500, ~500 x (2000 / (rank + 2000))^0.9) entries: 500 for the best sellers,
    ~20 on average at 300k; entries drawn towards popular items; scores decreasing along a row."""
    n = len(rank)
    lens = np.clip(scale * MAX_ROW * (2000.0 / (rank + 2000.0)) ** 0.9 * rng.uniform(0.5, 1.0, n), 2, MAX_ROW)
    lens = lens.astype(np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = by_rank[(n * rng.random(nnz, dtype=np.float32) ** 3).astype(np.int64).clip(0, n - 1)]
    position = np.arange(nnz) - np.repeat(indptr[:-1], lens)
    top = np.repeat(rng.uniform(0.2, 0.9, n).astype(np.float32), lens)
    scores = (top / np.sqrt(1.0 + position)).astype(np.float32)
    return CsrPairs(indptr=indptr, indices=indices.astype(np.int32), scores=scores)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# --- on disk -----------------------------------------------------------------------------------
def write_synthetic_run(root: Path, n_items: int, seed: int = 0) -> Path:
    """Write a synthetic run of `n_items` products under `root` (new run name, tag `synthetic`)."""
    run = synthetic_run(n_items, seed)
    rng = np.random.default_rng(seed + 1)
    n = run.n_items
    professions = list(run.professions)
    item_feature_map = {f"prod:{pid}": i for i, pid in enumerate(run.item_ids.tolist())}
    user_feature_map = {f"basket:{u}": u for u in range(N_BASKETS)}
    user_feature_map.update({f"prof:{p}": N_BASKETS + j for j, p in enumerate(professions)})
    interactions = sp.random(N_BASKETS, n, density=5 / n, format="csr", dtype=np.float32, random_state=seed)
    model = LightFM(no_components=DIM, random_state=seed)
    model._initialize(DIM, len(item_feature_map), len(user_feature_map))  # shapes only: never trained

    name = new_run_name(root, "synthetic")
    with atomic_dir(Path(root) / name) as tmp:
        save_pickle(
            tmp,
            L.MAPPING,
            {
                "user_id_map": {u: u for u in range(N_BASKETS)},
                "user_feature_map": user_feature_map,
                "item_id_map": {int(pid): i for i, pid in enumerate(run.item_ids.tolist())},
                "item_feature_map": item_feature_map,
                "professions": professions,
            },
        )
        save_npz(tmp, L.USER_FEATURES, sp.identity(len(user_feature_map), np.float32, "csr")[:N_BASKETS])
        save_npz(tmp, L.ITEM_FEATURES, sp.identity(n, np.float32, "csr"))
        save_npz(tmp, L.INTERACTIONS, interactions)
        save_pickle(tmp, L.MODEL, model)
        for fname, array in (
            (L.ITEM_EMB_NORM, run.item_emb_norm),
            (L.TRAIN_POP, run.train_pop),
            (L.POP_BY_PROF_NORM, run.pop_by_prof_norm),
            (L.TOP_POPP_BY_PROF, run.top_popp_by_prof),
            (L.ITEM_TO_GAMME, run.item_to_gamme),
            (L.ITEM_IS_PL, run.item_is_pl),
        ):
            save_npy(tmp, fname, array)
        forward = {name: _csr(t, n) for name, t in run.pairs.items()}
        reverse = {name: _csr(t, n) for name, t in run.pairs_rev.items()}
        forward_index = to_index(forward, n, "synthetic")
        reverse_index = to_index(reverse, n, "synthetic (reverse)")
        save_pair_index(tmp, L.PAIR_BOOST_IDX, forward_index)
        save_pair_index(tmp, L.PAIR_REV_IDX, reverse_index)
        save_table(tmp, L.EASE_ARRAYS, run.ease)
        save_table(tmp, L.SUBSTITUTE_ARRAYS, run.substitutes)
        save_text(tmp, L.BLEND_MODEL, run.blend.booster.model_to_string())
        save_json(tmp, L.BLEND_META, run.blend_meta)
        orders = {name: np.full(n, 20.0) for name in forward}
        save_pickle(tmp, L.PAIR_BOOST_RAW, to_raw(forward, orders, run.item_ids))
        meta = _product_meta(run, rng)
        save_json(tmp, L.PRODUCT_META, meta)
        pair_metas = {L.PAIR_BOOST_IDX: forward_index[0], L.PAIR_REV_IDX: reverse_index[0]}
        arrays = {
            L.TRAIN_POP: run.train_pop,
            L.POP_BY_PROF_NORM: run.pop_by_prof_norm,
            L.ITEM_IS_PL: run.item_is_pl,
        }
        save_columnar(tmp, run.item_ids, professions, pair_metas, meta, arrays)
        save_json(tmp, L.VERSIONS, {"reco_materiaux": __version__, "synthetic": True})
        save_json(tmp, L.PARAMS, {"run_id": name, "synthetic": {"n_items": n, "seed": seed}})
        write_manifest(tmp, run_id=name)
    return Path(root) / name


def _csr(table: CsrPairs, n: int) -> sp.csr_matrix:
    return sp.csr_matrix((table.scores, table.indices, table.indptr), shape=(n, n))


def _product_meta(run: RunArtifacts, rng: np.random.Generator) -> dict[str, dict]:
    """Catalogue labels of the length and variety of the real ones (what /products/enrich returns)."""
    words = ("Plaque", "Rail", "Montant", "Vis", "Enduit", "Tube", "Raccord", "Câble", "Gaine", "Dalle")
    sizes = ("2500x1200", "48 mm", "3 m", "25 kg", "Ø16", "10 m", "BA13", "100 mm")
    brands = ("Placo", "Knauf", "Comap", "Nexans", "Legrand", "Vicat", "Batipro")
    meta = {}
    for i, pid in enumerate(run.item_ids.tolist()):
        gamme = int(run.item_to_gamme[i])
        univers = None if gamme < 0 else gamme // GAMMES_PER_UNIVERS
        meta[str(pid)] = {
            "LIB_PRODUIT": f"{words[i % 10]} {sizes[(i // 10) % 8]} réf {pid} {brands[rng.integers(7)]}",
            "ID_GAMME": None if gamme < 0 else gamme,
            "LIB_GAMME": None if gamme < 0 else f"Gamme {gamme}",
            "ID_UNIVERS": univers,
            "LIB_UNIVERS": None if univers is None else f"Univers {univers}",
            "ID_MARQUE": int(run.item_is_pl[i]),
        }
    return meta


def write_synthetic_catalog(
    root: Path, product_ids: np.ndarray, n_branches: int = 200, seed: int = 0, delisted_share: float = 0.05
) -> Path:
    """A catalogue state over `product_ids` (plus 5 % products the run does not know), written and
    sealed like an extracted one (reco_core.catalog.state.write_catalog): `n_branches` branches
    listing 25 % to 90 % of the catalogue, popular products (low ids of the run's order) more
    often; `delisted_share` of the products delisted."""
    from reco_core.catalog import layout as CL
    from reco_core.catalog.state import write_catalog

    rng = np.random.default_rng(seed)
    extra = np.arange(1, int(0.05 * len(product_ids)) + 1, dtype=np.int64) + int(np.max(product_ids))
    ids = np.sort(np.concatenate([np.asarray(product_ids, dtype=np.int64), extra]))
    n = len(ids)
    share = np.exp(np.linspace(np.log(0.9), np.log(0.25), n_branches))[rng.permutation(n_branches)]
    popular = 1.0 - rng.permutation(n) / max(n - 1, 1)
    bits = np.empty((n_branches, (n + 7) // 8), dtype=np.uint8)
    available = np.zeros(n_branches, dtype=np.int64)
    delisted = (rng.random(n) < delisted_share).astype(np.int8)
    for b in range(n_branches):  # row by row: 300k bools at a time, not 60M
        row = rng.random(n) < np.clip(share[b] * (0.45 + 1.1 * popular), 0, 0.98)
        bits[b] = np.packbits(row, bitorder="little")
        available[b] = int((row & (delisted == 0)).sum())
    branch_ids = np.arange(1, n_branches + 1, dtype=np.int64)
    meta = {
        "format": CL.CATALOG_FORMAT,
        "counts": {"products": n, "delisted": int(delisted.sum()), "branches": n_branches, "brands": 0},
        "branches": [
            {"id": int(b), "label": f"Agence {b}", "customers": int(100 * s), "available": int(a)}
            for b, s, a in zip(branch_ids, share, available, strict=True)
        ],
        "brands": [],
    }
    arrays = {
        CL.PRODUCT_IDS: ids,
        CL.PRODUCT_DELISTED: delisted,
        CL.PRODUCT_BRAND: np.full(n, -1, dtype=np.int32),
        CL.BRANCH_IDS: branch_ids,
        CL.AVAILABILITY_BITS: bits,
    }
    return write_catalog(root, arrays, meta, tag="synthetic")
