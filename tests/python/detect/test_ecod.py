import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from oddseq.detect import ECOD


def planted(seed=0, n=1000, d=4, n_out=20):
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.normal(size=n), rng.exponential(size=n), -rng.gamma(2.0, size=n), rng.normal(size=n)]
    )[:, :d]
    out = X[rng.integers(0, n, n_out)].copy()
    out[np.arange(n_out), rng.integers(0, d, n_out)] += rng.choice([-1, 1], n_out) * 10
    return np.vstack([X, out]), np.r_[np.zeros(n), np.ones(n_out)]


def pyod_scores(X):
    pyod_ecod = pytest.importorskip("pyod.models.ecod")
    with warnings.catch_warnings():
        # scipy's skew warns about constant columns (PyOD then takes skewness 0)
        warnings.simplefilter("ignore", RuntimeWarning)
        return pyod_ecod.ECOD().fit(X).decision_scores_


@pytest.mark.parametrize(
    "kind", ["normal", "exponential", "negative", "integers", "constant", "mixed"]
)
def test_training_scores_equal_pyod(kind):
    rng = np.random.default_rng(hash(kind) % 2**32)
    n = 400
    X = {
        "normal": rng.normal(size=(n, 5)),
        "exponential": rng.exponential(size=(n, 3)),
        "negative": -rng.exponential(size=(n, 3)),
        "integers": rng.integers(-3, 4, (n, 4)).astype(float),
        "constant": np.c_[np.full(n, 2.5), rng.normal(size=n)],
        "mixed": planted(n=n)[0],
    }[kind]
    ours = ECOD().fit(X).decision_scores_
    np.testing.assert_allclose(ours, pyod_scores(X), rtol=0, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 200), d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_equal_pyod_property(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.exponential(size=d)
    X[:, : d // 2] = np.round(X[:, : d // 2])  # ties
    det = ECOD(contamination=0.1).fit(X)
    # A symmetric column (rounded: as many -1 as +1) has skewness 0, which the sums see
    # as +-2e-16: PyOD takes the sign of that noise, oddseq takes 0 and sums both tails
    # (test_symmetric_column_sums_both_tails_in_every_row_order); they differ by design.
    assume(np.all(det.skewness_sign_ != 0))
    np.testing.assert_allclose(det.decision_scores_, pyod_scores(X), rtol=0, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 200), d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
@example(n=4, d=4, seed=627793)  # a symmetric column whose skewness was rounding noise
def test_properties(n, d, seed):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, d)), 1)
    det = ECOD(contamination=0.1).fit(X)
    scores = det.decision_scores_
    assert np.isfinite(scores).all() and (scores >= 0).all()
    # the training rows scored again against the training ECDFs: the same scores
    np.testing.assert_array_equal(det.decision_function(X), scores)
    # row order does not matter
    order = rng.permutation(n)
    shuffled = ECOD(contamination=0.1).fit(X[order]).decision_scores_
    np.testing.assert_allclose(shuffled, scores[order], atol=1e-12)
    # new rows, also beyond the training range, stay finite
    new = rng.normal(scale=10, size=(5, d))
    assert np.isfinite(det.decision_function(new)).all()


def test_planted_outliers_and_surface():
    X, y = planted()
    copy = X.copy()
    det = ECOD().fit(X)
    np.testing.assert_array_equal(X, copy)
    assert roc_auc_score(y, det.decision_scores_) > 0.95
    assert det.labels_.dtype == np.int64
    np.testing.assert_array_equal(det.labels_, det.decision_scores_ > det.threshold_)
    np.testing.assert_array_equal(det.predict(X), det.labels_)
    np.testing.assert_array_equal(det.score_samples(X), -det.decision_scores_)
    fixed = ECOD(contamination=0.02).fit(X)
    assert abs(fixed.labels_.mean() - 0.02) < 0.005


def test_new_rows_against_training_ecdf():
    X = np.arange(10.0).reshape(-1, 1)  # symmetric: skewness 0, both tails summed
    det = ECOD(contamination=0.1).fit(X)
    assert det.skewness_sign_.tolist() == [0.0]
    # 4.5: 5 of 10 rows <= it, 5 >= it
    left, right = -np.log(0.5), -np.log(0.5)
    assert det.decision_function([[4.5]])[0] == pytest.approx(left + right)
    # beyond the range: the most extreme training value
    far = det.decision_function([[-100.0], [100.0]])
    np.testing.assert_allclose(far, det.decision_scores_[[0, -1]])


def test_explain():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    X[-1] = [0.0, 0.0, 7.0]
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    det = ECOD().fit(frame)
    table = det.explain(frame.iloc[-2:], top=3)
    assert table.loc[499, "feature"].iloc[0] == "c"
    assert table.index.get_level_values("row").tolist() == [498] * 3 + [499] * 3
    np.testing.assert_allclose(table.groupby(level="row")["share"].sum(), 1.0)
    # contributions add up to the score
    contribution = det._tail_scores(np.ascontiguousarray(X[-2:].T))
    np.testing.assert_allclose(contribution.sum(axis=1), det.decision_scores_[-2:])
    np.testing.assert_allclose(det.median_, np.median(X, axis=0))


def test_float32():
    X, _ = planted()
    a = ECOD().fit(X.astype(np.float32))
    assert a.decision_scores_.dtype == np.float64
    assert np.isfinite(a.decision_function(X.astype(np.float32))).all()


def test_bad_input():
    X, _ = planted(n=100)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        ECOD().fit(bad)
    with pytest.raises(ValueError, match="contamination"):
        ECOD(contamination=0.9).fit(X)
    with pytest.raises(ValueError, match="0 sample"):
        ECOD().fit(np.empty((0, 2)))
    with pytest.raises(NotFittedError):
        ECOD().decision_function(X)
    det = ECOD().fit(X)
    with pytest.raises(ValueError, match="features"):
        det.decision_function(X[:, :2])
    bad[0, 0] = -np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        det.decision_function(bad)


def test_symmetric_column_sums_both_tails_in_every_row_order():
    # Deviations -1, -0.1, 0.1, 1 from the mean -0.5: skewness 0 exactly, which the
    # floating-point sums see as +-1e-17 depending on the row order. Each order must
    # take it as 0 (both tails summed) and give the same scores row for row.
    column = np.array([-1.5, -0.6, 0.5, -0.4])
    expected = None
    for order in itertools.permutations(range(4)):
        X = column[list(order)].reshape(-1, 1)
        det = ECOD(contamination=0.1).fit(X)
        assert det.skewness_sign_.tolist() == [0.0]
        by_value = det.decision_scores_[np.argsort(np.array(order), kind="stable")]
        if expected is None:
            expected = by_value
        np.testing.assert_array_equal(by_value, expected)
    # a clearly skewed column keeps its sign
    assert ECOD().fit(np.array([[0.0], [0.0], [0.0], [1.0]])).skewness_sign_.tolist() == [1.0]
