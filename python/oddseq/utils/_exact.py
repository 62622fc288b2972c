"""Order-free moments: means, standard deviations and scatter matrices that come out the
same bit for bit however the rows are ordered or split (threads, chunks, the partitions
of oddseq.dask).

A float sum depends on the order of its terms (the last bits, 1e-16 relative); a scatter
matrix's eigenvectors carry that on, divided by the gaps between the eigenvalues, into
every score read from them. So the statistics that both the single-machine fit and the
partitions' fit compute are computed exactly here, then rounded once:

1. each column is put on a binary grid: with its largest magnitude below 2^e, a value
   x is y = x * 2^-e in (-1, 1), cut into ``SLICES`` integer slices of ``SLICE_BITS``
   bits (y = sum_s a_s 2^(-16 (s + 1)), truncated toward zero below 2^-64: every bit of
   a float32 value down to 2^-40 of the column's largest, of a float64 one down to
   2^-11; what is cut is cut the same way on every side);
2. the slices' column sums and products are integers below 2^53 for chunks of up to
   ``CHUNK_ROWS`` rows, so numpy's sums and BLAS's products of them are exact whatever
   order they add in; the chunks' and partitions' results add up as Python integers;
3. the mean, the variance and the centred scatter matrix are formed as exact fractions
   of those integers and rounded once to float64.

The cut is the C++ core's (``linalg/exact_moments.hpp``, one SIMD kernel next to
K-means' fixed-point grid): means and variances need only each column's slice sums and
slice products, which the core adds up itself in one pass (``scatter=False``: the
scalers, robust z, K-means detector); the scatter matrix takes a Gram matrix of the
4 d slice columns per chunk, one BLAS thread (PCA, oddseq.dask).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
from threadpoolctl import threadpool_limits

from .. import _core

SLICE_BITS = 16
SLICES = 4
# Rows per chunk: a slice product is below 2^32, so up to 2^21 of them sum exactly in
# float64 (a chunk's Gram matrix); smaller chunks stay in cache. The chunks' integers
# add up in int64 (exact up to 2^31 rows), the partitions' as Python integers.
CHUNK_ROWS = 1 << 11
_INT64_ROWS = 1 << 30


def exponents(max_abs) -> np.ndarray:
    """Per column the e with max |x| < 2^e (0 for a column of zeros): the grid's scale.
    Everything that must agree (the single-machine fit, every partition) uses the
    exponents of the same column maxima."""
    max_abs = np.asarray(max_abs, dtype=np.float64)
    if not np.isfinite(max_abs).all():
        raise ValueError("exact moments need finite values")
    return np.frexp(max_abs)[1].astype(np.int64)


def column_max_abs(X) -> np.ndarray:
    """max |x| per column, float64 (0 for no rows, NaN for a column with a NaN); float32
    and float64 in one pass of the core without a temporary."""
    X = np.asarray(X)
    if X.ndim == 2 and X.dtype in (np.float32, np.float64):
        return _core.column_max_abs(np.ascontiguousarray(X))
    if X.shape[0] == 0:
        return np.zeros(X.shape[1])
    return np.abs(X).max(axis=0).astype(np.float64)


def _grid_ready(X, exps):
    """X as the core reads it (C-contiguous float32 or float64) and the exponents as
    int64, checked against each other."""
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    X = np.ascontiguousarray(X)
    exps = np.ascontiguousarray(exps, dtype=np.int64)
    if X.ndim != 2 or exps.shape != (X.shape[1],):
        raise ValueError(
            f"exact moments need a 2-D X and one exponent per column, got X of shape "
            f"{X.shape} and {exps.shape[0] if exps.ndim == 1 else exps.shape} exponent(s)"
        )
    return X, exps


def moment_parts(X, exps, n_threads: int = 1, *, scatter: bool = True) -> dict:
    """The exact integer sums of X's rows for :func:`moments` and (with ``scatter``)
    :func:`scatter`: the row count ``n``, the slices' column sums ``sums`` (slice s of
    column j at s * d + j), each column's slice products ``products`` (s, t, j) and, with
    ``scatter``, the Gram matrix ``cross`` of all 4 d slice columns. Parts of disjoint
    rows add up with ``+`` (their arrays hold Python integers), so ``n_threads`` threads
    (0: every core) give the same bits as one."""
    X, exps = _grid_ready(X, exps)
    n, d = X.shape
    if not scatter:
        return _column_parts(X, exps, n_threads)
    threads = min(n_threads or os.cpu_count() or 1, max(1, n // (4 * CHUNK_ROWS)))
    # One BLAS thread each: a chunk's product is small, and a threaded BLAS spent
    # 5-20x longer on them when other work shared the cores.
    with threadpool_limits(1, user_api="blas"):
        if threads <= 1:
            out = _gram_parts(X, exps, n, d)
        else:
            bounds = np.linspace(0, n, threads + 1).astype(np.int64)
            with ThreadPoolExecutor(threads) as pool:  # the core and BLAS release the GIL
                parts = list(
                    pool.map(
                        lambda ab: _gram_parts(X[ab[0] : ab[1]], exps, ab[1] - ab[0], d),
                        zip(bounds[:-1], bounds[1:]),
                    )
                )
            out = parts[0]
            for part in parts[1:]:
                out = {key: out[key] + part[key] for key in out}
    # A column's slice products are the diagonal blocks of the Gram matrix.
    columns = np.arange(d)
    blocks = out["cross"].reshape(SLICES, d, SLICES, d)[:, columns, :, columns]
    return {**out, "products": np.moveaxis(blocks, 0, -1)}


def _column_parts(X, exps, n_threads):
    """n, sums and products in the core: one pass, no Gram matrix."""
    n, d = X.shape
    sums = np.zeros(SLICES * d, dtype=object)
    products = np.zeros((SLICES, SLICES, d), dtype=object)
    for group in range(0, n, _INT64_ROWS):
        part = _core.exact_moment_sums(X[group : group + _INT64_ROWS], exps, n_threads)
        sums = sums + part.sums.reshape(-1).astype(object)
        products = products + part.products.astype(object)
    return {"n": n, "sums": sums, "products": products}


def _gram_parts(X, exps, n, d):
    total_sums = np.zeros(SLICES * d, dtype=object)
    total_cross = np.zeros((SLICES * d, SLICES * d), dtype=object)
    for group in range(0, n, _INT64_ROWS):
        sums = np.zeros(SLICES * d, dtype=np.int64)
        cross = np.zeros((SLICES * d, SLICES * d), dtype=np.int64)
        for start in range(group, min(n, group + _INT64_ROWS), CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, group + _INT64_ROWS, n)
            block = _core.exact_grid_slices(X[start:stop], exps)
            sums += block.sum(axis=0).astype(np.int64)
            cross += (block.T @ block).astype(np.int64)
        total_sums = total_sums + sums.astype(object)
        total_cross = total_cross + cross.astype(object)
    return {"n": n, "sums": total_sums, "cross": total_cross}


def _column_sum(sums, j, d) -> int:
    """Column j's sum of values on the grid 2^(e_j - 64), an integer."""
    total = 0
    for s in range(SLICES):
        total += int(sums[s * d + j]) << (SLICE_BITS * (SLICES - 1 - s))
    return total


