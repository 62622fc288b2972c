"""Scalers for the step before clustering and scoring."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._persist import SaveMixin
from ..utils._exact import mean_std
from ..utils._params import Boolean
from ..utils._validation import resolve_threads, validate_matrix
from ._base import _FloatTransformer

__all__ = ["LogScaler", "MinMaxScaler", "RobustScaler", "StandardScaler"]


class StandardScaler(OneToOneFeatureMixin, TransformerMixin, SaveMixin, BaseEstimator):
    """Centre each feature on its mean and divide by its standard deviation.

    Constant features get a scale of 1 (they become 0 after centring) rather than a
    division by zero. float32 stays float32; the mean and standard deviation are exact
    (each rounded once to float64), so they are the same bits however the rows are
    ordered or split (oddseq.dask adds them up over partitions).

    Examples
    --------
    >>> import numpy as np
    >>> StandardScaler().fit_transform(np.array([[0.0], [2.0]])).ravel().tolist()
    [-1.0, 1.0]
    """

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        X = validate_matrix(self, X, reset=True)
        return self._set_moments(*mean_std(X))

    def _set_moments(self, mean, std):
        """The fitted state from each feature's mean and standard deviation (float64),
        however they were computed (here, or added up over partitions by oddseq.dask)."""
        for name in ("with_mean", "with_std"):
            Boolean().check(getattr(self, name), name)
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        self.n_features_in_ = mean.shape[0]
        self.mean_ = mean if self.with_mean else np.zeros_like(mean)
        self.scale_ = np.where(std > 0, std, 1.0) if self.with_std else np.ones_like(std)
        self.var_ = std**2
        return self

    def transform(self, X):
        check_is_fitted(self, "scale_")
        X = validate_matrix(self, X, reset=False)
        out = (X - self.mean_.astype(X.dtype)) / self.scale_.astype(X.dtype)
        return out.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        check_is_fitted(self, "scale_")
        X = validate_matrix(self, X, reset=False)
        return self.inverse_transform_at(X, np.arange(X.shape[1])).astype(X.dtype)

    def inverse_transform_at(self, values, columns):
        """inverse_transform of single values, each of the feature its entry of
        ``columns`` names (element-wise, so only the cells needed are mapped back:
        the reasons map a few features per row; broadcasts, so a whole matrix is
        ``values`` with ``columns = arange(n_features)``).

        Examples
        --------
        >>> import numpy as np
        >>> scaler = StandardScaler().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> scaler.inverse_transform_at(np.array([1.0, -1.0]), np.array([1, 0])).tolist()
        [30.0, 0.0]
        """
        return values * self.scale_[columns].astype(values.dtype) + self.mean_[columns].astype(
            values.dtype
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class LogScaler(OneToOneFeatureMixin, TransformerMixin, SaveMixin, BaseEstimator):
    """``log1p`` of counts and other heavy-tailed features.

    Parameters
    ----------
    signed : bool, default=False
        False: values must be non-negative (a ValueError names the features that are
        not). True: ``sign(x) * log1p(|x|)``, the symmetric log, for features that can
        be negative (correlations, differences).
    linear : array of int, optional
        Features passed through on their own scale (the pipeline's side attributes that
        are not heavy-tailed: an account age spread evenly over 30-2,000 days, whose log
        would stretch its low end into outliers).

    Examples
    --------
    >>> import numpy as np
    >>> LogScaler().fit_transform(np.array([[0.0], [np.e - 1]])).ravel().tolist()
    [0.0, 1.0]
    >>> LogScaler(signed=True).fit_transform(np.array([[1 - np.e]])).ravel().tolist()
    [-1.0]
    """

    # (a model saved before linear= was a parameter logs every feature)
    linear = None

    def __init__(self, *, signed=False, linear=None):
        self.signed = signed
        self.linear = linear

    def _linear(self) -> np.ndarray:
        """The features passed through (``linear``) as an array of column indices."""
        if self.linear is None:
            return np.zeros(0, dtype=np.int64)
        linear = np.asarray(self.linear)
        if linear.size == 0:  # ([] or (): none, as None)
            return np.zeros(0, dtype=np.int64)
        if linear.dtype == bool:
            linear = np.flatnonzero(linear)
        if linear.dtype.kind not in "iu" or linear.ndim != 1:
            raise TypeError(
                f"linear must be column indices (ints) or a boolean mask, got {self.linear!r}"
            )
        return linear.astype(np.int64)

    def fit(self, X, y=None):
        Boolean().check(self.signed, "signed")
        # (elementwise: any finite value, a value column in wei at 1e19 too; trial s40 F5)
        X = validate_matrix(self, X, reset=True, squares=False)
        linear = self._linear()
        if linear.size and (linear.min() < 0 or linear.max() >= X.shape[1]):
            raise ValueError(
                f"linear holds columns outside the {X.shape[1]} features: {linear.tolist()}"
            )
        self._check_non_negative(X)
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_in_")
        X = validate_matrix(self, X, reset=False, squares=False)
        self._check_non_negative(X)
        # In C++, each value's log1p in float64 rounded once to X's dtype: the function
        # the live stream scales with (oddseq.stream), so both give the same bits.
        out = _core.log1p(np.ascontiguousarray(X), self.signed, resolve_threads(None))
        linear = self._linear()
        if linear.size:
            out[:, linear] = X[:, linear]
        return out

    def inverse_transform(self, X):
        check_is_fitted(self, "n_features_in_")
        X = validate_matrix(self, X, reset=False)
        return self.inverse_transform_at(X, np.arange(X.shape[1]))

    def inverse_transform_at(self, values, columns):
        """inverse_transform of single values, each of the feature its entry of
        ``columns`` names (the log is the same for every column but those left
        ``linear``; broadcasts as :meth:`StandardScaler.inverse_transform_at`).

        Examples
        --------
        >>> import numpy as np
        >>> LogScaler(signed=True).fit(np.zeros((2, 3))).inverse_transform_at(
        ...     np.array([-np.log(2.0)]), np.array([2])).tolist()
        [-1.0]
        """
        linear = self._linear()
        if linear.size and columns is None:
            raise ValueError(
                "columns is needed where linear columns are set: give each value's column"
            )
        # (a linear column's values can be far past the log's range: their exp, thrown
        # away below, may overflow)
        with np.errstate(over="ignore" if linear.size else "warn"):
            if self.signed:
                out = np.sign(values) * np.expm1(np.abs(values))
            else:
                out = np.expm1(values)
        if linear.size:
            out = np.where(np.isin(columns, linear), values, out)
        return out

    def _check_non_negative(self, X):
        if self.signed:
            return
        negative = (X < 0).any(axis=0)
        negative[self._linear()] = False  # (on their own scale: any sign)
        if negative.any():
            raise ValueError(
                "Negative values in data passed to LogScaler: feature(s) "
                f"{np.flatnonzero(negative).tolist()} have negative values; log1p needs "
                "non-negative counts. Use LogScaler(signed=True) or StandardScaler for "
                "signed features."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.positive_only = not self.signed
        return tags


class MinMaxScaler(_FloatTransformer):
    """Scale each feature to [0, 1] from its training minimum and maximum (constant
    features map to 0).

    Examples
    --------
    >>> import numpy as np
    >>> MinMaxScaler().fit_transform(np.array([[1.0], [3.0], [2.0]])).ravel().tolist()
    [0.0, 1.0, 0.5]
    """

    def fit(self, X, y=None):
        X = validate_matrix(self, X, reset=True)
        self.data_min_ = X.min(axis=0).astype(np.float64)
        self.data_max_ = X.max(axis=0).astype(np.float64)
        span = self.data_max_ - self.data_min_
        self.scale_ = np.where(span > 0, span, 1.0)
        return self

    def transform(self, X):
        check_is_fitted(self, "scale_")
        X = validate_matrix(self, X, reset=False)
        return ((X - self.data_min_) / self.scale_).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        check_is_fitted(self, "scale_")
        X = validate_matrix(self, X, reset=False)
        return (X * self.scale_ + self.data_min_).astype(X.dtype, copy=False)


class RobustScaler(_FloatTransformer):
    """Centre on the median and divide by the interquartile range: outliers (the odd
    entities themselves) barely move the scale. Features with zero IQR keep scale 1.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    >>> RobustScaler().fit_transform(X).ravel().tolist()
    [-1.0, -0.5, 0.0, 0.5, 498.5]
    """

    def fit(self, X, y=None):
        X = validate_matrix(self, X, reset=True)
        q1, median, q3 = np.percentile(X.astype(np.float64), [25, 50, 75], axis=0)
        self.center_ = median
        iqr = q3 - q1
        self.scale_ = np.where(iqr > 0, iqr, 1.0)
        return self

    def transform(self, X):
        check_is_fitted(self, "scale_")
        X = validate_matrix(self, X, reset=False)
        return ((X - self.center_) / self.scale_).astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        check_is_fitted(self, "scale_")
        X = validate_matrix(self, X, reset=False)
        return (X * self.scale_ + self.center_).astype(X.dtype, copy=False)
