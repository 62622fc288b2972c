"""The C++ construction of the lockstep and static graphs from events arranged by object:
against the Python construction it replaced, numpy, and the thread count."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq import _core
from oddseq.graph import GroupDetector
from oddseq.graph._detector import _ranges, _rows_with
from oddseq.graph._null import poisson_surprise


def random_log(seed, n_rows, n_events, n_objects, n_keys=1, span=10_000, missing=0.1):
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.integers(0, n_events + 1, n_rows - 1))
    offsets = np.concatenate([[0], cuts, [n_events]]).astype(np.int64)
    keys = rng.integers(0, n_objects, n_events * n_keys)
    keys[rng.random(keys.size) < missing] = -1
    times = rng.integers(0, span, n_events).astype(np.int64)
    return offsets, keys.astype(np.int64), times


def binning(times, window):
    t0 = int(times.min())
    return t0, (int(times.max()) - t0) // window + 2, window, max(window // 2, 1)


def old_lockstep(offsets, keys, n_keys, times, n_objects, window, min_lift, min_burst):
    """The Python/numpy construction this replaced (GroupDetector._temporal_graph before
    the C++ pass), with its column codes in sorted key order: every column of the
    entity x (object, bin) graph over both grids materialised, then weighted."""
    t0, n_bins, window, half = binning(times, window)
    n_rows = len(offsets) - 1
    static = _core.build_bipartite(offsets * n_keys, keys, None, n_objects, 1)
    object_degree = np.bincount(static.cols, minlength=n_objects)
    rel = times - t0
    bin_a, bin_b = rel // window, (rel + half) // window
    share = np.stack(
        [np.bincount(bin_a, minlength=n_bins), np.bincount(bin_b, minlength=n_bins)]
    ) / max(len(times), 1)
    k = keys.reshape(-1, n_keys)
    both = np.empty((k.shape[0], n_keys, 2), dtype=np.int64)
    both[:, :, 0] = (k * n_bins + bin_a[:, None]) * 2
    both[:, :, 1] = (k * n_bins + bin_b[:, None]) * 2 + 1
    both[k < 0] = -1
    flat = both.reshape(-1)
    found = _core.factorize_int64(flat, 1, True)
    codes, uniques = found.codes, found.uniques
    codes[flat < 0] = -1
    g = _core.build_bipartite(offsets * 2 * n_keys, codes, None, len(uniques), 1)
    degree = np.bincount(g.cols, minlength=len(uniques))
    weight = np.zeros(degree.size)
    candidate = np.flatnonzero((degree >= 2) & (uniques >= 0))
    key = uniques[candidate]
    grid, rest = key & 1, key >> 1
    obj, b = rest // n_bins, rest % n_bins
    expected = object_degree[obj] * share[grid, b]
    lifted = degree[candidate] >= min_lift * expected
    candidate, expected = candidate[lifted], expected[lifted]
    surprise = poisson_surprise(degree[candidate], expected)
    strong = surprise >= min_burst
    weight[candidate[strong]] = surprise[strong]
    # The searched part: weighted columns only, renumbered in key order.
    kept = np.flatnonzero(weight > 0)
    new_id = np.full(len(uniques), -1)
    new_id[kept] = np.arange(kept.size)
    edge_col = new_id[g.cols]
    edge_row = np.repeat(np.arange(n_rows), np.diff(g.offsets))
    on = edge_col >= 0
    return {
        "row_degree": np.diff(g.offsets),
        "n_edges": int(g.offsets[-1]),
        "object_degree": object_degree,
        "edges": sorted(zip(edge_row[on].tolist(), edge_col[on].tolist(), strict=True)),
        "weight": weight[kept],
        "keys": uniques[kept],
        "col_degree": degree[kept],
    }


def new_lockstep(offsets, keys, n_keys, times, n_objects, window, min_lift, min_burst, threads):
    t0, n_bins, window, half = binning(times, window)
    n_rows = len(offsets) - 1
    by = _core.events_by_object(
        offsets,
        keys,
        n_keys,
        n_objects,
        _core.TimeBins(times=times, t0=t0, window=window, half=half, n_bins=n_bins),
        threads,
    )
    det = GroupDetector(min_lift=min_lift, min_burst=min_burst, n_threads=threads)
    graph, row_degree, col_degree, n_edges, decode, weight, *_ = det._lockstep_graph(
        by, n_rows, (t0, n_bins, window, half), threads
    )
    edge_row = np.repeat(np.arange(n_rows), np.diff(graph.offsets))
    return {
        "row_degree": row_degree,
        "n_edges": n_edges,
        "edges": sorted(zip(edge_row.tolist(), graph.cols.tolist(), strict=True)),
        "weight": weight,
        "keys": decode(np.arange(weight.size))[3],
        "col_degree": col_degree,
    }


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(1, 30),
    st.integers(1, 300),
    st.integers(1, 40),
    st.sampled_from([1, 2]),
    st.sampled_from([1, 7, 100, 1000]),
    st.sampled_from([0.0, 5.0]),
    st.sampled_from([0.0, 2.0]),
)
def test_lockstep_matches_the_python_construction(
    seed, n_rows, n_events, n_objects, n_keys, window, min_lift, min_burst
):
    offsets, keys, times = random_log(seed, n_rows, n_events, n_objects, n_keys)
    old = old_lockstep(offsets, keys, n_keys, times, n_objects, window, min_lift, min_burst)
    for threads in (1, 3):
        new = new_lockstep(
            offsets, keys, n_keys, times, n_objects, window, min_lift, min_burst, threads
        )
        np.testing.assert_array_equal(new["row_degree"], old["row_degree"])
        assert new["n_edges"] == old["n_edges"]
        assert new["edges"] == old["edges"]
        np.testing.assert_array_equal(new["keys"], old["keys"])
        np.testing.assert_array_equal(new["col_degree"], old["col_degree"])
        np.testing.assert_array_equal(new["weight"], old["weight"])  # bit for bit


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.integers(0, 400), st.integers(1, 50))
def test_events_by_object_is_a_stable_sort_by_object(seed, n_rows, n_events, n_objects):
    offsets, keys, times = random_log(seed, n_rows, n_events, n_objects, 2)
    times = times if n_events else np.zeros(0, np.int64)
    t0, n_bins, window, half = binning(times, 60) if n_events else (0, 1, 60, 30)
    row_of_slot = np.repeat(np.arange(n_rows), np.diff(offsets) * 2)
    time_of_slot = np.repeat(times, 2)
    present = keys >= 0
    order = np.argsort(keys[present], kind="stable")
    for threads in (1, 2, 5):
        by = _core.events_by_object(
            offsets,
            keys,
            2,
            n_objects,
            _core.TimeBins(times=times, t0=t0, window=window, half=half, n_bins=n_bins),
            threads,
        )
        np.testing.assert_array_equal(
            by.offsets, np.r_[0, np.cumsum(np.bincount(keys[present], minlength=n_objects))]
        )
        np.testing.assert_array_equal(by.rows, row_of_slot[present][order])
        rel = time_of_slot[present][order] - t0
        codes = 2 * (rel // window) + (rel % window >= window - half)
        np.testing.assert_array_equal(by.codes, codes)
        rel = times - t0
        np.testing.assert_array_equal(
            by.bin_counts[0], np.bincount(rel // window, minlength=n_bins)
        )
        np.testing.assert_array_equal(
            by.bin_counts[1], np.bincount((rel + half) // window, minlength=n_bins)
        )
        plain = _core.events_by_object(offsets, keys.astype(np.int32), 2, n_objects, None, threads)
        np.testing.assert_array_equal(plain.rows, by.rows)
        assert plain.codes is None and plain.bin_counts is None


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.integers(0, 400), st.integers(1, 50))
def test_static_graph_from_objects_matches_build_bipartite(seed, n_rows, n_events, n_objects):
    offsets, keys, _ = random_log(seed, n_rows, n_events, n_objects)
    g = _core.build_bipartite(offsets, keys, None, n_objects, 1)
    for threads in (1, 2, 5):
        by = _core.events_by_object(offsets, keys, 1, n_objects, None, threads)
        distinct = _core.distinct_rows(by.offsets, by.rows, threads)
        col_offsets, row_of = distinct.offsets, distinct.rows
        assert row_of.dtype == np.int32
        t = _core.graph_transpose(g.offsets, g.cols, n_objects, threads)
        t_offsets, t_rows = t.col_offsets, t.row_of
        np.testing.assert_array_equal(col_offsets, t_offsets)
        np.testing.assert_array_equal(row_of, t_rows)
        back = _core.graph_transpose(col_offsets, row_of, n_rows, threads)
        offsets2, cols2 = back.col_offsets, back.row_of
        assert cols2.dtype == np.int32
        np.testing.assert_array_equal(offsets2, g.offsets)
        np.testing.assert_array_equal(cols2, g.cols)


def test_int32_and_int64_peels_agree():
    offsets, keys, _ = random_log(3, 400, 20_000, 900)
    g = _core.build_bipartite(offsets, keys, None, 900, 1)
    weight = 1.0 / np.log(np.bincount(g.cols, minlength=900) + 5.0)
    alive = np.ones(400, np.uint8)
    t64 = _core.graph_transpose(g.offsets, g.cols, 900, 2)
    co, ro = t64.col_offsets, t64.row_of
    wide = _core.peel_densest(g.offsets, g.cols, co, ro, weight, alive, 1)
    cols32 = g.cols.astype(np.int32)
    t32 = _core.graph_transpose(g.offsets, cols32, 900, 2)
    co32, ro32 = t32.col_offsets, t32.row_of
    for threads in (1, 2):
        narrow = _core.peel_densest(g.offsets, cols32, co32, ro32, weight, alive, threads)
        assert isinstance(narrow, _core.DenseBlock)
        for key in ("rows", "cols", "row_edges", "col_edges"):
            np.testing.assert_array_equal(getattr(narrow, key), getattr(wide, key))
        for key in ("weight", "density", "n_edges", "n_nodes"):
            assert getattr(narrow, key) == getattr(wide, key)


def test_lockstep_columns_thread_count_and_large_objects():
    """A popular object (most events) sorted by one thread while others run; the same
    columns and degrees for 1, 2 and 7 threads."""
    rng = np.random.default_rng(5)
    n = 200_000
    offsets = np.r_[0, np.sort(rng.integers(0, n, 2_999)), n].astype(np.int64)
    keys = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 5_000, n)).astype(np.int32)
    times = rng.integers(0, 86_400 * 3, n).astype(np.int64)
    t0, n_bins, window, half = binning(times, 3600)
    results = []
    for threads in (1, 2, 7):
        by = _core.events_by_object(
            offsets,
            keys,
            1,
            5_000,
            _core.TimeBins(times=times, t0=t0, window=window, half=half, n_bins=n_bins),
            threads,
        )
        share = by.bin_counts / n
        results.append(
            _core.lockstep_columns(by.offsets, by.rows, by.codes, 3_000, share, 5.0, threads)
        )
    fields = [f for f in dir(_core.LockstepColumns) if not f.startswith("_")]
    assert len(fields) == 10
    for other in results[1:]:
        for key in fields:
            np.testing.assert_array_equal(getattr(other, key), getattr(results[0], key))
    first = results[0]
    assert first.row_degree.sum() == first.n_edges
    members = first.members[_ranges(first.member_offsets, np.arange(first.col_object.size))]
    assert members.size == first.col_degree.sum()


def test_new_bindings_reject_bad_input():
    offsets = np.array([0, 2, 3], np.int64)
    keys = np.array([0, 1, 1], np.int64)
    times = np.array([0, 10, 20], np.int64)
    with pytest.raises(ValueError, match="offsets"):
        _core.events_by_object(np.array([0, 5], np.int64), keys, 1, 2, None, 1)
    with pytest.raises(ValueError, match="n_keys"):
        _core.events_by_object(offsets, keys, 2, 2, None, 1)
    with pytest.raises(IndexError, match="object code"):
        _core.events_by_object(offsets, keys, 1, 1, None, 1)
    with pytest.raises(IndexError, match="outside the bins"):
        _core.events_by_object(
            offsets, keys, 1, 2, _core.TimeBins(times=times, t0=5, window=10, half=5, n_bins=4), 1
        )
    with pytest.raises(ValueError, match="times"):
        _core.events_by_object(
            offsets,
            keys,
            1,
            2,
            _core.TimeBins(times=times[:2], t0=0, window=10, half=5, n_bins=4),
            1,
        )
    with pytest.raises(ValueError, match="window"):
        _core.events_by_object(
            offsets, keys, 1, 2, _core.TimeBins(times=times, t0=0, window=0, half=0, n_bins=4), 1
        )
    with pytest.raises(ValueError, match="n_bins"):
        _core.events_by_object(
            offsets,
            keys,
            1,
            2,
            _core.TimeBins(times=times, t0=0, window=1, half=1, n_bins=2**32),
            1,
        )
    with pytest.raises(TypeError):
        _core.events_by_object(offsets, keys.astype(float), 1, 2, None, 1)
    by = _core.events_by_object(
        offsets, keys, 1, 2, _core.TimeBins(times=times, t0=0, window=10, half=5, n_bins=4), 1
    )
    share = by.bin_counts / 3
    with pytest.raises(ValueError, match="shape"):
        _core.lockstep_columns(by.offsets, by.rows, by.codes, 2, share[0], 5.0, 1)
    with pytest.raises(ValueError, match="codes"):
        _core.lockstep_columns(by.offsets, by.rows, by.codes[:1], 2, share, 5.0, 1)
    with pytest.raises(IndexError, match="row"):
        _core.lockstep_columns(by.offsets, by.rows, by.codes, 1, share, 5.0, 1)
    with pytest.raises(IndexError, match="outside the bins"):
        _core.lockstep_columns(by.offsets, by.rows, by.codes, 2, share[:, :1].copy(), 5.0, 1)
    with pytest.raises(ValueError, match="offsets"):
        _core.distinct_rows(np.array([0, 9], np.int64), by.rows, 1)
    with pytest.raises(IndexError, match="column"):
        _core.graph_transpose(offsets, np.array([0, 1, 7], np.int32), 2, 1)


def test_window_too_small_for_the_span_is_a_clear_error():
    log = pd.DataFrame({"u": [1, 2, 3], "i": [1, 1, 1], "t": [0, 10**9, 2 * 10**9]})
    with pytest.raises(ValueError, match="wider window"):
        GroupDetector(window=1e-9).fit(log, entity="u", object="i", time="t", time_unit="s")


@given(st.lists(st.lists(st.booleans(), max_size=4), min_size=1, max_size=12))
def test_rows_with_any_flag(rows):
    """Per row of a CSR, whether any edge is flagged: empty rows (also at the end) are
    False, the last row's last edge counts."""
    offsets = np.r_[0, np.cumsum([len(r) for r in rows])].astype(np.int64)
    flags = np.array([f for r in rows for f in r], dtype=bool)
    np.testing.assert_array_equal(_rows_with(flags, offsets), [any(r) for r in rows])
