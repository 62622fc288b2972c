import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler as SkStandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from oddseq import _core
from oddseq.preprocessing import LogScaler, StandardScaler


@parametrize_with_checks([StandardScaler(), LogScaler()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standard_scaler_matches_sklearn(dtype):
    rng = np.random.default_rng(0)
    X = (rng.normal(3, 2, (100, 4)) * [1, 10, 0, 1]).astype(dtype)
    ours = StandardScaler().fit_transform(X)
    theirs = SkStandardScaler().fit_transform(X)
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert np.all(ours[:, 2] == 0)  # a constant feature becomes zeros, not NaN


def test_log_scaler_rejects_negative_values():
    with pytest.raises(ValueError, match=r"feature\(s\) \[1\]"):
        LogScaler().fit(np.array([[1.0, -2.0]]))


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.floats(-(2.0**50), 2.0**50, width=32), min_size=1, max_size=40),
    signed=st.booleans(),
)
def test_log_scaler_rounds_a_float64_log_once(values, signed):
    """float32: each value's log1p in float64 rounded once (the function the live stream
    scales with, so both give the same bits); float64: numpy's log1p within an ulp."""
    X32 = np.array(values, dtype=np.float32).reshape(-1, 1)
    if not signed:
        X32 = np.abs(X32)
    scaler = LogScaler(signed=signed).fit(X32)
    out = scaler.transform(X32)
    assert out.dtype == np.float32 and out.shape == X32.shape
    wide = X32.astype(np.float64)
    log = np.log1p(np.abs(wide))
    expected = (np.sign(wide) * log if signed else log).astype(np.float32)
    np.testing.assert_array_equal(out, expected)
    out64 = LogScaler(signed=signed).fit(wide).transform(wide)
    assert out64.dtype == np.float64
    np.testing.assert_allclose(out64, np.sign(wide) * log if signed else log, rtol=4e-16, atol=0)


def test_the_log_kernel_signs_as_numpy_does():
    """Either zero, NaN and the infinities (LogScaler refuses NaN and infinities; the
    stream's scaling passes them on)."""
    x = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, -1.5], dtype=np.float32)
    out = _core.log1p(x, True, 1)
    wide = x.astype(np.float64)
    np.testing.assert_array_equal(out, (np.sign(wide) * np.log1p(np.abs(wide))).astype(np.float32))
    assert not np.signbit(out[:2]).any()


def test_log_scaler_keeps_shape_order_and_the_input():
    X = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4) - 5)
    before = X.copy()
    out = LogScaler(signed=True).fit(X).transform(X)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(
        out, (np.sign(X) * np.log1p(np.abs(X).astype(np.float64))).astype(np.float32)
    )
    big = np.linspace(0, 1e6, 200_000, dtype=np.float32).reshape(-1, 4)  # threaded
    np.testing.assert_array_equal(
        LogScaler().fit(big).transform(big), np.log1p(big.astype(np.float64)).astype(np.float32)
    )
