"""Synchrony of activity: are a group's members active in the same windows more often
than their own schedules and the busyness of users like them explain?

A ring's accounts log in together on particular days and hours; users of one time zone,
a night shift, a weekend crowd or the newcomers of one launch come to the log at the
same hours (or days) too, but each at its own routine. The test reads each entity's
activity as its *sessions' starts*: a run of consecutive active windows (a window with
an event of the entity) is one start, at its first window, so an entity online for ten
hours counts once there, not ten times.

Under the null model each member starts its sessions independently of the others, in
window ``w`` with chance ``min(1, n_u K_u(w) / sum_w' K_u(w'))``, ``n_u`` its own starts
and ``K_u(w) = P_u(hour(w)) P_u(weekday(w)) R(w)`` inside its own span of activity
(its first start to its last, half a day either side):

- ``P_u(hour)`` and ``P_u(weekday)``: the member's own hour-of-day and day-of-week
  profile, read from its own starts (with one start's weight of the comparable users'
  profile, so that a member seen at three hours is not impossible at a fourth). A
  member of a time zone, active at 2-4am every day, shares those hours with its zone by
  its profile; so does a weekend player with the other weekend players.
- ``R(w)``: how much busier window ``w`` is among *comparable users* (every entity but
  the members, weighted by how much its hours overlap the members' hours) than its
  hour of the day and day of the week make it, ``(B(w) + k) / (E(w) + k)`` with ``E``
  the product of those two margins and ``k`` three starts. A launch hour, an outage, a
  sale day that is busy for the users like them is busy for the members too, so
  meeting there is no evidence.
- the span: users who joined in one launch week and left (a cohort of newcomers) are
  active on the same days by their spans, not by a ring.

A ring's members meet on days and hours beyond that: the statistic is their meetings,
``S = sum_w (X_w - 1)^+``, ``X_w`` the members who start a session in window ``w``;
``X_w`` is a sum of independent Bernoulli variables under the null, and ``P(S >= s)``
is bounded by Chernoff's inequality on binomial windows of the same means (Hoeffding's
convex order: a bound, never more significant than the exact tail).

The block's own windows (and the window on either side of them) are left out, for the
null alike, and so is every session of a member that touches them: the block's members
were chosen because they act in those windows, so their meeting there is the block's
own evidence (its conditioned test), not a second one. What is judged is whether they
also come together elsewhere. That part of the log played no part in choosing the
block, so under the null its test is not the search's choice: it is counted once for
each block the search may judge, not for every block of that shape. Both grids of
windows (the second shifted by half a window) are judged and the better one kept,
counted as log10 2 more tests.
"""

from __future__ import annotations

import numpy as np

from ..utils._unique import distinct

__all__ = [
    "SessionStarts",
    "log10_coincidence_sf",
    "log10_excess_sf",
    "participation",
    "synchrony_stats",
]

# Chernoff's exponent is minimised over this grid of thetas (any theta gives a bound).
_THETAS = np.geomspace(1e-3, 60.0, 160)
_HOUR = 3_600 * 10**9
_DAY = 24 * _HOUR
# A member's profile holds its own starts and this many starts' weight of the
# comparable users' profile.
_PRIOR_STARTS = 1.0
# R(w) = (B(w) + k) / (E(w) + k): k is this many average starts of comparable users.
_BUSY_PSEUDO = 3.0
# Members judged per block of the chance matrix (members x windows), to bound memory.
_CELLS = 2_000_000


