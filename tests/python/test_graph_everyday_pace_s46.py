"""A crowd's members pace as the log's people do, however regular that is.

A crowd (graph/_crowd.py) is strangers who each take a drop's or a release's objects in
its hours; one of its marks is that they do not pace like a script, read as gaps more
regular than a memoryless pace's. A music service's listeners play an album back to
back at the tracks' length, on a release night as on any evening: trial s45's release
fans paced at 0.46 in their block and were reported as a lockstep group of 134 (the
flags' precision 0.99 -> 0.51). Members who pace in the block as they do outside it, and
outside it as the log's people do, are people (``_teams.paced_as_people``); fresh
accounts, accounts at a script's pace everywhere, and accounts that leave their owners'
pace for a script's are not."""

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector, _teams
from oddseq.graph._graph import _Events

DAY = 86_400.0


def _listen(user, start, tracks, rng, rows, length=None):
    # back to back: each track plays its length (3-5 minutes) before the next starts
    t = start
    for track in tracks:
        rows.append((user, t, track))
        t += length if length is not None else rng.uniform(180, 300)


def _release_log(seed, n_users=1000, n_fans=600):
    # listeners on 60% of 10 days, 5-25 tracks of a Zipf catalogue each evening; a
    # 12-track album out on day 5 at midnight, played in order by 600 fans from an
    # exponential wait (2.5 h), and again on two later days
    rng = np.random.default_rng(seed)
    catalogue = [f"t{k}" for k in range(2000)]
    popularity = 1 / np.arange(1, 2001) ** 0.9
    popularity /= popularity.sum()
    album = [f"R{k}" for k in range(12)]
    fans = set(rng.choice(n_users, n_fans, replace=False))
    rows = []
    for i in range(n_users):
        user = f"u{i}"
        for day in range(10):
            if rng.random() < 0.6:
                start = day * DAY + rng.uniform(8, 22) * 3600
                n = int(rng.integers(5, 25))
                _listen(user, start, rng.choice(catalogue, n, p=popularity), rng, rows)
        if i in fans:
            start = 5 * DAY + rng.exponential(2.5 * 3600)
            _listen(user, start, album[: int(rng.integers(3, 13))], rng, rows)
            for day in rng.choice(np.arange(6, 10), 2, replace=False):
                start = day * DAY + rng.uniform(8, 22) * 3600
                _listen(user, start, rng.permutation(album)[:3], rng, rows)
    log = pd.DataFrame(rows, columns=["user", "ts", "track"])
    log["ts"] = pd.to_datetime(1_700_000_000 + log["ts"], unit="s")
    return log


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_a_release_night_of_listeners_is_no_group(seed, monkeypatch):
    log = _release_log(seed)
    det = GroupDetector().fit(log, entity="user", object="track", time="ts")
    assert len(det.groups_) == 0
    # the absolute reading alone (a memoryless pace's) made the fans a group (of up to a
    # tenth of the log: kept by max_share=None, or some draws' would be a segment)
    monkeypatch.setattr(_teams, "_EVERYDAY_PACE", False)
    det = GroupDetector(max_share=None).fit(log, entity="user", object="track", time="ts")
    assert len(det.groups_) >= 1
    assert (det.group_labels_ >= 0).sum() >= 40


