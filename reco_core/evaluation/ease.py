"""EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): the strong linear baseline.

Closed form on the run's training interactions X (interactions.npz: baskets x items, values =
NB_OCCURENCES_COMMANDE, so G = X_bin^T diag(w) X_bin counts every order):

    P = (G + lambda I)^-1,    B = I - P diagMat(1 / diag(P))    (so diag(B) = 0)

and a basket x is scored x B. Numerics (docs/STACK-NOTES): float32 throughout - scipy's bundled
BLAS crashed in float64 factorisations from ~16k items, float32 gave the same top-10 - with
only the MAX_ITEMS most sold items when the run has more (G is dense: 20k items = 1.6 GB).

lambda is tuned on a validation slice of the training baskets, never on the evaluated orders:
`val_baskets` training baskets (seeded) are set aside, B is fitted on the others for each
lambda of the grid, and the lambda with the best Hit@K (then MRR@K) on samples of the slice
(same protocol as the evaluation) is kept - with the B fitted without the slice: refitting on
all baskets would cost one more factorisation for a couple of thousand baskets more. When more
than TUNE_ITEMS items are kept, the grid runs on the TUNE_ITEMS most sold ones and B is fitted
once on all of them with the lambda found (`_tune_lambda` says why that transfers).

Why one Cholesky per lambda rather than one eigendecomposition for all lambdas: measured here
(2 cores, float32, docs/quality.md) potrf + potri takes 13 s at 8k items where eigh takes 88 s
and each lambda's reconstruction V diag(1/(w + lambda)) V^T another 12 s; with a grid of 6 the
Cholesky route is several times cheaper.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from reco_core.errors import RecoError
from reco_core.evaluation.baselines import PROFESSION_NONE, ScoringRecommender
from reco_core.evaluation.metrics import HIT, MRR, per_sample
from reco_core.evaluation.sampling import draw_samples
from reco_core.ranking.index import RankerIndex
from reco_core.training.baskets import Baskets

DEFAULT_LAMBDAS: tuple[float, ...] = (1.0, 10.0, 50.0, 100.0, 300.0, 1000.0)
MAX_ITEMS = 20_000
TUNE_ITEMS = 5_000
VAL_BASKETS = 2000
VAL_SAMPLES = 2000
GRAM_COLUMNS = 2048


def gram_matrix(interactions: sp.csr_matrix) -> np.ndarray:
    """Dense float32 X_bin^T X (X's values are the order weights): weighted co-occurrence counts.

    Built by blocks of GRAM_COLUMNS columns: the whole sparse product of the 20k best sellers
    of a 300k-product run held gigabytes on top of the dense result."""
    binary_t = interactions.T.tocsr(copy=True)
    binary_t.data = np.ones_like(binary_t.data)
    columns = sp.csc_matrix(interactions)
    n = interactions.shape[1]
    out = np.empty((n, n), dtype=np.float32)
    for start in range(0, n, GRAM_COLUMNS):
        out[:, start : start + GRAM_COLUMNS] = (binary_t @ columns[:, start : start + GRAM_COLUMNS]).toarray()
    return out


def ease_weights(gram: np.ndarray, lam: float, *, overwrite: bool = False) -> np.ndarray:
    """B = I - P diagMat(1 / diag(P)), P = (gram + lam I)^-1, in float32.

    Memory is the cost at 20k items (1.6 GB per copy): with `overwrite` the factorisation works
    in `gram` itself (symmetric, so its C order is the F order LAPACK wants) and returns it, else
    on one copy; the triangle is mirrored block by block rather than through a full temporary.
    """
    if lam <= 0:
        raise ValueError("lambda must be > 0 (G alone is singular as soon as two items never sell)")
    if overwrite and gram.dtype == np.float32 and gram.flags.c_contiguous:
        a = gram.T  # F-contiguous view of the same (symmetric) matrix
    else:
        a = np.array(gram, dtype=np.float32, order="F")
    a[np.diag_indices_from(a)] += np.float32(lam)
    factor, info = lapack.spotrf(a, lower=0, clean=1, overwrite_a=1)
    if info == 0:
        p, info = lapack.spotri(factor, lower=0, overwrite_c=1)
    if info != 0:
        raise RecoError(f"EASE: G + {lam:g} I is not positive definite in float32 (LAPACK info {info})")
    _mirror_upper(p)
    b = p.T  # C-contiguous view; P is symmetric, so it is P itself
    b /= -np.diag(b).copy()
    b[np.diag_indices_from(b)] = 0.0
    return b


def _mirror_upper(p: np.ndarray, block: int = 1024) -> None:
    """Copy the upper triangle of the square `p` onto its lower one (potri fills only the upper),
    a block of rows at a time."""
    for start in range(0, p.shape[0], block):
        stop = min(start + block, p.shape[0])
        p[start:stop, :start] = p[:start, start:stop].T
        diagonal = p[start:stop, start:stop]
        lower = np.tril_indices(stop - start, -1)
        diagonal[lower] = diagonal.T[lower]


class Ease(ScoringRecommender):
    """EASE scores on its items (the most sold ones); the run's other items come last."""

    name = "ease"
    description = "EASE (Steck 2019) on the run's training interactions, lambda tuned on a validation slice"

    def __init__(
        self, index: RankerIndex, items: np.ndarray, weights: np.ndarray, report: EaseReport
    ) -> None:
        super().__init__(index)
        self.items = items
        self.weights = weights
        self.report = report
        self._position = _positions(index.n_items, items)

    def describe(self) -> dict:
        return {"fit": self.report.to_dict()}

    def scores(self, baskets: sp.csr_matrix, professions: np.ndarray) -> np.ndarray:
        local = restrict(baskets, self._position, len(self.items))
        out = np.full((baskets.shape[0], self.index.n_items), np.finfo(np.float32).min, dtype=np.float32)
        out[:, self.items] = local @ self.weights
        return out


@dataclass
class EaseReport:
    """How EASE was fitted, for the evaluation report."""

    items: int
    fit_baskets: int
    val_baskets: int
    val_samples: int
    lam: float = 0.0
    tune_items: int = 0  # items the lambda grid ran on (the most sold ones)
    grid: dict[str, dict[str, float]] = field(default_factory=dict)  # lambda -> hit, mrr, seconds
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "lambda": self.lam,
            "items": self.items,
            "fit_baskets": self.fit_baskets,
            "val_baskets": self.val_baskets,
            "val_samples": self.val_samples,
            "tune_items": self.tune_items,
            "grid": self.grid,
            "seconds": round(self.seconds, 3),
            "validation": "a slice of the run's training baskets (interactions.npz), never evaluated orders",
        }