class SessionStarts:
    """Each entity's session starts per grid of windows, built once per fit.

    ``times`` are int64 ns of the events grouped by entity (CSR ``offsets``); window
    ``b`` of grid ``g`` is ``[t0 + b * window - g * half, ... + window)``; its hour of
    the day and day of the week are those of its start.

    Examples
    --------
    >>> import numpy as np
    >>> h = 3_600 * 10**9
    >>> offsets = np.array([0, 3, 4])
    >>> times = np.array([0, h, 5 * h, 5 * h]) + 10
    >>> s = SessionStarts(offsets, times, 0, h, h // 2, 8)
    >>> [w.tolist() for w in s.starts_of(np.array([0]), 0)]  # hours 0-1, then 5
    [[0, 0], [0, 5], [1, 5]]
    >>> s.hour[0][:6].tolist()
    [0, 1, 2, 3, 4, 5]
    """

    def __init__(self, offsets, times, t0: int, window_ns: int, half: int, n_bins: int):
        offsets = np.asarray(offsets, dtype=np.int64)
        times = np.asarray(times, dtype=np.int64)
        n_rows = offsets.size - 1
        row = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(offsets))
        width = np.int64(n_bins + 2)
        self.n_rows = n_rows
        self.n_bins = int(n_bins) + 2
        self.offsets, self.windows, self.ends, self.rows = [], [], [], []
        self.hour, self.weekday = [], []
        for g in (0, 1):
            window = (times - t0 + g * half) // window_ns
            key = distinct(row * width + window)
            k_row, k_win = key // width, key % width
            start = np.ones(key.size, dtype=bool)
            start[1:] = (k_row[1:] != k_row[:-1]) | (k_win[1:] != k_win[:-1] + 1)
            s_row, s_win = k_row[start], k_win[start]
            last = np.r_[np.flatnonzero(start)[1:] - 1, key.size - 1]
            del key, k_row
            self.ends.append(k_win[last].astype(np.int64))
            self.offsets.append(
                np.concatenate([[0], np.cumsum(np.bincount(s_row, minlength=n_rows))])
            )
            self.windows.append(s_win.astype(np.int64))
            self.rows.append(s_row.astype(np.int64))
            begin = int(t0) - g * int(half) + np.arange(self.n_bins, dtype=np.int64) * window_ns
            self.hour.append(((begin // _HOUR) % 24).astype(np.int64))
            self.weekday.append(((begin // _DAY) % 7).astype(np.int64))
        self.margin = max(1, int(_DAY // 2 // max(int(window_ns), 1)))

    def starts_of(self, rows: np.ndarray, g: int):
        """(member index, first window, last window) of every session of the given
        rows on grid ``g``."""
        offsets = self.offsets[g]
        lengths = offsets[rows + 1] - offsets[rows]
        at = np.repeat(offsets[rows] - np.cumsum(lengths) + lengths, lengths)
        at = at + np.arange(int(lengths.sum()))
        return np.repeat(np.arange(rows.size), lengths), self.windows[g][at], self.ends[g][at]


def _log_coincidence_mgf(n: np.ndarray, p: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """log E exp(theta (Y - 1)^+) for Y ~ Binomial(n, p), per theta (rows) and window
    (columns): P(Y = 0) (1 - e^-theta) + e^-theta E exp(theta Y)."""
    n, p, theta = n[None, :], p[None, :], theta[:, None]
    with np.errstate(divide="ignore"):
        log_none = n * np.log1p(-p)
        log_mgf = n * np.log1p(p * np.expm1(theta))
        return np.logaddexp(log_none + np.log(-np.expm1(-theta)), log_mgf - theta)


def log10_coincidence_sf(observed: float, mu: np.ndarray, n=None, fixed=None) -> float:
    """An upper bound of log10 P(S >= observed), S = sum over windows of (X_w - 1)^+
    and X_w = ``fixed[w]`` (members certain to start there: their chance is 1) plus a
    sum of ``n[w]`` independent Bernoulli variables of mean ``mu[w]`` in all (the
    others, who may start a session in window w), the windows independent. The
    binomial law of the same number and mean dominates such a sum in the convex order
    (Hoeffding 1956), and exp(theta (x - 1)^+) is convex in x, so Chernoff's bound
    with the binomial windows' cumulants bounds the tail for any theta >= 0 (``n``
    None: Poisson windows, the binomial's limit, which dominate it too); 0 where
    ``observed`` is at most the mean.

    Examples
    --------
    >>> mu = np.full(700, 0.1)  # 70 starts over 700 windows: about 3.3 meetings expected
    >>> round(log10_coincidence_sf(40, mu), 1)  # 40 of them (exactly: 10 ** -24.4)
    -23.2
    >>> log10_coincidence_sf(3, mu)
    0.0
    >>> round(log10_coincidence_sf(40, mu, n=np.full(700, 5)), 1)  # 5 members
    -27.4
    """
    mu = np.asarray(mu, dtype=np.float64)
    fixed = np.zeros(mu.size) if fixed is None else np.asarray(fixed, dtype=np.float64)
    n = np.full(mu.size, 1e6) if n is None else np.asarray(n, dtype=np.float64)
    some = ((mu > 0) & (n > 0)) | (fixed > 0)
    mu, fixed, n = mu[some], fixed[some], np.maximum(n[some], 1.0)
    p = np.minimum(mu / n, 1.0)
    sure = fixed >= 1
    mean = float((fixed[sure] - 1.0 + mu[sure]).sum())
    mean += float((mu[~sure] - 1.0 + (1.0 - p[~sure]) ** n[~sure]).sum())
    if mu.size == 0 or observed <= mean:
        return 0.0
    cumulant = _log_coincidence_mgf(n[~sure], p[~sure], _THETAS).sum(axis=1)
    # Windows with a member certain to start: (X - 1)^+ = fixed - 1 + Binomial.
    cumulant += _THETAS * float((fixed[sure] - 1.0).sum())
    cumulant += (n[sure][None, :] * np.log1p(p[sure][None, :] * np.expm1(_THETAS)[:, None])).sum(
        axis=1
    )
    bound = cumulant - _THETAS * float(observed)
    return float(min(bound.min(), 0.0) / np.log(10.0))


def log10_excess_sf(observed: float, mu, n, fixed, c: int, thetas=None) -> float:
    """An upper bound of log10 P(S >= observed), S = sum over windows of (X_w - c)^+
    (the members beyond ``c`` who start in the same window), X_w = ``fixed[w]`` plus a
    sum of ``n[w]`` independent Bernoulli variables of mean ``mu[w]`` in all: Chernoff's
    bound with binomial windows of the same number and mean, which dominate the sums in
    the convex order (Hoeffding 1956; exp(theta (x - c)^+) is convex in x). ``c`` 1 is
    :func:`log10_coincidence_sf`'s statistic; a larger ``c`` reads only the windows where
    many members meet, where a ring's few meetings are not drowned by the chance pairs
    of every other window.

    Examples
    --------
    >>> mu = np.full(700, 1.0)  # 10 members, 70 starts each over 700 windows
    >>> n = np.full(700, 10)
    >>> zero = np.zeros(700)
    >>> round(log10_excess_sf(4 * 2, mu, n, zero, 7), 1)  # 4 windows of 9 of them
    -18.1
    >>> round(log10_excess_sf(4 * 8, mu, n, zero, 1), 1)  # the same read at level 1
    0.0
    """
    return _excess_tail(_window_laws(mu, n, fixed), c, observed, thetas)


def _window_laws(mu, n, fixed):
    """The binomial windows of :func:`log10_excess_sf` (those where anyone may start):
    (log pmf at 0..max n, windows x values; members certain to start per window)."""
    from scipy.stats import binom

    mu = np.asarray(mu, dtype=np.float64)
    n = np.round(np.asarray(n, dtype=np.float64))
    fixed = np.asarray(fixed, dtype=np.float64)
    some = ((mu > 0) & (n > 0)) | (fixed > 0)
    mu, n, fixed = mu[some], n[some], fixed[some]
    p = np.clip(mu / np.maximum(n, 1.0), 0.0, 1.0)
    y = np.arange(int(n.max()) + 1 if n.size else 1)
    with np.errstate(divide="ignore"):
        log_pmf = binom.logpmf(y[None, :], n[:, None], p[:, None])
    return np.where(np.isnan(log_pmf), -np.inf, log_pmf), fixed


def _excess_tail(laws, c: int, observed: float, thetas=None) -> float:
    """Chernoff's bound of log10 P(sum_w (X_w - c)^+ >= observed) over ``laws``."""
    log_pmf, fixed = laws
    if log_pmf.shape[0] == 0:
        return 0.0
    thetas = _THETAS[::4] if thetas is None else thetas
    excess = np.maximum(fixed[:, None] + np.arange(log_pmf.shape[1])[None, :] - c, 0.0)
    mean = float((np.exp(log_pmf) * excess).sum())
    if observed <= mean:
        return 0.0
    best = 0.0
    for theta in thetas:
        # log E exp(theta S) = sum_w log sum_y pmf_w(y) exp(theta (fixed_w + y - c)^+)
        z = log_pmf + theta * excess
        top = z.max(axis=1, keepdims=True)
        cumulant = float((top[:, 0] + np.log(np.exp(z - top).sum(axis=1))).sum())
        best = min(best, cumulant - theta * float(observed))
    return float(best / np.log(10.0))


def _expected_excess(laws, c: int) -> float:
    """E sum_w (X_w - c)^+ under the binomial windows ``laws`` (:func:`_window_laws`)."""
    log_pmf, fixed = laws
    excess = np.maximum(fixed[:, None] + np.arange(log_pmf.shape[1])[None, :] - c, 0.0)
    return float((np.exp(log_pmf) * excess).sum())


def _levels(n_members: int) -> list:
    """The levels ``c`` of meetings judged (1, 2, 4, ... below the members' count)."""
    levels, c = [], 1
    while c < max(n_members, 2):
        levels.append(c)
        c *= 2
    return levels


def _dropped(starts: SessionStarts, excluded_first, g: int) -> np.ndarray:
    """The excluded windows (first-grid indexes) as a mask of grid ``g``'s windows."""
    dropped = np.zeros(starts.n_bins + 1, dtype=bool)
    dropped[np.asarray(excluded_first, dtype=np.int64)] = True
    if g == 1:  # a second-grid window b spans first-grid windows b - 1 and b
        dropped[1:] |= dropped[:-1].copy()
    return dropped[: starts.n_bins]


def _away(starts: SessionStarts, rows, dropped, g: int):
    """(member index, window) of the rows' sessions on grid ``g`` that touch none of
    the ``dropped`` windows."""
    member, window, end = starts.starts_of(rows, g)
    # A member's sessions that touch the block's windows (or their neighbours) leave
    # with them: the member was chosen for its acts there, wherever they started.
    seen = np.concatenate([[0], np.cumsum(dropped)])
    keep = seen[end + 1] == seen[window]
    return member[keep], window[keep]


class _Null:
    """The null model of one set of members' starts on one grid: the comparable
    users' busyness ``R(w)`` and each entity's chances per window (see the module's
    docstring)."""

    def __init__(self, starts: SessionStarts, rows, dropped, g: int):
        self.starts, self.g, self.dropped = starts, g, dropped
        hour, weekday = starts.hour[g], starts.weekday[g]
        member, window = _away(starts, rows, dropped, g)
        # The members' hours, and each entity's overlap with them: its starts' mean
        # share of the members' starts at their hours.
        members_hours = np.bincount(hour[window], minlength=24).astype(np.float64)
        members_hours /= max(members_hours.sum(), 1.0)
        all_rows, all_windows = starts.rows[g], starts.windows[g]
        n_all = np.bincount(all_rows, minlength=starts.n_rows).astype(np.float64)
        overlap = np.bincount(
            all_rows, weights=members_hours[hour[all_windows]], minlength=starts.n_rows
        )
        overlap = np.divide(overlap, n_all, out=np.zeros_like(overlap), where=n_all > 0)
        overlap[np.asarray(rows, dtype=np.int64)] = 0.0  # the members are not their null
        busy = np.bincount(all_windows, weights=overlap[all_rows], minlength=starts.n_bins)
        busy[dropped] = 0.0
        kept = ~dropped
        # E(w): the busyness its hour of the day and day of the week make it (the
        # product of the two margins, over the windows judged)
        n_hour = np.bincount(hour[kept], minlength=24).astype(np.float64)
        by_hour = np.bincount(hour, weights=busy, minlength=24)
        by_hour = np.divide(by_hour, n_hour, out=np.zeros(24), where=n_hour > 0)
        expect = by_hour[hour]
        n_day = np.bincount(weekday, weights=np.where(kept, expect, 0.0), minlength=7)
        by_day = np.bincount(weekday, weights=busy, minlength=7)
        by_day = np.divide(by_day, n_day, out=np.zeros(7), where=n_day > 0)
        expect = expect * by_day[weekday]
        n_starts = max(float(n_all.sum()), 1.0)
        k = _BUSY_PSEUDO * float(busy.sum()) / n_starts
        k = max(k, 1e-12)
        self.ratio = np.where(kept, (busy + k) / (expect + k), 0.0)
        # The share of the comparable users alive then (inside their span) who start in
        # window w: where most of them do (an event everyone joins), a member does too,
        # whatever its own routine's rate says.
        offsets = starts.offsets[g]
        has = np.flatnonzero(offsets[1:] > offsets[:-1])
        first = all_windows[offsets[has]] - starts.margin
        last = all_windows[offsets[has + 1] - 1] + starts.margin
        alive = np.bincount(
            np.clip(first, 0, starts.n_bins), weights=overlap[has], minlength=starts.n_bins + 1
        )
        alive -= np.bincount(
            np.clip(last + 1, 0, starts.n_bins), weights=overlap[has], minlength=starts.n_bins + 1
        )
        alive = np.cumsum(alive)[: starts.n_bins]
        self.share = np.where(kept, np.minimum(busy / np.maximum(alive, 1e-300), 1.0), 0.0)
        # The comparable users' profiles (the prior of each member's own)
        self.hours = by_hour * n_hour / max(float((by_hour * n_hour).sum()), 1e-300)
        self.days = by_day * n_day / max(float((by_day * n_day).sum()), 1e-300)
        if not np.isfinite(self.hours).all() or self.hours.sum() <= 0:
            self.hours = np.full(24, 1.0 / 24)
        if not np.isfinite(self.days).all() or self.days.sum() <= 0:
            self.days = np.full(7, 1.0 / 7)

    def chances(self, rows):
        """(member index, window, starts per member) and a generator of (members,
        windows, chances) blocks: each member's chance to start in each window of its
        span, ``min(1, n_u K_u(w) / sum K_u)``."""
        starts, g = self.starts, self.g
        member, window = _away(starts, rows, self.dropped, g)
        n = rows.size
        n_u = np.bincount(member, minlength=n).astype(np.float64)
        hour, weekday = starts.hour[g], starts.weekday[g]
        own_h = np.bincount(member * 24 + hour[window], minlength=n * 24).reshape(n, 24)
        own_d = np.bincount(member * 7 + weekday[window], minlength=n * 7).reshape(n, 7)
        den = (n_u + _PRIOR_STARTS)[:, None]
        p_h = (own_h + _PRIOR_STARTS * self.hours[None, :]) / den
        p_d = (own_d + _PRIOR_STARTS * self.days[None, :]) / den
        lo = np.full(n, starts.n_bins, dtype=np.int64)
        hi = np.full(n, -1, dtype=np.int64)
        np.minimum.at(lo, member, window)
        np.maximum.at(hi, member, window)
        lo, hi = lo - starts.margin, hi + starts.margin
        active = np.flatnonzero(n_u > 0)
        if active.size == 0:
            return member, window, n_u, iter(())
        live = np.flatnonzero(self.ratio > 0)
        live = live[(live >= lo[active].min()) & (live <= hi[active].max())]

        def blocks():
            step = max(1, _CELLS // max(live.size, 1))
            for i in range(0, active.size, step):
                who = active[i : i + step]
                k = p_h[who][:, hour[live]] * p_d[who][:, weekday[live]] * self.ratio[live]
                inside = (live[None, :] >= lo[who, None]) & (live[None, :] <= hi[who, None])
                k *= inside
                total = k.sum(axis=1, keepdims=True)
                k *= n_u[who, None] / np.maximum(total, 1e-300)
                np.maximum(k, np.where(inside, self.share[live], 0.0), out=k)
                yield who, live, np.minimum(k, 1.0)

        return member, window, n_u, blocks()


def participation(starts: SessionStarts, rows, others, excluded_first, level: int, grid: int):
    """How many of the meetings of ``rows`` each entity of ``others`` takes part in, and
    how many meetings there are: a meeting is a window of grid ``grid`` where more than
    ``level`` of ``rows`` start a session (their sessions touching the excluded windows
    left out, see :func:`synchrony_stats`); an entity takes part when it starts one
    there too (an entity of ``rows`` is counted among them, so its own start is no
    meeting of it: it needs ``level`` others there).

    Examples
    --------
    >>> h = 3_600 * 10**9
    >>> hours = [[100, 200, 300]] * 4 + [[100, 250, 400], [7, 8, 9]]
    >>> times = np.concatenate([np.array(x) for x in hours]) * h
    >>> s = SessionStarts(np.r_[0, np.cumsum([3] * 6)], times, 0, h, h // 2, 500)
    >>> part, n = participation(s, np.arange(5), np.arange(6), [299, 300, 301], 2, 0)
    >>> part.tolist(), n
    ([2, 2, 2, 2, 1, 0], 2)
    """
    rows = np.asarray(rows, dtype=np.int64)
    others = np.asarray(others, dtype=np.int64)
    dropped = _dropped(starts, excluded_first, grid)
    _, window = _away(starts, rows, dropped, grid)
    count = np.bincount(window, minlength=starts.n_bins)
    meeting = count > level
    member, window = _away(starts, others, dropped, grid)
    inside = np.isin(others, rows)[member]
    # an entity of rows needs level others beside it; another joins a meeting
    here = np.where(inside, count[window] - 1 >= level, meeting[window])
    return np.bincount(member, weights=here, minlength=others.size).astype(np.int64), int(
        meeting.sum()
    )


def synchrony_stats(starts: SessionStarts, rows, excluded_first: np.ndarray, tests: float):
    """The synchrony test of the entities ``rows`` (see the module's docstring), the
    windows ``excluded_first`` (first-grid windows: the block's, with a window either
    side) and the members' sessions that touch them left out. ``tests``: log10 of the
    count of tests allowed for (log10 2 is added for the choice of grid). Returns the
    statistics of the better grid: ``expected_edges`` (the members' meetings expected),
    ``observed_meetings``, ``log10_p``, ``log10_tests``, ``significance``.

    Examples
    --------
    Five accounts that start sessions in the same five hours, among 200 that start at
    their own hours of 720:

    >>> import numpy as np
    >>> h = 3_600 * 10**9
    >>> rng = np.random.default_rng(0)
    >>> hours = [rng.choice(720, 5, replace=False) for _ in range(200)]
    >>> hours[:5] = [np.array([30, 100, 200, 300, 400])] * 5
    >>> times = np.concatenate(hours) * h
    >>> s = SessionStarts(np.arange(0, 1001, 5), times, 0, h, h // 2, 720)
    >>> together = synchrony_stats(s, np.arange(5), np.array([29, 30, 31]), 2.0)
    >>> together["meeting_level"], together["observed_meetings"]  # all 5, 4 times
    (4, 4)
    >>> round(together["significance"], 1)
    10.3
    >>> apart = synchrony_stats(s, np.arange(5, 10), np.array([29, 30, 31]), 2.0)
    >>> apart["significance"] < 0
    True
    """
    rows = np.asarray(rows, dtype=np.int64)
    best = None
    for g in (0, 1):
        dropped = _dropped(starts, excluded_first, g)
        null = _Null(starts, rows, dropped, g)
        member, window, n_u, blocks = null.chances(rows)
        if (n_u > 0).sum() < 2:
            continue
        mu = np.zeros(starts.n_bins)
        fixed = np.zeros(starts.n_bins)
        others = np.zeros(starts.n_bins)
        for _, live, chance in blocks:
            sure = chance >= 1.0
            fixed[live] += sure.sum(axis=0)
            others[live] += ((chance > 0) & ~sure).sum(axis=0)
            mu[live] += np.where(sure, 0.0, chance).sum(axis=0)
        per_window = np.bincount(window, minlength=starts.n_bins)
        levels = _levels(int((n_u > 0).sum()))
        level_tests = tests + np.log10(2.0) + np.log10(len(levels))
        laws = _window_laws(mu, others, fixed)
        for c in levels:
            observed = int(np.maximum(per_window - c, 0).sum())
            log10_p = -_excess_tail(laws, c, observed)
            stats = {
                "expected_edges": _expected_excess(laws, c),
                "observed_meetings": observed,
                "meeting_level": c,
                "grid": g,
                "log10_p": float(log10_p),
                "log10_tests": float(level_tests),
                "significance": float(log10_p - level_tests),
            }
            if best is None or stats["significance"] > best["significance"]:
                best = stats
    if best is None:
        return {
            "expected_edges": 0.0,
            "observed_meetings": 0,
            "meeting_level": 1,
            "grid": 0,
            "log10_p": 0.0,
            "log10_tests": float(tests + np.log10(2.0)),
            "significance": -float(tests + np.log10(2.0)),
        }
    return best


# ---------------------------------------------------------------- the group stage's hook


def _starts_of(det) -> SessionStarts:
    """The fitted detector's session starts, built on first use in a fit."""
    if getattr(det, "_session_starts", None) is None:
        t0, n_bins, window_ns, half = det._bins
        ev = det._events
        det._session_starts = SessionStarts(ev.offsets, ev.times, t0, window_ns, half, n_bins)
    return det._session_starts


def _block_windows(starts: SessionStarts, cols, places) -> np.ndarray:
    """First-grid windows of a lockstep block's columns and the window either side."""
    grid = np.asarray(places[cols] & 1, dtype=np.int64)
    first = (np.asarray(places[cols], dtype=np.int64) + grid) // 2
    block = distinct(np.concatenate([first, (first - 1)[grid == 1]]))
    near = distinct((block[:, None] + np.arange(-1, 2)).ravel())
    return near[(near >= 0) & (near < starts.n_bins)]


def rescue(det, rows, cols, places, own: dict, n_parts: int = 1):
    """The synchrony test of a lockstep block whose members' own activity (the null of
    visits, ``own``: its statistics) explains it, for :class:`GroupDetector`. Returns
    ``(stats, core)``: where the members' meetings away from the block's windows hold
    it (:func:`synchrony_stats` at the detector's threshold), the test's statistics
    (``synchrony`` True; ``expected_edges`` the null of visits'; ``meetings`` the
    figures of the test: ``windows``, ``observed``, ``expected``, ``level``,
    ``log10_p``, ``significance``) and the members who
    take part in at least half of those meetings (a mask of ``rows``;
    :func:`participation`: a passer-by of the block's objects adds sessions, not
    meetings; all of them where fewer than ``min_members`` would); else ``(own,
    None)``. The test reads the log away from the block's windows, which played no part
    in choosing the block, so it is counted once for each block the search may judge
    (``5 * max_groups + 4 * patience`` per method, times a block's connected parts,
    ``n_parts``, at least two), with log10 2 for the choice of test."""
    starts = _starts_of(det)
    near = _block_windows(starts, cols, places)
    # (at least two parts, as the count was before a block's parts were counted: a
    # block of one part keeps the test it had; one of many parts pays for each)
    n_blocks = max(int(n_parts), 2) * (5 * int(det.max_groups_) + 4 * int(det.patience))
    n_blocks *= 2 if det.method == "both" else 1
    tests = float(np.log10(n_blocks) + np.log10(2.0))
    sync = synchrony_stats(starts, rows, near, tests)
    if sync["significance"] < det.threshold:
        return own, None
    part, n_meetings = participation(starts, rows, rows, near, sync["meeting_level"], sync["grid"])
    core = 2 * part >= max(n_meetings, 1)
    if core.sum() < det.min_members:
        core[:] = True
    stats = {
        "expected_edges": own["expected_edges"],
        "log10_p": sync["log10_p"],
        "log10_tests": sync["log10_tests"],
        "significance": sync["significance"],
        "synchrony": True,
        # what holds the group, for its sentence (the acts' figures are the null's that
        # explained them): the windows away from the block's in which more than
        # ``level`` members start a session, and their starts beyond ``level`` there,
        # observed and expected under the members' own routines
        "meetings": {
            "windows": int(n_meetings),
            "observed": int(sync["observed_meetings"]),
            "expected": float(sync["expected_edges"]),
            "level": int(sync["meeting_level"]),
            "log10_p": float(sync["log10_p"]),
            "significance": float(sync["significance"]),
        },
    }
    return stats, core


def grow(det, rows, member, cols, places) -> np.ndarray:
    """``member`` (a mask of the entities) without the entities it adds to the group
    ``rows`` that take part in fewer than half of the group's meetings away from the
    block's windows (see :func:`rescue`): a group its members' synchrony holds grows
    only by entities that meet its members too."""
    member = member.copy()
    added = np.flatnonzero(member)
    added = added[~np.isin(added, rows)]
    if added.size:
        starts = _starts_of(det)
        near = _block_windows(starts, cols, places)
        sync = synchrony_stats(starts, rows, near, 0.0)
        part, n_meetings = participation(
            starts, rows, added, near, sync["meeting_level"], sync["grid"]
        )
        member[added[2 * part < max(n_meetings, 1)]] = False
    return member
