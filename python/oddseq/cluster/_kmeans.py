"""K-means (Lloyd) with greedy k-means++ seeding; the iterations run in C++."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._persist import SaveMixin
from ..exceptions import ConvergenceWarning
from ..utils._params import Check, Integer, Options, Real, Threads, validate_params
from ..utils._stacklevel import user_stacklevel
from ..utils._validation import (
    check_positive_int,
    check_random_state,
    check_sample_weight,
    resolve_threads,
    validate_matrix,
)

__all__ = ["KMeans", "kmeans_plusplus"]

_SEED_LIMIT = np.iinfo(np.int32).max

# Rows per block of row_inertia's double deviations (a few MB at 40 features).
_INERTIA_BLOCK = 16_384


def row_inertia(X, centers, labels, sample_weight=None) -> np.ndarray:
    """Each row's (weighted) squared distance to its centre, in double: the deviations
    of the row's values from its centre's, squared and added column by column in
    column order, times the row's weight. A row's value depends on that row, its centre
    and its weight alone, so oddseq.dask computes it per partition to the same bits."""
    X = np.asarray(X)
    centers = np.asarray(centers, dtype=np.float64)
    labels = np.asarray(labels)
    out = np.zeros(X.shape[0])
    for start in range(0, X.shape[0], _INERTIA_BLOCK):
        end = min(start + _INERTIA_BLOCK, X.shape[0])
        deviation = X[start:end].astype(np.float64) - centers[labels[start:end]]
        deviation *= deviation
        for j in range(deviation.shape[1]):
            out[start:end] += deviation[:, j]
    if sample_weight is not None:
        out *= np.asarray(sample_weight, dtype=np.float64)
    return out


def restart_inertia(row_values) -> float:
    """The inertia by which K-means restarts are told apart: the correctly rounded sum
    (``math.fsum``) of :func:`row_inertia`'s values, the same whatever the order or
    partitioning of the rows. ``kmeans_fit``'s own inertia (``inertia_``) adds float
    distances in chunks, and oddseq.dask's partitions add theirs another way: two
    seedings whose inertias agree to rounding were told apart differently by the two."""
    return math.fsum(np.asarray(row_values, dtype=np.float64).tolist())


def _check_k(n_clusters, n_samples: int) -> int:
    k = check_positive_int(n_clusters, "n_clusters")
    if k > n_samples:
        raise ValueError(
            f"n_clusters={k} is larger than the number of samples ({n_samples}); "
            "use at most one cluster per sample"
        )
    return k


def kmeans_plusplus(
    X, n_clusters, *, sample_weight=None, random_state=None, n_local_trials=None, n_threads=None
):
    """Greedy k-means++ seeds (scikit-learn's procedure): each centre the best of
    ``n_local_trials`` candidates (None: 2 + log(n_clusters); at most 1000), drawn in
    proportion to weight x squared distance to the nearest seed so far.

    The draws depend on neither the order of the rows nor that of the columns: each is
    an exponential race in which every row's key comes from a hash of its values (each
    column keyed by its content; the values rounded to 17 significant bits, rows equal
    to that rounding told apart by their exact values) mixed with the seed (row i wins
    with probability w_i D_i^2 / sum w D^2; identical rows race as one point of their
    summed weight), and a step's candidates are the race's first distinct points
    (without replacement). A permutation of X's rows or columns gives the same
    centres; ``indices`` name the first of identical rows. The same for any
    ``n_threads``.

    Returns
    -------
    centers : ndarray, shape (n_clusters, n_features), dtype of X
    indices : ndarray of int64, rows of X chosen as seeds

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    >>> centers, idx = kmeans_plusplus(X, 2, random_state=0)
    >>> sorted(int(i) // 2 for i in idx)
    [0, 1]
    """
    X = validate_matrix(_Anonymous(), X, reset=True)
    k = _check_k(n_clusters, X.shape[0])
    weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    trials = (
        2 + int(np.log(k))
        if n_local_trials is None
        else check_positive_int(n_local_trials, "n_local_trials")
    )
    if trials > MAX_N_INIT:  # the kernel holds every candidate's distances at once
        raise ValueError(
            f"n_local_trials must be at most {MAX_N_INIT} (candidates per centre; None "
            f"gives 2 + log(n_clusters)), got {n_local_trials}"
        )
    seed = int(check_random_state(random_state).randint(_SEED_LIMIT))
    indices = _core.kmeans_plusplus(X, weight, k, seed, trials, resolve_threads(n_threads))
    return X[indices].copy(), indices


class _Anonymous(BaseEstimator):
    """Stand-in estimator for validating the input of a plain function."""


def _init_kind(init, name: str = "init"):
    """ "k-means++", "random", or an array of centres (its shape is checked against X
    in fit, by :func:`_check_init`)."""
    if isinstance(init, str):
        if init not in ("k-means++", "random"):
            raise ValueError(f"{name} must be 'k-means++', 'random' or an array, got {init!r}")
        return init
    if callable(init):
        raise TypeError(f"{name} must be 'k-means++', 'random' or an array of centres")
    return init


#: The most seedings ``n_init`` takes. Each is a whole fit (K-means++ and its Lloyd passes,
#: or a seeding of a mini-batch subset), so the count multiplies the time; 10 is usual and
#: the best inertia gains next to nothing past a few dozen. A count past this is a typo
#: (``n_init=10**20`` ran until a timeout): refused, not capped, so that the fit made is
#: the fit asked for.
MAX_N_INIT = 1000


def _n_init(value, name: str = "n_init"):
    """``n_init``: "auto" or an int in [1, MAX_N_INIT]."""
    counted = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if not (counted and value > MAX_N_INIT):  # past it, this bound's message, not the C int's
        value = Integer(1, auto=True).check(value, name)
    if value != "auto" and value > MAX_N_INIT:
        raise ValueError(
            f"{name} must be at most {MAX_N_INIT} (seedings, each a whole fit; 10 is usual), "
            f"got {value}"
        )
    return value


# The parameters K-means and mini-batch K-means share (oddseq.utils._params).
_SHARED_CHECKS = {
    "n_clusters": Integer(1),
    "init": Check(_init_kind),
    "n_init": Check(_n_init),
    "max_iter": Integer(1),
    "tol": Real(0, None, finite=True),
    "n_threads": Threads(),
}


def _check_init(init, k: int, X: np.ndarray):
    """A checked ``init`` (:func:`_init_kind`) against X: a string as it is, an array as
    a finite (k, n_features) array in X's dtype."""
    if isinstance(init, str):
        return init
    init = np.asarray(init)
    if init.shape != (k, X.shape[1]):
        raise ValueError(
            f"init array must have shape (n_clusters, n_features) = {(k, X.shape[1])}, "
            f"got {init.shape}"
        )
    if init.dtype.kind not in "fiub" or not np.isfinite(init).all():
        raise ValueError("init array must be numeric and finite")
    return np.ascontiguousarray(init, dtype=X.dtype)


def _seed_centers(X, weight, k, init, rng, threads):
    """Initial centres from "k-means++" (greedy, C++), "random" rows, or the array."""
    if isinstance(init, str) and init == "k-means++":
        seed = int(rng.randint(_SEED_LIMIT))
        return X[_core.kmeans_plusplus(X, weight, k, seed, 2 + int(np.log(k)), threads)]
    if isinstance(init, str):
        p = None if weight is None else weight / weight.sum()
        return X[rng.choice(X.shape[0], size=k, replace=False, p=p)]
    return init.copy()


def _warn_if_duplicate_centers(centers, k):
    n_distinct = len(np.unique(centers, axis=0))
    if n_distinct < k:
        warnings.warn(
            f"found {n_distinct} distinct clusters, fewer than n_clusters={k}: X has "
            "fewer distinct points than clusters; some centres are duplicates",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )


class _KMeansBase(
    ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, SaveMixin, BaseEstimator
):
    """What KMeans and MiniBatchKMeans share once centres exist."""

    def _check_test_data(self, X):
        check_is_fitted(self, "cluster_centers_")
        X = validate_matrix(self, X, reset=False)
        return np.ascontiguousarray(X, dtype=self.cluster_centers_.dtype)

    def predict(self, X):
        """Index of the nearest centre for each sample."""
        X = self._check_test_data(X)
        return _core.assign_nearest(
            X, self.cluster_centers_, resolve_threads(self.n_threads)
        ).labels

    def transform(self, X):
        """Euclidean distances from each sample to every centre, shape (n, n_clusters)."""
        X = self._check_test_data(X)
        C = self.cluster_centers_
        sq = (
            np.einsum("ij,ij->i", X, X)[:, None]
            - 2 * (X @ C.T)
            + np.einsum("ij,ij->i", C, C)[None, :]
        )
        return np.sqrt(np.maximum(sq, 0, out=sq), out=sq)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the inertia of X under the fitted centres."""
        X = self._check_test_data(X)
        weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        nearest = _core.assign_nearest(X, self.cluster_centers_, resolve_threads(self.n_threads))
        sq_dist = nearest.sq_dist.astype(np.float64)
        return -float(sq_dist.sum() if weight is None else sq_dist @ weight)

    @property
    def _n_features_out(self):
        return self.cluster_centers_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class KMeans(_KMeansBase):
    """K-means clustering: greedy k-means++ seeding and Lloyd iterations in C++.

    The assignment step is fused with the distance computation (no n x k distance
    matrix), vectorised with the best SIMD level of the CPU, and parallel over fixed
    blocks of rows; centre sums are exact fixed-point sums, so labels and centres are
    the same whatever ``n_threads``, and with "k-means++" (:func:`kmeans_plusplus`,
    seeded by the rows' values) whatever the order of the rows. float32 and float64
    input are used as they are.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features)
    n_init : int or "auto", default="auto"
        Number of seedings; the run with the lowest inertia wins, its rows' squared
        distances in double added with correct rounding (:func:`restart_inertia`, the
        same on oddseq.dask), the first of equals kept. "auto" is 1 for "k-means++" and
        an array, 10 for "random" At most 1000 (``MAX_N_INIT``: each seeding is a whole
        fit).
    max_iter : int, default=300
    tol : float, default=1e-4
        Relative tolerance: iterations stop when the summed squared centre shift is at
        most ``tol`` times the mean feature variance of X, or when no label changes.
    algorithm : {"lloyd", "hamerly", "elkan", "auto"}, default="auto"
        "lloyd" computes every point-centre distance in every iteration (one fused,
        register-tiled SIMD pass); "hamerly" keeps an upper and one lower distance bound
        per point and searches only the points whose bounds cannot prove their label
        unchanged; "elkan" keeps one lower bound per point and centre (n x k memory) and
        also rules out single centres. All three give the same iterations up to
        floating-point near-ties. "auto" is hamerly, or lloyd for k <= 2 or fewer than
        50,000 rows, where bounds cannot pay: measured here (2 cores, AVX2), hamerly beat
        elkan at every shape up to d = 1024 but one (d = 512, k = 64: elkan 15% faster),
        and was 1.3-3x faster than lloyd from n = 100,000; see benchmarks/RESULTS.md.
    random_state : int, RandomState or None
    n_threads : int, optional
        Threads for the C++ work; None uses every core (honours OMP_NUM_THREADS).

    Attributes
    ----------
    cluster_centers_ : ndarray (n_clusters, n_features)
    labels_ : ndarray of int32
    inertia_ : float
        Sum of (weighted) squared distances of samples to their centre.
    n_iter_ : int
    converged_ : bool
        Whether the best run stopped before ``max_iter`` (its centres moved by at most
        ``tol``, or no label changed); False means more iterations would move them.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_[:, 0].tolist())
    [1.0, 10.0]
    >>> bool(km.predict([[0, 0]])[0] == km.predict([[1, 1]])[0])
    True
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        algorithm="auto",
        random_state=None,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_threads = n_threads

    _parameter_checks = {
        **_SHARED_CHECKS,
        "algorithm": Options("lloyd", "hamerly", "elkan", "auto"),
    }

    def _check_params(self, X):
        params = validate_params(self)
        k = _check_k(params["n_clusters"], X.shape[0])
        max_iter = params["max_iter"]
        init = _check_init(params["init"], k, X)
        if params["n_init"] == "auto":
            n_init = 10 if isinstance(init, str) and init == "random" else 1
        else:
            n_init = params["n_init"]
            if not isinstance(init, str) and n_init != 1:
                warnings.warn(
                    f"an explicit init array is used once; n_init={n_init} is ignored",
                    RuntimeWarning,
                    stacklevel=user_stacklevel(),
                )
                n_init = 1
        algorithm = self.algorithm
        if algorithm == "auto":
            # Bounds pay once there are enough rows to amortise their upkeep (measured:
            # hamerly loses at n = 10,000 and wins from n = 100,000; RESULTS.md).
            algorithm = "lloyd" if k <= 2 or X.shape[0] < 50_000 else "hamerly"
        return k, max_iter, init, n_init, algorithm

    def fit(self, X, y=None, sample_weight=None):
        """Compute the clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights (at least one positive).
        """
        X = validate_matrix(self, X, reset=True)
        k, max_iter, init, n_init, algorithm = self._check_params(X)
        weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        threads = resolve_threads(self.n_threads)
        rng = check_random_state(self.random_state)
        tol = float(np.mean(np.var(X, axis=0))) * self.tol if self.tol else 0.0
        best, best_inertia = None, None
        for _ in range(n_init):
            centers = _seed_centers(X, weight, k, init, rng, threads)
            run = _core.kmeans_fit(
                X, weight, np.ascontiguousarray(centers), max_iter, tol, algorithm, threads
            )
            if n_init == 1:
                best = run
                break
            # Restarts are told apart by restart_inertia (as on oddseq.dask); the first
            # of equals is kept.
            inertia = restart_inertia(row_inertia(X, run.centers, run.labels, weight))
            if best is None or inertia < best_inertia:
                best, best_inertia = run, inertia
        _warn_if_duplicate_centers(best.centers, k)
        self.cluster_centers_ = best.centers
        self.labels_ = best.labels
        self.inertia_ = float(best.inertia)
        self.n_iter_ = int(best.n_iter)
        self.converged_ = bool(best.converged)
        return self
