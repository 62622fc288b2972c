"""PCA residual (Q / SPE) and Hotelling's T^2 detector."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils.validation import check_is_fitted

from ..utils._deprecation import renamed_parameters
from ..utils._exact import column_max_abs, exponents, moment_parts, moments, scatter
from ..utils._params import Options, Real
from ..utils._stats import n_components_for
from ..utils._validation import resolve_threads, validate_matrix
from ._base import BaseDetector, Explanation

__all__ = ["PCADetector", "jackson_mudholkar_limit"]


def jackson_mudholkar_limit(residual_variances, alpha: float) -> float:
    """Upper control limit of the squared prediction error at false-alarm rate alpha
    (Jackson & Mudholkar 1979), from the variances of the residual components.

    Examples
    --------
    >>> # four unit residual variances: SPE is chi-square with 4 dof (95% point 9.49)
    >>> round(jackson_mudholkar_limit([1.0, 1.0, 1.0, 1.0], 0.05), 2)
    9.46
    """
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a number in (0, 1), got {alpha!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1) (the false-alarm rate), got {alpha}")
    lam = np.asarray(residual_variances, dtype=np.float64)
    if not np.isfinite(lam).all():
        raise ValueError("residual_variances must be finite (no NaN or inf)")
    lam = lam[lam > 0]
    if lam.size == 0:
        return 0.0
    theta1, theta2, theta3 = (float(np.sum(lam**i)) for i in (1, 2, 3))
    h0 = 1.0 - 2.0 * theta1 * theta3 / (3.0 * theta2**2)
    c_alpha = float(stats.norm.ppf(1.0 - alpha))
    if abs(h0) < 1e-12:
        h0 = 1e-12
    base = (
        c_alpha * np.sqrt(2.0 * theta2 * h0**2) / theta1
        + 1.0
        + theta2 * h0 * (h0 - 1.0) / theta1**2
    )
    return float(theta1 * max(base, 0.0) ** (1.0 / h0))


class PCADetector(BaseDetector):
    """Rows that break the correlations of the data (Xu et al. 2009, the classic
    log-anomaly detector). PCA keeps the components that explain ``variance`` of the
    data (the normal space); a row's squared prediction error (SPE, the Q statistic)
    is its squared distance from that space, and Hotelling's T^2 its distance inside it
    in units of each component's spread.

    Parameters
    ----------
    n_components : int, float in (0, 1) or None, default=None
        Components of the normal space; a float keeps that share of the variance; None
        keeps 95%.
    statistic : {"spe", "t2"}, default="spe"
        Which statistic ranks the rows (both are stored: ``spe_`` and ``t2_`` for the
        training rows, :meth:`statistics` for new ones). Called ``score`` before 0.2,
        a name that hid the ``score()`` method scikit-learn's ``Pipeline`` calls;
        ``score=`` still works with a FutureWarning.
    alpha : float, default=0.001
        False-alarm rate of the statistical limits used by ``contamination="auto"``:
        the Jackson-Mudholkar limit for SPE, the F-distribution limit for T^2.
    contamination : float in (0, 0.5] or "auto", default="auto"
    n_threads : int or None
        Threads for the exact moments of the fit (None: every core; the result is
        the same with any number).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = rng.normal(size=(500, 1))
    >>> X = np.hstack([t, 2 * t, -t]) + rng.normal(0, 0.05, (500, 3))
    >>> X[0] = [1.0, -2.0, 1.0]  # breaks the correlation, not the ranges
    >>> det = PCADetector(n_components=1).fit(X)
    >>> int(np.argmax(det.decision_scores_)), bool(det.labels_[0])
    (0, True)
    """

    _parameter_checks = {
        **BaseDetector._parameter_checks,
        "statistic": Options("spe", "t2"),
        "alpha": Real(0, 1, closed="neither"),
    }

    @renamed_parameters("0.3", score="statistic")
    def __init__(
        self,
        n_components=None,
        *,
        statistic="spe",
        alpha=0.001,
        contamination="auto",
        n_threads=None,
    ):
        self.n_components = n_components
        self.statistic = statistic
        self.alpha = alpha
        self.contamination = contamination
        self.n_threads = n_threads

    def fit(self, X, y=None):
        self._validate_params()
        X = validate_matrix(self, X, reset=True).astype(np.float64)
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"PCADetector needs at least 2 samples, got n_samples={n}")
        threads = resolve_threads(self.n_threads)
        exps = exponents(column_max_abs(X))
        self._set_moments(moment_parts(X, exps, threads), exps)
        self.spe_, self.t2_ = self._statistics(X)
        self._set_threshold(self.spe_ if self.statistic == "spe" else self.t2_)
        return self

    def _set_moments(self, parts, exps):
        """The fitted components from the exact moments of the rows (``parts`` of
        ``oddseq.utils._exact``, here of X, or added up over partitions by oddseq.dask):
        the covariance is exact then rounded once, so both give it bit for bit, and its
        eigen decomposition (LAPACK's, largest variance first, each component's largest
        entry positive) gives the same components."""
        n, mean, var = moments(parts, exps)
        d = mean.size
        covariance = scatter(parts, exps) / float(n - 1)
        values, vectors = np.linalg.eigh(covariance)  # ascending
        values, vectors = values[::-1], vectors[:, ::-1]
        largest = np.abs(vectors).argmax(axis=0)
        signs = np.where(vectors[largest, np.arange(d)] < 0, -1.0, 1.0)
        components = (vectors * signs).T.copy()
        return self._set_components(
            n,
            mean,
            components,
            np.maximum(values, 0.0),
            float(np.trace(covariance)),
            np.sqrt(var),
        )

    def _set_components(self, n, mean, components, variance, total, feature_std):
        """The fitted state from n rows' mean, every principal component (rows, by
        decreasing variance), their variances, the total variance and each feature's
        standard deviation, however they were computed (here, or added up over
        partitions by oddseq.dask); the statistics and the cut follow."""
        d = len(mean)
        wanted = 0.95 if self.n_components is None else self.n_components
        k = n_components_for(wanted, variance, total, d)
        self.n_features_in_ = d
        self.mean_ = mean
        self.components_ = components[:k]
        self.explained_variance_ = variance[:k]
        self.residual_variance_ = variance[k:]
        self.n_components_ = k
        self.feature_scale_ = np.where(feature_std > 0, feature_std, 1.0)
        self.spe_limit_ = jackson_mudholkar_limit(variance[k:], self.alpha)
        self.t2_limit_ = (
            k * (n - 1) * (n + 1) / (n * (n - k)) * float(stats.f.ppf(1 - self.alpha, k, n - k))
            if n > k
            else np.inf
        )
        return self

    natural_cut = True  # (BaseDetector.natural_cut)

    def _auto_threshold(self, scores):
        return self.spe_limit_ if self.statistic == "spe" else self.t2_limit_

    def _project(self, centred):
        """``centred``'s component scores and its projection back onto the features, row
        by row (see below): what a row gets does not depend on the rows beside it."""
        # Row by row (einsum's own loops), not a BLAS product: OpenBLAS rounds a row's
        # products by where the row falls in the matrix's blocks, so the same row scored
        # in a Dask partition and in the whole table differed by an ulp (OpenBLAS 0.3.31,
        # Haswell kernels: 74 of 300 rows cut in partitions of 37), and the two paths
        # must give the same scores bit for bit. The cost grows with the components kept:
        # about as fast for the default ensemble's (7 of 19 features on make_ecommerce;
        # 0.60 s against 0.58 s at 1 M x 40 x 12), 3-5x slower with many (1.9 s against
        # 0.65 s at 1 M x 30 x 29; H4's review, session 18).
        projected = np.einsum("ij,kj->ik", centred, self.components_, optimize=False)
        return projected, np.einsum("ik,kj->ij", projected, self.components_, optimize=False)

    def _statistics(self, X):
        centred = X - self.mean_
        projected, back = self._project(centred)
        residual = centred - back
        spe = np.einsum("ij,ij->i", residual, residual)
        # A residual at round-off level of the row itself (every component kept, or
        # data on a subspace) is 0, not noise: z-scored by an ensemble, noise of 1e-32
        # became whole units and a row's score depended on the rows beside it.
        floor = 64 * np.finfo(np.float64).eps * np.einsum("ij,ij->i", centred, centred)
        spe = np.where(spe <= floor, 0.0, spe)
        spread = np.where(self.explained_variance_ > 0, self.explained_variance_, np.inf)
        t2 = (projected**2 / spread).sum(axis=1)
        return spe, t2

    def statistics(self, X) -> pd.DataFrame:
        """SPE and T^2 of each row, with whether each exceeds its limit."""
        check_is_fitted(self, "components_")
        X = validate_matrix(self, X, reset=False).astype(np.float64)
        spe, t2 = self._statistics(X)
        return pd.DataFrame(
            {
                "spe": spe,
                "spe_over_limit": spe > self.spe_limit_,
                "t2": t2,
                "t2_over_limit": t2 > self.t2_limit_,
            }
        )

    def decision_function(self, X):
        """SPE (or T^2) of each row (higher = more anomalous)."""
        check_is_fitted(self, "components_")
        X = validate_matrix(self, X, reset=False).astype(np.float64)
        spe, t2 = self._statistics(X)
        return spe if self.statistic == "spe" else t2

    def _explain(self, X) -> Explanation:
        """Each row's contributions: for SPE the squared residual of each feature
        (``typical`` = the value the normal space predicts), for T^2 each feature's term
        of T^2 = sum_j c_j w_j (``typical`` = the mean; c the row centred, w its
        component scores over their variances mapped back onto the features, half the
        gradient of T^2 in c). The terms are signed: a feature whose deviation the
        correlations explain (a user with many purchases buying many items) has a
        negative term, and moving it toward its mean would raise T^2; it ranks below
        those that raise the score. Ranked by their size it was named as a driver (the
        second feature of 7 of 2,074 T^2 reasons on make_ecommerce, 16 of 578 on the
        Taobao head; H2, session 26)."""
        X = X.astype(np.float64)
        centred = X - self.mean_
        # Row by row as the scores (``_project``): a BLAS product rounded a row's
        # contributions by the batch's size, and features that tie in theory (event types
        # only one entity has) were ordered by that round-off, so an entity scored alone
        # or in a Dask partition got another reason (loghub BGL's APP by Component).
        projected, back = self._project(centred)
        predicted = self.mean_ + back
        if self.statistic == "spe":
            contribution = (X - predicted) ** 2
            typical = predicted
        else:
            spread = np.where(self.explained_variance_ > 0, self.explained_variance_, np.inf)
            weights = np.einsum("ik,kj->ij", projected / spread, self.components_, optimize=False)
            contribution = centred * weights
            typical = np.broadcast_to(self.mean_, X.shape)
        return Explanation(X, typical, contribution, self.feature_scale_)
