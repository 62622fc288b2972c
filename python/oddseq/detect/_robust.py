"""Per-feature robust z-scores and IQR fences: the rules analysts already use."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..utils._params import Real
from ..utils._validation import validate_matrix
from ._base import BaseDetector, Explanation, robust_median_scale

__all__ = ["RobustZDetector"]


class RobustZDetector(BaseDetector):
    """Feature by feature, how far a row lies outside the bulk of the training data.

    For each feature, the robust z-score |x - median| / (1.4826 MAD) measured against
    ``z`` (the "z > 3" rule, with a spread the outliers cannot inflate) and the distance
    beyond Tukey's fences Q1 - 1.5 IQR and Q3 + 1.5 IQR in units of 1.5 IQR. A feature
    counts as much as the *weaker* of the two rules says (both must agree, which keeps
    long-tailed features from flagging everything); a row scores its most extreme
    feature, so a score above 1 means "some feature breaks both rules".
    ``contamination="auto"`` uses exactly that cut (threshold 1).

    A feature with MAD = 0 (mostly one value) uses its standard deviation for z, and a
    zero IQR makes its fence rule silent beyond the z rule.

    Parameters
    ----------
    z : float, default=3.0
    fence : float, default=1.5
        Tukey's multiplier of the IQR.
    contamination : float in (0, 0.5] or "auto", default="auto"

    Examples
    --------
    >>> import numpy as np
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 3)), [[0.0, 9.0, 0.0]]])
    >>> det = RobustZDetector().fit(X)
    >>> int(det.decision_scores_.argmax()), bool(det.labels_[300])
    (300, True)
    >>> det.explain(X[-1:], top=1)["feature"].tolist()
    ['x1']
    """

    _parameter_checks = {
        **BaseDetector._parameter_checks,
        "z": Real(0, None, closed="neither"),
        "fence": Real(0, None, closed="neither"),
    }

    def __init__(self, *, z=3.0, fence=1.5, contamination="auto"):
        self.z = z
        self.fence = fence
        self.contamination = contamination

    def fit(self, X, y=None):
        self._validate_params()
        X = validate_matrix(self, X, reset=True).astype(np.float64)
        median, scale = robust_median_scale(X)
        self._set_statistics(median, scale, *np.percentile(X, [25, 75], axis=0))
        self._set_threshold(self._feature_scores(X).max(axis=1))
        return self

    def _set_statistics(self, median, scale, q1, q3):
        """The fitted state from each feature's median, robust spread and quartiles,
        however they were computed (here, or over partitions by oddseq.dask)."""
        self.n_features_in_ = len(median)
        self.median_, self.scale_, self.q1_, self.q3_ = median, scale, q1, q3
        self.iqr_ = self.q3_ - self.q1_
        return self

    natural_cut = True  # (BaseDetector.natural_cut)

    def _auto_threshold(self, scores):
        return 1.0

    def _feature_scores(self, X):
        z_rule = np.abs(X - self.median_) / self.scale_ / self.z
        width = self.fence * self.iqr_
        beyond = np.maximum(np.maximum(self.q1_ - X, X - self.q3_), 0.0)
        fence_rule = np.divide(beyond, width, out=np.full_like(X, np.inf), where=width > 0)
        fence_rule[(width == 0) & (beyond == 0)] = 0.0
        return np.minimum(z_rule, fence_rule)

    def decision_function(self, X):
        """The most extreme feature's score (above 1: beyond both rules)."""
        check_is_fitted(self, "median_")
        X = validate_matrix(self, X, reset=False).astype(np.float64)
        return self._feature_scores(X).max(axis=1)

    def _explain(self, X) -> Explanation:
        """The most extreme features of each row against the training median."""
        X = X.astype(np.float64)
        typical = np.broadcast_to(self.median_, X.shape)
        return Explanation(X, typical, self._feature_scores(X), self.scale_)
