"""The stream's alerts name the event type of the largest value, as the batch table's
reasons do (review RV s62 L12, after TR s62 M1): "largest stake 6,000 (typical 25): on
'withdraw'" where the entity's values lie on two types or more, through every path of
StreamScorer (update, update one event at a time, a batch judged event by event) and
the shell's ``oddseq stream`` (its C++ line reader). The store keeps each entity's
codes of its first and largest value (state format 3)."""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_largest_value_event_s62 import ROLES, _bets  # noqa: E402

LEADS = r"largest stake 6,000 \([^)]*\): on 'withdraw'"
BOTS = list(range(900, 905))


@pytest.fixture(scope="module")
def log():
    return _bets().sort_values("time", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def pipe(log):
    punters = log[~log["account"].isin(BOTS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AnomalyPipeline(random_state=0).fit(Sequences.from_events(punters, **ROLES))


def _scorer(pipe, **options):
    return StreamScorer(pipe, **ROLES, **options)


def _bots(log):
    return log[log["account"].isin(BOTS)].reset_index(drop=True)


def _named(reasons):
    said = [str(r) for r in reasons if r is not None and "largest stake" in str(r)]
    assert said, reasons
    return said


def test_update_names_the_type_of_the_largest_value(pipe, log):
    live = _scorer(pipe, reasons="all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alerts = live.update(_bots(log)).alerts
    said = _named(alerts["reason"].tolist())
    assert all(pd.Series(said).str.contains(LEADS)), said


def test_one_event_at_a_time_names_it_as_the_entity_stood(pipe, log):
    live = _scorer(pipe)
    reasons = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in _bots(log).itertuples(index=False):
            out = live.update_one(row.account, row.event, row.time, value=row.stake)
            if out.reason is not None:
                reasons.append((row.event, out.reason))
    # An alert raised before the withdrawal names the largest value then (a bet or the
    # deposit), never the withdrawal it had not made yet.
    for event, reason in reasons:
        if "largest stake 6,000" in reason:
            assert event == "withdraw" and pd.Series([reason]).str.contains(LEADS).all()
        elif "largest stake" in reason:
            assert ": on 'withdraw'" not in reason


def _withdraw_first(log):
    """The bots' events with the withdrawal 30 s after the deposit: with min_events=2 the
    stream first scores each bot there, so its one new alert names the withdrawal."""
    bots = _bots(log)
    deposits = bots.loc[bots["event"] == "deposit"].set_index("account")["time"]
    out = bots["event"] == "withdraw"
    bots.loc[out, "time"] = bots.loc[out, "account"].map(deposits).to_numpy() + 30
    return bots.sort_values("time", kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("method", ["auto", "knn"])  # C++ scoring; Python's, event by event
def test_the_shell_names_it_too(log, tmp_path, oddseq_here, method):
    punters = log[~log["account"].isin(BOTS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(method=method, random_state=0, min_events=2)
        pipe.fit(Sequences.from_events(punters, **ROLES))
    model = tmp_path / "m.oddseq"
    pipe.save(model)
    roles = [x for role, column in ROLES.items() for x in (f"--{role}", column)]
    bots = _withdraw_first(log)
    done = oddseq_here(["stream", "--model", str(model), *roles], bots.to_csv(index=False))
    assert done.returncode == 0, done.stderr
    alerts = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(a["entity"] for a in alerts) == BOTS, alerts
    assert all(pd.Series([a["reason"] for a in alerts]).str.contains(LEADS)), alerts
    # the line reader's words are update_one's, event by event
    live = _scorer(pipe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = [
            live.update_one(r.account, r.event, r.time, value=r.stake).reason
            for r in bots.itertuples(index=False)
        ]
    assert [r for r in one if r is not None] == [a["reason"] for a in alerts]


def test_values_on_one_type_are_not_named(log):
    one = log.copy()
    one.loc[one["event"] != "place_bet", "stake"] = np.nan  # bets alone carry a value
    punters = one[~one["account"].isin(BOTS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(random_state=0).fit(Sequences.from_events(punters, **ROLES))
        live = _scorer(pipe, reasons="all")
        alerts = live.update(_bots(one)).alerts
    reasons = [str(r) for r in alerts["reason"].tolist() if r is not None]
    assert reasons and not any(": on '" in r for r in reasons), reasons


def test_a_type_not_seen_in_fitting_is_not_named(pipe, log):
    renamed = _bots(log)
    renamed["event"] = renamed["event"].replace({"withdraw": "cash_out"})
    live = _scorer(pipe, reasons="all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alerts = live.update(renamed).alerts
    reasons = [str(r) for r in alerts["reason"].tolist() if r is not None]
    assert reasons and not any(": on 'other'" in r for r in reasons), reasons


def test_the_batch_table_says_the_same_words(pipe, log):
    table = oddseq.detect_anomalies(log, **ROLES, random_state=0)
    said = table.loc[BOTS, "reason"].astype(str)
    assert said.str.contains(LEADS).any(), said.tolist()


def test_a_batch_judged_event_by_event_names_it_as_each_stood(log):
    """The shell's route for a batch of a model scored in Python (StreamScorer's
    _update_each): each crossing's reason from the entity as it stood at its event."""
    punters = log[~log["account"].isin(BOTS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(method="knn", random_state=0, min_events=2)
        pipe.fit(Sequences.from_events(punters, **ROLES))
        _, crossings = _scorer(pipe)._update_each(_withdraw_first(log))
    reasons = [reason for _, _, _, reason in crossings]
    assert len(reasons) == len(BOTS) and all(pd.Series(reasons).str.contains(LEADS)), reasons
