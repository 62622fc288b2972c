"""verdict_confidence (ExCeeD, Perini et al. 2020; PyOD's predict_confidence): the
probability that another draw of the training data puts a row on the same side of the
cut, where the cut flags fewer than its rule's share because the scores are tied (a
discrete score: review s29 MEDIUM-8, a sure verdict read 0.368 / 0.632)."""

import warnings
from functools import partial

import numpy as np
import pytest
from scipy.stats import binom

from oddseq import AnomalyPipeline
from oddseq.detect import InvariantsDetector, KNNDetector, MarkovDetector
from oddseq.detect._base import BaseDetector, bootstrap_cuts, cut_spread, verdict_confidence
from oddseq.detect._threshold import normal_cut
from oddseq.sequences import Sequences


def _workflows(rng, n):
    """Sessions that keep c(open) = c(close): login, then opens, closes and reads."""
    out = []
    for _ in range(n):
        o, r = rng.integers(1, 4), rng.integers(0, 5)
        ev = ["open"] * o + ["close"] * o + ["read"] * r
        rng.shuffle(ev)
        out.append(["login", *ev])
    return out


def test_all_tied_reference_a_flag_above_it_and_the_tied_normal_rows_are_sure():
    """1,000 reference scores all 0, cut at the rate 0.005 flagging none (the ties
    hold it): a flag far above every score stays a flag on another draw unless more than
    the rate's share of that draw lands as high (Laplace: ~1/n); a row at 0 is normal on
    every draw of zeros. Before: share clamped to 1/n read them 0.368 and 0.632."""
    reference = np.zeros(1000)
    scores = np.array([7.0, 0.0])
    flagged = np.array([True, False])
    conf = verdict_confidence(reference, scores, flagged, 0.0, rate=0.005)
    # share 0.005: the flag needs at most 4 of 1,000 draws above it, each 1/1002 likely
    assert conf[0] == pytest.approx(binom.cdf(4, 1000, 1 / 1002), abs=1e-12)
    assert conf[0] > 0.99 and conf[1] > 0.999


def test_the_rate_is_read_where_the_cut_flags_fewer_and_the_share_where_it_flags_more():
    """A cut that flags fewer than its rate (tied scores under it, or a tail model's
    extrapolation above the few top scores) is read at the rate, as a float
    contamination is: another draw is cut at the score normal rows exceed at that rate.
    One that flags more (anomalies above it) is read at the share it flags."""
    reference = np.arange(1000.0)
    score = np.array([995.5])  # a cut at 995 flags 4 of 1,000 (0.4%), rate 1%
    fewer = verdict_confidence(reference, score, [True], 0.004, rate=0.01)
    assert fewer == pytest.approx(verdict_confidence(reference, score, [True], 0.01))
    assert fewer == pytest.approx(binom.cdf(9, 1000, 5 / 1002), abs=1e-12)
    more = verdict_confidence(reference, score, [True], 0.02, rate=0.01)
    assert more == pytest.approx(verdict_confidence(reference, score, [True], 0.02))
    tied = np.r_[np.arange(990.0), np.full(10, 990.0)]  # a cut at 990 flags none
    conf = verdict_confidence(tied, np.array([2000.0]), [True], 0.0, rate=0.01)
    assert conf == pytest.approx(binom.cdf(9, 1000, 1 / 1002), abs=1e-12)


def test_ties_take_mid_ranks():
    """A score tied with reference scores counts half of its ties below it (its rank
    among them is a toss): 50 at 0 and 50 at 1, a score of 1 has 75 below, of 0 has 25."""
    reference = np.r_[np.zeros(50), np.ones(50)]
    conf = verdict_confidence(reference, np.array([1.0, 0.0]), [True, False], 0.1)
    for c, below, flagged in zip(conf, (75, 25), (True, False), strict=True):
        flag = 1.0 - binom.cdf(100 - 10, 100, (1 + below) / 102)
        assert c == pytest.approx(flag if flagged else 1.0 - flag, abs=1e-12)


def test_untied_scores_agree_with_pyod():
    """Where both implement ExCeeD (a float contamination, scores not in the reference)
    the confidence is PyOD's predict_confidence on the same scores and cut."""
    knn = pytest.importorskip("pyod.models.knn")
    rng = np.random.default_rng(11)
    X, Y = rng.normal(size=(300, 3)), rng.normal(size=(60, 3)) * 1.7
    for contamination in (0.05, 0.1):
        peer = knn.KNN(contamination=contamination).fit(X)
        ref, scores = peer.decision_scores_, peer.decision_function(Y)
        assert not np.isin(scores, ref).any()
        ours = verdict_confidence(ref, scores, scores > peer.threshold_, contamination)
        np.testing.assert_allclose(ours, peer.predict_confidence(Y), rtol=0, atol=1e-12)


