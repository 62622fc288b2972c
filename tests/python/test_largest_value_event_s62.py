"""A reason that names an entity's largest value says which event type it was on, where
the log's values lie on several types (TR s62 M1).

A betting site's export kept every event's money in one ``stake`` column: bets,
deposits, withdrawals. Arbitrage bots read "largest stake 6,000 (typical 25)", which an
analyst takes for a bet, where 6,000 was the bot's withdrawal and its largest bet 399.
Such reasons now end that phrase with the type, "largest stake 6,000 (typical 25): on
'withdraw'", where the entity's values lie on several types; where they lie on one (a
shop's prices on purchases only) the words are as before. ``oddseq.dask`` says the same.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import Sequences
from oddseq._reasons import largest_value_events

ROLES = dict(entity="account", event="event", time="time", value="stake")


def _bets(n_accounts=300, seed=0, withdraw=True):
    """Punters who deposit 20-50, bet 2-10 a few times and half of them withdraw 5-60;
    accounts 900-904 deposit 500, bet 50-399 at a script's pace and withdraw 6,000 at the
    end (withdrawals where ``withdraw``)."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(n_accounts):
        t = 1_700_000_000 + int(rng.integers(0, 86_400))
        rows.append((a, "deposit", t, float(rng.integers(20, 51))))
        for _ in range(int(rng.integers(5, 15))):
            t += int(rng.integers(300, 3_600))
            rows.append((a, "place_bet", t, float(rng.integers(2, 11))))
        if withdraw and a % 2:
            rows.append((a, "withdraw", t + 600, float(rng.integers(5, 61))))
    for a in range(900, 905):
        t = 1_700_000_000
        rows.append((a, "deposit", t - 60, 500.0))
        for k in range(12):
            rows.append((a, "place_bet", t + 5 * k, float(rng.integers(50, 400))))
        if withdraw:
            rows.append((a, "withdraw", t + 400, 6_000.0))
    return pd.DataFrame(rows, columns=["account", "event", "time", "stake"])


def _table(log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.detect_anomalies(log, **ROLES, random_state=0)


def test_the_largest_stake_names_its_event_type():
    table = _table(_bets())
    bots = table.loc[list(range(900, 905)), "reason"].astype(str)
    said = bots[bots.str.contains("largest stake", regex=False)]
    assert len(said) >= 3, bots.tolist()
    assert said.str.contains(r"largest stake 6,000 \(typical [^)]*\): on 'withdraw'").all(), said
    # every reason that names the largest stake names its type, the one it was on
    named = table["reason"].astype(str)
    named = named[named.str.contains("largest stake", regex=False)]
    assert named.str.contains(r"largest stake [^;]*: on '(?:withdraw|deposit|place_bet)'").all()


def test_one_type_of_value_is_not_named():
    log = _bets(withdraw=False)
    log.loc[log["event"] == "deposit", "stake"] = np.nan  # bets alone carry a value
    table = _table(log)
    named = table["reason"].astype(str)
    named = named[named.str.contains("largest stake", regex=False)]
    assert len(named) > 0
    assert not named.str.contains(": on '", regex=False).any(), named.tolist()


def test_largest_value_events_reads_each_rows_own_events():
    log = pd.DataFrame(
        {
            "e": ["a", "a", "a", "b", "b", "c", "c", "d", "d"],
            "ev": ["bet", "withdraw", "bet", "deposit", "bet", "bet", "bet", "bet", "deposit"],
            "t": [1, 2, 3, 1, 2, 1, 2, 1, 2],
            "v": [5.0, 90.0, 90.0, np.nan, np.nan, 3.0, 8.0, 7.0, 2.0],
        }
    )
    seqs = Sequences.from_events(log, entity="e", event="ev", time="t", value="v")
    before = seqs.values.copy()
    rows = [3, 0, 1, 2]  # d, a, b, c: any order
    kinds = largest_value_events(seqs, rows)
    # a's 90 first on its withdrawal (the first of equal values); b has no value, and c's
    # values lie on one type (its largest is a bet like all of them: nothing to say)
    assert kinds.tolist() == ["bet", "withdraw", "", ""]
    assert np.array_equal(seqs.values, before, equal_nan=True)
    assert largest_value_events(seqs, []).tolist() == []


def test_largest_value_events_needs_values_and_labels():
    log = pd.DataFrame(
        {"e": [1, 1, 2], "ev": ["bet", "view", "bet"], "t": [1, 2, 3], "v": [4.0, np.nan, 2.0]}
    )
    seqs = Sequences.from_events(log, entity="e", event="ev", time="t", value="v")
    assert largest_value_events(seqs, [0, 1]).tolist() == ["", ""]
    plain = Sequences.from_events(log, entity="e", event="ev", time="t")
    assert largest_value_events(plain, [0, 1]) is None


def test_dask_names_the_type_as_one_machine_does():
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import oddseq.dask

    log = _bets()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = oddseq.detect_anomalies(log, **ROLES, crowds=False, random_state=0)
        with dask.config.set(scheduler="sync"):
            table = oddseq.dask.detect_anomalies(
                dd.from_pandas(log, npartitions=3), **ROLES, random_state=0
            ).compute()
    assert expected["reason"].str.contains(": on 'withdraw'", regex=False).sum() >= 3
    assert table["reason"].reindex(expected.index).equals(expected["reason"])


def test_the_phrase_inside_another_reasons_words_is_left_alone():
    from oddseq._reasons import with_largest_value_events

    class Pipe:  # (a fitted pipeline as reason_names reads it: the value column's name)
        _fitted_data = {"columns": {"value": "price"}}

    own = "largest price 30 (typical 5); spread of price 9 (typical 2)"
    beyond = "beyond the normal entities' range on largest price (30; the range ends at 25)"
    both = f"{own}; {beyond}"
    out = with_largest_value_events(
        Pipe(), np.array([own, beyond, both], dtype=object), [0, 1, 2], ["bet"] * 3
    )
    assert out[0] == "largest price 30 (typical 5): on 'bet'; spread of price 9 (typical 2)"
    assert out[1] == beyond  # (oddseq.dask adds them after these words: never inside)
    assert out[2] == out[0] + "; " + beyond
