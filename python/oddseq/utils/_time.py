"""The one time parser of oddseq: what Python (:meth:`Sequences.from_events`,
:func:`detect_anomalies`, :func:`quality_report`) and the shell (``oddseq detect``) both
use to turn a time column into int64 nanoseconds since the epoch (UTC).

It reads numbers of a unit since the epoch (``time_unit``), datetimes (naive = UTC, or
time-zone aware) and dates written as text (ISO 8601, ``2019-10-01 00:00:05 UTC``,
``Dec 1 2017``, ``01/12/2017 00:00:14`` ...). Text whose first two fields could be day
and month either way (every value has both at most 12) is refused with a message that
shows both readings: ``dayfirst`` or ``time_format`` decides, never a silent guess. So
are a two-digit year that several orders fit (``17/06/09``: 2017-06-09 or 17 June
2009), times of day without a date and dates without a year (``Jun 14 15:16:01``),
which a parser would put on today's date or in a stand-in year.
"""

from __future__ import annotations

import contextlib
import numbers
import re
import threading
import warnings

import numpy as np
import pandas as pd

from ..exceptions import DataWarning
from ..utils._unique import distinct
from ._stacklevel import user_stacklevel

__all__ = [
    "UNIT_TO_NS",
    "TextTimes",
    "date_in_order",
    "date_orders",
    "duration_ns",
    "guess_unit",
    "is_bare_number",
    "no_unit_message",
    "parse_times",
    "times_to_ns",
]

#: Factors from a numeric ``time_unit`` to the internal unit, int64 nanoseconds (UTC).
UNIT_TO_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_INT64_MAX = np.iinfo(np.int64).max
# "01/12/2017", "1.12.17", "01-12-2017 00:00:14": two small numbers before a year.
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([/.\- ])(\d{1,2})\2(\d{2}|\d{4})(?!\d)")
_YEAR_FIRST = re.compile(r"^\s*[+-]?\d{4}-\d{1,2}-\d{1,2}")
_SAMPLE = 200_000
_DURATION_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "sec": 10**9,
    "m": 60 * 10**9,
    "min": 60 * 10**9,
    "h": 3600 * 10**9,
    "hr": 3600 * 10**9,
    "d": 86_400 * 10**9,
    "day": 86_400 * 10**9,
    "days": 86_400 * 10**9,
    "w": 7 * 86_400 * 10**9,
}
# Text that is only a number ("30", " 1.5 ", "1e3"): a duration without a unit.
_BARE_NUMBER = re.compile(r"^\s*(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_SIMPLE_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([a-zA-Z]+)\s*$")
# Serialises _parse_text's short watch on pandas' warnings. pandas tells a day/month swap
# only by a warning, so the warning has to be caught; but the warning machinery is
# process-wide (filters, showwarning), and dask's threaded scheduler builds partitions
# concurrently, where pandas itself enters warnings.catch_warnings. An interleaved
# save/restore can leave the watcher installed after it is done: so the watcher keeps
# only its own thread's two pandas messages while it is on, and hands every other warning
# (another thread's, or any after it is done) to the handler it found; and it changes no
# filter but two 'always' for those two messages (catch_warnings(record=True) swapped in
# a list that a late restore left installed, losing every later warning of the process).
_RECORDING = threading.Lock()
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def guess_unit(magnitude: float) -> str | None:
    """The ``time_unit`` that puts an epoch number of this size between 1990 and 2100.

    Examples
    --------
    >>> guess_unit(1_511_544_070), guess_unit(1_511_544_070_123), guess_unit(3.0)
    ('s', 'ms', None)
    """
    for unit, factor in UNIT_TO_NS.items():
        seconds = magnitude * factor / 1e9
        if 631_152_000 <= seconds <= 4_102_444_800:  # 1990-01-01 .. 2100-01-01
            return unit
    return None


_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def _warn_if_another_unit(
    name: str,
    time_unit: str,
    low: float,
    high: float,
    fix: str | None = None,
) -> None:
    """A UserWarning when the numbers low..high (the column's extremes) read in
    ``time_unit`` fall outside 1990-2100 and read in another unit fall inside; ``fix``
    in place of the advice to pass time_unit (for a reader without one)."""
    other = guess_unit(low)
    if other is None or other == time_unit or guess_unit(high) != other:
        return

    def day(value, unit):
        return str(pd.Timestamp(int(value * UNIT_TO_NS[unit]), unit="ns").date())

    given = f"{day(low, time_unit)} .. {day(high, time_unit)}"
    read = f"{day(low, other)} .. {day(high, other)}"
    advice = fix or (
        f"if they are, pass time_unit={other!r} (--time-unit {other} from the shell); times "
        f"counted from a start, not the epoch, are read right in {time_unit!r}"
    )
    warnings.warn(
        f"column {name!r} read with time_unit={time_unit!r} puts its times in {given}; "
        f"they look like {_UNIT_WORDS[other]} since the epoch ({read} read so): " + advice,
        UserWarning,
        stacklevel=user_stacklevel(),
    )


#: 1973-01-01 (ns since the epoch): datetimes before it are looked at (_warn_if_early_dates).
_EARLY_NS = 94_694_400 * 10**9
# Which numbers made datetimes of each factor too early (a unit 1,000**k too fine).
_TOO_FINE = {
    1: "seconds read as milliseconds, milliseconds as microseconds or microseconds as nanoseconds",
    2: "milliseconds read as nanoseconds, or seconds as microseconds",
    3: "seconds read as nanoseconds, pandas' unit for numbers",
}


def _early_factor(low: int, high: int) -> int | None:
    """The power k of 1,000 that moves datetimes of ``low`` .. ``high`` ns, all before
    1973, into 1990-2100 (both ends); None where none does: relative times from near
    the epoch (a low near 0), or of a span beyond half their distance from it (epoch
    numbers span a small part of their size: a log of 2010-2030 ends at 1.5 times its
    start, where seconds since a start, 1,000 .. 2,000, end at twice theirs), or dates
    of 1970 that no unit puts there."""
    if not 0 < low <= high < _EARLY_NS or high > 1.5 * low:
        return None
    for k in (1, 2, 3):
        f = 1000**k
        if 631_152_000 * 10**9 <= low * f and high * f <= 4_102_444_800 * 10**9:
            return k
    return None


