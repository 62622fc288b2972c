"""Times that lack part of a date (#14, loghub system logs): a time of day only, a date
without a year, a two-digit year that reads several ways, and numbers given with a
format of fixed width. Each is refused with the fix, never placed on a guessed date."""

import pandas as pd
import pytest

from oddseq.sequences import Sequences
from oddseq.utils._time import parse_times


def stamp(ns):
    return str(pd.Timestamp(int(ns)))


def test_times_of_day_only_are_refused_with_the_join_to_make():
    # Linux / Zookeeper 2k: six weeks of "15:16:01" were put on today's date.
    times = pd.Series(["15:16:01", "15:16:02", "09:00:00"])
    with pytest.raises(ValueError) as error:
        parse_times(times, "Time")
    said = str(error.value)
    assert "no date" in said and "'15:16:01'" in said
    assert "df['Time'] = df['Date'] + ' ' + df['Time']" in said
    with pytest.raises(ValueError, match="no date"):
        parse_times(pd.Series(["19:04:12,394"]), "Time")
    # A format without a date is refused too: 1900-01-01 is no better than today.
    with pytest.raises(ValueError, match=r"time_format='%H%M%S' has no date"):
        parse_times(pd.Series(["203615"]), "Time", time_format="%H%M%S")
    # The join it advises reads.
    log = pd.DataFrame({"Date": ["2015-07-29", "2015-07-30"], "Time": ["19:04:12", "01:00:00"]})
    log["Time"] = log["Date"] + " " + log["Time"]
    ns, _, _ = parse_times(log["Time"], "Time")
    assert [stamp(v) for v in ns] == ["2015-07-29 19:04:12", "2015-07-30 01:00:00"]


def test_dates_without_a_year_say_so_and_the_advice_works():
    times = pd.Series(["Jun 14 15:16:01", "Jul 27 14:41:42"])
    with pytest.raises(ValueError) as error:
        parse_times(times, "Time")
    said = str(error.value)
    assert "no year" in said and "1677" not in said and "stand-in" not in said
    assert "df['Time'] = '2005 ' + df['Time']" in said
    assert "time_format='%Y %b %d %H:%M:%S'" in said
    ns, _, _ = parse_times("2005 " + times, "Time", time_format="%Y %b %d %H:%M:%S")
    assert stamp(ns[1]) == "2005-07-27 14:41:42"
    # A format without a year would put every date in 1900.
    with pytest.raises(ValueError, match=r"time_format='%b %d %H:%M:%S' has no year"):
        parse_times(times, "Time", time_format="%b %d %H:%M:%S")
    # Months without a day, and full dates, read as before.
    ns, _, _ = parse_times(pd.Series(["Jun 2017", "Dec 1 2017"]))
    assert [stamp(v)[:10] for v in ns] == ["2017-06-01", "2017-12-01"]


def test_two_digit_years_that_read_several_ways_are_refused_naming_each():
    hdfs = pd.DataFrame(
        {"e": ["a", "a"], "ev": ["x", "y"], "t": ["081109 203615", "081110 203615"]}
    )
    with pytest.raises(ValueError) as error:
        Sequences.from_events(hdfs, entity="e", event="ev", time="t")
    said = str(error.value)
    # The first value under each reading, and the format that reads so.
    assert "2008-11-09 20:36:15 with time_format='%y%m%d %H%M%S'" in said
    assert "2009-11-08 20:36:15 with time_format='%d%m%y %H%M%S'" in said
    assert "2009-08-11 20:36:15 with time_format='%m%d%y %H%M%S'" in said
    assert "--time-format" in said
    seqs = Sequences.from_events(
        hdfs, entity="e", event="ev", time="t", time_format="%y%m%d %H%M%S"
    )
    assert stamp(seqs.times.min()) == "2008-11-09 20:36:15"
    # Spark: 17/06/09 is 2017-06-09 or 17 June 2009 (not month first: no month 17).
    with pytest.raises(ValueError) as error:
        parse_times(pd.Series(["17/06/09 20:10:40", "17/06/10 20:10:41"]), "t")
    said = str(error.value)
    assert "2017-06-09 20:10:40 with time_format='%y/%m/%d %H:%M:%S'" in said
    assert "2009-06-17 20:10:40 with time_format='%d/%m/%y %H:%M:%S'" in said
    assert "%m/%d/%y" not in said
    # Dots, as European exports write them: year first fits too, so refused ...
    with pytest.raises(ValueError, match="2024-11-17"):
        parse_times(pd.Series(["24.11.17 10:00"]))
    # ... and dayfirst says which (day first, as dateutil reads dayfirst=True).
    ns, _, _ = parse_times(pd.Series(["24.11.17 10:00"]), dayfirst=True)
    assert stamp(ns[0]) == "2017-11-24 10:00:00"
    ns, _, _ = parse_times(pd.Series(["01/02/17"]), dayfirst=False)
    assert stamp(ns[0]) == "2017-01-02 00:00:00"
    with pytest.raises(ValueError, match="cannot be read with dayfirst=False"):
        parse_times(pd.Series(["13/02/17"]), dayfirst=False)


def test_a_two_digit_year_that_reads_one_way_is_read():
    # Month 13 rules out day first and year first: month/day/year.
    ns, _, _ = parse_times(pd.Series(["12/13/17 10:00", "12/14/17 11:00"]))
    assert [stamp(v) for v in ns] == ["2017-12-13 10:00:00", "2017-12-14 11:00:00"]
    # 2017-06-31 does not exist: day/month/year.
    ns, _, _ = parse_times(pd.Series(["17/06/31", "18/06/31"]))
    assert [stamp(v)[:10] for v in ns] == ["2031-06-17", "2031-06-18"]


def test_the_day_month_refusal_prints_the_year_as_read():
    # Two-digit and four-digit years in one column: the day/month check speaks.
    with pytest.raises(ValueError) as error:
        parse_times(pd.Series(["01/02/17 10:00", "01/03/2017 10:00"]))
    said = str(error.value)
    assert "1 February 2017" in said and "February 17 " not in said


def test_numbers_given_a_fixed_width_format_that_lost_leading_zeros():
    # 081109203615 read from a file as a number is 81109203615: a digit short.
    numbers = pd.Series([81109203615, 81110000037])
    with pytest.raises(ValueError) as error:
        parse_times(numbers, "t", time_format="%y%m%d%H%M%S")
    said = str(error.value)
    assert "12 digits" in said and "81109203615" in said
    assert "dtype={'t': str}" in said
    ns, _, _ = parse_times(
        pd.Series(["081109203615", "081110000037"]), "t", time_format="%y%m%d%H%M%S"
    )
    assert [stamp(v) for v in ns] == ["2008-11-09 20:36:15", "2008-11-10 00:00:37"]
    # Numbers of the format's width read as before.
    ns, _, _ = parse_times(pd.Series([20171201, 20171202]), time_format="%Y%m%d")
    assert stamp(ns[1]) == "2017-12-02 00:00:00"
