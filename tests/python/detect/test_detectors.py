import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import LocalOutlierFactor

from oddseq.cluster import DBSCAN
from oddseq.detect import (
    LOF,
    DBSCANDetector,
    EnsembleDetector,
    KMeansDetector,
    KNNDetector,
    PCADetector,
    RobustZDetector,
    jackson_mudholkar_limit,
)


def data(seed=0):
    """Two groups and three planted outliers (rows 600-602), each odd on one feature."""
    rng = np.random.default_rng(seed)
    normal = np.vstack([rng.normal(0, 1, (300, 3)), rng.normal(8, 1, (300, 3))])
    outliers = np.array([[20.0, 0.0, 0.0], [4.0, 4.0, 30.0], [-15.0, 0.0, 0.0]])
    return np.vstack([normal, outliers])


DETECTORS = [
    KNNDetector(contamination=0.01),
    KNNDetector(method="mean", contamination=0.01),
    KNNDetector(method="median", metric="manhattan", contamination=0.01),
    LOF(contamination=0.01),
    DBSCANDetector(eps=1.2, min_samples=8),
    DBSCANDetector(min_samples=8, contamination=0.01),
    RobustZDetector(contamination=0.01),
    KMeansDetector(n_clusters=2, contamination=0.01, random_state=0),
    EnsembleDetector([KNNDetector(), LOF()], contamination=0.01),
    EnsembleDetector(
        [KNNDetector(), RobustZDetector(), LOF()],
        combine="aom",
        normalize="rank",
        contamination=0.01,
        random_state=0,
    ),
]


@pytest.mark.parametrize("det", DETECTORS, ids=lambda d: repr(d)[:60])
def test_pyod_surface_and_ranking(det):
    X = data()
    copy = X.copy()
    det.fit(X)
    np.testing.assert_array_equal(X, copy)
    assert set(np.argsort(-det.decision_scores_)[:3]) == {600, 601, 602}
    assert det.labels_[600:].all()
    assert det.labels_.dtype == np.int64 and det.labels_.shape == (603,)
    new = np.array([[0.1, -0.2, 0.3], [30.0, 30.0, -30.0]])
    scores = det.decision_function(new)
    assert scores[1] > scores[0]
    assert det.predict(new).tolist() == [0, 1]
    np.testing.assert_allclose(det.score_samples(new), -scores)
    proba = det.predict_proba(new)
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1)
    with pytest.raises(ValueError, match="features"):
        det.decision_function(np.zeros((2, 4)))


@pytest.mark.parametrize("det", DETECTORS, ids=lambda d: repr(d)[:60])
def test_explain_names_the_driving_feature(det):
    X = pd.DataFrame(data(), columns=["speed", "volume", "night"])
    det.fit(X)
    reasons = det.explain(X.iloc[600:603], top=2)
    assert list(reasons.index.names) == ["row", "rank"]
    assert reasons.loc[(600, 1), "feature"] == "speed"
    assert reasons.loc[(601, 1), "feature"] == "night"
    assert reasons.loc[(602, 1), "feature"] == "speed"
    assert abs(reasons.loc[(601, 1), "deviation"]) > 3
    assert 0 < reasons.loc[(601, 1), "share"] <= 1
    assert {"value", "typical"} <= set(reasons.columns)


@pytest.mark.parametrize("det", DETECTORS, ids=lambda d: repr(d)[:60])
def test_scoring_before_fit(det):
    from sklearn.base import clone

    with pytest.raises(NotFittedError):
        clone(det).decision_function(np.zeros((2, 3)))


@pytest.mark.parametrize("cls", [KNNDetector, LOF, DBSCANDetector, PCADetector, RobustZDetector])
@pytest.mark.parametrize("bad", [0.0, 0.6, -0.1, "most"])
def test_bad_contamination(cls, bad):
    with pytest.raises((ValueError, TypeError), match="contamination"):
        cls(contamination=bad).fit(data())


def test_bad_data_is_refused():
    for det in (KNNDetector(), LOF(), PCADetector(), RobustZDetector(), DBSCANDetector(eps=1.0)):
        with pytest.raises(ValueError, match="NaN"):
            det.fit(np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 4.0]]))


