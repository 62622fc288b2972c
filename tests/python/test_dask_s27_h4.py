"""Session 27, H4: oddseq.dask's round trips (the review of session 26, L-5, L-6) and
explain()'s check of listed group members (L-1).

- L-5: the reasons' medians of "entities like it" (K-means: the reference cluster's
  members' medians) cost the fit no call to the cluster of their own: the (cluster,
  feature) sizes are counted in the pass that sums the clusters, the medians' one
  round rides on the scores' call.
- L-6: with no shrunk column, the Dask pipeline keeps ``_typical_raw`` (all NaN) as
  one machine does.
- L-1: ``explain(seqs, ids)`` of entities none of which is short reads no group
  member's rows.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def shop():
    return make_ecommerce(n_users=300, random_state=254).events


def _dask_fit(log, calls=None, **options):
    """(table, pipeline) of oddseq.dask on the synchronous scheduler; ``calls``, where
    given, counts its computes and persists."""
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    compute, persist = dask.compute, dask.persist

    def counted(real):
        def call(*args, **kwargs):
            if calls is not None:
                calls.append(real.__name__)
            return real(*args, **kwargs)

        return call

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with dask.config.set(scheduler="synchronous"):
            try:
                dask.compute, dask.persist = counted(compute), counted(persist)
                table, pipeline = detect_anomalies(
                    dd.from_pandas(log, npartitions=4), **COLUMNS, return_pipeline=True, **options
                )
            finally:
                dask.compute, dask.persist = compute, persist
            return table.compute(), pipeline


def _one_machine(log, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return oddseq.detect_anomalies(
            log, crowds=False, **COLUMNS, return_pipeline=True, **options
        )


def test_the_medians_of_entities_like_it_cost_the_kmeans_fit_no_call(shop, monkeypatch):
    """The fit makes as many calls to the cluster with K-means' "entities like it have"
    medians as without them (78314a1 made it three more: a pass of counts, the sorted
    values persisted, a round), and they equal one machine's bit for bit ("auto"'s
    K-means member is fitted by the same function, _fit_kmeans_detector)."""
    from oddseq.dask import _pipeline

    method = "kmeans"
    with_medians = []
    _, pipeline = _dask_fit(shop, with_medians, method=method)
    _, single = _one_machine(shop, method=method)
    assert pipeline._typical_like is not None
    assert np.isfinite(pipeline._typical_like).any()
    np.testing.assert_array_equal(pipeline._typical_like, single._typical_like)

    class WithoutMedians(_pipeline._Rows):
        like = property(lambda self: None, lambda self, value: None)

    monkeypatch.setattr(_pipeline, "_Rows", WithoutMedians)
    monkeypatch.setattr(_pipeline, "_typical_like", lambda *args: None)
    without = []
    _dask_fit(shop, without, method=method)
    assert sorted(with_medians) == sorted(without)


def test_typical_raw_is_kept_where_no_column_is_shrunk(shop, monkeypatch):
    """No feature the evidence shrinkage moves: one machine keeps ``_typical_raw`` all
    NaN, and so does oddseq.dask (it left it unset)."""
    from oddseq.preprocessing import _evidence

    monkeypatch.setattr(_evidence, "feature_evidence", lambda names: np.zeros(len(names), np.int8))
    table, pipeline = _dask_fit(shop, method="robust_z")
    expected, single = _one_machine(shop, method="robust_z")
    assert not single.evidence_.kinds_.any() and not pipeline.evidence_.kinds_.any()
    assert single._typical_raw.shape == (len(single.feature_names_),)
    assert np.isnan(single._typical_raw).all()
    np.testing.assert_array_equal(pipeline._typical_raw, single._typical_raw)
    np.testing.assert_array_equal(table.sort_index()["score"], expected.sort_index()["score"])
    assert (table.sort_index()["reason"] == expected.sort_index()["reason"]).all()


def test_explain_of_kept_entities_reads_no_group_member(ring_shop, monkeypatch):
    """explain(seqs, ids) of a pipeline with groups and min_events > 1: where no id
    asked for has fewer than min_events events, no member's rows are looked for (on the
    Taobao head they cost 54 of explain's 187 ms); a short member asked for still is."""
    from oddseq import _pipeline

    table, pipeline = _one_machine(ring_shop, min_events=6, session_gap="30min")
    assert pipeline.groups_ is not None
    seqs = oddseq.Sequences.from_events(ring_shop, **COLUMNS, session_gap="30min")
    lengths = pd.Series(seqs.lengths, index=seqs.ids)[table.index]
    kept = list(table.index[lengths.to_numpy() >= 6][:2])
    expected = pipeline.explain(seqs, kept)
    looked = []
    member_rows = _pipeline.short_member_rows

    def counted(*args, **kwargs):
        looked.append(1)
        return member_rows(*args, **kwargs)

    monkeypatch.setattr(_pipeline, "short_member_rows", counted)
    got = pipeline.explain(seqs, kept)
    assert not looked
    assert got.equals(expected)
    listed = list(table.index[lengths.to_numpy() < 6])  # members listed for their group
    assert listed
    pipeline.explain(seqs, listed[:1])
    assert looked


