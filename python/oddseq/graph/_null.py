"""How unlikely a dense block is under a null model of independent entities."""

from __future__ import annotations

import numbers
from math import isfinite, lgamma, log, log10

import numpy as np
from scipy.special import betainc, gammainc, gammaln, logsumexp

from .. import _core
from ..utils._unique import distinct

__all__ = [
    "block_significance",
    "log10_excess_sf",
    "log10_excess_sf_laws",
    "log10_poisson_sf",
    "log10_return_sf",
    "poisson_surprise",
]

_LN10 = log(10.0)
# The conditioned test also judges the members' excess against their own laws (see
# block_significance); False: only the whole population's.
_MEMBER_TEST = True
# Logs of numbers exp can still give as float64 (its largest is about e^709.78).
_LOG_MAX = 708.0


def log10_poisson_sf(k: int, mu: float) -> float:
    """log10 P(X >= k) for X ~ Poisson(mu); exact where it is representable, else the
    tail bound pmf(k) / (1 - mu / (k + 1)) (tight far in the tail, where it is used).

    Examples
    --------
    >>> round(log10_poisson_sf(0, 3.0), 12)
    0.0
    >>> round(10 ** log10_poisson_sf(2, 1.0), 6)  # 1 - P(0) - P(1) = 1 - 2/e
    0.264241
    """
    # Defined edges kept: k <= 0 is certain (0.0), mu = 0 never reaches k >= 1 (-inf).
    for name, value in (("k", k), ("mu", mu)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a number, got {value!r}")
    if not isfinite(k):
        raise ValueError(f"k must be a finite number (a count), got {k!r}")
    if not mu >= 0:
        raise ValueError(f"mu must be a number >= 0 (a Poisson mean), got {mu!r}")
    if k <= 0:
        return 0.0
    if mu == 0:
        return -np.inf
    p = float(gammainc(k, mu))
    if p > 1e-280:
        return log10(p)
    log_pmf = -mu + k * log(mu) - lgamma(k + 1)
    return (log_pmf - log(1.0 - mu / (k + 1))) / _LN10


def poisson_surprise(k, mu) -> np.ndarray:
    """-log10 P(X >= k) for X ~ Poisson(mu), elementwise (0 where k <= 0).

    Examples
    --------
    >>> poisson_surprise([0, 2, 7], [3.0, 1.0, 0.08]).round(3).tolist()
    [0.0, 0.578, 11.411]
    """
    k = np.asarray(k, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    if not np.isfinite(k).all():
        raise ValueError("k must be finite numbers (counts), got NaN or inf")
    if not (mu >= 0).all():
        raise ValueError("mu must be >= 0 (Poisson means), got NaN or a negative value")
    mu = np.maximum(mu, 1e-300)  # mu = 0: any k >= 1 is as surprising as a float can say
    k, mu = np.broadcast_arrays(k, mu)
    out = np.zeros(k.shape)
    pos = k > 0
    kk, mm = k[pos], mu[pos]
    p = gammainc(kk, mm)
    log_pmf = -mm + kk * np.log(mm) - gammaln(kk + 1)
    bound = (log_pmf - np.log1p(-np.minimum(mm / (kk + 1), 0.5))) / _LN10
    with np.errstate(divide="ignore"):
        exact = np.log10(p)
    out[pos] = -np.where(p > 1e-280, exact, bound)
    return out


def _log10_binom(n: int, k: int) -> float:
    if k <= 0 or k >= n:
        return 0.0
    return (lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)) / _LN10


def _log_mgf_excess(lam: np.ndarray, theta: float) -> np.ndarray:
    """log E exp(theta (h - 1)^+) for h ~ Poisson(lam), elementwise:
    log(e^-lam (1 - e^-theta) + exp(-theta + lam (e^theta - 1)))."""
    a = -lam + np.log(-np.expm1(-theta))
    b = -theta + lam * np.expm1(theta)
    return np.logaddexp(a, b)


def _log10_excess_chernoff(excess: float, lam: np.ndarray, counts: np.ndarray) -> float:
    """The Chernoff bound on log10 P(sum_u (h_u - 1)^+ >= excess), h_u ~ Poisson(lam_u)."""

    def bound(theta):
        return float(counts @ _log_mgf_excess(lam, theta)) - theta * excess

    # Convex in theta: a golden-section search over (0, 60].
    lo, hi = 1e-9, 60.0
    g = (np.sqrt(5.0) - 1) / 2
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = bound(x1), bound(x2)
    for _ in range(80):
        if f1 <= f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - g * (hi - lo)
            f1 = bound(x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + g * (hi - lo)
            f2 = bound(x2)
    return min(0.0, min(f1, f2)) / _LN10


# Largest excess whose tail is computed term by term (above it, the Chernoff bound).
_EXACT_EXCESS = 2000
# An entity whose chance of two acts or more in a block reaches this is no rare event: the
# compound Poisson stand-in would let it show its excess again and again (a crawler on
# every object would arrive as a Poisson stream of crawlers); it enters by its own law.
_HEAVY = 0.1


def _panjer_log_pmf(lam: np.ndarray, counts: np.ndarray, n: int) -> np.ndarray:
    """log P(S = j), j = 0..n, for S the compound Poisson excess of entities with
    h_u ~ Poisson(lam_u) that dominates the true sum of (h_u - 1)^+, by Panjer's
    recursion.

    Entity u adds s at the rate P(h_u = s + 1) * -log(1 - P(h_u >= 2)) / P(h_u >= 2):
    its own compound Poisson then jumps at least once exactly as often as h_u >= 2, each
    jump drawn from the law of h_u - 1 given h_u >= 2, so it dominates (h_u - 1)^+ and
    the sum dominates the true sum (as :func:`log10_return_sf` does). The plain rates
    P(h_u = s + 1) fall short: one entity's P(S >= 1) would be 1 - exp(-P(h_u >= 2)),
    under P(h_u >= 2) (seen as a bound broken by a part in 10,000 where one entity of
    rate 0.03 must add 1). Past n the callers add the true law's Chernoff bound, not
    the compound's (whose mass there is larger but, for entities with P(h >= 2) under
    _HEAVY and n twice the excess and more, far below the terms summed)."""
    from .._core import log_sum_exp_lines, panjer_log_pmf

    lam = np.ascontiguousarray(lam, dtype=np.float64)
    counts = np.ascontiguousarray(counts, dtype=np.float64)
    # P(h >= 2) and the log of each entity's scale -log(1 - P(h >= 2)) / P(h >= 2) (>= 1).
    two = np.minimum(gammainc(2, lam), 1.0 - 1e-12)
    own_rate = -np.log1p(-two)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_scale = np.where(two > 0, np.log(own_rate) - np.log(two), 0.0)
        # log rate of entities adding s: log sum_u counts_u scale_u Poisson(s + 1; lam_u),
        # s = 1..n: a sum of exponentials along lines in s + 1 (C++, each sum's terms
        # under e^-64 of its largest left out), less log (s + 1)!.
        intercept = -lam + log_scale + np.log(counts)
        slope = np.log(lam)
    log_rate = log_sum_exp_lines(intercept, slope, 2.0, n) - gammaln(np.arange(3.0, n + 3.0))
    total = float(counts @ own_rate)  # rate of the entities' first jumps
    # Panjer's recursion in C++ (O(n) terms a step at most; a step stops where a bound
    # shows the rest under e^-64 of its largest term).
    return panjer_log_pmf(np.ascontiguousarray(log_rate), -total, int(n))


def _log_mgf_bounded(theta: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """log E exp(theta (h - 1)^+) for h ~ Binomial(k, q), broadcast over theta and q:
    log(P(h = 0) (1 - e^-theta) + e^-theta (1 - q + q e^theta)^k)."""
    with np.errstate(divide="ignore"):  # q = 1: P(h = 0) = 0
        log_p0 = k * np.log1p(-q)
    a = log_p0 + np.log(-np.expm1(-theta))
    b = -theta + k * np.log1p(q * np.expm1(theta))
    return np.logaddexp(a, b)


_THETAS = np.geomspace(1e-4, 60.0, 400)[:, None]


def _log_heavy_tail(q: np.ndarray, counts: np.ndarray, k: int, n: int) -> np.ndarray:
    """Chernoff bounds on log P(sum_u (h_u - 1)^+ >= t), t = 0..n, for independent
    h_u ~ Binomial(k, q_u) (``counts`` entities each); -inf past the most they can show."""
    cumulant = _log_mgf_bounded(_THETAS, q[None, :], k) @ counts
    t = np.arange(n + 1, dtype=np.float64)
    bound = np.minimum(0.0, (cumulant[:, None] - _THETAS * t[None, :]).min(axis=0))
    bound[t > float(counts.sum()) * (k - 1)] = -np.inf
    return bound


def _check_counts(counts: np.ndarray, values: np.ndarray, name: str) -> None:
    """``counts`` (how many entities share each of ``values``) must match them one to one."""
    if values.ndim != 1 or counts.shape != values.shape:
        raise ValueError(
            f"{name} must be a 1-d array and counts hold one entity count for each of its "
            f"values: {name} has shape {values.shape}, counts {counts.shape}"
        )


def log10_excess_sf(excess: int, lam, counts=None, k=None) -> float:
    """log10 P(sum_u (h_u - 1)^+ >= excess) for independent h_u ~ Poisson(lam_u)
    (``counts``: how many entities share each lam): how much more than one act each
    that many entities show by chance.

    Entities with h_u >= 2 are rare events, so the excess is bounded by a compound
    Poisson sum (entities with h = s + 1 arrive at rate sum_u P(h_u = s + 1) scaled by
    -log(1 - P(h_u >= 2)) / P(h_u >= 2), each adding s: one arrival or more exactly as
    often as h_u >= 2, so it dominates the true sum); its law is computed by Panjer's
    recursion up to twice the excess and the rest of the tail bounded by Chernoff's.
    Above an excess of 2,000 the Chernoff bound alone (an upper bound: it never
    overstates how unlikely).

    With ``k`` (the block's objects: an entity acts on at most that many of them),
    h_u ~ Binomial(k, lam_u / k), the law of that many chances with mean lam_u (the
    Chung-Lu model's edges are such chances; of all laws of k chances with that mean
    the binomial reaches high counts most often, Hoeffding 1956). An entity for which
    h_u >= 2 is not rare (probability 0.1 or more: a giant that touches nearly every
    object) is then no arrival of a compound Poisson stream, which would let it show
    its excess again and again, but itself: its excess is at most k - 1 (none at k = 1). Those
    entities' sum is bounded by Chernoff's bound on their exact laws and combined with
    the others' compound Poisson law term by term (an upper bound again).

    Examples
    --------
    >>> round(log10_excess_sf(0, [0.5]), 6)
    0.0
    >>> from scipy.stats import poisson  # one entity: P(h >= 3), a little above it
    >>> round(log10_excess_sf(2, [0.1]), 3), round(float(np.log10(poisson.sf(2, 0.1))), 3)
    (-3.782, -3.811)

    Two crawlers on every one of a block's six objects show an excess of 5 each, never
    more (as a compound Poisson stream they would reach 20 with probability 0.8):

    >>> round(log10_excess_sf(20, [6.0, 6.0]), 1), log10_excess_sf(20, [6.0, 6.0], k=6)
    (-0.1, -inf)
    """
    lam = np.asarray(lam, dtype=np.float64)
    counts = np.ones(lam.size) if counts is None else np.asarray(counts, dtype=np.float64)
    _check_counts(counts, lam, "lam")
    if np.isnan(lam).any() or np.isnan(counts).any():
        raise ValueError("lam and counts must be numbers (rates and entity counts), not NaN")
    if k is not None:  # (checked before any shortcut, as the arguments above)
        whole = isinstance(k, numbers.Real) and not isinstance(k, (bool, np.bool_))
        if not whole or not float(k).is_integer() or k < 1:
            raise ValueError(
                f"k must be the block's number of objects, a whole number >= 1, got {k!r}"
            )
        k = int(k)
    if excess <= 0:
        return 0.0
    if k == 1:
        return -np.inf  # one object: each entity acts on it once at most, no excess
    keep = (lam > 0) & (counts > 0)
    lam, counts = lam[keep], counts[keep]
    if np.isinf(counts).any() or (k is None and np.isinf(lam).any()):
        # Infinitely many entities that can act, or (without k) one of infinite rate,
        # make any excess certain; with k, an infinite rate is k chances taken
        # (Binomial(k, 1)), below.
        return 0.0
    if lam.size == 0:
        return -np.inf
    heavy = np.zeros(lam.size, dtype=bool)
    if k is not None:
        lam = np.minimum(lam, float(k))
        q = lam / k
        # P(h >= 2) for h ~ Binomial(k, q) (0 for k = 1).
        two = -np.expm1(k * np.log1p(-np.minimum(q, 1.0 - 1e-16))) - k * q * (1.0 - q) ** (k - 1)
        heavy = two >= _HEAVY
    if not heavy.any():
        if excess > _EXACT_EXCESS:
            return _log10_excess_chernoff(excess, lam, counts)
        n = 2 * int(excess) + 20
        log_g = _panjer_log_pmf(lam, counts, n)
        tail = logsumexp(log_g[int(excess) :])
        beyond = _log10_excess_chernoff(n + 1, lam, counts) * _LN10
        return min(0.0, float(np.logaddexp(tail, beyond))) / _LN10
    light, q_heavy, c_heavy = ~heavy, q[heavy], counts[heavy]
    if not light.any() and excess > float(c_heavy.sum()) * (k - 1):
        return -np.inf  # more than those entities can show
    if excess > _EXACT_EXCESS:
        # Chernoff's bound at the grid's best theta (C++: K - theta * excess is convex
        # in theta, so a ternary search over _THETAS finds its least).
        best = _core.excess_chernoff_grid_min(
            np.ascontiguousarray(_THETAS[:, 0]),
            q_heavy,
            c_heavy,
            k,
            lam[light],
            counts[light],
            float(excess),
        )
        return min(0.0, best) / _LN10
    x = int(excess)
    if light.any():
        n = 2 * x + 20
        log_g = _panjer_log_pmf(lam[light], counts[light], n)
        beyond = _log10_excess_chernoff(n + 1, lam[light], counts[light]) * _LN10
        tail_light = np.logaddexp(logsumexp(log_g[x:]), beyond)
    else:
        log_g = np.full(x + 1, -np.inf)
        log_g[0] = 0.0
        tail_light = -np.inf
    # P(S >= x) = sum_{j < x} P(S_light = j) P(S_heavy >= x - j) + P(S_light >= x).
    heavy_tail = _log_heavy_tail(q_heavy, c_heavy, k, x)
    terms = log_g[:x] + heavy_tail[x - np.arange(x)]
    return min(0.0, float(np.logaddexp(logsumexp(terms), tail_light))) / _LN10


def log10_return_sf(excess: int, n_acts, p: float, counts=None) -> float:
    """log10 P(sum_u (h_u - 1)^+ >= excess) for independent h_u ~ Binomial(n_u, p):
    how much more than one act each in a set of windows that many entities show by
    chance when each of entity u's ``n_acts`` acts on an object falls in those windows
    with probability ``p`` (``counts``: how many entities share each n_u).

    The null model of coming back to one object: an entity's number of acts on it is
    given (returning to an item one likes is common and no evidence); what is judged is
    whether the returns coincide in time. As in :func:`log10_excess_sf`, entities
    adding s = h - 1 >= 1 arrive as a compound Poisson sum that dominates the exact one
    (each entity's own compound Poisson has one jump or more exactly as often as
    h_u >= 2), so its tail is an upper bound, close where h_u >= 2 is rare; Panjer's
    recursion up to twice the excess, Chernoff's bound beyond.

    Examples
    --------
    >>> round(log10_return_sf(0, [4], 0.1), 6)
    0.0
    >>> from scipy.stats import binom  # one entity: P(h >= 3), h ~ Binomial(4, 0.1); above it
    >>> round(log10_return_sf(2, [4], 0.1), 3), round(float(np.log10(binom.sf(2, 4, 0.1))), 3)
    (-2.302, -2.432)
    """
    n = np.asarray(n_acts, dtype=np.float64)
    counts = np.ones(n.size) if counts is None else np.asarray(counts, dtype=np.float64)
    _check_counts(counts, n, "n_acts")
    p = float(p)
    if not 0.0 <= p <= 1.0 or not np.isfinite(p):
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    if excess <= 0:
        return 0.0
    keep = (n >= 2) & (counts > 0)
    n, counts = n[keep], counts[keep]
    if n.size == 0 or p == 0.0 or excess > float(counts @ (n - 1)):
        return -np.inf
    if p == 1.0:
        return 0.0
    top = int(n.max()) - 1  # the largest s one entity can add
    m = 2 * int(excess) + 20
    # Only P(S >= x) is asked, x the excess (Chernoff's bound alone) or m + 1 (Panjer's
    # recursion to m, Chernoff's bound beyond): a jump of x or more reaches x alone, so
    # the jumps past x count as one of x, exactly (S >= x iff the sum of min(jump, x) is).
    # The arrays are then as wide as the excess asks, not as an entity's acts (a million
    # acts on one object: 600 x 1e6 floats in the bound, GBs; review s32 H8's note).
    width = min(top, int(np.ceil(excess)) if excess > _EXACT_EXCESS else m + 1)
    log_rate = _return_log_rates(n, counts, p, width, lumped=top > width)
    s = np.arange(1, width + 1, dtype=np.float64)
    rate = np.exp(log_rate)
    total = float(rate.sum())

    def chernoff(x):  # log P(S >= x) <= K(theta) - theta x, K the compound cumulant
        thetas = np.linspace(1e-3, 60.0, 600)
        # K(theta) = sum_s rate_s (e^(theta s) - 1), in logs: theta s reaches 60 times
        # the largest jump, past exp's range (float64 ends near e^709) for entities of
        # 13 acts or more; log(e^y - 1) = y + log1p(-e^-y) for y > 0. A slice of jumps
        # at a time (about _CHUNK floats).
        log_k = None
        step = max(_CHUNK // thetas.size, 1)
        for j in range(0, s.size, step):
            y = np.outer(thetas, s[j : j + step])
            part = logsumexp(log_rate[None, j : j + step] + y + np.log1p(-np.exp(-y)), axis=1)
            log_k = part if log_k is None else np.logaddexp(log_k, part)
        # Where K passes float64's range the bound says nothing (it is never the least).
        finite = log_k < _LOG_MAX
        values = np.exp(log_k[finite]) - thetas[finite] * x
        return min(0.0, float(values.min())) if values.size else 0.0

    if excess > _EXACT_EXCESS:
        return chernoff(excess) / _LN10
    # Panjer's recursion in logs (C++, as _panjer_log_pmf): jumps of s = 1..m at most.
    log_g = _core.panjer_log_pmf(np.ascontiguousarray(log_rate[: min(width, m)]), -total, m)
    tail = logsumexp(log_g[int(excess) :])
    return min(0.0, float(np.logaddexp(tail, chernoff(m + 1)))) / _LN10


def _return_log_pmf(n: np.ndarray, p: float, s: np.ndarray) -> np.ndarray:
    """log P(h = s + 1) for h ~ Binomial(n, p): a row per entity, a column per jump s."""
    k = s[None, :] + 1
    log_pmf = (
        gammaln(n + 1)[:, None]
        - gammaln(k + 1)
        - gammaln(np.maximum(n[:, None] - k, 0) + 1)
        + k * log(p)
        + (n[:, None] - k) * np.log1p(-p)
    )
    return np.where(k <= n[:, None], log_pmf, -np.inf)


def _return_log_rates(n, counts, p: float, width: int, lumped: bool) -> np.ndarray:
    """:func:`log10_return_sf`'s log jump rates, s = 1..width: entity u's excess as a
    compound Poisson of its own, jumps of the law of h - 1 given h >= 2 at the rate
    -log(1 - P(h >= 2)), so that one jump or more is exactly as likely as h >= 2; it
    dominates (h - 1)^+ and the sum dominates the true sum, so the tail is an upper
    bound (never overstates how unlikely). ``lumped``: the last jump stands for every
    jump of ``width`` or more (P(h >= width + 1)). A slice of jumps at a time (about
    _CHUNK floats), where the entities' laws are wider (the rows as one array where
    they fit, as before)."""
    step = max(_CHUNK // n.size, 1)
    spans = [(j, min(j + step, width)) for j in range(0, width, step)]

    def block(j0: int, j1: int) -> np.ndarray:
        log_pmf = _return_log_pmf(n, p, np.arange(j0 + 1, j1 + 1, dtype=np.float64))
        if lumped and j1 == width:  # P(h >= width + 1): the regularized incomplete beta
            at = n >= width + 1
            tail = np.full(n.size, -np.inf)
            with np.errstate(divide="ignore"):
                tail[at] = np.log(betainc(width + 1.0, n[at] - width, p))
            log_pmf[:, -1] = tail
        return log_pmf

    if len(spans) == 1:
        log_pmf = block(0, width)
        log_two = logsumexp(log_pmf, axis=1)
    else:
        log_two = np.full(n.size, -np.inf)
        for j0, j1 in spans:
            log_two = np.logaddexp(log_two, logsumexp(block(j0, j1), axis=1))
    two = np.minimum(np.exp(log_two), 1.0 - 1e-12)
    weight = (np.log(-np.log1p(-two)) - log_two + np.log(counts))[:, None]
    if len(spans) == 1:
        return logsumexp(log_pmf + weight, axis=0)
    return np.concatenate([logsumexp(block(j0, j1) + weight, axis=0) for j0, j1 in spans])


def block_significance(
    row_degree: np.ndarray,
    col_degree: np.ndarray,
    n_edges: int,
    n_rows: int,
    n_cols: int,
    block_edges: int,
    *,
    member_edges=None,
    population=None,
    capacity=None,
    members_too: bool = True,
) -> dict:
    """How unlikely a block is under a null model of independent entities: each picks
    its own number of objects (its degree), objects drawn in proportion to their
    popularity (the Chung-Lu model: P(edge u-j) = min(1, d_u d_j / E)).

    ``row_degree`` and ``col_degree`` are the degrees of the block's rows and columns in
    the whole graph, ``n_edges`` (E) its edges, ``n_rows`` and ``n_cols`` the rows and
    columns searched and ``block_edges`` the edges inside the block.

    With ``member_edges`` (each row's edges inside the block) and ``population`` (the
    degree of every entity of the graph, or a pair (degrees, how many entities have
    each)), the test is conditioned on the columns' popularity: a column's audience is
    its degree's worth of entities, so one edge of each entity into the block is what
    the columns' popularity explains (a crowd on one item at a drop is that item's
    popularity in that hour, whatever its size), and the evidence of acting together is
    the members' further edges, ``excess = sum(member_edges - 1)``. Under the null,
    entity u's edges into the block number h_u ~ Poisson(d_u sum(d_j) / E), at most k
    (one per column: an entity on nearly every object, a crawler, shows an excess of
    k - 1 once, not again and again as an arrival of a compound Poisson stream would;
    ``capacity``, when given, in place of k: the most acts one entity can have in the
    block, for a lockstep block its (object, window) acts, several per object),
    and the chance that all entities together show that much excess (over the whole
    population, so there is no choice of rows to allow for; see
    :func:`log10_excess_sf` with ``k``) is ``log10_p``; the count of blocks is that of
    the columns: columns choose k, each k
    given the share 2 ** -k of the error rate (the shares sum to one: small blocks are
    tested at nearly full strength). With ``members_too`` (the default) the members'
    excess is also judged against their own laws alone, the rows then chosen among all
    ``n_rows`` (their number and which: log10 n_rows + log10 C(n_rows, m) more tests),
    and the better of the two tests kept, the choice counted
    (log10 2 more tests): a few heavy entities in the population (bots, crawlers) make a
    large excess likely somewhere, which says nothing of light accounts that show it
    on objects of their own (a ring of eight on three pages beside twelve bots: "not
    significant" by the population's excess alone). Without
    ``member_edges`` the unconditioned test: all ``block_edges`` against the Chung-Lu
    expectation (a Poisson tail), rows chosen among all ``n_rows``.

    Returns the expected edges inside the block (``expected_edges``: conditioned, the
    members' one edge each plus their expected excess), ``log10_p`` = -log10 P(at least
    that much | null), ``log10_tests`` = log10 of the number of blocks of that shape and
    ``significance`` = log10_p - log10_tests: the block is as unlikely as
    10 ** -significance even after allowing for the search over every block of its
    shape (Bonferroni).

    Examples
    --------
    >>> import numpy as np
    >>> s = block_significance(np.full(5, 3), np.full(4, 5), 3000, 1000, 1000, 20)
    >>> round(s["expected_edges"], 3), round(s["significance"], 1)
    (0.1, 8.9)

    Six accounts of 1,000 (three objects each), each on all three of three items that
    nobody else acted on (300 objects searched):

    >>> s = block_significance(np.full(6, 3), np.full(3, 6), 3000, 1000, 300, 18,
    ...                        member_edges=np.full(6, 3), population=np.full(1000, 3))
    >>> round(s["expected_edges"], 3), round(s["significance"], 1)
    (6.001, 8.9)
    """
    du = np.asarray(row_degree, dtype=np.float64)
    dj = np.asarray(col_degree, dtype=np.float64)
    m, k = du.size, dj.size
    if member_edges is not None:
        member_edges = np.asarray(member_edges, dtype=np.float64)
        if member_edges.shape != (m,):
            raise ValueError(
                f"member_edges must hold one count per row of the block ({m}), got shape "
                f"{member_edges.shape}"
            )
        if population is None:
            raise ValueError(
                "member_edges needs population: the degree of every entity of the graph "
                "(the null model's entities), or a pair (degrees, counts)"
            )
    if n_edges <= 0 or m == 0 or k == 0:
        return {"expected_edges": 0.0, "log10_p": 0.0, "log10_tests": 0.0, "significance": 0.0}
    shapes = log10(max(n_rows, 1)) + log10(max(n_cols, 1))
    if member_edges is not None:
        if isinstance(population, tuple):
            degrees, counts = (np.asarray(a, dtype=np.float64) for a in population)
        else:
            degrees, counts = np.unique(np.asarray(population), return_counts=True)
            degrees = degrees.astype(np.float64)
        share = float(dj.sum()) / n_edges
        excess = int(round(float(np.maximum(member_edges - 1.0, 0.0).sum())))
        cap = k if capacity is None else max(int(capacity), 1)
        log10_p = -log10_excess_sf(excess, np.minimum(degrees * share, cap), counts, k=cap)
        lam = np.minimum(du * share, cap)
        expected = float((lam - 1.0 + np.exp(-lam)).sum())  # E (h - 1)^+ of the members
        # No choice of rows to allow for (the excess is the whole population's):
        # columns choose k, each k weighted 2**-k (the weights sum to 1).
        tests = _log10_binom(n_cols, k) + k * log10(2.0)
        if _MEMBER_TEST and members_too:
            # The members' own excess against their own laws, the rows chosen among all
            # n_rows: a few heavy entities (crawlers, bots) in the population make a
            # large excess likely somewhere, which says nothing of light members who
            # show it. The better of the two tests, the choice counted (log10 2 each).
            member_p = -log10_excess_sf(excess, lam, k=cap)
            member_tests = tests + _log10_binom(n_rows, m) + log10(max(n_rows, 1))
            if member_p - member_tests > log10_p - tests:
                log10_p, tests = member_p, member_tests
            tests += log10(2.0)
        return {
            "expected_edges": m + expected,
            "log10_p": log10_p,
            "log10_tests": tests,
            "significance": log10_p - tests,
        }
    if m * k <= 4_000_000:
        mu = float(np.minimum(1.0, np.outer(du, dj) / n_edges).sum())
    else:  # large blocks: the unclipped sum (an upper bound, so never too significant)
        mu = float(du.sum() * dj.sum() / n_edges)
    log10_p = -log10_poisson_sf(int(block_edges), mu)
    tests = _log10_binom(n_rows, m) + _log10_binom(n_cols, k) + shapes
    return {
        "expected_edges": mu,
        "log10_p": log10_p,
        "log10_tests": tests,
        "significance": log10_p - tests,
    }


def _log_rate_chernoff(log_rate: np.ndarray, s: np.ndarray, x: float) -> float:
    """Chernoff's bound on log P(S >= x) for S a compound Poisson sum whose jumps of
    size s arrive at rate exp(log_rate): K(theta) - theta x, K(theta) =
    sum_s rate_s (e^(theta s) - 1), computed in logs (theta s passes exp's range)."""
    thetas = np.geomspace(1e-4, 60.0, 400)
    y = np.outer(thetas, s)
    with np.errstate(divide="ignore"):
        log_k = logsumexp(log_rate[None, :] + y + np.log1p(-np.exp(-y)), axis=1)
    finite = log_k < _LOG_MAX
    values = np.exp(log_k[finite]) - thetas[finite] * x
    return min(0.0, float(values.min())) if values.size else 0.0


# Rows of a law-sized array handled at a time (about 8 MB of float64).
_CHUNK = 2**20


def _logsumexp_axis0(a: np.ndarray) -> np.ndarray:
    """``scipy.special.logsumexp(a, axis=0)`` of a 2-d float64 array, bit for bit, without
    its array-sized temporaries: the same operations (each column's largest term
    counted m times, the others' exp(a - largest) summed row after row as numpy sums
    a C-ordered array down its columns, then log1p(s / m) + log(m) + largest), a slice
    of rows at a time. A single column (numpy sums it pairwise) takes scipy; a column
    of -inf only is -inf, and one holding NaN or inf takes scipy (NaN or inf, whatever
    the order of the sum)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] < 2:
        return logsumexp(a, axis=0)
    top = top_all = a.max(axis=0)
    odd = ~np.isfinite(top)
    if odd.any():
        top = np.where(odd, 0.0, top)  # those columns: below
    n, k = a.shape
    n_rows = max(_CHUNK // k, 1)
    m = np.zeros(k, dtype=np.int64)
    # Each slice's terms below the running sum (row 0): summed row after row, so the
    # sum goes on as one sum over all rows would.
    buf = np.empty((min(n_rows, n) + 1, k))
    total = None
    for r0 in range(0, n, n_rows):
        part = a[r0 : r0 + n_rows]
        at_top = part == top
        m += at_top.sum(axis=0)
        terms = buf[1 : part.shape[0] + 1]
        np.subtract(part, top, out=terms)
        np.putmask(terms, at_top, -np.inf)
        np.exp(terms, out=terms)
        if total is None:
            total = terms.sum(axis=0)
        else:
            buf[0] = total
            total = buf[: part.shape[0] + 1].sum(axis=0)
    m = m.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.where(total == 0, total, total / m)
        out = np.log1p(total) + np.log(m) + top
    if odd.any():
        out[odd] = -np.inf  # no term: log(0)
        odd &= top_all != -np.inf
        if odd.any():
            out[odd] = logsumexp(a[:, odd], axis=0)
    return out


def log10_excess_sf_laws(excess: int, sf, counts=None) -> float:
    """log10 P(sum_u (h_u - 1)^+ >= excess) for independent h_u, each given by its law:
    ``sf[u, j]`` = P(h_u >= j), j = 0..K (``sf[:, 0]`` = 1; ``counts``: how many
    entities share each law).

    The same bounds as :func:`log10_excess_sf` for laws of any shape (an entity's acts
    on a block's objects in one window come together, as a category's fan browses
    several of its items in one session: a law of clusters, which no binomial of the
    same mean holds): entities with P(h_u >= 2) under 0.1 as a compound Poisson sum
    that dominates theirs (jumps of the law of h_u - 1 given h_u >= 2 at the rate
    -log(1 - P(h_u >= 2))), by Panjer's recursion up to twice the excess and
    Chernoff's bound beyond; the others (heavy: no rare event) by Chernoff's bound on
    their exact laws, combined term by term. An upper bound: never more significant
    than the laws given.

    Examples
    --------
    >>> from scipy.stats import binom  # one entity, Binomial(3, 0.1): P(h >= 3), above it
    >>> sf = binom.sf(np.arange(4) - 1, 3, 0.1)[None, :]
    >>> round(log10_excess_sf_laws(2, sf), 2), round(float(np.log10(binom.sf(2, 3, 0.1))), 2)
    (-2.86, -3.0)

    A fan who views three items of a category whenever it visits it (one chance in a
    hundred an hour) adds its excess of 2 as often as it visits, not at 1e-6:

    >>> round(log10_excess_sf_laws(2, [[1.0, 0.01, 0.01, 0.01]]), 3)
    -2.0
    """
    if excess <= 0:
        return 0.0
    sf = np.atleast_2d(np.asarray(sf, dtype=np.float64))
    if sf.ndim != 2 or sf.shape[1] < 1:
        raise ValueError(f"sf must be a 2-d array of survival functions, got shape {sf.shape}")
    counts = np.ones(sf.shape[0]) if counts is None else np.asarray(counts, dtype=np.float64)
    if counts.shape != (sf.shape[0],):
        raise ValueError(f"counts must hold one count per law ({sf.shape[0]}), got {counts.shape}")
    big_k = sf.shape[1] - 1
    if big_k < 2:
        return -np.inf  # no entity shows an excess
    # The laws a slice of rows at a time (no law-sized temporaries: the laws can be
    # large; each row's operations as on the whole array): clipped to [0, 1] and made
    # non-rising (a survival function does not rise), P(h = j), the laws that reach
    # h >= 2 kept; the heavy ones whole, the light ones' log jump rates (below).
    n_rows = max(_CHUNK // (big_k + 1), 1)
    scaled = np.empty((sf.shape[0], big_k - 1))
    n_light = 0
    kept, heavy_parts, light_two, light_counts = [], [], [], []
    for r0 in range(0, sf.shape[0], n_rows):
        part = np.clip(sf[r0 : r0 + n_rows], 0.0, 1.0)
        part = np.minimum.accumulate(part, axis=1)
        pmf = np.empty_like(part)
        np.subtract(part[:, :-1], part[:, 1:], out=pmf[:, :-1])
        pmf[:, -1] = part[:, -1] - 0.0
        np.maximum(pmf, 0.0, out=pmf)
        keep = (counts[r0 : r0 + n_rows] > 0) & (part[:, 2] > 0)
        pmf, c, two = pmf[keep], counts[r0 : r0 + n_rows][keep], part[keep, 2]
        del part
        two = np.minimum(two, 1.0 - 1e-12)
        heavy = two >= _HEAVY
        kept.append(c)
        heavy_parts.append((pmf[heavy], c[heavy]))
        if heavy.any():
            pmf, c, two = pmf[~heavy], c[~heavy], two[~heavy]
        if pmf.shape[0]:
            # P(h = s + 1) scaled by -log(1 - P(h >= 2)) / P(h >= 2) and the counts.
            out = scaled[n_light : n_light + pmf.shape[0]]
            with np.errstate(divide="ignore"):
                np.log(pmf[:, 2:], out=out)
            out += (np.log(-np.log1p(-two)) - np.log(two) + np.log(c))[:, None]
            n_light += pmf.shape[0]
            light_two.append(two)
            light_counts.append(c)
        del pmf
    counts = np.concatenate(kept)
    if counts.size == 0 or excess > float(counts.sum()) * (big_k - 1):
        return -np.inf
    pmf_heavy = np.concatenate([h[0] for h in heavy_parts])
    counts_heavy = np.concatenate([h[1] for h in heavy_parts])
    x = int(excess)
    s = np.arange(1, big_k, dtype=np.float64)  # jumps: h - 1 for h = 2..K
    thetas = _THETAS[::5, 0]

    def heavy_cumulant():
        # log E exp(theta (h - 1)^+) per heavy law, summed with counts; on the coarser
        # grid of thetas (a Chernoff bound at any theta is a bound). Each law's terms are
        # scaled by its largest jump that has mass, (h_L - 1)^+: every factor is then at
        # most 1 (no overflow at any theta), and the term at h_L, 1 times its mass, keeps
        # the sum from vanishing; the laws alike in h_L share one matrix of factors, so
        # the exponentials are (K + 1) x thetas per h_L, not per law (a music log's
        # 10,000 heavy laws took 3/4 of its group stage in the per-law form).
        ex = np.concatenate([[0.0], np.arange(big_k, dtype=np.float64)])  # (h - 1)^+
        last = big_k - np.argmax(pmf_heavy[:, ::-1] > 0, axis=1)  # (each has mass at h >= 2)
        out = np.zeros(thetas.size)
        for top in distinct(last):
            pick = last == top
            factors = np.exp((ex[: top + 1, None] - ex[top]) * thetas[None, :])
            moment = pmf_heavy[pick, : top + 1] @ factors
            weight = counts_heavy[pick]
            out += weight @ np.log(moment) + weight.sum() * ex[top] * thetas
        return out

    any_light, any_heavy = n_light > 0, counts_heavy.size > 0
    if any_light:
        log_rate = _logsumexp_axis0(scaled[:n_light])
        del scaled
        lt, counts_light = np.concatenate(light_two), np.concatenate(light_counts)
        total = float(counts_light @ -np.log1p(-lt))
    if not any_heavy or excess > _EXACT_EXCESS:
        if excess > _EXACT_EXCESS:
            cumulant = heavy_cumulant() if any_heavy else np.zeros(thetas.size)
            if any_light:
                y = np.outer(thetas, s)
                with np.errstate(divide="ignore"):
                    log_k = logsumexp(log_rate[None, :] + y + np.log1p(-np.exp(-y)), axis=1)
                cumulant = cumulant + np.exp(np.minimum(log_k, _LOG_MAX))
            return min(0.0, float((cumulant - thetas * excess).min())) / _LN10
    if any_light:
        m = 2 * x + 20
        # Panjer's recursion in logs (C++, as _panjer_log_pmf): jumps of s = 1..K - 1.
        top = min(s.size, m)
        log_g = _core.panjer_log_pmf(np.ascontiguousarray(log_rate[:top]), -total, m)
        tail_light = np.logaddexp(logsumexp(log_g[x:]), _log_rate_chernoff(log_rate, s, m + 1))
        if not any_heavy:
            return min(0.0, float(tail_light)) / _LN10
    else:
        log_g = np.full(x + 1, -np.inf)
        log_g[0] = 0.0
        tail_light = -np.inf
    cumulant = heavy_cumulant()
    t = np.arange(x + 1, dtype=np.float64)
    heavy_tail = np.minimum(0.0, (cumulant[:, None] - thetas[:, None] * t[None, :]).min(axis=0))
    heavy_tail[t > float(counts_heavy.sum()) * (big_k - 1)] = -np.inf
    terms = log_g[:x] + heavy_tail[x - np.arange(x)]
    return min(0.0, float(np.logaddexp(logsumexp(terms), tail_light))) / _LN10


def _covisit_sf(row, window, obj, chosen, size: int, rows=None):
    """From acts (row, window, object index), those on the objects ``chosen`` (a mask):
    the number of (row, window) pairs on any of them and, per j = 0..size, how many
    hold j of them or more; per row of ``rows`` (sorted) when given, else in all."""
    pick = chosen[obj]
    row, window = row[pick], window[pick]
    if rows is None:
        if row.size == 0:
            return 0.0, np.zeros(size + 1)
        held = _pair_counts(row, window)[1]
        return float(held.size), (held[:, None] >= np.arange(size + 1)).sum(axis=0) * 1.0
    n, counts = np.zeros(rows.size), np.zeros((rows.size, size + 1))
    if row.size == 0 or rows.size == 0:
        return n, counts
    pair_row, held = _pair_counts(row, window)
    at = np.minimum(np.searchsorted(rows, pair_row), rows.size - 1)
    ok = rows[at] == pair_row
    n += np.bincount(at[ok], minlength=rows.size)
    np.add.at(counts, at[ok], held[ok, None] >= np.arange(size + 1))
    return n, counts


def _pair_counts(row, window):
    """The distinct (row, window) pairs' rows and how many acts each holds, in the order
    of ``np.unique(np.stack([row, window]), axis=1)`` (by row, then window): one int64
    key a pair, sorted as a 1-d array (the 2-d unique sorts a void view, 4x slower)."""
    row, window = np.asarray(row, dtype=np.int64), np.asarray(window, dtype=np.int64)
    low_row, low_window = row.min(), window.min()
    span = np.int64(window.max() - low_window + 1)
    key = (row - low_row) * span + (window - low_window)
    pair, held = np.unique(key, return_counts=True)
    return pair // span + low_row, held


def _unique_rows(a):
    """``np.unique(a, axis=0, return_counts=True)`` of a 2-d float array: the same rows
    in the same order with their counts, faster and without a sorted copy of the rows:
    the rows are sorted by value on their first few columns (np.lexsort), and the
    prefix grows until rows alike on it are alike in full (then their order is the
    lexicographic order of whole rows, np.unique's). Arrays holding NaN or -0.0 take
    np.unique."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    if (
        a.ndim != 2
        or 0 in a.shape
        or np.isnan(a.max())
        or (np.signbit(a).any() and np.signbit(a[a == 0]).any())
    ):
        return np.unique(a, axis=0, return_counts=True)
    n, k = a.shape
    prefix = min(k, 16)
    while True:
        order = np.lexsort(a[:, prefix - 1 :: -1].T)
        # Rows alike on the prefix next to each other: alike in full, or the prefix
        # is too short to order them.
        tied = np.flatnonzero((a[order[1:], :prefix] == a[order[:-1], :prefix]).all(axis=1))
        same = np.zeros(n - 1, dtype=bool)
        for i in range(0, tied.size, max(2**20 // k, 1)):
            pair = tied[i : i + max(2**20 // k, 1)]
            same[pair] = (a[order[pair + 1]] == a[order[pair]]).all(axis=1)
        if prefix == k or np.array_equal(same[tied], np.ones(tied.size, dtype=bool)):
            break
        prefix = min(2 * prefix, k)
    first = np.flatnonzero(np.r_[True, ~same])
    return a[order[first]], np.diff(np.r_[first, n])


def activity_laws(
    chance,
    row,
    grid,
    window,
    obj,
    n_objects: int,
    members,
    acts,
    block_windows,
    n_units: int,
    n_acts=None,
    own_total=None,
    round_step=None,
    tail_rows=None,
):
    """Per entity active in a block's windows, the law of its acts on the block's
    objects there: ``(entities, sf)``, ``sf[u, j]`` = P(h_u >= j), j = 0..n_units.

    With ``round_step`` and ``tail_rows`` (entity ids): ``(entities, rounded, tail)``,
    the laws rounded up as ``min(exp(ceil(log(sf) / round_step) * round_step), 1)``
    (in place, a slice at a time: no second law-sized array) and ``tail``, the
    unrounded ``sf[found, 2:]`` of the ``tail_rows`` found among the entities, in
    their order (what a caller sums for the members' expected excess).

    ``chance`` is the chance of each (entity ``row``, ``grid``, ``window``, object
    ``obj``) of the block's columns that the entity acts on the object there, read
    from the object's popularity in the window and the entity's activity;
    ``acts`` the (row, first-grid window, object) acts on the block's objects over the
    whole log; ``members`` the block's rows (sorted); ``block_windows`` the first-grid
    windows the block covers; ``n_acts`` each entry's entity's acts in its window and
    ``own_total`` (rows, their acts outside the block's windows) for the entities'
    own taste.

    An entity's own visits are those outside the block's windows and outside the
    windows where two of the block's members or more act on its objects (a group's
    other rounds are what is judged, not taste). With ``own_total``, an entity's chance
    on an object is at least its own share of acts there (a fan visits its category
    in most of its sessions, whatever the category's popularity).

    An entity's acts on several of the block's objects in one window are one visit,
    not independent chances: it enters the objects' window with the chance that it
    acts on any of them (1 - prod(1 - chance)), and once there it acts on j of them as
    often as the log says such a visit does: the share of the (entity, window) pairs
    on any of those objects that hold j of them or more, of the entities outside the
    block (the objects' co-visits: one category's items browsed in one session) or of
    the entity's own visits outside the block's windows (its own taste), whichever is
    larger, each counted with one visit of one object more (a rate measured on few
    visits is no certainty), and never below the independent chances' law. A ring's
    items that no one else co-visits keep their chances; fans who browse a category's
    items together carry no evidence in doing so, only in coming together in the same
    windows (the entries, which stay judged by popularity). An entity's windows add
    independently, each grid on its own, and the larger law of the two grids per j
    (an act falls in a window of each)."""
    chance = np.asarray(chance, dtype=np.float64)
    big_k = max(int(n_units), 1)
    a_row, a_win, a_obj = (np.asarray(a, dtype=np.int64) for a in acts)
    outside = ~np.isin(a_row, members)
    # An entity's own visits: outside the block's windows and outside the windows where
    # two of its members or more visit the objects (the group's other rounds are what
    # is judged, not taste).
    met_rows = np.unique(np.stack([a_win[~outside], a_row[~outside]]), axis=1)[0]
    met_win, met_n = np.unique(met_rows, return_counts=True)
    own_pick = ~np.isin(a_win, block_windows) & ~np.isin(a_win, met_win[met_n >= 2])
    if n_acts is not None and own_total is not None:
        # Its own taste: the entity's share of its acts outside those windows that are
        # on the object (with one act more), in place of the object's popularity where
        # larger; a acts in the window reach the object with 1 - (1 - share) ** a.
        audience, total = own_total
        n_all = np.int64(n_objects)
        mine = own_pick & np.isin(a_row, audience)
        pair_key, n_windows = np.unique(a_row[mine] * n_all + a_obj[mine], return_counts=True)
        if pair_key.size:
            share = n_windows / (total[np.searchsorted(audience, pair_key // n_all)] + 1.0)
            key = np.asarray(row, dtype=np.int64) * n_all + np.asarray(obj, dtype=np.int64)
            at = np.minimum(np.searchsorted(pair_key, key), pair_key.size - 1)
            own = np.where(pair_key[at] == key, np.minimum(share[at], 1.0 - 1e-12), 0.0)
            a = np.asarray(n_acts, dtype=np.float64)
            chance = np.maximum(chance, -np.expm1(a * np.log1p(-own)))
    n_win = int(window.max()) + 2 if window.size else 1
    # One triple per (row, grid, window): its objects' chances, in object order.
    order = np.lexsort((obj, window, grid, row))
    chance, row, grid, window, obj = (a[order] for a in (chance, row, grid, window, obj))
    triple = (row.astype(np.int64) * 2 + grid) * n_win + window
    start = np.flatnonzero(np.r_[True, triple[1:] != triple[:-1]])
    t_row, t_grid, t_win = row[start], grid[start], window[start]
    # The objects of each (grid, window) of the block: its set of objects.
    gw = t_grid.astype(np.int64) * n_win + t_win
    cell = grid.astype(np.int64) * n_win + window
    cells, cell_of = np.unique(cell, return_inverse=True)
    mask = np.zeros((cells.size, n_objects), dtype=bool)
    mask[cell_of, obj] = True
    sets, set_of_cell = np.unique(mask, axis=0, return_inverse=True)
    t_set = set_of_cell.ravel()[np.searchsorted(cells, gw)]
    entities = distinct(t_row)
    width = int(sets.sum(axis=1).max())
    laws = np.zeros((start.size, width + 1))
    others = (a_row[outside], a_win[outside], a_obj[outside])
    own_acts = (a_row[own_pick], a_win[own_pick], a_obj[own_pick])
    for s_id in range(sets.shape[0]):
        chosen = sets[s_id]
        size = int(chosen.sum())
        here = np.flatnonzero(t_set == s_id)
        # Entries: each triple has one chance per object of its set, in object order.
        idx = start[here][:, None] + np.arange(size)[None, :]
        c = chance[idx.ravel()].reshape(here.size, size)
        # The independent chances' law (Poisson binomial).
        pmf = np.zeros((here.size, size + 1))
        pmf[:, 0] = 1.0
        for i in range(size):
            shifted = np.zeros_like(pmf)
            shifted[:, 1:] = pmf[:, :-1]
            pmf = pmf * (1.0 - c[:, i : i + 1]) + shifted * c[:, i : i + 1]
        sf = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]
        if size >= 2:
            n_pop, ge_pop = _covisit_sf(*others, chosen, size)
            visit = ge_pop / (n_pop + 1.0) if n_pop else np.zeros(size + 1)
            visit = np.broadcast_to(visit, (here.size, size + 1)).copy()
            asked = distinct(t_row[here])
            n_own, ge_own = _covisit_sf(*own_acts, chosen, size, asked)
            own = ge_own / (n_own[:, None] + 1.0)
            visit = np.maximum(visit, own[np.searchsorted(asked, t_row[here])])
            visit[:, :2] = 1.0
            entry = sf[:, 1:2]
            sf[:, 1:] = np.maximum(sf[:, 1:], entry * visit[:, 1:])
        pmf = sf - np.concatenate([sf[:, 1:], np.zeros((here.size, 1))], axis=1)
        laws[here, : size + 1] = np.maximum(pmf, 0.0)
    # Each (entity, grid): its windows' laws convolved, up to n_units acts.
    eg = t_row.astype(np.int64) * 2 + t_grid
    groups, group_of = np.unique(eg, return_inverse=True)
    first_of = np.searchsorted(eg, eg, side="left")
    rank = np.arange(start.size) - first_of
    ent_of = np.searchsorted(entities, groups // 2)
    step = min(width, big_k)
    # Each triple's law holds counts 0..size (its set's objects), and an (entity, grid)'s
    # law after its windows up to the sum of their sizes: only those columns and shifts
    # are convolved (the others add exact zeros, as they would).
    t_size = sets.sum(axis=1)[t_set]
    held = np.cumsum(t_size)
    held -= held[first_of] - t_size[first_of]  # counts held after each triple, per group
    reach = np.minimum(held, big_k) + 1  # columns of the law in the making after it
    # Each (entity, grid)'s law in a slot of its own: two per entity, grid 0 first.
    slot_of = 2 * ent_of + groups % 2
    # P(h >= j) per entity, built for a slice of the entities at a time (each row's
    # sums alike), so that the laws in the making stay small (about 8 MB, and as much
    # for each of a window's three temporaries).
    sf_all = np.empty((entities.size, big_k + 1))
    chunk = max(2**19 // (big_k + 1), 1)
    buf = np.empty((2 * min(chunk, entities.size), big_k + 1))
    if (round_step is None) != (tail_rows is None):
        raise ValueError(
            "round_step and tail_rows go together: give both (rounded laws and the "
            "tail_rows' unrounded ones) or neither"
        )
    if round_step is not None:
        tail_rows = np.asarray(tail_rows, dtype=np.int64)
        found = np.searchsorted(entities, tail_rows)
        ok = (found < entities.size) & (
            entities[np.minimum(found, max(entities.size - 1, 0))] == tail_rows
            if entities.size
            else False
        )
        found = found[ok]
        tail = np.empty((found.size, big_k + 1))
    for e0 in range(0, entities.size, chunk):
        e1 = min(e0 + chunk, entities.size)
        g0, g1 = np.searchsorted(ent_of, [e0, e1])
        s0, s1 = np.searchsorted(group_of, [g0, g1])
        law = buf[: 2 * (e1 - e0)]
        law.fill(0.0)
        law[:, 0] = 1.0
        # The triples by rank (each rank's in index order).
        sub_rank = rank[s0:s1]
        by_rank = np.argsort(sub_rank, kind="stable") + s0
        bounds = np.searchsorted(
            sub_rank[by_rank - s0], np.arange(int(sub_rank.max()) + 2 if s1 > s0 else 0)
        )
        for r in range(bounds.size - 1):
            at_rank = by_rank[bounds[r] : bounds[r + 1]]
            # In parts of like reach (each row's sums alike): a short law is not
            # convolved over the columns of the longest.
            far = reach[at_rank]
            top = int(far.max())
            for lo, up in ((0, top // 4), (top // 4, top // 2), (top // 2, top)):
                pick = at_rank[(far > lo) & (far <= up)]
                if pick.size == 0:
                    continue
                g = slot_of[group_of[pick]] - 2 * e0
                hi = int(reach[pick].max())
                cur = law[g, :hi]
                new = np.zeros_like(cur)
                term = np.empty_like(cur)  # w_i * cur, summed as numpy's new += w_i * cur
                for i in range(min(step, int(t_size[pick].max())) + 1):
                    np.multiply(cur[:, : hi - i], laws[pick, i : i + 1], out=term[:, : hi - i])
                    np.add(new[:, i:], term[:, : hi - i], out=new[:, i:])
                law[g, :hi] = new
        # Mass past n_units folds into its last count (P(h >= j) exact for j < n_units).
        law[:, -1] = np.maximum(1.0 - law[:, :-1].sum(axis=1), 0.0)
        # P(h >= j): summed from the last count down, in place.
        np.cumsum(law[:, ::-1], axis=1, out=law[:, ::-1])
        np.maximum(law, 0.0, out=law)
        # Each entity's larger law of its two grids; a grid it is not in: -inf.
        held_slot = np.zeros(law.shape[0], dtype=bool)
        held_slot[slot_of[g0:g1] - 2 * e0] = True
        law[~held_slot] = -np.inf
        np.maximum(law[0::2], law[1::2], out=sf_all[e0:e1])
        out = sf_all[e0:e1]
        np.minimum(out, 1.0, out=out)
        if round_step is not None:
            here = (found >= e0) & (found < e1)
            tail[here] = out[found[here] - e0]
            with np.errstate(divide="ignore"):
                np.log(out, out=out)
            out /= round_step
            np.ceil(out, out=out)
            out *= round_step
            np.exp(out, out=out)
            np.minimum(out, 1.0, out=out)
    if round_step is not None:
        return entities, sf_all, tail[:, 2:].copy()
    return entities, sf_all
