"""Anomaly scores from K-means: distance to the nearest centre."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..cluster import KMeans
from ..exceptions import ConvergenceWarning
from ..utils._validation import check_positive_int, resolve_threads, validate_matrix
from ._base import BaseDetector, check_contamination

__all__ = ["KMeansDetector"]


class KMeansDetector(BaseDetector):
    """Scores each row by its Euclidean distance to the nearest K-means centre.

    Rows far from every group of similar rows score high. Feed it scaled features (for
    counts, ``LogScaler`` then ``StandardScaler``): distances mix all features.

    Parameters
    ----------
    n_clusters : int, default=8
    contamination : float in (0, 0.5], default=0.1
        Expected share of anomalies; sets ``threshold_`` from the training scores.
    n_init, max_iter, random_state, n_threads
        Passed to :class:`oddseq.cluster.KMeans`.

    Attributes
    ----------
    kmeans_ : KMeans
    decision_scores_, labels_, threshold_ : PyOD's fitted attributes
    cluster_scale_ : ndarray (n_clusters, n_features)
        Per-cluster standard deviation of each feature, used by :meth:`explain`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (200, 2)), [[12.0, 12.0]]])
    >>> det = KMeansDetector(n_clusters=3, contamination=0.01, random_state=0).fit(X)
    >>> int(np.argmax(det.decision_scores_))
    200
    >>> det.explain(X[-1:], top=1)["feature"].tolist()[0] in ("x0", "x1")
    True
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        contamination=0.1,
        n_init="auto",
        max_iter=300,
        random_state=None,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.contamination = contamination
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X, y=None):
        check_contamination(self.contamination)
        X = validate_matrix(self, X, reset=True)
        k = min(check_positive_int(self.n_clusters, "n_clusters"), X.shape[0])
        with warnings.catch_warnings():
            # Fewer distinct clusters than asked for leaves duplicate centres, which does
            # not change any distance to the nearest centre.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.kmeans_ = KMeans(
                n_clusters=k,
                n_init=self.n_init,
                max_iter=self.max_iter,
                random_state=self.random_state,
                n_threads=self.n_threads,
            ).fit(X)
        labels = self.kmeans_.labels_
        centers = self.kmeans_.cluster_centers_.astype(np.float64)
        deviation = X.astype(np.float64) - centers[labels]
        sq_sum = np.zeros_like(centers)
        np.add.at(sq_sum, labels, deviation**2)
        sizes = np.bincount(labels, minlength=k)[:, None]
        scale = np.sqrt(sq_sum / np.maximum(sizes, 1))
        # A feature constant within a cluster still needs a unit: fall back to its
        # overall spread, then to 1.
        overall = X.std(axis=0, dtype=np.float64)
        scale = np.where(scale > 0, scale, np.where(overall > 0, overall, 1.0)[None, :])
        self.cluster_scale_ = scale
        self._set_threshold(np.sqrt(np.sum(deviation**2, axis=1)))
        return self

    def decision_function(self, X):
        """Distance to the nearest centre (higher = more anomalous)."""
        check_is_fitted(self, "kmeans_")
        X = validate_matrix(self, X, reset=False)
        X = np.ascontiguousarray(X, dtype=self.kmeans_.cluster_centers_.dtype)
        _, sq_dist = _core.assign_nearest(
            X, self.kmeans_.cluster_centers_, resolve_threads(self.n_threads)
        )
        return np.sqrt(sq_dist.astype(np.float64))

    def explain(self, X, top=3, feature_names=None):
        """The features that put each row far from its nearest centre.

        Returns a long DataFrame indexed by (row, rank) with ``feature``, ``value``,
        ``typical`` (the centre's value), ``deviation`` (in units of the cluster's
        spread of that feature) and ``share`` (of the squared distance).
        """
        check_is_fitted(self, "kmeans_")
        top = check_positive_int(top, "top")
        index = X.index if isinstance(X, pd.DataFrame) else None
        names = feature_names
        if names is None:
            names = getattr(self, "feature_names_in_", None)
        X = validate_matrix(self, X, reset=False).astype(np.float64)
        if names is None:
            names = [f"x{j}" for j in range(X.shape[1])]
        names = np.asarray(names, dtype=object)
        X_c = np.ascontiguousarray(X, dtype=self.kmeans_.cluster_centers_.dtype)
        labels, _ = _core.assign_nearest(
            X_c, self.kmeans_.cluster_centers_, resolve_threads(self.n_threads)
        )
        centers = self.kmeans_.cluster_centers_.astype(np.float64)[labels]
        contribution = (X - centers) ** 2
        total = contribution.sum(axis=1, keepdims=True)
        share = np.divide(contribution, total, out=np.zeros_like(contribution), where=total > 0)
        top = min(top, X.shape[1])
        order = np.argsort(-contribution, axis=1, kind="stable")[:, :top]
        rows = np.repeat(np.arange(X.shape[0]), top)
        cols = order.ravel()
        deviation = (X - centers) / self.cluster_scale_[labels]
        row_ids = rows if index is None else index.take(rows)
        return pd.DataFrame(
            {
                "feature": names[cols],
                "value": X[rows, cols],
                "typical": centers[rows, cols],
                "deviation": deviation[rows, cols],
                "share": share[rows, cols],
            },
            index=pd.MultiIndex.from_arrays(
                [row_ids, np.tile(np.arange(1, top + 1), X.shape[0])], names=["row", "rank"]
            ),
        )
