"""oddseq.dask's warning of events outside the log's main time window says the same
window as one machine whatever the partitions (review RV s35 M3: "the rest from .. to .."
was taken from the partitions that hold strays alone: 2 partitions said 16:10 where one
machine said 2017-11-24 16:01)."""

import warnings

import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402

COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", groups=False)


def _said(caught):
    return [str(w.message) for w in caught if "main time window" in str(w.message)]


@pytest.fixture(scope="module")
def strayed():
    """A two-day shop log whose last user's events all lie a week early: the strays sit
    in the last partition, whose events inside the window do not span the log's."""
    log = oddseq.datasets.make_ecommerce(n_users=300, n_days=2, random_state=826).events
    log = log.sort_values("user_id").reset_index(drop=True)
    log.loc[log["user_id"] == log["user_id"].max(), "timestamp"] -= 7 * 86_400
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **COLUMNS)
    return log, _said(caught)


@pytest.mark.parametrize("npartitions", [2, 7])
def test_the_window_is_the_whole_logs_whatever_the_partitions(strayed, npartitions):
    log, single = strayed
    assert len(single) == 1
    with dask.config.set(scheduler="sync"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detect_anomalies(
            dd.from_pandas(log, npartitions=4), **COLUMNS, npartitions=npartitions
        ).compute()
    assert _said(caught) == single
