import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from oddseq import _core
from oddseq.encode import (
    DiversityEncoder,
    EncoderUnion,
    TemporalEncoder,
    TransitionEncoder,
    default_encoder,
)
from oddseq.sequences import Sequences


def build(sequences, with_items=False, with_values=False):
    """Sequences from [[(event, second, item, value), ...], ...] sorted by time."""
    sequences = [sorted(s, key=lambda e: e[1]) for s in sequences]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sequences])]).astype(np.int64)
    flat = [e for s in sequences for e in s]
    return sequences, Sequences.from_arrays(
        offsets,
        np.array([e[0] for e in flat], dtype=object),
        times=np.array([e[1] for e in flat], dtype=np.int64),
        items=np.array([e[2] for e in flat]) if with_items else None,
        values=np.array([e[3] for e in flat], dtype=float) if with_values else None,
    )


def temporal_reference(times, session_gap=1800):
    t = np.asarray(times, dtype=np.int64)
    n = len(t)
    row = {"length": n}
    stamps = pd.to_datetime(t, unit="s")
    hours = np.bincount(stamps.hour, minlength=24) / n
    days = np.bincount(stamps.day_of_week, minlength=7) / n
    for h in range(24):
        row[f"share_hour_{h:02d}"] = hours[h]
    row["hour_entropy_bits"] = -sum(p * math.log2(p) for p in hours if p > 0)
    row["share_night"] = hours[:6].sum()
    for i, day in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]):
        row[f"share_{day}"] = days[i]
    row["share_weekend"] = days[5] + days[6]
    row["max_events_1min"] = max(int(((t >= x) & (t < x + 60)).sum()) for x in t)
    row["max_events_1h"] = max(int(((t >= x) & (t < x + 3600)).sum()) for x in t)
    cuts = [0] + [i for i in range(1, n) if t[i] - t[i - 1] > session_gap] + [n]
    sessions = [t[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
    row["n_sessions"] = len(sessions)
    row["session_events_mean"] = n / len(sessions)
    row["session_events_max"] = max(len(s) for s in sessions)
    row["session_duration_mean_s"] = np.mean([s[-1] - s[0] for s in sessions])
    gaps = np.diff(t).astype(float)
    if n < 2:
        for name in (
            "duration_s",
            "events_per_min",
            "gap_min_s",
            "gap_median_s",
            "gap_mean_s",
            "gap_std_s",
            "gap_cv",
            "burstiness",
            "share_gaps_under_1s",
            "gap_lag1_autocorr",
        ):
            row[name] = 0.0
        return row
    duration = t[-1] - t[0]
    mean, std = gaps.mean(), gaps.std()
    row.update(
        duration_s=duration,
        events_per_min=(n - 1) / duration * 60 if duration > 0 else 0.0,
        gap_min_s=gaps.min(),
        gap_median_s=np.median(gaps),
        gap_mean_s=mean,
        gap_std_s=std,
        gap_cv=std / mean if mean > 0 else 0.0,
        burstiness=(std - mean) / (std + mean) if std + mean > 0 else 0.0,
        share_gaps_under_1s=(gaps < 1).mean(),
    )
    centred = gaps - mean
    var = (centred**2).sum()
    row["gap_lag1_autocorr"] = (
        (centred[1:] * centred[:-1]).sum() / var if (len(gaps) >= 3 and var > 0) else 0.0
    )
    return row


event_lists = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["pv", "cart", "buy", "fav"]),
            st.integers(1_500_000_000, 1_500_400_000),
            st.integers(0, 6),
            st.floats(0.5, 500),
        ),
        min_size=1,
        max_size=25,
    ),
    min_size=1,
    max_size=12,
)


@given(event_lists, st.sampled_from([1, 2]))
def test_temporal_matches_reference(raw, n_threads):
    sequences, seqs = build(raw)
    enc = TemporalEncoder(n_threads=n_threads).set_output(transform="pandas").fit(seqs)
    got = enc.transform(seqs)
    assert list(got.columns) == list(enc.get_feature_names_out())
    for i, s in enumerate(sequences):
        expected = temporal_reference([e[1] for e in s])
        for name, value in expected.items():
            assert got.iloc[i][name] == pytest.approx(value, rel=1e-5, abs=1e-4), name


