"""Edges of reading times and sequences (#14): aware timestamps of several zones in one
column, durations too large for any clock, a number given as a time zone, an index out
of range, infinite times."""

import numpy as np
import pandas as pd
import pytest

from oddseq.sequences import Sequences
from oddseq.utils._time import duration_ns, parse_times


def test_aware_timestamps_of_several_zones_are_read_as_utc_instants():
    """Timestamps of Berlin and New York in one column (dtype object) are the instants
    they name, in UTC, as text with mixed offsets is; time_format='mixed' too."""
    stamps = [
        pd.Timestamp("2024-03-30 10:00", tz="Europe/Berlin"),
        pd.Timestamp("2024-03-30 10:00", tz="US/Eastern"),
    ]
    log = pd.DataFrame({"u": [1, 1], "e": ["a", "b"], "t": stamps})
    for options in ({}, {"time_format": "mixed"}):
        seqs = Sequences.from_events(log, entity="u", event="e", time="t", **options)
        times = seqs.to_pandas()["time"]
        assert [str(t) for t in times] == [
            "2024-03-30 09:00:00+00:00",
            "2024-03-30 14:00:00+00:00",
        ]
        assert seqs.tz == "UTC"
    ns, bad, tz = parse_times(pd.Series(stamps, dtype=object), "t")
    assert [int(v) for v in ns] == [s.value for s in stamps] and bad is None and tz == "UTC"


@pytest.mark.parametrize("value", [10**20, -(10**20), 10**400])
def test_durations_given_as_huge_ints_name_the_argument(value):
    with pytest.raises(ValueError, match="session_gap"):
        duration_ns(value, "session_gap")


def test_decay_encoder_half_life_of_a_huge_int_is_a_value_error():
    from oddseq.encode import DecayEncoder

    seqs = Sequences.from_arrays([0, 2], ["a", "b"], times=[1, 2])
    with pytest.raises(ValueError, match="half_life"):
        DecayEncoder(half_life=10**20).fit(seqs)


@pytest.mark.parametrize("tz", [2, 2.0, -5])
def test_a_number_as_tz_is_refused_with_the_zone_name_to_write(tz):
    with pytest.raises(TypeError, match=r"tz.*Etc/GMT"):
        Sequences.from_arrays([0, 2], ["a", "b"], times=[1, 2], tz=tz)


def test_take_out_of_range_names_the_argument_and_the_range():
    seqs = Sequences.from_arrays([0, 2, 3], ["a", "b", "a"], times=[1, 2, 5])
    with pytest.raises(IndexError, match=r"take.*\[-2, 2\) for 2 sequences, got 1000000"):
        seqs.take([10**6])
    with pytest.raises(IndexError, match=r"take"):
        seqs.take([-3])
    assert seqs.take([-1]).lengths.tolist() == [1]


def test_an_infinite_time_is_called_infinite_not_missing():
    log = pd.DataFrame({"u": [1, 1], "e": ["a", "b"], "t": [1.0, np.inf]})
    with pytest.raises(ValueError, match="infinite") as error:
        Sequences.from_events(log, entity="u", event="e", time="t")
    assert "missing" not in str(error.value).split(";")[0]
    with pytest.raises(ValueError, match="infinite"):
        Sequences.from_arrays([0, 2], ["a", "b"], times=[1.0, np.inf])


def test_take_of_huge_ints_or_a_mask_is_refused_naming_take():
    seqs = Sequences.from_arrays([0, 2, 3], ["a", "b", "a"], times=[1, 2, 5])
    with pytest.raises(IndexError, match=r"take's indices must lie in \[-2, 2\)"):
        seqs.take([10**20])
    with pytest.raises(TypeError, match="flatnonzero"):
        seqs.take(np.array([True, False]))


@pytest.mark.parametrize(
    "column, time_format",
    [
        (pd.to_datetime(pd.Series(["1500-01-01", "2017-11-25"]), format="ISO8601"), None),
        (pd.Series([1511544070, 1511544075]), "%Y%m%d%H%M%S"),
    ],
    ids=["year-1500", "epoch-in-a-date-format"],
)
def test_dates_nanoseconds_cannot_hold_are_refused_not_wrapped(column, time_format):
    # numpy's cast to nanoseconds wrapped them silently: 1500-01-01 read as 2084-07-20,
    # 1511544070 in '%Y%m%d%H%M%S' (year 1511) as 2095-11-21 (review).
    df = pd.DataFrame({"u": [1, 1], "e": ["a", "b"], "t": column})
    with pytest.raises(ValueError, match=r"column 't' holds dates outside 1677.*2262"):
        Sequences.from_events(df, entity="u", event="e", time="t", time_format=time_format)


def test_the_unit_warning_says_if_and_leaves_times_from_a_start_alone():
    # Milliseconds since a start (days 10-12) read in ms land in 1970; read as seconds
    # they would land in 1990-2100: the advice is conditional (review).
    df = pd.DataFrame({"u": [1, 1], "e": ["a", "b"], "t": [864_000_000, 1_036_800_000]})
    advice = r"look like seconds since the epoch.*if they are, pass.*from a start"
    with pytest.warns(UserWarning, match=advice):
        Sequences.from_events(df, entity="u", event="e", time="t", time_unit="ms")


def test_a_time_format_that_does_not_fit_names_the_shell_option_too():
    df = pd.DataFrame({"u": [1, 1], "e": ["a", "b"], "t": ["25/11/2017", "26/11/2017"]})
    with pytest.raises(ValueError, match=r"check time_format='ISO8601' \(--time-format"):
        Sequences.from_events(df, entity="u", event="e", time="t", time_format="ISO8601")
