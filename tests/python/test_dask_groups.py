"""oddseq.dask runs the group stage as the single machine does: with item=, groups=
"auto" (the default), True or False give the single-machine call's table (groups,
scores, flags, reasons, the group column) and fitted groups_, on a LocalCluster of two
worker processes; bad values and a log too large for the client are refused."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")
pytest.importorskip("pyarrow")

import oddseq.dask._pipeline as dask_pipeline  # noqa: E402
from oddseq import _pipeline as one_machine  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


@pytest.fixture(scope="module")
def rings():
    """A shop with three order-brushing rings (the group stage finds them)."""
    return make_ecommerce(n_users=1200, rings=3, random_state=5).events


@pytest.fixture(scope="module")
def plain():
    """A shop with no rings planted."""
    return make_ecommerce(n_users=800, random_state=3).events


@pytest.fixture(scope="module")
def rings_single(rings):
    """The single-machine call on the rings, groups="auto": the table and pipeline."""
    return oddseq.detect_anomalies(rings, crowds=False, **COLUMNS, return_pipeline=True)


@pytest.fixture(scope="module")
def rings_dask(client, rings):
    """oddseq.dask's call on the rings in 4 partitions, groups="auto": the computed
    table and the fitted pipeline (read by two tests; a call costs seconds)."""
    table, pipeline = detect_anomalies(
        dd.from_pandas(rings, npartitions=4), **COLUMNS, return_pipeline=True
    )
    return table.compute(), pipeline


def assert_same_table(table, single):
    got = table.compute() if hasattr(table, "compute") else table
    got = got.sort_values("rank")
    assert list(got.columns) == list(single.columns)
    assert got.index.equals(single.index)
    np.testing.assert_array_equal(got["score"], single["score"])
    np.testing.assert_array_equal(got["rank"], single["rank"])
    np.testing.assert_array_equal(got["is_anomaly"], single["is_anomaly"])
    np.testing.assert_array_equal(got["cluster"], single["cluster"])
    np.testing.assert_array_equal(got["p_normal"], single["p_normal"])
    if "group" in single:
        np.testing.assert_array_equal(got["group"], single["group"])
    assert (got["reason"] == single["reason"]).all()


def assert_same_groups(finder, single):
    """The fitted GroupDetector: the same groups, candidates, edges and scores."""
    pd.testing.assert_frame_equal(finder.groups_, single.groups_)
    pd.testing.assert_frame_equal(finder.candidates_, single.candidates_)
    pd.testing.assert_frame_equal(finder.group_edges_, single.group_edges_)
    assert finder.entity_ids_.equals(single.entity_ids_)
    np.testing.assert_array_equal(finder.decision_scores_, single.decision_scores_)
    np.testing.assert_array_equal(finder.group_labels_, single.group_labels_)


@pytest.mark.parametrize("groups", ["auto", True])
def test_the_group_stage_equals_the_single_machine_call(client, rings, groups, request):
    if groups == "auto":  # the defaults: the module's calls
        (expected, single), (table, pipeline) = (
            request.getfixturevalue("rings_single"),
            request.getfixturevalue("rings_dask"),
        )
    else:
        expected, single = oddseq.detect_anomalies(
            rings, crowds=False, **COLUMNS, return_pipeline=True, groups=groups
        )
        table, pipeline = detect_anomalies(
            dd.from_pandas(rings, npartitions=4), **COLUMNS, return_pipeline=True, groups=groups
        )
    assert (expected["group"] >= 0).sum() > 10  # the rings are found
    assert_same_table(table, expected)
    assert_same_groups(pipeline.groups_, single.groups_)


def test_groups_false_leaves_the_stage_out_as_on_one_machine(client, rings):
    expected = oddseq.detect_anomalies(rings, crowds=False, **COLUMNS, groups=False)
    table, pipeline = detect_anomalies(
        dd.from_pandas(rings, npartitions=3), **COLUMNS, groups=False, return_pipeline=True
    )
    assert "group" not in expected
    assert_same_table(table, expected)
    assert not hasattr(pipeline, "groups_")


def test_a_log_without_rings(client, plain):
    """No group found: the group column all -1, the rest as without the stage."""
    expected = oddseq.detect_anomalies(plain, crowds=False, **COLUMNS)
    assert (expected["group"] == -1).all()
    table = detect_anomalies(dd.from_pandas(plain, npartitions=3), **COLUMNS)
    assert_same_table(table, expected)


@pytest.mark.parametrize(
    "options",
    [{"session_gap": "2h"}, {"min_events": 5}, {"dropna": True}],
    ids=str,
)
def test_other_options_with_groups(client, rings, options):
    """Sessions (groups of the entities, the sessions take their entity's), short
    entities left out of the model (still in the group search), rows dropped for a
    missing value (their items still in the vocabulary, as on one machine)."""
    log = rings
    if options.get("dropna"):
        log = rings.copy()
        log["timestamp"] = log["timestamp"].astype("float64")
        log.loc[log.index[::97], "timestamp"] = np.nan
        log.loc[log.index[5::89], "user_id"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oddseq.exceptions.DataWarning)
        expected = oddseq.detect_anomalies(log, crowds=False, **COLUMNS, **options)
        table = detect_anomalies(dd.from_pandas(log, npartitions=4), **COLUMNS, **options)
    got = table.compute()
    if "session_gap" in options:
        got = got.set_index(["user_id", "session"])
    assert (expected["group"] >= 0).any()
    assert_same_table(got, expected)


def test_text_items_and_parquet_files(client, rings, tmp_path):
    """Items as text, read back from files cut by rows: the item codes follow the
    input's order as the single machine's do (the groups' objects in the same order)."""
    log = rings.assign(item_id="i" + rings["item_id"].astype(str))
    expected = oddseq.detect_anomalies(log, crowds=False, **COLUMNS)
    path = tmp_path / "pq"
    path.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(len(log)), 3)):
        log.iloc[chunk].to_parquet(path / f"part-{i}.parquet", index=False)
    table = detect_anomalies(dd.read_parquet(str(path)), **COLUMNS, npartitions=5)
    assert_same_table(table, expected)


