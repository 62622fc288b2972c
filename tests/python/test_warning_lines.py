"""Every warning a user meets through the entry points points at the user's own line
(here: this file), not at a line inside oddseq, whatever the depth of the call that
raised it: ``detect_anomalies``, ``AnomalyPipeline.fit`` / ``score`` and
``Sequences.from_events``."""

import warnings

import numpy as np
import pandas as pd

from oddseq import detect_anomalies
from oddseq._pipeline import AnomalyPipeline
from oddseq.sequences import Sequences


def _log(n_entities: int, seed: int = 0, start: float = 0.0) -> pd.DataFrame:
    """n_entities - 1 alike entities and one outlier; times from ``start`` (seconds)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_entities - 1):
        for t in range(int(rng.integers(10, 15))):
            rows.append((f"u{k}", "abc"[int(rng.integers(3))], start + 60 * t, 100 + k))
    for t in range(400):
        rows.append(("odd", "x" if t % 4 else "a", start + 60 * t, 7))
    return pd.DataFrame(rows, columns=["user", "event", "t", "item"])


def _recorded(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = call()
    return out, record


def _all_here(record, at_least: int = 1):
    assert len(record) >= at_least, [str(w.message) for w in record]
    where = {(w.filename, str(w.message)[:60]) for w in record if w.filename != __file__}
    assert not where, where


def _seconds_log() -> pd.DataFrame:
    """A small log of epoch seconds (read with time_unit="ms": the time-unit warning)
    with a missing event (dropna's warning)."""
    log = _log(8, start=1.5e9)
    log.loc[3, "event"] = None
    return log


def test_from_events_warnings_point_at_the_caller():
    _, record = _recorded(
        lambda: Sequences.from_events(
            _seconds_log(), entity="user", event="event", time="t", dropna=True, time_unit="ms"
        )
    )
    _all_here(record, at_least=2)  # dropped rows, the time unit


def test_fit_warnings_point_at_the_caller():
    seqs = Sequences.from_events(_log(8), entity="user", event="event", time="t")
    _, record = _recorded(lambda: AnomalyPipeline().fit(seqs))  # a small population
    _all_here(record)
    assert any("contamination=" in str(w.message) for w in record)


def test_normal_fit_warning_points_at_the_caller():
    # the not-normal check: a tenth of the "normal" entities far beyond the rest
    from oddseq.datasets import make_ecommerce

    events = make_ecommerce(n_users=600, anomaly_rate=0.0, random_state=0).events
    events = events[["user_id", "behavior", "timestamp"]]
    rng = np.random.default_rng(0)
    t0, span = events["timestamp"].min(), events["timestamp"].max() - events["timestamp"].min()
    far = []
    for user in range(10**8, 10**8 + 60):
        kinds = rng.choice(40, size=rng.integers(1, 4), replace=False)
        n = int(rng.integers(5, 40))
        far.append(
            pd.DataFrame(
                {
                    "user_id": user,
                    "behavior": [f"error{k}" for k in rng.choice(kinds, n)],
                    "timestamp": t0 + span * np.sort(rng.random(n)),
                }
            )
        )
    seqs = Sequences.from_events(
        pd.concat([events, *far], ignore_index=True),
        entity="user_id",
        event="behavior",
        time="timestamp",
    )
    _, record = _recorded(lambda: AnomalyPipeline().fit(seqs, normal=True))
    _all_here(record)
    assert any("does not look normal" in str(w.message) for w in record)


def test_score_warnings_point_at_the_caller():
    log = _log(150)
    seqs = Sequences.from_events(log, entity="user", event="event", time="t", item="item")
    categories = pd.Series(1, index=pd.Index(log["item"].unique()))
    side = pd.DataFrame({"age": np.arange(len(seqs), dtype=float)}, index=seqs.ids)
    pipe = AnomalyPipeline(item_categories=categories, entity_features=side).fit(seqs)
    later = log.assign(user="new-" + log["user"], item=log["item"] + 10_000)
    fresh = Sequences.from_events(later, entity="user", event="event", time="t", item="item")
    _, record = _recorded(lambda: pipe.score(fresh))  # unknown items, unknown entities
    _all_here(record, at_least=2)


def test_detect_anomalies_warnings_point_at_the_caller():
    _, record = _recorded(
        lambda: detect_anomalies(
            _seconds_log(), entity="user", event="event", time="t", dropna=True, time_unit="ms"
        )
    )
    _all_here(record, at_least=3)  # dropped rows, the time unit, a small population
