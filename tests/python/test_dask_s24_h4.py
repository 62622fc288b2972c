"""oddseq.dask gives one machine's warnings about a log's columns (H5's s23 review, LOW 3):
float32 times whose steps are a second or more (e335cb6), and ids alike as text in a
column of several types (1 and "1": e50f52f), from one machine's own checks on what the
partitions compute (the times' extremes, each partition's labels), once, on the client.
An entity column of such ids, which oddseq.dask cannot order to share out, is refused
with the fix. On the session's LocalCluster of two worker processes (the ``client``
fixture: a client opened for this module, closed after it)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("dask.distributed")
pytest.importorskip("pyarrow")

from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def shop():
    return make_ecommerce(n_users=200, random_state=222).events


def _half_as_text(column: pd.Series) -> pd.Series:
    """The first half of a column as the numbers it holds, the second as their text (a
    pd.concat of a CSV's numbers and an API's text), in an object column."""
    mixed = column.astype(object).copy()
    half = len(mixed) // 2
    mixed.iloc[half:] = mixed.iloc[half:].astype(str)
    return mixed


def _said(caught, *words):
    return [str(w.message) for w in caught if all(word in str(w.message) for word in words)]


def _both(log, words, npartitions=2, **options):
    """One machine's and oddseq.dask's tables and their warnings holding ``words``
    (object columns kept as they are: dask's convert-string would make them text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        one = oddseq.detect_anomalies(log, crowds=False, **COLUMNS, **options)
    single = _said(caught, *words)
    with (
        dask.config.set({"dataframe.convert-string": False}),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        ddf = dd.from_pandas(log, npartitions=npartitions, sort=False)
        got = detect_anomalies(ddf, **COLUMNS, **options).compute()
    return one, got, single, _said(caught, *words)


def test_float32_times_warn_once_as_on_one_machine(client, shop):
    # Before: one machine said "column 'timestamp' holds float32 numbers ... steps of
    # 128 s ...", oddseq.dask nothing (the same times read, the same flags).
    log = shop.assign(timestamp=shop["timestamp"].astype(np.float32))
    one, got, single, said = _both(log, ("float32",), npartitions=3)
    assert len(single) == 1 and "steps of 128 s" in single[0]
    assert said == single
    assert got.sort_values("rank")["score"].to_numpy().tolist() == one["score"].tolist()


def test_float64_times_and_float32_relative_ones_stay_silent(client, shop):
    relative = (shop["timestamp"] - shop["timestamp"].min()).astype(np.float32) / 1000
    for log in (
        shop.assign(timestamp=shop["timestamp"].astype(np.float64)),
        shop.assign(timestamp=relative),
    ):
        _, _, single, said = _both(log, ("significant digits",), npartitions=3)
        assert single == said == []


def test_items_alike_as_text_warn_once_as_on_one_machine(client, shop):
    # The ints in one partition, their text in the other: only the whole log's labels
    # hold both. Before: one machine warned, oddseq.dask was silent (the same table).
    log = shop.assign(item_id=_half_as_text(shop["item_id"]))
    one, got, single, said = _both(log, ("'item_id'", "more than one type"), item="item_id")
    assert len(single) == 1 and said == single
    assert got.sort_values("rank")["score"].to_numpy().tolist() == one["score"].tolist()


def test_event_types_alike_as_text_warn_before_the_features_collide(client, shop):
    log = shop.assign(kind=_half_as_text(shop["category_id"] % 5))
    caught = {}
    for where in ("one", "dask"):
        with (
            dask.config.set({"dataframe.convert-string": False}),
            warnings.catch_warnings(record=True) as w,
            pytest.raises(ValueError, match="feature names collide"),
        ):
            warnings.simplefilter("always")
            options = dict(COLUMNS, event="kind")
            if where == "one":
                oddseq.detect_anomalies(log, crowds=False, **options)
            else:
                ddf = dd.from_pandas(log, npartitions=2, sort=False)
                detect_anomalies(ddf, **options).compute()
        caught[where] = _said(w, "'kind'", "more than one type")
    assert len(caught["one"]) == 1 and caught["dask"] == caught["one"]


def test_one_type_in_an_object_column_is_silent(client, shop):
    log = shop.assign(item_id=shop["item_id"].astype(object))
    _, _, single, said = _both(log, ("more than one type",), item="item_id")
    assert single == said == []


@pytest.mark.parametrize("where", ["within", "across"])
def test_entity_ids_of_several_types_are_refused_with_the_fix(client, shop, where):
    # Before: "input partition 1 could not be read (TypeError: '<' not supported between
    # instances of 'str' and 'int'); a file that lacks a column or stores it differently
    # ..." (within a partition) or "the entity ids mix types across partitions (...)".
    log = shop.assign(user_id=_half_as_text(shop["user_id"]))
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_pandas(log, npartitions=2 if where == "across" else 3, sort=False)
        with pytest.raises(ValueError) as refused:
            detect_anomalies(ddf, **COLUMNS).compute()
    said = str(refused.value)
    assert "column 'user_id' holds ids of more than one type" in said
    assert "ddf['user_id'] = ddf['user_id'].astype(str)" in said
    assert "could not be read" not in said


# ------------------------------------------------ explain()'s rows: few keys to the client


def _stats_fit(monkeypatch, n_parts, seen):
    """One machine's forest and oddseq.dask's over ``n_parts`` partitions of 3,000 rows
    (copies among them) with _STATS_ROWS at 300; ``seen`` gets, per call of the
    client's merge, (rows asked, keys the partitions sent)."""
    from oddseq.dask import _pipeline as dask_pipeline
    from oddseq.dask._pipeline import _fit_iforest, _Rows
    from oddseq.detect import IsolationForest, _iforest

    monkeypatch.setattr(_iforest, "_STATS_ROWS", 300)
    merge = dask_pipeline._smallest_keyed

    def counted(rows, found, samples):
        seen.append((samples, sum(k.shape[1] for k, _ in found)))
        return merge(rows, found, samples)

    monkeypatch.setattr(dask_pipeline, "_smallest_keyed", counted)
    rng = np.random.default_rng(223)
    X = rng.standard_t(3, size=(3_000, 4)).astype(np.float32)
    X[::7] = np.round(X[::7])  # copies, within and across partitions
    kwargs = dict(n_estimators=20, max_samples=64, random_state=4)
    expected = IsolationForest(**kwargs).fit(X)
    states = [{"X": part} for part in np.array_split(X, n_parts)]
    with dask.config.set(scheduler="sync"):
        got = _fit_iforest(
            _Rows(states, [len(s["X"]) for s in states]), IsolationForest(**kwargs), 4, 1
        )
    np.testing.assert_array_equal(got._train, expected._train)  # explain()'s rows
    np.testing.assert_array_equal(got.median_, expected.median_)
    np.testing.assert_array_equal(got.feature_scale_, expected.feature_scale_)
    np.testing.assert_array_equal(got.decision_scores_, expected.decision_scores_)


@pytest.mark.parametrize("n_parts", [3, 10, 40])
def test_explain_rows_bring_few_keys_to_the_client(monkeypatch, n_parts):
    # Before (f3a4cb3, H5's s23 review LOW 7): each partition sent its min(rows,
    # _STATS_ROWS) smallest keys, every row of partitions under _STATS_ROWS (3,000 keys
    # here for 300 rows kept; 2 M at 100 partitions of 2 M rows), lexsorted on the
    # client. The keys are uniform: a partition sends only those under the bound where
    # about _STATS_ROWS of all n fall.
    seen = []
    _stats_fit(monkeypatch, n_parts, seen)
    sent = [k for samples, k in seen if samples == 300]
    assert len(sent) == 1 and 300 <= sent[0] <= 600


def test_explain_rows_when_too_few_keys_fall_under_the_bound(monkeypatch):
    # The bound too low (its margin negative): fewer than _STATS_ROWS come back, and
    # the partitions are asked again for their smallest, as before: the same rows.
    from oddseq.dask import _pipeline as dask_pipeline

    monkeypatch.setattr(dask_pipeline, "_STATS_MARGIN", -20.0)
    seen = []
    _stats_fit(monkeypatch, 10, seen)
    sent = [k for samples, k in seen if samples == 300]
    assert len(sent) == 1 and sent[0] == 3_000


def test_a_partition_with_more_keys_under_the_bound_than_it_drew_sends_them_all(monkeypatch):
    # Each partition draws about as many keys as its rows hold under the bound (with a
    # margin); where every key it drew is under the bound, it draws again up to the limit.
    from oddseq.dask import _pipeline as dask_pipeline
    from oddseq.detect._iforest import _content_keys

    monkeypatch.setattr(dask_pipeline, "_STATS_MARGIN", -5.0)
    X = np.random.default_rng(222).normal(size=(1_000, 3))
    hashes, copies, _ = _content_keys(X, 1)
    state = {"X": X, "hash": hashes, "copy": copies}
    bound = 2**64 // 5  # about 200 of the 1,000 keys under it; 146 drawn at first
    keys, rows = dask_pipeline._iforest_stats_draw(state, 7, 500, 9, 1, bound)
    all_keys, all_rows = dask_pipeline._iforest_stats_draw(state, 7, 500, 9, 1)
    under = all_keys[0] <= np.uint64(bound)
    assert 160 < under.sum() < 240
    np.testing.assert_array_equal(keys[0], all_keys[0][under])
    np.testing.assert_array_equal(rows[0], all_rows[0][under])


# ------------------------------------------------ events outside the log's time window


def _strayed(shop, n_strays):
    """``n_strays`` events of the first users moved 70 days before the log (a clock
    error, a stray test record)."""
    log = shop.copy()
    rows = log.index[log["user_id"].isin(log["user_id"].unique()[: max(1, n_strays // 2)])]
    log.loc[rows[:n_strays], "timestamp"] -= 70 * 86_400
    return log


@pytest.mark.parametrize(
    "n_strays, options",
    [(1, {}), (1, {"min_events": 5}), (1, {"session_gap": "30min"}), (7, {})],
    ids=["1", "1-min_events", "1-sessions", "7"],
)
def test_events_outside_the_time_window_warn_as_on_one_machine(client, shop, n_strays, options):
    # Before: one machine said "1 event of 1 entity lies outside the log's main time
    # window (...)" (the Taobao head: entity 1000169 on 2017-09-11), oddseq.dask nothing.
    # (Each option once, and strays of several entities once, not every pair of them:
    # each call costs ~4 s of CPU on the cluster.)
    log = _strayed(shop, n_strays)
    _, _, single, said = _both(log, ("main time window",), npartitions=3, **options)
    assert len(single) == 1 and said == single


def test_the_time_window_of_a_log_above_its_sample_as_on_one_machine(client, shop, monkeypatch):
    # Above _WINDOW_SAMPLE events one machine takes the window from a draw of positions
    # in its sequences' order; oddseq.dask draws the same positions over its partitions.
    from oddseq.preprocessing import _quality

    monkeypatch.setattr(_quality, "_WINDOW_SAMPLE", 500)
    _, _, single, said = _both(_strayed(shop, 40), ("main time window",), npartitions=3)
    assert len(single) == 1 and said == single


def test_no_time_window_warning_for_normal_nor_a_clean_log(client, shop):
    _, _, single, said = _both(shop, ("main time window",), npartitions=3)
    assert single == said == []
    _, _, single, said = _both(shop, ("main time window",), npartitions=3, normal=_strayed(shop, 3))
    assert single == said == []
