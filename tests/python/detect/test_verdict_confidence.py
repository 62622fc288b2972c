"""verdict_confidence (ExCeeD, Perini et al. 2020; PyOD's predict_confidence): the
probability that another draw of the training data puts a row on the same side of the
cut, where the cut flags fewer than its rule's share because the scores are tied (a
discrete score: review s29 MEDIUM-8, a sure verdict read 0.368 / 0.632)."""

import warnings

import numpy as np
import pytest
from scipy.stats import binom

from oddseq import AnomalyPipeline
from oddseq.detect import InvariantsDetector, KNNDetector
from oddseq.detect._base import verdict_confidence
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


def test_continuous_detector_confidence_unchanged_where_its_cut_flags_its_share():
    """KNN on Gaussian rows, contamination="auto" (the tail cut at the rate 0.01 flags
    1.5% here): the rate is read only where ties hold the cut, so a continuous score's
    confidence is ExCeeD at the share its cut flags, as before (new rows: no ties with
    the reference, whose mutual nearest neighbours tie in pairs)."""
    det = KNNDetector(contamination="auto").fit(np.random.default_rng(0).normal(size=(400, 3)))
    X = np.random.default_rng(1).normal(size=(80, 3)) * 2
    scores = det.decision_function(X)
    share = float(np.mean(det.decision_scores_ > det.threshold_))
    assert share == 0.015 and not np.isin(scores, det.decision_scores_).any()
    flagged = scores > det.threshold_
    assert flagged.any() and (~flagged).any()
    np.testing.assert_array_equal(
        det.predict_confidence(X),
        verdict_confidence(det.decision_scores_, scores, flagged, share),
    )


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
