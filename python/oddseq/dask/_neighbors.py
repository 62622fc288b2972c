"""The neighbour detectors (kNN distance, LOF) over partitions, exactly, by blocks.

A neighbour score needs every reference row, so no partition can score its rows alone.
oddseq.dask finds each row's neighbours exactly, by partition-pair blocks: for every
pair (query partition p, reference partition q) one task builds the C++ kd-tree of
q's rows and finds the k nearest of them for each of p's rows (skipping the row
itself where p is q), and the blocks of a query partition are merged up a tree of
fan-in 8, keeping each row's k best by (distance, global row). The C++ kernel computes
a distance the same whichever search asks for it, and breaks ties by the smaller row,
so the merged neighbours are the single-machine index's, row for row, and so are the
kNN distances, LOF's densities and factors and the reasons' neighbour means.

Cost, with P partitions of n rows in all: P^2 block tasks, each a tree of n/P rows
searched by n/P rows, so every row is searched for in P trees and P^2 k-row partials
are merged. A search in a tree of n/P rows costs nearly what one in n rows does, so the
work is about P times the single index's (measured, 100,000 rows of the pipeline's 19
features, k = 10, one thread: 2.1-2.4x, 3.7-4.5x, 7.1-8.8x at P = 2, 4, 8;
benchmarks/RESULTS.md). So the reference rows are joined into one partition per
worker thread (``_references``), and the wall time is about the single index's
whatever the cluster's size: the blocks make a log that does not fit one machine
searchable exactly, not faster. What travels is each reference partition's rows to the
tasks that search them (8 bytes a feature and row, to each query partition's task), and
each row's k neighbours (16 bytes each). LOF adds two vectors of one float per row (the k-distances
and densities) sent to every worker. The reasons gather each row's neighbours (k rows)
from the partitions that hold them. Above ``NEIGHBOUR_MAX_ROWS`` reference rows the
call is refused: use the linear methods ("auto", "kmeans", "pca", "robust_z"), or
``normal=`` a sample of normal entities (the reference is then that sample).
"""

from __future__ import annotations

import copy
from functools import partial

import numpy as np

from .. import _reasons
from ..cluster import NearestNeighbors
from ..detect import LOF, KNNDetector
from ..detect._neighbors import _NeighbourDetector, explaining_neighbours
from ..utils._validation import resolve_threads
from ._reduce import SPLIT_EVERY

__all__ = ["NEIGHBOUR_MAX_ROWS", "NEIGHBOUR_METHODS", "check_reference_size"]

#: The neighbour methods oddseq.dask fits by partition-pair blocks.
NEIGHBOUR_METHODS = ("knn", "lof")
#: Most reference rows (training entities, or normal ones with ``normal=``) a neighbour
#: method is run on: the blocks' work grows with the reference rows times the query rows.
NEIGHBOUR_MAX_ROWS = 2_000_000
# A block's padding where its partition holds fewer than k rows (merged away).
_NO_ROW = np.iinfo(np.int64).max


def check_reference_size(n_reference: int, method: str) -> None:
    """Refuse a neighbour method above NEIGHBOUR_MAX_ROWS reference rows."""
    if n_reference > NEIGHBOUR_MAX_ROWS:
        raise ValueError(
            f"method={method!r} searches every row's neighbours among {n_reference:,} "
            f"reference entities, more than oddseq.dask.NEIGHBOUR_MAX_ROWS="
            f"{NEIGHBOUR_MAX_ROWS:,} (the partition-pair blocks' work grows with the "
            "reference rows times the scored rows); use method='auto' (K-means, PCA and "
            "robust z, linear in the entities), or fit on a sample of entities: normal= "
            "a sample of normal entities' events (ddf[ddf[entity].isin(ids)])"
        )


