"""The share alarm where the reference scores tie at their median (HC s33 finding 22).

Normal-only on a log of repeated blocks (hdfs_xu's normal blocks): the out-of-fold scores
are 0 up to their 90th percentile, so a median test with p = 1/2 never saw 60% of a
held-out normal stretch flagged against 0.5% promised.
"""

from types import SimpleNamespace

import numpy as np

from oddseq._fitted_data import share_alarm


def _tied_model(rng):
    # 92% of the reference scores tie at 0 (exact duplicates of fitted blocks)
    reference = np.r_[np.zeros(1840), rng.exponential(1.0, size=160)]
    return SimpleNamespace(
        threshold_info_={"false_alarm_rate": 0.005, "share_flagged": 0.005},
        reference_scores_=reference,
    )


def test_share_alarm_rings_where_the_reference_ties_at_its_median():
    rng = np.random.default_rng(731)
    model = _tied_model(rng)
    cut = np.quantile(model.reference_scores_, 0.995)
    # a stretch whose blocks mostly lack events the fit's had: 60% score high, flagged
    moved = np.r_[np.zeros(400), rng.normal(cut + 3, 0.5, size=600)]
    said = share_alarm(model, moved, moved > cut)
    assert said is not None and said.startswith("60.0% flagged against 0.5%")


def test_share_alarm_quiet_for_a_tail_of_anomalies_over_a_tied_reference():
    rng = np.random.default_rng(732)
    model = _tied_model(rng)
    cut = np.quantile(model.reference_scores_, 0.995)
    # alike data (the reference's shape) with 20% anomalies: flagged far above the
    # rate, as normal-only scoring of a log with anomalies should be; no alarm
    alike = np.r_[np.zeros(736), rng.exponential(1.0, size=64), rng.normal(cut + 3, 0.5, size=200)]
    assert np.mean(alike > cut) > 0.19
    assert share_alarm(model, alike, alike > cut) is None
    # every reference score equal: alike data (all equal too) says nothing
    flat = SimpleNamespace(
        threshold_info_={"false_alarm_rate": 0.005}, reference_scores_=np.zeros(500)
    )
    same = np.zeros(1000)
    assert share_alarm(flat, same, same > 0) is None
