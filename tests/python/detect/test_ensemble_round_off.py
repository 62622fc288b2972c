"""EnsembleDetector's "zscore" normalisation: a member whose training scores are equal
up to rounding has no spread to divide by (its last-bit differences are not blown up)."""

import numpy as np
import pytest

from oddseq.detect import EnsembleDetector, PCADetector, RobustZDetector


@pytest.mark.parametrize("seed", range(5))
def test_a_member_equal_up_to_rounding_contributes_nothing(seed):
    # T^2 of 4 rows in 6 dimensions is 2.25 for every row, but for the last bits
    X = np.random.default_rng(seed).normal(size=(4, 6))
    members = [("pca_t2", PCADetector(statistic="t2")), ("robust_z", RobustZDetector())]
    det = EnsembleDetector(members, contamination="auto").fit(X)
    t2 = det.detectors_[0][1].decision_scores_
    assert np.allclose(t2, 2.25, rtol=1e-12)  # the case: equal up to rounding
    normalised = det.member_scores(X)
    assert np.abs(normalised[:, 0]).max() < 1e-6
    # the combined score is the other member's alone (averaged over two)
    np.testing.assert_allclose(det.decision_scores_, normalised[:, 1] / 2, atol=1e-6)


def test_a_robust_spread_at_round_off_falls_back_to_the_standard_deviation():
    # Three of four scores equal but for the last bits: the MAD is round-off, and a
    # division by it gave a score of 1.85e15 (the 4 "modules" of loghub's Apache log)
    det = EnsembleDetector([("robust_z", RobustZDetector())], contamination="auto")
    det.fit(np.array([[0.0, 5.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]))
    scores = det.detectors_[0][1].decision_scores_.copy()
    scores[2] = np.nextafter(scores[1], np.inf)
    scores[3] = np.nextafter(scores[1], -np.inf)
    det.detectors_[0][1].decision_scores_ = scores
    det._set_members(det.detectors_)
    centre, spread = det.score_normalization()
    assert spread[0] == pytest.approx(np.std(scores), rel=1e-9)
    assert np.abs(det.decision_scores_).max() < 10
