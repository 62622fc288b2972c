"""A stream (and calibrate's log) whose events lack their value or item far more often
than the fitted ones says so, as scoring a later day does since 2cad9d5 (judged on 50
entities or more, ce789f6): an export that lost its prices reads every event as "no
value", which flagged 92% of a day (session 22, H3's list of session 21)."""

import warnings

import numpy as np
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
STREAM = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
STREAM += ["--item", "item_id", "--value", "price"]


@pytest.fixture(scope="module")
def log():
    events = make_ecommerce(n_users=300, random_state=206).events
    return events.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def model(log):
    return oddseq.AnomalyPipeline(random_state=0).fit(Sequences.from_events(log, **ROLES))


def _said(caught, words):
    return [str(w.message) for w in caught if words in str(w.message)]


def _update(scorer, frame):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", DataWarning)  # (others: too late, repeats)
        scorer.update(frame)
    return caught


def test_a_stream_without_its_values_says_so(log, model):
    assert len(log) > 10_000  # the window of the stream's checks is full
    empty = log.assign(price=np.nan)
    said = _said(_update(StreamScorer(model, **ROLES), empty), "have no value")
    assert len(said) == 1, said
    assert said[0].startswith("judged on the first 10,000 events of the stream: 100% of them")
    assert "(at fit 0%)" in said[0] and "--value from the shell" in said[0]
    # items
    said = _said(_update(StreamScorer(model, **ROLES), log.assign(item_id=None)), "no item")
    assert len(said) == 1 and "100% of them have no item" in said[0], said
    # one event at a time
    scorer = StreamScorer(model, **ROLES)
    rows = log[["user_id", "behavior", "timestamp", "item_id"]].itertuples(index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for user, event, time, item in rows:
            scorer.update_one(user, event, int(time), int(item), None)
    assert len(_said(caught, "100% of them have no value")) == 1


def test_a_stream_as_fitted_or_of_a_few_entities_says_nothing(log, model):
    caught = _update(StreamScorer(model, **ROLES), log)
    assert not _said(caught, "have no"), [str(w.message) for w in caught]
    few = log[log["user_id"].isin(log["user_id"].unique()[:10])].assign(price=np.nan)
    scorer = StreamScorer(model, **ROLES)
    caught = _update(scorer, few)
    scorer._checks.finish()  # (the shell's end of the input: the window judged)
    assert not _said(caught, "have no"), [str(w.message) for w in caught]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_shell_stream_without_its_values_says_so(tmp_path, oddseq_here, log, model, fmt):
    model.save(tmp_path / "m.oddseq")
    empty = log.head(3000).assign(price=np.nan)
    text = (
        empty.to_csv(index=False) if fmt == "csv" else empty.to_json(orient="records", lines=True)
    )
    done = oddseq_here(["stream", "--model", tmp_path / "m.oddseq", *STREAM], text)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("have no value") == 1, done.stderr
    assert "judged on the first 3,000 events of the stream: 100% of them" in done.stderr


def test_calibrate_on_a_log_without_its_values_says_so(log, model):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        StreamScorer(model, **ROLES).calibrate(log.assign(price=np.nan))
    said = _said(caught, "have no value")
    assert len(said) == 1, said
    assert said[0].startswith("the log replayed to calibrate the cut: 100% of its events")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        StreamScorer(model, **ROLES).calibrate(log)
    assert not _said(caught, "have no"), [str(w.message) for w in caught]
