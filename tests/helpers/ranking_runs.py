"""Hand-built RunArtifacts for ranking tests: every array set by the test, nothing trained.

Item indices and product ids differ on purpose (product id = 5000 + 7 x index), so a test
catches one used for the other. Pair tables are given as {profession: {A: {B: score}}} on item
indices; the reverse tables are derived from them (row B lists its predecessors A, like the
trainer writes them). Defaults are neutral: orthogonal embeddings (every cosine between two
items is 0), zero popularity, unknown gammes, no own-brand item, empty pair tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from reco_core.artifacts.columnar import ItemLookup, ProductMeta
from reco_core.artifacts.run import CsrPairs, RunArtifacts
from reco_core.columns import ANY_PROFESSION
from reco_core.ranking import BasketParams, RankerIndex

PROFESSIONS = ("PLAQUISTE", "PLOMBIER")
Pairs = Mapping[str, Mapping[int, Mapping[int, float]]]

# Every weight, pool-size and selection knob at a neutral value: tests switch on what they test.
QUIET = {
    "W_PAIR": 0.0,
    "W_EMB": 0.0,
    "W_POPP": 0.0,
    "W_POPG": 0.0,
    "W_COVERAGE": 0.0,
    "W_PL_BASE": 0.0,
    "W_PL_PER_BASK_PL": 0.0,
    "PAIR_ANY_WEIGHT": 0.0,
    "PAIR_REV_WEIGHT": 0.0,
    "PAIR_QUOTA": 0,
    "DIVERSIFY": 0,
    "CAP_PER_GAMME": 0,
}


def pid(index: int) -> int:
    return 5000 + 7 * index


def pids(*indices: int) -> list[int]:
    return [pid(i) for i in indices]


def params(**values: float) -> BasketParams:
    """Quiet parameters with `values` switched on."""
    return BasketParams(**{**QUIET, **values})


def make_run(
    n_items: int,
    *,
    professions: Sequence[str] = PROFESSIONS,
    pairs: Pairs | None = None,
    emb: np.ndarray | Mapping[int, Sequence[float]] | None = None,
    train_pop: Mapping[int, float] | None = None,
    pop_by_prof: Mapping[str, Mapping[int, float]] | None = None,
    gamme: Mapping[int, int] | None = None,
    is_pl: Sequence[int] = (),
    substitutes: Sequence[tuple[int, int]] | None = None,
) -> RunArtifacts:
    """A run of `n_items` items. `emb` rows are L2-normalised here (a mapping overrides rows of
    the default identity embeddings; its vectors are padded with zeros to n_items dims).
    `substitutes`: pairs of item indices, written both ways (None: the run has no table)."""
    professions = tuple(professions)
    names = (*professions, ANY_PROFESSION)
    pairs = pairs or {}
    forward = {name: _csr(n_items, pairs.get(name, {})) for name in names}
    reverse = {name: _csr(n_items, _transpose(pairs.get(name, {}))) for name in names}
    prof_pop = np.zeros((len(professions), n_items), np.float32)
    for name, values in (pop_by_prof or {}).items():
        for i, value in values.items():
            prof_pop[professions.index(name), i] = value
    top = np.argsort(-prof_pop, axis=1, kind="stable")
    top = np.where(np.take_along_axis(prof_pop, top, axis=1) > 0, top, -1).astype(np.int32)
    item_ids = np.array([pid(i) for i in range(n_items)], np.int64)
    return RunArtifacts(
        run_id="run_hand_built",
        run_dir=Path("/nonexistent/run_hand_built"),
        item_ids=item_ids,
        item_index=ItemLookup(item_ids),
        professions=professions,
        item_emb_norm=_embeddings(n_items, emb),
        train_pop=_dense(n_items, train_pop or {}, np.float32),
        pop_by_prof_norm=prof_pop,
        top_popp_by_prof=top,
        item_to_gamme=_dense(n_items, gamme or {}, np.int64, fill=-1),
        item_is_pl=_dense(n_items, dict.fromkeys(is_pl, 1), np.int8),
        pairs=forward,
        pairs_rev=reverse,
        product_meta=ProductMeta.from_dict({}),
        params={},
        versions={},
        substitutes=None if substitutes is None else substitute_table(n_items, substitutes),
    )


def substitute_table(n_items: int, pairs: Sequence[tuple[int, int]]) -> CsrPairs:
    """The substitute table of `pairs` (item indices), symmetrical, as the trainer writes it."""
    rows: dict[int, dict[int, float]] = {}
    for a, b in pairs:
        rows.setdefault(a, {})[b] = 1.0
        rows.setdefault(b, {})[a] = 1.0
    return _csr(n_items, rows)


def make_index(n_items: int, **kwargs) -> RankerIndex:
    return RankerIndex.build(make_run(n_items, **kwargs))


def _embeddings(n: int, emb: np.ndarray | Mapping[int, Sequence[float]] | None) -> np.ndarray:
    if isinstance(emb, np.ndarray):
        out = emb.astype(np.float64)
    else:
        out = np.eye(n)
        for i, vector in (emb or {}).items():
            out[i] = 0.0
            out[i, : len(vector)] = vector
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms == 0, 1, norms)).astype(np.float32)


def _dense(n: int, values: Mapping[int, float], dtype: type, fill: float = 0) -> np.ndarray:
    out = np.full(n, fill, dtype=dtype)
    for i, value in values.items():
        out[i] = value
    return out


def _transpose(rows: Mapping[int, Mapping[int, float]]) -> dict[int, dict[int, float]]:
    out: dict[int, dict[int, float]] = {}
    for a, row in rows.items():
        for b, score in row.items():
            out.setdefault(b, {})[a] = score
    return out


def _csr(n: int, rows: Mapping[int, Mapping[int, float]]) -> CsrPairs:
    """Rows sorted by score descending, ties by item index, as the trainer writes them."""
    indptr, indices, scores = [0], [], []
    for i in range(n):
        row = sorted(rows.get(i, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        indices += [b for b, _ in row]
        scores += [s for _, s in row]
        indptr.append(len(indices))
    return CsrPairs(
        indptr=np.array(indptr, np.int64),
        indices=np.array(indices, np.int32),
        scores=np.array(scores, np.float32),
    )
