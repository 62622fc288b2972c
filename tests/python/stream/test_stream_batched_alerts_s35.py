"""oddseq stream with a model scored in Python (a normal-only fit's KNN): events that
come faster than they are scored are scored in batches, and each batch's alerts are
judged event by event, as one at a time would judge them (NW s35 HIGH-1: the same file
streamed four times gave 21, 19, 19 and 21 alerts, the entities differing, and the
alerts came out of the input's order, each naming its entity's last line of the batch)."""

import json

import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
COLUMNS = ["user_id", "behavior", "timestamp", "item_id", "price"]
CLI_ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
CLI_ROLES += ["--item", "item_id", "--value", "price"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, later):
    fitted = make_ecommerce(n_users=300, random_state=837)
    normal_ids = fitted.kinds.index[fitted.kinds == "normal"]
    normal = fitted.events[fitted.events["user_id"].isin(normal_ids)]
    _, pipe = oddseq.detect_anomalies(
        later, crowds=False, **ROLES, normal=normal[COLUMNS], return_pipeline=True
    )
    path = tmp_path_factory.mktemp("nw") / "normal.oddseq"
    pipe.save(str(path))
    return str(path)


@pytest.fixture(scope="module")
def later():
    events = make_ecommerce(n_users=150, random_state=838).events[COLUMNS]
    return events.sort_values("timestamp", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def one_by_one(model_file, later):
    """Each event's alert as update_one gives it: (line, entity, score, reason), the
    CSV's header being line 1."""
    scorer = StreamScorer(oddseq.load(model_file), **ROLES)
    assert scorer._model is None, "the test needs a model scored in Python"
    got = []
    for row, values in enumerate(later.itertuples(index=False)):
        event = scorer.update_one(*values)
        if event.new:
            got.append((row + 2, str(values[0]), event.score, event.reason))
    assert len(got) >= 5, "too few alerts to compare"
    return got


@pytest.mark.parametrize("batch", ["10000", "37"])
def test_batched_alerts_are_those_of_one_event_at_a_time(
    model_file, later, one_by_one, oddseq_here, batch
):
    done = oddseq_here(
        ["stream", "--model", model_file, *CLI_ROLES, "--batch", batch, "--max-delay", "1000"],
        later.to_csv(index=False),
    )
    assert done.returncode == 0, done.stderr
    alerts = [json.loads(line) for line in done.stdout.splitlines()]
    lines = [a["line"] for a in alerts]
    assert lines == sorted(lines), "alerts out of the input's order"
    # (ids written as plain integers are JSON numbers, as the score table reads them)
    assert [(a["line"], str(a["entity"])) for a in alerts] == [(n, e) for n, e, _, _ in one_by_one]
    for alert, (_, _, score, reason) in zip(alerts, one_by_one):
        assert alert["score"] == pytest.approx(score, abs=1e-6)
        assert alert["reason"] == reason
    # Each alert names the line of the event that raised it: that line's entity.
    for alert in alerts:
        assert later.iloc[alert["line"] - 2]["user_id"] == alert["entity"]


def test_update_keeps_the_batch_end_answer(model_file, later):
    """StreamScorer.update(df) still answers for the batch's end (its documented
    meaning): the entities above the cut after the batch, as each one's last event
    left it one at a time."""
    result = StreamScorer(oddseq.load(model_file), **ROLES).update(later)
    each = StreamScorer(oddseq.load(model_file), **ROLES)
    last = {}
    for values in later.itertuples(index=False):
        last[values[0]] = each.update_one(*values).is_anomaly
    above = result.scores["is_anomaly"]
    assert above.any()
    assert above.to_dict() == {e: last[e] for e in above.index}
    assert set(result.alerts.index) == set(above.index[above])


def test_the_help_says_batches_are_judged_event_by_event(capsys):
    from oddseq.cli import main

    with pytest.raises(SystemExit):
        main(["stream", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "depends on how events arrive" not in text
    assert "each alert judged at its event" in text
