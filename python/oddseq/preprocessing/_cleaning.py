"""Data cleaning: missing values filled (Imputer) and outlying values clipped, blanked or
dropped (OutlierClipper)."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from ..utils._validation import validate_matrix
from ._base import _FloatTransformer

__all__ = ["Imputer", "OutlierClipper"]


class Imputer(_FloatTransformer):
    """Fill missing values (NaN) per feature.

    Parameters
    ----------
    strategy : {"mean", "median", "most_frequent", "constant", "ffill", "interpolate"}
        "ffill" carries the last seen value forward and "interpolate" draws a straight
        line between neighbours, both down the rows (time order), within each entity when
        ``transform(X, groups=...)`` names the entity of every row (its rows need not be
        together: a log in time order interleaves them); leading gaps take the first value
        after them, and an entity without any value the statistic of "mean". The others
        fill with a statistic learnt in fit.
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
        if not math.isfinite(self.fill_value):
            raise ValueError(f"fill_value must be a finite number, got {self.fill_value!r}")
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
            # Each entity's rows in their order, wherever they lie: a log in time order
            # interleaves its entities (filled along runs of one group, every such row
            # was a run of its own and took the fitted statistic).
            order, starts = _group_rows(groups, array.shape[0])
            for begin, end in zip(starts[:-1], starts[1:]):
                rows = order[begin:end]
                for j in np.flatnonzero(missing[rows].any(axis=0)):
                    array[rows, j] = _fill_along(array[rows, j], self.strategy, self.statistics_[j])
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


def _group_rows(groups, n):
    """The rows grouped by entity, each entity's in their own order, and where each
    entity's rows start in that order (and the end)."""
    if groups is None:
        return np.arange(n), np.array([0, n])
    values = np.asarray(groups)
    if values.shape != (n,):
        raise ValueError(f"groups must have one entry per row ({n}), got shape {values.shape}")
    codes = pd.factorize(values)[0]  # a missing group (-1) is one group of its own
    order = np.argsort(codes, kind="stable")
    change = np.flatnonzero(codes[order][1:] != codes[order][:-1]) + 1
    return order, np.concatenate([[0], change, [n]])


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
        given = X
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
        kept = ~outside.any(axis=1)
        if (
            isinstance(given, pd.DataFrame)
            and _get_output_config("transform", self)["dense"] == "pandas"
        ):
            # set_output(transform="pandas") labels the rows with the input's index, one
            # per input row: the kept rows keep their own labels here.
            return pd.DataFrame(
                X[kept], index=given.index[kept], columns=self.get_feature_names_out()
            )
        return X[kept]
