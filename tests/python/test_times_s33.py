"""Times read as the advice says they are (HC's session-33 trial, findings 27 and 21):
seconds and milliseconds in one column are refused naming both units and a conversion
that reads them (the advised time_unit='ms' put 80% of such a log in 1970, silently)."""

import re

import numpy as np
import pandas as pd
import pytest

from oddseq.utils._time import parse_times

SECONDS = 1_511_544_070 + np.arange(0, 50 * 3_600, 3_600)  # 2017-11-24 .., hourly


def merged(kind=np.int64):
    """A log merged from two sources: every fifth time in milliseconds."""
    t = np.where(np.arange(SECONDS.size) % 5 == 0, SECONDS * 1000, SECONDS)
    return pd.Series(t.astype(kind))


@pytest.mark.parametrize("kind", [np.int64, np.float64])
@pytest.mark.parametrize("unit", ["s", "ms"])
def test_seconds_and_milliseconds_in_one_column_are_refused_naming_both(kind, unit):
    with pytest.raises(ValueError) as refused:
        parse_times(merged(kind), "ts", time_unit=unit)
    said = str(refused.value)
    assert "40 " in said and "seconds" in said, said
    assert "10 " in said and "milliseconds" in said, said
    assert "df['ts'].where(df['ts'] <= 1e11, df['ts'] // 1000)" in said, said


def test_the_conversion_the_refusal_names_reads_every_time():
    with pytest.raises(ValueError) as refused:
        parse_times(merged(), "ts")
    said = str(refused.value)
    fix = re.search(r"df\['ts'\] = (df\['ts'\]\.where\(.*?\)), then", said)
    assert fix, said
    unit = re.search(r"then time_unit='(\w+)'", said).group(1)
    df = pd.DataFrame({"ts": merged()})
    converted = eval(fix.group(1), {"np": np, "df": df})
    ns, _, _ = parse_times(pd.Series(converted), "ts", time_unit=unit)
    assert (ns == SECONDS * 10**9).all()


def test_times_in_one_unit_or_counted_from_a_start_are_not_refused():
    parse_times(pd.Series(SECONDS * 1000), "ts", time_unit="ms")
    # nanoseconds counted from a start, 1 s to an hour in: low and high fit seconds and
    # milliseconds since the epoch, the values between fit neither
    relative = np.linspace(1e9, 3.6e12, 200).astype(np.int64)
    ns, _, _ = parse_times(pd.Series(relative), "t", time_unit="ns")
    assert (ns == relative).all()


# Finding 21: under time_format="mixed" (the refusal's own advice for a log merged from
# two exports) ISO dates were read day-first with dayfirst=True, and ambiguous day/month
# dates month-first without it, silently (dateutil reads each value alone).
ISO = [f"2019-10-{d:02d} 08:00:00" for d in range(1, 11)]
DAY_MONTH = [f"{d:02d}/10/2019 09:00:00" for d in range(1, 11)]


def days(ns):
    return sorted({str(pd.Timestamp(int(v)).date()) for v in ns})


def test_mixed_reads_iso_dates_as_iso_under_dayfirst():
    ns, _, _ = parse_times(pd.Series(ISO + DAY_MONTH), "t", time_format="mixed", dayfirst=True)
    assert days(ns) == [f"2019-10-{d:02d}" for d in range(1, 11)]


def test_mixed_refuses_day_month_dates_that_no_value_decides():
    with pytest.raises(ValueError, match="either way round.*dayfirst"):
        parse_times(pd.Series(ISO + DAY_MONTH), "t", time_format="mixed")
    ns, _, _ = parse_times(pd.Series(ISO + DAY_MONTH), "t", time_format="mixed", dayfirst=False)
    assert "2019-01-10" in days(ns) and "2019-10-10" in days(ns)  # as asked: month first


def test_mixed_decides_the_order_from_the_data_as_the_default_does():
    # days above 12 settle day-first for the whole column, as without "mixed"
    spread = [f"{d:02d}/10/2019 10:00" for d in range(1, 21)]
    ns, _, _ = parse_times(pd.Series(ISO + spread), "t", time_format="mixed")
    assert days(ns) == [f"2019-10-{d:02d}" for d in range(1, 21)]
    ns, _, _ = parse_times(pd.Series(spread), "t", time_format="mixed")
    assert days(ns) == [f"2019-10-{d:02d}" for d in range(1, 21)]


def test_mixed_refuses_two_digit_years_that_read_several_ways():
    with pytest.raises(ValueError, match="01/10/19"):
        parse_times(pd.Series(["01/10/19 00:00", "02/10/19 00:00"]), "t", time_format="mixed")


# HK s33's open point: dates written with spaces between day, month and year ("01 10
# 2019") were read month-first without a word, where the same dates with slashes are
# refused with both readings; now alike.
SPACED = [f"{d:02d} {m:02d} 2019 10:00:00" for d, m in [(1, 10), (2, 11), (5, 3)]]


def test_spaced_day_month_dates_that_no_value_decides_are_refused():
    with pytest.raises(ValueError, match=r"either way round.*'%d %m %Y %H:%M:%S'"):
        parse_times(pd.Series(SPACED), "t")


@pytest.mark.parametrize(
    "kwargs, first",
    [
        ({"dayfirst": True}, "2019-10-01"),
        ({"dayfirst": False}, "2019-01-10"),
        ({"time_format": "%d %m %Y %H:%M:%S"}, "2019-10-01"),
        ({"time_format": "mixed", "dayfirst": True}, "2019-10-01"),
    ],
)
def test_spaced_day_month_dates_read_as_told(kwargs, first):
    ns, _, _ = parse_times(pd.Series(SPACED), "t", **kwargs)
    assert str(pd.Timestamp(int(ns[0])).date()) == first


def test_spaced_dates_that_decide_their_order_read_so():
    ns, _, _ = parse_times(pd.Series(["13 10 2019 10:00:00", "02 11 2019 11:00:00"]), "t")
    assert days(ns) == ["2019-10-13", "2019-11-02"]
    ns, _, _ = parse_times(pd.Series(["10 13 2019 10:00:00", "02 11 2019 11:00:00"]), "t")
    assert days(ns) == ["2019-02-11", "2019-10-13"]
    # month names are no day/month fields
    ns, _, _ = parse_times(pd.Series(["1 Dec 2017 10:00", "2 Dec 2017 11:00"]), "t")
    assert days(ns) == ["2017-12-01", "2017-12-02"]
