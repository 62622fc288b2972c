"""context= values of the same text and another type (1 and "1" of an object column) rank
by their types, not by which came first (review RV s47 L14)."""

import numpy as np
import pandas as pd

from oddseq.encode import context_features
from oddseq.encode._context import _text_ranks


def test_the_same_text_ranks_by_type_whatever_the_order():
    one = _text_ranks(np.array([1, "1", "a", 0], dtype=object))
    other = _text_ranks(np.array(["1", 1, "a", 0], dtype=object))
    assert one[1].tolist() == other[1].tolist() == [0, 1, "1", "a"]
    assert one[0].tolist() == [1, 2, 3, 0] and other[0].tolist() == [2, 1, 3, 0]


def test_the_table_does_not_depend_on_the_rows_order():
    hour, day = 3_600, 86_400
    # u used device 1 (3 events) and "1" (2 events) over the same hour of day 0, and x9 on
    # day 3: one of the two tied values is its everyday one; v and w each used one of them
    rows = [("u", 1, 0), ("u", 1, hour / 2), ("u", 1, hour), ("u", "1", 0), ("u", "1", hour)]
    rows += [("u", "x9", 3 * day), ("v", 1, 0), ("w", "1", 0)]
    log = pd.DataFrame(rows, columns=["user", "device", "ts"])
    log["device"] = log["device"].astype(object)
    tables = [
        context_features(frame, "user", "device", time="ts", time_unit="s")
        for frame in (log, log.iloc[::-1].reset_index(drop=True))
    ]
    pd.testing.assert_frame_equal(tables[0].sort_index(), tables[1].sort_index())
    # the int sorts before the str of the same text: 1 is u's everyday device, and "1"
    # opened u's history with it (no stretch of another's: TR s53 H2), so only x9 of
    # day 3 is brief, whichever of the two the tie made everyday
    assert tables[0].loc["u", "brief_share[device]"] == 1 / 6
