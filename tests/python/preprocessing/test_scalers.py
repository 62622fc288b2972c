import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler as SkStandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

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
