"""oddseq.dask on dask's threaded scheduler (no distributed Client): the partitions are
built concurrently in threads, so nothing that runs there may swap the process-wide
warning filters (``warnings.catch_warnings`` is not thread-safe: interleaved, one
thread's 'ignore' filter can be left behind for the rest of the session)."""

import warnings

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.datasets import make_ecommerce  # noqa: E402


def _log():
    """A shop log with text dates and rows without a user (dropna), in many rows."""
    log = make_ecommerce(n_users=240, random_state=5).events.copy()
    log["behavior"] = log["behavior"].astype(str)
    log["timestamp"] = pd.to_datetime(log["timestamp"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")
    log["user_id"] = log["user_id"].astype("float64")
    log.loc[log.index[::97], "user_id"] = np.nan
    return log


def test_threaded_partitions_leave_the_warning_filters_alone():
    log = _log()
    columns = dict(entity="user_id", event="behavior", time="timestamp")
    n_without = int(log["user_id"].isna().sum())
    before = list(warnings.filters)
    with dask.config.set(scheduler="threads", num_workers=8):
        for _ in range(4):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                table = detect_anomalies(
                    dd.from_pandas(log, npartitions=8), **columns, dropna=True, npartitions=8
                )
                # No per-partition warning of the log checks (dropped rows): the
                # client's one, with the whole log's totals; none lost.
                dropped = [str(w.message) for w in caught if "dropped" in str(w.message)]
                assert dropped == [
                    f"dropped {n_without:,} of {len(log):,} rows with missing values "
                    f"({n_without:,} in 'user_id')"
                ]
                warnings.warn("seen after the call", UserWarning, stacklevel=1)
            assert any("seen after the call" in str(w.message) for w in caught)
            assert list(warnings.filters) == before
    assert len(table.compute()) > 200


def test_threaded_scheduler_keeps_the_clients_warning():
    """The client's own warning (a side table missing most scored entities) is still
    given once on the threaded scheduler (it was lost when a partition's filter was
    left behind)."""
    data = make_ecommerce(n_users=200, random_state=5)
    log = data.events.copy()
    log["timestamp"] = pd.to_datetime(log["timestamp"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")
    normal_users = data.labels.index[data.labels == 0][:60]
    side = pd.DataFrame({"age": np.arange(len(normal_users), dtype=float)}, index=normal_users)
    columns = dict(entity="user_id", event="behavior", time="timestamp")
    normal = log[log.user_id.isin(normal_users)]
    with dask.config.set(scheduler="threads", num_workers=8):
        for _ in range(3):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                detect_anomalies(
                    dd.from_pandas(log, npartitions=6),
                    **columns,
                    normal=normal,
                    entity_features=side,
                    npartitions=6,
                )
            said = [w for w in caught if "entity_features has rows for" in str(w.message)]
            assert len(said) == 1
