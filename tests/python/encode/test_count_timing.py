import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from oddseq.encode import CountTimingEncoder
from oddseq.sequences import Sequences


def reference_row(events, times, vocabulary):
    counts = [sum(1 for e in events if e == v) for v in vocabulary]
    if len(vocabulary) == 1:
        counts = []  # one type: its count is the length, left out
    row = counts + [len(events)]
    if times is not None:
        if len(times) >= 2:
            gaps = np.diff(np.asarray(times, dtype=np.float64))
            row += [times[-1] - times[0], gaps.mean(), gaps.std()]
        else:
            row += [0.0, 0.0, 0.0]
    return row


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 10**6)), max_size=30),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from([1, 2]),
)
def test_matches_pure_python_reference(raw, n_threads):
    sequences = [sorted(s, key=lambda p: p[1]) for s in raw]
    lengths = [len(s) for s in sequences]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    events = [e for s in sequences for e, _ in s]
    times = [t for s in sequences for _, t in s]
    if not events:
        return
    seqs = Sequences.from_arrays(offsets, np.array(events, dtype=object), times=times)
    enc = CountTimingEncoder(n_threads=n_threads).fit(seqs)
    got = enc.transform(seqs)
    assert got.dtype == np.float32
    vocabulary = list(enc.event_labels_)
    for i, s in enumerate(sequences):
        expected = reference_row([e for e, _ in s], [t for _, t in s], vocabulary)
        np.testing.assert_allclose(got[i], expected, rtol=1e-5, atol=1e-3)


def test_pandas_output_unseen_events_and_untimed():
    train = Sequences.from_arrays(
        [0, 2, 3], ["pv", "buy", "pv"], times=[0, 10, 3], ids=["u1", "u2"]
    )
    enc = CountTimingEncoder().set_output(transform="pandas").fit(train)
    frame = enc.transform(train)
    assert list(frame.index) == ["u1", "u2"]
    assert list(frame.columns) == [
        "count[buy]",
        "count[pv]",
        "length",
        "duration_s",
        "gap_mean_s",
        "gap_std_s",
    ]
    new = Sequences.from_arrays([0, 3], ["pv", "refund", "buy"], times=[0, 1, 2])
    row = enc.transform(new).iloc[0]
    assert row["count[pv]"] == 1 and row["count[buy]"] == 1 and row["length"] == 3
    untimed = Sequences.from_lists([[1, 2, 2]])
    enc2 = CountTimingEncoder().fit(untimed)
    assert enc2.transform(untimed).tolist() == [[1.0, 2.0, 3.0]]
    with pytest.raises(ValueError, match="fitted on sequences with times"):
        enc.transform(untimed)


def test_bad_input():
    with pytest.raises(NotFittedError):
        CountTimingEncoder().transform(Sequences.from_lists([[1]]))
    with pytest.raises(TypeError, match="Sequences"):
        CountTimingEncoder().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="n_threads"):
        CountTimingEncoder(n_threads=-1).fit_transform(Sequences.from_lists([[1]]))
    df = pd.DataFrame({"u": [1], "e": ["a"], "t": [0]})
    seqs = Sequences.from_events(df, entity="u", event="e", time="t")
    assert CountTimingEncoder().fit_transform(seqs).shape == (1, 4)  # one type: no count


def test_max_event_types_pools_the_rare_and_the_unseen():
    lists = [["a"] * 5 + ["b"] * 3 + ["c", "d"], ["a", "c", "c", "e"]]
    seqs = Sequences.from_lists(lists)
    enc = CountTimingEncoder(max_event_types=2, timing=False).set_output(transform="pandas")
    out = enc.fit_transform(seqs)
    # a: 6, b: 3, c: 3 -> a keeps a column; b and c tie for the last one and neither
    # takes it (their labels must not choose): both are pooled.
    assert list(out.columns) == ["count[a]", "count[<other>]"]
    assert out.to_numpy().tolist() == [[5, 5], [1, 3]]
    new = Sequences.from_lists([["z", "a", "b"]])  # z never seen: pooled too
    assert enc.transform(new).to_numpy().tolist() == [[1, 2]]
    three = CountTimingEncoder(max_event_types=3, timing=False).fit(seqs)  # the tie fits
    assert list(three.get_feature_names_out()) == [
        "count[a]",
        "count[b]",
        "count[c]",
        "count[<other>]",
    ]
    timed = CountTimingEncoder(max_event_types=10).fit(seqs)  # fewer types: no pooling
    assert not timed.pooled_ and "count[<other>]" not in timed.get_feature_names_out()
    with pytest.raises(ValueError, match="max_event_types"):
        CountTimingEncoder(max_event_types=0).fit(seqs)


