"""Principal component analysis from the covariance matrix."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._persist import SaveMixin
from ..utils._params import Boolean
from ..utils._stats import n_components_for
from ..utils._validation import check_matrix, resolve_threads, validate_matrix

__all__ = ["PCA"]


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
        Boolean().check(self.whiten, "whiten")
        X = validate_matrix(self, X, reset=True)
        n, d = X.shape
        if n < 2:
            raise ValueError(f"PCA needs at least 2 samples, got {n} sample(s)")
        wanted = d if self.n_components is None else self.n_components
        n_components_for(wanted, np.zeros(0), 0.0, d)  # checks wanted before the work
        fixed = isinstance(wanted, numbers.Integral)
        k = int(wanted) if fixed else d
        run = _core.pca_fit(X, k, resolve_threads(self.n_threads))
        components, variance, total = run.components, run.explained_variance, run.total_variance
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        if not fixed:
            k = n_components_for(wanted, variance, total, d)
            components, variance, ratio = components[:k], variance[:k], ratio[:k]
        self.mean_ = run.mean
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
