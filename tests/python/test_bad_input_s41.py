"""Feature matrices a caller may hold that np.asarray reads wrong: a masked array (the mask
dropped, the values under it read as data) and an array of more than two axes (advised
to reshape as if it had one)."""

import numpy as np
import pytest

from oddseq.detect import KNNDetector, RobustZDetector
from oddseq.preprocessing import Imputer

X = np.random.default_rng(41).normal(size=(60, 3))


def _masked():
    mask = np.zeros(X.shape, bool)
    mask[[3, 7], [0, 2]] = True
    return np.ma.array(X.copy(), mask=mask)


def test_masked_values_are_missing_not_data():
    masked = _masked()
    with pytest.raises(ValueError, match=r"masked array with 2 masked value\(s\) in 2 row") as e:
        KNNDetector().fit(masked)
    # Both fixes it advises run as written.
    assert "X.filled(value)" in str(e.value)
    assert KNNDetector().fit(masked.filled(0.0)).n_samples_fit_ == 60
    kept = masked[~np.ma.getmaskarray(masked).any(axis=1)]
    assert RobustZDetector().fit(kept).decision_scores_.shape == (58,)
    # The caller's array is left as it was.
    assert np.ma.getmaskarray(masked).sum() == 2 and masked.data[3, 0] == X[3, 0]


def test_masked_values_are_imputed_where_missing_values_are_taken():
    imputed = Imputer(strategy="mean").fit_transform(_masked())
    assert imputed[3, 0] == pytest.approx(np.delete(X[:, 0], 3).mean())
    assert imputed[7, 2] == pytest.approx(np.delete(X[:, 2], 7).mean())


def test_a_masked_array_with_nothing_masked_is_an_array():
    scores = KNNDetector().fit(np.ma.array(X)).decision_scores_
    np.testing.assert_array_equal(scores, KNNDetector().fit(X).decision_scores_)


def test_more_than_two_axes_are_advised_to_join_the_trailing_ones():
    cube = X.reshape(60, 3, 1)
    with pytest.raises(ValueError, match=r"got shape \(60, 3, 1\).*X.reshape\(len\(X\), -1\)"):
        KNNDetector().fit(cube)
    assert KNNDetector().fit(cube.reshape(len(cube), -1)).n_samples_fit_ == 60


@pytest.mark.parametrize("shape", [(60,), (20, 3, 3)])
def test_a_masked_array_of_another_shape_is_told_its_shape_first(shape):
    cube = np.ma.array(np.arange(np.prod(shape), dtype=float).reshape(shape))
    cube[(0,) * len(shape)] = np.ma.masked
    with pytest.raises(ValueError, match="must be 2-D"):
        KNNDetector().fit(cube)


def test_masked_values_keep_the_dtype_and_complex_stays_refused():
    masked = _masked().astype(np.float32)
    imputed = Imputer().fit_transform(masked)
    assert imputed.dtype == np.float32 and np.isfinite(imputed).all()
    with pytest.raises(ValueError, match="Complex data not supported"):
        Imputer().fit_transform(_masked() * (1 + 1j))
    integers = np.ma.array(np.arange(12).reshape(4, 3), mask=np.eye(4, 3, dtype=bool))
    assert np.isfinite(Imputer().fit_transform(integers)).all()
