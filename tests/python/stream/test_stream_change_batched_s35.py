"""oddseq stream with a model of recent change scored in Python (normal-only, KNN): the
alerts do not depend on how the lines came in batches (review RV s35 M4: make_ecommerce
seed 821, 6 alerts at --batch 37 and 4 at --batch 10000 from the same file and model).
The shell feeds such a model one event at a time: its alerts are update_one's."""

import json
import warnings

import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
COLUMNS = ["user_id", "behavior", "timestamp"]
CLI_ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]


@pytest.fixture(scope="module")
def shop():
    data = make_ecommerce(n_users=160, random_state=821)
    log = data.events[COLUMNS].sort_values("timestamp", kind="stable")
    users = log["user_id"].unique()
    first, second = users[: len(users) // 2], users[len(users) // 2 :]
    normal_ids = set(data.kinds.index[data.kinds == "normal"])
    normal = log[log["user_id"].isin([u for u in first if u in normal_ids])]
    later = log[log["user_id"].isin(second)].reset_index(drop=True)
    return normal, later


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, shop):
    normal, later = shop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (few normal sequences for the rate)
        _, pipe = oddseq.detect_anomalies(
            later, **ROLES, normal=normal, recent_change=True, return_pipeline=True
        )
    path = tmp_path_factory.mktemp("change") / "change.oddseq"
    pipe.save(str(path))
    return str(path)


@pytest.fixture(scope="module")
def one_by_one(model_file, shop):
    _, later = shop
    scorer = StreamScorer(oddseq.load(model_file), **ROLES)
    assert scorer._model is None and scorer._change is not None, "needs the Python path"
    got = []
    for row, values in enumerate(later.itertuples(index=False)):
        event = scorer.update_one(*values)
        if event.new:
            got.append((row + 2, str(values[0])))
    assert len(got) >= 3, "too few alerts to compare"
    return got


@pytest.mark.parametrize("batch", ["10000", "37"])
def test_the_alerts_are_those_of_one_event_at_a_time(
    model_file, shop, one_by_one, oddseq_here, batch
):
    _, later = shop
    done = oddseq_here(
        ["stream", "--model", model_file, *CLI_ROLES, "--batch", batch, "--max-delay", "1000"],
        later.to_csv(index=False),
    )
    assert done.returncode == 0, done.stderr
    alerts = [json.loads(line) for line in done.stdout.splitlines()]
    # (ids written as plain integers are JSON numbers, as the score table reads them)
    assert [(a["line"], str(a["entity"])) for a in alerts] == one_by_one
