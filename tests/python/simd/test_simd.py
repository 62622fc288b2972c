import math

import numpy as np
import pytest

from oddseq import _core

LEVELS = [
    pytest.param(
        level,
        marks=pytest.mark.skipif(not _core.simd_is_supported(level), reason=f"CPU lacks {level}"),
    )
    for level in ("scalar", "avx2", "avx512")
]
SIZES = [1, 2, 3, 15, 16, 17, 33, 1000]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", SIZES)
def test_reductions_match_scalar(level, dtype, d):
    rng = np.random.default_rng(d)
    a, b = rng.normal(size=(2, d)).astype(dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    exact_sq = float(((a.astype(np.float64) - b) ** 2).sum())
    exact_dot = float(a.astype(np.float64) @ b)
    assert _core.simd_sqdist(a, b, level) == pytest.approx(exact_sq, rel=rtol)
    assert _core.simd_dot(a, b, level) == pytest.approx(exact_dot, rel=rtol, abs=rtol * d)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape",
    [(1, 1, 1), (2, 3, 2), (17, 15, 3), (33, 16, 17), (7, 33, 40), (100, 2, 1), (64, 1000, 5)],
)
def test_nearest_matches_scalar(level, dtype, shape):
    m, d, k = shape
    rng = np.random.default_rng(m * 7 + d)
    x = rng.normal(size=(m, d)).astype(dtype)
    centers = rng.normal(size=(k, d)).astype(dtype)
    run, ref = _core.simd_nearest(x, centers, level), _core.simd_nearest(x, centers, "scalar")
    labels, best, second = run.labels, run.best, run.second
    ref_labels, ref_best, ref_second = ref.labels, ref.best, ref.second
    exact = ((x[:, None, :].astype(np.float64) - centers[None]) ** 2).sum(axis=2)
    tol = 1e-3 if dtype == np.float32 else 1e-9
    # Same argmin up to floating-point near-ties, and the same value.
    chosen = exact[np.arange(m), labels]
    assert np.all(chosen <= exact.min(axis=1) + tol * (1 + exact.min(axis=1)))
    np.testing.assert_allclose(best, ref_best, rtol=tol, atol=tol * d)
    assert np.mean(labels == ref_labels) >= 0.99
    # The runner-up: the second smallest of ||c||^2 - 2 x.c (inf when k == 1).
    expansion = (centers.astype(np.float64) ** 2).sum(axis=1)[None, :] - 2 * x @ centers.T.astype(
        np.float64
    )
    expected_second = np.sort(expansion, axis=1)[:, 1] if k > 1 else np.full(m, np.inf)
    np.testing.assert_allclose(second, expected_second, rtol=tol, atol=tol * d)
    np.testing.assert_allclose(second, ref_second, rtol=tol, atol=tol * d)


def test_active_level_is_reported():
    assert _core.simd_level() in ("scalar", "avx2", "avx512")
    with pytest.raises(ValueError, match="unknown SIMD level"):
        _core.simd_sqdist(np.ones(3), np.ones(3), "sse9")


def run_with_level(level):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", "import oddseq; print(oddseq.simd_level())"],
        env={**os.environ, "ODDSEQ_SIMD": level},
        capture_output=True,
        text=True,
    )


def test_forced_level_by_environment():
    out = run_with_level("scalar")
    assert out.stdout.strip() == "scalar", out.stderr
    bad = run_with_level("sse9")
    assert bad.returncode != 0 and "unknown SIMD level 'sse9'" in bad.stderr


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_relative_to_a_reference_point(level, dtype):
    # Far from the origin, working relative to mu keeps the argmin exact.
    rng = np.random.default_rng(3)
    x = (1e4 + rng.normal(size=(500, 5))).astype(dtype)
    centers = (1e4 + rng.normal(size=(7, 5))).astype(dtype)
    mu = centers.mean(axis=0).astype(dtype)
    labels = _core.simd_nearest(x, centers, level, mu).labels
    exact = ((x[:, None, :].astype(np.float64) - centers[None]) ** 2).sum(axis=2)
    chosen = exact[np.arange(len(x)), labels]
    assert np.all(chosen <= exact.min(axis=1) * (1 + 1e-4) + 1e-4)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("n, n_hashes", [(0, 4), (1, 1), (7, 3), (33, 64), (1000, 7), (5, 130)])
