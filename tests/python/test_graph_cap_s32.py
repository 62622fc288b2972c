"""A group the cap drops does not cost the search its members.

The search takes a group's members out of it when the group is found (so no entity is
in two groups), and keeps the max_groups most significant groups at the end. A group
found early and pushed out of the max_groups strongest later is no group, yet its
members stayed out of the search: a stronger block that holds them formed without
them (the held-out game log 316, H7 s31: 16 alt-army accounts in no group). Once a
group is out of the max_groups strongest it never comes back (the bar only rises),
so its members return to the search as the members of any block that is no group."""

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector
from oddseq.graph import _null as null_module

# W: 4 accounts on 10 items of their own (the densest block with S, and the weakest
# group); S: 6 accounts on 6 items (stronger than W); R: W's 4 accounts with 30 others
# on 3 items (the strongest, found last).
W = 10_000 + np.arange(4)
S = 10_200 + np.arange(6)
R = np.concatenate([W, 10_100 + np.arange(30)])


@pytest.fixture(scope="module")
def log():
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(2000), 10)
    parts = [pd.DataFrame({"user": users, "item": rng.integers(0, 20000, users.size)})]
    for members, items in (
        (W, 90_000 + np.arange(10)),
        (R, 90_100 + np.arange(3)),
        (S, 90_200 + np.arange(6)),
    ):
        parts.append(
            pd.DataFrame(
                {"user": np.repeat(members, items.size), "item": np.tile(items, members.size)}
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(ts=np.arange(len(frame)))


def fit(log, max_groups, n_threads=1):
    return GroupDetector(method="static", max_groups=max_groups, n_threads=n_threads).fit(
        log, entity="user", object="item", time="ts"
    )


def as_sets(groups):
    return sorted(sorted(m) for m in groups["members"])


def test_without_a_binding_cap_the_three_rings_are_groups(log):
    groups = fit(log, 20).groups_
    # W's accounts are W's group (found first), so R is its 30 others.
    assert as_sets(groups) == sorted(
        [sorted(W.tolist()), sorted(S.tolist()), sorted(R[W.size :].tolist())]
    )
    significance = dict(zip(groups["n_members"], groups["significance"]))
    assert significance[W.size] < significance[S.size] < significance[R.size - W.size]


def test_a_group_the_cap_drops_returns_its_members_to_the_search(log, monkeypatch):
    # max_groups=1: W and S are found in the first block, S pushes W out of the one
    # kept, and R comes last. W's accounts are in no group any more, so the block of R
    # holds them: R is found whole (before: its 30 others only, W's accounts in no
    # group at all).
    det = fit(log, 1)
    assert as_sets(det.groups_) == [sorted(R.tolist())]
    assert (det.group_of(list(W)) == 0).all()
    assert (det.group_of(list(S)) == -1).all()
    # W and S stay candidates that are not groups.
    cands = det.candidates_
    dropped = cands[cands["members"].map(lambda m: sorted(m) in (sorted(W), sorted(S)))]
    assert len(dropped) == 2
    assert not dropped["is_group"].any()
    # R whole is more significant than its 30 others found without W's accounts, by
    # the whole population's test (the members' own test, which counts the choice of
    # rows, reads the 30 light accounts alone as well as the 34).
    monkeypatch.setattr(null_module, "_MEMBER_TEST", False)
    det = fit(log, 1)
    alone = fit(log, 20).groups_
    assert det.groups_["significance"].iloc[0] > alone["significance"].max()


def test_the_returned_members_do_not_depend_on_the_thread_count(log):
    def run(threads):
        return fit(log, 1, threads).candidates_[["members", "significance", "is_group"]]

    pd.testing.assert_frame_equal(run(1), run(2))


# max_groups=None (the default): 20 groups per method, or one per 1,000 entities of the
# log where that is more. A log's rings grow with its users: a fixed 20 bound on shops of
# 20,000-100,000 users with 25-40 rings.


@pytest.fixture(scope="module")
def big_shop():
    """30,000 users with 3 random items each of 300,000, and 26 rings of 5 accounts on 4
    items of their own (ids 100_000 + 10 * ring + member, items 900_000 + 10 * ring +
    item)."""
    rng = np.random.default_rng(2)
    users = np.repeat(np.arange(30_000), 3)
    parts = [pd.DataFrame({"user": users, "item": rng.integers(0, 300_000, users.size)})]
    for k in range(26):
        members, items = 100_000 + 10 * k + np.arange(5), 900_000 + 10 * k + np.arange(4)
        parts.append(pd.DataFrame({"user": np.repeat(members, 4), "item": np.tile(items, 5)}))
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(ts=np.arange(len(frame)))


def test_the_default_cap_grows_with_the_log(log, big_shop):
    assert GroupDetector().max_groups is None
    assert fit(log, None).max_groups_ == 20  # 2,044 entities
    det = fit(big_shop, None)
    assert det.max_groups_ == 30  # 30,130 entities
    # Every ring is a group, and nothing else.
    rings = sorted(sorted((100_000 + 10 * k + np.arange(5)).tolist()) for k in range(26))
    assert as_sets(det.groups_) == rings
    # A user's cap holds: the 20 strongest.
    capped = fit(big_shop, 20)
    assert capped.max_groups_ == 20
    assert len(capped.groups_) == 20
    strongest = det.groups_.sort_values("significance", ascending=False, kind="stable")
    assert as_sets(capped.groups_) == as_sets(strongest.head(20))


@pytest.mark.parametrize("bad", ["auto", 2.5, True])
def test_max_groups_must_be_an_int_or_none(log, bad):
    with pytest.raises(TypeError, match="max_groups must be an int"):
        fit(log, bad)


def test_the_default_cap_is_20_to_100():
    from oddseq.graph._detector import _default_max_groups

    assert [_default_max_groups(n) for n in (0, 2_000, 20_999, 45_000, 100_000, 10**6)] == [
        20,
        20,
        20,
        45,
        100,
        100,
    ]
