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


def _drawn_ticks(axis, low, high, locations, labels):
    """Tick labels matplotlib draws: within the view limits and with text."""
    lo, hi = sorted((low, high))
    return [
        t for x, t in zip(locations, labels) if lo <= x <= hi and t.get_visible() and t.get_text()
    ]


def _texts_inside_and_apart(fig, path):
    """Render to PNG; every drawn text lies inside the image and the tick labels of the
    x axis do not overlap. Returns the image's (height, width)."""
    import matplotlib.image as mpimg

    fig.savefig(path)  # no bbox_inches="tight": the layout itself must fit
    image = mpimg.imread(path)
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for ax in fig.axes:
        xticks = _drawn_ticks(ax.xaxis, *ax.get_xlim(), ax.get_xticks(), ax.get_xticklabels())
        yticks = _drawn_ticks(ax.yaxis, *ax.get_ylim(), ax.get_yticks(), ax.get_yticklabels())
        texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts, *xticks, *yticks]
        texts.append(ax.xaxis.get_offset_text())
        for text in texts:
            if not text.get_visible() or not text.get_text():
                continue
            extent = text.get_window_extent(renderer)
            assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1, text.get_text()
            assert extent.y0 >= box.y0 - 1 and extent.y1 <= box.y1 + 1, text.get_text()
        spans = sorted(
            (t.get_window_extent(renderer).x0, t.get_window_extent(renderer).x1) for t in xticks
        )
        for (_, right), (left, _) in zip(spans, spans[1:]):
            assert right <= left + 1, [t.get_text() for t in xticks]
    return image.shape[:2]


def test_timeline_png_has_readable_date_ticks_and_one_event_users(shop, tmp_path):
    _, seqs = shop
    busiest = seqs.ids[int(np.argmax(seqs.lengths))]
    ax = plot.plot_timeline(seqs, busiest, session_gap="30min")
    assert _texts_inside_and_apart(ax.figure, tmp_path / "timeline.png") == (400, 700)
    lone = seqs.ids[int(np.argmin(seqs.lengths))]
    single = Sequences.from_arrays([0, 1], ["pv"], times=[1_511_544_070], ids=["u1"])
    ax = plot.plot_timeline(single, "u1")
    assert ax.get_title() == "u1: 1 event"
    low, high = ax.get_xlim()
    assert (high - low) * 86_400 <= 180  # a minute either side, not 16 days
    _texts_inside_and_apart(ax.figure, tmp_path / "single.png")
    assert (
        plot.plot_timeline(seqs, lone)
        .get_title()
        .endswith("event" if seqs.lengths.min() == 1 else "events")
    )


def test_explanation_png_names_the_entity_in_the_data_units(shop, tmp_path):
    from oddseq import AnomalyPipeline
    from oddseq._reasons import reason_name

    _, seqs = shop
    pipe = AnomalyPipeline().fit(seqs)
    odd = pipe.table_.index[0]
    why = pipe.explain(seqs, [odd])
    assert why.index.get_level_values(0).unique().tolist() == [odd]
    # The reason column quotes the same numbers the explanation gives.
    first = why.iloc[0]
    name = reason_name(first["feature"])  # the words a reason names it by
    # (a funnel ratio of at most 1 is said as its counts, the explanation's note: "32 of 36")
    said = {f"{name} {first['value_text']}", f"{name} {first['note']}"}
    assert any(s in pipe.table_.loc[odd, "reason"] for s in said) or (
        first["value_text"] == first["typical_text"]
    )
    ax = plot.plot_explanation(why)
    assert ax.get_title() == f"why {odd} stands out"
    # each value with its typical value and whose it is ("typical", "entities like it
    # have", ...), as the reason says them (typical_said), under the feature's name
    ticks = [t.get_text().split("\n") for t in ax.get_yticklabels()]
    said = [f"{v} ({t})" for v, t in why[["value_text", "typical_said"]].values]
    assert sorted(t[1] for t in ticks) == sorted(said), ticks
    # The bars are named as the reasons name the features, not by column names.
    assert sorted(t[0] for t in ticks) == sorted(reason_name(f) for f in why["feature"]), ticks
    _texts_inside_and_apart(ax.figure, tmp_path / "why.png")
    with pytest.raises(ValueError, match="not among the ids"):
        pipe.explain(seqs, ["nobody"])


def test_explanation_of_a_pipeline_without_its_table_asks_for_the_id(shop):
    from oddseq import AnomalyPipeline

    _, seqs = shop
    pipe = AnomalyPipeline().fit(seqs)
    odd = pipe.table_.index[0]
    assert plot.plot_explanation(pipe).get_title() == f"why {odd} stands out"  # the top
    pipe.table_ = None  # as the pipeline oddseq.dask returns it: the table is the cluster's
    with pytest.raises(ValueError, match=r"plot_explanation\(pipeline, entity_id\)"):
        plot.plot_explanation(pipe)
    assert plot.plot_explanation(pipe, odd).get_title() == f"why {odd} stands out"


def test_plot_clusters_says_noise_only_where_there_is_some():
    """No "noise" in the legend of a K-means plot, which has none (H2 s15, finding 13);
    DBSCAN's -1 rows keep it; nothing labelled, no legend (and no warning)."""
    X = np.random.default_rng(0).normal(size=(60, 3))
    labels = (X[:, 0] > 0).astype(int)

    def legend(ax):
        found = ax.get_legend()
        return [] if found is None else [t.get_text() for t in found.get_texts()]

    assert legend(plot.plot_clusters(X, labels, anomalies=X[:, 1] > 1.5)) == ["anomaly"]
    assert legend(plot.plot_clusters(X, labels)) == []
    noisy = np.where(X[:, 2] > 1.5, -1, labels)
    assert "noise" in legend(plot.plot_clusters(X, noisy))
