"""normal= on another stretch of the same accounts is said (TR s48 M10, TR s47 L11, TR s46
M5: fitted on the week before, each trial's recurring abusers read as normal, 0 of 25
arbitrage bots, and nothing said; 81% of the accounts scored were in the normal week)."""

import warnings

import pytest

import oddseq
from oddseq.datasets import make_ecommerce

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
SAID = "entities of the normal log too"


@pytest.fixture(scope="module")
def halves():
    log = make_ecommerce(n_users=300, random_state=1).events
    t = log["timestamp"]
    return log[t < t.quantile(0.5)], log[t >= t.quantile(0.5)]


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in caught if SAID in str(w.message)]


def test_the_week_before_is_said(halves):
    normal, scored = halves
    said = _said(lambda: oddseq.detect_anomalies(scored, **ROLES, normal=normal))
    n = scored["user_id"].nunique()
    shared = scored["user_id"].drop_duplicates().isin(normal["user_id"]).sum()
    assert len(said) == 1
    assert said[0].startswith(f"{shared:,} of the {n:,} entities scored ({shared / n:.0%}) are")
    assert "a vetted list of known-good accounts" in said[0]


def test_a_vetted_list_is_not(halves):
    normal, scored = halves
    users = scored["user_id"].drop_duplicates()
    vetted = users.iloc[::2]
    log = oddseq.datasets.make_ecommerce(n_users=300, random_state=1).events
    fit, judge = log[log["user_id"].isin(vetted)], log[~log["user_id"].isin(vetted)]
    assert _said(lambda: oddseq.detect_anomalies(judge, **ROLES, normal=fit)) == []


def test_dask_says_it_too(halves):
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    from oddseq.dask import detect_anomalies

    normal, scored = halves
    one = _said(lambda: oddseq.detect_anomalies(scored, **ROLES, normal=normal))
    parts = dd.from_pandas(scored, npartitions=3)
    normal_parts = dd.from_pandas(normal, npartitions=2)
    many = _said(lambda: detect_anomalies(parts, **ROLES, normal=normal_parts).compute())
    assert many == one
