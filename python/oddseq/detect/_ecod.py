"""ECOD: outliers by the empirical tail probabilities of each feature (Li et al. 2022)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..utils._validation import validate_matrix
from ._base import BaseDetector, Explanation, TrainingStats

__all__ = ["ECOD"]


def _skewness_sign(X: np.ndarray) -> np.ndarray:
    """Sign of each column's (biased) sample skewness, 0 where the column is constant up
    to rounding or its skewness is within the rounding error of the sums (a symmetric
    column: PyOD takes the sign of that noise, so its scores change with the row
    order). (oddseq.dask adds the same sums up over partitions in the same row order:
    numpy sums a matrix's columns row after row.)"""
    x = X.astype(np.float64, copy=False)
    mean = x.mean(axis=0)
    scale = _deviation_scale(np.abs(x - mean).max(axis=0))
    powers = _centred_powers(x, mean, scale)
    return _sign_of_skewness(mean, scale, *(p.mean(axis=0) for p in powers), len(x))


def _deviation_scale(max_deviation: np.ndarray) -> np.ndarray:
    """Each column's power of two near its largest deviation from the mean: dividing by
    it is exact, so the signs are unchanged, and the cubes of large values no longer
    overflow."""
    _, exponent = np.frexp(max_deviation)
    return np.ldexp(1.0, exponent)


def _centred_powers(x: np.ndarray, mean: np.ndarray, scale: np.ndarray):
    """The squared and cubed deviations from the mean, in units of ``scale``."""
    centred = (x - mean) / scale
    squared = centred**2
    return squared, squared * centred


def _sign_of_skewness(mean, scale, m2, m3, n: int) -> np.ndarray:
    """The skewness' sign from the moments of the deviations in units of ``scale``
    (each deviation at most 1 in size) of ``n`` rows."""
    eps = np.finfo(np.float64).eps
    relative_mean = np.abs(mean / scale)
    constant = m2 <= (eps * relative_mean) ** 2
    # How far summation order alone can move m3: the mean is off by up to about
    # n eps (|mean| + scale), which shifts m3 by 3 m2 times that (the deviations sum
    # to zero), and the cubes' own sum by n eps m2 (each |cube| <= its square). A
    # third moment within four times that bound is taken as zero.
    noise = 4.0 * n * eps * m2 * (3.0 * relative_mean + 4.0)
    symmetric = np.abs(m3) <= noise
    with np.errstate(divide="ignore", invalid="ignore"):
        skewness = np.where(constant | symmetric, 0.0, m3 / m2**1.5)
    return np.sign(np.nan_to_num(skewness))


def _tails_from_counts(left, right, n: int, skewness_sign) -> np.ndarray:
    """Per row and feature the -log tail probability that counts (n_rows x d), from
    ``left`` and ``right`` (d x n_rows, float64, overwritten): how many of the n
    training values are <= and >= each value."""
    # Beyond the training range: as extreme as the most extreme training value.
    for counts in (left, right):
        np.maximum(counts, 1.0, out=counts)
        counts /= n
        np.log(counts, out=counts)
        np.negative(counts, out=counts)
    # PyOD's max(U_left, U_right, U_skew) with U_skew the left tail for negative
    # skewness, the right one for positive and their sum for none: as both are >= 0,
    # that is max(U_left, U_right), or U_left + U_right where the skewness is 0.
    both = skewness_sign == 0
    summed = left[both] + right[both]
    np.maximum(left, right, out=left)
    left[both] = summed
    return left.T


class ECOD(TrainingStats, BaseDetector):
    """Empirical-CDF outlier detection: how far into a tail of each feature a row lies.

    Parameter-free (Li, Zhao, Hu, Botta, Ionescu & Chen, "ECOD: Unsupervised Outlier
    Detection Using Empirical Cumulative Distribution Functions", TKDE 2022). For each
    feature the left tail probability F(x) = P(X <= x) and the right one P(X >= x) under
    the training data's empirical distribution, and the tail chosen by the sign of the
    feature's skewness (left for negative skew, right for positive, both summed for
    none). Per feature the largest of -log of the left, the right and the skew-chosen
    tail probability counts; a row's score is the sum over features, so higher is more
    anomalous. This is PyOD's ``pyod.models.ecod.ECOD`` (its training scores are the
    same to rounding).

    New rows are scored against the training distribution (sorted training columns and
    ``np.searchsorted``), not re-ranked together with the training rows as PyOD does; a
    value beyond the training range counts as the most extreme training value (tail
    probability 1 / n_samples), so ``decision_function`` on the training rows gives
    ``decision_scores_`` again.

    Parameters
    ----------
    contamination : float in (0, 0.5] or "auto", default="auto"
        "auto" applies :class:`BaseDetector`'s default rule on the training scores (ECOD
        has no natural cut of its own); a float flags that share of the training rows.

    Attributes
    ----------
    sorted_columns_ : ndarray of shape (n_features, n_samples)
        Each training column sorted, one per row (the empirical distributions).
    skewness_sign_ : ndarray of shape (n_features,)
        -1, 0 or 1: which tail the skewness picks per feature.
    median_, feature_scale_ : ndarray of shape (n_features,)
        Training median and robust spread per feature (:meth:`explain`).
    decision_scores_, labels_, threshold_ : PyOD's fitted attributes

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 3)), [[2.0, 7.0, 0.0]]])
    >>> det = ECOD(contamination=0.01).fit(X)
    >>> bool(det.labels_[300])
    True
    >>> det.explain(X[-1:], top=2)["feature"].tolist()
    ['x1', 'x0']
    """

    def __init__(self, *, contamination="auto"):
        self.contamination = contamination

    def fit(self, X, y=None):
        self._validate_params()
        X = validate_matrix(self, X, reset=True)
        columns = np.ascontiguousarray(X.T)
        order = np.argsort(columns, axis=1)
        self.sorted_columns_ = np.take_along_axis(columns, order, axis=1)
        self.skewness_sign_ = _skewness_sign(X)
        self._feature_stats = None
        self._set_threshold(self._tail_scores(columns, order).sum(axis=1))
        return self

    def _tail_scores(self, columns, order=None):
        """Per row and feature the -log tail probability that counts (n x d), for the
        rows whose columns are ``columns`` (d x n); ``order`` sorts each column. Sorted
        queries make the binary searches walk the training column in order."""
        reference = self.sorted_columns_
        n = reference.shape[1]
        if order is None:
            order = np.argsort(columns, axis=1)
        left = np.empty(columns.shape, dtype=np.float64)
        right = np.empty(columns.shape, dtype=np.float64)
        for j in range(columns.shape[0]):
            keys = columns[j, order[j]]
            left[j, order[j]] = np.searchsorted(reference[j], keys, side="right")
            right[j, order[j]] = n - np.searchsorted(reference[j], keys, side="left")
        return _tails_from_counts(left, right, n, self.skewness_sign_)

    def decision_function(self, X):
        """Sum over features of the -log tail probabilities (higher = more anomalous)."""
        check_is_fitted(self, "sorted_columns_")
        X = validate_matrix(self, X, reset=False)
        return self._tail_scores(np.ascontiguousarray(X.T)).sum(axis=1)

    def _stats_rows(self):
        check_is_fitted(self, "sorted_columns_")
        return self.sorted_columns_.T

    def _explain(self, X) -> Explanation:
        """The features in whose tails each row lies deepest: per feature the -log tail
        probability that enters the score as the contribution, the training median as
        ``typical``."""
        return self._explained(X, self._tail_scores(np.ascontiguousarray(X.T)))

    def _explained(self, X, contribution) -> Explanation:
        """The explanation of rows X whose tail scores are ``contribution``."""
        X = X.astype(np.float64, copy=False)
        typical = np.broadcast_to(self.median_, X.shape)
        return Explanation(X, typical, contribution, self.feature_scale_)
