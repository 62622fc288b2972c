"""tail_cut's two parameters by maximum likelihood (H1 s28): a private switch for
benchmarks, ``_threshold._TAIL_FIT``. Pickands' quantiles stay the rule; "censored"
(the scores between the 80th and 95th percentiles, those above counted, not read) and
"likelihood" (every score of the top 20%, as normal_cut's fit) were measured against it
(benchmarks/RESULTS.md, "The unsupervised tail by maximum likelihood")."""

import numpy as np
import pytest

from oddseq.detect import _threshold
from oddseq.detect._threshold import _likelihood_tail, _tail_model, normal_cut, tail_cut


def _bulk_and_far(far: float, seed: int = 0):
    """An exponential bulk of 5,000 and 3% of anomalies far beyond it, at ``far`` and up."""
    rng = np.random.default_rng(seed)
    return np.r_[rng.exponential(size=5_000), far + rng.exponential(size=150)]


def test_pickands_quantiles_are_the_default():
    scores = _bulk_and_far(20.0)
    a, shape, scale, share = _tail_model(scores, 0.2)
    assert _threshold._TAIL_FIT == "pickands"
    assert tail_cut(scores) == a + _threshold._gpd_excess(shape, scale, 0.01 / share)


@pytest.mark.parametrize("fit", ["pickands", "censored"])
def test_the_anomalies_values_beyond_the_95th_percentile_do_not_move_the_cut(monkeypatch, fit):
    """Pickands reads the 95th percentile, the censored fit the scores up to it and how
    many lie beyond: 3% of anomalies at 8, 12 or 60 give the same cut."""
    monkeypatch.setattr(_threshold, "_TAIL_FIT", fit)
    assert tail_cut(_bulk_and_far(8.0)) == tail_cut(_bulk_and_far(12.0))
    assert tail_cut(_bulk_and_far(12.0)) == tail_cut(_bulk_and_far(60.0))


def test_the_likelihood_of_the_whole_top_reads_the_anomalies_as_the_tail(monkeypatch):
    """Fitted to every score of the top 20%, the anomalies far out make the tail heavy and
    the cut follows them out (why it is not the unsupervised rule: on DeepLog's HDFS
    sessions own-cut F1 0.94 -> 0.80)."""
    monkeypatch.setattr(_threshold, "_TAIL_FIT", "likelihood")
    near, far = tail_cut(_bulk_and_far(8.0)), tail_cut(_bulk_and_far(12.0))
    assert far > near + 2  # 9.2 -> 12.8 (at 60 the fit's shape passes 1: Pickands stands)


def test_normal_cut_extrapolates_with_the_same_likelihood_fit():
    held_out = np.sort(np.random.default_rng(3).exponential(size=800))
    model = _tail_model(held_out, 4 * 10 / 800)
    shape, scale, share = _likelihood_tail(held_out, model)
    expected = model[0] + _threshold._gpd_excess(shape, scale, 0.005 / share)
    assert normal_cut(held_out, 0.005) == expected
