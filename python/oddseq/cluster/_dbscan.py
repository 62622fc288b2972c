"""DBSCAN on the C++ core's neighbour searches.

It searches a uniform grid (low dimensions) or the kd-tree with bounding boxes that
:class:`~oddseq.cluster.NearestNeighbors` indexes (``_neighbors``, where the metric
space is); neighbourhoods are searched, never stored, so memory stays O(n). A distance
is one number whichever search computed it and on whichever CPU (its features are
folded in one fixed order), so exact ties are ties everywhere. For euclidean distances
the kd-tree may lay its boxes along the data's principal axes, when a trial search on a
sample finds that cheaper; distances are still computed on the original coordinates, so
results are the same either way.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._persist import SaveMixin
from ..utils._params import Integer, Options, Real, Threads, validate_params
from ..utils._rows import identical_rows
from ..utils._validation import (
    check_sample_weight,
    resolve_threads,
    validate_matrix,
)
from ._neighbors import METRICS, _MetricSpace

__all__ = ["DBSCAN"]

_DBSCAN_ALGORITHMS = ("auto", "grid", "kdtree", "brute")


class DBSCAN(ClusterMixin, SaveMixin, BaseEstimator):
    """Density-based clustering (DBSCAN) with exact neighbourhoods and O(n) memory.

    A point is a *core point* when at least ``min_samples`` points (itself included; or
    that much ``sample_weight``) lie within ``eps`` of it. Core points within ``eps`` of
    each other share a cluster; a non-core point within ``eps`` of a core point is a
    *border point* and joins the cluster of its nearest core point (ties: the smaller
    row); everything else is noise (label -1). Core points, noise points and the
    partition of core points into clusters are exactly scikit-learn's; border points
    that touch two clusters may differ, since scikit-learn gives them to whichever
    cluster its search reached first.

    Unlike scikit-learn, no neighbourhood is ever stored: core points are found by
    searches that stop once ``min_samples`` is reached, and clusters are the connected
    components of a concurrent union-find, so memory is O(n) and millions of points
    fit. Labels are numbered in order of each cluster's smallest core-point row (as
    scikit-learn's) and do not depend on ``n_threads``. The search runs in float64
    (float32 input is converted once): which points lie within eps must be decided
    exactly as scikit-learn decides it.

    Parameters
    ----------
    eps : float, default=0.5
        Neighbourhood radius (inclusive), in the units of ``metric``.
    min_samples : int, default=5
        Neighbourhood size (or weight) that makes a point core, the point included.
    metric : {"euclidean", "cosine", "manhattan", "chebyshev"}, default="euclidean"
        "cosine" is 1 - cos(a, b); rows must not be all zero.
    algorithm : {"auto", "grid", "kdtree", "brute"}, default="auto"
        "grid": a hashed uniform grid of cells of side eps / sqrt(d), where only nearby
        cells are searched and a cell with ``min_samples`` points is all core (d <= 6).
        "kdtree": a kd-tree pruned by its nodes' bounding boxes (along the principal
        axes where that pays, see the module notes); clusters are joined leaf by leaf.
        "brute": every pair, through the same code. "auto": the grid up to 3
        dimensions, the kd-tree above (the choice is in ``algorithm_``).
    leaf_size : int, default=32
        Points per kd-tree leaf.
    n_threads : int or None, default=None
        OpenMP threads; None uses every core.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_samples,)
        Cluster of each row, -1 for noise.
    core_sample_indices_ : ndarray of int64
        Rows that are core points, ascending.
    components_ : ndarray, shape (n_core, n_features)
        The core points themselves (a copy of those rows of X).
    n_clusters_ : int
    algorithm_ : str
        The search structure that ran ("grid", "kdtree" or "brute").
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [2.0, 2.0], [2.0, 3.0],
    ...               [8.0, 7.0], [8.0, 8.0], [25.0, 80.0]])
    >>> model = DBSCAN(eps=3, min_samples=2).fit(X)
    >>> model.labels_.tolist()
    [0, 0, 0, 1, 1, -1]
    >>> model.predict(np.array([[1.5, 2.5], [50.0, 50.0]])).tolist()
    [0, -1]
    """

    def __init__(
        self,
        eps=0.5,
        min_samples=5,
        *,
        metric="euclidean",
        algorithm="auto",
        leaf_size=32,
        n_threads=None,
    ):
        self.eps = eps
        self.min_samples = min_samples
        self.metric = metric
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.n_threads = n_threads

    # Each parameter's constraint (oddseq.utils._params), checked at the top of fit.
    _parameter_checks = {
        "eps": Real(0, None, closed="neither", finite=True),
        "min_samples": Integer(1),
        "metric": Options(*METRICS),
        "algorithm": Options(*_DBSCAN_ALGORITHMS),
        "leaf_size": Integer(1),
        "n_threads": Threads(),
    }

    def fit(self, X, y=None, sample_weight=None):
        """Cluster X (n_samples, n_features); y is ignored."""
        params = validate_params(self)
        eps, min_samples = params["eps"], params["min_samples"]
        algorithm, leaf_size, threads = (
            params["algorithm"],
            params["leaf_size"],
            params["n_threads"],
        )
        space = _MetricSpace(params["metric"])
        X = validate_matrix(self, X, reset=True)
        weight = check_sample_weight(sample_weight, X.shape[0], np.float64)
        points = space.points(X)
        collapsed = _collapse_duplicates(points, weight)
        search, search_weight = (points, weight) if collapsed is None else collapsed[:2]
        settings = _core.DbscanParams(
            eps=space.radius(eps),
            min_samples=float(min_samples),
            metric=space.core_metric,
            algorithm=algorithm,
            leaf_size=leaf_size,
        )
        run = _core.dbscan(search, search_weight, settings, threads)
        labels, is_core = run.labels, run.is_core
        self._space = space
        # Core points once each for predict (duplicates add nothing there).
        self._core_points = np.ascontiguousarray(search[is_core])
        self._core_labels = np.ascontiguousarray(labels[is_core])
        if collapsed is not None:
            group = collapsed[2]
            labels, is_core = labels[group], is_core[group]
        self.labels_ = labels
        self.core_sample_indices_ = np.flatnonzero(is_core)
        self.components_ = X[self.core_sample_indices_].copy()
        self.n_clusters_ = int(run.n_clusters)
        self.algorithm_ = run.algorithm
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Cluster X and return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def predict(self, X):
        """Cluster of the nearest core point within ``eps`` of each row of X, -1 when
        there is none (new points never become core points or merge clusters).

        scikit-learn's DBSCAN has no ``predict``; this one answers "which known dense
        group does this new entity belong to", with the fitted model unchanged.
        """
        check_is_fitted(self, "labels_")
        X = validate_matrix(self, X, reset=False)
        points = self._space.points(X)
        return _core.dbscan_assign(
            self._core_points,
            self._core_labels,
            points,
            self._space.radius(float(self.eps)),
            self._space.core_metric,
            resolve_threads(self.n_threads),
        )


def _collapse_duplicates(points: np.ndarray, weight):
    """Identical rows as one weighted point, when at least a fifth of the rows repeat.

    Duplicates are common in real features (counts, rounded values) and make every
    search revisit the same coordinates. DBSCAN on the distinct rows with summed weights
    is the same clustering: identical rows share their neighbourhood, core status and
    cluster. Groups are ordered by their first row, so "the smallest core row" numbering
    and the ties of border points are unchanged. Rows are grouped by
    :func:`oddseq.utils._rows.identical_rows` (a 64-bit hash of their values, then
    compared in full). Returns (distinct rows, their weights, group of each row) or
    None.
    """
    n = points.shape[0]
    if n < 64:
        return None
    first, group = identical_rows(points)
    if first.size > 0.8 * n:
        return None  # few repeats: search every row
    distinct = np.ascontiguousarray(points[first])
    ones = np.ones(n) if weight is None else weight
    return distinct, np.bincount(group, weights=ones, minlength=distinct.shape[0]), group
