"""A crowd that peels into several blocks, denser than any ring, ends the search by
``patience`` before the ring (a held-out game log of 20,000 players, seeds 339, 340, 342,
344, 669: 0 groups where 182 farm-ring and 144 alt-army accounts were planted). Pinned, not
fixed: counting a crowd's blocks in the same windows as one miss finds the ring here and
on game 339 (0 -> 250 ring accounts, other cells identical), but on the held-out web log
it reaches the drop crowd, which the null of visits takes for a group (review s31 P1;
nothing planted: 0 -> 123-183 drop shoppers in groups); patch
/work/notes/lead-s33-crowd-patience.patch, RESULTS thirty-third session."""

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector

HOUR, DAY = 3600, 86400


def _launch_and_ring(seed=751, n_players=1_500, days=14):
    rng = np.random.default_rng(seed)
    parts = []

    def session(player, start, objects, hours):
        n = int(hours * rng.integers(15, 30))
        t = start + np.sort(rng.uniform(0, hours * HOUR, n))
        parts.append(
            pd.DataFrame({"user": player, "obj": rng.choice(objects, n), "ts": t.astype(np.int64)})
        )

    zone_p = 1.0 / np.arange(1, 41)
    zone_p /= zone_p.sum()
    for player in range(n_players):
        for _ in range(rng.integers(3, 8)):
            zone = rng.choice(40, p=zone_p)
            start = int(rng.integers(0, days * DAY))
            session(player, start, np.arange(zone * 8, zone * 8 + 8), rng.integers(1, 3))
    # the launch evening: 60% of the players try the new content, 18:00 to 01:00 of day 6
    launch = np.arange(1_000, 1_200)
    for player in rng.choice(n_players, int(n_players * 0.6), replace=False):
        start = 6 * DAY + 18 * HOUR + int(rng.integers(0, 4 * HOUR))
        session(player, start, launch, rng.integers(1, 4))
    # a ring of 10 accounts: 6 rounds on 4 items of its own, each within ten minutes
    ring = np.arange(n_players, n_players + 10)
    for _ in range(6):
        start = int(rng.integers(0, days)) * DAY + int(rng.integers(8, 22)) * HOUR
        for player in ring:
            t = start + np.sort(rng.integers(0, 600, 6))
            parts.append(pd.DataFrame({"user": player, "obj": rng.choice(4, 6) + 5_000, "ts": t}))
    for player in ring:
        session(player, int(rng.integers(0, days * DAY)), np.arange(0, 8), 1)
    return pd.concat(parts, ignore_index=True), set(ring.tolist())


@pytest.mark.xfail(
    strict=True,
    reason="a crowd's blocks use up patience before the ring; the fix waits for P1 "
    "(a drop's crowd is a group): see the module docstring",
)
def test_a_crowd_in_several_blocks_is_one_miss():
    log, ring = _launch_and_ring()
    detector = GroupDetector(n_threads=1).fit(log, entity="user", object="obj", time="ts")
    found = [set(members) for members in detector.groups_["members"]]
    assert ring in found, detector.candidates_.head(8)
    # the crowd's blocks are still no group
    crowd = detector.candidates_[detector.candidates_["n_members"] > 100]
    assert len(crowd) >= 3 and not crowd["is_group"].any()