def test_temporal_local_time_and_dst():
    # 2024-03-31 01:30 UTC is 03:30 in Paris (after the spring change), 09:30 in Shanghai.
    ts = pd.Timestamp("2024-03-31 01:30", tz="UTC")
    log = pd.DataFrame({"u": [1, 1], "e": ["a", "a"], "t": [ts - pd.Timedelta("2h"), ts]})
    paris = Sequences.from_events(
        log.assign(t=log["t"].dt.tz_convert("Europe/Paris")), entity="u", event="e", time="t"
    )
    row = TemporalEncoder().set_output(transform="pandas").fit_transform(paris).iloc[0]
    assert row["share_hour_00"] == 0.5 and row["share_hour_03"] == 0.5  # 00:30 CET, 03:30 CEST
    shanghai = TemporalEncoder(time_zone="Asia/Shanghai").set_output(transform="pandas")
    row = shanghai.fit_transform(paris).iloc[0]
    assert row["share_hour_07"] == 0.5 and row["share_hour_09"] == 0.5
    assert row["share_sun"] == 1.0 and row["share_weekend"] == 1.0


def transition_reference(events, labels, order, normalize):
    idx = {e: i for i, e in enumerate(labels)}
    n = len(labels)
    first = np.zeros((n, n))
    for a, b in zip(events[:-1], events[1:]):
        first[idx[a], idx[b]] += 1
    second = np.zeros((n, n, n))
    for a, b, c in zip(events[:-2], events[1:-1], events[2:]):
        second[idx[a], idx[b], idx[c]] += 1

    def norm(block):
        block = block.reshape(-1, n)
        if normalize == "counts":
            return block.ravel()
        if normalize == "share":
            total = block.sum()
            return (block / total if total else block).ravel()
        rows = block.sum(axis=1, keepdims=True)
        return np.divide(block, rows, out=np.zeros_like(block), where=rows > 0).ravel()

    out = [norm(first)]
    if order == 2:
        out.append(norm(second))
    start = np.zeros(n)
    start[idx[events[0]]] = 1
    end = np.zeros(n)
    end[idx[events[-1]]] = 1
    return np.concatenate(out + [start, end])


@given(event_lists, st.sampled_from([1, 2]), st.sampled_from(["conditional", "share", "counts"]))
def test_transitions_match_reference(raw, order, normalize):
    sequences, seqs = build(raw)
    enc = TransitionEncoder(order=order, normalize=normalize).fit(seqs)
    got = enc.transform(seqs)
    labels = list(enc.event_labels_) + ["<unseen>"]
    for i, s in enumerate(sequences):
        expected = transition_reference([e[0] for e in s], labels, order, normalize)
        np.testing.assert_allclose(got[i], expected, rtol=1e-6, atol=1e-6)


def test_transitions_unseen_events_have_their_own_bucket():
    train = Sequences.from_lists([["pv", "buy"]])
    enc = TransitionEncoder().set_output(transform="pandas").fit(train)
    new = Sequences.from_lists([["pv", "refund", "buy"]])
    row = enc.transform(new).iloc[0]
    assert row["p(<unseen>|pv)"] == 1.0 and row["p(buy|<unseen>)"] == 1.0
    with pytest.raises(ValueError, match="order"):
        TransitionEncoder(order=3).fit(train)
    with pytest.raises(ValueError, match="normalize"):
        TransitionEncoder(normalize="l3").fit(train)


def diversity_reference(s, roles=("pv", "cart", "fav", "buy")):
    """``roles``: the funnel's, the steps the fitted log has: a ratio over a role it
    lacks is 0 (trial s52: "purchases per cart" on a log without carts)."""
    events = [e[0] for e in s]
    items = [e[2] for e in s]
    values = np.array([e[3] for e in s])
    n = len(s)
    counts = pd.Series(items).value_counts()
    p = counts / n
    steps = {k: events.count(k) for k in ("pv", "cart", "fav", "buy")}
    return [
        len(counts),
        len(counts) / n,
        float(-(p * np.log2(p)).sum()),
        counts.max() / n,
        sum(items[i] == items[i - 1] for i in range(1, n)) / (n - 1) if n > 1 else 0.0,
        len({it for ev, it in zip(events, items) if ev == "buy"}),
        steps["cart"] / max(steps["pv"], 1) if "pv" in roles else 0.0,
        steps["fav"] / max(steps["pv"], 1) if "pv" in roles else 0.0,
        steps["buy"] / max(steps["pv"], 1) if "pv" in roles else 0.0,
        steps["buy"] / max(steps["cart"], 1) if "cart" in roles else 0.0,
        values.sum(),
        values.mean(),
        values.max(),
        values.std(),
        0.0,
        sum(v for ev, v in zip(events, values) if ev == "buy"),
    ]


