"""Logs of few objects (a shop of 2-50 items): independent users active in many hours
come back to every item hour after hour. That is their own activity and the items'
popularity, no group; a ring acting together on a few of those items is still one."""

import numpy as np
import pandas as pd
import pytest

from oddseq.datasets import make_ecommerce
from oddseq.graph import GroupDetector, block_significance


def small_shop(seed, n_users, n_items, popularity="zipf"):
    """make_ecommerce's users and times, each event's item redrawn from ``n_items``."""
    log = make_ecommerce(n_users=n_users, anomaly_rate=0.0, rings=0, random_state=seed).events
    rng = np.random.default_rng(0)
    weight = 1 / np.arange(1, n_items + 1) if popularity == "zipf" else np.ones(n_items)
    return log.assign(item=rng.choice(n_items, size=len(log), p=weight / weight.sum()))


@pytest.mark.parametrize(
    "seed, n_users, n_items, popularity",
    [
        # Before: one group of 219, 589 and 757 users (significance 3,354 to inf), the
        # binomial stand-in capping each entity at one act per object where it acts in
        # many windows.
        (206, 600, 2, "zipf"),
        (205, 3000, 3, "zipf"),
        (206, 3000, 3, "uniform"),
        # Before, and with that cap lifted alone: 13 groups of 189 users (significance up
        # to 34) and 5 of 23 (4.8): the users active in the same busy hours hit every
        # one of a few items there, which the columns' degrees, spread over all
        # windows, do not explain; their own activity in those hours does.
        (205, 3000, 5, "uniform"),
        (206, 3000, 20, "uniform"),
    ],
)
def test_independent_users_of_a_few_items_form_no_group(seed, n_users, n_items, popularity):
    log = small_shop(seed, n_users, n_items, popularity)
    found = GroupDetector().fit(log, entity="user_id", object="item", time="timestamp")
    assert len(found.groups_) == 0


def test_a_ring_in_a_small_shop_is_found_alone():
    # 8 accounts that each act on the same 3 of 20 items within the same half hour on 4
    # days, among 600 independent users of the shop. Before: the ring, and a "group" of
    # 108 of the most active users.
    log = small_shop(205, 600, 20)
    t0 = int(log["timestamp"].min())
    rng = np.random.default_rng(0)
    ring = np.arange(10**6, 10**6 + 8)
    rows = [
        (user, item, t0 + day * 86_400 + 140_400 + int(rng.integers(0, 1800)) + j)
        for day in range(4)
        for user in ring
        for j, item in enumerate([17, 18, 19])
    ]
    planted = pd.DataFrame(rows, columns=["user_id", "item", "timestamp"])
    log = pd.concat([log[["user_id", "item", "timestamp"]], planted], ignore_index=True)
    found = GroupDetector().fit(log, entity="user_id", object="item", time="timestamp")
    assert found.groups_["members"].map(sorted).tolist() == [ring.tolist()]


def test_one_call_flags_no_group_in_a_small_shop():
    import oddseq

    log = make_ecommerce(n_users=600, anomaly_rate=0.0, rings=0, random_state=205).events
    rng = np.random.default_rng(0)
    weight = 1 / np.arange(1, 21)
    log = log.assign(prod=rng.choice(20, size=len(log), p=weight / weight.sum()))
    table = oddseq.detect_anomalies(
        log, entity="user_id", event="behavior", time="timestamp", item="prod"
    )
    assert (table["group"] < 0).all()


def test_capacity_lets_an_entity_act_in_many_windows_of_few_objects():
    # 10 members with 10 acts each on a block of 2 objects (5 windows each), among 60
    # entities whose degrees make 10 such acts each expected. One act per object at most
    # was the old law: an excess of 90 beyond what 60 entities could show, "impossible";
    # with the block's 10 acts as each entity's most, it is what they all do.
    args = (np.full(10, 20.0), np.array([300.0, 300.0]), 1200, 60, 40, 100)
    kw = dict(member_edges=np.full(10, 10.0), population=np.full(60, 20.0))
    assert block_significance(*args, **kw)["log10_p"] == np.inf
    free = block_significance(*args, **kw, capacity=10)
    assert free["log10_p"] < 1 and free["significance"] < 0
    assert free["expected_edges"] == pytest.approx(100.0, abs=0.01)
