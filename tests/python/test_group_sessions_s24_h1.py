"""With sessions as the entities (session_gap=) and item=, a lockstep group's member
lends the group only to its sessions that hold the group's acts (issue 14; H5's s23
review, LOW 2): a member's own browsing on another day is no evidence of the ring, and
flagging it as a group member is a false flag an analyst must read. The group is still
found over the entities (users); without sessions nothing changes."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.graph import GroupDetector
from oddseq.sequences import Sequences

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
RING = list(range(1000, 1008))
DAY = 86400
T0 = 1_699_920_000  # midnight UTC


def planted_log() -> pd.DataFrame:
    """400 users browsing over nine days; a ring of 8 who, in three rounds (days 4, 6
    and 8), each view a round's rare item twice and buy another within ten minutes of
    each other; every member also browses on its own on day 1 (its session 0). Two
    members meet on a ring item on day 3, two others on another item on day 5 (small
    rounds); one visits a ring item alone on day 2, among other items."""
    rng = np.random.default_rng(14)
    rows = []
    for u in range(400):
        for _ in range(6):
            start = T0 + int(rng.integers(0, 9 * DAY))
            for k in range(5):
                rows.append((u, int(rng.zipf(1.3) % 3000), "view", start + 60 * k))
    rounds = [T0 + 4 * DAY + 14 * 3600, T0 + 6 * DAY + 11 * 3600, T0 + 8 * DAY + 20 * 3600]
    for r, when in enumerate(rounds):
        for m in RING:
            start = when + int(rng.integers(0, 600))
            for k, item in enumerate([90001 + r, 90001 + r, 90010]):
                rows.append((m, item, "view" if k < 2 else "buy", start + 30 * k))
    for m in RING:
        start = T0 + DAY + 9 * 3600 + int(rng.integers(0, 3 * 3600))
        for k in range(4):
            rows.append((m, int(rng.integers(1, 3000)), "view", start + 40 * k))
    for m, start in (
        (RING[1], T0 + 3 * DAY + 10 * 3600),
        (RING[2], T0 + 3 * DAY + 10 * 3600 + 240),
    ):
        rows += [(m, 90002, "view", start), (m, 90002, "view", start + 50)]
    for m, start in ((RING[3], T0 + 5 * DAY + 3 * 3600), (RING[4], T0 + 5 * DAY + 3 * 3600 + 900)):
        rows += [(m, 95555, "view", start), (m, 95555, "buy", start + 70)]  # another item
    alone = T0 + 2 * DAY + 16 * 3600
    rows += [(RING[0], item, "view", alone + 60 * k) for k, item in enumerate([17, 90010, 23])]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "behavior", "timestamp"])


# (the sessions' flags over the users, said: test_session_spread_s43.py)
pytestmark = pytest.mark.filterwarnings("ignore:the flagged sessions belong to")


@pytest.fixture(scope="module")
def log():
    return planted_log()


@pytest.fixture(scope="module")
def sessions(log):
    """detect_anomalies with sessions: (table, pipeline), and the table without groups."""
    table, pipeline = oddseq.detect_anomalies(
        log, crowds=False, **COLUMNS, session_gap="30min", return_pipeline=True
    )
    with warnings.catch_warnings():
        # (without the group stage the ring's short rounds fill the flags, and say so)
        warnings.filterwarnings("ignore", r"\d+ of the \d+ flagged sessions have fewer than 5")
        alone = oddseq.detect_anomalies(
            log, crowds=False, **COLUMNS, session_gap="30min", groups=False
        )
    return table, pipeline, alone


def test_only_the_sessions_holding_the_group_s_acts_are_members(sessions):
    table, pipeline, alone = sessions
    groups = pipeline.groups_.groups_
    assert len(groups) == 1 and sorted(groups["members"][0]) == RING  # found as before
    ring = table[table.index.get_level_values(0).isin(RING)]
    own = ring.index.get_level_values(1) == 0  # each member's day-1 browsing
    own |= ring.index == (RING[0], 1)  # a ring item visited alone on day 2
    assert own.sum() == len(RING) + 1 and len(ring) == 4 * len(RING) + 5
    # the rounds' sessions (the small ones of days 3 and 5 too): members, flagged, their
    # reason the group's sentence
    assert (ring["group"][~own] == 0).all()
    assert ring["is_anomaly"][~own].all()
    assert ring["reason"][~own].str.startswith("one of 8 entities (group 0)").all()
    # the member's own session: no member, its score and flag its own (as without groups)
    assert (ring["group"][own] == -1).all()
    mine = ring.index[own]
    np.testing.assert_array_equal(ring.loc[mine, "score"], alone.loc[mine, "score"])
    np.testing.assert_array_equal(ring.loc[mine, "is_anomaly"], alone.loc[mine, "is_anomaly"])
    assert not ring.loc[mine, "reason"].str.contains("group 0").any()
    # no one else's session is a member; the table's flags are the model's plus the rounds'
    assert set(table.index[table["group"] >= 0].get_level_values(0)) == set(RING)
    assert table["is_anomaly"].sum() == (alone["is_anomaly"] | (table["group"] >= 0)).sum()


def test_every_member_session_holds_an_act_of_the_group(sessions, log):
    table, pipeline, _ = sessions
    acts = pipeline.groups_.group_acts_
    assert list(acts.columns) == ["group", "entity", "object", "time", "in_block"]
    # three events of each member in each of three rounds, two each in the small ones
    assert len(acts) == 3 * 3 * len(RING) + 8
    assert set(acts["object"]) == {90001, 90002, 90003, 90010, 95555}
    assert set(pipeline.groups_.groups_["objects"][0]) == {90001, 90002, 90003, 90010}
    alone = pd.Timestamp(T0 + 2 * DAY + 16 * 3600 + 60, unit="s")
    assert not (acts["time"] == alone).any()  # the visit alone is no act
    members = table.index[table["group"] >= 0]
    when = pd.to_datetime(log["timestamp"], unit="s")
    for user, session in members:
        mine = log[(log["user_id"] == user)]
        gaps = mine["timestamp"].sort_values().diff() > 1800
        numbers = gaps.cumsum().reindex(mine.index)
        held = when[mine.index[numbers == session]]
        assert acts[acts["entity"] == user]["time"].isin(held).any()


def test_group_edges_sum_the_acts():
    """group_edges_ is group_acts_ in the block per (group, member, object): events,
    first, last."""
    log = planted_log()
    finder = GroupDetector().fit(log, entity="user_id", object="item_id", time="timestamp")
    acts = finder.group_acts_[finder.group_acts_["in_block"]]
    summed = (
        acts.groupby(["group", "entity", "object"], sort=True)["time"]
        .agg(count="size", first="min", last="max")
        .reset_index()
    )
    edges = finder.group_edges_.sort_values(["group", "entity", "object"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(summed, edges, check_dtype=False)


def test_explain_gives_the_group_to_the_acting_sessions_only(sessions, log):
    table, pipeline, _ = sessions
    own, alone, acting = (RING[0], 0), (RING[0], 1), (RING[0], 2)
    by_id = pipeline.explain([own, alone, acting])
    said = by_id.groupby(level=[0, 1])["group_reason"].first()
    assert said[own] == "" and said[alone] == ""
    assert said[acting].startswith("one of 8 entities (group 0)")
    assert table.loc[acting, "reason"].startswith(said[acting])
    seqs = Sequences.from_events(log, **COLUMNS, session_gap="30min")
    by_seqs = pipeline.explain(seqs, [own, alone, acting])
    by_seqs = by_seqs.groupby(level=[0, 1])["group_reason"].first()
    assert by_seqs[own] == "" and by_seqs[alone] == "" and by_seqs[acting] == said[acting]


def test_without_sessions_every_member_is_a_member(log):
    table = oddseq.detect_anomalies(log, **COLUMNS)
    assert sorted(table.index[table["group"] >= 0]) == RING
    assert table.loc[RING, "is_anomaly"].all()


def test_ring_members_sessions_outside_the_rounds_are_no_members():
    """A shop's planted rings: the rounds' sessions stay members; the members' other
    sessions (their normal lives) are none."""
    shop = make_ecommerce(n_users=1200, rings=3, random_state=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oddseq.exceptions.DataWarning)
        table, pipeline = oddseq.detect_anomalies(
            shop.events, **COLUMNS, session_gap="30min", return_pipeline=True
        )
    acts = pipeline.groups_.group_acts_
    ring = set(shop.kinds.index[shop.kinds == "ring"])
    users = table.index.get_level_values(0)
    member = table["group"].to_numpy() >= 0
    of_ring = users.isin(list(ring))
    assert member[of_ring].sum() >= 20  # the rings' rounds are found
    assert member[of_ring].sum() < of_ring.sum() / 2  # not every session of theirs
    # each member session holds one of its user's acts: one of them falls in its span
    spans = shop.events.groupby("user_id")["timestamp"]
    for user, session in table.index[member]:
        times = np.sort(spans.get_group(user).to_numpy())
        cut = np.concatenate([[0], np.flatnonzero(np.diff(times) > 1800) + 1, [times.size]])
        lo, hi = times[cut[session]], times[cut[session + 1] - 1]
        mine = acts.loc[acts["entity"] == user, "time"].astype("int64") // 10**9
        assert ((mine >= lo) & (mine <= hi)).any()


def test_oddseq_dask_joins_the_same_sessions(log):
    dd = pytest.importorskip("dask.dataframe")
    dask = pytest.importorskip("dask")
    from oddseq.dask import detect_anomalies

    expected = oddseq.detect_anomalies(log, crowds=False, **COLUMNS, session_gap="30min")
    with dask.config.set(scheduler="synchronous"):
        got = detect_anomalies(
            dd.from_pandas(log, npartitions=3), **COLUMNS, session_gap="30min"
        ).compute()
    got = got.set_index(["user_id", "session"]).sort_values("rank")
    assert got.index.equals(expected.index)
    for column in ("score", "is_anomaly", "group"):
        np.testing.assert_array_equal(got[column], expected[column])
    assert (got["reason"] == expected["reason"]).all()
    assert (got["group"] >= 0).sum() == 3 * len(RING) + 4
