import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from oddseq.encode import AutomationEncoder, TemporalEncoder
from oddseq.encode._automation import HUMAN_THINK_TIME_S
from oddseq.sequences import Sequences

NS = 1_000_000_000
HOUR = 3600 * NS
DAY = 24 * HOUR


def sequences_of(times_per_sequence, unit="ns"):
    lengths = [len(t) for t in times_per_sequence]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = np.concatenate([np.asarray(t, dtype=np.int64) for t in times_per_sequence])
    scale = {"ns": 1, "s": NS}[unit]
    return Sequences.from_arrays(
        offsets, np.array(["e"] * flat.size, dtype=object), times=pd.to_datetime(flat * scale)
    )


def reference(t, repeat_tol_ns=100_000_000, period_tol=0.1, max_lag=16):
    """Plain numpy version of every column, for one sequence of int64 ns UTC times."""
    t = np.asarray(t, dtype=np.int64)
    n = t.size
    row = dict.fromkeys(AutomationEncoder().get_feature_names_out(), 0.0)
    into_day = t - (t // DAY) * DAY
    hours = into_day // HOUR
    row["share_active_hours"] = np.unique(hours).size / 24
    angle = 2 * math.pi * into_day.astype(float) / DAY
    resultant = math.hypot(np.cos(angle).sum(), np.sin(angle).sum()) / n
    row["hour_circular_spread"] = min(1.0, max(0.0, 1 - resultant))
    day = t // DAY
    row["max_active_hours_per_day"] = max(np.unique(hours[day == d]).size for d in np.unique(day))
    if n < 2:
        return row
    gaps = np.diff(t)
    m = gaps.size
    ms = gaps // 1_000_000
    octave = np.array([int(v).bit_length() for v in ms])
    _, counts = np.unique(octave, return_counts=True)
    p = counts / m
    row["gap_entropy_bits"] = max(0.0, float(-(p * np.log2(p)).sum()))
    if m >= 2:
        repeated = (gaps[1:] > 0) & (np.abs(gaps[1:] - gaps[:-1]) <= repeat_tol_ns)
        row["share_repeated_gaps"] = repeated.sum() / (m - 1)
    positive = np.sort(gaps[gaps > 0])
    if positive.size:
        inside = [
            ((positive >= g) & (positive.astype(float) <= float(g) * (1 + period_tol))).sum()
            for g in positive
        ]
        best = int(np.argmax(inside))
        row["dominant_gap_share"] = inside[best] / m
        row["dominant_gap_s"] = positive[best] / 1e9
    zero = gaps == 0
    row["share_zero_gaps"] = zero.mean()
    run = longest = 0
    for z in zero:
        run = run + 1 if z else 0
        longest = max(longest, run)
    row["longest_zero_gap_run"] = longest
    row["share_no_think_time"] = ((gaps > 0) & (gaps < HUMAN_THINK_TIME_S * 1e9)).mean()
    top = min(max_lag, m // 2)
    c = gaps.astype(float) - (t[-1] - t[0]) / m
    var = (c * c).sum()
    if top >= 2 and var > 0:
        peaks = [(c[k:] * c[:-k]).sum() / var for k in range(2, top + 1)]
        row["gap_autocorr_peak"] = max(0.0, max(peaks))
    return row


def check_rows(got, expected_rows):
    for i, expected in enumerate(expected_rows):
        for name, value in expected.items():
            assert got.iloc[i][name] == pytest.approx(value, rel=1e-5, abs=1e-5), (i, name)


# Gaps mixing exact repeats, zeros, sub-second and human-sized values, over many days.
gap_values = st.one_of(
    st.just(0),
    st.sampled_from([5 * NS, NS // 2, 3 * NS]),
    st.integers(0, 5 * NS),
    st.integers(0, 40 * HOUR),
)
sequence_lists = st.lists(
    st.tuples(
        st.integers(1_400_000_000 * NS, 1_700_000_000 * NS), st.lists(gap_values, max_size=40)
    ),
    min_size=1,
    max_size=10,
)


@settings(deadline=None, max_examples=80)
@given(sequence_lists, st.sampled_from([1, 2]))
def test_matches_numpy_reference(raw, n_threads):
    times = [start + np.concatenate([[0], np.cumsum(gaps, dtype=np.int64)]) for start, gaps in raw]
    seqs = sequences_of(times)
    enc = AutomationEncoder(n_threads=n_threads).set_output(transform="pandas").fit(seqs)
    got = enc.transform(seqs)
    assert list(got.columns) == list(enc.get_feature_names_out())
    assert got.dtypes.eq(np.float32).all()
    check_rows(got, [reference(t) for t in times])


@settings(deadline=None, max_examples=30)
@given(
    sequence_lists,
    st.sampled_from([0, 1, 250_000_000, 2 * NS]),
    st.sampled_from([0.01, 0.1, 0.5]),
    st.integers(2, 6),
)
def test_parameters_match_reference(raw, tolerance_ns, period, max_lag):
    times = [start + np.concatenate([[0], np.cumsum(gaps, dtype=np.int64)]) for start, gaps in raw]
    seqs = sequences_of(times)
    enc = AutomationEncoder(
        repeat_tolerance=tolerance_ns / 1e9, period_tolerance=period, max_lag=max_lag
    ).set_output(transform="pandas")
    got = enc.fit_transform(seqs)
    check_rows(got, [reference(t, tolerance_ns, period, max_lag) for t in times])


def test_thread_count_does_not_change_results():
    rng = np.random.default_rng(0)
    times = []
    for _ in range(3000):
        gaps = rng.lognormal(3, 1.5, rng.integers(0, 80)) * NS
        times.append(1_600_000_000 * NS + np.concatenate([[0], np.cumsum(gaps.astype(np.int64))]))
    seqs = sequences_of(times)
    one = AutomationEncoder(n_threads=1).fit_transform(seqs)
    two = AutomationEncoder(n_threads=2).fit_transform(seqs)
    many = AutomationEncoder(n_threads=7).fit_transform(seqs)
    assert np.array_equal(one, two) and np.array_equal(one, many)
    assert np.isfinite(one).all()


def test_single_event_and_equal_times():
    t0 = 1_600_000_000 * NS + 13 * HOUR
    seqs = sequences_of([[t0], [t0] * 5])
    got = AutomationEncoder().set_output(transform="pandas").fit_transform(seqs)
    assert np.isfinite(got.to_numpy()).all()
    single = got.iloc[0]
    assert single["share_active_hours"] == pytest.approx(1 / 24)
    assert single["max_active_hours_per_day"] == 1
    gap_columns = [c for c in got.columns if "hour" not in c]
    assert (single[gap_columns] == 0).all()
    burst = got.iloc[1]
    assert burst["share_zero_gaps"] == 1 and burst["longest_zero_gap_run"] == 4
    assert burst["dominant_gap_share"] == 0 and burst["share_repeated_gaps"] == 0
    assert burst["gap_entropy_bits"] == 0 and burst["gap_autocorr_peak"] == 0
    assert burst["hour_circular_spread"] == pytest.approx(0, abs=1e-6)


def test_shape_and_dtype():
    seqs = sequences_of([[NS]])
    enc = AutomationEncoder().fit(seqs)
    assert enc.transform(seqs).shape == (1, 11)


def test_scripted_rhythm_scores_higher_than_human():
    rng = np.random.default_rng(1)
    start = 1_600_000_000 * NS
    n_gaps = 60
    regular = start + np.arange(n_gaps + 1, dtype=np.int64) * 5 * NS
    jittered = start + np.concatenate(
        [[0], np.cumsum(rng.uniform(4.8, 5.2, n_gaps) * NS).astype(np.int64)]
    )
    humans = [
        start + np.concatenate([[0], np.cumsum(rng.lognormal(np.log(20), 1.0, n_gaps) * NS)])
        for _ in range(50)
    ]
    seqs = sequences_of([regular, jittered] + [h.astype(np.int64) for h in humans])
    got = AutomationEncoder().set_output(transform="pandas").fit_transform(seqs)
    human = got.iloc[2:]
    for i in (0, 1):
        bot = got.iloc[i]
        assert bot["dominant_gap_share"] > 0.9 > human["dominant_gap_share"].max() + 0.5
        assert bot["dominant_gap_s"] == pytest.approx(5, abs=0.25)
        assert bot["gap_entropy_bits"] < 1.01 < 1.5 < human["gap_entropy_bits"].min()
    assert got.iloc[0]["share_repeated_gaps"] == 1
    assert human["share_repeated_gaps"].max() < 0.1


def test_autocorrelation_finds_a_cycle():
    # view, view, view, buy, wait: gaps 1, 1, 1, 30 repeated (lag 4), with jitter.
    rng = np.random.default_rng(2)
    gaps = np.tile([1.0, 1.0, 1.0, 30.0], 15) + rng.uniform(0, 0.3, 60)
    t = 1_600_000_000 * NS + np.concatenate([[0], np.cumsum(gaps * NS)]).astype(np.int64)
    human = 1_600_000_000 * NS + np.concatenate(
        [[0], np.cumsum(rng.lognormal(2, 1, 60) * NS)]
    ).astype(np.int64)
    got = AutomationEncoder().set_output(transform="pandas").fit_transform(sequences_of([t, human]))
    assert got.iloc[0]["gap_autocorr_peak"] > 0.9
    assert got.iloc[1]["gap_autocorr_peak"] < 0.5


def test_clock_spread_and_local_time():
    day0 = 1_600_041_600 * NS  # 2020-09-14 00:00 UTC
    around_the_clock = day0 + np.arange(24, dtype=np.int64) * HOUR
    evenings = np.sort(
        np.concatenate([day0 + d * DAY + 20 * HOUR + np.arange(3) * 600 * NS for d in range(5)])
    )
    got = (
        AutomationEncoder()
        .set_output(transform="pandas")
        .fit_transform(sequences_of([around_the_clock, evenings]))
    )
    assert got.iloc[0]["share_active_hours"] == 1
    assert got.iloc[0]["max_active_hours_per_day"] == 24
    assert got.iloc[0]["hour_circular_spread"] == pytest.approx(1, abs=1e-6)
    assert got.iloc[1]["max_active_hours_per_day"] == 1
    assert got.iloc[1]["hour_circular_spread"] < 0.01
    # 20:00 UTC is 04:00 the next day in Shanghai.
    shanghai = AutomationEncoder(time_zone="Asia/Shanghai").set_output(transform="pandas")
    row = shanghai.fit_transform(sequences_of([evenings])).iloc[0]
    assert row["share_active_hours"] == pytest.approx(1 / 24)


def test_does_not_duplicate_temporal_columns():
    seqs = sequences_of([[0, NS]])
    temporal = set(TemporalEncoder().fit(seqs).get_feature_names_out())
    assert not temporal & set(AutomationEncoder().get_feature_names_out())


def test_bad_input():
    untimed = Sequences.from_lists([["a", "b"]])
    with pytest.raises(ValueError, match="needs event times"):
        AutomationEncoder().fit(untimed)
    with pytest.raises(TypeError, match="Sequences"):
        AutomationEncoder().fit(np.zeros((3, 2)))
    seqs = sequences_of([[0, NS]])
    with pytest.raises(ValueError, match="max_lag"):
        AutomationEncoder(max_lag=1).fit(seqs)
    with pytest.raises(TypeError, match="max_lag"):
        AutomationEncoder(max_lag=2.5).fit(seqs)
    with pytest.raises(ValueError, match="period_tolerance"):
        AutomationEncoder(period_tolerance=0).fit(seqs)
    with pytest.raises(ValueError, match="repeat_tolerance"):
        AutomationEncoder(repeat_tolerance=-1).fit(seqs)
    with pytest.raises(TypeError, match="repeat_tolerance"):
        AutomationEncoder(repeat_tolerance="soon").fit(seqs)
    with pytest.raises(ValueError, match="time_zone"):
        AutomationEncoder(time_zone="Mars/Olympus").fit(seqs)
    with pytest.raises(NotFittedError):
        AutomationEncoder().transform(seqs)
    fitted = AutomationEncoder().fit(seqs)
    with pytest.raises(ValueError, match="needs event times"):
        fitted.transform(untimed)


def test_caller_arrays_untouched_and_pandas_index():
    log = pd.DataFrame(
        {"u": ["x", "x", "y"], "e": ["a", "b", "a"], "t": pd.to_datetime([0, 5, 9], unit="s")}
    )
    before = log.copy()
    seqs = Sequences.from_events(log, entity="u", event="e", time="t")
    got = AutomationEncoder().set_output(transform="pandas").fit_transform(seqs)
    assert list(got.index) == ["x", "y"]
    pd.testing.assert_frame_equal(log, before)


def test_timing_bindings_take_a_view_a_local_time_and_params():
    """automation_features and temporal_features take (SequencesView, LocalTime, params,
    n_threads) instead of a column and a setting per argument; each part is checked
    once, when made, and the encoders give the same bits as the kernels."""
    from oddseq import _core

    seqs = sequences_of([[0, 5 * NS, 10 * NS, 15 * NS], [0, 2 * NS, 61 * NS]])
    view = _core.SequencesView(offsets=seqs.offsets, events=seqs.events, times=seqs.times)
    local = _core.LocalTime(utc_offset_s=np.zeros(1, np.int64), first_hour=0)
    assert (local.first_hour, local.n_hours) == (0, 1)
    params = _core.AutomationParams(
        repeat_tolerance_ns=100_000_000, period_tolerance=0.1, max_lag=16, think_time_ns=2 * NS
    )
    assert (params.max_lag, params.period_tolerance) == (16, 0.1)
    got = _core.automation_features(view, local, params, 1)
    assert got.tobytes() == AutomationEncoder().fit(seqs).transform(seqs).tobytes()
    assert got.tobytes() == _core.automation_features(view, local, params, 2).tobytes()
    temporal = _core.temporal_features(view, local, 30 * 60 * NS, 1)
    assert temporal.shape == (2, 51)
    untimed = _core.SequencesView(offsets=seqs.offsets, events=seqs.events)
    with pytest.raises(ValueError, match="needs sequences with times"):
        _core.automation_features(untimed, local, params, 1)
    with pytest.raises(ValueError, match="needs sequences with times"):
        _core.temporal_features(untimed, local, NS, 1)
    with pytest.raises(ValueError, match="utc_offset_s"):
        _core.LocalTime(utc_offset_s=np.zeros(0, np.int64), first_hour=0)
    for bad, match in [
        ({"repeat_tolerance_ns": -1}, "repeat_tolerance_ns"),
        ({"period_tolerance": 0.0}, "period_tolerance"),
        ({"period_tolerance": math.inf}, "period_tolerance"),
        ({"max_lag": 1}, "max_lag"),
        ({"think_time_ns": -1}, "think_time_ns"),
    ]:
        settings_ = {
            "repeat_tolerance_ns": 0,
            "period_tolerance": 0.1,
            "max_lag": 2,
            "think_time_ns": 0,
            **bad,
        }
        with pytest.raises(ValueError, match=match):
            _core.AutomationParams(**settings_)