def test_a_single_event_type_has_no_count_column_beside_length():
    # A click log read with event=None: every event is "event"; count[event] would
    # repeat length and double its weight.
    seqs = Sequences.from_arrays([0, 2, 3], ["event"] * 3, times=[0, 10, 3])
    enc = CountTimingEncoder().fit(seqs)
    assert list(enc.get_feature_names_out()) == ["length", "duration_s", "gap_mean_s", "gap_std_s"]
    assert enc.transform(seqs)[:, 0].tolist() == [2.0, 1.0]
    counts_only = CountTimingEncoder(timing=False).fit(seqs)
    assert list(counts_only.get_feature_names_out()) == ["count[event]"]
    pooled = CountTimingEncoder(count_unseen=True).fit(seqs)
    other = Sequences.from_arrays([0, 2], ["event", "new"], times=[0, 1])
    assert list(pooled.get_feature_names_out())[:2] == ["count[<other>]", "length"]
    assert pooled.transform(other)[0, :2].tolist() == [1.0, 2.0]


@given(
    st.lists(st.lists(st.integers(0, 11), min_size=1, max_size=12), min_size=1, max_size=12),
    st.integers(1, 12),
    st.randoms(use_true_random=False),
    st.booleans(),
)
def test_kept_columns_do_not_depend_on_how_labels_are_spelt(lists, keep, rnd, unseen):
    # Relabelling the event types (any bijection) changes the columns' names and order,
    # never a value: ties at the cap are settled by counts, not by the labels' order.
    names = [f"e{i:02d}" for i in range(12)]
    renamed = names[:]
    rnd.shuffle(renamed)
    original = Sequences.from_lists([[names[v] for v in seq] for seq in lists])
    relabelled = Sequences.from_lists([[renamed[v] for v in seq] for seq in lists])
    to_new = dict(zip(names, renamed))
    frames = []
    for seqs in (original, relabelled):
        enc = CountTimingEncoder(max_event_types=keep, count_unseen=unseen, timing=False)
        frames.append(enc.set_output(transform="pandas").fit_transform(seqs))
        assert len(enc.event_labels_) <= keep
    a, b = frames
    a = a.rename(columns={f"count[{k}]": f"count[{v}]" for k, v in to_new.items()})
    assert sorted(a.columns) == sorted(b.columns)
    pd.testing.assert_frame_equal(a[b.columns], b)


@pytest.mark.parametrize(
    ("gap_s", "length"),
    [(60, 17), (60, 80), (7, 80), (0.001, 80), (86_400, 80), (60, 200_000), (0.001, 200_000)],
)
def test_gaps_all_equal_have_a_spread_of_exactly_zero(gap_s, length):
    # A script that fires every 60 s has no spread in its gaps; the spread computed in
    # seconds from nanoseconds left a residue (7.1e-15 s) that reasons printed as such.
    # 200,000 events: the long-sequence path, cut into blocks shared by the threads.
    start = np.datetime64("2019-10-01T00:00:00.123456789", "ns")
    step = np.timedelta64(int(round(gap_s * 1e9)), "ns")
    times = start + step * np.arange(length)
    seqs = Sequences.from_arrays([0, length], ["pv"] * length, times=times)
    frame = CountTimingEncoder().set_output(transform="pandas").fit(seqs).transform(seqs)
    assert frame["gap_std_s"].iloc[0] == 0.0
    assert frame["gap_mean_s"].iloc[0] == pytest.approx(gap_s, rel=1e-6)
