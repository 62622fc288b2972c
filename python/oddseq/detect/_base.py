"""What every detector shares: PyOD's surface on scikit-learn's BaseEstimator."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["BaseDetector"]


def check_contamination(contamination) -> float:
    if isinstance(contamination, bool) or not isinstance(contamination, numbers.Real):
        raise TypeError(f"contamination must be a number in (0, 0.5], got {contamination!r}")
    if not 0 < contamination <= 0.5:
        raise ValueError(
            f"contamination must be in (0, 0.5] (the expected share of anomalies), "
            f"got {contamination}"
        )
    return float(contamination)


class BaseDetector(BaseEstimator):
    """PyOD's detector surface: ``fit``, ``decision_function`` (higher = more
    anomalous), ``predict`` (0 normal / 1 anomaly), ``predict_proba``,
    ``decision_scores_``, ``labels_``, ``threshold_``; plus ``score_samples`` with
    scikit-learn's sign (higher = more normal).

    Subclasses implement ``fit`` (which ends with ``_set_threshold(train_scores)``) and
    ``decision_function``.
    """

    def _set_threshold(self, scores: np.ndarray) -> None:
        contamination = check_contamination(self.contamination)
        self.decision_scores_ = np.asarray(scores, dtype=np.float64)
        self.threshold_ = float(np.percentile(self.decision_scores_, 100 * (1 - contamination)))
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(np.int64)
        low, high = self.decision_scores_.min(), self.decision_scores_.max()
        self._score_range = (float(low), float(high))

    def predict(self, X):
        """1 for anomalies (score above ``threshold_``), 0 otherwise."""
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def fit_predict(self, X, y=None):
        return self.fit(X, y).labels_

    def score_samples(self, X):
        """Opposite of ``decision_function``: higher = more normal (scikit-learn's sign)."""
        return -self.decision_function(X)

    def predict_proba(self, X):
        """Probability of (normal, anomaly) per row: the score min-max scaled by the
        training scores and clipped to [0, 1] (PyOD's "linear" method)."""
        check_is_fitted(self, "decision_scores_")
        scores = self.decision_function(X)
        low, high = self._score_range
        span = high - low
        anomaly = (
            np.clip((scores - low) / span, 0, 1) if span > 0 else (scores > high).astype(float)
        )
        return np.column_stack([1 - anomaly, anomaly])
