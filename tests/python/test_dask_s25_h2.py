"""oddseq.dask gives one machine's warnings of heavily repeated events (``warn_about_the_log``:
events that repeat the one before them exactly; entities whose rows look ingested twice),
in its words, from each shuffled partition's counts (entities are whole in a partition),
and scoring's words on items of another dtype than the fitted category keys (dabf1ff).
One machine counts the rows duplicated in every column of ``df``; oddseq.dask reads only
the named columns, so it gives the message one machine gives without the frame
(``df=None``), as its docstring says. On the session's LocalCluster of two worker
processes (the ``client`` fixture: a client opened for this module, closed after it)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import Sequences
from oddseq.preprocessing._quality import warn_about_the_log

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("dask.distributed")
pytest.importorskip("pyarrow")

from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")
REPEATS = ("repeat the event before them exactly", "repeating an earlier event")
BUILD = ("item", "value", "session_gap")


@pytest.fixture(scope="module")
def shop():
    return make_ecommerce(n_users=200, random_state=230).events


def _said(caught, words):
    return [str(w.message) for w in caught if any(word in str(w.message) for word in words)]


def _both(log, words=REPEATS, npartitions=3, normal=None, shuffled=None, **options):
    """One machine's and oddseq.dask's tables, their warnings holding one of ``words``,
    and one machine's warnings of the sequences checked without the frame (``df=None``).
    ``shuffled``: oddseq.dask's partitions after the shuffle (its default where None)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        one = oddseq.detect_anomalies(log, crowds=False, **COLUMNS, normal=normal, **options)
    single = _said(caught, words)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seqs = Sequences.from_events(
            log, **COLUMNS, **{k: v for k, v in options.items() if k in BUILD}
        )
        warn_about_the_log(seqs)
    framed = _said(caught, words)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ddf = dd.from_pandas(log, npartitions=npartitions, sort=False)
        if normal is not None:
            normal = dd.from_pandas(normal, npartitions=2, sort=False)
        got = detect_anomalies(
            ddf, **COLUMNS, normal=normal, npartitions=shuffled, **options
        ).compute()
    return one, got, single, framed, _said(caught, words)


def _same_table(one, got):
    got = got.set_index("user_id") if "user_id" in got.columns else got
    got = got.loc[one.index]
    for column in ("score", "is_anomaly", "rank"):
        assert got[column].to_numpy().tolist() == one[column].to_numpy().tolist(), column


def _first_sentence(message: str) -> str:
    return message[: message.index(")") + 1]


