"""File names of a run directory (a contract with the original product) and run naming.

A run lives in `<artifact_root>/run_YYYYMMDD_HHMMSS[_tag]/`. `run_current` is a symlink to the
promoted run. Directories being written carry the `.tmp-` prefix and are never resolved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# --- model & mappings ------------------------------------------------------------------------
# dict: user_id_map, user_feature_map, item_id_map, item_feature_map, professions
MAPPING: Final = "mapping.pkl"
USER_FEATURES: Final = "user_features.npz"  # scipy.sparse CSR (baskets x user features)
ITEM_FEATURES: Final = "item_features.npz"  # scipy.sparse CSR (items x item features)
INTERACTIONS: Final = "interactions.npz"  # scipy.sparse COO/CSR (baskets x items), weights = NB_OCCURENCES
MODEL: Final = "model.pkl"  # the fitted LightFM object (only to recompute embeddings)

# --- precomputed (all indexed by the item index of mapping.item_id_map) ----------------------
ITEM_EMB_NORM: Final = "item_emb_norm.npy"  # float32 [n_items, d], rows L2-normalised
TRAIN_POP: Final = "train_pop.npy"  # float32 [n_items], global popularity scaled to [0, 1]
POP_BY_PROF_NORM: Final = "pop_by_prof_norm.npy"  # float32 [n_prof, n_items], each row scaled to [0, 1]
TOP_POPP_BY_PROF: Final = "top_popp_by_prof.npy"  # int32 [n_prof, topk], item indices by popularity, -1 pad
ITEM_TO_GAMME: Final = "item_to_gamme.npy"  # int64 [n_items], ID_GAMME or -1
ITEM_IS_PL: Final = "item_is_pl.npy"  # int8 [n_items], 1 = own brand (MDD)

# --- pairs -----------------------------------------------------------------------------------
PAIR_BOOST_RAW: Final = "pair_boost.pkl.gz"  # raw pair counts on product ids (fallback)
PAIR_BOOST_IDX: Final = "pair_boost_idx.pkl"  # A -> B scores, CSR per profession on item indices
PAIR_REV_IDX: Final = "pair_rev_idx.pkl"  # reverse: B -> A (predecessors), same layout
# Both pair indexes: the pickle holds the metadata (format, n_items, professions), the CSR arrays
# of every profession are in .npy files beside it, memory-mapped by serving so that API workers
# share them (pickled arrays were one private copy per worker: 1 GB each at 300k products).
PAIRS_FORMAT: Final = "reco-pairs-csr/2"  # value of the "format" key of both pair indexes
PAIR_ARRAY_PARTS: Final = ("indptr", "indices", "scores")


def pair_array_files(index_name: str) -> dict[str, str]:
    """The .npy files of a pair index: indptr int64 [n_prof, n_items + 1] (each row from 0),
    indices int32 and scores float32 [total nnz], the professions' segments one after another."""
    stem = index_name.removesuffix(".pkl")
    return {part: f"{stem}.{part}.npy" for part in PAIR_ARRAY_PARTS}


PAIR_ARRAYS: Final = (*pair_array_files(PAIR_BOOST_IDX).values(), *pair_array_files(PAIR_REV_IDX).values())

# --- learned relevance (optional: a run trained with --blend-baskets 0, or an older run, has none)
# EASE item-item table: row a lists the items b with the largest positive B[a, b], best first;
# one table (not per profession), the pair-array layout with a single row of indptr.
EASE_IDX: Final = "ease_idx"
EASE_ARRAYS: Final = tuple(f"{EASE_IDX}.{part}.npy" for part in PAIR_ARRAY_PARTS)
BLEND_MODEL: Final = "blend_model.txt"  # LightGBM lambdarank model, its own text format (no pickle)
BLEND_META: Final = "blend.json"  # format, feature names, how the blend was fitted and validated
BLEND_FORMAT: Final = "reco-blend-lgbm/1"
# Substitutes (training/substitutes.py): row a lists the items that replace a in orders (same
# gamme, bought apart, same context), best first; symmetrical; the EASE table's layout. A run
# without it (trained before it) is served with the substitute rules off.
SUBSTITUTE_IDX: Final = "substitute_idx"
SUBSTITUTE_ARRAYS: Final = tuple(f"{SUBSTITUTE_IDX}.{part}.npy" for part in PAIR_ARRAY_PARTS)
OPTIONAL_FILES: Final = (*EASE_ARRAYS, BLEND_MODEL, BLEND_META, *SUBSTITUTE_ARRAYS)