def test_minhash_minima_match_numpy(level, n, n_hashes):
    rng = np.random.default_rng(n * 131 + n_hashes)
    x = rng.integers(0, 2**32, n, dtype=np.uint32)
    mult = rng.integers(0, 2**32, n_hashes, dtype=np.uint32) | np.uint32(1)
    add = rng.integers(0, 2**32, n_hashes, dtype=np.uint32)
    got = _core.simd_minhash_min(x, mult, add, level)
    hashed = (mult[:, None] * x[None, :] + add[:, None]) >> np.uint32(8)  # wraps mod 2**32
    expected = hashed.min(axis=1) if n else np.full(n_hashes, 2**24, dtype=np.uint32)
    np.testing.assert_array_equal(got, expected)


def folded(q, points, reduction):
    """Each point's distance folded as the core defines it: feature k into partial k mod
    4, one multiply and one add at a time, the partials combined in pairs. Every level
    must reproduce it bit for bit."""
    partial = np.zeros((4, len(points)))
    for k in range(points.shape[1]):
        g = np.abs(points[:, k] - q[k])
        if reduction == "squares":
            partial[k % 4] = partial[k % 4] + g * g
        elif reduction == "absolutes":
            partial[k % 4] = partial[k % 4] + g
        else:
            partial[k % 4] = np.maximum(partial[k % 4], g)
    combine = np.maximum if reduction == "max_absolute" else np.add
    return combine(combine(partial[0], partial[1]), combine(partial[2], partial[3]))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("reduction", ["squares", "absolutes", "max_absolute"])
@pytest.mark.parametrize(("n", "d"), [(1, 1), (7, 3), (8, 18), (33, 5), (17, 6), (100, 64)])
def test_block_distances_equal_the_defined_fold_exactly(level, reduction, n, d):
    rng = np.random.default_rng(n * 100 + d)
    points = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-3, 4, d)
    q = rng.normal(size=d)
    out = _core.simd_block_distances(q, points, reduction, level)
    np.testing.assert_array_equal(out, folded(q, points, reduction))
    with pytest.raises(ValueError, match="one column per entry"):
        _core.simd_block_distances(q[:-1] if d > 1 else np.ones(2), points, reduction, level)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("m", "n", "d"), [(1, 1, 1), (5, 40, 3), (7, 100, 18), (13, 33, 45)])
def test_screen_lets_through_what_is_within_the_limit(level, m, n, d):
    # The screen's rounding is not defined (fused or not, any order), only bounded: pairs
    # clearly below their row's limit must pass, pairs clearly above must not.
    rng = np.random.default_rng(m * 1000 + n * 10 + d)
    x = rng.uniform(-1, 1, size=(m, d)).astype(np.float32)
    points = rng.uniform(-1, 1, size=(n, d)).astype(np.float32)
    x64, p64 = x.astype(np.float64), points.astype(np.float64)
    values = (p64**2).sum(1)[None, :] - 2 * x64 @ p64.T
    limits = np.quantile(values, 0.3, axis=1).astype(np.float32)
    through = _core.simd_screen(x, points, limits, level)
    assert through.shape == (m, n)
    slack = (d + 2) * 2.0**-22 * ((x64**2).sum(1)[:, None] + (p64**2).sum(1)[None, :] + 1)
    assert through[values <= limits[:, None] - slack].all()
    assert not through[values > limits[:, None] + slack].any()
    unlimited = _core.simd_screen(x, points, np.full(m, np.inf, np.float32), level)
    assert unlimited.all()
    with pytest.raises(ValueError, match="one limit per row"):
        _core.simd_screen(x, points, limits[:-1], level)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [1, 2, 3, 15, 16, 17, 33, 100])
