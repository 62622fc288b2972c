"""oddseq's one distinct-row kernel (oddseq.utils._rows): the groups np.unique(axis=0)
gives, numbered by their first rows, whatever the hash does."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq.utils import _rows
from oddseq.utils._rows import distinct_rows, identical_rows, n_distinct_rows


def _assert_numpy_groups(points):
    """identical_rows groups ``points`` as np.unique(axis=0) does (-0.0 as 0.0), its
    groups numbered in the order of their first rows."""
    first, group = identical_rows(points)
    values = np.asarray(points, dtype=np.float64) + 0.0
    unique, index, inverse = np.unique(values, axis=0, return_index=True, return_inverse=True)
    assert first.size == unique.shape[0] == n_distinct_rows(points)
    assert np.array_equal(first, np.sort(index))  # each group's first row, in row order
    assert np.array_equal(values[first][group], values)
    # The same partition of the rows as numpy's: one numbering maps onto the other.
    assert np.array_equal(inverse.ravel()[first][group], inverse.ravel())
    vectors, inverse_rows = distinct_rows(points)
    assert np.array_equal(vectors, values[first]) and np.array_equal(inverse_rows, group)
    assert not np.signbit(vectors[vectors == 0]).any()  # -0.0 comes back as 0.0


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 60),
    d=st.integers(0, 5),
    values=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_small_integer_rows_with_many_repeats_group_as_numpy_unique(n, d, values, seed, dtype):
    rng = np.random.default_rng(seed)
    points = rng.integers(-values, values + 1, size=(n, d)).astype(dtype)
    _assert_numpy_groups(points)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from([0.0, -0.0, 1.5, -2.25, 1e300, -np.inf, np.inf, 5e-324]),
            min_size=3,
            max_size=3,
        ),
        min_size=0,
        max_size=40,
    )
)
def test_float_rows_with_signed_zeros_and_infinities_group_as_numpy_unique(rows):
    points = np.array(rows, dtype=np.float64).reshape(len(rows), 3)
    _assert_numpy_groups(points)


def test_empty_and_one_row_matrices():
    for points in (np.zeros((0, 4)), np.zeros((0, 0)), np.ones((1, 3)), np.zeros((5, 0))):
        _assert_numpy_groups(points)
    assert n_distinct_rows(np.zeros((5, 0))) == 1  # five empty rows are one
    assert n_distinct_rows(np.zeros((0, 4))) == 0


def test_nan_is_refused_naming_the_fix():
    points = np.zeros((4, 2))
    points[2, 1] = np.nan
    with pytest.raises(ValueError, match="points holds NaN.*fill or drop"):
        identical_rows(points)
    with pytest.raises(ValueError, match="2-D matrix"):
        identical_rows(np.zeros(3))


def test_a_hash_collision_costs_time_never_a_wrong_group(monkeypatch):
    """Every row given one hash (a collision between every pair of different rows):
    the exact grouping gives the groups the hash would have."""
    rng = np.random.default_rng(3)
    points = rng.integers(0, 3, size=(200, 4)).astype(np.float64)
    points[5] = -0.0 * points[5]
    expected = identical_rows(points)
    monkeypatch.setattr(_rows, "_row_hash", lambda p: np.zeros(p.shape[0], np.uint64))
    got = identical_rows(points)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
    _assert_numpy_groups(points)
    points[9, 2] = np.nan
    with pytest.raises(ValueError, match="points holds NaN"):
        identical_rows(points)


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(0, 80),
    seed=st.integers(0, 2**32 - 1),
    cuts=st.lists(st.integers(0, 80), max_size=4),
)
def test_distinct_rows_of_blocks_unite_to_the_whole_matrix_s(n, seed, cuts):
    """oddseq.dask's partitions: the distinct rows and counts of consecutive blocks,
    united, are the whole matrix's (the same rows, bits, order and counts), and each
    block's rows find their index among them."""
    from oddseq.utils._rows import united_distinct_rows, weighted_distinct_rows

    rng = np.random.default_rng(seed)
    points = rng.integers(-2, 3, size=(n, 3)).astype(np.float32)
    points[rng.random(n) < 0.2, 0] = -0.0
    rows, counts, group = weighted_distinct_rows(points)
    assert rows.dtype == np.float32 and counts.sum() == n
    assert np.array_equal(rows[group], points)
    blocks = np.split(points, sorted(min(c, n) for c in cuts))
    parts = [weighted_distinct_rows(b)[:2] for b in blocks]
    united, totals, where = united_distinct_rows(parts)
    assert united.tobytes() == rows.tobytes()  # the same bits (-0.0 where first)
    assert np.array_equal(totals, counts)
    for block, (part, _), w in zip(blocks, parts, where, strict=True):
        assert np.array_equal(united[w], part)
        assert np.array_equal(united[w][weighted_distinct_rows(block)[2]], block)


