"""The stray-event warning and quality_report say clock times where the log spans under
three days (NA's s34 trial: a REES46 stretch of 85 minutes read "outside the log's main
time window (2019-10-01 to 2019-10-01), on 2019-10-01", nothing an analyst can check);
a log of weeks keeps its dates."""

import re
import warnings

import numpy as np
import pandas as pd

import oddseq
from oddseq.preprocessing import quality_report

ROLES = dict(entity="user", event="event", time="time")


def _log(step_s: float, stray_s: float) -> pd.DataFrame:
    """400 users of 5 events each ``step_s`` apart from 2019-10-01 02:10 UTC, and one
    user's first event moved ``stray_s`` earlier."""
    rng = np.random.default_rng(765)
    n = 2_000
    start = pd.Timestamp("2019-10-01 02:10", tz="UTC")
    times = start + pd.to_timedelta(np.sort(rng.uniform(0, step_s * n, n)), "s")
    log = pd.DataFrame(
        {"user": np.repeat(np.arange(400), 5), "event": rng.choice(["view", "cart"], n)}
    )
    log["time"] = times[rng.permutation(n)]
    log = log.sort_values("time", kind="stable").reset_index(drop=True)
    first = log.index[log["user"] == 7][0]
    log.loc[first, "time"] = start - pd.Timedelta(seconds=stray_s)
    return log


def _warning(log) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **ROLES)
    (text,) = [str(w.message) for w in caught if "main time window" in str(w.message)]
    return text


def test_a_log_of_minutes_says_the_clock():
    log = _log(step_s=1.2, stray_s=3_000)  # 40 minutes of events, one 50 min before
    text = _warning(log)
    inside = log["time"].drop(log.index[log["user"] == 7][0])
    low, high = inside.min(), inside.max()
    stray = log["time"].min()
    assert (
        f"({low:%Y-%m-%d %H:%M} to {high:%Y-%m-%d %H:%M} UTC), on {stray:%Y-%m-%d %H:%M} UTC"
        in text
    ), text
    report = quality_report(log, **ROLES, show=False).set_index("check")
    value = report.loc["events outside the main time window", "value"]
    assert f"1 between {stray:%Y-%m-%d %H:%M} and {stray:%Y-%m-%d %H:%M} UTC" in value, value
    assert f"the rest from {low:%Y-%m-%d %H:%M} to {high:%Y-%m-%d %H:%M} UTC" in value, value


def test_a_log_of_weeks_keeps_its_dates():
    log = _log(step_s=1_200, stray_s=60 * 86_400)  # 28 days, one event 60 days before
    text = _warning(log)
    assert re.search(r"\(\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\), on \d{4}-\d\d-\d\d:", text), text
    assert "UTC" not in text


def test_a_short_window_with_a_far_stray_says_the_windows_clock():
    # RV s34 M3: the form followed the span of window and strays together, so a window
    # of 40 minutes with a stray a week before read "(2019-10-01 to 2019-10-01)" again.
    log = _log(step_s=1.2, stray_s=7 * 86_400)
    text = _warning(log)
    inside = log["time"].drop(log.index[log["user"] == 7][0])
    low, high = inside.min(), inside.max()
    stray = log["time"].min()
    assert (
        f"({low:%Y-%m-%d %H:%M} to {high:%Y-%m-%d %H:%M} UTC), on {stray:%Y-%m-%d %H:%M} UTC"
        in text
    ), text
    report = quality_report(log, **ROLES, show=False).set_index("check")
    value = report.loc["events outside the main time window", "value"]
    assert f"the rest from {low:%Y-%m-%d %H:%M} to {high:%Y-%m-%d %H:%M} UTC" in value, value
