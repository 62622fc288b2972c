"""Do a lockstep block's members meet in its windows more than their own habits say?

The group stage's tests read each window against the other entities active in it (the
conditioned null model through the lockstep columns' degrees, the null of visits through
an object's share of the others' acts there). A population on its own schedule, another
time zone, a night shift, a weekend crowd, is then "together": its members fill the same
hours of the day, and the objects they favour (a regional service, the night's popular
items) are a small share of the whole log's acts in those hours. Nothing planted, a shop
with 10% of its users active only in hours 2-4 gave groups of 166 and 927 members
(review s30 H8).

The check here asks what those tests cannot: given each entity's own habits (its active
windows by hour of day and by day of week, counted away from its visits to the block's
objects in the block's windows) and how often it visits the block's objects at all, do
the members' visits fall in the block's windows more than those habits place them
there? A time zone's members visit a regional service in its hours because those are
their hours; a ring's members meet on the days of its rounds, which their habits do not
choose.
"""

from __future__ import annotations

import numpy as np

from ..utils._unique import distinct
from ._graph import object_acts
from ._null import _log10_binom

__all__ = ["schedule_stats"]

_HOUR = 3_600 * 10**9
_DAY = 24 * _HOUR
_THETAS = np.geomspace(1e-4, 60.0, 300)[:, None]
# Habits are each entity's counts plus this many active windows spread as the whole
# log's are (an entity with no activity away from the block has the log's habits).
_PRIOR = 1.0
# p rounded up to steps of 2% in log (never more significant), alike (n, p) pairs once.
_STEP = np.log(1.02)


