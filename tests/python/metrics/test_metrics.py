import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given
from hypothesis import strategies as st

from oddseq import metrics


@given(st.integers(2, 300), st.integers(0, 10_000), st.booleans(), st.booleans())
def test_ranking_metrics_equal_sklearn(n, seed, ties, weighted):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1
    scores = rng.integers(0, 5, n).astype(float) if ties else rng.normal(size=n)
    w = rng.uniform(0.1, 2, n) if weighted else None
    assert metrics.roc_auc_score(y, scores, sample_weight=w) == pytest.approx(
        skm.roc_auc_score(y, scores, sample_weight=w), abs=1e-12
    )
    assert metrics.average_precision_score(y, scores, sample_weight=w) == pytest.approx(
        skm.average_precision_score(y, scores, sample_weight=w), abs=1e-12
    )


@given(st.integers(1, 200), st.integers(0, 10_000))
def test_counting_metrics_equal_sklearn(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pred = rng.integers(0, 2, n)
    p, r, f = metrics.precision_recall_fscore(y, pred)
    sp, sr, sf, _ = skm.precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    assert (p, r, f) == pytest.approx((sp, sr, sf))
    f2 = metrics.precision_recall_fscore(y, pred, beta=2.0)[2]
    assert f2 == pytest.approx(skm.fbeta_score(y, pred, beta=2.0, zero_division=0))
    assert metrics.accuracy_score(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    assert metrics.accuracy_score(y, pred, normalize=False) == skm.accuracy_score(
        y, pred, normalize=False
    )
    a = rng.integers(0, 4, n)
    b = rng.integers(0, 3, n)
    assert metrics.fowlkes_mallows_score(a, b) == pytest.approx(skm.fowlkes_mallows_score(a, b))


def test_precision_at_k():
    y = [1, 0, 1, 0, 0]
    s = [0.9, 0.8, 0.7, 0.1, 0.0]
    assert metrics.precision_at_k(y, s) == 0.5
    assert metrics.precision_at_k(y, s, k=1) == 1.0
    assert metrics.precision_at_k(y, s, k=3) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="k must be"):
        metrics.precision_at_k(y, s, k=0)


def test_string_labels_and_bad_input():
    y = np.array(["ok", "bad", "ok", "bad"])
    assert metrics.roc_auc_score(y, [0.1, 0.9, 0.2, 0.8], pos_label="bad") == 1.0
    with pytest.raises(ValueError, match="pos_label"):
        metrics.roc_auc_score(y, [0.1, 0.9, 0.2, 0.8])
    with pytest.raises(ValueError, match="only one class"):
        metrics.roc_auc_score([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        metrics.roc_auc_score([0, 1], [np.nan, 0.2])
    with pytest.raises(ValueError, match="2 entries but y_score has 3"):
        metrics.roc_auc_score([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="binary"):
        metrics.average_precision_score([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="empty"):
        metrics.accuracy_score([], [])
    with pytest.raises(ValueError, match="beta"):
        metrics.precision_recall_fscore([0, 1], [0, 1], beta=-1)
    assert metrics.precision_recall_fscore([0, 0], [0, 0]) == (0.0, 0.0, 0.0)


@given(
    st.integers(3, 120),
    st.integers(1, 6),
    st.integers(2, 5),
    st.integers(0, 10_000),
    st.sampled_from([np.float32, np.float64]),
)
def test_clustering_scores_equal_sklearn(n, d, k, seed, dtype):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    labels = rng.integers(0, min(k, n - 1), n)
    labels[0], labels[1] = 0, 1
    if len(np.unique(labels)) > n - 1:
        return
    X64 = X.astype(np.float64)
    assert metrics.silhouette_score(X, labels) == pytest.approx(
        skm.silhouette_score(X64, labels), abs=1e-5
    )
    np.testing.assert_allclose(
        metrics.silhouette_samples(X, labels, n_threads=1),
        skm.silhouette_samples(X64, labels),
        atol=1e-5,
    )
    assert metrics.calinski_harabasz_score(X, labels) == pytest.approx(
        skm.calinski_harabasz_score(X64, labels), rel=1e-5
    )
    assert metrics.davies_bouldin_score(X, labels) == pytest.approx(
        skm.davies_bouldin_score(X64, labels), rel=1e-5
    )


def test_silhouette_sampled_and_bad_input():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal(8, 1, (300, 2))])
    labels = np.repeat([0, 1], 300)
    exact = metrics.silhouette_score(X, labels)
    sampled = metrics.silhouette_score(X, labels, sample_size=200, random_state=0)
    assert abs(exact - sampled) < 0.05
    assert metrics.silhouette_score(X, labels, n_threads=1) == metrics.silhouette_score(
        X, labels, n_threads=2
    )
    with pytest.raises(ValueError, match="Number of labels is 1"):
        metrics.silhouette_score(X, np.zeros(600))
    with pytest.raises(ValueError, match="one entry per row"):
        metrics.davies_bouldin_score(X, labels[:10])
    with pytest.raises(ValueError, match="sample_size"):
        metrics.silhouette_score(X, labels, sample_size=1)
