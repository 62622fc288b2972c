"""oddseq.dask lists the group members min_events leaves out as one machine does (#14,
session 26 H1): the partitions keep their short sequences for the group stage, and the
table (scores, ranks, flags, groups, reasons) and the members' fingerprints equal the
single machine's bit for bit."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

from oddseq.dask import detect_anomalies  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def shop():
    return make_ecommerce(n_users=300, rings=2, random_state=211).events


def _both(log, npartitions, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        expected, single = oddseq.detect_anomalies(
            log, crowds=False, **COLUMNS, return_pipeline=True, **options
        )
        with dask.config.set(scheduler="synchronous"):
            table, pipeline = detect_anomalies(
                dd.from_pandas(log, npartitions=npartitions),
                **COLUMNS,
                return_pipeline=True,
                **options,
            )
            got = table.compute()
            if table.known_divisions:  # each partition's rows inside its division
                bounds = table.divisions
                for k, part in enumerate(table.to_delayed()):
                    rows = part.compute().index
                    assert rows.is_monotonic_increasing
                    assert not len(rows) or bounds[k] <= rows[0] and rows[-1] <= bounds[k + 1]
    if "session_gap" in options:
        got = got.set_index(["user_id", "session"])
    return got.sort_values("rank"), expected, pipeline, single


def assert_same_table(got, expected):
    assert list(got.columns) == list(expected.columns)
    assert got.index.equals(expected.index)
    for column in ("score", "rank", "is_anomaly", "p_normal", "cluster", "group"):
        np.testing.assert_array_equal(got[column], expected[column])
    assert (got["reason"] == expected["reason"]).all()


def test_short_member_sessions_as_on_one_machine(shop):
    got, expected, pipeline, single = _both(shop, 3, session_gap="30min", min_events=6)
    listed = expected["reason"].str.contains("fewer than min_events=6: listed for its group")
    assert listed.sum() >= 5
    assert_same_table(got, expected)
    # the members' fingerprints: explain tells the fitted log's short members by them
    np.testing.assert_array_equal(pipeline._group_prints, single._group_prints)
    seqs = oddseq.Sequences.from_events(shop, **COLUMNS, session_gap="30min")
    short = list(expected.index[listed][:2])
    why = pipeline.explain(seqs, short)
    np.testing.assert_array_equal(
        why["group_reason"], expected.loc[short, "reason"].str.rsplit("; ", n=1).str[0]
    )


def test_short_ring_accounts_as_on_one_machine(shop):
    """Whole entities: each ring member cut to its group acts (5 to 14 events)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        table, pipeline = oddseq.detect_anomalies(
            shop, crowds=False, **COLUMNS, return_pipeline=True
        )
    acts = pipeline.groups_.group_acts_
    members = table.index[table["group"] >= 0]
    acted = pd.MultiIndex.from_arrays([acts["entity"], acts["time"].astype("int64") // 10**9])
    keys = pd.MultiIndex.from_arrays([shop["user_id"], shop["timestamp"].to_numpy()])
    keep = ~shop["user_id"].isin(members) | keys.isin(acted)
    log = shop[keep.to_numpy()].reset_index(drop=True)
    got, expected, _, _ = _both(log, 4, min_events=12)
    assert expected["reason"].str.contains("fewer than min_events=12").sum() >= 5
    assert_same_table(got, expected)
