"""A reason that names ``count[<other>]`` says what it pools: with more than 30 event
types the rarer ones share that column, and "count[<other>] 12 (typical 3)" alone does
not say how many types, or which, it counts. The feature's name stays
``count[<other>]`` (saved models, the stream and the feature names use it)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, Sequences, detect_anomalies, load
from oddseq.stream import StreamScorer

ROLES = dict(entity="user", event="event", time="t")


def _log(n_types: int = 41, n_entities: int = 150, seed: int = 0) -> pd.DataFrame:
    """Entities doing the 30 common types (E00-E29, each a different share), a few rare
    ones sprinkled about, and one entity made of rare types: the shape of loghub's BGL
    (more than 30 templates, most of them rare)."""
    rng = np.random.default_rng(seed)
    common = [f"E{k:02d}" for k in range(30)]
    rare = [f"E{k:02d}" for k in range(30, n_types)]
    weights = np.linspace(2.0, 1.0, 30)
    weights /= weights.sum()
    rows = []
    for u in range(n_entities - 1):
        n = int(rng.integers(20, 30))
        kinds = rng.choice(common, size=n, p=weights).tolist()
        if u % 10 == 0:  # a rare type now and then, so each is seen in fit
            kinds[0] = rare[(u // 10) % len(rare)]
        for t, kind in enumerate(kinds):
            rows.append((f"u{u}", kind, 60.0 * t + rng.uniform(0, 30)))
    for t in range(40):  # the odd one: rare types only
        rows.append(("odd", rare[t % len(rare)], 60.0 * t))
    return pd.DataFrame(rows, columns=["user", "event", "t"])


@pytest.fixture(scope="module")
def fitted():
    log = _log()
    seqs = Sequences.from_events(log, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small population's note
        pipe = AnomalyPipeline().fit(seqs)
    return log, seqs, pipe


def _pooled_phrase(reason: str) -> str:
    start = reason.index("count[<other>]")
    return reason[start : reason.index(")", start) + 1]


def test_the_column_keeps_its_name_and_the_encoder_knows_what_it_pools(fitted):
    _, seqs, pipe = fitted
    assert "count[<other>]" in pipe.feature_names_
    counts = dict(pipe.encoder_.encoders_)["counts"]
    # how many it pools, and the most frequent five of them by name (all of them made a
    # model of URL paths megabytes)
    assert counts.n_pooled_ == 11 and len(counts.pooled_labels_) == 5
    freq = pd.Series(seqs.event_counts(), index=seqs.event_labels)
    pooled = freq[[f"E{k}" for k in range(30, 41)]]
    top = pooled.sort_values(ascending=False, kind="stable").index[:5]
    assert list(counts.pooled_labels_) == list(top)


def test_the_reason_says_how_many_types_it_pools_and_which(fitted):
    _, _, pipe = fitted
    reason = pipe.table_.loc["odd", "reason"]
    phrase = _pooled_phrase(reason)
    assert "11 rarer event types" in phrase, reason
    named = [f"E{k}" for k in range(30, 41) if f"E{k}" in phrase]
    assert 1 <= len(named) <= 5 and "more" in phrase  # a few named, the rest counted
    assert len(phrase) < 160


def test_explain_the_one_call_the_stream_and_a_saved_model_say_it_too(fitted, tmp_path):
    log, seqs, pipe = fitted
    why = pipe.explain(["odd"])
    row = why[why["feature"] == "count[<other>]"]
    assert len(row) == 1 and "11 rarer event types" in row["note"].iloc[0]
    assert (why.loc[why["feature"] != "count[<other>]", "note"] == "").all()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = detect_anomalies(log, **ROLES, groups=False)
    assert "11 rarer event types" in _pooled_phrase(table.loc["odd", "reason"])

    pipe.save(tmp_path / "m.oddseq")
    again = load(tmp_path / "m.oddseq")
    assert again.score(seqs)["reason"].equals(pipe.score(seqs)["reason"])

    scorer = StreamScorer(pipe, **ROLES, reasons="all")
    alerts = scorer.update(log.sort_values("t", kind="stable")).alerts
    assert "11 rarer event types" in _pooled_phrase(alerts.loc["odd", "reason"])


def test_few_pooled_types_are_all_named_and_no_pooled_type_says_new_ones():
    log = _log(n_types=33)
    seqs = Sequences.from_events(log, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline().fit(seqs)
    phrase = _pooled_phrase(pipe.table_.loc["odd", "reason"])
    assert "3 rarer event types pooled: E30, E31, E32, and any new" in phrase
    assert "more" not in phrase

    # 30 types or fewer: count[<other>] counts the types new since fitting, and says so
    few = log[~log["event"].isin([f"E{k}" for k in range(30, 33)])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline().fit(Sequences.from_events(few, **ROLES))
    later = log.copy()
    later.loc[later["user"] == "odd", "event"] = "brand-new"
    fresh = Sequences.from_events(later, **ROLES)
    why = pipe.explain(fresh, ["odd"], top=len(pipe.feature_names_))
    note = why.loc[why["feature"] == "count[<other>]", "note"].iloc[0]
    assert note == "event types not seen in fitting: 'brand-new'"  # (the entity's own)


def test_dask_says_it_as_one_machine_does():
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import oddseq.dask

    log = _log()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = detect_anomalies(log, **ROLES, groups=False)
        with dask.config.set(scheduler="sync"):
            table = oddseq.dask.detect_anomalies(dd.from_pandas(log, npartitions=3), **ROLES)
            table = table.compute()
    assert "11 rarer event types" in _pooled_phrase(table.loc["odd", "reason"])
    assert table["reason"].reindex(single.index).equals(single["reason"])
