"""oddseq.dask after dropna: entity ids read as float only because some were missing
come back as integers, as on one machine (Sequences.from_events, a493467), and so do
whole float ids without gaps (HC s33 #7); ids that are not all whole numbers are left
alone there too."""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


def _gappy_log():
    log = make_ecommerce(n_users=200, random_state=7).events.copy()
    log["behavior"] = log["behavior"].astype(str)
    log["user_id"] = log["user_id"].astype("float64")
    log.loc[log.index[::53], "user_id"] = np.nan
    return log


def _both(log):
    single = oddseq.detect_anomalies(log, **COLUMNS, groups=False, dropna=True)
    with dask.config.set(scheduler="sync"):
        many = detect_anomalies(dd.from_pandas(log, npartitions=3), **COLUMNS, dropna=True)
        many = many.compute()
    return single, many


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_ids_after_dropna_are_the_single_machines():
    log = _gappy_log()
    single, many = _both(log)
    assert single.index.dtype == np.int64
    assert many.index.dtype == single.index.dtype
    assert sorted(many.index.tolist()) == sorted(single.index.tolist())
    # Cleaned in pandas first (ddf.dropna()), the same integer ids, on both (HC s33 #7).
    single, many = _both(log.dropna(subset=["user_id"]))
    assert single.index.dtype == many.index.dtype == np.int64
    # Ids that are not all whole numbers stay float, on both.
    odd = log.copy()
    odd.loc[odd.index[1], "user_id"] = 0.5
    single, many = _both(odd)
    assert single.index.dtype == many.index.dtype == np.float64


def test_rows_without_a_time_or_event_dropped_as_on_one_machine():
    """dropna=True drops rows missing the time or the event (not only the id) in each
    partition: the same table as one machine, bit for bit, and the same DataWarning
    counting what was dropped per column."""
    import warnings

    import pandas as pd

    log = make_ecommerce(n_users=200, random_state=241).events.copy()
    log["behavior"] = log["behavior"].astype(str)
    log["timestamp"] = log["timestamp"].astype("float64")
    log.loc[log.index[::41], "timestamp"] = np.nan
    log.loc[log.index[5::67], "behavior"] = None
    with warnings.catch_warnings(record=True) as one:
        warnings.simplefilter("always")
        single = oddseq.detect_anomalies(log, **COLUMNS, groups=False, dropna=True)
    with warnings.catch_warnings(record=True) as many_warned, dask.config.set(scheduler="sync"):
        warnings.simplefilter("always")
        many = detect_anomalies(dd.from_pandas(log, npartitions=3), **COLUMNS, dropna=True)
        many = many.compute().sort_values("rank")
    dropped = [str(w.message) for w in one if "missing" in str(w.message)]
    assert dropped and dropped == [
        str(w.message) for w in many_warned if "missing" in str(w.message)
    ]
    assert f"{len(log.index[::41]):,}" in dropped[0]
    assert many.index.equals(single.index)
    np.testing.assert_array_equal(many["score"], single["score"])
    np.testing.assert_array_equal(many["is_anomaly"], single["is_anomaly"])
    assert (many["reason"] == single["reason"]).all()
    pd.testing.assert_index_equal(many.columns, single.columns)
