"""The exact neighbour index (k-nearest and radius queries) and ``suggest_eps``.

Both run on the C++ core's kd-tree with bounding boxes (DBSCAN, in ``_dbscan``, searches
the same core, adding a uniform grid for low dimensions); neighbourhoods are searched,
never stored, so memory stays O(n). A distance is one number whichever search computed
it and on whichever CPU (its features are folded in one fixed order), so exact ties are
ties everywhere. For euclidean distances the kd-tree may lay its boxes along the data's
principal axes, when a trial search on a sample finds that cheaper (correlated features:
kNN on the pipeline's 18 features 6x faster); distances are still computed on the
original coordinates, so results are the same either way. Manhattan distances between rows
of small counts (integers in [0, 255], such as event counts per sequence) are searched by
the core's count index instead (neighbors/count_l1.hpp: rows sorted by their totals, a
bound from 16 group sums: one SAD instruction screens 2 rows with AVX2, 4 with AVX-512),
where the kd-tree's boxes bound almost nothing: the same neighbours, on the count vectors
of 100,000 sequences of 30 event types 20x faster for new queries and 60x for each row's
nearest others.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._persist import SaveMixin
from ..utils._validation import (
    check_positive_float,
    check_positive_int,
    check_random_state,
    resolve_threads,
    validate_matrix,
)

__all__ = ["NearestNeighbors", "suggest_eps"]

METRICS = ("euclidean", "cosine", "manhattan", "chebyshev")
_INDEX_ALGORITHMS = ("auto", "kdtree", "brute")


def _check_choice(value, name: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


class _MetricSpace:
    """How a public metric is searched by the core.

    Cosine distance is searched as euclidean distance between unit vectors, where
    ||a - b||^2 = 2 * (1 - cos(a, b)) = 2 * cosine distance; the others are native.
    """

    def __init__(self, metric: str):
        self.metric = _check_choice(metric, "metric", METRICS)
        self.core_metric = "euclidean" if self.metric == "cosine" else self.metric

    def points(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """float64 C-contiguous rows to search; unit rows for cosine (a new array, so the
        caller's X is never changed)."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        if self.metric != "cosine":
            return X
        norms = np.sqrt(np.einsum("ij,ij->i", X, X))
        zero = np.flatnonzero(norms == 0)
        if zero.size:
            raise ValueError(
                f"{name} has {zero.size} all-zero row(s) (first: row {int(zero[0])}); the "
                "cosine distance of a zero vector is undefined. Drop those rows or use "
                "another metric."
            )
        return X / norms[:, None]

    def radius(self, distance: float) -> float:
        """A public-metric distance as a search radius."""
        return float(np.sqrt(2.0 * distance)) if self.metric == "cosine" else float(distance)

    def distances(self, searched: np.ndarray) -> np.ndarray:
        """Search distances back in the public metric."""
        if self.metric != "cosine":
            return searched
        return np.minimum(0.5 * searched * searched, 2.0)


# What a search returns when its queries were split between two indexes.
_Found = namedtuple("_Found", "distances indices")


_COUNT_INDEX_MAX_COLUMNS = 1024


class _CountSearch:
    """Manhattan neighbours of rows of integers in [0, 255]: the core's CountL1Index for
    queries of such integers, a kd-tree on the same rows (built when first needed) for
    any others. Both give exact distances (integers) and ties to the smaller row, so a
    query's answer does not depend on which index served it. The kd-tree's interface
    (``knn``, ``knn_self``, ``radius_count``)."""

    rotated = False  # the kd-tree's notions, for reports: no frame, no scan
    scans = False

    def __init__(self, points: np.ndarray, leaf_size: int, n_threads: int):
        self._index = _core.CountL1Index(points)
        self._points, self._leaf_size, self._n_threads = points, leaf_size, n_threads
        self._tree = None

    @property
    def size(self) -> int:
        return self._index.size

    @property
    def dim(self) -> int:
        return self._index.dim

    def _split(self, x: np.ndarray):
        """Which queries the count index answers, and the kd-tree for the others."""
        fits = _core.CountL1Index.representable_rows(x)
        if fits.all():
            return fits, None
        if self._tree is None:
            self._tree = _core.KdTree(self._points, "manhattan", self._leaf_size, self._n_threads)
        return fits, self._tree

    def knn_self(self, k: int, n_threads: int):
        return self._index.knn_self(k, n_threads)

    def knn(self, x: np.ndarray, k: int, exclude, n_threads: int):
        fits, tree = self._split(x)
        if tree is None:
            return self._index.knn(x, k, exclude, n_threads)
        distances = np.empty((x.shape[0], k))
        indices = np.empty((x.shape[0], k), dtype=np.int64)
        for rows, index in ((fits, self._index), (~fits, tree)):
            if rows.any():
                skip = None if exclude is None else np.ascontiguousarray(exclude[rows])
                found = index.knn(np.ascontiguousarray(x[rows]), k, skip, n_threads)
                distances[rows], indices[rows] = found.distances, found.indices
        return _Found(distances, indices)

    def radius_count(self, x: np.ndarray, radius: float, n_threads: int):
        fits, tree = self._split(x)
        if tree is None:
            return self._index.radius_count(x, radius, n_threads)
        counts = np.empty(x.shape[0], dtype=np.int64)
        for rows, index in ((fits, self._index), (~fits, tree)):
            if rows.any():
                counts[rows] = index.radius_count(np.ascontiguousarray(x[rows]), radius, n_threads)
        return counts


class NearestNeighbors(SaveMixin, BaseEstimator):
    """Exact k-nearest-neighbour and radius queries on the kd-tree DBSCAN uses.

    Parameters
    ----------
    n_neighbors : int, default=5
        Default k for :meth:`kneighbors`.
    radius : float, default=1.0
        Default radius for :meth:`radius_neighbors_count`.
    metric : {"euclidean", "cosine", "manhattan", "chebyshev"}, default="euclidean"
    algorithm : {"auto", "kdtree", "brute"}, default="auto"
        "brute" compares every pair (a tile of queries over each cache-sized chunk of
        points); "kdtree" searches the tree, and itself turns to that scan for k-nearest
        queries when a trial search on a sample finds the tree visiting most points
        anyway (features that are mostly independent noise); "auto" is "kdtree", except
        for manhattan distances between rows of integers in [0, 255] (counts), searched
        by the core's count index (queries of other values by a kd-tree).
    leaf_size : int, default=32
    n_threads : int or None, default=None

    Neighbours come in (distance, row) order, so ties go to the smaller row and results
    do not depend on the tree or the thread count.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [3.0], [7.0]])
    >>> index = NearestNeighbors(n_neighbors=2).fit(X)
    >>> dist, ind = index.kneighbors()
    >>> ind.tolist()
    [[1, 2], [0, 2], [1, 0], [2, 1]]
    >>> index.radius_neighbors_count(np.array([[2.0]]), radius=1.0).tolist()
    [2]
    """

    def __init__(
        self,
        n_neighbors=5,
        *,
        radius=1.0,
        metric="euclidean",
        algorithm="auto",
        leaf_size=32,
        n_threads=None,
    ):
        self.n_neighbors = n_neighbors
        self.radius = radius
        self.metric = metric
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.n_threads = n_threads

    def fit(self, X, y=None):
        """Index the rows of X; y is ignored."""
        check_positive_int(self.n_neighbors, "n_neighbors")
        check_positive_float(self.radius, "radius")
        space = _MetricSpace(self.metric)
        algorithm = _check_choice(self.algorithm, "algorithm", _INDEX_ALGORITHMS)
        leaf_size = check_positive_int(self.leaf_size, "leaf_size")
        X = validate_matrix(self, X, reset=True)
        points = space.points(X)
        if algorithm == "brute":
            leaf_size = points.shape[0]
        self._space = space
        self._points = points
        self._leaf_size = leaf_size
        self._build_tree()
        self.n_samples_fit_ = X.shape[0]
        return self

    def _build_tree(self):
        threads = resolve_threads(self.n_threads)
        # The count index keeps one slot per possible row total (255 x columns): beyond
        # 1,024 columns (2 MB of slots) the kd-tree serves, as for any other data.
        if (
            self.algorithm == "auto"
            and self._space.core_metric == "manhattan"
            and self._points.shape[1] <= _COUNT_INDEX_MAX_COLUMNS
            and _core.CountL1Index.representable_rows(self._points).all()
        ):
            self._tree = _CountSearch(self._points, self._leaf_size, threads)
            return
        self._tree = _core.KdTree(self._points, self._space.core_metric, self._leaf_size, threads)

    # The C++ tree is not picklable; it is rebuilt from the indexed points on load.
    # These two methods define the saved state for pickle and for save()/oddseq.load
    # (oddseq._persist); unpickling runs code from the file, so share .oddseq files.
    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: the live object keeps its model
        state.pop("_tree", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_points" in state:
            self._build_tree()

    def _queries(self, X):
        check_is_fitted(self, "_tree")
        if X is None:
            return self._points, np.arange(self.n_samples_fit_, dtype=np.int64)
        X = validate_matrix(self, X, reset=False)
        return self._space.points(X), None

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """The k nearest indexed rows of each query, nearest first.

        With X=None the queries are the indexed rows and each skips itself (as in
        scikit-learn). Returns (distances, indices), each (n_queries, k), or only the
        indices when return_distance is False.
        """
        k = check_positive_int(
            self.n_neighbors if n_neighbors is None else n_neighbors, "n_neighbors"
        )
        queries, exclude = self._queries(X)
        available = self.n_samples_fit_ - (exclude is not None)
        if k > available:
            raise ValueError(
                f"n_neighbors={k} exceeds the {available} indexed row(s) available"
                + (" (each row skips itself)" if exclude is not None else "")
            )
        threads = resolve_threads(self.n_threads)
        if X is None:  # the indexed rows themselves: searched in tree order
            found = self._tree.knn_self(k, threads)
        else:
            found = self._tree.knn(queries, k, exclude, threads)
        if not return_distance:
            return found.indices
        return self._space.distances(found.distances), found.indices

    def radius_neighbors_count(self, X=None, radius=None):
        """Number of indexed rows within ``radius`` (inclusive) of each query; with
        X=None the indexed rows, each not counting itself."""
        r = check_positive_float(self.radius if radius is None else radius, "radius")
        queries, exclude = self._queries(X)
        counts = self._tree.radius_count(
            queries, self._space.radius(r), resolve_threads(self.n_threads)
        )
        return counts - 1 if exclude is not None else counts


def suggest_eps(
    X, min_samples=5, *, metric="euclidean", sample_size=20_000, random_state=0, n_threads=None
):
    """An ``eps`` for DBSCAN from the knee of the sorted k-distance curve.

    For each point (or a random sample of ``sample_size`` points, searched against all of
    X) the distance to its (min_samples - 1)-th nearest other point is the smallest eps
    that makes it a core point. Sorted, these distances stay low across the dense
    groups and rise where sparse points begin; the knee is the point of the curve
    farthest below the chord from its first to its last point (both axes scaled to
    [0, 1]), the classic rule of Ester et al. made automatic (Satopaa et al.'s
    "Kneedle").

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> dense = rng.normal(0, 0.1, (500, 2))
    >>> sparse = rng.uniform(-5, 5, (25, 2))
    >>> eps = suggest_eps(np.vstack([dense, sparse]), min_samples=5)
    >>> 0.02 < eps < 0.5
    True
    """
    min_samples = check_positive_int(min_samples, "min_samples", minimum=2)
    sample_size = check_positive_int(sample_size, "sample_size")
    index = NearestNeighbors(metric=metric, n_threads=n_threads)
    index.fit(X)
    n = index.n_samples_fit_
    k = min_samples - 1
    if k > n - 1:
        raise ValueError(f"min_samples={min_samples} needs at least {min_samples} rows, X has {n}")
    if n > sample_size:
        rows = np.sort(check_random_state(random_state).choice(n, sample_size, replace=False))
        dist = index._tree.knn(
            np.ascontiguousarray(index._points[rows]),
            k + 1,
            rows.astype(np.int64),
            resolve_threads(n_threads),
        ).distances
        dist = index._space.distances(dist)[:, :k]
    else:
        dist, _ = index.kneighbors(n_neighbors=k)
    return _knee(np.sort(dist[:, -1]))


def _knee(curve: np.ndarray) -> float:
    """The value of an ascending curve farthest below its chord, axes scaled to [0, 1];
    never 0 (eps must be positive): with duplicated rows the knee can sit on a run of
    zero distances, and then the smallest positive distance is used."""
    low, high = float(curve[0]), float(curve[-1])
    if not high > 0:
        return float(np.finfo(np.float64).tiny)
    knee = high
    if high > low:
        x = np.linspace(0.0, 1.0, curve.size)
        y = (curve - low) / (high - low)
        knee = float(curve[int(np.argmax(x - y))])
    return knee if knee > 0 else float(curve[np.searchsorted(curve, 0.0, side="right")])