@given(event_lists)
def test_diversity_matches_reference(raw):
    sequences, seqs = build(raw, with_items=True, with_values=True)
    got = DiversityEncoder().fit(seqs).transform(seqs)
    roles = {e[0] for s in sequences for e in s}
    for i, s in enumerate(sequences):
        np.testing.assert_allclose(got[i], diversity_reference(s, roles), rtol=1e-5, atol=1e-4)


def test_diversity_missing_values_and_custom_funnel():
    seqs = Sequences.from_arrays(
        [0, 3], ["view", "basket", "purchase"], items=[1, 2, 2], values=[np.nan, 4.0, 6.0]
    )
    enc = DiversityEncoder(funnel={"view": "view", "cart": "basket", "buy": "purchase"})
    row = enc.set_output(transform="pandas").fit_transform(seqs).iloc[0]
    assert row["buy_per_cart"] == 1.0 and row["share_value_missing"] == pytest.approx(1 / 3)
    assert row["value_mean"] == 5.0
    with pytest.raises(ValueError, match="does not have|do not have"):
        DiversityEncoder(funnel={"buy": "refund"}).fit(seqs)


def test_diversity_takes_one_sequences_view_and_its_params():
    """The binding takes (SequencesView, item_category, DiversityParams, n_threads), not a
    column per argument; int32 and int64 item codes are read without a conversion."""
    offsets = np.array([0, 2, 5], np.int64)
    events = np.array([0, 1, 0, 3, 3], np.int32)
    items = np.array([4, 4, 1, 2, -1], np.int32)
    values = np.array([1.0, 2.0, np.nan, 3.0, 4.0])
    params = _core.DiversityParams(session_gap_ns=10**9, view=0, cart=1, buy=3)
    assert (params.session_gap_ns, params.view, params.cart, params.fav, params.buy) == (
        10**9,
        0,
        1,
        -1,
        3,
    )
    narrow = _core.SequencesView(offsets=offsets, events=events, items=items, values=values)
    wide = _core.SequencesView(
        offsets=offsets, events=events, items=items.astype(np.int64), values=values
    )
    assert (narrow.n_sequences, narrow.n_events) == (2, 5)
    got = _core.diversity_features(narrow, None, params, 1)
    assert got.shape == (2, 16)
    assert got.tobytes() == _core.diversity_features(wide, None, params, 2).tobytes()
    # Categories are read through the items: without items they add no columns.
    bare = _core.SequencesView(offsets=offsets, events=events)
    assert _core.diversity_features(bare, np.zeros(5, np.int32), params, 1).shape == (2, 10)


def test_sequences_view_takes_item_codes_that_travelled_through_pickle():
    """An array unpickled (as oddseq.dask's partitions are, between worker processes)
    holds its own dtype object, equivalent to int32 or int64 but not the same object:
    read like any other (it was refused, which stopped the Dask call with items)."""
    offsets, events = np.array([0, 2, 5], np.int64), np.array([0, 1, 0, 3, 3], np.int32)
    params = _core.DiversityParams(session_gap_ns=10**9, view=0, cart=1, buy=3)
    for dtype in (np.int32, np.int64):
        items = np.array([4, 4, 1, 2, -1], dtype)
        moved = pickle.loads(pickle.dumps(items, protocol=5))
        here = _core.SequencesView(offsets=offsets, events=events, items=items)
        there = _core.SequencesView(offsets=offsets, events=events, items=moved)
        expected = _core.diversity_features(here, None, params, 1)
        assert _core.diversity_features(there, None, params, 1).tobytes() == expected.tobytes()


@pytest.mark.parametrize(
    "columns, error, match",
    [
        ({"offsets": np.array([1, 5], np.int64)}, ValueError, "start at 0"),
        ({"offsets": np.array([0, 3, 2, 5], np.int64)}, ValueError, "must not decrease"),
        ({"offsets": np.array([0, 4], np.int64)}, ValueError, "end at the number of events"),
        ({"times": np.zeros(4, np.int64)}, ValueError, "times must hold one entry per event"),
        ({"values": np.zeros(6)}, ValueError, "values must hold one entry per event"),
        ({"items": np.zeros(4, np.int32)}, ValueError, "items must hold one entry per event"),
        ({"items": np.zeros(5, np.float64)}, TypeError, "int32 or int64"),
        ({"items": np.zeros(10, np.int32)[::2]}, TypeError, "C-contiguous"),
        ({"events": np.zeros(5, np.int64)}, TypeError, "incompatible"),
    ],
)
def test_sequences_view_refuses_inconsistent_columns(columns, error, match):
    base = {"offsets": np.array([0, 2, 5], np.int64), "events": np.zeros(5, np.int32)}
    with pytest.raises(error, match=match):
        _core.SequencesView(**{**base, **columns})


