"""Giant sequences (a crawler holding a quarter of the log) are shared by every thread:
sequences longer than one block of 65,536 events are cut into blocks whose partial
results are combined in a fixed order. The features must not depend on the thread count
(bit for bit) and must match a plain per-sequence reference."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq.encode import CountTimingEncoder, DiversityEncoder
from oddseq.sequences import Sequences

BLOCK = 1 << 16
LABELS = np.array(["pv", "cart", "fav", "buy"], dtype=object)


def skewed_sequences(seed, long_lengths, n_short, n_items, missing_items, nan_values):
    """Short sequences around long ones (lengths at and around block edges), with gaps
    of every kind: equal times, bursts, and pauses past the 30-minute session gap."""
    rng = np.random.default_rng(seed)
    lengths = np.array([*long_lengths, *rng.integers(1, 200, n_short)], dtype=np.int64)
    rng.shuffle(lengths)
    n = int(lengths.sum())
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    events = LABELS[rng.choice(4, n, p=[0.85, 0.07, 0.04, 0.04])]
    gaps = rng.choice([0, 1, 2, 30, 600, 4_000], n, p=[0.2, 0.3, 0.2, 0.2, 0.09, 0.01])
    gaps[offsets[:-1]] = 0
    times = 1_600_000_000 + np.cumsum(gaps)
    times -= np.repeat(times[offsets[:-1]] - 1_600_000_000, lengths)  # each starts alike
    items = rng.integers(0, n_items, n).astype(np.float64)
    items[rng.random(n) < missing_items] = np.nan
    values = rng.lognormal(3, 1, n)
    values[rng.random(n) < nan_values] = np.nan
    seqs = Sequences.from_arrays(offsets, events, times=times, items=items, values=values)
    categories = pd.Series(np.arange(n_items) % 7, index=np.arange(n_items, dtype=np.float64))
    categories = categories.iloc[: max(1, n_items - 3)]  # a few items without a category
    return seqs, categories


def encode(seqs, categories, n_threads):
    counts = CountTimingEncoder(max_event_types=30, count_unseen=True, n_threads=n_threads)
    diversity = DiversityEncoder(item_categories=categories, n_threads=n_threads)
    return counts.fit_transform(seqs), diversity.fit_transform(seqs)


def entropy_bits(keys):
    _, counts = np.unique(keys, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum()) if counts.size else 0.0


def reference_rows(seqs, categories, s, gap_s=1800):
    """CountTimingEncoder's and DiversityEncoder's rows for sequence s, in numpy."""
    begin, end = seqs.offsets[s], seqs.offsets[s + 1]
    n = end - begin
    ev = seqs.event_labels[seqs.events[begin:end]].to_numpy()
    t = seqs.times[begin:end].astype(np.float64) / 1e9
    item_codes = seqs.items[begin:end]
    items = np.where(item_codes >= 0, item_codes, -1)
    values = seqs.values[begin:end]
    gaps = np.diff(t)
    counts = [float((ev == label).sum()) for label in ("buy", "cart", "fav", "pv")]
    timing = [t[-1] - t[0], gaps.mean(), gaps.std()] if n > 1 else [0.0, 0.0, 0.0]
    count_row = [*counts, 0.0, float(n), *timing]
    steps = {label: int((ev == label).sum()) for label in LABELS}
    known = items[items >= 0]
    _, item_counts = np.unique(known, return_counts=True)
    bought = np.unique(items[(ev == "buy") & (items >= 0)])
    present = values[~np.isnan(values)]
    labels = seqs.item_labels.to_numpy()
    category = np.array(
        [categories.get(labels[i], -1) if i >= 0 else -1 for i in items], dtype=np.int64
    )
    with_category = category[category >= 0]
    start = n - 1
    splits = np.flatnonzero(np.diff(seqs.times[begin:end]) > gap_s * 10**9)
    start = int(splits[-1]) + 1 if splits.size else 0
    unseen = 0.0
    if start > 0:
        before = set(category[:start][category[:start] >= 0].tolist())
        recent = category[start:][category[start:] >= 0]
        unseen = float(np.mean([c not in before for c in recent])) if recent.size else 0.0
    diversity_row = [
        item_counts.size,
        item_counts.size / n,
        entropy_bits(known),
        item_counts.max() / known.size if known.size else 0.0,
        # (over the events with an item: trial s59, test_repeat_share_items_s60)
        float((known[1:] == known[:-1]).sum()) / (known.size - 1) if known.size > 1 else 0.0,
        bought.size,
        steps["cart"] / max(steps["pv"], 1),
        steps["fav"] / max(steps["pv"], 1),
        steps["buy"] / max(steps["pv"], 1),
        steps["buy"] / max(steps["cart"], 1),
        present.sum(),
        present.mean() if present.size else 0.0,
        present.max() if present.size else 0.0,
        present.std() if present.size else 0.0,
        1 - present.size / n,
        values[(ev == "buy") & ~np.isnan(values)].sum(),
        np.unique(with_category).size,
        np.unique(with_category).size / n,
        entropy_bits(with_category),
        unseen,
    ]
    return np.array(count_row), np.array(diversity_row)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    long_lengths=st.lists(
        st.sampled_from([BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 2 * BLOCK + 3, 150_000]),
        min_size=1,
        max_size=3,
    ),
    n_short=st.integers(0, 300),
    n_items=st.sampled_from([1, 5, 300, 50_000]),
    missing_items=st.sampled_from([0.0, 0.1, 1.0]),
    nan_values=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_long_sequences_same_bits_for_any_thread_count(
    seed, long_lengths, n_short, n_items, missing_items, nan_values
):
    seqs, categories = skewed_sequences(
        seed, long_lengths, n_short, n_items, missing_items, nan_values
    )
    one = encode(seqs, categories, 1)
    for n_threads in (2, 7):
        for got, expected in zip(encode(seqs, categories, n_threads), one):
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "long_lengths, n_items, missing_items, nan_values",
    [
        ([BLOCK + 1, 3 * BLOCK + 17], 50_000, 0.1, 0.3),
        ([2 * BLOCK], 5, 0.0, 0.0),
        ([BLOCK, 150_000], 300, 1.0, 1.0),
    ],
)
def test_long_sequences_match_reference(long_lengths, n_items, missing_items, nan_values):
    seqs, categories = skewed_sequences(3, long_lengths, 40, n_items, missing_items, nan_values)
    counts, diversity = encode(seqs, categories, 2)
    checked = np.flatnonzero(seqs.lengths > BLOCK // 2)[:3].tolist() + [0, 1]
    for s in checked:
        count_row, diversity_row = reference_rows(seqs, categories, s)
        np.testing.assert_allclose(counts[s], count_row, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(diversity[s], diversity_row, rtol=1e-5, atol=1e-6)


def test_short_sequences_keep_their_sequential_results():
    # A sequence of one block is computed as before: the same bits whether or not a long
    # sequence sits beside it.
    seqs, categories = skewed_sequences(5, [3 * BLOCK], 50, 300, 0.1, 0.3)
    short = np.flatnonzero(seqs.lengths <= BLOCK)
    alone = encode(seqs.take(short), categories, 2)
    together = encode(seqs, categories, 2)
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b[short])
