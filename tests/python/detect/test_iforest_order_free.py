"""The isolation forest's draws are keyed by content (C++ iforest_draw_rows,
iforest_tree_features): permuting the rows (renamed entities) or the columns (relabelled
event types) grows the same forest and gives the same scores, bit for bit."""

import numpy as np
import pytest

from oddseq import _core
from oddseq.detect import IsolationForest


def _data(seed=0, n=1500, d=6, duplicates=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if duplicates:
        X[: n // 2] = np.round(X[: n // 2])  # many identical rows and tied values
        X[n // 2 : n // 2 + 50] = X[n // 2]  # a block of 51 copies
    X[-10:, 1] += 7.0
    return X


@pytest.mark.parametrize("extended", [False, True])
@pytest.mark.parametrize("max_features", [1.0, 0.5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_permuted_rows_and_columns_give_the_same_forest(extended, max_features, dtype):
    X = _data().astype(dtype)
    rng = np.random.default_rng(1)
    rows, cols = rng.permutation(len(X)), rng.permutation(X.shape[1])
    kwargs = dict(n_estimators=30, extended=extended, max_features=max_features, random_state=4)
    a = IsolationForest(**kwargs).fit(X)
    b = IsolationForest(**kwargs).fit(np.ascontiguousarray(X[rows][:, cols]))
    np.testing.assert_array_equal(b.decision_scores_, a.decision_scores_[rows])
    # The same trees, their features named by the columns' new positions.
    where = np.argsort(cols)
    np.testing.assert_array_equal(b.forest_["features"], where[a.forest_["features"]])
    for key in ("tree_offsets", "left", "threshold", "n_samples", "normals"):
        np.testing.assert_array_equal(b.forest_[key], a.forest_[key])
    internal = a.forest_["left"] >= 0
    split = a.forest_["split"].copy()
    if not extended:
        split[internal] = where[split[internal]]
    np.testing.assert_array_equal(b.forest_["split"], split)
    new = np.random.default_rng(2).normal(scale=3, size=(50, X.shape[1])).astype(dtype)
    np.testing.assert_array_equal(
        b.decision_function(np.ascontiguousarray(new[:, cols])), a.decision_function(new)
    )


def test_columns_of_the_same_values_in_other_arrangements_are_told_apart():
    """Two event types seen once each, by different entities, share a multiset of values
    (the K-means column keys) but not the trees' keys: relabelling them moves nothing."""
    X = _data(seed=3, duplicates=False)
    X = np.column_stack([X, np.zeros((len(X), 2))])
    X[5, -2] = 1.0
    X[17, -1] = 1.0
    hashes = _core.kmeans_row_hashes(X, _core.kmeans_column_keys(X, 1), 1)
    keys = _core.iforest_column_keys(X, hashes, 1)
    assert keys[-1] != keys[-2]
    swapped = np.ascontiguousarray(X[:, [0, 1, 2, 3, 4, 5, 7, 6]])
    kwargs = dict(n_estimators=20, max_features=0.5, random_state=0)
    np.testing.assert_array_equal(
        IsolationForest(**kwargs).fit(swapped).decision_scores_,
        IsolationForest(**kwargs).fit(X).decision_scores_,
    )


def test_each_tree_draws_distinct_rows_uniformly():
    """Bottom-k samples: max_samples distinct rows per tree, each row about equally often
    (copies of a row too: their copy numbers key them apart), the same for any thread
    count."""
    n, m, trees = 400, 40, 2000
    X = np.repeat(np.arange(n // 4, dtype=np.float64), 4)[:, None]  # 100 rows x 4 copies
    hashes = _core.kmeans_row_hashes(X, _core.kmeans_column_keys(X, 1), 1)
    copies = _core.iforest_copy_numbers(X, hashes, 2)
    np.testing.assert_array_equal(copies, np.tile(np.arange(4), n // 4))
    keys, rows = _core.iforest_draw_rows(X, hashes, copies, trees, m, 7, 1)
    again = _core.iforest_draw_rows(X, hashes, copies, trees, m, 7, 2)
    np.testing.assert_array_equal(again[1], rows)
    assert rows.shape == keys.shape == (trees, m)
    assert all(len(set(r)) == m for r in rows)
    assert (np.diff(keys.astype(np.float64), axis=1) >= 0).all()
    hits = np.bincount(rows.ravel(), minlength=n)
    expected = trees * m / n  # 200 per row; binomial sd about 13.4
    assert abs(hits.mean() - expected) < 1e-9
    assert hits.min() > expected - 5 * 13.4 and hits.max() < expected + 5 * 13.4
    # How many copies of a value a tree draws: hypergeometric, as for rows drawn by
    # position (mean m / n x 4 = 0.4, variance about 0.35), not all or none.
    per_value = np.stack([np.bincount(r // 4, minlength=n // 4) for r in rows])
    assert abs(per_value.mean() - 0.4) < 0.02
    assert 0.3 < per_value.var() < 0.42
    assert (per_value == 1).mean() > 0.25


def test_fit_from_drawn_rows_is_the_forest():
    """iforest_fit on the drawn rows alone (tree_rows, column_keys: oddseq.dask's way)
    grows the forest fitted on all rows; the two go together and are checked."""
    X = _data(seed=5)
    n, d = X.shape
    first = _core.kmeans_row_hashes(X, _core.kmeans_column_keys(X, 1), 1)
    column_keys = _core.iforest_column_keys(X, first, 1)
    hashes = _core.kmeans_row_hashes(X, column_keys, 1)
    copies = _core.iforest_copy_numbers(X, hashes, 1)
    _, tree_rows = _core.iforest_draw_rows(X, hashes, copies, 12, 64, 9, 1)
    drawn = np.unique(tree_rows)
    local = np.searchsorted(drawn, tree_rows).astype(np.int64)
    forest = (12, 64, d, False, 9)  # n_estimators, max_samples, features, extended, seed
    part_x = np.ascontiguousarray(X[drawn])
    whole = _core.iforest_fit(X, *forest, 1)
    part = _core.iforest_fit(part_x, *forest, 2, tree_rows=local, column_keys=column_keys)
    for key in ("tree_offsets", "features", "left", "split", "threshold", "n_samples"):
        np.testing.assert_array_equal(getattr(part, key), getattr(whole, key))
    with pytest.raises(ValueError, match="go together"):
        _core.iforest_fit(X, *forest, 1, tree_rows=local)
    with pytest.raises(ValueError, match="n_estimators x max_samples"):
        _core.iforest_fit(X, *forest, 1, tree_rows=local[:3], column_keys=column_keys)
    bad = local.copy()
    bad[0, 0] = len(drawn)
    with pytest.raises(ValueError, match="row numbers of x"):
        _core.iforest_fit(part_x, *forest, 1, tree_rows=bad, column_keys=column_keys)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_explain_statistics_rows_are_drawn_by_content(monkeypatch, dtype):
    """Above _STATS_ROWS rows explain()'s medians and spreads come from a sample of the
    training rows drawn by the rows' content keys (each row's hash and copy number, as
    the trees' rows), not their position: permuted rows (renamed entities) keep the same
    rows, so the same medians, spreads and reasons; copies of a row are drawn apart."""
    import oddseq.detect._iforest as module

    monkeypatch.setattr(module, "_STATS_ROWS", 300)
    X = _data(n=1500).astype(dtype)
    X[:200] = X[0]  # a row held by 200 rows (a sixth of the sample's share is 40)
    rows = np.random.default_rng(2).permutation(len(X))
    a = IsolationForest(n_estimators=20, random_state=4).fit(X)
    b = IsolationForest(n_estimators=20, random_state=4).fit(np.ascontiguousarray(X[rows]))
    assert a._train.shape == (300, X.shape[1])
    kept = np.unique(a._train, axis=0)
    np.testing.assert_array_equal(np.unique(b._train, axis=0), kept)
    np.testing.assert_array_equal(b.median_, a.median_)
    np.testing.assert_array_equal(b.feature_scale_, a.feature_scale_)
    # Copies are drawn apart: about 40 of the 200 copies of X[0], not one.
    assert 15 <= int((a._train == X[0]).all(axis=1).sum()) <= 70
    # Another random_state, another sample.
    c = IsolationForest(n_estimators=20, random_state=5).fit(X)
    assert not np.array_equal(np.sort(c._train, axis=0), np.sort(a._train, axis=0))
    pd = pytest.importorskip("pandas")
    pd.testing.assert_frame_equal(
        b.explain(X[-10:], top=2).reset_index(drop=True),
        a.explain(X[-10:], top=2).reset_index(drop=True),
    )


@pytest.mark.parametrize("max_samples", ["auto", 0.5])
def test_a_fit_above_the_stats_rows_grows_the_same_forest(monkeypatch, max_samples):
    """Above _STATS_ROWS rows the fit keys the rows once, draws the trees' rows and gives
    them to the C++ fit (few draws) or lets it draw (many): the forest C++ grows alone."""
    import oddseq.detect._iforest as module

    monkeypatch.setattr(module, "_STATS_ROWS", 300)
    monkeypatch.setattr(module, "_GIVEN_DRAWS", 20 * 256)  # max_samples=0.5: too many
    X = _data(n=1500)
    det = IsolationForest(n_estimators=20, max_samples=max_samples, random_state=4).fit(X)
    rows = det.max_samples_
    seed = int(np.random.RandomState(4).randint(module._SEED_LIMIT))
    trees = _core.iforest_fit(X, 20, rows, X.shape[1], False, seed, 1)
    for key in module._FOREST_KEYS:
        np.testing.assert_array_equal(det.forest_[key], getattr(trees, key))
