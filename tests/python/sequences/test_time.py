"""The one time parser (oddseq.utils._time) that Python and the shell share."""

import re

import numpy as np
import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.sequences import Sequences
from oddseq.utils._time import guess_unit, parse_times


def stamp(ns):
    return str(pd.Timestamp(int(ns)))


def test_numbers_with_a_unit_and_numbers_written_as_text():
    for unit, factor in (("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9)):
        ns, bad, tz = parse_times(pd.Series([1_511_544_070 * factor]), "t", time_unit=unit)
        assert stamp(ns[0]) == "2017-11-24 17:21:10" and bad is None and tz is None
    ns, _, _ = parse_times(pd.Series(["1511544070", " 1511544071 "]), "t")
    assert [stamp(v) for v in ns] == ["2017-11-24 17:21:10", "2017-11-24 17:21:11"]
    assert guess_unit(1.5e12) == "ms" and guess_unit(1.5e15) == "us" and guess_unit(7) is None


def test_epoch_milliseconds_read_as_seconds_name_the_unit():
    with pytest.raises(ValueError, match=r"look like milliseconds: pass time_unit='ms'"):
        parse_times(pd.Series([1_511_544_070_123]), "ts")
    with pytest.raises(ValueError, match=r"time_unit must be one of"):
        parse_times(pd.Series([1]), "ts", time_unit="h")


def test_iso_text_utc_suffix_and_mixed_offsets():
    ns, _, tz = parse_times(pd.Series(["2019-10-01 00:00:05 UTC", "2019-10-01 00:01:05 UTC"]))
    assert stamp(ns[0]) == "2019-10-01 00:00:05" and tz == "UTC"
    # ISO dates are year first: dayfirst never turns 2017-12-01 into 12 January.
    ns, _, _ = parse_times(pd.Series(["2017-12-01T00:00:14"]), dayfirst=True)
    assert stamp(ns[0]) == "2017-12-01 00:00:14"
    # Fractions of a second on some rows only.
    ns, _, tz = parse_times(pd.Series(["2017-12-01 00:00:14.5", "2017-12-01 00:00:15"]))
    assert stamp(ns[0]) == "2017-12-01 00:00:14.500000" and tz is None
    ns, _, tz = parse_times(pd.Series(["2017-12-01 02:00:00+02:00", "2017-12-01 03:00:00+03:00"]))
    # (offsets an hour apart read as one zone across DST: the clock of the most, the
    # smaller on a tie; zones further apart keep UTC)
    assert [stamp(v) for v in ns] == ["2017-12-01 00:00:00"] * 2 and tz == "UTC+02:00"
    ns, _, tz = parse_times(pd.Series(["2017-12-01 02:00:00+02:00", "2017-12-01 04:00:00+04:00"]))
    assert [stamp(v) for v in ns] == ["2017-12-01 00:00:00"] * 2 and tz == "UTC"
    ns, _, tz = parse_times(pd.Series(["2017-12-01 02:00:00+02:00"] * 2))
    assert stamp(ns[0]) == "2017-12-01 00:00:00" and tz == "UTC+02:00"


def test_day_and_month_order_is_read_from_the_values_or_refused():
    # A first field above 12: day first, for every row (01/12 is 1 December).
    ns, _, _ = parse_times(pd.Series(["01/12/2017 00:00:14", "13/12/2017 10:00:00"]))
    assert [stamp(v) for v in ns] == ["2017-12-01 00:00:14", "2017-12-13 10:00:00"]
    # A second field above 12: month first.
    ns, _, _ = parse_times(pd.Series(["12/01/2017", "12/13/2017"]))
    assert [stamp(v)[:10] for v in ns] == ["2017-12-01", "2017-12-13"]
    # Nothing decides: refused, with both readings named.
    three_days = pd.Series(["01/12/2017 00:00:14", "02/12/2017 00:00:14", "03/12/2017 00:00:14"])
    with pytest.raises(ValueError) as error:
        parse_times(three_days, "when")
    message = str(error.value)
    assert "1 December 2017 with dayfirst=True" in message
    assert "12 January 2017 with dayfirst=False" in message
    assert (
        "'%d/%m/%Y %H:%M:%S'" in message and "--dayfirst" in message and "--time-format" in message
    )
    ns, _, _ = parse_times(three_days, dayfirst=True)
    assert stamp(ns[2]) == "2017-12-03 00:00:14"
    ns, _, _ = parse_times(three_days, dayfirst=False)
    assert stamp(ns[2]) == "2017-03-12 00:00:14"
    ns, _, _ = parse_times(three_days, time_format="%d/%m/%Y %H:%M:%S")
    assert stamp(ns[2]) == "2017-12-03 00:00:14"
    # Both orders in one column: refused.
    with pytest.raises(ValueError, match="mixes day/month"):
        parse_times(pd.Series(["13/01/2017", "01/13/2017"]))
    # dayfirst=False against values that are day first: an error, not a silent swap.
    with pytest.raises(ValueError, match="cannot be read with dayfirst=False"):
        parse_times(pd.Series(["13/12/2017"]), dayfirst=False)
    # Dots and two-digit years, as European exports write them: year first fits too
    # (2024-11-17), so dayfirst says which (test_time_partial_dates.py).
    ns, _, _ = parse_times(pd.Series(["24.11.17 10:00"]), dayfirst=True)
    assert stamp(ns[0]) == "2017-11-24 10:00:00"


def test_missing_and_unreadable_text():
    ns, bad, _ = parse_times(pd.Series(["2017-12-01", None, "2017-12-02"]))
    assert bad.tolist() == [False, True, False]
    with pytest.raises(ValueError, match=r"neither numbers nor dates.*time_format"):
        parse_times(pd.Series(["2017-12-01", "yesterday", "someday"]), "ts")
    # a minority of values no date: counted and shown (trial s40 F6)
    with pytest.raises(ValueError, match=r"1 value of 2 that is no date: 'yesterday' \(row 1\)"):
        parse_times(pd.Series(["2017-12-01", "yesterday"]), "ts")
    with pytest.raises(ValueError, match=r"check time_format='%Y'"):
        parse_times(pd.Series(["2017-12-01"]), time_format="%Y")
    with pytest.raises(TypeError, match="dayfirst"):
        parse_times(pd.Series(["2017-12-01"]), dayfirst="yes")
    with pytest.raises(TypeError, match="durations"):
        parse_times(pd.Series(pd.to_timedelta([1, 2], unit="s")))


def test_python_and_the_shell_read_text_dates_alike(tmp_path):
    log = pd.DataFrame(
        {
            "u": ["a", "a", "b", "b", "c", "c"] * 4,
            "t": [f"{d:02d}/12/2017 10:{m:02d}:00" for d in (1, 2, 13, 14) for m in range(6)],
        }
    )
    seqs = Sequences.from_events(log, entity="u", time="t")
    assert stamp(seqs.times.min()) == "2017-12-01 10:00:00"
    assert list(seqs.event_labels) == ["event"]
    path = tmp_path / "clicks.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "odd.jsonl"
    code = main(["detect", str(path), "--entity", "u", "--time", "t", "-o", str(out)])
    assert code == 0
    assert len(pd.read_json(out, lines=True)) == 3
    # The old shell read 01/12/2017 as 12 January: three days became three months.
    span = (seqs.times.max() - seqs.times.min()) / 86_400e9
    assert span < 14 and np.isfinite(span)


@pytest.mark.parametrize(
    "texts",
    [
        ["01/02/2017 00:00:00", "03/04/2017 10:30:00"],
        ["01.02.2017T10:30", "03.04.2017T11:45"],
        ["01-02-2017 10:30:00.25 +0100", "03-04-2017 11:45:00.5 +0100"],
        ["01/02/2017 10:30:00 UTC", "03/04/2017 11:45:00 UTC"],
        ["01/02/2017", "03/04/2017"],
    ],
)
def test_the_day_month_refusal_advises_a_format_that_reads_the_text(texts):
    # The advice named '%d/%m/%Y' for '01/02/2017 00:00:00', which then stopped with
    # "unconverted data remains": each advised format must read every value.
    with pytest.raises(ValueError, match="either way round") as refused:
        parse_times(pd.Series(texts), "t")
    advised = re.findall(r"time_format \(e\.g\. '([^']+)' or '([^']+)'\)", str(refused.value))
    assert advised, str(refused.value)
    for fmt in advised[0]:
        ns, bad, _ = parse_times(pd.Series(texts), "t", time_format=fmt)
        assert bad is None and len(ns) == len(texts), fmt