def test_diversity_params_refuse_a_gap_that_is_not_positive():
    with pytest.raises(ValueError, match="session_gap_ns must be positive"):
        _core.DiversityParams(session_gap_ns=0)


def test_union_default_encoder_and_bad_input():
    rng = np.random.default_rng(0)
    log = pd.DataFrame(
        {
            "u": rng.integers(0, 20, 400),
            "e": rng.choice(["pv", "cart", "buy"], 400),
            "t": rng.integers(0, 10**6, 400),
            "i": rng.integers(0, 30, 400),
            "v": rng.uniform(1, 9, 400),
        }
    )
    seqs = Sequences.from_events(log, entity="u", event="e", time="t", item="i", value="v")
    enc = default_encoder().set_output(transform="pandas").fit(seqs)
    frame = enc.transform(seqs)
    assert frame.shape == (20, enc.n_features_out_) and frame.index.equals(seqs.ids)
    assert np.isfinite(frame.to_numpy()).all() and frame.dtypes.eq(np.float32).all()
    untimed = Sequences.from_lists([[1, 2], [2]])
    assert default_encoder("log").fit(untimed).transform(untimed).shape[0] == 2
    with pytest.raises(ValueError, match="needs event times"):
        TemporalEncoder().fit(untimed)
    with pytest.raises(NotFittedError):
        TemporalEncoder().transform(seqs)
    with pytest.raises(ValueError, match="session_gap"):
        TemporalEncoder(session_gap=-5).fit(seqs)
    with pytest.raises(ValueError, match="collide"):
        EncoderUnion([("a", TemporalEncoder()), ("b", TemporalEncoder())]).fit(seqs)
    with pytest.raises(ValueError, match="kind"):
        default_encoder("video")


def test_edge_cases_empty_single_equal_times_huge_gaps():
    # An empty sequence (from slicing windows), one event, equal timestamps, a gap of years.
    offsets = np.array([0, 0, 1, 4, 6], dtype=np.int64)
    events = np.array(["pv", "pv", "pv", "pv", "buy", "pv"], dtype=object)
    times = np.array([100, 50, 50, 50, 0, 10**9 * 3], dtype=np.int64)
    seqs = Sequences.from_arrays(
        offsets,
        events,
        times=times,
        items=[1, 1, 2, 2, 3, 3],
        values=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    )
    temporal = TemporalEncoder().set_output(transform="pandas").fit_transform(seqs)
    assert temporal.iloc[0].abs().sum() == 0  # empty: all zeros
    assert temporal.iloc[1]["length"] == 1 and temporal.iloc[1]["gap_mean_s"] == 0
    equal = temporal.iloc[2]
    assert equal["gap_mean_s"] == 0 and equal["share_gaps_under_1s"] == 1
    assert equal["max_events_1min"] == 3 and equal["burstiness"] == 0
    huge = temporal.iloc[3]
    assert huge["n_sessions"] == 2 and huge["duration_s"] == pytest.approx(3e9)
    assert np.isfinite(temporal.to_numpy()).all()
    for encoder in (TransitionEncoder(order=2), DiversityEncoder(), default_encoder()):
        out = encoder.fit_transform(seqs)
        assert out.shape[0] == 4 and np.isfinite(out).all()
        assert not np.any(out[0])
    single_type = Sequences.from_lists([["pv"] * 5])
    assert TransitionEncoder().fit_transform(single_type)[0][0] == 1.0  # p(pv|pv)


def test_diversity_item_categories():
    seqs = Sequences.from_arrays([0, 4], ["pv"] * 4, items=["a", "b", "c", "z"])
    categories = {"a": "shoes", "b": "shoes", "c": "books"}
    enc = DiversityEncoder(item_categories=categories).set_output(transform="pandas").fit(seqs)
    row = enc.transform(seqs).iloc[0]
    assert row["n_categories"] == 2 and row["distinct_category_ratio"] == 0.5
    assert row["category_entropy_bits"] == pytest.approx(
        -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)
    )
    with pytest.raises(ValueError, match="needs sequences with items"):
        DiversityEncoder(item_categories=categories).fit(Sequences.from_lists([["pv"]]))


