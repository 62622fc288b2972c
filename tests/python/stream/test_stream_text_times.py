"""oddseq stream reads dates as text fast (a format learned per shape of the text and
checked against the full reader) and reads them exactly as before: each time as
parse_times reads it alone, the same refusals, the same alerts (#14)."""

import numpy as np
import pandas as pd
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.utils._time import TextTimes, parse_times

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


def alone(text, time_format=None, dayfirst=None):
    """What parse_times gives for one text alone: ns, None (missing) or the error."""
    try:
        ns, bad, _ = parse_times(
            pd.Series([text], dtype=object), "t", time_format=time_format, dayfirst=dayfirst
        )
    except (ValueError, TypeError) as error:
        return type(error), str(error)
    return None if bad is not None else int(ns[0])


def fast(reader, text):
    try:
        return reader.read(text)
    except (ValueError, TypeError) as error:
        return type(error), str(error)


# Each case: (time_format, dayfirst, texts); the first texts of a shape teach its format.
CASES = [
    (
        None,
        None,
        [
            "2019-10-01 00:00:00 UTC",
            "2019-10-01 02:35:07 UTC",
            "2019-10-02 23:59:59 UTC",
            "2019-10-31 13:00:01 UTC",
            "2019-02-30 00:00:00 UTC",
            "2019-10-01 24:00:00 UTC",
            "2019-12-31 23:59:60 UTC",
            "1500-01-01 00:00:00 UTC",
            "2019-10-01 00:00:00 GMT",
        ],
    ),
    (
        None,
        None,
        [
            "2016-05-25 00:00:05.568000",
            "2016-05-25 00:00:06.022000",
            "2016-05-25 10:11:12.999999",
            "2016-05-26 01:02:03.000001",
            "2016-05-25 00:00:05.568",
            "2016-05-25 00:00:05.123456789",
            "2016-05-25 00:00:05.5",
        ],
    ),
    (
        None,
        None,
        [
            "2017-12-01T10:00:00Z",
            "2017-12-01T10:00:00+02:00",
            "2017-12-31T23:30:00-05:30",
            "2017-12-01T10:00:00+00:00",
            "2017-12-01 10:00:00+0100",
            "2017-12-01",
        ],
    ),
    (
        None,
        None,
        [
            "13/02/2017 10:00:00",
            "01/02/2017 10:00:00",
            "02/13/2017 10:00:00",
            "14/02/2017 10:00:00",
            "1511539256",
            " 2019-10-01 00:00:00",
            "17/06/09",
            "Jun 14 15:16:01",
            "15:16:01",
            "not a time",
            "2019-10-01 00:00:00 CET",
        ],
    ),
    (
        None,
        True,
        [
            "13/02/2017 10:00:00",
            "01/02/2017 10:00:00",
            "02/13/2017 10:00:00",
            "05/05/2017 10:00:00",
            "31/12/2017 23:59:59",
            "2017-02-01 10:00:00",
        ],
    ),
    (
        None,
        False,
        [
            "02/13/2017 10:00:00",
            "01/02/2017 10:00:00",
            "13/02/2017 10:00:00",
            "12/31/2017 23:59:59",
            "2017-02-01 10:00:00",
        ],
    ),
    (
        "%d.%m.%Y %H:%M",
        None,
        [
            "13.02.2017 10:00",
            "01.02.2017 10:00",
            "01.13.2017 10:00",
            "31.12.2017 23:59",
            "2017-02-01 10:00",
            "1.2.2017 1:00",
        ],
    ),
    ("%Y%m%d %H%M%S", None, ["20171201 101112", "20171231 235959", "20171232 000000"]),
]


@pytest.mark.parametrize("time_format, dayfirst, texts", CASES)
def test_each_text_reads_as_parse_times_reads_it_alone(time_format, dayfirst, texts):
    reader = TextTimes("t", time_format=time_format, dayfirst=dayfirst)
    # every text several times over (past the checks), in two orders
    for text in texts * 4 + texts[::-1] * 4:
        assert fast(reader, text) == alone(text, time_format, dayfirst), text


