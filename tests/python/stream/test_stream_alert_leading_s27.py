"""A stream alert whose explained features all sit at the entities' own median says the
leading one against the detector's own centre, prefixed as the batch table's fallback
(H7 s27, M-1): 1547815 left such features out of a reason, and an alert's two features
(ALERT_FEATURES) could both be left out, the first then said against the median it
equals, "purchases per view 0 (typical 0)": flagged for having what everyone has."""

import re

import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
# a phrase whose value text is its typical text: "name V (typical V)"
SAME = re.compile(
    r"(?:^|; |leading: )[^;(]*? (\S+) \((?:typical|entities like it have|"
    r"normal entities like it have) \1\)"
)


@pytest.fixture(scope="module")
def ecod_alerts():
    log = make_ecommerce(n_users=1000, random_state=248).events
    log = log.sort_values("timestamp", kind="stable")
    half = len(log) // 2
    pipe = AnomalyPipeline(method="ecod", false_alarm_rate=0.05).fit(
        Sequences.from_events(log.iloc[:half], **ROLES)
    )
    live = StreamScorer(pipe, **ROLES)
    got = []
    for start in range(half, len(log), 2000):
        alerts = live.update(log.iloc[start : start + 2000]).alerts
        got.append(alerts.loc[alerts["new"], "reason"])
    return pd.concat(got).fillna("").astype(str)


def test_no_alert_says_a_value_against_itself(ecod_alerts):
    assert len(ecod_alerts) > 20
    same = [r for r in ecod_alerts if SAME.search(r)]
    assert same == []


def test_an_alert_of_features_at_the_median_is_said_as_no_single_feature(ecod_alerts):
    leading = [r for r in ecod_alerts if r.startswith("no single feature stands out; leading: ")]
    assert leading, "the shop's ECOD stream has alerts whose two features sit at the median"
    for reason in leading:
        assert not SAME.search(reason)


def test_the_own_centre_of_pca_t2_is_said_expected_not_log_scale_average():
    from oddseq import _reasons

    log = make_ecommerce(n_users=300, random_state=248).events
    pipe = AnomalyPipeline(method="pca").fit(Sequences.from_events(log, **ROLES))
    names = list(pipe.feature_names_)
    col = next(j for j, n in enumerate(names) if not n.startswith("count["))
    said = _reasons._own_words(
        pipe, [col, col], [0.25, 3.5], ["log-scale average", "typical"]
    ).tolist()
    assert said[0].startswith("expected ") and said[1].startswith("typical ")
    assert not any("log-scale average" in s for s in said)
