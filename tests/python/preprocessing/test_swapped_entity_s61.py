"""An entity column of a few values beside an event column of many reads as the two
given the other way round (TR s60 L3: a shop's log read with entity="behavior",
event="user_id" scored its 4 kinds of event as 4 entities on counts of its users, with
no word but the small log's cut)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import DataWarning
from oddseq.preprocessing._quality import entity_swap_message

SWAPPED = "are they given the other way round"


def _shop(n_users=400, seed=0):
    rng = np.random.default_rng(seed)
    n = n_users * 25
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, n_users, n),
            "behavior": rng.choice(["pv", "pv", "pv", "cart", "fav", "buy"], n),
            "ts": np.sort(rng.integers(0, 7 * 86_400, n)),
        }
    )


def test_the_entity_and_event_swapped_are_asked_about():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # (the few entities' cut speaks too)
        oddseq.detect_anomalies(_shop(), entity="behavior", event="user_id", time="ts")
    (said,) = [str(w.message) for w in caught if SWAPPED in str(w.message)]
    assert [w.category for w in caught if SWAPPED in str(w.message)] == [DataWarning]
    assert said.startswith(
        "entity column 'behavior' holds only 4 distinct values and event column 'user_id' 400:"
    )
    assert "swap the two: entity= and event= in Python, --entity and --event in the shell" in said
    # and not asked as ids in the event column too: one question
    assert not [w for w in caught if "Is it the right column" in str(w.message)]


def test_the_shell_says_it_in_full(tmp_path, capsys):
    from oddseq.cli import main

    path = tmp_path / "shop.csv"
    _shop().to_csv(path, index=False)
    args = ["detect", str(path), "--entity", "behavior", "--event", "user_id", "--time", "ts"]
    assert main([*args, "--no-progress", "-o", str(tmp_path / "o.csv")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "entity column 'behavior' holds only 4 distinct values" in err
    assert "entity= and event= in Python, --entity and --event in the shell" in err


def test_the_columns_the_right_way_round_are_not():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(_shop(), entity="user_id", event="behavior", time="ts")
        # a few hosts, each with its own many templates: 30 hosts beside 300 templates
        # (ten per host, under SWAP_RATIO = 20 times as many) are no question
        rng = np.random.default_rng(1)
        n = 30_000
        host = rng.integers(0, 30, n)
        system = pd.DataFrame(
            {
                "host": [f"h{k}" for k in host],
                "EventId": [f"E{k * 10 + int(rng.integers(0, 10))}" for k in host],
                "ts": np.sort(rng.integers(0, 86_400, n)),
            }
        )
        oddseq.detect_anomalies(system, entity="host", event="EventId", time="ts")
    assert not [w for w in caught if SWAPPED in str(w.message)]


@pytest.mark.parametrize(
    ("n_entities", "n_types", "asked"),
    [
        (4, 400, True),
        (50, 1_000, True),
        (51, 5_000, False),
        (5, 199, False),  # under MANY_EVENT_TYPES: a small batch of a model's templates
        (10, 199, False),
        (0, 500, False),
    ],
)
def test_the_rule(n_entities, n_types, asked):
    said = entity_swap_message(n_entities, n_types, "e", "v")
    assert (said is not None) == asked
    if asked:
        assert f"holds only {n_entities:,} distinct values" in said
