import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors as SkNearestNeighbors
from sklearn.utils.estimator_checks import parametrize_with_checks

from oddseq import _core
from oddseq.cluster import DBSCAN, NearestNeighbors, suggest_eps


@parametrize_with_checks([NearestNeighbors(n_threads=1)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# Cosine in one dimension is left out: every distance is 0 or 2, all ties.
KNN_CASES = [
    (d, metric)
    for d in (1, 3, 10, 40)
    for metric in ("euclidean", "manhattan", "chebyshev", "cosine")
    if not (metric == "cosine" and d == 1)
]


@pytest.mark.parametrize("algorithm", ["kdtree", "brute"])
@pytest.mark.parametrize(("d", "metric"), KNN_CASES)
def test_kneighbors_match_sklearn(d, algorithm, metric):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(700, d)) * rng.uniform(0.5, 3, d)
    Q = rng.normal(size=(60, d))
    ours = NearestNeighbors(n_neighbors=7, metric=metric, algorithm=algorithm).fit(X)
    theirs = SkNearestNeighbors(n_neighbors=7, metric=metric, algorithm="brute").fit(X)
    for query in (Q, None):
        dist, ind = ours.kneighbors(query)
        sk_dist, sk_ind = theirs.kneighbors(query)
        # scikit-learn's brute euclidean expands ||a||^2 - 2ab + ||b||^2 (rounding ~1e-12)
        np.testing.assert_allclose(dist, sk_dist, rtol=1e-7, atol=1e-9)
        np.testing.assert_array_equal(ind, sk_ind)
    radius = float(np.median(dist[:, -1]))
    counts = ours.radius_neighbors_count(Q, radius=radius)
    sk_counts = np.array([len(r) for r in theirs.radius_neighbors(Q, radius=radius)[1]])
    np.testing.assert_array_equal(counts, sk_counts)
    np.testing.assert_array_equal(
        ours.radius_neighbors_count(radius=radius),
        [len(r) for r in theirs.radius_neighbors(radius=radius)[1]],
    )


def _pair(found):
    """A Neighbors record as (distances, indices)."""
    return found.distances, found.indices


def folded_squares(A, B):
    """Squared euclidean distances between the rows of A and B as the core defines them:
    feature k's squared difference added into partial k mod 4, the partials added in
    pairs (the core computes exactly this on every CPU, so equal distances are equal bit
    for bit)."""
    partial = np.zeros((4, len(A), len(B)))
    for k in range(A.shape[1]):
        g = B[None, :, k] - A[:, None, k]
        partial[k % 4] = partial[k % 4] + g * g
    return (partial[0] + partial[1]) + (partial[2] + partial[3])


def expected_neighbours(squares, k):
    """The k nearest of each row of a squared-distance matrix, ties to the smaller column
    (ordered by the squares: two squares can share a rounded square root)."""
    order = np.lexsort((np.broadcast_to(np.arange(squares.shape[1]), squares.shape), squares))
    order = order[:, :k]
    return np.sqrt(np.take_along_axis(squares, order, 1)), order


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 200),
    d=st.integers(1, 12),
    k=st.integers(1, 10),
    grid=st.booleans(),
    threads=st.sampled_from([1, 2]),
)
def test_property_ties_go_to_the_smaller_row(seed, n, d, k, grid, threads):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if grid:  # many exact ties
        X = np.round(X)
    k = min(k, n - 1)
    dist, ind = NearestNeighbors(n_neighbors=k, leaf_size=4, n_threads=threads).fit(X).kneighbors()
    full = folded_squares(X, X)
    np.fill_diagonal(full, np.inf)
    expected_dist, expected_ind = expected_neighbours(full, k)
    np.testing.assert_array_equal(dist, expected_dist)
    np.testing.assert_array_equal(ind, expected_ind)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 300),
    d=st.integers(2, 20),
    k=st.integers(1, 10),
    grid=st.booleans(),
    scale=st.sampled_from([1e-6, 1.0, 1e6]),
    frame=st.sampled_from(["axes", "principal"]),
    scan=st.booleans(),
)
def test_property_both_frames_give_the_exact_neighbours(seed, n, d, k, grid, scale, frame, scan):
    # Correlated features far from the origin, the case the principal frame is for; its
    # boxes bound distances only up to rounding, so ties and exact distances test that
    # the allowance is never too small.
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    X = latent @ rng.normal(size=(2, d)) + 0.1 * rng.normal(size=(n, d))
    if grid:
        X = np.round(X * 2)
    X = X * scale + 1000.0 * scale
    Q = np.vstack([X[: min(n, 20)], rng.normal(size=(5, d)) * scale + 1000.0 * scale])
    # A leaf of every point makes kNN scan them all, in tiles of queries and chunks of
    # points, instead of searching.
    tree = _core.KdTree(X, "euclidean", n if scan else 4, 2, frame=frame)
    assert tree.rotated == (frame == "principal")
    assert tree.scans == (scan or n <= 4)
    k = min(k, n - 1)
    full = folded_squares(X, X)
    np.fill_diagonal(full, np.inf)
    expected = expected_neighbours(full, k)
    for got, want in zip(_pair(tree.knn_self(k, 2)), expected):
        np.testing.assert_array_equal(got, want)
    to_queries = folded_squares(Q, X)
    for got, want in zip(_pair(tree.knn(Q, k, None, 1)), expected_neighbours(to_queries, k)):
        np.testing.assert_array_equal(got, want)
    # A point reported at distance r is within radius r.
    radius = float(np.median(np.sqrt(to_queries)))
    np.testing.assert_array_equal(
        tree.radius_count(Q, radius, 2), (np.sqrt(to_queries) <= radius).sum(1)
    )


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 1500),
    d=st.integers(1, 40),
    k=st.integers(1, 30),
    layout=st.sampled_from(["normal", "grid", "copies"]),
    scale=st.sampled_from([1e-130, 2.0**-30, 1e-6, 1.0, 1e6, 1e100, 1e130]),
)
def test_property_screened_scan_is_exact(seed, n, d, k, layout, scale):
    # The euclidean scan measures exactly only what its float32 screen lets through: the
    # screen's allowance must never rule out a point that belongs in the result, with
    # exact ties (grids, repeated rows), several chunks of points, scales at and past the
    # screen's range (1e+-130: it is off there), and queries far outside the data.
    rng = np.random.default_rng(seed)
    n = min(n, int((4e7 / d) ** 0.5))  # the numpy reference is quadratic
    X = rng.normal(size=(n, d))
    if layout == "grid":
        X = np.round(X * 2)
    elif layout == "copies":
        X = X[rng.integers(0, max(1, n // 8), n)]
    X = (X + 3.0) * scale
    tree = _core.KdTree(X, "euclidean", n, 2)
    assert tree.scans
    k = min(k, n - 1) if n > 1 else 1
    if n > 1:
        full = folded_squares(X, X)
        np.fill_diagonal(full, np.inf)
        for got, want in zip(_pair(tree.knn_self(k, 2)), expected_neighbours(full, k)):
            np.testing.assert_array_equal(got, want)
    spread = np.abs(X - X.mean(0)).max() + scale
    Q = np.vstack([X[: min(n, 7)], X.mean(0) + rng.normal(size=(3, d)) * spread * 1e13])
    for got, want in zip(
        _pair(tree.knn(Q, k, None, 2)), expected_neighbours(folded_squares(Q, X), k)
    ):
        np.testing.assert_array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    distinct=st.integers(1, 12),
    d=st.integers(1, 6),
    k=st.integers(1, 12),
    scale=st.sampled_from([1.0, 1e-200]),
    scan=st.booleans(),
)
def test_property_rows_with_many_copies_answer_with_their_copies(seed, distinct, d, k, scale, scan):
    # Rows repeated more than k times take a shortcut (their copies, at distance 0); rows
    # with few copies are searched. Signed zeros are equal coordinates, and at 1e-200 a
    # euclidean square underflows, so distinct rows can be at distance 0 too.
    rng = np.random.default_rng(seed)
    base = np.round(rng.normal(size=(distinct, d)) * 2) * scale
    X = base[rng.choice(distinct, size=rng.integers(2, 300), p=rng.dirichlet(np.ones(distinct)))]
    X[X == 0] = np.where(rng.random((X == 0).sum()) < 0.5, 0.0, -0.0)
    if scale != 1.0:  # near-copies whose squared gaps vanish
        X[::3] += scale * 1e-5
    n = len(X)
    k = min(k, n - 1)
    tree = _core.KdTree(X, "euclidean", n if scan else 4, 2)
    full = folded_squares(X, X)
    np.fill_diagonal(full, np.inf)
    for got, want in zip(_pair(tree.knn_self(k, 2)), expected_neighbours(full, k)):
        np.testing.assert_array_equal(got, want)
    partial = np.zeros((4, n, n))  # the core's fold of |gaps| (see folded_squares)
    for j in range(d):
        partial[j % 4] = partial[j % 4] + np.abs(X[None, :, j] - X[:, None, j])
    manhattan = (partial[0] + partial[1]) + (partial[2] + partial[3])
    np.fill_diagonal(manhattan, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(n), manhattan.shape), manhattan))[:, :k]
    ind = _core.KdTree(X, "manhattan", n if scan else 4, 2).knn_self(k, 2).indices
    np.testing.assert_array_equal(ind, order)


