"""Anomaly scores from K-means: distance to the nearest large cluster's centre."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..cluster import KMeans
from ..cluster._kmeans import _n_init
from ..exceptions import ConvergenceWarning
from ..utils._exact import group_sum_parts, group_sums, mean_std
from ..utils._params import Check, Integer, Real, Threads
from ..utils._rows import tied_rows
from ..utils._validation import resolve_threads, validate_matrix
from ._base import BaseDetector, Explanation

__all__ = ["KMeansDetector"]


def large_cluster_mask(
    sizes: np.ndarray, alpha: float, beta: float, min_share: float = 0.0
) -> np.ndarray:
    """Which clusters are "large" (He, Xu & Deng's CBLOF rule, with a share floor).

    Clusters are sorted by size; the boundary is the first position where the clusters
    so far hold at least ``alpha`` of the points and the next cluster is at least
    ``beta`` times smaller. Where no such step exists, every cluster is large: sizes
    that fall off gradually give no size gap that calls the rest small. (PyOD falls
    back to the ``alpha`` boundary alone and raises where that leaves none small; with
    that fallback the default scored whole normal clusters against the others: on the
    held-out game's 20,000 players, 8 clusters of 270-6,300 rows, a cluster of 450
    normal players among them, best-cut F1 0.61 -> 0.54 over 12 fits; H4 s30.)

    ``min_share``: a cluster past the ``alpha`` cover that holds under this share of
    the points and is ``beta`` times smaller than the cover's last cluster is small
    even without a step of ``beta`` right before it. Modes of a few bots alike fall off
    gradually too: a travel site's 26 fare scrapers, 42 stuffed accounts and 47
    takeovers, each a cluster of their own (0.4-0.8% of 6,265 users) after a 184-user
    one, were all "large" by the steps alone, so K-means scored every scraper as
    typical (TR s49 H3: ``recent_change=True`` flagged 3 of 26 scrapers).
    """
    sizes = np.asarray(sizes)
    order = np.argsort(-sizes, kind="stable")
    sorted_sizes = sizes[order].astype(np.float64)
    total = sorted_sizes.sum()
    covered = np.cumsum(sorted_sizes) >= alpha * total
    # The last cluster has none after it (ratio inf) and is covered: it always
    # qualifies, so without a step every cluster is large.
    ratio = np.append(sorted_sizes[:-1] / np.maximum(sorted_sizes[1:], 1e-12), np.inf)
    boundary = np.flatnonzero(covered & (ratio >= beta))[0]
    large = np.arange(sizes.size) <= boundary
    if min_share > 0:
        cover_end = int(np.flatnonzero(covered)[0])
        past_cover = np.arange(sizes.size) > cover_end
        few = sorted_sizes < min_share * total
        apart = sorted_sizes * beta <= sorted_sizes[cover_end]
        large &= ~(past_cover & few & apart)
    mask = np.zeros(sizes.size, dtype=bool)
    mask[order[large]] = True
    return mask


class KMeansDetector(BaseDetector):
    """Scores each row by its distance to the nearest centre of a large K-means cluster.

    Rows far from every sizeable group of similar rows score high; rows that K-means
    gathered into a small cluster of their own (a handful of bots alike) are scored by
    their distance to the nearest large cluster, so a tight group of odd rows does not
    hide by being its own cluster (the CBLOF rule of He, Xu and Deng, 2003). Feed it
    scaled features (for counts, ``LogScaler`` then ``StandardScaler``).

    Parameters
    ----------
    n_clusters : int, default=8
    contamination : float in (0, 0.5], default=0.1
        Expected share of anomalies; sets ``threshold_`` from the training scores.
    alpha : float in (0.5, 1], default=0.9
        Share of the rows the large clusters must hold.
    beta : float >= 1, default=5
        Size ratio that separates the last large cluster from the first small one.
    min_share : float in [0, 0.5), default=0.01
        A cluster past the ``alpha`` share that holds under this share of the rows and
        is ``beta`` times smaller than the last cluster needed to reach ``alpha`` is
        small even where the sizes fall off gradually (a few bots alike, one cluster
        per kind, after a modest normal one); 0 keeps the size steps alone.
    n_init, max_iter, random_state, n_threads
        Passed to :class:`oddseq.cluster.KMeans`. With restarts (``n_init`` above 1)
        on rows of which at most half are distinct, K-means runs on the distinct rows
        weighted by their counts (at most one cluster per distinct row): the same
        objective, restarts at little cost.

    Attributes
    ----------
    kmeans_ : KMeans
        The fitted K-means (its ``labels_`` one per row of X). With restarts on tied
        rows (see n_init) it was fitted on the distinct rows, so
        ``kmeans_.n_clusters`` and its centres can be fewer than ``n_clusters``: one per
        distinct row at most.
    n_iter_ : int
        Iterations of the best K-means run.
    large_clusters_ : ndarray of bool, shape (n_clusters,) (or fewer: see n_init)
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
        alpha=0.9,
        beta=5.0,
        min_share=0.01,
        n_init="auto",
        max_iter=300,
        random_state=None,
        n_threads=None,
    ):
        self.n_clusters = n_clusters
        self.contamination = contamination
        self.alpha = alpha
        self.beta = beta
        self.min_share = min_share
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_threads = n_threads

    _parameter_checks = {
        **BaseDetector._parameter_checks,
        "n_clusters": Integer(1),
        "alpha": Real(0.5, 1, closed="right"),
        "beta": Real(1, None, closed="left"),
        "min_share": Real(0, 0.5, closed="left"),
        "n_init": Check(_n_init),  # refused here, before any work on X
        "max_iter": Integer(1),
        "n_threads": Threads(),
    }

    def _check_params(self) -> dict:
        return self._validate_params()

    def fit(self, X, y=None):
        params = self._check_params()
        X = validate_matrix(self, X, reset=True)
        k = min(params["n_clusters"], X.shape[0])
        tied = self._tied_rows(X)
        with warnings.catch_warnings():
            # Fewer distinct clusters than asked for leaves duplicate centres, which does
            # not change any distance to the nearest centre.
            warnings.simplefilter("ignore", ConvergenceWarning)
            if tied is not None:
                rows, counts, group = tied
                self.kmeans_ = self._kmeans_of_distinct_rows(rows, counts, k)
                self.kmeans_.labels_ = self.kmeans_.labels_[group]
                k = self.kmeans_.cluster_centers_.shape[0]
            else:
                self.kmeans_ = self._kmeans(k).fit(X)
        labels = self.kmeans_.labels_
        sizes = np.bincount(labels, minlength=k)
        centers = self.kmeans_.cluster_centers_.astype(np.float64)
        deviation = X.astype(np.float64) - centers[labels]
        # Exact, rounded once: the same bits as oddseq.dask's sums over partitions.
        sq_sum = group_sums(group_sum_parts(deviation**2, labels, centers.shape[0]))
        self._set_clusters(self.kmeans_, sizes, sq_sum, mean_std(X)[1])
        scores, _ = self._scores_and_reference(X)
        self._set_threshold(scores)
        return self

    def _kmeans(self, k: int) -> KMeans:
        return KMeans(
            n_clusters=k,
            n_init=self.n_init,
            max_iter=self.max_iter,
            random_state=self.random_state,
            n_threads=self.n_threads,
        )

    def __setstate__(self, state):
        """A model saved before ``min_share`` was a parameter chose its large clusters
        by the size steps alone: 0 says so, and a refit of it does the same."""
        self.__dict__.update(state)
        self.__dict__.setdefault("min_share", 0.0)

    def __sklearn_clone__(self):
        """scikit-learn's clone (the parameters), which takes over the groups of the
        matrix handed to this detector for its next fit (``_known_tied``, set by
        AnomalyPipeline): EnsembleDetector fits a clone of its K-means."""
        twin = super().__sklearn_clone__()
        known = self.__dict__.pop("_known_tied", None)
        if known is not None:
            twin._known_tied = known
        return twin

    def _tied_rows(self, X):
        """With restarts (``n_init`` above 1) and at most half of X's rows distinct: X's
        distinct rows, their counts and each row's group
        (:func:`oddseq.utils._rows.tied_rows`); else None."""
        # Groups of this matrix its maker found (AnomalyPipeline counting the rows),
        # handed over for this fit only: checked by tied_rows, then dropped.
        known = self.__dict__.pop("_known_tied", None)
        if not isinstance(self.n_init, (int, np.integer)) or self.n_init <= 1:
            return None  # one seeding ("auto"), or a value KMeans refuses
        # Untied rows are told from their hashes alone (tied_rows), without grouping.
        return tied_rows(X, known)[1]

    def _kmeans_of_distinct_rows(self, rows, counts, k: int) -> KMeans:
        """K-means of tied rows fitted on their distinct rows weighted by their counts
        (as many clusters as distinct rows at most): the same objective as on every row,
        and restarts then cost little where a log repeats a few workflows (the
        K-means++ draws differ from those over repeated rows: another seeding, as good).
        oddseq.dask fits the same distinct rows and counts with this."""
        return self._kmeans(min(k, rows.shape[0])).fit(rows, sample_weight=counts)

    def _set_clusters(self, kmeans, sizes, sq_sum, overall_std):
        """The fitted state from a fitted KMeans, its cluster sizes, the per-cluster sums
        of squared deviations from the centres (k x d, float64) and each feature's
        overall standard deviation, however they were computed (here, or added up over
        partitions by oddseq.dask); the scores and the cut follow."""
        self.kmeans_ = kmeans
        self.n_features_in_ = kmeans.n_features_in_
        self.n_iter_ = kmeans.n_iter_  # scikit-learn's name, for max_iter's users
        self.large_clusters_ = large_cluster_mask(sizes, self.alpha, self.beta, self.min_share)
        scale = np.sqrt(sq_sum / np.maximum(sizes, 1)[:, None])
        # A feature constant within a cluster still needs a unit: fall back to its
        # overall spread, then to 1.
        overall = np.asarray(overall_std, dtype=np.float64)
        scale = np.where(scale > 0, scale, np.where(overall > 0, overall, 1.0)[None, :])
        self.cluster_scale_ = scale
        return self

    def _scores_and_reference(self, X):
        """Distance to the reference centre of each row, and that centre's index: its
        own nearest centre when that cluster is large, else the nearest large one."""
        threads = resolve_threads(self.n_threads)
        centers = self.kmeans_.cluster_centers_
        X = np.ascontiguousarray(X, dtype=centers.dtype)
        nearest = _core.assign_nearest(X, centers, threads)
        labels = nearest.labels
        reference = labels.astype(np.int64)
        sq_dist = nearest.sq_dist.astype(np.float64)
        small = ~self.large_clusters_[labels]
        if small.any():
            large_index = np.flatnonzero(self.large_clusters_)
            sub = np.ascontiguousarray(X[small])
            large = _core.assign_nearest(sub, np.ascontiguousarray(centers[large_index]), threads)
            reference[small] = large_index[large.labels]
            sq_dist[small] = large.sq_dist
        return np.sqrt(sq_dist), reference

    def decision_function(self, X):
        """Distance to the reference centre (higher = more anomalous)."""
        check_is_fitted(self, "kmeans_")
        X = validate_matrix(self, X, reset=False)
        return self._scores_and_reference(X)[0]

    def cluster_of(self, X) -> np.ndarray:
        """The K-means cluster of each row of X (the nearest centre)."""
        check_is_fitted(self, "kmeans_")
        return self.kmeans_.predict(
            np.ascontiguousarray(X, dtype=self.kmeans_.cluster_centers_.dtype)
        )

    def _explain(self, X) -> Explanation:
        """The features that put each row far from its reference centre: ``typical``
        the centre's value, ``deviation`` in units of that cluster's spread of the
        feature, ``share`` of the squared distance, and the ``cluster``."""
        _, reference = self._scores_and_reference(X)
        X = X.astype(np.float64)
        centers = self.kmeans_.cluster_centers_.astype(np.float64)[reference]
        return Explanation(
            X, centers, (X - centers) ** 2, self.cluster_scale_[reference], {"cluster": reference}
        )
