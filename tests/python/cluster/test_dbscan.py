import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from sklearn.cluster import DBSCAN as SkDBSCAN
from sklearn.utils.estimator_checks import parametrize_with_checks

from oddseq.cluster import DBSCAN

SCIPY_METRIC = {
    "euclidean": "euclidean",
    "manhattan": "cityblock",
    "chebyshev": "chebyshev",
    "cosine": "cosine",
}


@parametrize_with_checks([DBSCAN(n_threads=1)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def sample(rng, n, d, groups=4, noise=0.1):
    centers = rng.normal(0, 4, (groups, d))
    X = centers[rng.integers(0, groups, n)] + rng.normal(0, 1, (n, d))
    n_noise = int(noise * n)
    X[:n_noise] = rng.uniform(X.min(0) - 1, X.max(0) + 1, (n_noise, d))
    return X


def check_against_sklearn(X, eps, min_samples, metric, algorithm, weight=None):
    """Core points, noise and the partition of core points equal scikit-learn's; every
    border point lies within eps of a core point of its own cluster."""
    ours = DBSCAN(eps, min_samples=min_samples, metric=metric, algorithm=algorithm).fit(
        X, sample_weight=weight
    )
    theirs = SkDBSCAN(
        eps=eps,
        min_samples=min_samples,
        metric=metric,
        algorithm="brute" if metric == "cosine" else "kd_tree",
    ).fit(X, sample_weight=weight)
    np.testing.assert_array_equal(ours.core_sample_indices_, theirs.core_sample_indices_)
    np.testing.assert_array_equal(ours.labels_ == -1, theirs.labels_ == -1)
    core = ours.core_sample_indices_
    pairs = set(zip(ours.labels_[core].tolist(), theirs.labels_[core].tolist()))
    assert len(pairs) == len(set(ours.labels_[core].tolist())) == len(set(theirs.labels_[core]))
    assert ours.n_clusters_ == len(set(theirs.labels_[core].tolist()))
    border = np.flatnonzero((ours.labels_ >= 0) & ~np.isin(np.arange(len(X)), core))
    if border.size:
        dist = cdist(X[border], X[core], metric=SCIPY_METRIC[metric])
        same = ours.labels_[border][:, None] == ours.labels_[core][None, :]
        assert (np.where(same, dist, np.inf).min(axis=1) <= eps * (1 + 1e-9)).all()
    # Clusters are numbered by their smallest core row.
    firsts = [core[ours.labels_[core] == c].min() for c in range(ours.n_clusters_)]
    assert firsts == sorted(firsts)
    return ours


def far_from_ties(X, eps, metric):
    dist = cdist(X, X, metric=SCIPY_METRIC[metric])
    return not np.any(np.abs(dist - eps) <= 1e-7 * max(eps, 1.0))


# The grid serves up to 6 dimensions (beyond, it refuses: tested below).
BLOB_CASES = [
    (d, algorithm)
    for d in (1, 2, 3, 5, 12)
    for algorithm in ("auto", "grid", "kdtree", "brute")
    if not (algorithm == "grid" and d > 6)
]


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev", "cosine"])
@pytest.mark.parametrize(("d", "algorithm"), BLOB_CASES)
def test_matches_sklearn_on_blobs(d, algorithm, metric):
    rng = np.random.default_rng(d * 7 + len(metric))
    X = sample(rng, 1500, d)
    scale = {"euclidean": 1.0, "manhattan": 1.3, "chebyshev": 0.8, "cosine": 0.02}[metric]
    eps = scale * (0.3 + 0.25 * d)
    check_against_sklearn(X, eps, 6, metric, algorithm)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 250),
    d=st.integers(1, 9),
    min_samples=st.integers(1, 12),
    eps=st.floats(0.05, 4.0),
    metric=st.sampled_from(["euclidean", "manhattan", "chebyshev", "cosine"]),
    algorithm=st.sampled_from(["auto", "grid", "kdtree", "brute"]),
    weighted=st.booleans(),
    duplicates=st.booleans(),
)
def test_property_matches_sklearn(
    seed, n, d, min_samples, eps, metric, algorithm, weighted, duplicates
):
    assume(not (algorithm == "grid" and d > 6))
    rng = np.random.default_rng(seed)
    X = sample(rng, n, d, groups=int(rng.integers(1, 5)))
    if duplicates and n > 2:
        X[n // 2 :] = X[: n - n // 2]
    if metric == "cosine":
        eps = eps / 4
        X[np.abs(X).sum(axis=1) == 0] = 1.0
    assume(far_from_ties(X, eps, metric))
    weight = rng.integers(0, 4, n).astype(float) if weighted else None
    if weight is not None:
        assume(weight.sum() > 0)
    check_against_sklearn(X, eps, min_samples, metric, algorithm, weight)


@pytest.mark.parametrize(
    ("d", "algorithm"),
    [
        (2, "grid"),
        (2, "kdtree"),
        (2, "brute"),
        (3, "grid"),
        (3, "kdtree"),
        (3, "brute"),
        (9, "kdtree"),
        (9, "brute"),
    ],
)
def test_labels_do_not_depend_on_threads(d, algorithm):
    X = sample(np.random.default_rng(d), 4000, d)
    runs = [
        DBSCAN(0.4 * d**0.5, min_samples=5, algorithm=algorithm, n_threads=t).fit(X)
        for t in (1, 2, 3)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].labels_, other.labels_)
        np.testing.assert_array_equal(runs[0].core_sample_indices_, other.core_sample_indices_)


