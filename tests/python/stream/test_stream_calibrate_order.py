"""StreamScorer.calibrate on a log out of time order: the sort it advises works when
followed (text times that do not sort as text too), a log in order with a missing time
is in order, and the time column is read once (session 22, H4's review of dbaf4f9)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def log():
    events = make_ecommerce(n_users=200, random_state=203).events
    return events.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def model(log):
    return oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **ROLES))


def _stamps(log):
    return pd.to_datetime(log["timestamp"], unit="s")


def _advice(caught) -> str:
    message = next(str(w.message) for w in caught if "not in time order" in str(w.message))
    return message.split("to say nothing: ", 1)[1]


def _text_times(log, kind):
    out = log.copy()
    stamps = _stamps(log)
    if kind == "day first, format given":
        out["timestamp"] = stamps.dt.strftime("%d/%m/%Y %H:%M:%S")
        return out, dict(time_format="%d/%m/%Y %H:%M:%S")
    if kind == "day first, inferred":
        out["timestamp"] = stamps.dt.strftime("%d/%m/%Y %H:%M:%S")
        return out, {}
    if kind == "month names":
        out["timestamp"] = stamps.dt.strftime("%b %d %Y %H:%M:%S")
        return out, {}
    if kind == "web server times":
        out["timestamp"] = stamps.dt.strftime("%d/%b/%Y:%H:%M:%S +0000")
        return out, dict(time_format="%d/%b/%Y:%H:%M:%S %z")
    if kind == "two zones":
        utc = stamps.dt.tz_localize("UTC")
        zones = ["Europe/Paris", "America/New_York"]
        out["timestamp"] = [t.tz_convert(zones[i % 2]).isoformat() for i, t in enumerate(utc)]
        return out, {}
    if kind == "epoch seconds as text":  # some written with a leading zero
        text = log["timestamp"].astype(np.int64).astype(str)
        out["timestamp"] = np.where(np.arange(len(log)) % 7 == 0, "0" + text, text)
        return out, {}
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "day first, format given",
        "day first, inferred",
        "month names",
        "web server times",
        "two zones",
        "epoch seconds as text",
    ],
)
def test_the_sort_calibrate_advises_puts_text_times_in_order(log, model, kind):
    # It advised events.sort_values('timestamp', kind='stable'), which sorts such times
    # as text: followed, the log was still out of order (warned again), and a user who
    # sorted so for update() or the stream streamed it in the wrong order.
    text, reading = _text_times(log, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        in_order = StreamScorer(model, **ROLES, **reading).calibrate(text)
    shuffled = text.sample(frac=1.0, random_state=0)
    with pytest.warns(DataWarning, match="not in time order") as caught:
        cut = StreamScorer(model, **ROLES, **reading).calibrate(shuffled)
    assert cut == pytest.approx(in_order, rel=0.01)
    advice = _advice(caught)
    assert advice.startswith("events.sort_values('timestamp', ")
    followed = eval(advice, {"pd": pd}, {"events": shuffled})  # as the user runs it
    # the times as read, in order: as the stream needs them
    read = pd.to_datetime(_stamps(log).loc[followed.index].to_numpy())
    assert read.is_monotonic_increasing
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert StreamScorer(model, **ROLES, **reading).calibrate(followed) == cut


def test_numbers_and_times_that_sort_as_written_are_sorted_plainly(log, model):
    iso = log.assign(timestamp=_stamps(log).dt.strftime("%Y-%m-%d %H:%M:%S"))
    for frame in (log, iso, log.assign(timestamp=_stamps(log))):
        with pytest.warns(DataWarning, match="not in time order") as caught:
            StreamScorer(model, **ROLES).calibrate(frame.iloc[::-1])
        assert _advice(caught) == "events.sort_values('timestamp', kind='stable')"


def test_a_log_in_time_order_with_a_missing_time_is_in_time_order(log, model):
    # One missing time in a log in order: "the log given to calibrate is not in time
    # order" (the missing row was placed last before the order was judged).
    gap = log.assign(timestamp=log["timestamp"].astype(float))
    gap.loc[100, "timestamp"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        cut = StreamScorer(model, **ROLES).calibrate(gap)
    with pytest.warns(DataWarning, match="not in time order"):
        assert StreamScorer(model, **ROLES).calibrate(gap.iloc[::-1]) == cut


def test_the_shell_calibrate_file_in_order_with_a_missing_time(tmp_path, log, model, oddseq_here):
    model.save(tmp_path / "m.oddseq")
    gap = log.assign(timestamp=log["timestamp"].astype(float))
    gap.loc[100, "timestamp"] = np.nan
    gap.to_csv(tmp_path / "normal.csv", index=False)
    args = ["stream", "--model", tmp_path / "m.oddseq", "--calibrate", tmp_path / "normal.csv"]
    args += ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    done = oddseq_here(args, "")
    assert done.returncode == 0, done.stderr
    assert "calibrated the cut" in done.stderr
    assert "not in time order" not in done.stderr, done.stderr


def test_calibrate_reads_text_times_once(log, model, monkeypatch):
    # The order check read the whole column, then the replay read every text time again.
    from oddseq.stream import _scorer
    from oddseq.utils import _time

    calls = {"column": 0, "one": 0}
    column_reader, one_reader = _time.parse_times, _scorer.StreamScorer._slow_time

    def column(*args, **kwargs):
        calls["column"] += 1
        return column_reader(*args, **kwargs)

    def one(self, time):
        calls["one"] += 1
        return one_reader(self, time)

    monkeypatch.setattr(_time, "parse_times", column)
    monkeypatch.setattr(_scorer.StreamScorer, "_slow_time", one)
    text, reading = _text_times(log, "month names")
    for frame in (text, text.iloc[::-1]):
        calls.update(column=0, one=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            StreamScorer(model, **ROLES, **reading).calibrate(frame)
        assert calls == {"column": 1, "one": 0}
