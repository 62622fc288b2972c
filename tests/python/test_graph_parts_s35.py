"""A ring's group holds no raid guild (session 35; review RV s34 M7).

The peeling keeps two dense blocks together when their densities are close, and a block
whose parts one entity ties (a raider who also kills a monster in the hour an alt army
levels on it) is one connected block: a guild's raid nights and an alt army's quest
chain, with no act in common, were judged as one group, which the team rule (a guild's
pace) and the crowd rule did not clear, the army's script pacing the whole (held-out game
361 of 20,000 players: 151 raiders in the cores of ring and army groups, 14 more added
by the expansion). A ring's members act together on the same objects again and again,
so its acts hold the same members; the parts of a block are its acts linked by the
members they share (at least two, and half of the smaller act's), and a part that is a
team or a crowd leaves the group.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector, _crowd
from oddseq.graph._detector import _member_parts, _PeelGraph
from oddseq.graph._graph import events_for_graph

H = 3600


def _raid_and_ring_log(raid_log, seed: int, n_players=1000, n_guilds=8, guild=25):
    """Players on a zone of 400 objects; guilds of ``guild`` raiding 4 of 6 shared bosses
    on two nights at their own evening hour (a memoryless pace, kills within seconds, zone
    play and their chat channel in between); a multiboxer's 22 accounts in lockstep on
    ten of the zone's monsters at a script's pace (one kill a minute each) at 20:00 on
    three days. Raiders play on the same zone, so some act on the ring's monsters in its
    hours: nothing else ties a guild to the ring. Returns the log and each player's kind
    (``raid_log``: conftest's RaidLog)."""
    game = raid_log(seed)
    game.players(n_players)
    game.guilds(n_guilds, guild, "raider")
    ring = game.add(22, "ring")
    for d in (1, 3, 5):
        start = d * 24 * H + 20 * H
        for i, who in enumerate(ring):
            t = start + i + np.arange(60) * 60 + game.rng.uniform(0, 2, 60)
            game.parts.append((np.full(60, who), game.zone[(np.arange(60) + i) % 10], t))
    return game.frame()


# Seeds whose ring group held one or two whole guilds before session 35 (of seeds 0-11;
# 23-49 raiders beside the 22 accounts); the others were the ring alone, or no group.
@pytest.mark.parametrize("seed", [0, 3, 4, 10])
def test_a_rings_group_holds_no_raid_guild(seed, raid_log):
    log, kinds = _raid_and_ring_log(raid_log, seed)
    det = GroupDetector(n_threads=1).fit(log, entity="player", object="target", time="ts")
    found = [kinds.reindex(m).value_counts().to_dict() for m in det.groups_["members"]]
    in_groups = kinds.reindex(det.entity_ids_[det.group_labels_ >= 0])
    assert (in_groups == "raider").sum() == 0, found
    ring = set(kinds.index[kinds == "ring"])
    assert ring in [set(m) for m in det.groups_["members"]], found


def _graph(edges, n_rows):
    """A _PeelGraph from (row, col) edges."""
    edges = np.asarray(sorted(set(edges)), dtype=np.int64)
    rows, cols = edges[:, 0], edges[:, 1]
    n_cols = int(cols.max()) + 1
    offsets = np.r_[0, np.cumsum(np.bincount(rows, minlength=n_rows))]
    by_col = np.lexsort((rows, cols))
    col_offsets = np.r_[0, np.cumsum(np.bincount(cols, minlength=n_cols))]
    return _PeelGraph(offsets, cols, col_offsets, rows[by_col]), n_cols


def test_one_entity_does_not_join_two_blocks_into_one_part():
    # A: rows 0-9 on columns 0-5 (six acts); B: rows 10-19 on columns 6-11; row 20 acts
    # in two of A's acts and two of B's. One connected block, two parts.
    edges = [(r, c) for r in range(10) for c in range(6)]
    edges += [(r, c) for r in range(10, 20) for c in range(6, 12)]
    edges += [(20, 0), (20, 1), (20, 6), (20, 7)]
    graph, n_cols = _graph(edges, 21)
    units = np.arange(n_cols)  # each column its own object: each an act
    places = np.zeros(n_cols, dtype=np.int64)
    weight = np.ones(n_cols)
    parts = _member_parts(graph, np.arange(21), np.arange(n_cols), weight, units, places)
    assert sorted(sorted(c.tolist()) for c, _ in parts) == [list(range(6)), list(range(6, 12))]
    # Two entities in both are still fewer than half of an act's members: two parts.
    edges += [(21, 0), (21, 1), (21, 6), (21, 7)]
    graph, _ = _graph(edges, 22)
    parts = _member_parts(graph, np.arange(22), np.arange(n_cols), weight, units, places)
    assert len(parts) == 2


def test_a_rings_rounds_with_some_members_absent_are_one_part():
    # A ring of 12 in 5 rounds on 3 items, about 85% of the members in each round (an
    # act per item and round): the rounds share most members, so one part.
    rng = np.random.default_rng(3)
    edges = []
    for k in range(5):
        joined = np.flatnonzero(rng.random(12) < 0.85)
        for item in range(3):
            edges += [(int(r), 3 * k + item) for r in joined]
    graph, n_cols = _graph(edges, 12)
    units = np.arange(n_cols)
    places = np.zeros(n_cols, dtype=np.int64)
    cols = np.arange(n_cols)
    assert _member_parts(graph, np.arange(12), cols, np.ones(n_cols), units, places) == []


def test_arriving_reads_each_burst_of_the_block_on_its_own():
    """A block over two bursts days apart keeps a reach around each (review RV s34 M7: read
    from the block's first and last act, every act on its objects arrived). Members 0-3
    take objects 1 and 2 in an hour on day 0 and again on day 3; entity 4 takes them
    within a window of the second burst (a mate the grid cut: within the reach), entity 5
    a day later (beyond it)."""
    day, rows = 86400, []
    for burst in (0, 3 * day):
        for m in range(4):
            rows += [(m, 1, burst + 600 + 60 * m), (m, 2, burst + 900 + 60 * m)]
    rows += [(4, 1, 3 * day + 2000), (4, 2, 3 * day + 2100)]
    rows += [(5, 1, 4 * day), (5, 2, 4 * day + 60)]
    log = pd.DataFrame(rows, columns=["user", "obj", "ts"])
    ev = events_for_graph(log, entity="user", object="obj", time="ts", time_unit="s")
    window = H * 10**9
    t0 = int(ev.times.min())
    det = SimpleNamespace(_events=ev, _bins=(t0, 200, window, window // 2), min_members=2)
    # the block's columns: each object in the first grid's window of each burst
    obj = {label: i for i, label in enumerate(ev.object_labels)}
    units = np.array([obj[1], obj[2], obj[1], obj[2]])
    places = 2 * np.array([0, 0, 72, 72])
    rows_ = np.flatnonzero(np.isin(ev.ids, [0, 1, 2, 3]))
    got = _crowd.arriving(det, rows_, np.arange(4), units, places)
    assert got == 1.0  # entity 5 on each object; entity 4 is within the reach
