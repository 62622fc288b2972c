"""Groups on two object columns (item and category, item and value): one event is one
act (H6 s32). A view of item 7 in category 3 acted on two objects, so a block of one
item and its own category counted two shared objects and passed CopyCatch's "at least
two objects" on one event per member: a launch crowd that each took one item of a new
category once was a group of 60 (significance 42), where the item alone makes none.
The block's objects are now counted by event (``pair_objects``); one item and its
category are one object, judged as one (three windows or more, the null model of
coming back to it, on the item's own acts)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector
from oddseq.graph._pairs import pair_objects

ITEMS, CATEGORIES, USERS = 3000, 60, 2000


@pytest.fixture(scope="module")
def shop():
    """A shop's browsing: users with 3-30 views over two weeks of items in 60
    categories (category ids from 10,000)."""
    rng = np.random.default_rng(649)
    category = rng.integers(0, CATEGORIES, ITEMS)
    user = np.repeat(np.arange(USERS), rng.integers(3, 30, USERS))
    item = rng.integers(0, ITEMS, user.size)
    time = rng.integers(0, 14 * 86400, user.size)
    return pd.DataFrame({"user": user, "item": item, "cat": category[item] + 10_000, "ts": time})


def _rounds(members, items, category, days, seed, hour=10):
    """Each member views each of ``items`` (of ``category``) once in one hour of each
    of ``days``."""
    rng = np.random.default_rng(seed)
    rows = [
        (m, it, category, d * 86400 + hour * 3600 + int(rng.integers(0, 1200)))
        for d in days
        for m in members
        for it in items
    ]
    return pd.DataFrame(rows, columns=["user", "item", "cat", "ts"])


def _groups(log, objects):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GroupDetector().fit(log, entity="user", object=objects, time="ts").groups_


def test_a_launch_crowd_on_one_item_is_no_group_with_its_category(shop):
    """60 users each view a new item (its own new category) once in its launch hour:
    one event each, one object; no group with the category beside the item, as none
    with the item alone."""
    crowd = _rounds(np.arange(USERS, USERS + 60), [99_999], 20_000, [7], seed=650)
    log = pd.concat([shop, crowd], ignore_index=True)
    assert len(_groups(log, "item")) == 0
    assert len(_groups(log, ["item", "cat"])) == 0


def test_a_ring_on_two_items_of_one_category_shares_two_objects(shop):
    """8 members on two items of one new category in two rounds: two objects by event
    (item 90001 with the category, item 90002 with it), a group as with the items
    alone."""
    members = np.arange(USERS, USERS + 8)
    log = pd.concat([shop, _rounds(members, [90_001, 90_002], 20_001, [3, 9], seed=651)])
    for objects in ("item", ["item", "cat"]):
        groups = _groups(log, objects)
        assert len(groups) == 1 and sorted(groups["members"][0]) == members.tolist()


@pytest.mark.parametrize("days, found", [([2, 5, 8, 11], True), ([2, 5], False)])
def test_a_ring_on_one_item_and_its_category_is_judged_as_one_object(shop, days, found):
    """8 members on one item of its own category: one object by event, a group where it
    comes back in three windows or more (the one-object rule, on the item's acts), not
    in two, as with the item alone."""
    members = np.arange(USERS, USERS + 8)
    log = pd.concat([shop, _rounds(members, [90_003], 20_002, days, seed=652)])
    for objects in ("item", ["item", "cat"]):
        groups = _groups(log, objects)
        assert len(groups) == int(found), (objects, groups)
        if found:
            assert sorted(groups["members"][0]) == members.tolist()


def test_pair_objects_counts_what_one_event_acts_on():
    """The objects of a block by event: one item with its category is one; two items
    of one category two; one column as before."""

    class Events:
        n_keys = 2
        offsets = np.array([0, 2, 4])
        # entity 0: item 0 / cat 5 twice; entity 1: item 0 / cat 5, item 1 / cat 5
        keys = np.array([0, 5, 0, 5, 0, 5, 1, 5])
        times = np.array([10, 20, 15, 30])

    bins = (0, 4, 100, 50)  # t0, bins, window, half: every event in bin 0
    units = np.array([0, 5, 1])  # columns: (item 0, bin 0), (cat 5, bin 0), (item 1, bin 0)
    places = np.zeros(3, dtype=np.int64)
    degree = np.array([2.0, 2.0, 1.0])
    rows = np.array([0, 1])
    n, finest = pair_objects(Events, bins, rows[:1], np.array([0, 1]), units, places, degree)
    assert n == 1 and finest.tolist() == [0]  # the item, not its category
    n, finest = pair_objects(Events, bins, rows, np.array([0, 1, 2]), units, places, degree)
    assert n == 2 and finest.tolist() == [0, 1, 2]
    # entity 1's view of item 1 acts on the category through another item: the category
    # item 0 already holds, no second object (review s32 MEDIUM-2; test_graph_itemcat_s33)
    assert pair_objects(Events, bins, rows, np.array([0, 1]), units, places, degree)[0] == 1
    Events.n_keys = 1
    assert pair_objects(Events, bins, rows, np.array([0, 1]), units, places, degree)[0] == 2