def test_invariants_detector_is_sure_of_a_broken_invariant_and_of_the_rest():
    """Review s29 MEDIUM-8's repro: 1,000 sessions keep c(open) = c(close) (all fitted
    scores 0, nothing flagged); one with an extra 'open' is flagged. Both verdicts hold
    on any other draw of such sessions: confidence ~1 (was 0.368 and 0.632)."""
    rng = np.random.default_rng(9)
    fit = Sequences.from_lists(_workflows(rng, 1000))
    new = Sequences.from_lists([*_workflows(rng, 5), ["login", "open", "open", "close"]])
    det = InvariantsDetector().fit(fit)
    assert det.predict(new).tolist() == [0, 0, 0, 0, 0, 1]
    assert not det.labels_.any()
    assert (det.predict_confidence(new) > 0.99).all()


def test_a_float_contamination_keeps_pyods_reading():
    """A float contamination's cut is a quantile, whose spread ExCeeD's binomial is: the
    detector's confidence stays PyOD's reading (the share, no resampled cuts)."""
    det = KNNDetector(contamination=0.05).fit(np.random.default_rng(0).normal(size=(400, 3)))
    X = np.random.default_rng(1).normal(size=(80, 3)) * 2
    scores = det.decision_function(X)
    np.testing.assert_array_equal(
        det.predict_confidence(X),
        verdict_confidence(det.decision_scores_, scores, scores > det.threshold_, 0.05),
    )


class _Identity(BaseDetector):
    """A detector whose score is the row's first value: refits move only the cut."""

    def __init__(self, contamination="auto"):
        self.contamination = contamination

    def fit(self, X, y=None):
        self._set_threshold(np.asarray(X, dtype=np.float64)[:, 0])
        return self

    def decision_function(self, X):
        return np.asarray(X, dtype=np.float64)[:, 0]


def _binned_gap(predicted, observed):
    """|mean predicted - mean observed| in tenths of the predicted, weighted by count."""
    bins = np.minimum((predicted * 10).astype(int), 9)
    gap = [
        abs(predicted[bins == b].mean() - observed[bins == b].mean()) * (bins == b).sum()
        for b in np.unique(bins)
    ]
    return float(np.sum(gap) / predicted.size)


def test_the_confidence_is_the_share_of_other_draws_that_keep_the_verdict():
    """The tail cut of contamination="auto" on gamma scores (n = 1,000): the share of 300
    fresh draws of the law whose cut keeps each verdict (rows across the cut's range,
    8 references) against the predicted confidence, in tenths. ExCeeD read at the rate
    (session 30) put the cut at the rate's quantile, under a tail cut that extrapolates
    above it, and its spread at a quantile's: binned gap 0.165. The cut's own rule re-run
    on resamples (bootstrap_cuts): within 0.08 (0.063)."""

    def law(seed):
        return np.random.default_rng(seed).gamma(2.0, size=(1000, 1))

    truth = np.array([_Identity().fit(law(10_000 + b)).threshold_ for b in range(300)])
    x = np.quantile(truth, np.linspace(0.02, 0.98, 25))[:, None]
    predicted, before, observed = [], [], []
    for r in range(8):
        det = _Identity().fit(law(r))
        kept = det.predict(x).astype(bool)
        observed.append(np.where(kept, (x > truth).mean(1), (x <= truth).mean(1)))
        predicted.append(det.predict_confidence(x))
        share = float(np.mean(det.decision_scores_ > det.threshold_))
        before.append(verdict_confidence(det.decision_scores_, x[:, 0], kept, share, rate=0.01))
    predicted, before, observed = map(np.concatenate, (predicted, before, observed))
    assert _binned_gap(before, observed) > 0.14
    assert _binned_gap(predicted, observed) < 0.08


def test_a_floor_no_draw_goes_under_keeps_the_rows_under_it_sure():
    """Review s30 H8 LOW-1: MarkovDetector's cut is at least one miss; fitted where no
    sequence has a miss, every cut of every draw is that floor, so a sequence without a
    miss is normal on any draw. Read at the default rate, those in the reference's top
    1% read 0.0-0.2; the floor re-run with the rule: 1."""
    rng = np.random.default_rng(3)
    k = 8
    steps = rng.dirichlet(np.full(k, 0.7), size=k)

    def walk(n):
        s = [0]
        for _ in range(n - 1):
            s.append(int(rng.choice(k, p=steps[s[-1]])))
        return [f"e{i}" for i in s]

    fit = Sequences.from_lists([walk(int(rng.integers(5, 30))) for _ in range(1500)])
    det = MarkovDetector(contamination="auto", top_g=k + 1, order=1).fit(fit)
    assert det.threshold_ > 0.99 > det.decision_scores_.max()  # the one-miss floor
    new = Sequences.from_lists([walk(int(rng.integers(5, 30))) for _ in range(1500)])
    scores = det.decision_function(new)
    top = scores >= np.quantile(det.decision_scores_, 0.99)
    assert top.sum() >= 10 and not det.predict(new).any()
    assert (det.predict_confidence(new) == 1.0).all()