def _product_sum(cross, j, k, d) -> int:
    """The sum of x_j x_k on the grid 2^(e_j + e_k - 128), an integer."""
    total = 0
    for s in range(SLICES):
        for t in range(SLICES):
            total += int(cross[s * d + j, t * d + k]) << (SLICE_BITS * (2 * SLICES - 2 - s - t))
    return total


def _square_sum(products, j) -> int:
    """The sum of x_j^2 on the grid 2^(2 e_j - 128), an integer."""
    total = 0
    for s in range(SLICES):
        for t in range(SLICES):
            total += int(products[s, t, j]) << (SLICE_BITS * (2 * SLICES - 2 - s - t))
    return total


def moments(parts, exps):
    """(n, mean, variance) per column, each the exact value of the grid's sums rounded
    once to float64 (the variance divides by n, as numpy's)."""
    n = int(parts["n"])
    exps = np.asarray(exps, dtype=np.int64)
    d = exps.size
    mean, var = np.zeros(d), np.zeros(d)
    if n == 0:
        return 0, mean, var
    bits = SLICE_BITS * SLICES
    for j in range(d):
        s1 = _column_sum(parts["sums"], j, d)
        s2 = _square_sum(parts["products"], j)
        mean[j] = float(_scaled(Fraction(s1, n), int(exps[j]) - bits))
        var[j] = float(_scaled(Fraction(n * s2 - s1 * s1, n * n), 2 * (int(exps[j]) - bits)))
    return n, mean, var