def test_each_member_is_sent_to_the_workers_once(shop, monkeypatch):
    """Each detector the ensemble fits goes to the workers once for its scores (it went
    once per partition: on a distributed cluster, one broadcast each)."""
    from oddseq.dask import _pipeline
    from oddseq.detect._base import BaseDetector

    sent = []
    shared = _pipeline._shared

    def counted(obj):
        sent.append(obj)
        return shared(obj)

    monkeypatch.setattr(_pipeline, "_shared", counted)
    _, pipeline = _dask_fit(shop, method="auto")
    members = [det for det in sent if isinstance(det, BaseDetector)]
    assert len({id(det) for det in members}) == len(pipeline.detector_.detectors_) == 3
    assert len(members) == 3


def test_the_medians_before_scaling_take_two_calls_and_equal_one_machine_s(shop, monkeypatch):
    """The raw extent, the typical values by length, the shrinkage's medians and the
    reasons' medians of the entities' own values: one pass of counts and one of order
    statistics (they were five calls), equal to one machine's."""
    from oddseq.dask import _pipeline

    seen, during = [], []
    fit_medians = _pipeline._fit_medians

    def counted(*args, **kwargs):
        start = len(seen)
        out = fit_medians(*args, **kwargs)
        during.append(seen[start:])
        return out

    monkeypatch.setattr(_pipeline, "_fit_medians", counted)
    _, pipeline = _dask_fit(shop, seen, method="robust_z", session_gap="30min")
    assert during == [["compute", "compute"]]
    _, single = _one_machine(shop, method="robust_z", session_gap="30min")
    cols, by_length = pipeline._typical_by_length
    assert np.isfinite(by_length).any()
    np.testing.assert_array_equal(cols, single._typical_by_length[0])
    np.testing.assert_array_equal(by_length, single._typical_by_length[1])
    for got, expected in zip(pipeline._raw_range, single._raw_range, strict=True):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(pipeline.evidence_.median_, single.evidence_.median_)
    np.testing.assert_array_equal(pipeline._typical_raw, single._typical_raw)
    assert np.isfinite(pipeline._typical_raw).any()


@pytest.mark.filterwarnings(r"ignore:only \d+ normal sequences for the cut:UserWarning")
@pytest.mark.filterwarnings(r"ignore:\d+ of the \d+ entities scored are in normal:UserWarning")
def test_the_log_s_facts_come_with_the_shuffle_s_summaries(shop, monkeypatch):
    """What fit records of the log (columns, timing, missing values) and what scoring
    compares with it (``normal=``: the log scored) are read in the call that reads the
    shuffled partitions' summaries, not in a call of their own; the fitted data and the
    table as before."""
    dask = pytest.importorskip("dask")
    calls = []
    compute = dask.compute

    def spy(*args, **kwargs):
        calls.append({str(getattr(a, "key", "")).rsplit("-", 1)[0] for a in args})
        return compute(*args, **kwargs)

    monkeypatch.setattr(dask, "compute", spy)
    normal = shop[shop["user_id"].isin(shop["user_id"].unique()[::3])]
    table, pipeline = _dask_fit(shop, method="robust_z", normal=normal)
    with_facts = [names for names in calls if "_part_facts" in names]
    assert len(with_facts) == 2  # the normal log fitted, the log scored
    assert all({"_summary", "_missing_counts"} <= names for names in with_facts)
    monkeypatch.setattr(dask, "compute", compute)
    expected, single = _one_machine(shop, method="robust_z", normal=normal)
    assert pipeline._fitted_data["columns"] == single._fitted_data["columns"]
    assert pipeline._fitted_data["missing"] == single._fitted_data["missing"]
    np.testing.assert_array_equal(table.sort_index()["score"], expected.sort_index()["score"])


