"""A live event's audience on objects that exist only in its hours is no group (TR s48
H1: a betting site's in-play markets, open for a match's two hours, were 55 groups of
54-69 bettors, 1,157 accounts flagged above every anomaly): no audience can arrive
beyond the block there, and the other marks say it (they meet once, at a human pace,
with lives of their own). A ring is still a group: fresh accounts, or a ring's size."""

import numpy as np
import pandas as pd
from test_graph_covisits_s30 import accounts

from oddseq.graph import GroupDetector, _crowd

H = 3600


def _live_match(log, seed, n_fans=60, markets=4, n=3000):
    """``n_fans`` of the log's accounts each bet 1-``markets`` of a match's live markets
    (objects of no other hour) at their own times in its two hours."""
    rng = np.random.default_rng(seed + 3)
    kickoff = 20 * 86_400 + 19 * H
    fans = rng.choice(n, n_fans, replace=False)
    rows = []
    for fan in fans:
        for market in rng.choice(markets, int(rng.integers(1, markets + 1)), replace=False):
            for _ in range(int(rng.integers(1, 4))):
                rows.append((int(fan), 90_000 + int(market), kickoff + int(rng.integers(0, 2 * H))))
    extra = pd.DataFrame(rows, columns=["user", "obj", "ts"])
    return pd.concat([log, extra], ignore_index=True), sorted(int(f) for f in fans)


def test_a_matchs_live_audience_is_no_group_and_the_rings_stay():
    found = []
    for seed in (0, 6, 7):
        log, rings = accounts(seed)
        log, fans = _live_match(log, seed)
        det = GroupDetector().fit(log, entity="user", object="obj", time="ts")
        groups = det.groups_["members"].map(sorted).tolist()
        assert sorted(groups) == rings, seed  # the rings of fresh accounts, whole
        found.append(set(fans) & set().union(*map(set, groups)))
    assert found == [set(), set(), set()]


def test_without_the_rule_the_audience_is_a_group(monkeypatch):
    log, rings = accounts(0)
    log, fans = _live_match(log, 0)
    monkeypatch.setattr(_crowd, "_EPHEMERAL_MIN_MEMBERS", 10**9)
    det = GroupDetector().fit(log, entity="user", object="obj", time="ts")
    assert any(set(m) <= set(fans) for m in det.groups_["members"])


def _with_lives(log, rings, seed):
    """The rings' members given lives of their own: sessions on their own object and the
    services on other days of the month, as the other accounts have."""
    rng = np.random.default_rng(seed + 5)
    rows = []
    for member in (m for ring in rings for m in ring):
        for day in rng.choice(30, 8, replace=False):
            t = int(day) * 86_400 + int(rng.integers(0, 86_400 - H))
            for k in range(3):
                rows.append((member, int(rng.choice([20_000 + member % 1000, 7])), t + 300 * k))
    return pd.concat([log, pd.DataFrame(rows, columns=["user", "obj", "ts"])], ignore_index=True)


def test_a_ring_of_established_accounts_acting_once_stays_a_group(monkeypatch):
    # Rings of 12 accounts with lives of their own that pay two new payees in one hour,
    # once: an event's audience reads so too; a ring's size keeps them groups
    log, rings = accounts(0)
    log = _with_lives(log, rings, 0)
    det = GroupDetector().fit(log, entity="user", object="obj", time="ts")
    assert sorted(det.groups_["members"].map(sorted).tolist()) == rings
    monkeypatch.setattr(_crowd, "_EPHEMERAL_MIN_MEMBERS", 2)  # (no size bar)
    det = GroupDetector().fit(log, entity="user", object="obj", time="ts")
    assert len(det.groups_) < len(rings)
