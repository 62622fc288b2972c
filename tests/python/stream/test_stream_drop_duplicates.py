"""oddseq stream --drop-duplicates: what it drops (an event equal to its entity's previous
one, not the batch's rows equal to any earlier row), the memory it keeps (each tracked
entity's last event, forgotten with the entity) and the words that advise it."""

import pytest

from oddseq import AnomalyPipeline
from oddseq.cli import _in_shell_words, _parser
from oddseq.datasets import make_ecommerce
from oddseq.preprocessing._quality import DROP_ROUTE, DUPLICATES_COUNTED
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer
from oddseq.stream._cli import _PRUNE_FROM, _Repeats

COLUMNS = ["user_id", "behavior", "timestamp"]


@pytest.fixture(scope="module")
def pipe():
    log = make_ecommerce(n_users=200, n_days=3, random_state=4).events
    seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    return AnomalyPipeline().fit(seqs)


def _apply(scorer, repeats, rows):
    """The rows (entity, event, time as text) through the repeats, then scored one by
    one, as the stream's --drop-duplicates path does."""
    lists = [list(c) for c in zip(*rows)]
    lists, _ = repeats.take(lists, list(range(len(rows))))
    for entity, event, time in zip(*lists):
        scorer.update_one(entity, event, int(time))


@pytest.mark.parametrize("cap", [{"max_entities": 100}, {"ttl": "1h"}])
def test_previous_events_are_forgotten_with_their_entities(pipe, cap):
    scorer = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp", **cap)
    repeats = _Repeats(True, COLUMNS, scorer)
    start, n = 1_511_539_200, 5 * _PRUNE_FROM
    for first in range(0, n, 500):
        # New entities, a minute apart: the cap (or the hour's TTL) forgets the old ones.
        rows = [(f"u{k}", "pv", str(start + 60 * k)) for k in range(first, first + 500)]
        _apply(scorer, repeats, rows)
    assert len(repeats.previous) <= _PRUNE_FROM + 500  # was one per entity ever seen
    assert scorer.counters["n_entities"] < len(repeats.previous) + 500
    # A tracked entity's repeat is still dropped after the forgetting.
    last = (f"u{n - 1}", "pv", str(start + 60 * (n - 1)))
    before = repeats.n_repeated
    _apply(scorer, repeats, [last, last])
    assert repeats.n_repeated == before + 2  # its previous event was kept
    assert f"u{n - 1}" in repeats.previous


def test_without_a_cap_every_entity_is_remembered(pipe):
    scorer = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
    repeats = _Repeats(True, COLUMNS, scorer)
    rows = [(f"u{k}", "pv", str(1_511_539_200 + k)) for k in range(2 * _PRUNE_FROM)]
    _apply(scorer, repeats, rows[: _PRUNE_FROM + 1])
    _apply(scorer, repeats, rows[_PRUNE_FROM + 1 :])
    _apply(scorer, repeats, rows[:1])  # the first entity's event again: still a repeat
    assert len(repeats.previous) == 2 * _PRUNE_FROM and repeats.n_repeated == 1


def test_the_warning_names_lines_sent_twice_not_a_log(capsys):
    repeats = _Repeats(False, COLUMNS)
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
