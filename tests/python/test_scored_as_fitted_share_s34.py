"""Scoring a log of which a fifth or more of the entities are in ``normal`` with the same
events warns (NA's s34 trial: 700 of 1,500 users were in normal, scored 0 by their own
neighbour, and 27 of the log's 30 planted anomalies among them; nothing flagged, no word,
where the warning waited for more than half). A tenth stays silent
(test_pipeline.py::test_scoring_the_normal_log_itself_warns)."""

import warnings

import pytest

import oddseq
from oddseq.datasets import make_ecommerce

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", groups=False)


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=1_000, random_state=768).events


def _said(log, normal):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **COLUMNS, normal=normal)
    return [str(w.message) for w in caught if " entities scored are in normal " in str(w.message)]


def test_a_fifth_of_the_scored_log_in_normal_warns(log):
    users = log["user_id"].unique()
    (text,) = _said(log, log[log["user_id"].isin(users[:300])])
    assert text.startswith("300 of the 1,000 entities scored are in normal with the same events")
    assert "score as normal whatever they did" in text


def test_under_a_fifth_stays_silent(log):
    users = log["user_id"].unique()
    assert _said(log, log[log["user_id"].isin(users[:199])]) == []
