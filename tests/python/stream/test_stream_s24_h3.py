"""Session 24 (H3): the stream's leftovers of issue 14. A batch's events of unseen types
kept in numpy, not one by one; text times read per chunk in the shell; the shell's
unseen types named past its first lines, and the reason of an entity past the kept
types said as what it is. Data seeds 220-221."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import _core
from oddseq.stream import StreamScorer
from oddseq.stream._checks import UNSEEN_KEPT, UnseenTypes

ROLES = dict(entity="c", event="p", time="t")
PATHS = [f"/p{i}" for i in range(6)]


@pytest.fixture(scope="module")
def web(web_paths_model):
    return web_paths_model(220)


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a later day's warnings: unseen types)
        return call(*args, **kwargs)


# ---- unseen types kept a batch at a time


def _add_each(memory, keys, labels):
    """UnseenTypes.add as it was (session 23): one event at a time."""
    by_key, more = memory.by_key, memory.more
    for key, label in zip(np.asarray(keys).tolist(), labels):
        if isinstance(label, np.generic):
            label = label.item()
        kept = by_key.get(key)
        if kept is None:
            by_key[key] = {label: 1}
        elif label in kept:
            kept[label] += 1
        elif len(kept) < UNSEEN_KEPT:
            kept[label] = 1
        else:
            more[key] = more.get(key, 0) + 1
    memory.n_kept += len(labels)


class _Scorer:  # (UnseenTypes' scorer: only asked which entities it tracks)
    pass


def _state(memory):
    # (each entity's types in the order they came: the reason names the most frequent
    # two, ties in that order; the entities past them by their counts)
    return (
        [(k, list(v.items())) for k, v in memory.by_key.items()],
        dict(memory.more),
        memory.n_kept,
    )


@pytest.mark.parametrize("kind", ["text", "numpy text", "numbers", "mixed"])
def test_a_batch_of_unseen_types_is_kept_as_one_event_at_a_time_kept_it(kind):
    rng = np.random.default_rng(221)
    one, each = UnseenTypes(_Scorer()), UnseenTypes(_Scorer())
    for size in (5, 3_000, 1, 20_000, 40, 7_000):
        keys = rng.integers(0, 60, size).astype(np.uint64) * np.uint64(2**61 - 1)
        draw = rng.integers(0, 25 if size < 5_000 else 4_000, size)
        if kind == "text":
            labels = [f"/new/{v}" for v in draw.tolist()]
        elif kind == "numpy text":
            labels = list(np.char.add("t", draw.astype(str)))  # np.str_ labels
        elif kind == "numbers":
            labels = list(draw.astype(np.int64))  # np.int64 labels
        else:  # 3 and 3.0 one label (as a dict keeps them), text beside them
            labels = [
                float(v) if v % 3 == 0 else (int(v) if v % 3 == 1 else str(v))
                for v in draw.tolist()
            ]
        one.add(keys, labels)
        _add_each(each, keys, labels)
        assert _state(one) == _state(each)
    assert any(len(v) == UNSEEN_KEPT for v in one.by_key.values()) and one.more


class _Counting(dict):
    looks = 0

    def get(self, *args):
        _Counting.looks += 1
        return super().get(*args)

    def __contains__(self, key):
        _Counting.looks += 1
        return super().__contains__(key)

    def __getitem__(self, key):
        _Counting.looks += 1
        return super().__getitem__(key)


def test_a_batch_of_unseen_types_is_kept_without_a_look_per_event():
    # 2 M events of new URL paths took 2.5 s in update() against 0.6 s for as many of the
    # fitted paths: UnseenTypes.add looked each event up in Python. Now a batch's events
    # are counted in numpy; Python looks up each entity, and each of its kept types, once.
    memory = UnseenTypes(_Scorer())
    memory.by_key = _Counting()
    rng = np.random.default_rng(220)
    n = 50_000
    keys = rng.integers(0, 100, n).astype(np.uint64)
    labels = np.char.add("/new/", rng.integers(0, 10**6, n).astype(str)).astype(object)
    _Counting.looks = 0
    memory.add(keys, labels)
    assert _Counting.looks <= 100 * (UNSEEN_KEPT + 2)
    assert sum(memory.more.values()) + sum(sum(v.values()) for v in memory.by_key.values()) == n


def test_update_keeps_the_unseen_types_as_before(web):
    fit, pipe = web
    rng = np.random.default_rng(221)
    n = 30_000
    events = pd.DataFrame(
        {
            "c": rng.integers(0, 300, n),
            "p": np.where(
                rng.random(n) < 0.8,
                rng.choice(PATHS, n),
                np.char.add("/x", rng.integers(0, 40, n).astype(str)),
            ),
            "t": 86_400 + np.arange(n),
        }
    )
    batch, each = StreamScorer(pipe, **ROLES), StreamScorer(pipe, **ROLES)
    for start in range(0, n, 10_000):
        _quiet(batch.update, events.iloc[start : start + 10_000])
    for row in events.itertuples(index=False):
        _quiet(each.update_one, row.c, row.p, row.t)
    assert _state(batch._unseen_types)[:2] == _state(each._unseen_types)[:2]


# ---- text times read a chunk at a time in the shell

SHELL_ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def shop_model(tmp_path_factory):
    """(the first 3,000 events in time order, a model fitted on the whole log)."""
    from oddseq.cli import main
    from oddseq.datasets import make_ecommerce

    folder = tmp_path_factory.mktemp("h3texttimes")
    log = make_ecommerce(n_users=300, random_state=220).events
    log = log[["user_id", "behavior", "timestamp"]].astype({"behavior": str})
    path = folder / "log.csv"
    log.to_csv(path, index=False)
    model = folder / "m.oddseq"
    assert main(["fit", str(path), *SHELL_ROLES, "--save", str(model)]) == 0
    return log.sort_values("timestamp", kind="stable").head(3000).reset_index(drop=True), model


def _as_text(log, fmt, offset=None, fraction=False):
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    if fraction:  # distinct fractions of a second, some whole
        stamps = stamps + pd.to_timedelta(np.arange(len(log)) % 9 * 0.0625, unit="s")
    if offset is not None:
        stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(offset)
    return log.assign(timestamp=stamps.dt.strftime(fmt))


@pytest.mark.parametrize(
    "fmt, offset, fraction, json",
    [
        ("%Y-%m-%d %H:%M:%S UTC", None, False, False),  # REES46
        ("%Y-%m-%dT%H:%M:%S%z", "Etc/GMT+5", False, False),
        ("%Y-%m-%d %H:%M:%S.%f", None, True, False),  # Diginetica
        ("%Y-%m-%d %H:%M:%S UTC", None, False, True),  # JSON lines
        ("%Y-%m-%dT%H:%M:%S%z", "Etc/GMT-8", False, True),
    ],
)
def test_text_times_are_not_read_one_line_at_a_time(
    shop_model, oddseq_here, monkeypatch, fmt, offset, fraction, json
):
    # REES46's head (text times) streamed 17,434 lines in 2.96 s against 0.12 s with its
    # times as numbers: the C++ reader left every line of a text time to the one-event
    # path (update_one and one text time read alone, ~0.2 ms a line). Now a chunk's
    # times are read in numpy once their shape's format is checked, and the lines go
    # through the C++ reader: a few lines of each shape are left.
    log, model = shop_model

    def written(frame):
        return frame.to_json(orient="records", lines=True) if json else frame.to_csv(index=False)

    text = written(_as_text(log, fmt, offset, fraction))
    calls = []
    real = StreamScorer.update_one

    def counted(self, *args, **kwargs):
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(StreamScorer, "update_one", counted)
    got = oddseq_here(["stream", "--model", str(model), *SHELL_ROLES], text)
    assert got.returncode == 0, got.stderr
    assert "3,000 events applied" in got.stderr.splitlines()[-1]
    assert len(calls) <= 20, len(calls)
    if not fraction:  # (the same times as numbers: the same alerts)
        numbers = oddseq_here(["stream", "--model", str(model), *SHELL_ROLES], written(log))
        assert got.stdout == numbers.stdout and got.stdout.count("\n") >= 1


# ---- the shell's unseen types named past its first lines; past the kept types, said


def _client_day(fit, labels):
    """Client 7's fitted day again a day later, with events of ``labels`` (types not seen
    in fitting) at its own events' times (as test_stream_unseen_memory builds it)."""
    own = fit[fit["c"] == 7].assign(t=lambda d: d["t"] + 86_400)
    extra = own.iloc[np.arange(len(labels)) % len(own)].assign(p=labels)
    return pd.concat([own, extra]).sort_values("t", kind="stable").reset_index(drop=True)


