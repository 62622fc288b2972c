import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq import _core
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences


def reference_groups(df, entity, event, time):
    """The obviously correct answer: pandas stable sort then per-entity lists."""
    ordered = df.sort_values([entity, time], kind="stable")
    return {k: (g[event].tolist(), g[time].tolist()) for k, g in ordered.groupby(entity, sort=True)}


def test_from_events_matches_pandas_sort_and_group(small_log):
    before = small_log.copy(deep=True)
    seqs = Sequences.from_events(
        small_log, entity="user", event="event", time="ts", item="item", value="price"
    )
    pd.testing.assert_frame_equal(small_log, before)  # the caller's frame is untouched
    expected = reference_groups(small_log, "user", "event", "ts")
    assert list(seqs.ids) == sorted(expected)
    for i, uid in enumerate(seqs.ids):
        frame = seqs[i]
        events, times = expected[uid]
        assert frame["event"].tolist() == events
        assert (frame["time"].astype("datetime64[ns]").astype("int64") // 10**9).tolist() == times
    assert seqs.n_events == len(small_log)
    assert seqs.lengths.sum() == len(small_log)


def test_categorical_columns_give_the_sequences_of_the_same_text():
    """A categorical column (make_ecommerce's behavior, read_taobao's) and the same
    labels read as text (the CLI's CSV) give the same codes: the neural models' token
    ids, and so their weights, follow the vocabulary order. Missing values stay
    missing and unused categories stay in the vocabulary."""
    events = ["pv", "buy", None, "cart", "pv", "buy"]
    df = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3], "t": range(6), "ev": events})
    as_text = Sequences.from_events(df.dropna(), entity="u", event="ev", time="t")
    categories = ["pv", "cart", "fav", "buy"]  # not sorted, one unused
    cat = df.assign(ev=pd.Categorical(df["ev"], categories=categories))
    before = cat.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        seqs = Sequences.from_events(cat, entity="u", event="ev", time="t", dropna=True)
    pd.testing.assert_frame_equal(cat, before)
    assert seqs.event_labels.tolist() == ["buy", "cart", "fav", "pv"]
    assert (
        seqs.event_labels.take(seqs.events).tolist()
        == as_text.event_labels.take(as_text.events).tolist()
    )
    assert (seqs.events == as_text.events + (as_text.events >= 2)).all()  # fav unused
    assert cat["ev"].cat.categories.tolist() == categories  # the caller's dtype untouched


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 3), st.integers(-5, 5)),
        min_size=1,
        max_size=120,
    ),
    st.sampled_from([1, 2]),
)
def test_grouping_is_stable_and_thread_independent(rows, n_threads):
    df = pd.DataFrame(rows, columns=["e", "ev", "t"])
    df["row"] = np.arange(len(df))
    seqs = Sequences.from_events(
        df, entity="e", event="ev", time="t", item="row", n_threads=n_threads
    )
    ordered = df.sort_values(["e", "t"], kind="stable")
    got_rows = seqs.item_labels.take(seqs.items).tolist()
    assert got_rows == ordered["row"].tolist()
    assert list(seqs.ids) == sorted(df["e"].unique())


