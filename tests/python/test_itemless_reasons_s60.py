"""Item variety and repeats of an entity none of whose events has an item are no
observation, never its reason (TR s60 M1): on a ride-hailing log with ``item="driver_id"``
every fare scraper (hundreds of sub-second quotes, no ride, so no driver) read "share of
events repeating the previous item 0 (typical 0.75); item variety in bits 0", values 0 by
construction, where its quotes were the story. The same holds for the item categories of
an entity without an item of a known category, in the batch's reasons and the stream's."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.stream import StreamScorer

sys.path.insert(0, str(Path(__file__).parent))
from ride_logs import ROLES, rides  # noqa: E402

ITEM_WORDS = (
    "repeating the previous",
    "item variety",
    "distinct items per event",
    "most used item",
    "categor",
)


@pytest.fixture(scope="module")
def log():
    return rides(n_scrapers=6)


def _item_words(reason):
    return [w for w in ITEM_WORDS if w in reason]


def test_scrapers_without_a_driver_are_not_explained_by_drivers(log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = oddseq.detect_anomalies(log, **ROLES, random_state=0)
    scrapers = table.loc[[f"s{s}" for s in range(6)]]
    assert scrapers["is_anomaly"].all()
    for reason in scrapers["reason"]:
        assert not _item_words(reason), reason
        assert "count[fare_quote]" in reason, reason


def test_only_the_entities_without_an_item_lose_those_reasons(log):
    from oddseq._reasons import _itemless

    seqs = oddseq.Sequences.from_events(log, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(random_state=0).fit(seqs)
    raw = pipe.encoder_.transform(seqs)
    names = list(pipe.feature_names_)
    cols = np.array([names.index("repeat_previous_item_share"), names.index("gap_mean_s")] * 2)
    scraper, rider = seqs.ids.get_loc("s0"), seqs.ids.get_loc("r0")
    rows = np.array([scraper, scraper, rider, rider])
    assert _itemless(pipe, cols, raw, rows).tolist() == [True, False, False, False]


def test_a_repeat_share_of_one_event_with_an_item_is_no_reason():
    """Review RV s60 M3: one event with an item has no pair to repeat; a repeat share of
    0 on one distinct item says exactly that (several events on one item repeat it)."""
    from oddseq._reasons import _itemless

    class Named:
        feature_names_ = ["n_items", "repeat_previous_item_share"]

    raw = np.array([[1, 0.0], [1, 1.0], [2, 0.0], [0, 0.0]])
    rows, cols = np.arange(4), np.ones(4, dtype=np.int64)
    assert _itemless(Named(), cols, raw, rows).tolist() == [True, False, False, True]


def test_item_categories_of_an_entity_without_items_are_no_reason(log):
    categories = pd.Series({f"d{i}": f"zone{i % 4}" for i in range(40)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(item_categories=categories, random_state=0)
        table = pipe.fit(oddseq.Sequences.from_events(log, **ROLES)).table_
    for reason in table.loc[[f"s{s}" for s in range(6)], "reason"]:
        assert not _item_words(reason), reason


def test_the_stream_says_the_same(log):
    fit = log[~log["rider"].str.startswith("s")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seqs = oddseq.Sequences.from_events(fit, **ROLES)
        live = StreamScorer(oddseq.AnomalyPipeline(random_state=0).fit(seqs), **ROLES)
        alerts = live.update(log.sort_values("t", kind="stable")).alerts
    scrapers = alerts.loc[alerts.index.str.startswith("s")]
    assert len(scrapers) == 6
    for reason in scrapers["reason"]:
        assert not _item_words(reason), reason
