"""Identical rows of a float matrix, found by a hash of each row (internal).

oddseq's one implementation of "which rows of a matrix are the same": DBSCAN's weighted
distinct points, the LSTM count term's distinct count vectors, and the pipeline's
count of distinct feature rows (K-means restarts where rows are tied; oddseq.dask
counts over its partitions with it too)."""

from __future__ import annotations

import numpy as np

from ..utils._unique import distinct


def _row_hash(points: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of a float matrix (any float dtype or layout), by its
    values' bits as float64 with -0.0 as 0.0 (equal values must hash alike). One column
    at a time: no float64 copy of the whole matrix."""
    points = np.asarray(points)
    key = np.full(points.shape[0], 0x9E3779B97F4A7C15, dtype=np.uint64)
    for j in range(points.shape[1]):
        key ^= np.add(points[:, j], 0.0, dtype=np.float64).view(np.uint64)
        key *= np.uint64(0xBF58476D1CE4E5B9)
        key ^= key >> np.uint64(31)
    return key


def _by_first_row(first: np.ndarray, group: np.ndarray):
    """Groups renumbered in the order of their first rows."""
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return first[order], rank[group.ravel()]


def identical_rows(points: np.ndarray):
    """Groups of identical rows: ``(first, group)``, the first row of each group in row
    order and each row's group (``points[first][group]`` equals ``points``), as
    ``np.unique(points, axis=0, return_index=True, return_inverse=True)`` groups them
    (-0.0 equals 0.0) but numbered in the order of their first rows.

    Rows are keyed by a 64-bit hash of their values' bits and then compared in full;
    where two different rows share a hash (never seen) the groups come from
    ``np.unique`` instead, so a collision costs time, never a wrong group. Much faster
    than ``np.unique(points, axis=0)``, which sorts the rows as opaque records
    (benchmarks/RESULTS.md, "one distinct-row kernel"). A NaN equals nothing, not even
    itself, so a matrix holding one is refused (ValueError); infinities are values like
    any other."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"points must be a 2-D matrix, got {points.ndim} dimensions")
    _, first, group = np.unique(_row_hash(points), return_index=True, return_inverse=True)
    return _checked_groups(points, first, group)


def _checked_groups(points: np.ndarray, first: np.ndarray, group: np.ndarray):
    """:func:`identical_rows`' groups of a float64 matrix from ``np.unique``'s of its
    rows' hashes: checked in full, else (a hash collision, or NaN) found exactly."""
    first, group = _by_first_row(first, group)
    if np.array_equal(points[first][group], points):
        return first, group
    if np.isnan(points).any():
        raise ValueError(
            "points holds NaN, which equals no row, not even its own: fill or drop the "
            "missing values before grouping identical rows"
        )
    # A hash collision: the exact, slower grouping.
    _, first, group = np.unique(points + 0.0, axis=0, return_index=True, return_inverse=True)
    return _by_first_row(first, group)


def distinct_rows(matrix: np.ndarray):
    """The distinct rows of a float matrix (float64, -0.0 as 0.0) and each row's index
    among them, as ``np.unique(matrix, axis=0, return_inverse=True)`` gives them but in
    the order of their first rows (:func:`identical_rows`). ``np.unique`` with
    ``axis=0`` sorts the rows as opaque records; on the count vectors of 100,000 scored
    sequences it took longer than their neighbour search."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float64) + 0.0  # -0.0 as 0.0
    first, inverse = identical_rows(matrix)
    return matrix[first], inverse


def n_distinct_rows(matrix: np.ndarray) -> int:
    """How many distinct rows ``matrix`` holds (:func:`identical_rows`)."""
    return int(identical_rows(matrix)[0].size)


def weighted_distinct_rows(matrix: np.ndarray):
    """The distinct rows of ``matrix`` as weighted points: ``(rows, counts, group)``,
    the rows as ``matrix`` holds them (its dtype, each the first of its group), in the
    order of their first rows, how many rows each stands for, and each row's group
    (:func:`identical_rows`)."""
    first, group = identical_rows(matrix)
    return _weighted(np.asarray(matrix), first, group)


def united_distinct_rows(parts):
    """:func:`weighted_distinct_rows`'s rows and counts of a matrix from those of its
    consecutive blocks of rows (``parts``: ``(rows, counts)`` in the blocks' order), the
    same bits: a row's first block holds its first row, and the blocks' distinct rows
    come in the order of their first rows. Also each part's rows' index among them."""
    rows = np.concatenate([r for r, _ in parts])
    counts = np.concatenate([c for _, c in parts])
    first, group = identical_rows(rows)
    totals = np.bincount(group, weights=counts, minlength=first.size).astype(np.int64)
    bounds = np.cumsum([0] + [len(r) for r, _ in parts])
    where = [group[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return np.ascontiguousarray(rows[first]), totals, where


def tied_rows(matrix: np.ndarray, known=None):
    """``(n_distinct, weighted)``: where at most half of the matrix's rows are distinct,
    their number and :func:`weighted_distinct_rows`' ``(rows, counts, group)``; else the
    number of distinct row hashes (more than half the rows: equal rows hash alike, so
    there are at least as many distinct rows) and None. The untied case is told from
    the hashes alone, without grouping the rows (no float64 copy of the matrix, no
    comparison of every row).

    ``known``: the ``weighted`` an earlier call gave for this matrix, passed on by the
    caller that made it (AnomalyPipeline counts the rows, then hands the groups to the
    KMeansDetector it fits on the same matrix): checked (every row equal to its group's,
    the distinct rows' hashes distinct, the same dtype) and reused, so only the distinct
    rows are hashed; a failed check groups afresh."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must be a 2-D matrix, got {matrix.ndim} dimensions")
    n = matrix.shape[0]
    if known is not None and _still_groups(matrix, known):
        return known[0].shape[0], known
    _, first, group = np.unique(_row_hash(matrix), return_index=True, return_inverse=True)
    if 2 * first.size > n:
        return first.size, None
    first, group = _checked_groups(np.ascontiguousarray(matrix, dtype=np.float64), first, group)
    if 2 * first.size > n:  # never seen: a hash collision hid distinct rows
        return first.size, None
    return first.size, _weighted(matrix, first, group)


def _still_groups(matrix: np.ndarray, known) -> bool:
    """Whether ``known`` (:func:`tied_rows`' ``weighted``) groups ``matrix``'s rows as a
    fresh call would: the same dtype and rows, each row equal to its group's distinct
    row, the distinct rows' hashes distinct."""
    rows, _, group = known
    return bool(
        rows.dtype == matrix.dtype
        and group.shape == (matrix.shape[0],)
        and rows.shape[1:] == matrix.shape[1:]
        and distinct(_row_hash(rows)).size == rows.shape[0]
        and np.array_equal(rows[group], matrix)
    )


def _weighted(matrix: np.ndarray, first: np.ndarray, group: np.ndarray):
    """:func:`weighted_distinct_rows`' triple from :func:`identical_rows`' groups."""
    rows = np.ascontiguousarray(matrix[first])
    return rows, np.bincount(group, minlength=first.size), group
