"""The group stage's synchrony test (graph/_synchrony.py, review s29 MEDIUM-9, review
s30 HIGH-1): a ring whose accounts log in together keeps its evidence where the null of
visits explains its shared objects (a popular zone everyone farms), inside a time zone
too; members are judged against their own hour-of-day and day-of-week routine, their own
span of activity and the busyness of users like them, so a time zone, a weekend crowd,
the newcomers of one launch week and a launch that everyone joins are no ring."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, poisson

import oddseq.graph._detector as detector_module
from oddseq.graph import GroupDetector
from oddseq.graph._synchrony import (
    SessionStarts,
    log10_coincidence_sf,
    log10_excess_sf,
    participation,
    synchrony_stats,
)

H = 3600
NS = 10**9
HNS = H * NS
TESTS = float(np.log10(64))  # the blocks a search may judge at the defaults, about


def players(seed, ring=10, ring_days=5, n_users=800, days=21, night=0.0, ring_night=False):
    """Players of 20 zones of 8 objects (zones by Zipf popularity), each with 3-8
    sessions of 1-3 hours at their own hours (evenings busiest), 15-30 acts an hour on
    the zone's objects; a share ``night`` of them (a time zone) play only at 1-4am. A
    ring of accounts that start sessions together (within ten minutes) on
    ``ring_days`` nights, in one of the three most popular zones each time, at 0-8am
    (``ring_night``: at 1-4am, inside the time zone's hours, and the ring's accounts
    also play on their own as the time zone does)."""
    rng = np.random.default_rng(seed)
    zone_p = 1.0 / np.arange(1, 21)
    zone_p /= zone_p.sum()
    hour_p = np.r_[np.full(8, 0.3), np.full(8, 1.0), np.full(8, 2.0)]
    hour_p /= hour_p.sum()
    night_p = np.r_[0.0, np.full(4, 1.0), np.zeros(19)]
    night_p /= night_p.sum()
    parts = []

    def session(user, start, zone, hours):
        n = int(hours * rng.integers(15, 30))
        t = start + np.sort(rng.uniform(0, hours * H, n))
        obj = zone * 8 + rng.integers(0, 8, n)
        parts.append(pd.DataFrame({"user": user, "obj": obj, "ts": t.astype(np.int64)}))

    def own(u, p):
        for _ in range(rng.integers(3, 9)):
            start = rng.integers(0, days) * 86400 + rng.choice(24, p=p) * H
            session(
                u, start + int(rng.integers(0, H)), rng.choice(20, p=zone_p), rng.integers(1, 4)
            )

    n_night = int(night * n_users)
    for u in range(n_users):
        own(u, night_p if u < n_night else hour_p)
    members = np.arange(10**6, 10**6 + ring)
    for day in rng.choice(days, ring_days, replace=False):
        hour = int(rng.integers(1, 5)) if ring_night else int(rng.integers(0, 8))
        start = day * 86400 + hour * H + int(rng.integers(0, H))
        zone, hours = rng.choice(3), rng.integers(2, 4)
        for m in members:
            session(m, start + int(rng.integers(0, 600)), zone, hours)
    if ring_night:
        for m in members:
            own(m, night_p)
    return pd.concat(parts, ignore_index=True), members


def groups(log, **kw):
    found = GroupDetector(**kw).fit(log, entity="user", object="obj", time="ts")
    return found.groups_["members"].map(sorted).tolist(), found


@pytest.fixture(scope="module")
def ring_day():
    return players(8)


@pytest.fixture(scope="module")
def ring_in_time_zone():
    return players(0, night=0.2, ring_night=True)


def test_a_ring_that_logs_in_together_on_a_popular_zone_is_found(ring_day, monkeypatch):
    # Its members act on the zone's objects as every player there does (the null of
    # visits explains their acts: no group without the test); they start their sessions
    # within ten minutes of each other on five nights, which their own routine and
    # those hours' busyness do not explain.
    log, members = ring_day
    monkeypatch.setattr(detector_module, "_SYNCHRONY", False)
    assert groups(log)[0] == []
    monkeypatch.setattr(detector_module, "_SYNCHRONY", True)
    found, det = groups(log)
    assert found == [members.tolist()]
    assert det.groups_["significance"].iloc[0] >= 2.0


def test_a_group_held_by_its_meetings_says_so(ring_day):
    # The null of visits explains its acts, so its sentence must not credit them (review
    # s33 HE MEDIUM-2: "each acted in 26.9 of the group's pairs where entities like these
    # would have 4.1 (chance 6e-12)", the chance being the meetings' test's).
    log, members = ring_day
    _, det = groups(log)
    assert det.groups_["held_by"].tolist() == ["meetings"]
    assert det.candidates_["held_by"].isin(["acts", "meetings"]).all()
    said = det.explain([members[0]]).iloc[0]
    assert "as their own activity explains" in said
    assert "started a session in the same 1 h window" in said
    assert "where independent entities like these" not in said
    figures = det._meetings[0]
    assert figures["observed"] > figures["expected"]
    assert figures["windows"] >= 1 and figures["level"] >= 1
    assert f"{figures['windows']} time" in said


def test_a_group_held_by_its_acts_says_its_acts():
    # A ring on objects of its own: its acts beat the nulls, and its sentence says them.
    rng = np.random.default_rng(5)
    users = np.repeat(np.arange(1500), 8)
    rows = [
        pd.DataFrame(
            {
                "user": users,
                "obj": rng.integers(0, 400, users.size),
                "ts": rng.integers(0, 20 * 86400, users.size),
            }
        )
    ]
    for day in range(4):
        for m in range(8):
            t = day * 86400 * 4 + 3 * H + rng.integers(0, 600, 3)
            rows.append(pd.DataFrame({"user": 10**6 + m, "obj": [900, 901, 902], "ts": t}))
    found, det = groups(pd.concat(rows, ignore_index=True))
    assert found == [list(range(10**6, 10**6 + 8))]
    assert det.groups_["held_by"].tolist() == ["acts"]
    said = det.explain([10**6]).iloc[0]
    # (the null's one act each given: its excess said, s42)
    # (and as what independent entities would do, TR s58 L6)
    assert "pairs, where independent entities like these, sharing one pair, would share" in said
    assert "more on average" in said and "session" not in said


def test_a_ring_inside_a_time_zone_is_found(ring_in_time_zone, monkeypatch):
    # A fifth of the players live at 1-4am; the ring's accounts are among them (they
    # play on their own at those hours too) and meet at those hours on five nights:
    # the hours are their zone's, the nights are the ring's.
    log, members = ring_in_time_zone
    monkeypatch.setattr(detector_module, "_SYNCHRONY", False)
    assert groups(log)[0] == []
    monkeypatch.setattr(detector_module, "_SYNCHRONY", True)
    assert groups(log)[0] == [members.tolist()]


def test_the_synchrony_group_does_not_depend_on_threads_or_row_order(ring_in_time_zone):
    # (GroupDetector draws nothing at random: no random_state to fix)
    log, members = ring_in_time_zone
    one, det1 = groups(log, n_threads=1)
    shuffled = log.sample(frac=1.0, random_state=1).reset_index(drop=True)
    two, det2 = groups(shuffled, n_threads=2)
    assert one == two == [members.tolist()]
    pd.testing.assert_frame_equal(
        det1.groups_.drop(columns=["members"]), det2.groups_.drop(columns=["members"])
    )


def test_no_ring_no_group():
    # (a fifth of the players in a time zone at 1-4am)
    log, _ = players(8, ring=0, night=0.2)
    assert groups(log)[0] == []


def time_zone_log(seed, frac=0.1, n=3000, days=30):
    """Review s30 HIGH-1's log (/tmp/h8/tz3.py): nothing planted; a share ``frac`` of the
    users live at 2-4am and use 20 regional services (300-319) 70% of the time."""
    rng = np.random.default_rng(seed)
    svc_p = 1 / np.arange(1, 301)
    svc_p /= svc_p.sum()
    reg_p = 1 / np.arange(1, 21)
    reg_p /= reg_p.sum()
    n_sessions = rng.integers(5, 30, n)
    user = np.repeat(np.arange(n), n_sessions)
    day = rng.integers(0, days, user.size)
    coh = user < int(frac * n)
    hour = np.where(coh, rng.integers(2, 5, user.size), rng.integers(0, 24, user.size))
    start = day * 86400 + hour * 3600 + rng.integers(0, 3600, user.size)
    ne = rng.integers(2, 7, user.size)
    user, ss = np.repeat(user, ne), np.repeat(start, ne)
    coh = user < int(frac * n)
    ts = ss + rng.integers(0, 1200, user.size)
    own = rng.random(user.size) < 0.5
    regional = coh & (rng.random(user.size) < 0.7)
    svc = np.where(
        regional, 300 + rng.choice(20, user.size, p=reg_p), rng.choice(300, user.size, p=svc_p)
    )
    return pd.DataFrame({"user": user, "obj": np.where(own, 10_000 + user, svc), "ts": ts})


def test_a_time_zone_gains_no_group(monkeypatch):
    # The synchrony test read against the whole log's busyness rescued blocks of the
    # zone's users (50 and 45 members, review s30 HIGH-1); read against their own
    # hours it rescues none (what the null of visits finds without it is its own).
    log = time_zone_log(0)
    monkeypatch.setattr(detector_module, "_SYNCHRONY", False)
    without, _ = groups(log)
    monkeypatch.setattr(detector_module, "_SYNCHRONY", True)
    assert groups(log)[0] == without


def cohorts(seed=0, n=1500, days=28):
    """Session starts of ``n`` users with 5-30 sessions at random hours of ``days``
    days, but for the first 150 (a time zone: hours 2-4 only), the next 150 (two days
    of the week only), the next 150 (newcomers of one launch: days 10-13 only)."""
    rng = np.random.default_rng(seed)
    times = []
    for u in range(n):
        k = int(rng.integers(5, 30))
        d, h = rng.integers(0, days, k), rng.integers(0, 24, k)
        if u < 150:
            h = rng.integers(2, 5, k)
        elif u < 300:
            d = rng.integers(0, days // 7, k) * 7 + rng.integers(5, 7, k)
        elif u < 450:
            d = rng.integers(10, 14, k)
        times.append(np.sort(d * 24 + h) * HNS + rng.integers(0, HNS // 3, k))
    return times, rng


def starts_of(times, n_bins):
    offsets = np.r_[0, np.cumsum([t.size for t in times])]
    return SessionStarts(offsets, np.concatenate(times), 0, HNS, HNS // 2, n_bins)


@pytest.mark.parametrize("first", [0, 150, 300, 900])
def test_a_routine_shared_with_its_cohort_is_no_synchrony(first):
    # Ten users of one time zone (hours 2-4), one weekend (two days of the week), one
    # launch week's newcomers, or ten ordinary users: their own routines explain their
    # meetings (the whole log's busyness read 200 of 200 such draws of a time zone as
    # synchronous, median significance 18).
    times, rng = cohorts()
    starts = starts_of(times, 28 * 24 + 2)
    sig = []
    for _ in range(15):
        rows = np.sort(rng.choice(np.arange(first, first + 150), 10, replace=False))
        w = int(rng.integers(10, 28 * 24 - 10))
        sig.append(synchrony_stats(starts, rows, np.arange(w - 1, w + 2), TESTS)["significance"])
    assert max(sig) < 0


def test_a_ring_inside_a_time_zone_meets_beyond_its_routine():
    # Ten of the time zone's users also start together at 3am on five days; ten fresh
    # accounts whose only sessions are a ring's three mornings.
    times, rng = cohorts()
    days = rng.choice(28, 5, replace=False)
    for u in range(10):
        together = days * 24 * HNS + 3 * HNS + rng.integers(0, 600 * NS, 5)
        times[u] = np.sort(np.r_[times[u], together])
    mornings = rng.choice(28, 3, replace=False)
    times += [np.sort(mornings * 24 * HNS + 10 * HNS + rng.integers(0, 600 * NS, 3))] * 10
    starts = starts_of(times, 28 * 24 + 2)
    block = int(days[0]) * 24 + 3
    zone = synchrony_stats(starts, np.arange(10), np.arange(block - 1, block + 2), TESTS)
    assert zone["significance"] >= 2
    fresh = np.arange(len(times) - 10, len(times))
    block = int(mornings[0]) * 24 + 10
    ring = synchrony_stats(starts, fresh, np.arange(block - 1, block + 2), TESTS)
    assert ring["significance"] >= 2
    # who takes part in the meetings: the ring, not a zone user beside it
    part, n = participation(
        starts,
        fresh,
        np.r_[fresh, 11],
        np.arange(block - 1, block + 2),
        ring["meeting_level"],
        ring["grid"],
    )
    assert n >= 1 and (part[:10] == n).all() and part[10] == 0


def launch_log(n=300, seed=0):
    """``n`` players with 6 sessions at their own hours of 30 days, and every one of
    them at the launch (hour 18) and at an event a week later (hour 186)."""
    rng = np.random.default_rng(seed)
    hours = [np.r_[rng.choice(np.arange(24, 720), 6, replace=False), 18, 186] for _ in range(n)]
    offsets = np.r_[0, np.cumsum([h.size for h in hours])]
    return hours, offsets


def test_meeting_when_everyone_is_there_is_no_synchrony():
    hours, offsets = launch_log()
    starts = SessionStarts(offsets, np.concatenate(hours) * HNS + 60 * NS, 0, HNS, HNS // 2, 720)
    # 40 players who met at the launch (the block) and again at the event: the event
    # hour is busy for everyone like them, so meeting there is what every player does.
    crowd = synchrony_stats(starts, np.arange(40), np.array([17, 18, 19]), 2.4)
    assert crowd["log10_p"] < 1.0 and crowd["significance"] < 0


def test_meeting_at_quiet_hours_is_synchrony():
    hours, offsets = launch_log()
    # 8 of them also start together in five quiet hours
    for i in range(8):
        hours[i] = np.r_[hours[i], [300, 350, 400, 450, 500]]
    offsets = np.r_[0, np.cumsum([h.size for h in hours])]
    starts = SessionStarts(offsets, np.concatenate(hours) * HNS, 0, HNS, HNS // 2, 720)
    ring = synchrony_stats(starts, np.arange(8), np.array([17, 18, 19]), 2.4)
    assert ring["significance"] > 5
    others = synchrony_stats(starts, np.arange(8, 16), np.array([17, 18, 19]), 2.4)
    assert others["significance"] < 0


def test_sessions_touching_the_block_are_left_out():
    # Two accounts whose only meeting is one session that runs through the block's
    # window (it started three hours before it): no evidence left.
    times = np.array([5, 6, 7, 8, 5, 6, 7, 8]) * HNS
    starts = SessionStarts(np.array([0, 4, 8]), times, 0, HNS, HNS // 2, 20)
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


@pytest.mark.parametrize(
    "members, p, windows, c, observed",
    [(10, 0.1, 300, 3, 12), (10, 0.3, 100, 4, 30), (20, 0.05, 500, 8, 6), (6, 0.5, 50, 1, 60)],
)
def test_the_excess_bound_is_an_upper_bound_of_the_exact_tail(members, p, windows, c, observed):
    # S = sum over windows of (X - c)^+, X a Poisson-binomial count of members whose
    # chances spread around p (the binomial of the same mean dominates it), by
    # convolution of the exact law of one window
    q = np.linspace(0.5, 1.5, members) * p
    law = np.array([1.0])
    for chance in q:
        law = np.convolve(law, [1 - chance, chance])
    one = np.zeros(members + 1)
    np.add.at(one, np.maximum(np.arange(members + 1) - c, 0), law)
    total = np.array([1.0])
    for _ in range(windows):
        total = np.convolve(total, one)[:400]
    exact = np.log10(max(total[observed:].sum(), 1e-300))
    mu = np.full(windows, q.sum())
    bound = log10_excess_sf(observed, mu, np.full(windows, members), np.zeros(windows), c)
    assert exact <= bound + 1e-9
    # and the binomial's own exact tail is no looser than the bound
    law = binom.pmf(np.arange(members + 1), members, q.mean())
    one = np.zeros(members + 1)
    np.add.at(one, np.maximum(np.arange(members + 1) - c, 0), law)
    total = np.array([1.0])
    for _ in range(windows):
        total = np.convolve(total, one)[:400]
    assert np.log10(max(total[observed:].sum(), 1e-300)) <= bound + 1e-9


def test_members_certain_to_start_count_their_excess():
    # Two members certain to start in each of 10 windows (their span is those windows)
    # and a third who may: 2 certain meetings at level 1 are no evidence.
    mu, n, fixed = np.full(10, 0.5), np.ones(10), np.full(10, 2.0)
    assert log10_excess_sf(10, mu, n, fixed, 1) == 0.0
    assert log10_excess_sf(20, mu, n, fixed, 1) < -2


@pytest.mark.parametrize("n_parts, factor", [(1, 2), (2, 2), (5, 5)])
def test_the_rescue_counts_a_test_for_each_connected_part(monkeypatch, n_parts, factor):
    # Review s33 HE LOW-1: the count allowed two connected parts of a block whatever
    # their number; a block of five parts makes five tests.
    from types import SimpleNamespace

    from oddseq.graph import _synchrony

    seen = {}

    def fake_stats(starts, rows, near, tests):
        seen["tests"] = tests
        return {"significance": -1.0}

    monkeypatch.setattr(_synchrony, "_starts_of", lambda det: None)
    monkeypatch.setattr(_synchrony, "_block_windows", lambda starts, cols, places: None)
    monkeypatch.setattr(_synchrony, "synchrony_stats", fake_stats)
    det = SimpleNamespace(max_groups_=20, patience=3, method="temporal", threshold=2.0)
    own = {"significance": 0.0}
    assert _synchrony.rescue(det, None, None, None, own, n_parts) == (own, None)
    assert seen["tests"] == pytest.approx(np.log10(factor * (5 * 20 + 4 * 3)) + np.log10(2.0))
