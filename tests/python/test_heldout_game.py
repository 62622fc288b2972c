"""The held-out game log's contract (benchmarks/heldout_game.py): shapes, labels,
determinism per seed, and a log with nothing planted."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from heldout_game import (  # noqa: E402
    ANOMALY_KINDS,
    DAYS,
    EVENTS,
    NORMAL_KINDS,
    T0,
    make_heldout_game,
)


@pytest.fixture(scope="module")
def game():
    return make_heldout_game(800, seed=3, anomaly_share=0.05)


def test_columns_and_types(game):
    events, labels = game
    assert list(events.columns) == ["player_id", "timestamp", "event", "target", "gold", "zone"]
    assert list(labels.columns) == ["player_id", "kind", "is_anomaly", "group"]
    assert events["player_id"].dtype == np.int64
    assert events["timestamp"].between(T0, T0 + DAYS * 86400, inclusive="left").all()
    assert events["timestamp"].is_monotonic_increasing
    assert set(events["event"]) <= set(EVENTS)
    assert events["target"].str.match(r"^[zmbiqpcfs]\d+$").all()
    # gold only where gold or money moves
    no_gold = events["event"].isin(["login", "logout", "move", "teleport", "chat", "whisper"])
    assert events.loc[no_gold, "gold"].isna().all()
    assert events.loc[events["event"] == "purchase", "gold"].notna().all()


def test_labels_cover_every_player_once(game):
    events, labels = game
    assert len(labels) == 800
    assert labels["player_id"].is_unique
    assert set(events["player_id"]) == set(labels["player_id"])
    assert set(labels["kind"]) <= set(NORMAL_KINDS) | set(ANOMALY_KINDS)
    assert (labels["is_anomaly"] == labels["kind"].isin(ANOMALY_KINDS)).all()
    assert labels["is_anomaly"].sum() == 40
    # groups: farm rings and alt armies (anomalous), guilds (normal); others none
    grouped = labels[labels["group"] >= 0]
    assert set(grouped["kind"]) <= {"farm_ring", "alt_army", "raider"}
    assert (labels.loc[labels["kind"] == "raider", "group"] >= 0).all()
    assert (labels["kind"] == "service").sum() == 1


def test_trades_are_logged_on_both_sides(game):
    events, _ = game
    send = events[events["event"] == "trade_send"]
    recv = events[events["event"] == "trade_receive"]
    assert len(send) > 0 and len(recv) > 0
    # (giver, taker) pairs; a receive follows its send by 0.2-2 s, so a send in the
    # week's last seconds may lose its receive; server noise writes some rows twice
    early = send["timestamp"] < T0 + DAYS * 86400 - 5
    pairs_s = set(zip(send["player_id"], send["target"].str[1:].astype(np.int64)))
    pairs_s_early = set(
        zip(send.loc[early, "player_id"], send.loc[early, "target"].str[1:].astype(np.int64))
    )
    pairs_r = set(zip(recv["target"].str[1:].astype(np.int64), recv["player_id"]))
    assert pairs_s_early <= pairs_r <= pairs_s


def test_giant_entities(game):
    events, labels = game
    share = events["player_id"].value_counts(normalize=True)
    kinds = labels.set_index("player_id")["kind"]
    # one gold bot running all week is the largest player (about 3% of the log), and
    # the reward mailer holds more than 20 times a typical player's events
    assert kinds[share.index[0]] == "gold_bot"
    assert 0.01 < share.iloc[0] < 0.1
    assert share[kinds[kinds == "service"].index[0]] > 20 * share.median()


def test_same_seed_same_log_other_seed_other_log():
    a = make_heldout_game(300, seed=11)
    b = make_heldout_game(300, seed=11)
    c = make_heldout_game(300, seed=12)
    assert a[0].equals(b[0]) and a[1].equals(b[1])
    assert not a[0].equals(c[0])


def test_nothing_planted():
    events, labels = make_heldout_game(400, seed=5, plant=False)
    assert not labels["is_anomaly"].any()
    assert set(labels["kind"]) <= set(NORMAL_KINDS)
    assert set(events["player_id"]) == set(labels["player_id"])
    assert not events["event"].eq("").any()


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        (dict(n_players=50), "n_players"),
        (dict(n_players=400.5), "n_players"),
        (dict(n_players=400, anomaly_share=0.7), "anomaly_share"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, word):
    with pytest.raises(ValueError, match=word):
        make_heldout_game(**kwargs)
