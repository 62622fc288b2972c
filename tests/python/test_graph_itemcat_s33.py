"""Groups on item + category: a launch crowd on one new item of an existing category
(review s32 H8 MEDIUM-2). Many independent users drawn to one new item in its launch
hour, some of them also looking at other items of its category, were a group of 40-100
with ``object=["item", "cat"]`` (none with the item alone): a view of another item of
the category acted on the category through an item outside the block, and that event's
tuple (-, category) counted as a second shared object beside (new item, category). A
category is a coarser object whose audience is the sum of its items': the category seen
through another item is the same category the block's item already holds, not a second
thing shared. The crowd is one object, judged by the one-object rule (three windows,
the null of coming back), which the popularity of one item in one hour does not pass;
rings that share two items of a category keep their members."""

import warnings

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector
from oddseq.graph._pairs import pair_objects

ITEMS, CATEGORIES, USERS = 3000, 60, 2000
CATEGORY = 10_005  # an existing category (its items: category == 5)


def _shop(rng):
    """A shop's browsing: users with 3-30 views over two weeks of items in 60
    categories (ids from 10,000); the items' categories."""
    category = rng.integers(0, CATEGORIES, ITEMS)
    user = np.repeat(np.arange(USERS), rng.integers(3, 30, USERS))
    item = rng.integers(0, ITEMS, user.size)
    time = rng.integers(0, 14 * 86400, user.size)
    log = pd.DataFrame({"user": user, "item": item, "cat": category[item] + 10_000, "ts": time})
    return log, category


def _launch(seed, n_crowd, share_more):
    """The shop, plus ``n_crowd`` new users who each view new item 99999 of existing
    category 10005 once in its launch hour; ``share_more`` of them also view 1-2 other
    items of that category minutes later (the review's q15_launch_cat.py)."""
    rng = np.random.default_rng(seed)
    shop, category = _shop(rng)
    in_cat = np.flatnonzero(category == CATEGORY - 10_000)
    t0 = 7 * 86400 + 10 * 3600
    rows = []
    for m in range(USERS, USERS + n_crowd):
        t = t0 + int(rng.integers(0, 3000))
        rows.append((m, 99_999, CATEGORY, t))
        if rng.random() < share_more:
            for it in rng.choice(in_cat, int(rng.integers(1, 3)), replace=False):
                t += int(rng.integers(20, 200))
                rows.append((m, int(it), CATEGORY, t))
    crowd = pd.DataFrame(rows, columns=["user", "item", "cat", "ts"])
    return pd.concat([shop, crowd], ignore_index=True), in_cat


def _groups(log, objects):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GroupDetector().fit(log, entity="user", object=objects, time="ts").groups_


@pytest.mark.parametrize(
    "seed, n_crowd, share_more", [(653, 60, 0.5), (655, 60, 0.5), (669, 60, 0.5), (670, 100, 0.3)]
)
def test_a_launch_crowd_on_a_new_item_of_an_existing_category_is_no_group(
    seed, n_crowd, share_more
):
    """The crowd of a launch, part of it browsing the category's other items: no group
    with the item alone, and none with item + category (before: 40-100 members)."""
    log, _ = _launch(seed, n_crowd, share_more)
    assert len(_groups(log, "item")) == 0
    groups = _groups(log, ["item", "cat"])
    assert len(groups) == 0, groups[["size", "significance"]]


def test_a_ring_on_two_items_of_an_existing_category_keeps_its_members():
    """8 members on two new items of the existing category in two rounds, each of them
    also browsing other items of the category in the ring's hours: two objects (each
    item with its category), a group of the 8 with item + category as with the items
    alone."""
    rng = np.random.default_rng(671)
    log, in_cat = _launch(671, 0, 0.0)
    members = np.arange(USERS, USERS + 8)
    rows = []
    for day in (3, 9):
        for m in members:
            t = day * 86400 + 10 * 3600 + int(rng.integers(0, 1200))
            rows += [(m, 90_001, CATEGORY, t), (m, 90_002, CATEGORY, t + 60)]
            rows.append((m, int(rng.choice(in_cat)), CATEGORY, t + 200))
    log = pd.concat([log, pd.DataFrame(rows, columns=log.columns)], ignore_index=True)
    for objects in ("item", ["item", "cat"]):
        groups = _groups(log, objects)
        assert len(groups) == 1, (objects, groups)
        assert sorted(groups["members"][0]) == members.tolist()


