"""oddseq.stream with a pipeline fitted with recent_change=True: each entity's recent
window and earlier sessions kept live, the RecentChangeEncoder's columns, scores and
flags equal to the batch pipeline's on the same events."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq import AnomalyPipeline
from oddseq._reasons import CHANGE_PHRASE
from oddseq.datasets import make_ecommerce, make_marketplace
from oddseq.encode._change import CHANGE_FEATURES
from oddseq.sequences import Sequences
from oddseq.stream import STREAM_FEATURES, StreamScorer

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")
S = 1_000_000_000


@pytest.fixture(scope="module")
def shop():
    log = make_ecommerce(n_users=250, random_state=7).events
    pipe = AnomalyPipeline(recent_change=True).fit(Sequences.from_events(log, **ROLES))
    return log.sort_values("timestamp", kind="stable").reset_index(drop=True), pipe


def batch_frame(pipe, log, roles=ROLES):
    seqs = Sequences.from_events(log, **roles)
    return pd.DataFrame(pipe.encoder_.transform(seqs), index=seqs.ids, columns=pipe.feature_names_)


def assert_columns_equal(live, batch):
    live = live.reindex(batch.index)
    for name in batch.columns:
        if STREAM_FEATURES.get(name, "").startswith("approximate"):
            np.testing.assert_allclose(live[name], batch[name], rtol=1e-5, atol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(live[name], batch[name], err_msg=name)


def test_the_change_columns_are_documented_and_in_the_pipeline(shop):
    _, pipe = shop
    change = [n for n in pipe.feature_names_ if n.startswith("change_")]
    assert change == list(CHANGE_FEATURES)
    assert all(name in STREAM_FEATURES for name in CHANGE_FEATURES)


def test_features_equal_batch_after_every_prefix(shop):
    """Sessions leave the window as the clock moves on: after any prefix, in batches of
    assorted sizes, every column (the change columns too) is the batch's bit for bit."""
    log, pipe = shop
    live = StreamScorer(pipe, max_exact_items=10_000, **ROLES)
    rng = np.random.default_rng(1)
    cuts = np.sort(rng.choice(np.arange(1, len(log)), size=4, replace=False)).tolist()
    start = 0
    for cut in cuts + [len(log)]:
        while start < cut:
            step = min(int(rng.choice([1, 9, 700])), cut - start)
            live.update(log.iloc[start : start + step])
            start += step
        seen = log.iloc[:cut]
        batch = batch_frame(pipe, seen)
        assert_columns_equal(live.features(batch.index), batch)
    # The columns are not all zero: entities with an earlier part were compared.
    assert (batch["change_event_mix_bits"] > 0).mean() > 0.3


@pytest.mark.parametrize("one_at_a_time", [False, True])
def test_scores_and_flags_equal_batch(shop, one_at_a_time):
    log, pipe = shop
    live = StreamScorer(pipe, max_exact_items=10_000, **ROLES)
    if one_at_a_time:
        final = {}
        columns = [log[c].tolist() for c in ROLES.values()]
        for user, *rest in zip(*columns):
            out = live.update_one(user, *rest)
            final[user] = (out.score, out.is_anomaly)
        got = pd.DataFrame(final, index=["score", "is_anomaly"]).T
    else:
        got = live.update(log).scores
    batch = pipe.score(Sequences.from_events(log, **ROLES))
    got = got.reindex(batch.index)
    np.testing.assert_allclose(got["score"].astype(float), batch["score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got["is_anomaly"].astype(bool), batch["is_anomaly"])
    assert batch["is_anomaly"].any()


def test_equal_on_the_marketplace_and_in_a_time_zone():
    """Our second generator (its own roles), and a log whose clock is a zone's with
    daylight saving: the stream's local hours are the batch's."""
    bunch = make_marketplace(n_users=150, random_state=5)
    roles = dict(bunch.roles)
    log = bunch.events.sort_values(roles["time"], kind="stable").reset_index(drop=True)
    pipe = AnomalyPipeline(recent_change=True).fit(Sequences.from_events(log, **roles))
    live = StreamScorer(pipe, max_exact_items=10_000, **roles)
    out = live.update(log)
    batch = batch_frame(pipe, log, roles)
    assert_columns_equal(live.features(batch.index), batch)
    scored = pipe.score(Sequences.from_events(log, **roles))
    np.testing.assert_allclose(
        out.scores["score"], scored["score"].reindex(out.scores.index), rtol=0, atol=1e-12
    )

    shop_log = make_ecommerce(n_users=120, random_state=2).events
    shop_log["timestamp"] = pd.to_datetime(shop_log["timestamp"], unit="s", utc=True).dt.tz_convert(
        "America/New_York"
    )
    seqs = Sequences.from_events(shop_log, **ROLES)
    assert seqs.tz is not None
    zoned = AnomalyPipeline(recent_change=True).fit(seqs)
    ordered = shop_log.sort_values("timestamp", kind="stable").reset_index(drop=True)
    live = StreamScorer(zoned, max_exact_items=10_000, **ROLES)
    live.update(ordered)
    batch = batch_frame(zoned, ordered)
    assert_columns_equal(live.features(batch.index), batch)


# (random logs with new event types and silences: the batch's score warns of them where
# they are a large share or far from the rest, which this test of equal features does
# not judge)
@pytest.mark.filterwarnings("ignore:.*have event types the model never saw:UserWarning")
@pytest.mark.filterwarnings("ignore:.*outside the log's main time window")
@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 80), seed=st.integers(0, 2**31))
def test_property_equal_batch_on_random_logs(shop, n, seed):
    """Random logs over days: sessions of any size, silences around the session gap and
    the window, ties in time, unseen types, missing items and values, batches split
    anywhere and single events."""
    _, pipe = shop
    rng = np.random.default_rng(seed)
    steps = rng.choice([0, 1, 40, 1799, 1800, 1801, 7200, 86_399, 86_400, 200_000], n)
    events = pd.DataFrame(
        {
            "user_id": rng.integers(0, 3, n),
            "behavior": rng.choice(["pv", "cart", "fav", "buy", "odd"], n),
            "timestamp": 1_511_000_000 + np.cumsum(steps),
            "item_id": np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 8, n)),
            "price": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 9, n) * 0.5),
        }
    )
    live = StreamScorer(pipe, **ROLES)
    cuts = np.unique(np.r_[0, rng.integers(0, n + 1, 3), n])
    final = {}
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b - a == 1:
            row = events.iloc[a]
            out = live.update_one(*(row[c] for c in ROLES.values()))
            final[row["user_id"]] = out.score
        else:
            final.update(live.update(events.iloc[a:b]).scores["score"].to_dict())
    batch = batch_frame(pipe, events)
    assert_columns_equal(live.features(batch.index), batch)
    scored = pipe.score(Sequences.from_events(events, **ROLES))["score"]
    np.testing.assert_allclose(pd.Series(final).reindex(scored.index), scored, rtol=0, atol=1e-12)