def _shell_stream(scorer, text: str) -> None:
    """``text`` (CSV) through the scorer as ``oddseq stream`` reads it: the C++ line
    reader, and each line it leaves through update_one."""
    header, _, body = text.partition("\n")
    data, at = body.encode(), 0
    feed = scorer._line_feed(",", header.split(","))
    while at < len(data):
        stop, at, _, _ = _quiet(scorer._feed_lines, feed, data, at)
        if stop == 2:
            end = data.index(b"\n", at)
            c, p, t = data[at:end].decode().split(",")
            _quiet(scorer.update_one, c, p, int(t))
            at = end + 1


def test_the_shell_names_unseen_types_past_its_first_lines(web):
    # Past the first 2,000 lines of unseen types the C++ reader read them without their
    # labels: an entity's reason then said "event types not seen in fitting" unnamed.
    from oddseq.stream._checks import UNSEEN_ROUTED_MAX

    fit, pipe = web
    rng = np.random.default_rng(221)
    for n_before in (10, UNSEEN_ROUTED_MAX + 500):
        before = pd.DataFrame(
            {
                "c": rng.integers(1000, 1300, n_before),
                "p": [f"/x{k}" for k in range(n_before)],
                "t": np.full(n_before, 86_400),
            }
        )
        day = _client_day(fit, ["refund"] * 20)
        scorer = StreamScorer(pipe, **ROLES)
        _shell_stream(scorer, pd.concat([before, day], ignore_index=True).to_csv(index=False))
        reason = scorer._alert_reasons(np.array([_core.stream_hash_id("7")], dtype=np.uint64))
        assert "event types not seen in fitting: 'refund')" in reason[0], (n_before, reason)