def _block(query, reference, k: int, q_start: int, r_start: int, same: bool, metric, threads):
    """The k nearest of ``reference``'s rows (global rows r_start, r_start + 1, ...) for
    each row of ``query`` (global rows q_start, ...), from the C++ kd-tree index
    (``oddseq.cluster.NearestNeighbors``): (distances, global rows), nearest first,
    padded with (inf, _NO_ROW) where the block has fewer than k. With ``same`` (the
    queries are reference rows too) a query row that lies in this block skips itself."""
    Q, R = query["X"], reference["X"]
    m, n = Q.shape[0], R.shape[0]
    dist = np.full((m, k), np.inf)
    ind = np.full((m, k), _NO_ROW, dtype=np.int64)
    if not m or not n:
        return dist, ind
    index = NearestNeighbors(metric=metric, n_threads=threads or None).fit(R)
    local = np.arange(q_start, q_start + m, dtype=np.int64) - r_start
    inside = (local >= 0) & (local < n) if same else np.zeros(m, dtype=bool)
    for rows, found, skip in ((~inside, min(k, n), None), (inside, min(k, n - 1), local)):
        rows = np.flatnonzero(rows)
        if rows.size and found > 0:
            got = index._tree.knn(
                index._space.points(Q[rows]),
                found,
                None if skip is None else np.ascontiguousarray(skip[rows]),
                resolve_threads(index.n_threads),
            )
            dist[rows, :found] = index._space.distances(got.distances)
            ind[rows, :found] = got.indices + r_start
    return dist, ind


def _merge(*blocks):
    """Each row's k best of the blocks' candidates, by (distance, global row): the
    order the single index gives them in."""
    if len(blocks) == 1:
        return blocks[0]
    k = blocks[0][0].shape[1]
    dist = np.hstack([b[0] for b in blocks])
    ind = np.hstack([b[1] for b in blocks])
    order = np.lexsort((ind, dist), axis=1)[:, :k]
    return np.take_along_axis(dist, order, 1), np.take_along_axis(ind, order, 1)


def neighbours(
    queries, references, starts, k: int, *, same: bool, metric: str, threads: int, query_starts=None
):
    """Per query partition, persisted: (distances, global rows) of its rows' k nearest
    reference rows. ``starts``: the reference partitions' first global rows; ``same``:
    the queries are the reference rows (each skips itself), partitioned at
    ``query_starts`` (default ``starts``; new rows skip none, and may come in more
    partitions than the references)."""
    from ._pipeline import _delayed, _persist

    if query_starts is None:
        query_starts = starts if same else np.zeros(len(queries) + 1, dtype=np.int64)
    block, merge = _delayed(_block), _delayed(_merge)
    out = []
    for p, query in enumerate(queries):
        layer = [
            block(query, ref, k, int(query_starts[p]), int(starts[j]), same, metric, threads)
            for j, ref in enumerate(references)
        ]
        while len(layer) > 1:
            layer = [merge(*layer[i : i + SPLIT_EVERY]) for i in range(0, len(layer), SPLIT_EVERY)]
        out.append(layer[0])
    return _persist(out)


def _column(found, j):
    return found[0][:, j]


def _any_zero(found):
    return bool((found[0] == 0).any())


def _knn_scores(found, det, k):
    return det._combine(found[0][:, :k])


def _lrd(found, det, k):
    dist, ind = found
    return det._local_reachability_density(dist[:, :k], ind[:, :k])


def _lof_scores(found, det, k, lrd=None):
    """LOF of the rows: the neighbours' mean density over the row's own (``lrd``: the
    row's, known for training rows; else from its neighbours)."""
    dist, ind = found[0][:, :k], found[1][:, :k]
    own = det._local_reachability_density(dist, ind) if lrd is None else lrd
    return det._lrd[ind].mean(axis=1) / own


