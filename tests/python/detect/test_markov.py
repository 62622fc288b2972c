import pickle

import numpy as np
import pytest

from oddseq.detect import MarkovDetector, auto_cut
from oddseq.sequences import Sequences


def logs(seed=0):
    """Normal sessions follow view -> cart -> buy with some repeats; three odd ones."""
    rng = np.random.default_rng(seed)
    normal = []
    for _ in range(300):
        views = ["view"] * int(rng.integers(1, 4))
        normal.append(views + ["cart", "buy"] if rng.random() < 0.5 else views)
    odd = [["buy", "buy", "buy", "buy"], ["cart", "view", "refund"], ["view", "cart"]]
    return normal, odd


def test_flags_the_odd_sessions_and_explains_them():
    normal, odd = logs()
    seqs = Sequences.from_lists(normal + odd)
    det = MarkovDetector(top_g=1).fit(Sequences.from_lists(normal))
    scores = det.decision_function(seqs)
    assert set(np.argsort(-scores)[:3]) == {300, 301, 302}
    assert det.predict(seqs)[300:].all()
    stats = det.statistics(seqs)
    assert stats.loc[301, "unseen_events"] == 1
    assert stats.loc[300, "unseen_transitions"] >= 2
    reasons = det.explain(seqs[300:303], top=2)
    assert "refund" in reasons.loc[301, "value"].tolist()
    assert reasons.loc[(301, 1), "feature"] == "(start) → cart"  # sessions start with a view
    assert not reasons.loc[(300, 1), "seen"]
    # Stopping after the cart is odd: the end of the sequence is scored.
    assert "(end)" in reasons.loc[302, "value"].tolist()


def test_unseen_event_labels_are_handled():
    det = MarkovDetector().fit(Sequences.from_lists([["a", "b"]] * 20))
    stats = det.statistics(Sequences.from_lists([["a", "zzz", "b"]]))
    assert stats["unseen_events"].tolist() == [1.0]
    assert np.isfinite(stats.to_numpy()).all()


@pytest.mark.parametrize("score", ["surprise", "max", "mean", "topg"])
def test_scores_and_threads(score):
    normal, odd = logs(1)
    seqs = Sequences.from_lists(normal + odd)
    one = MarkovDetector(statistic=score, n_threads=1, contamination=0.01).fit(seqs)
    two = MarkovDetector(statistic=score, n_threads=2, contamination=0.01).fit(seqs)
    np.testing.assert_array_equal(one.decision_scores_, two.decision_scores_)
    assert one.decision_scores_.shape == (303,)


def test_surprisal_is_a_proper_distribution():
    # With one context the model's probabilities over the next symbol sum to 1: the mean
    # surprisal of a single-symbol language tends to 0 as it is seen more.
    # Forty identical sequences: nothing to tell apart, so nothing flagged, with a warning.
    with pytest.warns(UserWarning, match="every score is the same"):
        det = MarkovDetector(order=1).fit(Sequences.from_lists([["a"] * 50] * 40))
    assert det.labels_.sum() == 0
    stats = det.statistics(Sequences.from_lists([["a"] * 50]))
    assert stats["mean_surprisal"].iloc[0] < 0.2


def test_pickle_round_trip():
    normal, odd = logs(2)
    seqs = Sequences.from_lists(normal + odd)
    det = MarkovDetector().fit(seqs)
    again = pickle.loads(pickle.dumps(det))
    np.testing.assert_array_equal(again.decision_function(seqs), det.decision_function(seqs))


def test_bad_input():
    seqs = Sequences.from_lists([["a", "b"]])
    with pytest.raises(TypeError, match="Sequences"):
        MarkovDetector().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="order"):
        MarkovDetector(order=0).fit(seqs)
    with pytest.raises(ValueError, match="discount"):
        MarkovDetector(discount=1.5).fit(seqs)
    with pytest.raises(ValueError, match="statistic"):
        MarkovDetector(statistic="median").fit(seqs)
    with pytest.raises(ValueError, match="contamination"):
        MarkovDetector(contamination=0.9).fit(seqs)
    with pytest.raises(ValueError, match="top_g"):
        MarkovDetector(top_g="many").fit(seqs)
    with pytest.raises(ValueError, match="top_g"):
        MarkovDetector(top_g=0).fit(seqs)


@pytest.mark.parametrize(
    "n_types, end_symbol, expected",
    [(1, True, 1), (4, True, 2), (28, True, 10), (28, False, 10), (9, False, 3)],
)
def test_auto_top_g_is_a_third_of_the_ranked_symbols(n_types, end_symbol, expected):
    # DeepLog's choice (9 of HDFS's 28 log keys) carried to any alphabet.
    seqs = Sequences.from_lists([[f"e{i}" for i in range(n_types)]] * 3)
    assert MarkovDetector(end_symbol=end_symbol).fit(seqs).top_g_ == expected
    assert MarkovDetector(top_g=4).fit(seqs).top_g_ == 4


def test_auto_cut_never_flags_more_than_the_tail_of_the_fitted_scores():
    # A shop-like log of four event types: nearly every user has a next event outside the
    # top third, so DeepLog's one-miss rule alone flagged everyone.
    rng = np.random.default_rng(3)
    lists = [
        list(rng.choice(["view", "cart", "fav", "buy"], size=rng.integers(3, 30)))
        for _ in range(2_000)
    ]
    det = MarkovDetector().fit(Sequences.from_lists(lists))
    assert (det.decision_scores_ > 1.0 - 1e-9).mean() > 0.9
    assert det.labels_.mean() < 0.05  # the tail cut at 0.01; tied integer miss counts flag 3.5%
    assert det.threshold_ == max(1.0 - 1e-9, auto_cut(det.decision_scores_))  # the one cut
    # Fitted on sessions without misses, the rule stays DeepLog's: one miss is flagged.
    normal = [["open", "read", "close"]] * 200
    det = MarkovDetector(top_g=1).fit(Sequences.from_lists(normal))
    assert det.labels_.sum() == 0
    assert det.predict(Sequences.from_lists([["open", "close", "read"]])).tolist() == [1]
