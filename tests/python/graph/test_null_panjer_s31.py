"""The conditioned null's Panjer recursion in C++ (s31, review s29 MEDIUM-7, rest): the
same laws and tails as the Python recursion it replaces (kept here as the slow
reference), to about 1e-12 relative, on random populations, heavy entities beside the
light ones, excesses up to 2,000 and the edges (n = 0, one entity, lam = 0, huge lam)."""

from math import lgamma, log

import numpy as np
import pytest
from scipy.special import gammainc, gammaln, logsumexp

from oddseq import _core
from oddseq.graph import _null
from oddseq.graph._null import _panjer_log_pmf, log10_excess_sf


def _slow_panjer_log_pmf(lam, counts, n):
    """The Python recursion of 7871eea, verbatim: the reference."""
    s = np.arange(1, n + 1)
    two = np.minimum(gammainc(2, lam), 1.0 - 1e-12)
    own_rate = -np.log1p(-two)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_scale = np.where(two > 0, np.log(own_rate) - np.log(two), 0.0)
    log_pmf = -lam[:, None] + (s + 1)[None, :] * np.log(lam)[:, None] - gammaln(s + 2)[None, :]
    log_rate = logsumexp(log_pmf + (log_scale + np.log(counts))[:, None], axis=0)
    total = float(counts @ own_rate)
    log_g = np.empty(n + 1)
    log_g[0] = -total
    log_s_rate = np.log(s) + log_rate
    for k in range(1, n + 1):
        log_g[k] = _lse(log_s_rate[:k] + log_g[k - 1 :: -1]) - log(k)
    return log_g


def _lse(x):
    top = x.max()
    if not np.isfinite(top):
        return float(top)
    return float(top + np.log(np.exp(x - top).sum()))


def _population(rng, size):
    """Distinct lambdas (degrees times a block's share) and how many entities hold each."""
    degrees = np.unique(rng.lognormal(1.5, 1.2, size=size).round(0) + 1.0)
    share = 10 ** rng.uniform(-4, -1.3)
    return degrees * share, rng.integers(1, 400, size=degrees.size).astype(np.float64)


def _close(got, want, rtol=1e-12):
    """Equal where -inf, else within rtol relative (and 1e-12 absolute near 0)."""
    got, want = np.asarray(got), np.asarray(want)
    assert np.array_equal(np.isneginf(got), np.isneginf(want))
    fin = np.isfinite(want)
    assert np.isfinite(got[fin]).all()
    err = np.abs(got[fin] - want[fin]) / np.maximum(np.abs(want[fin]), 1.0)
    assert err.max(initial=0.0) <= rtol, err.max()


@pytest.mark.parametrize("seed", range(8))
def test_panjer_laws_match_the_python_recursion(seed):
    rng = np.random.default_rng(seed)
    lam, counts = _population(rng, int(rng.integers(1, 1500)))
    n = int(rng.integers(0, 900))
    _close(_panjer_log_pmf(lam, counts, n), _slow_panjer_log_pmf(lam, counts, n))


@pytest.mark.parametrize("excess", [1, 7, 150, 2000])
def test_excess_tails_match_with_heavy_entities(excess, monkeypatch):
    # Heavy entities (P(h >= 2) >= 0.1 in a block of k objects: Chernoff on their exact
    # laws) beside light ones (Panjer), and without k (all light); up to the largest
    # excess summed term by term (n = 4,020).
    rng = np.random.default_rng(excess)
    lam, counts = _population(rng, 1200)
    lam = np.r_[lam, 3.0, 5.5]  # two crawler-like entities
    counts = np.r_[counts, 2.0, 1.0]
    got = [log10_excess_sf(excess, lam, counts, k=k) for k in (6, 40, None)]
    monkeypatch.setattr(_null, "_panjer_log_pmf", _slow_panjer_log_pmf)
    want = [log10_excess_sf(excess, lam, counts, k=k) for k in (6, 40, None)]
    _close(got, want)