class _Read:
    """What paced_as_people reads of a fit: the events and the time grid."""

    def __init__(self, entities, window_s=3600.0):
        ids, offsets, times = [], [0], []
        for name, t in entities:
            ids.append(name)
            times.append(np.sort(np.asarray(t, dtype=np.float64)))
            offsets.append(offsets[-1] + len(t))
        ns = (np.concatenate(times) * 1e9).astype(np.int64)
        keys = np.zeros(ns.size, dtype=np.int64)
        self._events = _Events(
            pd.Index(ids), np.asarray(offsets, np.int64), keys, 1, pd.Index(["o"]), ns, None
        )
        window = int(window_s * 1e9)
        self._bins = (0, int(ns.max()) // window + 2, window, window // 2)


def _sessions(rng, days, gap):
    # a session of 20 events each day at 18:00, gaps drawn by gap(rng)
    out = []
    for day in range(days):
        out.append(day * DAY + 18 * 3600 + np.cumsum([gap(rng) for _ in range(20)]))
    return np.concatenate(out)


def _block(read, members, hours):
    """(rows, places) of a block over the first grid's windows at these hours."""
    names = list(read._events.ids)
    rows = np.array([names.index(m) for m in members], dtype=np.int64)
    return rows, 2 * np.asarray(hours, dtype=np.int64)


def _album(rng):
    return rng.uniform(180, 300)  # a track's length


def test_listeners_on_a_release_night_pace_as_people():
    rng = np.random.default_rng(0)
    crowd = [(f"u{i}", _sessions(rng, 6, _album)) for i in range(40)]
    read = _Read(crowd)
    # day 3's 18:00-20:00 windows, where every member listens back to back as ever
    rows, places = _block(read, [f"u{i}" for i in range(12)], [3 * 24 + 18, 3 * 24 + 19])
    median_in, median_out, n_in, n_out, fresh = _teams.everyday_pace(read, rows, places)
    assert n_in == n_out == 12 and fresh == 0
    assert 0.1 < median_in < 0.3 and 0.1 < median_out < 0.3  # (uniform 180-300 s: 0.14)
    assert _teams.population_pace(read) == pytest.approx(median_out, rel=0.2)
    assert _teams.paced_as_people(read, rows, places)


def _with_fresh(seed, n_fresh):
    # 40 listeners of six evenings, and n_fresh accounts whose whole history is day 3's
    # 18:00 hour, at the same pace
    rng = np.random.default_rng(seed)
    people = [(f"u{i}", _sessions(rng, 6, _album)) for i in range(40)]
    start = 3 * DAY + 18 * 3600
    army = [(f"alt{i}", start + np.cumsum(rng.uniform(180, 300, 20))) for i in range(n_fresh)]
    return _Read(people + army)


def test_fresh_accounts_have_no_everyday_pace():
    read = _with_fresh(1, 12)
    rows, places = _block(read, [f"alt{i}" for i in range(12)], [3 * 24 + 18, 3 * 24 + 19])
    _, median_out, n_in, n_out, fresh = _teams.everyday_pace(read, rows, places)
    assert n_in == 12 and n_out == 0 and fresh == 12 and np.isnan(median_out)
    assert not _teams.paced_as_people(read, rows, places)


def test_a_minority_of_fresh_accounts_keeps_a_crowd_from_reading_as_people():
    # (review RV s46 M4) the median member reads as the log's people, but 4 of the 12
    # members read in the block have no everyday: a script's fresh accounts inside it
    read = _with_fresh(5, 4)
    hours = [3 * 24 + 18, 3 * 24 + 19]
    members = [f"u{i}" for i in range(8)] + [f"alt{i}" for i in range(4)]
    rows, places = _block(read, members, hours)
    assert _teams.everyday_pace(read, rows, places)[4] == 4
    assert not _teams.paced_as_people(read, rows, places)
    rows, places = _block(read, [f"u{i}" for i in range(11)] + ["alt0"], hours)
    assert _teams.paced_as_people(read, rows, places)  # (one of 12: within the share)


def test_a_script_everywhere_is_below_the_logs_people():
    # people at a memoryless pace (CV 1); accounts at 35 s +- 1 s everywhere
    rng = np.random.default_rng(2)
    people = [(f"u{i}", _sessions(rng, 6, lambda r: r.exponential(120))) for i in range(40)]
    bots = [(f"bot{i}", _sessions(rng, 6, lambda r: r.uniform(34, 36))) for i in range(12)]
    read = _Read(people + bots)
    rows, places = _block(read, [f"bot{i}" for i in range(12)], [3 * 24 + 18])
    median_in, median_out, *_ = _teams.everyday_pace(read, rows, places)
    assert median_in < 0.1 and median_out < 0.1 and _teams.population_pace(read) > 0.8
    assert not _teams.paced_as_people(read, rows, places)


def test_accounts_that_leave_their_owners_pace_for_a_script_are_not_people():
    rng = np.random.default_rng(3)
    people = [(f"u{i}", _sessions(rng, 6, lambda r: r.exponential(120))) for i in range(40)]
    start = 3 * DAY + 18 * 3600
    taken = []
    for i in range(12):
        own = _sessions(rng, 6, lambda r: r.exponential(120))
        own = own[(own < start) | (own >= start + 7200)]  # the script's hour is its own
        script = start + 60 + np.cumsum(rng.uniform(34, 36, 40))
        taken.append((f"taken{i}", np.r_[own, script]))
    read = _Read(people + taken)
    rows, places = _block(read, [f"taken{i}" for i in range(12)], [3 * 24 + 18])
    median_in, median_out, *_ = _teams.everyday_pace(read, rows, places)
    assert median_in < 0.1 and median_out > 0.8
    assert not _teams.paced_as_people(read, rows, places)


def test_the_log_pace_is_read_once_per_fit():
    rng = np.random.default_rng(4)
    read = _Read([(f"u{i}", _sessions(rng, 3, _album)) for i in range(10)])
    first = _teams.population_pace(read)
    assert read._population_pace[1] == first
    read._events = _Read(
        [(f"v{i}", _sessions(rng, 3, lambda r: r.exponential(60))) for i in range(10)]
    )._events
    assert _teams.population_pace(read) > first + 0.5  # another fit's log: read anew
