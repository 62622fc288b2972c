"""The order-free draws (k-means++'s races, the isolation forest's subsamples and
features, the folds' content order) are keyed by the values rounded (C++ core::key_bits:
17 significant bits, 0 below 2^-40 of the column's largest magnitude). Keyed by their
exact bits, one value's last bit re-keyed every draw, as a new random_state would: the
same log gave other verdicts where a sum was rounded in another order."""

import numpy as np
import pandas as pd
import pytest

from oddseq import _core, detect_anomalies
from oddseq.datasets import make_ecommerce
from oddseq.detect import IsolationForest, KMeansDetector
from oddseq.detect._threshold import content_order


def _data(seed=0, n=3000, d=10):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:40] += 4.0
    X[:, 0] = rng.poisson(3.0, n)  # a count column
    X[::7, 1] = 0.0  # a column with exact zeros
    return X


def _last_bits_noise(X, seed):
    """X as a sum rounded in another order gives it: a third of its fractional values
    moved by one unit in the last place (counts and exact zeros stay exact: moving them
    would break ties, a real change of the data), and a column scaled by 1 + 1e-12."""
    rng = np.random.default_rng(seed)
    out = X.copy()
    moved = (rng.random(X.shape) < 1 / 3) & (X != np.round(X))
    out[moved] = np.nextafter(out[moved], np.where(rng.random(moved.sum()) < 0.5, -np.inf, np.inf))
    out[:, 2] *= 1 + 1e-12
    return out


def _close(moved, base):
    top = np.abs(base.decision_scores_).max()
    # The same draws: the scores move by the values' noise, not by a reseeding (before,
    # the K-means member's moved by up to 0.4 of the top score, the forest's by 0.08).
    assert np.abs(moved.decision_scores_ - base.decision_scores_).max() <= 1e-9 * top
    np.testing.assert_array_equal(moved.labels_, base.labels_)


@pytest.mark.parametrize("detector", [KMeansDetector, IsolationForest])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_last_bits_move_no_draw(detector, seed):
    X = _data(seed)
    base = detector(random_state=seed).fit(X)
    _close(detector(random_state=seed).fit(_last_bits_noise(X, seed + 10)), base)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_zero_read_as_a_sums_rounding_moves_no_kmeans_draw(seed):
    # (A forest's node of exact zeros is no longer constant with one 5.6e-17 among them:
    # a broken tie, which any random splitter reads as another data set.)
    X = _data(seed)
    Y = X.copy()
    Y[np.flatnonzero(X[:, 1] == 0)[3], 1] = 5.6e-17
    base = KMeansDetector(random_state=seed).fit(X)
    _close(KMeansDetector(random_state=seed).fit(Y), base)


def test_rounded_keys_tell_apart_what_the_rounding_keeps():
    X = _data(3, n=200, d=4)
    keys = _core.kmeans_column_keys(X, 1)
    hashes = _core.kmeans_row_hashes(X, keys, 1)
    assert np.unique(hashes).size == np.unique(X, axis=0).shape[0]
    near = X.copy()
    near[5, 2] = np.nextafter(near[5, 2], np.inf)  # one ulp: the same key
    near_keys = _core.kmeans_column_keys(near, 1)
    np.testing.assert_array_equal(near_keys, keys)
    np.testing.assert_array_equal(_core.kmeans_row_hashes(near, near_keys, 1), hashes)
    # Exact keys tell the ulp apart.
    exact = _core.kmeans_column_keys(X, 1, rounded=False)
    assert not np.array_equal(_core.kmeans_column_keys(near, 1, rounded=False), exact)
    far = X.copy()
    far[5, 2] *= 1 + 2.0**-12  # within the kept 16 bits: another key
    assert not np.array_equal(_core.kmeans_column_keys(far, 1), keys)


def test_integers_read_one_ulp_low_keep_their_keys():
    # (review RV s56 M1: rounding at exactly half put the edges on integers of 18
    # significant bits, odd ones in [2^17, 2^18) among them; one read one ulp low crossed)
    rng = np.random.default_rng(9)
    X = rng.integers(100_000, 400_000, (2000, 3)).astype(np.float64)
    keys = _core.kmeans_column_keys(X, 1)
    hashes = _core.kmeans_row_hashes(X, keys, 1)
    for direction in (-np.inf, np.inf):
        moved = np.nextafter(X, direction)
        np.testing.assert_array_equal(_core.kmeans_column_keys(moved, 1), keys)
        np.testing.assert_array_equal(_core.kmeans_row_hashes(moved, keys, 1), hashes)


def test_floors_are_a_power_of_two_below_the_columns_largest_and_merge_by_max():
    X = np.array([[0.0, 3.0, -1e-300], [0.0, -5.0, 0.0], [0.0, 1.0, 0.0]])
    floors = _core.kmeans_key_floors(X, 1)
    assert floors[0] == 0.0  # a column of zeros
    assert floors[1] == 2.0 ** (2 - 40)  # 5 in [4, 8)
    assert floors[2] == np.ldexp(1.0, np.frexp(1e-300)[1] - 1 - 40)
    parts = [_core.kmeans_key_floors(np.ascontiguousarray(X[i : i + 1]), 1) for i in range(3)]
    np.testing.assert_array_equal(np.maximum.reduce(parts), floors)
    # Below the floor a value keys as 0: 5.6e-17 among values of order 1 is 0.
    Y = np.array([[1.0, 0.5], [2.0, 5.6e-17], [3.0, 0.0]])
    Z = np.array([[1.0, 0.5], [2.0, 0.0], [3.0, 0.0]])
    np.testing.assert_array_equal(_core.kmeans_column_keys(Y, 1), _core.kmeans_column_keys(Z, 1))
    # The floors given are checked.
    with pytest.raises(ValueError, match="one floor per column"):
        _core.kmeans_column_keys(Y, 1, floors=np.zeros(3))
    with pytest.raises(ValueError, match="finite and >= 0"):
        _core.kmeans_column_keys(Y, 1, floors=np.array([0.0, -1.0]))
    with pytest.raises(ValueError, match="rounded=True"):
        _core.kmeans_column_keys(Y, 1, floors=np.zeros(2), rounded=False)


def test_content_order_is_order_free_among_rows_equal_to_the_rounding():
    X = _data(4, n=300, d=3)
    X[10] = X[20]
    X[20, 1] = np.nextafter(X[20, 1], np.inf)  # rows 10 and 20: equal to 16 bits, not exactly
    order = content_order(X)
    perm = np.random.default_rng(0).permutation(len(X))
    moved = content_order(X[perm])
    np.testing.assert_array_equal(X[perm][moved], X[order])


def test_the_default_verdicts_hold_when_a_side_column_moves_in_its_last_bits():
    data = make_ecommerce(n_users=1500, random_state=5)
    events = data.events
    users = np.sort(events["user_id"].unique())
    rng = np.random.default_rng(5)
    side = pd.DataFrame(
        {"user_id": users, "account_age": rng.gamma(2.0, 200.0, users.size) / 7.0},
    )
    moved = side.assign(account_age=side["account_age"] * (1 + 1e-12))
    kwargs = dict(entity="user_id", event="behavior", time="timestamp", random_state=0)
    base = detect_anomalies(events, entity_features=side, **kwargs)
    again = detect_anomalies(events, entity_features=moved, **kwargs)
    np.testing.assert_array_equal(base["is_anomaly"].to_numpy(), again["is_anomaly"].to_numpy())
    np.testing.assert_allclose(base["score"].to_numpy(), again["score"].to_numpy(), rtol=1e-9)
