"""The reuse of large blocks within a call (utils/_memory.py, core/block_pool.hpp)."""

import gc
import sys
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oddseq
from oddseq import _core
from oddseq.utils._memory import reused_memory, reusing_memory

try:
    from numpy._core.multiarray import get_handler_name
except ImportError:  # numpy 1.x
    from numpy.core.multiarray import get_handler_name

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="blocks are cached on Linux only"
)
BIG = 1_000_000  # float64 elements: 8 MB, above the pool's 4 MB


def stats():
    return _core.block_pool_stats()


def test_arrays_in_a_scope_use_the_pool_and_small_ones_numpy_s_own():
    with reused_memory():
        big, small = np.ones(BIG), np.ones(10)
        assert get_handler_name(big) == "oddseq_block_pool"
        assert get_handler_name(small) == "oddseq_block_pool"  # (freed by numpy's own)
    assert get_handler_name(np.ones(BIG)) != "oddseq_block_pool"
    before = stats()["in_use_bytes"]
    del big, small
    gc.collect()
    assert stats()["in_use_bytes"] <= before - 8 * 1000 * 1000  # freed after the scope


@linux_only
def test_a_freed_block_serves_the_next_request_and_calloc_is_zero():
    with reused_memory():
        dirty = np.full(BIG, 7.0)
        del dirty
        first = stats()
        assert first["cached_bytes"] >= 8 * 1024 * 1024
        again = np.zeros(BIG)  # calloc from a reused block: cleared
        after = stats()
        assert after["reused"] == first["reused"] + 1
        assert after["fresh"] == first["fresh"]
        assert not again.any()
        empty = np.empty(BIG // 2)  # a part of a cached block
        empty[:] = 1.0
        assert empty.sum() == BIG // 2
        del again, empty
    assert stats()["cached_bytes"] == 0  # the scope's end frees the cache


@linux_only
def test_nested_scopes_keep_the_cache_until_the_outermost_ends():
    with reused_memory():
        with reused_memory():
            block = np.ones(BIG)
            del block
        assert stats()["open_scopes"] >= 1
        assert stats()["cached_bytes"] >= 8 * 1024 * 1024
    assert stats()["cached_bytes"] == 0


def test_resize_keeps_the_values():
    with reused_memory():
        grown = np.arange(BIG, dtype=np.float64)
        grown.resize(3 * BIG, refcheck=False)  # numpy's realloc of a pool block
        assert np.array_equal(grown[:BIG], np.arange(BIG, dtype=np.float64))
        assert not grown[BIG:].any()
        shrunk = np.arange(BIG, dtype=np.float64)
        shrunk.resize(10, refcheck=False)  # into numpy's own small block
        assert np.array_equal(shrunk, np.arange(10, dtype=np.float64))
        small = np.arange(10, dtype=np.float64)
        small.resize(BIG, refcheck=False)  # numpy's block grows through numpy's realloc
        assert np.array_equal(small[:10], np.arange(10, dtype=np.float64))


def test_other_threads_keep_numpy_s_own_handler():
    seen = {}

    def elsewhere():
        seen["name"] = get_handler_name(np.ones(BIG))

    with reused_memory():
        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
    assert seen["name"] != "oddseq_block_pool"


@linux_only
@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 12)), min_size=1, max_size=30))
def test_the_cache_never_holds_more_than_the_most_in_use(steps):
    """In use plus cached never exceeds the most that was in use at once (a miss frees
    cached blocks worth its size before a fresh one is mapped)."""
    base = stats()["in_use_bytes"]
    live, most = [], 0
    with reused_memory():
        for allocate, megabytes in steps:
            if allocate or not live:
                live.append(np.empty(megabytes * 1024 * 1024 // 8 + 600_000))
            else:
                live.pop(megabytes % len(live))
            now = stats()
            most = max(most, now["in_use_bytes"] - base)
            assert now["in_use_bytes"] - base + now["cached_bytes"] <= most
        live.clear()
    assert stats()["cached_bytes"] == 0


def test_the_core_s_scratch_buffers_use_the_pool():
    keys = np.random.default_rng(0).integers(0, 1 << 40, size=BIG)
    with reused_memory():
        before = stats()
        found = _core.factorize_int64(keys, 1, sort=True)
        after = stats()
    assert after["reused"] + after["fresh"] > before["reused"] + before["fresh"]
    codes, uniques = np.asarray(found.codes), np.asarray(found.uniques)
    assert np.array_equal(uniques[codes], keys)


def test_the_one_call_is_the_same_with_and_without_reuse(monkeypatch):
    rng = np.random.default_rng(1)
    n = 60_000
    df = pd.DataFrame(
        {
            "user": rng.integers(0, 600, n),
            "event": rng.choice(["view", "cart", "buy"], n),
            "time": np.sort(rng.integers(0, 10**7, n)),
            "item": rng.integers(0, 5_000, n),
        }
    )
    kw = dict(entity="user", event="event", time="time", item="item", groups=False)
    pooled = oddseq.detect_anomalies(df, **kw)
    monkeypatch.setattr(_core, "block_pool_enter", lambda: None)
    monkeypatch.setattr(_core, "block_pool_leave", lambda token: None)
    plain = oddseq.detect_anomalies(df, **kw)
    pd.testing.assert_frame_equal(pooled, plain)


def test_the_wrapper_keeps_the_name_and_the_errors():
    @reusing_memory
    def refuse(x):
        """Doc."""
        raise ValueError(f"bad {x}")

    assert refuse.__name__ == "refuse" and refuse.__doc__ == "Doc."
    before = stats()["open_scopes"]
    with pytest.raises(ValueError, match="bad 3"):
        refuse(3)
    assert stats()["open_scopes"] == before


@linux_only
def test_blocks_of_an_earlier_size_go_back_once_requests_shrink():
    """The cache keeps at most twice the largest of the recent requests: after a stage of
    40 MB arrays, a stage of 6 MB ones leaves no more than 12 MB cached."""
    with reused_memory():
        big = np.empty(5_000_000)  # 40 MB
        del big
        assert stats()["cached_bytes"] >= 40_000_000
        for _ in range(300):
            small = np.empty(700_000)  # 5.6 MB: a 6 MB block
            del small
        assert stats()["cached_bytes"] <= 2 * 6 * 1024 * 1024
    assert stats()["cached_bytes"] == 0
