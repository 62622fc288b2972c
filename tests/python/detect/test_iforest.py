import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import IsolationForest as SkIsolationForest
from sklearn.ensemble._iforest import _average_path_length
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from oddseq import _core
from oddseq.detect import IsolationForest
from oddseq.detect._iforest import average_path_length


def planted(seed=0, n=2000, d=5, n_out=40):
    """Gaussian rows and ``n_out`` planted outliers (the last rows), far on random
    features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    out = rng.normal(size=(n_out, d))
    out[np.arange(n_out), rng.integers(0, d, n_out)] += rng.choice([-1, 1], n_out) * 6
    y = np.r_[np.zeros(n), np.ones(n_out)]
    return np.vstack([X, out]), y


def test_average_path_length_equals_sklearn():
    n = np.r_[np.arange(0, 5000), np.geomspace(5000, 1e9, 500).round()]
    np.testing.assert_array_equal(average_path_length(n), _average_path_length(n))
    assert average_path_length(2.0) == 1.0


@pytest.mark.parametrize("extended", [False, True])
def test_planted_outliers_and_pyod_surface(extended):
    X, y = planted()
    copy = X.copy()
    det = IsolationForest(extended=extended, random_state=0).fit(X)
    np.testing.assert_array_equal(X, copy)
    scores = det.decision_scores_
    assert scores.dtype == np.float64 and scores.shape == (len(X),)
    assert ((scores > 0) & (scores <= 1)).all()
    assert roc_auc_score(y, scores) > 0.95
    assert det.threshold_ == 0.5
    np.testing.assert_array_equal(det.labels_, (scores > 0.5).astype(np.int64))
    np.testing.assert_array_equal(det.decision_function(X), scores)
    np.testing.assert_array_equal(det.predict(X), det.labels_)
    np.testing.assert_array_equal(det.score_samples(X), -scores)
    proba = det.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)


def test_agrees_with_sklearn():
    """Different random streams, the same algorithm: scores correlate as two sklearn
    forests with different seeds do, the mean score is the same to sampling error, and
    the ranking of planted outliers is as good."""
    X, y = planted(seed=3, n=3000, d=6, n_out=60)
    ours = IsolationForest(n_estimators=300, random_state=0).fit(X).decision_scores_
    sk = -SkIsolationForest(n_estimators=300, random_state=0).fit(X).score_samples(X)
    sk2 = -SkIsolationForest(n_estimators=300, random_state=1).fit(X).score_samples(X)
    ref = np.corrcoef(sk, sk2)[0, 1]
    assert np.corrcoef(ours, sk)[0, 1] > min(0.95, ref - 0.01)
    assert abs(ours.mean() - sk.mean()) < 0.01
    assert abs(np.median(ours) - np.median(sk)) < 0.01
    assert roc_auc_score(y, ours) >= roc_auc_score(y, sk) - 0.01
    # "auto" flags about as many rows as sklearn's offset_ = -0.5
    sk_flags = (sk > 0.5).sum()
    assert abs((ours > 0.5).sum() - sk_flags) <= max(10, 0.35 * sk_flags)


def test_max_samples_and_features_agree_with_sklearn():
    X, _ = planted(seed=1, n=1000, d=8)
    for kwargs in ({"max_samples": 64}, {"max_samples": 0.5}, {"max_features": 0.5}):
        ours = IsolationForest(n_estimators=300, random_state=0, **kwargs).fit(X)
        sk = SkIsolationForest(n_estimators=300, random_state=0, **kwargs).fit(X)
        assert ours.max_samples_ == sk.max_samples_
        assert np.corrcoef(ours.decision_scores_, -sk.score_samples(X))[0, 1] > 0.9
    assert IsolationForest(max_features=0.5).fit(X).n_features_per_tree_ == 4
    assert IsolationForest(max_samples=1.0).fit(X).max_samples_ == len(X)


def test_forest_layout():
    X, _ = planted(n=500)
    det = IsolationForest(n_estimators=7, max_samples=100, random_state=0).fit(X)
    f = det.forest_
    offsets = f["tree_offsets"]
    assert offsets.shape == (8,) and offsets[0] == 0 and offsets[-1] == len(f["left"])
    for t in range(7):
        left = f["left"][offsets[t] : offsets[t + 1]]
        rows = f["n_samples"][offsets[t] : offsets[t + 1]]
        assert rows[0] == 100
        internal = left >= 0
        # children partition their parent's rows
        np.testing.assert_array_equal(
            rows[internal], rows[left[internal]] + rows[left[internal] + 1]
        )
        # depth limit ceil(log2(100)) = 7: at most 2^8 - 1 nodes
        assert len(left) <= 2**8 - 1
    assert f["normals"].shape == (0, X.shape[1])
    ext = IsolationForest(n_estimators=3, extended=True, random_state=0).fit(X).forest_
    assert ext["normals"].shape == ((ext["left"] >= 0).sum(), X.shape[1])


def test_iforest_fit_returns_a_record_the_estimator_keeps_as_arrays():
    """iforest_fit returns a read-only IForestTrees record read by name; the estimator
    keeps its arrays as the documented forest_ dict."""
    X, _ = planted(n=300)
    trees = _core.iforest_fit(X, 4, 64, 5, False, 7, 1)
    assert isinstance(trees, _core.IForestTrees)
    with pytest.raises(AttributeError):
        trees.left = None
    det = IsolationForest(n_estimators=4, max_samples=64, random_state=0).fit(X)
    assert sorted(det.forest_) == sorted(f for f in dir(trees) if not f.startswith("_"))
    again = _core.iforest_fit(X, 4, 64, 5, False, 7, 2)
    for key in det.forest_:
        np.testing.assert_array_equal(getattr(trees, key), getattr(again, key))


def _view(forest, **changes):
    arrays = {**forest, **changes}
    settings = {"n_features": 5, "max_samples": 100, "extended": False}
    settings.update({k: arrays.pop(k) for k in list(arrays) if k in settings})
    return _core.IForestView(**arrays, **settings)


def test_forest_view_reads_the_arrays_in_place_and_checks_them_once():
    """iforest_score takes the forest as one view (IForestView) and returns a record."""
    X, _ = planted(n=500)
    det = IsolationForest(n_estimators=7, max_samples=100, random_state=0).fit(X)
    forest = dict(det.forest_)
    view = _view(forest)
    assert (view.n_trees, view.n_nodes) == (7, len(forest["left"]))
    assert (view.n_features, view.max_samples, view.extended) == (5, 100, False)
    del forest  # the view keeps its arrays alive
    run = _core.iforest_score(X, view, True, 1)
    assert run.scores.tobytes() == det.decision_function(X).tobytes()
    assert run.contributions.shape == X.shape
    assert _core.iforest_score(X, view, False, 2).contributions is None
    with pytest.raises(AttributeError):
        run.scores = None
    with pytest.raises(ValueError, match="X has 4 features, the forest 5"):
        _core.iforest_score(X[:, :4].copy(), view, False, 1)


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"tree_offsets": np.array([1, 5], np.int64)}, "start at 0"),
        ({"tree_offsets": np.array([0], np.int64)}, "at least one tree"),
        ({"left": np.zeros(3, np.int32)}, "one value per node"),
        ({"features": np.zeros((2, 5), np.int32)}, r"\(n_trees, k\)"),
        ({"normals": np.zeros((2, 5))}, "features and normals must be 2-D"),
        ({"max_samples": 0}, "max_samples must be >= 1"),
    ],
)
def test_forest_view_refuses_inconsistent_arrays(changes, match):
    X, _ = planted(n=300)
    forest = IsolationForest(n_estimators=3, max_samples=64, random_state=0).fit(X).forest_
    if "normals" in changes:
        changes = {"normals": np.zeros(10)}
    with pytest.raises(ValueError, match=match):
        _view(forest, **changes)
    with pytest.raises(TypeError):
        _view(forest, left=forest["left"].astype(np.int64))


def test_thread_count_and_seed():
    X, _ = planted(n=3000)
    a = IsolationForest(random_state=7, n_threads=1).fit(X)
    b = IsolationForest(random_state=7, n_threads=2).fit(X)
    np.testing.assert_array_equal(a.decision_scores_, b.decision_scores_)
    for key in a.forest_:
        np.testing.assert_array_equal(a.forest_[key], b.forest_[key])
    c = IsolationForest(random_state=8).fit(X)
    assert not np.array_equal(a.decision_scores_, c.decision_scores_)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 300),
    d=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1),
    extended=st.booleans(),
    duplicates=st.booleans(),
    trees=st.integers(1, 20),
)
def test_properties(n, d, seed, extended, duplicates, trees):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if duplicates:
        X = np.round(X)  # many ties and constant nodes
    det = IsolationForest(n_estimators=trees, extended=extended, random_state=seed)
    one = det.set_params(n_threads=1).fit(X).decision_scores_
    two = det.set_params(n_threads=2).fit(X).decision_scores_
    np.testing.assert_array_equal(one, two)
    again = IsolationForest(
        n_estimators=trees, extended=extended, random_state=seed, n_threads=2
    ).fit(X)
    np.testing.assert_array_equal(again.decision_scores_, one)
    assert np.isfinite(one).all() and (one > 0).all() and (one <= 1).all()
    new = rng.normal(scale=5, size=(7, d))
    scores = again.decision_function(new)
    assert ((scores > 0) & (scores <= 1)).all()


def test_float32_and_dataframe():
    X, _ = planted(n=600)
    a = IsolationForest(random_state=0).fit(X.astype(np.float32))
    assert a.decision_function(X.astype(np.float32)).dtype == np.float64
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    det = IsolationForest(random_state=0).fit(frame)
    table = det.explain(frame.iloc[-3:], top=2)
    assert table.index.get_level_values("row").tolist() == [637, 637, 638, 638, 639, 639]
    assert set(table["feature"]) <= set(frame.columns)


@pytest.mark.parametrize("extended", [False, True])
def test_explain_names_the_planted_feature(extended):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 4))
    X[-20:, 2] += 8.0
    det = IsolationForest(extended=extended, random_state=0).fit(X)
    table = det.explain(X[-20:], top=1)
    assert (table["feature"] == "x2").mean() >= 0.9
    full = det.explain(X[:5], top=4)
    assert np.allclose(full.groupby(level="row")["share"].sum(), 1.0)
    assert (full["share"] >= 0).all()
    median = np.median(X, axis=0)
    for (_, _), row in full.iterrows():
        assert row["typical"] == median[int(row["feature"][1:])]


def test_max_samples_one():
    X = np.arange(10.0).reshape(-1, 1)
    det = IsolationForest(max_samples=1, random_state=0).fit(X)
    np.testing.assert_array_equal(det.decision_scores_, 0.5)  # as scikit-learn


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_estimators": 0}, ValueError, "n_estimators"),
        ({"n_estimators": 2.5}, TypeError, "n_estimators"),
        ({"max_samples": 0}, ValueError, "max_samples"),
        ({"max_samples": 10_000}, ValueError, "max_samples=10000 is out of range"),
        ({"max_samples": 1.5}, ValueError, r"max_samples .* \(0, 1\]"),
        ({"max_samples": 0.0}, ValueError, "max_samples"),
        ({"max_samples": "all"}, ValueError, "max_samples"),
        ({"max_samples": None}, TypeError, "max_samples"),
        ({"max_features": 0.0}, ValueError, "max_features"),
        ({"max_features": 1.2}, ValueError, "max_features"),
        ({"max_features": 9}, ValueError, "max_features=9 is out of range"),
        ({"max_features": "sqrt"}, TypeError, "max_features"),
        ({"extended": "yes"}, TypeError, "extended"),
        ({"contamination": 0.7}, ValueError, "contamination"),
        ({"n_threads": 0}, ValueError, "n_threads"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    X, _ = planted(n=200)
    with pytest.raises(error, match=match):
        IsolationForest(**kwargs).fit(X)


def test_bad_input():
    X, _ = planted(n=200)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        IsolationForest().fit(bad)
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        IsolationForest().fit(bad)
    with pytest.raises(ValueError, match="0 sample"):
        IsolationForest().fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="2-D"):
        IsolationForest().fit(np.ones(5))
    with pytest.raises(NotFittedError):
        IsolationForest().decision_function(X)
    det = IsolationForest(random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        det.decision_function(X[:, :2])
    with pytest.raises(ValueError, match="NaN or infinity"):
        det.decision_function(bad)
    with pytest.raises(ValueError, match="top"):
        det.explain(X, top=0)


def test_contamination_float():
    X, _ = planted(n=1000)
    det = IsolationForest(contamination=0.05, random_state=0).fit(X)
    assert abs(det.labels_.mean() - 0.05) < 0.01


LONG_FITS = {
    # 2000 hyperplane trees over a million rows: minutes of scoring the training rows.
    "scoring": "IsolationForest(2000, extended=True).fit(rng.normal(size=(1_000_000, 8)))",
    # a million rows per tree: about a second per tree
    "building": "IsolationForest(500, max_samples=1.0).fit(rng.normal(size=(1_000_000, 4)))",
}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("name", sorted(LONG_FITS))
def test_ctrl_c_interrupts_a_long_fit(name):
    script = textwrap.dedent(f"""
        import signal, sys, time
        import numpy as np
        from oddseq.detect import IsolationForest
        signal.signal(signal.SIGINT, signal.default_int_handler)
        rng = np.random.default_rng(0)
        print("ready", flush=True)
        start = time.perf_counter()
        try:
            {LONG_FITS[name]}
        except KeyboardInterrupt:
            print(f"interrupted {{time.perf_counter() - start:.2f}}", flush=True)
            sys.exit(0)
        sys.exit(3)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(2.5)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "interrupted" in out
    assert time.perf_counter() - sent < 10