def test_a_threshold_set_by_hand_is_read_at_the_share_it_flags():
    """Review s30 H8 LOW-1: a threshold_ set by hand is no rule's output: nothing to
    re-run, nor a rate to read it at; PyOD's reading (the share it flags)."""
    det = _Identity().fit(np.random.default_rng(4).gamma(2.0, size=(1000, 1)))
    det.threshold_ = float(np.quantile(det.decision_scores_, 0.998))  # flags 0.2%
    x = np.linspace(4.0, 14.0, 41)[:, None]
    share = float(np.mean(det.decision_scores_ > det.threshold_))
    np.testing.assert_array_equal(
        det.predict_confidence(x),
        verdict_confidence(det.decision_scores_, x[:, 0], x[:, 0] > det.threshold_, share),
    )


def test_a_normal_only_model_reads_its_held_out_scores():
    """A model fitted normal-only and cut on held-out scores of its own
    (``validation_scores_``, the neural models) is read against those, not its
    in-sample training scores."""

    class HeldOut(_Identity):
        def fit(self, X, y=None):
            X = np.asarray(X, dtype=np.float64)
            self.normal_, self.validation_scores_ = True, X[500:, 0] * 1.5
            return super().fit(X[:500])

        def _auto_threshold(self, scores):
            return normal_cut(self.validation_scores_, self._cut_rate())

    det = HeldOut().fit(np.random.default_rng(5).gamma(2.0, size=(3000, 1)))
    x = np.linspace(5.0, 20.0, 31)[:, None]
    held = det.validation_scores_
    rule = partial(normal_cut, false_alarm_rate=0.005)
    expected = verdict_confidence(
        held, x[:, 0], x[:, 0] > det.threshold_, 0.0, cuts=bootstrap_cuts(held, rule)
    )
    np.testing.assert_array_equal(det.predict_confidence(x), expected)


def test_deterministic_and_bad_input():
    det = KNNDetector().fit(np.random.default_rng(0).normal(size=(300, 3)))
    X = np.random.default_rng(1).normal(size=(50, 3)) * 2
    np.testing.assert_array_equal(det.predict_confidence(X), det.predict_confidence(X))
    ref = det.decision_scores_
    a, b = bootstrap_cuts(ref, det._auto_threshold), bootstrap_cuts(ref, det._auto_threshold)
    assert a.size == 100 and np.array_equal(a, b) and np.all(np.diff(a) >= 0)
    with pytest.raises(ValueError, match="reference"):
        bootstrap_cuts([], det._auto_threshold)
    with pytest.raises(ValueError, match="n_draws"):
        bootstrap_cuts(ref, det._auto_threshold, n_draws=0)
    with pytest.raises(ValueError, match="not finite"):
        bootstrap_cuts(ref, lambda s: np.nan)
    with pytest.raises(ValueError, match="cuts"):
        verdict_confidence(ref, X[:, 0], True, 0.01, cuts=[1.0, np.nan])
    with pytest.raises(ValueError, match="cuts"):
        verdict_confidence(ref, X[:, 0], True, 0.01, cuts=[])


def test_the_spread_is_kept_per_model_while_its_cut_and_reference_stay():
    """cut_spread re-runs the rule (100 draws) once per fitted model: asked again with the
    same threshold and reference it gives the same cuts without running the rule; a
    refit (another reference) or another threshold runs it again."""
    det = _Identity().fit(np.random.default_rng(6).gamma(2.0, size=(500, 1)))
    calls = []

    def rule(scores):
        calls.append(1)
        return det._auto_threshold(scores)

    first = cut_spread(det, det.decision_scores_, rule, det.threshold_, 0.01)
    assert len(calls) == 101  # (the check that the rule gives threshold_, then 100 draws)
    assert cut_spread(det, det.decision_scores_, rule, det.threshold_, 0.01) is first
    assert len(calls) == 101
    assert cut_spread(det, det.decision_scores_, rule, det.threshold_ + 1, 0.01) is None
    det.fit(np.random.default_rng(7).gamma(2.0, size=(500, 1)))
    again = cut_spread(det, det.decision_scores_, rule, det.threshold_, 0.01)
    assert len(calls) == 203 and not np.array_equal(again, first)


def test_pipeline_normal_only_invariants_is_sure_of_its_verdicts():
    rng = np.random.default_rng(9)
    fit = Sequences.from_lists(_workflows(rng, 1000))
    new = Sequences.from_lists([*_workflows(rng, 5), ["login", "open", "open", "close"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(method="invariants").fit(fit, normal=True)
        flags = pipe.score(new)["is_anomaly"].reindex(new.ids).tolist()
        conf = pipe.predict_confidence(new)
    assert flags == [False] * 5 + [True]
    assert (conf > 0.99).all()
