"""oddseq.dask says a value column with no value on any event as one machine does (review
RV s62 L6): one DataWarning on the client, in one machine's words and with the whole log's
count of events, from each partition's count of events with a value; a column with
values in some partitions only is not said."""

import warnings

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")

import oddseq  # noqa: E402
from oddseq.dask import detect_anomalies  # noqa: E402
from oddseq.exceptions import DataWarning  # noqa: E402

ROLES = dict(entity="account", event="event", time="time", value="stake")


def _log(stake):
    rng = np.random.default_rng(3)
    n = 600
    return pd.DataFrame(
        {
            "account": np.repeat(np.arange(120), 5),
            "event": rng.choice(["bet", "deposit", "login"], n),
            "time": np.arange(n) * 60,
            "stake": stake(n),
        }
    )


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _on_any(said):
    return [m for m in said if "no value on any" in m]


def _dask(log):
    with dask.config.set(scheduler="sync"):
        return _said(
            lambda: detect_anomalies(
                dd.from_pandas(log, npartitions=4), **ROLES, groups=False, npartitions=3
            )
        )


def test_an_empty_value_column_is_said_as_one_machine_says_it():
    log = _log(lambda n: np.full(n, np.nan))
    one = _on_any(_said(lambda: oddseq.detect_anomalies(log, **ROLES, groups=False)))
    assert len(one) == 1 and one[0].startswith("value='stake' has no value on any of the 600")
    assert _on_any(_dask(log)) == one


def test_values_in_one_partition_only_are_not_said():
    def stake(n):
        out = np.full(n, np.nan)
        out[:40] = 25.0  # the first accounts' rows: one partition holds them
        return out

    log = _log(stake)
    assert not _on_any(_said(lambda: oddseq.detect_anomalies(log, **ROLES, groups=False)))
    assert not _on_any(_dask(log))


def test_no_value_column_is_not_said():
    log = _log(lambda n: np.full(n, np.nan)).drop(columns="stake")
    roles = {k: v for k, v in ROLES.items() if k != "value"}
    with dask.config.set(scheduler="sync"):
        said = _said(lambda: detect_anomalies(dd.from_pandas(log, npartitions=2), **roles))
    assert not _on_any(said)
