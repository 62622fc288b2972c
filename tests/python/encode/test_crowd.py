"""CrowdEncoder: each entity's largest crowd on one item in one window, against the item's
usual crowd, checked against a plain pandas reading of the definition."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq.encode import CrowdEncoder
from oddseq.sequences import Sequences

HOUR = 3600


def reference(log: pd.DataFrame, window_s: int = HOUR) -> pd.Series:
    """The definition in pandas: distinct entities per (item, window); an item's usual is
    the mean over its other active windows (at least 1, 1 without any); the ratio's
    maximum per entity, 0 for an entity without an item."""
    known = log.dropna(subset=["item"])
    pairs = known.assign(w=known["t"] // window_s)[["user", "item", "w"]].drop_duplicates()
    crowd = pairs.groupby(["item", "w"]).size().rename("crowd").reset_index()
    per_item = crowd.groupby("item")["crowd"].agg(["sum", "size"])
    total = crowd["item"].map(per_item["sum"])
    active = crowd["item"].map(per_item["size"])
    usual = np.where(
        active > 1, np.maximum((total - crowd["crowd"]) / np.maximum(active - 1, 1), 1.0), 1.0
    )
    crowd["ratio"] = crowd["crowd"] / usual
    ratio = pairs.merge(crowd, on=["item", "w"]).groupby("user")["ratio"].max()
    return ratio.reindex(sorted(log["user"].unique()), fill_value=0.0)


def _encode(log, **kw) -> pd.Series:
    seqs = Sequences.from_events(log, entity="user", event="event", time="t", item="item")
    enc = CrowdEncoder(**kw).set_output(transform="pandas").fit(seqs)
    return enc.transform(seqs)["crowd_peak"]


def test_a_ring_on_a_private_payee_stands_out_and_a_popular_item_does_not():
    rows = []
    # 200 people each pay their own payee once a day for 10 days
    for u in range(200):
        rows += [(f"u{u}", f"own{u}", d * 24 * HOUR + u) for d in range(10)]
    # a popular item: 30 of them view it in each of 10 hours
    rows += [(f"u{u}", "hot", h * HOUR + u) for h in range(10) for u in range(30)]
    # a ring of 6 pays one new payee within the hour
    rows += [(f"ring{i}", "mule", 5 * HOUR + 60 * i) for i in range(6)]
    log = pd.DataFrame(rows, columns=["user", "item", "t"]).assign(event="pay")
    got = _encode(log)
    assert (got.filter(like="ring") == 6.0).all()
    people = got.drop(got.filter(like="ring").index)
    assert people.max() == pytest.approx(1.0)
    pd.testing.assert_series_equal(
        got.astype(np.float64), reference(log).astype(np.float64), check_names=False
    )


def test_an_entity_without_items_reads_zero_and_missing_items_are_skipped():
    log = pd.DataFrame(
        {
            "user": ["a", "a", "b", "c", "c"],
            "event": ["v"] * 5,
            "item": ["x", None, None, "x", "x"],
            "t": [0, 10, 20, 30, 40],
        }
    )
    got = _encode(log)
    assert got.tolist() == [2.0, 0.0, 2.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 12),  # entity
            st.integers(0, 6),  # item
            st.integers(-3 * 24 * HOUR, 3 * 24 * HOUR),  # time, across the epoch
        ),
        min_size=1,
        max_size=120,
    ),
    st.sampled_from([HOUR, 600, 7 * HOUR]),
)
def test_matches_the_definition(rows, window):
    log = pd.DataFrame(rows, columns=["user", "item", "t"]).assign(event="e")
    log["user"] = "e" + log["user"].astype(str)
    log["item"] = "i" + log["item"].astype(str)
    got = _encode(log, window=window)
    np.testing.assert_allclose(
        got.to_numpy(np.float64), reference(log, window).to_numpy(np.float64), rtol=1e-6
    )


def test_the_thread_count_does_not_change_a_ratio():
    rng = np.random.default_rng(7)
    n = 40_000
    log = pd.DataFrame(
        {
            "user": rng.integers(0, 3000, n),
            "item": rng.zipf(1.5, n) % 500,
            "t": rng.integers(0, 30 * 24 * HOUR, n),
            "event": "e",
        }
    )
    one = _encode(log, n_threads=1)
    assert one.equals(_encode(log, n_threads=2))
    assert one.equals(_encode(log, n_threads=3))


def test_refuses_sequences_without_items_or_times_naming_the_fix():
    log = pd.DataFrame({"user": ["a"], "event": ["v"], "t": [0], "item": ["x"]})
    no_items = Sequences.from_events(log, entity="user", event="event", time="t")
    with pytest.raises(ValueError, match=r"item column \(Sequences.from_events\(\.\.\., item="):
        CrowdEncoder().fit(no_items)
    no_times = Sequences.from_events(log, entity="user", event="event", item="item")
    with pytest.raises(ValueError, match="needs event times"):
        CrowdEncoder().fit(no_times)


@pytest.mark.parametrize("window", [0, -5, "soon"])
def test_refuses_a_window_that_is_no_duration(window):
    log = pd.DataFrame({"user": ["a"], "event": ["v"], "t": [0], "item": ["x"]})
    seqs = Sequences.from_events(log, entity="user", event="event", time="t", item="item")
    with pytest.raises((ValueError, TypeError), match="window"):
        CrowdEncoder(window=window).fit(seqs)
