"""How unlikely a dense block is under a null model of independent entities."""

from __future__ import annotations

from math import lgamma, log, log10

import numpy as np
from scipy.special import gammainc, gammaln

__all__ = ["block_significance", "log10_poisson_sf", "poisson_surprise"]

_LN10 = log(10.0)


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
    if k <= 0:
        return 0.0
    if mu <= 0:
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
    mu = np.maximum(np.asarray(mu, dtype=np.float64), 1e-300)
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


def block_significance(
    row_degree: np.ndarray,
    col_degree: np.ndarray,
    n_edges: int,
    n_rows: int,
    n_cols: int,
    block_edges: int,
) -> dict:
    """The null model of a block: entities pick their objects independently, each with
    its own number of objects, objects drawn in proportion to their popularity (the
    Chung-Lu model: P(edge u-j) = min(1, d_u d_j / E)).

    ``row_degree`` and ``col_degree`` are the degrees of the block's rows and columns in
    the whole graph, ``n_edges`` (E) its edges, ``n_rows`` and ``n_cols`` its sizes and
    ``block_edges`` the edges inside the block. Returns the expected edges inside the
    block (``expected_edges``), ``log10_p`` = -log10 P(at least that many | null)
    (a Poisson tail), ``log10_tests`` = log10 of the number of blocks of that shape (rows
    choose m, columns choose k, times the shapes) and ``significance`` = log10_p -
    log10_tests: the block is as unlikely as 10 ** -significance even after allowing for
    the search over every block of its shape (Bonferroni).

    Examples
    --------
    >>> import numpy as np
    >>> s = block_significance(np.full(5, 3), np.full(4, 5), 3000, 1000, 1000, 20)
    >>> round(s["expected_edges"], 3), round(s["significance"], 1)
    (0.1, 8.9)
    """
    du = np.asarray(row_degree, dtype=np.float64)
    dj = np.asarray(col_degree, dtype=np.float64)
    m, k = du.size, dj.size
    if n_edges <= 0 or m == 0 or k == 0:
        return {"expected_edges": 0.0, "log10_p": 0.0, "log10_tests": 0.0, "significance": 0.0}
    if m * k <= 4_000_000:
        mu = float(np.minimum(1.0, np.outer(du, dj) / n_edges).sum())
    else:  # large blocks: the unclipped sum (an upper bound, so never too significant)
        mu = float(du.sum() * dj.sum() / n_edges)
    log10_p = -log10_poisson_sf(int(block_edges), mu)
    tests = _log10_binom(n_rows, m) + _log10_binom(n_cols, k)
    tests += log10(max(n_rows, 1)) + log10(max(n_cols, 1))
    return {
        "expected_edges": mu,
        "log10_p": log10_p,
        "log10_tests": tests,
        "significance": log10_p - tests,
    }
