"""A funnel ratio divides by max(denominator, 1): an entity with 60 purchases and no view
has buy_per_view 60, which "buy_per_view 60 (typical 0.0133)" said as 60 purchases per
view. Its reason says the counts instead: "60 'buy' with no 'pv'"."""

import numpy as np
import pandas as pd
import pytest

from oddseq import detect_anomalies
from oddseq.datasets import make_ecommerce
from oddseq.stream import StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
BUYER, FAN = 10**7, 10**7 + 1


@pytest.fixture(scope="module")
def log():
    base = make_ecommerce(n_users=600, random_state=3).events.drop(columns="price")
    t0 = int(base["timestamp"].min())
    items = base["item_id"].to_numpy()
    buyer = pd.DataFrame(  # buys only: no view, no cart
        {"user_id": BUYER, "item_id": items[:60], "behavior": "buy"}
    ).assign(timestamp=t0 + np.arange(60) * 300)
    fan = pd.DataFrame(  # 10 views, 30 favourites
        {"user_id": FAN, "item_id": items[:40], "behavior": ["pv"] * 10 + ["fav"] * 30}
    ).assign(timestamp=t0 + np.arange(40) * 300)
    out = pd.concat([base, buyer, fan], ignore_index=True)[base.columns]
    out["behavior"] = out["behavior"].astype(str)
    return out


def test_a_ratio_over_nothing_is_said_as_counts(log):
    table, pipe = detect_anomalies(log, crowds=False, **ROLES, groups=False, return_pipeline=True)
    reason = table.loc[BUYER, "reason"]
    assert "purchases per view 60 'buy' with no 'pv'" in reason
    assert "purchases per view 60 (" not in reason
    # a ratio whose denominator the entity did keeps its value: 30 favourites / 10 views
    assert "favourites per view 3 (" in table.loc[FAN, "reason"]
    # no reason of the table says a ratio over 0 as a ratio
    seqs_counts = log.groupby(["user_id", "behavior"]).size().unstack(fill_value=0)
    for user, text in table["reason"].items():
        for ratio, denominator in ((" per view ", "pv"), ("purchases per cart ", "cart")):
            if ratio in text and seqs_counts.loc[user, denominator] == 0:
                assert f"with no '{denominator}'" in text, (user, text)


def test_stream_alerts_say_the_same(log):
    _, pipe = detect_anomalies(log, crowds=False, **ROLES, groups=False, return_pipeline=True)
    scorer = StreamScorer(pipe, **ROLES, reasons="all")
    alerts = scorer.update(log.sort_values("timestamp", kind="stable")).alerts
    assert "60 'buy' with no 'pv'" in alerts.loc[BUYER, "reason"]


def test_explain_notes_the_counts(log):
    _, pipe = detect_anomalies(log, crowds=False, **ROLES, groups=False, return_pipeline=True)
    frame = pipe.explain([BUYER])
    row = frame[frame["feature"] == "buy_per_view"].iloc[0]
    assert row["value"] == 60 and row["value_text"] == "60"
    assert row["note"] == "60 'buy' with no 'pv'"
