"""The group stage's synchrony test (graph/_synchrony.py, review s29 MEDIUM-9): a ring
whose accounts log in together keeps its evidence where the null of visits explains its
shared objects (a popular zone everyone farms); members who meet only when the whole log
is busy (a launch, an event everyone joins) do not."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

import oddseq.graph._detector as detector_module
from oddseq.graph import GroupDetector
from oddseq.graph._synchrony import (
    SessionStarts,
    log10_coincidence_sf,
    meetings,
    synchrony_stats,
)

H = 3600
NS = 10**9


def players(seed, ring=10, ring_days=5, n_users=800, days=21):
    """Players of 20 zones of 8 objects (zones by Zipf popularity), each with 3-8
    sessions of 1-3 hours at their own hours (evenings busiest), 15-30 acts an hour on
    the zone's objects; a ring of accounts that start sessions together (within ten
    minutes) on ``ring_days`` nights, in one of the three most popular zones each time."""
    rng = np.random.default_rng(seed)
    zone_p = 1.0 / np.arange(1, 21)
    zone_p /= zone_p.sum()
    hour_p = np.r_[np.full(8, 0.3), np.full(8, 1.0), np.full(8, 2.0)]
    hour_p /= hour_p.sum()
    parts = []

    def session(user, start, zone, hours):
        n = int(hours * rng.integers(15, 30))
        t = start + np.sort(rng.uniform(0, hours * H, n))
        obj = zone * 8 + rng.integers(0, 8, n)
        parts.append(pd.DataFrame({"user": user, "obj": obj, "ts": t.astype(np.int64)}))

    for u in range(n_users):
        for _ in range(rng.integers(3, 9)):
            start = rng.integers(0, days) * 86400 + rng.choice(24, p=hour_p) * H
            session(
                u, start + int(rng.integers(0, H)), rng.choice(20, p=zone_p), rng.integers(1, 4)
            )
    members = np.arange(10**6, 10**6 + ring)
    for day in rng.choice(days, ring_days, replace=False):
        start = day * 86400 + int(rng.integers(0, 8)) * H + int(rng.integers(0, H))
        zone, hours = rng.choice(3), rng.integers(2, 4)
        for m in members:
            session(m, start + int(rng.integers(0, 600)), zone, hours)
    return pd.concat(parts, ignore_index=True), members


def groups(log, **kw):
    found = GroupDetector(**kw).fit(log, entity="user", object="obj", time="ts")
    return found.groups_["members"].map(sorted).tolist(), found


@pytest.fixture(scope="module")
def ring_night():
    return players(8)


def test_a_ring_that_logs_in_together_on_a_popular_zone_is_found(ring_night, monkeypatch):
    # Its members act on the zone's objects as every player there does (the null of
    # visits explains their acts: 0 groups before); they start their sessions within
    # ten minutes of each other on five nights, which their own few sessions and those
    # hours' quiet do not explain.
    log, members = ring_night
    monkeypatch.setattr(detector_module, "_SYNCHRONY", False)
    assert groups(log)[0] == []
    monkeypatch.setattr(detector_module, "_SYNCHRONY", True)
    found, det = groups(log)
    assert found == [members.tolist()]
    assert det.groups_["significance"].iloc[0] >= 2.0


def test_the_synchrony_group_does_not_depend_on_threads_or_row_order(ring_night):
    log, members = ring_night
    one, det1 = groups(log, n_threads=1)
    shuffled = log.sample(frac=1.0, random_state=1).reset_index(drop=True)
    two, det2 = groups(shuffled, n_threads=2)
    assert one == two == [members.tolist()]
    pd.testing.assert_frame_equal(
        det1.groups_.drop(columns=["members"]), det2.groups_.drop(columns=["members"])
    )


def test_no_ring_no_group():
    log, _ = players(8, ring=0)
    assert groups(log)[0] == []


def launch_log(n=300, seed=0):
    """``n`` players with 6 sessions at their own hours of 30 days, and every one of
    them at the launch (hour 18) and at an event a week later (hour 186)."""
    rng = np.random.default_rng(seed)
    hours = [np.r_[rng.choice(np.arange(24, 720), 6, replace=False), 18, 186] for _ in range(n)]
    offsets = np.r_[0, np.cumsum([h.size for h in hours])]
    return hours, offsets


def test_meeting_when_everyone_is_there_is_no_synchrony():
    hours, offsets = launch_log()
    starts = SessionStarts(
        offsets, np.concatenate(hours) * H * NS + 60 * NS, 0, H * NS, H * NS // 2, 720
    )
    # 40 players who met at the launch (the block) and again at the event: the event
    # hour is busy for everyone, so meeting there is what every player does.
    crowd = synchrony_stats(starts, np.arange(40), np.array([17, 18, 19]), 2.4)
    assert crowd["observed_meetings"] >= 39
    assert crowd["log10_p"] < 1.0 and crowd["significance"] < 0


def test_meeting_at_quiet_hours_is_synchrony():
    hours, offsets = launch_log()
    # 8 of them also start together in five quiet hours
    for i in range(8):
        hours[i] = np.r_[hours[i], [300, 350, 400, 450, 500]]
    offsets = np.r_[0, np.cumsum([h.size for h in hours])]
    starts = SessionStarts(offsets, np.concatenate(hours) * H * NS, 0, H * NS, H * NS // 2, 720)
    ring = synchrony_stats(starts, np.arange(8), np.array([17, 18, 19]), 2.4)
    assert ring["significance"] > 10
    others = synchrony_stats(starts, np.arange(8, 16), np.array([17, 18, 19]), 2.4)
    assert others["significance"] < 0
    # each ring account meets the other seven; a player beside them does not
    log10_sf = meetings(starts, np.arange(1, 8), np.array([0, 100]), np.array([17, 18, 19]))
    assert log10_sf[0] < -4 and log10_sf[1] > -1


def test_sessions_touching_the_block_are_left_out():
    # Two accounts whose only meeting is one session that runs through the block's
    # window (it started three hours before it): no evidence left.
    h = H * NS
    times = np.array([5, 6, 7, 8, 5, 6, 7, 8]) * h
    starts = SessionStarts(np.array([0, 4, 8]), times, 0, h, h // 2, 20)
    stats = synchrony_stats(starts, np.arange(2), np.array([7, 8, 9]), 0.0)
    assert stats["observed_meetings"] == 0 and stats["log10_p"] == 0


@pytest.mark.parametrize(
    "mu, n, observed",
    [(0.1, 700, 40), (0.1, 700, 8), (1.5, 50, 60), (0.01, 2000, 6), (3.0, 20, 60)],
)
def test_the_coincidence_bound_is_an_upper_bound_of_the_exact_tail(mu, n, observed):
    # S = sum over windows of (Y - 1)^+, Y ~ Poisson(mu), by convolution
    pmf = poisson.pmf(np.arange(200), mu)
    one = np.r_[pmf[0] + pmf[1], pmf[2:]]
    total = np.array([1.0])
    for _ in range(n):
        total = np.convolve(total, one)[:400]
    exact = np.log10(total[observed:].sum())
    bound = log10_coincidence_sf(observed, np.full(n, mu))
    assert exact <= bound + 1e-9
    assert bound - exact < 1.5


def test_a_bernoulli_window_is_dominated_by_its_poisson():
    # X_w a Poisson-binomial count: the bound from Poisson windows of the same means
    # holds for the exact law too (4 members of chance 0.3 in each of 40 windows).
    p = np.full(4, 0.3)
    law = np.array([1.0])
    for q in p:
        law = np.convolve(law, [1 - q, q])
    one = np.r_[law[0] + law[1], law[2:]]
    total = np.array([1.0])
    for _ in range(40):
        total = np.convolve(total, one)
    for observed in (20, 30, 45):
        exact = np.log10(total[observed:].sum())
        assert exact <= log10_coincidence_sf(observed, np.full(40, p.sum())) + 1e-9
        binomial = log10_coincidence_sf(observed, np.full(40, p.sum()), n=np.full(40, 4))
        assert exact <= binomial + 1e-9
