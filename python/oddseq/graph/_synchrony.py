"""Synchrony of activity: are a group's members active in the same windows more often
than their own activity and the log's busy windows explain?

A ring's accounts log in together, window after window; users who meet on a group's
objects by chance (fans of one category, a launch crowd) come to the log at their own
times. The test reads each entity's activity as its *sessions' starts*: a run of
consecutive active windows (a window with an event of the entity) is one start, at its
first window, so an entity online for ten hours counts once there, not ten times (its
hours are not independent chances). Under the null model each entity starts its
sessions independently of the others, in window ``w`` with probability
``min(1, n_u * a_w / T)`` (the Chung-Lu model of the entity x window graph: ``n_u`` its
own starts, ``a_w`` the starts of the whole log in that window, ``T`` all starts), so a
launch hour or a raid that everyone joins is busy for everyone and meets nobody beyond
its busyness. The statistic is the members' meetings, ``S = sum_w (X_w - 1)^+`` over
the windows, ``X_w`` the members who start a session in window ``w``: members who come
together share their starts and ``S`` is large; under the null ``X_w`` is a sum of
independent Bernoulli variables, and ``P(S >= s)`` is bounded by Chernoff's inequality
on Poisson variables of the same means (a bound, so never more significant than the
exact tail).

The block's own windows (and the window on either side of them) are left out, for the
null alike, and so is every session of a member that touches them: the block's members
were chosen because they act in those windows, so their meeting there is the block's own
evidence (its conditioned test), not a second one. What is judged is whether they also
come together elsewhere. That part of the log played no part in choosing the block (its
columns are the block's windows), so under the null its test is not the search's
choice: it is counted once for each block the search may judge, not for every block of
that shape (see :meth:`GroupDetector._own_activity`). Both grids of windows (the second
shifted by half a window) are judged and the better one kept, counted as log10 2 more
tests.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SessionStarts", "log10_coincidence_sf", "meetings", "synchrony_stats"]

# Chernoff's exponent is minimised over this grid of thetas (any theta gives a bound).
_THETAS = np.geomspace(1e-3, 60.0, 160)


class SessionStarts:
    """Each entity's session starts per grid of windows, built once per fit.

    ``times`` are int64 ns of the events grouped by entity (CSR ``offsets``); window
    ``b`` of grid ``g`` is ``[t0 + b * window - g * half, ... + window)``.

    Examples
    --------
    >>> import numpy as np
    >>> h = 3_600 * 10**9
    >>> offsets = np.array([0, 3, 4])
    >>> times = np.array([0, h, 5 * h, 5 * h]) + 10
    >>> s = SessionStarts(offsets, times, 0, h, h // 2, 8)
    >>> [w.tolist() for w in s.starts_of(np.array([0]), 0)]  # hours 0-1, then 5
    [[0, 0], [0, 5], [1, 5]]
    >>> s.busy[0][[0, 5]].tolist()
    [1, 2]
    """

    def __init__(self, offsets, times, t0: int, window_ns: int, half: int, n_bins: int):
        offsets = np.asarray(offsets, dtype=np.int64)
        times = np.asarray(times, dtype=np.int64)
        n_rows = offsets.size - 1
        row = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(offsets))
        width = np.int64(n_bins + 2)
        self.n_bins = int(n_bins) + 2
        self.offsets, self.windows, self.ends, self.busy, self.total = [], [], [], [], []
        for g in (0, 1):
            window = (times - t0 + g * half) // window_ns
            key = np.unique(row * width + window)
            k_row, k_win = key // width, key % width
            start = np.ones(key.size, dtype=bool)
            start[1:] = (k_row[1:] != k_row[:-1]) | (k_win[1:] != k_win[:-1] + 1)
            s_row, s_win = k_row[start], k_win[start]
            last = np.r_[np.flatnonzero(start)[1:] - 1, key.size - 1]
            self.ends.append(k_win[last].astype(np.int64))
            self.offsets.append(
                np.concatenate([[0], np.cumsum(np.bincount(s_row, minlength=n_rows))])
            )
            self.windows.append(s_win.astype(np.int64))
            self.busy.append(np.bincount(s_win, minlength=self.n_bins).astype(np.int64))
            self.total.append(int(s_win.size))

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


def _away(starts: SessionStarts, rows, excluded_first, g: int):
    """(member index, window) of the rows' sessions on grid ``g`` that touch none of
    the excluded windows, and those windows as a mask of grid ``g``'s windows."""
    member, window, end = starts.starts_of(rows, g)
    dropped = np.zeros(starts.n_bins + 1, dtype=bool)
    dropped[np.asarray(excluded_first, dtype=np.int64)] = True
    if g == 1:  # a second-grid window b spans first-grid windows b - 1 and b
        dropped[1:] |= dropped[:-1].copy()
    dropped = dropped[: starts.n_bins]
    # A member's sessions that touch the block's windows (or their neighbours) leave
    # with them: the member was chosen for its acts there, wherever they started.
    seen = np.concatenate([[0], np.cumsum(dropped)])
    keep = seen[end + 1] == seen[window]
    return member[keep], window[keep], dropped


def meetings(starts: SessionStarts, rows, others, excluded_first) -> np.ndarray:
    """Per entity of ``others``: an upper bound of log10 P(M >= m), m its meetings with
    ``rows`` away from the excluded windows (the number of their sessions that start in
    the windows where it starts one, its sessions touching the excluded windows left
    out), M the same sum with its starts drawn at random, independently in each window
    with chance min(1, n_u a_w / T) (Chernoff's bound), the better of the two grids
    counted twice.

    Examples
    --------
    >>> h = 3_600 * 10**9
    >>> hours = [[30, 100, 200, 300]] * 3 + [[100, 200, 300, 500], [5, 50, 500, 600]]
    >>> hours += [[i, i + 40, i + 90] for i in range(0, 600, 4)]
    >>> times = np.concatenate([np.array(x) for x in hours]) * h
    >>> offsets = np.r_[0, np.cumsum([len(x) for x in hours])]
    >>> s = SessionStarts(offsets, times, 0, h, h // 2, 720)
    >>> meetings(s, np.arange(3), np.array([3, 4]), np.array([29, 30, 31])).round(1).tolist()
    [-3.6, 0.0]
    """
    rows = np.asarray(rows, dtype=np.int64)
    others = np.asarray(others, dtype=np.int64)
    best = np.zeros(others.size)
    theta = _THETAS[::4]
    for g in (0, 1):
        _, core, dropped = _away(starts, rows, excluded_first, g)
        member, window, _ = _away(starts, others, excluded_first, g)
        busy = np.where(dropped, 0, starts.busy[g]).astype(np.float64)
        total = float(busy.sum())
        if total <= 0 or core.size == 0:
            continue
        count = np.bincount(core, minlength=starts.n_bins).astype(np.float64)
        met = np.flatnonzero(count > 0)
        n_u = np.bincount(member, minlength=others.size).astype(np.float64)
        m = np.bincount(member, weights=count[window], minlength=others.size)
        c = count[met]
        for i in range(0, others.size, 64):
            part = slice(i, i + 64)
            chance = np.minimum(n_u[part, None] * (busy[met] / total)[None, :], 1.0)
            with np.errstate(divide="ignore"):
                log_miss = np.log1p(-chance)[None]
                log_hit = np.log(chance)[None]
            tc = theta[:, None, None] * c[None, None, :]
            cumulant = np.logaddexp(log_miss, log_hit + tc).sum(axis=2)
            bound = (cumulant - theta[:, None] * m[None, part]).min(axis=0)
            bound = np.where(m[part] > 0, np.minimum(bound, 0.0), 0.0) / np.log(10.0)
            best[part] = np.minimum(best[part], bound)
    return np.minimum(best + np.log10(2.0), 0.0)


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
    >>> together["observed_meetings"], round(together["significance"], 1)
    (16, 14.6)
    >>> apart = synchrony_stats(s, np.arange(5, 10), np.array([29, 30, 31]), 2.0)
    >>> apart["significance"] < 0
    True
    """
    rows = np.asarray(rows, dtype=np.int64)
    best = None
    for g in (0, 1):
        member, window, dropped = _away(starts, rows, excluded_first, g)
        n_u = np.bincount(member, minlength=rows.size).astype(np.float64)
        busy = np.where(dropped, 0, starts.busy[g]).astype(np.float64)
        total = float(busy.sum())
        if total <= 0 or (n_u > 0).sum() < 2:
            continue
        live = np.flatnonzero(busy > 0)
        a = busy[live] / total
        active = n_u[n_u > 0]
        # Each window's expected member starts: sum_u min(1, n_u a_w), in blocks of
        # members to bound the memory (members x windows)
        # (a member whose chance there is 1 starts there for certain: counted apart).
        mu, fixed = np.zeros(live.size), np.zeros(live.size)
        step = max(1, 2_000_000 // max(live.size, 1))
        for i in range(0, active.size, step):
            p = np.minimum(np.outer(active[i : i + step], a), 1.0)
            sure = p >= 1.0
            fixed += sure.sum(axis=0)
            mu += np.where(sure, 0.0, p).sum(axis=0)
        per_window = np.bincount(window, minlength=starts.n_bins)[live]
        observed = int(np.maximum(per_window - 1, 0).sum())
        others = active.size - fixed
        log10_p = -log10_coincidence_sf(observed, mu, others, fixed)
        none = (1.0 - np.minimum(mu / np.maximum(others, 1.0), 1.0)) ** others
        expected = np.where(fixed >= 1, fixed - 1.0 + mu, mu - 1.0 + none)
        stats = {
            "expected_edges": float(expected.sum()),
            "observed_meetings": observed,
            "log10_p": float(log10_p),
            "log10_tests": float(tests + np.log10(2.0)),
            "significance": float(log10_p - tests - np.log10(2.0)),
        }
        if best is None or stats["significance"] > best["significance"]:
            best = stats
    if best is None:
        return {
            "expected_edges": 0.0,
            "observed_meetings": 0,
            "log10_p": 0.0,
            "log10_tests": float(tests + np.log10(2.0)),
            "significance": -float(tests + np.log10(2.0)),
        }
    return best