def test_a_learned_shape_reads_fast():
    reader = TextTimes("t")
    stamps = pd.date_range("2019-10-01", periods=500, freq="37s")
    texts = stamps.strftime("%Y-%m-%d %H:%M:%S UTC")
    got = [reader.read(t) for t in texts]
    assert got == list(stamps.as_unit("ns").asi8)
    assert reader.n_full == reader.checks and reader.n_fast == len(texts) - reader.checks
    # day and month before the year are never guessed: without dayfirst, the full reader
    ambiguous = TextTimes("t")
    for text in ["13/02/2017 10:00"] * 10:
        ambiguous.read(text)
    assert ambiguous.n_fast == 0
    settled = TextTimes("t", dayfirst=True)
    for text in ["13/02/2017 10:00"] * 10:
        settled.read(text)
    assert settled.n_fast == 10 - settled.checks


def test_a_shape_the_check_disproves_keeps_the_full_reader(monkeypatch):
    from oddseq.utils import _time

    reader = TextTimes("t")
    real = _time._strptime_ns
    monkeypatch.setattr(_time, "_strptime_ns", lambda text, fmt: real(text, fmt) + 1)
    texts = [f"2019-10-01 00:00:0{i}" for i in range(8)]
    assert [reader.read(t) for t in texts] == [alone(t) for t in texts]
    assert reader.n_fast == 0 and reader.n_full == len(texts)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """(the first 600 events in time order, a model fitted on the whole log)."""
    folder = tmp_path_factory.mktemp("texttimes")
    log = make_ecommerce(n_users=120, random_state=3).events
    log = log[["user_id", "behavior", "timestamp"]].astype({"behavior": str})
    path = folder / "log.csv"
    log.to_csv(path, index=False)
    model = folder / "m.oddseq"
    assert main(["fit", str(path), *ROLES, "--save", str(model)]) == 0
    return log.sort_values("timestamp", kind="stable").head(600).reset_index(drop=True), model


@pytest.fixture
def stream(oddseq_here, monkeypatch):
    """``oddseq stream --model MODEL ... MORE`` with TEXT on stdin (in this process);
    ``full=True``: every text time through the full reader, the code before."""

    def run(model, text, *more, full=False):
        with monkeypatch.context() as patched:
            if full:
                patched.setattr(TextTimes, "read", TextTimes.full)
            return oddseq_here(["stream", "--model", str(model), *ROLES, *more], text)

    return run


def written(log, fmt, fraction=False, offset=None):
    stamps = pd.to_datetime(log["timestamp"], unit="s")
    if fraction:  # distinct fractions of a second, some whole
        stamps = stamps + pd.to_timedelta(np.arange(len(log)) % 7 * 0.125, unit="s")
    if offset is not None:
        stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(offset)
    return log.assign(timestamp=stamps.dt.strftime(fmt)).to_csv(index=False)


@pytest.mark.parametrize(
    "fmt, fraction, offset, more",
    [
        ("%Y-%m-%d %H:%M:%S UTC", False, None, ()),  # REES46
        ("%Y-%m-%d %H:%M:%S.%f", True, None, ()),  # Diginetica
        ("%Y-%m-%dT%H:%M:%S%z", False, "Etc/GMT-2", ()),  # offsets
        ("%d/%m/%Y %H:%M:%S", False, None, ()),  # day/month settled from the lines
        ("%d/%m/%Y %H:%M:%S", False, None, ("--dayfirst",)),
        ("%m/%d/%Y %H:%M:%S", True, None, ("--no-dayfirst",)),
    ],
)
def test_the_alerts_are_those_of_the_full_reader(shop, stream, fmt, fraction, offset, more):
    log, model = shop
    text = written(log, fmt, fraction, offset)
    new, old = stream(model, text, *more), stream(model, text, *more, full=True)
    assert new.returncode == 0 and old.returncode == 0, (new.stderr, old.stderr)
    assert new.stdout == old.stdout
    summary = new.stderr.splitlines()[-1]
    assert "600 events applied" in summary and "0 malformed lines" in summary, summary
    assert summary.rsplit(" in ", 1)[0] == old.stderr.splitlines()[-1].rsplit(" in ", 1)[0]


def test_utc_text_alerts_as_the_same_times_in_seconds(shop, stream):
    log, model = shop
    as_text = stream(model, written(log, "%Y-%m-%d %H:%M:%S UTC"))
    as_numbers = stream(model, log.to_csv(index=False))
    assert as_text.returncode == 0 and as_text.stdout == as_numbers.stdout
    assert as_text.stdout.count("\n") >= 1
