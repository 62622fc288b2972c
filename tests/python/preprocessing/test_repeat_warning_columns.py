"""The repeat warning names the columns that repeat, and only those the log has (#14):
a click log without an event or value column is not told its 'event' and 'value'
repeat."""

import numpy as np
import pandas as pd
import pytest

from oddseq.exceptions import DataWarning
from oddseq.preprocessing._quality import warn_about_the_log
from oddseq.sequences import Sequences


def _said(log, **roles):
    seqs = Sequences.from_events(log, entity="u", time="t", **roles)
    with pytest.warns(DataWarning, match="repeat the event before them") as caught:
        warn_about_the_log(seqs)
    return next(str(w.message) for w in caught if "repeat the event" in str(w.message))


def _log():
    rng = np.random.default_rng(0)
    n = 200
    t = np.repeat(np.arange(n // 2) * 60 + 1_500_000_007, 2)  # every event twice
    return pd.DataFrame(
        {
            "u": np.repeat(rng.integers(0, 5, n // 2), 2),
            "e": np.repeat(rng.choice(["pv", "buy"], n // 2), 2),
            "i": np.repeat(rng.integers(0, 9, n // 2), 2),
            "v": np.repeat(rng.random(n // 2), 2),
            "t": t,
        }
    )


def test_only_the_columns_read_are_named():
    log = _log()
    assert "(same entity, time and item)" in _said(log, item="i")
    assert "(same entity, event and time)" in _said(log, event="e")
    assert "(same entity, event, time, item and value)" in _said(
        log, event="e", item="i", value="v"
    )
    assert "(same entity and time)" in _said(log)
