"""An event column of item ids whose popularity follows Zipf's law averages more than
8 events a value (the head is seen often) while most values are rare: it is asked about
as the wrong column all the same (trial s42, finding 6)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import DataWarning
from oddseq.preprocessing._quality import many_rare_types


def _log(labels, n_users=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": rng.integers(0, n_users, len(labels)),
            "event": labels,
            "ts": np.sort(rng.integers(0, 7 * 86_400, len(labels))),
        }
    )


def test_zipf_item_ids_as_events_are_asked_about():
    rng = np.random.default_rng(0)
    weights = 1.0 / np.arange(1, 3_001) ** 1.1
    ids = rng.choice(np.arange(100_000, 103_000), size=30_000, p=weights / weights.sum())
    counts = pd.Series(ids).value_counts()
    assert counts.mean() >= 8 and (counts < 8).mean() >= 0.5  # the case the mean missed
    with pytest.warns(DataWarning, match=r"holds [\d,]+ distinct values .* seen fewer than 8"):
        oddseq.detect_anomalies(_log(ids), entity="user", event="event", time="ts")


def test_many_event_types_each_seen_often_are_not_asked_about():
    labels = np.repeat([f"E{k}" for k in range(250)], 20)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(_log(labels), entity="user", event="event", time="ts")
    assert not [w for w in caught if "distinct values" in str(w.message)]


@pytest.mark.parametrize(
    ("counts", "asked"),
    [
        ([3] * 250, True),  # rare on average
        ([1_000] * 20 + [2] * 230, True),  # 97 on average, most rare
        ([20] * 250, False),
        ([1_000] * 120 + [2] * 120, False),  # half rare, not most
        ([1] * 199, False),  # too few types to say
    ],
)
def test_many_rare_types(counts, asked):
    assert many_rare_types(np.array(counts)) is asked