def test_principal_frame_is_chosen_where_searches_gain():
    # Chosen by a trial search on a sample: 16 features mixing 8 hidden ones rotate
    # (searches in the principal frame visit about a third less), a cube does not.
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(60_000, 8))
    correlated = latent @ rng.normal(size=(8, 16)) + 0.05 * rng.normal(size=(60_000, 16))
    tree = _core.KdTree(correlated, "euclidean", 32, 1)
    assert tree.rotated and not tree.scans
    assert not _core.KdTree(rng.uniform(size=(2000, 8)), "euclidean", 32, 1).rotated
    # A tree prunes better the more points it holds: below some size the same data are
    # cheaper to scan (the screened scan costs about a tenth of a search per point).
    assert _core.KdTree(correlated[:5000], "euclidean", 32, 1).scans
    # Features that are independent noise leave a tree nothing to prune: kNN scans.
    assert _core.KdTree(rng.normal(size=(5000, 40)), "euclidean", 32, 1).scans
    # Rotations keep only euclidean distances.
    assert not _core.KdTree(correlated, "manhattan", 32, 1).rotated
    with pytest.raises(ValueError, match="unknown frame"):
        _core.KdTree(correlated, "euclidean", 32, 1, frame="tilted")


def test_kneighbors_errors():
    index = NearestNeighbors().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="exceeds the 2 indexed row"):
        index.kneighbors(n_neighbors=3)
    with pytest.raises(ValueError, match="features"):
        index.kneighbors(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="radius"):
        index.radius_neighbors_count(radius=-1.0)
    with pytest.raises(ValueError, match="metric"):
        NearestNeighbors(metric="hamming").fit(np.zeros((3, 2)))


