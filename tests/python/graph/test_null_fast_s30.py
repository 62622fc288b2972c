"""The group stage's null of visits in slices (s30, review MEDIUM-7): the sliced sums
and the shorter sorts give what scipy's and numpy's whole-array calls give, bit for bit."""

import numpy as np
import pytest
from scipy.special import logsumexp

from oddseq.graph import _null
from oddseq.graph._null import (
    _logsumexp_axis0,
    _unique_rows,
    activity_laws,
    log10_excess_sf_laws,
)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("chunk", [2**20, 40, 7])
def test_logsumexp_axis0_is_scipy_bit_for_bit(seed, chunk, monkeypatch):
    monkeypatch.setattr(_null, "_CHUNK", chunk)
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 30.0, size=(int(rng.integers(1, 300)), int(rng.integers(1, 12))))
    a[rng.random(a.shape) < 0.3] = -np.inf
    a[:, 0] = np.round(a[:, 0])  # ties at a column's largest term
    a[:, rng.random(a.shape[1]) < 0.3] = -np.inf  # columns of -inf only
    if seed % 2:
        a[rng.integers(a.shape[0]), rng.integers(a.shape[1])] = np.nan
        a[rng.integers(a.shape[0]), rng.integers(a.shape[1])] = np.inf
    with np.errstate(all="ignore"):
        got, want = _logsumexp_axis0(a), logsumexp(a, axis=0)
    assert np.array_equal(got, want, equal_nan=True)


def test_unique_rows_alike_on_a_long_prefix():
    # Rows that agree on their first 20 columns and differ after: the prefix grows.
    rng = np.random.default_rng(3)
    a = rng.choice([0.0, 0.25, 1.0], size=(500, 40))
    a[:, :20] = 0.5
    a[::7, 20:] = a[0, 20:]
    values, counts = _unique_rows(a)
    want_values, want_counts = np.unique(a, axis=0, return_counts=True)
    assert np.array_equal(values, want_values)
    assert np.array_equal(counts, want_counts)


@pytest.mark.parametrize("excess", [30, 60, 2500])
def test_excess_sf_laws_alike_in_slices(excess, monkeypatch):
    # Light laws (P(h >= 2) about 1%), three heavy ones and some that never reach two
    # acts: the tail read 50 values at a time is the tail read at once, to the last bit.
    rng = np.random.default_rng(11)
    pmf = rng.dirichlet(np.full(9, 0.3), size=300)
    pmf[:297, 1:] *= 1e-2
    pmf[:297, 0] = 1.0 - pmf[:297, 1:].sum(axis=1)
    pmf[100:110, 2:] = 0.0
    pmf[100:110, 0] = 1.0 - pmf[100:110, 1]
    sf = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]
    counts = rng.integers(1, 5, size=300).astype(float)
    counts[297:] = 1.0
    whole = log10_excess_sf_laws(excess, sf, counts)
    monkeypatch.setattr(_null, "_CHUNK", 50)
    assert log10_excess_sf_laws(excess, sf, counts) == whole
    assert -np.inf < whole < 0.0


def test_activity_laws_rounded_in_place_is_the_rounding_of_the_laws():
    # The laws rounded a slice at a time (n_units this large: a few dozen entities a
    # slice) are the whole laws rounded as the group test rounds them, to the last bit,
    # and the tail rows' unrounded laws are theirs.
    rng = np.random.default_rng(5)
    n_windows = rng.integers(1, 30, size=150)
    row = np.repeat(np.arange(150, dtype=np.int64), n_windows)
    window = np.concatenate([rng.choice(60, size=k, replace=False) for k in n_windows])
    grid = rng.integers(0, 2, size=row.size)
    chance = rng.uniform(0.01, 0.9, size=row.size)
    obj = np.zeros(row.size, dtype=np.int64)
    empty = np.array([], dtype=np.int64)
    args = (chance, row, grid, window, obj, 1, empty, (empty, empty, empty), np.arange(61))
    step = np.log(1.02)
    entities, sf = activity_laws(*args, 20_000)
    with np.errstate(divide="ignore"):
        want = np.minimum(np.exp(np.ceil(np.log(sf) / step) * step), 1.0)
    members = np.array([149, 3, 77, 500, 0])  # unsorted, one not active
    got_entities, rounded, tail = activity_laws(*args, 20_000, round_step=step, tail_rows=members)
    assert np.array_equal(got_entities, entities)
    assert np.array_equal(rounded, want)
    assert np.array_equal(tail, sf[[149, 3, 77, 0], 2:])
    with pytest.raises(ValueError, match="round_step and tail_rows"):
        activity_laws(*args, 5, round_step=step)