def test_explain_statistics_from_a_bounded_sample(monkeypatch):
    import oddseq.detect._iforest as module

    monkeypatch.setattr(module, "_STATS_ROWS", 500)
    X = np.random.default_rng(0).normal(size=(5000, 3))
    det = IsolationForest(random_state=0).fit(X)
    assert det._train.shape == (500, 3)
    np.testing.assert_allclose(det.median_, np.median(X, axis=0), atol=0.15)
    assert det.explain(X[:2], top=3).shape == (6, 5)


def reference_scores(det, X):
    """Scores and contributions by walking forest_ in Python: the documented layout and
    formula, independently of the C++ walk."""
    f, n_trees = det.forest_, det.forest_["tree_offsets"].size - 1
    scores, credit = np.zeros(len(X)), np.zeros(X.shape)
    for i, row in enumerate(X):
        total = 0.0
        for t in range(n_trees):
            base, node, depth = f["tree_offsets"][t], 0, 0
            while f["left"][base + node] >= 0:
                split = f["split"][base + node]
                if det.extended:
                    w = f["normals"][split]
                    value = float(np.dot(w, row[f["features"][t]]))
                else:
                    value = row[split]
                child = f["left"][base + node] + (0 if value <= f["threshold"][base + node] else 1)
                cut = np.log2(max(1, f["n_samples"][base + node])) - np.log2(
                    max(1, f["n_samples"][base + child])
                )
                if det.extended:
                    credit[i, f["features"][t]] += cut * w**2 / (w**2).sum()
                else:
                    credit[i, split] += cut
                node, depth = child, depth + 1
            total += depth + average_path_length(f["n_samples"][base + node])
        scores[i] = 2 ** (-total / (n_trees * average_path_length(det.max_samples_)))
    return scores, credit / n_trees


@pytest.mark.parametrize("extended", [False, True])
def test_scores_and_contributions_match_a_python_walk(extended):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 4))
    det = IsolationForest(n_estimators=15, max_samples=64, extended=extended, random_state=0)
    det.fit(X)
    new = np.vstack([X[:20], rng.normal(scale=3, size=(20, 4))])
    scores, credit = reference_scores(det, new)
    # np.dot sums a hyperplane's terms in another order than the C++ walk; no row here
    # lies within rounding of a cut, so every row takes the same path.
    np.testing.assert_allclose(det.decision_function(new), scores, rtol=1e-12)
    contribution = det._score(new, explain=True).contributions
    np.testing.assert_allclose(contribution, credit, rtol=1e-9, atol=1e-12)
