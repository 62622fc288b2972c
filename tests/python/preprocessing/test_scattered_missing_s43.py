"""Gaps in the value column are said (trial s43b M3: 1-5% of a web log's byte counts
blanked at random turned into a feature, "share of events without a value", that flagged
normal visitors, without a word); a type that never has a value (views without a price)
is no gap."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import DataWarning

ROLES = dict(entity="user", event="event", time="ts", value="price", groups=False)
SAID = "have no value though most events of their type have one"


def _log(seed=0, n=20_000):
    rng = np.random.default_rng(seed)
    event = rng.choice(["view", "cart", "buy"], n, p=[0.7, 0.2, 0.1])
    return pd.DataFrame(
        {
            "user": rng.integers(0, 800, n),
            "event": event,
            "ts": np.sort(rng.integers(0, 7 * 86_400, n)),
            "price": rng.gamma(2.0, 20.0, n),
        }
    )


def _said(log) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **ROLES)
    return [str(w.message) for w in caught if SAID in str(w.message)]


def test_random_gaps_are_said_with_the_fix():
    log = _log()
    log.loc[log.sample(frac=0.02, random_state=1).index, "price"] = np.nan
    (text,) = _said(log)
    n = int(log["price"].isna().sum())
    assert text.startswith(f"{n:,} events of ")
    assert "('view', 'cart', 'buy')" in text
    assert "df[value].fillna(df.groupby(event)[value].transform('median'))" in text
    # the fix it names, with the log's names: no word
    log["price"] = log["price"].fillna(log.groupby("event")["price"].transform("median"))
    assert _said(log) == []


def test_a_type_without_values_and_a_few_gaps_are_not():
    log = _log()
    log.loc[log["event"] == "view", "price"] = np.nan  # views carry no price
    assert _said(log) == []
    log = _log()
    log.loc[log.index[:10], "price"] = np.nan  # ten gaps: too few to say
    assert _said(log) == []


def test_the_warning_is_a_data_warning():
    log = _log()
    log.loc[log.sample(frac=0.05, random_state=2).index, "price"] = np.nan
    with pytest.warns(DataWarning, match=SAID):
        oddseq.detect_anomalies(log, **ROLES)