def test_algorithms_agree_exactly():
    X = sample(np.random.default_rng(3), 3000, 3)
    labels = [
        DBSCAN(0.6, min_samples=8, algorithm=a).fit(X).labels_ for a in ("grid", "kdtree", "brute")
    ]
    np.testing.assert_array_equal(labels[0], labels[1])
    np.testing.assert_array_equal(labels[0], labels[2])


def test_auto_choice_is_reported():
    X = sample(np.random.default_rng(0), 300, 2)
    assert DBSCAN(0.5).fit(X).algorithm_ == "grid"
    assert DBSCAN(0.5).fit(np.hstack([X, X])).algorithm_ == "kdtree"


def test_attributes_match_sklearn_conventions():
    X = sample(np.random.default_rng(1), 500, 2)
    model = DBSCAN(0.5, min_samples=4).fit(X)
    assert model.labels_.dtype == np.int64
    np.testing.assert_array_equal(model.components_, X[model.core_sample_indices_])
    np.testing.assert_array_equal(model.fit_predict(X), model.labels_)


def test_weights_make_a_single_point_core():
    X = np.array([[0.0, 0.0], [10.0, 10.0], [10.2, 10.0]])
    model = DBSCAN(0.5, min_samples=3).fit(X, sample_weight=[3, 1, 1])
    assert model.core_sample_indices_.tolist() == [0]
    assert model.labels_.tolist() == [0, -1, -1]


def test_predict_assigns_to_core_points_within_eps():
    rng = np.random.default_rng(2)
    X = sample(rng, 2000, 2, noise=0.05)
    model = DBSCAN(0.4, min_samples=6).fit(X)
    core = model.core_sample_indices_
    np.testing.assert_array_equal(model.predict(X[core]), model.labels_[core])
    new = rng.uniform(X.min(0), X.max(0), (400, 2))
    predicted = model.predict(new)
    dist = cdist(new, X[core])
    nearest = dist.argmin(axis=1)
    expected = np.where(dist.min(axis=1) <= 0.4, model.labels_[core][nearest], -1)
    np.testing.assert_array_equal(predicted, expected)


