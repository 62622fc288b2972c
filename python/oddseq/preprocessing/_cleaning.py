"""More preprocessing: MinMax and robust scaling, PCA, imputation, outlier clipping."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._persist import SaveMixin
from ..utils._stats import n_components_for
from ..utils._validation import check_matrix, resolve_threads, validate_matrix

__all__ = ["Imputer", "MinMaxScaler", "OutlierClipper", "PCA", "RobustScaler"]


class _FloatTransformer(OneToOneFeatureMixin, TransformerMixin, SaveMixin, BaseEstimator):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
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


class PCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, SaveMixin, BaseEstimator):
    """Principal component analysis from the covariance matrix (C++, Eigen): the
    reduction before clustering, and the residual space for PCA-based detectors.

    Parameters
    ----------
    n_components : int, float in (0, 1) or None, default=None
        Components to keep; a float keeps enough to explain that share of the variance;
        None keeps all.
    whiten : bool, default=False
        Divide each component by its standard deviation.
    n_threads : int, optional

    Attributes
    ----------
    components_, explained_variance_, explained_variance_ratio_, mean_, n_components_

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)) * [5.0, 1.0, 0.1]
    >>> pca = PCA(n_components=0.9).fit(X)
    >>> pca.n_components_, pca.transform(X).shape
    (1, (200, 1))
    """

    def __init__(self, n_components=None, *, whiten=False, n_threads=None):
        self.n_components = n_components
        self.whiten = whiten
        self.n_threads = n_threads

    def fit(self, X, y=None):
        X = validate_matrix(self, X, reset=True)
        n, d = X.shape
        if n < 2:
            raise ValueError(f"PCA needs at least 2 samples, got {n} sample(s)")
        wanted = d if self.n_components is None else self.n_components
        n_components_for(wanted, np.zeros(0), 0.0, d)  # checks wanted before the work
        fixed = isinstance(wanted, numbers.Integral)
        k = int(wanted) if fixed else d
        mean, components, variance, total = _core.pca_fit(X, k, resolve_threads(self.n_threads))
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        if not fixed:
            k = n_components_for(wanted, variance, total, d)
            components, variance, ratio = components[:k], variance[:k], ratio[:k]
        self.mean_ = mean
        self.components_ = components.astype(X.dtype)
        self.explained_variance_ = variance
        self.explained_variance_ratio_ = ratio
        self.n_components_ = k
        return self

    def transform(self, X):
        check_is_fitted(self, "components_")
        X = validate_matrix(self, X, reset=False)
        projected = (X - self.mean_.astype(X.dtype)) @ self.components_.astype(X.dtype).T
        if self.whiten:
            projected /= self._whitening_scale(X.dtype)
        return projected

    def _whitening_scale(self, dtype) -> np.ndarray:
        """Each component's standard deviation in ``dtype``; 1 where it is zero or too
        small for ``dtype`` (a component without spread projects to 0, not 0/0 = NaN)."""
        scale = np.sqrt(self.explained_variance_).astype(dtype)
        scale[~(scale >= np.finfo(dtype).tiny)] = 1
        return scale

    def inverse_transform(self, X):
        check_is_fitted(self, "components_")
        X = check_matrix(X)
        if X.shape[1] != self.n_components_:
            raise ValueError(f"X has {X.shape[1]} columns, expected {self.n_components_}")
        if self.whiten:
            X = X * self._whitening_scale(X.dtype)
        return X @ self.components_ + self.mean_

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class Imputer(_FloatTransformer):
    """Fill missing values (NaN) per feature.

    Parameters
    ----------
    strategy : {"mean", "median", "most_frequent", "constant", "ffill", "interpolate"}
        "ffill" carries the last seen value forward and "interpolate" draws a straight
        line between neighbours, both down the rows (time order), restarting at each new
        group when ``transform(X, groups=...)`` names the entity of every row; leading
        gaps take the first value after them. The others fill with a statistic learnt in
        fit.
    fill_value : float, default=0.0
        For "constant", and for features that are all NaN in fit (documented result:
        such features become fill_value instead of raising).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [np.nan], [3.0]])
    >>> Imputer(strategy="mean").fit_transform(X).ravel().tolist()
    [1.0, 2.0, 3.0]
    >>> Imputer(strategy="ffill").fit_transform(X).ravel().tolist()
    [1.0, 1.0, 3.0]
    """

    _STRATEGIES = ("mean", "median", "most_frequent", "constant", "ffill", "interpolate")

    def __init__(self, strategy="mean", fill_value=0.0):
        self.strategy = strategy
        self.fill_value = fill_value

    def _check(self, X, reset):
        if self.strategy not in self._STRATEGIES:
            raise ValueError(f"strategy must be one of {self._STRATEGIES}, got {self.strategy!r}")
        if isinstance(self.fill_value, bool) or not isinstance(self.fill_value, numbers.Real):
            raise TypeError(f"fill_value must be a number, got {self.fill_value!r}")
        return validate_matrix(self, X, reset=reset, allow_nan=True)

    def fit(self, X, y=None):
        array = self._check(X, reset=True)
        missing = np.isnan(array)
        statistics = np.full(array.shape[1], float(self.fill_value))
        for j in range(array.shape[1]):
            present = array[~missing[:, j], j]
            if present.size == 0 or self.strategy == "constant":
                continue
            if self.strategy in ("mean", "ffill", "interpolate"):
                statistics[j] = present.mean()
            elif self.strategy == "median":
                statistics[j] = np.median(present)
            else:
                values, counts = np.unique(present, return_counts=True)
                statistics[j] = values[np.argmax(counts)]
        self.statistics_ = statistics
        return self

    def transform(self, X, groups=None):
        check_is_fitted(self, "statistics_")
        array = self._check(X, reset=False).copy()
        missing = np.isnan(array)
        if not missing.any():
            return array
        if self.strategy in ("ffill", "interpolate"):
            starts = _group_starts(groups, array.shape[0])
            for begin, end in zip(starts[:-1], starts[1:]):
                block = array[begin:end]
                for j in np.flatnonzero(missing[begin:end].any(axis=0)):
                    block[:, j] = _fill_along(block[:, j], self.strategy, self.statistics_[j])
            return array
        rows, cols = np.nonzero(missing)
        array[rows, cols] = self.statistics_[cols]
        return array

    def fit_transform(self, X, y=None, groups=None):
        return self.fit(X).transform(X, groups=groups)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _group_starts(groups, n):
    if groups is None:
        return np.array([0, n])
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise ValueError(f"groups must have one entry per row ({n}), got shape {groups.shape}")
    change = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    return np.concatenate([[0], change, [n]])


def _fill_along(column, strategy, fallback):
    present = np.flatnonzero(~np.isnan(column))
    if present.size == 0:
        return np.full_like(column, fallback)
    positions = np.arange(column.size)
    if strategy == "interpolate":
        return np.interp(positions, present, column[present]).astype(column.dtype)
    # Forward fill: the last present index at or before each row; leading gaps backfill.
    last = np.maximum.accumulate(np.where(~np.isnan(column), positions, -1))
    last = np.where(last < 0, present[0], last)
    return column[last]


class OutlierClipper(_FloatTransformer):
    """Find values far from typical per feature and clip them, blank them or drop their
    rows, with a report of what it touched.

    Parameters
    ----------
    method : {"zscore", "iqr"}, default="zscore"
        "zscore": beyond ``threshold`` standard deviations from the mean; "iqr": outside
        [Q1 - k IQR, Q3 + k IQR] (Tukey's fences).
    threshold : float, default=3.0
    k : float, default=1.5
    action : {"clip", "nan", "drop"}, default="clip"
        "drop" removes rows with any outlying value (so it changes the number of rows:
        use it on training data, not inside a pipeline that scores every row).

    Attributes
    ----------
    lower_, upper_ : the fences per feature
    report_ : dict, feature -> number of training values outside the fences (the values
        ``transform`` touches on the training data); ``outlier_counts(X)`` gives the
        same for any X.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])
    >>> clipper = OutlierClipper(method="iqr").fit(X)
    >>> clipper.transform(X).ravel().tolist(), clipper.report_
    ([1.0, 2.0, 3.0, 4.0, 7.0], {'x0': 1})
    """

    def __init__(self, method="zscore", threshold=3.0, k=1.5, action="clip"):
        self.method = method
        self.threshold = threshold
        self.k = k
        self.action = action

    def fit(self, X, y=None):
        if self.method not in ("zscore", "iqr"):
            raise ValueError(f"method must be 'zscore' or 'iqr', got {self.method!r}")
        if self.action not in ("clip", "nan", "drop"):
            raise ValueError(f"action must be 'clip', 'nan' or 'drop', got {self.action!r}")
        for name in ("threshold", "k"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
                raise ValueError(f"{name} must be a number > 0, got {value!r}")
        X = validate_matrix(self, X, reset=True).astype(np.float64)
        if self.method == "zscore":
            mean, std = X.mean(axis=0), X.std(axis=0)
            self.lower_, self.upper_ = mean - self.threshold * std, mean + self.threshold * std
        else:
            q1, q3 = np.percentile(X, [25, 75], axis=0)
            iqr = q3 - q1
            self.lower_, self.upper_ = q1 - self.k * iqr, q3 + self.k * iqr
        self.report_ = self._counts(X)
        return self

    def _counts(self, X):
        outside = (X < self.lower_.astype(X.dtype)) | (X > self.upper_.astype(X.dtype))
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(X.shape[1])]
        return {str(n): int(c) for n, c in zip(names, outside.sum(axis=0)) if c}

    def outlier_counts(self, X):
        """Per feature, how many values of X lie outside the fences (only the features
        that have any)."""
        check_is_fitted(self, "lower_")
        return self._counts(validate_matrix(self, X, reset=False))

    def transform(self, X):
        check_is_fitted(self, "lower_")
        X = validate_matrix(self, X, reset=False)
        low = self.lower_.astype(X.dtype)
        high = self.upper_.astype(X.dtype)
        outside = (X < low) | (X > high)
        if self.action == "clip":
            return np.clip(X, low, high)
        if self.action == "nan":
            out = X.copy()
            out[outside] = np.nan
            return out
        return X[~outside.any(axis=1)]
