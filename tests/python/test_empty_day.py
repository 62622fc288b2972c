"""A day without events in Python (H6's F7): detect_anomalies and a fitted model's score
give the ranked table of no rows, with the columns and dtypes a day with events has
(as oddseq detect and score write one), and a DataWarning that says so; fitting on
nothing is refused, naming what is missing. Sequences.from_events of no rows gives
sequences of none (so that a daily ``model.score(Sequences.from_events(today, ...))``
runs on a quiet day)."""

import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=300, random_state=2).events


@pytest.fixture(scope="module")
def fitted(log):
    return oddseq.detect_anomalies(log, groups=False, return_pipeline=True, **ROLES)


def _same_schema(empty, full):
    assert len(empty) == 0
    assert list(empty.columns) == list(full.columns)
    pd.testing.assert_series_equal(empty.dtypes, full.dtypes)
    assert empty.index.names == full.index.names
    assert [level.dtype for level in _levels(empty.index)] == [
        level.dtype for level in _levels(full.index)
    ]


def _levels(index):
    return index.levels if isinstance(index, pd.MultiIndex) else [index]


def test_from_events_of_no_rows_gives_no_sequences(log):
    seqs = Sequences.from_events(log.iloc[:0], **ROLES)
    assert len(seqs) == 0 and seqs.n_events == 0
    assert seqs.ids.dtype == Sequences.from_events(log, **ROLES).ids.dtype
    with pytest.raises(ValueError, match="not a column"):
        Sequences.from_events(log.iloc[:0], entity="user", event="behavior")


def test_score_of_a_day_without_events_is_an_empty_table(log, fitted):
    table, pipe = fitted
    with pytest.warns(DataWarning, match="without events.*empty table"):
        empty = pipe.score(Sequences.from_events(log.iloc[:0], **ROLES))
    _same_schema(empty, pipe.score(Sequences.from_events(log, **ROLES)))


def test_detect_anomalies_of_a_day_without_events(log):
    full = oddseq.detect_anomalies(log, **ROLES)  # with the group stage's column
    with pytest.warns(DataWarning, match="df has no rows.*empty table"):
        empty = oddseq.detect_anomalies(log.iloc[:0], **ROLES)
    _same_schema(empty, full)
    kw = dict(ROLES, groups=False, session_gap="30min")
    full = oddseq.detect_anomalies(log, **kw)
    with pytest.warns(DataWarning, match="no rows"):
        empty, pipe = oddseq.detect_anomalies(log.iloc[:0], return_pipeline=True, **kw)
    _same_schema(empty, full)
    assert pipe is None  # nothing was fitted


def test_detect_anomalies_with_normal_scores_an_empty_day(log):
    normal = make_ecommerce(n_users=300, random_state=3, anomaly_rate=0.0).events
    with pytest.warns(DataWarning, match="no rows"):
        empty, pipe = oddseq.detect_anomalies(
            log.iloc[:0], normal=normal, groups=False, return_pipeline=True, **ROLES
        )
    assert len(empty) == 0 and pipe is not None and hasattr(pipe, "detector_")
    with pytest.raises(ValueError, match="normal has no rows"):
        oddseq.detect_anomalies(log, normal=log.iloc[:0], groups=False, **ROLES)


def test_fitting_on_nothing_is_refused(log):
    seqs = Sequences.from_events(log.iloc[:0], **ROLES)
    with pytest.raises(ValueError, match="no sequences.*nothing to fit"):
        AnomalyPipeline().fit(seqs)
