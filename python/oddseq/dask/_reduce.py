"""Reductions over the partitions of oddseq.dask: tree sums and exact order statistics.

Every function here takes a list of persisted per-partition states (dask Delayed
objects) and a top-level function applied to each; what comes back to the caller is
small (sums, histograms, a few values), never the data.
"""

from __future__ import annotations

from functools import cache, partial

import dask
import numpy as np

# Partials combined per tree node: a tree of fan-in 8 over the partitions.
SPLIT_EVERY = 8
# Bits of the order-preserving 64-bit key decided per histogram round (4,096 bins).
_DIGIT_BITS = 12
# Once the values left in the chosen bin are at most this many, they are fetched and
# sorted (as distinct values with counts) instead of binned again.
_COLLECT_AT = 1 << 16
_SIGN = np.uint64(1 << 63)


def tree(partials, combine, split_every: int = SPLIT_EVERY):
    """The root of a tree of fan-in ``split_every`` that combines Delayed partials
    pairwise, not computed (None when there is none): to compute with other tasks."""
    layer = list(partials)
    if not layer:
        return None
    node = _combine_node()
    while len(layer) > 1:
        layer = [
            node(combine, *layer[i : i + split_every]) for i in range(0, len(layer), split_every)
        ]
    return layer[0]


def tree_reduce(partials, combine, split_every: int = SPLIT_EVERY):
    """Combine Delayed partials pairwise up a tree of fan-in ``split_every`` and
    compute the root (None when there is none)."""
    root = tree(partials, combine, split_every)
    return None if root is None else dask.compute(root)[0]


@cache
def _combine_node():
    return dask.delayed(_combine_many, pure=True)


def _combine_many(combine, *parts):
    out = parts[0]
    for part in parts[1:]:
        out = combine(out, part)
    return out


def add(a, b):
    """Element-wise sum of two nests of tuples/lists/dicts of arrays and numbers."""
    if isinstance(a, dict):
        return {k: add(a[k], b[k]) for k in a}
    if isinstance(a, (tuple, list)):
        return type(a)(add(x, y) for x, y in zip(a, b))
    return a + b


@cache
def _task(fn):
    return dask.delayed(fn, pure=True)


def map_reduce(states, fn, *args, combine=add):
    """fn(state, *args) on every partition, combined by ``combine`` up a tree."""
    task = _task(fn)
    return tree_reduce([task(s, *args) for s in states], combine)


# ---------------------------------------------------------------- exact order statistics


def float_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys in the order of the float64 values (-0.0 just below 0.0)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits >> np.uint64(63) == 1, ~bits, bits | _SIGN)


def key_floats(keys) -> np.ndarray:
    """The float64 values of ``float_keys`` keys."""
    keys = np.asarray(keys, dtype=np.uint64)
    bits = np.where(keys >> np.uint64(63) == 1, keys ^ _SIGN, ~keys)
    return bits.view(np.float64)


def _sorted_keys(state, values_fn):
    """The partition's columns as sorted ``float_keys``: made once, kept in the worker
    for the rounds, each of which then reads a contiguous run of them."""
    return [np.sort(float_keys(column)) for column in values_fn(state)]


def _round_task(keys, targets):
    """One round for one partition (its sorted keys per column): per target, a
    histogram of the next digit of the keys under its prefix, or the distinct keys
    under it with their counts."""
    out = {}
    for tid, (col, prefix, decided, mode) in targets.items():
        k = keys[col]
        if decided:  # the keys under the prefix: a run of the sorted keys
            low = prefix << (64 - decided)
            high = low + (1 << (64 - decided)) - 1
            a = np.searchsorted(k, np.uint64(low), side="left")
            b = np.searchsorted(k, np.uint64(high), side="right")
            k = k[a:b]
        if mode == "collect":
            out[tid] = np.unique(k, return_counts=True)
        else:
            width = min(_DIGIT_BITS, 64 - decided)
            shift = 64 - decided - width
            # Each digit's first key (the digit's bin edge) found in the sorted run.
            base = np.uint64(prefix << (64 - decided) if decided else 0)
            edges = base + (np.arange(1 << width, dtype=np.uint64) << np.uint64(shift))
            starts = np.searchsorted(k, edges, side="left")
            out[tid] = np.diff(np.append(starts, k.size)).astype(np.int64)
    return out


def _merge_round(a, b):
    out = {}
    for tid, x in a.items():
        y = b[tid]
        if isinstance(x, tuple):
            keys = np.concatenate([x[0], y[0]])
            counts = np.concatenate([x[1], y[1]])
            uniq, inverse = np.unique(keys, return_inverse=True)
            out[tid] = (uniq, np.bincount(inverse, weights=counts).astype(np.int64))
        else:
            out[tid] = x + y
    return out