def scatter(parts, exps) -> np.ndarray:
    """The centred scatter matrix sum_i (x_i - mean)(x_i - mean)^T, each entry exact
    then rounded once to float64."""
    n = int(parts["n"])
    exps = np.asarray(exps, dtype=np.int64)
    d = exps.size
    if "cross" not in parts:
        raise ValueError("the scatter matrix needs moment_parts(..., scatter=True)")
    out = np.zeros((d, d))
    if n == 0:
        return out
    bits = SLICE_BITS * SLICES
    s1 = [_column_sum(parts["sums"], j, d) for j in range(d)]
    for j in range(d):
        for k in range(j, d):
            s2 = _product_sum(parts["cross"], j, k, d)
            exact = Fraction(n * s2 - s1[j] * s1[k], n)
            out[j, k] = out[k, j] = float(_scaled(exact, int(exps[j]) + int(exps[k]) - 2 * bits))
    return out


def _scaled(value: Fraction, power: int) -> Fraction:
    return value * 2**power if power >= 0 else value / 2**-power


def mean_std(X, n_threads: int = 1):
    """(mean, std) per column of X (float64), exact then rounded once: the same bits
    for the same rows in any order or split, with any number of threads."""
    exps = exponents(column_max_abs(X))
    _, mean, var = moments(moment_parts(X, exps, n_threads, scatter=False), exps)
    return mean, np.sqrt(var)


# Exact sums of float64 values by group (K-means' per-cluster sums of squared
# deviations): a value is m 2^e (np.frexp), its 53-bit integer mantissa m 2^53 cut into
# a high and a low piece of at most 27 and 26 bits; the pieces add up per group and
# binary exponent as float64, exact for up to 2^26 rows a chunk, and those sums as
# Python integers on the grid 2^(_EXP_MIN - 53) (the smallest subnormal's exponent).
_EXP_MIN, _EXP_MAX = -1073, 1024
_EXPONENTS = _EXP_MAX - _EXP_MIN + 1
_SUM_ROWS = 1 << 26


def group_sum_parts(values, labels, n_groups: int) -> np.ndarray:
    """The exact sums of ``values`` (n x d, finite) over the rows of each group
    (``labels``, 0 to ``n_groups`` - 1), per column: an (n_groups x d) object array of
    Python integers on the grid 2^-1126. Blocks of rows give parts that add up
    (``+``) to the whole's in any order; :func:`group_sums` rounds them once."""
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if values.ndim != 2 or labels.shape != values.shape[:1]:
        raise ValueError("values must be n x d with one label per row")
    if not np.isfinite(values).all():
        raise ValueError("exact sums need finite values")
    n, d = values.shape
    out = np.zeros((n_groups, d), dtype=object)
    size = n_groups * _EXPONENTS
    for start in range(0, n, _SUM_ROWS):
        base = labels[start : start + _SUM_ROWS] * _EXPONENTS - _EXP_MIN
        for j in range(d):
            mantissa, exponent = np.frexp(values[start : start + _SUM_ROWS, j])
            high = np.trunc(np.ldexp(mantissa, 27))  # m 2^53 = high 2^26 + low
            low = np.ldexp(mantissa, 53) - np.ldexp(high, 26)
            bins = base + exponent
            highs = np.bincount(bins, weights=high, minlength=size)
            lows = np.bincount(bins, weights=low, minlength=size)
            for b in np.flatnonzero((highs != 0) | (lows != 0)):
                group, shift = divmod(int(b), _EXPONENTS)
                out[group, j] += ((int(highs[b]) << 26) + int(lows[b])) << shift
    return out


def group_sums(parts) -> np.ndarray:
    """:func:`group_sum_parts`' exact sums rounded once to float64 (correctly: the same
    bits however the rows were ordered or split)."""
    parts = np.asarray(parts, dtype=object)
    scale = 1 << (53 - _EXP_MIN)
    return np.array([int(x) / scale for x in parts.ravel()], dtype=np.float64).reshape(parts.shape)
