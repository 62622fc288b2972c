"""The text-date reader's watch on pandas' warnings survives another thread's
``warnings.catch_warnings`` interleaving with it (pandas enters one in its own code, and
dask's threaded scheduler reads partitions concurrently): a late restore that leaves the
watch installed loses no later warning, and the watch keeps only its own thread's
pandas messages."""

import threading
import warnings

import pandas as pd
import pytest

from oddseq.utils import _time


def _interleaved(monkeypatch, between):
    """Read text dates in thread A while thread B enters catch_warnings() during A's
    pandas call and leaves it after A is done (the save/restore order that left A's
    recorder installed); ``between`` runs in B while A is inside pandas."""
    real = pd.to_datetime
    b_inside = threading.Event()
    a_done = threading.Event()
    errors = []

    def slow_to_datetime(*args, **kwargs):
        b_go.set()
        assert b_inside.wait(10)
        return real(*args, **kwargs)

    def thread_b():
        try:
            assert b_go.wait(10)
            with warnings.catch_warnings():
                b_inside.set()
                between()
                assert a_done.wait(10)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    b_go = threading.Event()
    monkeypatch.setattr(pd, "to_datetime", slow_to_datetime)
    b = threading.Thread(target=thread_b)
    b.start()
    try:
        out = _time._parse_text(
            pd.Series(["2019-10-01 10:00:00", "2019-10-02 11:30:00"]), "t", None, None
        )
    finally:
        a_done.set()
        b.join(10)
    assert not errors
    return out


def test_a_late_restore_loses_no_later_warning(monkeypatch):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _interleaved(monkeypatch, between=lambda: None)
        warnings.warn("said after the read", UserWarning, stacklevel=1)
    assert list(out.astype(str)) == ["2019-10-01 10:00:00", "2019-10-02 11:30:00"]
    assert [str(w.message) for w in caught] == ["said after the read"]


def test_another_threads_warning_during_the_read_reaches_the_caller(monkeypatch):
    def warn_from_b():
        warnings.warn("dropped 3 of 10 rows", UserWarning, stacklevel=1)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _interleaved(monkeypatch, between=warn_from_b)
    assert [str(w.message) for w in caught] == ["dropped 3 of 10 rows"]


def test_the_watch_left_installed_hands_every_warning_on():
    watch = _time._PandasDateWarnings()
    seen = []
    with warnings.catch_warnings():
        warnings.showwarning = lambda message, *rest, **kw: seen.append(str(message))
        with watch:
            pass
        warnings.showwarning = watch  # what a late restore by another thread leaves
        warnings.simplefilter("always")
        warnings.warn("Could not infer format, so each element ...", UserWarning, stacklevel=1)
        warnings.warn("later", UserWarning, stacklevel=1)
    assert seen == ["Could not infer format, so each element ...", "later"]
    assert watch.swapped is None


def test_a_day_month_swap_pandas_warns_of_is_still_refused(monkeypatch):
    """pandas reads 13/01/2020 day-first against dayfirst=False behind a warning; the
    reader's own check (a sample of the column) is bypassed here to reach pandas'."""
    monkeypatch.setattr(_time, "_decide_dayfirst", lambda *args: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="Parsing dates in %d/%m/%Y"):
            _time._parse_text(pd.Series(["13/01/2020 10:00", "14/02/2020 10:00"]), "t", None, None)
    assert caught == []


def test_another_threads_ignore_is_never_written_back(monkeypatch):
    """Thread B enters catch_warnings() and ignores everything, then A reads text dates,
    B leaves while A is inside pandas: A's exit must not restore B's 'ignore' (a whole
    list saved at A's entry would have; review RV s35 L6)."""
    real = pd.to_datetime
    b_ignoring, b_left = threading.Event(), threading.Event()
    a_inside = threading.Event()

    def slow_to_datetime(*args, **kwargs):
        a_inside.set()
        assert b_left.wait(10)
        return real(*args, **kwargs)

    def thread_b():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b_ignoring.set()
            assert a_inside.wait(10)
        b_left.set()

    monkeypatch.setattr(pd, "to_datetime", slow_to_datetime)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        before = list(warnings.filters)
        b = threading.Thread(target=thread_b)
        b.start()
        assert b_ignoring.wait(10)
        _time._parse_text(pd.Series(["2019-10-01 10:00:00"]), "t", None, None)
        b.join(10)
        assert list(warnings.filters) == before
        warnings.warn("said after the read", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["said after the read"]


def test_the_read_leaves_the_filters_and_the_handler_as_it_found_them():
    with warnings.catch_warnings():
        before, handler = list(warnings.filters), warnings.showwarning
        _time._parse_text(pd.Series(["13/01/2020 10:00", "14/02/2020 11:00"]), "t", None, None)
        assert list(warnings.filters) == before and warnings.showwarning is handler
