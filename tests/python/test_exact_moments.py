"""Order-free moments (oddseq.utils._exact): exact means, variances and scatter
matrices, the same bits for the same rows however they are ordered or split."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from oddseq import _core
from oddseq.utils import _exact

# float32 values with at most 24 significant bits within 2^34 of each other: all on
# the grid (which keeps 64 bits below a column's largest magnitude).
finite32 = st.builds(
    lambda m, e: float(np.float32(m * 2.0**e)), st.integers(-(2**24), 2**24), st.integers(-20, 14)
)


def _exact_moments(X):
    """Mean, variance (over n) and centred scatter of each column, as fractions."""
    n, d = X.shape
    cols = [[Fraction(float(v)) for v in X[:, j]] for j in range(d)]
    mean = [sum(c) / n for c in cols]
    var = [sum((v - m) ** 2 for v in c) / n for c, m in zip(cols, mean)]
    scatter = [
        [sum((a - mean[j]) * (b - mean[k]) for a, b in zip(cols[j], cols[k])) for k in range(d)]
        for j in range(d)
    ]
    return mean, var, scatter


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float32, st.tuples(st.integers(1, 40), st.integers(1, 4)), elements=finite32),
    st.data(),
)
def test_moments_are_exact_and_free_of_order(X, data):
    exps = _exact.exponents(_exact.column_max_abs(X))
    parts = _exact.moment_parts(X, exps)
    n, mean, var = _exact.moments(parts, exps)
    scatter = _exact.scatter(parts, exps)
    want_mean, want_var, want_scatter = _exact_moments(X)
    assert n == X.shape[0]
    # The values lie on the grid, so the sums are exact and each statistic is its exact
    # value rounded once.
    assert mean.tolist() == [float(m) for m in want_mean]
    assert var.tolist() == [float(v) for v in want_var]
    assert scatter.tolist() == [[float(v) for v in row] for row in want_scatter]
    # Any split and order of the rows gives the same bits.
    order = np.array(data.draw(st.permutations(range(X.shape[0]))), dtype=np.int64)
    cut = data.draw(st.integers(0, X.shape[0]))
    a = _exact.moment_parts(X[order[:cut]], exps)
    b = _exact.moment_parts(X[order[cut:]], exps)
    merged = {key: a[key] + b[key] for key in a}
    _, mean2, var2 = _exact.moments(merged, exps)
    assert mean2.tobytes() == mean.tobytes() and var2.tobytes() == var.tobytes()
    assert _exact.scatter(merged, exps).tobytes() == scatter.tobytes()


def test_chunks_and_float64_input_agree_with_numpy():
    rng = np.random.default_rng(3)
    X = rng.standard_t(3, size=(5000, 6)) * [1, 1e-4, 1e4, 0, 3, 7]
    X[:, 5] += 1e3  # a large mean: the exact sums cancel it without loss
    mean, std = _exact.mean_std(X)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-13, atol=0)
    np.testing.assert_allclose(std, X.std(axis=0), rtol=1e-11, atol=0)
    assert std[3] == 0.0 and mean[3] == 0.0
    exps = _exact.exponents(_exact.column_max_abs(X))
    centred = X - X.mean(axis=0)
    np.testing.assert_allclose(
        _exact.scatter(_exact.moment_parts(X, exps), exps),
        centred.T @ centred,
        rtol=1e-10,
        atol=1e-9,
    )


def test_empty_and_non_finite():
    exps = _exact.exponents(np.zeros(2))
    n, mean, var = _exact.moments(_exact.moment_parts(np.empty((0, 2)), exps), exps)
    assert n == 0 and mean.tolist() == [0.0, 0.0] and var.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="finite"):
        _exact.exponents([1.0, np.inf])


def test_threads_give_the_same_bits():
    X = np.random.default_rng(5).standard_t(2, size=(40_000, 7)).astype(np.float32)
    exps = _exact.exponents(_exact.column_max_abs(X))
    one = _exact.moment_parts(X, exps, 1)
    for threads in (2, 3, 0):
        many = _exact.moment_parts(X, exps, threads)
        assert many["n"] == one["n"]
        assert (many["sums"] == one["sums"]).all() and (many["cross"] == one["cross"]).all()


def test_column_sums_in_the_core_equal_the_gram_path():
    """moment_parts(scatter=False) (the core's one pass: sums and each column's slice
    products) gives the integers the Gram path gives, so moments() is the same either
    way; only the scatter matrix needs the Gram path."""
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        X = rng.standard_t(2, size=(9000, 11)) * [1, 1e-6, 1e6, 0, 3, 7, 1, 1, 2, 5, 1e-300]
        X = X.astype(dtype)
        exps = _exact.exponents(_exact.column_max_abs(X))
        full = _exact.moment_parts(X, exps, 2)
        fast = _exact.moment_parts(X, exps, 2, scatter=False)
        assert set(fast) == {"n", "sums", "products"}
        assert fast["n"] == full["n"]
        assert (fast["sums"] == full["sums"]).all()
        assert (fast["products"] == full["products"]).all()
        n, mean, var = _exact.moments(fast, exps)
        assert _exact.moments(full, exps)[1].tobytes() == mean.tobytes()
        assert _exact.moments(full, exps)[2].tobytes() == var.tobytes()
        with pytest.raises(ValueError, match="scatter=True"):
            _exact.scatter(fast, exps)


def test_tiny_columns_are_on_their_grid():
    """A column whose largest value is subnormal (its grid's 2^(16 - e) is no double)
    still gives its exact mean and variance."""
    tiny = np.finfo(np.float64).smallest_subnormal
    X = np.array([[3 * tiny, 1.0], [-7 * tiny, 2.0], [5 * tiny, 4.0]])
    mean, std = _exact.mean_std(X)
    values = [Fraction(float(v)) for v in X[:, 0]]
    want = sum(values) / 3
    assert mean[0] == float(want)
    assert std[0] ** 2 == pytest.approx(float(sum((v - want) ** 2 for v in values) / 3))


def test_values_beyond_the_grid_are_refused():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    exps = np.array([1, 3], np.int64)  # 3.0 is not below 2^1
    with pytest.raises(ValueError, match="column 0 has values beyond its grid"):
        _core.exact_moment_sums(X, exps, 1)
    with pytest.raises(ValueError, match="beyond its grid"):
        _exact.moment_parts(X, exps)
    with pytest.raises(ValueError, match="one exponent per column"):
        _exact.moment_parts(X, exps[:1])
    with pytest.raises(ValueError, match=r"\[-1074, 1024\]"):
        _core.exact_moment_sums(X, np.array([1, 5000], np.int64), 1)
    X[0, 1] = np.nan
    with pytest.raises(ValueError, match="column 1 .* not finite"):
        _core.exact_moment_sums(X, np.array([2, 3], np.int64), 1)


def test_column_max_abs_in_one_pass_equals_numpy():
    rng = np.random.default_rng(2)
    for dtype in (np.float32, np.float64):
        X = (rng.standard_t(2, size=(1001, 17)) * 10.0 ** rng.integers(-30, 30, 17)).astype(dtype)
        X[:, 3] = -0.0
        want = np.abs(X).max(axis=0).astype(np.float64)
        assert _exact.column_max_abs(X).tobytes() == want.tobytes()
        assert (
            _exact.column_max_abs(X[::2]).tobytes() == np.abs(X[::2]).max(0).astype(float).tobytes()
        )
        X[5, 7] = np.nan
        got = _exact.column_max_abs(X)
        assert np.isnan(got[7]) and not np.isnan(np.delete(got, 7)).any()
        assert _exact.column_max_abs(X[:0]).tolist() == [0.0] * 17


@settings(deadline=None, max_examples=60)
@given(
    values=arrays(
        np.float64,
        st.tuples(st.integers(0, 40), st.integers(1, 3)),
        elements=st.one_of(
            st.floats(-1e300, 1e300, allow_nan=False),
            st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1e-310, 1.0, 0.1]),
        ),
    ),
    seed=st.integers(0, 2**16),
    cut=st.integers(0, 40),
)
def test_group_sums_are_exact_rounded_once_free_of_order_and_split(values, seed, cut):
    """K-means' per-cluster sums of squared deviations: each group's sum is the exact
    sum rounded once (as float(Fraction sum)), the same bits for the rows shuffled or
    split in two blocks whose parts are added."""
    n, d = values.shape
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    got = _exact.group_sums(_exact.group_sum_parts(values, labels, 3))
    for g in range(3):
        for j in range(d):
            exact = sum((Fraction(float(v)) for v in values[labels == g, j]), Fraction(0))
            assert got[g, j] == float(exact)
    order = rng.permutation(n)
    shuffled = _exact.group_sums(_exact.group_sum_parts(values[order], labels[order], 3))
    np.testing.assert_array_equal(shuffled, got)
    cut = min(cut, n)
    halves = _exact.group_sum_parts(values[:cut], labels[:cut], 3) + _exact.group_sum_parts(
        values[cut:], labels[cut:], 3
    )
    np.testing.assert_array_equal(_exact.group_sums(halves), got)


def test_group_sums_refuse_what_has_no_exact_sum():
    with pytest.raises(ValueError, match="finite"):
        _exact.group_sum_parts(np.array([[np.inf]]), np.array([0]), 1)
    with pytest.raises(ValueError, match="one label per row"):
        _exact.group_sum_parts(np.ones((2, 2)), np.array([0]), 1)