def test_edges():
    lam = np.array([0.02, 0.3])
    counts = np.array([10.0, 3.0])
    # n = 0: the law at 0 only.
    for f in (_panjer_log_pmf, _slow_panjer_log_pmf):
        assert f(lam, counts, 0).shape == (1,)
    _close(_panjer_log_pmf(lam, counts, 0), _slow_panjer_log_pmf(lam, counts, 0))
    # One entity.
    one = np.ones(1)
    _close(_panjer_log_pmf(lam[:1], one, 50), _slow_panjer_log_pmf(lam[:1], one, 50))
    # lam = 0 adds nothing: the law without it (callers drop it; the kernel agrees).
    with np.errstate(divide="ignore"):
        zero = _panjer_log_pmf(np.r_[lam, 0.0], np.r_[counts, 5.0], 60)
    _close(zero, _panjer_log_pmf(lam, counts, 60), rtol=1e-14)
    assert log10_excess_sf(3, [0.0, 0.0]) == -np.inf
    with_zero = log10_excess_sf(3, np.r_[lam, 0.0], np.r_[counts, 4.0])
    assert with_zero == log10_excess_sf(3, lam, counts)
    # Huge lam: no overflow, no NaN; the tail is certain.
    for big in (1e3, 1e6):
        got = _panjer_log_pmf(np.r_[lam, big], np.r_[counts, 1.0], 200)
        _close(got, _slow_panjer_log_pmf(np.r_[lam, big], np.r_[counts, 1.0], 200))
        assert log10_excess_sf(100, np.r_[lam, big]) == 0.0


def test_kernels_against_closed_forms():
    # Jumps of size 1 at rate r: S ~ Poisson(r).
    r, n = 7.5, 300
    got = _core.panjer_log_pmf(np.array([log(r)]), -r, n)
    want = np.array([-r + k * log(r) - lgamma(k + 1) for k in range(n + 1)])
    _close(got, want, rtol=1e-13)
    # Jumps of sizes 1 and 2 against a direct convolution in float64.
    rates = np.array([0.4, 0.15])
    lin = np.zeros(41)
    lin[0] = np.exp(-rates.sum())
    for k in range(1, 41):
        lin[k] = sum(j * rates[j - 1] * lin[k - j] for j in (1, 2) if j <= k) / k
    _close(_core.panjer_log_pmf(np.log(rates), -rates.sum(), 40), np.log(lin), rtol=1e-13)
    # No jumps: all mass at 0.
    assert np.array_equal(
        _core.panjer_log_pmf(np.array([-np.inf, -np.inf]), 0.0, 3), [0.0, -np.inf, -np.inf, -np.inf]
    )
    # Sums of exponentials along lines.
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 20, 50), rng.normal(0, 3, 50)
    a[3], b[4] = -np.inf, -np.inf
    x = 1.5 + np.arange(30)
    _close(
        _core.log_sum_exp_lines(a, b, 1.5, 30),
        logsumexp(a[:, None] + np.where(np.isneginf(b), -np.inf, b)[:, None] * x[None, :], axis=0),
        rtol=1e-14,
    )
    assert np.array_equal(_core.log_sum_exp_lines(a[:0], b[:0], 0.0, 3), np.full(3, -np.inf))


@pytest.mark.parametrize("seed", range(4))
def test_kernel_is_the_loop_of_the_laws_tests(seed):
    # log10_excess_sf_laws and log10_return_sf run the same recursion in Python on rates
    # of any shape (clusters of acts: a few jump sizes, -inf between, padded with -inf
    # to m): the kernel on the rates alone gives their law.
    rng = np.random.default_rng(100 + seed)
    top, m = int(rng.integers(1, 60)), int(rng.integers(1, 700))
    log_rate = rng.normal(-6.0, 4.0, top) - 0.3 * np.arange(top)
    log_rate[rng.random(top) < 0.3] = -np.inf
    total = float(np.exp(log_rate).sum())
    s = np.arange(1, top + 1, dtype=np.float64)
    log_s_rate = np.full(m, -np.inf)
    log_s_rate[: min(top, m)] = (np.log(s) + log_rate)[: min(top, m)]
    want = np.empty(m + 1)
    want[0] = -total
    for j in range(1, m + 1):
        want[j] = _lse(log_s_rate[:j] + want[j - 1 :: -1]) - log(j)
    got = _core.panjer_log_pmf(np.ascontiguousarray(log_rate[: min(top, m)]), -total, m)
    _close(got, want)


