"""ECOD over partitions, exactly: the empirical tail probabilities by partition-pair counts.

ECOD scores a row by how many of the n training values lie at or below (and at or
above) each of its features' values. Over partitions those counts are sums: for every
pair (query partition p, reference partition q) one task counts, by binary search in
q's sorted columns, q's values at or below and strictly below each of p's values; the
counts of p's rows are added up along a chain over q. Integer counts add up to the
single machine's exactly, so the tail probabilities, scores, flags and reasons are the
single machine's bit for bit. The skewness signs (which tail counts) come from column
sums taken in the single machine's row order along a chain over the partitions
(numpy sums a matrix's columns row after row), so they are its bits too.

Cost, with P partitions of n rows and d features: each partition's columns sorted once
(its sorted values and their order, 12 bytes a value for float32 features); P^2 count
tasks, each d binary searches of n/P sorted keys in n/P sorted values; each reference
partition's sorted columns sent to the P chains that read it (4 bytes a value, P times
over); each row keeps its d tail scores (8 bytes each) for the reasons. The fitted
detector's ``sorted_columns_`` (every training value) stays in the partitions; with
``return_pipeline=True`` they are fetched and merged on the client so that the returned
pipeline scores new data on one machine.
"""

from __future__ import annotations

import copy
from functools import partial

import numpy as np

from ..detect import ECOD
from ..detect._ecod import (
    _centred_powers,
    _deviation_scale,
    _sign_of_skewness,
    _tails_from_counts,
)

__all__ = ["fit", "is_ecod", "score"]


def is_ecod(det) -> bool:
    return isinstance(det, ECOD)


def _float64(state):
    return [state["X"].astype(np.float64)]


def _powers(state, mean, scale):
    return list(_centred_powers(state["X"].astype(np.float64), mean, scale))


def _chain_sums(state, carry, values_fn):
    """``carry`` (the column sums of the partitions before, or None) plus this
    partition's rows, added one row after another as numpy sums a whole matrix's
    columns: the running sum enters as the first row."""
    arrays = values_fn(state)
    if not arrays[0].shape[0]:
        return carry
    out = []
    for i, a in enumerate(arrays):
        if carry is not None:
            a[0] = carry[i] + a[0]  # a is this task's own array
        out.append(np.add.reduce(a, axis=0))
    return out


def _column_sums(states, values_fn):
    """Column sums over the partitions in row order, bit for bit numpy's on the
    concatenated matrix."""
    from ._pipeline import _compute, _delayed

    carry = None
    for state in states:
        carry = _delayed(_chain_sums)(state, carry, values_fn)
    return _compute([carry])[0]


def _max_deviation(state, mean):
    X = state["X"]
    return np.abs(X.astype(np.float64) - mean).max(axis=0) if X.shape[0] else None


def skewness_sign(rows) -> np.ndarray:
    """``detect._ecod._skewness_sign`` of the partitions' rows concatenated: the mean,
    the largest deviation and the squared and cubed deviations' means, each sum in
    the single machine's row order."""
    from ._pipeline import _max_combine
    from ._reduce import map_reduce

    n = rows.n
    mean = _column_sums(rows.states, _float64)[0] / n
    scale = _deviation_scale(map_reduce(rows.states, _max_deviation, mean, combine=_max_combine))
    m2, m3 = (s / n for s in _column_sums(rows.states, partial(_powers, mean=mean, scale=scale)))
    return _sign_of_skewness(mean, scale, m2, m3, n)


def _sorted(state):
    """The partition's columns sorted (d x m) and the order that sorts them."""
    columns = np.ascontiguousarray(state["X"].T)
    order = np.argsort(columns, axis=1)
    return np.take_along_axis(columns, order, axis=1), order


def _count(carry, query, reference):
    """``carry`` plus, per feature, how many of ``reference``'s values are <= and < each
    of ``query``'s values (the query's sorted values, so the searches walk in order)."""
    keys, refs = query[0], reference[0]
    at_or_below = np.empty(keys.shape, dtype=np.int64)
    below = np.empty(keys.shape, dtype=np.int64)
    for j in range(keys.shape[0]):
        at_or_below[j] = np.searchsorted(refs[j], keys[j], side="right")
        below[j] = np.searchsorted(refs[j], keys[j], side="left")
    if carry is not None:
        at_or_below += carry[0]
        below += carry[1]
    return at_or_below, below


def _tails(state, counts, query, n: int, sign):
    """The partition's state with its rows' tail scores ("tails", rows x d) and their
    sums (the scores), from the counts over every reference partition."""
    at_or_below, below = counts
    order = query[1]
    left = np.empty(order.shape, dtype=np.float64)
    right = np.empty(order.shape, dtype=np.float64)
    for j in range(order.shape[0]):
        left[j, order[j]] = at_or_below[j]
        right[j, order[j]] = n - below[j]
    tails = _tails_from_counts(left, right, n, sign)
    return {**state, "tails": tails, "ecod_scores": tails.sum(axis=1)}


def _scores_of(state):
    return state["ecod_scores"]


def score(det, rows, states):
    """The states of ``states`` with their rows' tail scores against the reference
    rows ``rows`` (a ``_Rows``), persisted, and the scores of each, as
    ``det.decision_function`` gives them on one machine."""
    from ._pipeline import _compute, _delayed, _persist

    references = _persist([_delayed(_sorted)(s) for s in rows.states])
    queries = _persist([_delayed(_sorted)(s) for s in states])
    sign = det.skewness_sign_
    out = []
    for state, query in zip(states, queries):
        counts = None
        for reference in references:
            counts = _delayed(_count)(counts, query, reference)
        out.append(_delayed(_tails)(state, counts, query, rows.n, sign))
    out = _persist(out)
    return out, _compute([_delayed(_scores_of)(s) for s in out])


def fit(rows, det, d: int, x_std):
    """ECOD fitted over the partitions' rows (``rows``: a ``_Rows``) as ``det.fit`` on them
    concatenated: the skewness signs, the medians and spreads its reasons use, and the
    training scores. Returns the detector and the states with each row's tail scores."""
    from ._pipeline import _robust_statistics

    det._validate_params()
    det.n_features_in_ = d
    det.skewness_sign_ = skewness_sign(rows)
    median, spread, _ = _robust_statistics(rows, x_std, quartiles=False)
    det._feature_stats = (median, spread)
    # The training values stay in the partitions (with_sorted_columns fetches them).
    det.sorted_columns_ = np.empty((d, 0), dtype=np.float32)
    states, parts = score(det, rows, rows.states)
    det._set_threshold(np.concatenate(parts))
    return det, states


def _columns_of(sorted_state):
    return sorted_state[0]


def with_sorted_columns(det, rows) -> None:
    """Give the fitted detector every training value, sorted per feature (fetched to the
    client: 4-8 bytes a value), so that the returned pipeline scores new data."""
    from ._pipeline import _compute, _delayed

    parts = _compute([_delayed(_columns_of)(_delayed(_sorted)(s)) for s in rows.states])
    det.sorted_columns_ = np.sort(np.concatenate(parts, axis=1), axis=1)


def for_workers(det):
    """The fitted detector as the table pass reads it: no training values (the reasons
    read each partition's tail scores)."""
    light = copy.copy(det)
    light.sorted_columns_ = det.sorted_columns_[:, :0]
    return light


def explain_from_tails(det, tails, X):
    """ECOD's ``explain`` hook with the rows' tail scores taken from ``tails``
    (computed with their scores), where the single machine computes them again."""
    return det._explained(X, tails)
