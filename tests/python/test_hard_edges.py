"""Regression tests for the hard edges the fuzzing campaign found (issue 17), each
named after the case that failed: a crash or exit for huge n_threads, silent NaN or inf
from finite input, and the wrong exception type."""

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.cluster import (
    DBSCAN,
    KMeans,
    MiniBatchKMeans,
    NearestNeighbors,
    kmeans_plusplus,
    suggest_eps,
)
from oddseq.detect import (
    ECOD,
    LOF,
    DBSCANDetector,
    IsolationForest,
    KMeansDetector,
    KNNDetector,
    MarkovDetector,
    PCADetector,
)
from oddseq.encode import (
    AutomationEncoder,
    CountEncoder,
    CountTimingEncoder,
    CrowdEncoder,
    DecayEncoder,
    DiversityEncoder,
    MinHashEncoder,
    RecentChangeEncoder,
    TemporalEncoder,
    TransitionEncoder,
    default_encoder,
)
from oddseq.graph import EntityObjectGraph, GroupDetector
from oddseq.metrics import silhouette_samples, silhouette_score
from oddseq.preprocessing import PCA, StandardScaler
from oddseq.utils._validation import (
    MAX_THREADS_ABSOLUTE,
    magnitude_limit,
    max_threads,
    resolve_threads,
)

X_SMALL = np.random.default_rng(0).normal(size=(20, 3))


def _seqs():
    return oddseq.Sequences.from_arrays(
        [0, 3, 5],
        ["view", "cart", "buy", "view", "view"],
        times=[1, 2, 3, 4, 9],
        items=[1, 2, 2, 3, 4],
        values=[1.0, 2.0, 3.0, 4.0, 5.0],
    )


# --- n_threads: bounded in one place -------------------------------------------------


def test_n_threads_cap_is_tied_to_the_machine():
    cap = max_threads()
    assert 64 <= cap <= MAX_THREADS_ABSOLUTE
    assert resolve_threads(cap) == cap
    assert resolve_threads(None) == 0
    with pytest.raises(ValueError, match="more than this machine allows"):
        resolve_threads(cap + 1)


THREAD_ENTRY_POINTS = {
    "KMeans": lambda t: KMeans(2, n_threads=t, random_state=0).fit(X_SMALL),
    "MiniBatchKMeans": lambda t: MiniBatchKMeans(2, n_threads=t, random_state=0).fit(X_SMALL),
    "kmeans_plusplus": lambda t: kmeans_plusplus(X_SMALL, 2, random_state=0, n_threads=t),
    "suggest_eps": lambda t: suggest_eps(X_SMALL, 3, n_threads=t),
    "DBSCAN": lambda t: DBSCAN(n_threads=t).fit(X_SMALL),
    "NearestNeighbors": lambda t: NearestNeighbors(n_threads=t).fit(X_SMALL),
    "LOF": lambda t: LOF(n_neighbors=5, n_threads=t).fit(X_SMALL),
    "KNNDetector": lambda t: KNNDetector(n_neighbors=5, n_threads=t).fit(X_SMALL),
    "KMeansDetector": lambda t: KMeansDetector(2, n_threads=t).fit(X_SMALL),
    "DBSCANDetector": lambda t: DBSCANDetector(n_threads=t).fit(X_SMALL),
    "PCADetector": lambda t: PCADetector(n_threads=t).fit(X_SMALL),
    "IsolationForest": lambda t: IsolationForest(n_estimators=5, n_threads=t).fit(X_SMALL),
    "PCA": lambda t: PCA(n_threads=t).fit(X_SMALL),
    "silhouette_score": lambda t: silhouette_score(X_SMALL, np.arange(20) % 2, n_threads=t),
    "silhouette_samples": lambda t: silhouette_samples(X_SMALL, np.arange(20) % 2, n_threads=t),
    "Sequences.from_events": lambda t: oddseq.Sequences.from_events(
        pd.DataFrame({"u": [1, 1, 2], "e": ["a", "b", "a"], "t": [1, 2, 3]}),
        entity="u",
        event="e",
        time="t",
        n_threads=t,
    ),
    "Sequences.session": lambda t: _seqs().session(2, n_threads=t),
    "CountEncoder": lambda t: CountEncoder(n_threads=t).fit_transform(_seqs()),
    "CountTimingEncoder": lambda t: CountTimingEncoder(n_threads=t).fit_transform(_seqs()),
    "TemporalEncoder": lambda t: TemporalEncoder(n_threads=t).fit_transform(_seqs()),
    "TransitionEncoder": lambda t: TransitionEncoder(n_threads=t).fit_transform(_seqs()),
    "DiversityEncoder": lambda t: DiversityEncoder(n_threads=t).fit_transform(_seqs()),
    "DecayEncoder": lambda t: DecayEncoder(n_threads=t).fit_transform(_seqs()),
    "MinHashEncoder": lambda t: MinHashEncoder(n_threads=t).fit_transform(_seqs()),
    "AutomationEncoder": lambda t: AutomationEncoder(n_threads=t).fit_transform(_seqs()),
    "CrowdEncoder": lambda t: CrowdEncoder(n_threads=t).fit_transform(_seqs()),
    "RecentChangeEncoder": lambda t: RecentChangeEncoder(n_threads=t).fit_transform(_seqs()),
    "MarkovDetector": lambda t: MarkovDetector(n_threads=t).fit(_seqs()),
    "Sequences.take": lambda t: _seqs().take([0], n_threads=t),
    "Sequences.windows": lambda t: _seqs().windows(2, n_threads=t),
    "Sequences.time_windows": lambda t: _seqs().time_windows(2, n_threads=t),
    "default_encoder": lambda t: default_encoder(n_threads=t).fit_transform(_seqs()),
    "EntityObjectGraph.from_events": lambda t: EntityObjectGraph.from_events(
        _LOG, entity="u", object="i", n_threads=t
    ),
    "EntityObjectGraph.transposed": lambda t: EntityObjectGraph.from_events(
        _LOG, entity="u", object="i"
    ).transposed(t),
    "GroupDetector": lambda t: GroupDetector(method="static", n_threads=t).fit(
        _LOG, entity="u", object="i"
    ),
}
_LOG = pd.DataFrame({"u": [1, 1, 2, 2, 3], "i": [7, 8, 7, 8, 9], "t": [1, 2, 3, 4, 5]})


