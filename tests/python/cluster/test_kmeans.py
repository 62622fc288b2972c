import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.cluster import KMeans as SkKMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from oddseq.cluster import KMeans, kmeans_plusplus
from oddseq.exceptions import ConvergenceWarning

SEEDING_DIFFERS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "k-means++ draws different seeds when rows are repeated instead of weighted (the "
        "column keys of the races count every row); scikit-learn's own KMeans lists the "
        "same exception"
    )
}


@parametrize_with_checks(
    [KMeans(n_clusters=3, n_threads=1)], expected_failed_checks=lambda est: SEEDING_DIFFERS
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def blobs(seed, n, d, k, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 5, (k, d))
    X = centers[rng.integers(0, k, n)] + rng.normal(0, 1, (n, d))
    return X.astype(dtype)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(6))
def test_same_clustering_as_sklearn_from_same_init(seed, dtype, algorithm):
    rng = np.random.default_rng(seed)
    n, d, k = int(rng.integers(50, 3000)), int(rng.integers(1, 40)), int(rng.integers(2, 30))
    X = blobs(seed, n, d, k, dtype)
    init = X[rng.choice(n, k, replace=False)]
    ours = KMeans(k, init=init, n_init=1, max_iter=100, algorithm=algorithm).fit(X)
    theirs = SkKMeans(k, init=init, n_init=1, max_iter=100, algorithm="lloyd").fit(X)
    assert ours.cluster_centers_.dtype == dtype
    assert adjusted_rand_score(ours.labels_, theirs.labels_) >= 0.999
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-4)


