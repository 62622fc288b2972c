"""The neural models' draws do not depend on the sequences' order: the held-out part,
the batches and the folds are drawn over the sequences ordered by a key of their
content (events and times), and windows are scored in an order of their content, so
renaming the entities (which reorders the sequences: they are sorted by id) gives the
same scores and flags, bit for bit, on the CPU with a fixed random_state."""

import numpy as np
import pandas as pd
import pytest

from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

torch = pytest.importorskip("torch")

from oddseq.neural import LSTMDetector, SequenceAutoencoder, TransformerDetector  # noqa: E402

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
SMALL = dict(max_epochs=2, n_threads=1, random_state=0)


def _renamed(log, seed):
    """The log with its users renamed by a random one-to-one map (new ids in another
    order) and the users' blocks shuffled (as test_renamed_entities.py)."""
    rng = np.random.default_rng(seed)
    users = log["user_id"].unique()
    new = dict(zip(users, rng.permutation(10 * len(users))[: len(users)] + 1_000_000))
    rank = dict(zip(users, rng.permutation(len(users))))
    moved = log.assign(user_id=log["user_id"].map(new))
    moved = moved.iloc[np.argsort(log["user_id"].map(rank).to_numpy(), kind="stable")]
    return moved.reset_index(drop=True), {v: k for k, v in new.items()}


@pytest.fixture(scope="module")
def shop():
    log = make_ecommerce(n_users=300, random_state=210).events
    log["behavior"] = log["behavior"].astype(str)
    # Two users with the same events at the same times (copies of one content).
    twin = log[log["user_id"] == log["user_id"].iloc[0]].assign(user_id=-1)
    return pd.concat([log, twin], ignore_index=True)


def _fitted(cls, log, normal=False, **params):
    seqs = Sequences.from_events(log, **ROLES)
    det = cls(**{**SMALL, **params}).fit(seqs, normal=normal)
    return (
        det,
        pd.DataFrame({"score": det.decision_scores_, "flag": det.labels_}, index=seqs.ids),
        seqs,
    )


@pytest.mark.parametrize(
    "cls, params",
    [
        (LSTMDetector, {}),
        (TransformerDetector, {}),
        (TransformerDetector, {"objective": "next"}),
        (SequenceAutoencoder, {}),
    ],
)
def test_renamed_entities_get_the_same_scores(shop, cls, params):
    det, table, seqs = _fitted(cls, shop, **params)
    moved, back = _renamed(shop, 1)
    det2, again, seqs2 = _fitted(cls, moved, **params)
    again = again.rename(index=back).loc[table.index]
    np.testing.assert_array_equal(again["score"].to_numpy(), table["score"].to_numpy())
    np.testing.assert_array_equal(again["flag"].to_numpy(), table["flag"].to_numpy())
    assert [r["train_loss"] for r in det2.history_] == [r["train_loss"] for r in det.history_]
    if cls is SequenceAutoencoder:
        codes = pd.DataFrame(det.transform(seqs), index=seqs.ids)
        codes2 = pd.DataFrame(det2.transform(seqs2), index=seqs2.ids).rename(index=back)
        np.testing.assert_array_equal(codes2.loc[codes.index].to_numpy(), codes.to_numpy())


def test_renamed_entities_get_the_same_normal_only_cut(shop):
    """Normal-only fitting: the held-out part, the out-of-fold refits' folds, the count
    term and the support rule read the sequences by content too."""
    kw = dict(n_folds=2, max_epochs=1)
    det, table, _ = _fitted(LSTMDetector, shop, normal=True, **kw)
    moved, back = _renamed(shop, 2)
    det2, again, _ = _fitted(LSTMDetector, moved, normal=True, **kw)
    again = again.rename(index=back).loc[table.index]
    np.testing.assert_array_equal(again["score"].to_numpy(), table["score"].to_numpy())
    np.testing.assert_array_equal(again["flag"].to_numpy(), table["flag"].to_numpy())
    assert det2.threshold_ == det.threshold_
    np.testing.assert_array_equal(np.sort(det2.validation_scores_), np.sort(det.validation_scores_))


def test_scores_of_reordered_sequences_are_the_same_bits(shop):
    """A fitted model scores sequences the same, bit for bit, in any order."""
    seqs = Sequences.from_events(shop, **ROLES)
    det = TransformerDetector(**SMALL).fit(seqs)
    order = np.random.default_rng(3).permutation(len(seqs))
    stats = det.statistics(seqs)
    shuffled = det.statistics(seqs.take(order))
    pd.testing.assert_frame_equal(shuffled.loc[stats.index], stats)


@pytest.mark.parametrize("method", ["lstm", "transformer", "autoencoder"])
def test_renamed_entities_get_the_same_table(shop, monkeypatch, method):
    """Through detect_anomalies (the model built with its defaults, 2 epochs here): the
    same flags and scores under renamed entities."""
    import functools

    import oddseq

    for cls in (LSTMDetector, TransformerDetector, SequenceAutoencoder):

        @functools.wraps(cls.__init__)
        def init(self, *args, _init=cls.__init__, **kwargs):
            _init(self, *args, **{"max_epochs": 2, "n_threads": 1, **kwargs})

        monkeypatch.setattr(cls, "__init__", init)
    table = oddseq.detect_anomalies(shop, **ROLES, groups=False, method=method)
    moved, back = _renamed(shop, 0)
    again = oddseq.detect_anomalies(moved, **ROLES, groups=False, method=method)
    again = again.rename(index=back).loc[table.index]
    for column in ("is_anomaly", "score"):
        np.testing.assert_array_equal(again[column].to_numpy(), table[column].to_numpy())


def test_explanations_of_reordered_sequences_are_the_same_bits(shop, monkeypatch):
    """explain() scores the windows in an order of their content too (each window kept:
    its attention positions point into it), so the same steps, probabilities and
    attention come out, bit for bit, in any order of the sequences. Scoring batches of
    200 padded steps here, so that a batch's make-up would follow the order (before,
    2-4 probabilities of 300 users moved by a last bit)."""
    from oddseq.neural import _models

    seqs = Sequences.from_events(shop, **ROLES)
    det = TransformerDetector(**{**SMALL, "max_epochs": 1, "max_length": 16}).fit(seqs)
    monkeypatch.setattr(_models, "_SCORE_TOKENS", 200)
    explained = det.explain(seqs)
    for seed in range(2):
        order = np.random.default_rng(seed).permutation(len(seqs))
        again = det.explain(seqs.take(order)).loc[explained.index]
        pd.testing.assert_frame_equal(again, explained, check_exact=True)
