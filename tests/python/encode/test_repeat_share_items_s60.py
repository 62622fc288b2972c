"""``repeat_previous_item_share`` is read over the events that name an item (trial s59
M1): a card tester whose item-less ``add_card`` events sit between its payments on one
restaurant repeated that restaurant 96.5% of the time, yet the share said 0.036 and led
its reason as if it hopped between items. Events without an item neither make nor break a
run; the share is repeats / (events with an item - 1), 0 below two such events. The
batch's short and blocked paths and the stream (late events included) agree."""

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.encode import DiversityEncoder
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

BLOCK = 1 << 16


def repeat_share(items):
    """The share in plain Python: items None or NaN are skipped."""
    named = [i for i in items if i is not None and not (isinstance(i, float) and np.isnan(i))]
    if len(named) < 2:
        return 0.0
    return sum(a == b for a, b in zip(named[:-1], named[1:])) / (len(named) - 1)


def encoded_share(item_lists, n_threads=1):
    lengths = [len(items) for items in item_lists]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    items = np.array([np.nan if i is None else i for s in item_lists for i in s], dtype=float)
    events = np.where(np.isnan(items), "add_card", "pay")
    seqs = Sequences.from_arrays(offsets, events, items=items)
    enc = DiversityEncoder(n_threads=n_threads).set_output(transform="pandas")
    return enc.fit_transform(seqs)["repeat_previous_item_share"].to_numpy()


def test_item_less_events_do_not_break_a_run():
    tester = [7, None, 7, None, None, 7, None, 7]
    hopper = [1, 2, 3, 4]
    mixed = [1, None, 1, 2, None, 2, 3]
    got = encoded_share([tester, hopper, mixed])
    np.testing.assert_allclose(got, [1.0, 0.0, 2 / 4], rtol=1e-6)
    assert got[0] == 1.0  # was 0 before: every pair of neighbours had an item-less one


@pytest.mark.parametrize(
    "items, expected",
    [([None, None, None], 0.0), ([None, 5, None], 0.0), ([5], 0.0), ([5, None, 5], 1.0)],
)
def test_sparse_items_share_over_the_named_ones(items, expected):
    assert encoded_share([items])[0] == expected


def test_the_share_matches_a_plain_reference_on_random_gaps():
    rng = np.random.default_rng(60)
    lists = []
    for _ in range(200):
        n = int(rng.integers(1, 40))
        items = rng.integers(0, 3, n).astype(float)
        items[rng.random(n) < rng.choice([0.0, 0.3, 0.8])] = np.nan
        lists.append([None if np.isnan(i) else int(i) for i in items])
    got = encoded_share(lists)
    np.testing.assert_allclose(got, [repeat_share(s) for s in lists], rtol=1e-6, atol=0)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_runs_across_blocks_without_items_between(n_threads):
    """A crawler longer than a block (its blocks summed apart): whole blocks without an
    item sit between two equal items, which are still one run."""
    n = 3 * BLOCK + 11
    items = [None] * n
    for at, item in [(5, 9), (BLOCK - 1, 9), (2 * BLOCK + 3, 9), (2 * BLOCK + 4, 4), (n - 1, 4)]:
        items[at] = item
    short = [None, 9, None, 9]
    got = encoded_share([items, short], n_threads=n_threads)
    assert got[0] == pytest.approx(repeat_share(items)) == pytest.approx(3 / 4)
    assert got[1] == 1.0


def test_the_stream_reads_the_share_as_the_batch_with_late_events():
    """Item-less events arriving late, and item events arriving late past several
    item-less ones, move the live share as the batch on the same events has it."""
    rng = np.random.default_rng(1)
    n = 2_000
    log = pd.DataFrame(
        {
            "user": rng.integers(0, 60, n),
            "event": rng.choice(["view", "add_card", "buy"], n, p=[0.5, 0.3, 0.2]),
            "time": np.sort(rng.integers(0, 20_000, n)),
            "item": rng.integers(0, 3, n).astype(float),
        }
    )
    log.loc[log["event"] == "add_card", "item"] = np.nan
    roles = dict(entity="user", event="event", time="time", item="item")
    pipe = AnomalyPipeline(contamination=0.1).fit(Sequences.from_events(log, **roles))
    arrival = np.arange(n)
    for i in range(0, n - 1, 7):  # disjoint neighbours swapped: the later arrives first
        arrival[i], arrival[i + 1] = arrival[i + 1], arrival[i]
    for late, kept in [(0, None), (10_000, 2), (10_000, 64)]:
        order = arrival if late else np.arange(n)
        options = dict(lateness=late, max_late_events=kept) if late else {}
        live = StreamScorer(pipe, **options, **roles)
        for a in range(0, n, 137):
            live.update(log.iloc[order[a : a + 137]])
        assert live.counters["n_late_dropped"] == 0
        seqs = Sequences.from_events(log.iloc[order], **roles)
        column = list(pipe.feature_names_).index("repeat_previous_item_share")
        batch = pd.Series(pipe.encoder_.transform(seqs)[:, column], index=seqs.ids)
        got = live.features(batch.index)["repeat_previous_item_share"]
        np.testing.assert_array_equal(got.to_numpy(), batch.to_numpy(), err_msg=f"late {late}")
        in_time = log.iloc[order].sort_values("time", kind="stable")
        reference = [
            repeat_share(in_time.loc[in_time["user"] == u, "item"].tolist()) for u in batch.index
        ]
        np.testing.assert_allclose(batch.to_numpy(), reference, rtol=1e-6)