def test_items_past_the_bound_go_to_the_filter_within_its_error(shop):
    """An entity touching thousands of distinct items over many days, kept with 16 exact
    items: the items first touched before the window leave the table for the Bloom
    filter; the novelty moves by no more than the filters' false positives allow (a new
    item taken as seen); every other column stays exact."""
    _, pipe = shop
    rng = np.random.default_rng(3)
    rows = []
    item = 0
    for day in range(40):
        for session in range(3):
            t0 = 1_511_000_000 + day * 86_400 + session * 4 * 3600
            for k in range(30):
                if rng.random() < 0.7:  # mostly new items, some repeats of old ones
                    item += 1
                    chosen = item
                else:
                    chosen = int(rng.integers(1, item + 1))
                rows.append((1, "pv", t0 + 20 * k, chosen, 1.0))
    events = pd.DataFrame(rows, columns=list(ROLES.values()))
    exact = StreamScorer(pipe, max_exact_items=100_000, **ROLES)
    bounded = StreamScorer(pipe, max_exact_items=16, **ROLES)
    novelty_exact, novelty_bounded = [], []
    for at in range(0, len(events), 90):  # a session at a time
        exact.update(events.iloc[at : at + 90])
        out = bounded.update(events.iloc[at : at + 90])
        novelty_exact.append(exact.features([1]).iloc[0]["change_item_novelty"])
        novelty_bounded.append(bounded.features([1]).iloc[0]["change_item_novelty"])
    assert out.scores["approximate"].iloc[0]
    assert exact.memory_bytes() > 2 * bounded.memory_bytes()
    batch = batch_frame(pipe, events)
    assert_columns_equal(exact.features([1]), batch)
    rest = [c for c in batch.columns if c != "change_item_novelty"]
    # The items' diversity columns come from the sketch past the bound: compared apart.
    rest = [c for c in rest if c not in ("n_items", "distinct_item_ratio", "item_entropy_bits")]
    assert_columns_equal(bounded.features([1])[rest], batch[rest])
    # About 0.05% of new items per filter taken as seen (here about 2,500 items):
    # either share of new items, and so the column, moves by a few thousandths at most.
    gap = np.abs(np.asarray(novelty_exact) - np.asarray(novelty_bounded))
    assert gap.max() < 0.01, gap.max()
    assert gap.mean() < 0.002, gap.mean()


def test_lateness_is_refused_and_late_events_are_dropped(shop):
    _, pipe = shop
    with pytest.raises(ValueError, match="recent_change=True.*lateness"):
        StreamScorer(pipe, lateness=5, **ROLES)
    live = StreamScorer(pipe, **ROLES)
    live.update_one(1, "pv", 100, 1, 1.0)
    live.update_one(1, "pv", 200, 2, 1.0)
    live.update_one(1, "buy", 150, 3, 1.0)  # older than the newest: dropped, counted
    assert live.counters["n_late_dropped"] == 1
    assert live.features([1]).iloc[0]["length"] == 2


