"""oddseq stream and dates that read several ways one line at a time (day/month, two-digit
years): the order settled from the lines that prove it, as the batch reads the column in
the one order that fits every value; the clock-digit check judged once enough times came,
not on the first batch alone (#14)."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.utils._time import date_in_order, date_orders

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
# The most lines a stream holds while their order is unsettled (stream._cli._HOLD).
HOLD = 10_000


@pytest.fixture(scope="module")
def stream(oddseq_here):
    """``oddseq stream --model MODEL ... MORE`` with TEXT on stdin, in this process (the
    stream that reads as it comes is a process of its own, below)."""

    def run(model, text, *more):
        return oddseq_here(["stream", "--model", str(model), *ROLES, *more], text)

    return run


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """(the log's first 400 events in time order, a model fitted on the whole log)."""
    folder = tmp_path_factory.mktemp("dates")
    log = make_ecommerce(n_users=80, random_state=0).events
    log = log[["user_id", "behavior", "timestamp"]].astype({"behavior": str})
    path = folder / "log.csv"
    log.to_csv(path, index=False)
    model = folder / "m.oddseq"
    assert main(["fit", str(path), *ROLES, "--save", str(model)]) == 0
    return log.sort_values("timestamp", kind="stable").head(400).reset_index(drop=True), model


def dated(log, fmt, day="2017-12-13"):
    """The log with its times as text in ``fmt``, moved so that its 31st event falls at
    ``day`` 00:00 and the 30 before it on the day before (it spans 18 hours)."""
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    stamps = pd.Timestamp(day) + (stamps - stamps.iloc[30])
    return log.assign(timestamp=stamps.dt.strftime(fmt))


def alerts(done):
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_orders_of_one_date():
    assert date_orders("13/02/2017 10:00") == {"day/month/year"}
    assert date_orders("01/02/2017") == {"day/month/year", "month/day/year"}
    assert date_orders("081109 203615") == {"year/month/day", "day/month/year", "month/day/year"}
    assert date_orders("1/06/17") == {"day/month/year", "month/day/year"}  # 1: no year
    assert date_orders("31/31/2017") == frozenset()
    assert date_orders("2017-02-01 10:00") is None and date_orders("1511539206") is None
    assert date_in_order("01/02/2017 10:00", "day/month/year") == "2017-02-01 10:00"
    assert date_in_order("081109 203615", "year/month/day") == "2008-11-09 203615"
    assert date_in_order("13/02/2017", "month/day/year") is None
    assert date_in_order("2017-02-01", "day/month/year") == "2017-02-01"


def test_a_day_month_log_is_read_whole_once_a_13th_settles_it(shop, tmp_path, stream):
    log, model = shop
    text = dated(log, "%d/%m/%Y %H:%M:%S")
    assert text["timestamp"].str.startswith("12/12/2017").sum() == 30
    csv = text.to_csv(index=False)
    done = stream(model, csv)
    told = stream(model, csv, "--dayfirst")
    assert done.returncode == 0 and told.returncode == 0, done.stderr
    summary = done.stderr.splitlines()[-1]
    assert "400 events applied" in summary and "0 malformed lines" in summary, summary
    # the summary says what happened: the order, the line that settled it, lines held
    assert "dates read day/month/year (settled by line 32; 30 lines held until then)" in summary
    # the same alerts, on the same lines, as with the order given
    assert done.stdout == told.stdout and alerts(done)
    # the batch reads the same file (the 13th settles it there too) and every entity it
    # flags with this model is alerted by the stream
    path = tmp_path / "dmy.csv"
    text.to_csv(path, index=False)
    table = tmp_path / "scored.csv"
    assert main(["score", str(path), "--model", str(model), *ROLES, "-o", str(table)]) == 0
    scored = pd.read_csv(table)
    # (the alerts' ids join the table's as they are: no cast)
    flagged = set(scored.loc[scored["is_anomaly"].astype(bool), "user_id"])
    assert flagged and flagged <= {a["entity"] for a in alerts(done)}
    assert f"{len(scored)} entities tracked" in summary


def test_the_batch_path_settles_the_order_too(shop, stream):
    # A separator of several characters: lines read in Python, in batches (of 10: the
    # first three hold no 13th).
    log, model = shop
    csv = dated(log, "%d/%m/%Y %H:%M:%S").to_csv(index=False).replace(",", "||")
    done = stream(model, csv, "--sep", "||", "--batch", "10")
    told = stream(model, csv, "--sep", "||", "--batch", "10", "--dayfirst")
    assert done.returncode == 0, done.stderr
    assert "400 events applied" in done.stderr and "0 malformed lines" in done.stderr
    assert done.stdout == told.stdout


def test_a_two_digit_year_log_settles_when_one_order_is_left(shop, stream):
    # 12/12/17 reads three ways; 12/13/17 only as month/day/year.
    log, model = shop
    csv = dated(log, "%m/%d/%y %H:%M:%S").to_csv(index=False)
    done = stream(model, csv)
    told = stream(model, csv, "--no-dayfirst")
    assert done.returncode == 0, done.stderr
    assert "400 events applied" in done.stderr and "0 malformed lines" in done.stderr
    assert "dates read month/day/year (settled by line 32; 30 lines held" in done.stderr
    assert done.stdout == told.stdout


def test_a_log_that_never_proves_the_order_stops_once_with_the_advice(shop, stream):
    log, model = shop
    # every day at most 12: the input ends with both orders fitting
    csv = dated(log, "%d/%m/%Y %H:%M:%S", "2017-12-10").to_csv(index=False)
    done = stream(model, csv)
    assert done.returncode == 2 and not done.stdout
    (said,) = done.stderr.splitlines()  # once, not line after line
    assert "the input ended with 400 lines held, and none settles the order" in said
    assert "either way round" in said and "--dayfirst, --no-dayfirst or --time-format" in said
    assert stream(model, csv, "--dayfirst").returncode == 0
    # HDFS-style two-digit years (081109 203615) read three ways for ever: the stream
    # holds at most HOLD lines, then stops with the batch's readings and fixes
    stamps = pd.date_range("2008-11-09 20:36:15", periods=HOLD + 50, freq="s")
    many = pd.DataFrame(
        {"user_id": 1, "behavior": "pv", "timestamp": stamps.strftime("%y%m%d %H%M%S")}
    )
    done = stream(model, many.to_csv(index=False))
    assert done.returncode == 2 and not done.stdout
    (said,) = done.stderr.splitlines()
    assert f"no line of the first {HOLD:,} held (the most a stream holds)" in said
    assert "read 3 ways" in said and "'%y%m%d %H%M%S'" in said and "--time-format" in said


def test_a_later_line_against_the_settled_order_is_malformed(shop, stream):
    log, model = shop
    text = dated(log, "%d/%m/%Y %H:%M:%S")
    odd = text.iloc[[100]].assign(timestamp="12/25/2017 10:00:00")  # month/day only
    text = pd.concat([text.iloc[:200], odd, text.iloc[200:]], ignore_index=True)
    done = stream(model, text.to_csv(index=False))
    assert done.returncode == 0, done.stderr
    (said,) = [line for line in done.stderr.splitlines() if "line 202:" in line]
    assert "'12/25/2017 10:00:00' does not read as a date day/month/year" in said
    assert "line 32 ('13/12/2017 00:00:00') settled" in said and said.endswith("; skipped")
    summary = done.stderr.splitlines()[-1]
    assert "400 events applied" in summary and "1 malformed line (line 202)" in summary


def test_clock_digits_are_judged_once_enough_times_came(shop, tmp_path, stream):
    # HDFS-style clock digits (80000 for 08:00:00) as numbers: the first event is too
    # few to judge, and the stream used to judge no later one.
    log, model = shop
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    stamps = pd.Timestamp("2017-12-13 08:00") + (stamps - stamps.iloc[0]) / 40
    clock = log.assign(timestamp=stamps.dt.strftime("%H%M%S").astype(int))
    assert clock["timestamp"].nunique() > 100
    lines = clock.to_csv(index=False).splitlines(keepends=True)

    def told(done):
        return [s for s in done.stderr.splitlines() if "read as clock digits HHMMSS" in s]

    # read as it comes: the header and one line, then the rest
    path = tmp_path / "clock.csv"
    path.write_text("".join(lines))
    script = (
        "import sys, time; lines = open(sys.argv[1]).readlines(); "
        "sys.stdout.writelines(lines[:2]); sys.stdout.flush(); time.sleep(0.5); "
        "sys.stdout.writelines(lines[2:])"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE
    ) as feeder:
        done = subprocess.run(
            [sys.executable, "-m", "oddseq.cli", "stream", "--model", str(model), *ROLES],
            stdin=feeder.stdout,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr
    assert len(told(done)) == 1, done.stderr
    # epoch seconds: no word
    plain = stream(model, log.to_csv(index=False))
    assert plain.returncode == 0 and "warning" not in plain.stderr, plain.stderr


def test_the_scorer_judges_clock_digits_past_a_small_first_batch(shop):
    import warnings

    from oddseq import load
    from oddseq.stream import StreamScorer

    log, model = shop
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    stamps = pd.Timestamp("2017-12-13 08:00") + (stamps - stamps.iloc[0]) / 40
    clock = log.assign(timestamp=stamps.dt.strftime("%H%M%S").astype(int))

    def warned(frame, sizes):
        live = StreamScorer(load(model), entity="user_id", event="behavior", time="timestamp")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = 0
            for size in sizes:
                live.update(frame.iloc[start : start + size])
                start += size
        return [str(w.message) for w in caught if "clock digits" in str(w.message)]

    # one event first (too few to judge), then the rest: told once
    assert len(warned(clock, [1, 100, 100, 199])) == 1
    assert len(warned(clock, [400])) == 1  # a first batch large enough, as before
    assert not warned(log, [1, 399])  # epoch seconds