@pytest.mark.parametrize("seed", range(6))
def test_temporal_long_sequences_match_reference(seed):
    # Long sequences exercise the quickselect (short ones are sorted) and the busiest
    # windows far from the start: bursts of equal gaps, ties, runs of equal timestamps.
    rng = np.random.default_rng(seed)
    sequences = []
    for _ in range(8):
        n = int(rng.integers(17, 900))
        kind = rng.integers(3)
        if kind == 0:
            gaps = rng.choice([0, 1, 1, 2, 30, 30, 3600, 7200], n - 1)
        elif kind == 1:
            gaps = rng.exponential(rng.choice([5.0, 600.0, 20_000.0]), n - 1).astype(np.int64)
        else:
            gaps = np.full(n - 1, int(rng.integers(0, 90)))
        times = 1_600_000_000 + np.concatenate([[0], np.cumsum(gaps)])
        sequences.append([("pv", int(t), 0, 1.0) for t in times])
    sequences, seqs = build(sequences)
    got = TemporalEncoder().set_output(transform="pandas").fit_transform(seqs)
    for i, s in enumerate(sequences):
        for name, value in temporal_reference([e[1] for e in s]).items():
            assert got.iloc[i][name] == pytest.approx(value, rel=1e-5, abs=1e-4), name


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "Australia/Lord_Howe"])
def test_temporal_local_hours_over_years_of_offset_changes(zone):
    # Three years of random events: every daylight-saving change (Lord Howe's is half an
    # hour) must move the local hour and weekday exactly as pandas does.
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2021-01-01", tz="UTC").value // 10**9
    times = np.sort(rng.integers(start, start + 3 * 365 * 86_400, 20_000))
    offsets = np.array([0, 20_000], dtype=np.int64)
    seqs = Sequences.from_arrays(offsets, ["pv"] * times.size, times=times)
    row = TemporalEncoder(time_zone=zone).set_output(transform="pandas").fit_transform(seqs)
    local = pd.DatetimeIndex(times * 10**9, tz="UTC").tz_convert(zone)
    hours = np.bincount(local.hour, minlength=24) / times.size
    days = np.bincount(local.day_of_week, minlength=7) / times.size
    got_hours = row[[f"share_hour_{h:02d}" for h in range(24)]].to_numpy()[0]
    got_days = row[[f"share_{d}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]]
    np.testing.assert_allclose(got_hours, hours, atol=1e-6)
    np.testing.assert_allclose(got_days.to_numpy()[0], days, atol=1e-6)


@given(event_lists, st.sampled_from([600, 1800, 7200]))
def test_new_categories_of_the_last_session_match_reference(raw, gap):
    # Items 0-4 have categories (two share one), 5 and 6 have none.
    categories = {0: "c0", 1: "c0", 2: "c1", 3: "c2", 4: "c3"}
    sequences, seqs = build(raw, with_items=True)
    enc = DiversityEncoder(item_categories=categories, session_gap=gap)
    got = enc.set_output(transform="pandas").fit_transform(seqs)["new_category_share_last_session"]
    for i, s in enumerate(sequences):
        times = [e[1] for e in s]
        start = len(s) - 1
        while start > 0 and times[start] - times[start - 1] <= gap:
            start -= 1
        expected = 0.0
        if start > 0:
            before = {categories[e[2]] for e in s[:start] if e[2] in categories}
            recent = [categories[e[2]] for e in s[start:] if e[2] in categories]
            expected = sum(c not in before for c in recent) / len(recent) if recent else 0.0
        assert got.iloc[i] == pytest.approx(expected, abs=1e-6)


def test_new_categories_need_times_and_an_earlier_session():
    categories = {1: "a", 2: "b"}
    untimed = Sequences.from_arrays([0, 3], ["pv"] * 3, items=[1, 1, 2])
    row = DiversityEncoder(item_categories=categories).set_output(transform="pandas")
    assert row.fit_transform(untimed)["new_category_share_last_session"].iloc[0] == 0
    timed = Sequences.from_arrays(
        [0, 3, 5], ["pv"] * 5, times=[0, 10, 100_000, 0, 10], items=[1, 1, 2, 1, 2]
    )
    out = row.fit_transform(timed)["new_category_share_last_session"].tolist()
    assert out == [1.0, 0.0]  # a new category after a day away; one session: no history
    with pytest.raises(ValueError, match="session_gap"):
        DiversityEncoder(item_categories=categories, session_gap=-1).fit(timed)
