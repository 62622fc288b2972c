"""The held-out web access log (benchmarks/heldout_weblog.py): deterministic, well-formed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from heldout_weblog import (  # noqa: E402
    ANOMALY_KINDS,
    EVENTS,
    NORMAL_KINDS,
    make_weblog,
)

N = 1000
DAYS = 3


@pytest.fixture(scope="module")
def drawn():
    return make_weblog(n_clients=N, days=DAYS, anomaly_rate=0.1, seed=7)


def test_same_seed_same_log_other_seed_other_log(drawn):
    events, labels = drawn
    again_events, again_labels = make_weblog(n_clients=N, days=DAYS, anomaly_rate=0.1, seed=7)
    pd.testing.assert_frame_equal(events, again_events)
    pd.testing.assert_frame_equal(labels, again_labels)
    other, _ = make_weblog(n_clients=N, days=DAYS, anomaly_rate=0.1, seed=8)
    assert len(other) != len(events) or not other["timestamp"].equals(events["timestamp"])


def test_columns_dtypes_and_order(drawn):
    events, labels = drawn
    assert list(events.columns) == [
        "client_id",
        "timestamp",
        "event",
        "path",
        "bytes",
        "status",
        "ip",
        "user_agent",
    ]
    assert events["client_id"].dtype == np.int64
    assert events["timestamp"].dtype == np.int64
    assert events["status"].dtype == np.int64
    assert events["bytes"].dtype == np.float64
    assert set(events["event"]) <= set(EVENTS)
    assert events["timestamp"].is_monotonic_increasing
    assert events["bytes"].ge(0).all()
    assert events["path"].str.startswith("/").all()
    # the request kind agrees with the status an analyst derives it from
    assert events.loc[events["event"] == "not_found", "status"].eq(404).all()
    assert events.loc[events["event"] == "login_fail", "status"].eq(401).all()
    # one key per client: one address and one user agent each
    per = events.groupby("client_id")[["ip", "user_agent"]].nunique()
    assert per.eq(1).all().all()
    start = events["timestamp"].min()
    assert events["timestamp"].max() - start < DAYS * 86400 + 3600


def test_labels_one_row_per_client_with_known_kinds(drawn):
    events, labels = drawn
    assert list(labels.columns) == ["client_id", "is_anomaly", "kind"]
    assert labels["client_id"].is_unique
    assert set(labels["client_id"]) == set(events["client_id"])
    assert labels["is_anomaly"].dtype == bool
    assert set(labels["kind"]) <= set(NORMAL_KINDS) | set(ANOMALY_KINDS)
    assert labels["is_anomaly"].eq(labels["kind"].isin(list(ANOMALY_KINDS))).all()
    assert abs(labels["is_anomaly"].mean() - 0.1) < 0.02
    # every anomaly kind is planted, and the giant crawler is a normal search crawler
    assert set(labels.loc[labels["is_anomaly"], "kind"]) == set(ANOMALY_KINDS)
    sizes = events["client_id"].value_counts()
    kind = labels.set_index("client_id")["kind"]
    assert kind[sizes.index[:3]].isin(["search_crawler", "aggressive_scraper"]).any()


def test_nothing_planted_has_no_anomalies():
    events, labels = make_weblog(n_clients=400, days=DAYS, seed=3, plant=False)
    assert not labels["is_anomaly"].any()
    assert set(labels["kind"]) <= set(NORMAL_KINDS)
    assert not events["path"].str.startswith("/wp-").any()  # no scanner came


def test_bad_arguments_are_refused_naming_them():
    with pytest.raises(ValueError, match="n_clients"):
        make_weblog(n_clients=10)
    with pytest.raises(TypeError, match="n_clients"):
        make_weblog(n_clients=2000.0)
    with pytest.raises(ValueError, match="anomaly_rate"):
        make_weblog(n_clients=400, anomaly_rate=0.7)
    with pytest.raises(ValueError, match="days"):
        make_weblog(n_clients=400, days=1)
