"""Identical rows of a float matrix, found by a hash of each row (internal)."""

from __future__ import annotations

import numpy as np


def identical_rows(points: np.ndarray):
    """Groups of identical rows: ``(first, group)``, the first row of each group in row
    order and each row's group (``points[first][group]`` equals ``points``), or None
    where two different rows share a hash (never seen; the caller then takes a slower
    exact path). Rows are keyed by a 64-bit hash of their values' bits (-0.0 as 0.0) and
    then compared in full, so a collision can only disable a shortcut, never merge two
    rows. Much faster than ``np.unique(points, axis=0)``, which sorts the rows as
    opaque records."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    n = points.shape[0]
    key = np.full(n, 0x9E3779B97F4A7C15, dtype=np.uint64)
    for j in range(points.shape[1]):
        # + 0.0 turns -0.0 into 0.0: equal values must hash alike.
        key ^= np.ascontiguousarray(points[:, j] + 0.0).view(np.uint64)
        key *= np.uint64(0xBF58476D1CE4E5B9)
        key ^= key >> np.uint64(31)
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # groups by their first row
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    first, group = first[order], rank[group.ravel()]
    if not np.array_equal(points[first][group], points):
        return None
    return first, group
