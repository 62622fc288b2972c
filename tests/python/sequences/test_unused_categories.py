"""A categorical entity column's unused categories are not entities.

A frame cut from a larger one (a time split of a log read with categorical ids, as
``read_rees46`` returns them) keeps every category of the whole: each one without a row
would become an entity of no events, be scored and ranked beside the real ones.
"""

import numpy as np
import pandas as pd

import oddseq
from oddseq.sequences import Sequences


def _log(categories):
    return pd.DataFrame(
        {
            "user": pd.Categorical(["a", "a", "b", "b", "b"], categories=categories),
            "event": ["view", "buy", "view", "view", "cart"],
            "time": [1, 2, 3, 5, 9],
        }
    )


def test_unused_entity_categories_are_not_entities():
    seqs = Sequences.from_events(
        _log(["d", "a", "c", "b"]), entity="user", event="event", time="time"
    )
    assert list(seqs.ids) == ["a", "b"]
    assert np.diff(seqs.offsets).tolist() == [2, 3]


def test_a_time_split_of_a_categorical_log_scores_only_its_own_entities():
    rng = np.random.default_rng(0)
    n = 400
    log = pd.DataFrame(
        {
            "user": pd.Categorical(
                [f"u{i}" for i in rng.integers(0, 40, n)],
                categories=[f"u{i}" for i in range(80)],  # 40 here, 40 from elsewhere
            ),
            "event": rng.choice(["view", "cart", "buy"], n, p=[0.8, 0.15, 0.05]),
            "time": np.sort(rng.integers(0, 10**6, n)),
        }
    )
    ranked = oddseq.detect_anomalies(
        log, entity="user", event="event", time="time", contamination=0.1
    )
    assert sorted(ranked.index) == sorted(log["user"].unique())
