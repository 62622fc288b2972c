"""The group stage's null of visits in slices (s30, review MEDIUM-7): the sliced sums
and the shorter sorts give what scipy's and numpy's whole-array calls give, bit for bit."""

import numpy as np
import pytest
from scipy.special import logsumexp

from oddseq.graph import _null
from oddseq.graph._null import _logsumexp_axis0, _unique_rows, log10_excess_sf_laws


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
