"""oddseq fit --recent-change: the shell fits the model of recent change that
detect --recent-change ranks with and that oddseq stream and oddseq score take (NW s35
MEDIUM-2: fit had no such option, so the shell could not make the model docs/stream.md
says streams)."""

import json

import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
CLI_ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
CLI_ROLES += ["--item", "item_id", "--value", "price"]


@pytest.fixture(scope="module")
def log():
    events = make_ecommerce(n_users=200, random_state=839).events[list(ROLES.values())]
    return events.sort_values("timestamp", kind="stable").reset_index(drop=True)


def test_fit_recent_change_is_detect_recent_change(log, tmp_path, oddseq_here):
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    model = tmp_path / "change.oddseq"
    done = oddseq_here(["fit", str(path), *CLI_ROLES, "--recent-change", "--save", str(model)])
    assert done.returncode == 0, done.stderr
    pipe = oddseq.load(str(model))
    assert pipe.recent_change is True
    # (crowds=False: oddseq fit leaves the crowds out, so that its model streams)
    table = oddseq.detect_anomalies(log, **ROLES, recent_change=True, groups=False, crowds=False)
    assert list(pipe.feature_names_) != list(
        oddseq.load(_plain_model(path, tmp_path, oddseq_here)).feature_names_
    )
    # The same model as detect's: the fitted table's scores are detect's.
    fitted = pipe.table_["score"]
    pd.testing.assert_series_equal(
        fitted.sort_index(), table["score"].rename(fitted.name).sort_index(), check_index_type=False
    )
    # oddseq score ranks a file with it; oddseq stream follows it.
    scored = oddseq_here(["score", str(path), "--model", str(model), *CLI_ROLES])
    assert scored.returncode == 0, scored.stderr
    streamed = oddseq_here(["stream", "--model", str(model), *CLI_ROLES], path.read_text())
    assert streamed.returncode == 0, streamed.stderr
    for line in streamed.stdout.splitlines():
        assert json.loads(line)["score"] > 0
    seqs = Sequences.from_events(log, **ROLES)
    assert pipe.score(seqs)["score"].notna().all()


def _plain_model(path, tmp_path, oddseq_here):
    plain = tmp_path / "plain.oddseq"
    done = oddseq_here(["fit", str(path), *CLI_ROLES, "--save", str(plain)])
    assert done.returncode == 0, done.stderr
    return str(plain)


@pytest.mark.parametrize("command", ["fit", "detect"])
def test_recent_change_without_times_names_the_option(log, tmp_path, oddseq_here, command):
    """Refused in the shell's words (--time), not the encoder's Python advice."""
    path = tmp_path / "log.csv"
    log.drop(columns="timestamp").to_csv(path, index=False)
    args = [command, str(path), "--entity", "user_id", "--event", "behavior", "--recent-change"]
    done = oddseq_here(args + (["--save", str(tmp_path / "m.oddseq")] if command == "fit" else []))
    assert done.returncode == 2
    assert "give --time COLUMN, or leave --recent-change out" in done.stderr
    assert "Sequences.from_events" not in done.stderr
