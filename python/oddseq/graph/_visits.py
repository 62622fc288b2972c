"""What the null of visits reads from the whole log: each object's share of its acts
(or of its events, whichever is larger)."""

from __future__ import annotations

import numpy as np

__all__ = ["object_act_share"]


def object_act_share(ev, t0: int, window_ns: int) -> np.ndarray:
    """Each object's share of the log's acts or of its events, whichever is larger: an
    act is an entity's events on one object in one window of ``window_ns`` from ``t0``
    (an item viewed, carted and bought in an hour is one act), the unit in which the
    null of visits counts an entity's chances (the distinct objects of its events in a
    window). A share of events alone reads an object that entities touch once per visit
    (a service, a boss) as rarer than one they touch again and again in a visit (their
    own page), by as much as the second takes more events per act; a share of acts
    alone reads an object of a column that few objects share (a category beside the
    items: each event touches one) as rarer than each event's chance to touch it.

    Examples
    --------
    >>> import numpy as np
    >>> from oddseq.graph._graph import _Events
    >>> # one entity: object 0 three times in the first window, object 1 once; then 0
    >>> ev = _Events(None, np.array([0, 5]), np.array([0, 0, 0, 1, 0]), 1, [0, 1],
    ...              np.array([0, 1, 2, 3, 10]), None)
    >>> object_act_share(ev, 0, 10).tolist()  # acts: (w0, 0), (w0, 1), (w1, 0)
    [0.8, 0.3333333333333333]
    >>> ev.times = np.array([10, 1, 2, 3, 0])  # not in time order: the same acts
    >>> object_act_share(ev, 0, 10).tolist()
    [0.8, 0.3333333333333333]
    """
    n_objects = len(ev.object_labels)
    times = np.asarray(ev.times, dtype=np.int64)
    if times.size == 0 or n_objects == 0:
        return np.zeros(n_objects)
    row = np.repeat(np.arange(len(ev.offsets) - 1, dtype=np.int64), np.diff(ev.offsets))
    window = (times - t0) // window_ns
    # Each (entity, window) numbered along the events (each entity's are in time order
    # in grouped logs and Sequences; else by a sort, and numbered in that order).
    pair = row * (int(window.max()) + 1) + window
    in_order = bool((pair[1:] >= pair[:-1]).all())
    if in_order:
        visit = np.cumsum(np.r_[0, pair[1:] != pair[:-1]])
    else:
        visit = np.unique(pair, return_inverse=True)[1].ravel()
    keys = np.asarray(ev.keys, dtype=np.int64).ravel()
    known = keys >= 0
    if in_order:
        # The events' keys in key order (object_acts' index, built once per fit): within
        # a key, events in their order, so each act's events lie next to each other.
        from ._graph import key_index

        order, sorted_keys = key_index(ev)
        sorted_keys = np.asarray(sorted_keys, dtype=np.int64)
        by_key = visit[order // ev.n_keys]
        first = np.r_[True, (sorted_keys[1:] != sorted_keys[:-1]) | (by_key[1:] != by_key[:-1])]
        first &= sorted_keys >= 0
        counts = np.bincount(sorted_keys[first], minlength=n_objects)
    else:
        # numpy's sort path (return_counts): a plain np.unique hashes, ~100x slower on
        # millions of int64 keys (numpy#31969).
        visit = np.repeat(visit.astype(np.int64), ev.n_keys)
        act = np.unique(visit[known] * np.int64(n_objects) + keys[known], return_counts=True)[0]
        counts = np.bincount(act % n_objects, minlength=n_objects)
    of_acts = counts / max(int(counts.sum()), 1)
    of_events = np.bincount(keys[known], minlength=n_objects) / times.size
    return np.maximum(of_acts, of_events)
