"""context= beside normal=: each value's sharers counted over both logs.

A ticketing trial (TR s47b) fitted on a vetted half of its normal accounts and scored the
other half with ``context=["device_id", "ip", "user_agent"]``: 20-32% of the scored
accounts were flagged where 8% were odd, fans behind mobile carriers' and campuses'
gateways, "entities on its most shared ip, times a ip's usual 6.78 (normal entities like
it have 1.6)". Each log counted the sharers of a value among its own entities, and a log
of half the accounts has half the sharers on every gateway."""

import warnings

import numpy as np
import pandas as pd

import oddseq
from oddseq.encode import context_features

DAY = 86_400


def _log(seed=0, n_users=800, n_gateways=30, n_proxies=0):
    # alike users over 10 days: 60% behind one of a few carrier gateways (shared by
    # about 16 each), the others on an IP of their own; ``n_proxies`` entities on 30
    # proxy IPs of their own each, once each
    rng = np.random.default_rng(seed)
    rows = []
    t0 = 1_767_225_600
    for u in range(n_users):
        ip = f"100.64.0.{(u // 5) % n_gateways}" if u % 5 < 3 else f"81.2.{u // 250}.{u % 250}"
        for day in rng.choice(10, int(rng.integers(3, 7)), replace=False):
            start = t0 + day * DAY + rng.uniform(17, 22) * 3600
            for k, t in enumerate(start + np.cumsum(rng.exponential(90, int(rng.integers(5, 20))))):
                rows.append((f"u{u}", t, "view" if k % 3 else "cart", ip))
    for p in range(n_proxies):
        start = t0 + int(rng.integers(0, 10)) * DAY + rng.uniform(0, 24) * 3600
        for k, t in enumerate(start + np.cumsum(rng.exponential(30, 30))):
            rows.append((f"p{p}", t, "view", f"45.{p}.0.{k}"))
    log = pd.DataFrame(rows, columns=["user", "ts", "event", "ip"])
    log["ts"] = pd.to_datetime(log["ts"], unit="s", utc=True)
    return log


def test_sharing_read_against_a_reference_is_the_whole_logs():
    log = _log()
    half = log["user"].isin([f"u{u}" for u in range(0, 800, 2)])
    whole = context_features(log, "user", "ip", time="ts")
    alone = context_features(log[half], "user", "ip", time="ts")
    both = context_features(log[half], "user", "ip", time="ts", reference=log[~half])
    pd.testing.assert_frame_equal(both, whole.loc[both.index])
    # alone, a gateway holds half its users, and the column's usual is another
    assert not np.allclose(alone["sharing[ip]"], whole.loc[alone.index, "sharing[ip]"])


def test_normal_fitted_on_half_the_accounts_flags_about_the_rate():
    # the scored half holds a few proxy users too: many values of one entity each, and
    # the column's usual (a median over the pairs) read on the scored log alone was 1
    # where the normal log's was a gateway's: every gateway user read as shared 8 times
    # its usual against 1 in the normal log
    log = _log(seed=1, n_proxies=40)
    vetted = log["user"].isin([f"u{u}" for u in range(0, 800, 2)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            log[~vetted], entity="user", event="event", time="ts", context="ip", normal=log[vetted]
        )
    users = table.index.str.startswith("u")
    assert table.loc[users, "is_anomaly"].mean() <= 0.03
    assert table.loc[~users, "is_anomaly"].all()  # (30 proxies each: odd, and flagged)
