import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from oddseq.detect import KMeansDetector


def data(seed=0):
    rng = np.random.default_rng(seed)
    normal = np.vstack([rng.normal(0, 1, (300, 3)), rng.normal(8, 1, (300, 3))])
    outliers = np.array([[20.0, 0.0, 0.0], [4.0, 4.0, 30.0], [-15.0, -15.0, -15.0]])
    return np.vstack([normal, outliers])


def test_pyod_surface_and_ranking():
    X = data()
    det = KMeansDetector(n_clusters=2, contamination=0.01, random_state=0).fit(X)
    assert set(np.argsort(-det.decision_scores_)[:3]) == {600, 601, 602}
    assert det.labels_.sum() == pytest.approx(0.01 * len(X), abs=2)
    assert np.array_equal(det.predict(X), det.labels_)
    np.testing.assert_allclose(det.decision_function(X), det.decision_scores_, rtol=1e-6)
    np.testing.assert_allclose(det.score_samples(X), -det.decision_scores_, rtol=1e-6)
    proba = det.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.argmax(proba[:, 1]) in (600, 601, 602)
    assert det.fit_predict(X).tolist() == det.labels_.tolist()


def test_explain_names_the_driving_feature():
    X = pd.DataFrame(data(), columns=["speed", "volume", "night"])
    det = KMeansDetector(n_clusters=2, contamination=0.01, random_state=0).fit(X)
    reasons = det.explain(X.iloc[600:602], top=2)
    assert reasons.loc[(600, 1), "feature"] == "speed"
    assert reasons.loc[(601, 1), "feature"] == "night"
    assert reasons.loc[(601, 1), "deviation"] > 5
    assert 0 < reasons.loc[(601, 1), "share"] <= 1