def test_grid_limbs_are_the_exact_truncated_values(level, dtype, d):
    """simd_grid_limbs (K-means' exact sums): l0 + l1 * 2**42 + l2 * 2**84 equals
    trunc(w * x * 2**shift) exactly, as Python's int() of the float, every limb of the
    value's sign and below 2**42, at every level, for values up to just below 2**125 on the
    grid, tiny ones that truncate to zero, subnormals and signed zeros."""
    rng = np.random.default_rng(d * 7 + (dtype == np.float64))
    info = np.finfo(dtype)
    for trial in range(40):
        x = (rng.normal(size=d) * 10.0 ** rng.integers(-30, 30, size=d)).astype(dtype)
        if trial % 5 == 0:
            x[rng.integers(0, d)] = -0.0
        if trial % 7 == 0:
            x[rng.integers(0, d)] = info.smallest_subnormal
        w = 1.0 if trial % 2 else float(rng.uniform(0.1, 4.0))
        values = [w * float(v) for v in x]
        # The grid's promise: |value| * 2**shift < 2**125; some columns far below it.
        shifts = np.array(
            [
                min(1023, 124 - math.frexp(v)[1] - int(rng.integers(0, 80))) if v else 0
                for v in values
            ],
            dtype=np.int32,
        )
        limbs = _core.simd_grid_limbs(x, w, shifts, level)
        assert limbs.shape == (3, d) and limbs.dtype == np.int64
        for j, v in enumerate(values):
            expected = int(math.ldexp(v, int(shifts[j])))  # int() truncates toward zero
            got = [int(limbs[lb, j]) for lb in range(3)]
            assert all(abs(g) < 2**42 for g in got)
            assert all(g == 0 or (g < 0) == (v < 0) for g in got)
            assert got[0] + got[1] * 2**42 + got[2] * 2**84 == expected, (j, v, shifts[j])


def test_grid_limbs_bad_input():
    with pytest.raises(ValueError, match="one shift per value"):
        _core.simd_grid_limbs(np.ones(3), 1.0, np.zeros(2, np.int32), "scalar")
    with pytest.raises(ValueError, match="normal double"):
        _core.simd_grid_limbs(np.ones(1), 1.0, np.array([2000], np.int32), "scalar")


def _grid_slices_reference(x, exps):
    """The exact moments' cut in Python integers: each value's trunc(x * 2**(64 - e))
    (Python's int() of the exact product) split into four signed 16-bit slices."""
    n, d = x.shape
    out = np.zeros((n, 4 * d))
    for r in range(n):
        for j in range(d):
            v = float(x[r, j])
            whole = int(math.ldexp(v, 64 - int(exps[j])))  # exact, toward zero
            sign, mag = (-1 if whole < 0 else 1), abs(whole)
            for s in range(4):
                out[r, s * d + j] = sign * ((mag >> (16 * (3 - s))) & 0xFFFF)
    return out


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [1, 2, 3, 7, 8, 9, 15, 16, 17, 33])
def test_moment_slices_and_sums_are_exact_at_every_level(level, dtype, d):
    """simd_grid_slices and simd_moment_sums (the exact moments' kernel) cut every value
    as Python's exact integers do, and add the slices and their products exactly, at
    every level: magnitudes far apart, subnormals, signed zeros, columns of zeros, and
    grid exponents down to a subnormal column's."""
    rng = np.random.default_rng(d * 11 + (dtype == np.float64))
    info = np.finfo(dtype)
    x = (rng.normal(size=(37, d)) * 10.0 ** rng.integers(-8, 8, size=(37, d))).astype(dtype)
    x[rng.integers(0, 37), rng.integers(0, d)] = -0.0
    x[rng.integers(0, 37), rng.integers(0, d)] = info.smallest_subnormal
    if d > 2:
        x[:, 1] = 0.0
        x[:, 2] = info.smallest_subnormal * rng.integers(-5, 6, size=37)
    exps = np.frexp(np.abs(x).max(axis=0).astype(np.float64))[1].astype(np.int64)
    want = _grid_slices_reference(x, exps)
    # Equal as numbers (a negative value's zero slices may be -0.0).
    np.testing.assert_array_equal(_core.simd_grid_slices(x, exps, level), want)
    got = _core.simd_moment_sums(x, exps, level)
    assert got.shape == (15, d)
    np.testing.assert_array_equal(got[:4], want.sum(axis=0).reshape(4, d))
    a = np.abs(want).reshape(37, 4, d)
    pairs = [(s, t) for s in range(4) for t in range(s, 4)]
    np.testing.assert_array_equal(got[4:14], [(a[:, s] * a[:, t]).sum(axis=0) for s, t in pairs])
    assert not got[14].any()
    # A value beyond its column's grid is counted, never cut.
    big = exps.copy()
    big[0] -= 1
    assert _core.simd_moment_sums(x, big, level)[14, 0] >= 1
