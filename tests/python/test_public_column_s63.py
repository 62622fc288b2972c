"""A side column of no more values than the square root of its entities is public as a
whole (``encode._context._public_column``; TR s62 M3, TR s63 M1).

A country column holds a few values that many entities share: each is a category, not an
identity. Its smaller values fell under the per-value bar and counted as private, so a
traveller's country read "18 entities on country FR, where 12 is usual" and led the
reasons of travellers flagged above the anomalies (a betting log's 102 flags; a
ticketing log's travellers, 49 of 87 flagged with nothing planted). Now such a column
gives every entity ``sharing[<column>]`` 1 and no reason names it; a device column of a
value per entity keeps a farm's phone.
"""

import warnings

import numpy as np
import pandas as pd

import oddseq
from oddseq.encode import context_features
from oddseq.encode._context import public_bar


def _log(seed=0, n=900):
    """Accounts each on their own phone, 90% in one country and the rest in 12 others
    (5-30 each); a farm of 12 accounts on 2 phones."""
    rng = np.random.default_rng(seed)
    rows = []
    abroad = rng.choice([f"C{k}" for k in range(12)], n // 10)
    for a in range(n):
        country = "GB" if a >= n // 10 else abroad[a]
        device = f"phone{a}" if a < n - 12 else f"farm{a % 2}"
        t = rng.uniform(0, 5e5)
        for _ in range(int(rng.integers(5, 15))):
            t += rng.exponential(300.0) + 10
            rows.append((f"a{a}", str(rng.choice(["view", "buy"])), t, device, country))
    return pd.DataFrame(rows, columns=["account", "event", "time", "device_id", "country"])


def test_a_country_column_is_public_and_a_device_column_is_not():
    log = _log()
    table = context_features(log, "account", ["device_id", "country"], "time")
    assert log["country"].nunique() <= public_bar(log["account"].nunique())
    assert (table["sharing[country]"] == 1).all()
    farm = table.loc[[f"a{a}" for a in range(888, 900)], "sharing[device_id]"]
    assert (farm == 6).all(), farm


def test_no_reason_names_the_sharing_of_a_public_column():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            _log(1), entity="account", event="event", time="time", context=["device_id", "country"]
        )
    reasons = table["reason"].astype(str)
    assert not reasons.str.contains("on country").any()
    farm = reasons.loc[[f"a{a}" for a in range(888, 900)]]
    assert farm.str.contains("entities on device_id farm").any(), farm.tolist()


def test_the_normal_logs_counts_read_the_column_the_same_way():
    log = _log(2)
    normal = _log(3)
    table = context_features(log, "account", ["country"], "time", reference=normal)
    assert (table["sharing[country]"] == 1).all()