def test_the_lines_unseen_types_are_found_where_the_reader_counts_them():
    from oddseq.stream._scorer import _unseen_in, _unseen_lines

    data = b"x\n7,/p1,5\n\n8,refund,6\r\n 7 ,/p2,7\n9,/p1x,8\n7,a,b,c\n10,z,9\n"
    scan = _unseen_lines(data, 2, ",", ["c", "p", "t"], "c", "p")
    known = {"/p1": 0, "/p2": 1}
    # (lines read from the second line's start to the last's: 5 lines, blank counted)
    lines, keys, labels = _unseen_in(scan, known, 2, data.index(b"7,a,b"))
    assert lines.tolist() == [3, 5] and labels.tolist() == ["refund", "/p1x"]
    assert keys.tolist() == [_core.stream_hash_id("8"), _core.stream_hash_id("9")]
    lines, _, labels = _unseen_in(scan, known, data.index(b"9,"), len(data))
    assert lines.tolist() == [1, 3] and labels.tolist() == ["/p1x", "z"]
    assert _unseen_in(scan, known, 2, data.index(b"8,")) is None


def test_past_the_kept_types_the_reason_says_which_are_named(web):
    # An entity's first 16 unseen types came once each, then 'refund' 10 times: the
    # reason named two of the first 16 as if they were its most frequent (as the batch's
    # reason names its most frequent two); now it says which they are.
    fit, pipe = web
    labels = [f"/new/{k}" for k in range(UNSEEN_KEPT)] + ["refund"] * 10
    scorer = StreamScorer(pipe, reasons="all", **ROLES)
    alerts = _quiet(scorer.update, _client_day(fit, labels)).alerts
    assert len(alerts) == 1, alerts
    reason = str(alerts["reason"].iloc[0])
    assert "'/new/0', '/new/1' and at least 15 more" in reason, reason
    assert f"the most frequent of its first {UNSEEN_KEPT}" in reason, reason


@pytest.mark.parametrize(
    "fmt, texts",
    [
        (
            "%Y-%m-%d %H:%M:%S UTC",
            ["2019-10-01 00:00:00 UTC", "2019-02-29 10:00:00 UTC", "2020-02-29 23:59:59 UTC"]
            + ["2019-13-01 00:00:00 UTC", "2019-00-10 00:00:00 UTC", "2019-10-01 24:00:00 UTC"]
            + ["2019-12-31 23:59:60 UTC", "1677-12-31 23:59:59 UTC", "2262-01-01 00:00:00 UTC"]
            + ["1678-01-01 00:00:00 UTC", "2261-12-31 23:59:59 UTC", "0000-01-01 00:00:00 UTC"],
        ),
        (
            "%Y-%m-%dT%H:%M:%S%z",
            ["2017-12-01T10:00:00+0200", "2017-12-31T23:30:00-0530", "2017-12-01T10:00:00+2359"]
            + ["2017-12-01T10:00:00+2400", "2017-12-01T10:00:00+0260", "1678-01-01T00:30:00+0100"]
            + ["2261-12-31T23:30:00-0100", "2017-12-01T10:00:00+02:00", "2017-12-01T10:00:00Z"]
            + ["2017-12-01T10:00:00-00:30"],
        ),
        (
            "%Y-%m-%d %H:%M:%S.%f",
            ["2016-05-25 00:00:05.568000", "2016-05-25 00:00:05.5", "2016-05-25 00:00:05.123456"]
            + ["2016-05-25 00:00:05.1234567", "2016-05-25 00:00:05.000001"],
        ),
        ("%Y%m%d %H%M%S", ["20171201 101112", "20171231 235959", "20171232 000000"]),
        ("%d.%m.%Y %H:%M", ["13.02.2017 10:00", "1.2.2017 1:00", "31.02.2017 10:00"]),
    ],
)
def test_a_shape_reads_as_the_reader_of_text_times_reads_each_text(fmt, texts):
    # The chunk's reader (stream/_text_lines.py) gives each text of a shape what the
    # scorer's reader of text times gives from that shape's format (strptime), or leaves
    # the line to it (int64 minimum): never a time where it gives none, nor another.
    from oddseq.stream._text_lines import _DIGIT_TO_ZERO, _plan, _read
    from oddseq.utils._time import _strptime_ns

    read = 0
    for text in texts:
        raw = text.encode()
        plan = _plan(fmt, raw.translate(_DIGIT_TO_ZERO))
        expected = _strptime_ns(text, fmt)
        if plan is None:  # (a shape not read here: the reader's, line by line)
            continue
        got = int(_read([raw], plan)[0])
        assert got == np.iinfo(np.int64).min or got * 1000 == expected, text
        read += got != np.iinfo(np.int64).min
    assert read  # (each form read here at least once)
