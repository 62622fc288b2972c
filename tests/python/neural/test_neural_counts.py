"""LSTMDetector's count term: the neighbour table that serves every count reference of
a normal-only fit, and the refits that read it (small data, a few seconds)."""

import numpy as np
import pytest

from oddseq.sequences import Sequences

torch = pytest.importorskip("torch")

from oddseq.neural import LSTMDetector, _counts  # noqa: E402
from oddseq.neural._counts import CountTable  # noqa: E402
from oddseq.neural._models import _CountReference  # noqa: E402


def _counts_with_twins(rng, n=400, d=6):
    """Small event counts: many sequences share their counts, some stand alone, a few
    lie far out."""
    counts = rng.poisson(1.0, size=(n, d)).astype(np.float64)
    counts[: n // 4] = counts[n // 4 : n // 2]  # twins
    counts[-3:] += 9  # far from the rest
    return counts


@pytest.mark.parametrize("neighbours", [1, 4])
def test_count_table_parts_match_a_search_of_the_part(monkeypatch, neighbours):
    """Every reference read from the table (a part's vectors and leave-one-out
    distances, other rows' distance to the part) is what a search of the part alone
    finds; with one neighbour kept, most rows fall back to that search."""
    monkeypatch.setattr(_counts, "_TABLE_NEIGHBOURS", neighbours)
    rng = np.random.default_rng(0)
    counts = _counts_with_twins(rng)
    table = CountTable(counts)
    for share in (1.0, 0.9, 0.6, 0.2):
        part = np.sort(rng.permutation(len(counts))[: int(share * len(counts))])
        rest = np.setdiff1d(np.arange(len(counts)), part)
        direct = _CountReference(counts[part])
        read = _CountReference.of_part(table, part)
        np.testing.assert_array_equal(read.vectors, direct.vectors)
        np.testing.assert_array_equal(read.own, direct.own)
        np.testing.assert_array_equal(read.loo, direct.loo)
        np.testing.assert_array_equal(read.own_bits(), direct.own_bits())
        if rest.size:
            np.testing.assert_array_equal(
                read.bits_at(table.distance_to(part, rest)), direct.bits(counts[rest])
            )


def test_count_table_edge_parts_and_threads():
    counts = np.array([[1.0, 0], [1, 0], [0, 2], [3, 3]])
    table = CountTable(counts, n_threads=2)
    # One distinct vector in the part: no other to be near.
    vectors, own = table.part(np.array([0, 1]))
    assert vectors.shape == (1, 2) and own.tolist() == [0.0, 0.0]
    vectors, own = table.part(np.array([2]))
    assert own.tolist() == [np.inf]
    assert table.distance_to(np.array([0]), np.array([1, 2, 3])).tolist() == [0.0, 3.0, 5.0]
    # The same table whatever the thread count.
    rng = np.random.default_rng(1)
    many = _counts_with_twins(rng, n=3000, d=12)
    one, two = CountTable(many, n_threads=1), CountTable(many, n_threads=2)
    np.testing.assert_array_equal(one.distances, two.distances)
    np.testing.assert_array_equal(one.neighbours, two.neighbours)
    single = CountTable(np.ones((5, 3)))
    assert single.part(np.arange(5))[1].tolist() == [0.0] * 5


def _chain_lists(rng, n, n_types=6):
    successors = np.random.default_rng(9).integers(0, n_types, size=(n_types, 2))
    out = []
    for _ in range(n):
        state, seq = int(rng.integers(n_types)), []
        for _ in range(2 + int(rng.geometric(1 / 5))):
            seq.append(f"e{state}")
            state = int(successors[state, rng.integers(2)])
        out.append(seq)
    return out


def test_refits_read_the_table_and_score_as_a_full_fit_would():
    """The out-of-fold scores from the refits (their networks trained as before; the
    count reference read from the first fit's table; nothing else scored) equal those
    of full fits of the same models on the other folds, scored by decision_function."""
    from oddseq.detect._threshold import fold_of_rows
    from oddseq.neural._models import content_order

    seqs = Sequences.from_lists(_chain_lists(np.random.default_rng(4), 160))
    params = dict(hidden_dim=8, max_epochs=1, n_threads=1, n_folds=2)
    det = LSTMDetector(random_state=7, **params).fit(seqs, normal=True)
    seed = int(np.random.RandomState(7).randint(2**31 - 1))
    # The folds are drawn over the sequences in an order of their content; the full
    # fits below take each fold's sequences in their own order (which they do not read).
    content = content_order(det._codes(seqs), seqs.offsets, seqs.times)
    fold = np.empty(len(seqs), dtype=np.int64)
    fold[content] = fold_of_rows(len(seqs), 2, seed)
    expected = np.empty(len(seqs))
    for j in range(2):
        twin = LSTMDetector(**{**params, "n_folds": 0, "random_state": seed + 1 + j})
        twin.fit(seqs.take(np.flatnonzero(fold != j)), normal=True)
        expected[fold == j] = twin.decision_function(seqs.take(np.flatnonzero(fold == j)))
    np.testing.assert_array_equal(det.validation_scores_, expected)
    assert "count_bits" in det.statistics_


SMALL = dict(hidden_dim=8, max_epochs=2, learning_rate=0.02, n_threads=1, random_state=0)


def _routine(rng, n):
    return [
        ["login"] + ["view"] * int(rng.integers(1, 4)) + ["cart", "buy", "logout"] for _ in range(n)
    ]


def test_support_rule_flags_what_the_normal_sequences_never_did(tmp_path):
    from oddseq import load
    from oddseq.detect._threshold import _normal_cut

    normal = Sequences.from_lists(_routine(np.random.default_rng(0), 200))
    det = LSTMDetector(n_folds=2, **SMALL).fit(normal, normal=True)
    # Every fold takes the steps and counts of the other: nothing left the support.
    assert det.support_rule_ and det.novelty_rate_ == 0.0
    assert det.threshold_ == _normal_cut(det.validation_scores_, 0.005, above_ties=True)
    odd = Sequences.from_lists(
        [
            ["login"] + ["view"] * 4 + ["cart", "buy", "logout"],  # more views than any
            ["login", "view", "logout"],  # a step none took, no cart
            ["login", "view", "cart", "buy", "logout", "refund"],  # an unseen event
            ["login", "view", "view", "cart", "buy", "logout"],  # normal
        ]
    )
    assert det._outside_support(odd).tolist() == [True, True, True, False]
    # Flagged whatever their scores.
    expected = det._outside_support(odd) | (det.decision_function(odd) > det.threshold_)
    assert det.predict(odd).tolist() == expected.astype(int).tolist()
    assert det.predict(odd)[:3].tolist() == [1, 1, 1]
    loaded = load(det.save(tmp_path / "support.oddseq"))
    assert loaded.support_rule_ and loaded.threshold_ == det.threshold_
    np.testing.assert_array_equal(loaded.predict(odd), det.predict(odd))
    # The held-out part against the training part (n_folds=0), and unsupervised: none.
    det0 = LSTMDetector(n_folds=0, **SMALL).fit(normal, normal=True)
    assert det0.support_rule_ and det0._support_inside.size == det0.validation_scores_.size
    free = LSTMDetector(statistic="mean", **SMALL).fit(normal)
    assert not free.support_rule_ and free.novelty_rate_ is None
    assert free.predict(odd).tolist() == (free.decision_function(odd) > free.threshold_).tolist()


def test_support_rule_stands_aside_where_normal_sequences_leave_it():
    """Where many normal sequences take a step or a count the others never did (a
    continuous spread), flagging all of those would break the false-alarm rate: the
    plain out-of-fold cut stays."""
    from oddseq.detect import normal_cut

    rng = np.random.default_rng(1)
    types = [f"e{i}" for i in range(30)]
    lists = [list(rng.choice(types, size=int(rng.integers(3, 7)))) for _ in range(200)]
    det = LSTMDetector(n_folds=2, **SMALL).fit(Sequences.from_lists(lists), normal=True)
    assert not det.support_rule_ and det.novelty_rate_ >= 0.005  # the normal-only default
    assert det.threshold_ == normal_cut(det.validation_scores_, 0.005)


@pytest.mark.parametrize("n_groups", [2, 5, 70])
def test_outside_other_groups_matches_a_plain_loop(n_groups):
    """The support test against a loop that reads its definition: a judged row is
    outside when a count lies below or above every count of the other groups' rows, or
    it takes a step pair none of their rows takes; any number of groups (more than 63
    too: each group one bit of an int64 once lost the groups past 63)."""
    rng = np.random.default_rng(n_groups)
    n, d, n_pairs = 6 * n_groups, 4, 40
    counts = rng.integers(0, 5, size=(n, d))
    group = np.repeat(np.arange(n_groups), 6)
    owner = np.repeat(np.arange(n), 3)
    pairs = rng.integers(0, n_pairs, size=owner.size)
    pairs[pairs == n_pairs - 1] = 0
    pairs[[0, -1]] = n_pairs - 1  # a pair only the first and the last group take
    judged = [0, n_groups - 1]
    got = _counts.outside_other_groups(counts, owner, pairs, n_pairs, group, n_groups, judged)
    expected = np.zeros(n, dtype=bool)
    for j in judged:
        others = group != j
        low, high = counts[others].min(axis=0), counts[others].max(axis=0)
        other_pairs = set(pairs[others[owner]].tolist())
        for r in np.flatnonzero(group == j):
            mine = set(pairs[owner == r].tolist())
            expected[r] = bool(
                (counts[r] < low).any() or (counts[r] > high).any() or (mine - other_pairs)
            )
    np.testing.assert_array_equal(got, expected)