@pytest.mark.filterwarnings("ignore:only 80 sequences for the automatic cut:UserWarning")
@pytest.mark.parametrize("drop", [("item_id",), ("price",), ("item_id", "price")])
def test_equal_without_items_or_values(drop):
    """The novelty and value columns only where the pipeline has items / values."""
    roles = {k: v for k, v in ROLES.items() if v not in drop}
    log = make_ecommerce(n_users=80, random_state=11).events
    log = log.sort_values("timestamp", kind="stable").reset_index(drop=True)
    pipe = AnomalyPipeline(recent_change=True).fit(Sequences.from_events(log, **roles))
    names = set(pipe.feature_names_)
    assert ("change_item_novelty" in names) == ("item_id" not in drop)
    assert ("change_value_log2" in names) == ("price" not in drop)
    live = StreamScorer(pipe, max_exact_items=10_000, **roles)
    live.update(log)
    batch = batch_frame(pipe, log, roles)
    assert_columns_equal(live.features(batch.index), batch)


def test_a_window_of_many_new_items_stays_exact(shop):
    """A crawler's day of 5,000 items never seen before, with 16 items kept exactly: the
    window's items stay in the table (the few older ones go to the filter), so the
    columns are the batch's."""
    _, pipe = shop
    earlier = [  # three sessions over the same 10 items
        (1, "pv", 1_511_000_000 + 7200 * s + 60 * k, k % 10, 1.0)
        for s in range(3)
        for k in range(20)
    ]
    day = [(1, "pv", 1_511_500_000 + 2 * k, 100 + k, 2.0) for k in range(5000)]
    events = pd.DataFrame(earlier + day, columns=list(ROLES.values()))
    live = StreamScorer(pipe, max_exact_items=16, **ROLES)
    live.update(events)
    batch = batch_frame(pipe, events)
    live_row = live.features([1])
    assert batch.loc[1, "change_item_novelty"] > 0
    for name in CHANGE_FEATURES:
        np.testing.assert_array_equal(live_row[name], batch[name], err_msg=name)


@pytest.fixture(scope="module")
def busy(shop):
    """The shop's pipeline with a cut that many users cross, so that many alerts name
    the recent-change columns."""
    log, _ = shop
    pipe = AnomalyPipeline(recent_change=True, contamination=0.3)
    return pipe.fit(Sequences.from_events(log, **ROLES))


def test_alert_reasons_end_with_the_batch_facts(shop, busy):
    """A stream alert that names the recent-change columns ends with the facts behind
    them, as the batch table's reason does: the same words as the batch encoder's
    recent_facts over the same events."""
    log, _ = shop
    live = StreamScorer(busy, reasons="all", max_exact_items=10_000, **ROLES)
    alerts = live.update(log).alerts
    seqs = Sequences.from_events(log, **ROLES)
    change = dict(busy.encoder_.encoders_)["change"]
    facts = pd.Series(change.recent_facts(seqs), index=seqs.ids)
    naming = alerts[alerts["reason"].str.contains(CHANGE_PHRASE, regex=False)]
    assert len(naming) >= 10
    for user, reason in naming["reason"].items():
        # a phrase of its own, before a "rests on" note (the batch's before_evidence)
        said = f"; recent change: {facts[user].removeprefix('recent: ')}"
        assert re.sub(r" \(rests on \d+ events?\)$", "", reason).endswith(said), reason
    others = alerts.drop(naming.index)["reason"]
    assert not others.str.contains("earlier events within an hour", regex=False).any()


def test_the_line_feed_says_each_alerts_facts_as_it_stood(shop, busy):
    """The CLI's C++ reader: each alert's facts as its entity stood right after its
    event, so its reason is update_one's on the same event, even when later lines of
    the same call move the entity on."""
    log, _ = shop
    columns = list(ROLES.values())
    data = log[columns].to_csv(index=False, header=False).encode()
    fast = StreamScorer(busy, max_exact_items=10_000, **ROLES)
    feed = fast._line_feed(",", columns)
    assert feed is not None
    fast_reasons, at = [], 0
    while at < len(data):
        stop, at, _, alerts = fast._feed_lines(feed, data, at, 60.0)
        assert stop != 2
        fast_reasons += [reason for *_, reason in alerts]
    slow = StreamScorer(busy, max_exact_items=10_000, **ROLES)
    slow_reasons = [
        event.reason
        for event in (slow.update_one(*row) for row in log[columns].itertuples(index=False))
        if event.new
    ]
    assert fast_reasons == slow_reasons
    assert sum(CHANGE_PHRASE in r for r in fast_reasons) >= 10
