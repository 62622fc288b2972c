"""LSTMDetector's normal-only fit: the count term's neighbour table (one search over the
fit sequences' count vectors from which the count reference of any part of them is
read: the whole fit set, its training part, the training folds of the refits) and the
support rule's test (what the normal sequences never did)."""

from __future__ import annotations

import numpy as np

from ..utils._rows import distinct_rows
from ..utils._unique import distinct
from ._tokens import END as _END
from ._tokens import START as _START

# Neighbours kept per distinct count vector. A reference built on part of the fit
# sequences reads, for each vector, its nearest neighbour that the part holds: the
# first of these that does; where both are left out (a refit's fold: about 0.2 ** 2,
# 4%; the held-out tenth: 1%), the part itself is searched for those vectors.
# Measured on neural.py speed's 100,000 sequences of 30 types (87,354 distinct
# vectors, 35 columns; one thread, CPU s, by the count index, tenth session): the table
# 1.05-1.12 with 2 neighbours, 1.37-1.42 with 4; the fit's two references read from it
# 0.2 and five refits' 0.9 either way, against 1.8-1.9 for the fit's two searches
# without the table. (With the kd-tree before the count index: 21 s with 2, 29 s with
# 4, 40 s without the table.)
_TABLE_NEIGHBOURS = 2


def nearest_other(vectors: np.ndarray, k: int, n_threads: int):
    """Each row's ``k`` nearest other rows of ``vectors`` (L1), by oddseq's exact
    neighbour index: ``(distances, indices)``, nearest first, ties to the smaller row,
    the same whatever ``n_threads``."""
    from ..cluster import NearestNeighbors

    index = NearestNeighbors(metric="manhattan", n_neighbors=k, n_threads=n_threads)
    return index.fit(vectors).kneighbors(None, n_neighbors=k)


def nearest_in(vectors: np.ndarray, queries: np.ndarray, skip_self: bool, n_threads: int):
    """Distance from each query to the nearest row of ``vectors`` (L1); with
    ``skip_self`` the queries are rows of ``vectors`` and their own row is not counted
    (the rows are distinct, so it is the one at distance 0)."""
    from ..cluster import NearestNeighbors

    k = 1 + bool(skip_self)
    if vectors.shape[0] < k:
        return np.full(queries.shape[0], np.inf)
    index = NearestNeighbors(metric="manhattan", n_neighbors=k, n_threads=n_threads)
    distances, _ = index.fit(vectors).kneighbors(queries, n_neighbors=k)
    return distances[:, k - 1]


