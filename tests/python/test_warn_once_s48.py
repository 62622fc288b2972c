"""A log's reading warnings are said once per call: the group stage reads the times of
group_by's log again, and said the zone warning a second time with the count after
dropna's rows (TR s47b L10: "33,878 times without a zone", then "33,718")."""

import warnings

import numpy as np
import pandas as pd

import oddseq


def test_the_zone_warning_is_said_once_with_group_by_and_dropna():
    rng = np.random.default_rng(0)
    n = 3_000
    t = pd.Timestamp("2026-03-02", tz="UTC") + pd.to_timedelta(rng.uniform(0, 86_400 * 5, n), "s")
    text = t.strftime("%Y-%m-%dT%H:%M:%S").to_numpy().astype(object)
    zoned = rng.random(n) < 0.8
    text[zoned] = [s + "Z" for s in text[zoned]]
    log = pd.DataFrame(
        {
            "user": rng.integers(0, 300, n).astype(str),
            "event": rng.choice(["view", "cart", "buy"], n),
            "ts": text,
            "device": rng.integers(0, 280, n).astype(str),
        }
    )
    log.loc[[3, 7], "user"] = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.detect_anomalies(
            log, entity="user", event="event", time="ts", group_by=["device"], dropna=True
        )
    said = [str(w.message) for w in caught if "times without a zone" in str(w.message)]
    assert len(said) == 1, said
