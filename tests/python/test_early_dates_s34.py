"""Datetimes in 1970-1972 that are numbers since the epoch in too fine a unit (session
34, IA item 2). ``pd.to_datetime(df["timestamp"])`` of epoch seconds is 1970-01-01
00:00:01.5: a shopper's week inside a second, every entity's pace beyond any bot's,
read without a word (numbers in the wrong unit were warned of; datetimes were not).
Now such datetimes (a datetime column, dates as text, Arrow's) warn, naming the dates
they read as in the coarser unit and the fix, in one machine, oddseq.dask, the stream
and the shell. Times counted from a start never warn: numbers (the epoch unit check
leaves them alone: HDFS-like seconds since a session's start), nor datetimes made of
them (from the epoch itself: no unit puts them in 1990-2100)."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="t")


@pytest.fixture(scope="module")
def shop():
    return oddseq.datasets.make_ecommerce(n_users=80, n_days=3, random_state=767).events


def _early(caught):
    return [str(w.message) for w in caught if "too fine a unit" in str(w.message)]


def _read(log):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Sequences.from_events(log, **ROLES)
    return _early(caught)


@pytest.mark.parametrize(
    "make, factor, unit",
    [
        (lambda s: pd.to_datetime(s), "1,000,000,000", "seconds read as nanoseconds"),
        (lambda s: pd.to_datetime(s, unit="ms"), "1,000", "seconds read as milliseconds"),
        (lambda s: pd.to_datetime(s * 1000), "1,000,000", "milliseconds read as nanoseconds"),
        # written to a file and read back as text
        (lambda s: pd.to_datetime(s, unit="ms").astype(str), "1,000", "seconds read as"),
        # with a zone
        (lambda s: pd.to_datetime(s).dt.tz_localize("UTC"), "1,000,000,000", "seconds"),
    ],
)
def test_epoch_numbers_made_datetimes_in_too_fine_a_unit_warn(shop, make, factor, unit):
    said = _read(shop.assign(t=make(shop["timestamp"])))
    assert len(said) == 1, said
    text = said[0]
    assert text.startswith("column 't' holds times of 1970-01-")
    assert f"read {factor} times coarser are 2017-11-2" in text, text
    assert unit in text and "unit='s'" in text


def test_the_advised_fix_reads_the_right_dates_without_a_word(shop):
    said = _read(shop.assign(t=pd.to_datetime(shop["timestamp"])))
    assert "pd.to_datetime(numbers, unit='s')" in said[0]
    fixed = shop.assign(t=pd.to_datetime(shop["timestamp"], unit="s"))
    assert _read(fixed) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seqs = Sequences.from_events(fixed, **ROLES)
    assert pd.Timestamp(int(seqs.times.min())).year == 2017


@pytest.mark.parametrize(
    "make",
    [
        # seconds since each user's first event (HDFS-like relative times), as numbers
        lambda log: log["timestamp"] - log.groupby("user_id")["timestamp"].transform("min"),
        # the same made datetimes: from the epoch itself
        lambda log: pd.to_datetime(
            log["timestamp"] - log.groupby("user_id")["timestamp"].transform("min"), unit="s"
        ),
        # seconds since the log's start, as datetimes (1970-01-01 .. 1970-01-04)
        lambda log: pd.to_datetime(log["timestamp"] - log["timestamp"].min(), unit="s"),
        # seconds since a start before the log's first event (its counts 1,000,000x are
        # in 2001 .. 2034: it ends at over 1.5 times its first time)
        lambda log: pd.to_datetime(
            1_000 + (log["timestamp"] - log["timestamp"].min()) * 1_000 / np.ptp(log["timestamp"]),
            unit="s",
        ),
        # milliseconds within a session (Diginetica's timeframe), numbers
        lambda log: (log["timestamp"] - log["timestamp"].min()) * 1000,
    ],
)
def test_times_counted_from_a_start_say_nothing(shop, make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Sequences.from_events(shop.assign(t=make(shop)), **ROLES)
    assert _early(caught) == []
    assert not [w for w in caught if "since the epoch" in str(w.message)]


def test_oddseq_dask_says_it_once_for_the_whole_log(shop):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    log = shop.assign(t=pd.to_datetime(shop["timestamp"])).drop(columns="timestamp")
    one = _read(log)
    with warnings.catch_warnings(record=True) as caught, dask.config.set(scheduler="sync"):
        warnings.simplefilter("always")
        detect_anomalies(dd.from_pandas(log, npartitions=3), **ROLES).compute()
    assert _early(caught) == one


def _good(shop):
    """The log with its epoch seconds read as seconds (2017)."""
    return shop.assign(t=pd.to_datetime(shop["timestamp"], unit="s"))


def _bad(shop):
    """The log with its epoch seconds read as nanoseconds (1970), in time order."""
    return shop.assign(t=pd.to_datetime(shop["timestamp"])).sort_values("t", kind="stable")


@pytest.fixture(scope="module")
def model(shop):
    """A model fitted on the good log (RV s34 L7: three tests fitted it each)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AnomalyPipeline().fit(Sequences.from_events(_good(shop), **ROLES))


