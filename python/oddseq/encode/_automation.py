"""AutomationEncoder: the generic timing marks of scripted behaviour."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..utils._params import Boolean, Check, Integer, Real, Threads
from ..utils._time import duration_ns
from ..utils._unique import distinct
from ..utils._validation import resolve_threads
from ._base import SequenceEncoder, _check_timed_sequences
from ._behaviour import _fitted_time_zone, _local_time, _timed_view, _utc_offset_table

__all__ = ["AutomationEncoder", "HUMAN_THINK_TIME_S"]

_NS_HOUR = 3_600_000_000_000
#: ``share_off_hours``: an hour is quiet when the population puts under half an even
#: share (1/24) of its activity there, and seldom the entity's own when the entity was
#: active within an hour of it on at most a quarter of its active days.
_QUIET_SHARE = 0.5 / 24
_SELDOM_DAYS = 0.25

#: Positive gaps shorter than this many seconds count as actions without human think
#: time. The keystroke-level model of Card, Moran and Newell (1980) puts a mental
#: preparation (about 1.35 s) plus pointing at a target (about 1.1 s) before a click on
#: a newly shown page, about 2.4 s; a person who reads, decides and clicks rarely does it
#: in under 2 s, a script does it every time.
HUMAN_THINK_TIME_S = 2.0

_NAMES = (
    "gap_entropy_bits",
    "share_repeated_gaps",
    "dominant_gap_share",
    "dominant_gap_s",
    "gap_autocorr_peak",
    "share_zero_gaps",
    "longest_zero_gap_run",
    "share_no_think_time",
    "share_active_hours",
    "hour_circular_spread",
    "max_active_hours_per_day",
)


def _tolerance_ns(value, name: str) -> int:
    """A duration >= 0 as int64 ns (0 allowed: exact repeats only)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0:
        return 0
    return duration_ns(value, name)


class AutomationEncoder(SequenceEncoder):
    """Marks of scripted behaviour in each sequence's timing.

    A script waits fixed or few distinct delays, repeats them, acts faster than anyone
    can read a page, fires several events at one instant and runs around the clock.
    These columns measure that; they complement :class:`TemporalEncoder` (gap moments,
    ``gap_cv``, ``burstiness``, ``share_gaps_under_1s``, ``gap_lag1_autocorr``, hourly
    shares, ``hour_entropy_bits``), whose columns they do not repeat. Eleven columns:

    - ``gap_entropy_bits``: entropy of the gaps' octaves on a millisecond scale (bin 0
      below 1 ms, then the bit length of the whole milliseconds: 1 ms, 2-3 ms, 4-7 ms,
      ..., 4.1-8.2 s, ...); low when the sequence uses one delay size.
    - ``share_repeated_gaps``: of the consecutive gap pairs, the share where a positive
      gap repeats the previous one within ``repeat_tolerance`` (a ``sleep(5)`` loop).
    - ``dominant_gap_share``: the largest share of gaps that fall into one window
      ``[g, g * (1 + period_tolerance)]`` (a period, even with jitter), and
      ``dominant_gap_s``, that window's lower end g (the smallest on ties). Zero gaps
      are bursts, not a period: they never count here.
    - ``gap_autocorr_peak``: the strongest autocorrelation of the gap series at lags 2
      to ``max_lag`` (at most half the gaps; lag 1 is TemporalEncoder's), clipped below
      at 0: a cycle of actions (view, view, buy, wait) repeated peaks at its length.
    - ``share_zero_gaps`` and ``longest_zero_gap_run``: gaps of exactly 0 (events at
      the same instant, at the log's time resolution) and the longest run of them.
    - ``share_no_think_time``: the share of gaps in (0, ``HUMAN_THINK_TIME_S`` = 2 s):
      actions after a page without the time to read it and decide (see
      ``HUMAN_THINK_TIME_S``); zero gaps count in ``share_zero_gaps`` instead.
    - ``share_active_hours``: local clock hours (of 24) with any event;
      ``hour_circular_spread``: 1 - the mean resultant length of the events' times of
      day on the 24-hour circle (0: always at one time of day; near 1: all around the
      clock; unlike an entropy it knows 23:00 is next to 00:00);
      ``max_active_hours_per_day``: the most distinct clock hours active in one local
      calendar day (people sleep; a script can run 24 of them).

    With ``off_hours=True`` a twelfth column, ``share_off_hours``: the share of the
    sequence's events at an hour when the population is least active (the fitted
    sequences put under half an even share, 1/48, of their activity in that clock hour,
    each sequence weighing one) and the entity itself seldom is (active within an hour
    of it on at most a quarter of its active local days, so a history of under four
    days never counts). An office worker exporting at night scores its night's share;
    a night-shift worker at night, or anyone at the hours most people keep, 0.

    Gap columns are 0 for sequences of one event (no gap, hence no mark of a script);
    the clock columns are defined from one event (1/24, 0 and 1). No column is ever NaN.

    Parameters
    ----------
    repeat_tolerance : float, str or Timedelta, default="100ms"
        How close a gap must be to the previous one to repeat it (seconds or a
        duration string; 0: exact repeats only). At a log's resolution of 1 s any value
        below 1 s means exact.
    period_tolerance : float, default=0.1
        Relative width of the window that makes a period (0.1: gaps within 10%).
    max_lag : int, default=16
        Longest cycle, in gaps, for ``gap_autocorr_peak``; at least 2.
    off_hours : bool, default=False
        Add ``share_off_hours`` (needs the population's hours, learnt at fit).
    time_zone : str, optional
        Zone for the clock columns; default: the zone the sequences' times came in
        (``Sequences.tz``), else UTC.
    n_threads : int, optional

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> bot = [0, 5, 10, 15, 20, 25]          # a sleep(5) loop
    >>> person = [0, 12, 14, 61, 95, 220]     # reading, deciding, wandering off
    >>> seqs = Sequences.from_arrays([0, 6, 12], ["view"] * 12, times=bot + person)
    >>> enc = AutomationEncoder().set_output(transform="pandas").fit(seqs)
    >>> enc.transform(seqs)[["share_repeated_gaps", "dominant_gap_share"]].round(2)
       share_repeated_gaps  dominant_gap_share
    0                  1.0                 1.0
    1                  0.0                 0.2
    """

    def __init__(
        self,
        repeat_tolerance="100ms",
        period_tolerance=0.1,
        max_lag=16,
        time_zone=None,
        n_threads=None,
        off_hours=False,
    ):
        self.off_hours = off_hours
        self.repeat_tolerance = repeat_tolerance
        self.period_tolerance = period_tolerance
        self.max_lag = max_lag
        self.time_zone = time_zone
        self.n_threads = n_threads

    _parameter_checks = {
        "repeat_tolerance": Check(_tolerance_ns),
        "period_tolerance": Real(0, None, closed="neither", finite=True),
        "max_lag": Integer(2),
        "off_hours": Boolean(),
        "n_threads": Threads(),
    }

    def _check_params(self):
        params = self._validate_params()
        return params["repeat_tolerance"], params["period_tolerance"], params["max_lag"]

    def fit(self, X, y=None):
        seqs = _check_timed_sequences(X, "AutomationEncoder.fit")
        self._check_params()
        self.time_zone_ = _fitted_time_zone(self.time_zone, seqs)
        if self.off_hours:
            shares = _hour_shares(*_hours_days(seqs, self.time_zone_))
            # each sequence weighs one; one more spread evenly keeps every hour above 0
            self.population_hours_ = (shares.sum(axis=0) + 1 / 24) / (len(shares) + 1)
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def transform(self, X):
        check_is_fitted(self, "time_zone_")
        seqs = _check_timed_sequences(X, "AutomationEncoder.transform")
        tolerance, period, max_lag = self._check_params()
        params = _core.AutomationParams(
            repeat_tolerance_ns=tolerance,
            period_tolerance=period,
            max_lag=max_lag,
            think_time_ns=int(round(HUMAN_THINK_TIME_S * 1e9)),
        )
        features = _core.automation_features(
            _timed_view(seqs),
            _local_time(seqs.times, self.time_zone_),
            params,
            resolve_threads(self.n_threads),
        )
        if self.off_hours:
            check_is_fitted(self, "population_hours_")
            off = _share_off_hours(seqs, self.time_zone_, self.population_hours_)
            features = np.column_stack([features, off.astype(features.dtype)])
        return self._wrap(features, seqs)

    def get_feature_names_out(self, input_features=None):
        names = list(_NAMES) + (["share_off_hours"] if self.off_hours else [])
        return np.asarray(names, dtype=object)