merge_round = _merge_round  # (what ColumnStatistics.first_partials' tasks combine by)


def _values_round(state, values_fn, targets):
    """A first round in which every target collects (see ``_round_task``), read
    straight from the partition's values: nothing is kept in the worker."""
    columns = values_fn(state)
    return {
        tid: np.unique(float_keys(columns[col]), return_counts=True)
        for tid, (col, _, _, _) in targets.items()
    }


class _Selection:
    """The rounds of :func:`order_statistics`, the first of which a caller may compute
    together with tasks of its own (:meth:`first_partials`, then :meth:`finish`)."""

    def __init__(self, values_fn, ranks, sizes=None):
        self.values_fn = values_fn
        self.pending = {}
        for col, wanted in ranks.items():
            small = sizes is not None and sizes[col] <= _COLLECT_AT
            for r in sorted(set(int(r) for r in wanted)):
                # prefix, decided bits, rank left, mode
                self.pending[(col, r)] = [0, 0, r, "collect" if small else "hist"]
        self.found = {}
        self.keys = None  # each partition's sorted keys, persisted for the rounds
        self._owners = {}

    def _targets(self):
        """Targets that share a column, prefix and mode share the work."""
        targets, owners = {}, {}
        for key, (prefix, decided, _, mode) in self.pending.items():
            spec = (key[0], prefix, decided, mode)
            tid = owners.setdefault(spec, len(owners))
            targets[tid] = spec
        self._owners = owners
        return targets

    def _persisted_keys(self, states):
        if self.keys is None:
            # Each partition's columns sorted once, kept in the workers for the rounds.
            sort = _task(_sorted_keys)
            self.keys = list(dask.persist(*[sort(s, self.values_fn) for s in states]))
        return self.keys

    def _partials(self, states):
        targets = self._targets()
        if self.keys is None and all(spec[3] == "collect" for spec in targets.values()):
            # One round does it (every column at most _COLLECT_AT values): no keys kept.
            return [_task(_values_round)(s, self.values_fn, targets) for s in states]
        task = _task(_round_task)
        return [task(k, targets) for k in self._persisted_keys(states)]

    def first_partials(self, states) -> list:
        """The first round's per-partition tasks (Delayed), to combine by ``tree`` with
        ``_merge_round``; none when nothing is wanted."""
        return self._partials(states) if self.pending else []

    def finish(self, states, merged) -> dict:
        """{(column, rank): value}, from the first round's combined result (``merged``)
        and the rounds that are still needed."""
        while self.pending:
            self._read(merged)
            if self.pending:
                merged = tree_reduce(self._partials(states), _merge_round)
        return self.found

    def _read(self, merged) -> None:
        for key, entry in list(self.pending.items()):
            prefix, decided, left, mode = entry
            result = merged[self._owners[(key[0], prefix, decided, mode)]]
            if mode == "collect":
                uniq, counts = result
                at = int(np.searchsorted(np.cumsum(counts), left, side="right"))
                self.found[key] = float(key_floats(uniq[at : at + 1])[0])
                del self.pending[key]
                continue
            cumulative = np.cumsum(result)
            if left >= cumulative[-1]:
                raise ValueError(f"rank {key[1]} is beyond the {int(cumulative[-1])} values")
            digit = int(np.searchsorted(cumulative, left, side="right"))
            below = int(cumulative[digit - 1]) if digit else 0
            width = min(_DIGIT_BITS, 64 - decided)
            prefix, decided, left = (prefix << width) | digit, decided + width, left - below
            if decided == 64:
                self.found[key] = float(key_floats([prefix])[0])
                del self.pending[key]
            else:
                mode = "collect" if int(result[digit]) <= _COLLECT_AT else "hist"
                self.pending[key] = [prefix, decided, left, mode]


def order_statistics(states, values_fn, ranks, sizes=None) -> dict:
    """Exact order statistics over the partitions, without collecting the data.

    ``values_fn(state)`` gives a list of 1-D float arrays (the "columns"; their lengths
    may differ); ``ranks`` maps a column number to the 0-based ranks wanted in that
    column's sorted values (over every partition). Returns {(column, rank): value}.

    Radix selection on an order-preserving 64-bit key of each value: each round adds
    up (by a tree) a 4,096-bin histogram of the next 12 bits under the prefix decided
    so far, per wanted rank; once at most 65,536 values share the prefix, their distinct
    values are fetched with counts and the rank is read off. A few rounds of one small
    task per partition; the values found are elements of the data, bit for bit.
    ``sizes[col]``, where given: the column's number of values; a column of at most
    65,536 is fetched in the first round (a histogram round would leave that many),
    and where every column is, that round reads the values as they are (one call to
    the cluster, nothing persisted).
    """
    selection = _Selection(values_fn, ranks, sizes)
    first = tree_reduce(selection.first_partials(states), _merge_round)
    return selection.finish(states, first)


