"""A script has no think time: a block whose members' acts in its windows come a fraction
of a second apart is no team and no crowd, however irregular its gaps (graph/_teams.py
``thinks``; TR s63 H2).

A ticketing log's scalper bots went from the queue to a purchase in about 2 s at each
on-sale, 0.2 s after it opened, and listed the tickets for resale minutes later: their
gaps were irregular (coefficient of variation 1.55, a person's reading), they met on
on-sales other crowds meet on too, in a couple of sittings, and the block of 85 bots,
the most significant of the log, was dropped as "a team". The median member's median gap
in the block's windows, 0.68 s against the log's everyday 38 s, now says script. People
who raid at their own pace stay a team; a log whose people act in sub-second bursts too
reads as before (the bound is also a tenth of the log's everyday gap).
"""

from __future__ import annotations

import numpy as np
import pytest

from oddseq.graph import GroupDetector, _teams

H = 3600


def _burst_guild(game, size: int = 10):
    """A guild-like block of bots: it raids 4 of the shared bosses on two nights with the
    guilds, each member acting in bursts of 3-5 acts 0.1-0.5 s apart, a burst every minute
    or two (irregular gaps, no think time), with lives of their own."""
    rng = game.rng
    bots = game.add(size, "bot")
    game.own_lives(bots)
    hour = rng.uniform(18, 22)
    for d in rng.choice(game.days, 2, replace=False):
        start = d * 24 * H + hour * H
        kills = start + 600 + np.cumsum(rng.uniform(600, 900, 4))
        boss = rng.choice(game.bosses, 4, replace=False)
        for who in bots:
            t, times = start, []
            while t < kills[-1] + 300:
                t += rng.exponential(60.0) + 20
                burst = t + np.cumsum(rng.uniform(0.1, 0.5, int(rng.integers(3, 6))))
                times.append(burst)
            times = np.concatenate(times)
            objects = rng.choice(game.zone[:10], times.size)
            game.parts.append((np.full(times.size, who), objects, times))
            game.parts.append((np.full(4, who), boss, kills + rng.uniform(0, 2, 4)))
    return bots


def _raid_fit(raid_log, seed, whole_seconds: bool = False):
    """Players, 12 guilds of 10 and the burst bots of draw ``seed``, fitted (times cut to
    whole seconds where ``whole_seconds``): (detector, kinds)."""
    game = raid_log(seed)
    game.players(600)
    game.guilds(12, 10, "guild")
    _burst_guild(game)
    log, kinds = game.frame()
    if whole_seconds:
        log["ts"] = np.floor(log["ts"])
    det = GroupDetector(n_threads=1).fit(log, entity="player", object="target", time="ts")
    return det, kinds


@pytest.fixture(
    scope="module",
    # each draw with its times as written (to the millisecond) and cut to whole seconds,
    # where a script's acts of one second have gaps of 0 (review RV s63 M2)
    params=[(0, False), (1, False), (0, True), (1, True)],
    ids=["0-ms", "1-ms", "0-whole-seconds", "1-whole-seconds"],
)
def fitted(request, raid_log):
    seed, whole_seconds = request.param
    return _raid_fit(raid_log, seed, whole_seconds)


def _in_groups(det, kinds):
    return kinds.reindex(det.entity_ids_[det.group_labels_ >= 0]).value_counts().to_dict()


def test_bots_with_no_think_time_are_a_group(fitted):
    det, kinds = fitted
    assert _in_groups(det, kinds).get("bot", 0) >= 8, det.candidates_


def test_guilds_at_a_persons_pace_stay_teams(fitted):
    det, kinds = fitted
    assert _in_groups(det, kinds).get("guild", 0) == 0, det.candidates_


def test_the_rule_says_the_bots_were_a_team_without_it(raid_log, monkeypatch):
    """Without the think time the bots' block reads as a team (the rule is what keeps it)."""
    monkeypatch.setattr(_teams, "_NO_THINK_NS", 0)
    det, kinds = _raid_fit(raid_log, 0)
    assert _in_groups(det, kinds).get("bot", 0) == 0
    bots = set(kinds.index[kinds == "bot"])
    said = [r.why_not for _, r in det.candidates_.iterrows() if len(bots & set(r.members)) >= 8]
    assert "a team" in said and set(said) <= {"a team", "a crowd"}, det.candidates_


class _Events:
    def __init__(self, offsets, times):
        self.offsets, self.times = np.asarray(offsets), np.asarray(times, dtype=np.int64)


class _Fit:
    """What thinks and population_gap read of a fit: its events and its hour grid."""

    def __init__(self, offsets, times):
        self._events = _Events(offsets, times)
        self._bins = (0, 1, H * 10**9, H * 10**9 // 2)


def test_thinks_reads_the_bound_against_the_logs_everyday_gap():
    s = 10**9
    # two entities whose gaps are 30 s and 50 s: the everyday gap is 40 s
    people = _Fit([0, 3, 6], [0, 30 * s, 60 * s, 0, 50 * s, 100 * s])
    assert _teams.population_gap(people) == pytest.approx(40 * s)
    assert not _teams.thinks(people, 0.5 * s)  # under 1 s and a tenth of 40 s
    assert _teams.thinks(people, 1.5 * s)  # a person's second and a half
    assert _teams.thinks(people, float("nan"))  # nothing read: as before
    # a log whose people act 0.2 s apart: half a second is their everyday pace
    quick = _Fit([0, 3, 6], [0, s // 5, 2 * s // 5, 0, s // 5, 2 * s // 5])
    assert _teams.thinks(quick, 0.5 * s)
