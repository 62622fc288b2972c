"""A log where every entity is the same: the warning that nothing can be told apart is
said once, the small-population note (beside the point there) is not, and no reason
leads with count[<other>] when that column pools nothing (H2's fifteenth-session
finding 11)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq


@pytest.fixture(scope="module")
def same():
    return pd.DataFrame(
        {
            "user_id": np.repeat(np.arange(50), 5),
            "behavior": np.tile(["pv", "pv", "cart", "pv", "buy"], 50),
            "timestamp": np.tile(np.arange(5) * 60, 50) + 1_600_000_000,
        }
    )


def _detect(df, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = oddseq.detect_anomalies(
            df, entity="user_id", event="behavior", time="timestamp", **kw
        )
    return table, [str(w.message) for w in caught]


@pytest.mark.parametrize("method", ["auto", "ecod", "iforest"])
def test_every_score_equal_is_said_once(same, method):
    table, said = _detect(same, method=method)
    assert not table["is_anomaly"].any()
    assert sum(s.startswith("every score is the same") for s in said) == 1, said
    assert not any(s.startswith("only 50 sequences") for s in said), said


def test_no_reason_leads_with_an_empty_pool(same):
    table, _ = _detect(same.assign(behavior="pv"))
    assert not table["reason"].str.contains("count[<other>]", regex=False).any(), table[
        "reason"
    ].iloc[0]


def test_the_small_population_note_stays_where_scores_differ():
    from oddseq.datasets import make_ecommerce

    log = make_ecommerce(n_users=40, random_state=1).events
    _, said = _detect(log)
    assert any(s.startswith("only 40 sequences") for s in said), said
