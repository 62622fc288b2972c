"""A spread rests on one observation fewer than what it spreads (its degrees of freedom):
one gap has a spread of 0 by construction, which read as a regular rhythm ("spread of
time between events 0 s (expected 1.27 min)", REES46's two-visit users under
method="pca", trial s41)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.preprocessing._evidence import EvidenceShrinker, feature_evidence


def test_what_each_feature_rests_on():
    names = [
        "count[buy]", "length", "n_items", "value_sum",  # counts and totals: 0
        "cart_per_view", "value_mean", "top_item_share",  # the n events: 1
        "gap_mean_s", "duration_s", "value_std",  # n - 1: gaps, a spread of events
        "gap_std_s", "gap_cv", "burstiness", "gap_lag1_autocorr",  # n - 2: spreads of gaps
    ]  # fmt: skip
    assert feature_evidence(names).tolist() == [0] * 4 + [1] * 3 + [2] * 3 + [3] * 4


def test_a_spread_of_one_gap_is_the_population_s():
    names = ["gap_mean_s", "gap_std_s", "value_std"]
    lengths = np.array([2, 3, 40, 50, 60, 1])
    X = np.array(
        [[7200.0, 0.0, 3.0], [60.0, 10.0, 2.0], [80.0, 50.0, 4.0], [90.0, 60.0, 5.0],
         [70.0, 40.0, 6.0], [0.0, 0.0, 0.0]]
    )  # fmt: skip
    shrinker = EvidenceShrinker().fit(X, lengths, names)
    shrunk = shrinker.transform(X, lengths)
    assert shrunk[0, 1] == pytest.approx(shrinker.median_[1])  # two events: no spread seen
    assert shrunk[0, 0] != pytest.approx(shrinker.median_[0])  # its one gap still counts
    assert shrunk[5, 2] == pytest.approx(shrinker.median_[2])  # one value: no spread seen
    assert shrunk[1, 1] == pytest.approx((10.0 + 2 * shrinker.median_[1]) / 3)  # one of it
    # the population's spread of gaps: over the entities with at least 2 of it (n >= 4)
    assert shrinker.median_[1] == pytest.approx(np.median([50.0, 60.0, 40.0]))


def _shop_with_return_visits():
    """Users browsing in bursts, and users who came twice, hours apart."""
    rng = np.random.default_rng(41)
    rows = []
    for user in range(600):
        n = int(rng.integers(4, 30))
        t = np.cumsum(rng.exponential(40.0, n))
        rows += [(user, "view", float(x), int(rng.integers(0, 300))) for x in t]
    for user in range(600, 640):
        rows += [(user, "view", 0.0, 1), (user, "view", float(rng.uniform(3600, 9000)), 2)]
    log = pd.DataFrame(rows, columns=["user", "event", "time", "item"])
    log["time"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(log["time"], "s")
    return log


@pytest.mark.parametrize("method", ["pca", "auto", "lof"])
def test_no_reason_names_a_spread_an_entity_cannot_have(method):
    log = _shop_with_return_visits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            log, entity="user", event="event", time="time", item="item", method=method
        )
    two = table.loc[table.index >= 600, "reason"]
    assert two.str.contains("time between events", regex=False).any()  # their one gap
    assert not two.str.contains("spread of time between events", regex=False).any()