def test_time_types_and_units():
    base = pd.Timestamp("2024-03-01 12:00", tz="Europe/Paris")
    stamps = [base, base + pd.Timedelta("1s"), base - pd.Timedelta("1h")]
    df = pd.DataFrame({"u": [1, 1, 1], "e": ["a", "b", "c"], "t": stamps})
    seqs = Sequences.from_events(df, entity="u", event="e", time="t")
    assert seqs.tz == "Europe/Paris"
    assert seqs[0]["event"].tolist() == ["c", "a", "b"]
    assert seqs[0]["time"].iloc[1] == base
    naive = df.assign(t=df["t"].dt.tz_convert("UTC").dt.tz_localize(None))
    assert np.array_equal(
        Sequences.from_events(naive, entity="u", event="e", time="t").times, seqs.times
    )
    ms = df.assign(t=naive["t"].astype("datetime64[ns]").astype("int64") // 10**6)
    seqs_ms = Sequences.from_events(ms, entity="u", event="e", time="t", time_unit="ms")
    assert np.array_equal(seqs_ms.times, seqs.times)
    floats = df.assign(t=[0.5, 1.25, 0.0])
    assert Sequences.from_events(floats, entity="u", event="e", time="t").times.tolist() == [
        0,
        500_000_000,
        1_250_000_000,
    ]


def test_bad_input_messages(small_log):
    with pytest.raises(TypeError, match="DataFrame"):
        Sequences.from_events(small_log.to_numpy(), entity="user", event="event", time="ts")
    with pytest.raises(ValueError, match="'nope' is not a column"):
        Sequences.from_events(small_log, entity="nope", event="event", time="ts")
    # a log of no rows is sequences of none (tests/python/test_empty_day.py)
    assert len(Sequences.from_events(small_log.iloc[:0], entity="user", event="event")) == 0
    bad = small_log.astype({"ts": float})
    bad.loc[[3, 7], "ts"] = np.nan
    bad.loc[5, "user"] = None
    with pytest.raises(ValueError, match=r"1 in 'user', 2 in 'ts'"):
        Sequences.from_events(bad, entity="user", event="event", time="ts")
    with pytest.warns(DataWarning, match="dropped 3 of 400"):
        seqs = Sequences.from_events(bad, entity="user", event="event", time="ts", dropna=True)
    assert seqs.n_events == 397
    # Times as text go through the one parser (numbers written as text stay numbers);
    # text that is neither is refused with the options that read it.
    strings = small_log.assign(ts=small_log["ts"].astype(str))
    as_text = Sequences.from_events(strings, entity="user", event="event", time="ts")
    as_numbers = Sequences.from_events(small_log, entity="user", event="event", time="ts")
    np.testing.assert_array_equal(as_text.times, as_numbers.times)
    junk = small_log.assign(ts=["soon"] * len(small_log))
    with pytest.raises(ValueError, match="time_format"):
        Sequences.from_events(junk, entity="user", event="event", time="ts")
    with pytest.raises(ValueError, match="time_unit"):
        Sequences.from_events(small_log, entity="user", event="event", time="ts", time_unit="h")
    with pytest.raises(ValueError, match="2262"):
        Sequences.from_events(
            small_log.assign(ts=small_log["ts"] * 10**9), entity="user", event="event", time="ts"
        )
    with pytest.raises(ValueError, match="n_threads"):
        Sequences.from_events(small_log, entity="user", event="event", time="ts", n_threads=0)


def test_sessions_windows_and_subsets():
    seqs = Sequences.from_arrays(
        [0, 5, 7], list("abcdeab"), times=[0, 10, 20, 2000, 2010, 0, 7200], ids=["x", "y"]
    )
    sessions = seqs.session("15min")
    assert sessions.lengths.tolist() == [3, 2, 1, 1]
    assert sessions.ids.tolist() == [("x", 0), ("x", 1), ("y", 0), ("y", 1)]
    assert sessions.ids.names == [None, "session"]
    assert seqs.session(600).lengths.tolist() == sessions.lengths.tolist()
    with pytest.raises(ValueError, match="gap"):
        seqs.session(0)
    windows = seqs.windows(2, stride=1)
    assert windows.lengths.tolist() == [2, 2, 2, 2, 2]
    assert windows[3]["event"].tolist() == ["d", "e"]
    assert windows.ids[-1] == ("y", 0)
    tw = seqs.time_windows(60)
    assert tw.lengths.tolist() == [3, 2, 1, 1]
    assert seqs.time_windows(30, step=10).lengths.sum() >= seqs.n_events
    with pytest.raises(ValueError, match="length"):
        seqs.windows(0)
    sub = seqs[[1]]
    assert sub.ids.tolist() == ["y"] and sub.n_events == 2
    assert seqs[-1]["event"].tolist() == ["a", "b"]
    assert len(seqs[np.array([True, False])]) == 1
    with pytest.raises(IndexError):
        seqs[2]
    untimed = Sequences.from_lists([[1, 2, 3]])
    with pytest.raises(ValueError, match="needs event times"):
        untimed.session(10)


def test_time_windows_skip_idle_stretches():
    times = [0, 1, 10**7]  # a ~4-month gap must not be stepped through window by window
    seqs = Sequences.from_arrays([0, 3], ["a", "b", "c"], times=times)
    tw = seqs.time_windows(1, step=1)
    assert tw.lengths.tolist() == [1, 1, 1]


def test_from_arrays_validation():
    with pytest.raises(ValueError, match="offsets"):
        Sequences.from_arrays([0, 5], ["a", "b"])
    with pytest.raises(ValueError, match="decrease within a sequence"):
        Sequences.from_arrays([0, 2], ["a", "b"], times=[5, 1])
    # A decrease across a sequence boundary is fine.
    Sequences.from_arrays([0, 1, 2], ["a", "b"], times=[5, 1])


def test_to_pandas_and_describe(small_log):
    seqs = Sequences.from_events(
        small_log, entity="user", event="event", time="ts", item="item", session_gap=600
    )
    long = seqs.to_pandas()
    assert len(long) == len(small_log)
    assert list(long.columns[:2]) == ["user", "session"]
    summary = seqs.describe()
    assert summary["n_events"] == len(small_log)
    assert summary["events[pv]"] == int((small_log["event"] == "pv").sum())
    assert summary["length_max"] >= summary["length_median"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repr(seqs)


def test_infinite_values_are_refused_and_missing_ones_kept():
    log = pd.DataFrame(
        {"u": [1, 1, 2], "e": ["pv", "buy", "pv"], "t": [0, 5, 9], "v": [1.0, np.inf, 3.0]}
    )
    with pytest.raises(ValueError, match="'v' has 1 infinite value"):
        Sequences.from_events(log, entity="u", event="e", time="t", value="v")
    with pytest.raises(ValueError, match="infinite"):
        Sequences.from_arrays([0, 2], ["pv", "pv"], values=[1.0, -np.inf])
    log["v"] = pd.array([1.0, None, 3.0], dtype="Float64")  # pandas' missing value
    seqs = Sequences.from_events(log, entity="u", event="e", time="t", value="v")
    assert np.isnan(seqs.values).sum() == 1 and log["v"].isna().sum() == 1


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 3000),
    spread=st.sampled_from([1, 10, 1000, 2**40, 2**62]),
    base=st.sampled_from([0, -(2**63), 2**63 - 2**41, -17]),
    threads=st.sampled_from([1, 2, 3]),
)
def test_property_integer_factorization(seed, n, spread, base, threads):
    # Dense keys (a range under 16 per row) take the bitmap path and come
    # out sorted; sparse ones are hashed. Both must give every row its key back, list
    # each key once, and not depend on the thread count.
    rng = np.random.default_rng(seed)
    values = (base + rng.integers(0, spread, n, dtype=np.int64)).astype(np.int64)
    for factorize in (_core.factorize_int64, _core.factorize_int64_to_int32):
        found = factorize(values, threads)
        codes, uniques = found.codes, found.uniques
        np.testing.assert_array_equal(uniques[codes], values)
        assert len(np.unique(uniques)) == len(uniques) == len(np.unique(values))
        once = factorize(values, 1)
        again, same = once.codes, once.uniques
        np.testing.assert_array_equal(again, codes)
        np.testing.assert_array_equal(same, uniques)
        if n and int(values.max()) - int(values.min()) < 16 * n:
            assert np.all(np.diff(uniques) > 0)
        # sort=True: the same vocabulary sorted, codes in sorted key order.
        for n_threads in (threads, 1):
            ordered = factorize(values, n_threads, sort=True)
            sorted_codes, sorted_uniques = ordered.codes, ordered.uniques
            np.testing.assert_array_equal(sorted_uniques, np.unique(values))
            np.testing.assert_array_equal(sorted_uniques[sorted_codes], values)
