"""Combining detectors whose scores live on different scales."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ..utils._params import Integer, Options
from ..utils._stats import robust_spread
from ..utils._validation import check_random_state, validate_matrix
from ._base import BaseDetector, is_training_matrix, matrix_digest

__all__ = ["EnsembleDetector"]

_COMBINE = ("mean", "max", "aom")
_NORMALIZE = ("zscore", "rank")
# A member's spread at most this share of its largest absolute score is round-off:
# scores equal but for their last bits (a sum over features in another order; a
# float32 matrix carries about 7 significant digits).
_ROUND_OFF = 1e-6


def _member_scale(scores: np.ndarray) -> tuple[float, float]:
    """(centre, spread) of a member's training scores for the "zscore" normalisation:
    the median and 1.4826 MAD, else the standard deviation, else 1 (as
    :func:`~oddseq.utils._stats.robust_spread` with ``fallback="std"``), where a spread
    within round-off of the scores' size counts as none. Dividing by a round-off spread
    blew last-bit differences up: PCA's T^2 of 4 rows (2.25 each but for the last bits)
    added +-2 to the combined score, and a MAD of 1.6e-16 gave one of 4 loghub Apache
    "modules" a score of 1.85e15."""
    centre, spread = (float(v) for v in robust_spread(scores, fallback="std"))
    size = float(np.max(np.abs(scores))) if scores.size else 0.0
    if spread <= _ROUND_OFF * size:
        std = float(np.std(scores))
        spread = std if std > _ROUND_OFF * size else 1.0
    return centre, spread


class EnsembleDetector(BaseDetector):
    """Several detectors as one: each member's scores are put on a common scale, then
    combined (Aggarwal & Sathe 2015).

    Parameters
    ----------
    detectors : list of detectors or (name, detector) pairs
        Unfitted; each is cloned and fitted on the same X. Their names (given, or the
        class name and position) must differ.
    combine : {"mean", "max", "aom"}, default="mean"
        "aom" (average of maxima) splits the members into ``n_buckets`` random groups,
        takes the maximum within each and averages those.
    normalize : {"zscore", "rank"}, default="zscore"
        "zscore": (score - median) / (1.4826 MAD) of the member's training scores, so a
        member's outliers cannot squash its scale; "rank": the share of training scores
        below (0 to 1).
    n_buckets : int, default=2
    explain_with : list of str, optional
        Names of the members that may explain a row (default: every member). Members
        whose expectation is the population's (a cluster centre, the mean) give reasons
        an analyst reads as "unlike typical users"; local ones (LOF's neighbours, PCA's
        reconstruction) can call an extreme value typical when the row's neighbours or
        its own projection are extreme too.
    contamination : float in (0, 0.5] or "auto", default=0.1
    random_state : int, RandomState or None (the "aom" grouping)

    Attributes
    ----------
    detectors_ : list of (name, fitted detector)

    Examples
    --------
    >>> import numpy as np
    >>> from oddseq.detect import KNNDetector, RobustZDetector
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[6.0, 6.0]]])
    >>> det = EnsembleDetector([KNNDetector(), RobustZDetector()], contamination=0.01).fit(X)
    >>> int(np.argmax(det.decision_scores_))
    300
    """

    def __init__(
        self,
        detectors,
        *,
        combine="mean",
        normalize="zscore",
        n_buckets=2,
        explain_with=None,
        contamination=0.1,
        random_state=None,
    ):
        self.detectors = detectors
        self.combine = combine
        self.normalize = normalize
        self.n_buckets = n_buckets
        self.explain_with = explain_with
        self.contamination = contamination
        self.random_state = random_state

    def _members(self):
        if not isinstance(self.detectors, (list, tuple)) or not self.detectors:
            raise ValueError("detectors must be a non-empty list of detectors")
        members = []
        for i, item in enumerate(self.detectors):
            name, det = item if isinstance(item, tuple) else (f"{type(item).__name__}_{i}", item)
            if not hasattr(det, "fit") or not hasattr(det, "decision_function"):
                raise TypeError(f"{name} is not a detector (needs fit and decision_function)")
            members.append((name, clone(det)))
        names = [name for name, _ in members]
        repeated = sorted({name for name in names if names.count(name) > 1}, key=str)
        if repeated:
            raise ValueError(
                f"detectors: member names must differ (explain and explain_with tell the "
                f"members by name), got {repeated} more than once in {names}; rename them"
            )
        return members

    _parameter_checks = {
        **BaseDetector._parameter_checks,
        "combine": Options(*_COMBINE),
        "normalize": Options(*_NORMALIZE),
        "n_buckets": Integer(1),
    }

    def _check_params(self) -> int:
        return self._validate_params()["n_buckets"]

    def fit(self, X, y=None):
        self._check_params()
        digest = matrix_digest(validate_matrix(self, X, reset=True))
        # Members see X as given (a DataFrame keeps its column names for explain). Their
        # own cuts are not used, so their warning about scores without spread is not
        # the ensemble's to raise (its own cut warns if the combined scores have none).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="every score is the same")
            fitted = [(name, det.fit(X)) for name, det in self._members()]
        self._set_members(fitted)
        self._train_digest = digest
        return self

    def _set_members(self, fitted):
        """The fitted state from fitted members (each with ``decision_scores_`` on the
        same rows), wherever they were fitted: here, or over partitions by oddseq.dask,
        where no training matrix is at hand and :meth:`explain` scores rows afresh."""
        buckets = self._check_params()
        self._train_digest = None
        self.n_features_in_ = fitted[0][1].n_features_in_
        self.detectors_ = fitted
        self._train_scores = [np.sort(det.decision_scores_) for _, det in self.detectors_]
        centre, spread = zip(*(_member_scale(s) for s in self._train_scores))
        self._centre, self._spread = np.array(centre), np.array(spread)
        m = len(self.detectors_)
        order = check_random_state(self.random_state).permutation(m)
        self._buckets = [b for b in np.array_split(order, min(buckets, m)) if b.size]
        self._set_threshold(
            self._combine(np.column_stack([det.decision_scores_ for _, det in self.detectors_]))
        )
        return self

    def member_scores(self, X):
        """Each member's normalised score, shape (n_rows, n_members)."""
        check_is_fitted(self, "detectors_")
        validate_matrix(self, X, reset=False)
        return self._normalised(
            np.column_stack([det.decision_function(X) for _, det in self.detectors_])
        )

    def score_normalization(self):
        """(centre, spread) per member of the "zscore" normalisation: a member's score s
        enters the combination as (s - centre) / spread (the median and 1.4826 MAD of
        its training scores). The stream's C++ scoring reads them from here.

        Examples
        --------
        >>> import numpy as np
        >>> from oddseq.detect import KNNDetector, RobustZDetector
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> det = EnsembleDetector([KNNDetector(), RobustZDetector()]).fit(X)
        >>> [part.shape for part in det.score_normalization()]
        [(2,), (2,)]
        """
        check_is_fitted(self, "detectors_")
        return self._centre.copy(), self._spread.copy()

    def _normalised(self, raw):
        if self.normalize == "zscore":
            return (raw - self._centre) / self._spread
        return np.column_stack(
            [
                np.searchsorted(train, raw[:, j], side="left") / train.size
                for j, train in enumerate(self._train_scores)
            ]
        )

    def _combine(self, raw):
        scores = self._normalised(raw)
        if self.combine == "mean":
            return scores.mean(axis=1)
        if self.combine == "max":
            return scores.max(axis=1)
        return np.column_stack([scores[:, b].max(axis=1) for b in self._buckets]).mean(axis=1)

    def cluster_of(self, X) -> np.ndarray:
        """The groups of the first member that clusters (see ``BaseDetector.cluster_of``);
        -1 for every row when none does."""
        check_is_fitted(self, "detectors_")
        for _, det in self.detectors_:
            if type(det).cluster_of is not BaseDetector.cluster_of:
                return det.cluster_of(X)
        return super().cluster_of(X)

    def decision_function(self, X):
        """Combined normalised score (higher = more anomalous)."""
        check_is_fitted(self, "detectors_")
        validate_matrix(self, X, reset=False)
        return self._combine(
            np.column_stack([det.decision_function(X) for _, det in self.detectors_])
        )

    def explain(self, X, top=3, feature_names=None):
        """Each row explained by the member that scores it highest (normalised), with
        that member's name in ``detector``. Given the training matrix again, the
        members' training scores (``decision_scores_``, the ones ``labels_`` come from)
        pick the member, without scoring the rows a second time."""
        import pandas as pd

        check_is_fitted(self, "detectors_")
        array = validate_matrix(self, X, reset=False)
        training = is_training_matrix(array, getattr(self, "_train_digest", None))
        if training:
            scores = self._normalised(
                np.column_stack([det.decision_scores_ for _, det in self.detectors_])
            )
        else:
            scores = self.member_scores(X)
        names = [name for name, _ in self.detectors_]
        if self.explain_with is not None:
            unknown = sorted(set(self.explain_with) - set(names))
            if unknown or not len(self.explain_with):
                raise ValueError(
                    f"explain_with must name members among {names}, got {self.explain_with!r}"
                )
            scores = np.where(np.isin(names, list(self.explain_with)), scores, -np.inf)
        lead = scores.argmax(axis=1)
        frames = []
        positions = np.arange(len(lead))
        for j, (name, det) in enumerate(self.detectors_):
            rows = positions[lead == j]
            if rows.size == 0 or not hasattr(det, "explain"):
                continue
            # Members number their rows 0.. within the subset; mapped back to positions.
            if training and hasattr(det, "_explain_training_rows"):
                part = det._explain_training_rows(rows, top, feature_names)
            else:
                subset = (
                    X.iloc[rows].reset_index(drop=True)  # keeps the column names
                    if isinstance(X, pd.DataFrame)
                    else np.asarray(X)[rows]
                )
                part = det.explain(subset, top=top, feature_names=feature_names)
            part.index = part.index.set_levels(rows[part.index.levels[0].to_numpy()], level="row")
            part["detector"] = name
            frames.append(part)
        # In the order of X's rows (not of its labels), then labelled like X.
        explained = pd.concat(frames).sort_index(level=["row", "rank"], sort_remaining=False)
        if isinstance(X, pd.DataFrame):
            explained.index = explained.index.set_levels(
                X.index[explained.index.levels[0].to_numpy()], level="row", verify_integrity=False
            )
        return explained
