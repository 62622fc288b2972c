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


@pytest.mark.parametrize("dtype", ["float64", "Int64"])
def test_random_gaps_are_said_with_the_fix(dtype):
    log = _log()
    if dtype == "Int64":  # (the trial's: a nullable integer column refuses a x.5 median)
        log["price"] = log["price"].round().astype("Int64")
    log.loc[log.sample(frac=0.02, random_state=1).index, "price"] = np.nan
    (text,) = _said(log)
    n = int(log["price"].isna().sum())
    assert text.startswith(f"{n:,} events of ")
    assert "('view', 'cart', 'buy')" in text
    fix = (
        "df['price'] = df['price'].astype('float64').fillna("
        "df.groupby('event')['price'].transform('median'))"
    )
    assert fix in text
    df = log
    exec(fix)  # the fix it prints, as printed: no word after it
    assert df["price"].notna().all() and _said(df) == []


def test_a_type_without_values_is_no_gap_however_much_of_the_log():
    log = _log()
    log.loc[log["event"] == "view", "price"] = np.nan  # views (70%) carry no price
    assert _said(log) == []
    log = _log()
    log.loc[log["event"] == "buy", "price"] = np.nan  # buys (10%) carry none
    assert _said(log) == []
    # ... and gaps among the others are said beside it (review RV2 s43 M2)
    log = _log()
    log.loc[log["event"] == "view", "price"] = np.nan
    others = log.index[log["event"] != "view"]
    log.loc[others[::25], "price"] = np.nan
    (text,) = _said(log)
    assert text.startswith(f"{len(others[::25]):,} events of ") and "'view'" not in text


def test_a_few_gaps_are_not_said():
    log = _log()
    log.loc[log.index[:10], "price"] = np.nan  # ten gaps: too few to say
    assert _said(log) == []


@pytest.mark.filterwarnings("ignore:the flagged sessions belong to")
def test_sessions_are_said_as_sessions():
    log = _log()
    log.loc[log.sample(frac=0.05, random_state=2).index, "price"] = np.nan
    with pytest.warns(DataWarning, match=r"\d+ events of [\d,]+ sessions have no value"):
        oddseq.detect_anomalies(log, **ROLES, session_gap="30min")


def test_an_item_without_a_value_anywhere_is_no_gap():
    # TR s49 L3: a travel log's searches of a city carry no price where its searches of a
    # flight do; every call warned, with nothing the analyst could do but silence it
    log = _log()
    rng = np.random.default_rng(3)
    log["item"] = np.where(
        rng.random(len(log)) < 0.05,
        "city:" + pd.Series(rng.integers(0, 40, len(log))).astype(str),
        "flight:" + pd.Series(rng.integers(0, 400, len(log))).astype(str),
    )
    log.loc[log["item"].str.startswith("city:"), "price"] = np.nan
    roles = {**ROLES, "item": "item"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **roles)
    assert not [w for w in caught if SAID in str(w.message)]
    # ... the export's gaps on the priced items are still said, the cities not counted
    gaps = log.index[log["item"].str.startswith("flight:")][::40]
    log.loc[gaps, "price"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **roles)
    (text,) = [str(w.message) for w in caught if SAID in str(w.message)]
    assert text.startswith(f"{len(gaps):,} events of ")
    # a type with no value on most events is still no gap where items are read: values
    # on purchases only, views of the priced items without one (no "gaps" of views)
    fresh = _log()
    only = fresh.assign(item=log["item"], price=fresh["price"].where(fresh["event"] == "buy"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(only, **roles)
    assert not [w for w in caught if SAID in str(w.message)]
    # without item=, the same cities are gaps of their types (nothing says they are free)
    assert len(_said(log)) == 1


def test_the_exports_gaps_are_said_where_the_items_own_are_most_of_a_type():
    # review RV s52 M4: 60% of the views on city items with no price anywhere, and gaps
    # of the export on 1 in 25 of the priced views: the type is read over its priced
    # events, and the gaps are said
    rng = np.random.default_rng(5)
    log = _log()
    views = log.index[log["event"] == "view"]
    city = rng.random(len(views)) < 0.6
    log["item"] = "flight:" + pd.Series(rng.integers(0, 300, len(log))).astype(str)
    log.loc[views[city], "item"] = (
        "city:" + pd.Series(rng.integers(0, 30, city.sum())).astype(str).to_numpy()
    )
    log.loc[views[city], "price"] = np.nan
    gaps = views[~city][::25]
    log.loc[gaps, "price"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, **{**ROLES, "item": "item"})
    (text,) = [str(w.message) for w in caught if SAID in str(w.message)]
    assert text.startswith(f"{len(gaps):,} events of ")
