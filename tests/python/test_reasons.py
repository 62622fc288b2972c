"""The reasons an analyst reads are true of the entity and agree with what drove its
score: the detector reads the evidence-shrunk features (a short entity's rates pulled
toward the population's median), so an entity's own value can sit on the other side of
the detector's typical value than the value the detector read. Such a feature is never
named as "value (typical ...)" in the batch table, explain's text or a stream alert."""

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, Sequences, _reasons
from oddseq.datasets import make_ecommerce
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def against(frame: pd.DataFrame) -> pd.Series:
    """Rows of an explanation whose value reads on the other side of typical than the
    deviation the detector scored."""
    opposite = np.sign(frame["value"] - frame["typical"]) * np.sign(frame["deviation"]) < 0
    return opposite & (frame["value_text"] != frame["typical_text"])


# The words before a typical value, by whose it is (test_reasons_whose_typical).
WHOSE = (
    "typical",
    "log-scale average",
    "expected",
    "entities like it have",
    "normal entities like it have",
)
# PCA T^2's expectation of a rare count, said without its number (test_reasons_feature_words)
NONE = ("most entities have none", "most normal entities have none")


def phrase(row) -> list:
    name = _reasons.reason_name(row.feature)
    said = [f"{name} {row.value_text} ({w} {row.typical_text})" for w in WHOSE]
    return said + [f"{name} {row.value_text} ({w})" for w in NONE]


@pytest.fixture(scope="module", params=[0, 1])
def fitted(request):
    log = make_ecommerce(n_users=400, random_state=request.param).events
    seqs = Sequences.from_events(log, **ROLES)
    pipe = AnomalyPipeline().fit(seqs)
    table = pipe.score(seqs)
    return log, seqs, pipe, table


def test_the_case_occurs(fitted):
    """The data of these tests holds rows the shrinkage turns around (else the tests
    below would pass for want of a case)."""
    _, seqs, pipe, _ = fitted
    explained = pipe.explain(seqs)
    assert against(explained).sum() >= 5


def test_table_reasons_never_say_the_opposite_of_the_score(fitted):
    _, seqs, pipe, table = fitted
    explained = pipe.explain(seqs)
    bad = explained[against(explained)]
    said = [
        entity
        for (entity, _), row in bad.iterrows()
        if any(p in str(table.loc[entity, "reason"]) for p in phrase(row))
    ]
    assert said == []
    assert table["reason"].str.len().gt(0).all()


def test_explain_says_the_value_the_detector_read(fitted):
    """explain's ``value_read``: the value after the evidence shrinkage, on the side of
    typical the deviation says; the value itself where nothing was shrunk."""
    _, seqs, pipe, _ = fitted
    explained = pipe.explain(seqs)
    read = explained["value_read"] - explained["typical"]
    close = np.abs(read) <= 1e-6 * np.maximum(1.0, np.abs(explained["typical"]))
    assert not (np.sign(read) * np.sign(explained["deviation"]) < 0)[~close].any()
    kinds = pipe.evidence_.kinds_[pd.Index(pipe.feature_names_).get_indexer(explained["feature"])]
    np.testing.assert_array_equal(
        explained["value_read"][kinds == 0], explained["value"][kinds == 0]
    )
    assert (explained["value_read"] != explained["value"])[kinds > 0].any()


def test_stream_alerts_never_say_the_opposite_of_the_score(fitted):
    log, seqs, pipe, _ = fitted
    live = StreamScorer(pipe, max_exact_items=10_000, **ROLES)
    alerts = live.update(log.sort_values("timestamp", kind="stable")).alerts
    assert len(alerts)
    explained = pipe.explain(seqs, list(alerts.index))
    bad = explained[against(explained)]
    said = [
        entity
        for (entity, _), row in bad.iterrows()
        if any(p in alerts.loc[entity, "reason"] for p in phrase(row))
    ]
    assert said == []
    whose = [f"\\({w} " for w in WHOSE] + [f"\\({w}\\)" for w in NONE]
    assert alerts["reason"].str.contains("|".join(whose)).all()


def test_a_turned_feature_alone_is_said_with_the_value_read():
    """An explanation whose only feature the shrinkage turned around (the entity's own
    gap above typical, the value the detector read below): the table's reason and the
    alert name it with the value the detector read beside the entity's own."""
    log = make_ecommerce(n_users=400, random_state=0).events
    seqs = Sequences.from_events(log, **ROLES)
    pipe = AnomalyPipeline().fit(seqs)
    raw = pipe._features(seqs, fitting=False).astype(np.float64)
    lengths = seqs.lengths
    j = list(pipe.feature_names_).index("gap_mean_s")
    read = pipe.evidence_.transform(raw, lengths)[:, j]
    # A user of few events whose own gaps are far from what the detector read.
    r = int(np.flatnonzero((lengths < 10) & (raw[:, j] > 2 * read + 60))[0])
    between = raw.copy()
    between[r, j] = (raw[r, j] + read[r]) / 2  # typical: between the two
    typical = pipe.z_scaler_.transform(pipe.log_scaler_.transform(between))[r, j]
    explained = pd.DataFrame(
        {"feature": ["gap_mean_s"], "typical": [typical], "deviation": [-1.0]},
        index=pd.MultiIndex.from_tuples([(r, 0)], names=["row", "rank"]),
    )
    said = _reasons.format_value("gap_mean_s", raw[r, j])
    expected = _reasons.format_value("gap_mean_s", between[r, j])
    seen = _reasons.format_value("gap_mean_s", read[r])
    # a typical value that is neither robust z's median nor PCA's mean: K-means's centre
    words = "entities like it have"
    read = f"read as {seen} on {lengths[r]} events"
    whole = f"mean time between events {said} ({read}; {words} {expected})"
    table = _reasons.feature_reasons(pipe, explained, raw, lengths)[r]
    assert table.startswith("no single feature stands out; leading: " + whole)
    alert = _reasons.alert_reasons_at(pipe, [0], [j], [typical], raw[r : r + 1], lengths[r : r + 1])
    assert alert[0] == whole