def fit(rows, det, threads: int):
    """Fit a KNNDetector or LOF on the rows of the partitions (``rows``: the pipeline's
    ``_Rows``) as ``det.fit(X)`` would on them concatenated: ``n_neighbors_``, the
    training scores and threshold (LOF: the k-distances, ``reach_floor_`` and densities
    too). The index itself (every row) stays in the partitions. Returns the detector
    and each partition's neighbours (persisted), which the reasons read."""
    from ._pipeline import _compute, _delayed, _shared

    k = det._validate_params()["n_neighbors"]
    n = rows.n
    det.n_samples_fit_ = n
    det.n_neighbors_ = min(k, n - 1)
    det.n_features_in_ = int(_compute([_delayed(_width)(rows.states[0])])[0])
    references, starts = _references(rows)
    found = neighbours(
        rows.states,
        references,
        starts,
        det.n_neighbors_,
        same=True,
        query_starts=rows.starts,
        **_search(det, threads),
    )
    k = det.n_neighbors_
    if isinstance(det, LOF):
        det._k_distance = np.concatenate(_compute([_delayed(_column)(f, k - 1) for f in found]))
        det.reach_floor_ = det._reach_floor(any(_compute([_delayed(_any_zero)(f) for f in found])))
        shared = _shared(det)
        lrds = _compute([_delayed(_lrd)(f, shared, k) for f in found])
        det._lrd = np.concatenate(lrds)
        shared = _shared(det)
        parts = [_delayed(_lof_scores)(f, shared, k, lrd) for f, lrd in zip(found, lrds)]
    elif isinstance(det, KNNDetector):
        parts = [_delayed(_knn_scores)(f, _scoring_copy(det), k) for f in found]
    else:
        raise ValueError(f"{type(det).__name__} is not fitted over partitions")
    det._set_threshold(np.concatenate(_compute(parts)))
    det.index_ = None  # the rows stay in the partitions (see with_index)
    det._train = None
    det._feature_scale = None
    return det, found


def _joined(*states):
    return {"X": np.concatenate([s["X"] for s in states])}


def _references(rows):
    """The reference rows as the blocks read them: on a distributed cluster, joined into
    one partition per worker thread (each query row is searched in every reference
    partition, so fewer, larger ones cost less: the model's two per thread would double
    the work); as they are on Dask's local schedulers. (states, first global rows)."""
    from ._pipeline import _client, _cluster_threads, _delayed, _groups, _persist

    client = _client()
    if client is None:
        return rows.states, rows.starts
    groups = _groups(rows.sizes, max(1, _cluster_threads(client)))
    if len(groups) == len(rows.states):
        return rows.states, rows.starts
    states = _persist([_delayed(_joined)(*rows.states[a:b]) for a, b in groups])
    return states, np.array([rows.starts[a] for a, _ in groups] + [rows.starts[-1]])


def _width(state):
    return state["X"].shape[1]


def _search(det, threads):
    return {"metric": det.metric, "threads": threads}


def score(det, rows, queries, threads: int, explain: bool = False):
    """Scores of new rows (``queries``: per-partition states with "X") against a
    detector fitted by :func:`fit` on ``rows``, as ``det.decision_function`` would give
    them; with ``explain``, also the neighbours that explain them (k + 1 searched)."""
    from ._pipeline import _compute, _delayed, _shared

    k = det.n_neighbors_
    wanted = max(k, det._explain_k() + 1) if explain else k
    references, starts = _references(rows)
    found = neighbours(queries, references, starts, wanted, same=False, **_search(det, threads))
    if isinstance(det, LOF):
        shared = _shared(_scoring_copy(det))
        parts = [_delayed(_lof_scores)(f, shared, k) for f in found]
    else:
        parts = [_delayed(_knn_scores)(f, _scoring_copy(det), k) for f in found]
    return _compute(parts), found


def _scoring_copy(det):
    """What scoring new rows reads of a fitted detector: no rows, no training scores."""
    light = copy.copy(det)
    for name in ("index_", "_train"):
        setattr(light, name, None)
    light.decision_scores_ = light.labels_ = np.empty(0)
    return light


def _chosen_in_sample(found, k):
    return found[1][:, :k]


def _chosen_new(found, k):
    dist, ind = found
    return explaining_neighbours(dist[:, : k + 1], ind[:, : k + 1], k)


def _pick(chosen, reference, start):
    """The rows of this reference partition among ``chosen`` (global rows), as float64:
    (where in ``chosen``, their values)."""
    X = reference["X"]
    inside = (chosen >= start) & (chosen < start + X.shape[0])
    return inside, X[chosen[inside] - start].astype(np.float64)


def _typical(state, chosen, *picks):
    """The partition's state with ``typical``: the mean of each row's chosen neighbours,
    as the single index's ``_train[chosen].mean(axis=1)`` forms it."""
    rows = np.empty((*chosen.shape, state["X"].shape[1]))
    for inside, values in picks:
        rows[inside] = values
    return {**state, "typical": rows.mean(axis=1)}


