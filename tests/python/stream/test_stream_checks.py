"""The stream gets scoring's checks (oddseq._fitted_data, #14): other column names, over
5% of the events of types the model never saw, entities tracked for far longer than the
fitted ones lasted, and far more flagged than the cut promises while the bulk moved. Each
is judged over the events as they arrive and warned once (Python: a UserWarning at the
caller's line; the shell: on stderr); alerts and scores are unchanged."""

import json
import warnings

import pytest

from oddseq import AnomalyPipeline
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
DAY = 86_400


@pytest.fixture(scope="module")
def logs():
    """(a 9-day shop log, another draw of it, one day of the first), in time order."""
    week = make_ecommerce(n_users=400, random_state=1).events
    other = make_ecommerce(n_users=400, random_state=2).events
    week, other = (
        x.sort_values("timestamp", kind="stable")[list(ROLES.values())] for x in (week, other)
    )
    start = week["timestamp"].min()
    day = week[(week["timestamp"] >= start + 4 * DAY) & (week["timestamp"] < start + 5 * DAY)]
    return week, other, day


@pytest.fixture(scope="module")
def models(logs):
    week, _, day = logs
    fit = lambda log: AnomalyPipeline().fit(Sequences.from_events(log, **ROLES))  # noqa: E731
    return fit(week), fit(day)


def batches(log, size=2_000):
    for start in range(0, len(log), size):
        yield log.iloc[start : start + size]


def streamed(scorer, log, one_by_one=False, size=2_000):
    """Every alert (entity, score) of the log fed in batches or one event at a time."""
    alerts = []
    if one_by_one:
        for entity, event, time in log.itertuples(index=False):
            out = scorer.update_one(entity, event, time)
            if out.new:
                alerts.append((entity, round(out.score, 9)))
        return alerts
    for part in batches(log, size):
        got = scorer.update(part).alerts
        fresh = got[got["new"]]
        alerts += [(e, round(s, 9)) for e, s in zip(fresh.index, fresh["score"])]
    return alerts


def quiet(scorer, log, one_by_one=False, size=2_000):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return streamed(scorer, log, one_by_one, size)


@pytest.mark.parametrize("one_by_one", [False, True])
def test_alike_events_stream_without_a_word(logs, models, one_by_one):
    _, other, _ = logs
    week_model, _ = models
    quiet(StreamScorer(week_model, **ROLES), other, one_by_one)


@pytest.mark.parametrize("one_by_one", [False, True])
def test_renamed_events_are_told_once_at_the_callers_line(logs, models, one_by_one):
    _, other, _ = logs
    week_model, _ = models
    renamed = other.assign(behavior=other["behavior"].astype(str).replace({"pv": "view"}))
    scorer = StreamScorer(week_model, **ROLES)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        streamed(scorer, renamed, one_by_one)
    unseen = [w for w in said if "have event types the model never saw" in str(w.message)]
    assert len(unseen) == 1, [str(w.message) for w in said]
    message = str(unseen[0].message)
    assert "(view;" in message and "it knows" in message and "renamed" in message
    assert "judged on the first 10,000 events of the stream" in message
    assert unseen[0].filename == __file__  # the caller's line, not the package's


def test_other_column_names_are_told_at_the_first_events(logs, models):
    _, other, _ = logs
    week_model, _ = models
    renamed = other.rename(columns={"behavior": "action"})
    scorer = StreamScorer(week_model, entity="user_id", event="action", time="timestamp")
    with pytest.warns(UserWarning, match="other column names") as said:
        scorer.update(renamed.head(100))
    assert "event 'action' (fitted: 'behavior')" in str(said[0].message)
    assert said[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scorer.update(renamed.iloc[100:300])  # once


@pytest.mark.parametrize("size", [2_000, 10**9])  # batches, or the week in one update
def test_a_day_model_streaming_a_week_tells_the_durations_and_the_share(logs, models, size):
    week, other, _ = logs
    _, day_model = models
    scorer = StreamScorer(day_model, **ROLES)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        alerts = streamed(scorer, other, size=size)
    messages = [str(w.message) for w in said]
    longer = [m for m in messages if "durations" in m]
    assert len(longer) == 1, messages
    assert "the model was fitted on" in longer[0] and "ttl" in longer[0]
    share = [m for m in messages if "expected" in m]
    assert len(share) == 1, messages
    assert "flagged against" in share[0]
    assert all(w.filename == __file__ for w in said)
    # the checks change no alert: the same stream with a model that records no fitted
    # data (saved before it) alerts alike
    bare = AnomalyPipeline().fit(Sequences.from_events(logs[2], **ROLES))
    del bare._fitted_data
    assert quiet(StreamScorer(bare, **ROLES), other, size=size) == alerts


def test_the_shell_says_the_checks_on_stderr(logs, models, tmp_path, oddseq_here):
    week, other, day = logs
    day.to_csv(tmp_path / "day.csv", index=False)
    shell = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
    model = tmp_path / "day.oddseq"
    assert main(["fit", str(tmp_path / "day.csv"), *shell, "--save", str(model)]) == 0
    renamed = other.assign(behavior=other["behavior"].astype(str).replace({"pv": "view"}))
    for text in (renamed.to_csv(index=False), renamed.to_json(orient="records", lines=True)):
        done = oddseq_here(["stream", "--model", str(model), *shell], text)
        assert done.returncode == 0, done.stderr
        err = done.stderr
        assert err.count("oddseq stream: warning:") >= 2, err
        assert err.count("have event types the model never saw") == 1 and "(view;" in err, err
        assert err.count("durations") == 1, err
        assert all(json.loads(line)["entity"] is not None for line in done.stdout.splitlines())
        # the summary closes the stream, after the warnings
        assert err.strip().splitlines()[-1].startswith("oddseq stream: ")


def test_a_stream_without_times_judges_the_share_after_ten_windows():
    """Without times, the share flagged is judged by the events streamed (10 windows of
    10,000, when the first window's entities have had the stream's time): a model of
    each user's first day (counts a ninth of a week's) warns on a week of another draw;
    a model of a week says nothing of another week."""
    roles = dict(entity="user_id", event="behavior")
    week = make_ecommerce(n_users=2000, random_state=1).events.sort_values("timestamp")
    other = make_ecommerce(n_users=2000, random_state=2).events.sort_values("timestamp")
    first_day = week[week["timestamp"] < week["timestamp"].min() + DAY]
    assert len(other) > 100_000
    short = AnomalyPipeline().fit(Sequences.from_events(first_day, **roles))
    scorer = StreamScorer(short, **roles)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        for part in batches(other[list(roles.values())], 5_000):
            scorer.update(part)
    share = [str(w.message) for w in said if "expected" in str(w.message)]
    assert len(share) == 1 and "flagged against" in share[0], [str(w.message) for w in said]
    alike = AnomalyPipeline().fit(Sequences.from_events(week, **roles))
    quiet(StreamScorer(alike, **roles), other[list(roles.values())], size=5_000)