@pytest.mark.parametrize("seed, days, found", [(672, [2, 5, 8, 11], True), (673, [2, 5], False)])
def test_a_ring_on_one_item_browsing_its_category_is_judged_as_the_item_alone(seed, days, found):
    """8 members on one new item of the existing category, half of them also viewing
    another item of the category each round: the category through those items adds no
    second object, so item + category finds what the item alone finds (the one-object
    rule: a group in four rounds, none in two; before, two rounds were a group)."""
    rng = np.random.default_rng(seed)
    log, in_cat = _launch(seed, 0, 0.0)
    members = np.arange(USERS, USERS + 8)
    rows = []
    for day in days:
        for m in members:
            t = day * 86400 + 10 * 3600 + int(rng.integers(0, 1200))
            rows.append((m, 90_003, CATEGORY, t))
            if rng.random() < 0.5:
                rows.append((m, int(rng.choice(in_cat)), CATEGORY, t + 200))
    log = pd.concat([log, pd.DataFrame(rows, columns=log.columns)], ignore_index=True)
    for objects in ("item", ["item", "cat"]):
        groups = _groups(log, objects)
        assert len(groups) == int(found), (objects, groups)
        if found:
            assert sorted(groups["members"][0]) == members.tolist()


class _Events:
    """Two entities' events on (item, category): entity 0 views item 0 of category 5
    twice; entity 1 views item 0 of category 5, then item 1 (category 5), then item 2
    of category 6."""

    n_keys = 2
    offsets = np.array([0, 2, 5])
    keys = np.array([0, 5, 0, 5, 0, 5, 1, 5, 2, 6])
    times = np.array([10, 20, 15, 30, 40])


BINS = (0, 4, 100, 50)  # t0, bins, window, half: every event in bin 0
# columns: (item 0), (cat 5), (item 1), (cat 6), (item 2), all in bin 0
UNITS = np.array([0, 5, 1, 6, 2])
PLACES = np.zeros(5, dtype=np.int64)
DEGREE = np.array([2.0, 3.0, 1.0, 1.0, 1.0])
ROWS = np.array([0, 1])


@pytest.mark.parametrize(
    "cols, n",
    [
        ([0, 1], 1),  # item 0 with cat 5; cat 5 through item 1 is the same category
        ([0, 1, 2], 2),  # two items of cat 5
        ([0, 3], 2),  # item 0 (its category not in the block) and cat 6 through item 2
        ([1, 2], 1),  # cat 5 through item 0 and with item 1: item 1 holds the category
        ([1, 3], 2),  # two categories
    ],
)
def test_pair_objects_counts_a_category_once_where_a_block_item_holds_it(cols, n):
    """A tuple whose entries all lie in another tuple of the block (the category seen
    through an item outside the block, where an item of the block is in that category)
    adds no object; a coarse object that no block item reaches is one."""
    got, finest = pair_objects(_Events, BINS, ROWS, np.array(cols), UNITS, PLACES, DEGREE)
    assert got == n
    if n == 1:  # judged on the finest object's acts (the fewest), never the category
        assert UNITS[finest].tolist() in ([0], [1])


def test_max_groups_message_names_none():
    """None is the default of max_groups (056f1c0): a bad value's message says so."""
    with pytest.raises(TypeError, match="None"):
        GroupDetector(max_groups="auto").fit(
            pd.DataFrame({"u": [1, 2], "o": [1, 1], "t": [0, 1]}), entity="u", object="o", time="t"
        )
