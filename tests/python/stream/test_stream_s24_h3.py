"""Session 24 (H3): the stream's leftovers of issue 14. A batch's events of unseen types
kept in numpy, not one by one. Data seeds 220-221."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._checks import UNSEEN_KEPT, UnseenTypes

ROLES = dict(entity="c", event="p", time="t")
PATHS = [f"/p{i}" for i in range(6)]


@pytest.fixture(scope="module")
def web():
    rng = np.random.default_rng(220)
    n = 20_000
    fit = pd.DataFrame(
        {
            "c": rng.integers(0, 300, n),
            "p": rng.choice(PATHS, n),
            "t": np.sort(rng.integers(0, 86_400, n)),
        }
    )
    pipe = oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(fit, **ROLES))
    assert "count[<other>]" in pipe.feature_names_
    return fit, pipe


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
