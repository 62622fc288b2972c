"""The log's main time window moves out over activity that runs on past it (trial s44a
M5: a Monday's 21 night-shift events, contiguous with the day, were called strays) and
still leaves out an event across a gap (a clock error, a stray test record)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import DataWarning
from oddseq.preprocessing._quality import main_time_window

HOUR = 3600


def _day(rng, n_office=2000, n_night=21):
    office = rng.uniform(7, 19, n_office) * HOUR
    night = np.sort(rng.uniform(0, 6, n_night)) * HOUR
    return np.r_[office, night]


def test_a_night_shift_running_into_a_day_file_is_inside():
    t = _day(np.random.default_rng(0), n_night=12)
    low, high = main_time_window(t)
    assert ((t >= low) & (t <= high)).all()


@pytest.mark.parametrize("stray", [-3 * 24 * HOUR, 5 * 24 * HOUR])
def test_an_event_across_a_gap_is_still_outside(stray):
    t = np.r_[_day(np.random.default_rng(1)), stray]
    low, high = main_time_window(t)
    assert ((t < low) | (t > high)).sum() == 1


def test_the_one_call_says_nothing_of_a_night_shift():
    rng = np.random.default_rng(2)
    t = _day(rng, n_office=3000, n_night=30)
    users = np.r_[rng.integers(0, 300, 3000), rng.integers(300, 310, 30)]
    log = pd.DataFrame({"user": users, "event": "logon", "t": t.astype(np.int64)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, entity="user", event="event", time="t")
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert not [m for m in said if "main time window" in m], said
