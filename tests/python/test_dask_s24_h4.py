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
        one = oddseq.detect_anomalies(log, **COLUMNS, **options)
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
                oddseq.detect_anomalies(log, **options)
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