def restrict(baskets: sp.csr_matrix, position: np.ndarray, n: int) -> sp.csr_matrix:
    """`baskets` re-indexed on a subset of items (`position`: run index -> subset index or -1)."""
    baskets = sp.csr_matrix(baskets)
    columns = position[baskets.indices]
    keep = columns >= 0
    row = np.repeat(np.arange(baskets.shape[0]), np.diff(baskets.indptr))[keep]
    return sp.csr_matrix(
        (baskets.data[keep].astype(np.float32), (row, columns[keep])), shape=(baskets.shape[0], n)
    )


def fit_ease(
    index: RankerIndex,
    interactions: sp.csr_matrix,
    *,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    max_items: int = MAX_ITEMS,
    tune_items: int = TUNE_ITEMS,
    k: int = 10,
    basket_m: int = 1,
    max_basket_m: int | None = None,
    val_baskets: int = VAL_BASKETS,
    val_samples: int = VAL_SAMPLES,
    seed: int = 42,
) -> Ease:
    """Fit EASE on `interactions` (the run's, in its item index) with lambda tuned as the module says."""
    if not lambdas:
        raise ValueError("EASE needs at least one lambda")
    start = time.perf_counter()
    interactions = sp.csr_matrix(interactions, dtype=np.float32)
    sold = np.asarray(interactions.sum(axis=0)).ravel()
    by_sales = np.argsort(-sold, kind="stable")[: min(max_items, int((sold > 0).sum()))]
    items = np.sort(by_sales)
    x = restrict(interactions, _positions(index.n_items, items), len(items))

    rng = np.random.default_rng(seed)
    usable = np.flatnonzero(np.diff(x.indptr) >= basket_m + 1)
    n_val = min(val_baskets, len(usable) // 10)
    val_rows = np.sort(rng.choice(usable, size=n_val, replace=False))
    fit_rows = np.setdiff1d(np.arange(x.shape[0]), val_rows)
    gram = gram_matrix(x[fit_rows])
    report = EaseReport(len(items), len(fit_rows), n_val, 0)
    weights = None
    if n_val:
        weights = _tune_lambda(
            index,
            x[val_rows],
            gram,
            items,
            by_sales[:tune_items],
            lambdas,
            report,
            k=k,
            basket_m=basket_m,
            max_basket_m=max_basket_m,
            val_samples=val_samples,
            seed=seed,
        )
    else:  # too few baskets to tune: the middle of the grid
        report.lam = float(sorted(lambdas)[len(lambdas) // 2])
    if weights is None:
        weights = ease_weights(gram, report.lam, overwrite=True)  # gram is not needed after
    report.seconds = time.perf_counter() - start
    return Ease(index, items, weights, report)


def _tune_lambda(
    index: RankerIndex,
    val_x: sp.csr_matrix,
    gram: np.ndarray,
    items: np.ndarray,
    tune_subset: np.ndarray,
    lambdas: Sequence[float],
    report: EaseReport,
    *,
    k: int,
    basket_m: int,
    max_basket_m: int | None,
    val_samples: int,
    seed: int,
) -> np.ndarray | None:
    """Set report.lam to the lambda with the best (Hit@K, MRR@K) on the validation baskets `val_x`.

    The grid runs on the `tune_subset` most sold items only (a factorisation costs n^3: 5k items
    instead of 20k is 64 times cheaper per lambda); lambda regularises co-occurrence counts,
    whose scale does not depend on how many items are kept. Returns the chosen lambda's weights
    when the subset is all of `items`, else None: the caller refits on all items.
    """
    subset = np.sort(tune_subset)
    local = np.searchsorted(items, subset)
    report.tune_items = len(subset)
    val = _validation_orders(
        restrict(val_x, _positions(len(items), local), len(subset)), index.run.item_ids[subset]
    )
    samples = draw_samples(
        val, val.product_ids, n_samples=val_samples, basket_m=basket_m, max_basket_m=max_basket_m, seed=seed
    )
    report.val_samples = len(samples)
    given = samples.given.matrix(index.run.item_ids)
    expected = samples.expected.matrix(index.run.item_ids)
    no_profession = np.full(len(samples), PROFESSION_NONE, dtype=np.int64)
    whole = len(subset) == len(items)
    sub_gram = gram if whole else gram[np.ix_(local, local)]
    best, chosen = None, None
    for lam in lambdas:
        t0 = time.perf_counter()
        candidate = Ease(index, subset, ease_weights(sub_gram, lam), report)
        metrics = per_sample(candidate.recommend_batch(given, no_profession, k), expected)
        score = (float(metrics[HIT].mean()), float(metrics[MRR].mean()))
        report.grid[f"{lam:g}"] = {
            "hit": score[0],
            "mrr": score[1],
            "seconds": round(time.perf_counter() - t0, 3),
        }
        if best is None or score > best:
            best, report.lam, chosen = score, float(lam), candidate.weights
    return chosen if whole else None


def _positions(n: int, subset: np.ndarray) -> np.ndarray:
    """Index map of `subset` (sorted indices of 0..n-1): its position, -1 for the rest."""
    position = np.full(n, -1, dtype=np.int64)
    position[subset] = np.arange(len(subset))
    return position


def _validation_orders(x: sp.csr_matrix, item_ids: np.ndarray) -> Baskets:
    """Validation baskets as orders to sample from (product ids; weight = the basket's count)."""
    weight = np.asarray(x.max(axis=1).toarray()).ravel().astype(np.float32)
    return Baskets(
        ("",), np.zeros(x.shape[0], np.int32), weight, x.indptr.astype(np.int64), item_ids[x.indices]
    )