def test_the_saved_model_records_the_groups(rings, rings_single, rings_dask, tmp_path):
    (_, single), (_, pipeline) = rings_single, rings_dask
    pipeline.save(tmp_path / "dask.oddseq")
    single.save(tmp_path / "one.oddseq")
    loaded, loaded_single = (
        oddseq.load(tmp_path / "dask.oddseq"),
        oddseq.load(tmp_path / "one.oddseq"),
    )
    assert_same_groups(loaded.groups_, loaded_single.groups_)
    seqs = oddseq.Sequences.from_events(rings, **COLUMNS)
    pd.testing.assert_frame_equal(loaded.score(seqs), loaded_single.score(seqs))


@pytest.mark.parametrize("bad", ["yes", "true", None, 1, 0])
def test_bad_groups_values_are_refused_naming_the_choices(rings, bad):
    ddf = dd.from_pandas(rings.head(100), npartitions=1)
    with pytest.raises(ValueError, match=r"groups must be 'auto', True, False or a GroupDetector"):
        detect_anomalies(ddf, **COLUMNS, groups=bad)


def test_groups_true_needs_an_item_column(rings):
    columns = {k: v for k, v in COLUMNS.items() if k != "item"}
    with pytest.raises(ValueError, match=r"groups=True needs item="):
        detect_anomalies(dd.from_pandas(rings.head(100), npartitions=1), **columns, groups=True)


@pytest.mark.parametrize("groups", ["auto", True])
def test_a_log_too_large_for_the_client_is_refused(client, rings, monkeypatch, groups):
    """Before any event is gathered, naming groups=False."""
    monkeypatch.setattr(dask_pipeline, "_client_memory", lambda: 1_000_000)
    with pytest.raises(ValueError, match=r"groups=False") as info:
        detect_anomalies(dd.from_pandas(rings, npartitions=2), **COLUMNS, groups=groups)
    assert "63,196 events" in str(info.value)


def test_auto_skips_past_the_single_machine_limit(client, plain, monkeypatch):
    """groups="auto" leaves the stage out past _GROUPS_AUTO_MAX_EVENTS, with the single
    machine's warning."""
    monkeypatch.setattr(one_machine, "_GROUPS_AUTO_MAX_EVENTS", 1000)
    with pytest.warns(UserWarning, match="the group stage was skipped") as single_warnings:
        expected = oddseq.detect_anomalies(plain, crowds=False, **COLUMNS)
    with pytest.warns(UserWarning, match="the group stage was skipped") as dask_warnings:
        table = detect_anomalies(dd.from_pandas(plain, npartitions=2), **COLUMNS)
    assert "group" not in expected
    assert_same_table(table, expected)
    assert [str(w.message) for w in dask_warnings if "group stage" in str(w.message)] == [
        str(w.message) for w in single_warnings if "group stage" in str(w.message)
    ]


def test_explain_tells_a_later_day_from_the_fitted_log_as_on_one_machine(
    rings_dask, rings_single, rings
):
    """A model fitted by oddseq.dask keeps the fingerprints of its group members'
    sequences, one machine's (d6387d8), so explain(later_seqs, ids) gives a later day's
    entity no sentence of the fit's groups, and the fitted log's sequences theirs (H5's
    s22 review, MEDIUM 1: "one of 7 entities (group 0) that acted in lockstep ..." to a
    later day's)."""
    (table, pipeline), (_, single) = rings_dask, rings_single
    np.testing.assert_array_equal(pipeline._group_prints, single._group_prints)
    members = list(table.index[table["group"] >= 0])
    later = rings[rings["timestamp"] > rings["timestamp"].max() - 2 * 86_400]
    later_seqs = oddseq.Sequences.from_events(later, **COLUMNS)
    seen = [m for m in members if m in later_seqs.ids][:5]
    assert seen  # members active on the later day
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a later day's own warnings: not this test's
        said = pipeline.explain(later_seqs, seen)["group_reason"]
        fitted = pipeline.explain(oddseq.Sequences.from_events(rings, **COLUMNS), seen)
    assert (said == "").all()
    assert (fitted["group_reason"] != "").all()


def test_a_group_detector_with_its_settings_as_one_machine(client, rings):
    # groups=GroupDetector(...) (session 50): the stage with its settings, the same
    # table and groups as the single machine's call with the same detector
    from oddseq.graph import GroupDetector

    given = GroupDetector(patience=1, threshold=2.5)
    table, pipeline = detect_anomalies(
        dd.from_pandas(rings, npartitions=4), **COLUMNS, groups=given, return_pipeline=True
    )
    single, single_pipe = oddseq.detect_anomalies(
        rings, crowds=False, **COLUMNS, groups=given, return_pipeline=True
    )
    assert not hasattr(given, "groups_")
    assert (pipeline.groups_.patience, pipeline.groups_.threshold) == (1, 2.5)
    assert pipeline.groups_.search_ends_ == single_pipe.groups_.search_ends_
    assert_same_groups(pipeline.groups_, single_pipe.groups_)
    assert_same_table(table, single)