def _pick_own(chosen, reference, start, evidence):
    """The rows of this reference partition among ``chosen`` (global rows): (where in
    ``chosen``, their own values, NaN where one does not count), as one machine's
    ``_like_rows`` holds them (:func:`oddseq._reasons.masked_own_values`)."""
    raw = reference.get("raw")
    if raw is None or reference.get("seqs") is None:
        return np.zeros(chosen.shape, dtype=bool), np.empty((0, 0))
    inside = (chosen >= start) & (chosen < start + raw.shape[0])
    at = chosen[inside] - start
    own = _reasons.masked_own_values(evidence, raw[at], np.asarray(reference["lengths"])[at])
    return inside, own


def _like_medians(state, chosen, *picks):
    """The partition's state with ``like_medians``: per row and feature, the median of
    its chosen neighbours' own values (:func:`oddseq._reasons.neighbour_medians`), what
    "entities like it have" says of a neighbour detector."""
    own = np.full((*chosen.shape, state["X"].shape[1]), np.nan)
    for inside, values in picks:
        if values.size:
            own[inside] = values
    return {**state, "like_medians": _reasons.neighbour_medians(own.transpose(0, 2, 1))}


def with_typical(states, found, rows, det, in_sample: bool, evidence=None):
    """The states with each row's ``typical`` (what its reasons compare it to: the mean
    of the neighbours it is explained against), gathered from the partitions that hold
    those rows (``rows``: the reference's ``_Rows``); with ``evidence`` (the pipeline's
    ``evidence_``), also ``like_medians`` (the medians of the neighbours' own values;
    with one neighbour, its own value)."""
    from ._pipeline import _delayed, _persist

    k = det._explain_k()
    chosen_of = partial(_chosen_in_sample if in_sample else _chosen_new, k=k)
    out = []
    for state, f in zip(states, found):
        chosen = _delayed(chosen_of)(f)
        picks = [
            _delayed(_pick)(chosen, ref, int(rows.starts[j])) for j, ref in enumerate(rows.states)
        ]
        typical = _delayed(_typical)(state, chosen, *picks)
        if evidence is not None:
            own = [
                _delayed(_pick_own)(chosen, ref, int(rows.starts[j]), evidence)
                for j, ref in enumerate(rows.states)
            ]
            typical = _delayed(_like_medians)(typical, chosen, *own)
        out.append(typical)
    return _persist(out)


def like_rows(pipeline, rows):
    """One machine's ``_like_rows`` (:func:`oddseq._reasons.like_rows`) of the
    reference rows, fetched to the client beside the index (4-8 bytes a feature and
    row): the returned pipeline's reasons on new data."""
    from ._pipeline import _compute, _delayed

    if _reasons.neighbour_member(pipeline) is None:
        return None
    parts = _compute([_delayed(_own_rows)(s, pipeline.evidence_) for s in rows.states])
    parts = [p for p in parts if p is not None]
    return np.vstack(parts)


def _own_rows(state, evidence):
    if state.get("seqs") is None or state.get("raw") is None:
        return None
    return _reasons.masked_own_values(evidence, state["raw"], state["lengths"])


def for_workers(det):
    """The fitted detector as the table pass reads it: no rows, neighbours or training
    vectors (the reasons read each partition's ``typical``)."""
    light = _scoring_copy(det)
    if isinstance(light, LOF):
        light._lrd = light._k_distance = np.empty(0)
    return light


def explain_against(det, typical, X):
    """A neighbour detector's ``explain`` hook comparing the rows with ``typical``
    (computed by :func:`with_typical`), as the single machine's compares them with the
    mean of their neighbours."""
    return det._against(np.asarray(X, dtype=np.float64), typical)


def with_index(det, rows, scale) -> None:
    """Give the fitted detector its index over every reference row (fetched to the
    client: 8 bytes a feature and row) and the exact feature scale, so that the returned
    pipeline scores and explains new data on one machine."""
    from ._pipeline import _compute, _delayed

    X = np.vstack(_compute([_delayed(_matrix)(s) for s in rows.states]))
    det._fit_index(X)
    det._feature_scale = scale


def _matrix(state):
    return state["X"]


def is_neighbour_detector(det) -> bool:
    return isinstance(det, _NeighbourDetector) and isinstance(det, (KNNDetector, LOF))
