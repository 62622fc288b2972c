"""What every detector shares: PyOD's surface on scikit-learn's BaseEstimator."""

from __future__ import annotations

import contextlib
import hashlib
import numbers
import warnings
import weakref
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._persist import SaveMixin
from ..utils._deprecation import translate_renamed
from ..utils._exact import mean_std
from ..utils._params import Contamination, validate_params
from ..utils._stats import MAD_TO_STD, median_and_mad, spread_or_std
from ..utils._validation import check_positive_int, validate_matrix
from ._threshold import (
    DEFAULT_FALSE_ALARM_RATE,
    DEFAULT_NORMAL_FALSE_ALARM_RATE,
    _auto_cut,
    tail_probability,
)

__all__ = ["BaseDetector", "Explanation", "explanation_frame", "robust_scale"]


def check_contamination(contamination, *, allow_auto: bool = True):
    """A float in (0, 0.5], or "auto" (the detector's own cut, see BaseDetector)."""
    if allow_auto and isinstance(contamination, str) and contamination == "auto":
        return "auto"
    if isinstance(contamination, bool) or not isinstance(contamination, numbers.Real):
        raise TypeError(
            f"contamination must be a number in (0, 0.5] or 'auto', got {contamination!r}"
        )
    if not 0 < contamination <= 0.5:
        # (a percent for a share: 5 for 5%, TR s69 L3)
        percent = (
            f"; for {contamination:g}% pass contamination={contamination / 100:g}"
            if 1 <= contamination <= 50
            else ""
        )
        raise ValueError(
            f"contamination must be in (0, 0.5] (the expected share of anomalies), "
            f"got {contamination}{percent}"
        )
    return float(contamination)


def matrix_digest(X: np.ndarray) -> tuple:
    """Shape, dtype and a cryptographic digest of a matrix's bytes: tells whether a
    detector is handed its training matrix again without keeping a copy of it."""
    array = np.ascontiguousarray(X)
    return array.shape, array.dtype.str, hashlib.blake2b(array.data, digest_size=16).hexdigest()


def is_training_matrix(X: np.ndarray, kept) -> bool:
    """Whether X is the matrix a detector was fitted on, so that explain() may reuse what
    fit computed for those rows. ``kept`` is what fit kept of it: the matrix itself where
    the detector holds it anyway (the neighbour detectors, whose explanations read the
    training rows), compared value by value (0.03 CPU-s at 1M x 30 float64); or, where
    the detector keeps no copy (the ensemble), its :func:`matrix_digest` (0.23 CPU-s,
    and no n x d values held); None (nothing kept: fitted over partitions) answers no.
    Another shape answers no before any value is read."""
    if kept is None:
        return False
    if isinstance(kept, np.ndarray):
        return X.shape == kept.shape and np.array_equal(X, kept)
    return X.shape == tuple(kept[0]) and matrix_digest(X) == kept


