"""oddseq.dask warns about the log once, on the client, in one machine's words and with
its totals: rows dropped with dropna (summed over the partitions, entity ids dropped
before the shuffle included) and a time unit that puts every time decades away. The
partitions collect the facts; no warning filter is swapped in the workers' threads."""

import warnings

import numpy as np
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def shop():
    log = make_ecommerce(n_users=200, random_state=11).events.copy()
    log["behavior"] = log["behavior"].astype(str)
    return log


def _gappy(shop):
    log = shop.copy()
    log["user_id"] = log["user_id"].astype("float64")
    log["timestamp"] = log["timestamp"].astype("float64")
    log.loc[log.index[::53], "user_id"] = np.nan
    log.loc[log.index[::71], "behavior"] = None  # row 0 misses its user too
    log.loc[log.index[5::89], "timestamp"] = np.nan
    return log


def _about_the_log(caught):
    said = [str(w.message) for w in caught]
    return [m for m in said if m.startswith("dropped ") or " read with time_unit=" in m]


def _single(log, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **COLUMNS, groups=False, **options)
    return _about_the_log(caught)


def _dask(log, scheduler="sync", **options):
    with dask.config.set(scheduler=scheduler), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(dd.from_pandas(log, npartitions=4), **COLUMNS, npartitions=3, **options)
    return _about_the_log(caught)


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_rows_dropped_warn_once_with_the_single_machines_words_and_totals(shop, scheduler):
    log = _gappy(shop)
    single = _single(log, dropna=True)
    n_dropped = int(log[["user_id", "behavior", "timestamp"]].isna().any(axis=1).sum())
    assert len(single) == 1 and single[0].startswith(f"dropped {n_dropped:,} of {len(log):,} rows")
    assert _dask(log, scheduler, dropna=True) == single


def test_a_time_unit_decades_away_warns_once_as_on_one_machine(shop):
    single = _single(shop, time_unit="ms")
    assert len(single) == 1 and "time_unit='ms'" in single[0] and "1970" in single[0]
    assert _dask(shop, time_unit="ms") == single


def test_both_warnings_together_and_none_on_a_clean_log(shop):
    log = _gappy(shop)
    single = _single(log, dropna=True, time_unit="ms")
    assert len(single) == 2
    assert sorted(_dask(log, "threads", dropna=True, time_unit="ms")) == sorted(single)
    assert _dask(shop) == [] == _single(shop)
