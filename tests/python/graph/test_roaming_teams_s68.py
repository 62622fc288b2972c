"""Colleagues who order lunch together, from another restaurant each weekday, are a
team, not a ring (``graph._crowd.roams``; TR s68 H2).

A delivery app's office teams of 5-11 colleagues met on 2-6 weekday lunches, each time at
another popular restaurant: beyond any null of independent customers, and 12 groups of
a log with nothing planted (4.5% of its customers flagged). A ring works its rounds on
objects of its own (the shop it brushes comes back in every round, and its members are
most of that shop's customers), or runs a script, or lives nowhere else; a team that
picks another place at each meeting, a place others use too, at a person's pace, with
lives of its own, does none of those.
"""

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector, _crowd

DAY, HOUR = 86_400, 3_600
T0 = 1_700_006_400  # a Wednesday's midnight (UTC)
N_SHOPS = 300


def _session(rows, who, shop, start, rng, gap=lambda rng: rng.exponential(45.0) + 2):
    # a customer's order: looks at the restaurant, a few items, pays (all on the shop),
    # a person's gaps (memoryless, 2 s at least)
    t = start
    for _ in range(int(rng.integers(4, 8))):
        rows.append((who, shop, t))
        t += gap(rng)


def _log(seed, n_teams=3, team_size=8, ring=None):
    """900 customers over 14 days, 4-9 orders each from Zipf-popular restaurants at any
    hour; ``n_teams`` offices whose colleagues also order together at 12:00-12:20 on 5
    weekdays, each day from another of the 40 most popular restaurants (a session each,
    within minutes of each other). ``ring``: "own" adds 8 accounts that order together
    on 5 afternoons from their own 2 small restaurants (one or the other each round);
    "script" adds 8 that order as a team does but at 2 s a step."""
    rng = np.random.default_rng(seed)
    weight = 1 / np.arange(1, N_SHOPS + 1) ** 1.1
    weight /= weight.sum()
    rows = []
    customers = [f"u{i}" for i in range(900)]
    for who in customers:
        for _ in range(int(rng.integers(4, 10))):
            start = T0 + rng.uniform(0, 14 * DAY)
            _session(rows, who, int(rng.choice(N_SHOPS, p=weight)), start, rng)
    weekdays = [d for d in range(14) if (d + 2) % 7 < 5]  # (T0 is a Wednesday)
    for team in range(n_teams):
        for day in rng.choice(weekdays, 5, replace=False):
            shop = int(rng.integers(0, 40))
            for m in range(team_size):
                start = T0 + int(day) * DAY + 12 * HOUR + rng.uniform(0, 1200)
                _session(rows, f"team{team}_{m}", shop, start, rng)
        for m in range(team_size):  # (and lives of their own)
            for _ in range(int(rng.integers(3, 7))):
                start = T0 + rng.uniform(0, 14 * DAY)
                _session(rows, f"team{team}_{m}", int(rng.choice(N_SHOPS, p=weight)), start, rng)
    if ring is not None:
        for r, day in enumerate([1, 3, 5, 8, 10]):
            shop = 1000 + r % 2 if ring == "own" else int(rng.integers(0, 40))
            person = lambda rng: rng.exponential(45.0) + 2  # noqa: E731
            step = (lambda rng: 2.0) if ring == "script" else person
            for m in range(8):
                start = T0 + day * DAY + 15 * HOUR + rng.uniform(0, 1200)
                _session(rows, f"ring{m}", shop, start, rng, gap=step)
        for m in range(8):
            for _ in range(4):
                start = T0 + rng.uniform(0, 14 * DAY)
                _session(rows, f"ring{m}", int(rng.choice(N_SHOPS, p=weight)), start, rng)
    return pd.DataFrame(rows, columns=["user", "shop", "ts"])


def _grouped(log):
    det = GroupDetector().fit(log, entity="user", object="shop", time="ts")
    names = pd.Index(det.entity_ids_).astype(str)
    return det, names[np.asarray(det.group_labels_) >= 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_colleagues_lunching_at_another_place_each_day_are_no_group(seed, monkeypatch):
    log = _log(seed)
    det, grouped = _grouped(log)
    assert not grouped.str.startswith("team").any(), list(grouped)
    # read as before (no roaming team), the colleagues are groups
    monkeypatch.setattr(_crowd, "roams", lambda *args: {"roams": False})
    det, grouped = _grouped(log)
    assert grouped.str.startswith("team").sum() >= 5


@pytest.mark.parametrize("seed", [0, 1])
def test_a_ring_on_restaurants_of_its_own_stays_a_group(seed):
    det, grouped = _grouped(_log(seed, ring="own"))
    assert grouped.str.startswith("ring").sum() >= 6, list(grouped)
    assert not grouped.str.startswith("team").any()


@pytest.mark.parametrize("seed", [0, 1])
def test_a_ring_at_a_scripts_pace_on_popular_places_stays_a_group(seed):
    det, grouped = _grouped(_log(seed, ring="script"))
    assert grouped.str.startswith("ring").sum() >= 6, list(grouped)


def test_what_was_read_is_said():
    log = _log(0, n_teams=1)
    det = GroupDetector().fit(log, entity="user", object="shop", time="ts")
    names = pd.Index(det.entity_ids_).astype(str)
    rows = np.flatnonzero(names.str.startswith("team"))
    # the team's five lunches: one block of its columns, read as the search reads it
    read = []
    real = _crowd.roams

    def keep(*args):
        read.append(real(*args))
        return read[-1]

    _crowd.roams = keep
    try:
        GroupDetector().fit(log, entity="user", object="shop", time="ts")
    finally:
        _crowd.roams = real
    assert rows.size == 8
    said = [r for r in read if r["roams"]]
    assert said
    for r in said:
        assert r["sittings"] >= 2 and r["median_object_sittings"] == 1
        assert r["largest_share"] < 0.5 and r["pace_cv"] >= 0.85 and r["fresh"] <= 0.2
