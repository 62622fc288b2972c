"""AnomalyPipeline.predict_confidence: how stable each entity's is_anomaly is (#14 section 2:
flags come with a confidence, PyOD's predict_confidence the convention)."""

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.detect import KNNDetector
from oddseq.detect._base import bootstrap_cuts, pipeline_confidence_cuts, verdict_confidence
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences


@pytest.fixture(scope="module")
def fitted():
    log = make_ecommerce(n_users=600, random_state=3).events
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    pipe = AnomalyPipeline(method="knn").fit(seqs[:450])
    return pipe, seqs[450:]


def test_confidence_is_of_the_tables_verdicts(fitted):
    pipe, later = fitted
    conf = pipe.predict_confidence(later)
    table = pipe.score(later)
    assert isinstance(conf, pd.Series) and conf.name == "confidence"
    assert conf.index.equals(later.ids)
    assert ((conf >= 0) & (conf <= 1)).all()
    scores = table["score"].loc[conf.index]
    flagged = table["is_anomaly"].loc[conf.index].to_numpy()
    assert flagged.any() and (~flagged).any()
    # Farther from the cut, surer: non-decreasing with the score among the flagged,
    # non-increasing among the rest; the clear cases are sure.
    for side, sign in ((flagged, 1), (~flagged, -1)):
        order = np.argsort(sign * scores.to_numpy()[side], kind="stable")
        assert np.all(np.diff(conf.to_numpy()[side][order]) >= -1e-12)
    # (ExCeeD on a reference of 450 cut at a small share cannot be sure of a flag: the
    # top is the surest flag, above a toss; a low score is a sure normal)
    assert conf[scores.idxmax()] == conf[flagged].max() and conf[scores.idxmax()] > 0.5
    assert conf[scores.idxmin()] > 0.99


def test_confidence_is_the_detectors_rule_on_the_pipelines_reference(fitted):
    """One rule in one place: the detectors' and the pipeline's confidences are
    ``verdict_confidence`` on their own reference scores and cut (an automatic cut: its
    rule re-run on resamples of the reference, ``cuts``)."""
    pipe, later = fitted
    conf = pipe.predict_confidence(later)
    table = pipe.score(later).loc[conf.index]
    reference = np.asarray(pipe._reference())
    share = float(np.mean(reference > pipe.threshold_))
    cuts = pipeline_confidence_cuts(pipe, reference)
    assert cuts is not None  # (the tail cut re-run gives threshold_ on the reference)
    expected = verdict_confidence(reference, table["score"], table["is_anomaly"], share, cuts=cuts)
    assert np.array_equal(conf.to_numpy(), expected)
    det = KNNDetector().fit(np.random.default_rng(0).normal(size=(200, 3)))
    X = np.random.default_rng(1).normal(size=(50, 3)) * 2
    scores = det.decision_function(X)
    share = float(np.mean(det.decision_scores_ > det.threshold_))
    assert np.array_equal(
        det.predict_confidence(X),
        verdict_confidence(det.decision_scores_, scores, scores > det.threshold_, share),
    )
    det = KNNDetector(contamination="auto").fit(np.random.default_rng(0).normal(size=(200, 3)))
    scores = det.decision_function(X)
    cuts = bootstrap_cuts(det.decision_scores_, det._auto_threshold)
    assert np.array_equal(
        det.predict_confidence(X),
        verdict_confidence(det.decision_scores_, scores, scores > det.threshold_, 0.0, cuts=cuts),
    )


def test_verdict_confidence_by_hand():
    """A reference of 0..99 cut flagging 10%: a score beyond all of it is a sure flag, one
    in the middle a sure normal, one at the cut a toss."""
    reference = np.arange(100.0)
    scores = np.array([1000.0, 50.0, 89.5])
    flagged = np.array([True, False, True])
    conf = verdict_confidence(reference, scores, flagged, 0.1)
    assert conf[0] > 0.999 and conf[1] > 0.999
    assert 0.3 < conf[2] < 0.7


def test_confidence_of_no_sequences_is_empty_with_a_warning(fitted):
    pipe, later = fitted
    with pytest.warns(DataWarning):
        conf = pipe.predict_confidence(later[:0])
    assert len(conf) == 0 and conf.dtype == np.float64


def test_confidence_refuses_an_unfitted_pipeline(fitted):
    _, later = fitted
    with pytest.raises(Exception, match="fit"):
        AnomalyPipeline().predict_confidence(later)


def test_a_flag_of_the_support_rule_alone_is_read_against_its_floor(workflow_log):
    """Normal-only: an entity outside the normal range with a score under the cut is
    flagged by the support rule; its confidence rests on that rule's floor, not on the cut
    it is under (read at the cut it was 0.007-0.14: H5's s24 review, MEDIUM 3)."""
    rng = np.random.default_rng(3)
    roles = dict(entity="block", event="event", time="t")
    pipe = AnomalyPipeline(method="kmeans").fit(
        Sequences.from_events(workflow_log(600, rng), **roles), normal=True
    )
    block = ["open"] + ["write"] * 5 + ["sync"] * 5 + ["close"]
    odd = pd.DataFrame(
        [("many", e, 300_000 + t) for t, e in enumerate(block)], columns=roles.values()
    )
    log = pd.concat([workflow_log(2000, rng, start=1_000), odd], ignore_index=True)
    seqs = Sequences.from_events(log, **roles)
    table = pipe.score(seqs)
    by_range = table["is_anomaly"] & (table["score"] <= pipe.threshold_)
    assert by_range.any()
    conf = pipe.predict_confidence(seqs)
    assert (conf[by_range[by_range].index] > 0.5).all()
