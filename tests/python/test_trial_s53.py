"""TR s53 (a grocery chain's loyalty and coupon app): the findings fixed, each on a
small log of the behaviour it names."""

import numpy as np
import pandas as pd

from oddseq.encode import context_features

DAY = 86_400


def test_a_phone_left_on_the_first_day_is_no_brief_stretch():
    # upgrader: the old phone on its first trip (day 0), then the new one for ten days;
    # hijacked: its own phone for ten days, then a night on another (day 11)
    rows = [("upgrader", "old", h * 3_600) for h in range(4)]
    rows += [("upgrader", "new", d * DAY) for d in range(1, 11)]
    rows += [("hijacked", "own", d * DAY) for d in range(11)]
    rows += [("hijacked", "thief", 11 * DAY + h * 600) for h in range(4)]
    log = pd.DataFrame(rows, columns=["user", "device", "ts"])
    table = context_features(log, "user", "device", time="ts", time_unit="s")
    assert table.loc["upgrader", "brief_share[device]"] == 0
    assert table.loc["hijacked", "brief_share[device]"] == 4 / 15
    assert (table["values[device]"] == 2).all()  # (both used two: said as such)


def test_a_value_begun_after_the_everyday_one_is_brief_whatever_the_order():
    rng = np.random.default_rng(0)
    rows = [("u", "home", d * DAY) for d in range(8)] + [("u", "cafe", 3 * DAY + 60)]
    log = pd.DataFrame(rows, columns=["user", "ip", "ts"])
    shuffled = log.iloc[rng.permutation(len(log))].reset_index(drop=True)
    tables = [context_features(f, "user", "ip", time="ts", time_unit="s") for f in (log, shuffled)]
    pd.testing.assert_frame_equal(*tables)
    assert tables[0].loc["u", "brief_share[ip]"] == 1 / 9
