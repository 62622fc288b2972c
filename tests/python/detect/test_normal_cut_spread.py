"""normal_cut where fewer than 10 normal scores lie beyond the quantile asked for (800
normal entities at 0.005): the extrapolated tail must not swing the share of normal
entities it flags further than the empirical quantile would (H10 s27: Taobao's 2 Dec
users, the next day flagged 2-14 of 801 by the fold draw alone)."""

import numpy as np
from scipy import stats

from oddseq.detect._threshold import normal_cut


def test_the_extrapolated_cut_holds_the_rate_within_what_the_sample_allows():
    rng = np.random.default_rng(2710)
    rate = 0.005
    for dist in (stats.expon(), stats.lognorm(1.0)):
        beyond = np.array(
            [dist.sf(normal_cut(dist.rvs(800, random_state=rng), rate)) for _ in range(120)]
        )
        low, high = np.quantile(beyond, [0.05, 0.95])
        # the empirical quantile of 800 (4 scores beyond it) gives 0.17-0.97% (Beta(4, 797))
        assert 0.0015 < low and high < 0.0125, (dist.dist.name, low, high)
        assert abs(np.median(beyond) - rate) < 0.002, (dist.dist.name, np.median(beyond))


def test_the_extrapolated_cut_at_a_rate_the_sample_barely_reaches():
    # 0.001 of 800: under one score beyond it; the share flagged stays near the rate
    rng = np.random.default_rng(2711)
    dist = stats.gamma(2.0)
    beyond = np.array(
        [dist.sf(normal_cut(dist.rvs(800, random_state=rng), 0.001)) for _ in range(120)]
    )
    assert np.quantile(beyond, 0.95) < 0.006, np.quantile(beyond, 0.95)
    assert np.mean(beyond) < 0.0025, np.mean(beyond)