def _entry_points_with_n_threads():
    """Every public function, method and estimator of oddseq that takes n_threads."""
    import importlib
    import inspect

    found = set()
    for module in ("cluster", "detect", "encode", "graph", "metrics", "preprocessing"):
        namespace = importlib.import_module(f"oddseq.{module}")
        for name in namespace.__all__:
            obj = getattr(namespace, name)
            members = [(name, obj.__init__)] if inspect.isclass(obj) else [(name, obj)]
            if inspect.isclass(obj):
                members += [
                    (f"{name}.{attr}", getattr(obj, attr))
                    for attr in dir(obj)
                    if not attr.startswith("_") and inspect.isroutine(getattr(obj, attr))
                ]
            for label, member in members:
                try:
                    parameters = inspect.signature(member).parameters
                except (TypeError, ValueError):
                    continue
                if "n_threads" in parameters:
                    found.add(label)
    for attr in dir(oddseq.Sequences):
        member = getattr(oddseq.Sequences, attr)
        if attr.startswith("_") or not inspect.isroutine(member):
            continue
        if "n_threads" in inspect.signature(member).parameters:
            found.add(f"Sequences.{attr}")
    return found


def test_every_entry_point_with_n_threads_is_covered_here():
    missing = _entry_points_with_n_threads() - set(THREAD_ENTRY_POINTS)
    assert not missing, f"add them to THREAD_ENTRY_POINTS: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(THREAD_ENTRY_POINTS))
def test_n_threads_100000_is_a_value_error_not_a_segfault(name):
    # 100_000 killed the process with SIGSEGV inside OpenMP, 60_000 made libgomp exit.
    with pytest.raises(ValueError, match="n_threads=100000 is more than this machine"):
        THREAD_ENTRY_POINTS[name](100_000)
    with pytest.raises(ValueError, match="n_threads=60000"):
        THREAD_ENTRY_POINTS[name](60_000)


# --- silent NaN / inf from finite input ----------------------------------------------

HUGE = np.random.default_rng(1).normal(size=(50, 3)) * 1e300


@pytest.mark.parametrize(
    "fit",
    [
        lambda X: LOF().fit(X),
        lambda X: KNNDetector().fit(X),
        lambda X: KMeansDetector().fit(X),
        lambda X: NearestNeighbors().fit(X).kneighbors(X, 3),
        lambda X: KMeans(3, random_state=0).fit(X),
        lambda X: silhouette_score(X, np.arange(50) % 3),
        lambda X: StandardScaler().fit(X),
        lambda X: ECOD().fit(X),
    ],
    ids=[
        "LOF",
        "KNNDetector",
        "KMeansDetector",
        "NearestNeighbors",
        "KMeans",
        "silhouette",
        "StandardScaler",
        "ECOD",
    ],
)
def test_magnitude_1e300_is_refused_not_nan(fit):
    # LOF/KNN/KMeansDetector gave all-NaN scores and flagged nothing, NearestNeighbors inf
    # distances, KMeans.inertia_ inf, silhouette_score NaN.
    with pytest.raises(ValueError, match="overflow above"):
        fit(HUGE)


