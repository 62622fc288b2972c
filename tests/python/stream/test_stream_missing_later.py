"""A stream whose values (or items) go missing after its first 10,000 events says so,
where it began: the check read only the first 10,000 events (0b6a2f1), so a feed whose
price column emptied after an hour said nothing while its alerts nearly doubled (a shop
of 3,000 users, its prices empty from the middle: 678 alerts for 375, no word; session
23, the closing note of session 22). Judged per window of 10,000 events on one event in
32 (update_one, the shell's lines) or the whole batch (update), warned once per kind."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
STREAM = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
STREAM += ["--item", "item_id", "--value", "price"]
FROM = 22_000  # the events from this one on (0-based) lose their price


@pytest.fixture(scope="module")
def log():
    events = make_ecommerce(n_users=700, random_state=213).events
    return events.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def model(log):
    return oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **ROLES))


@pytest.fixture(scope="module")
def later(log):
    assert len(log) > FROM + 10_000
    out = log.copy()
    out.loc[FROM:, "price"] = np.nan
    return out


def _said(messages, words):
    return [m for m in messages if words in m]


def _run(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", DataWarning)  # (others: too late, repeats)
        call()
    return [str(w.message) for w in caught]


def _began(message):
    """The first event of the window the message names."""
    return int(re.search(r"events ([\d,]+)-[\d,]+ of the stream", message)[1].replace(",", ""))


def _batches(scorer, frame, size=1000):
    for at in range(0, len(frame), size):
        scorer.update(frame.iloc[at : at + size])


def test_values_gone_after_the_first_window_are_said_where_they_began(later, model):
    said = _said(_run(lambda: _batches(StreamScorer(model, **ROLES), later)), "have no value")
    assert len(said) == 1, said
    # the window that holds the first of them, or the next
    assert FROM - 10_000 < _began(said[0]) <= FROM + 1, said
    assert "have no value (at fit 0%)" in said[0], said
    assert re.search(r"\(after [\d.]+ days of it, event time\)", said[0]), said  # and when


def test_update_one_says_it_too(later, model):
    scorer = StreamScorer(model, **ROLES)
    rows = later[["user_id", "behavior", "timestamp", "item_id", "price"]]

    def each():
        for user, event, time, item, price in rows.itertuples(index=False):
            scorer.update_one(user, event, int(time), int(item), None if price != price else price)

    said = _said(_run(each), "have no value")
    assert len(said) == 1, said
    assert FROM - 10_000 < _began(said[0]) <= FROM + 1, said


def test_items_gone_later_are_said(log, model):
    gone = log.copy()
    gone["item_id"] = gone["item_id"].astype(object)
    gone.loc[FROM:, "item_id"] = None
    said = _said(_run(lambda: _batches(StreamScorer(model, **ROLES), gone)), "no item")
    assert len(said) == 1 and "have no item" in said[0], said


def test_the_stream_as_fitted_says_nothing_to_its_end(log, later, model):
    scorer = StreamScorer(model, **ROLES)
    messages = _run(lambda: _batches(scorer, log))
    messages += _run(scorer._checks.finish)
    assert not _said(messages, "have no"), messages
    # of fewer than 50 entities (missing values cluster by entity): nothing either
    few = later.assign(user_id=later["user_id"] % 10)
    scorer = StreamScorer(model, **ROLES)
    messages = _run(lambda: _batches(scorer, few)) + _run(scorer._checks.finish)
    assert not _said(messages, "have no"), messages


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_shell_stream_says_it(tmp_path, oddseq_here, later, model, fmt):
    model.save(tmp_path / "m.oddseq")
    text = (
        later.to_csv(index=False) if fmt == "csv" else later.to_json(orient="records", lines=True)
    )
    done = oddseq_here(["stream", "--model", tmp_path / "m.oddseq", *STREAM], text)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "have no value" in line]
    assert len(said) == 1, done.stderr
    # the window of the C++ reader's calls that holds the first of them, or the next
    assert FROM - 12_000 < _began(said[0]) <= FROM + 12_000, said


def test_a_short_tail_is_judged_at_the_end(tmp_path, oddseq_here, log, model):
    # 10,000 events after the first window, all without their price: the last window,
    # short of 10,000 (the first closes with the C++ reader's call that fills it), judged
    short = log.head(20_000).copy()
    short.loc[10_000:, "price"] = np.nan
    model.save(tmp_path / "m.oddseq")
    text = short.to_csv(index=False)
    done = oddseq_here(["stream", "--model", tmp_path / "m.oddseq", *STREAM], text)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "have no value" in line]
    # (the first window closes with the C++ reader's call that fills it, and a call
    # runs on to an alert or the end of what one read of the pipe holds, up to 1 MiB,
    # some 20,000 of these lines: 12,000 while the entities without a price were
    # flagged for it, 13,012 since their value statistics rest on their valued events,
    # TR s53 M2; the bound is the last window's own, 1,000 events or more, judged)
    assert len(said) == 1 and 10_001 <= _began(said[0]) <= 20_000 - 1_000, done.stderr


def test_too_late_after_the_first_window_is_said_by_update_one(log, model):
    # update_one: after the first 10,000 events the input's checks counted one event a
    # call, not those handed over since the last, and looked again only after 1,000 +
    # 999 + ... events: a stream whose events came a day late (one in five) from its
    # 12,000th on said nothing in 35,000 events (4,423 dropped, 14%).
    times = log["timestamp"].to_numpy().copy()
    times[12_000::5] -= 86_400
    scorer = StreamScorer(model, **ROLES)
    rows = zip(log["user_id"], log["behavior"], times.tolist(), log["item_id"], log["price"])
    seen = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for user, event, time, item, price in rows:
            scorer.update_one(user, event, time, item, price)
            seen += 1
            if any("too late" in str(w.message) for w in caught):
                break
    assert any("too late" in str(w.message) for w in caught), scorer.counters
    # judged every 1,000 events: said at the first look past 5% (~1,000 of 17,000)
    assert seen <= 17_001, seen


def test_update_one_reads_pd_na_as_missing(log, model):
    # A row of a nullable column (Float64, Int64) gives pd.NA: update_one reads it as a
    # missing value, and the missing-value check raised "boolean value of NA is
    # ambiguous" on it (the first 10,000 events; 0b6a2f1).
    scorer = StreamScorer(model, **ROLES)
    first = scorer.update_one(1, "pv", 1511539256, 5, pd.NA)
    assert first.length == 1
    assert scorer.update_one(1, "pv", 1511539257, pd.NA, 3.0).length == 2
    rows = log.head(12_000).astype({"price": "Float64", "item_id": "Int64"})
    rows.loc[rows.index[::3], "price"] = pd.NA
    for user, event, time, item, price in rows[list(ROLES.values())].itertuples(index=False):
        scorer.update_one(user, event, int(time), item, price)
    assert scorer.counters["n_events"] == 12_002
