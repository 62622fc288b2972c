"""K-means++ seeding that depends neither on the order of the rows nor on the thread
count: exponential races keyed by each row's values (C++ kmeans_race)."""

import numpy as np
import pytest

from oddseq import _core
from oddseq.cluster import KMeans, kmeans_plusplus
from oddseq.utils._rows import _row_hash


def _blobs(seed, n, d, k, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 5, (k, d))
    return (centers[rng.integers(0, k, n)] + rng.normal(0, 1, (n, d))).astype(dtype)


def _as_set(centers):
    return sorted(map(tuple, np.asarray(centers).tolist()))


def _tied(seed, n, d, n_distinct):
    """Rows drawn from a few distinct rows (a system log's repeated workflows)."""
    rng = np.random.default_rng(seed)
    distinct = rng.integers(0, 4, (n_distinct, d)).astype(np.float64)
    return distinct[rng.zipf(1.6, n) % n_distinct]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
@pytest.mark.parametrize("shape", ["blobs", "tied rows"])
def test_permuted_rows_give_the_same_centres_and_inertia(shape, algorithm, dtype):
    X = _blobs(5, 6000, 7, 9, dtype) if shape == "blobs" else _tied(5, 6000, 6, 40).astype(dtype)
    rng = np.random.default_rng(0)
    for random_state in range(3):
        base = KMeans(8, random_state=random_state, algorithm=algorithm).fit(X)
        for _ in range(3):
            order = rng.permutation(len(X))
            moved = KMeans(8, random_state=random_state, algorithm=algorithm).fit(X[order])
            assert _as_set(moved.cluster_centers_) == _as_set(base.cluster_centers_)
            assert moved.inertia_ == pytest.approx(base.inertia_, rel=1e-9)
            np.testing.assert_array_equal(
                base.cluster_centers_[base.labels_[order]], moved.cluster_centers_[moved.labels_]
            )


@pytest.mark.parametrize("weighted", [False, True])
def test_kmeans_plusplus_picks_the_same_points_in_any_row_order(weighted):
    X = np.vstack([_blobs(2, 3000, 4, 6), _tied(2, 3000, 4, 5)])
    w = np.random.default_rng(1).uniform(0.5, 3, len(X)) if weighted else None
    order = np.random.default_rng(3).permutation(len(X))
    for seed in range(5):
        centers, idx = kmeans_plusplus(X, 7, sample_weight=w, random_state=seed)
        again, idx2 = kmeans_plusplus(
            X[order], 7, sample_weight=None if w is None else w[order], random_state=seed
        )
        np.testing.assert_array_equal(centers, again)  # the same points, in the same order
        np.testing.assert_array_equal(X[idx], centers)
        np.testing.assert_array_equal(X[order][idx2], again)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_same_result_for_any_thread_count_and_the_same_random_state(algorithm):
    X = _blobs(3, 20_000, 12, 10)
    one = KMeans(10, random_state=1, n_threads=1, algorithm=algorithm).fit(X)
    two = KMeans(10, random_state=1, n_threads=2, algorithm=algorithm).fit(X)
    again = KMeans(10, random_state=1, n_threads=2, algorithm=algorithm).fit(X)
    for other in (two, again):
        np.testing.assert_array_equal(one.cluster_centers_, other.cluster_centers_)
        np.testing.assert_array_equal(one.labels_, other.labels_)
        assert one.inertia_ == other.inertia_
    other_seed = KMeans(10, random_state=2, n_threads=1, algorithm=algorithm).fit(X)
    assert other_seed.inertia_ == pytest.approx(one.inertia_, rel=0.05)


def test_repeated_rows_and_rows_weighted_by_their_counts_are_seeded_alike():
    """A group of m identical rows races as one point of m times the weight, so the
    seeding of the repeated rows and of the distinct rows weighted by their counts draws
    the same points (KMeansDetector fits tied rows so)."""
    rng = np.random.default_rng(4)
    distinct = rng.normal(0, 3, (40, 3))
    counts = rng.integers(1, 60, 40)
    repeated = np.repeat(distinct, counts, axis=0)[rng.permutation(counts.sum())]
    for seed in range(5):
        on_rows = kmeans_plusplus(repeated, 6, random_state=seed)[0]
        weighted = kmeans_plusplus(
            distinct, 6, sample_weight=counts.astype(float), random_state=seed
        )
        np.testing.assert_array_equal(on_rows, weighted[0])
        a = KMeans(6, random_state=seed).fit(repeated)
        b = KMeans(6, random_state=seed).fit(distinct, sample_weight=counts)
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_the_race_draws_in_proportion_to_the_weights():
    """The first centre of the race: row i with probability w_i / sum w, where a group of
    identical rows counts its rows' weights together."""
    X = np.array([[0.0], [1.0], [2.0], [2.0], [2.0], [3.0]])
    w = np.array([1.0, 2.0, 1.0, 1.0, 1.0, 4.0])
    hashes = _row_hash(X)
    groups = np.array([1.0, 2.0, 3.0, 3.0, 3.0, 4.0])
    draws = 20_000
    picked = np.zeros(4)
    for seed in range(draws):
        keys, rows = _core.kmeans_race(X, hashes, groups * w / w, None, seed, 0, 1, 1)
        assert keys.size == 1
        picked[int(X[rows[0], 0])] += 1
    expected = np.array([1, 2, 3, 4]) / 10 * draws
    assert np.all(np.abs(picked - expected) < 5 * np.sqrt(expected))
    # The three copies of 2.0 are one point: the first of them stands for it, and the
    # race's picks are distinct points.
    keys, rows = _core.kmeans_race(X, hashes, groups, None, 0, 0, 6, 1)
    assert rows.size == 4 and len(set(X[rows, 0])) == 4 and 3 not in rows and 4 not in rows
    assert np.all(np.diff(keys) >= 0)


def test_row_hashes_are_the_python_ones():
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        X = rng.normal(size=(500, 7)).astype(dtype)
        X[3] = -0.0
        X[4] = 0.0
        np.testing.assert_array_equal(_core.kmeans_row_hashes(X, 2), _row_hash(X))
        assert _core.kmeans_row_hashes(X, 1)[3] == _core.kmeans_row_hashes(X, 1)[4]


def test_race_refuses_mismatched_lengths():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="hashes length"):
        _core.kmeans_race(X, np.zeros(3, dtype=np.uint64), None, None, 0, 0, 1, 1)
    with pytest.raises(ValueError, match="closest length"):
        _core.kmeans_race(X, _row_hash(X), None, np.ones(5), 0, 0, 1, 1)
