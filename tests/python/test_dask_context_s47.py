"""context= over the partitions of a dask DataFrame: the side columns' features (a log's
device, IP, country or card) that one machine's call reads, counted from the (entity,
value) pairs of every partition. The forty-sixth session's review left oddseq.dask
refusing context= and normal_entity_features= (one machine's options only), so a log too
large for one machine lost the features that found a music service's 100 takeovers."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.dask._context import context_features as over_partitions  # noqa: E402
from oddseq.encode import context_features  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_context_s46 import _log  # noqa: E402

ROLES = dict(entity="user", event="event", time="ts")
READING = dict(time_unit="s", time_format=None, dayfirst=None)


def _same_table(got, expected):
    assert sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index]
    assert list(got.columns) == list(expected.columns)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)


def test_features_over_partitions_equal_one_machines():
    log, _ = _log(n_users=200)
    expected = context_features(log, "user", ["device", "country"], time="ts")
    # rows in another order and cut anywhere: an entity's rows in several partitions
    shuffled = log.sample(frac=1.0, random_state=0)
    with dask.config.set(scheduler="sync"):
        got = over_partitions(
            [dd.from_pandas(shuffled, npartitions=4, sort=False)],
            "user",
            ["device", "country"],
            "ts",
            **READING,
        )[0]
    _same_table(got, expected)
    # times as text, values missing (NaN where an entity has none), no time at all
    text = log.assign(ts=log["ts"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    text.loc[text["user"] == "u3", "device"] = None
    expected = context_features(text, "user", "device", time="ts")
    assert expected.loc["u3"].isna().all()
    with dask.config.set(scheduler="sync"):
        parts = dd.from_pandas(text, npartitions=3)
        got = over_partitions([parts], "user", ["device"], "ts", **READING)
        plain = over_partitions([parts], "user", ["device"], None)
        # two logs: each value's sharers counted over both, as one machine counts them
        half = text["user"].isin([f"u{u}" for u in range(0, 200, 2)])
        joint = over_partitions(
            [dd.from_pandas(text[half], npartitions=2), text[~half]], "user", ["device"], "ts"
        )
    _same_table(
        joint[0], context_features(text[half], "user", "device", "ts", reference=text[~half])
    )
    _same_table(got[0], expected)
    _same_table(plain[0], context_features(text, "user", "device"))


def test_one_machines_features_do_not_depend_on_the_rows_order():
    # the everyday value's ties (as long in use) go to the one used first, then to the
    # values' text: not to whichever row came first in the file
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    rows = [("a", t0, "p1"), ("a", t0, "p2"), ("a", t0 + pd.Timedelta(days=3), "p3")]
    log = pd.DataFrame(rows * 2, columns=["user", "ts", "device"])
    forward = context_features(log, "user", "device", time="ts")
    backward = context_features(log.iloc[::-1], "user", "device", time="ts")
    _same_table(backward, forward)
    bigger, _ = _log(n_users=120)
    _same_table(
        context_features(bigger.sample(frac=1.0, random_state=1), "user", "device", time="ts"),
        context_features(bigger, "user", "device", time="ts"),
    )


def _table(log, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.detect_anomalies(log, **ROLES, **kw)


def _dask_table(log, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return detect_anomalies(dd.from_pandas(log, npartitions=3), **ROLES, **kw).compute()


def _same_verdicts(got, expected):
    got = got.loc[expected.index]
    np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-9)
    assert (got["is_anomaly"] == expected["is_anomaly"]).all()
    assert (got["reason"] == expected["reason"]).all()


def test_the_dask_call_takes_context_as_one_machine(client):
    log, hijacked = _log(seed=1, n_users=500)
    expected = _table(log, context=["device", "country"])
    got = _dask_table(log, context=["device", "country"])
    _same_verdicts(got, expected)
    assert got.loc[hijacked, "reason"].str.contains("of one day in a longer history").any()
    # the value behind a sharing, as one machine names it (the farm's two phones)
    assert got["reason"].str.contains("5 entities on device shared[01], where 1 is usual").any()
    # with normal=: each log's own context, as one machine reads them
    clean, _ = _log(seed=3, n_users=500, n_hijacked=0, farm=0)
    expected = _table(log, context="device", normal=clean)
    got = _dask_table(log, context="device", normal=dd.from_pandas(clean, npartitions=2))
    _same_verdicts(got, expected)
    assert got.loc[hijacked, "is_anomaly"].sum() >= 10


def test_the_dask_call_takes_normal_entity_features_as_one_machine(client):
    log, _ = _log(seed=6, n_users=300, n_hijacked=0, farm=0)
    clean, _ = _log(seed=7, n_users=300, n_hijacked=0, farm=0)
    ids = log["user"].unique()
    side = pd.DataFrame({"age_days": np.arange(len(ids)) % 40 + 1.0}, index=ids)
    older = side + 30.0  # (the normal stretch a month before: other values)
    kw = dict(entity_features=side, normal_entity_features=older)
    _same_verdicts(_dask_table(log, normal=clean, **kw), _table(log, normal=clean, **kw))


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(context="device", session_gap="30min"), "context= reads each entity's whole"),
        (dict(normal_entity_features=pd.DataFrame({"x": [1.0]})), "give normal= too"),
        (dict(context="phone"), r"context names columns the log lacks: \['phone'\]"),
        (dict(context="country", normal="drop"), r"context \(in normal\) names columns"),
    ],
)
def test_the_dask_call_refuses_as_one_machine(kw, match):
    log, _ = _log(n_users=30, n_hijacked=0, farm=0)
    if kw.get("normal") == "drop":
        kw = dict(kw, normal=log.drop(columns="country"))
    with pytest.raises(ValueError, match=match):
        oddseq.detect_anomalies(log, **ROLES, **kw)
    with pytest.raises(ValueError, match=match):
        detect_anomalies(dd.from_pandas(log, npartitions=2), **ROLES, **kw)


def test_day_first_dates_decided_once_for_every_partition():
    # review RV s47 H1: a partition of dates that each read both ways ("03/01/2026")
    # refused, where the whole log's other dates ("25/01/2026") decide the order
    rows = []
    for u in range(60):
        for day in (1, 3, 5, 7, 20, 25):
            for k in range(3):
                device = f"dev{u}" if day < 20 else f"dev{u}b"
                rows.append((f"u{u}", f"{day:02d}/01/2026 10:{(u + k) % 60:02d}", "abc"[k], device))
    log = pd.DataFrame(rows, columns=["user", "ts", "event", "device"])
    log = log.sort_values("ts", key=lambda t: t.str[:2].astype(int), kind="stable")
    expected = context_features(log, "user", "device", time="ts")
    parts = dd.from_pandas(log.reset_index(drop=True), npartitions=2, sort=False)
    got = over_partitions([parts], "user", ["device"], "ts", **READING)[0]
    _same_table(got, expected)