def test_tied_rows_tells_untied_rows_by_their_hashes_alone(monkeypatch):
    """tied_rows: at most half the rows distinct gives weighted_distinct_rows' triple
    and the count; more than half gives None and the distinct hashes' count, without
    grouping the rows (no full comparison)."""
    rng = np.random.default_rng(0)
    tied = rng.normal(size=(30, 6)).astype(np.float32)[rng.integers(0, 30, 200)]
    n_distinct, weighted = _rows.tied_rows(tied)
    expected = _rows.weighted_distinct_rows(tied)
    assert n_distinct == 30 == expected[0].shape[0]
    for got, want in zip(weighted, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert weighted[0].dtype == np.float32
    untied = rng.normal(size=(200, 6)).astype(np.float32)
    untied[100:150] = untied[:50]  # 150 distinct rows of 200
    monkeypatch.setattr(_rows, "_checked_groups", lambda *a: pytest.fail("grouped"))
    assert _rows.tied_rows(untied) == (150, None)
    # The hash of a float32 row is its float64 values' (and -0.0 hashes as 0.0).
    signed = untied.copy()
    signed[:, 0] = -0.0
    plus = signed.astype(np.float64)
    plus[:, 0] = 0.0
    np.testing.assert_array_equal(_rows._row_hash(signed), _rows._row_hash(plus))


def test_tied_rows_reuses_the_groups_its_caller_passes(monkeypatch):
    """No module-level cache: each call on a matrix hashes its rows, unless the caller
    passes the groups an earlier call found (``known=``), which are checked (only the
    distinct rows hashed); groups of another matrix (changed, or of another dtype) are
    found afresh."""
    assert not hasattr(_rows, "_last_tied") and not hasattr(_rows, "weakref")
    rng = np.random.default_rng(1)
    tied = rng.normal(size=(20, 4))[rng.integers(0, 20, 500)]
    first = _rows.tied_rows(tied)
    hashed, row_hash = [], _rows._row_hash
    monkeypatch.setattr(
        _rows, "_row_hash", lambda points: hashed.append(len(points)) or row_hash(points)
    )
    assert _rows.tied_rows(tied)[0] == 20 and hashed == [500]  # no hidden reuse
    hashed.clear()
    again = _rows.tied_rows(tied, known=first[1])
    assert hashed == [20] and again[0] == first[0] == 20
    for got, want in zip(again[1], first[1], strict=True):
        np.testing.assert_array_equal(got, want)
    # Changed in place: two groups made one, another split; the check sends it afresh.
    copy = tied.copy()
    copy[copy[:, 0] == copy[0, 0]] = copy[1]
    copy[-1, 0] += 1.0
    hashed.clear()
    n_distinct, weighted = _rows.tied_rows(copy, known=first[1])
    assert hashed[-1] == 500
    want = _rows.weighted_distinct_rows(copy)
    assert n_distinct == want[0].shape[0]
    for got, expected in zip(weighted, want, strict=True):
        np.testing.assert_array_equal(got, expected)
    # The same values in another dtype: grouped afresh, the rows in that dtype.
    single = tied.astype(np.float32)
    n_distinct, weighted = _rows.tied_rows(single, known=first[1])
    assert n_distinct == 20 and weighted[0].dtype == np.float32
    # Groups of a matrix with other rows (another length) are refused by the check too.
    assert _rows.tied_rows(tied[:300], known=first[1])[0] == 20