@pytest.mark.parametrize("k", [5, 20])
def test_lof_equals_sklearn(k):
    rng = np.random.default_rng(k)
    X = np.vstack([rng.normal(0, 1, (400, 4)), rng.normal(5, 0.3, (100, 4))])
    ours = LOF(n_neighbors=k, reach_floor_quantile=0).fit(X)
    theirs = LocalOutlierFactor(n_neighbors=k).fit(X)
    np.testing.assert_allclose(ours.decision_scores_, -theirs.negative_outlier_factor_, rtol=1e-9)
    new = rng.normal(2, 2, (50, 4))
    novelty = LocalOutlierFactor(n_neighbors=k, novelty=True).fit(X)
    np.testing.assert_allclose(ours.decision_function(new), -novelty.score_samples(new), rtol=1e-9)


def test_lof_stays_a_ratio_of_densities_with_repeated_rows():
    # Small-integer counts, as behaviour features are: most rows repeat many times. Plain
    # LOF gives the neighbours of a repeated row factors near 10^10 (reachability 0).
    rng = np.random.default_rng(3)
    X = rng.poisson(1.5, size=(2000, 3)).astype(float)
    X = np.vstack([X, [[9.0, 9.0, 9.0]]])
    det = LOF(n_neighbors=10, reach_floor_quantile=0).fit(X)
    with pytest.warns(UserWarning, match="Duplicate values"):
        plain = -LocalOutlierFactor(n_neighbors=10).fit(X).negative_outlier_factor_
    assert plain.max() > 1e6
    assert det.reach_floor_ > 0
    assert np.isfinite(det.decision_scores_).all() and det.decision_scores_.max() < 100
    assert det.decision_scores_.argmax() == len(X) - 1  # the one far from every group
    assert np.isfinite(det.decision_function(X[:50] + 0.5)).all()
    # Without repeated rows nothing changes (scikit-learn's scores, above).
    jittered = X + rng.normal(0, 1e-3, X.shape)
    assert LOF(n_neighbors=10, reach_floor_quantile=0).fit(jittered).reach_floor_ == 0.0
    # The default floor (the median radius) is at least the repeated rows' guard.
    default = LOF(n_neighbors=10).fit(X)
    assert default.reach_floor_ >= det.reach_floor_
    assert default.decision_scores_.argmax() == len(X) - 1


def test_lof_saved_before_the_floor_was_a_parameter_reads_as_the_textbook_factor():
    # An LOF pickled by an earlier version has no reach_floor_quantile of its own.
    import pickle

    from sklearn.base import clone

    X = np.random.default_rng(5).poisson(1.5, size=(300, 3)).astype(float)
    old = LOF(n_neighbors=10, reach_floor_quantile=0).fit(X)
    state = old.__dict__.copy()
    del state["reach_floor_quantile"]
    loaded = LOF.__new__(LOF)
    loaded.__setstate__(state)
    loaded = pickle.loads(pickle.dumps(loaded))
    assert loaded.get_params()["reach_floor_quantile"] == 0.0 and "LOF(" in repr(loaded)
    np.testing.assert_array_equal(loaded.decision_function(X[:20]), old.decision_function(X[:20]))
    np.testing.assert_array_equal(clone(loaded).fit(X).decision_scores_, old.decision_scores_)
    # A value of its own is kept through a save.
    kept = pickle.loads(pickle.dumps(LOF(n_neighbors=10, reach_floor_quantile=0.3).fit(X)))
    assert kept.reach_floor_quantile == 0.3
    np.testing.assert_array_equal(
        kept.decision_scores_, LOF(n_neighbors=10, reach_floor_quantile=0.3).fit(X).decision_scores_
    )


