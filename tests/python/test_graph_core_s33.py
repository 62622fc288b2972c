"""A block the synchrony test keeps is judged again on its core (review s33 HE MEDIUM-1 on
994441d): the members who take part in its meetings are a group only where their own acts
are improbable by the block's test too, so every row of ``groups_`` has a significance at
or above ``threshold`` and ``group_of`` maps its members to it."""

import numpy as np
import pandas as pd

from oddseq.graph import GroupDetector

HOUR, DAY = 3600, 86400


def _pushed_segment(seed=346, n_players=800, days=21, segment=20, response=0.6, pushes=5):
    """Ordinary players (sessions in popular zones on their own hours), and a segment of
    them that a notification brings in at 7 am on a few days, each with chance
    ``response`` after a few minutes, into that day's zone: no ring, but its members
    meet beyond their routines."""
    rng = np.random.default_rng(seed)
    zone_p = 1.0 / np.arange(1, 21)
    zone_p /= zone_p.sum()
    hour_p = np.r_[np.full(8, 0.3), np.full(8, 1.0), np.full(8, 2.0)]
    hour_p /= hour_p.sum()
    parts = []

    def session(player, start, zone, hours):
        n = int(hours * rng.integers(15, 30))
        t = start + np.sort(rng.uniform(0, hours * HOUR, n))
        objects = zone * 8 + rng.integers(0, 8, n)
        parts.append(pd.DataFrame({"user": player, "obj": objects, "ts": t.astype(np.int64)}))

    for player in range(n_players):
        for _ in range(rng.integers(3, 9)):
            start = rng.integers(0, days) * DAY + rng.choice(24, p=hour_p) * HOUR
            zone = rng.choice(20, p=zone_p)
            session(player, start + int(rng.integers(0, HOUR)), zone, rng.integers(1, 4))
    members = rng.choice(n_players, segment, replace=False)
    zones = list(rng.choice(10, pushes, replace=False))
    for day in rng.choice(days, pushes, replace=False):
        zone = zones.pop()
        for player in members:
            if rng.random() < response:
                start = day * DAY + 7 * HOUR + int(rng.exponential(600))
                session(player, start, zone, rng.integers(1, 4))
    return pd.concat(parts, ignore_index=True)


def test_every_group_beats_the_threshold_and_holds_its_members():
    log = _pushed_segment()
    detector = GroupDetector(n_threads=1).fit(log, entity="user", object="obj", time="ts")
    groups = detector.groups_
    assert (groups["significance"] >= detector.threshold).all(), groups
    for number, members in enumerate(groups["members"]):
        assert (detector.group_of(members) == number).all()
    candidates = detector.candidates_
    if len(candidates):
        held = candidates[candidates["is_group"]]
        assert (held["significance"] >= detector.threshold).all()
