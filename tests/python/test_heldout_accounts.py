"""The held-out accounts log (benchmarks/heldout_accounts.py): deterministic, well-formed."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from heldout_accounts import (  # noqa: E402
    ANOMALY_KINDS,
    EVENTS,
    NORMAL_KINDS,
    make_heldout_accounts,
)

N = 3000


@pytest.fixture(scope="module")
def drawn():
    return make_heldout_accounts(n_accounts=N, seed=7)


def test_same_seed_same_log_other_seed_other_log(drawn):
    events, labels = drawn
    again_events, again_labels = make_heldout_accounts(n_accounts=N, seed=7)
    pd.testing.assert_frame_equal(events, again_events)
    pd.testing.assert_frame_equal(labels, again_labels)
    other, _ = make_heldout_accounts(n_accounts=N, seed=8)
    assert len(other) != len(events) or not other["timestamp"].equals(events["timestamp"])


def test_columns_and_dtypes(drawn):
    events, labels = drawn
    assert list(events.columns) == [
        "account_id",
        "event",
        "timestamp",
        "object_id",
        "amount",
        "ip",
        "device",
    ]
    assert events["account_id"].dtype == np.int64
    assert events["timestamp"].dtype == np.int64
    assert events["amount"].dtype == np.float64
    for col in ("event", "object_id", "ip", "device"):
        assert pd.api.types.is_string_dtype(events[col]) or events[col].dtype == object
    assert set(events["event"]) <= set(EVENTS)
    assert events["timestamp"].is_monotonic_increasing
    # amounts only where money moves, and there always
    money = events["event"].isin(["transfer", "incoming_transfer"])
    assert events.loc[money, "amount"].gt(0).all()
    assert events.loc[~money, "amount"].isna().all()
    assert events["ip"].str.fullmatch(r"\d+\.\d+\.\d+\.\d+").all()
    assert list(labels.columns) == ["account_id", "is_anomaly", "kind"]
    assert labels["is_anomaly"].dtype == bool
    assert labels["account_id"].is_unique
    # every listed account has events, and every event's account is listed
    assert set(events["account_id"]) == set(labels["account_id"])
    # the window: 28 days from 2026-10-15 (a few minutes either side)
    span = pd.to_datetime(events["timestamp"], unit="s")
    assert span.min() > pd.Timestamp("2026-10-14") and span.max() < pd.Timestamp("2026-11-13")


def test_label_share_and_kinds(drawn):
    _, labels = drawn
    share = labels["is_anomaly"].mean()
    assert 0.03 <= share <= 0.05
    assert set(labels.loc[labels["is_anomaly"], "kind"]) == set(ANOMALY_KINDS)
    assert set(labels.loc[~labels["is_anomaly"], "kind"]) == set(NORMAL_KINDS)
    counts = labels["kind"].value_counts()
    # every kind at a moderate size: none vanishes, none swamps the log
    for kind in ANOMALY_KINDS:
        assert 5 <= counts[kind] <= 0.3 * labels["is_anomaly"].sum(), kind
    for kind in NORMAL_KINDS:
        assert 15 <= counts[kind] <= 0.4 * len(labels), kind


def test_nothing_planted():
    events, labels = make_heldout_accounts(n_accounts=1000, seed=3, plant=False)
    assert not labels["is_anomaly"].any()
    assert set(labels["kind"]) == set(NORMAL_KINDS)
    assert set(events["account_id"]) == set(labels["account_id"])


def test_ring_members_share_payees_in_one_hour(drawn):
    events, labels = drawn
    ring = labels.loc[labels["kind"] == "fraud_ring", "account_id"]
    pays = events[events["account_id"].isin(ring) & (events["event"] == "payee_add")]
    # each ring payee is added by several accounts within the hour
    per_payee = pays.groupby("object_id").agg(
        n=("account_id", "nunique"), span=("timestamp", lambda t: t.max() - t.min())
    )
    shared = per_payee[per_payee["n"] >= 6]
    assert len(shared) >= 1
    assert (shared["span"] <= 3600 + 600).all()


@pytest.mark.parametrize("bad", [0, 50, 2.5, "100"])
def test_bad_size_is_refused(bad):
    with pytest.raises(ValueError, match="n_accounts"):
        make_heldout_accounts(n_accounts=bad, seed=0)
