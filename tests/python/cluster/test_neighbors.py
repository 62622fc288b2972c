import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors as SkNearestNeighbors
from sklearn.utils.estimator_checks import parametrize_with_checks

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
    full = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(full, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(n), (n, n)), full), axis=1)[:, :k]
    np.testing.assert_allclose(dist, np.take_along_axis(full, order, 1), rtol=1e-12)
    # Equal distances may be computed in a different order; compare rows where the
    # expected order is free of near-ties.
    expected_dist = np.take_along_axis(full, order, 1)
    clean = np.ones(n, bool)
    for i in range(n):
        sorted_row = np.sort(full[i])[: k + 1]
        gaps = np.diff(sorted_row)
        clean[i] = not np.any((gaps > 0) & (gaps < 1e-9))
    np.testing.assert_array_equal(ind[clean], order[clean])
    assert (np.diff(expected_dist, axis=1) >= 0).all()


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