# --- columnar companions (reco_core.artifacts.columnar) --------------------------------------
# What serving reads instead of the original's mapping.pkl, product_meta.json.gz and the pair
# indexes' pickled metadata, which are still written (the original's tools read them) and
# verified by checksum: memory-mapped arrays and small JSON files, nothing unpickled, no
# per-product Python object. All of them or none: a run trained before they existed has none,
# and is loaded from the original files (slower reloads; `reco verify-artifacts` notes it).
ITEM_IDS: Final = "item_ids.npy"  # int64 [n_items]: item index -> product id (mapping.item_id_map)
ITEM_ID_ORDER: Final = "item_id_order.npy"  # int64 [n_items]: argsort of item_ids (lookup by searchsorted)
ITEM_INDEX: Final = "item_index.json"  # format, n_items, professions (mapping.professions)
PRODUCT_META_ARROW: Final = "product_meta.arrow"  # product_meta.json.gz as Arrow IPC columns, by product id
# What the ranker derives from the arrays above, precomputed so that API workers share it
# (reco_core.ranking.index.RankerIndex): float32 [n_items, columnar.item_stats_width(n_prof)],
# each item's popularity in each profession, global popularity, MDD flag, zeros to a whole cache
# line; int64 [n_items], item indices by global popularity descending, ties by index (a stable
# argsort of -train_pop).
ITEM_STATS: Final = "item_stats.npy"
POP_ORDER: Final = "pop_order.npy"


def pair_meta_file(index_name: str) -> str:
    """The JSON twin of a pair index's pickled metadata (format, n_items, normalisation, professions)."""
    return f"{index_name.removesuffix('.pkl')}.json"


COLUMNAR_FILES: Final = (
    ITEM_IDS,
    ITEM_ID_ORDER,
    ITEM_INDEX,
    PRODUCT_META_ARROW,
    ITEM_STATS,
    POP_ORDER,
    pair_meta_file(PAIR_BOOST_IDX),
    pair_meta_file(PAIR_REV_IDX),
)

# --- info ------------------------------------------------------------------------------------
PRODUCT_META: Final = "product_meta.json.gz"
VERSIONS: Final = "versions.json"
PARAMS: Final = "params.json"
MANIFEST: Final = "manifest.json"  # sha256 + size of every other file; written last
# The record of the last full check the run passed (artifacts.full_check): not a file of the run,
# neither listed in the manifest nor counted by its check
VERIFIED: Final = "verified.json"

PICKLES: Final = (MAPPING, MODEL, PAIR_BOOST_RAW, PAIR_BOOST_IDX, PAIR_REV_IDX)
PRECOMPUTED: Final = (ITEM_EMB_NORM, TRAIN_POP, POP_BY_PROF_NORM, TOP_POPP_BY_PROF, ITEM_TO_GAMME, ITEM_IS_PL)
# Every file a complete run holds besides the manifest. model.pkl is part of a run even though
# serving can do without it (DISABLE_MODEL_PICKLE=1).
RUN_FILES: Final = (
    MAPPING,
    USER_FEATURES,
    ITEM_FEATURES,
    INTERACTIONS,
    MODEL,
    *PRECOMPUTED,
    PAIR_BOOST_RAW,
    PAIR_BOOST_IDX,
    PAIR_REV_IDX,
    *PAIR_ARRAYS,
    PRODUCT_META,
    VERSIONS,
    PARAMS,
)

RUN_PREFIX: Final = "run_"
CURRENT_LINK: Final = "run_current"
PROMOTION_LOG: Final = "promotions.jsonl"  # one JSON line per promotion/rollback, in the artifact root
RUN_NAME_RE: Final = re.compile(r"^run_\d{8}_\d{6}(?:_[A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$")
TAG_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def stamped_name_re(prefix: str) -> re.Pattern[str]:
    """`<prefix>YYYYMMDD_HHMMSS[_tag]`: how every directory kind of the store is named."""
    return re.compile(rf"^{re.escape(prefix)}\d{{8}}_\d{{6}}(?:_[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}})?$")


@dataclass(frozen=True)
class Kind:
    """A kind of directory the artifact store names, verifies, promotes and rolls back.

    Runs are one kind; the catalogue state (reco_core.catalog) and the merchandising rules
    (reco_core.rules) are others, refreshed apart from the model but promoted, logged and rolled
    back by the very same code (reco_core.artifacts.store), each with its own link and log.
    """

    noun: str  # what messages call one ("run", "catalogue state"...)
    prefix: str  # directory names: <prefix>YYYYMMDD_HHMMSS[_tag]
    current_link: str  # the symlink promotion swaps
    promotion_log: str  # one JSON line per promotion/rollback, in the artifact root
    name_re: re.Pattern[str]
    required_files: tuple[str, ...]  # files the manifest must list
    # "module:function" returning a report with `.ok` and `.summary()`; imported when used, since
    # the verifiers import this module
    verifier: str


RUNS: Final = Kind(
    noun="run",
    prefix=RUN_PREFIX,
    current_link=CURRENT_LINK,
    promotion_log=PROMOTION_LOG,
    name_re=RUN_NAME_RE,
    required_files=RUN_FILES,
    verifier="reco_core.artifacts.verify:verify_run",
)
