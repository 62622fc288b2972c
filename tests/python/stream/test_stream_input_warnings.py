"""StreamScorer says in Python what ``oddseq stream`` says in the shell about its input:
events dropped as too late past 5% of those seen (from the 1,000th on) and events repeating
their entity's previous one past the batch's 10% of the first 10,000; once each, in
Python's words (``lateness=``, ``max_late_events=``, ``drop_duplicates=True``), by one rule
shared with the shell (:mod:`oddseq.stream._checks`)."""

import warnings

import numpy as np
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer, _checks

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=200, n_days=3, random_state=4).events


@pytest.fixture(scope="module")
def pipe(log):
    return AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))


def _ordered(log):
    ordered = log.sort_values("timestamp", kind="stable")
    return ordered.drop_duplicates(["user_id", "behavior", "timestamp"]).reset_index(drop=True)


def _doubled(log, share=0.3, seed=0):
    ordered = _ordered(log)
    users = ordered["user_id"].unique()
    chosen = np.random.default_rng(seed).choice(users, int(share * len(users)), replace=False)
    twice = ordered["user_id"].isin(chosen).to_numpy()
    return ordered.loc[ordered.index.repeat(np.where(twice, 2, 1))].reset_index(drop=True)


def _said(run, words):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    return [str(w.message) for w in caught if words in str(w.message)], caught


def _batches(live, frame, size=500):
    for at in range(0, len(frame), size):
        live.update(frame.iloc[at : at + size])


def _one_by_one(live, frame):
    for user, kind, ts in frame[["user_id", "behavior", "timestamp"]].itertuples(index=False):
        live.update_one(user, kind, int(ts))


@pytest.mark.parametrize("feed", [_batches, _one_by_one])
def test_too_late_is_said_once_in_python_words(log, pipe, feed):
    shuffled = log.sample(frac=1.0, random_state=0)  # out of time order: most dropped
    live = StreamScorer(pipe, **ROLES)
    said, caught = _said(lambda: feed(live, shuffled), "dropped as too late")
    assert len(said) == 1, [str(w.message) for w in caught]
    counts = live.counters
    assert counts["n_late_dropped"] > 0.05 * (counts["n_events"] + counts["n_late_dropped"])
    assert "lateness=" in said[0] and "--" not in said[0]
    assert "counters" in said[0]
    # Said again by a new scorer, not by this one later on.
    again, _ = _said(lambda: feed(live, shuffled.iloc[:2000]), "dropped as too late")
    assert again == []


def test_too_late_behind_the_newest_kept_advises_max_late_events(log, pipe):
    shuffled = log.sample(frac=1.0, random_state=0)
    live = StreamScorer(pipe, **ROLES, lateness="3d", max_late_events=1)
    said, _ = _said(lambda: _batches(live, shuffled), "dropped as too late")
    assert len(said) == 1
    assert "max_late_events" in said[0] and "--" not in said[0]


@pytest.mark.parametrize("feed", [_batches, _one_by_one])
def test_repeats_are_said_once_advising_drop_duplicates_in_python(log, pipe, feed):
    live = StreamScorer(pipe, **ROLES)
    said, caught = _said(lambda: feed(live, _doubled(log)), "repeat their entity's previous")
    assert len(said) == 1, [str(w.message) for w in caught]
    # The scorer's own option (a batch's drop_duplicates() compares other rows).
    assert "drop_duplicates=True" in said[0] and "--drop-duplicates" not in said[0]
    assert "drop_duplicates()" not in said[0]
    assert "same behavior and timestamp" in said[0]


def test_a_clean_stream_says_nothing_of_either(log, pipe):
    live = StreamScorer(pipe, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _batches(live, _ordered(log))
        _one_by_one(StreamScorer(pipe, **ROLES), _ordered(log))


def test_the_rule_is_one_for_the_shell_and_python():
    # The shell's stream reads its thresholds and words from the same place.
    from oddseq.stream import _cli

    assert not hasattr(_cli, "_LATE_SHARE") and not hasattr(_cli, "_LATE_FROM")
    assert _checks.too_late({"n_late_dropped": 51, "n_events": 949}) == (51, 1000)
    assert _checks.too_late({"n_late_dropped": 50, "n_events": 950}) is None
    assert _checks.too_late({"n_late_dropped": 40, "n_events": 500}) is None
