"""The group stage's null of visits, made fast (s29, review MEDIUM-7): the shortcuts
give what the plain numpy calls give, bit for bit."""

import numpy as np
import pytest

from oddseq.graph._null import _unique_rows, activity_laws


@pytest.mark.parametrize("seed", range(5))
def test_unique_rows_is_np_unique_axis0(seed):
    rng = np.random.default_rng(seed)
    a = rng.choice([0.0, 1e-300, 0.25, 0.5, 1.0, 3.0], size=(rng.integers(1, 400), 7))
    values, counts = _unique_rows(a)
    want_values, want_counts = np.unique(a, axis=0, return_counts=True)
    assert np.array_equal(values, want_values)
    assert np.array_equal(counts, want_counts)


def test_unique_rows_takes_np_unique_where_bytes_and_values_disagree():
    a = np.array([[0.0, 1.0], [-0.0, 1.0], [0.5, 0.25]])
    values, counts = _unique_rows(a)
    assert values.shape == (2, 2) and counts.tolist() == [2, 1]


def test_activity_laws_many_windows_fold_past_n_units():
    # One entity in 12 windows of one object (chance 0.5 each), n_units 5: P(h >= j)
    # is the binomial's for j < 5 and the rest of the mass folds into j = 5.
    from scipy.stats import binom

    n = 12
    row = np.zeros(n, dtype=np.int64)
    window = np.arange(n, dtype=np.int64)
    acts = (row[:0], window[:0], row[:0])
    entities, sf = activity_laws(
        np.full(n, 0.5),
        row,
        np.zeros(n, dtype=np.int64),
        window,
        row.copy(),
        1,
        np.array([], dtype=np.int64),
        acts,
        window,
        5,
    )
    assert entities.tolist() == [0]
    assert np.allclose(sf[0, :5], binom.sf(np.arange(5) - 1, n, 0.5))
    assert sf[0, 5] == pytest.approx(binom.sf(4, n, 0.5))


def test_activity_laws_in_slices_equal_each_entity_alone():
    # n_units this large makes the laws be built a few dozen entities at a time; each
    # entity's law is its own windows' (no co-visits with one object): alike bit for bit.
    rng = np.random.default_rng(7)
    n_windows = rng.integers(1, 30, size=150)
    row = np.repeat(np.arange(150, dtype=np.int64), n_windows)
    window = np.concatenate([rng.choice(60, size=k, replace=False) for k in n_windows])
    grid = rng.integers(0, 2, size=row.size)
    chance = rng.uniform(0.01, 0.9, size=row.size)
    obj = np.zeros(row.size, dtype=np.int64)
    empty = np.array([], dtype=np.int64)

    def laws(pick):
        return activity_laws(
            chance[pick],
            row[pick],
            grid[pick],
            window[pick],
            obj[pick],
            1,
            empty,
            (empty, empty, empty),
            np.arange(61),
            40_000,
        )

    entities, sf = laws(np.ones(row.size, dtype=bool))
    assert entities.tolist() == list(range(150))
    for u in (0, 51, 52, 99, 149):
        alone, sf_u = laws(row == u)
        assert alone.tolist() == [u]
        assert np.array_equal(sf[u], sf_u[0])