class CountTable:
    """The fit sequences' distinct count vectors and each one's nearest others.

    ``counts``: one row of event counts per fit sequence. The reference of a part of
    the fit sequences (:meth:`part`) and the distance of other fit sequences to it
    (:meth:`distance_to`) are read from the table, exactly as a search over that part
    alone would find them (distances only: which of several equally near vectors is
    nearest does not matter). One search over all the vectors then serves every part
    (on 100,000 sequences of 30 event types, 87,354 distinct vectors: 0.8-1.1 CPU s by
    the count index that NearestNeighbors uses for such vectors, 55-63 with a kd-tree)."""

    def __init__(self, counts: np.ndarray, n_threads: int = 1):
        # In the order of their first rows (distinct_rows: a hash of each row, not
        # np.unique(axis=0)'s sort of rows as records; on neural.py speed's 100,000
        # sequences the table took 1.9-2.1 CPU s with it, 1.05-1.12 without).
        vectors, inverse = distinct_rows(counts)
        self.vectors = vectors
        self.inverse = inverse
        self.n_threads = int(n_threads)
        k = min(_TABLE_NEIGHBOURS, vectors.shape[0] - 1)
        if k >= 1:
            self.distances, self.neighbours = nearest_other(vectors, k, self.n_threads)
        else:  # one distinct vector: no other to be near
            self.distances = np.zeros((vectors.shape[0], 0))
            self.neighbours = np.zeros((vectors.shape[0], 0), dtype=np.int64)

    def _multiplicity(self, rows: np.ndarray) -> np.ndarray:
        return np.bincount(self.inverse[rows], minlength=self.vectors.shape[0])

    def _nearest_held(self, of: np.ndarray, held: np.ndarray):
        """Per distinct vector in ``of``: the distance to its nearest other vector with
        ``held`` (from the table), NaN where none of its table neighbours is held."""
        if self.neighbours.shape[1] == 0:
            return np.full(of.size, np.nan)
        hit = held[self.neighbours[of]]
        first = np.argmax(hit, axis=1)
        found = hit[np.arange(of.size), first]
        return np.where(found, self.distances[of, first], np.nan)

    def part(self, rows: np.ndarray):
        """The part's distinct vectors (in the order of their first rows in the part, as
        :func:`distinct_rows` of its counts orders them) and each of its sequences'
        leave-one-out distance (0 where another sequence of the part has the same
        counts; else the L1 distance to the nearest other vector of the part, inf if
        there is none)."""
        multiplicity = self._multiplicity(rows)
        held = multiplicity > 0
        used, first = np.unique(self.inverse[rows], return_index=True)
        used = used[np.argsort(first, kind="stable")]
        single = used[multiplicity[used] == 1]
        nearest = np.zeros(self.vectors.shape[0])
        if used.size == 1:  # one distinct vector: no other to be near
            nearest[single] = np.inf
        elif single.size:
            found = self._nearest_held(single, held)
            missing = np.isnan(found)
            if missing.any():  # every table neighbour left out: search the part
                found[missing] = nearest_in(
                    self.vectors[used], self.vectors[single[missing]], True, self.n_threads
                )
            nearest[single] = found
        return self.vectors[used], nearest[self.inverse[rows]]

    def distance_to(self, part_rows: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """L1 distance from each of the fit sequences ``rows`` to the nearest count
        vector of the part ``part_rows`` (0 where the part has its counts)."""
        held = self._multiplicity(part_rows) > 0
        queries = distinct(self.inverse[rows])
        distance = np.zeros(self.vectors.shape[0])
        outside = queries[~held[queries]]
        if outside.size:
            found = self._nearest_held(outside, held)
            missing = np.isnan(found)
            if missing.any():
                found[missing] = nearest_in(
                    self.vectors[held], self.vectors[outside[missing]], False, self.n_threads
                )
            distance[outside] = found
        return distance[self.inverse[rows]]


def step_pairs(codes: np.ndarray, offsets: np.ndarray, n_tokens: int, end: bool):
    """Every step of every sequence as ``(owner, pair)``: the pair code ``previous *
    n_tokens + token`` (the start token before the first event; with ``end`` also
    (last event, end token)), as the next-event model sees the steps."""
    lengths = np.diff(offsets)
    owner = np.repeat(np.arange(lengths.size), lengths)
    previous = np.empty_like(codes)
    previous[1:] = codes[:-1]
    previous[offsets[:-1]] = _START
    pairs = previous * n_tokens + codes
    if end:
        last = codes[offsets[1:] - 1]
        owner = np.concatenate([owner, np.arange(lengths.size)])
        pairs = np.concatenate([pairs, last * n_tokens + _END])
    return owner, pairs


def outside_other_groups(counts, owner, pairs, n_pairs: int, group, n_groups: int, judged):
    """For the rows of the ``judged`` groups: whether each lies outside the support of
    the rows of the other groups (a count of some token below or above every count
    they have, or a step pair none of them has); False for the other rows."""
    outside = np.zeros(counts.shape[0], dtype=bool)
    low = np.stack([counts[group == g].min(axis=0) for g in range(n_groups)])
    high = np.stack([counts[group == g].max(axis=0) for g in range(n_groups)])
    # Groups holding each step pair (any number of groups): a judged row's step that
    # only its own group holds is one the other groups never took.
    pairs = np.asarray(pairs, dtype=np.int64)
    held = distinct(pairs * np.int64(n_groups) + group[owner].astype(np.int64))
    holders = np.bincount(held // n_groups, minlength=n_pairs)
    judged = np.asarray(list(judged), dtype=np.int64)
    for j in judged:
        others = np.arange(n_groups) != j
        rows = group == j
        part = counts[rows]
        outside[rows] = ((part < low[others].min(axis=0)) | (part > high[others].max(axis=0))).any(
            axis=1
        )
    unseen = holders[pairs] == 1
    unseen &= np.isin(group[owner], judged)
    outside[owner[unseen]] = True
    return outside
