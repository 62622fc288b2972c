"""A side table's date column is refused with a number of days to give instead; the
advised line ran only on dates without a zone (review RV s34 L4: on a tz-aware column,
``(day - side['signup']).dt.days`` with a plain ``pd.Timestamp`` raised "Cannot subtract
tz-naive and tz-aware"). The line now gives ``day`` the column's zone, which runs on
both. Seed 797."""

import re

import numpy as np
import pandas as pd
import pytest

from oddseq import detect_anomalies
from oddseq.datasets import make_ecommerce

ROLES = dict(entity="user_id", event="behavior", time="timestamp", groups=False)


@pytest.fixture(scope="module")
def log():
    return make_ecommerce(n_users=80, n_days=2, random_state=797).events


@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Shanghai"])
def test_the_advised_days_run_on_dates_with_a_zone_or_without(log, tz):
    users = log["user_id"].unique()
    signup = pd.Timestamp("2017-01-01", tz=tz) + pd.to_timedelta(np.arange(users.size), "h")
    side = pd.DataFrame({"user_id": users, "signup": signup})
    with pytest.raises(TypeError) as refused:
        detect_anomalies(log, entity_features=side, **ROLES)
    message = str(refused.value)
    day_line = re.search(r"(day = pd\.Timestamp\(.+?\.dt\.tz\))", message)
    days_line = re.search(r"(\(day - side\['signup'\]\)\.dt\.days)", message)
    assert day_line and days_line, message
    names = {"side": side, "pd": pd}
    exec(day_line.group(1), names)  # the lines as the message gives them
    days = eval(days_line.group(1), names)
    assert days.dtype.kind == "i" and days.iloc[0] > days.iloc[-1] >= 0
    fixed = side.assign(signup=days).set_index("user_id")
    detect_anomalies(log, entity_features=fixed, contamination=0.1, **ROLES)  # accepted