def test_suggest_eps_finds_the_dense_groups():
    rng = np.random.default_rng(0)
    centers = rng.uniform(-30, 30, (5, 2))
    dense = centers[rng.integers(0, 5, 4000)] + rng.normal(0, 0.5, (4000, 2))
    noise = rng.uniform(-40, 40, (200, 2))
    X = np.vstack([dense, noise])
    eps = suggest_eps(X, min_samples=10)
    model = DBSCAN(eps, min_samples=10).fit(X)
    assert model.n_clusters_ == 5
    assert (model.labels_[4000:] == -1).mean() > 0.8
    assert (model.labels_[:4000] >= 0).mean() > 0.97


def test_suggest_eps_sampling_is_seeded_and_checks_input():
    X = np.random.default_rng(1).normal(size=(3000, 3))
    a = suggest_eps(X, 5, sample_size=500, random_state=3)
    assert a == suggest_eps(X, 5, sample_size=500, random_state=3)
    assert a > 0
    with pytest.raises(ValueError, match="min_samples"):
        suggest_eps(X, 1)
    with pytest.raises(ValueError, match="needs at least 9 rows"):
        suggest_eps(X[:4], 9)


def test_pickle_keeps_the_original_usable():
    import pickle

    X = np.random.default_rng(0).normal(size=(50, 3))
    index = NearestNeighbors(n_neighbors=3).fit(X)
    again = pickle.loads(pickle.dumps(index))
    np.testing.assert_array_equal(index.kneighbors()[1], again.kneighbors()[1])


def test_rows_repeated_thousands_of_times_keep_exact_ties():
    # Most rows equal (entities with one event each): every copy's neighbours are the
    # other copies with the smallest rows, found without visiting all copies.
    rng = np.random.default_rng(3)
    X = np.vstack([np.zeros((20_000, 5)), rng.normal(size=(300, 5))])
    X = X[rng.permutation(len(X))]
    copies = np.flatnonzero(~X.any(axis=1))
    dist, ind = NearestNeighbors(n_neighbors=6).fit(X).kneighbors()
    first = copies[:7]
    for row in copies[[0, 5, 1000, -1]]:
        expected = first[first != row][:6]
        np.testing.assert_array_equal(ind[row], expected)
        assert (dist[row] == 0).all()
    others = np.flatnonzero(X.any(axis=1))[:20]
    full = np.sqrt(((X[others, None, :] - X[None, :, :]) ** 2).sum(-1))
    full[np.arange(len(others)), others] = np.inf
    order = np.lexsort((np.broadcast_to(np.arange(len(X)), full.shape), full), axis=1)[:, :6]
    np.testing.assert_array_equal(ind[others], order)
