"""Session 28, H8: oddseq.dask's isolation forest reads as one feature the columns
identical over every fitted row, as one machine does (fa34b64, fe8e5b0), also above
_STATS_ROWS, where it keeps a sample of the rows for explain(): columns identical on
those kept rows but not on the others are not one feature on one machine, and must not
be here either."""

import numpy as np
import pytest

from oddseq.dask._pipeline import _fit_iforest, _Rows
from oddseq.detect import IsolationForest, _iforest

pytest.importorskip("dask")

STATS_ROWS = 150
KWARGS = dict(n_estimators=30, max_samples=64, random_state=7)


def _kept(X):
    """The rows one machine keeps for explain() above STATS_ROWS."""
    seed = int(_iforest.check_random_state(KWARGS["random_state"]).randint(_iforest._SEED_LIMIT))
    hashes, copies, _ = _iforest._content_keys(X, 1)
    return _iforest._stats_rows_by_keys(X, hashes, copies, seed, 1)


def _split_on_a_row_not_kept(X, change):
    """X with ``change(X, r)`` applied to the first row r that, once changed, is not
    among the rows one machine keeps (changing a value changes the content keys, so the
    kept rows are found again for each r)."""
    for r in range(X.shape[0]):
        changed = X.copy()
        change(changed, r)
        if r not in set(_kept(changed).tolist()):
            return changed
    raise AssertionError("every row was kept")


@pytest.fixture
def data(monkeypatch):
    monkeypatch.setattr(_iforest, "_STATS_ROWS", STATS_ROWS)
    rng = np.random.default_rng(373)
    X = rng.poisson(2.0, size=(500, 6)).astype(np.float64)
    X[:, 3] = X[:, 1]  # columns 1, 3, 4 identical on every row but one
    X[:, 4] = X[:, 1]
    X[:, 5] = X[:, 2]  # columns 2 and 5 identical on every row

    def change(X, r):  # column 1 departs from 3 and 4 in one row
        X[r, 1] = X[r, 3] + 5

    return _split_on_a_row_not_kept(X, change)


@pytest.mark.parametrize("cuts", [[120, 310], [0, 200, 200], [499]])
def test_groups_identical_over_the_kept_rows_only_are_split_as_on_one_machine(data, cuts):
    """Columns 1, 3, 4 agree on the kept rows (one group there) and column 1 departs on
    one other row: one machine finds the groups {2, 5} and {3, 4}, and so does
    oddseq.dask (before: {1, 3, 4} and {2, 5}, the fitted scores of the departing row
    and of rows scored later differ). Empty partitions, a partition of one row."""
    X = data
    kept = _kept(X)
    assert [g.tolist() for g in _iforest.tied_columns(X[kept], 1)] == [[1, 3, 4], [2, 5]]
    expected = IsolationForest(**KWARGS).fit(X)
    assert [g.tolist() for g in expected._tied] == [[2, 5], [3, 4]]

    states = [{"X": part} for part in np.split(X, cuts)]
    rows = _Rows(states, [len(s["X"]) for s in states])
    got = _fit_iforest(rows, IsolationForest(**KWARGS), X.shape[1], 1)

    assert [g.tolist() for g in got._tied] == [[2, 5], [3, 4]]
    for key, value in expected.forest_.items():
        np.testing.assert_array_equal(got.forest_[key], value)
    np.testing.assert_array_equal(got.decision_scores_, expected.decision_scores_)
    assert got.threshold_ == expected.threshold_
    np.testing.assert_array_equal(got.median_, expected.median_)
    # Rows scored later in which the groups depart: read alike.
    new = np.random.default_rng(374).poisson(2.0, size=(50, 6)).astype(np.float64)
    np.testing.assert_array_equal(got.decision_function(new), expected.decision_function(new))


def test_groups_identical_over_every_row_stay_one_feature(monkeypatch):
    """No row departs: the kept rows' groups are every row's, on one machine and here."""
    monkeypatch.setattr(_iforest, "_STATS_ROWS", STATS_ROWS)
    rng = np.random.default_rng(375)
    X = rng.poisson(1.0, size=(400, 5)).astype(np.float32)
    X[:, 4] = X[:, 0]
    X[:, 2] = X[:, 0]
    expected = IsolationForest(**KWARGS).fit(X)
    states = [{"X": part} for part in np.split(X, [90, 250])]
    got = _fit_iforest(
        _Rows(states, [len(s["X"]) for s in states]), IsolationForest(**KWARGS), 5, 1
    )
    assert [g.tolist() for g in got._tied] == [[0, 2, 4]]
    assert [g.tolist() for g in expected._tied] == [[0, 2, 4]]
    np.testing.assert_array_equal(got.decision_scores_, expected.decision_scores_)