def test_predict_with_cosine_and_without_core_points():
    X = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]])
    model = DBSCAN(0.01, min_samples=2, metric="cosine").fit(X)
    assert model.labels_.tolist() == [0, 0, -1]
    assert model.predict(np.array([[2.0, 0.05], [-1.0, 0.0]])).tolist() == [0, -1]
    lonely = DBSCAN(0.01, min_samples=5).fit(X)
    assert lonely.predict(X).tolist() == [-1, -1, -1]


def test_large_grid_run_in_low_memory_shape():
    # Many points in a handful of dense cells: the cell shortcut makes them all core.
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0]]), 20_000, axis=0)
    model = DBSCAN(0.1, min_samples=10).fit(X)
    assert model.n_clusters_ == 2
    assert len(model.core_sample_indices_) == 40_000


def test_caller_array_unchanged():
    X = sample(np.random.default_rng(5), 200, 3)
    X32 = X.astype(np.float32)
    copy, copy32 = X.copy(), X32.copy()
    DBSCAN(0.5, metric="cosine").fit(X).predict(X)
    DBSCAN(0.5).fit(X32)
    np.testing.assert_array_equal(X, copy)
    np.testing.assert_array_equal(X32, copy32)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"eps": 0.0}, "eps"),
        ({"eps": -1.0}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"eps": float("inf")}, "eps"),
        ({"min_samples": 0}, "min_samples"),
        ({"metric": "minkowski"}, "metric"),
        ({"algorithm": "ball_tree"}, "algorithm"),
        ({"leaf_size": 0}, "leaf_size"),
    ],
)
def test_bad_parameters(params, match):
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match=match):
        DBSCAN(**params).fit(X)


def test_bad_parameter_types():
    with pytest.raises(TypeError, match="min_samples"):
        DBSCAN(min_samples=2.5).fit(np.zeros((5, 2)))
    with pytest.raises(TypeError, match="eps"):
        DBSCAN(eps="0.5").fit(np.zeros((5, 2)))


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([[0.0, np.nan]]), "NaN"),
        (np.array([[0.0, np.inf]]), "infinity"),
        (np.zeros((0, 2)), "0 sample"),
        (np.zeros(4), "2-D"),
    ],
)
def test_bad_data(X, match):
    with pytest.raises(ValueError, match=match):
        DBSCAN().fit(X)


