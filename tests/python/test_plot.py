import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from oddseq import detect_anomalies, plot  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402
from oddseq.detect import KMeansDetector, KNNDetector  # noqa: E402
from oddseq.exceptions import NotFittedError  # noqa: E402
from oddseq.sequences import Sequences  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def shop():
    bunch = make_ecommerce(n_users=300, random_state=2)
    seqs = Sequences.from_events(bunch.events, entity="user_id", event="behavior", time="timestamp")
    return bunch, seqs


def test_scores_from_detector_table_and_array(shop):
    bunch, _ = shop
    X = np.random.default_rng(0).normal(size=(200, 3))
    det = KNNDetector(contamination=0.05).fit(X)
    ax = plot.plot_scores(det)
    assert any("threshold" in t.get_text() for t in ax.get_legend().get_texts())
    table = detect_anomalies(bunch.events, "user_id", "behavior", "timestamp")
    assert plot.plot_scores(table).get_ylabel() == "rows"
    _, ax = plt.subplots()
    assert plot.plot_scores(np.arange(10.0), threshold=5, ax=ax) is ax


def test_curves_and_confusion():
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.1).astype(int)
    s = y + rng.normal(0, 0.5, 300)
    assert "AUC" in plot.plot_roc(y, s).get_legend().get_texts()[0].get_text()
    assert "AP" in plot.plot_pr(y, s, label="knn").get_legend().get_texts()[0].get_text()
    ax = plot.plot_confusion(y, (s > 0.5).astype(int))
    assert sum(int(t.get_text()) for t in ax.texts) == 300


def test_clusters_timeline_transitions_explanation(shop):
    _, seqs = shop
    X = np.random.default_rng(2).normal(size=(500, 4))
    det = KMeansDetector(n_clusters=3, random_state=0).fit(X)
    ax = plot.plot_clusters(X, det.kmeans_.labels_, anomalies=det.labels_ == 1, max_points=100)
    assert ax.get_xlabel().startswith("PC1")
    entity = seqs.ids[int(np.argmax(seqs.lengths))]
    ax = plot.plot_timeline(seqs, entity, session_gap="30min")
    assert ax.get_title().startswith(str(entity))
    assert plot.plot_transitions(seqs, entity).get_ylabel() == "previous event"
    ax = plot.plot_explanation(det.explain(X[:3]), row=1)
    assert "row 1" in ax.get_title()
    ax = plot.plot_kdistance(X, 5)
    assert ax.get_ylabel() == "distance to neighbour 4"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: plot.plot_scores(np.array([])), ValueError, "empty"),
        (lambda: plot.plot_scores(KNNDetector()), NotFittedError, "not fitted"),
        (lambda: plot.plot_roc([0, 0], [0.1, 0.2]), ValueError, "both classes"),
        (lambda: plot.plot_roc([0, 1, 1], [0.1, 0.2]), ValueError, "entries"),
        (lambda: plot.plot_confusion([], []), ValueError, "non-empty"),
        (lambda: plot.plot_clusters(np.zeros((3, 2)), [0, 1]), ValueError, "labels"),
        (lambda: plot.plot_explanation(pd.DataFrame()), TypeError, "explain"),
        (lambda: plot.plot_scores(pd.DataFrame({"x": [1]})), ValueError, "score"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_timeline_and_transitions_check_the_entity(shop):
    _, seqs = shop
    with pytest.raises(ValueError, match="not among"):
        plot.plot_timeline(seqs, "nobody")
    with pytest.raises(TypeError, match="Sequences"):
        plot.plot_transitions(np.zeros(3), 0)
    single = Sequences.from_lists([["pv"], ["pv", "buy"]])
    with pytest.raises(ValueError, match="fewer than two"):
        plot.plot_transitions(single, 0)
