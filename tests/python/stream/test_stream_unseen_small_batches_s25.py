"""The stream's memory of unseen event types on small batches of many entities: kept one
event at a time without hashing the types or factorizing the entities first (5,000
clients in batches of 2,500 were ~0.4 s slower than the one-at-a-time loop for that
work, 2 M events; session 25, H1), and kept exactly as one event at a time keeps them."""

import numpy as np
import pandas as pd

from oddseq.stream import _checks
from oddseq.stream._checks import UnseenTypes


class _Scorer:  # (UnseenTypes only asks its scorer when it forgets entities)
    pass


def _memory():
    memory = UnseenTypes(_Scorer())
    memory.bound = 10**12  # (every entity tracked: none forgotten)
    return memory


def _batches(n_clients, n_events, size, seed=228):
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, n_clients, n_events).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    labels = np.char.add("/new/", rng.integers(0, 300, n_events).astype(str)).astype(object)
    return [(keys[i : i + size], labels[i : i + size]) for i in range(0, n_events, size)]


def _kept(memory):
    return [(k, list(v.items())) for k, v in memory.by_key.items()], sorted(memory.more.items())


def test_small_batches_of_many_entities_go_one_at_a_time_first(monkeypatch):
    calls = []

    def counted(name, real):
        def call(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(_checks, "_text_hashes", counted("hashes", _checks._text_hashes))
    monkeypatch.setattr(pd, "factorize", counted("factorize", pd.factorize))
    memory = _memory()
    for keys, labels in _batches(5_000, 20_000, 2_500):
        memory.add(keys, labels)
    assert calls == []
    # Few entities, a large batch: counted in numpy as before.
    for keys, labels in _batches(50, 20_000, 10_000):
        memory.add(keys, labels)
    assert "factorize" in calls and "hashes" in calls


def test_every_batch_size_keeps_what_one_event_at_a_time_keeps():
    for clients, size in ((5_000, 2_500), (50, 2_500), (50, 10_000), (3_000, 9_000)):
        each, batched = _memory(), _memory()
        for keys, labels in _batches(clients, 30_000, size, seed=229):
            each._add_each(keys, labels)
            batched.add(keys, labels)
        assert _kept(batched) == _kept(each), (clients, size)
