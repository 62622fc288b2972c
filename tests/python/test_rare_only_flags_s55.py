"""Flags that rest only on counts of event types most entities never do are said.

TR s55 (an online bank's log): 48-84 of the 64-183 flags of every run were the bank's
business customers, flagged for "count[update_address] 3 (most entities have none);
count[raise_transfer_limit] 4 (most entities have none)" and nothing else; TR s54 H3 (a
classifieds site): 65 legitimate dealers filled a third of the flags for their boosts.
Nothing pointed at them. A warning now says how many flags rest on such counts alone and
names the types and the route (normal= with that kind among the known-good: on the bank's
log, 1,000 vetted accounts of another draw took F1 0.43 -> 0.68)."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq._pipeline import (
    ONE_OFF_MIN,
    RARE_ONLY_SHARE,
    rare_only_flag_counts,
    warn_rare_only_flags,
)
from oddseq.exceptions import DataWarning

sys.path.insert(0, str(Path(__file__).parent))
from test_renamed_entities import _hdfs_like  # noqa: E402

RARE = "(most entities have none)"


def _said(caught) -> list:
    return [str(w.message) for w in caught if "flagged only for counts" in str(w.message)]


def test_the_counts_read_from_the_reasons():
    ids = [f"u{k}" for k in range(8)]
    table = pd.DataFrame(
        {
            "is_anomaly": [True] * 7 + [False],
            "reason": [
                f"count[update_address] 3 {RARE}; count[raise_limit] 4 {RARE}",
                f"count[update_address] 2 {RARE} (rests on 6 events)",
                f"count[change_phone] 1 {RARE}",  # one act alone: the one-off warning's
                f"count[change_phone] 1 {RARE}; count[update_address] 1 {RARE}",
                f"count[pay_boost] 103 (entities like it have 0); count[update_address] 1 {RARE}",
                "mean time between events 2 s (typical 3 h)",
                f"count[update_address] 5 {RARE}",  # not busy: not counted
                "count[pay_boost] 103 (entities like it have 0)",  # not flagged
            ],
        },
        index=pd.Index(ids, name="user"),
    )
    # busy entities alone: at least twice the median length (a system log's broken
    # block, flagged for its rare error types, is its anomaly)
    seqs = oddseq.Sequences.from_lists(
        [["view"] * 30] * 6 + [["view"] * 8] + [["view"] * 5] * 10 + [["view"] * 30],
        ids=list(table.index[:7]) + [f"quiet{k}" for k in range(10)] + [table.index[7]],
    )
    n, k, types = rare_only_flag_counts(table, seqs)
    assert (n, k) == (7, 4)
    assert types.to_dict() == {
        "update_address": 4,
        "raise_limit": 1,
        "change_phone": 1,
        "pay_boost": 1,
    }


def test_the_warning_at_its_bounds():
    assert (ONE_OFF_MIN, RARE_ONLY_SHARE) == (5, 0.4)
    types = pd.Series({"update_address": 5, "raise_limit": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_rare_only_flags(10, 4, types)  # under 5: nothing
        warn_rare_only_flags(13, 5, types)  # under 0.4 of the flags: nothing
    with pytest.warns(DataWarning, match=r"^5 of the 12 flagged entities .*\(update_address 5"):
        warn_rare_only_flags(12, 5, types)


def _bank(seed=0, n_users=400, busy=15):
    """Customers who bank on 2-20 days, one to three times a day; a busy kind (business
    customers) who bank three times every day and also update addresses and raise
    limits; nothing planted."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        n_days, per_day = (20, 3) if u < busy else (rng.integers(2, 21), rng.integers(1, 4))
        for day in sorted(rng.choice(20, int(n_days), replace=False)):
            for _ in range(int(per_day)):
                start = day * 86_400 + rng.uniform(8, 20) * 3600
                kinds = ["login", "view_balance", "view_transactions", "pay_bill"]
                if u < busy:
                    kinds += ["update_address"] * int(rng.random() < 0.3)
                    kinds += ["raise_limit"] * int(rng.random() < 0.3)
                for k, kind in enumerate(kinds):
                    rows.append((f"c{u}", start + 40 * k, kind))
    return pd.DataFrame(rows, columns=["customer", "ts", "event"])


def test_a_system_logs_broken_blocks_are_not_said():
    # blocks of a few log templates, 2% broken by rare error templates: flagged for them,
    # and they are the anomaly
    log = _hdfs_like()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(
            log, entity="user_id", event="behavior", time="timestamp", random_state=0
        )
    assert not _said(caught)


def test_the_one_call_and_oddseq_dask_say_it_alike(client):
    dd = pytest.importorskip("dask.dataframe")
    from oddseq.dask import detect_anomalies

    log = _bank()
    # (the share to flag given: the automatic cut is cautious on a log this small)
    roles = dict(
        entity="customer", event="event", time="ts", groups=False, crowds=False, contamination=0.04
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = oddseq.detect_anomalies(log, random_state=0, **roles)
    single = _said(caught)
    assert len(single) == 1 and "update_address" in single[0] and "raise_limit" in single[0]
    busy = table.loc[[f"c{u}" for u in range(15)], "is_anomaly"]
    assert busy.sum() >= 5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(dd.from_pandas(log, npartitions=3), random_state=0, **roles).compute()
    assert _said(caught) == single
