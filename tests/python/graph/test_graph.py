"""The entity-object graph and the peeling: against pandas and a plain Python greedy."""

import heapq
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oddseq import _core
from oddseq.graph import EntityObjectGraph, fraudar_weights
from oddseq.sequences import Sequences


def reference_peel(offsets, cols, n_cols, weight, alive):
    """FRAUDAR's greedy in plain Python (heapq with stale entries), the same arithmetic
    and tie-breaking (smaller priority, then smaller node id; rows before columns)."""
    n_rows = len(offsets) - 1
    by_col = [[] for _ in range(n_cols)]
    for r in range(n_rows):
        for e in range(offsets[r], offsets[r + 1]):
            by_col[cols[e]].append(r)
    prio = [0.0] * (n_rows + n_cols)
    for r in range(n_rows):
        if alive[r]:
            s = 0.0
            for e in range(offsets[r], offsets[r + 1]):
                s += weight[cols[e]]
            prio[r] = s
    for c in range(n_cols):
        if weight[c] > 0:
            s = 0.0
            for r in by_col[c]:
                if alive[r]:
                    s += weight[c]
            prio[n_rows + c] = s
    nodes = [v for v in range(n_rows + n_cols) if prio[v] > 0]
    f = 0.0
    for r in range(n_rows):
        f += prio[r]
    if not nodes:
        return [], [], 0.0
    heap = [(prio[v], v) for v in nodes]
    heapq.heapify(heap)
    present = set(nodes)
    n0 = len(nodes)
    best, best_step, removed = f / n0, 0, []
    for step in range(1, n0):
        while True:
            p, v = heapq.heappop(heap)
            if v in present and p == prio[v]:
                break
        present.discard(v)
        removed.append(v)
        f -= prio[v]
        if v < n_rows:
            neighbours = [
                (n_rows + cols[e], weight[cols[e]]) for e in range(offsets[v], offsets[v + 1])
            ]
        else:
            neighbours = [(r, weight[v - n_rows]) for r in by_col[v - n_rows]]
        for u, w in neighbours:
            if u in present:
                prio[u] -= w
                heapq.heappush(heap, (prio[u], u))
        g = f / (n0 - step)
        if g > best:
            best, best_step = g, step
    block = set(nodes) - set(removed[:best_step])
    rows = sorted(v for v in block if v < n_rows)
    bcols = sorted(v - n_rows for v in block if v >= n_rows)
    inside = set(bcols)
    total = 0.0
    for r in rows:
        for e in range(offsets[r], offsets[r + 1]):
            if cols[e] in inside:
                total += weight[cols[e]]
    return rows, bcols, total / (len(rows) + len(bcols))


def density(offsets, cols, weight, rows, bcols):
    inside = set(bcols)
    total = sum(
        weight[cols[e]]
        for r in rows
        for e in range(offsets[r], offsets[r + 1])
        if cols[e] in inside
    )
    return total / (len(rows) + len(bcols)) if rows or bcols else 0.0


edge_lists = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 6)), min_size=1, max_size=40)


def graph_of(pairs, n_rows=8, n_cols=7):
    users = np.array([p[0] for p in pairs], dtype=np.int64)
    items = np.array([p[1] for p in pairs], dtype=np.int64)
    order = np.argsort(users, kind="stable")
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.add.at(offsets, users + 1, 1)
    offsets = np.cumsum(offsets)
    g = _core.build_bipartite(offsets, items[order], None, n_cols, 1)
    return g.offsets, g.cols


