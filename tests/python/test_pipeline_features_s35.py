"""AnomalyPipeline.features(seqs): the matrix the fitted detector scores, as a DataFrame
with the pipeline's feature names and the entity ids of its ranked table (NA s34
MEDIUM-5: there was no public way to it, so plot_clusters could not draw the clusters
the table names; notebook 03 rebuilt an encoder of its own, without the pipeline's
evidence shrinkage and normal-only scaling)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import NotFittedError
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


@pytest.fixture(scope="module")
def shop():
    log = make_ecommerce(n_users=400, random_state=790).events
    return Sequences.from_events(log, **ROLES)


@pytest.mark.parametrize("normal", [False, True])
def test_the_features_are_what_the_detector_scored(shop, normal):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(random_state=0).fit(shop[:300], normal=normal)
    table = pipe.score(shop[300:])
    X = pipe.features(shop[300:])
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == list(pipe.feature_names_)
    assert X.index.equals(shop[300:].ids) and X.index.name == "user_id"
    scores = pd.Series(pipe.detector_.decision_function(X.to_numpy()), index=X.index)
    np.testing.assert_allclose(scores.loc[table.index], table["score"], rtol=1e-12)
    clusters = pd.Series(pipe.detector_.cluster_of(X.to_numpy()), index=X.index)
    np.testing.assert_array_equal(clusters.loc[table.index], table["cluster"])
    if normal:  # (the 1-NN finds a fitted row itself; its fit's scores leave it out)
        return
    # the fitted entities: the fit's own matrix, its table's scores
    fitted = pipe.features(shop[:300])
    np.testing.assert_allclose(
        pipe.detector_.decision_function(fitted.to_numpy()),
        pipe.detector_.decision_scores_,
        rtol=1e-9,
        atol=1e-12,
    )


def test_unscaled_features_are_in_the_datas_units(shop):
    pipe = AnomalyPipeline(random_state=0).fit(shop)
    raw = pipe.features(shop, scaled=False)
    assert list(raw.columns) == list(pipe.feature_names_)
    n_events = raw.filter(like="count").sum(axis=1)  # (counts of events: whole numbers)
    assert (n_events == np.round(n_events)).all() and (n_events > 0).all()
    assert not raw.equals(pipe.features(shop))


def test_unscaled_features_are_what_the_stream_follows():
    """The stream's features(ids), one entity's live state, are the pipeline's unscaled
    features of the same events."""
    from oddseq.stream import StreamScorer

    log = make_ecommerce(n_users=200, random_state=790).events.sort_values("timestamp")
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    seqs = Sequences.from_events(log, **roles)
    pipe = AnomalyPipeline(random_state=0).fit(seqs)
    live = StreamScorer(pipe, **roles)
    live.update(log)
    users = list(seqs.ids[:40])
    pd.testing.assert_frame_equal(
        live.features(users),
        pipe.features(seqs, scaled=False).loc[users],
        check_dtype=False,
        check_names=False,
    )


def test_plot_clusters_draws_the_tables_clusters(shop):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import oddseq.plot

    pipe = AnomalyPipeline(random_state=0).fit(shop)
    table = pipe.table_  # ranked: another order than the features'
    ax = oddseq.plot.plot_clusters(
        pipe.features(shop), table["cluster"], anomalies=table["is_anomaly"]
    )
    assert ax.get_xlabel().startswith("PC1")
    # every flagged entity circled (the anomalies' scatter holds as many points)
    circled = [c for c in ax.collections if c.get_label() == "anomaly"]
    assert circled and len(circled[0].get_offsets()) == int(table["is_anomaly"].sum())


def test_features_leave_out_what_min_events_leaves_out_and_keep_explain(shop):
    pipe = AnomalyPipeline(random_state=0, min_events=5).fit(shop)
    kept = pipe.features(shop)
    assert set(kept.index) == set(pipe.table_.index)
    assert len(kept) == int((shop.lengths >= 5).sum()) < len(shop)
    first = pipe.table_.index[0]
    before = pipe.explain(entity_ids=[first])
    pipe.features(shop[:50])  # not a score: explain(entity_ids) still reads the fit's
    pd.testing.assert_frame_equal(pipe.explain(entity_ids=[first]), before)


def test_bad_calls_say_what_to_do(shop):
    with pytest.raises(NotFittedError, match="call fit"):
        AnomalyPipeline().features(shop)
    pipe = AnomalyPipeline(random_state=0).fit(shop)
    with pytest.raises(TypeError, match=r"features takes Sequences.*from_events"):
        pipe.features(pd.DataFrame({"user_id": [1]}))
    with pytest.raises(TypeError, match="scaled must be True or False"):
        pipe.features(shop, scaled="yes")
    markov = AnomalyPipeline(method="markov").fit(shop)
    with pytest.raises(ValueError, match=r"method='markov' scores the event sequences"):
        markov.features(shop)
    empty = pipe.features(shop[:0])
    assert empty.shape == (0, len(pipe.feature_names_))