@pytest.mark.parametrize("collect_at", [None, 40])
def test_robust_z_s_medians_and_the_distinct_rows_ride_on_the_moments(
    shop, monkeypatch, collect_at
):
    """ "auto": X's medians and quartiles that robust z fits on come with the moments'
    sums, and the distinct rows K-means restarts on with the moments' largest values,
    not in calls of their own; the table equals one machine's, also where every median
    takes histogram rounds (at most 40 values collected)."""
    dask = pytest.importorskip("dask")
    from oddseq.dask import _pipeline, _reduce

    if collect_at is not None:
        monkeypatch.setattr(_reduce, "_COLLECT_AT", collect_at)
    calls, during = [], []
    compute = dask.compute

    def spy(*args, **kwargs):
        calls.append({str(getattr(a, "key", "")).rsplit("-", 1)[0] for a in args})
        return compute(*args, **kwargs)

    robust = _pipeline._robust_statistics

    def counted(*args, **kwargs):
        start = len(calls)
        out = robust(*args, **kwargs)
        during.append(len(calls) - start)
        return out

    monkeypatch.setattr(dask, "compute", spy)
    monkeypatch.setattr(_pipeline, "_robust_statistics", counted)
    table, pipeline = _dask_fit(shop, method="auto")
    monkeypatch.setattr(dask, "compute", compute)
    assert pipeline._kmeans_distinct is not None
    weighted = [names for names in calls if "_partition_weighted_rows" in names]
    assert len(weighted) == 1 and len(weighted[0]) > 1  # with the largest values
    if collect_at is None:
        assert during == [1]  # the MADs' round only (it was the medians', then it)
    expected, single = _one_machine(shop, method="auto")
    assert pipeline._kmeans_distinct == single._kmeans_distinct
    table, expected = table.sort_index(), expected.sort_index()
    np.testing.assert_array_equal(table["score"], expected["score"])
    np.testing.assert_array_equal(table["rank"], expected["rank"])
    assert (table["reason"] == expected["reason"]).all()


def test_the_scaling_stages_read_the_scalers_not_the_pipeline_sent_again(shop, monkeypatch):
    """Fit sends the pipeline to the workers once to encode; the two scaling stages read
    its shrinkage and scalers, a few arrays in the graph, not the whole pipeline sent
    again for each (on a distributed cluster, two scatters of it)."""
    from oddseq.dask import _pipeline

    sent = []
    shared = _pipeline._shared

    def counted(obj):
        sent.append(obj)
        return shared(obj)

    monkeypatch.setattr(_pipeline, "_shared", counted)
    table, pipeline = _dask_fit(shop, method="robust_z")
    assert sum(obj is pipeline for obj in sent) == 1
    expected, _ = _one_machine(shop, method="robust_z")
    np.testing.assert_array_equal(table.sort_index()["score"], expected.sort_index()["score"])


def test_the_group_members_rows_come_with_the_counts_before_scaling(ring_shop, monkeypatch):
    """Fitted on the log it ranks, the group stage's members' rows of the table are
    found in the call of the counts before scaling, not in the table pass's own call;
    the groups and scores equal one machine's."""
    dask = pytest.importorskip("dask")
    calls = []
    compute = dask.compute

    def spy(*args, **kwargs):
        calls.append({str(getattr(a, "key", "")).rsplit("-", 1)[0] for a in args})
        return compute(*args, **kwargs)

    monkeypatch.setattr(dask, "compute", spy)
    table, pipeline = _dask_fit(ring_shop, method="robust_z")
    monkeypatch.setattr(dask, "compute", compute)
    assert pipeline.groups_ is not None
    with_rows = [names for names in calls if "_member_rows" in names]
    assert len(with_rows) == 1 and len(with_rows[0]) > 1
    expected, _ = _one_machine(ring_shop, method="robust_z")
    table, expected = table.sort_index(), expected.sort_index()
    assert (table["group"] >= 0).any()
    np.testing.assert_array_equal(table["group"], expected["group"])
    np.testing.assert_array_equal(table["score"], expected["score"])
    assert (table["reason"] == expected["reason"]).all()
