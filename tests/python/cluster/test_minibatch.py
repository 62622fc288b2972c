import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from oddseq.cluster import MiniBatchKMeans

EXPECTED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "random batches differ when rows are repeated instead of weighted; scikit-learn's "
        "MiniBatchKMeans lists the same exception"
    )
}


@parametrize_with_checks(
    [MiniBatchKMeans(n_clusters=3, batch_size=20, n_threads=1)],
    expected_failed_checks=lambda est: EXPECTED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def blobs(seed, n=6000, d=5, k=6, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 6, (k, d))
    labels = rng.integers(0, k, n)
    return (centers[labels] + rng.normal(0, 1, (n, d))).astype(dtype), labels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(3))
def test_finds_the_clusters_like_sklearn(seed, dtype):
    X, truth = blobs(seed, dtype=dtype)
    ours = MiniBatchKMeans(6, batch_size=256, random_state=seed).fit(X)
    theirs = SkMiniBatchKMeans(6, batch_size=256, random_state=seed, n_init=3).fit(X)
    assert ours.cluster_centers_.dtype == dtype
    assert adjusted_rand_score(truth, ours.labels_) > 0.95
    assert ours.inertia_ <= theirs.inertia_ * 1.05


def test_same_step_as_sklearn_from_same_centres():
    # One full-batch step from the same centres is a deterministic update.
    X, _ = blobs(0, n=500)
    init = X[:6].copy()
    ours = MiniBatchKMeans(
        6, init=init, batch_size=500, random_state=0, reassignment_ratio=0
    ).partial_fit(X)
    theirs = SkMiniBatchKMeans(
        6, init=init, batch_size=500, random_state=0, reassignment_ratio=0, n_init=1
    ).partial_fit(X)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10)


def test_partial_fit_streams_and_is_deterministic():
    X, truth = blobs(1)
    chunks = np.array_split(X, 30)
    a = MiniBatchKMeans(6, random_state=3)
    b = MiniBatchKMeans(6, random_state=3)
    for chunk in chunks:
        a.partial_fit(chunk)
        b.partial_fit(chunk)
    assert a.n_steps_ == 30
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert adjusted_rand_score(truth, a.predict(X)) > 0.9
    with pytest.raises(ValueError, match="features"):
        a.partial_fit(X[:, :3])


def test_bad_input():
    X, _ = blobs(0, n=50)
    with pytest.raises(ValueError, match="n_clusters=60 is larger"):
        MiniBatchKMeans(60).fit(X)
    with pytest.raises(ValueError, match="batch_size"):
        MiniBatchKMeans(2, batch_size=0).fit(X)
    with pytest.raises(ValueError, match="reassignment_ratio"):
        MiniBatchKMeans(2, reassignment_ratio=2).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        MiniBatchKMeans(2).fit(np.full((5, 2), np.nan))
