"""A funnel name spelt two ways is read as its most frequent spelling (trial s40, F3:
"PV" was read over "pv" holding 70% of the views, as it sorts first)."""

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.encode import DiversityEncoder
from oddseq.sequences import Sequences


def _log(upper_share: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 6_000
    events = rng.choice(["pv", "cart", "fav", "buy"], n, p=[0.7, 0.15, 0.1, 0.05])
    upper = rng.random(n) < upper_share
    events = np.where(upper, np.char.upper(events.astype(str)), events)
    return pd.DataFrame(
        {"user": rng.integers(0, 200, n), "event": events, "t": rng.integers(0, 10**6, n)}
    )


@pytest.mark.parametrize("upper_share", [0.3, 0.7])
def test_the_funnel_reads_each_steps_most_frequent_spelling(upper_share):
    with pytest.warns(Warning, match="spells 4 event types in more than one way"):
        seqs = Sequences.from_events(_log(upper_share), entity="user", event="event", time="t")
    funnel = DiversityEncoder().fit(seqs).funnel_
    spelt = str.lower if upper_share < 0.5 else str.upper
    steps = {"view": "pv", "cart": "cart", "fav": "fav", "buy": "buy"}
    assert funnel == {role: spelt(name) for role, name in steps.items()}


def test_the_spelling_warning_names_the_spellings_the_funnel_reads():
    with pytest.warns(Warning, match="'pv' as view"):
        table, pipeline = oddseq.detect_anomalies(
            _log(0.3), entity="user", event="event", time="t", return_pipeline=True
        )
    assert pipeline.funnel_["view"] == "pv"
