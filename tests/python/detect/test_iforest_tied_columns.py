"""Columns identical over the fitted rows (event types that always come together, as
hdfs_xu's templates 6/16/18/25 in its normal blocks) tie on their content keys, and a
tree's split names whichever of them the column order (the names) puts there. The
forest reads such a group as one feature, so renaming or reordering the columns leaves
every score and explanation the same, bit for bit (H6 s27: 11-12 flags of 21,421 HDFS
blocks moved with the names)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq import _core, load
from oddseq.detect import IsolationForest, _iforest


def _with_groups(seed, n, free, sizes):
    """Small counts in ``free`` columns, then groups of ``sizes`` copies of new columns:
    (X, Z) with Z's rows departing from their group in one member or more."""
    rng = np.random.default_rng(seed)
    parts = [rng.integers(0, 4, size=(n, free))]
    parts += [np.repeat(rng.integers(0, 5, size=(n, 1)), size, axis=1) for size in sizes]
    X = np.hstack(parts).astype(np.float64)
    Z = np.vstack([X[: n // 3], rng.integers(0, 6, size=(n // 2, X.shape[1]))]).astype(np.float64)
    Z[: n // 3, free] += rng.integers(0, 3, size=n // 3)  # one member departs
    return X, Z


def _forest(X, **kwargs):
    return IsolationForest(n_estimators=kwargs.pop("n_estimators", 25), **kwargs).fit(X)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(12, 90),
    free=st.integers(0, 3),
    sizes=st.lists(st.integers(2, 4), min_size=1, max_size=2),
    extended=st.booleans(),
    max_features=st.sampled_from([1.0, 0.5]),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_renamed_columns_give_the_same_scores_and_explanations(
    seed, n, free, sizes, extended, max_features, dtype
):
    X, Z = _with_groups(seed, n, free, sizes)
    X, Z = X.astype(dtype), Z.astype(dtype)
    cols = np.random.default_rng(seed + 1).permutation(X.shape[1])
    kwargs = dict(extended=extended, max_features=max_features, random_state=seed % 7)
    a = _forest(X, **kwargs)
    b = _forest(np.ascontiguousarray(X[:, cols]), **kwargs)
    where = np.argsort(cols)
    assert sorted(map(tuple, where[np.concatenate(a._tied)].reshape(-1, 1))) == sorted(
        map(tuple, np.concatenate(b._tied).reshape(-1, 1))
    )
    np.testing.assert_array_equal(b.decision_scores_, a.decision_scores_)
    assert b.threshold_ == a.threshold_
    moved = np.ascontiguousarray(Z[:, cols])
    np.testing.assert_array_equal(b.decision_function(moved), a.decision_function(Z))
    d = X.shape[1]
    ea, eb = a._explain(Z).contribution, b._explain(moved).contribution
    np.testing.assert_array_equal(eb, ea[:, cols])
    assert ea.shape == (len(Z), d)


def test_fitted_rows_score_as_they_would_without_the_groups():
    """The groups' values agree on every fitted row: the forest reads them as they are,
    so the fitted scores (and the cut) are those of the unchanged matrix."""
    X, Z = _with_groups(3, 200, 2, [3, 2])
    det = _forest(X, random_state=1)
    assert [g.tolist() for g in det._tied] == [[2, 3, 4], [5, 6]]
    raw = det._score(X, explain=False, read=X).scores
    np.testing.assert_array_equal(det.decision_scores_, raw)
    # a scored row where a member departs reads the member farthest from the group's
    # fitted median, the larger of two as far
    read = _iforest.as_one_feature(Z, det._tied, det._tied_centres)
    departed = Z[:, 2:5].min(axis=1) != Z[:, 2:5].max(axis=1)
    assert departed.any()
    centre = np.median(X[:, 2])
    assert det._tied_centres[0] == centre
    for row, values in zip(read[departed], Z[departed, 2:5]):
        away = np.abs(values - centre)
        assert row[2] == row[3] == row[4] == values[away == away.max()].max()
    np.testing.assert_array_equal(read[~departed, 2], Z[~departed, 2])


def test_without_identical_columns_nothing_changes():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 5))
    X[:, 3] = np.round(X[:, 3])
    det = _forest(X, random_state=2)
    assert det._tied == []
    Z = rng.normal(scale=2, size=(40, 5))
    assert _iforest.as_one_feature(Z, det._tied, det._tied_centres) is Z
    raw = det._score(Z, explain=True, read=Z)
    np.testing.assert_array_equal(det.decision_function(Z), raw.scores)
    np.testing.assert_array_equal(det._explain(Z).contribution, raw.contributions)


def test_the_departed_member_is_credited_whatever_its_name():
    X, _ = _with_groups(5, 300, 2, [4])
    row = X[:1].copy()
    row[0, 2:6] = X[0, 2]
    row[0, 2 + 2] += 40  # the third of the group departs far
    for cols in (np.arange(6), np.array([5, 4, 3, 2, 1, 0]), np.array([1, 4, 0, 5, 2, 3])):
        det = _forest(X[:, cols], random_state=0)
        at = int(np.argsort(cols)[4])
        table = det.explain(row[:, cols], top=3, feature_names=[f"c{j}" for j in cols])
        assert "c4" in set(table["feature"]) and not {"c2", "c3", "c5"} & set(table["feature"])
        contribution = det._explain(row[:, cols]).contribution[0]
        group = np.argsort(cols)[2:6]
        assert contribution[at] > 0 and contribution[np.setdiff1d(group, at)].max() == 0


def test_thread_counts_and_a_fit_above_the_kept_rows(monkeypatch):
    """One thread or several; above _STATS_ROWS (the keyed draws given to the C++ fit)
    the groups are those of every fitted row, not of the rows kept for explain()."""
    X, Z = _with_groups(6, 400, 2, [3])
    X[:, 0] = np.arange(len(X)) % 9  # rows mostly distinct
    one = _forest(X, random_state=5, n_threads=1)
    two = _forest(X, random_state=5, n_threads=2)
    np.testing.assert_array_equal(one.decision_function(Z), two.decision_function(Z))
    monkeypatch.setattr(_iforest, "_STATS_ROWS", 150)
    X[-1, 3] += 1  # identical on every row but the last
    big = _forest(X, random_state=5, max_samples=64)
    assert len(big._train) == 150
    assert [g.tolist() for g in big._tied] == [[2, 4]]
    cols = np.array([4, 0, 3, 2, 1])
    moved = _forest(np.ascontiguousarray(X[:, cols]), random_state=5, max_samples=64)
    np.testing.assert_array_equal(moved.decision_scores_, big.decision_scores_)
    np.testing.assert_array_equal(
        moved.decision_function(np.ascontiguousarray(Z[:, cols])), big.decision_function(Z)
    )


def test_saved_and_loaded(tmp_path):
    X, Z = _with_groups(7, 120, 1, [2, 3])
    det = _forest(X, random_state=3)
    path = det.save(tmp_path / "forest.oddseq")
    back = load(path)
    assert [g.tolist() for g in back._tied] == [g.tolist() for g in det._tied]
    np.testing.assert_array_equal(back.decision_function(Z), det.decision_function(Z))
    del back._tied_centres  # (as a model saved before the centres were kept)
    np.testing.assert_array_equal(back.decision_function(Z), det.decision_function(Z))
    assert back._tied_centres == det._tied_centres


def test_a_model_saved_before_the_groups_reads_the_columns_as_they_are():
    X, Z = _with_groups(8, 120, 1, [2])
    det = _forest(X, random_state=3)
    del det._tied  # (as a model saved before the groups were kept)
    forest = _core.IForestView(
        **{key: det.forest_[key] for key in _iforest._FOREST_KEYS},
        n_features=X.shape[1],
        max_samples=det.max_samples_,
        extended=False,
    )
    np.testing.assert_array_equal(
        det.decision_function(Z), _core.iforest_score(Z, forest, False, 1).scores
    )


def test_members_departing_apart_are_seen_whole():
    """A scored row whose members depart in opposite directions, or one member alone,
    is read by the member farthest from the group's fitted median: no departure is
    divided by the group's size or cancelled by another's (read as the members' mean,
    [0, 40, 0, 0] scored as the typical [10, 10, 10, 10], review M-2 of s28)."""
    rng = np.random.default_rng(7)
    t = rng.poisson(10, 2000).astype(np.float64)
    X = np.c_[t, t, t, t, rng.normal(size=(2000, 3))]
    det = IsolationForest(random_state=0).fit(X)
    assert [g.tolist() for g in det._tied] == [[0, 1, 2, 3]]
    groups = np.array([[10, 10, 10, 10], [0, 20, 10, 10], [0, 40, 0, 0], [6, 10, 10, 10]])
    scores = det.decision_function(np.c_[groups, np.zeros((4, 3))])
    assert (scores[1:] > scores[0]).all(), scores
    assert scores[2] > det.threshold_


def test_zeros_of_either_sign_tie():
    """0.0 and -0.0 are equal values (array_equal, the trees' comparisons): columns that
    differ only in their zeros' signs are one group (review L-3 of s28)."""
    a = np.random.default_rng(3).poisson(1.0, 200).astype(np.float64)
    b = a.copy()
    b[b == 0] = -0.0
    X = np.c_[a, b, np.arange(200.0)]
    assert [g.tolist() for g in _iforest.tied_columns(X, 1)] == [[0, 1]]
    swapped = np.ascontiguousarray(X[:, [1, 0, 2]])
    assert [g.tolist() for g in _iforest.tied_columns(swapped, 1)] == [[0, 1]]


@pytest.mark.parametrize("shape", [(1, 3), (5, 1)])
def test_tied_columns_of_small_matrices(shape):
    X = np.ones(shape)
    expected = [list(range(shape[1]))] if shape[1] > 1 else []
    assert [g.tolist() for g in _iforest.tied_columns(X, 1)] == expected


def test_rare_types_of_one_multiset_are_not_compared_one_by_one(monkeypatch):
    """Types seen once each, by different entities, share a multiset of values (one
    content key): told apart by digests of their values, each column is compared with
    its own group's first only (one by one, 300 such columns were ~45,000 comparisons
    of whole columns)."""
    X = np.zeros((300, 302))
    X[np.arange(300), np.arange(300)] = 1.0
    X[:, 300] = X[:, 301] = np.arange(300) % 4
    compared = []
    real = np.array_equal
    monkeypatch.setattr(np, "array_equal", lambda a, b: compared.append(1) or real(a, b))
    assert [g.tolist() for g in _iforest.tied_columns(X, 1)] == [[300, 301]]
    assert len(compared) == 1