def test_lof_denser_than_typical_is_not_odd():
    # Users who did one thing: their features lie on a few tight near-duplicate groups
    # (radius ~1e-3), beside the bulk of users spread at unit scale. Rows just off a
    # tight group, well inside the log's typical spacing, got textbook factors in the
    # tens (REES46's head: 109 of 119 users flagged had one event); the default floor
    # (the median neighbourhood radius) leaves them at about 1 and ranks the rows far
    # from everyone first.
    rng = np.random.default_rng(7)
    bulk = rng.normal(0, 1, (1500, 3))
    tight = np.vstack([c + rng.normal(0, 1e-3, (300, 3)) for c in rng.normal(0, 1, (3, 3))])
    near = tight[::300][:3] + 0.05  # just off each tight group
    far = rng.normal(0, 1, (5, 3)) * 0.2 + 6.0
    X = np.vstack([bulk, tight, near, far])
    is_near = np.zeros(len(X), bool)
    is_near[len(bulk) + len(tight) : len(bulk) + len(tight) + 3] = True
    is_far = np.zeros(len(X), bool)
    is_far[-5:] = True
    textbook = LOF(n_neighbors=20, reach_floor_quantile=0).fit(X).decision_scores_
    assert textbook[is_near].min() > textbook[is_far].max()  # the failure
    det = LOF(n_neighbors=20).fit(X)
    scores = det.decision_scores_
    assert det.reach_floor_ == pytest.approx(np.median(det._k_distance))
    assert scores[is_near].max() < 1.5
    top = np.argsort(-scores)[:5]
    assert is_far[top].all()
    # The floor holds for new rows too: a row just off a tight group is no odder.
    assert det.decision_function(tight[:1] + 0.05)[0] < 1.5
    assert det.decision_function(far[:1] + 0.5)[0] > scores[~is_far].max()


def test_knn_equals_brute_force():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 5))
    det = KNNDetector(n_neighbors=4, method="mean").fit(X)
    full = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    np.fill_diagonal(full, np.inf)
    np.testing.assert_allclose(det.decision_scores_, np.sort(full, axis=1)[:, :4].mean(1))


def test_dbscan_detector_auto_flags_exactly_the_noise():
    X = data()
    det = DBSCANDetector(eps=1.2, min_samples=8).fit(X)
    model = DBSCAN(1.2, min_samples=8).fit(X)
    np.testing.assert_array_equal(det.labels_.astype(bool), model.labels_ == -1)
    core = np.zeros(len(X), bool)
    core[model.core_sample_indices_] = True
    border = (model.labels_ >= 0) & ~core
    assert det.decision_scores_[core].max() <= 1.0
    if border.any():
        assert (det.decision_scores_[border] > 1).all() and (
            det.decision_scores_[border] <= 2
        ).all()
    assert (det.decision_scores_[model.labels_ == -1] > 2).all()


def test_dbscan_detector_picks_eps():
    det = DBSCANDetector(min_samples=8).fit(data())
    assert 0.1 < det.eps_ < 5
    assert set(np.flatnonzero(det.noise_)) >= {600, 601, 602}


def test_pca_spe_and_limits():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(4000, 2))
    mixing = rng.normal(size=(2, 6))
    X = t @ mixing + rng.normal(0, 0.1, (4000, 6))
    det = PCADetector(n_components=2, alpha=0.01).fit(X)
    centred = X - X.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    residual = centred - centred @ vt[:2].T @ vt[:2]
    np.testing.assert_allclose(det.spe_, (residual**2).sum(1), rtol=1e-6)
    # Gaussian residuals: about alpha of the rows exceed each limit.
    assert 0.002 < (det.spe_ > det.spe_limit_).mean() < 0.03
    assert 0.002 < (det.t2_ > det.t2_limit_).mean() < 0.03
    broken = X[:1].copy()
    broken[0, 0] += 3
    assert det.predict(broken)[0] == 1
    stats_table = det.statistics(broken)
    assert bool(stats_table["spe_over_limit"].iloc[0])


def test_jackson_mudholkar_matches_chi_square_for_equal_variances():
    for m in (3, 10, 40):
        limit = jackson_mudholkar_limit(np.full(m, 2.0), 0.01)
        assert limit == pytest.approx(2.0 * stats.chi2.ppf(0.99, m), rel=0.02)


def test_robust_z_needs_both_rules():
    X = np.vstack([np.random.default_rng(0).normal(size=(400, 2)), [[0.0, 8.0]]])
    det = RobustZDetector().fit(X)
    assert det.labels_[-1] == 1
    assert det.decision_scores_[-1] > 1
    # A value beyond the z rule but inside the fences (wide IQR) does not count fully.
    scores = det._feature_scores(np.array([[0.0, 2.5]]))
    assert scores[0, 1] < 1


