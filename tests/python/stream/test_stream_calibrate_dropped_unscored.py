"""StreamScorer.calibrate with drop_duplicates=True does not score the events its replay
drops: a dropped event leaves its entity as it was, so it raises no entity's highest
score (scoring each through the pipeline's detector took 222 s for a 200-user log sent
twice, where the replay takes 0.3 s), and the cut is the clean log's exactly."""

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def test_calibrate_leaves_the_dropped_events_unscored(monkeypatch):
    log = make_ecommerce(n_users=60, n_days=2, random_state=8).events
    pipe = AnomalyPipeline(contamination=0.1).fit(Sequences.from_events(log, **ROLES))
    clean = log.sort_values("timestamp", kind="stable")
    twice = clean.loc[clean.index.repeat(2)]
    expected = StreamScorer(pipe, **ROLES, drop_duplicates=True).calibrate(clean)

    def scored(self, key):
        raise AssertionError("a dropped event was scored")

    monkeypatch.setattr(StreamScorer, "_standing", scored)
    assert StreamScorer(pipe, **ROLES, drop_duplicates=True).calibrate(twice) == expected