@pytest.mark.parametrize("seed", range(6))
def test_chernoff_grid_min_is_numpys_grid_min(seed):
    # The bound log10_excess_sf takes above an excess of 2,000 (heavy entities' binomial
    # laws, light ones' Poisson): the least over _THETAS of K - theta * excess, found by a
    # ternary search (K convex) instead of all 400 thetas.
    rng = np.random.default_rng(200 + seed)
    k = int(rng.integers(2, 60))
    q = rng.uniform(0.0, 1.0, int(rng.integers(1, 900)))
    q[:3] = [1.0, 0.0, 1e-9]
    cq = rng.integers(1, 30, q.size).astype(np.float64)
    lam = rng.uniform(0.0, 0.4, int(rng.integers(0, 600)))
    cl = rng.integers(1, 300, lam.size).astype(np.float64)
    theta = _null._THETAS
    cumulant = _null._log_mgf_bounded(theta, q[None, :], k) @ cq
    if lam.size:
        cumulant = cumulant + _null._log_mgf_excess(lam[None, :], theta) @ cl
    for excess in (2001.0, 10.0 * k, float(rng.integers(2001, 40000)), 1e7):
        want = float((cumulant - theta[:, 0] * excess).min())
        got = _core.excess_chernoff_grid_min(theta[:, 0].copy(), q, cq, k, lam, cl, excess)
        _close([got], [want], rtol=1e-13)


@pytest.mark.parametrize(
    "call",
    [
        lambda: _core.panjer_log_pmf(np.array([np.nan]), -1.0, 5),
        lambda: _core.panjer_log_pmf(np.array([np.inf]), -1.0, 5),
        lambda: _core.panjer_log_pmf(np.array([0.0]), 0.5, 5),
        lambda: _core.panjer_log_pmf(np.array([0.0]), -1.0, -1),
        lambda: _core.log_sum_exp_lines(np.zeros(2), np.zeros(3), 0.0, 5),
        lambda: _core.log_sum_exp_lines(np.array([np.nan]), np.zeros(1), 0.0, 5),
        lambda: _core.log_sum_exp_lines(np.zeros(1), np.zeros(1), -1.0, 5),
        lambda: _core.excess_chernoff_grid_min(
            np.array([1.0, 0.5]), np.ones(1), np.ones(1), 3, np.ones(0), np.ones(0), 9.0
        ),
        lambda: _core.excess_chernoff_grid_min(
            np.array([1.0]), np.array([1.5]), np.ones(1), 3, np.ones(0), np.ones(0), 9.0
        ),
        lambda: _core.excess_chernoff_grid_min(
            np.array([1.0]), np.ones(1), np.ones(1), 0, np.ones(0), np.ones(0), 9.0
        ),
    ],
)
def test_kernels_refuse_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_an_infinite_rate_makes_any_excess_certain_and_nan_is_refused():
    """Review s31 H8 LOW-1: an infinite rate (or count) read 0.0 before the C++ kernel,
    which then refused it with its own internals' words; NaN was dropped silently."""
    assert log10_excess_sf(3, [np.inf, 0.1]) == 0.0
    assert log10_excess_sf(3, [0.1], counts=[np.inf]) == 0.0
    assert log10_excess_sf(3, [0.0, 0.1], counts=[np.inf, 1.0]) < 0.0  # a rate of 0 adds none
    # With k each entity shows at most k - 1: two of infinite rate on 6 objects show 10.
    assert log10_excess_sf(20, [np.inf, np.inf], k=6) == -np.inf
    assert log10_excess_sf(20, [0.5], counts=[np.inf], k=6) == 0.0  # review s31 LOW-5
    assert log10_excess_sf(10, [np.inf, np.inf], k=6) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="lam and counts"):
        log10_excess_sf(3, [np.nan, 0.1])