def test_bad_input():
    X = data()
    for bad in (0, 0.6, -0.1):
        with pytest.raises(ValueError, match="contamination"):
            KMeansDetector(contamination=bad).fit(X)
    with pytest.raises(TypeError, match="contamination"):
        KMeansDetector(contamination="0.1").fit(X)
    with pytest.raises(NotFittedError):
        KMeansDetector().decision_function(X)
    det = KMeansDetector(n_clusters=2).fit(X)
    with pytest.raises(ValueError, match="3 features|features"):
        det.decision_function(X[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        det.predict(np.full((2, 3), np.nan))


def test_a_tight_group_of_outliers_in_its_own_cluster_still_scores_high():
    rng = np.random.default_rng(1)
    normal = rng.normal(0, 1, (500, 2))
    bots = rng.normal(15, 0.05, (12, 2))  # alike each other, unlike everyone else
    X = np.vstack([normal, bots])
    det = KMeansDetector(n_clusters=4, contamination=0.03, random_state=0).fit(X)
    assert not det.large_clusters_[det.kmeans_.labels_[-1]]
    assert set(np.argsort(-det.decision_scores_)[:12]) == set(range(500, 512))


def test_large_cluster_rule():
    from oddseq.detect._kmeans import large_cluster_mask

    assert large_cluster_mask(np.array([50, 45, 3, 2]), 0.9, 5).tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert large_cluster_mask(np.array([10, 10, 10]), 0.9, 5).tolist() == [True, True, True]
    # Sizes that fall off gradually (a fit of the held-out game's 20,000 players): no
    # cluster is beta times smaller than the one before, so none is small, not the ones
    # past the alpha share (PyOD's fallback, which the docstring used to promise).
    graded = np.array([6308, 5913, 4546, 1451, 697, 451, 360, 274])
    assert large_cluster_mask(graded, 0.9, 5).all()
    # The step may come after the alpha share is reached: the boundary is at the step.
    assert large_cluster_mask(np.array([400, 300, 250, 100, 10]), 0.9, 5).tolist() == [
        True,
        True,
        True,
        True,
        False,
    ]
    with pytest.raises(ValueError, match="alpha"):
        KMeansDetector(alpha=0.2).fit(data())


def test_share_floor_calls_a_few_alike_small_where_sizes_fall_off_gradually():
    from oddseq.detect._kmeans import large_cluster_mask

    # TR s49's travel site with recent_change=True: 26 fare scrapers, 42 stuffed
    # accounts and 47 takeovers each a cluster (0.4-0.8% of 6,265 users), after a
    # loyalty cluster of 184: no step of 5 anywhere, so the steps alone call all large.
    sizes = np.array([42, 1434, 1776, 47, 718, 184, 2038, 26])
    assert large_cluster_mask(sizes, 0.9, 5).all()
    small = ~large_cluster_mask(sizes, 0.9, 5, min_share=0.01)
    assert sizes[small].tolist() == [42, 47, 26]
    # The held-out game's graded clusters all hold over 1%: none is small.
    graded = np.array([6308, 5913, 4546, 1451, 697, 451, 360, 274])
    assert large_cluster_mask(graded, 0.9, 5, min_share=0.01).all()
    # Many clusters of one size, each under 1%: alike in size, none is apart.
    assert large_cluster_mask(np.full(200, 50), 0.9, 5, min_share=0.01).all()
    # Under 1% but not 5 times smaller than the cover's last cluster: large.
    assert large_cluster_mask(np.r_[np.full(100, 95), 80], 0.9, 5, min_share=0.01).all()


def test_a_few_bots_alike_after_a_modest_normal_cluster_score_high():
    """Normal clusters that fall off gradually (2,000 to 100 rows, no step of 5) and 30
    bots alike far away: with the size steps alone their cluster is "large" and every
    bot scores as typical; the share floor scores them against the large clusters."""
    rng = np.random.default_rng(3)
    centres = [(0, 0, 0), (20, 0, 0), (0, 20, 0), (0, 0, 20), (20, 20, 20)]
    normal = np.vstack(
        [rng.normal(c, 0.7, (n, 3)) for c, n in zip(centres, (2000, 1500, 1000, 400, 100))]
    )
    bots = rng.normal((60, -40, 60), 0.05, (30, 3))
    X = np.vstack([normal, bots])
    is_bot = np.arange(len(X)) >= len(normal)
    steps = KMeansDetector(n_clusters=6, min_share=0, random_state=0).fit(X)
    floor = KMeansDetector(n_clusters=6, random_state=0).fit(X)
    sizes = np.bincount(floor.kmeans_.labels_)
    assert sorted(sizes.tolist()) == [30, 100, 400, 1000, 1500, 2000]
    assert steps.large_clusters_.all()
    assert np.median(steps.decision_scores_[is_bot]) < np.median(steps.decision_scores_)
    assert floor.large_clusters_.sum() == 5
    assert set(np.argsort(-floor.decision_scores_)[:30]) == set(np.flatnonzero(is_bot))
    assert floor.labels_[is_bot].all()
    for bad in (-0.1, 0.5, 2):
        with pytest.raises(ValueError, match=r"min_share must be in \[0, 0.5\)"):
            KMeansDetector(min_share=bad).fit(X)


def test_a_model_saved_before_min_share_refits_as_it_was_fitted():
    X = data()
    det = KMeansDetector(n_clusters=2, random_state=0).fit(X)
    state = dict(det.__dict__)
    del state["min_share"]
    old = KMeansDetector.__new__(KMeansDetector)
    old.__setstate__(state)
    assert old.min_share == 0.0
    np.testing.assert_array_equal(old.decision_function(X), det.decision_scores_)
    from sklearn.base import clone

    assert clone(old).get_params()["min_share"] == 0.0


def test_restarts_give_the_same_scores_whatever_the_thread_count(monkeypatch):
    """Restarts keep the first run of lowest restart_inertia (each row's squared distance
    in double, times its count on tied rows, summed with correct rounding), which no
    thread count or split of the rows changes: the same random_state gives bit-equal
    scores at 1 and 2 threads, on untied rows and on tied ones (fitted weighted on their
    distinct rows), each large enough for K-means to split its rows into several
    segments (1,024 rows at least each)."""
    import math

    from oddseq import _core
    from oddseq.cluster import _kmeans as kmeans_module
    from oddseq.cluster._kmeans import restart_inertia, row_inertia
    from oddseq.utils._rows import weighted_distinct_rows

    rng = np.random.default_rng(3)
    distinct = rng.normal(size=(20, 4)) * rng.uniform(0.5, 4, size=4)
    tied = distinct[rng.choice(20, 2000, p=rng.dirichlet(np.full(20, 0.5)))]
    untied = rng.normal(size=(600, 4)) * rng.uniform(0.5, 4, size=4)
    runs, fit = [], _core.kmeans_fit
    monkeypatch.setattr(
        kmeans_module._core, "kmeans_fit", lambda *a: runs.append(fit(*a)) or runs[-1]
    )
    for X in (tied, untied):
        rows, counts, group = weighted_distinct_rows(X)
        weighted = 2 * rows.shape[0] <= X.shape[0]
        for seed in range(3):
            runs.clear()
            det = KMeansDetector(n_init=10, random_state=seed).fit(X)
            assert len(runs) == 10
            if weighted:
                values = [
                    restart_inertia(row_inertia(rows, r.centers, r.labels, counts)) for r in runs
                ]
            else:
                values = [restart_inertia(row_inertia(X, r.centers, r.labels)) for r in runs]
            kept = runs[int(np.argmin(values))]  # argmin: the first of equals
            np.testing.assert_array_equal(det.kmeans_.cluster_centers_, kept.centers)
            labels = kept.labels[group] if weighted else kept.labels
            np.testing.assert_array_equal(det.kmeans_.labels_, labels)
            if weighted:
                # A distinct row's squared distance times its count is its rows' sum,
                # up to the rounding of that product.
                every = math.fsum(row_inertia(X, kept.centers, labels))
                by_count = math.fsum(row_inertia(rows, kept.centers, kept.labels, counts))
                assert by_count == pytest.approx(every, rel=1e-13, abs=0)
    monkeypatch.undo()
    # Several segments: 6,000 untied rows; 12,000 tied rows, 5,000 of them distinct.
    untied = rng.normal(size=(6000, 5)) * rng.uniform(0.5, 4, size=5)
    base = rng.normal(size=(5000, 5)) * rng.uniform(0.5, 4, size=5)
    tied = base[np.concatenate([np.arange(5000), rng.integers(0, 5000, 7000)])]
    assert weighted_distinct_rows(tied)[0].shape[0] == 5000
    for X in (untied, tied):
        for seed in (0, 1):
            one, two = (
                KMeansDetector(n_init=5, random_state=seed, n_threads=threads).fit(X)
                for threads in (1, 2)
            )
            np.testing.assert_array_equal(
                one.kmeans_.cluster_centers_, two.kmeans_.cluster_centers_
            )
            np.testing.assert_array_equal(one.decision_scores_, two.decision_scores_)
            assert one.threshold_ == two.threshold_


def test_restarts_on_tied_rows_fit_the_distinct_rows_weighted():
    """With restarts on rows of which at most half are distinct, K-means runs on the
    distinct rows weighted by their counts (the same objective); the labels of every
    row are their distinct row's. Untied rows, or one seeding, fit every row."""
    from oddseq.cluster import KMeans
    from oddseq.utils._rows import weighted_distinct_rows

    rng = np.random.default_rng(2)
    base = rng.normal(size=(40, 4)).astype(np.float32)
    X = base[rng.integers(0, 40, 600)]
    det = KMeansDetector(n_clusters=6, n_init=5, random_state=3).fit(X)
    rows, counts, group = weighted_distinct_rows(X)
    expected = KMeans(n_clusters=6, n_init=5, random_state=3).fit(rows, sample_weight=counts)
    np.testing.assert_array_equal(det.kmeans_.cluster_centers_, expected.cluster_centers_)
    np.testing.assert_array_equal(det.kmeans_.labels_, expected.labels_[group])
    assert np.isfinite(det.decision_scores_).all() and det.decision_scores_.shape == (600,)
    # Fewer distinct rows than clusters: one cluster per distinct row.
    few = KMeansDetector(n_clusters=8, n_init=3, random_state=0).fit(X[np.isin(group, [0, 1, 2])])
    assert few.kmeans_.cluster_centers_.shape[0] == 3 and few.large_clusters_.shape == (3,)
    for untied, n_init in ((rng.normal(size=(600, 4)), 5), (X, "auto"), (X, 1)):
        det = KMeansDetector(n_clusters=6, n_init=n_init, random_state=3).fit(untied)
        expected = KMeans(n_clusters=6, n_init=n_init, random_state=3).fit(untied)
        np.testing.assert_array_equal(det.kmeans_.cluster_centers_, expected.cluster_centers_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_init", [1, 10])
def test_rows_equal_to_their_centre_score_exactly_zero(dtype, n_init):
    """Tied rows, one distinct row per cluster: each centre is its row bit for bit
    (restarts fit the distinct rows weighted by their counts; without, every row), so
    every score and the cut are exactly 0."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        distinct = (rng.normal(size=(5, 4)) * rng.uniform(0.1, 30, 4)).astype(dtype)
        X = distinct[rng.integers(0, 5, 200)]
        det = KMeansDetector(n_clusters=5, n_init=n_init, random_state=seed).fit(X)
        centres = det.kmeans_.cluster_centers_
        np.testing.assert_array_equal(centres[det.kmeans_.labels_], X)
        assert (det.decision_scores_ == 0).all() and det.threshold_ == 0.0
