"""A sitting lasts hours: meetings that go on day and night are many sittings.

A team meets in a couple of sittings (a guild's raid nights); rounds again and again are
a ring's work. A stream farm's 50 accounts played the same 15 tracks in rounds around the
clock for 9 days: no break of 6 hours between their meetings, so they read as one sitting,
and the block as a team, no group (trial s45). A sitting now lasts at most 12 hours."""

import numpy as np
import pandas as pd

from oddseq.graph import GroupDetector, _teams


def _meetings(members, starts, hours, rng):
    # each member acts on the same three objects every 10-20 minutes from each start
    rows = []
    for start in starts:
        for m in members:
            t = start + np.cumsum(rng.uniform(600, 1200, int(hours * 4.5)))
            t = t[t < start + hours * 3600]
            rows += [(m, x, f"o{int(k) % 3}") for k, x in enumerate(t)]
    return rows


def _with_others(rows, rng, days=4):
    # 300 others of 5-20 acts each on 200 objects over the days
    for u in range(300):
        n = int(rng.integers(5, 20))
        t = rng.uniform(0, days * 86_400, n)
        rows += [(f"user{u}", x, f"p{int(k)}") for x, k in zip(t, rng.integers(0, 200, n))]
    return rows


def _sittings(rows, members, monkeypatch):
    # The members' sittings as the fit reads them (with the fit's events, read where a
    # block is judged on its members' activity).
    log = pd.DataFrame(rows, columns=["user", "ts", "obj"])
    log["ts"] = pd.to_datetime(1_700_000_000 + log["ts"], unit="s")
    read, original = [], GroupDetector._activity_stats

    def spy(det, *args, **kwargs):
        ids = list(det._events.ids)
        read.append(_teams.sittings(det, np.array(sorted(ids.index(m) for m in members))))
        return original(det, *args, **kwargs)

    monkeypatch.setattr(GroupDetector, "_activity_stats", spy)
    GroupDetector().fit(log, entity="user", object="obj", time="ts")
    assert read, "no block was judged on its members' activity"
    return read[0]


def test_meetings_day_and_night_are_many_sittings(monkeypatch):
    rng = np.random.default_rng(0)
    farm = [f"farm{i}" for i in range(10)]
    # three days without a break: a sitting per 12 hours (one, before the cap)
    rows = _with_others(_meetings(farm, [0.0], 72, rng), rng)
    assert _sittings(rows, farm, monkeypatch) == 6
    monkeypatch.setattr(_teams, "_SITTING_MAX_NS", 10**18)
    assert _sittings(rows, farm, monkeypatch) == 1


def test_a_raid_night_is_one_sitting(monkeypatch):
    rng = np.random.default_rng(1)
    guild = [f"raider{i}" for i in range(10)]
    # three hours on each of two evenings, a day apart
    assert (
        _sittings(_with_others(_meetings(guild, [0.0, 86_400.0], 3, rng), rng), guild, monkeypatch)
        == 2
    )
