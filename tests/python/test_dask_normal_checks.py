"""oddseq.dask's normal-only scoring (``detect_anomalies(ddf, ..., normal=...)``) gives
the checks AnomalyPipeline.score and the stream give where the log scored is not like the
normal one (the time span and durations, event types never seen, the role columns, and
the share flagged far past the cut's promise while the bulk moved): each once, at the
caller's line, in the words of the one machine (the same code: oddseq._fitted_data).
Warnings only: scores and flags are unchanged (H4 s16, #14's leftovers)."""

import warnings

import numpy as np
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("dask.distributed")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
DAY = 86_400
# The starts of the checks' messages (oddseq._fitted_data)
SPAN = "the scored log spans"
UNSEEN = "of the scored events"
SHARE = "flagged against"


@pytest.fixture(scope="module")
def logs():
    week = make_ecommerce(n_users=400, random_state=1).events
    week["behavior"] = week["behavior"].astype(str)
    other = make_ecommerce(n_users=400, random_state=2).events
    other["behavior"] = other["behavior"].astype(str)
    start = other["timestamp"].min()
    day = other[(other["timestamp"] >= start + 4 * DAY) & (other["timestamp"] < start + 5 * DAY)]
    renamed = other.assign(behavior=other["behavior"].map({"pv": "view"}).fillna(other["behavior"]))
    return week, other, day, renamed


@pytest.fixture(scope="module")
def week_against_day(client, logs):
    """``_dask(week, day)``: the table and the checks said (read by two tests; a call
    costs seconds)."""
    week, _, day, _ = logs
    return _dask(week, day)


def _checks(caught, starts=(SPAN, UNSEEN, SHARE, "scored with other column names")):
    """The checks' warnings caught: {start: [(message, filename)]}."""
    out = {}
    for w in caught:
        text = str(w.message)
        for start in starts:
            if start in text[:60]:
                out.setdefault(start, []).append((text, w.filename))
    return out


def _dask(scored, normal, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = detect_anomalies(
            dd.from_pandas(scored, npartitions=3),
            **COLUMNS,
            normal=dd.from_pandas(normal, npartitions=2),
            groups=False,
            **kw,
        ).compute()
    return table, _checks(caught)


def _one(scored, normal):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = oddseq.detect_anomalies(
            scored, crowds=False, **COLUMNS, normal=normal, groups=False
        )
    return table, _checks(caught)


def test_a_week_against_a_days_normal_warns_of_the_span_and_the_share_once(logs, week_against_day):
    """A day's normal users, a week scored: every steady user reads as long-lived, the
    flags go far past the false-alarm rate and the bulk moves (the share alarm)."""
    week, _, day, _ = logs
    table, said = week_against_day
    _, one = _one(week, day)
    assert SPAN in said and SHARE in said
    assert set(said) == set(one)
    for start, hits in said.items():
        assert len(hits) == 1, (start, hits)  # once each
        assert hits[0][1] == __file__  # at the caller's line
        assert hits[0][0] == one[start][0][0]  # the one machine's words and figures


def test_event_types_never_seen_warn_as_on_one_machine(client, logs):
    week, _, _, renamed = logs
    _, said = _dask(renamed, week)
    _, one = _one(renamed, week)
    assert UNSEEN in said and len(said[UNSEEN]) == 1
    assert said[UNSEEN][0][0] == one[UNSEEN][0][0]
    assert said[UNSEEN][0][1] == __file__


def test_a_log_like_the_normal_one_warns_of_nothing(client, logs):
    week, other, _, _ = logs
    _, said = _dask(other, week)
    assert said == {}


def test_scores_and_flags_are_those_without_the_checks(client, logs, week_against_day, monkeypatch):
    week, _, day, _ = logs
    table, said = week_against_day
    assert said
    from oddseq import _fitted_data

    monkeypatch.setattr(_fitted_data, "warn_unlike", lambda *a, **k: None)
    monkeypatch.setattr(_fitted_data, "warn_share_alarm", lambda *a, **k: None)
    quiet, none = _dask(week, day)
    assert none == {}
    for column in ("score", "is_anomaly", "rank"):
        assert np.array_equal(table[column].to_numpy(), quiet[column].to_numpy()), column
