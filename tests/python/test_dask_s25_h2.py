"""oddseq.dask gives scoring's words on items of another dtype than the fitted category
keys (dabf1ff), as one machine does (H5's s24 review, LOW 5). On the session's
LocalCluster of two worker processes (the ``client`` fixture: a client opened for this
module, closed after it)."""

import warnings

import numpy as np
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


def _said(caught, words):
    return [str(w.message) for w in caught if any(word in str(w.message) for word in words)]


def _both(log, words=REPEATS, npartitions=3, normal=None, shuffled=None, **options):
    """One machine's and oddseq.dask's tables, their warnings holding one of ``words``,
    and one machine's warnings of the sequences checked without the frame (``df=None``).
    ``shuffled``: oddseq.dask's partitions after the shuffle (its default where None)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        one = oddseq.detect_anomalies(log, **COLUMNS, normal=normal, **options)
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
