"""RecentChangeEncoder's columns in a reason say what moved (NW s35 MEDIUM-3: "one
event type's share x9.8 (typical x1.2)" read as a share of 9.8, "hour rarity in bits",
"events x3" and "values x4.4" said neither that it was a rise, of what, nor per what)."""

import warnings

import numpy as np
import pandas as pd

import oddseq
from oddseq._reasons import CHANGE_PHRASE, reason_name


def test_change_columns_are_named_for_what_moved():
    assert reason_name("change_top_type_lift_log2") == (
        f"{CHANGE_PHRASE}: rise of one event type's share"
    )
    assert reason_name("change_hour_rarity_bits") == (
        f"{CHANGE_PHRASE}: rarity of its hours of day, in bits"
    )
    assert reason_name("change_burst_size_log2") == f"{CHANGE_PHRASE}: events per session"
    assert reason_name("change_value_log2") == f"{CHANGE_PHRASE}: value per event"


def test_a_late_night_burst_of_purchases_reads_as_such():
    rng = np.random.default_rng(842)
    day, hour = 86_400, 3_600
    rows = [
        (u, "view", d * day + 20 * hour + k * 60 + int(rng.integers(0, 300)), 20.0)
        for u in range(300)
        for d in range(6)
        for k in range(int(rng.integers(3, 8)))
    ]
    rows += [(999, "view", d * day + 20 * hour + k * 60, 20.0) for d in range(5) for k in range(6)]
    rows += [(999, "buy", 5 * day + 3 * hour + 30 * k, 900.0) for k in range(6)]
    log = pd.DataFrame(rows, columns=["user", "event", "time", "value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            log, entity="user", event="event", time="time", value="value", recent_change=True
        )
    reason = table.loc[999, "reason"]
    assert table.loc[999, "rank"] == 1, reason
    assert CHANGE_PHRASE in reason, reason
    said = ("rise of one event type's share", "rarity of its hours of day", "value per event")
    assert any(words in reason for words in said), reason
    assert "hour rarity" not in reason and "one event type's share x" not in reason, reason
