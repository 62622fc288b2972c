"""Item variety's "typical" in reasons: item_entropy_bits, distinct_item_ratio and
top_item_share are bounded by the length (a 3-click session has at most log2(3) = 1.58
bits), and the detector's typical value of a short session is the evidence shrinkage's
reference, the median of sessions with 30 or more events (YOOCHOOSE: "item_entropy_bits
1.68 (typical 3.74)" where the sessions' median is 1.0 bit and their 99th percentile
3.46). Their reasons say the typical value of sessions with about as many events, as
duration_s's do; an entropy of 0 up to round-off reads 0, not 4.44e-16."""

import numpy as np
import pandas as pd
import pytest

from oddseq import detect_anomalies
from oddseq._reasons import like_length_columns, reason_name

ODD = 10**6


@pytest.fixture(scope="module")
def clicks():
    """Click sessions of 2-16 clicks on items drawn from a large catalogue, a few long
    ones, and one 13-click session on a single item."""
    rng = np.random.default_rng(5)
    rows = []
    for s in range(3000):
        n = int(rng.integers(2, 17)) if s % 50 else int(rng.integers(30, 60))
        t = 1_400_000_000 + 3600.0 * s
        for _k in range(n):
            t += float(rng.exponential(40.0))
            rows.append((s, int(rng.integers(0, 5000)), t))
    t = 1_400_000_000.0
    for _k in range(13):
        t += float(rng.exponential(40.0))
        rows.append((ODD, 77, t))
    return pd.DataFrame(rows, columns=["session", "item", "time"])


def test_item_variety_typical_is_that_of_like_length(clicks):
    table = detect_anomalies(clicks, entity="session", item="item", time="time", groups=False)
    reason = table.loc[ODD, "reason"]
    variety = tuple(
        reason_name(n) for n in ("item_entropy_bits", "top_item_share", "distinct_item_ratio")
    )
    entropy = reason_name("item_entropy_bits")
    named = [p for p in reason.split("; ") if p.startswith(variety)]
    assert named, reason
    for phrase in named:
        assert "with 13-15 events" in phrase, reason
    if entropy in reason:
        assert f"{entropy} 0 (" in reason, reason
        typical = float(reason.split(f"{entropy} 0 (typical ")[1].split(" ")[0])
        assert typical <= np.log2(15), reason
    # no reason says an entropy above what its band of lengths can reach as typical
    for text in table["reason"]:
        for phrase in text.split("; "):
            if phrase.startswith(entropy) and " events)" in phrase:
                band = phrase.rsplit("with ", 1)[1].split(" event")[0]
                top = int(band.split("-")[-1].replace(",", "").rstrip("+"))
                typical = float(phrase.split("typical ")[1].split(" ")[0].replace(",", ""))
                assert typical <= np.log2(top) + 1e-9, phrase


def test_like_length_columns_come_sorted():
    names = ["top_item_share", "duration_s", "gap_mean_s", "n_items", "item_entropy_bits"]
    names += ["count[pv]", "value_max", "buy_per_view"]
    cols = like_length_columns(names)
    # (counts, totals and largest values too since s42: they grow with the events)
    assert cols == sorted(cols) and set(cols) == {0, 1, 3, 4, 5, 6}
