"""A side table (``entity_features=``) whose key repeats, or whose columns are dates or
text, is refused with a fix that works on that table (NA's s34 trial: a key column's
repeats were said to be "in its index", and the advised ``groupby(level=0).last()``
left a table keyed by a column unchanged, refused again)."""

import re

import numpy as np
import pandas as pd
import pytest

from oddseq import AnomalyPipeline, detect_anomalies
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=300, random_state=761).events


def _side(log):
    users = log["user_id"].unique()
    return pd.DataFrame({"user_id": users, "account_age_days": np.arange(users.size) + 1.0})


def _fix_from(message: str) -> str:
    """The pandas expression the message advises, as written after 'e.g. '."""
    return re.search(r"e\.g\. (.+?) \(the last row", message).group(1)


def test_repeated_ids_in_a_key_column_name_the_column_and_a_fix_that_works(log):
    side = _side(log)
    repeated = pd.concat([side, side.head(3).assign(account_age_days=-1.0)], ignore_index=True)
    with pytest.raises(ValueError) as refused:
        detect_anomalies(log, entity_features=repeated, groups=False, **ROLES)
    message = str(refused.value)
    assert "column 'user_id'" in message and "index" not in message
    assert "3 ids" in message
    fixed = eval(_fix_from(message), {"side": repeated, "pd": pd})  # the advised line
    assert fixed["user_id"].is_unique and len(fixed) == len(side)
    # the last row of each id is kept, as the message says
    assert (fixed.set_index("user_id").loc[side["user_id"][:3], "account_age_days"] == -1).all()
    detect_anomalies(log, entity_features=fixed, groups=False, **ROLES)  # accepted


def test_repeated_ids_in_the_index_keep_the_index_fix(log):
    side = _side(log).set_index("user_id")
    repeated = pd.concat([side, side.head(2)])
    seqs = Sequences.from_events(log, **ROLES)
    with pytest.raises(ValueError, match=r"repeated entity ids in its index \(2 ids") as refused:
        AnomalyPipeline(entity_features=repeated).fit(seqs)
    fixed = eval(_fix_from(str(refused.value)), {"side": repeated, "pd": pd})
    assert fixed.index.is_unique and len(fixed) == len(side)
    AnomalyPipeline(method="pca", entity_features=fixed).fit(seqs)


def test_a_date_column_is_refused_advising_a_number_of_days(log):
    side = _side(log).assign(
        signup=pd.Timestamp("2017-01-01") + pd.to_timedelta(np.arange(len(_side(log))), "D"),
        country="CN",
    )
    with pytest.raises(TypeError) as refused:
        detect_anomalies(log, entity_features=side, groups=False, **ROLES)
    message = str(refused.value)
    assert "['signup']" in message and ".dt.days" in message
    assert "['country']" in message and "pd.get_dummies" in message


def test_a_duration_column_is_advised_seconds_which_keep_sub_day_spans(log):
    # RV s34 M4: .dt.days made every session length under a day 0, accepted with no word.
    side = _side(log)
    side["avg_session"] = pd.to_timedelta(30 + np.arange(len(side)) * 7, "s")
    with pytest.raises(TypeError) as refused:
        detect_anomalies(log, entity_features=side, groups=False, **ROLES)
    message = str(refused.value)
    fix = re.search(r"durations: (side\['avg_session'\]\.dt\.\w+\(\))", message)
    assert fix, message
    side["avg_session"] = eval(fix.group(1), {"side": side})
    assert side["avg_session"].nunique() == len(side)
    detect_anomalies(log, entity_features=side, groups=False, **ROLES)  # accepted


def test_a_text_key_under_another_name_is_advised_as_the_key(log):
    # RV s34 M5: pd.get_dummies on the ids gave a column per entity and no key.
    side = _side(log).rename(columns={"user_id": "customer"})
    side["customer"] = side["customer"].astype(str)
    log = log.assign(user_id=log["user_id"].astype(str))
    with pytest.raises(TypeError) as refused:
        detect_anomalies(log, entity_features=side, groups=False, **ROLES)
    message = str(refused.value)
    assert "side.set_index('customer')" in message and "get_dummies" not in message, message
    detect_anomalies(
        log, entity_features=side.set_index("customer"), groups=False, **ROLES
    )  # accepted