def test_magnitude_1e300_in_new_rows_is_refused():
    model = LOF(n_neighbors=5).fit(X_SMALL)
    with pytest.raises(ValueError, match="Rescale X first"):
        model.decision_function(X_SMALL * 1e300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_magnitude_just_under_the_limit_gives_finite_results(dtype):
    X = np.random.default_rng(2).normal(size=(60, 3))
    X = (X / np.abs(X).max() * magnitude_limit(X.shape, dtype) * 0.9).astype(dtype)
    for detector in (LOF(), KNNDetector(), KMeansDetector(), ECOD(), PCADetector()):
        detector.fit(X)
        assert np.isfinite(detector.decision_scores_).all(), type(detector).__name__
        assert np.isfinite(detector.decision_function(X)).all(), type(detector).__name__
    assert np.isfinite(KMeans(3, random_state=0).fit(X).inertia_)
    assert np.isfinite(NearestNeighbors().fit(X).kneighbors(X, 3)[0]).all()
    assert np.isfinite(silhouette_score(X, np.arange(60) % 3))


def test_ecod_on_magnitude_1e120_does_not_overflow_its_skewness():
    X = np.random.default_rng(3).exponential(size=(80, 2)) * 1e120
    scores = ECOD().fit(X).decision_scores_
    assert np.isfinite(scores).all()
    np.testing.assert_array_equal(scores, ECOD().fit(X / 1e120).decision_scores_)


def test_pca_whiten_on_all_zero_float32_is_not_nan():
    for dtype in (np.float32, np.float64):
        X = np.zeros((10, 3), dtype)
        Z = PCA(2, whiten=True).fit_transform(X)
        assert Z.dtype == dtype
        np.testing.assert_array_equal(Z, 0)
        back = PCA(2, whiten=True).fit(X).inverse_transform(Z)
        assert np.isfinite(back).all()


def test_diversity_encoder_values_near_1e300_refused_not_inf():
    seqs = oddseq.Sequences.from_arrays(
        [0, 2, 3], ["view", "buy", "view"], items=[1, 2, 3], values=[1e300, 1.0, 2.0]
    )
    with pytest.raises(ValueError, match="too large for float32 features"):
        DiversityEncoder().fit(seqs).transform(seqs)
    ok = oddseq.Sequences.from_arrays(
        [0, 2, 3], ["view", "buy", "view"], items=[1, 2, 3], values=[1e30, 1.0, 2.0]
    )
    assert np.isfinite(DiversityEncoder().fit(ok).transform(ok)).all()


# --- wrong exception types -----------------------------------------------------------


def test_session_gap_1e300_is_a_value_error_not_overflow():
    df = pd.DataFrame({"u": [1, 1, 2], "e": ["a", "b", "a"], "t": [1, 2, 3]})
    with pytest.raises(ValueError, match="session_gap is too long.*int64 nanoseconds"):
        oddseq.Sequences.from_events(df, entity="u", event="e", time="t", session_gap=1e300)
    with pytest.raises(ValueError, match="does not fit"):
        _seqs().session("9" * 400 + "d")
    with pytest.raises(ValueError, match="does not fit"):
        _seqs().session(np.timedelta64(2**62, "s"))
    with pytest.raises(ValueError, match="does not fit"):
        TemporalEncoder(session_gap=1e300).fit(_seqs())


def test_decay_encoder_half_life_1e300_is_a_value_error_not_overflow():
    with pytest.raises(ValueError, match="half_life is too long"):
        DecayEncoder(half_life=1e300).fit(_seqs())


def test_all_nan_item_column_to_pandas_is_not_index_error():
    df = pd.DataFrame({"u": [1, 1, 2], "e": ["a", "b", "a"], "t": [1, 2, 3], "i": [np.nan] * 3})
    seqs = oddseq.Sequences.from_events(df, entity="u", event="e", time="t", item="i")
    frame = seqs.to_pandas()
    assert len(frame) == 3
    assert frame["item"].isna().all()
