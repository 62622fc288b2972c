"""A crowd is no group by what it means: its objects' audience keeps arriving around the
block, its members meet there once, and no script paces them (graph/_crowd.py). A ring is
not: its objects are its own, or it works them again and again."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
from test_graph_crowd_s32 import DAYS, accounts, crowd, groups

from oddseq.graph import _crowd, _teams
from oddseq.graph._graph import events_for_graph


def _ring_on_the_drop(seed, rounds):
    """The s32 accounts log with a 2-item drop's crowd of 60 at its end, and a ring of 12
    new accounts that takes the same two items together in ``rounds`` rounds of an hour
    on days before the drop's (each member at its own minute of the hour)."""
    log, _ = accounts(seed)
    log = crowd(log, seed, 60, 2, 2)
    rng = np.random.default_rng(seed + 11)
    members = np.arange(2_000_000, 2_000_012)
    rows = []
    for day in rng.choice(DAYS - 3, rounds, replace=False):
        hour = int(day) * 86400 + int(rng.integers(8, 20)) * 3600
        for m in members:
            t = hour + int(rng.integers(0, 3000))
            for item in (80_000, 80_001):
                t += int(rng.integers(20, 120))
                rows.append((m, item, t))
    extra = pd.DataFrame(rows, columns=["user", "obj", "ts"])
    return pd.concat([log, extra], ignore_index=True), sorted(members.tolist())


def test_a_ring_that_works_a_drops_items_again_and_again_is_a_group():
    # The items' audience keeps arriving (the drop's 60), but the ring meets in 3 rounds.
    log, ring = _ring_on_the_drop(5, 3)
    found = groups(log)
    assert ring in found["members"].map(sorted).tolist()
    # and no group holds the drop's crowd
    assert found["members"].map(lambda m: max(m) >= 2_000_000).all()


def test_the_marks_read_on_a_drops_blocks_and_on_rings(monkeypatch):
    # Each block put to the crowd test, read as the fit reads it: a drop's blocks (its
    # audience keeps arriving: the rest of its 60 in the hours around; they meet once)
    # are a crowd, and the rings' (their payees nobody else pays, however the grid cut
    # the ring) are not.
    log, rings = accounts(614, n_rings=3)
    log = crowd(log, 614, 60, 2, 2)
    drop = set(log.loc[log["obj"] >= 80_000, "user"].tolist())
    readings, read = [], _crowd.crowd

    def recorded(det, rows, cols, units, places):
        res = read(det, rows, cols, units, places)
        readings.append((set(det._events.ids[rows].tolist()), res))
        return res

    monkeypatch.setattr(_crowd, "crowd", recorded)
    found = groups(log)
    assert not found["members"].map(lambda m: bool(set(m) & drop)).any()
    ring_ids = set().union(*rings)
    on_rings = [res for ids, res in readings if ids <= ring_ids]
    on_drop = [res for ids, res in readings if ids <= drop]
    assert on_rings and on_drop
    assert all(res["arriving"] == 0 and not res["crowd"] for res in on_rings)
    assert all(res["crowd"] for res in on_drop), on_drop
    assert all(res["arriving"] >= 10 and res["sittings"] <= 1 for res in on_drop)


def test_sittings_of_members_who_never_meet_is_zero():
    # Two entities whose acts never share a window: no meeting (it raised IndexError).
    log = pd.DataFrame(
        {"user": [0, 0, 1, 1], "obj": [1, 2, 1, 2], "ts": [0, 10, 86400 * 3, 86400 * 3 + 10]}
    )
    ev = events_for_graph(log, entity="user", object="obj", time="ts", time_unit="s")
    det = SimpleNamespace(_events=ev, _bins=(0, 100, 3600 * 10**9, 1800 * 10**9), min_members=2)
    assert _teams.sittings(det, np.array([0, 1])) == 0.0
    # (and two who do meet: one sitting each)
    det._events.times[2:] = det._events.times[:2] + 10**9
    assert _teams.sittings(det, np.array([0, 1])) == 1.0
