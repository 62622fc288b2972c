"""Three misuse cases of a delivery app's analyst that fell below the others (TR s68 L3):
``min_events="5"`` was compared with 1 by the log's warnings (a bare TypeError naming no
argument), ``group_by=`` the entity column reached pandas ("Grouper for 'user_id' not
1-dimensional"), and ``n_clusters=100000`` on 400 entities was taken without a word."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import DataWarning

ROLES = dict(entity="user_id", event="event", time="ts")


def _log(n_users=400, seed=0):
    rng = np.random.default_rng(seed)
    n = 20 * n_users
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, n_users, n),
            "event": rng.choice(["view", "cart", "pay"], n),
            "ts": rng.uniform(0, 1e6, n),
            "device_id": rng.integers(0, 2 * n_users, n),
        }
    )


@pytest.mark.parametrize("given", ["5", 2.5, None, True])
def test_min_events_not_an_integer_names_the_argument(given):
    with pytest.raises(TypeError, match=r"min_events must be an integer >= 1 .*got"):
        oddseq.detect_anomalies(_log(), **ROLES, min_events=given)


def test_min_events_below_one_names_the_argument():
    with pytest.raises(ValueError, match=r"min_events must be an integer >= 1 .*got 0"):
        oddseq.detect_anomalies(_log(), **ROLES, min_events=0)


@pytest.mark.parametrize("group_by", ["user_id", ["device_id", "user_id"], ("user_id",)])
def test_group_by_the_entity_column_is_refused_with_the_fix(group_by):
    log = _log()
    with pytest.raises(ValueError, match=r"group_by names the entity column 'user_id'.*without it"):
        oddseq.detect_anomalies(log, **ROLES, group_by=group_by)
    # (the fix it names works)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(log, **ROLES, group_by=["device_id"])
    assert len(table) == log["user_id"].nunique()


def test_more_clusters_than_entities_is_said():
    log = _log()
    with pytest.warns(DataWarning, match=r"n_clusters=100,000 is more than the 400 entities"):
        with_many = oddseq.detect_anomalies(log, **ROLES, n_clusters=100_000)
    assert with_many["score"].notna().all()


@pytest.mark.parametrize("kw", [dict(n_clusters=50), dict(n_clusters=100_000, method="iforest")])
def test_clusters_under_the_entities_or_unused_say_nothing(kw):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="n_clusters", category=DataWarning)
        oddseq.detect_anomalies(_log(), **ROLES, **kw)


def test_the_default_on_a_few_entities_says_nothing():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="n_clusters", category=DataWarning)
        warnings.filterwarnings("ignore", category=UserWarning)
        oddseq.detect_anomalies(_log(n_users=5), **ROLES)


@pytest.mark.parametrize("given, hint", [(5, "contamination=0.05"), (12.5, "contamination=0.125")])
def test_a_percent_given_as_the_share_is_read_back(given, hint):
    # (TR s69 L3: "must be in (0, 0.5]" alone where 5 meant 5%)
    with pytest.raises(ValueError, match=rf"got {given}; for {given:g}% pass {hint}"):
        oddseq.detect_anomalies(_log(), **ROLES, contamination=given)


@pytest.mark.parametrize("given", [0.7, 80])
def test_a_share_that_is_no_percent_gets_no_guess(given):
    with pytest.raises(ValueError, match=r"must be in \(0, 0.5\]") as caught:
        oddseq.detect_anomalies(_log(), **ROLES, contamination=given)
    assert "pass contamination=" not in str(caught.value)


def test_a_numpy_matrix_is_told_how_to_name_its_columns():
    with pytest.raises(TypeError, match=r"numpy ndarray of shape \(10, 3\); name its columns: "):
        oddseq.detect_anomalies(np.zeros((10, 3)), **ROLES)