def _warn_if_early_dates(name: str, low: int, high: int) -> None:
    """A UserWarning where datetimes (a datetime column, or dates as text) lie before
    1973 and their counts since the epoch read in a unit 1,000, 1,000,000 or 10**9 times
    coarser fall in 1990-2100: numbers since the epoch made datetimes in too fine a unit
    (pd.to_datetime(1511539208) is 1970-01-01 00:00:01.511539208), which puts a
    shopper's week in a second and every entity's pace beyond any bot's. Times counted
    from a start (from the epoch itself) never warn (``_early_factor``)."""
    k = _early_factor(int(low), int(high))
    if k is None:
        return
    f = 1000**k

    def moment(ns):
        # (to the nanosecond: a week of seconds read as ns lies within one second, RV s34)
        return str(pd.Timestamp(int(ns), unit="ns"))

    def day(ns):
        return str(pd.Timestamp(int(ns), unit="ns").date())

    warnings.warn(
        f"column {name!r} holds times of {moment(low)} .. {moment(high)}, whose counts "
        f"since the epoch read {f:,} times coarser are {day(low * f)} .. {day(high * f)}: "
        f"numbers since the epoch made datetimes in too fine a unit ({_TOO_FINE[k]})? "
        "If so, make the column from the numbers in their unit, "
        f"pd.to_datetime(numbers, unit='s') for seconds ('ms' for milliseconds), or pass "
        "the numbers with time_unit= (from the shell: write the numbers, not these dates, to "
        "the file and pass --time-unit; a date as text has no unit); times counted from a "
        "start, not dates, are read right as they are",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def _date_check(unit_warning, name: str, ns: np.ndarray, bad) -> None:
    """parse_times' check of datetimes (``ns``, with ``bad`` rows missing): warn of dates
    before 1973 that are numbers in too fine a unit (``unit_warning`` True), or keep the
    extremes in ``unit_warning`` (a dict: ``"date_range"``, for a caller that reads a
    log in parts and warns once: ``oddseq.dask``, the stream's batches)."""
    if unit_warning is False:
        return
    known = ns if bad is None else ns[~bad]
    if not known.size:
        return
    low, high = int(known.min()), int(known.max())
    if isinstance(unit_warning, dict):
        unit_warning["date_range"] = (low, high)
    elif unit_warning:
        _warn_if_early_dates(name, low, high)


def _unit_check(
    unit_warning, name: str, time_unit: str, low: float, high: float, values: np.ndarray
) -> None:
    """parse_times' unit checks (another unit, clock or date digits, spreadsheet serial
    dates): warn (``unit_warning`` True), or keep their facts in ``unit_warning`` (a dict:
    the extremes as ``"time_range"``, the digit forms as ``"digits"``, the serial-date
    counts as ``"serial"``, for a caller that reads a log in parts and warns once for the
    whole, as ``oddseq.dask`` does), or nothing (False)."""
    if isinstance(unit_warning, dict):
        unit_warning["time_range"] = (low, high)
        unit_warning["digits"] = _digit_facts(values, low, high)
        unit_warning["serial"] = _serial_facts(values, low, high)
    elif unit_warning:
        _warn_if_another_unit(name, time_unit, low, high)
        _warn_if_digits(name, time_unit, _digit_facts(values, low, high), low, high)
        _warn_if_serial_days(name, time_unit, _serial_facts(values, low, high), low, high)


# Spreadsheet serial dates (Excel, Google Sheets, LibreOffice: days since 1899-12-30, the
# time of day as the fraction; 43063.67 is 2017-11-24 16:04:48) of 1990-01-01 ..
# 2100-01-01, the years guess_unit accepts; read as seconds they are 09:07:54 .. 20:17:31
# on 1970-01-01. Numbers counted from a start share that range only where the count
# begins over 9 hours in and lasts under 11 hours (or seconds of a working day, 09:08 to
# 20:17): so only numbers that are not whole, at least half of them (a time of day, not
# whole seconds), and at least ``_SERIAL_MIN`` of them, are warned about, with the time
# unit left at seconds (a unit given, "ms", says the user knows the column).
_SERIAL_ORIGIN = "1899-12-30"
_SERIAL_FIRST, _SERIAL_LAST, _SERIAL_MIN, _SERIAL_SPAN = 32_874, 73_051, 20, 3_653


def _serial_facts(values: np.ndarray, low: float, high: float):
    """(how many numbers, how many of them a time of day in whole seconds: not whole, and
    whole seconds when read as days) where every one of ``values`` (low..high) lies
    within the spreadsheet serial dates of 1990..2100; None otherwise. Whole seconds:
    a spreadsheet's date and time is kept to the second (43063.67 x 86,400 s is whole;
    exports of 15 significant digits keep it within 1e-6 s), where seconds of the day
    with milliseconds (36000.123) read so about one time in five; not in whole tenths of
    a day (seconds in tenths, 36000.1, always read so)."""
    if low < _SERIAL_FIRST or high > _SERIAL_LAST:
        return None
    if values.dtype.kind != "f":
        return values.size, 0
    seconds = values * 86_400.0
    tenths = values * 10.0
    # A fraction in whole tenths of a day (2.4 hours) is no time of day a spreadsheet
    # keeps, and every float second in tenths reads so (x 86,400 is whole); hundredths
    # (14.4 minutes) stay: a sheet shown to two decimals exports 43063.67.
    of_day = (
        (values != np.floor(values))
        & (np.abs(seconds - np.round(seconds)) <= 1e-3)
        & (np.abs(tenths - np.round(tenths)) > 1e-6)
    )
    return values.size, int(np.count_nonzero(of_day))


def _merge_serial_facts(facts: list):
    """The serial-date facts of a column read in parts as the whole column's."""
    if not facts or any(f is None for f in facts):
        return None
    return sum(f[0] for f in facts), sum(f[1] for f in facts)


def _warn_if_serial_days(name, time_unit, facts, low, high) -> None:
    """A DataWarning where a numeric time column read in seconds looks like spreadsheet
    serial dates (``_serial_facts``: every number within 1990..2100 read so, at least
    ``_SERIAL_MIN`` of them, at least half with a fraction), with a fix that reads them
    in Python and the spreadsheet's own from the shell (oddseq has no option for them)."""
    if facts is None or time_unit != "s":
        return
    n, fractional = facts
    # ... and a log of at most ten years read so (float seconds counted from 10 h in
    # spread over decades of serial days).
    if n < _SERIAL_MIN or fractional < n / 2 or high - low > _SERIAL_SPAN:
        return
    from ..exceptions import DataWarning

    def serial(value):
        return f"{pd.Timestamp(_SERIAL_ORIGIN) + pd.Timedelta(days=value):%Y-%m-%d %H:%M}"

    def seconds(value):
        return f"{pd.Timestamp(int(value * UNIT_TO_NS['s']), unit='ns'):%Y-%m-%d %H:%M:%S}"

    warnings.warn(
        f"column {name!r} holds numbers that read as spreadsheet serial dates (days since "
        f"{_SERIAL_ORIGIN}, as Excel and Google Sheets count them, the time of day as the "
        f"fraction): {n:,} numbers, {fractional:,} a time of day to the second, {serial(low)} .. "
        f"{serial(high)} read so; read as seconds since the epoch they fall in "
        f"{seconds(low)} .. {seconds(high)}. If they are, convert the column in Python: "
        f"df[{name!r}] = pd.to_datetime(df[{name!r}], unit='D', origin={_SERIAL_ORIGIN!r})"
        ".dt.round('s'); from the shell, format the column as a date and time in the "
        "spreadsheet (yyyy-mm-dd hh:mm:ss) and export the file again. Numbers of seconds "
        "counted from a start are read right as they are",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def serial_judged(name: str, time_unit: str, facts, low: float, high: float) -> bool:
    """The spreadsheet serial-date check of parse_times on a stream's first numeric
    times (``facts``: ``_serial_facts`` of them, ``low``/``high`` their extremes): True
    once it is done (warned, or no later number could make it warn: a number outside
    the serial dates of 1990..2100, or a unit given), False while fewer than
    ``_SERIAL_MIN`` numbers have come (a stream's first batch is often one event, which
    cannot tell 43063.67 days from 43,063.67 seconds)."""
    if facts is None or time_unit != "s":
        return True
    if facts[0] < _SERIAL_MIN:
        return False
    _warn_if_serial_days(name, time_unit, facts, low, high)
    return True


def _clock_digits(v: np.ndarray) -> np.ndarray:
    """Which whole numbers read as HHMMSS (203615: 20:36:15; 37: 00:00:37)."""
    return (v >= 0) & (v < 240_000) & (v // 100 % 100 < 60) & (v % 100 < 60)


def _date_digits(v: np.ndarray, four: bool) -> np.ndarray:
    """Which whole numbers read as YYYYMMDD (``four``, years 1900..2100) or YYMMDD (a
    leading zero lost: 81109 for 081109; years as %y reads them)."""
    year, month, day = v // 10_000, v // 100 % 100, v % 100
    if four:
        known, full = (year >= 1900) & (year <= 2100), year
    else:
        known, full = (v >= 0) & (year <= 99), year + np.where(year >= 69, 1900, 2000)
    leap = (full % 4 == 0) & ((full % 100 != 0) | (full % 400 == 0))
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    return known & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days + (leap & (month == 2)))


# The forms of digits a time column's numbers can be written in: its name, strftime
# format, which numbers read so, what it shows.
_DIGIT_FORMS = {
    "HHMMSS": ("%H%M%S", _clock_digits, "clock"),
    "YYYYMMDD": ("%Y%m%d", lambda v: _date_digits(v, True), "date"),
    "YYMMDD": ("%y%m%d", lambda v: _date_digits(v, False), "date"),
}
# How unlikely numbers counted from a start (offsets, spread over their range) must be
# to all read as one form's digits; at least this many distinct values at or above 100
# (below it seconds from a start, 0..59, are clock digits as often as not).
_DIGITS_CHANCE, _DIGITS_MIN_DISTINCT = 1e-6, 20


def _digit_facts(values: np.ndarray, low: float, high: float):
    """(the forms every one of the numbers ``values`` fits, their distinct values), or
    None: numbers that are not whole, fit no form, or lie outside every form's range."""
    if not values.size or low < 0 or high > 21_001_231:
        return None
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
        if (values != np.floor(values)).any():
            return None
    values = values.astype(np.int64, copy=False)
    head = values[:1000]
    forms = tuple(f for f, (_, fits, _) in _DIGIT_FORMS.items() if fits(head).all())
    forms = tuple(f for f in forms if _DIGIT_FORMS[f][1](values).all())
    return (forms, distinct(values)) if forms else None


def _merge_digit_facts(facts: list):
    """The digit facts of a column read in parts (``_digit_facts`` of each; None where a
    part fits no form) as those of the whole column."""
    if not facts or any(f is None for f in facts):
        return None
    forms = tuple(f for f in facts[0][0] if all(f in other[0] for other in facts))
    return (forms, distinct(np.concatenate([f[1] for f in facts]))) if forms else None


def _digit_forms_found(facts) -> list:
    """The digit forms ``facts`` (of ``_digit_facts``) show beyond chance: numbers
    counted from a start spread over their range (on the grid of their common step)
    would all fit with a chance below ``_DIGITS_CHANCE``."""
    if facts is None:
        return []
    forms, distinct = facts
    seen = distinct[distinct >= 100]
    if len(seen) < _DIGITS_MIN_DISTINCT:
        return []
    found = []
    # Offsets on a grid (every 100 s: each fits HHMMSS) judged on that grid: the share
    # of its points over the range that fit.
    step = int(np.gcd.reduce(np.diff(seen))) if len(seen) > 1 else 1
    for form in forms:
        share = _DIGIT_FORMS[form][1](np.arange(seen[0], seen[-1] + 1, step)).mean()
        if len(seen) * np.log(share) < np.log(_DIGITS_CHANCE):
            found.append(form)
    return found


# A stream's first numeric times kept for the digit check: at most this many distinct
# values (parse_times judges the forms on a head of 1,000 values too).
_DIGITS_STREAM = 1000


def digits_judged(name: str, time_unit: str, values, final: bool = False) -> bool:
    """The clock and date digit check of parse_times on the first numeric times of a
    stream (``values``, in arrival order, at most ``_DIGITS_STREAM`` distinct): True
    once it is done (warned, or no later number could make it warn: the values fit no
    form, or there are ``_DIGITS_STREAM`` distinct ones), False while more values could
    decide it (unless ``final``: the input ended). A stream's first batch is often a
    few events, too few to judge (20 distinct values at or above 100 are needed): judged
    on it alone, a stream of HDFS's 203615-style times would never be told."""
    values = np.asarray(values)
    if values.dtype.kind not in "iuf":
        return True  # not numbers: no digits to judge
    if not values.size:
        return final
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    facts = _digit_facts(values, low, high)
    if facts is None:
        return True
    if _digit_forms_found(facts):
        _warn_if_digits(name, time_unit, facts, low, high)
        return True
    return final or len(facts[1]) >= _DIGITS_STREAM


def _warn_if_digits(name, time_unit, facts, low, high) -> None:
    """A UserWarning when a numeric time column's distinct values all read as clock or
    date digits (HDFS's 203615 for 20:36:15) and numbers counted from a start spread
    over their range (on the grid of their common step) would all do so with a chance
    below ``_DIGITS_CHANCE``."""
    found = _digit_forms_found(facts)
    if not found:
        return
    forms, distinct = facts

    def day(value):
        return str(pd.Timestamp(int(value * UNIT_TO_NS[time_unit]), unit="ns").date())

    first = f"{int(distinct[0])}"
    what = " or ".join(f"{_DIGIT_FORMS[f][2]} digits {f}" for f in found)
    advice = []
    if "HHMMSS" in found:
        advice.append(
            "If they are times of day, they carry no date (--time-format %H%M%S alone is "
            "refused: every event would fall on one day). " + _join_advice(name) + ", and "
            "pass the date's format before ' %H%M%S', e.g. time_format='%y%m%d %H%M%S' for "
            "081109 203615 (--time-format from the shell)"
        )
    for form in found:
        if form != "HHMMSS":
            fmt = _DIGIT_FORMS[form][0]
            advice.append(
                f"If they are dates ({form}), pass --time-format {fmt} from the shell (it "
                f"reads the column as text then); in Python read the column as text, "
                f"pd.read_csv(..., dtype={{{name!r}: str}}) (leading zeros kept), and pass "
                f"time_format={fmt!r}"
            )
    warnings.warn(
        f"column {name!r} holds numbers that all read as {what} ({len(distinct):,} distinct "
        f"values, first {first}), which numbers counted from a start hardly ever do; read "
        f"as {_UNIT_WORDS[time_unit]} since the epoch they fall in {day(low)} .. "
        f"{day(high)}. " + ". ".join(advice) + ". Numbers counted from a start that happen "
        "to fit are read right as they are",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


# What int64 nanoseconds since the epoch hold (numpy's cast to them wraps silently).
_NS_FIRST, _NS_LAST = np.datetime64("1677-09-22", "s"), np.datetime64("2262-04-11", "s")


def _check_ns_dates(values: np.ndarray, name: str, time_format) -> None:
    """A ValueError for dates (datetime64 of a coarser unit) outside 1677-09-22 ..
    2262-04-11, which nanosecond times cannot hold."""
    if values.dtype == np.dtype("datetime64[ns]") or not values.size:
        return
    known = values[~np.isnat(values)]
    if not known.size or (known.min() >= _NS_FIRST and known.max() <= _NS_LAST):
        return
    outside = known[(known < _NS_FIRST) | (known > _NS_LAST)]
    hint = (
        f"check time_format={time_format!r} (--time-format from the shell)"
        if time_format is not None
        else "fix or drop those rows (a stand-in date such as 9999-12-31?)"
    )
    raise ValueError(
        f"column {name!r} holds dates outside 1677-09-22 .. 2262-04-11 ({outside.size:,}, "
        f"first {outside[0]}), which times in nanoseconds cannot hold; {hint}"
    )


# A web server's log time (Apache's and nginx's common log format), maybe in brackets.
_COMMON_LOG = re.compile(
    r"^\s*(\[?)\d{1,2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}( [+-]\d{4})?(\]?)\s*$"
)


def _common_log_format(series: pd.Series) -> str | None:
    """The strftime format of times written as a web server's log writes them
    (``24/Nov/2017:16:02:43 +0000``, or in brackets), judged on the first value, else
    None."""
    first = series.dropna()
    found = _COMMON_LOG.match(str(first.iloc[0])) if len(first) else None
    if found is None or bool(found.group(1)) != bool(found.group(3)):
        return None
    fmt = "%d/%b/%Y:%H:%M:%S" + (" %z" if found.group(2) else "")
    return f"[{fmt}]" if found.group(1) else fmt


def _datetime_digits(values: np.ndarray) -> str | None:
    """The strftime format where every number reads as a date and clock time written as
    digits (20171124160048: '%Y%m%d%H%M%S'; 201711241600: '%Y%m%d%H%M'), else None."""
    if not values.size or not (values == np.floor(values)).all():
        return None
    if values.min() < 10**11 or values.max() >= 10**14:  # (beyond int64 too: 1e20)
        return None
    v = values.astype(np.int64)
    seconds = (v >= 10**13) & (v < 10**14)
    if seconds.all() and (_date_digits(v // 10**6, True) & _clock_digits(v % 10**6)).all():
        return "%Y%m%d%H%M%S"
    minutes = (v >= 10**11) & (v < 10**12)
    if minutes.all() and (_date_digits(v // 10**4, True) & _clock_digits(v % 10**4 * 100)).all():
        return "%Y%m%d%H%M"
    return None


# Seconds since the epoch of 1990-01-01 and 2100-01-01: a number read in a unit lands
# in these years, or the unit is not its own (_refuse_two_units).
_EPOCH_YEARS = (631_152_000, 4_102_444_800)


def _in_epoch_years(values: np.ndarray, unit: str) -> np.ndarray:
    seconds = values.astype(np.float64) * (UNIT_TO_NS[unit] / 1e9)
    return (seconds >= _EPOCH_YEARS[0]) & (seconds <= _EPOCH_YEARS[1])


def _refuse_two_units(name: str, values: np.ndarray, low: float, high: float) -> None:
    """A ValueError where the column's low and high guess different units and every
    number fits one of the two (seconds and milliseconds from two merged sources): one
    time_unit reads one part right and puts the other in 1970 or beyond 2262. Times
    counted from a start (from 0, or spread between the two ranges) are left alone."""
    small, large = guess_unit(low), guess_unit(high)
    if small is None or large is None or small == large:
        return
    in_small = _in_epoch_years(values, small)
    in_large = _in_epoch_years(values, large)
    if not (in_small | in_large).all():
        return
    raise _two_units(name, small, large, int(in_small.sum()), int(in_large.sum()))


def unit_facts(values: np.ndarray):
    """What :func:`refuse_two_units_of_parts` needs of one part of a numeric time column
    (``values``: its finite numbers): (how many, the lowest, the highest, how many land
    in 1990..2100 read in each unit); None for a part without one."""
    if not values.size:
        return None
    counts = {unit: int(_in_epoch_years(values, unit).sum()) for unit in UNIT_TO_NS}
    return values.size, float(values.min()), float(values.max()), counts


def refuse_two_units_of_parts(name: str, facts: list) -> None:
    """:func:`_refuse_two_units` of a column read in parts (oddseq.dask's input
    partitions: ``facts`` their :func:`unit_facts`), with the whole column's counts: a
    part holds one unit and another part the other, or each part both."""
    facts = [f for f in facts if f is not None]
    if not facts:
        return
    low, high = min(f[1] for f in facts), max(f[2] for f in facts)
    small, large = guess_unit(low), guess_unit(high)
    if small is None or large is None or small == large:
        return
    n_small = sum(f[3][small] for f in facts)
    n_large = sum(f[3][large] for f in facts)
    # (a number lands in 1990..2100 in one unit at most: the units are 1000x apart)
    if n_small + n_large == sum(f[0] for f in facts):
        raise _two_units(name, small, large, n_small, n_large)


def _two_units(name: str, small: str, large: str, n_small: int, n_large: int) -> ValueError:
    # The conversion as Series.where: it reads on a pandas and on a dask DataFrame alike
    # (np.where's array is no column dask assigns).
    units = list(UNIT_TO_NS)
    i, j = units.index(small), units.index(large)
    cut = f"{1e11 * 1000**i:.0e}".replace("+", "")
    step = 1000 ** (j - i)
    col = f"df[{name!r}]"
    return ValueError(
        f"column {name!r} holds times in two units: {n_small:,} read as "
        f"{_UNIT_WORDS[small]} since the epoch, {n_large:,} as "
        f"{_UNIT_WORDS[large]} (two sources merged?); no time_unit reads both (the other "
        f"part lands in 1970 or beyond 2262). Convert one part first: {col} = "
        f"{col}.where({col} <= {cut}, {col} // {step}), then time_unit={small!r} "
        f"(--time-unit {small} from the shell)"
    )


def _beyond_2262(name: str, time_unit: str, magnitude: float, values=None) -> ValueError:
    guess = guess_unit(magnitude)
    words = {"ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
    where = f"column {name!r} has times beyond the year 2262 in time_unit={time_unit!r}"
    fmt = None if values is None else _datetime_digits(np.asarray(values, dtype=np.float64))
    if fmt is not None:
        first = int(values[0])
        return ValueError(
            f"{where} (largest {magnitude:.6g}); they read as a date and clock time written "
            f"as digits ({first}: {fmt.replace('%', '')}): pass time_format={fmt!r} "
            f"(--time-format {fmt} from the shell), which reads them as that text"
        )
    if guess in words:
        return ValueError(
            f"{where} (largest {magnitude:.6g}); they look like {words[guess]}: pass "
            f"time_unit={guess!r} (--time-unit {guess} from the shell)"
        )
    return ValueError(
        f"{where} (largest {magnitude:.6g}); check time_unit: s, ms, us or ns "
        "(--time-unit from the shell)"
    )


def parse_times(
    column,
    name: str = "time",
    *,
    time_unit: str = "s",
    time_format: str | None = None,
    dayfirst: bool | None = None,
    unit_warning: bool | dict = True,
    early_dates: bool = True,
    clock: dict | None = None,
):
    """A time column as (int64 ns since the epoch UTC, bad-row mask or None, time zone
    name or None). ``clock``: a dict that gets ``"naive"``: True where the times are
    naive datetimes or text without an offset, clock times of no zone named (numbers
    since the epoch are UTC's instants; zoned times name their zone), for words that say
    a time (a group's window) as the log writes it, not as UTC's (TR s53 L).

    Parameters
    ----------
    column : Series or array
        Numbers of ``time_unit`` since the epoch, datetimes (Arrow's too; Arrow dates at
        midnight), Periods (at their start), or dates as text. Floats are read as
        float64; float32 ones whose steps at the largest time are a second or more
        (epoch seconds: 128 s) warn (DataWarning).
    name : str
        The column's name, for messages.
    time_unit : {"s", "ms", "us", "ns"}, default="s"
        Unit of numeric times.
    time_format : str, optional
        strftime format of text dates (``"%d/%m/%Y %H:%M:%S"``), or pandas'
        ``"ISO8601"`` / ``"mixed"``. None infers it. Numbers given with a format
        (``20171201`` and ``"%Y%m%d"``) are read as the text they are written as;
        shorter than a digits-only format's width (``81109`` for ``"%y%m%d"``: a
        leading zero lost), they are refused: read the column as text. A format
        without a year or without a date is refused (pandas would put the times in
        1900).
    dayfirst : bool, optional
        For text dates like ``01/12/2017``: True reads day/month, False month/day.
        None decides from the data (a first field above 12 means day first, a second
        field above 12 month first) and refuses when nothing decides. A two-digit year
        (``17/06/09``, ``081109 203615``) is read in the one order of year/month/day,
        day/month/year and month/day/year that fits every value, or refused naming
        each that fits; True is day/month/year, False month/day/year.
    unit_warning : bool or dict, default=True
        Warn (UserWarning, with the fix) when numbers read in ``time_unit`` fall outside
        1990-2100 while every one of them falls inside in another unit: seconds read as
        milliseconds land in January 1970. Times counted from 0 (relative times) never
        warn. Warn too when 20 or more distinct numbers all read as clock digits
        (HHMMSS: HDFS's 203615 for 20:36:15) or date digits (YYYYMMDD, YYMMDD), which
        numbers counted from a start over that range (on their common step) do with a
        chance below 1e-6 (values below 100 not counted: seconds from a start, 0..59, fit a clock).
        Numbers that ``time_unit`` puts beyond the year 2262 are refused (ValueError)
        whatever this says. A dict: no warning; the numbers' extremes are
        put in it as ``"time_range"`` (low, high), for a caller that reads a log in
        parts and warns once, and ``"digits"`` (the digit forms every number fits and
        their distinct values, or None), and ``"serial"`` (how many numbers, how many not
        whole, where all lie within the spreadsheet serial dates of 1990..2100, or None),
        and, for floats narrower than float64, their dtype as ``"narrow"``.
        Datetimes (and dates as text) before 1973 whose counts since the epoch fall in
        1990-2100 read 1,000, 1,000,000 or 10**9 times coarser warn too (UserWarning:
        epoch numbers made datetimes in too fine a unit, ``pd.to_datetime(seconds)``);
        a dict gets their extremes (ns) as ``"date_range"``.
    early_dates : bool, default=True
        False leaves out that check of datetimes (``Sequences.from_arrays``: arrays a
        program built, in ns as it says).
        Warn too (DataWarning) when the numbers read in seconds look like spreadsheet
        serial dates (Excel's and Google Sheets' days since 1899-12-30: 43063.67 is
        2017-11-24 16:04:48): 20 or more, each within 1990..2100 read so, and at least
        half of them with a fraction (a time of day); the warning gives the conversion.

    Returns
    -------
    ns : int64 array
    bad : bool array or None
        Rows with a missing time (their ``ns`` is meaningless).
    tz : str or None
        The input's time zone (None for naive times and numbers). Text of several
        offsets reads as UTC, but for offsets within one hour of each other (one zone
        across a daylight-saving change, +01:00 and +02:00): the offset most of the
        times carry ("UTC+01:00"), whose clock hours are right for those times and one
        hour off for the others (UTC's were off for all).

    Examples
    --------
    >>> import pandas as pd
    >>> ns, bad, tz = parse_times(pd.Series(["13/12/2017 00:00:14"]), "t")
    >>> str(pd.Timestamp(ns[0])), bad, tz
    ('2017-12-13 00:00:14', None, None)
    >>> parse_times(pd.Series([1_511_544_070_000]), "t", time_unit="ms")[0][0]
    np.int64(1511544070000000000)
    """
    if time_unit not in UNIT_TO_NS:
        raise ValueError(
            f"time_unit must be one of {sorted(UNIT_TO_NS)} (seconds, milliseconds, "
            f"microseconds or nanoseconds since the epoch), got {time_unit!r}"
        )
    if dayfirst is not None and not isinstance(dayfirst, (bool, np.bool_)):
        raise TypeError(f"dayfirst must be True, False or None, got {dayfirst!r}")
    if time_format is not None and not isinstance(time_format, str):
        raise TypeError(
            f"time_format must be a string such as '%d/%m/%Y %H:%M', got {time_format!r}"
        )
    series = column if isinstance(column, pd.Series) else pd.Series(column, copy=False)
    dtype = series.dtype
    if isinstance(dtype, pd.PeriodDtype):
        # Periods (to_period("D"), read from a Stata or SAS file): each at its start,
        # as Period.to_timestamp() reads it.
        series = series.dt.to_timestamp()
        dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype).startswith("date"):
        # Arrow dates (a Parquet DATE read with dtype_backend="pyarrow"): midnight UTC,
        # as numpy's datetime64 dates are read.
        series = series.astype("datetime64[ms]")
        dtype = series.dtype
    if time_format is not None:
        _check_format_has_a_date(time_format, name)
    if time_format is not None and dtype.kind in "iuf":
        # Numbers written in a date format (20171201 with '%Y%m%d'): read as that text,
        # as oddseq stream reads them, never as time_unit since the epoch.
        series = _numbers_to_text(series)
        _check_width(series, name, time_format)
        dtype = series.dtype
    if dtype.kind in "OSU" or isinstance(dtype, pd.StringDtype):
        numbers = _numbers_as_text(series, name) if time_format is None else None
        series = (
            numbers if numbers is not None else _parse_text(series, name, time_format, dayfirst)
        )
        dtype = series.dtype
    if (
        isinstance(dtype, pd.ArrowDtype)
        and dtype.kind == "M"
        and getattr(dtype.pyarrow_dtype, "tz", None)
    ):
        # Arrow timestamps with a zone (read_parquet(dtype_backend="pyarrow")): the numpy
        # tz-aware column they hold, in their own unit (naive ones convert as they are).
        arrow = dtype.pyarrow_dtype
        series = series.astype(pd.DatetimeTZDtype(arrow.unit, arrow.tz))
        dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        tz = str(dtype.tz)
        values = series.dt.tz_convert("UTC").dt.tz_localize(None)
        _check_ns_dates(values.to_numpy(), name, time_format)  # before pandas' own error
        values = values.astype("datetime64[ns]")
        ns = values.to_numpy().view(np.int64)
        bad = np.isnat(values.to_numpy())
        if early_dates:
            _date_check(unit_warning, name, ns, bad if bad.any() else None)
        return ns, (bad if bad.any() else None), tz
    if dtype.kind == "M":
        values = series.to_numpy()
        _check_ns_dates(values, name, time_format)
        values = values.astype("datetime64[ns]", copy=False)
        bad = np.isnat(values)
        if early_dates:
            _date_check(unit_warning, name, values.view(np.int64), bad if bad.any() else None)
        if clock is not None:
            clock["naive"] = True
        return values.view(np.int64), (bad if bad.any() else None), None
    if dtype.kind == "m":
        raise TypeError(
            f"column {name!r} holds durations (timedelta); pass timestamps or numbers "
            "of time_unit since the epoch"
        )
    if dtype.kind in "iu":
        bad = None
        if isinstance(dtype, np.dtype):
            raw = series.to_numpy()
        else:  # nullable (Int64, int64[pyarrow]): <NA> is a missing time, not a number
            bad = series.isna().to_numpy(dtype=bool)
            raw = series.to_numpy(dtype=dtype.numpy_dtype, na_value=0)
            bad = bad if bad.any() else None
        factor = UNIT_TO_NS[time_unit]
        limit = _INT64_MAX // factor
        finite = raw if bad is None else raw[~bad]
        if finite.size:
            low, high = finite.min(), finite.max()
            _refuse_two_units(name, finite, float(low), float(high))
            if high > limit or low < -limit:
                raise _beyond_2262(name, time_unit, float(np.abs(finite).max()), finite)
            _unit_check(unit_warning, name, time_unit, float(low), float(high), finite)
        return raw.astype(np.int64, copy=False) * factor, bad, None
    if dtype.kind == "f":
        # float64 whatever the column's width: float32 numbers times 1e9 in float32 lose
        # another 2**-24 of their size (epoch seconds: a minute off).
        raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
        infinite = np.isinf(raw)
        if infinite.any():
            raise ValueError(
                f"column {name!r} has {int(infinite.sum()):,} infinite time(s) (first at row "
                f"{int(np.argmax(infinite))}); replace them, or make them missing (NaN) and "
                "pass dropna=True (--dropna from the shell) to drop those rows"
            )
        bad = np.isnan(raw)
        factor = UNIT_TO_NS[time_unit]
        limit = _INT64_MAX / factor
        finite = raw[~bad] if bad.any() else raw
        if finite.size:
            low, high = finite.min(), finite.max()
            _refuse_two_units(name, finite, float(low), float(high))
            if high >= limit or low <= -limit:
                raise _beyond_2262(name, time_unit, float(np.abs(finite).max()), finite)
            _unit_check(unit_warning, name, time_unit, float(low), float(high), finite)
            if unit_warning is True and dtype.itemsize < 8:
                _warn_if_coarse_floats(name, time_unit, dtype, max(abs(low), abs(high)))
            elif isinstance(unit_warning, dict) and dtype.itemsize < 8:
                unit_warning["narrow"] = dtype  # for the caller's _warn_if_coarse_floats
        ns = np.where(bad, 0.0, raw) * factor
        return np.rint(ns).astype(np.int64), (bad if bad.any() else None), None
    if dtype.kind == "b":
        raise TypeError(f"column {name!r} is boolean; times must be timestamps or numbers")
    raise TypeError(
        f"column {name!r} has times of dtype {dtype}; pass timestamps, dates as text or "
        "numbers of time_unit since the epoch"
    )


def _warn_if_coarse_floats(name: str, time_unit: str, dtype, largest: float) -> None:
    """A DataWarning where the steps of a float column narrower than float64 (float32:
    24 bits, 6 to 7 digits) at its largest time are a second or more: epoch seconds of
    2017 in float32 are multiples of 128 s, so events of the same two minutes share a
    time or swap their order, which no reading can undo."""
    width = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    step = float(np.spacing(width.type(largest))) * UNIT_TO_NS[time_unit] / 1e9
    if step < 1:
        return
    warnings.warn(
        f"column {name!r} holds {width.name} numbers, which keep about "
        f"{np.finfo(width).precision} significant digits: at its largest time "
        f"({largest:.6g} in time_unit={time_unit!r}) they come in steps of {step:,.0f} s, so "
        "events that close together share a time or are out of order. Keep the times as "
        "int64 or float64 (a cast to float32, or a float32 column of the source, loses them)",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


_NUMBER = re.compile(r"^\s*[+-]?\d+(\.\d*)?\s*$")


def _numbers_to_text(series: pd.Series) -> pd.Series:
    """Numbers as the text they were written as (whole floats without ".0"; missing
    ones None), for a time_format to read."""
    values = series.to_numpy()
    if values.dtype.kind in "iu":
        return series.astype(str).astype(object)
    text = np.full(values.shape, None, dtype=object)
    finite = np.isfinite(values)
    whole = finite & (np.floor(values) == values)
    text[whole] = values[whole].astype(np.int64).astype(str)
    text[finite & ~whole] = values[finite & ~whole].astype(str)
    return pd.Series(text, index=series.index, name=series.name)


def _numbers_as_text(series: pd.Series, name: str):
    """Epoch numbers written as text ("1511544070"): the numbers, else None (dates as
    text). A column of numbers with a few values that are not ("oops") is refused with
    those values named: read as dates, it would fail on the numbers instead."""
    present = series.dropna()
    if present.empty:
        return None
    head = present.head(1000).astype(str).str.match(_NUMBER)
    if head.mean() < 0.5:
        return None
    if head.all():
        try:
            return pd.to_numeric(series, errors="raise")
        except (ValueError, TypeError):
            pass
    numeric = pd.to_numeric(series, errors="coerce")
    bad = series[numeric.isna() & series.notna()]
    if bad.empty:
        return numeric
    n = len(bad)
    shown = ", ".join(f"{v!r} at index {i!r}" for i, v in bad.head(3).items())
    them = "them" if n > 1 else "it"
    raise ValueError(
        f"column {name!r} holds numbers (times since the epoch), but {n:,} "
        f"{'values are' if n > 1 else 'value is'} not a number: {shown}"
        f"{' ...' if n > 3 else ''}; correct or delete {them}, or make {them} missing "
        f"(an empty field) and pass dropna=True (--dropna from the shell) to drop {them}"
    )


def _reading(day: int, month: int, rest: str) -> str:
    year = _full_year(int(rest)) if len(rest) == 2 else rest  # '17' -> 2017, as %y reads
    return f"{day} {_MONTHS[month - 1]} {year}"


def _full_year(yy: int) -> int:
    """A two-digit year as strptime's %y reads it: 69-99 -> 1969-1999, 00-68 -> 20xx."""
    return yy + (1900 if yy >= 69 else 2000)


# A directive of strftime (%Y, %-d), after '%%' is taken out.
_DIRECTIVE = re.compile(r"%[-#]?([A-Za-z])")
_YEAR_DIRECTIVES = set("YyGcx")
_DAY_DIRECTIVES = set("mdbBhjUWV")
# Fixed widths of the digits-only directives (a format of these and literal characters
# has one width: numbers read from a file that are shorter lost leading zeros).
_WIDTHS = {"Y": 4, "y": 2, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2, "j": 3}
_FIXED = re.compile(r"(?:%[YymdHMSj]|[^%])+")


def _join_advice(name: str, time_format: str | None = None) -> str:
    """How to give a time of day its date; with the ``time_format`` that was refused for
    having none, the format the joined column then needs (the join alone would be
    refused again by the same format)."""
    formatted = (
        f", and pass a time_format that reads the date too, e.g. "
        f"{'%y%m%d ' + time_format!r} for a date written 081109 (--time-format from the "
        "shell)"
        if time_format
        else ""
    )
    return (
        f"Join the date column into it, in pandas: df[{name!r}] = df['Date'] + ' ' + "
        f"df[{name!r}] (your date column's name for 'Date'; a date needs its day, month and "
        "year: where they are separate columns join each, e.g. df['Month'] + ' ' + "
        f"df['Date'] + ' 2005 ' + df[{name!r}] with 2005 for the log's year; the file read "
        "with pd.read_csv(..., dtype=str), so that all are text and keep leading zeros)"
        f"{formatted}; the shell reads one time column, so write the joined column into "
        "the file first (df.to_csv)"
    )


def _year_advice(name: str, example: str, time_format=None) -> str:
    from pandas.tseries.api import guess_datetime_format

    fmt = "%Y " + time_format if time_format else guess_datetime_format("2005 " + example)
    pass_it = f"time_format={fmt!r}" if fmt else "a time_format with %Y"
    return (
        f"Add the year to the text, in pandas: df[{name!r}] = '2005 ' + df[{name!r}] (2005 "
        f"standing for the log's year; a log that crosses a new year needs the next one on "
        f"its later rows), and pass {pass_it} (--time-format from the shell; write the "
        "column into the file first, df.to_csv)"
    )


def _check_format_has_a_date(time_format: str, name: str) -> None:
    """A ValueError for a strftime format without a date or without a year: pandas puts
    such times on 1900-01-01 (or in 1900), so days and years collapse into one."""
    if time_format in ("ISO8601", "mixed"):
        return
    found = set(_DIRECTIVE.findall(time_format.replace("%%", "")))
    if found & _YEAR_DIRECTIVES:
        return
    if not found & _DAY_DIRECTIVES:
        raise ValueError(
            f"time_format={time_format!r} has no date (no %Y, %y, %m, %d, %b or %j): column "
            f"{name!r} would be read as times of day on one day (1900-01-01), and events of "
            "different days put in clock-time order. " + _join_advice(name, time_format)
        )
    raise ValueError(
        f"time_format={time_format!r} has no year (%Y or %y): every date of column {name!r} "
        "would fall in 1900, and no format can supply the year. "
        + _year_advice(name, "", time_format)
    )


def _check_width(text: pd.Series, name: str, time_format: str) -> None:
    """Numbers (as text) shorter than the fixed width of a digits-only format: leading
    zeros lost when the file was read as numbers (081109 -> 81109), which a format then
    reads another way or not at all."""
    if not _FIXED.fullmatch(time_format) or time_format.startswith("%Y"):
        return  # not digits only; or a four-digit year first, which starts with no 0
    width = sum(_WIDTHS.get(d, 0) for d in _DIRECTIVE.findall(time_format))
    width += len(_DIRECTIVE.sub("", time_format))
    present = text.dropna()
    short = present[present.str.len() < width]
    if short.empty:
        return
    first = short.iloc[0]
    raise ValueError(
        f"column {name!r} holds numbers, and time_format={time_format!r} reads {width} "
        f"digits: {first} (index {short.index[0]!r}) has {len(first)}, its leading zeros "
        f"lost when the column was read as numbers ({len(short):,} such). Read it as "
        f"text, in pandas: pd.read_csv(..., dtype={{{name!r}: str}}) (oddseq detect, fit, "
        "score and stream do so when --time-format is given)"
    )


# Two-digit years: '17/06/09', '24.11.17 10:00' (separated), '081109 203615' (compact,
# a time after it).
_TWO_DIGIT_SEP = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{2})(?![\d/.\-])")
_TWO_DIGIT_COMPACT = re.compile(r"^\s*(\d{2})()(\d{2})(\d{2})(?=\s+\d|T\d)")
# name, and (year, month, day) from the fields (a, b, c)
_ORDERS = {
    "year/month/day": lambda a, b, c: (a, b, c),
    "day/month/year": lambda a, b, c: (c, b, a),
    "month/day/year": lambda a, b, c: (c, a, b),
}
_ORDER_LETTERS = {"year/month/day": "ymd", "day/month/year": "dmy", "month/day/year": "mdy"}


def _valid_date(year: int, month: int, day: int) -> bool:
    import datetime

    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _two_digit_years(series: pd.Series, name: str, dayfirst) -> pd.Series:
    """Dates with a two-digit year first (17/06/09 20:10:40, 081109 203615): written as
    ISO dates when one order (year/month/day, day/month/year, month/day/year) fits
    every value (``dayfirst`` True: day/month/year, False: month/day/year, as dateutil
    reads them); refused naming each reading when several fit. Other text unchanged."""
    present = series.dropna()
    if present.empty:
        return series
    head = present.head(1000).astype(str)
    for pattern in (_TWO_DIGIT_SEP, _TWO_DIGIT_COMPACT):
        if head.str.match(pattern).all():
            break
    else:
        return series
    codes, uniques = pd.factorize(series)
    texts = [str(u) for u in uniques]
    found = [(i, pattern.match(t)) for i, t in enumerate(texts)]
    found = [(i, m) for i, m in found if m]
    fields = [(int(m[1]), int(m[3]), int(m[4])) for _, m in found]
    orders = list(_ORDERS)
    if any(len(m[1]) != 2 for _, m in found):
        orders.remove("year/month/day")  # 1/06/17: the year has two digits
    wanted = orders
    if dayfirst is not None:
        wanted = ["day/month/year" if dayfirst else "month/day/year"]

    def dates(order):
        return [_ORDERS[order](*f) for f in fields]

    def fits(order):
        return all(_valid_date(_full_year(y), m, d) for y, m, d in dates(order))

    fitting = [o for o in wanted if fits(o)]
    first_index, first = found[0]
    first_text = texts[first_index]
    if not fitting:
        if dayfirst is None:
            return series  # no order reads them all: the parser below says what fails
        bad = next(
            texts[i]
            for (i, _), (y, m, d) in zip(found, dates(wanted[0]))
            if not _valid_date(_full_year(y), m, d)
        )
        other = "month/day/year" if dayfirst else "day/month/year"
        instead = f"dayfirst={not dayfirst} or " if fits(other) else ""
        raise ValueError(
            f"column {name!r} has {bad!r}, which cannot be read with dayfirst="
            f"{bool(dayfirst)}; pass {instead}time_format (--time-format from the shell)"
        )

    def iso(text, match, order):
        y, m, d = _ORDERS[order](int(match[1]), int(match[3]), int(match[4]))
        return f"{_full_year(y):04d}-{m:02d}-{d:02d}" + text[match.end() :]

    if len(fitting) > 1:
        readings = []
        for order in fitting:
            sep = first[2]
            date_format = sep.join("%" + c for c in _ORDER_LETTERS[order])
            written = iso(first_text, first, order)
            guessed = _guess_format(written)
            if guessed and guessed.startswith("%Y-%m-%d"):
                fmt = date_format + guessed[len("%Y-%m-%d") :]
                when = str(pd.to_datetime(pd.Series([first_text.strip()]), format=fmt)[0])
                advice = f"time_format={fmt!r}"
            else:
                when = written[:10]
                advice = f"time_format starting {date_format!r}"
            if order != "year/month/day":
                advice += f" or dayfirst={order == 'day/month/year'}"
            readings.append(f"{when} with {advice} ({order})")
        raise ValueError(
            f"column {name!r} has dates with a two-digit year, such as {first_text!r}, that "
            f"read {len(fitting)} ways: " + "; ".join(readings) + ". Pass the one that is "
            "right (from the shell --time-format, --dayfirst or --no-dayfirst)"
        )
    order = fitting[0]
    written = np.array(texts, dtype=object)
    for i, match in found:
        written[i] = iso(texts[i], match, order)
    values = np.where(codes >= 0, written.take(np.maximum(codes, 0)), None)
    return pd.Series(values, index=series.index, name=series.name, dtype=object)


def date_orders(text: str):
    """The orders (``"year/month/day"``, ``"day/month/year"``, ``"month/day/year"``)
    that read the date at the start of ``text`` as a real date, as a frozenset; None
    where the text does not start with a date of small numbers whose order is in
    question (ISO dates, numbers, month names: one reading).

    The dates :func:`parse_times` reads in the one order that fits every value of a
    column (two-digit years: ``17/06/09``, ``081109 203615``; day and month:
    ``01/02/2017``), judged one value at a time: ``oddseq stream`` keeps the orders that
    fit every line so far and settles on the one left.

    Examples
    --------
    >>> sorted(date_orders("13/02/2017 10:00")), sorted(date_orders("01/02/2017"))
    (['day/month/year'], ['day/month/year', 'month/day/year'])
    >>> date_orders("2017-02-01") is None
    True
    """
    found = _order_match(text)
    if found is None:
        return None
    match, orders, four = found
    fields = (int(match[1]), int(match[3]), int(match[4]))
    return frozenset(o for o in orders if _date_in(fields, o, four) is not None)


def date_in_order(text: str, order: str):
    """``text`` with its leading date (as :func:`date_orders` finds it) read in
    ``order`` and written as an ISO date (``13/02/2017 10:00`` -> ``2017-02-13
    10:00``), the rest unchanged; None where ``order`` does not read it as a real date;
    the text unchanged where it does not start with such a date."""
    found = _order_match(text)
    if found is None:
        return text
    match, orders, four = found
    date = _date_in((int(match[1]), int(match[3]), int(match[4])), order, four)
    if order not in orders or date is None:
        return None
    return f"{date[0]:04d}-{date[1]:02d}-{date[2]:02d}" + text[match.end() :]


def _order_match(text: str):
    """(match, the orders it may be read in, whether its year has four digits) of a
    date of small numbers at the start of text, as parse_times finds them: a two-digit
    year first (all three orders; not year first where the first field has one digit),
    else day and month before a year."""
    for pattern in (_TWO_DIGIT_SEP, _TWO_DIGIT_COMPACT):
        match = pattern.match(text)
        if match:
            if len(match[1]) == 2:
                return match, tuple(_ORDERS), False
            return match, ("day/month/year", "month/day/year"), False
    match = _DAY_MONTH.match(text)
    if match:
        return match, ("day/month/year", "month/day/year"), len(match[4]) == 4
    return None


def _date_in(fields, order: str, four: bool):
    """(year, month, day) of the fields (a, b, c) read in order, or None where that is
    no real date."""
    year, month, day = _ORDERS[order](*fields)
    year = year if four else _full_year(year)
    return (year, month, day) if _valid_date(year, month, day) else None


def _guess_format(text: str):
    from pandas.tseries.api import guess_datetime_format

    return guess_datetime_format(text)


def _check_date_parts(series: pd.Series, name: str) -> None:
    """A ValueError for text times without a date (15:16:01) or without a year (Jun 14
    15:16:01): read, they land on today's date or in a stand-in year. Told by reading a
    few distinct values twice with two different default dates (dateutil, as pandas
    does for forms it cannot infer): what changes with the default is not written."""
    import datetime

    from dateutil import parser

    present = series.dropna()
    if present.empty:
        return
    values = pd.unique(present.head(1000).astype(str))
    values = [v for v in values if not _YEAR_FIRST.match(v)][:50]
    one, two = datetime.datetime(2001, 1, 1), datetime.datetime(2002, 2, 2)
    for value in values:
        try:
            a, b = parser.parse(value, default=one), parser.parse(value, default=two)
        except (ValueError, OverflowError, TypeError):
            continue
        if a.year == b.year:
            continue
        if a.month != b.month:  # no month: nor a usable date (14 15:16:01)
            raise ValueError(
                f"column {name!r} holds times of day with no date (e.g. {value!r}): read so, "
                "every event would fall on one day, and events of different days would be "
                "put in clock-time order. " + _join_advice(name)
            )
        raise ValueError(
            f"column {name!r} holds dates with no year (e.g. {value!r}), which would all be "
            "read in one made-up year; no format can supply it. " + _year_advice(name, value)
        )


_CLOCK_REST = re.compile(
    r"^([ T])(\d{1,2}):(\d{2})(:\d{2})?(\.\d{1,6})?(\s*(?:[AaPp][Mm]))?"
    r"(\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))?\s*$"
)


def _rest_format(rest: str) -> str:
    """The strftime format of what follows a date (' 00:00:00', 'T10:30', ' 10:30:00.5
    +0100', ' UTC'): '' for nothing, else the format that reads it (a zone name as its
    text); the text unchanged (read literally) where it is not a clock."""
    if not rest.strip():
        return ""
    clock = _CLOCK_REST.match(rest)
    if clock is None:
        return rest.replace("%", "%%")
    sep, hour, _, seconds, fraction, half, zone = clock.groups()
    if half and not 1 <= int(hour) <= 12:
        return rest.replace("%", "%%")  # 13:00 PM: no clock strptime reads
    # a 12-hour clock (12:00:00 AM) is read by %I and %p, not copied as text
    out = f"{sep}{'%I' if half else '%H'}:%M" + (":%S" if seconds else "")
    out += ".%f" if fraction else ""
    if half:
        out += half[: len(half) - len(half.lstrip())] + "%p"
    if zone:
        z = zone.strip()
        out += zone[: len(zone) - len(zone.lstrip())] + ("%z" if z[0] in "+-Z" else z)
    return out


def _decide_dayfirst(text: pd.Series, name: str, time_format, dayfirst):
    """For day/month text (01/12/2017): True, False, or None when the values are not
    written that way. Refuses text that every value leaves ambiguous."""
    present = text.dropna()
    if len(present) > _SAMPLE:
        present = present.sample(_SAMPLE, random_state=0)
    values = pd.Series(pd.unique(present.astype(str)))
    if values.empty:
        return dayfirst
    parts = values.str.extract(_DAY_MONTH)
    matched = parts[0].notna()
    if not matched.any():
        return None
    first = parts.loc[matched, 0].astype(int)
    second = parts.loc[matched, 2].astype(int)
    day_first = bool((first > 12).any())
    month_first = bool((second > 12).any())
    if dayfirst is not None:
        against = (month_first and dayfirst) or (day_first and not dayfirst)
        if against:
            clash = values[matched][(second if dayfirst else first) > 12].iloc[0]
            raise ValueError(
                f"column {name!r} has {clash!r}, which cannot be read with "
                f"dayfirst={bool(dayfirst)}; pass dayfirst={not dayfirst} or time_format "
                "(--time-format from the shell)"
            )
        return bool(dayfirst)
    if day_first and month_first:
        a = values[matched][first > 12].iloc[0]
        b = values[matched][second > 12].iloc[0]
        raise ValueError(
            f"column {name!r} mixes day/month ({a!r}) and month/day ({b!r}) dates; "
            "clean the column, or pass time_format (--time-format from the shell)"
        )
    if day_first or month_first:
        return day_first
    example = values[matched].iloc[0]
    row = parts.loc[matched].iloc[0]
    year = row[3]
    a, b = int(row[0]), int(row[2])
    if a == b:
        # 05/05/2017 reads the same both ways; show a value that does not, if any.
        differ = matched & (parts[0].astype(float) != parts[2].astype(float))
        if differ.any():
            example = values[differ].iloc[0]
            row = parts.loc[differ].iloc[0]
            a, b, year = int(row[0]), int(row[2]), row[3]
    sep = row[1]
    # the format of the whole text, so that the advice reads it when followed
    # ('%d/%m/%Y' alone stops at '01/02/2017 00:00:00' with "unconverted data remains")
    rest = _rest_format(_DAY_MONTH.sub("", str(example), count=1))
    fmt_day = f"%d{sep}%m{sep}%{'Y' if len(year) == 4 else 'y'}{rest}"
    fmt_month = f"%m{sep}%d{sep}%{'Y' if len(year) == 4 else 'y'}{rest}"
    raise ValueError(
        f"column {name!r} has dates such as {example!r} whose day and month could be "
        f"either way round (no value has a field above 12): {_reading(a, b, year)} with "
        f"dayfirst=True, or {_reading(b, a, year)} with dayfirst=False. Pass dayfirst=True "
        f"or dayfirst=False, or time_format (e.g. {fmt_day!r} or {fmt_month!r}); from the "
        "shell --dayfirst, --no-dayfirst or --time-format"
    )


#: Text that stands for a missing value (pandas' read_csv reads these as NaN), lower-case
#: and stripped: a time or value column written so has a missing value there.
MISSING_TEXT = frozenset(["", "nan", "-nan", "na", "n/a", "#n/a", "null", "none", "<na>"])


# A missing time as text: read_csv's NA words, and "NaT" (pandas' own, which
# df["t"].astype(str) writes and pd.to_datetime reads as missing).
_MISSING_TIME_TEXT = MISSING_TEXT | {"nat"}


def _missing_text(series: pd.Series):
    """Which values of a text column are NA-like text ("N/A", "null"; ``MISSING_TEXT``), or
    None where none is: asked only where the dates did not read, so a clean column pays
    nothing. A mask by position: a log's index may repeat labels (``pd.concat`` of two
    days), where a mask by label would take a valid row sharing the N/A row's label."""
    text = series.astype(str).str.strip().str.lower()
    na = series.notna().to_numpy() & text.isin(_MISSING_TIME_TEXT).to_numpy()
    return na if na.any() else None


# A date with its year first (2019-10-01, 2019/10/01): read year/month/day, never day-first.
_YEAR_FIRST_ANY = re.compile(r"^\s*[+-]?\d{4}([-/.])\d{1,2}\1\d{1,2}(?!\d)")


def _mixed_in_order(series: pd.Series, name: str, dayfirst) -> pd.Series:
    """For time_format="mixed" (dateutil per value, which reads 2019-10-01 day-first under
    dayfirst=True and an ambiguous 01/10/2019 month-first without it): the day/month
    dates (those not year-first) decided as the default reading decides them (two-digit
    years, then the day/month order from the data, refused where ambiguous unless
    ``dayfirst`` is given) and rewritten year-first, so that every date reads year/month/
    day. The text after a date is kept; other values (month names) unchanged."""
    codes, uniques = pd.factorize(series)
    if not len(uniques):
        return series
    text = pd.Series(uniques, dtype=object).astype(str)
    others = text[~text.str.match(_YEAR_FIRST_ANY)]
    if others.empty:
        return series
    others = _two_digit_years(others, name, dayfirst)
    order = _decide_dayfirst(others, name, "mixed", dayfirst)
    text.loc[others.index] = others
    if order is not None:
        for i, value in others.items():
            match = _DAY_MONTH.match(value)
            if match is None:
                continue
            a, b, year = int(match[1]), int(match[3]), match[4]
            day, month = (a, b) if order else (b, a)
            full = int(year) if len(year) == 4 else _full_year(int(year))
            text.loc[i] = f"{full:04d}-{month:02d}-{day:02d}" + value[match.end() :]
    out = text.to_numpy(dtype=object)[codes]
    out[codes < 0] = None
    return pd.Series(out, index=series.index, name=series.name, dtype=object)


class _PandasDateWarnings:
    """While on (``with``), this thread's pandas warnings of a day/month swap (kept in
    :attr:`swapped`) and of a format not inferred (dropped); every other warning, and
    any once it is off, goes to the handler it found (see _RECORDING: a late restore by
    another thread may leave it installed). It adds two 'always' filters (for those two
    messages: pandas' registry would show a repeated one once) and takes out exactly
    those on exit, and puts the handler back only where it is still itself: it never
    writes back a filter list or a handler another thread saved (warnings.catch_warnings
    restores the whole list, and could bring back another thread's 'ignore': review RV
    s35 L6)."""

    _OURS = ("Parsing dates in", "Could not infer format")

    def __init__(self):
        self.swapped = None
        self._thread = threading.get_ident()
        self._on = False
        self._previous = None

    def __enter__(self):
        for text in self._OURS:
            warnings.filterwarnings("always", message=text)
        self._previous = warnings.showwarning
        warnings.showwarning = self
        self._on = True
        return self

    def __exit__(self, *exc):
        self._on = False
        if warnings.showwarning is self:
            warnings.showwarning = self._previous
        for text in self._OURS:
            # (the tuple filterwarnings made: compiled patterns compare by text and flags)
            entry = ("always", re.compile(text, re.I), Warning, None, 0)
            with contextlib.suppress(ValueError):  # (gone: another thread's restore)
                warnings.filters.remove(entry)
        return False

    def __call__(self, message, category, filename, lineno, file=None, line=None):
        text = str(message)
        if self._on and threading.get_ident() == self._thread and text.startswith(self._OURS):
            if text.startswith(self._OURS[0]) and self.swapped is None:
                self.swapped = text
            return
        self._previous(message, category, filename, lineno, file, line)


def _parse_text(series: pd.Series, name: str, time_format, dayfirst) -> pd.Series:
    """Text dates -> a datetime Series (naive, or time-zone aware; mixed offsets -> UTC)."""
    written = series  # as the caller wrote them, for messages
    if time_format is None:
        series = _two_digit_years(series, name, dayfirst)
        _check_date_parts(series, name)
        dayfirst = _decide_dayfirst(series, name, time_format, dayfirst)
    elif time_format == "mixed":
        _check_date_parts(series, name)  # dateutil per value: today's date for 15:16:01
        series = _mixed_in_order(series, name, dayfirst)
        dayfirst = False  # every numeric date is year-first now: never read day-first
    if time_format is not None and dayfirst is not None and time_format not in ("mixed",):
        dayfirst = None  # an explicit format decides the order

    def convert(**kwargs):
        if dayfirst is not None:
            kwargs["dayfirst"] = bool(dayfirst)
        watch = _PandasDateWarnings()
        with _RECORDING, watch:
            try:
                result = pd.to_datetime(series, **kwargs)
            except ValueError as error:
                # Text with mixed offsets, or aware timestamps of several zones (an
                # object column): the instants they name, in UTC.
                said = str(error).lower()
                if (
                    "mixed timezones" not in said
                    and "unless utc=true" not in said
                    and "cannot mix tz-aware with tz-naive" not in said
                ):
                    raise
                result = pd.to_datetime(series, utc=True, **kwargs)
                _warn_if_naive_among_aware(written, name)
                zone = _one_zone_across_dst(series)
                if zone is not None:
                    result = result.dt.tz_convert(zone)
        if watch.swapped is not None:
            # pandas swapped day and month for some values behind a warning: an error
            # here, never a reading the caller did not ask for. ("Could not infer
            # format" is expected: dateutil per value, safe once the day/month order is
            # settled; the watch keeps it from the caller.)
            raise ValueError(watch.swapped)
        return result

    try:
        if time_format is not None:
            return convert(format=time_format)
        try:
            return convert()
        except ValueError:
            # Fractional seconds on some rows only, or a date without a time: one
            # inferred format does not fit every row, ISO 8601 does.
            sample = series.dropna().astype(str).head(1000)
            if sample.empty or not sample.str.match(_YEAR_FIRST).all():
                raise
            return convert(format="ISO8601")
    except (ValueError, TypeError, OverflowError) as error:
        missing = _missing_text(series)
        if missing is not None:  # "N/A", "null": missing times, as read_csv reads them
            return _parse_text(series.mask(missing), name, time_format, dayfirst)
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        detail = detail.split(". You might want")[0]
        hint = (
            f"check time_format={time_format!r} (--time-format from the shell)"
            if time_format is not None
            else "pass time_format (e.g. '%d/%m/%Y %H:%M:%S', 'ISO8601' or 'mixed'; "
            "--time-format from the shell), or numbers with time_unit"
        )
        web = None if time_format is not None else _common_log_format(series)
        if web is not None:
            hint = (
                f"they read as a web server's log times (24/Nov/2017:16:02:43 +0000): pass "
                f"time_format={web!r} (--time-format '{web}' from the shell)"
            )
        else:
            few = _few_unreadable(written, name, time_format, dayfirst)
            if few is not None:
                raise ValueError(few) from None
        raise ValueError(
            f"column {name!r} holds neither numbers nor dates that can be read ({detail}); {hint}"
        ) from None


#: The unreadable-times error's route, before its Python line (the shell says its own:
#: oddseq.cli; oddseq.dask names ddf).
MAKE_UNREADABLE_MISSING = "To leave those rows out, make those values missing: "
#: At most this many distinct unreadable values are named in the fix itself (masked as
#: they are, so the rest is read as before: the same format, day-first order and zones).
_NAMED_UNREADABLE = 20
#: Values read first, of a column whose reading failed: most of them unreadable (a
#: column that holds no times, the wrong --time) is said without reading the rest,
#: which dateutil reads value by value (about 130 us each: 20 minutes at 10 M rows).
_UNREADABLE_SAMPLE = 2_000


def _unread(series: pd.Series, present: np.ndarray, kwargs: dict) -> np.ndarray | None:
    """Where ``series``' present values do not read as dates with ``kwargs`` (None where
    the reading itself fails)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(series, errors="coerce", utc=True, **kwargs)
    except (ValueError, TypeError, OverflowError):
        return None
    return present & parsed.isna().to_numpy()


def unreadable_minority(series: pd.Series, time_format=None, dayfirst=None):
    """Where a minority of a text time column's values is no date and the rest read one
    way: (their positions, the reading the rest take, the values present); else None.
    Values that another format reads are no such minority (the format is at fault)."""
    present = series.notna().to_numpy()
    n_present = int(present.sum())
    if n_present < 2:
        return None
    forms = [time_format] if time_format is not None else [None, "ISO8601", "mixed"]
    options = [{} if f is None else {"format": f} for f in forms]
    if dayfirst is not None:
        options = [{**o, "dayfirst": bool(dayfirst)} for o in options]
    # the first reading that leaves a minority unread on a sample, then on every value
    at = np.flatnonzero(present)
    sample = at[np.linspace(0, at.size - 1, min(at.size, _UNREADABLE_SAMPLE)).astype(np.int64)]
    chosen = None
    for kwargs in options:
        part = series.iloc[sample]
        unread = _unread(part, np.ones(len(part), dtype=bool), kwargs)
        if unread is not None and unread.sum() <= len(part) // 2:
            chosen = kwargs
            break
    if chosen is None:
        return None
    unread = _unread(series, present, chosen)
    if unread is None or not 0 < unread.sum() <= n_present // 2:
        return None
    where = np.flatnonzero(unread)
    if time_format is not None:
        # dates in another format than the one asked for: the format is at fault
        other = _unread(series.iloc[where], np.ones(where.size, dtype=bool), {"format": "mixed"})
        if other is None or not other.all():
            return None
    return where, chosen, n_present


def rows_with_no_date(series: pd.Series, time_format=None, dayfirst=None) -> np.ndarray:
    """The positions of a text time column's values that are no date, where they are a
    minority and the rest read one way (:func:`unreadable_minority`), and no other
    format reads them (dates in a second format are read with time_format='mixed', not
    dropped); empty otherwise. The shell's --drop-unreadable-times drops those rows."""
    found = unreadable_minority(series, time_format, dayfirst)
    if found is None:
        return np.zeros(0, dtype=np.int64)
    where, chosen, _ = found
    if time_format is None and chosen.get("format") != "mixed":
        # only those no format reads: a date in a second format is read with
        # time_format='mixed' (which the refusal names then), not dropped
        mixed = {"format": "mixed", **({} if dayfirst is None else {"dayfirst": bool(dayfirst)})}
        other = _unread(series.iloc[where], np.ones(where.size, dtype=bool), mixed)
        if other is not None:
            return where[other]
    return where


def _few_unreadable(series: pd.Series, name: str, time_format, dayfirst) -> str | None:
    """Where a minority of a text time column's values is no date ("0000-00-00
    00:00:00", a MySQL zero date; "not a date") and the rest read one way
    (:func:`unreadable_minority`): the error that counts them, shows the first with
    their rows and says how to drop them (trial s40 F6: the error quoted a valid date as
    the culprit); else None. ``time_format`` and ``dayfirst``: the reading asked for or
    decided."""
    found = unreadable_minority(series, time_format, dayfirst)
    if found is None:
        return None
    where, chosen, n_present = found
    shown = ", ".join(f"{series.iloc[i]!r} (row {series.index[i]!r})" for i in where[:3])
    more = f" and {where.size - 3:,} more" if where.size > 3 else ""
    if time_format is None and chosen.get("format") != "mixed":
        # dates in a second format (an app's rows beside a server's): each read on its
        # own, not dropped (trial s46: the advice dropped a third of a log)
        mixed = {"format": "mixed", **({} if dayfirst is None else {"dayfirst": bool(dayfirst)})}
        other = _unread(series.iloc[where], np.ones(where.size, dtype=bool), mixed)
        if other is not None and not other.any():
            order = "" if dayfirst is not None else " (and dayfirst=True where the day comes first)"
            return (
                f"column {name!r} holds dates in two formats: {where.size:,} of {n_present:,} "
                f"values are not in the others' format: {shown}{more}; "
                f"time_format='mixed' (--time-format mixed) reads each value on its "
                f"own{order}"
            )
    values = pd.unique(series.iloc[where].to_numpy())
    if len(values) <= _NAMED_UNREADABLE:
        # (as the column holds them: an int among the texts is matched as the int)
        named = [v.item() if isinstance(v, np.generic) else v for v in values]
        fix = f"df[{name!r}] = df[{name!r}].mask(df[{name!r}].isin({named!r}))"
    else:
        fix = _coerce_fix(series, name, chosen)
    return (
        f"column {name!r} has {where.size:,} value{'s' if where.size > 1 else ''} of "
        f"{n_present:,} that {'are' if where.size > 1 else 'is'} no date: {shown}{more}; the "
        f"others read as dates. {MAKE_UNREADABLE_MISSING}{fix}, and pass dropna=True"
    )


def _coerce_fix(series: pd.Series, name: str, kwargs: dict) -> str:
    """The pandas line that reads ``series`` as dates, its unreadable values missing,
    with the reading ``kwargs`` the check used (and utc=True where the values' offsets
    differ: pandas refuses them otherwise), as the unreadable-times error advises it."""
    written = "".join(f", {key}={value!r}" for key, value in kwargs.items())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pd.to_datetime(series, errors="coerce", **kwargs)
    except (ValueError, TypeError, OverflowError):
        written += ", utc=True"
    return f"df[{name!r}] = pd.to_datetime(df[{name!r}], errors='coerce'{written})"


# An ISO offset at the end of a time (+01:00, -0500, Z), after a digit of the time.
_END_OFFSET = re.compile(r"\d(?:([+-])(\d{2}):?(\d{2})|Z)$", re.IGNORECASE)


def _distinct_ends(values: np.ndarray) -> pd.Series:
    """The last seven characters of each text of ``values`` (trailing spaces dropped),
    counted: by Arrow where pyarrow is installed and the values are many (0.2 s per 1 M
    times against 1 s)."""
    if values.size >= _ARROW_ZONES_FROM:
        try:
            import pyarrow as pa
            import pyarrow.compute as pc

            text = pa.array(values, type=pa.large_string(), from_pandas=True)
            text = pc.utf8_rtrim_whitespace(text)
            counted = pc.value_counts(pc.utf8_slice_codeunits(text, -7))
            return pd.Series(
                counted.field("counts").to_numpy(zero_copy_only=False),
                index=counted.field("values").to_pylist(),
            )
        except Exception:  # no pyarrow, text Arrow refuses
            pass
    return pd.Series(values).str.rstrip().str[-7:].value_counts(sort=False)


def _one_zone_across_dst(series: pd.Series):
    """The offset (a ``datetime.timezone``) most of ``series``' times carry where all
    are text ending in an ISO offset (+01:00, -0500, Z) and the offsets lie within an hour
    of each other, as a zone's do across a daylight-saving change; else None (times of
    zones far apart, other forms, Timestamps: UTC is kept). Reads the distinct endings
    only (the last seven characters of each time)."""
    import datetime

    values = series.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return None
    ends = _distinct_ends(values)  # (missing values: none counted)
    offsets = {}
    for end, count in ends.items():
        if not isinstance(end, str) or end.strip().lower() in _MISSING_TIME_TEXT:
            continue
        found = _END_OFFSET.search(end)
        if found is None:
            return None
        sign, hours, minutes = found.groups()
        minutes = (
            0 if sign is None else (int(hours) * 60 + int(minutes)) * (-1 if sign == "-" else 1)
        )
        offsets[minutes] = offsets.get(minutes, 0) + int(count)
    if len(offsets) < 2 or max(offsets) - min(offsets) > 60:
        return None
    most = max(offsets, key=lambda m: (offsets[m], -m))  # (a tie: the smaller offset)
    return datetime.timezone(datetime.timedelta(minutes=most))


# A time of day followed by a zone: Z, an offset (+01:00, -0500) or UTC/GMT.
_ZONED = re.compile(
    r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?|(?:UTC|GMT)"
    r"(?:[+-]\d{1,2}(?::?\d{2})?)?)\s*(?:\(.*\))?\s*$",
    re.IGNORECASE,
)


#: From this many times the zone check reads the text with Arrow's regular expressions
#: in one pass (where pyarrow is installed): below it, one by one costs less than the
#: conversion.
_ARROW_ZONES_FROM = 10_000


def _zoned_by_arrow(values: np.ndarray) -> np.ndarray:
    """Which of ``values`` (an object array without missing values) are text in which
    ``_ZONED`` finds a zone, read by Arrow's regular expressions in one pass, where pyarrow
    is installed, the values are many and all text; else none (all False). What Arrow
    finds Python's ``re`` finds too (RE2's ``\\d`` and ``\\s`` are ASCII, subsets of
    Python's, and its ``$`` is the end of the text), so the caller reads only the others
    one by one: 1 M times with offsets cost 1.7 s one by one, 0.4 s so."""
    none = np.zeros(values.size, dtype=bool)
    if values.size < _ARROW_ZONES_FROM:
        return none
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        text = pa.array(values, type=pa.large_string(), from_pandas=True)
        found = pc.match_substring_regex(text, _ZONED.pattern, ignore_case=True)
        return found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    except Exception:  # no pyarrow, values not all text (Timestamps), text Arrow refuses
        return none


def _warn_if_naive_among_aware(series: pd.Series, name: str) -> None:
    """A DataWarning where times with a zone (text with an offset, aware Timestamps)
    come with times without one, which pandas' utc=True reads as UTC: a local time
    among them would be off by its offset, without a word."""
    values = series.dropna().to_numpy(dtype=object)
    if not values.size:
        return
    zoned = _zoned_by_arrow(values)  # (no missing text has a zone: "nat", "null", ...)
    rest = np.flatnonzero(~zoned)
    missing = np.zeros(values.size, dtype=bool)
    missing[rest] = [
        isinstance(v, str) and v.strip().lower() in _MISSING_TIME_TEXT for v in values[rest]
    ]
    naive = np.zeros(values.size, dtype=bool)
    rest = rest[~missing[rest]]
    naive[rest] = [
        getattr(v, "tzinfo", None) is None if not isinstance(v, str) else _ZONED.search(v) is None
        for v in values[rest]
    ]
    values, naive = values[~missing], naive[~missing]
    if not values.size:
        return
    n = int(naive.sum())
    if not n or n == values.size:
        return
    example, zoned = values[np.argmax(naive)], values[np.argmin(naive)]
    warnings.warn(
        f"column {name!r} holds {n:,} time{'s' if n > 1 else ''} without a zone (such as "
        f"{str(example)!r}) among times with one (such as {str(zoned)!r}): "
        f"{'they were' if n > 1 else 'it was'} read as UTC. If they are local times, give "
        "them their offset (or convert the column with pd.to_datetime first)",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _check_ns_range(ns: float, value, name: str) -> int:
    """ns rounded to an int when it fits the int64 nanoseconds the core counts in (about
    292 years); a ValueError, not an OverflowError, when it does not."""
    if not ns < _INT64_MAX:
        shown = repr(value)
        if isinstance(value, numbers.Integral) and len(shown) > 24:
            shown = f"an integer of {len(str(abs(int(value))))} digits"
        raise ValueError(
            f"{name} is too long: {shown} does not fit in int64 nanoseconds (at most about "
            "292 years); pass a shorter duration"
        )
    return int(round(ns))


def is_bare_number(text: str) -> bool:
    """Whether text is only a number ("30", " 1.5 ", "1e3"): a duration without a unit."""
    return bool(_BARE_NUMBER.match(text))


def no_unit_message(what: str, text: str, python: bool = True) -> str:
    """The message for a duration written as a bare number (``what`` is how the user
    wrote it: ``session_gap='30'``, ``--ttl 3600``)."""
    bare = text.strip()
    return f"{what} has no unit: write it with one, e.g. '{bare}s', '{bare}min' or '{bare}h'" + (
        " (or pass a number, not text, for seconds)" if python else ""
    )


def duration_ns(value, name: str) -> int:
    """A positive duration as int64 ns: a number of seconds, a string like "30min" or
    "1d", or a Timedelta. Text that is a bare number ("30") is refused: it has no unit
    (pandas would read it as nanoseconds)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be seconds (a number), a string like '30min' or a Timedelta")
    if isinstance(value, numbers.Real):
        try:
            seconds = float(value)
        except OverflowError:  # an int past any float (10**400)
            seconds = np.inf if value > 0 else -np.inf
        if np.isnan(seconds) or seconds <= 0:
            raise ValueError(f"{name} must be > 0 seconds, got {value}")
        return max(1, _check_ns_range(seconds * 1e9, value, name))
    if isinstance(value, str):
        if is_bare_number(value):
            # pandas reads "30" as 30 nanoseconds; the user meant seconds or minutes.
            raise ValueError(no_unit_message(f"{name}={value!r}", value))
        # Plain "<number><unit>" parsed here: pandas is deprecating lower-case units.
        match = _SIMPLE_DURATION.match(value)
        if match and match.group(2).lower() in _DURATION_UNITS_NS:
            ns = float(match.group(1)) * _DURATION_UNITS_NS[match.group(2).lower()]
            ns = _check_ns_range(ns, value, name)
            if ns <= 0:
                raise ValueError(f"{name} must be a positive duration, got {value!r}")
            return ns
    try:
        delta = pd.Timedelta(value)
    except OverflowError:
        _check_ns_range(np.inf, value, name)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be seconds (a number), a string like '30min' or a Timedelta, "
            f"got {value!r}"
        ) from None
    if pd.isna(delta) or delta.value <= 0:
        raise ValueError(f"{name} must be a positive duration, got {value!r}")
    return int(delta.value)


def times_to_ns(
    column: pd.Series | np.ndarray,
    time_unit: str,
    name: str,
    time_format: str | None = None,
    dayfirst: bool | None = None,
    *,
    unit_warning: bool | dict = True,
    early_dates: bool = True,
    clock: dict | None = None,
):
    """(int64 ns since epoch UTC, bad-row mask or None, time zone name or None):
    :func:`parse_times` with the unit passed by position."""
    return parse_times(
        column,
        name,
        time_unit=time_unit,
        time_format=time_format,
        dayfirst=dayfirst,
        unit_warning=unit_warning,
        early_dates=early_dates,
        clock=clock,
    )


# The strptime directives the fast reader of one text time takes (numbers, fractions up
# to microseconds, offsets); any other (month names, %y, %Z beyond UTC, ...) keeps the
# full reader.
_FAST_DIRECTIVE = re.compile(r"%(.)")
_FAST_ALLOWED = set("YmdHMSfz%")
_DIGIT_TO_ZERO = str.maketrans("123456789", "000000000")
_EPOCH_ORDINAL = 719_163  # date(1970, 1, 1).toordinal()


class TextTimes:
    """Text times one at a time, read as :func:`parse_times` reads each alone, fast.

    ``read(text)`` gives what ``parse_times(pd.Series([text]), ...)`` gives for the
    time's ns (None where it marks the time missing; its errors raised as they come).
    Texts of one shape (their digits as 0: ``0000-00-00 00:00:00 UTC``) share a
    strptime format, learned once from pandas' guess for the shape's first text (the
    given ``time_format`` where there is one): year/month/day, or day and month in the
    order ``dayfirst`` names (never guessed: without it the full reader decides, and
    refuses ``01/02/2017``); numbers, fractions to microseconds and offsets only. The
    first ``checks`` texts of a shape are read both ways; one disagreement, and the
    shape keeps the full reader for good. A text the format does not take (a 30th of
    February, nine fraction digits) goes through the full reader too. At most
    ``max_shapes`` shapes are learned.

    ``oddseq stream`` reads a text time per line: the full reader (pandas) took about
    13 ms a line; this takes tens of microseconds.
    """

    def __init__(
        self,
        name: str,
        time_unit: str = "s",
        time_format: str | None = None,
        dayfirst: bool | None = None,
        checks: int = 3,
        max_shapes: int = 64,
    ):
        self.name, self.time_unit = name, time_unit
        self.time_format, self.dayfirst = time_format, dayfirst
        self.checks, self.max_shapes = checks, max_shapes
        self._shapes = {}  # shape -> [format, checks left], or None: the full reader
        self.n_fast = self.n_full = 0

    def full(self, text):
        """ns of one time through parse_times (None where it is missing)."""
        ns, bad, _ = parse_times(
            pd.Series([text], dtype=object),
            self.name,
            time_unit=self.time_unit,
            time_format=self.time_format,
            dayfirst=self.dayfirst,
            early_dates=False,  # (one time: the stream's first one is judged, _check_unit)
        )
        return None if bad is not None else int(ns[0])

    def read(self, text: str):
        shape = text.translate(_DIGIT_TO_ZERO)
        entry = self._shapes.get(shape, False)
        if entry is False:
            entry = None
            if len(self._shapes) < self.max_shapes:
                fmt = self._format(text)
                entry = None if fmt is None else [fmt, self.checks]
                self._shapes[shape] = entry
        if entry is None:
            self.n_full += 1
            return self.full(text)
        fast = _strptime_ns(text, entry[0])
        if entry[1] > 0:
            self.n_full += 1
            ns = self.full(text)  # its errors are the caller's
            if fast != ns:
                self._shapes[shape] = None
            else:
                entry[1] -= 1
            return ns
        if fast is None:
            self.n_full += 1
            return self.full(text)
        self.n_fast += 1
        return fast

    def known(self, text: str) -> bool:
        """Whether ``text`` is of a shape learned and checked, and its format reads it
        (then :meth:`read` reads it without the full reader, and it is a time pandas
        reads: its format was guessed from a text pandas parsed)."""
        entry = self._shapes.get(text.translate(_DIGIT_TO_ZERO))
        return bool(entry) and entry[1] == 0 and _strptime_ns(text, entry[0]) is not None

    def _format(self, text: str):
        """The strptime format for texts shaped as ``text``, or None (full reader)."""
        if _NUMBER.match(text):
            return None  # numbers written as text: read as numbers, not dates
        if self.time_format is not None:
            fmt = self.time_format
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    fmt = _guess_format_dayfirst(text, False)
                except (ValueError, TypeError):
                    return None
            if fmt is None:
                return None
            if "%Z" in fmt:
                # A zone name: UTC alone is taken, as a literal (naive then means UTC).
                fmt = fmt.replace("%Z", "UTC", 1)
        codes = _FAST_DIRECTIVE.findall(fmt.replace("%%", ""))
        if not set(codes) <= _FAST_ALLOWED or any(codes.count(c) > 1 for c in "YmdHMSfz"):
            return None
        if not {"Y", "m", "d"} <= set(codes):
            return None
        year, month, day = (codes.index(c) for c in "Ymd")
        if year < month < day or self.time_format is not None:
            return fmt  # year first, or the order given in the format
        if year < max(month, day) or self.dayfirst is None:
            return None  # day and month before the year: only in the order given
        if (day < month) != bool(self.dayfirst):
            fmt = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
        return fmt


def _guess_format_dayfirst(text: str, dayfirst: bool):
    from pandas.tseries.api import guess_datetime_format

    return guess_datetime_format(text, dayfirst=dayfirst)


def _strptime_ns(text: str, fmt: str):
    """ns since the epoch UTC of text read with strptime's fmt (aware times converted,
    naive ones taken as UTC), or None where it does not read or falls outside the years
    pandas' nanoseconds hold."""
    from datetime import datetime, timezone

    try:
        moment = datetime.strptime(text, fmt)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    if not 1678 <= moment.year <= 2261:
        return None
    seconds = (
        (moment.toordinal() - _EPOCH_ORDINAL) * 86_400
        + moment.hour * 3600
        + moment.minute * 60
        + moment.second
    )
    return (seconds * 1_000_000 + moment.microsecond) * 1000