def test_whole_day_times_warn_as_one_machine_without_the_frame(client, shop):
    # Before: one machine said "6,9xx of 9,xxx events (7x%) repeat the event before them
    # exactly ... The times are whole days ...", oddseq.dask nothing (same table).
    log = shop.assign(timestamp=shop["timestamp"] // 86_400 * 86_400)
    one, got, single, framed, said = _both(log)
    assert len(single) == 1 and "The times are whole days" in single[0]
    assert "duplicates of an earlier row in every column" in single[0]  # df's part
    assert said == framed
    assert _first_sentence(said[0]) == _first_sentence(single[0])
    assert said[0].endswith(single[0][single[0].index(". The times are whole days") :])
    _same_table(one, got)


def test_float32_times_warn_of_their_repeats_as_one_machine(client, shop):
    log = shop.assign(timestamp=shop["timestamp"].astype(np.float32))
    one, got, single, framed, said = _both(log)
    assert len(single) == 1 and "The times are whole" not in single[0]
    assert said == framed
    assert _first_sentence(said[0]) == _first_sentence(single[0])
    assert "Drop them with df.drop_duplicates() unless they are real" in said[0]
    _same_table(one, got)


def _twice(shop, users):
    return pd.concat([shop, shop[shop["user_id"].isin(users)]]).sort_values(
        ["user_id", "timestamp"], kind="stable"
    )


@pytest.mark.parametrize("session_gap", [None, "30min"])
def test_an_entity_ingested_twice_is_named_as_on_one_machine(client, shop, session_gap):
    # One machine: "1 entity has more than 20% of its events repeating an earlier event
    # of its exactly (same entity, event, time and item): 42 of 84 events (entity 121)
    # ..." (39 of 78 with 30-minute sessions); oddseq.dask nothing.
    sizes = shop.groupby("user_id").size()
    log = _twice(shop, sizes[sizes >= 40].index[3:4])
    options = dict(item="item_id", session_gap=session_gap)
    one, got, single, framed, said = _both(log, **options)
    assert len(single) == 1 and single[0].startswith("1 entity has more than 20%")
    assert said == framed == single  # (this warning does not read the frame)
    if session_gap is None:
        _same_table(one, got)


def test_entities_ingested_twice_over_partitions_name_the_first_five(client, shop):
    sizes = shop.groupby("user_id").size()
    log = _twice(shop, sizes[sizes >= 25].index[[1, 5, 9, 20, 30, 40, 50]])
    one, got, single, framed, said = _both(log, npartitions=4, item="item_id", value="price")
    assert len(single) == 1 and "7 entities have" in single[0] and "and 2 more" in single[0]
    assert said == framed == single
    _same_table(one, got)


def test_a_log_without_repetition_is_silent_on_both(client, shop):
    one, got, single, framed, said = _both(shop, item="item_id")
    assert single == framed == said == []
    _same_table(one, got)


def test_items_of_another_dtype_than_the_category_keys_are_said_on_dask(client):
    # dabf1ff gave one machine's warning the fitted keys' dtype; oddseq.dask kept the
    # old words (H5's s24 review, LOW 5).
    shop = make_ecommerce(n_users=300, random_state=231).events
    cut = shop["timestamp"].quantile(0.5)
    normal, later = shop[shop["timestamp"] < cut], shop[shop["timestamp"] >= cut]
    normal = normal.assign(item_id=normal["item_id"].astype(str))
    later = later.assign(category_id=np.nan)
    _, _, single, _, said = _both(
        later,
        ("no known category",),
        npartitions=2,
        normal=normal,
        item="item_id",
        category="category_id",
    )
    assert len(single) == 1 and "as str where these items are int64" in single[0]
    assert said == single


def test_a_partition_of_whole_minutes_in_a_log_of_seconds_is_judged_too(shop, monkeypatch):
    # A partition whose times are all whole minutes does not count its entities' repeats
    # (every event shares a time: seconds of CPU on 10 M events) unless the log's times
    # are finer; here they are (the other users' seconds), and one machine names the
    # entity ingested twice among the users of whole minutes. Sync scheduler: the late
    # count is seen.
    from oddseq.dask import _pipeline

    users = np.sort(shop["user_id"].unique())
    low = shop["user_id"] <= users[len(users) * 2 // 5]
    log = shop.assign(timestamp=shop["timestamp"].where(~low, shop["timestamp"] // 60 * 60))
    sizes = log[low].groupby("user_id").size()
    log = _twice(log, sizes[sizes >= 40].index[:1])
    late = []
    judged = _pipeline._unjudged_entities
    monkeypatch.setattr(
        _pipeline, "_unjudged_entities", lambda state: late.append(judged(state)) or late[-1]
    )
    with dask.config.set(scheduler="sync"):
        _, _, single, framed, said = _both(log, npartitions=2, shuffled=4, item="item_id")
    assert len(single) == 1 and single[0].startswith("1 entity has more than 20%")
    assert said == framed == single
    assert any(found is not None for found in late)


@pytest.mark.parametrize("new_ids", [False, True])
def test_the_key_hint_matches_only_keys_with_a_category(new_ids):
    # detect_anomalies(normal=) keys the categories of normal and of the log scored: a
    # log without categories put its own items (no category) among the keys, and the
    # hint matched every item with itself: "1,535 of those without one match a key as
    # text ... astype('str')" where 1,243 are normal's items, and where none is.
    shop = make_ecommerce(n_users=300, random_state=231).events
    cut = shop["timestamp"].quantile(0.5)
    normal, later = shop[shop["timestamp"] < cut], shop[shop["timestamp"] >= cut]
    normal = normal.assign(item_id=normal["item_id"].astype(str))
    later = later.assign(category_id=np.nan, item_id=later["item_id"] + new_ids * 10**7)
    shared = len(set(normal["item_id"]) & set(later["item_id"].astype(str)))
    with warnings.catch_warnings():
        # (the same users the week before: said, and not this test's concern)
        warnings.filterwarnings("ignore", message=".* entities of the normal log too")
        with pytest.warns(UserWarning, match="no known category") as caught:
            oddseq.detect_anomalies(
                later,
                crowds=False,
                **COLUMNS,
                item="item_id",
                category="category_id",
                normal=normal,
            )
    said = " ".join(str(w.message) for w in caught)
    if new_ids:
        assert shared == 0 and "The fitted categories key" not in said
    else:
        assert f"({shared:,} of those without one match a key as text)" in said
