"""Normal-only fitting does not depend on the order of the entities: the out-of-fold
folds are drawn over the rows in an order of their content (detect._threshold.
content_order, the C++ core's row hashes; the sequences' content for a detector of
sequences), as the neural models draw theirs, so renaming the normal entities (which
reorders them) or shuffling them gives the same out-of-fold scores, cut, support rule
and table, bit for bit."""

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.detect import KNNDetector, out_of_fold_scores
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


def _shuffled_users(log, seed):
    """The log with its users renamed by a random one-to-one map and their blocks of
    events in a random order (each user's events in theirs), and the map back."""
    rng = np.random.default_rng(seed)
    users = log["user_id"].unique()
    names = rng.choice(50 * len(users), len(users), replace=False) + 7_000_000
    new = pd.Series(names, index=users)
    place = pd.Series(rng.permutation(len(users)), index=users)
    moved = log.assign(user_id=log["user_id"].map(new))
    moved = moved.iloc[np.argsort(log["user_id"].map(place).to_numpy(), kind="stable")]
    return moved.reset_index(drop=True), dict(zip(names, users))


def _workflows(n=600, seed=3):
    """System-log blocks: a few workflows repeated, some with an extra step (most rows
    tied; the support rule's case)."""
    rng = np.random.default_rng(seed)
    flows = [list("ABCDE"), list("ABCCDE"), list("ABFE"), list("ABCDEG"), list("AHBE")]
    lists = []
    for _ in range(n):
        flow = list(flows[rng.zipf(1.8) % len(flows)])
        if rng.random() < 0.2:
            flow += list(rng.choice(list("CDF"), rng.integers(1, 3)))
        lists.append(flow)
    return lists


def _assert_same_fit(pipe, other, back):
    assert other.threshold_ == pipe.threshold_
    np.testing.assert_array_equal(np.sort(other.reference_scores_), np.sort(pipe.reference_scores_))
    assert other.threshold_info_ == pipe.threshold_info_
    assert other.support_rule_ == pipe.support_rule_
    assert other.novelty_rate_ == pipe.novelty_rate_
    assert other.support_floor_ == pipe.support_floor_
    table = other.table_.rename(index=back).loc[pipe.table_.index]
    for column in ("is_anomaly", "score", "p_normal"):
        np.testing.assert_array_equal(table[column], pipe.table_[column])


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("method", ["auto", "iforest", "ecod", "markov"])
def test_renamed_normal_users_get_the_same_cut(method):
    log = make_ecommerce(n_users=300, random_state=217).events
    pipe = AnomalyPipeline(method=method, random_state=0).fit(
        Sequences.from_events(log, **ROLES), normal=True
    )
    for seed in range(2):
        moved, back = _shuffled_users(log, seed)
        other = AnomalyPipeline(method=method, random_state=0).fit(
            Sequences.from_events(moved, **ROLES), normal=True
        )
        _assert_same_fit(pipe, other, back)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_reordered_system_log_blocks_get_the_same_support_rule():
    lists = _workflows()
    pipe = AnomalyPipeline(random_state=1).fit(
        Sequences.from_lists(lists, ids=list(range(len(lists)))), normal=True
    )
    assert pipe.support_rule_  # (the case these blocks are for)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(lists))
        names = rng.choice(10 * len(lists), len(lists), replace=False) + 10**6
        seqs = Sequences.from_lists([lists[i] for i in order], ids=[int(names[i]) for i in order])
        other = AnomalyPipeline(random_state=1).fit(seqs, normal=True)
        _assert_same_fit(pipe, other, {int(names[i]): i for i in range(len(lists))})


def test_out_of_fold_scores_move_with_their_rows():
    rng = np.random.default_rng(218)
    X = np.round(rng.normal(size=(200, 3)), 1)
    X[100:110] = X[0]  # copies of one row
    scores = out_of_fold_scores(lambda: KNNDetector(n_neighbors=2), X, random_state=4)
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(X))
        moved = out_of_fold_scores(lambda: KNNDetector(n_neighbors=2), X[order], random_state=4)
        # Each row keeps its score; the copies share theirs among themselves.
        copies = np.isin(order, np.r_[0, 100:110])
        np.testing.assert_array_equal(moved[~copies], scores[order][~copies])
        np.testing.assert_array_equal(np.sort(moved[copies]), np.sort(scores[order][copies]))


def test_folds_in_content_order_are_those_of_the_rows_in_that_order():
    from oddseq.detect._threshold import content_order, folds_in_order

    X = np.random.default_rng(219).normal(size=(50, 2))
    order = content_order(X)
    fold = folds_in_order(order, 5, random_state=7)
    sorted_rows = X[order]
    again = folds_in_order(content_order(sorted_rows), 5, random_state=7)
    np.testing.assert_array_equal(again, fold[order])
    assert np.bincount(fold).tolist() == [10] * 5
    # Copies keep their order among themselves (ties broken by position).
    Y = np.zeros((6, 2))
    np.testing.assert_array_equal(content_order(Y), np.arange(6))


def test_sequence_keys_are_the_cores_whatever_the_threads():
    """The sequences' content key is the C++ core's (content_sequence_keys, GIL
    released): copies key alike wherever they stand, and any thread count keys the same."""
    from oddseq import _core
    from oddseq.detect._threshold import sequence_content_order

    rng = np.random.default_rng(217)
    lengths = rng.integers(0, 12, 400)
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    codes = rng.integers(0, 6, offsets[-1]).astype(np.int64)
    times = np.sort(rng.integers(0, 10**12, offsets[-1])).astype(np.int64)
    keys = _core.content_sequence_keys(codes, offsets, times, 1)
    np.testing.assert_array_equal(_core.content_sequence_keys(codes, offsets, times, 3), keys)
    # A sequence's key is that of its events alone, wherever it stands.
    for s in (0, 17, 399):
        one = _core.content_sequence_keys(
            codes[offsets[s] : offsets[s + 1]],
            offsets[s : s + 2] - offsets[s],
            times[offsets[s] : offsets[s + 1]],
            1,
        )
        assert one[0] == keys[s]
    # The order is by the keys over each event's type key (where the type's events
    # stand), not its code: relabelled types order the sequences the same.
    types = _core.content_type_keys(codes, offsets, times, 6, 1)
    np.testing.assert_array_equal(_core.content_type_keys(codes, offsets, times, 6, 3), types)
    by_type = _core.content_sequence_keys(types.view(np.int64)[codes], offsets, times, 1)
    order = sequence_content_order(codes, offsets, times)
    np.testing.assert_array_equal(order, np.argsort(by_type, kind="stable"))
