"""An event column of many values beside an item column of a few reads as the two given
the other way round (trial s43 M3: a payments log's 2,893 merchants as the event, each
seen 19 times on average, too often to read as ids; its 5 kinds of event as the item)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.exceptions import DataWarning

SWAPPED = "are they given the other way round"


def _payments(seed=0, n=40_000):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "card": rng.integers(0, 1_500, n),
            "kind": rng.choice(["auth_ok", "auth_declined", "refund", "chargeback", "3ds"], n),
            "merchant": rng.integers(0, 1_000, n),  # 40 events each: not rare
            "ts": np.sort(rng.integers(0, 14 * 86_400, n)),
        }
    )


def test_many_events_beside_few_items_are_asked_about():
    log = _payments()
    with pytest.warns(DataWarning, match=SWAPPED) as caught:
        oddseq.detect_anomalies(log, entity="card", event="merchant", item="kind", time="ts")
    (said,) = [str(w.message) for w in caught if SWAPPED in str(w.message)]
    assert said.startswith("event column 'merchant' holds 1,000 distinct values and item ")
    assert "item column 'kind' only 5" in said and "Swap event= and item=" in said


def test_the_columns_the_right_way_round_are_not():
    log = _payments()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(log, entity="card", event="kind", item="merchant", time="ts")
        # many event types beside as many items (templates and their hosts): no question
        log["host"] = log["merchant"] % 100
        oddseq.detect_anomalies(log, entity="card", event="merchant", item="host", time="ts")
    assert not [w for w in caught if SWAPPED in str(w.message)]
