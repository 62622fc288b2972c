"""What a new analyst meets first (HC's trial, session 33): the advice given for their
time column reads it, their ids read the same way on every path, and the warnings they
get name the cause and the fix."""

import datetime
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oddseq.utils._time import _rest_format, parse_times

_ADVISED = re.compile(r"time_format \(e\.g\. '([^']+)' or '([^']+)'\)")


def test_twelve_hour_dates_are_advised_a_format_that_reads_them():
    # 10/01/2019 12:00:00 AM: the clock copied literally read only that one second
    stamps = pd.date_range("2019-10-01", periods=50, freq="37min")
    text = pd.Series(stamps.strftime("%m/%d/%Y %I:%M:%S %p"))
    with pytest.raises(ValueError, match="either way round") as caught:
        parse_times(text, "event_time")
    day, month = _ADVISED.search(str(caught.value)).groups()
    assert month == "%m/%d/%Y %I:%M:%S %p"
    assert day == "%d/%m/%Y %I:%M:%S %p"
    ns, bad, _ = parse_times(text, "event_time", time_format=month)
    assert bad is None or not bad.any()
    assert (ns == stamps.as_unit("ns").asi8).all()


_CLOCKS = [
    " %H:%M",
    " %H:%M:%S",
    "T%H:%M:%S",
    " %H:%M:%S.%f",
    " %I:%M %p",
    " %I:%M:%S %p",
    " %I:%M:%S%p",
    " %I:%M:%S.%f %p",
    " %H:%M:%S +0100",
    " %H:%M:%S UTC",
    " %I:%M:%S %p +0000",
]


@given(
    when=st.datetimes(datetime.datetime(1990, 1, 1), datetime.datetime(2090, 1, 1)),
    clock=st.sampled_from(_CLOCKS),
    lower=st.booleans(),
)
def test_every_advised_clock_reads_the_value_it_was_built_from(when, clock, lower):
    rest = when.strftime(clock)
    if lower:  # pm as well as PM
        rest = rest.replace("AM", "am").replace("PM", "pm")
    fmt = "%m/%d/%Y" + _rest_format(rest)
    text = when.strftime("%m/%d/%Y") + rest
    read = datetime.datetime.strptime(text, fmt)
    assert read.replace(tzinfo=None) == when.replace(
        microsecond=when.microsecond if "%f" in clock else 0,
        second=when.second if "%S" in clock else 0,
    )


def test_a_flagged_bulk_is_told_both_readings_not_only_refit():
    # hdfs_xu's abnormal blocks scored against a normal-only model: 100% flagged, and
    # rightly; "refit on data like it" alone would fit the normal model on the incident
    from types import SimpleNamespace

    from oddseq._fitted_data import _alarm_text, alarm_summary

    alarm = (1.0, 0.005, 1.0, 16_835, 16_835)
    for said in (_alarm_text(alarm), alarm_summary(SimpleNamespace(_share_alarm=alarm))):
        assert re.search(
            r"moved.*refit on (data like the data scored, )?a normal stretch", said, re.I
        )
        assert re.search(
            r"anomalous \(an incident\)\W+(then the flags are right: )?do not refit", said, re.I
        )


def test_an_event_column_the_model_was_fitted_without_is_told_to_be_left_out(small_log):
    import oddseq

    seqs = oddseq.Sequences.from_events(small_log, entity="user", time="ts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # five users: too few for the rate, said
        pipe = oddseq.AnomalyPipeline().fit(seqs)
    scored = oddseq.Sequences.from_events(small_log, entity="user", event="event", time="ts")
    with pytest.warns(UserWarning) as said:
        pipe.score(scored)
    unseen = [str(w.message) for w in said if "event types the model" in str(w.message)]
    assert len(unseen) == 1
    assert "fitted without an event column" in unseen[0]
    assert "leave event= (--event from the shell) out" in unseen[0]
    assert "pass that column" not in unseen[0]


def _crowd(placeholder, share, n_users=1000, each=2):
    """``n_users`` users of ``each`` events, and ``placeholder`` standing for ``share``
    of the log."""
    rng = np.random.default_rng(719)
    users = np.repeat(np.arange(1, n_users + 1), each)
    log = pd.DataFrame(
        {
            "user": users.astype(object),
            "event": rng.choice(["view", "cart", "buy"], users.size, p=[0.8, 0.15, 0.05]),
            "ts": 1_575_000_000 + users * 3_600 + np.tile(np.arange(each) * 60, n_users),
        }
    )
    n = int(share * log.shape[0] / (1 - share))
    crowd = pd.DataFrame(
        {
            "user": [placeholder] * n,
            "event": rng.choice(["view", "cart", "buy"], n),
            "ts": 1_575_000_000 + np.sort(rng.integers(0, 60 * 86_400, n)),
        }
    )
    return pd.concat([log, crowd], ignore_index=True)


def _placeholder_words(log) -> list[str]:
    """The one call's placeholder warnings on ``log`` (some DataWarning must come)."""
    from oddseq import detect_anomalies
    from oddseq.exceptions import DataWarning

    with pytest.warns(DataWarning) as said:
        detect_anomalies(log, entity="user", event="event", time="ts")
    return [str(w.message) for w in said if "placeholder" in str(w.message)]


@pytest.mark.parametrize("placeholder", ["guest", 0, -1])
def test_a_placeholder_id_holding_much_of_the_log_is_named_with_its_fix(placeholder):

    # REES46 with 1/7 "guest": 14%, here 651x the median
    log = _crowd(placeholder, 0.14, n_users=4_000)
    if placeholder != "guest":
        log["user"] = log["user"].astype(np.int64)
    named = _placeholder_words(log)
    assert len(named) == 1
    assert named[0].startswith(f"entity {str(placeholder)!r} holds 14% of the events")
    assert f"df[df['user'] != {placeholder!r}]" in named[0]
    assert "dropna=True (--dropna from the shell)" in named[0]


@pytest.mark.parametrize(
    "placeholder", ["guest", "Unknown", -1, "00000000-0000-0000-0000-000000000000"]
)
def test_an_id_spelt_as_a_placeholder_is_named_from_a_smaller_share(placeholder):
    """TR s49 L2: 'guest' on 8% of a travel site's rows was silent (the bar is a tenth
    for any id) and cost F1 0.71 -> 0.62; an id spelt as a placeholder is named from 1%
    of the events, at 500 times the median entity still."""
    from oddseq import detect_anomalies

    log = _crowd(placeholder, 0.08, n_users=8_000)  # 696x the median
    if placeholder == -1:
        log["user"] = log["user"].astype(np.int64)
    named = _placeholder_words(log)
    assert len(named) == 1
    assert named[0].startswith(f"entity {str(placeholder)!r} holds 8% of the events")
    # The same share under a real-looking id (one with zeros in it too), or 'guest' at
    # 35x the median: no word
    for log in (
        _crowd("bot", 0.08, n_users=8_000),
        _crowd("00000000-0000-0000-0000-00000000a001", 0.08, n_users=8_000),
        _crowd("guest", 0.08, n_users=400),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            detect_anomalies(log, entity="user", event="event", time="ts")


def test_a_busy_but_real_entity_is_no_placeholder():
    from oddseq import detect_anomalies

    # a crawler at 4% of the log (41x the median), a bot of a small log at 14% (163x),
    # or 14% of one where each user has 20 events (8x): no word
    for log in (
        _crowd("bot", 0.04),
        _crowd("bot", 0.14),
        _crowd("bot", 0.14, n_users=100, each=20),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            detect_anomalies(log, entity="user", event="event", time="ts")