def test_the_stream_says_it_on_its_first_batch(shop, model):
    from oddseq.stream import StreamScorer

    pipe, good, bad = model, _good(shop), _bad(shop)
    live = StreamScorer(pipe, **ROLES)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        live.update(bad.iloc[:500])
        live.update(bad.iloc[500:])
    assert len(_early(caught)) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        StreamScorer(pipe, **ROLES).update(good.sort_values("t", kind="stable"))
    assert _early(caught) == []


def test_the_shell_says_it_of_a_files_1970_dates(shop, tmp_path, capsys):
    from oddseq.cli import main

    path = tmp_path / "early.csv"
    shop.assign(t=pd.to_datetime(shop["timestamp"], unit="ms")).to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior", "--time", "t"]
    assert main([*args, "--no-groups", "-o", str(tmp_path / "o.csv")]) == 0
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if "too fine a unit" in x]
    assert len(lines) == 1 and lines[0].startswith("oddseq detect: warning: column 't'"), err
    assert re.search(r"are 2017-11-\d\d \.\. 2017-1\d-\d\d", lines[0])


def test_datetimes_before_the_epoch_or_after_1972_say_nothing(shop):
    later = pd.to_datetime(shop["timestamp"], unit="s") - pd.Timedelta(days=365 * 46)
    assert later.min().year in (1971, 1972)  # 1971-1972: no unit puts them in 1990-2100
    assert _read(shop.assign(t=later)) == []
    before = pd.Timestamp("1969-12-31") + pd.to_timedelta(np.arange(len(shop)), unit="s")
    assert _read(shop.assign(t=before.to_numpy())) == []


def test_oddseq_stream_says_it_once_of_its_lines_dates(shop, model, tmp_path):
    """Text dates read one line at a time (each new shape learned through the full
    reader): one warning, from the first event, not one per shape."""
    import subprocess
    import sys

    good = _good(shop)
    model.save(tmp_path / "m.oddseq")
    model = tmp_path / "m.oddseq"
    roles = ["--entity", "user_id", "--event", "behavior", "--time", "t"]
    for log, expected in [
        (shop.assign(t=pd.to_datetime(shop["timestamp"], unit="ms")), 1),
        (good, 0),
    ]:
        lines = log.sort_values("t", kind="stable")[["user_id", "behavior", "t"]]
        done = subprocess.run(
            [sys.executable, "-m", "oddseq.cli", "stream", "--model", str(model), *roles],
            input=lines.to_csv(index=False),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.count("too fine a unit") == expected, done.stderr


def test_update_one_of_timestamps_warns_at_most_once(shop, model):
    from oddseq.stream import StreamScorer

    live = StreamScorer(model, **ROLES)
    bad = _bad(shop)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for row in bad.head(200).itertuples(index=False):
            live.update_one(row.user_id, row.behavior, row.t)
    assert len(_early(caught)) <= 1


def test_said_once_where_the_group_stage_reads_the_log_too(shop):
    """group_by= (and item= with session_gap=): the group stage reads the times the
    sequences read, and warned of; one warning, not two."""
    log = shop.assign(t=pd.to_datetime(shop["timestamp"])).drop(columns="timestamp")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(
            log,
            entity="user_id",
            event="behavior",
            time="t",
            item="item_id",
            session_gap="30min",
            group_by=["category_id"],
        )
    assert len(_early(caught)) == 1


def test_a_group_detector_given_1970_datetimes_says_it_too(shop):
    """RV s34 L9: every datetime column given to GroupDetector skipped the check (to
    stay quiet where the pipeline hands over the times the sequences read): used on its
    own, it read a week in a second without a word. Only the hand-over skips it."""
    from oddseq.graph import GroupDetector

    roles = dict(entity="user_id", object="item_id", time="t")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GroupDetector().fit(_bad(shop), **roles)
    assert len(_early(caught)) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GroupDetector().fit(_good(shop), **roles)
    assert _early(caught) == []


def test_said_once_where_the_group_stage_reads_the_logs_datetimes(shop):
    """group_by= on a datetime column: the pipeline hands the group stage the log as
    given; the sequences said it, the group stage does not say it again."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(_bad(shop), **ROLES, group_by=["category_id"])
    assert len(_early(caught)) == 1


def test_the_warning_shows_the_times_to_the_nanosecond_and_a_shell_route():
    # RV s34 M6: a week of seconds read as nanoseconds showed "00:00:01 .. 00:00:01", and
    # the shell was told --time-unit, which a date written as text does not take.
    import warnings

    from oddseq.utils._time import _warn_if_early_dates

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _warn_if_early_dates("ts", 1_511_539_208, 1_512_139_208)
    (said,) = [str(w.message) for w in caught]
    assert "1970-01-01 00:00:01.511539208 .. 1970-01-01 00:00:01.512139208" in said, said
    assert "write the numbers, not these dates, to the file and pass --time-unit" in said
