"""A closed market's people are no group; a ring in the open market still is (TR s60 H1).

A small town's riders can ride only with its few drivers, and only with those on shift
at the hour: its commuters meet on them morning after morning by the town's size. Read
against each driver's share of the whole log's hour they were a lockstep ring (a trial's
84 riders on an 8-driver fleet, "chance 4e-102"; here 13-21 of 40 town riders on 6
drivers in 5 of 6 draws). A window's objects are now also read among their market's
acts there: the others who act on the block's objects in windows of their own."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import oddseq
from oddseq.graph import GroupDetector

sys.path.insert(0, str(Path(__file__).parent))
from market_rides import ROLES, market_rides  # noqa: E402


def _table(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oddseq.detect_anomalies(market_rides(seed=seed), **ROLES, random_state=0)


def _in_groups(table, prefix):
    grouped = table.index[table["group"] >= 0]
    return [m for m in grouped if m.startswith(prefix) and (prefix != "r" or m[1:].isdigit())]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_towns_riders_are_no_group(seed):
    table = _table(seed)
    assert _in_groups(table, "town-") == []
    assert _in_groups(table, "r") == []  # nor the city's riders (ring members may be)


def test_without_the_market_the_town_is_a_group(monkeypatch):
    from oddseq.graph import _detector

    monkeypatch.setattr(_detector, "_MARKET_NULL", False)
    assert len(_in_groups(_table(1), "town-")) >= 10


def test_the_citys_rings_stay_groups_beside_the_town():
    table = _table(4)
    assert _in_groups(table, "town-") == []
    for ring in ("ring0-", "ring1-"):
        members = _in_groups(table, ring)
        assert len(members) >= 5, ring
        # each ring its own group
        assert table.loc[members, "group"].nunique() == 1
    assert set(table.loc[_in_groups(table, "ring0-"), "group"]).isdisjoint(
        table.loc[_in_groups(table, "ring1-"), "group"]
    )


def test_the_towns_block_is_found_and_explained():
    """The search still meets the town's commuters as a dense block; the null reads
    them as the town's market, not as a ring ("not significant")."""
    df = market_rides(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = GroupDetector().fit(df.dropna(), entity="rider", object="driver", time="t")
    blocks = found.candidates_
    of_town = blocks["members"].map(lambda m: np.mean([x.startswith("town-") for x in m]))
    town = blocks[of_town > 0.8]
    assert len(town) >= 1
    assert (~town["is_group"]).all()
    assert set(town["why_not"]) <= {"not significant", "a team", "a crowd"}


HOUR = 3_600


def _market_of(rows, members, block_hours):
    """`_market` on a log of (entity, object, second) rows, hour windows from 0."""
    import pandas as pd

    from oddseq.graph._detector import _market
    from oddseq.graph._graph import events_for_graph, object_acts

    df = pd.DataFrame(rows, columns=["who", "what", "t"])
    ev = events_for_graph(df, entity="who", object="what", time="t")
    window_ns = HOUR * 10**9
    t0 = 0
    objects = np.flatnonzero(np.isin(ev.object_labels, ["A", "B"]))
    acts = object_acts(ev, objects, t0, window_ns)
    member_rows = np.flatnonzero(np.isin(ev.ids, members))
    n_bins = int((ev.times.max() - t0) // window_ns) + 2
    windows = np.asarray(block_hours)
    event = np.flatnonzero(np.isin((ev.times - t0) // window_ns, windows))
    event_row = np.searchsorted(ev.offsets, event, side="right") - 1
    keys, market_rows, _, _ = _market(
        ev, acts, member_rows, windows, lambda _: (event, event_row), n_bins, t0, window_ns
    )
    return sorted(ev.ids[market_rows]) if keys.size else []


def _town(n=12, days=6):
    """n riders of a town on its drivers A and B, one ride a day each at 8 or 9; the
    riders past the sixth also ride at noon every other day (a life of their own on
    the drivers, in hours the first six do not ride)."""
    rng = np.random.default_rng(0)
    rows = [
        (f"u{i}", "AB"[int(rng.integers(0, 2))], d * 24 * HOUR + (8 + i % 2) * HOUR + 60 * i)
        for i in range(n)
        for d in range(days)
    ]
    rows += [
        (f"u{i}", "AB"[int(rng.integers(0, 2))], d * 24 * HOUR + 12 * HOUR + 60 * i)
        for i in range(6, n)
        for d in range(0, days, 2)
    ]
    return rows


def test_a_towns_other_riders_are_its_market():
    block = [f"u{i}" for i in range(6)]
    hours = [d * 24 + h for d in range(6) for h in (8, 9)]
    assert _market_of(_town(), block, hours) == sorted(f"u{i}" for i in range(6, 12))


def test_a_rings_members_left_outside_are_no_market():
    block = [f"u{i}" for i in range(10)]  # two left outside: too few
    hours = [d * 24 + h for d in range(6) for h in (8, 9)]
    assert _market_of(_town(), block, hours) == []


def test_passers_by_who_act_mostly_elsewhere_are_no_market():
    # a ring of 7 on A and B at 2 at night, six nights; 8 shoppers who pass by A once
    # and browse 3 items of their own in each of the ring's hours
    rows = [
        (f"ring{i}", "AB"[i % 2], d * 24 * HOUR + 2 * HOUR + 60 * i)
        for i in range(7)
        for d in range(6)
    ]
    for j in range(8):
        rows.append((f"p{j}", "A", 30 * 24 * HOUR + j * HOUR))
        rows += [
            (f"p{j}", f"item{j}-{k}", d * 24 * HOUR + 2 * HOUR + 300 * k)
            for d in range(6)
            for k in range(3)
        ]
    block = [f"ring{i}" for i in range(7)]
    hours = [d * 24 + 2 for d in range(6)]
    assert _market_of(rows, block, hours) == []
    # the same shoppers acting on A and B alone in those hours are a closed market
    closed = [r for r in rows if not r[1].startswith("item")]
    closed += [(f"p{j}", "B", d * 24 * HOUR + 2 * HOUR + 900) for j in range(8) for d in range(6)]
    assert _market_of(closed, block, hours) == sorted(f"p{j}" for j in range(8))


def _ring_with_periphery(seed, n_core=8, n_periphery=30, rounds=8):
    """A shop of 400 users on 300 items by popularity over 14 days, and a ring of fresh
    accounts on 2 items of its own: a core of ``n_core`` in each of ``rounds`` night
    rounds, and ``n_periphery`` accounts that each join 2 of the rounds (review RV s61
    H1: the block takes the core, and the periphery, acting on the ring's items alone,
    read as their closed market)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    day = 24 * HOUR
    popularity = 1 / np.arange(1, 301) ** 0.8
    popularity /= popularity.sum()
    rows = []
    for u in range(400):
        for _ in range(int(rng.integers(5, 30))):
            t = int(rng.integers(0, 14 * day))
            for k in range(int(rng.integers(1, 4))):
                rows.append((f"u{u}", f"i{rng.choice(300, p=popularity)}", t + 60 * k))
    nights = np.sort(rng.choice(14, rounds, replace=False))
    starts = [int(n * day + 2 * HOUR + rng.integers(0, 1200)) for n in nights]
    for c in range(n_core):
        for s in starts:
            rows.append((f"core{c}", "AB"[int(rng.integers(0, 2))], s + int(rng.integers(0, 900))))
    for p in range(n_periphery):
        for s in rng.choice(starts, 2, replace=False):
            rows.append(
                (f"peri{p}", "AB"[int(rng.integers(0, 2))], int(s) + int(rng.integers(0, 900)))
            )
    return pd.DataFrame(rows, columns=["who", "what", "t"])


@pytest.mark.parametrize("seed", [0, 1])
def test_a_rings_periphery_is_no_market(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = GroupDetector().fit(_ring_with_periphery(seed), entity="who", object="what", time="t")
    core = {f"core{c}" for c in range(8)}
    assert any(len(core & set(m)) >= 6 for m in det.groups_["members"])
