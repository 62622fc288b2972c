"""The stream judges normal-only fitting's support rule as the batch does, floor
included: an entity outside the normal range alerts only where its score is above the
pipeline's ``support_floor_`` (C++ scoring and the detector's own)."""

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer


def _served_log(n, rng, start=0):
    """Blocks of a few repeated workflows with a long-tailed count (reads served), so a
    sample of normal blocks bounds it by chance and some held-out normal blocks lie one
    step past that range, close to a fitted block."""
    rows = []
    for b in range(start, start + n):
        copies = int(rng.choice([2, 3, 4], p=[0.2, 0.75, 0.05]))
        served = int(rng.geometric(0.35))
        extra = int(rng.random() < 0.02) * int(rng.integers(1, 4))
        block = ["open"] + ["write", "sync"] * copies + ["serve"] * served + ["close"] * (1 + extra)
        rows += [(f"b{b}", event, 100 * b + t) for t, event in enumerate(block)]
    return pd.DataFrame(rows, columns=["block", "event", "t"])


@pytest.mark.parametrize("method", ["auto", "kmeans", "robust_z"])
def test_live_alerts_honour_the_support_floor(method):
    rng = np.random.default_rng(0)
    roles = dict(entity="block", event="event", time="t")
    pipe = AnomalyPipeline(method=method).fit(
        Sequences.from_events(_served_log(1_000, rng), **roles), normal=True
    )
    assert pipe.support_rule_ and pipe.support_floor_ is not None
    log = _served_log(6_000, rng, start=2_000)
    seqs = Sequences.from_events(log, **roles)
    X = pipe._matrix(seqs)[1]
    low, high = pipe.support_bounds()
    outside = ((X < low) | (X > high)).any(axis=1)
    scores = pd.Series(pipe.detector_.decision_function(X), index=seqs.ids)
    # Whatever cut and floor the pipeline holds, the stream judges by them: the cut
    # above every held-out block outside the range and the floor at their median, so
    # that the floor alone decides which of them are flagged.
    pipe.threshold_ = float(scores[outside].max()) + 1.0
    pipe.support_floor_ = float(np.median(scores[outside]))
    batch = pipe.score(seqs)
    outside = pd.Series(outside, index=seqs.ids)[batch.index]
    left = outside & (batch["score"] <= pipe.support_floor_) & (batch["score"] <= pipe.threshold_)
    assert left.any() and not batch.loc[left, "is_anomaly"].any()
    above = outside & (batch["score"] > pipe.support_floor_)
    assert above.any() and batch.loc[above, "is_anomaly"].all()
    live = StreamScorer(pipe, **roles)
    assert live.scores_in_cpp_ == (method != "auto")
    final, score, reason = {}, {}, {}
    for chunk in np.array_split(np.arange(len(log)), 5):
        update = live.update(log.iloc[chunk])
        out = update.scores
        final.update(out["is_anomaly"].to_dict())
        score.update(out["score"].to_dict())
        reason.update(update.alerts["reason"].dropna().to_dict())
    ids = batch.index
    np.testing.assert_allclose(pd.Series(score)[ids], batch["score"], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(pd.Series(final)[ids].to_numpy(bool), batch["is_anomaly"])
    # an alert of the range alone says where, as the batch table's reason does (TR s46 H1)
    words = "beyond the normal entities' range on"
    assert batch.loc[above, "reason"].str.contains(words).all()
    said = pd.Series(reason).reindex(ids[above.to_numpy()]).dropna()
    assert len(said) and said.str.contains(words).all()
