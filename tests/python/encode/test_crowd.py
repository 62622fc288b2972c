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
    a busy window of its other active windows, the k-th smallest of their crowds with k
    = floor(0.9 * (others - 1)) (at least 1; 1 without any); the ratio's maximum per
    entity, 0 for an entity without an item."""
    known = log.dropna(subset=["item"])
    pairs = known.assign(w=known["t"] // window_s)[["user", "item", "w"]].drop_duplicates()
    crowd = pairs.groupby(["item", "w"]).size().rename("crowd").reset_index()

    def usual(group):
        values = group.to_numpy()
        out = []
        for i in range(len(values)):
            others = np.sort(np.delete(values, i))
            if not len(others):
                out.append(1.0)
                continue
            k = int(np.floor(0.9 * max(len(others) - 1, 0)))
            out.append(max(1.0, float(others[k])))
        return pd.Series(out, index=group.index)

    crowd["usual"] = crowd.groupby("item")["crowd"].transform(usual)
    crowd["ratio"] = crowd["crowd"] / crowd["usual"]
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


def _random_log(seed, n, n_users, n_items, days):
    """A log of Zipf-popular items at random times, for the thread-count checks."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": rng.integers(0, n_users, n),
            "item": rng.zipf(1.5, n) % n_items,
            "t": rng.integers(0, days * 24 * HOUR, n),
            "event": "e",
        }
    )


def test_the_thread_count_does_not_change_a_ratio():
    log = _random_log(7, 40_000, 3000, 500, 30)
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


def _facts(log, rows=None, **kw):
    seqs = Sequences.from_events(log, entity="user", event="event", time="t", item="item")
    enc = CrowdEncoder(**kw).fit(seqs)
    rows = np.arange(len(seqs)) if rows is None else rows
    return seqs, enc.crowd_facts(seqs, rows)


def test_the_facts_name_the_largest_crowd_its_hour_and_the_usual():
    rows = [(f"u{u}", "ip1", 10 * HOUR + u) for u in range(3)]  # the usual: 3 an hour
    rows += [(f"u{u}", "ip1", 30 * HOUR + u) for u in range(3)]
    rows += [(f"x{i}", "ip1", 50 * HOUR + 7 * i) for i in range(12)]  # then a crowd of 12
    rows += [("x0", "ip9", 70 * HOUR)]  # and an item of its own
    log = pd.DataFrame(rows, columns=["user", "item", "t"]).assign(event="login")
    seqs, said = _facts(log)
    by = dict(zip(seqs.ids, said))
    assert by["x0"] == (
        "12 entities on ip1 between 02:00 and 03:00 on 03 Jan 1970 (UTC), where 3 is usual"
    )
    assert by["u0"] == ""  # its crowd of 3 against 12 + 3 over two other hours: no crowd above
    assert _encode(log)["x0"] == pytest.approx(4.0)


def test_the_facts_do_not_depend_on_the_thread_count():
    log = _random_log(3, 20_000, 1500, 300, 10)
    _, one = _facts(log, n_threads=1)
    _, two = _facts(log, n_threads=2)
    _, three = _facts(log, n_threads=3)
    assert one == two == three
    assert sum(bool(s) for s in one) > 100


def test_one_entitys_sessions_are_no_crowd():
    # Review RV s44 H2: 12 sessions of one user within an hour on its home IP read as a
    # crowd of 12 (each flagged, "12 sessions on iphome").
    rows = [("me", "iphome", h * HOUR + 60 * k) for h in (1, 30, 60) for k in range(0, 12 * 40, 40)]
    rows += [(f"o{u}", f"ip{u}", 5 * HOUR + u) for u in range(50)]
    log = pd.DataFrame(rows, columns=["user", "item", "t"]).assign(event="login")
    seqs = Sequences.from_events(
        log, entity="user", event="event", time="t", item="item", session_gap="10s"
    )
    assert (seqs.ids.get_level_values(0) == "me").sum() == 36
    ratios = CrowdEncoder().fit(seqs).transform(seqs)[:, 0]
    assert (ratios == 1.0).all()


def test_a_log_spanning_centuries_does_not_overflow():
    # Review RV s44 M1: one event dated 1700 in a 2025 log overflowed the difference of
    # two times in nanoseconds (IndexError "outside the bins").
    t2025 = pd.Timestamp("2025-03-01", tz="UTC")
    log = pd.DataFrame(
        {
            "user": ["a", "b", "c", "d"],
            "event": "e",
            "item": ["x", "x", "x", "y"],
            "t": [pd.Timestamp("1700-01-01", tz="UTC"), t2025, t2025, t2025],
        }
    )
    got = _encode(log)
    assert got.tolist() == [0.5, 2.0, 2.0, 1.0]  # x: 1 in 1700, 2 in 2025


def test_facts_refuse_rows_out_of_range_and_sequences_without_items():
    log = pd.DataFrame({"user": ["a", "b"], "event": "e", "item": ["x", "x"], "t": [0, 1]})
    seqs = Sequences.from_events(log, entity="user", event="event", time="t", item="item")
    enc = CrowdEncoder().fit(seqs)
    with pytest.raises(ValueError, match=r"rows must be positions of sequences in \[0, 2\)"):
        enc.crowd_facts(seqs, [-1])
    no_items = Sequences.from_events(log, entity="user", event="event", time="t")
    with pytest.raises(ValueError, match="needs the items"):
        enc.crowd_facts(no_items, [0])