def _hours_days(seqs, time_zone):
    """Per event: its sequence, local clock hour (0-23) and local day number."""
    times = np.asarray(seqs.times, dtype=np.int64)
    table, first = _utc_offset_table(times, time_zone)
    at = np.clip(times // _NS_HOUR - first, 0, len(table) - 1)
    local = times + table[at] * 1_000_000_000
    entity = np.repeat(np.arange(len(seqs.offsets) - 1), np.diff(seqs.offsets))
    return entity, (local // _NS_HOUR) % 24, local // (24 * _NS_HOUR), len(seqs.offsets) - 1


def _hour_shares(entity, hour, day, n) -> np.ndarray:
    """Each sequence's share of its events in each local clock hour (n x 24; 0 when
    empty)."""
    counts = np.zeros((n, 24))
    np.add.at(counts, (entity, hour), 1.0)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def _share_off_hours(seqs, time_zone, population) -> np.ndarray:
    entity, hour, day, n = _hours_days(seqs, time_zone)
    if len(entity) == 0:
        return np.zeros(n)
    # the distinct (sequence, day, hour) triples, then each sequence's days with an event
    # within an hour of each clock hour
    day = day - day.min()
    cells = distinct((entity * (day.max() + 1) + day) * 24 + hour)
    ent_day, cell_hour = cells // 24, cells % 24
    near = np.zeros((n, 24))
    for shift in (-1, 0, 1):
        pairs = distinct(ent_day * 24 + (cell_hour + shift) % 24)
        np.add.at(near, ((pairs // 24) // (day.max() + 1), pairs % 24), 1.0)
    active_days = np.bincount(distinct(ent_day) // (day.max() + 1), minlength=n)
    seldom = near <= _SELDOM_DAYS * active_days[:, None]
    counted = seldom[entity, hour] & (population[hour] < _QUIET_SHARE)
    lengths = np.diff(np.asarray(seqs.offsets, dtype=np.int64))
    return np.bincount(entity, counted.astype(np.float64), minlength=n) / np.maximum(lengths, 1)
