"""Relabelling the event types (any bijection) must not move a verdict: with more types
than the count columns (30), which types keep a column is settled by their counts, never
by how their labels sort."""

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq._pipeline import _MAX_EVENT_COLUMNS, AnomalyPipeline
from oddseq.sequences import Sequences


def _log(seed):
    """200 users over 40 event types: 25 common ones drawn at random, 15 rare ones seen
    exactly 5 times each (a tie across the 30th column), a few users with bursts."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, 200, 4_000)
    events = rng.integers(0, 25, 4_000)
    rare = np.repeat(np.arange(25, 40), 5)
    users = np.r_[users, rng.integers(0, 200, rare.size), np.repeat([7, 8], 60)]
    events = np.r_[events, rare, np.repeat([3, 11], 60)]
    times = rng.integers(0, 30 * 86_400, users.size)
    return pd.DataFrame({"u": users, "code": events, "t": times})


def _named(log, names):
    return log.assign(e=np.asarray(names, dtype=object)[log["code"].to_numpy()])


@pytest.mark.parametrize("seed", [0, 1])
def test_relabelled_events_get_the_same_scores_and_flags(seed):
    log = _log(seed)
    names = [f"t{i:02d}" for i in range(40)]
    assert _MAX_EVENT_COLUMNS < len(names)
    renamed = list(np.random.default_rng(seed + 10).permutation(names))
    tables = [
        oddseq.detect_anomalies(_named(log, labels), entity="u", event="e", time="t")
        for labels in (names, renamed)
    ]
    a, b = (t.sort_index() for t in tables)
    # The columns come in label order: K-means's iterations (stopped at a tolerance) on
    # permuted columns may end a hair apart, far below any gap a cut could fall in.
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-5, atol=1e-5)
    assert (a["is_anomaly"] == b["is_anomaly"]).all()
    assert a["is_anomaly"].any()


def _sequences(log, labels):
    return Sequences.from_events(_named(log, labels), entity="u", event="e", time="t")


# (it scores the normal log it was fitted on, as the warning says)
@pytest.mark.filterwarnings("ignore:.*among those the model was fitted on as normal")
@pytest.mark.parametrize("method", ["auto", "markov"])
@pytest.mark.filterwarnings(r"ignore:only \d+ normal sequences for the cut:UserWarning")
def test_relabelled_events_normal_only_and_markov(method):
    log = _log(2)
    names = [f"t{i:02d}" for i in range(40)]
    renamed = list(np.random.default_rng(3).permutation(names))
    scores = []
    for labels in (names, renamed):
        seqs = _sequences(log, labels)
        fit = seqs.take(np.arange(0, len(seqs), 2))
        pipe = AnomalyPipeline(method=method).fit(fit, normal=True)
        scores.append(pipe.score(seqs).sort_index())
    a, b = scores
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-5, atol=1e-5)
    assert (a["is_anomaly"] == b["is_anomaly"]).all()


def test_dask_keeps_the_columns_one_machine_keeps():
    # Partitions that each meet only some of the types (rows cut in event order): the
    # counts added up over them choose the columns, the tie at the cap included.
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    log = _named(_log(4), [f"t{i:02d}" for i in range(40)]).sort_values("code")
    log = log.drop(columns="code").reset_index(drop=True)
    expected = oddseq.detect_anomalies(log, entity="u", event="e", time="t", groups=False)
    table, pipe = detect_anomalies(
        dd.from_pandas(log, npartitions=4, sort=False),
        entity="u",
        event="e",
        time="t",
        return_pipeline=True,
    )
    names = [n for n in pipe.feature_names_ if n.startswith("count[")]
    assert len(names) == 26  # 25 common types and count[<other>]: the 15 tied are pooled
    got = table.compute().sort_index()
    expected = expected.sort_index()
    np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(got["is_anomaly"], expected["is_anomaly"])