@given(
    algorithm=st.sampled_from(["lloyd", "hamerly", "elkan"]),
    n=st.integers(1, 300),
    d=st.integers(1, 20),
    k=st.integers(1, 12),
    duplicates=st.booleans(),
    weighted=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_property_matches_sklearn(algorithm, n, d, k, duplicates, weighted, seed):
    k = min(k, n)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if duplicates:
        X[: n // 2] = X[0]
    weight = rng.uniform(0.1, 3, n) if weighted else None
    # Initial centres on distinct points: an empty cluster is re-seeded from the farthest
    # points, and among exactly tied duplicates scikit-learn's choice (argpartition) is
    # arbitrary, so only then may the two legitimately reach different optima.
    distinct = np.unique(X, axis=0)
    ties_possible = len(distinct) < k
    init = distinct[rng.choice(len(distinct), min(k, len(distinct)), replace=False)]
    if ties_possible:
        init = np.vstack([init, X[: k - len(init)]])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = KMeans(k, init=init, n_init=1, max_iter=50, n_threads=2, algorithm=algorithm).fit(
            X, sample_weight=weight
        )
        theirs = SkKMeans(k, init=init, n_init=1, max_iter=50).fit(X, sample_weight=weight)
    if ties_possible:
        assert ours.inertia_ <= theirs.inertia_ * (1 + 1e-4) + 1e-9
    else:
        assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-4, abs=1e-9)
    # Inertia of our own labelling is consistent with our centres.
    direct = ((X - ours.cluster_centers_[ours.labels_]) ** 2).sum(axis=1)
    total = direct.sum() if weight is None else direct @ weight
    assert ours.inertia_ == pytest.approx(total, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identical_across_thread_counts(dtype, algorithm):
    X = blobs(3, 20_000, 12, 10, dtype)
    one = KMeans(10, random_state=1, n_threads=1, algorithm=algorithm).fit(X)
    two = KMeans(10, random_state=1, n_threads=2, algorithm=algorithm).fit(X)
    assert np.array_equal(one.labels_, two.labels_)
    assert np.array_equal(one.cluster_centers_, two.cluster_centers_)
    assert one.inertia_ == two.inertia_


def test_same_seed_same_result_and_kmeanspp_quality():
    X = blobs(0, 2000, 5, 6)
    a = KMeans(6, random_state=7).fit(X)
    b = KMeans(6, random_state=7).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    sk = SkKMeans(6, random_state=0, n_init=1).fit(X)
    assert a.inertia_ <= sk.inertia_ * 1.05
    centers, idx = kmeans_plusplus(X, 6, random_state=0)
    assert centers.shape == (6, 5) and len(set(idx.tolist())) == 6


def test_random_init_and_predict_transform_score():
    X = blobs(1, 500, 3, 4, np.float32)
    km = KMeans(4, init="random", random_state=0).fit(X)
    assert km.predict(X).tolist() == km.labels_.tolist()
    dist = km.transform(X)
    assert dist.shape == (500, 4) and dist.dtype == np.float32
    assert np.array_equal(dist.argmin(axis=1), km.labels_)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-5)


def test_bad_input():
    X = blobs(0, 20, 2, 2)
    with pytest.raises(ValueError, match="n_clusters=30 is larger"):
        KMeans(30).fit(X)
    with pytest.raises(ValueError, match="n_clusters must be >= 1"):
        KMeans(0).fit(X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        KMeans(2).fit(bad)
    with pytest.raises(ValueError, match="2-D"):
        KMeans(2).fit(X[:, 0])
    with pytest.raises(ValueError, match="negative"):
        KMeans(2).fit(X, sample_weight=-np.ones(20))
    with pytest.raises(ValueError, match="sums to zero"):
        KMeans(2).fit(X, sample_weight=np.zeros(20))
    with pytest.raises(ValueError, match="init array must have shape"):
        KMeans(2, init=np.zeros((3, 2))).fit(X)
    with pytest.raises(ValueError, match="algorithm"):
        KMeans(2, algorithm="fast").fit(X)
    with pytest.raises(ValueError, match="tol"):
        KMeans(2, tol=-1).fit(X)
    X_before = X.copy()
    KMeans(2).fit(X)
    assert np.array_equal(X, X_before)


def test_fewer_distinct_points_than_clusters_warns():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 10, axis=0)
    with pytest.warns(ConvergenceWarning, match="2 distinct clusters"):
        km = KMeans(4, random_state=0).fit(X)
    assert km.inertia_ == pytest.approx(0.0)
    identical = np.ones((10, 3))
    with pytest.warns(ConvergenceWarning):
        km = KMeans(2, random_state=0).fit(identical)
    assert np.allclose(km.cluster_centers_, 1.0) and km.inertia_ == 0.0


def test_empty_cluster_is_reseeded():
    X = np.array([[0.0], [0.1], [0.2], [10.0]])
    init = np.array([[0.1], [100.0]])  # the second centre starts with no points
    km = KMeans(2, init=init, n_init=1).fit(X)
    sk = SkKMeans(2, init=init, n_init=1).fit(X)
    assert km.inertia_ == pytest.approx(sk.inertia_)
    assert sorted(np.bincount(km.labels_).tolist()) == [1, 3]


@pytest.mark.parametrize("algorithm", ["hamerly", "elkan"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bounded_algorithms_agree_with_lloyd(dtype, algorithm):
    X = blobs(5, 30_000, 8, 20, dtype)
    init = X[np.random.default_rng(0).choice(len(X), 20, replace=False)]
    lloyd = KMeans(20, init=init, algorithm="lloyd", max_iter=60, tol=0).fit(X)
    bounded = KMeans(20, init=init, algorithm=algorithm, max_iter=60, tol=0).fit(X)
    assert adjusted_rand_score(lloyd.labels_, bounded.labels_) >= 0.999
    assert bounded.inertia_ == pytest.approx(lloyd.inertia_, rel=1e-6)
    assert bounded.n_iter_ == lloyd.n_iter_


def test_lloyd_and_hamerly_settle_near_ties_alike():
    # Heavy-tailed columns of different scales: at iteration 53 eight rows sat in
    # near-ties that Lloyd's expansion decided one way and Hamerly's exact re-check the
    # other, and the fits ended 0.02 apart after 74 and 73 iterations. Both now decide
    # near-ties by exact distances.
    rng = np.random.default_rng(4)
    X = (rng.standard_t(3, size=(60_000, 12)) * rng.uniform(0.1, 3, 12)).astype(np.float32)
    lloyd = KMeans(8, random_state=4, algorithm="lloyd").fit(X)
    hamerly = KMeans(8, random_state=4, algorithm="hamerly").fit(X)
    np.testing.assert_array_equal(lloyd.cluster_centers_, hamerly.cluster_centers_)
    np.testing.assert_array_equal(lloyd.labels_, hamerly.labels_)
    assert lloyd.n_iter_ == hamerly.n_iter_


def _exact_sums(sums):
    return sums.hi.astype(object) * (1 << 64) + sums.lo.astype(object)


@given(
    n=st.integers(1, 300),
    d=st.integers(1, 4),
    k=st.integers(1, 5),
    scale=st.sampled_from([1e-30, 1e-3, 1.0, 1e6, 1e30]),
    cut=st.floats(0, 1),
    seed=st.integers(0, 2**16),
)
def test_cluster_sums_are_exact_in_any_split(n, d, k, scale, cut, seed):
    """kmeans_cluster_sums: the fixed-point sums of two parts add up to the whole's bit
    for bit, they are within n grid steps of the exact sums, and the centres made from
    them are the float32 means."""
    from fractions import Fraction

    from oddseq import _core

    rng = np.random.default_rng(seed)
    X = (rng.standard_t(2, size=(n, d)) * scale).astype(np.float32)
    labels = rng.integers(0, k, n).astype(np.int32)
    grid = _core.kmeans_fixed_shifts(np.abs(X).max(axis=0).astype(np.float64), n)
    whole = _core.kmeans_cluster_sums(X, labels, k, grid, 2)
    m = int(cut * n)
    a = _core.kmeans_cluster_sums(X[:m].copy(), labels[:m].copy(), k, grid, 1)
    b = _core.kmeans_cluster_sums(X[m:].copy(), labels[m:].copy(), k, grid, 1)
    total = _exact_sums(whole)
    assert (total == _exact_sums(a) + _exact_sums(b)).all()
    np.testing.assert_array_equal(whole.members, np.bincount(labels, minlength=k))
    for c in range(k):
        for j in range(d):
            exact = sum((Fraction(float(v)) for v in X[labels == c, j]), Fraction(0))
            step = Fraction(1, 2 ** int(grid[j])) if grid[j] >= 0 else Fraction(2 ** -int(grid[j]))
            assert abs(Fraction(int(total[c, j])) * step - exact) <= n * step
    centres = _core.kmeans_centres_from_sums(
        whole.hi, whole.lo, whole.members.astype(np.float64), grid, np.zeros((k, d), np.float32)
    )
    for c in np.flatnonzero(whole.members):
        mean = X[labels == c].astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(centres[c], mean, rtol=1e-6, atol=0)
    assert not centres[whole.members == 0].any()  # empty clusters keep their centres


@pytest.mark.parametrize("scale", [1.0, 1e-300, 1e-310, 1e300])
def test_cluster_sums_are_the_exact_integers_of_the_grid(scale):
    """kmeans_cluster_sums puts rows on the grid with the vectorised kernel where every
    2^shift is a normal double and value by value elsewhere (subnormal columns): either
    way each sum is exactly the sum of Python's int(ldexp(x, shift))."""
    import math

    from oddseq import _core

    rng = np.random.default_rng(3)
    X = rng.standard_t(2, size=(500, 5)) * scale
    X[:, 4] = 0.0
    labels = rng.integers(0, 3, 500).astype(np.int32)
    grid = _core.kmeans_fixed_shifts(np.abs(X).max(axis=0), 500)
    total = _exact_sums(_core.kmeans_cluster_sums(X, labels, 3, grid, 2))
    for c in range(3):
        for j in range(5):
            want = sum(int(math.ldexp(float(v), int(grid[j]))) for v in X[labels == c, j])
            assert int(total[c, j]) == want, (c, j)


def test_cluster_sums_bad_input():
    from oddseq import _core

    X = np.ones((3, 2), np.float32)
    grid = _core.kmeans_fixed_shifts(np.ones(2), 3)
    with pytest.raises(ValueError, match="labels must be in"):
        _core.kmeans_cluster_sums(X, np.array([0, 2, 0], np.int32), 2, grid, 1)
    with pytest.raises(ValueError, match="too large for its column's fixed-point grid"):
        _core.kmeans_cluster_sums(X * 1024, np.zeros(3, np.int32), 1, grid, 1)
    many = np.full((64, 2), 1.5, np.float32)  # each value fits the grid, their sum not
    with pytest.raises(ValueError, match="too large for its column's fixed-point grid"):
        _core.kmeans_cluster_sums(many, np.zeros(64, np.int32), 1, grid, 1)
    with pytest.raises(ValueError, match="one value per feature"):
        _core.kmeans_cluster_sums(X, np.zeros(3, np.int32), 1, grid[:1], 1)
    with pytest.raises(ValueError, match="finite values"):
        _core.kmeans_fixed_shifts(np.array([np.inf]), 3)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
def test_near_ties_far_from_the_origin_get_the_exact_nearest_centre(algorithm):
    # float32 far from the origin: ||x||^2 - 2x.c + ||c||^2 would cancel catastrophically;
    # the kernel works relative to the centres' mean, and the bounded algorithms also
    # re-check near-ties with exact distances.
    rng = np.random.default_rng(0)
    X = (1e4 + rng.normal(0, 1, (3000, 4))).astype(np.float32)
    km = KMeans(5, init=X[:5].copy(), n_init=1, max_iter=3, algorithm=algorithm).fit(X)
    exact = (
        (X.astype(np.float64)[:, None] - km.cluster_centers_.astype(np.float64)[None]) ** 2
    ).sum(axis=2)
    chosen = exact[np.arange(len(X)), km.labels_]
    assert np.all(chosen <= exact.min(axis=1) * (1 + 1e-4) + 1e-3)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
def test_converged_says_whether_the_best_run_stopped_before_max_iter(algorithm):
    X = blobs(3, 2000, 5, 6)
    settled = KMeans(6, n_init=1, max_iter=300, random_state=0, algorithm=algorithm).fit(X)
    assert settled.converged_ is True and settled.n_iter_ < 300
    cut = KMeans(6, n_init=1, max_iter=1, tol=0.0, random_state=0, algorithm=algorithm).fit(X)
    assert cut.converged_ is False and cut.n_iter_ == 1


def test_restart_inertia_is_the_inertia_summed_exactly_in_any_order():
    """row_inertia: each row's double squared distance to its centre (weighted), the
    same bits whichever rows come with it; restart_inertia: their correctly rounded
    sum, the same in any order or split, and kmeans_fit's inertia up to rounding."""
    from oddseq.cluster._kmeans import restart_inertia, row_inertia

    rng = np.random.default_rng(5)
    X = (rng.standard_normal((3000, 7)) * 1e3).astype(np.float32)
    weight = rng.uniform(0, 3, 3000)
    for w in (None, weight):
        km = KMeans(n_clusters=5, random_state=1).fit(X, sample_weight=w)
        rows = row_inertia(X, km.cluster_centers_, km.labels_, w)
        assert rows.dtype == np.float64 and (rows >= 0).all()
        total = restart_inertia(rows)
        assert total == pytest.approx(km.inertia_, rel=1e-6)
        order = rng.permutation(len(X))
        assert restart_inertia(rows[order]) == total
        parts = [
            row_inertia(X[p], km.cluster_centers_, km.labels_[p]) for p in (order[:7], order[7:])
        ]
        if w is None:
            assert restart_inertia(np.concatenate(parts)) == total
            np.testing.assert_array_equal(np.concatenate(parts), rows[order])
        # By hand: the deviations squared in double, added in column order.
        i = 11
        deviation = X[i].astype(np.float64) - km.cluster_centers_[km.labels_[i]].astype(np.float64)
        by_hand = 0.0
        for v in deviation:
            by_hand += v * v
        assert rows[i] == by_hand * (1.0 if w is None else w[i])


def _rounded(value, dtype):
    """The Fraction ``value`` rounded once to ``dtype`` (nearest, ties to even)."""
    import math
    from fractions import Fraction

    if value == 0:
        return dtype(0.0)
    digits = 24 if dtype == np.float32 else 53
    e = math.floor(math.log2(abs(value)))
    while abs(value) >= Fraction(2) ** (e + 1):
        e += 1
    while abs(value) < Fraction(2) ** e:
        e -= 1
    step = Fraction(2) ** (e - digits + 1)
    return dtype(float(round(value / step) * step))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_centres_are_the_sums_over_the_weights_rounded_once(dtype):
    """kmeans_centres_from_sums: each centre is sum * 2^-shift / weight rounded once to
    the centres' dtype (no double rounding of the sum first), so a cluster of m equal
    rows has that row for its centre, whatever m."""
    from fractions import Fraction

    from oddseq import _core

    rng = np.random.default_rng(7)
    k, d = 40, 3
    big = rng.integers(1, 2**62, size=(k, d), dtype=np.int64).astype(object) * rng.integers(
        1, 2**60, size=(k, d)
    ).astype(object)
    sums = np.where(rng.random((k, d)) < 0.5, -big, big)
    sums[: k // 2] //= 2 ** rng.integers(0, 110, size=(k // 2, d)).astype(object)
    weights = np.concatenate([rng.integers(1, 10**6, k // 2), rng.uniform(0.01, 1e4, k // 2)])
    grid = np.array([100, 60, -3], np.int32)
    hi = np.array([[int(v) >> 64 for v in r] for r in sums], np.int64)
    lo = np.array([[int(v) & (2**64 - 1) for v in r] for r in sums], np.uint64)
    centres = _core.kmeans_centres_from_sums(hi, lo, weights, grid, np.zeros((k, d), dtype))
    for c in range(k):
        for j in range(d):
            exact = Fraction(int(sums[c, j])) / Fraction(2) ** int(grid[j]) / Fraction(weights[c])
            assert centres[c, j] == _rounded(exact, dtype), (c, j)
    # m copies of a row: the sum is m times the row's integer, the centre the row.
    x = rng.standard_normal(200).astype(dtype)
    shift = 60
    for m in (3, 5, 7, 40, 1000, 12345):
        q = [int(np.ldexp(float(v), shift)) * m for v in x]
        hi = np.array([[v >> 64 for v in q]], np.int64)
        lo = np.array([[v & (2**64 - 1) for v in q]], np.uint64)
        centre = _core.kmeans_centres_from_sums(
            hi, lo, np.array([float(m)]), np.full(200, shift, np.int32), np.zeros((1, 200), dtype)
        )
        np.testing.assert_array_equal(centre[0], x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "elkan"])
def test_distinct_rows_weighted_by_counts_give_the_repeated_rows_centres(dtype, algorithm):
    """K-means on distinct rows weighted by whole counts puts each row's count times its
    grid integer in the sums (not w * x rounded in double), so from the same start it
    reaches the bit-identical centres of the same K-means on the repeated rows, and a
    cluster holding one distinct row has that row for its centre."""
    rng = np.random.default_rng(11)
    for trial in range(6):
        distinct = (rng.standard_normal((30, 5)) * rng.uniform(0.1, 50, 5)).astype(dtype)
        counts = rng.integers(1, 400, 30)
        repeated = np.repeat(distinct, counts, axis=0)
        k = 6 + trial
        init = distinct[rng.choice(30, k, replace=False)]
        on_rows = KMeans(k, init=init, n_init=1, algorithm=algorithm).fit(repeated)
        weighted = KMeans(k, init=init, n_init=1, algorithm=algorithm).fit(
            distinct, sample_weight=counts
        )
        np.testing.assert_array_equal(np.repeat(weighted.labels_, counts), on_rows.labels_)
        np.testing.assert_array_equal(weighted.cluster_centers_, on_rows.cluster_centers_)
        for fit in (weighted, on_rows):
            # One distinct row per centre for every cluster sized so: the row itself.
            sizes = np.bincount(weighted.labels_, minlength=k)
            for c in np.flatnonzero(sizes == 1):
                np.testing.assert_array_equal(
                    fit.cluster_centers_[c], distinct[weighted.labels_ == c][0]
                )
