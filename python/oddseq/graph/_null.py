"""How unlikely a dense block is under a null model of independent entities."""

from __future__ import annotations

import numbers
from math import isfinite, lgamma, log, log10

import numpy as np
from scipy.special import gammainc, gammaln, logsumexp

__all__ = [
    "block_significance",
    "log10_excess_sf",
    "log10_poisson_sf",
    "log10_return_sf",
    "poisson_surprise",
]

_LN10 = log(10.0)
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


def _lse(x: np.ndarray) -> float:
    """log(sum(exp(x))) of a 1-d array: scipy's logsumexp without its per-call overhead
    (about 250 us against 15: the recursions below call it once per term)."""
    top = x.max()
    if not isfinite(top):
        return float(top)
    return float(top + np.log(np.exp(x - top).sum()))


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
    s = np.arange(1, n + 1)
    # P(h >= 2) and the log of each entity's scale -log(1 - P(h >= 2)) / P(h >= 2) (>= 1).
    two = np.minimum(gammainc(2, lam), 1.0 - 1e-12)
    own_rate = -np.log1p(-two)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_scale = np.where(two > 0, np.log(own_rate) - np.log(two), 0.0)
    # log rate of entities adding s: log sum_u counts_u scale_u Poisson(s + 1; lam_u).
    log_pmf = -lam[:, None] + (s + 1)[None, :] * np.log(lam)[:, None] - gammaln(s + 2)[None, :]
    log_rate = logsumexp(log_pmf + (log_scale + np.log(counts))[:, None], axis=0)
    total = float(counts @ own_rate)  # rate of the entities' first jumps
    log_g = np.empty(n + 1)
    log_g[0] = -total
    log_s_rate = np.log(s) + log_rate
    for k in range(1, n + 1):
        log_g[k] = _lse(log_s_rate[:k] + log_g[k - 1 :: -1]) - log(k)
    return log_g


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
    its excess again and again, but itself: its excess is at most k - 1. Those
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
    if excess <= 0:
        return 0.0
    lam = np.asarray(lam, dtype=np.float64)
    counts = np.ones(lam.size) if counts is None else np.asarray(counts, dtype=np.float64)
    keep = (lam > 0) & (counts > 0)
    lam, counts = lam[keep], counts[keep]
    if lam.size == 0:
        return -np.inf
    heavy = np.zeros(lam.size, dtype=bool)
    if k is not None:
        k = int(k)
        if k < 1:
            raise ValueError(f"k must be the block's number of objects (>= 1), got {k!r}")
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
        cumulant = _log_mgf_bounded(_THETAS, q_heavy[None, :], k) @ c_heavy
        if light.any():
            cumulant = cumulant + _log_mgf_excess(lam[light][None, :], _THETAS) @ counts[light]
        return min(0.0, float((cumulant - _THETAS[:, 0] * excess).min())) / _LN10
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
    if excess <= 0:
        return 0.0
    n = np.asarray(n_acts, dtype=np.float64)
    counts = np.ones(n.size) if counts is None else np.asarray(counts, dtype=np.float64)
    p = float(p)
    if not 0.0 <= p <= 1.0 or not np.isfinite(p):
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    keep = (n >= 2) & (counts > 0)
    n, counts = n[keep], counts[keep]
    if n.size == 0 or p == 0.0 or excess > float(counts @ (n - 1)):
        return -np.inf
    if p == 1.0:
        return 0.0
    top = int(n.max()) - 1  # the largest s one entity can add
    s = np.arange(1, top + 1, dtype=np.float64)
    k = s[None, :] + 1
    log_pmf = (
        gammaln(n + 1)[:, None]
        - gammaln(k + 1)
        - gammaln(np.maximum(n[:, None] - k, 0) + 1)
        + k * log(p)
        + (n[:, None] - k) * np.log1p(-p)
    )
    log_pmf = np.where(k <= n[:, None], log_pmf, -np.inf)
    # Entity u's excess as a compound Poisson of its own: jumps of the law of h - 1
    # given h >= 2, at the rate -log(1 - P(h >= 2)), so that one jump or more is exactly
    # as likely as h >= 2; it dominates (h - 1)^+ and the sum dominates the true sum, so
    # the tail is an upper bound (never overstates how unlikely).
    log_two = logsumexp(log_pmf, axis=1)
    two = np.minimum(np.exp(log_two), 1.0 - 1e-12)
    log_scale = np.log(-np.log1p(-two)) - log_two
    log_rate = logsumexp(log_pmf + (log_scale + np.log(counts))[:, None], axis=0)
    rate = np.exp(log_rate)
    total = float(rate.sum())

    def chernoff(x):  # log P(S >= x) <= K(theta) - theta x, K the compound cumulant
        thetas = np.linspace(1e-3, 60.0, 600)
        # K(theta) = sum_s rate_s (e^(theta s) - 1), in logs: theta s reaches 60 times
        # the largest jump, past exp's range (float64 ends near e^709) for entities of
        # 13 acts or more; log(e^y - 1) = y + log1p(-e^-y) for y > 0.
        y = np.outer(thetas, s)
        log_k = logsumexp(log_rate[None, :] + y + np.log1p(-np.exp(-y)), axis=1)
        # Where K passes float64's range the bound says nothing (it is never the least).
        finite = log_k < _LOG_MAX
        values = np.exp(log_k[finite]) - thetas[finite] * x
        return min(0.0, float(values.min())) if values.size else 0.0

    if excess > _EXACT_EXCESS:
        return chernoff(excess) / _LN10
    m = 2 * int(excess) + 20
    log_s_rate = np.full(m, -np.inf)
    log_s_rate[: min(top, m)] = (np.log(s) + log_rate)[: min(top, m)]
    log_g = np.empty(m + 1)
    log_g[0] = -total
    for j in range(1, m + 1):
        log_g[j] = _lse(log_s_rate[:j] + log_g[j - 1 :: -1]) - log(j)
    tail = logsumexp(log_g[int(excess) :])
    return min(0.0, float(np.logaddexp(tail, chernoff(m + 1)))) / _LN10


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
    tested at nearly full strength). Without
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
    (6.001, 9.2)
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
