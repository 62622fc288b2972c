"""Grouping a log where one entity holds a large share of the events (a crawler): its
time sort is shared by every thread, and the result is the stable sort whatever the
thread count."""

import numpy as np
import pandas as pd
import pytest

from oddseq import _core
from oddseq.sequences import Sequences

LONG_SORT = 1 << 18  # sequences longer than this are sorted by every thread


def crawler_log(n, share, seed, ordered=False):
    rng = np.random.default_rng(seed)
    user = rng.integers(0, 2_000, n) * 7919  # sparse ids: hashed, then relabelled
    user[rng.random(n) < share] = -5
    times = rng.integers(0, 20_000, n)  # many equal times: ties keep the row order
    if ordered:
        times = np.sort(times)
    return pd.DataFrame(
        {
            "user": user,
            "event": rng.choice(["pv", "cart", "buy"], n),
            "ts": times,
            "item": rng.integers(0, 10**6, n),
        }
    )


@pytest.mark.parametrize("ordered", [False, True])
def test_a_crawler_is_grouped_as_a_stable_sort_for_any_thread_count(ordered):
    df = crawler_log(700_000, 0.5, seed=1, ordered=ordered)
    expected = df.sort_values(["user", "ts"], kind="stable")
    sizes = expected.groupby("user", sort=True).size()
    assert sizes.max() > LONG_SORT
    for n_threads in (1, 2, 7):
        seqs = Sequences.from_events(
            df, entity="user", event="event", time="ts", item="item", n_threads=n_threads
        )
        assert seqs.ids.tolist() == sizes.index.tolist()
        np.testing.assert_array_equal(np.diff(seqs.offsets), sizes.to_numpy())
        np.testing.assert_array_equal(seqs.item_labels[seqs.items], expected["item"].to_numpy())
        np.testing.assert_array_equal(seqs.times, expected["ts"].to_numpy() * 10**9)
        np.testing.assert_array_equal(seqs.event_labels[seqs.events], expected["event"].to_numpy())


@pytest.mark.parametrize("n_threads", [1, 2, 7])
def test_group_rows_with_a_map_that_merges_codes_keeps_the_row_order(n_threads):
    # Codes 0 and 2 both map to entity 1: rows are placed by entity, in row order.
    rng = np.random.default_rng(2)
    n = 300_000
    codes = rng.integers(0, 3, n).astype(np.int64)
    code_map = np.array([1, 0, 1], dtype=np.int64)
    times = rng.integers(0, 50, n).astype(np.int64)
    grouped = _core.group_rows(codes, code_map, 2, times, n_threads)
    order, offsets, sorted_times = grouped.order, grouped.offsets, grouped.sorted_times
    entity = code_map[codes]
    expected = np.lexsort((np.arange(n), times, entity))
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(sorted_times, times[expected])
    np.testing.assert_array_equal(offsets, [0, (entity == 0).sum(), n])


@pytest.mark.parametrize("crawler", [0.0, 0.4])
def test_many_entities_are_grouped_through_buckets_as_a_stable_sort(crawler):
    # Over 65,536 entities rows go through buckets of entities first (the direct scatter
    # misses the cache on every row): the same stable order, for any thread count.
    rng = np.random.default_rng(3)
    n = 800_000
    user = rng.integers(0, 150_000, n) * 31 + 7
    user[rng.random(n) < crawler] = 10**12
    df = pd.DataFrame({"user": user, "ts": rng.integers(0, 1_000, n), "item": np.arange(n)})
    expected = df.sort_values(["user", "ts"], kind="stable")
    for n_threads in (1, 2, 7):
        seqs = Sequences.from_events(df, entity="user", time="ts", item="item", n_threads=n_threads)
        assert len(seqs) > 1 << 16
        np.testing.assert_array_equal(seqs.ids.to_numpy(), np.unique(user))
        np.testing.assert_array_equal(seqs.item_labels[seqs.items], expected["item"].to_numpy())
        np.testing.assert_array_equal(seqs.times, expected["ts"].to_numpy() * 10**9)


@pytest.mark.parametrize(
    ("n_entities", "crawler"),
    [(40, 0.0), (90_000, 0.0), (90_000, 0.6), (3, 0.9)],
    ids=["direct", "bucketed", "bucketed-crawler", "direct-crawler"],
)
@pytest.mark.parametrize("with_times", [True, False])
def test_carried_columns_move_with_the_rows(n_entities, crawler, with_times):
    # Columns carried through group_rows come out as a gather by the grouped order
    # would give them, whatever their width, the path (direct, through buckets, a
    # sequence long enough for the parallel time sort) and the thread count.
    rng = np.random.default_rng(11)
    n = 700_000
    codes = rng.integers(0, n_entities, n).astype(np.int64)
    codes[rng.random(n) < crawler] = 1
    times = rng.integers(0, 1_000, n).astype(np.int64) if with_times else None
    columns = [
        rng.integers(0, 200, n).astype(np.uint8),
        rng.integers(-30_000, 30_000, n).astype(np.int16),
        rng.integers(0, 10**6, n).astype(np.int32),
        rng.normal(size=n),
    ]
    for n_threads in (1, 2, 3):
        grouped = _core.group_rows(codes, None, n_entities, times, n_threads, carried=columns)
        assert [c.dtype for c in grouped.carried] == [c.dtype for c in columns]
        for column, moved in zip(columns, grouped.carried):
            np.testing.assert_array_equal(moved, column[grouped.order])
        expected = np.lexsort(
            (np.arange(n), codes) if times is None else (np.arange(n), times, codes)
        )
        np.testing.assert_array_equal(grouped.order, expected)
        bare = _core.group_rows(
            codes, None, n_entities, times, n_threads, carried=columns, with_order=False
        )
        assert bare.order is None
        np.testing.assert_array_equal(bare.offsets, grouped.offsets)
        for a, b in zip(bare.carried, grouped.carried):
            np.testing.assert_array_equal(a, b)


def test_a_carried_column_of_another_length_is_refused():
    codes = np.zeros(5, dtype=np.int64)
    with pytest.raises(ValueError, match="as long as codes"):
        _core.group_rows(codes, None, 1, None, 1, carried=[np.zeros(4, dtype=np.int32)])
    with pytest.raises(ValueError, match="C-contiguous 1-D"):
        _core.group_rows(codes, None, 1, None, 1, carried=[np.zeros(10, dtype=np.int32)[::2]])
    with pytest.raises(ValueError, match="numbers or times"):  # references are not bits
        _core.group_rows(codes, None, 1, None, 1, carried=[np.array(list("abcde"), object)])
    with pytest.raises(ValueError, match="numpy array"):
        _core.group_rows(codes, None, 1, None, 1, carried=[[0, 1, 2, 3, 4]])