# ------------------------------------------------- numpy's median and percentile, exactly


def median_ranks(n: int) -> list[int]:
    """The ranks np.median averages."""
    return sorted({(n - 1) // 2, n // 2})


def median_from(n: int, stat, dtype=np.float64) -> float:
    """np.median of n values in ``dtype`` from ``stat(rank)``: the middle value, or the
    mean of the two middle values computed as numpy computes it."""
    return np.median(np.array([stat(r) for r in median_ranks(n)], dtype=dtype))


def _numpy_quantile_impl():
    """numpy's private module behind np.percentile (renamed in numpy 2.0)."""
    try:
        from numpy.lib import _function_base_impl as impl
    except ImportError:  # numpy < 2.0
        from numpy.lib import function_base as impl
    return impl


def _percentile_plan(n: int, percents):
    """(previous ranks, next ranks, gamma) of np.percentile(method="linear") for n
    values: numpy's own index arithmetic, so the interpolation is bit-identical."""
    impl = _numpy_quantile_impl()
    q = np.true_divide(np.asarray(percents, dtype=np.float64), 100)
    method = impl._QuantileMethods["linear"]
    virtual = np.asanyarray(method["get_virtual_index"](n, q))
    previous, nxt = impl._get_indexes(np.empty(0), virtual, n)
    gamma = impl._get_gamma(virtual, previous, method)
    return previous, nxt, gamma


def percentile_ranks(n: int, percents) -> list[int]:
    """The ranks np.percentile interpolates between."""
    previous, nxt, _ = _percentile_plan(n, percents)
    return sorted({int(i) % n for i in np.concatenate([previous, nxt])})


def percentile_from(n: int, percents, stat) -> np.ndarray:
    """np.percentile(values, percents) (linear) from ``stat(rank)``."""
    impl = _numpy_quantile_impl()
    previous, nxt, gamma = _percentile_plan(n, percents)
    low = np.array([stat(int(i) % n) for i in previous], dtype=np.float64)
    high = np.array([stat(int(i) % n) for i in nxt], dtype=np.float64)
    return impl._lerp(low, high, gamma)


class ColumnStatistics:
    """:func:`column_statistics` in two steps, for a caller that computes the first
    round with tasks of its own: ``first_partials(states)`` (Delayed per-partition
    tasks; combine them with ``tree(..., merge_round)``), then ``finish(states,
    merged)`` with the combined result, which runs the rounds still needed."""

    def __init__(self, values_fn, sizes, *, medians=(), percentiles=None):
        self.sizes, self.medians = sizes, list(medians)
        self.percentiles = percentiles or {}
        ranks: dict[int, set] = {}
        for col, _ in self.medians:
            ranks.setdefault(col, set()).update(median_ranks(sizes[col]))
        for col, percents in self.percentiles.items():
            ranks.setdefault(col, set()).update(percentile_ranks(sizes[col], percents))
        self.selection = _Selection(values_fn, ranks, sizes)

    def first_partials(self, states) -> list:
        return self.selection.first_partials(states)

    def finish(self, states, merged):
        found = self.selection.finish(states, merged)
        sizes = self.sizes
        med = {
            col: median_from(sizes[col], partial(_lookup, found, col), dtype)
            for col, dtype in self.medians
        }
        pct = {
            col: percentile_from(sizes[col], percents, partial(_lookup, found, col))
            for col, percents in self.percentiles.items()
        }
        return med, pct


def column_statistics(states, values_fn, sizes, *, medians=(), percentiles=None):
    """Medians and percentiles of columns over the partitions, equal to numpy's.

    ``sizes[c]`` is column c's number of values; ``medians`` lists (column, dtype)
    pairs; ``percentiles`` maps a column to the percents wanted. Returns
    ({column: median}, {column: array of percentiles}).
    """
    stats = ColumnStatistics(values_fn, sizes, medians=medians, percentiles=percentiles)
    first = tree_reduce(stats.first_partials(states), _merge_round)
    return stats.finish(states, first)


def _lookup(found, col, rank):
    return found[(col, rank)]
