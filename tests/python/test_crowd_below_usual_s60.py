"""A crowd below its item's usual marks nothing and is no reason (TR s60 L2): a phone
upgrader's reason read "crowd on one item in an hour, times the item's usual 0.308
(typical 1.5)". ``crowd_peak`` is the mark of stuffing and rings above its typical value
only; below it, the entity's busiest hour on an item was quieter than usual. On
make_ecommerce (3 logs of 3,000 users, item= and value=) 979 reasons said such a crowd
before, none after."""

import re
import warnings

import numpy as np
import pytest

import oddseq
from oddseq._reasons import _below_a_mark
from oddseq.datasets import make_ecommerce

CROWD = re.compile(
    r"crowd on one item in an hour, times the item's usual ([0-9.]+) \(typical ([0-9.]+)"
)


class _Named:
    feature_names_ = np.array(["count[pv]", "crowd_peak", "gap_mean_s"], dtype=object)


def test_only_a_crowd_below_its_typical_value_is_left_out():
    cols = np.array([0, 1, 1, 2])
    value = np.array([1.0, 0.3, 4.0, 1.0])
    typical = np.array([5.0, 1.5, 1.5, 5.0])
    assert _below_a_mark(_Named(), cols, value, typical).tolist() == [False, True, False, False]
    assert _below_a_mark(_Named(), np.array([], dtype=np.int64), [], []).size == 0


@pytest.mark.parametrize("seed", [902, 903])
def test_no_reason_says_a_crowd_below_its_usual(seed):
    log = make_ecommerce(n_users=3000, random_state=seed).events
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(
            log,
            entity="user_id",
            event="behavior",
            time="timestamp",
            item="item_id",
            value="price",
            random_state=0,
        )
    said = [(float(v), float(t)) for r in table["reason"] for v, t in CROWD.findall(r)]
    assert said, "no crowd in any reason: the test reads nothing"
    assert all(v >= t for v, t in said), [p for p in said if p[0] < p[1]][:5]
