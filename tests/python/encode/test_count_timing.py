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
    assert CountTimingEncoder().fit_transform(seqs).shape == (1, 5)