def _slots(starts: np.ndarray):
    """Hour of day and day of week (UTC) of window start times (ns)."""
    return (starts // _HOUR) % 24, (starts // _DAY) % 7


def _habits(ev, rows: np.ndarray, t0: int, window_ns: int):
    """Per row of ``rows`` (sorted): its active windows (any event) by hour of day
    (rows x 24) and by day of week (rows x 7), and the same counts over all their
    events pooled (24, 7)."""
    lo, hi = ev.offsets[rows], ev.offsets[rows + 1]
    length = hi - lo
    event = np.repeat(lo - np.cumsum(length) + length, length) + np.arange(int(length.sum()))
    owner = np.repeat(np.arange(rows.size, dtype=np.int64), length)
    window = (ev.times[event] - t0) // window_ns
    n_win = np.int64(int(window.max()) + 2 if window.size else 1)
    pair = distinct(owner * n_win + window)
    hour, day = _slots(t0 + (pair % n_win) * window_ns)
    owner = pair // n_win
    by_hour = np.bincount(owner * 24 + hour, minlength=rows.size * 24).reshape(rows.size, 24)
    by_day = np.bincount(owner * 7 + day, minlength=rows.size * 7).reshape(rows.size, 7)
    return by_hour.astype(np.float64), by_day.astype(np.float64)


def _log10_tails(n, p, counts, total: float, excess: float):
    """Chernoff bounds on log10 P(sum_u h_u >= total) and log10 P(sum_u (h_u - 1)^+ >=
    excess) for independent h_u ~ Binomial(n_u, p_u) (``counts`` entities each): upper
    bounds (never more significant than the laws)."""
    theta = _THETAS
    one = np.log1p(p[None, :] * np.expm1(theta))  # log(1 - p + p e^theta)
    with np.errstate(divide="ignore"):
        log_p0 = n * np.log1p(-np.minimum(p, 1.0))
    cum_sum = (n[None, :] * one) @ counts
    cum_excess = np.logaddexp(log_p0[None, :] + np.log(-np.expm1(-theta)), -theta + n * one)
    cum_excess = cum_excess @ counts
    theta = theta.ravel()
    log_sum = min(0.0, float((cum_sum - theta * total).min())) if total > 0 else 0.0
    log_excess = min(0.0, float((cum_excess - theta * excess).min())) if excess > 0 else 0.0
    return log_sum / np.log(10.0), log_excess / np.log(10.0)


def _judge(n_u, h_u, p, member) -> float:
    """-log10 of the chance of the members' visits in the block's windows (their sum,
    and their excess over one each), the larger of: over the whole audience given
    (entities with n_u > 0), and over the members alone less log10 C(audience,
    members) (the choice of so many of it)."""
    total = float(h_u[member].sum())
    excess = float(np.maximum(h_u[member] - 1, 0).sum())
    best = 0.0
    for pick, tests in (
        (np.ones(n_u.size, dtype=bool), 0.0),
        (member, _log10_binom(n_u.size, int(member.sum()))),
    ):
        pairs, counts = np.unique(np.stack([n_u[pick] * 1.0, p[pick]]), axis=1, return_counts=True)
        tails = _log10_tails(pairs[0], pairs[1], counts * 1.0, total, excess)
        best = max(best, -min(tails) - tests)
    return best


def schedule_stats(ev, bins, rows, objects, block_slots) -> dict:
    """How unlikely the members' visits to a block's objects in its windows are, given
    each entity's own habits: ``expected_edges`` (the members' visits there expected),
    ``log10_p``.

    ``ev``: the fit's events; ``bins``: its binning (t0, n_bins, window, half);
    ``rows``: the members; ``objects``: the block's object codes (sorted);
    ``block_slots``: the half windows (from t0) the block's columns cover (sorted).

    A visit is an entity's half window with acts on the objects (a column of either
    grid covers two, so that a round within one hour is not read over two hours).
    Each entity u that visits them at all (the objects' audience) has n_u visits; each
    lands in the block's windows with probability p_u: the share of its habits (by
    hour of day times by day of week, counted away from its own visits there, plus
    one window as the audience's) that the block's windows hold among all the log's
    windows. The members' visits there, and their visits there beyond one each, are
    judged over the whole audience (h_u ~ Binomial(n_u, p_u), Chernoff's bound on
    each sum), and the smaller chance is read: a ring that meets once on items no one
    else visits has many members there; one that meets on popular items has each
    member there again and again. The objects are judged together and each alone (a
    click farm's two tail items beside their category, whose thousands of visitors
    would hide them), the best reading kept, less log10 k for the k looks at one."""
    t0, n_bins, _, half = bins
    rows = np.asarray(rows, dtype=np.int64)
    block_slots = np.asarray(block_slots, dtype=np.int64)
    a_row, a_win, a_obj = object_acts(ev, np.asarray(objects, dtype=np.int64), t0, half)
    if a_row.size == 0 or rows.size == 0:
        return {"expected_edges": 0.0, "log10_p": 0.0}
    n_win = np.int64(2 * n_bins + 2)
    a_key = a_row * n_win + a_win
    visit = distinct(a_key)
    v_row, v_win = visit // n_win, visit % n_win
    inside = np.isin(v_win, block_slots)
    audience, v_of = np.unique(v_row, return_inverse=True)
    n_u = np.bincount(v_of, minlength=audience.size)
    h_u = np.bincount(v_of[inside], minlength=audience.size)
    by_hour, by_day = _habits(ev, audience, t0, half)
    # Away from its visits in the block's windows (a ring's rounds are no habit).
    hour, day = _slots(t0 + v_win[inside] * half)
    np.subtract.at(by_hour, (v_of[inside], hour), 1.0)
    np.subtract.at(by_day, (v_of[inside], day), 1.0)
    np.maximum(by_hour, 0.0, out=by_hour)
    np.maximum(by_day, 0.0, out=by_day)
    # The audience's habits: its active windows pooled.
    log_hour = by_hour.sum(axis=0) + 1e-12
    log_day = by_day.sum(axis=0) + 1e-12
    by_hour += _PRIOR * log_hour / log_hour.sum()
    by_day += _PRIOR * log_day / log_day.sum()
    by_hour /= by_hour.sum(axis=1, keepdims=True)
    by_day /= by_day.sum(axis=1, keepdims=True)
    # Half windows of the log and of the block by (hour, day).
    span = np.arange(max(2 * int(n_bins) - 2, 1), dtype=np.int64)
    held_all = np.zeros((24, 7))
    np.add.at(held_all, _slots(t0 + span * half), 1.0)
    held_block = np.zeros((24, 7))
    np.add.at(held_block, _slots(t0 + block_slots * half), 1.0)
    p = np.einsum("uh,hd,ud->u", by_hour, held_block, by_day) / np.einsum(
        "uh,hd,ud->u", by_hour, held_all, by_day
    )
    p = np.clip(p, 1e-300, 1.0)
    p = np.minimum(np.exp(np.ceil(np.log(p) / _STEP) * _STEP), 1.0)
    member = np.isin(audience, rows)
    expected = float((n_u * p)[member].sum())
    best = _judge(n_u, h_u, p, member)
    n_objects = int(np.asarray(objects).size)
    if n_objects >= 2:
        for o in range(n_objects):
            own = distinct(a_key[a_obj == o])
            at = np.searchsorted(audience, own // n_win)
            there = np.isin(own % n_win, block_slots)
            n_o = np.bincount(at, minlength=audience.size)
            h_o = np.bincount(at[there], minlength=audience.size)
            seen = n_o > 0
            if (seen & member).any():
                look = _judge(n_o[seen], h_o[seen], p[seen], member[seen])
                best = max(best, look - np.log10(n_objects))
    return {"expected_edges": expected, "log10_p": float(best)}


def schedule_check(ev, bins, rows, cols, units, places, stats: dict, threshold: float):
    """``stats`` (a lockstep block's null of visits; ``cols`` its columns, ``units`` and
    ``places`` each column's object and place in time) where the block is no group or
    its members' visits in its windows are unlikely by their own habits too
    (:func:`schedule_stats` below 10 ** -threshold); else the schedule's statistics,
    with the block's count of tests: a crowd on its own schedule is no group, and a
    group's figures are its tests' own."""
    if stats["significance"] < threshold:
        return stats
    place = np.asarray(places[cols], dtype=np.int64)
    # Half windows the block covers: the first grid's window b (place 2b) spans 2b and
    # 2b + 1, the second grid's (place 2b - 1) 2b - 1 and 2b.
    slots = distinct(np.concatenate([place, place + 1]))
    objects = distinct(np.asarray(units[cols], dtype=np.int64))
    timing = schedule_stats(ev, bins, rows, objects, slots[slots >= 0])
    if timing["log10_p"] >= threshold:
        return stats
    tests = stats["log10_tests"]
    return {**timing, "log10_tests": tests, "significance": timing["log10_p"] - tests}
