"""The count index (manhattan neighbours of rows of integers in [0, 255]): its SIMD
kernels at every level, and NearestNeighbors' searches on it against the kd-tree's and a
brute-force reference (distances, and ties to the smaller row), with copies, ties,
queries it cannot hold (values above 255, fractions) and any thread count."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors as SkNearestNeighbors

from oddseq import _core
from oddseq.cluster import NearestNeighbors, _neighbors

LEVELS = [level for level in ("scalar", "avx2", "avx512") if _core.simd_is_supported(level)]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("d", [1, 16, 35, 64, 65, 130])
def test_l1_u8_kernel_is_exact(level, d):
    rng = np.random.default_rng(d)
    q = rng.integers(0, 256, d).astype(np.uint8)
    rows = rng.integers(0, 256, (37, d)).astype(np.uint8)
    rows[0] = q
    rows[1] = 255 - q  # the largest differences
    expected = np.abs(rows.astype(np.int64) - q.astype(np.int64)).sum(axis=1)
    assert np.array_equal(_core.simd_l1_u8(q, rows, level), expected)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("limit", [0, 1, 40, 500, 4080, 2**31, 2**32 - 1])
def test_l1_u8x16_screen_is_exact(level, limit):
    rng = np.random.default_rng(limit % 1000)
    q = rng.integers(0, 256, 16).astype(np.uint8)
    rows = np.concatenate(
        [
            rng.integers(0, 256, (150, 16)),
            np.clip(q.astype(np.int64) + rng.integers(-3, 4, (60, 16)), 0, 255),
            np.tile(q, (3, 1)),
            np.tile(255 - q, (3, 1)),
        ]
    ).astype(np.uint8)
    bounds = np.abs(rows.astype(np.int64) - q.astype(np.int64)).sum(axis=1)
    assert np.array_equal(_core.simd_l1_u8x16_within(q, rows, limit, level), bounds <= limit)


def brute_knn(points, queries, k, exclude=None):
    """(distances, rows) of each query's k nearest points by (L1 distance, row)."""
    dist = np.abs(queries[:, None, :] - points[None, :, :]).sum(axis=2)
    if exclude is not None:
        dist[np.arange(len(queries)), exclude] = np.inf
    order = np.lexsort((np.broadcast_to(np.arange(len(points)), dist.shape), dist), axis=1)[:, :k]
    return np.take_along_axis(dist, order, axis=1), order