def test_ensemble_explains_with_the_leading_member():
    X = data()
    det = EnsembleDetector(
        [("knn", KNNDetector()), ("z", RobustZDetector())], contamination=0.01
    ).fit(X)
    reasons = det.explain(X[600:603])
    assert set(reasons["detector"]) <= {"knn", "z"}
    assert sorted(set(reasons.index.get_level_values("row"))) == [0, 1, 2]
    with pytest.raises(ValueError, match="combine"):
        EnsembleDetector([KNNDetector()], combine="vote").fit(X)
    with pytest.raises(TypeError, match="not a detector"):
        EnsembleDetector([object()]).fit(X)


@pytest.mark.parametrize(
    "det",
    [KNNDetector(n_neighbors=7), LOF(n_neighbors=9), DBSCANDetector(eps=1.2, min_samples=8)],
    ids=lambda d: type(d).__name__,
)
def test_training_rows_are_explained_from_the_neighbours_found_in_fit(det):
    # Explaining the training matrix again reuses fit's neighbours; a copy that differs
    # in one value is searched afresh. Both explain each row against the other rows.
    X = np.vstack([data(), data()[:50]])  # duplicated rows: distance-0 neighbours
    det.fit(X)
    fast = det.explain(X, top=3)
    changed = X.copy()
    changed[-1, 0] += 1e-9
    searched = det.explain(changed, top=3).drop(index=len(X) - 1, level="row")
    pd.testing.assert_frame_equal(fast.drop(index=len(X) - 1, level="row"), searched)
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=[f"u{i}" for i in range(len(X))])
    named = det.fit(frame).explain(frame, top=1)
    assert named.index.get_level_values("row")[0] == "u0"


def test_ensemble_explains_training_rows_with_their_training_scores():
    X = data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"], index=[f"u{i}" for i in range(len(X))])
    det = EnsembleDetector([("knn", KNNDetector()), ("km", KMeansDetector(2, random_state=0))])
    for matrix in (X, frame):
        det.fit(matrix)
        reasons = det.explain(matrix, top=2)
        members = np.column_stack([d.decision_scores_ for _, d in det.detectors_])
        lead = np.array(["knn", "km"])[det._normalised(members).argmax(axis=1)]
        got = reasons.xs(1, level="rank")["detector"].to_numpy()
        np.testing.assert_array_equal(got, lead)
        rows = reasons.index.get_level_values("row").unique()
        assert list(rows) == list(frame.index if matrix is frame else range(len(X)))


def test_ensemble_explains_only_with_the_members_allowed():
    X = data()
    det = EnsembleDetector(
        [("knn", KNNDetector()), ("z", RobustZDetector())], explain_with=["z"], contamination=0.01
    ).fit(X)
    assert set(det.explain(X)["detector"]) == {"z"}
    with pytest.raises(ValueError, match="explain_with"):
        det.set_params(explain_with=["lof"]).explain(X)


@pytest.mark.parametrize("share", [0.5, 0.8, 0.9, 0.99])
def test_pca_and_pca_detector_choose_n_components_by_one_rule(share):
    from oddseq.preprocessing import PCA

    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 6)) * [5.0, 3.0, 2.0, 1.0, 0.5, 0.1]
    assert PCA(n_components=share).fit(X).n_components_ == (
        PCADetector(n_components=share).fit(X).n_components_
    )
    constant = np.ones((20, 3))
    assert PCA(n_components=share).fit(constant).n_components_ == 1
    assert PCADetector(n_components=share).fit(constant).n_components_ == 1
    for model in (PCA(n_components=4), PCADetector(n_components=4)):
        with pytest.raises(ValueError, match=r"n_components must be in \[1, 3\]"):
            model.fit(constant)


def test_tail_probability_is_uniform_on_rows_like_the_training_rows():
    rng = np.random.default_rng(0)
    det = KNNDetector(n_neighbors=5).fit(rng.normal(size=(3_000, 3)))
    proba = det.predict_proba(rng.normal(size=(3_000, 3)), method="tail")[:, 1]
    # New rows from the training distribution: the anomaly probability is about
    # uniform (its deciles near 0.1, 0.2, ...).
    deciles = np.quantile(proba, np.linspace(0.1, 0.9, 9))
    np.testing.assert_allclose(deciles, np.linspace(0.1, 0.9, 9), atol=0.05)
    far = det.predict_proba(np.full((1, 3), 8.0), method="tail")[0, 1]
    assert far > 0.999
    with pytest.raises(ValueError, match="method must be 'linear' or 'tail'"):
        det.predict_proba(np.zeros((1, 3)), method="unify")


