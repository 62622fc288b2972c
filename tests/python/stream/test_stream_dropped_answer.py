"""StreamScorer(drop_duplicates=True).update_one's answer to a dropped repeat: the entity
as it stands (the score and length of its last answer, its alert as last judged, not
new), read from the C++ model's scoring of the store where there is one, not from the
Python detector one event at a time (23 ms an event: 10,472 repeats took 245 s)."""

import numpy as np
import pytest

from oddseq import AnomalyPipeline
from oddseq._core import stream_hash_id
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer


@pytest.fixture(scope="module")
def replayed():
    log = make_ecommerce(n_users=150, n_days=2, random_state=6).events
    log = log.sort_values("timestamp", kind="stable")
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    pipe = AnomalyPipeline().fit(seqs)
    scorer = StreamScorer(
        pipe, entity="user_id", event="behavior", time="timestamp", drop_duplicates=True
    )
    # A cut at the fitted scores' 90th percentile, so that some entities stand alerted
    # (150 users are too few for the automatic cut to flag any).
    scorer.threshold_ = float(np.quantile(pipe.detector_.decision_scores_, 0.9))
    scorer._set_model()
    last = {}
    for row in log.itertuples(index=False):
        last[row.user_id] = (row, scorer.update_one(row.user_id, row.behavior, row.timestamp))
    return scorer, last


def test_a_dropped_repeat_answers_with_the_entity_as_it_stands(replayed, monkeypatch):
    scorer, last = replayed
    assert scorer._model is not None  # the default ensemble scores in C++
    # The answer needs no Python scoring: the C++ model reads the store.
    monkeypatch.setattr(
        scorer.pipeline.detector_,
        "decision_function",
        lambda X: pytest.fail("a dropped repeat was scored by the Python detector"),
    )
    alerting = 0
    for user, (row, answer) in last.items():
        dropped = scorer.counters["n_duplicates_dropped"]
        again = scorer.update_one(user, row.behavior, row.timestamp)
        assert scorer.counters["n_duplicates_dropped"] == dropped + 1
        assert again.length == answer.length
        assert again.score == answer.score or (np.isnan(again.score) and np.isnan(answer.score))
        assert again.is_anomaly == answer.is_anomaly and not again.new
        alerting += answer.is_anomaly
    assert alerting > 0  # some entities stand alerted, and stay so without a new alert


def test_a_dropped_repeat_keeps_the_alert_as_last_judged(replayed):
    """A cut changed since the entity's last event (calibrate, a refit) does not judge it
    again on a repeat: the repeat changes nothing."""
    scorer, last = replayed
    user, (row, answer) = next((u, v) for u, v in last.items() if v[1].is_anomaly)
    key = np.array([stream_hash_id(user)], dtype=np.uint64)
    threshold = scorer.threshold_
    try:
        scorer.threshold_ = float("inf")  # nothing would be above it now
        scorer._set_model()
        again = scorer.update_one(user, row.behavior, row.timestamp)
        assert again.is_anomaly and not again.new and again.score == answer.score
        assert bool(scorer._store.alerted(key)[0])  # unchanged by the repeat
    finally:
        scorer.threshold_ = threshold
        scorer._set_model()
