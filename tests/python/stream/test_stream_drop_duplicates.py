"""oddseq stream --drop-duplicates: what it drops (an event equal to its entity's previous
one, not the batch's rows equal to any earlier row), the memory it keeps (each tracked
entity's last event, forgotten with the entity) and the words that advise it."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq._core import stream_hash_id
from oddseq.cli import _in_shell_words, _parser
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.preprocessing._quality import DROP_ROUTE, DUPLICATES_COUNTED
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._checks import PRUNE_FROM
from oddseq.stream._cli import _Repeats

COLUMNS = ["user_id", "behavior", "timestamp"]


@pytest.fixture(scope="module")
def pipe():
    log = make_ecommerce(n_users=200, n_days=3, random_state=4).events
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    return AnomalyPipeline().fit(seqs)


def _apply(scorer, rows):
    """The rows (entity, event, time as text) scored one by one, as the stream's
    --drop-duplicates path does (the scorer drops the repeats: drop_duplicates=True)."""
    for entity, event, time in rows:
        scorer.update_one(entity, event, int(time))


@pytest.mark.parametrize("cap", [{"max_entities": 100}, {"ttl": "1h"}])
def test_previous_events_are_forgotten_with_their_entities(pipe, cap):
    scorer = StreamScorer(
        pipe, entity="user_id", event="behavior", time="timestamp", drop_duplicates=True, **cap
    )
    previous = scorer._previous  # the shell's memory too (oddseq stream --drop-duplicates)
    start, n = 1_511_539_200, 5 * PRUNE_FROM
    for first in range(0, n, 500):
        # New entities, a minute apart: the cap (or the hour's TTL) forgets the old ones.
        rows = [(f"u{k}", "pv", str(start + 60 * k)) for k in range(first, first + 500)]
        _apply(scorer, rows)
    assert len(previous.previous) <= PRUNE_FROM + 500  # was one per entity ever seen
    assert scorer.counters["n_entities"] < len(previous.previous) + 500
    # A tracked entity's repeat is still dropped after the forgetting.
    last = (f"u{n - 1}", "pv", str(start + 60 * (n - 1)))
    before = scorer.counters["n_duplicates_dropped"]
    _apply(scorer, [last, last])
    assert scorer.counters["n_duplicates_dropped"] == before + 2  # its previous event was kept
    assert stream_hash_id(f"u{n - 1}") in previous.previous


def test_without_a_cap_every_entity_is_remembered(pipe):
    scorer = StreamScorer(
        pipe, entity="user_id", event="behavior", time="timestamp", drop_duplicates=True
    )
    rows = [(f"u{k}", "pv", str(1_511_539_200 + k)) for k in range(2 * PRUNE_FROM)]
    _apply(scorer, rows[: PRUNE_FROM + 1])
    _apply(scorer, rows[PRUNE_FROM + 1 :])
    _apply(scorer, rows[:1])  # the first entity's event again: still a repeat
    assert len(scorer._previous.previous) == 2 * PRUNE_FROM
    assert scorer.counters["n_duplicates_dropped"] == 1


def test_the_warning_names_lines_sent_twice_not_a_log(capsys):
    repeats = _Repeats(COLUMNS)
    rows = [("a", "pv", "1"), ("a", "pv", "1")] * 10
    repeats.take([list(c) for c in zip(*rows)], list(range(len(rows))))
    repeats.judge(final=True)
    err = capsys.readouterr().err
    assert "repeat their entity's previous" in err and "--drop-duplicates" in err
    assert "log shipped twice" not in err


def test_a_duplicates_warning_in_the_stream_names_its_option():
    text = f"12 rows are duplicates of an earlier row. {DROP_ROUTE} unless real{DUPLICATES_COUNTED}"
    said = _in_shell_words(text, "stream")
    assert "--drop-duplicates" in said and "Remove them from the file" not in said


def _help(command) -> str:
    parser = _parser()
    action = next(a for a in parser._actions if getattr(a, "choices", None))
    sub = action.choices[command]
    found = next(a for a in sub._actions if "--drop-duplicates" in a.option_strings)
    return " ".join(found.help.split())


def test_the_help_texts_say_what_each_drops():
    stream = _help("stream")
    assert "previous" in stream and "every column" in stream and "--calibrate" in stream
    assert "appended to itself" in stream
    for command in ("detect", "fit", "score"):
        batch = _help(command)
        assert "every column" in batch and "oddseq stream" in batch


# ---- the Python scorer's drop_duplicates= (as oddseq stream --drop-duplicates)


def _doubled(seed=0, share=0.3):
    """The log in time order without its own repeats, and with a share of its users'
    events each sent twice in a row (a retry)."""
    log = make_ecommerce(n_users=200, n_days=3, random_state=4).events
    ordered = log.sort_values("timestamp", kind="stable")
    ordered = ordered.drop_duplicates(COLUMNS).reset_index(drop=True)[COLUMNS]
    users = ordered["user_id"].unique()
    chosen = np.random.default_rng(seed).choice(users, int(share * len(users)), replace=False)
    twice = ordered["user_id"].isin(chosen).to_numpy()
    doubled = ordered.loc[ordered.index.repeat(np.where(twice, 2, 1))].reset_index(drop=True)
    return ordered, doubled


def _scorer(pipe, **options):
    return StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp", **options)


def _batches(scorer, frame, size=500):
    return [scorer.update(frame.iloc[i : i + size]) for i in range(0, len(frame), size)]


def test_drop_duplicates_scores_as_the_log_without_them(pipe):
    """update and update_one drop an event equal to its entity's previous one (event,
    time, item, value), across batches and between the two ways in, counted in
    ``counters`` and each update's ``n_duplicates``; the entities' features and scores
    are those of the log without the repeats, and no repeat warning is given."""
    ordered, doubled = _doubled()
    clean = _scorer(pipe)
    _batches(clean, ordered)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no repeat warning: they are dropped
        dropping = _scorer(pipe, drop_duplicates=True)
        updates = _batches(dropping, doubled, size=333)  # repeats split across batches too
    n_repeats = len(doubled) - len(ordered)
    assert sum(u.n_duplicates for u in updates) == n_repeats
    assert dropping.counters["n_duplicates_dropped"] == n_repeats
    users = ordered["user_id"].unique()
    pd.testing.assert_frame_equal(dropping.features(users), clean.features(users))
    # One event at a time, and the two ways in mixed: the same drops.
    one = _scorer(pipe, drop_duplicates=True)
    half = len(doubled) // 2
    for row in doubled.iloc[:half].itertuples(index=False):
        one.update_one(row.user_id, row.behavior, int(row.timestamp))
    _batches(one, doubled.iloc[half:])
    assert one.counters["n_duplicates_dropped"] == n_repeats
    pd.testing.assert_frame_equal(one.features(users), clean.features(users))
    # The events of the entity's latest time (H6 s32: a batch sent again in part): an
    # entity's A, B, A of one time drops the second A; A at 5, B at 6, A at 5 again is
    # not compared (a stream keeps each entity's events of its latest time, not all of
    # them: too late here), and without times nothing is compared.
    again = _scorer(pipe, drop_duplicates=True)
    again.update(
        pd.DataFrame(
            {"user_id": [1, 1, 1], "behavior": ["pv", "cart", "pv"], "timestamp": [5, 5, 5]}
        )
    )
    assert again.counters["n_duplicates_dropped"] == 1
    assert again.update_one(1, "pv", 5).length == 2 and again.counters["n_duplicates_dropped"] == 2
    later = _scorer(pipe, drop_duplicates=True, lateness=10)
    later.update(
        pd.DataFrame(
            {"user_id": [1, 1, 1], "behavior": ["pv", "cart", "pv"], "timestamp": [5, 6, 5]}
        )
    )
    assert later.counters["n_duplicates_dropped"] == 0 and later.counters["n_events"] == 3
    assert _scorer(pipe).counters["n_duplicates_dropped"] == 0
    with pytest.raises(ValueError, match="drop_duplicates must be True or False"):
        _scorer(pipe, drop_duplicates="yes")


def test_drop_duplicates_needs_times():
    log = make_ecommerce(n_users=100, random_state=1).events
    untimed = AnomalyPipeline().fit(Sequences.from_events(log, entity="user_id", event="behavior"))
    with pytest.raises(ValueError, match="time included: give time= too"):
        StreamScorer(untimed, entity="user_id", event="behavior", drop_duplicates=True)


def test_the_repeat_warning_names_the_scorers_option(pipe):
    _, doubled = _doubled(share=0.5)
    with pytest.warns(DataWarning, match="repeat their entity's previous") as said:
        _batches(_scorer(pipe), doubled)
    (message,) = [str(w.message) for w in said if "repeat" in str(w.message)]
    assert "StreamScorer(..., drop_duplicates=True)" in message
    assert "drop_duplicates()" not in message  # a batch's: not what the stream compares


def test_python_and_shell_drop_the_same_events(pipe, tmp_path):
    """``oddseq stream --drop-duplicates`` and ``StreamScorer(drop_duplicates=True)`` on
    the same events: the same number dropped."""
    _, doubled = _doubled(seed=1)
    pipe.save(tmp_path / "m.oddseq")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "oddseq.cli",
            "stream",
            "--model",
            str(tmp_path / "m.oddseq"),
            "--entity",
            "user_id",
            "--event",
            "behavior",
            "--time",
            "timestamp",
            "--drop-duplicates",
        ],
        input=doubled.to_csv(index=False),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    scorer = _scorer(pipe, drop_duplicates=True)
    _batches(scorer, doubled)
    n = scorer.counters["n_duplicates_dropped"]
    assert n > 100 and f"{n:,} repeats dropped" in done.stderr.strip().splitlines()[-1]


def test_calibrate_drops_what_the_stream_drops(pipe):
    """calibrate replays the log as the scorer reads it: with drop_duplicates=True the
    rows written twice are dropped in the replay too (the clean log's cut, no warning
    of repeats); without it they move the cut (each entity is scored on doubled counts and
    gaps of nothing) and are warned about. (Which way the cut moves depends on the fit: on
    this log of 200 users, random_states 0-5 gave 12.0-19.8 for the clean replay and
    16.0-17.2 for the doubled one.)"""
    log = make_ecommerce(n_users=200, n_days=3, random_state=4).events
    clean = log.sort_values("timestamp", kind="stable")
    twice = clean.loc[clean.index.repeat(2)]  # each row sent twice in a row
    roles = dict(entity="user_id", event="behavior", time="timestamp")
    # (the stream reads event and time here: same-second repeats of one event type in
    # the clean log are dropped too, so the clean log is replayed with the option)
    expected = StreamScorer(pipe, **roles, drop_duplicates=True).calibrate(clean)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        dropping = StreamScorer(pipe, **roles, drop_duplicates=True)
        # (a dropped event's entity is scored as it stands: equal up to round-off)
        assert dropping.calibrate(twice) == pytest.approx(expected, rel=1e-12)
    with pytest.warns(DataWarning, match="replayed to calibrate"):
        assert StreamScorer(pipe, **roles).calibrate(twice) != pytest.approx(expected, rel=1e-6)