def test_predict_confidence_is_high_away_from_the_cut():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(500, 2)), [[9.0, 9.0]]])
    det = KNNDetector(n_neighbors=5, contamination=0.02).fit(X)
    confidence = det.predict_confidence(np.array([[0.0, 0.0], [9.0, 9.0]]))
    assert confidence.shape == (2,) and np.all((confidence >= 0) & (confidence <= 1))
    assert confidence[0] > 0.99 and confidence[1] > 0.99
    near_cut = det.decision_scores_.argsort()[-15:-5]  # the cut flags the top 10
    assert det.predict_confidence(X[near_cut]).min() < 0.9


def test_training_matrix_is_recognised_in_one_place():
    """One helper answers "is this the training matrix" for every detector: against
    the matrix a neighbour detector keeps anyway, and against the digest the ensemble
    keeps instead of a copy; nothing kept (fitted over partitions) answers no."""
    from oddseq.detect import EnsembleDetector, KNNDetector, RobustZDetector
    from oddseq.detect._base import is_training_matrix

    X = np.random.default_rng(3).normal(size=(200, 4))
    knn = KNNDetector().fit(X)
    ensemble = EnsembleDetector([("knn", KNNDetector()), ("z", RobustZDetector())]).fit(X)
    for kept in (knn._train, ensemble._train_digest):
        assert is_training_matrix(X.copy(), kept)
        assert not is_training_matrix(X[:-1], kept)
        changed = X.copy()
        changed[7, 2] = np.nextafter(changed[7, 2], np.inf)
        assert not is_training_matrix(changed, kept)
    assert not is_training_matrix(X.astype(np.float32), ensemble._train_digest)
    assert not is_training_matrix(X, None)
    # The neighbours' explanation of the training rows from the neighbours fit found
    # equals searching them afresh (no duplicate rows here).
    prepared = knn.explain(X)
    knn._train_neighbours = None
    pd.testing.assert_frame_equal(prepared, knn.explain(X))


@pytest.mark.parametrize("statistic", ["spe", "t2"])
def test_pca_scores_a_row_the_same_wherever_it_lies_in_the_matrix(statistic):
    """A row's SPE and T^2 do not depend on the rows scored with it: oddseq.dask scores
    partitions and must equal the whole table bit for bit (a BLAS product rounded rows
    by their place in its blocks: an ulp off in 74 of 300 rows cut in parts of 37)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 40)) @ rng.normal(size=(40, 40))
    det = PCADetector(n_components=12, statistic=statistic).fit(X)
    whole = det.decision_function(X)
    parts = np.concatenate([det.decision_function(X[s : s + 37]) for s in range(0, 300, 37)])
    assert np.array_equal(parts, whole)
    assert np.array_equal(det.decision_function(X[::-1]), whole[::-1])


@pytest.mark.parametrize("statistic", ["spe", "t2"])
def test_pca_explains_a_row_the_same_wherever_it_lies_in_the_matrix(statistic):
    """A row's contributions (what its reason names, in their order) do not depend on the
    rows explained with it: a BLAS product rounded them by the batch's size, so features
    that tie in theory (event types only one entity has) were ordered by round-off, and an
    entity scored alone or in a Dask partition got another reason (loghub BGL's APP by
    Component; H4's s24 parity hunt)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 40)) @ rng.normal(size=(40, 40))
    det = PCADetector(n_components=12, statistic=statistic).fit(X)
    whole = det._explain(X)
    for s in range(0, 300, 37):
        part = det._explain(X[s : s + 37])
        assert np.array_equal(part.contribution, whole.contribution[s : s + 37])
        assert np.array_equal(part.typical, whole.typical[s : s + 37])
    alone = det._explain(X[[5]])
    assert np.array_equal(alone.contribution[0], whole.contribution[5])