def kdtree_index(X, k, threads):
    return NearestNeighbors(
        n_neighbors=k, metric="manhattan", algorithm="kdtree", n_threads=threads
    ).fit(X)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 300),
    d=st.integers(1, 40),
    k=st.integers(1, 3),
    high=st.sampled_from([1, 3, 12, 255]),
    copies=st.booleans(),
    threads=st.sampled_from([1, 2]),
)
def test_property_count_index_is_exact(seed, n, d, k, high, copies, threads):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, high + 1, (n, d)).astype(np.float64)
    if copies:  # many rows repeated, some more than k times
        X = X[rng.integers(0, max(1, n // 8), n)]
    k = min(k, n - 1)
    index = NearestNeighbors(n_neighbors=k, metric="manhattan", n_threads=threads).fit(X)
    assert isinstance(index._tree, _neighbors._CountSearch)
    reference = kdtree_index(X, k, threads)
    # Each row against the others.
    dist, ind = index.kneighbors()
    want_dist, want_ind = brute_knn(X, X, k, exclude=np.arange(n))
    assert np.array_equal(dist, want_dist) and np.array_equal(ind, want_ind)
    ref_dist, ref_ind = reference.kneighbors()
    assert np.array_equal(dist, ref_dist) and np.array_equal(ind, ref_ind)
    # New queries, some of which the count index cannot hold (the kd-tree answers them).
    Q = rng.integers(0, high + 1, (25, d)).astype(np.float64)
    Q[:5] = X[rng.integers(0, n, 5)]
    Q[5, 0] = 300.0
    Q[6, -1] = 0.5
    dist, ind = index.kneighbors(Q, n_neighbors=k)
    want_dist, want_ind = brute_knn(X, Q, k)
    assert np.array_equal(dist, want_dist) and np.array_equal(ind, want_ind)
    # Radius counts (inclusive) at a distance that ties.
    radius = float(np.median(want_dist[:, -1])) or 1.0
    counts = index.radius_neighbors_count(Q, radius=radius)
    all_dist = np.abs(Q[:, None, :] - X[None, :, :]).sum(axis=2)
    assert np.array_equal(counts, (all_dist <= radius).sum(axis=1))
    assert np.array_equal(
        index.radius_neighbors_count(radius=radius), reference.radius_neighbors_count(radius=radius)
    )


def test_count_index_matches_sklearn_brute_force():
    rng = np.random.default_rng(5)
    X = rng.poisson(2.0, (3000, 35)).astype(np.float64)
    X[::7] = X[1::7]  # copies
    Q = rng.poisson(2.0, (400, 35)).astype(np.float64)
    for k in (1, 2):
        ours_d, ours_i = NearestNeighbors(n_neighbors=k, metric="manhattan").fit(X).kneighbors(Q)
        sk_d, _ = (
            SkNearestNeighbors(n_neighbors=k, metric="manhattan", algorithm="brute")
            .fit(X)
            .kneighbors(Q)
        )
        assert np.array_equal(ours_d, sk_d)
        want_d, want_i = brute_knn(X, Q, k)
        assert np.array_equal(ours_i, want_i)


def test_counts_above_255_or_fractions_stay_on_the_kdtree():
    X = np.array([[0.0, 1.0], [2.0, 300.0], [4.0, 5.0]])
    index = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(X)
    assert isinstance(index._tree, _core.KdTree)
    assert index.kneighbors()[1].ravel().tolist() == [2, 2, 0]
    index = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(X[[0, 2]] + 0.5)
    assert isinstance(index._tree, _core.KdTree)
    # "kdtree" and "brute" keep their own search; other metrics never take the count index.
    for algorithm, metric in (
        ("kdtree", "manhattan"),
        ("brute", "manhattan"),
        ("auto", "euclidean"),
    ):
        index = NearestNeighbors(metric=metric, algorithm=algorithm).fit(X[[0, 2]])
        assert isinstance(index._tree, _core.KdTree)


def test_many_copies_answer_with_their_copies():
    rng = np.random.default_rng(3)
    distinct = rng.integers(0, 4, (3, 12)).astype(np.float64)
    X = distinct[rng.integers(0, 3, 6000)]
    for k in (1, 2, 5):
        index = NearestNeighbors(n_neighbors=k, metric="manhattan").fit(X)
        dist, ind = index.kneighbors()
        ref_dist, ref_ind = kdtree_index(X, k, 1).kneighbors()
        assert np.array_equal(dist, ref_dist) and np.array_equal(ind, ref_ind)


def test_count_index_input_errors_and_pickle():
    with pytest.raises(ValueError, match=r"integers in \[0, 255\]"):
        _core.CountL1Index(np.array([[1.0, 256.0]]))
    index = _core.CountL1Index(np.array([[1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(ValueError, match="features"):
        index.knn(np.zeros((1, 3)), 1, None, 1)
    with pytest.raises(ValueError, match=r"integers in \[0, 255\]"):
        index.knn(np.array([[-1.0, 0.0]]), 1, None, 1)
    with pytest.raises(ValueError, match="k must be"):
        index.knn_self(2, 1)
    X = np.random.default_rng(0).integers(0, 5, (200, 6)).astype(np.float64)
    fitted = NearestNeighbors(n_neighbors=3, metric="manhattan").fit(X)
    loaded = pickle.loads(pickle.dumps(fitted))
    assert isinstance(loaded._tree, _neighbors._CountSearch)
    for a, b in zip(fitted.kneighbors(), loaded.kneighbors()):
        assert np.array_equal(a, b)


def test_excluded_rows_and_radius_edges_match_the_kdtree():
    """A query's excluded row (its own, for suggest_eps and plot_kdistance) can leave
    fewer than k rows: the rest of the row is (inf, -1), as the kd-tree writes it, also
    where some queries go to the kd-tree (a fraction). A negative radius counts nothing;
    NaN is refused. Beyond 1,024 columns (a slot per possible total) the kd-tree serves."""
    from oddseq.cluster import suggest_eps

    rng = np.random.default_rng(5)
    X = rng.integers(0, 4, (7, 3)).astype(np.float64)
    index, tree = _core.CountL1Index(X), _core.KdTree(X, "manhattan", 16, 1)
    exclude = np.arange(7, dtype=np.int64)
    for k in (1, 6, 7):
        got, want = index.knn(X, k, exclude, 2), tree.knn(X, k, exclude, 1)
        assert np.array_equal(got.distances, want.distances)
        assert np.array_equal(got.indices, want.indices)
    assert np.isinf(got.distances[:, -1]).all() and (got.indices[:, -1] == -1).all()
    search = _neighbors._CountSearch(X, 16, 1)
    mixed = X.copy()
    mixed[0, 0] += 0.5  # this query goes to the kd-tree
    got, want = search.knn(mixed, 7, exclude, 1), tree.knn(mixed, 7, exclude, 1)
    assert np.array_equal(got.distances, want.distances)
    assert np.array_equal(got.indices, want.indices)
    assert index.radius_count(X, -1.0, 1).tolist() == [0] * 7
    assert index.radius_count(X, float("-inf"), 1).tolist() == [0] * 7
    with pytest.raises(ValueError, match="NaN"):
        index.radius_count(X, float("nan"), 1)
    # Every row a query (min_samples = n): worked before the count index, works on it.
    assert suggest_eps(X, min_samples=7, sample_size=5) == suggest_eps(
        X + 0.5, min_samples=7, sample_size=5
    )
    wide = NearestNeighbors(metric="manhattan").fit(np.zeros((3, 1025)))
    assert isinstance(wide._tree, _core.KdTree)