@given(edge_lists, st.floats(1.5, 20.0), st.lists(st.booleans(), min_size=8, max_size=8))
def test_peel_matches_python_reference(pairs, c, alive):
    offsets, cols = graph_of(pairs)
    degree = np.bincount(cols, minlength=7)
    weight = fraudar_weights(degree, c, min_entities=1)
    alive = np.array(alive, dtype=np.uint8)
    t = _core.graph_transpose(offsets, cols, 7, 1)
    col_offsets, row_of = t.col_offsets, t.row_of
    ours = _core.peel_densest(offsets, cols, col_offsets, row_of, weight, alive, 1)
    rows, bcols, dens = reference_peel(offsets.tolist(), cols.tolist(), 7, weight.tolist(), alive)
    assert ours.rows.tolist() == rows
    assert ours.cols.tolist() == bcols
    assert ours.density == dens  # the same greedy, the same arithmetic: exactly equal
    threaded = _core.peel_densest(offsets, cols, col_offsets, row_of, weight, alive, 2)
    assert threaded.density == ours.density
    assert threaded.rows.tolist() == rows


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=20))
def test_peel_is_a_two_approximation(pairs):
    """Brute force over every node subset of a 5 x 5 graph: the greedy's density is at
    least half the best (FRAUDAR's guarantee), and the reported density is exact."""
    offsets, cols = graph_of(pairs, 5, 5)
    weight = fraudar_weights(np.bincount(cols, minlength=5), 5.0, min_entities=1)
    t = _core.graph_transpose(offsets, cols, 5, 1)
    col_offsets, row_of = t.col_offsets, t.row_of
    ours = _core.peel_densest(offsets, cols, col_offsets, row_of, weight, np.ones(5, np.uint8), 1)
    best = 0.0
    for k in range(1, 6):
        for rows in itertools.combinations(range(5), k):
            for j in range(1, 6):
                for bcols in itertools.combinations(range(5), j):
                    best = max(best, density(offsets, cols, weight, rows, bcols))
    got = density(offsets, cols, weight, ours.rows.tolist(), ours.cols.tolist())
    assert got == pytest.approx(ours.density, rel=1e-12, abs=1e-12)
    assert ours.density >= best / 2 - 1e-12
    assert ours.density <= best + 1e-12


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 5), st.integers(0, 50)),
        min_size=1,
        max_size=60,
    )
)
def test_graph_matches_pandas(rows):
    df = pd.DataFrame(rows, columns=["user", "item", "ts"])
    g = EntityObjectGraph.from_events(df, entity="user", object="item", time="ts", n_threads=2)
    expected = df.groupby(["user", "item"]).ts.agg(["size", "min", "max"])
    got = (
        pd.DataFrame(
            {
                "user": np.repeat(g.ids, np.diff(g.offsets)),
                "item": g.col_labels[g.cols],
                "size": g.counts,
                "min": g.first_time // 10**9,
                "max": g.last_time // 10**9,
            }
        )
        .set_index(["user", "item"])
        .sort_index()
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_names=False)
    assert g.n_edges == len(expected)


def test_graph_chunks_and_threads_agree():
    rng = np.random.default_rng(1)
    n = 50_000
    offsets = np.concatenate([[0], np.sort(rng.integers(0, n, 999)), [n]]).astype(np.int64)
    keys = rng.integers(-1, 300, n).astype(np.int32)
    times = rng.integers(0, 10**6, n).astype(np.int64)
    a = _core.build_bipartite(offsets, keys, times, 300, 1)
    b = _core.build_bipartite(offsets, keys.astype(np.int64), times, 300, 2)
    for field in ("offsets", "cols", "counts", "first_time", "last_time"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.counts.sum() == (keys >= 0).sum()
    static = _core.build_bipartite(offsets, keys, None, 300, 1)
    assert static.first_time is None and static.last_time is None
    np.testing.assert_array_equal(static.cols, a.cols)


def test_graph_from_sequences_and_several_columns():
    df = pd.DataFrame(
        {
            "u": [1, 1, 2, 3],
            "e": ["pv"] * 4,
            "t": [0, 1, 2, 3],
            "dev": ["x", "y", "x", None],
            "ip": ["i", "i", "j", "j"],
        }
    )
    seqs = Sequences.from_events(df, entity="u", event="e", time="t", item="dev")
    g = EntityObjectGraph.from_events(seqs)
    assert g.n_rows == 3 and g.n_edges == 3  # user 3's device is missing
    g2 = EntityObjectGraph.from_events(df, entity="u", object=["dev", "ip"])
    assert list(g2.col_labels) == [("dev", "x"), ("dev", "y"), ("ip", "i"), ("ip", "j")]
    assert g2.row_degree.tolist() == [3, 2, 1]


def test_bindings_reject_bad_arrays():
    with pytest.raises(ValueError, match="offsets"):
        _core.build_bipartite(np.array([0, 5], np.int64), np.zeros(3, np.int64), None, 1, 1)
    with pytest.raises(IndexError):
        _core.build_bipartite(np.array([0, 2], np.int64), np.array([0, 9], np.int64), None, 2, 1)
    with pytest.raises(TypeError):
        _core.build_bipartite(np.array([0, 1], np.int64), np.zeros(1, np.float64), None, 1, 1)
