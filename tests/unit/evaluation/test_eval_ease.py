"""EASE: the closed form against a float64 numpy reference, weighting, restriction and tuning."""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers.ranking_runs import make_index

from reco_core.evaluation import ease
from reco_core.evaluation.baselines import PROFESSION_NONE
from reco_core.evaluation.ease import ease_weights, fit_ease, gram_matrix

X = np.array(
    [
        [1, 1, 0, 0, 1],
        [0, 1, 1, 0, 0],
        [1, 0, 1, 1, 0],
        [1, 1, 0, 1, 0],
        [0, 0, 1, 1, 1],
        [1, 1, 1, 0, 0],
    ],
    dtype=np.float64,
)


def _reference(x: np.ndarray, lam: float) -> np.ndarray:
    """Steck 2019, eq. 8, in float64: B = I - P diagMat(1/diag(P)), P = (X^T X + lam I)^-1."""
    p = np.linalg.inv(x.T @ x + lam * np.eye(x.shape[1]))
    return np.eye(x.shape[1]) - p / np.diag(p)


@pytest.mark.parametrize("lam", [0.5, 2.0, 50.0])
def test_closed_form_matches_numpy(lam):
    b = ease_weights((X.T @ X).astype(np.float32), lam)
    assert b.dtype == np.float32
    assert np.diag(b).tolist() == [0.0] * 5
    assert b == pytest.approx(_reference(X, lam), abs=1e-5)
    # B minimises ||X - XB||^2 + lam ||B||^2 under diag(B) = 0: the gradient, off the diagonal, is 0
    gradient = X.T @ (X @ b - X) + lam * b
    off = ~np.eye(5, dtype=bool)
    assert np.abs(gradient[off]).max() < 1e-4


def test_in_place_fit_of_a_matrix_larger_than_a_mirror_block_matches_numpy():
    """overwrite=True (the final fit at 20k items) factorises the gram itself; more than 1,024
    items exercise the block-wise mirroring of the triangle."""
    x = (np.random.default_rng(0).random((3000, 1100)) < 0.01).astype(np.float64)
    gram = (x.T @ x).astype(np.float32)
    copy = ease_weights(gram, 5.0)
    in_place = ease_weights(gram, 5.0, overwrite=True)
    assert np.shares_memory(in_place, gram) and in_place.flags.c_contiguous
    assert in_place == pytest.approx(copy, abs=1e-6)
    assert in_place == pytest.approx(_reference(x, 5.0), abs=1e-4)


@pytest.mark.parametrize("columns_per_block", [2048, 2])
def test_gram_counts_each_order_as_many_times_as_its_weight(monkeypatch, columns_per_block):
    """Also when it is built by blocks of columns (2 here: several blocks and a partial one)."""
    monkeypatch.setattr(ease, "GRAM_COLUMNS", columns_per_block)
    weighted = sp.csr_matrix(X[:2] * np.array([[3.0], [1.0]]), dtype=np.float32)
    repeated = np.vstack([X[0], X[0], X[0], X[1]])
    assert gram_matrix(weighted) == pytest.approx(repeated.T @ repeated)


def test_refuses_a_non_positive_lambda():
    with pytest.raises(ValueError, match="lambda must be > 0"):
        ease_weights(np.eye(2, dtype=np.float32), 0.0)


def _sales_decreasing_with_the_index(n_items: int = 8) -> np.ndarray:
    """400 random baskets over `n_items` items, item i bought less often than item i - 1."""
    rng = np.random.default_rng(0)
    return (rng.random((400, n_items)) < np.linspace(0.6, 0.05, n_items)).astype(np.float32)


def test_fit_keeps_the_most_sold_items_scores_with_b_and_reports_the_tuning():
    x = _sales_decreasing_with_the_index()
    index = make_index(x.shape[1])
    model = fit_ease(index, sp.csr_matrix(x), lambdas=(1.0, 30.0), max_items=5, val_samples=200, seed=1)
    assert model.items.tolist() == [0, 1, 2, 3, 4]  # the 5 most sold (sales decrease with the index)
    report = model.report.to_dict()
    assert set(report["grid"]) == {"1", "30"}
    assert report["lambda"] in (1.0, 30.0)
    usable = int(((x[:, :5] > 0).sum(axis=1) >= 2).sum())  # baskets that can give 1 item and expect 1
    assert report["val_baskets"] == usable // 10
    assert report["fit_baskets"] == 400 - usable // 10
    basket = sp.csr_matrix(np.array([[1, 0, 0, 1, 0, 0, 0, 0]], np.float32))
    scores = model.scores(basket, np.array([PROFESSION_NONE]))
    assert scores[0, :5] == pytest.approx((basket[:, :5] @ model.weights).ravel())
    assert (scores[0, 5:] < scores[0, :5].min()).all()  # items outside EASE come last


def test_lambda_tuned_on_the_most_sold_subset_is_refitted_on_every_kept_item():
    x = _sales_decreasing_with_the_index()
    index = make_index(x.shape[1])
    full = fit_ease(index, sp.csr_matrix(x), lambdas=(1.0, 30.0), max_items=6, val_samples=200, seed=1)
    model = fit_ease(
        index, sp.csr_matrix(x), lambdas=(1.0, 30.0), max_items=6, tune_items=3, val_samples=200, seed=1
    )
    report = model.report.to_dict()
    assert (report["tune_items"], full.report.to_dict()["tune_items"]) == (3, 6)
    assert model.items.tolist() == [0, 1, 2, 3, 4, 5]
    # one fit on the 6 items, without the validation baskets, with the lambda the 3-item grid chose
    usable = ((x[:, :6] > 0).sum(axis=1) >= 2).nonzero()[0]
    val = np.sort(np.random.default_rng(1).choice(usable, size=len(usable) // 10, replace=False))
    fit = np.delete(x[:, :6], val, axis=0)
    expected = ease_weights(gram_matrix(sp.csr_matrix(fit)), report["lambda"])
    assert model.weights == pytest.approx(expected, abs=1e-5)
