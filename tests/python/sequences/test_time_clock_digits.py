"""Numbers that are clock digits (HHMMSS: 203615 for 20:36:15) or date digits (YYMMDD,
YYYYMMDD) read as seconds since 1970 without a word put a log on 1970-01-03; a column
whose many distinct values all read as such digits warns (Python, shell, oddseq.dask
alike) and says what reads it. Offsets from a start (milliseconds, seconds) stay silent."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.sequences import Sequences
from oddseq.utils._time import parse_times


def _clock(n=300, seed=0):
    """HDFS 2k's Time column: a day's seconds written as HHMMSS numbers (000037 -> 37)."""
    seconds = np.sort(np.random.default_rng(seed).integers(0, 86_400, n))
    return (seconds // 3600) * 10_000 + (seconds % 3600 // 60) * 100 + seconds % 60


def _said(values, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parse_times(pd.Series(values), "Time", **options)
    return [str(w.message) for w in caught if "digits" in str(w.message)]


def test_hhmmss_numbers_warn_with_the_fix():
    said = _said(_clock())
    assert len(said) == 1
    message = said[0]
    assert "'Time'" in message and "HHMMSS" in message
    assert "--time-format" in message and "dtype=str" in message
    assert "date" in message  # a time of day alone needs its date joined


def test_clock_digits_of_whole_minutes_warn_too():
    minutes = np.unique(_clock(400) // 100 * 100)
    assert len(_said(minutes)) == 1


def test_date_digits_warn_too():
    days = pd.date_range("2017-11-20", "2018-02-10", freq="D")
    assert len(_said(days.strftime("%Y%m%d").astype(int).to_numpy())) == 1
    assert "YYMMDD" in _said(days.strftime("%y%m%d").astype(int).to_numpy())[0]
    assert "%Y%m%d" in _said(days.strftime("%Y%m%d").astype(float).to_numpy())[0]


@pytest.mark.parametrize(
    "values",
    [
        np.arange(0, 50_000, 7),  # seconds from a start
        np.sort(np.random.default_rng(1).integers(0, 3_600_000, 500)),  # milliseconds
        np.r_[np.arange(60), 10_005],  # short sessions and one long one: 0-59 fit HHMMSS
        _clock(19),  # too few distinct values to tell
        np.r_[_clock(300), 7_777],  # one value that no clock shows
        np.arange(1_511_539_000, 1_511_539_900),  # epoch seconds
        np.arange(100, 5_901, 100),  # every 100 s: each fits HHMMSS, as any on that grid
        np.arange(10_000, 240_000, 10_000),  # every 10,000 ms
    ],
)
def test_offsets_and_epochs_stay_silent(values):
    assert _said(values) == []
    assert _said(values.astype(float)) == []


def test_the_advice_followed_reads_hdfs_times(tmp_path):
    """--time-format %H%M%S alone is refused (no date), the join it advises reads."""
    clock = _clock(60)
    log = pd.DataFrame(
        {
            "Date": ["081109"] * 30 + ["081110"] * 30,
            "Time": [f"{t:06d}" for t in clock],
            "Pid": np.arange(60) % 6,
            "EventId": "E1",
        }
    )
    path = tmp_path / "hdfs.csv"
    log.to_csv(path, index=False)
    read = pd.read_csv(path)
    with pytest.warns(UserWarning, match="HHMMSS"):
        Sequences.from_events(read, entity="Pid", event="EventId", time="Time")
    with pytest.raises(ValueError, match="no date"):
        Sequences.from_events(
            pd.read_csv(path, dtype={"Time": str}),
            entity="Pid",
            event="EventId",
            time="Time",
            time_format="%H%M%S",
        )
    text = pd.read_csv(path, dtype=str)
    text["Time"] = text["Date"] + " " + text["Time"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seqs = Sequences.from_events(
            text, entity="Pid", event="EventId", time="Time", time_format="%y%m%d %H%M%S"
        )
    ns, _, _ = parse_times(text["Time"], "Time", time_format="%y%m%d %H%M%S")
    assert str(pd.Timestamp(ns.min()).date()) == "2008-11-09"
    assert str(pd.Timestamp(ns.max()).date()) == "2008-11-10"
    assert len(seqs) == 6


def test_the_shell_warns_and_its_advice_runs(tmp_path, capsys):
    clock = _clock(120)
    log = pd.DataFrame(
        {"Time": [f"{t:06d}" for t in clock], "Pid": np.arange(120) % 30, "EventId": "E1"}
    )
    log.loc[::2, "EventId"] = "E2"
    path = tmp_path / "hdfs.csv"
    log.to_csv(path, index=False)
    roles = ["--entity", "Pid", "--event", "EventId", "--time", "Time"]
    out = ["-o", str(tmp_path / "o.csv"), "--force"]
    assert main(["detect", str(path), *roles, *out]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "warning:" in err and "HHMMSS" in err and "--time-format" in err
    code = main(["detect", str(path), *roles, *out, "--time-format", "%H%M%S"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "no date" in err and "df['Date'] + ' ' + df['Time']" in err


def test_dask_warns_once_on_the_client():
    pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    import dask

    from oddseq.dask import detect_anomalies

    clock = _clock(400, seed=3)
    log = pd.DataFrame(
        {
            "Pid": np.arange(400) % 40,
            "EventId": np.where(np.arange(400) % 3, "a", "b"),
            "Time": clock,
        }
    )
    with dask.config.set(scheduler="sync"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(
            dd.from_pandas(log, npartitions=4),
            entity="Pid",
            event="EventId",
            time="Time",
            npartitions=3,
        )
    said = [str(w.message) for w in caught if "HHMMSS" in str(w.message)]
    assert len(said) == 1
    assert said == _said(clock)
