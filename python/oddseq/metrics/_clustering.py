"""Internal measures of a clustering: silhouette, Davies-Bouldin, Calinski-Harabasz.

Each equals scikit-learn's function of the same name (Euclidean distance), but for one
case: a DataFrame X and labels as a pandas Series indexed by the same ids, named alike,
in another order are paired by id, where scikit-learn pairs them by position.
"""

from __future__ import annotations

import numbers
import sys

import numpy as np

from .. import _core
from ..utils._validation import check_matrix, check_random_state, resolve_threads
from ._metrics import paired_by_id

__all__ = [
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "silhouette_samples",
    "silhouette_score",
]


def _check_clustering(X, labels):
    """(X as float32/float64, int32 codes 0..k-1, k) with clear errors. Labels given as a
    pandas Series indexed by the ids of a DataFrame X (named alike) in another order (a
    ranked table's cluster column) are paired with X's rows by id (:func:`paired_by_id`)."""
    pd = sys.modules.get("pandas")  # (no pandas loaded: neither is pandas')
    if pd is not None and isinstance(X, pd.DataFrame) and isinstance(labels, pd.Series):
        labels = paired_by_id(
            labels, pd.Series(np.zeros(len(X.index)), index=X.index), ("labels", "X")
        )
    X = check_matrix(X)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
        raise ValueError(
            f"labels must be 1-D with one entry per row of X ({X.shape[0]}), got shape "
            f"{labels.shape}"
        )
    _, codes = np.unique(labels, return_inverse=True)
    k = int(codes.max()) + 1
    if not 2 <= k <= X.shape[0] - 1:
        raise ValueError(
            f"Number of labels is {k}. Valid values are 2 to n_samples - 1 (inclusive): "
            "these scores compare clusters with each other"
        )
    return X, np.ascontiguousarray(codes, dtype=np.int32), k


def _centroids(X, codes, k):
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    sums = np.zeros((k, X.shape[1]), dtype=np.float64)
    np.add.at(sums, codes, X)
    return sums / counts[:, None], counts


def silhouette_samples(X, labels, *, n_threads=None):
    """Silhouette coefficient of every row, in C++ with O(n) memory (no n x n matrix).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> silhouette_samples(X, [0, 0, 1, 1]).round(3).tolist()
    [0.98, 0.98, 0.98, 0.98]
    """
    X, codes, k = _check_clustering(X, labels)
    return _core.silhouette_samples(X, codes, k, resolve_threads(n_threads))


def silhouette_score(X, labels, *, sample_size=None, random_state=None, n_threads=None):
    """Mean silhouette coefficient; with ``sample_size``, computed on a random subset of
    that many rows (exact otherwise: O(n^2 d) time, O(n) memory).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> round(silhouette_score(X, [0, 0, 1, 1]), 3)
    0.98
    """
    X, codes, k = _check_clustering(X, labels)
    if sample_size is not None:
        if (
            isinstance(sample_size, bool)
            or not isinstance(sample_size, numbers.Integral)
            or not (2 <= sample_size <= X.shape[0])
        ):
            raise ValueError(
                f"sample_size must be an int in [2, {X.shape[0]}], got {sample_size!r}"
            )
        rows = check_random_state(random_state).permutation(X.shape[0])[:sample_size]
        X, codes = np.ascontiguousarray(X[rows]), codes[rows]
        _, codes = np.unique(codes, return_inverse=True)
        codes = np.ascontiguousarray(codes, dtype=np.int32)
        k = int(codes.max()) + 1
        if k < 2:
            raise ValueError("the sample holds a single cluster; use a larger sample_size")
    return float(np.mean(_core.silhouette_samples(X, codes, k, resolve_threads(n_threads))))


def calinski_harabasz_score(X, labels):
    """Ratio of between-cluster to within-cluster dispersion (higher = better separated).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> calinski_harabasz_score(X, [0, 0, 1, 1])
    200.0
    """
    X, codes, k = _check_clustering(X, labels)
    X = X.astype(np.float64, copy=False)
    centroids, counts = _centroids(X, codes, k)
    mean = X.mean(axis=0)
    between = float(np.sum(counts * np.sum((centroids - mean) ** 2, axis=1)))
    within = float(np.sum((X - centroids[codes]) ** 2))
    n = X.shape[0]
    return 1.0 if within == 0.0 else between * (n - k) / (within * (k - 1))


def davies_bouldin_score(X, labels):
    """Average over clusters of the worst ratio of within-cluster scatter to
    between-centroid distance (lower = better separated).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> davies_bouldin_score(X, [0, 0, 1, 1])
    0.1
    """
    X, codes, k = _check_clustering(X, labels)
    X = X.astype(np.float64, copy=False)
    centroids, counts = _centroids(X, codes, k)
    scatter = (
        np.bincount(codes, weights=np.linalg.norm(X - centroids[codes], axis=1), minlength=k)
        / counts
    )
    gaps = np.sqrt(((centroids[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2))
    if np.allclose(scatter, 0) or np.allclose(gaps, 0):
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (scatter[:, None] + scatter[None, :]) / gaps
    ratio[~np.isfinite(ratio)] = 0.0
    np.fill_diagonal(ratio, 0.0)
    return float(np.mean(ratio.max(axis=1)))
