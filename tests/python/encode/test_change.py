import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from oddseq import AnomalyPipeline
from oddseq.encode import RecentChangeEncoder
from oddseq.encode._change import CHANGE_FEATURES
from oddseq.sequences import Sequences

S = 1_000_000_000
HOUR = 3600 * S
DAY = 24 * HOUR
GAP = 1800 * S


def _smoothed(sum_r, n_r, sum_e, n_e, prior):
    if n_r <= 0 or n_e <= 0:
        return 0.0
    pooled = (sum_r + sum_e) / (n_r + n_e)
    return ((sum_r + prior * pooled) / (n_r + prior) - (sum_e + prior * pooled) / (n_e + prior)) / (
        math.log(2)
    )


def reference(events, times, items=None, values=None, prior=5.0, gap=GAP, window=DAY):
    """Every column for one sequence (UTC hours), written plainly from the definitions."""
    row = dict.fromkeys(CHANGE_FEATURES, 0.0)
    n = len(times)
    if n < 2:
        return row
    starts = [0] + [i for i in range(1, n) if times[i] - times[i - 1] > gap]
    r0 = starts[-1]
    for s in reversed(starts[:-1]):  # earlier sessions that started within the window
        if times[-1] - times[s] > window:
            break
        r0 = s
    if r0 == 0:
        return row
    a = prior
    earlier, recent = events[:r0], events[r0:]
    ne, nr = len(earlier), len(recent)
    js = lift = 0.0
    for e in sorted(set(events)):
        whole = (earlier.count(e) + recent.count(e)) / n
        pe = (earlier.count(e) + a * whole) / (ne + a)
        pr = (recent.count(e) + a * whole) / (nr + a)
        mid = (pe + pr) / 2
        js += 0.5 * (pe * math.log2(pe / mid) + pr * math.log2(pr / mid))
        lift = max(lift, math.log2(pr / pe))
    row["change_event_mix_bits"], row["change_top_type_lift_log2"] = max(js, 0.0), lift
    hours = [(t % DAY) // HOUR for t in times]
    rarity = 0.0
    for h in hours[r0:]:
        near = sum(1 for g in hours[:r0] if min((g - h) % 24, (h - g) % 24) <= 1)
        rarity += math.log2((3 / 24) / ((near + a * 3 / 24) / (ne + a)))
    row["change_hour_rarity_bits"] = rarity / nr

    def within(lo, hi):
        return [
            math.log1p((times[i] - times[i - 1]) / S)
            for i in range(max(lo, 1), hi)
            if times[i] - times[i - 1] <= gap
        ]

    within_r, within_e = within(r0 + 1, n), within(1, r0)
    row["change_think_time_log2"] = _smoothed(
        sum(within_r), len(within_r), sum(within_e), len(within_e), a
    )
    silences = [math.log1p((times[s] - times[s - 1]) / S) for s in starts[1:] if s < r0]
    silence = math.log1p((times[r0] - times[r0 - 1]) / S)
    row["change_silence_log2"] = _smoothed(silence, 1, sum(silences), len(silences), 1.0)
    bounds = starts + [n]
    sessions = list(zip(bounds[:-1], bounds[1:]))
    size_e = [math.log(b - s) for s, b in sessions if s < r0]
    size_r = [math.log(b - s) for s, b in sessions if s >= r0]
    row["change_burst_size_log2"] = _smoothed(
        sum(size_r), len(size_r), sum(size_e), len(size_e), 1.0
    )
    if items is not None:
        seen, new_e, elig_e, new_r, elig_r = set(), 0, 0, 0, 0
        for k, (s, b) in enumerate(sessions):
            keys = [items[i] for i in range(s, b) if items[i] is not None]
            if s >= r0:  # recent: news against everything before the window
                new_r += sum(1 for key in keys if key not in seen)
                elig_r += len(keys)
                continue
            if k > 0:
                new_e += sum(1 for key in keys if key not in seen)
                elig_e += len(keys)
            seen |= set(keys)
        if elig_r:
            pooled = (new_r + new_e) / (elig_r + elig_e)
            row["change_item_novelty"] = (new_r + a * pooled) / (elig_r + a) - (
                new_e + a * pooled
            ) / (elig_e + a)
    if values is not None:
        sl = [math.copysign(math.log1p(abs(v)), v) for v in values]
        fr = [v for v, i in zip(sl, range(n)) if i >= r0 and math.isfinite(v)]
        fe = [v for v, i in zip(sl, range(n)) if i < r0 and math.isfinite(v)]
        row["change_value_log2"] = _smoothed(sum(fr), len(fr), sum(fe), len(fe), a)
    return row


def build(sequences, with_items=True, with_values=True):
    """Sequences from a list of (events, times_ns, items, values) tuples."""
    offsets = np.cumsum([0] + [len(s[0]) for s in sequences])
    events = [e for s in sequences for e in s[0]]
    times = pd.to_datetime(np.array([t for s in sequences for t in s[1]], dtype=np.int64))
    items = [i for s in sequences for i in s[2]] if with_items else None
    values = [v for s in sequences for v in s[3]] if with_values else None
    return Sequences.from_arrays(offsets, events, times=times, items=items, values=values)


@st.composite
def a_sequence(draw):
    n = draw(st.integers(1, 25))
    events = draw(st.lists(st.sampled_from(["pv", "cart", "buy", "fav"]), min_size=n, max_size=n))
    steps = draw(
        st.lists(
            st.one_of(st.integers(0, 600), st.integers(1_700, 1_900), st.integers(2_000, 400_000)),
            min_size=n,
            max_size=n,
        )
    )
    start = draw(st.integers(0, 30 * 86_400))
    times = list(np.cumsum([start] + steps[1:]) * S)
    items = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    values = draw(
        st.lists(st.floats(-50, 1e4, allow_nan=False) | st.just(math.nan), min_size=n, max_size=n)
    )
    return events, times, items, values


@settings(max_examples=150, deadline=None)
@given(st.lists(a_sequence(), min_size=1, max_size=6), st.sampled_from([0, 3, 24]))
def test_columns_equal_the_plain_definitions(sequences, window_hours):
    seqs = build(sequences)
    encoder = RecentChangeEncoder(window=window_hours * 3600)
    got = encoder.set_output(transform="pandas").fit(seqs).transform(seqs)
    assert list(got.columns) == list(CHANGE_FEATURES)
    for k, (events, times, items, values) in enumerate(sequences):
        expected = reference(events, times, items, values, window=window_hours * HOUR)
        np.testing.assert_allclose(
            got.iloc[k].to_numpy(dtype=np.float64),
            [expected[c] for c in CHANGE_FEATURES],
            rtol=1e-5,
            atol=1e-5,
        )


@settings(max_examples=60, deadline=None)
@given(st.lists(a_sequence(), min_size=1, max_size=4), st.integers(-23, 23))
def test_invariant_to_the_clock_and_to_the_names_of_types(sequences, hours):
    """The comparison is the entity's own: shifting every time by whole hours (another
    time zone) or renaming event types changes nothing."""
    seqs = build(sequences)
    base = RecentChangeEncoder().fit(seqs).transform(seqs)
    shifted = build([(e, [t + hours * HOUR for t in ts], i, v) for e, ts, i, v in sequences])
    np.testing.assert_array_equal(RecentChangeEncoder().fit(shifted).transform(shifted), base)
    renamed = build([([x.upper() for x in e], ts, i, v) for e, ts, i, v in sequences])
    np.testing.assert_array_equal(RecentChangeEncoder().fit(renamed).transform(renamed), base)


def _owner_then(thief, days=20, seed=0):
    """An owner's evening browsing for ``days`` days, then ``thief`` (events, times)."""
    rng = np.random.default_rng(seed)
    events, times, items, values = [], [], [], []
    for d in range(days):
        t = d * DAY + 20 * HOUR + int(rng.integers(0, 3600)) * S
        for _ in range(int(rng.integers(3, 8))):
            events.append("buy" if rng.random() < 0.03 else "pv")
            times.append(t)
            items.append(int(rng.integers(0, 30)))
            values.append(float(rng.uniform(5, 40)))
            t += int(rng.integers(20, 120)) * S
    e, ts, it, v = thief
    return events + e, times + [days * DAY + t for t in ts], items + it, values + v


def test_a_taken_over_account_stands_out_and_a_single_session_is_zero():
    night = (
        ["buy"] * 12,
        [3 * HOUR + 4 * k * S for k in range(12)],
        list(range(100, 112)),
        [900.0] * 12,
    )
    evening = (
        ["pv"] * 5,
        [20 * HOUR + 60 * k * S for k in range(5)],
        [1, 2, 3, 4, 5],
        [20.0] * 5,
    )
    single = (["pv", "buy"], [0, 30 * S], [1, 2], [3.0, 4.0])
    seqs = build([_owner_then(night), _owner_then(evening), single])
    got = RecentChangeEncoder().set_output(transform="pandas").fit(seqs).transform(seqs)
    thief, owner = got.iloc[0], got.iloc[1]
    assert thief["change_top_type_lift_log2"] > 3 > owner["change_top_type_lift_log2"]
    assert thief["change_hour_rarity_bits"] > 1 and owner["change_hour_rarity_bits"] < 0
    assert thief["change_think_time_log2"] < -1.5 < owner["change_think_time_log2"]
    assert thief["change_item_novelty"] > owner["change_item_novelty"]
    assert thief["change_value_log2"] > 2 > abs(owner["change_value_log2"])
    assert (got.iloc[2] == 0).all()
    hours = RecentChangeEncoder().fit(seqs).last_session_hours(seqs)
    assert hours[0].tolist() == [3.0, 0.0] and hours[1, 0] == 20.0 and hours[1, 1] > 20
    facts = RecentChangeEncoder().fit(seqs).recent_facts(seqs)
    assert facts[0].startswith("recent: 12 of ") and " buy " in facts[0]
    assert "last session began in the 03:00 hour, 0 of " in facts[0]
    assert facts[2] == "nothing before its recent activity to compare with"


def test_columns_follow_what_the_sequences_have():
    plain = build([(["a", "b", "a"], [0, S, 3 * HOUR], [None] * 3, [0.0] * 3)], False, False)
    enc = RecentChangeEncoder().fit(plain)
    assert "change_item_novelty" not in enc.get_feature_names_out()
    assert "change_value_log2" not in enc.get_feature_names_out()
    assert enc.transform(plain).shape == (1, 6)
    categories = pd.Series({1: "x", 2: "x", 3: "y"})
    times = [0, S, 3 * HOUR, 6 * HOUR, 6 * HOUR + S]
    seqs = build([(["pv"] * 5, times, [1, 3, 1, 2, 2], [1.0] * 5)], True, False)
    # By category, item 2 is no news after item 1 (both "x").
    by_category = RecentChangeEncoder(item_categories=categories, window=0).fit(seqs)
    by_item = RecentChangeEncoder(window=0).fit(seqs).transform(seqs)
    by_category = by_category.transform(seqs)
    assert by_category[0, -1] < by_item[0, -1]


def test_bad_input():
    untimed = Sequences.from_lists([["a", "b"]])
    with pytest.raises((ValueError, TypeError), match="time"):
        RecentChangeEncoder().fit(untimed)
    timed = build([(["a", "b"], [0, S], [1, 2], [1.0, 2.0])])
    with pytest.raises(ValueError, match="prior"):
        RecentChangeEncoder(prior=0).fit(timed)
    with pytest.raises(ValueError, match="session_gap"):
        RecentChangeEncoder(session_gap=-5).fit(timed)
    with pytest.raises(ValueError, match="window"):
        RecentChangeEncoder(window=-1).fit(timed)
    with pytest.raises(NotFittedError):
        RecentChangeEncoder().transform(timed)
    no_items = build([(["a", "b"], [0, S], [1, 2], [1.0, 2.0])], False, True)
    with pytest.raises(ValueError, match="items"):
        RecentChangeEncoder().fit(timed).transform(no_items)
    with pytest.raises(ValueError, match="item_categories needs"):
        RecentChangeEncoder(item_categories={1: "x"}).fit(no_items)


def test_the_pipeline_adds_the_columns_and_ranks_a_takeover_higher():
    rng = np.random.default_rng(1)
    night = (
        ["buy"] * 10,
        [3 * HOUR + 5 * k * S for k in range(10)],
        list(range(100, 110)),
        [500.0] * 10,
    )
    owners = [_owner_then(([], [], [], []), seed=s) for s in range(150)]
    rows = owners + [_owner_then(night, seed=999)]
    seqs = build(rows)
    plain = AnomalyPipeline().fit(seqs)
    changed = AnomalyPipeline(recent_change=True).fit(seqs)
    names = list(changed.feature_names_)
    assert [n for n in names if n.startswith("change_")] == list(CHANGE_FEATURES)
    assert not any(n.startswith("change_") for n in plain.feature_names_)
    thief = seqs.ids[-1]
    assert changed.table_.loc[thief, "rank"] == 1
    assert changed.table_.loc[thief, "rank"] <= plain.table_.loc[thief, "rank"]
    reason = changed.table_.loc[thief, "reason"]
    assert "recent activity against its own past" in reason
    # The facts behind it: ten buys at 03:00, where the owner browsed in the evenings.
    assert re.search(r"; recent change: 10 of \d+ events buy", reason), reason
    assert "last session began in the 03:00 hour, 0 of" in reason
    del rng
    with pytest.raises(ValueError, match="recent_change"):
        AnomalyPipeline(recent_change="yes").fit(seqs)
    # Streamed too: the thief's live score is the batch's (tests/python/stream/
    # test_stream_change.py tests the columns).
    from oddseq.stream import StreamScorer

    log = pd.DataFrame(
        [(user, e, t, item, v) for user, row in enumerate(rows) for e, t, item, v in zip(*row)],
        columns=["user", "event", "time", "item", "value"],
    ).sort_values("time", kind="stable")
    live = StreamScorer(
        changed,
        entity="user",
        event="event",
        time="time",
        item="item",
        value="value",
        time_unit="ns",
    )
    scores = live.update(log).scores
    assert scores.loc[len(rows) - 1, "score"] == pytest.approx(
        changed.table_.loc[thief, "score"], abs=1e-12
    )
