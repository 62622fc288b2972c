"""Groups among users on their own schedules (review s30 H8 HIGH-1 and P1). The group
stage read each hour against the whole log, so a population active only in its own
hours (another time zone, a night shift, a weekend crowd) filled the same windows and
favoured the same objects there "together": nothing planted, a log with 10% of its
users active in hours 2-4 gave a group of 166 of them on their regional services, and
one with 20% such users a group of 927 of the others. A lockstep group must now also
meet in its windows more than its members' own habits (hour of day, day of week) place
their visits there; a ring inside one time zone still does."""

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector

DAY = 86_400
N_USERS = 3_000


def schedule_log(seed, share, hours=(2, 5), weekend=False, regional=True):
    """30 days of N_USERS users: each opens 5-29 sessions of 2-6 events, half on an
    object of its own and half on 300 services (Zipf); the first ``share`` of the users
    live on their own schedule (hours ``hours``, or all day on weekends only) and,
    with ``regional``, spend 70% of their service events on 20 regional services
    (300-319, Zipf). Nothing is planted."""
    rng = np.random.default_rng(seed)
    services = 1 / np.arange(1, 301)
    local = 1 / np.arange(1, 21)
    n_sessions = rng.integers(5, 30, N_USERS)
    user = np.repeat(np.arange(N_USERS), n_sessions)
    cohort = user < int(share * N_USERS)
    if weekend:
        week = rng.integers(0, 5, user.size) * 7 + np.where(rng.random(user.size) < 0.5, 1, 2)
        day = np.where(cohort, np.minimum(week, 29), rng.integers(0, 30, user.size))
        hour = rng.integers(0, 24, user.size)
    else:
        day = rng.integers(0, 30, user.size)
        hour = np.where(cohort, rng.integers(*hours, user.size), rng.integers(0, 24, user.size))
    start = day * DAY + hour * 3_600 + rng.integers(0, 3_600, user.size)
    n_events = rng.integers(2, 7, user.size)
    user, start = np.repeat(user, n_events), np.repeat(start, n_events)
    cohort = user < int(share * N_USERS)
    ts = start + rng.integers(0, 1_200, user.size)
    service = rng.choice(300, user.size, p=services / services.sum())
    if regional:
        there = cohort & (rng.random(user.size) < 0.7)
        service = np.where(there, 300 + rng.choice(20, user.size, p=local / local.sum()), service)
    obj = np.where(rng.random(user.size) < 0.5, 10_000 + user, service)
    return pd.DataFrame({"user": user, "obj": obj, "ts": ts})


def fit(log, **kw):
    return GroupDetector(**kw).fit(log, entity="user", object="obj", time="ts")


@pytest.mark.parametrize(
    "seed, share, kw",
    [
        (0, 0.1, {}),  # a time zone on its regional services: 166 members before
        (2, 0.2, {"regional": False}),  # the others on the top services: 980 before
        (0, 0.1, {"hours": (22, 24)}),  # a night shift: 165 before
        (1, 0.1, {"weekend": True}),  # a weekend crowd: 2 groups, 181 members before
    ],
)
def test_a_population_on_its_own_schedule_is_no_group(seed, share, kw):
    assert len(fit(schedule_log(seed, share, **kw)).groups_) == 0


def ring_rounds(log, members, items, days, hour):
    """``members`` act on ``items`` within the same 20 minutes at ``hour`` on ``days``."""
    rng = np.random.default_rng(7)
    rows = [
        (user, item, day * DAY + hour * 3_600 + 600 + int(rng.integers(0, 1_200)) + j)
        for day in days
        for user in members
        for j, item in enumerate(items)
    ]
    planted = pd.DataFrame(rows, columns=["user", "obj", "ts"])
    return pd.concat([log, planted], ignore_index=True)


RING = np.arange(20, 32)  # 12 of the time zone's users


@pytest.fixture(scope="module")
def ring_log():
    # Inside the time zone, in its hours, on items of their own: 4 rounds in 30 days.
    return ring_rounds(schedule_log(0, 0.1), RING, [50_001, 50_002, 50_003], [3, 9, 16, 24], 3)


def test_a_ring_inside_one_time_zone_is_found(ring_log):
    det = fit(ring_log)
    assert len(det.groups_) == 1
    assert set(RING) <= set(det.groups_["members"][0])
    assert sorted(det.groups_["objects"][0]) == [50_001, 50_002, 50_003]


def test_a_ring_on_its_time_zones_services_is_found():
    # The same ring meeting on the time zone's own regional services (300-302, which
    # its 300 users visit every night): its rounds, not its hours, are the evidence.
    log = ring_rounds(schedule_log(0, 0.1), RING, [300, 301, 302], [3, 9, 16, 24], 3)
    det = fit(log)
    assert len(det.groups_) == 1  # and no group of the time zone's 300 users
    assert set(RING) <= set(det.groups_["members"][0])
    assert sorted(det.groups_["objects"][0]) == [300, 301, 302]


def test_the_schedule_check_does_not_depend_on_threads_or_the_run(ring_log):
    one, two, again = fit(ring_log, n_threads=1), fit(ring_log, n_threads=2), fit(ring_log)
    for other in (two, again):
        pd.testing.assert_frame_equal(one.groups_, other.groups_)
        pd.testing.assert_frame_equal(one.candidates_, other.candidates_)
        np.testing.assert_array_equal(one.decision_scores_, other.decision_scores_)


@pytest.mark.parametrize("total, excess", [(8, 4), (12, 7), (16, 10)])
def test_the_schedule_tails_are_upper_bounds(total, excess):
    # Chernoff's bounds on the members' visits in the block's windows (their sum, their
    # excess over one each) against the exact laws of 9 entities' binomial visits: never
    # more significant, and within a factor of 10.
    from scipy.stats import binom

    from oddseq.graph._schedule import _log10_tails

    n, p, counts = np.array([3.0, 5.0, 8.0]), np.array([0.05, 0.2, 0.1]), np.array([4, 2, 3])
    law_sum, law_excess = np.ones(1), np.ones(1)
    for k, q, c in zip(n.astype(int), p, counts):
        pmf = binom.pmf(np.arange(k + 1), k, q)
        over = np.concatenate([[pmf[0] + pmf[1]], pmf[2:]])  # (h - 1)^+
        for _ in range(c):
            law_sum, law_excess = np.convolve(law_sum, pmf), np.convolve(law_excess, over)
    exact_sum = np.log10(law_sum[total:].sum())
    exact_excess = np.log10(law_excess[excess:].sum())
    bound_sum, bound_excess = _log10_tails(n, p, counts * 1.0, float(total), float(excess))
    assert exact_sum <= bound_sum <= exact_sum + 1.0
    assert exact_excess <= bound_excess <= exact_excess + 1.0
