"""A time column empty on many rows is asked about in the refusal (TR s62 L1).

A betting export's ``stake`` (money on the bets, deposits and withdrawals, empty on the
logins) given as ``time=`` was refused for its missing values with ``dropna=True`` as the
fix, and with it scored the stakes as seconds of 1970. The refusal now also asks whether
the column is the time, where it has none on a tenth of the rows or more.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import MissingValuesError

ASKED = "has no time on"


def _log(share_missing):
    rng = np.random.default_rng(0)
    n = 300
    log = pd.DataFrame(
        {"u": np.repeat(np.arange(50), 6), "e": rng.choice(["bet", "login"], n), "t": np.arange(n)}
    )
    log["stake"] = rng.gamma(2, 10, n)
    log.loc[rng.random(n) < share_missing, "stake"] = np.nan
    log["t"] = log["t"].astype("float64")
    log.loc[: int(n * 0.02), "t"] = np.nan  # a few gaps in the real clock
    return log


def test_a_mostly_empty_time_column_is_asked_about():
    with pytest.raises(MissingValuesError) as refused:
        oddseq.detect_anomalies(_log(0.5), entity="u", event="e", time="stake")
    text = str(refused.value)
    assert text.startswith("missing values: ")
    assert "dropna=True" in text
    assert "'stake' has no time on " in text and "(time=, --time)?" in text


def test_a_clock_with_a_few_gaps_is_not():
    with pytest.raises(MissingValuesError) as refused:
        oddseq.detect_anomalies(_log(0.5), entity="u", event="e", time="t")
    assert ASKED not in str(refused.value)


def test_dask_asks_alike():
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import oddseq.dask

    log = _log(0.5)
    with pytest.raises(MissingValuesError) as one:
        oddseq.detect_anomalies(log, entity="u", event="e", time="stake")
    with dask.config.set(scheduler="sync"), pytest.raises(MissingValuesError) as parts:
        oddseq.dask.detect_anomalies(
            dd.from_pandas(log, npartitions=3), entity="u", event="e", time="stake"
        )
    assert str(parts.value) == str(one.value)


def test_dropping_those_rows_says_it_too():
    from oddseq.exceptions import DataWarning

    log = _log(0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, entity="u", event="e", time="stake", dropna=True)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    dropped = [m for m in said if m.startswith("dropped ")]
    assert len(dropped) == 1 and "'stake' has no time on " in dropped[0], said


def test_nothing_left_says_it_too():
    log = _log(0.0)
    log["stake"] = np.nan
    with pytest.raises(MissingValuesError) as refused:
        oddseq.detect_anomalies(log, entity="u", event="e", time="stake", dropna=True)
    text = str(refused.value)
    assert "nothing left" in text and "'stake' has no time on 100% of the rows" in text


def test_dask_drops_and_asks_alike():
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    import oddseq.dask
    from oddseq.exceptions import DataWarning

    log = _log(0.5)

    def dropped(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]

    one = dropped(
        lambda: oddseq.detect_anomalies(log, entity="u", event="e", time="stake", dropna=True)
    )
    with dask.config.set(scheduler="sync"):
        parts = dropped(
            lambda: oddseq.dask.detect_anomalies(
                dd.from_pandas(log, npartitions=3), entity="u", event="e", time="stake", dropna=True
            ).compute()
        )
    ask = [m for m in one if m.startswith("dropped ")]
    assert ask and ask == [m for m in parts if m.startswith("dropped ")]
