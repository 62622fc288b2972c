"""Mini-batch K-means for data too large to sweep each iteration, or arriving in chunks."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..utils._params import Boolean, Integer, Optional, Real, validate_params
from ..utils._validation import (
    check_random_state,
    check_sample_weight,
    resolve_threads,
    validate_matrix,
)
from ._kmeans import (
    _SHARED_CHECKS,
    _check_init,
    _check_k,
    _KMeansBase,
    _seed_centers,
    _warn_if_duplicate_centers,
)

__all__ = ["MiniBatchKMeans"]


class MiniBatchKMeans(_KMeansBase):
    """K-means on random mini-batches (Sculley, 2010), the update scikit-learn uses.

    Each step assigns a batch to the nearest centres (the fused C++ kernel) and moves
    every centre to the weighted mean of all the rows it has absorbed so far. Centres
    that absorb almost nothing are re-seeded from the batch now and then
    (``reassignment_ratio``). ``partial_fit`` takes one step per chunk, for data that
    arrives in pieces.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"} or array (n_clusters, n_features)
    max_iter : int, default=100
        Passes over the data (epochs) at most.
    batch_size : int, default=1024
    compute_labels : bool, default=True
        Label every row (and compute ``inertia_``) once fitting ends.
    tol : float, default=0.0
        Stop when the summed squared centre move of a step, relative to the mean feature
        variance, is at most this (0 disables).
    max_no_improvement : int or None, default=10
        Stop after this many steps without a better smoothed batch inertia (None disables).
    init_size : int, optional
        Rows used to seed the centres (default ``3 * batch_size``).
    n_init : int or "auto", default="auto"
        Seedings tried on the init rows; the best by inertia is kept ("auto": 3 for
        "k-means++" as in scikit-learn when using random subsets, 1 for an array).
        At most 1000 (as :class:`KMeans`).
    reassignment_ratio : float, default=0.01
    random_state : int, RandomState or None
    n_threads : int, optional

    Attributes
    ----------
    cluster_centers_, labels_, inertia_, n_iter_, n_steps_, n_features_in_

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 0.5, (500, 2)), rng.normal(6, 0.5, (500, 2))])
    >>> mbk = MiniBatchKMeans(n_clusters=2, batch_size=100, random_state=0).fit(X)
    >>> sorted(int(v) for v in np.round(mbk.cluster_centers_[:, 0]))
    [0, 6]
    >>> stream = MiniBatchKMeans(n_clusters=2, random_state=0)
    >>> for chunk in np.array_split(rng.permutation(X), 10):
    ...     stream = stream.partial_fit(chunk)
    >>> stream.n_steps_
    10
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        compute_labels=True,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
        random_state=None,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.compute_labels = compute_labels
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.random_state = random_state
        self.n_threads = n_threads

    _parameter_checks = {
        **_SHARED_CHECKS,
        "batch_size": Integer(1),
        "compute_labels": Boolean(),
        "max_no_improvement": Optional(Integer(0)),
        "init_size": Optional(Integer(1)),
        "reassignment_ratio": Real(0, 1),
    }

    def _check_params(self, X):
        params = validate_params(self)
        k = _check_k(params["n_clusters"], X.shape[0])
        init = _check_init(params["init"], k, X)
        if params["n_init"] == "auto":
            n_init = 1 if not isinstance(init, str) else 3
        else:
            n_init = params["n_init"]
        return k, init, n_init

    def _seed(self, X, weight, k, init, n_init, rng, threads):
        """Best of n_init seedings, judged on a random subset of init_size rows."""
        init_size = 3 * self.batch_size if self.init_size is None else self.init_size
        init_size = min(max(init_size, k), X.shape[0])
        best, best_inertia = None, np.inf
        for _ in range(n_init):
            rows = rng.choice(X.shape[0], size=init_size, replace=False)
            subset = np.ascontiguousarray(X[rows])
            sub_weight = None if weight is None else np.ascontiguousarray(weight[rows])
            if sub_weight is not None and not sub_weight.sum() > 0:
                sub_weight = None
            centers = np.ascontiguousarray(
                _seed_centers(subset, sub_weight, k, init, rng, threads), dtype=X.dtype
            )
            sq = _core.assign_nearest(subset, centers, threads).sq_dist
            inertia = float(
                sq.astype(np.float64) @ (np.ones(len(sq)) if sub_weight is None else sub_weight)
            )
            if inertia < best_inertia or best is None:
                best, best_inertia = centers, inertia
        return best

    def _reassign(self, X, weight, rng):
        """Re-seed centres that absorbed under reassignment_ratio of the largest weight."""
        sums = self._weight_sums
        if self.reassignment_ratio == 0 or not sums.max() > 0:
            return
        small = sums < self.reassignment_ratio * sums.max()
        if small.sum() > 0.5 * X.shape[0]:
            # At most half a batch of centres move: those that absorbed least.
            small[np.argsort(sums, kind="stable")[int(0.5 * X.shape[0]) :]] = False
        n_small = int(small.sum())
        if n_small == 0:
            return
        p = None if weight is None else weight / weight.sum()
        rows = rng.choice(X.shape[0], size=n_small, replace=False, p=p)
        self.cluster_centers_[small] = X[rows]
        self._weight_sums[small] = sums[~small].min()

    def fit(self, X, y=None, sample_weight=None):
        """Fit on random mini-batches of X."""
        X = validate_matrix(self, X, reset=True)
        k, init, n_init = self._check_params(X)
        weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        threads = resolve_threads(self.n_threads)
        rng = self._rng = check_random_state(self.random_state)
        n = X.shape[0]
        batch_size = min(self.batch_size, n)
        self.cluster_centers_ = self._seed(X, weight, k, init, n_init, rng, threads)
        self._weight_sums = np.zeros(k, dtype=np.float64)
        tol = float(np.mean(np.var(X, axis=0))) * self.tol if self.tol else 0.0
        n_steps = max(1, (self.max_iter * n) // batch_size)
        ewa, ewa_min, no_improvement = None, np.inf, 0
        since_reassign = 0
        step = 0
        for step in range(n_steps):
            rows = rng.randint(0, n, batch_size)
            batch = np.ascontiguousarray(X[rows])
            batch_weight = None if weight is None else np.ascontiguousarray(weight[rows])
            if batch_weight is not None and not batch_weight.sum() > 0:
                continue
            step_run = _core.minibatch_step(
                batch, batch_weight, self.cluster_centers_, self._weight_sums, threads
            )
            inertia, moved = step_run.inertia, step_run.moved
            # Re-seeding is tried whenever a centre has absorbed nothing, and at the
            # latest every 10 * k rows (scikit-learn's schedule).
            since_reassign += batch_size
            if (self._weight_sums == 0).any() or since_reassign >= 10 * k:
                self._reassign(batch, batch_weight, rng)
                since_reassign = 0
            if step == 0:
                continue  # the first step mostly measures the seeding
            # Convergence as scikit-learn: a smoothed batch inertia that stops improving,
            # or centres that stop moving.
            if tol > 0 and moved <= tol:
                break
            mean_inertia = inertia / batch_size
            alpha = min(1.0, batch_size * 2.0 / (n + 1))
            ewa = mean_inertia if ewa is None else ewa * (1 - alpha) + mean_inertia * alpha
            if ewa < ewa_min:
                ewa_min, no_improvement = ewa, 0
            else:
                no_improvement += 1
            if self.max_no_improvement is not None and no_improvement >= self.max_no_improvement:
                break
        self.n_steps_ = step + 1
        self.n_iter_ = int(np.ceil(self.n_steps_ * batch_size / n))
        if self.compute_labels:
            self._label_all(X, weight, threads)
        _warn_if_duplicate_centers(self.cluster_centers_, k)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """One mini-batch step on X (seeding the centres from X on the first call)."""
        first = not hasattr(self, "cluster_centers_")
        X = validate_matrix(self, X, reset=first)
        threads = resolve_threads(self.n_threads)
        weight = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        if first:
            k, init, n_init = self._check_params(X)
            self._rng = check_random_state(self.random_state)
            self.cluster_centers_ = np.ascontiguousarray(
                _seed_centers(X, weight, k, init, self._rng, threads), dtype=X.dtype
            )
            self._weight_sums = np.zeros(k, dtype=np.float64)
            self.n_steps_ = 0
        X = np.ascontiguousarray(X, dtype=self.cluster_centers_.dtype)
        if weight is not None:
            weight = weight.astype(X.dtype)
        _core.minibatch_step(X, weight, self.cluster_centers_, self._weight_sums, threads)
        self.n_steps_ += 1
        if self.n_steps_ % 10 == 0:
            self._reassign(X, weight, self._rng)
        if self.compute_labels:
            self._label_all(X, weight, threads)
        return self

    def _label_all(self, X, weight, threads):
        nearest = _core.assign_nearest(X, self.cluster_centers_, threads)
        sq = nearest.sq_dist.astype(np.float64)
        self.labels_ = nearest.labels
        self.inertia_ = float(sq.sum() if weight is None else sq @ weight)
