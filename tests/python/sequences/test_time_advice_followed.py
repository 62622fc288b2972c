"""The refusals of times without a date lead to a reading when followed (review of #14's
time work): the advice for a format without a date names the date's directives too (the
join alone was refused again by the same format), and the advice for a time of day says
that a date needs its month and year (Linux's Date holds only the day of the month)."""

import re

import pandas as pd
import pytest

from oddseq.utils._time import parse_times


def stamps(ns):
    return [str(pd.Timestamp(int(v))) for v in ns]


def test_a_format_without_a_date_advises_the_format_for_the_joined_column():
    log = pd.DataFrame({"Date": ["081109", "081110"], "Time": ["203615", "000037"]})
    with pytest.raises(ValueError) as refused:
        parse_times(log["Time"], "Time", time_format="%H%M%S")
    said = str(refused.value)
    assert "df['Time'] = df['Date'] + ' ' + df['Time']" in said
    advised = re.search(r"a time_format that reads the date too, e\.g\. '([^']+)'", said)
    assert advised, said
    joined = log["Date"] + " " + log["Time"]
    ns, _, _ = parse_times(joined, "Time", time_format=advised.group(1))
    assert stamps(ns) == ["2008-11-09 20:36:15", "2008-11-10 00:00:37"]


def test_a_time_of_day_advice_says_a_date_needs_its_month_and_year():
    # Linux 2k: Month 'Jun', Date '14' (the day of the month), Time '15:16:01'.
    log = pd.DataFrame(
        {"Month": ["Jun", "Jul"], "Date": ["14", "27"], "Time": ["15:16:01", "08:00:00"]}
    )
    with pytest.raises(ValueError) as refused:
        parse_times(log["Time"], "Time")
    said = str(refused.value)
    assert "month and year" in said
    # The join it shows for separate day, month and year columns reads.
    shown = re.search(
        r"e\.g\. (df\['Month'\] \+ ' ' \+ df\['Date'\] \+ ' (\d{4}) ' \+ df\['Time'\])", said
    )
    assert shown, said
    year = shown.group(2)
    joined = log["Month"] + " " + log["Date"] + f" {year} " + log["Time"]
    ns, _, _ = parse_times(joined, "Time")
    assert stamps(ns) == [f"{year}-06-14 15:16:01", f"{year}-07-27 08:00:00"]
