"""One event, one act: the objects a lockstep block's members share counted by event,
where the log has several object columns (item and category, item and value)."""

from __future__ import annotations

import numpy as np

from ..utils._unique import distinct

__all__ = ["pair_objects"]


def pair_objects(ev, bins, rows, cols, units, places, col_degree):
    """(how many objects the block's members share, counted by event; the block's
    columns of its finest object) for a lockstep block (``rows``, ``cols`` of the
    entity x (object, window) graph; ``bins``: the fit's ``(t0, n_bins, window,
    half)``).

    With several object columns one event acts on an object of each (a view of item 7
    in category 3 is an act on both), so a block of one item and its own category, or
    of one item and the price it is always sold at, counted two objects where its
    members shared one thing: a crowd that each took one item at its launch passed
    CopyCatch's "at least two objects" on one event each. Here an object is what one
    event acts on among the block's objects (the pair, or the tuple of its columns'
    objects; a column whose object is not the block's stays out of it): the block's
    objects are as many as the distinct such pairs of its members' events in its
    windows. A ring on two items of one category shares two (item 7 with category 3,
    item 8 with category 3); a crowd on one item of its own category, one. An event
    whose finer object is not the block's (a view of another item of category 3) acts
    on the block's coarser object through it: that is the category the block's item
    already holds (a category's audience is the sum of its items'), no second thing
    shared, so a tuple all of whose entries another tuple of the block holds adds no
    object (``_held_apart``): a launch crowd on one new item of an existing category,
    part of it browsing the category's other items, is one object, as the item alone
    is; a category that no item of the block is in is an object of its own. With one
    object column, the objects as before. The second value: where the pairs are one,
    the columns of the block's object of the fewest acts (the item, not its category),
    for the null model of coming back to one object; else ``cols``."""
    objects = distinct(units[cols])
    if ev.n_keys == 1 or objects.size < 2:
        return objects.size, cols
    from ._detector import _ranges

    t0, n_bins, window_ns, half = bins
    grid = places[cols] & 1
    col_keys = distinct(
        (units[cols].astype(np.int64) * n_bins + (places[cols] + grid) // 2) * 2 + grid
    )
    positions = _ranges(ev.offsets, np.asarray(rows, dtype=np.int64), ev.n_keys)
    keys = ev.keys[positions].astype(np.int64)
    rel = ev.times[positions // ev.n_keys] - t0
    key_a = (keys * n_bins + rel // window_ns) * 2
    key_b = (keys * n_bins + (rel + half) // window_ns) * 2 + 1
    inside = (keys >= 0) & (np.isin(key_a, col_keys) | np.isin(key_b, col_keys))
    pairs = np.where(inside, keys, -1).reshape(-1, ev.n_keys)
    pairs = pairs[(pairs >= 0).any(axis=1)]
    n_pairs = _held_apart(np.unique(pairs, axis=0))
    if n_pairs >= 2:
        return n_pairs, cols
    degree = np.bincount(
        np.searchsorted(objects, units[cols]), weights=col_degree[cols], minlength=objects.size
    )
    finest = objects[int(np.argmin(degree))]
    return 1, cols[units[cols] == finest]


def _held_apart(pairs: np.ndarray) -> int:
    """How many of the distinct tuples ``pairs`` (one row each; -1 where the event's
    object of a column is not the block's) are not held by another: a tuple is held
    where another has the same object in each of its known columns and more known
    columns ((-1, category 3) is held by (item 7, category 3); (item 7, -1) too)."""
    known = pairs >= 0
    n_known = known.sum(axis=1)
    held = np.zeros(len(pairs), dtype=bool)
    for mask in np.unique(known[n_known < pairs.shape[1]], axis=0):
        part = np.flatnonzero((known == mask).all(axis=1))
        fuller = np.flatnonzero(known[:, mask].all(axis=1) & (n_known > mask.sum()))
        if fuller.size == 0:
            continue
        # each tuple of this pattern, against the fuller tuples on its known columns
        both = np.concatenate([pairs[part][:, mask], pairs[fuller][:, mask]])
        _, code = np.unique(both, axis=0, return_inverse=True)
        code = code.reshape(-1)
        held[part] = np.isin(code[: part.size], code[part.size :])
    return int((~held).sum())
