"""Rows equal to the draws' rounding but not exactly (a crowd of scripted clients with
sub-millisecond jitter) share a rounded hash; the draws read them apart (C++
core::draw_hashes: the exact rows of one rounded hash numbered by their exact hash, then
their values), so that they are drawn as the distinct rows they are, whatever the order
of the rows or the columns, and oddseq.dask draws them alike (review RV s56 H1)."""

import numpy as np
import pytest

from oddseq import _core
from oddseq.cluster import kmeans_plusplus
from oddseq.detect import IsolationForest


def _crowd(seed, n=2000, crowd=150, jitter=1e-7, d=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(100.0, 1.0, (n, d))
    point = np.full(d, 130.0)
    X[:crowd] = point * (1 + jitter * rng.standard_normal((crowd, d)))
    return X


def test_near_equal_rows_draw_apart_and_identical_rows_alike():
    X = _crowd(0, n=400, crowd=50)
    X[60] = X[61]  # two identical rows
    floors = _core.kmeans_key_floors(X, 1)
    keys = _core.kmeans_column_keys(X, 1, floors=floors)
    rounded = _core.kmeans_row_hashes(X, keys, 1, floors=floors)
    drawn = _core.kmeans_draw_hashes(X, keys, 1, floors=floors)
    assert np.unique(rounded[:50]).size == 1  # the crowd: one rounded hash
    assert np.unique(drawn[:50]).size == 50  # read apart
    assert drawn[60] == drawn[61]
    np.testing.assert_array_equal(drawn[50:60], rounded[50:60])  # alone: as rounded
    # The same hashes whatever the rows' order.
    perm = np.random.default_rng(1).permutation(len(X))
    again = _core.kmeans_draw_hashes(np.ascontiguousarray(X[perm]), keys, 1, floors=floors)
    np.testing.assert_array_equal(again, drawn[perm])
    # (the numbers' hashes, as C++ adds them)
    np.testing.assert_array_equal(
        _core.kmeans_near_tie_hashes(rounded[:3], np.array([0, 1, 2], dtype=np.uint64))[0],
        rounded[0],
    )


def test_a_near_equal_crowd_gets_a_seed_as_exact_copies_do():
    """k-means++ (3 centres, one trial a step): a far crowd of 150 near-equal rows gets a
    centre at every seed, as its exact copies do (4 of 40 seeds when the crowd raced as
    one row)."""
    X = _crowd(2)
    far = X[:150].mean(axis=0)
    got = 0
    for seed in range(20):
        centers, _ = kmeans_plusplus(X, 3, random_state=seed, n_local_trials=1)
        got += bool((np.abs(centers - far).max(axis=1) < 1.0).any())
    assert got >= 18


@pytest.mark.parametrize("seed", [0, 1])
def test_column_order_moves_nothing_with_near_equal_rows(seed):
    X = _crowd(seed)
    perm = np.array([2, 0, 3, 1])
    Y = np.ascontiguousarray(X[:, perm])
    a = IsolationForest(random_state=seed).fit(X)
    b = IsolationForest(random_state=seed).fit(Y)
    np.testing.assert_array_equal(a.decision_scores_, b.decision_scores_)
    centers, idx = kmeans_plusplus(X, 5, random_state=seed)
    again, idx2 = kmeans_plusplus(Y, 5, random_state=seed)
    np.testing.assert_array_equal(idx, idx2)


def test_oddseq_dask_reads_near_equal_rows_as_one_machine():
    pytest.importorskip("dask")
    from oddseq.dask._pipeline import _fit_iforest, _kmeans_plusplus, _Rows

    X = _crowd(3, n=900, crowd=120)
    X[500:620] = X[:120]  # exact copies of the crowd in another partition
    kwargs = dict(n_estimators=30, max_samples=64, random_state=7)
    expected = IsolationForest(**kwargs).fit(X)
    cuts = [[300, 700], [0, 450, 450], [899]]
    for cut in cuts:
        states = [{"X": part} for part in np.split(X, cut)]
        got = _fit_iforest(
            _Rows(states, [len(s["X"]) for s in states]), IsolationForest(**kwargs), 4, 1
        )
        np.testing.assert_array_equal(got.decision_scores_, expected.decision_scores_)
    seed = 11
    want = _core.kmeans_plusplus(X, None, 6, seed, 3, 1)
    for cut in cuts:
        states = [{"X": part} for part in np.split(X, cut)]
        chosen, _ = _kmeans_plusplus(_Rows(states, [len(s["X"]) for s in states]), 6, seed, 3)
        np.testing.assert_array_equal(np.asarray(chosen), want)


def test_oddseq_dask_rounds_by_the_whole_datas_floors():
    """A value under the whole data's floor but over its own partition's keys as 0 on
    one machine, and so over the partitions (the largest of their floors)."""
    pytest.importorskip("dask")
    from oddseq.dask._pipeline import _fit_iforest, _kmeans_plusplus, _Rows

    rng = np.random.default_rng(5)
    X = rng.normal(0.0, 1.0, (600, 3))
    X[:300, 0] = rng.uniform(0.0, 1e-3, 300)  # the first partition's column 0: small
    X[300:, 0] = rng.uniform(50.0, 100.0, 300)
    X[7, 0] = 1e-14  # under 2^-40 of 100, over 2^-40 of 1e-3
    kwargs = dict(n_estimators=20, max_samples=64, random_state=3)
    expected = IsolationForest(**kwargs).fit(X)
    want = _core.kmeans_plusplus(X, None, 4, 5, 2, 1)
    states = [{"X": part} for part in np.split(X, [300])]
    rows = _Rows(states, [len(s["X"]) for s in states])
    got = _fit_iforest(rows, IsolationForest(**kwargs), 3, 1)
    np.testing.assert_array_equal(got.decision_scores_, expected.decision_scores_)
    states = [{"X": part} for part in np.split(X, [300])]
    chosen, _ = _kmeans_plusplus(_Rows(states, [len(s["X"]) for s in states]), 4, 5, 2)
    np.testing.assert_array_equal(np.asarray(chosen), want)
    # (the value keys as 0 with the whole data's floors, not with its partition's)
    floors = _core.kmeans_key_floors(X, 1)
    zeroed = X.copy()
    zeroed[7, 0] = 0.0
    np.testing.assert_array_equal(
        _core.kmeans_column_keys(X, 1, floors=floors),
        _core.kmeans_column_keys(zeroed, 1, floors=floors),
    )