def robust_median_scale(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(median, spread) per column of X as float64: spread = 1.4826 x MAD, else the
    standard deviation, else 1 (a constant column), as
    :func:`oddseq.utils._stats.robust_spread` with ``fallback="std"`` but with the exact
    standard deviation (:func:`oddseq.utils._exact.mean_std`), the one oddseq.dask adds
    up over partitions, so both give the same bits."""
    X = np.asarray(X, dtype=np.float64)
    median, mad = median_and_mad(X)
    return median, spread_or_std(MAD_TO_STD * mad, mean_std(X)[1])


def robust_scale(X: np.ndarray) -> np.ndarray:
    """Per-column spread for explanations (:func:`robust_median_scale`'s)."""
    return robust_median_scale(X)[1]


def feature_names_for(detector, n_features: int, feature_names=None) -> np.ndarray:
    names = feature_names
    if names is None:
        names = getattr(detector, "feature_names_in_", None)
    if names is None:
        names = [f"x{j}" for j in range(n_features)]
    names = np.asarray(names, dtype=object)
    if names.shape != (n_features,):
        raise ValueError(f"feature_names needs {n_features} names, got {names.shape[0]}")
    return names


def explanation_frame(
    names, X, typical, contribution, scale, top: int, index=None, extra=None
) -> pd.DataFrame:
    """The long explanation table every detector returns: per row its ``top`` features
    by contribution to the score, with ``value``, ``typical`` (what the detector
    expected), ``deviation`` ((value - typical) / the feature's spread) and ``share`` (of
    the row's total contribution: of signed T^2 terms it is negative where the feature
    lowers the score, and can pass 1); indexed by (row, rank)."""
    n, d = X.shape
    top = min(top, d)
    contribution = np.ascontiguousarray(contribution, dtype=np.float64)
    # The top columns per row by a partial selection in C++ (a full argsort of every row
    # took 5 s of the reasons for 5.9 million sessions); the other columns are computed
    # only where picked, not over the whole matrix.
    order = _core.top_columns(contribution, top, 0)
    rows = np.repeat(np.arange(n), top)
    cols = order.ravel()
    total = contribution.sum(axis=1)[rows]
    picked = contribution[rows, cols]
    share = np.divide(picked, total, out=np.zeros_like(picked), where=total > 0)
    value, expected = X[rows, cols], typical[rows, cols]
    scale = np.asarray(scale)
    deviation = (value - expected) / (scale[cols] if scale.ndim == 1 else scale[rows, cols])
    categories = pd.Index(names, dtype=object)
    columns = {
        # Categorical: a million rows name four million features, as codes into names
        # (categories must be unique: repeated column names stay plain strings).
        "feature": (
            pd.Categorical.from_codes(cols, categories=categories)
            if categories.is_unique
            else names[cols]
        ),
        "value": value,
        "typical": expected,
        "deviation": deviation,
        "share": share,
    }
    for key, per_row in (extra or {}).items():
        columns[key] = np.asarray(per_row)[rows]
    row_ids = rows if index is None else index.take(rows)
    return pd.DataFrame(
        columns,
        index=pd.MultiIndex.from_arrays(
            [row_ids, np.tile(np.arange(1, top + 1), n)], names=["row", "rank"]
        ),
    )


def min_max_probability(scores, low: float, high: float) -> np.ndarray:
    """``predict_proba(method="linear")``'s anomaly probability (PyOD's): the scores
    min-max scaled by the training range [low, high] and clipped to [0, 1]; where the
    range has no span, 1 above it and 0 elsewhere. Detectors and AnomalyPipeline."""
    span = high - low
    scores = np.asarray(scores, dtype=np.float64)
    if span > 0:
        return np.clip((scores - low) / span, 0.0, 1.0)
    return (scores > high).astype(np.float64)


class TrainingStats:
    """For detectors that explain against the training data's centre: ``median_`` and
    ``feature_scale_`` (1.4826 x MAD, else the standard deviation, else 1) per feature,
    computed when first asked for (three medians per feature cost more than scoring the
    rows) from the rows ``_stats_rows()`` gives; ``fit`` resets ``_feature_stats``."""

    _feature_stats = None

    def _stats(self):
        if self._feature_stats is None:
            rows = np.asarray(self._stats_rows(), dtype=np.float64)
            self._feature_stats = robust_median_scale(rows)
        return self._feature_stats

    @property
    def median_(self):
        """Training median per feature (``typical`` in :meth:`explain`)."""
        return self._stats()[0]

    @property
    def feature_scale_(self):
        """Robust spread per feature of the training rows (1.4826 x MAD, else the
        standard deviation, else 1), which :meth:`explain` divides deviations by."""
        return self._stats()[1]


class Explanation(NamedTuple):
    """What a detector's ``_explain(X)`` hook gives :meth:`BaseDetector.explain`, per
    row and feature: ``value`` (float64), ``typical`` (what the detector expected),
    ``contribution`` (the feature's pull on the row's score, >= 0; PCA's T^2 terms are
    signed: a negative one lowers the score) and ``scale`` (the
    spread deviations are measured in: per feature, or per row and feature);
    ``extra``: more per-row columns (name -> values)."""

    value: np.ndarray
    typical: np.ndarray
    contribution: np.ndarray
    scale: np.ndarray
    extra: dict | None = None


class BaseDetector(SaveMixin, BaseEstimator):
    """PyOD's detector surface: ``fit``, ``decision_function`` (higher = more
    anomalous), ``predict`` (0 normal / 1 anomaly), ``predict_proba``,
    ``decision_scores_``, ``labels_``, ``threshold_``; plus ``score_samples`` with
    scikit-learn's sign (higher = more normal).

    Thresholds: a float ``contamination`` flags that top share of the training scores;
    ``contamination="auto"`` uses the detector's own cut where it has one (a statistical
    limit, DBSCAN's noise) and otherwise the unsupervised cut of every oddseq model
    (:func:`oddseq.detect.auto_cut`): the score a normal row exceeds with probability
    0.01 by a generalized Pareto model of the training scores' tail fitted where up to
    5% of anomalies cannot bend it, moved up into a clear gap above it if there is one.

    Subclasses implement ``fit`` (which ends with ``_set_threshold(train_scores)``) and
    ``decision_function``; a subclass with a natural cut overrides ``_auto_threshold``;
    one that explains its scores feature by feature implements ``_explain(X)`` (an
    :class:`Explanation` of a validated matrix), and :meth:`explain` does the rest.
    """

    # What the detector reads: "matrix" (rows of features) or "sequences" (the event
    # sequences themselves, as Markov and the neural models); AnomalyPipeline picks
    # the input stage that feeds it and words its reasons by it.
    input_kind = "matrix"
    # Whether contamination="auto" cuts at a natural limit of the detector's own
    # (``_auto_threshold`` overridden: Isolation Forest's 0.5, DBSCAN's noise) rather
    # than by the unsupervised tail cut, which warns when every score is the same.
    natural_cut = False

    def explain(self, X, top=3, feature_names=None):
        """The ``top`` features that drive each row's score: a long DataFrame indexed by
        (row, rank) with ``feature``, ``value``, ``typical`` (what the detector expected
        of the row), ``deviation`` ((value - typical) in the feature's spread: the sign
        says above or below) and ``share`` (of the row's total contribution to the
        score; PCA's T^2 terms are signed, so a share is negative where the feature
        lowers the score, and can pass 1). What typical and the contribution are is
        each detector's own (its ``_explain``). ``feature_names``: default the
        DataFrame columns seen in fit, else x0, x1, ..."""
        check_is_fitted(self)
        top = check_positive_int(top, "top")
        index = X.index if isinstance(X, pd.DataFrame) else None
        X = validate_matrix(self, X, reset=False)
        return self._explanation_frame(self._explain(X), top, feature_names, index)

    def _explain(self, X) -> Explanation:
        raise NotImplementedError(f"{type(self).__name__} does not explain its scores")

    def _explanation_frame(self, part: Explanation, top, feature_names=None, index=None):
        names = feature_names_for(self, part.value.shape[1], feature_names)
        return explanation_frame(
            names,
            part.value,
            part.typical,
            part.contribution,
            part.scale,
            top,
            index,
            extra=part.extra,
        )

    # Each parameter's constraint (oddseq.utils._params); subclasses extend the table.
    _parameter_checks: dict = {"contamination": Contamination()}

    def _validate_params(self) -> dict:
        """The parameters checked against the class's ``_parameter_checks``, by
        name (in the form the code uses: ints, floats, the core's thread count)."""
        return validate_params(self)

    def cluster_of(self, X) -> np.ndarray:
        """The group of each row of X for detectors that cluster (K-means, DBSCAN, an
        ensemble with such a member); -1 for every row here, and for DBSCAN's noise."""
        return np.full(len(X), -1, dtype=np.int64)

    def set_params(self, **params):
        """scikit-learn's ``set_params``; a renamed parameter's old name still works,
        with a FutureWarning, as in the constructor."""
        return super().set_params(**translate_renamed(self, params))

    def _cut_floor(self) -> float | None:
        """The least cut the detector's own rule allows, or None: the unsupervised cut
        never falls below it (MarkovDetector: one miss, DeepLog's rule)."""
        return None

    def _unsupervised_cut(
        self, scores, false_alarm_rate: float = DEFAULT_FALSE_ALARM_RATE, warn: bool = True
    ):
        """The detector's cut of unlabelled training scores at ``false_alarm_rate``:
        ``(cut, tail cut, auto cut)``, the auto cut (:func:`oddseq.detect.auto_cut`, the
        tail cut moved into a clear gap) raised to ``_cut_floor()`` where the detector
        has one. The one rule of ``contamination="auto"`` (for detectors without a
        natural cut) and of ``AnomalyPipeline``'s unsupervised cut. Scores all equal
        and below the floor: the floor, nothing flagged, without the warning about
        equal scores (identical sessions without a miss are nothing to warn about);
        ``warn=False``: never that warning (a caller that said it already)."""
        scores = np.asarray(scores, dtype=np.float64)
        floor = self._cut_floor()
        if floor is not None and scores.max() < floor and scores.min() == scores.max():
            return float(floor), float(scores.max()), float(scores.max())
        cut, tail = _auto_cut(scores, false_alarm_rate, warn=warn)
        return (cut if floor is None else max(float(floor), cut)), tail, cut

    def _auto_threshold(self, scores: np.ndarray) -> float:
        return self._unsupervised_cut(scores)[0]

    def _set_threshold(self, scores: np.ndarray) -> None:
        contamination = check_contamination(self.contamination)
        self.decision_scores_ = np.asarray(scores, dtype=np.float64)
        if contamination == "auto":
            self.threshold_ = float(self._auto_threshold(self.decision_scores_))
        else:
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

    def predict_proba(self, X, method="linear"):
        """Probability of (normal, anomaly) per row.

        ``method="linear"`` (PyOD's default): the score min-max scaled by the training
        scores and clipped to [0, 1]. ``method="tail"``: the share of training rows that
        score lower, with a generalized Pareto tail beyond the highest (one minus
        :func:`oddseq.detect.tail_probability`): a probability integral transform, so
        on rows like the training rows it is uniform, and 0.99 means "higher than 99% of
        what the model was fitted on" whatever the detector's scale.
        """
        check_is_fitted(self, "decision_scores_")
        if method not in ("linear", "tail"):
            raise ValueError(f"method must be 'linear' or 'tail', got {method!r}")
        scores = self.decision_function(X)
        if method == "tail":
            anomaly = 1.0 - tail_probability(self.decision_scores_, scores)
            return np.column_stack([1 - anomaly, anomaly])
        anomaly = min_max_probability(scores, *self._score_range)
        return np.column_stack([1 - anomaly, anomaly])

    def predict_confidence(self, X):
        """How stable each row's 0/1 verdict is, in [0, 1]: the probability that the
        detector refitted on another draw of its training data, cut by the same rule,
        puts the row on the same side of the cut (PyOD's ``predict_confidence``, the
        ExCeeD method of Perini et al., ECML PKDD 2020, widened by the cut's own spread
        where its rule can be re-run). 1 = the verdict would not change; near 0.5 = it
        rests on the cut.

        ``contamination="auto"`` (a detector without a natural cut): the rule is re-run
        on other draws of the reference scores (the training scores; a neural model's
        held-out ones where it was fitted normal-only), resampled as
        :func:`bootstrap_cuts` does, and the confidence is the share of those cuts that
        keep the verdict (:func:`verdict_confidence`'s ``cuts``): a tail model's
        extrapolation, a gap it moved into and a floor (Markov's one miss) spread or
        hold as they do, where ExCeeD read them as a quantile at the rate. A float
        ``contamination``, a natural cut and a threshold set by hand (``threshold_`` not
        what its rule gives): ExCeeD as PyOD's, at the contamination or the share the
        cut flags (a cut set by hand, or a limit, does not move with the data). Either
        way the scores are held fixed: a refit that moves them flips more verdicts than
        this says (unsupervised fits most)."""
        check_is_fitted(self, "decision_scores_")
        scores = self.decision_function(X)
        reference, rule = self._confidence_rule()
        share = float(np.mean(reference > self.threshold_))
        rate = self._cut_rate()
        cuts = None
        if isinstance(self.contamination, numbers.Real) and not isinstance(
            self.contamination, bool
        ):
            share = rate = float(self.contamination)
        else:
            if rule is not None:
                cuts = cut_spread(self, reference, rule, self.threshold_, rate)
            if cuts is None and not getattr(self, "support_rule_", False):
                rate = None  # a natural cut, or one set by hand: the share it flags
        return verdict_confidence(
            reference, scores, scores > self.threshold_, share, rate=rate, cuts=cuts
        )

    def _confidence_rule(self):
        """(reference, rule) for :meth:`predict_confidence`: the scores the cut was taken
        from (the training scores; a model fitted normal-only on held-out scores of its
        own, ``validation_scores_``: those) and the ``contamination="auto"`` cut as a
        function of them, or None where there is no rule to re-run (a float
        contamination, a natural cut, the support rule); :func:`cut_spread` checks that
        it gives ``threshold_`` on the reference (else a threshold set by hand)."""
        reference = self.decision_scores_
        held_out = getattr(self, "validation_scores_", None)
        normal = bool(getattr(self, "normal_", False))
        if normal and held_out is not None:
            reference = np.asarray(held_out, dtype=np.float64)
        if self.natural_cut or self.contamination != "auto":
            return reference, None
        if getattr(self, "support_rule_", False):  # (its cut reads those inside the support)
            return reference, None
        rate = self._cut_rate()
        if normal:
            from ._threshold import normal_cut

            def rule(scores):
                return normal_cut(scores, rate)
        else:
            rule = self._auto_threshold  # (a function of the scores alone here)
        return reference, rule

    def _cut_rate(self) -> float | None:
        """The share of the training scores ``contamination="auto"``'s cut aims to flag
        (its false-alarm rate: the detector's ``false_alarm_rate`` where it has one set,
        else the default of its way of fitting, normal-only or not), or None where the
        cut is a natural limit of the detector's own (``natural_cut``)."""
        if self.natural_cut:
            return None
        rate = getattr(self, "false_alarm_rate", None)
        if rate:
            return float(rate)
        if getattr(self, "normal_", False):
            return DEFAULT_NORMAL_FALSE_ALARM_RATE
        return DEFAULT_FALSE_ALARM_RATE


def _same_cut(rule, reference, threshold):
    """``rule`` where it gives ``threshold`` on ``reference`` (so it is the rule that
    made the cut), else None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            again = float(rule(np.asarray(reference, dtype=np.float64)))
        except (ValueError, FloatingPointError):
            return None
    return rule if again == float(threshold) else None


# The spreads computed, per fitted model (not saved with it): (threshold, rate, the
# reference's digest) -> cuts, or None where the rule did not give the threshold.
_SPREADS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cut_spread(owner, reference, rule, threshold, rate=None):
    """:func:`bootstrap_cuts` of ``rule`` on ``reference`` where the rule gives
    ``threshold`` on it (it made the cut), else None; kept per ``owner`` (a fitted
    model) while its threshold and reference stay the same, so that a model asked
    again does not re-run the rule 100 times (seconds on a million scores); ``rate``:
    the rule's false-alarm rate, part of what the kept spread must match."""
    reference = np.asarray(reference, dtype=np.float64)
    key = (float(threshold), rate, matrix_digest(reference))
    try:
        kept = _SPREADS.get(owner)
    except TypeError:  # (an owner that cannot be weakly referenced)
        kept = None
    if kept is not None and kept[0] == key:
        return kept[1]
    rule = _same_cut(rule, reference, threshold)
    cuts = None if rule is None else bootstrap_cuts(reference, rule)
    with contextlib.suppress(TypeError):
        _SPREADS[owner] = (key, cuts)
    return cuts


# Bootstrap resamples of the reference for the cut's spread: 100 (a confidence to the
# hundredth), fewer where the reference is so large that the cut barely moves.
_CUT_DRAWS, _CUT_DRAW_BUDGET, _CUT_DRAWS_MIN = 100, 20_000_000, 30


def bootstrap_cuts(reference, rule, n_draws: int | None = None, seed: int = 0) -> np.ndarray:
    """The cuts ``rule`` (scores -> cut) would take on other draws of the data the
    ``reference`` scores came from, the scorer held fixed: each of ``n_draws`` is a
    bootstrap resample of a bootstrap resample of ``reference`` (the first stands for
    the population the reference is one draw of, the second for another draw from it:
    a cut is as unsure of the population's cut as another draw's is of it, so the
    spread about the reference's cut is twice the variance of a single resample's, as
    ExCeeD's binomial of a quantile is). Sorted; deterministic for a ``seed``.
    ``n_draws`` defaults to 100, down to 30 on references over 200,000 scores (at most
    20 million scores resampled in all).

    Measured on scores drawn from four known laws (lognormal, gamma, |t3|, exponential;
    1,000 a reference, 12 references, 25 rows across the cut's range) against the share
    of 300 fresh draws whose cut keeps each verdict: binned |predicted - observed|
    0.046-0.090 for the tail cut (single resamples 0.10-0.16; ExCeeD at the rate
    0.15-0.20)."""
    reference = np.asarray(reference, dtype=np.float64)
    n = reference.size
    if n == 0:
        raise ValueError("reference must hold at least one score")
    if n_draws is None:
        n_draws = max(_CUT_DRAWS_MIN, min(_CUT_DRAWS, _CUT_DRAW_BUDGET // n))
    n_draws = check_positive_int(n_draws, "n_draws")
    rng = np.random.default_rng(seed)
    cuts = np.empty(n_draws)
    with warnings.catch_warnings():  # (a resample's own warnings: ties, few scores)
        warnings.simplefilter("ignore")
        for b in range(n_draws):
            population = rng.integers(0, n, n)
            cuts[b] = rule(reference[population[rng.integers(0, n, n)]])
    if not np.all(np.isfinite(cuts)):
        raise ValueError("rule gave a cut that is not finite on a resample of reference")
    cuts.sort()
    return cuts


class PipelineCut(NamedTuple):
    """One cut by :class:`oddseq.AnomalyPipeline`'s rule (:func:`pipeline_cut`):
    ``cut``, the threshold; for the unsupervised tail cut also what its record reads:
    ``tail`` (the tail model's cut before the moves into a gap), ``moved`` (after them,
    before the detector's own floor), ``refit`` (``_tail_refit``'s record where the
    first cut collapsed and was repaired) and ``bagged`` (:func:`bagged_cut`'s record:
    the cut is the share the rule flags on bootstrap draws, on average; None where the
    scores were not drawn); None where they do not apply."""

    cut: float
    tail: float | None = None
    moved: float | None = None
    refit: dict | None = None
    bagged: dict | None = None


def pipeline_cut(pipe, scores, rate=None, warn: bool = False, bagged: bool = True) -> PipelineCut:
    """:class:`oddseq.AnomalyPipeline`'s cut of its reference ``scores`` by its own
    rule: the one composition its fit (``_set_threshold``) and its
    ``predict_confidence`` (which re-runs it on resamples of the reference,
    :func:`pipeline_confidence_cuts`) both call, so the two cannot drift apart.

    Which cut, by the pipeline's parameters: a float ``contamination``, that top share
    of the scores; normal-only fitting (``normal_``), ``normal_cut`` at ``rate`` (the
    out-of-fold scores' quantile; a neural model's own normal-only cut is its fit's
    and the same quantile of its held-out scores); unsupervised ``threshold="tail"``,
    the detector's ``_unsupervised_cut`` at ``rate`` (the tail cut moved into a clear
    gap, raised to the detector's own floor), and where the floor did not decide and
    the cut collapsed, ``_tail_refit``'s repair, raised to that floor again; that
    rule then bagged (``bagged=True``, :func:`bagged_cut`: the share it flags on
    bootstrap draws of the scores, on average, never under the floor);
    ``threshold="mad"``, ``mad_cut``. Normal-only fitting's support rule re-cuts after
    this where it holds (:func:`support_cut`). ``warn``: the detector's warning about
    equal scores (the fit's; never on resamples). ``bagged=False``: the rule as one
    draw sees it (what the bag averages, and what ``predict_confidence`` re-runs)."""
    from .._pipeline import _tail_refit
    from . import _threshold
    from ._threshold import bagged_cut, mad_cut, normal_cut

    scores = np.asarray(scores, dtype=np.float64)
    if pipe.contamination != "auto":
        return PipelineCut(float(np.percentile(scores, 100 * (1 - pipe.contamination))))
    if pipe.normal_:
        return PipelineCut(normal_cut(scores, rate))
    if pipe.threshold != "tail":
        return PipelineCut(mad_cut(scores))
    detector = pipe.detector_
    cut, tail, moved = detector._unsupervised_cut(scores, rate, warn=warn)
    refit = None
    if cut == moved:  # (a detector's own floor is its own rule)
        refit = _tail_refit(scores, rate, cut)
        if refit is not None:  # the cut collapsed: repaired (see _tail_refit)
            moved, tail = refit["threshold"], refit["tail_threshold"]
            # never below the detector's own floor (Markov: one miss), which the
            # first cut was not raised to
            own = detector._cut_floor()
            cut = moved if own is None else max(float(own), moved)
    bag = None
    if bagged and _threshold._BAGGED_CUT:
        bag = bagged_cut(scores, lambda draw: pipeline_cut(pipe, draw, rate, bagged=False).cut, cut)
        if bag is not None:
            own = detector._cut_floor()
            cut = bag["threshold"] if own is None else max(float(own), bag["threshold"])
    return PipelineCut(cut, tail, moved, refit, bag)


def pipeline_confidence_cuts(pipe, reference):
    """:func:`bootstrap_cuts` of an ``AnomalyPipeline``'s cut, for its
    ``predict_confidence``: its rule (:func:`pipeline_cut`, the composition its fit
    calls) re-run on resamples of ``reference`` (its ``_reference()``), or None where
    there is none to re-run or it does not give ``threshold_`` on the reference: a
    float contamination (ExCeeD is a quantile's spread), normal-only fitting's support
    rule (its cut reads the normal entities inside the range, not kept), a neural
    model's own support rule."""
    support = getattr(pipe, "support_rule_", False)
    if pipe.contamination != "auto" or support or getattr(pipe.detector_, "support_rule_", False):
        return None  # (the support rule's cut: of the entities inside the range)
    info = getattr(pipe, "threshold_info_", None) or {}
    rate = info.get("false_alarm_rate")
    mad = not pipe.normal_ and pipe.threshold != "tail"
    if rate is None and not mad:
        return None

    def rule(scores):
        return pipeline_cut(pipe, scores, rate, bagged=False).cut

    # A bagged cut's spread is its rule's on one draw (what the bag averages): the share
    # of those draws' cuts that keep each verdict, the rule checked against the cut it
    # gave on the reference before the bag.
    bag = info.get("bagged")
    threshold = pipe.threshold_ if not bag else bag["plain_threshold"]
    return cut_spread(pipe, reference, rule, threshold, rate)


def verdict_confidence(
    reference, scores, flagged, share: float, rate=None, cuts=None
) -> np.ndarray:
    """ExCeeD's confidence in each verdict (Perini et al., ECML PKDD 2020), in [0, 1]:
    a score's outlier probability from its rank among the ``reference`` scores (a
    Bayesian estimate with a uniform prior; mid-ranks: a score tied with reference
    scores has half of them below it, its place among them a toss), then the
    probability that a reference of the same size would put it on its verdict's side
    (``flagged``) of a cut flagging ``share`` of it (a binomial tail; ``share`` kept in
    [1/n, 0.5]). On untied scores it is PyOD's ``predict_confidence``.

    ``rate``: the share the cut's rule aims at (a false-alarm rate), where ``share`` is
    what the cut flags of the reference. Where that is fewer, the verdicts are read at
    ``rate``, as a float contamination always was: the rule cuts another draw at the
    score normal entities exceed at that rate, not at the share this draw happens to
    leave above its cut. A reference falls short of the rate where its scores are tied
    at the cut (a discrete score, all 0 where the fit breaks nothing: read at that
    share, a flag above n zeros read (1 - 1/n)^n = 0.37) or where the cut is a tail
    model's extrapolation above its few top scores (read at that share, as the n-th
    highest of them, flags kept by 98-100% of bootstrap refits read 0.54-0.73:
    ``benchmarks/confidence_reliability.py``). A cut that flags more than the rate
    (anomalies above it) is read at the share it flags.

    ``cuts``: where the cut's rule can be re-run, the cuts it gives on bootstrap
    resamples of the reference (:func:`bootstrap_cuts`); the confidence is then the
    share of them that keep each verdict (a flag: cuts under its score; a normal row:
    cuts at or over it), and ``share`` and ``rate`` are not read. ExCeeD's binomial is
    that spread for a quantile; a rule's own spread is not (a tail model extrapolated
    above the top scores, a cut moved into a gap, a floor no draw goes under): read
    as a quantile at the rate, normal entities under such a cut that refits keep
    45-57% of the time read 0.09-0.19. The detectors' ``predict_confidence`` and
    :meth:`oddseq.AnomalyPipeline.predict_confidence`."""
    scores = np.asarray(scores, dtype=np.float64)
    flag = np.broadcast_to(np.asarray(flagged, dtype=bool), scores.shape)
    if cuts is not None:
        cuts = np.sort(np.asarray(cuts, dtype=np.float64).ravel())
        if cuts.size == 0 or not np.all(np.isfinite(cuts)):
            raise ValueError("cuts must be a non-empty array of finite cuts (bootstrap_cuts)")
        under = np.searchsorted(cuts, scores, side="left") / cuts.size  # cuts < score
        return np.where(flag, under, 1.0 - under)
    from scipy.stats import binom

    train = np.sort(np.asarray(reference, dtype=np.float64))
    n = train.size
    below = np.searchsorted(train, scores, side="left")
    tied = np.searchsorted(train, scores, side="right") - below
    posterior = (1.0 + below + 0.5 * tied) / (2.0 + n)
    if rate is not None:
        share = max(share, float(rate))
    share = min(max(share, 1.0 / n), 0.5)
    confidence = np.asarray(1.0 - binom.cdf(n - int(n * share), n, posterior), dtype=np.float64)
    normal = ~flag
    confidence[normal] = 1.0 - confidence[normal]
    return confidence
