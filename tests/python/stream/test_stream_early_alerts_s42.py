"""A stream that starts with entities of long histories alerts at their first events (a
model fitted on whole histories reads a history's start as odd): the run says so and
names the warm start, which the test follows (trial s42b H1)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

ROLES = ["--entity", "user", "--event", "event", "--time", "ts", "--item", "item"]


@pytest.fixture(scope="module")
def habits(tmp_path_factory):
    """200 users of 30-60 events each over 6 days, each with its own few items."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(200):
        own = rng.integers(0, 2_000, 6)
        times = np.sort(rng.integers(0, 6 * 86_400, int(rng.integers(30, 61))))
        for t in times.tolist():
            rows.append(
                (f"u{user}", "view" if rng.random() < 0.8 else "cart", t, int(rng.choice(own)))
            )
    log = pd.DataFrame(rows, columns=["user", "event", "ts", "item"]).sort_values("ts")
    folder = tmp_path_factory.mktemp("habits")
    cut = 5 * 86_400
    log.to_csv(folder / "all.csv", index=False)
    log[log["ts"] < cut].to_csv(folder / "history.csv", index=False)
    log[log["ts"] >= cut].to_csv(folder / "last_day.csv", index=False)
    return folder


def test_alerts_at_a_history_s_start_are_said_with_the_warm_start(habits, oddseq_here):
    model = habits / "m.oddseq"
    done = oddseq_here(["fit", habits / "all.csv", *ROLES, "--save", model])
    assert done.returncode == 0, done.stderr
    cold = oddseq_here(["stream", "--model", model, *ROLES], (habits / "all.csv").read_text())
    assert cold.returncode == 0, cold.stderr
    alerts = [json.loads(line) for line in cold.stdout.splitlines()]
    note = [line for line in cold.stderr.splitlines() if "fewer events than the shortest" in line]
    assert len(note) == 1 and "--checkpoint FILE" in note[0], cold.stderr
    early = sum(a["events"] < 30 for a in alerts)
    assert note[0].startswith(f"oddseq stream: {early:,} of the {len(alerts):,} alerts")
    # The warm start it names: the history replayed into a checkpoint, then the new day.
    state = habits / "state.ckpt"
    history = (habits / "history.csv").read_text()
    warm = oddseq_here(["stream", "--model", model, *ROLES, "--checkpoint", state], history)
    assert warm.returncode == 0, warm.stderr
    last_day = (habits / "last_day.csv").read_text()
    day = oddseq_here(["stream", "--model", model, *ROLES, "--checkpoint", state], last_day)
    assert day.returncode == 0, day.stderr
    assert "fewer events than the shortest" not in day.stderr
    day_alerts = [json.loads(line) for line in day.stdout.splitlines()]
    assert len(day_alerts) < len(alerts) / 5


def test_a_resumed_run_names_min_events_for_entities_new_to_it():
    from oddseq.stream._cli import _EarlyAlerts

    class Fitted:
        feature_names_ = np.array(["count[view]", "length"], dtype=object)
        _raw_range = (np.array([0.0, 26.0]), np.array([90.0, 165.0]))

    early = _EarlyAlerts(Fitted())
    for length in [1] * 12 + [40] * 3:
        early.note(length)
    assert early.said(15).startswith("12 of the 15 alerts came at fewer events")
    assert "--checkpoint FILE" in early.said(15)
    resumed = early.said(15, resumed=True)
    assert "new to the stream" in resumed and "--min-events N" in resumed
    assert early.said(30) == ""  # (most alerts came later)
    assert _EarlyAlerts(object()).said(15) == ""  # (a model without a length feature)


def test_the_warm_start_run_is_told_it_is_one(habits, oddseq_here, tmp_path):
    # Review RV2 s42 M3: the history's replay into a fresh checkpoint was told to replay
    # the history into a checkpoint.
    model = tmp_path / "m.oddseq"
    assert oddseq_here(["fit", habits / "all.csv", *ROLES, "--save", model]).returncode == 0
    state = tmp_path / "state.ckpt"
    history = (habits / "history.csv").read_text()
    warm = oddseq_here(["stream", "--model", model, *ROLES, "--checkpoint", state], history)
    note = [line for line in warm.stderr.splitlines() if "fewer events than the shortest" in line]
    assert len(note) == 1 and "it is the warm start" in note[0]
    assert "Warm the stream on the history first" not in note[0]
