"""The lead's fixes of session 23 (tests first)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest


@pytest.mark.parametrize("weights_as", ["array", "series"])
@pytest.mark.parametrize("metric", ["roc_auc_score", "average_precision_score", "accuracy_score"])
def test_weighted_metrics_pair_labels_and_scores_by_id(metric, weights_as):
    """With sample_weight, labels indexed by user_id beside a ranked table's column (the
    same ids in another order) were paired by position: another entity's label and weight
    beside each score, silently (H6's s22 hunt). The weights belong to the labels (by
    position, as given, or by id where they are a Series of the labels' ids)."""
    import sklearn.metrics

    import oddseq.metrics

    rng = np.random.default_rng(207)
    ids = pd.Index(np.arange(1000, 1300), name="user_id")
    labels = pd.Series((rng.random(300) < 0.2).astype(int), index=ids)
    scores = pd.Series(labels.to_numpy() + rng.normal(0, 0.8, 300), index=ids)
    if metric == "accuracy_score":
        scores = (scores > 0.5).astype(int)
    weight = rng.uniform(0.1, 3.0, 300)
    want = getattr(sklearn.metrics, metric)(
        labels.to_numpy(), scores.to_numpy(), sample_weight=weight
    )
    ranked = scores.sample(frac=1.0, random_state=1)
    given = (
        weight
        if weights_as == "array"
        else pd.Series(weight, index=ids).sample(frac=1.0, random_state=2)
    )
    got = getattr(oddseq.metrics, metric)(labels, ranked, sample_weight=given)
    assert got == pytest.approx(want, rel=1e-12)
    # the caller's weights are not reordered in place
    if weights_as == "array":
        assert np.array_equal(given, weight)


def test_weights_indexed_by_other_ids_are_refused():
    import oddseq.metrics

    ids = pd.Index(np.arange(10), name="user_id")
    labels = pd.Series([0, 1] * 5, index=ids)
    scores = pd.Series(np.arange(10.0), index=ids)[::-1]
    weight = pd.Series(np.ones(10), index=pd.Index(np.arange(100, 110), name="user_id"))
    with pytest.raises(
        ValueError,
        match=r"user_id.*in y_true and not in sample_weight.*sample_weight.reindex\(y_true.index\)",
    ):
        oddseq.metrics.roc_auc_score(labels, scores, sample_weight=weight)


def test_two_level_column_names_with_items_rank_as_flat_ones():
    """The refusal of a missing column among columns of two levels advises the full name,
    entity=('day1', 'user_id') (1d7f859); with item= the group step's progress words then
    failed ("sequence item 0: expected str instance, tuple found"; H5's s23 review, LOW 4)."""
    import oddseq
    from oddseq.datasets import make_ecommerce

    flat = make_ecommerce(n_users=300, random_state=212).events
    two = flat.copy()
    two.columns = pd.MultiIndex.from_product([["day1"], flat.columns])
    names = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
    want = oddseq.detect_anomalies(flat, **names)
    got = oddseq.detect_anomalies(two, **{k: ("day1", v) for k, v in names.items()})
    assert got["is_anomaly"].sum() == want["is_anomaly"].sum()
    assert np.array_equal(got["score"].to_numpy(), want["score"].to_numpy())


def test_every_reader_refuses_another_librarys_frame_with_its_conversion():
    """quality_report, GroupDetector.fit and StreamScorer.update/calibrate said "must be a
    pandas DataFrame, got Table" for a pyarrow Table (polars: "got DataFrame"), where
    Sequences.from_events and detect_anomalies name the library and the conversion since
    5bdb2d6 (H6's s23 found-not-fixed 3, H5's s23 LOW 9)."""
    pa = pytest.importorskip("pyarrow")
    import oddseq
    from oddseq.datasets import make_ecommerce
    from oddseq.graph import GroupDetector
    from oddseq.preprocessing import quality_report
    from oddseq.stream import StreamScorer

    shop = make_ecommerce(n_users=60, random_state=207).events
    table = pa.Table.from_pandas(shop)
    want = r"got a pyarrow Table; convert it: (df|X|events)\.to_pandas\(\)"
    with pytest.raises(TypeError, match=want):
        quality_report(table, entity="user_id", event="behavior", time="timestamp")
    with pytest.raises(
        TypeError,
        match=r"X must be a pandas DataFrame or oddseq Sequences, got a pyarrow Table; "
        r"convert it: X\.to_pandas\(\)",
    ):
        GroupDetector().fit(table, entity="user_id", object="item_id", time="timestamp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline().fit(
            oddseq.Sequences.from_events(shop, "user_id", "behavior", "timestamp")
        )
    scorer = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
    with pytest.raises(TypeError, match=want):
        scorer.update(table)
    with pytest.raises(TypeError, match=want):
        scorer.calibrate(table)
    # the row and records hints stay
    with pytest.raises(TypeError, match=r"one row: update_one"):
        scorer.update(shop.iloc[0])
