"""A count of a type most entities never do is said with its share of a busy entity's
events (``_reasons.with_count_shares``; TR s63 H4).

A ticketing site's box-office tills topped the table with "count[refund_request] 33 (most
entities have none); count[pay_declined] 20 (most entities have none)", which reads as
refund fraud and card testing, and the till had made 428 purchases in 1,205 events. Such
a count, at least 5 and under a tenth of the entity's events, is now followed by its
share of them ("33 ...: 1.9% of its 1,774 events"); a card tester's 39 declines, most of
what it did, are said as before. The same words in oddseq.dask's table, the stream's
alerts, and the warnings that read the phrases.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq._pipeline import RARE_COUNT_PHRASE, rare_only_flag_counts
from oddseq._reasons import with_count_shares
from oddseq.sequences import Sequences
from oddseq.stream import StreamScorer

ROLES = dict(entity="account", event="event", time="time")
SHARE = r"\(most entities have none\): [\d.]+% of its [\d,]+ events"


def _log(seed=0):
    """Customers who view and buy; 4 tills of 800-1,200 events that buy all day, with
    15-35 refunds and declines each; 4 card testers of 30-40 declines and a few views."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(400):
        t = rng.uniform(0, 5e5)
        for _ in range(int(rng.integers(8, 30))):
            t += rng.exponential(300.0) + 10
            rows.append((f"c{a}", str(rng.choice(["view", "view", "cart", "buy"])), t))
    for a in range(4):
        t = 0.0
        n = int(rng.integers(800, 1200))
        kinds = rng.choice(["view", "cart", "buy"], n, p=[0.4, 0.3, 0.3]).astype(object)
        kinds[rng.choice(n, int(rng.integers(15, 36)), replace=False)] = "refund"
        kinds[rng.choice(n, int(rng.integers(15, 36)), replace=False)] = "declined"
        for k in kinds:
            t += rng.exponential(400.0) + 5
            rows.append((f"till{a}", str(k), t))
    for a in range(4):
        t = rng.uniform(0, 5e5)
        for k in ["view"] * 4 + ["declined"] * int(rng.integers(30, 41)):
            t += rng.exponential(20.0) + 1
            rows.append((f"tester{a}", k, t))
    return pd.DataFrame(rows, columns=["account", "event", "time"])


@pytest.fixture(scope="module")
def table():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.detect_anomalies(_log(), **ROLES, random_state=0)


def test_a_busy_tills_rare_counts_say_their_share(table):
    tills = table.loc[[f"till{a}" for a in range(4)], "reason"].astype(str)
    said = tills[tills.str.contains("most entities have none")]
    assert len(said) >= 3, tills.tolist()
    assert said.str.contains(SHARE).all(), said.tolist()


def test_a_card_testers_declines_are_said_as_before(table):
    testers = table.loc[[f"tester{a}" for a in range(4)], "reason"].astype(str)
    assert testers.str.contains(r"count\[declined\] \d+ \(most entities have none\)").all()
    assert not testers.str.contains("% of its").any(), testers.tolist()


def test_the_share_is_the_count_over_the_events():
    reasons = np.array(
        [
            "count[refund] 33 (most entities have none); count[buy] 400 (typical 3)",
            "count[refund] 4 (most entities have none)",  # fewer than 5: as before
            "count[declined] 39 (entities like it have 0); events 45 (typical 20)",
            None,
            "events 900 (typical 20); count[refund] 12 (most normal entities have none)",
        ],
        dtype=object,
    )
    out = with_count_shares(reasons, [1_205, 1_205, 45, 900, 900])
    assert out[0] == (
        "count[refund] 33 (most entities have none): 2.7% of its 1,205 events; "
        "count[buy] 400 (typical 3)"
    )
    assert out[1] == reasons[1] and out[2] == reasons[2] and out[3] is None
    assert out[4].endswith("(most normal entities have none): 1.3% of its 900 events")
    assert RARE_COUNT_PHRASE.match(out[0].split("; ")[0])  # (the warnings still read it)


def test_the_rare_only_warning_counts_such_reasons():
    table = pd.DataFrame(
        {
            "is_anomaly": [True, True],
            "group": [-1, -1],
            "reason": [
                "count[refund] 33 (most entities have none): 2.7% of its 1,205 events; "
                "count[declined] 20 (most entities have none): 1.7% of its 1,205 events",
                "events 3 (typical 20)",
            ],
        },
        index=["a", "b"],
    )
    seqs = Sequences.from_arrays(
        [0, 1_205, 1_208], np.r_[np.repeat("x", 1_205), ["y", "y", "y"]], ids=["a", "b"]
    )
    n, k, types = rare_only_flag_counts(table, seqs, median_length=20.0)
    assert (n, k) == (2, 1) and types.to_dict() == {"declined": 1, "refund": 1}


def test_the_streams_alerts_say_it_too():
    log = _log()
    fitted = log[log["account"] != "till0"]  # (the other tills: their types are known)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(random_state=0).fit(Sequences.from_events(fitted, **ROLES))
        live = StreamScorer(pipe, **ROLES, reasons="all")
        alerts = live.update(log[log["account"] == "till0"]).alerts
    said = alerts["reason"].astype(str)
    rare = said[said.str.contains("most entities have none")]
    assert len(rare) and rare.str.contains(SHARE).all(), said.tolist()


def test_dask_says_the_same_words(table):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    with dask.config.set(scheduler="sync"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = detect_anomalies(dd.from_pandas(_log(), npartitions=3), **ROLES, random_state=0)
    got = got.compute() if hasattr(got, "compute") else got
    both = table.index.intersection(got.index)
    assert len(both) == len(table)
    assert got.loc[both, "reason"].tolist() == table.loc[both, "reason"].tolist()
    assert got["reason"].astype(str).str.contains("% of its").sum() >= 3