def test_cosine_zero_row_is_named():
    X = np.array([[1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="all-zero row.*row 1"):
        DBSCAN(metric="cosine").fit(X)


def test_grid_refuses_high_dimensions_and_tiny_cells():
    with pytest.raises(ValueError, match="at most 6 dimensions"):
        DBSCAN(algorithm="grid").fit(np.zeros((3, 7)))
    X = np.array([[0.0, 0.0], [1e10, 0.0]])
    with pytest.raises(ValueError, match="too small for a grid"):
        DBSCAN(eps=1e-5, algorithm="grid").fit(X)
    assert DBSCAN(eps=1e-5).fit(X).algorithm_ == "kdtree"


def test_predict_checks_features():
    model = DBSCAN().fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((2, 3)))


@pytest.mark.parametrize("algorithm", ["grid", "kdtree", "brute"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev"])
def test_eps_is_inclusive_for_core_and_border_points(algorithm, metric):
    # Points 1 and 2 are core (3 points within 1.0, ends included); 0 and 3 sit exactly
    # eps from a core point, so they are border points, not noise.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [10.0, 0.0]])
    ours = DBSCAN(1.0, min_samples=3, metric=metric, algorithm=algorithm).fit(X)
    theirs = SkDBSCAN(eps=1.0, min_samples=3, metric=metric).fit(X)
    assert ours.core_sample_indices_.tolist() == [1, 2]
    assert ours.labels_.tolist() == theirs.labels_.tolist() == [0, 0, 0, 0, -1]


@pytest.mark.parametrize("weighted", [False, True])
def test_duplicate_rows_collapse_to_the_same_result(weighted):
    from oddseq import _core

    rng = np.random.default_rng(7)
    X = np.round(rng.normal(size=(3000, 3)) * 2) / 2  # a lattice: most rows repeat
    X[X == 0] = -0.0 * rng.integers(0, 2, int((X == 0).sum()))  # 0.0 and -0.0 mixed
    weight = rng.integers(0, 3, len(X)).astype(float) if weighted else None
    model = DBSCAN(0.6, min_samples=6).fit(X, sample_weight=weight)
    settings = _core.DbscanParams(eps=0.6, min_samples=6.0, algorithm="kdtree")
    run = _core.dbscan(X, weight, settings, 0)
    labels, is_core, n_clusters = run.labels, run.is_core, run.n_clusters
    np.testing.assert_array_equal(model.labels_, labels)
    np.testing.assert_array_equal(model.core_sample_indices_, np.flatnonzero(is_core))
    assert model.n_clusters_ == n_clusters
    core_rows = np.flatnonzero(is_core)
    assert (model.predict(X[core_rows]) == labels[core_rows]).all()


def test_collapse_treats_signed_zeros_as_equal():
    from oddseq.cluster._dbscan import _collapse_duplicates

    X = np.zeros((100, 2))
    X[::2, 0] = -0.0
    distinct, weight, group = _collapse_duplicates(X, None)
    assert distinct.shape == (1, 2) and weight.tolist() == [100.0]
    assert (group == 0).all()


def test_rotated_tree_agrees_exactly_with_brute_force_at_ties():
    # Correlated features (the kd-tree then searches in the data's principal frame, with
    # boxes that bound distances only up to rounding) on a coarse grid (many pairs exactly
    # eps apart): the tree's result is the exhaustive one, and scikit-learn's.
    rng = np.random.default_rng(5)
    latent = rng.normal(size=(6000, 8))
    X = np.round(2 * (latent @ rng.normal(size=(8, 16)))) / 2 + 100.0
    from oddseq import _core

    assert _core.KdTree(X, "euclidean", 32, 1).rotated
    # A distance that occurs between rows: points exactly eps apart.
    to_some = np.sqrt(((X[:200, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    eps = float(np.median(np.sort(to_some, axis=1)[:, 4]))
    tree = DBSCAN(eps, min_samples=4, algorithm="kdtree").fit(X)
    brute = DBSCAN(eps, min_samples=4, algorithm="brute").fit(X)
    np.testing.assert_array_equal(tree.labels_, brute.labels_)
    np.testing.assert_array_equal(tree.core_sample_indices_, brute.core_sample_indices_)
    assert 0 < len(tree.core_sample_indices_) < len(X)
    check_against_sklearn(X, eps, 4, "euclidean", "kdtree")


def test_dbscan_binding_takes_its_settings_as_one_record():
    from oddseq import _core

    settings = _core.DbscanParams(eps=0.5, min_samples=3.0, metric="manhattan")
    assert (settings.eps, settings.min_samples, settings.metric) == (0.5, 3.0, "manhattan")
    assert (settings.algorithm, settings.leaf_size) == ("auto", 32)
    with pytest.raises(AttributeError):
        settings.eps = 1.0
    for bad, match in [
        ({"eps": 0.0}, "eps must be positive"),
        ({"eps": np.inf}, "eps must be positive"),
        ({"min_samples": 0.0}, "min_samples must be positive"),
        ({"leaf_size": 0}, "leaf_size must be >= 1"),
        ({"algorithm": "ball_tree"}, "unknown DBSCAN algorithm"),
        ({"metric": "hamming"}, "metric"),
    ]:
        with pytest.raises(ValueError, match=match):
            _core.DbscanParams(**{"eps": 0.5, "min_samples": 3.0, **bad})
    X = np.array([[0.0, 0.0], [0.0, 0.4], [0.4, 0.0], [5.0, 5.0]])
    run = _core.dbscan(X, None, settings, 1)
    assert run.labels.tolist() == [0, 0, 0, -1]
    assert run.algorithm in ("grid", "kdtree", "brute")
