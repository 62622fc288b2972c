"""Reasons do not depend on the names: features of exactly equal share are ranked by
their values, not by their columns (whose order follows the names), a feature with no
share of the score is never named (H6 s27, L-6 of s27), and the rows a neighbour
detector explained each row against come back to the reasons' caller with the table
(explained_with_rows, L-5 of s27)."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import _reasons
from oddseq.datasets import make_ecommerce
from oddseq.detect import ECOD, LOF, KNNDetector, RobustZDetector, _neighbors
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


def _frame(rows, shares, deviations, values):
    index = pd.MultiIndex.from_arrays(
        [rows, np.ones(len(rows), dtype=np.int64)], names=["row", "rank"]
    )
    return pd.DataFrame(
        {"share": shares, "deviation": deviations, "value": values, "typical": 0.0}, index=index
    )


def test_ties_ranked_by_their_values_whatever_their_order():
    rows = np.array([0, 0, 0, 0, 1, 1, 1])
    shares = np.array([0.25, 0.25, 0.5, 0.0, 0.4, 0.4, 0.2])
    deviations = np.array([1.0, -3.0, 2.0, 5.0, 2.0, 2.0, 9.0])
    values = np.array([1.0, -3.0, 2.0, 5.0, 4.0, 6.0, 9.0])
    frame = _frame(rows, shares, deviations, values)
    order = _reasons.ranked(frame)
    # share first; equal shares: farthest from typical, then the larger value
    assert order.tolist() == [2, 1, 0, 3, 5, 4, 6]
    for seed in range(5):
        shuffled = np.random.default_rng(seed).permutation(len(rows))
        again = _reasons.ranked(frame.iloc[shuffled])
        np.testing.assert_array_equal(shuffled[again], order)
    # "last": after its row's others, whatever its share
    last = np.zeros(len(rows), dtype=bool)
    last[2] = True
    assert _reasons.ranked(frame, last=last).tolist() == [1, 0, 3, 2, 5, 4, 6]


def _log_with_two_extremes(names):
    """60 users of three event types; user 0 has the most events of the first two types
    (20 and 34): ECOD's tails of both at the sample's extreme, equal shares."""
    rng = np.random.default_rng(352)
    counts = rng.integers(1, 6, size=(60, 3))
    counts[0, :2] = (20, 34)
    rows = []
    for user, per_type in enumerate(counts):
        for code, count in enumerate(per_type):
            rows += [(user, names[code])] * int(count)
    events = pd.DataFrame(rows, columns=["user_id", "behavior"])
    events["timestamp"] = np.arange(len(events))
    return events


def _reason_of_user_0(names):
    events = _log_with_two_extremes(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            events, entity="user_id", event="behavior", time="timestamp", method="ecod"
        )
    back = dict(zip(names, ("a", "b", "c")))
    reason = table.loc[0, "reason"]
    return re.sub(r"\[(\w+)\]", lambda m: f"[{back.get(m.group(1), m.group(1))}]", reason)


def test_a_reason_of_tied_shares_reads_the_same_under_other_names():
    """ECOD's tails of user 0's count[a] (20), count[b] (34), events and duration all lie
    at the sample's extreme: four equal shares. The reason named the first two columns
    (count[a] 20; count[b] 34), which the names order."""
    first = _reason_of_user_0(("a", "b", "c"))
    swapped = _reason_of_user_0(("b", "a", "c"))  # the first two types in other order
    assert "count[b] 34" in first
    assert swapped == first


@pytest.fixture(scope="module")
def normal_only():
    seqs = Sequences.from_events(make_ecommerce(n_users=300, random_state=352).events, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(method="knn", random_state=0).fit(
            seqs.take(np.arange(0, len(seqs), 2)), normal=True
        )
    return pipe, seqs


def test_a_feature_of_no_share_is_never_named(normal_only):
    pipe, seqs = normal_only
    raw, X = pipe._matrix(seqs)
    explained = pipe.detector_.explain(
        X, top=_reasons.TABLE_FEATURES, feature_names=pipe.feature_names_
    )
    reasons = _reasons.feature_reasons(pipe, explained, raw, seqs.lengths)
    # the first feature of every row whose reason names it: no share now
    first = explained.xs(1, level="rank")
    named = np.array(
        [str(r).startswith(_reasons.reason_name(str(f))) for r, f in zip(reasons, first["feature"])]
    )
    assert named.sum() > 10
    zeroed = explained.copy()
    zeroed.loc[(slice(None), 1), "share"] = 0.0
    again = _reasons.feature_reasons(pipe, zeroed, raw, seqs.lengths, _searched(pipe.detector_, X))
    changed = np.array([a != b for a, b in zip(reasons, again)])
    assert changed[named].all()
    for r, f in zip(again[named], first["feature"][named]):
        assert not str(r).startswith(_reasons.reason_name(str(f)) + " ")


def _searched(det, X):
    return det._explaining_rows(X)


@pytest.mark.parametrize("detector", [KNNDetector(3), LOF(5), KNNDetector(1)])
def test_the_chosen_rows_come_back_with_the_table(detector):
    rng = np.random.default_rng(353)
    det = detector.fit(rng.normal(size=(120, 4)))
    X = rng.normal(size=(30, 4))
    table, chosen = _neighbors.explained_with_rows(det, X, top=2, feature_names=list("abcd"))
    pd.testing.assert_frame_equal(table, det.explain(X, top=2, feature_names=list("abcd")))
    np.testing.assert_array_equal(chosen, det._explaining_rows(X))
    frame = pd.DataFrame(X, index=np.arange(100, 130))
    table, _ = _neighbors.explained_with_rows(det, frame, top=1)
    assert table.index.get_level_values("row").tolist() == list(range(100, 130))


def test_other_detectors_return_no_rows():
    X = np.random.default_rng(354).normal(size=(80, 3))
    for det in (ECOD(), RobustZDetector()):
        table, chosen = _neighbors.explained_with_rows(det.fit(X), X[:5], top=2)
        assert chosen is None and len(table) == 10


def test_the_table_reasons_read_the_rows_handed_to_them(normal_only, monkeypatch):
    """Reasons given the chosen rows neither search again nor look them up, and say
    what they say with the rows found again."""
    pipe, seqs = normal_only
    raw, X = pipe._matrix(seqs)
    names = pipe.feature_names_
    table, chosen = _neighbors.explained_with_rows(
        pipe.detector_, X, _reasons.TABLE_FEATURES, names
    )
    searched = _reasons.feature_reasons(pipe, table.copy(), raw, seqs.lengths)

    def refused(*args, **kwargs):
        raise AssertionError("searched again")

    monkeypatch.setattr(type(pipe.detector_), "_explaining_rows", refused)
    monkeypatch.setattr(_neighbors, "explained_rows_of", refused, raising=False)
    handed = _reasons.feature_reasons(pipe, table.copy(), raw, seqs.lengths, chosen)
    assert np.array_equal(handed, searched)
    alerts = _reasons.alert_reasons(pipe, table, raw, seqs.lengths, chosen)
    assert len(alerts) == len(raw)


def test_an_explanation_without_the_rows_returns_none(monkeypatch):
    """A neighbour detector whose explanation carries no rows (oddseq.dask's workers'):
    the table, and None for the rows (the reasons then search)."""
    from oddseq.detect._base import Explanation

    rng = np.random.default_rng(355)
    det = KNNDetector(2).fit(rng.normal(size=(60, 3)))
    real = KNNDetector._explain
    monkeypatch.setattr(KNNDetector, "_explain", lambda self, X: Explanation(*real(self, X)))
    table, chosen = _neighbors.explained_with_rows(det, rng.normal(size=(5, 3)), 2)
    assert chosen is None and len(table) == 10
