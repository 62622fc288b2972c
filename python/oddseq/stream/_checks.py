"""Scoring's checks for a stream: where the events streamed are not like the data the
model was fitted on (:mod:`oddseq._fitted_data`, as :meth:`AnomalyPipeline.score` checks
a later log), judged as the events arrive and each warned once. Warnings only: states,
scores and alerts are unchanged.

- other column names than at fit (entity, event, item): at the first events;
- over 5% of the events of types the model never saw: judged on the first ``WINDOW``
  events (``oddseq stream``: or on the whole input where it is shorter);
- far more of those events without a value (or an item) than at fit (the batch's rule,
  :func:`oddseq._fitted_data.missing_said`: a column that came empty), judged on the
  same events where they are of ``MISSING_MIN_ENTITIES`` entities or more, then on each
  later window of ``WINDOW`` events (one event in ``MISSING_STRIDE`` read: update_one,
  the lines; update's batches whole), naming the window where it began (a feed whose
  price column empties after an hour); each kind warned once;
- entities tracked far longer than the fitted ones lasted: a stream keeps each entity's
  state from its first event, so its duration and rate features grow with the stream's
  running time (a log of a week read live for a month reads every steady user as a
  month-long one). Where the stream has run ``SPAN_RATIO`` times the fitted span (event
  time) and the entities it has followed since its first events (``SAMPLE`` of them)
  have lasted ``DURATION_RATIO`` times the fitted 90th-percentile duration. Only that
  way: a stream starts with entities a few events in, shorter than the fitted ones by
  nature (which ``StreamScorer.calibrate`` is for), so "shorter" is no warning here;
- far more flagged than the cut promises while the bulk of the scores moved
  (:func:`oddseq._fitted_data.share_alarm`): the same followed entities scored as they
  stand, once the stream has run as long as the fitted span (before, their histories
  are shorter than the fitted ones), then at twice, four times ... that span (a stream
  without times: after 10, 20, 40 ... windows of events, by when the entities of the
  first have had the stream's time to end).

The checks look at the stream every ``CHECK_EVERY`` events after the window (a read of
the stream's clock); the durations and scores are read only at the points above, so the
cost per event is a counter, and while a value or item is watched a call every
``MISSING_STRIDE`` events (a field test; a line's fields read in Python, about 1 us).
"""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pandas as pd

from .. import _fitted_data
from .._fitted_data import (
    DURATION_RATIO,
    MIN_SCORED,
    MISSING_MIN_ENTITIES,
    SPAN_RATIO,
    _days,
    missing_said,
)
from ..exceptions import DataWarning
from ..utils._stacklevel import user_stacklevel

__all__ = ["StreamChecks", "InputChecks", "Repeats", "compared", "WINDOW", "SAMPLE", "CHECK_EVERY"]

#: The first events of a stream whose types are judged (and whose entities are followed).
WINDOW = 10_000
#: The entities of the window followed for the durations and the share flagged.
SAMPLE = 2_000
#: Events between the looks at the stream's clock after the window.
CHECK_EVERY = 65_536
#: After the first window, one event in this many is read for its value and item (a
#: window of WINDOW events: 312 of them; the stream's lines: ~1 us each read in Python,
#: against ~2 us each through the C++ reader).
MISSING_STRIDE = 32
#: A last window shorter than this (at the end of the input) is not judged.
_MISSING_LAST = 1_000
#: Nothing left to check.
NEVER = 2**62
_NO_TIME = np.iinfo(np.int64).min
#: A stream without times: events streamed before the share flagged is first judged.
_NO_TIME_SHARE_AT = 10.0 * WINDOW
# Events dropped as too late are warned about (once) where they pass this share of the
# events seen: as the unseen-type check warns where over 5% of the events are of types
# the model never saw, events it does not read as they are (here: not at all); an input
# in time order drops none, so 5% is no jitter of a source but an input out of order.
# Judged from this many events seen on (5% of them: 50 dropped, not a chance of the
# first lines), then every LATE_FROM events (a read of the store's counters).
LATE_SHARE, LATE_FROM = 0.05, 1_000


class StreamChecks:
    """The checks of one :class:`StreamScorer` (and its current pipeline); the scorer
    calls :meth:`batch`, :meth:`one` or :meth:`lines` when its countdown
    (``_check_left``) runs out: on every event while the window is open, then every
    ``CHECK_EVERY`` events."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.input = scorer._input  # the input's checks: kept across refits
        fitted = getattr(scorer.pipeline, "_fitted_data", None) or None
        self.fitted = fitted
        self.columns_said = fitted is None
        self.counts = {}  # event label (text) -> events, in the window
        self.n_window = 0
        # role (value, item) -> events without it in the window, for the roles the fit
        # recorded a share of and the scorer reads
        then = (fitted or {}).get("missing") or {}
        self.missing = {r: 0 for r in then if getattr(scorer, r, None) is not None}
        # after the first window: the roles still watched (not yet said), and the
        # window they are counted in (_Window)
        self.watching = {}
        self.later = None
        self.credit = 0.0  # events to read (one in MISSING_STRIDE), carried over calls
        # events handed to the checks (every path): after a refit, from the stream's
        # start still (the previous checks' count, and those handed since their last call)
        before = getattr(scorer, "_checks", None)
        self.n_seen = 0
        if before is not None:
            self.n_seen = before.n_seen + max(0, (before.given or 0) - scorer._check_left)
        self.offset = self.n_seen  # where these checks' first window starts
        self.given = None  # the countdown last given to the scorer (left())
        self.window_open = fitted is not None
        self.sample = {}  # entity key -> None: the followed entities, first seen first
        self.ids = {}  # entity id -> None: update_one's and the lines', hashed at the close
        self.start = None  # the stream's first event time (ns), else its clock at a first look
        self.until = CHECK_EVERY  # without times: events until the share is next judged
        timing = fitted.get("timing") if fitted else None
        self.timing = timing if scorer._has_times else None
        if fitted is None:
            self.next_long = self.next_share = None
        elif self.timing is not None:
            self.next_long = SPAN_RATIO * self.timing["span_s"]
            self.next_share = self.timing["span_s"]
        else:  # without times: the share after 10, 20, 40 ... windows of events
            self.next_long, self.next_share = None, _NO_TIME_SHARE_AT

    def left(self) -> int:
        """Events until the next call: 1 while the window is open, then ``CHECK_EVERY``
        while a check is pending, else ``NEVER``; sooner where the input's checks
        (:class:`InputChecks`) look sooner, and ``MISSING_STRIDE`` while a value or item
        is watched."""
        got = min(self._left(), self.input.left())
        if self.watching:
            got = min(got, MISSING_STRIDE)
        self.given = got
        return got

    def _since(self, n: int) -> int:
        """Events handed over since the last call (this call's ``n`` among them): the
        countdown given then, less where the scorer's stands now."""
        if self.given is None:  # (a caller that set no countdown from left())
            since = n
        else:
            since = max(n, self.given - self.scorer._check_left)
        self.n_seen += since
        self.call_first = self.n_seen - n + 1  # this call's first event
        return since

    def _left(self) -> int:
        if self.window_open or not self.columns_said:
            return 1
        if not (self.next_long or self.next_share):
            return NEVER
        return max(1, min(CHECK_EVERY, self.until))

    # ---- what the scorer hands over

    def batch(self, labels, keys, n: int, times=None, frame=None) -> int:
        """A batch of ``update``: its event labels (a Series, or None without an event
        column), the entity keys and times (ns) of its valid rows, ``n`` events."""
        since = self._since(n)
        self.input.batch(frame, since)
        self._columns()
        if self.start is None and times is not None and len(times):
            self.start = int(np.min(times))
        if self.window_open:
            room = WINDOW - self.n_window
            if labels is not None:
                self._count(labels.iloc[:room].value_counts(dropna=True))
            self._follow(keys[:room])
            for role in self.missing:
                column = frame[getattr(self.scorer, role)].iloc[:room]
                self.missing[role] += int(column.isna().sum())
            self.n_window += min(n, room)
        elif self.watching and frame is not None and len(frame):
            later = self._later()
            later.counted += len(frame)
            for role in self.watching:
                later.missing[role] += int(frame[getattr(self.scorer, role)].isna().sum())
            if len(later.entities) < MISSING_MIN_ENTITIES:
                later.entities.update(pd.unique(np.asarray(keys)).tolist())
        return self._after()

    def one(self, entity, event, time=None, item=None, value=None) -> int:
        """An event of ``update_one`` (before it is applied)."""
        since = self._since(1)
        self.input.one(entity, (event, time, item, value), since)
        self._columns()
        if self.window_open:
            # (other values: refused or made invalid by update_one, not counted here)
            if isinstance(event, (str, int, np.integer)) or (
                isinstance(event, (float, np.floating)) and event == event
            ):
                text = str(event)
                self.counts[text] = self.counts.get(text, 0) + 1
            if len(self.ids) < SAMPLE and isinstance(entity, (str, int, np.integer)):
                self.ids[entity] = None
            if self.missing:
                for role, given in (("value", value), ("item", item)):
                    if role in self.missing and _lacks(given):
                        self.missing[role] += 1
            self.n_window += 1
        elif self.watching and self._read(since, 1):
            later = self._later()
            later.counted += 1
            for role, given in (("value", value), ("item", item)):
                if role in self.watching and _lacks(given):
                    later.missing[role] += 1
            if len(later.entities) < MISSING_MIN_ENTITIES:
                try:
                    later.entities.add(entity)
                except TypeError:  # no id (a list): update_one refuses it
                    pass
        return self._after()

    def lines(self, data: bytes, begin: int, end: int, n: int, layout, time_factor=None) -> int:
        """Lines ``data[begin:end]`` the C++ line reader applied (``n`` of them), read
        with ``layout`` ((sep, header), header None for JSON lines) while the window is
        open; their times in the unit of ``time_factor`` (ns each; None: the scorer's)."""
        since = self._since(n)
        self.input.look(since)
        self._columns()
        if self.window_open:
            scorer = self.scorer
            entities, events, first, lacking = _fields(
                data[begin:end],
                *layout,
                scorer.entity,
                scorer.event,
                scorer.time,
                [getattr(scorer, role) for role in self.missing],
            )
            if self.start is None and first is not None:
                self.start = self._ns(first, time_factor)
            room = WINDOW - self.n_window
            for event in events[:room]:
                if event is not None:
                    self.counts[event] = self.counts.get(event, 0) + 1
            for role, without in zip(self.missing, lacking):
                self.missing[role] += sum(without[:room])
            for entity in entities:
                if len(self.ids) >= SAMPLE:
                    break
                if entity is not None:
                    self.ids[entity] = None
            self.n_window += min(n, WINDOW - self.n_window)
        elif self.watching:
            k = self._read(since, n)
            if k:
                self._read_lines(data, begin, end, k, layout)
        return self._after()

    # ---- values and items after the first window

    def _read(self, since: int, n: int) -> int:
        """How many of a call's ``n`` events to read: one in ``MISSING_STRIDE`` of the
        ``since`` handed over (those of skipped calls are gone: not carried)."""
        self.credit += since / MISSING_STRIDE
        k = min(int(self.credit), n)
        self.credit -= int(self.credit)
        return k

    def _read_lines(self, data: bytes, begin: int, end: int, k: int, layout) -> None:
        """``k`` lines of ``data[begin:end]`` counted, spread over it: the line after
        each of ``k`` evenly spaced places. The first ``k`` lines, consecutive events of
        a few sessions, had held 48 entities where the window's rule asks 50, and a tail
        of missing prices went unsaid where a reader's call took more lines (one run in
        about twelve under load: test_stream_missing_later)."""
        picked, last = [], -1
        for i in range(k):
            at = begin + (end - begin) * i // k
            if at > begin:  # (a place inside a line: the line after it)
                newline = data.find(b"\n", at - 1, end)
                if newline < 0:
                    break
                at = newline + 1
            if at <= last or at >= end:
                continue
            stop = data.find(b"\n", at, end)
            stop = end if stop < 0 else stop + 1
            picked.append(data[at:stop])
            last = at
        scorer, roles = self.scorer, list(self.watching)
        entities, _, _, lacking = _fields(
            b"".join(picked),
            *layout,
            scorer.entity,
            None,
            None,
            [getattr(scorer, role) for role in roles],
        )
        later = self._later()
        later.counted += len(entities)
        for role, without in zip(roles, lacking):
            later.missing[role] += sum(without)
        if len(later.entities) < MISSING_MIN_ENTITIES:
            later.entities.update(e for e in entities if e is not None)

    def _later(self) -> _Window:
        if self.later is None:
            self.later = _Window(self.call_first, self._clock(), self.watching)
        return self.later

    def _clock(self):
        """The stream's clock (ns), None without times or before any."""
        if not self.scorer._has_times:
            return None
        clock = int(self.scorer._store.watermark)
        return None if clock == _NO_TIME else clock

    def _judge_later(self, final: bool = False) -> None:
        """The window of the watched roles judged where full (or at the end, where it
        holds ``_MISSING_LAST`` events or more), by the first window's rule."""
        later = self.later
        if later is None:
            return
        size = self.n_seen - later.first + 1
        if size < WINDOW and not (final and size >= _MISSING_LAST):
            return
        self.later = None
        if not later.counted or len(later.entities) < MISSING_MIN_ENTITIES:
            return
        last = later.first + size - 1
        when = ""
        if later.clock is not None and self.start is not None:
            when = f" (after {_days(max(0.0, (later.clock - self.start) / 1e9))} of it, event time)"
        for role in list(self.watching):
            share = later.missing[role] / later.counted
            for said in missing_said(self.fitted["missing"], {role: share}):
                self.watching.pop(role)
                said = said.replace("of the scored events", "of them", 1)
                self._warn(f"events {later.first:,}-{last:,} of the stream{when}: {said}")

    def _after(self) -> int:
        """The end of a call: the watched window judged where due, the stream looked
        at (a read of its clock: at every call, which the input's checks and the watched
        window make sooner than ``CHECK_EVERY``); the events until the next call."""
        if self.later is not None:
            self._judge_later()
        return self._look()

    def finish(self) -> None:
        """At the end of the input (``oddseq stream``): the window judged where the input
        was shorter, and a last look at the durations and the share."""
        if self.fitted is None:
            return
        self._columns()
        if self.window_open:
            self._judge_window()
        self._judge_later(final=True)
        self._look(final=True)

    # ---- the checks

    def _warn(self, message: str) -> None:
        warnings.warn(message, UserWarning, stacklevel=user_stacklevel())

    def _columns(self) -> None:
        if self.columns_said:
            return
        self.columns_said = True
        fitted = dict(self.fitted.get("columns") or {})
        if isinstance(fitted.get("entity"), list):  # a key of several columns (shop, user)
            fitted["entity"] = None  # is no one column (sessions and windows are refused)
        scorer = self.scorer
        given = {"entity": scorer.entity, "event": scorer.event, "item": scorer.item}
        said = _fitted_data._column_warning(fitted, given)
        if said is not None:
            self._warn(said)

    def _count(self, counts) -> None:
        labels = counts.index
        if labels.dtype.kind == "f" and (labels == np.round(labels)).all():
            labels = labels.astype(np.int64)  # 5.0 is the type 5 (a column with a gap)
        for label, count in zip(labels.astype(str), counts.to_numpy().tolist()):
            self.counts[label] = self.counts.get(label, 0) + count

    def _ns(self, text: str, time_factor=None):
        """A time field's text as the scorer reads it (ns), or None; a number in the unit
        of ``time_factor`` where given (lines whose text times were read in Python:
        :mod:`oddseq.stream._text_lines`)."""
        scorer = self.scorer
        factor = scorer._time_factor if time_factor is None else time_factor
        for kind in (int, float):
            try:
                return round(kind(text) * factor)
            except (ValueError, OverflowError):
                pass
        try:
            return scorer._slow_time(text)
        except (ValueError, TypeError):
            return None

    def _keys(self, ids) -> np.ndarray:
        from ._scorer import _hash_keys

        return _hash_keys(np.asarray(ids, dtype=object))

    def _hash_ids(self) -> None:
        """The entities of update_one and the lines so far among the followed, keyed as
        the store keys them (in one call: not one hash per event)."""
        if self.ids:
            self._follow(self._keys(list(self.ids)))
            self.ids = {}

    def _follow(self, keys) -> None:
        for key in np.asarray(keys).tolist():
            if len(self.sample) >= SAMPLE:
                return
            self.sample.setdefault(key, None)

    def _judge_window(self) -> None:
        self.window_open = False
        self._hash_ids()
        self._judge_missing()
        if self.scorer.event is None or not self.counts:
            return
        labels = list(self.counts)
        counts = np.fromiter(self.counts.values(), dtype=np.int64, count=len(labels))
        self.counts = {}
        said = _fitted_data.unseen_types_warning(
            self.fitted, labels, counts, (self.fitted.get("columns") or {}).get("event")
        )
        if said is not None:
            self._warn(f"judged on {self._first(int(counts.sum()))}: {said}")

    def _first(self, n: int) -> str:
        """The first window's ``n`` events in words: of the stream, or after a refit
        (whose checks start again) the stream's events since it."""
        if not self.offset:
            return f"the first {n:,} events of the stream"
        first = self.offset + 1
        return f"events {first:,}-{first + n - 1:,} of the stream (the first {n:,} since the refit)"

    def _judge_missing(self) -> None:
        """The window's events without a value (or item) against the fitted share, by
        the batch's rule, where they are of enough entities (missing values cluster by
        entity: a channel that sends no price)."""
        n, missing, self.missing = self.n_window, self.missing, {}
        # the later windows watch what this one does not say
        self.watching = dict.fromkeys(missing)
        if not missing or not n or len(self.sample) < MISSING_MIN_ENTITIES:
            return
        for role, count in missing.items():
            for said in missing_said(self.fitted["missing"], {role: count / n}):
                self.watching.pop(role)
                said = said.replace("of the scored events", "of them", 1)
                self._warn(f"judged on {self._first(n)}: {said}")

    def _look(self, final: bool = False) -> int:
        """The window closed when full; the clock read and the durations and share
        judged where due. The events until the next call."""
        if self.window_open and self.n_window >= WINDOW:
            self._judge_window()
        if self.timing is not None:
            clock = int(self.scorer._store.watermark)
            if clock != _NO_TIME:
                if self.start is None:
                    self.start = clock
                span = (clock - self.start) / 1e9
                if self.next_long is not None and (
                    span > self.next_long or final and span > SPAN_RATIO * self.timing["span_s"]
                ):
                    self._judge_durations(span)
                if self.next_share is not None and (
                    span >= self.next_share or final and span >= self.timing["span_s"]
                ):
                    self._judge_share(span)
        elif self.next_share is not None and not self.window_open:
            n_events = self.scorer._store.counters()["n_events"]
            if n_events >= self.next_share or final and n_events >= _NO_TIME_SHARE_AT:
                self._judge_share(None, n_events)
            if self.next_share is not None:
                self.until = int(self.next_share - n_events)
        return self.left()

    def _rows(self):
        """(the followed entities' rows in the store, found, lengths)."""
        self._hash_ids()
        keys = np.fromiter(self.sample, dtype=np.uint64, count=len(self.sample))
        got = self.scorer._store.features(np.ascontiguousarray(keys), self.scorer._n_columns)
        return got.rows, got.found.astype(bool), np.asarray(got.length)

    def _judge_durations(self, span: float) -> None:
        self.next_long = 2.0 * max(self.next_long, span)
        rows, found, length = self._rows()
        durations = rows[found & (length >= 2), self.scorer._n_columns + 1]
        if durations.size < MIN_SCORED:
            return
        q90 = float(np.quantile(durations, 0.9))
        fit_span, fit_q90 = self.timing["span_s"], self.timing["duration_q90_s"]
        if not (fit_q90 > 0 and q90 > DURATION_RATIO * fit_q90):
            return
        self.next_long = None
        ttl = self.scorer.ttl_ns_ / 1e9
        if ttl > 0:  # these came back within it: a ttl does not forget them
            advice = (
                f"; the ttl ({_days(ttl)}) forgets only entities idle that long, and these "
                "came back sooner. Fit the model on a window as long as the stream follows "
                "its entities, or start the stream afresh (a new StreamScorer, oddseq "
                f"stream run again) every {_days(fit_span)}"
            )
        else:
            advice = (
                ". Fit the model on a window as long as the stream follows its entities, or "
                "forget entities idle longer than the fitted span (ttl=..., --ttl "
                f"{_ttl(fit_span)})"
            )
        self._warn(
            f"the stream has run {_days(span)} (event time) and the model was fitted on "
            f"{_days(fit_span)}: the durations of the entities it has followed since its "
            f"first events are {_days(q90)} (90th percentile of {durations.size:,}) against "
            f"{_days(fit_q90)} in the fitted data, and the stream keeps each entity from "
            "its first event, so the duration and rate features read them as long-lived "
            f"beyond the fitted ones, which can flag many{advice}"
        )

    def _judge_share(self, span, n_events=None) -> None:
        if span is None:
            self.next_share = 2.0 * max(self.next_share, n_events)
        else:
            self.next_share = 2.0 * max(self.next_share, span)
        scorer, pipe = self.scorer, self.scorer.pipeline
        rows, found, length = self._rows()
        ok = found & (length >= pipe.min_events)
        if ok.sum() < MIN_SCORED:
            return
        from ._scorer import _few_threads

        X = pipe._scaled(rows[ok][:, scorer._columns], length[ok])
        with _few_threads(len(X)):
            scores = np.asarray(pipe.detector_.decision_function(X), dtype=np.float64)
        alarm = _fitted_data._alarm(pipe, scores, scores > scorer.threshold_)
        if alarm is None:
            return
        self.next_share = None
        after = "" if span is None else f" after {_days(span)} of the stream"
        self._warn(
            f"the entities followed since the stream's first events, scored as they stand"
            f"{after}: {_fitted_data._alarm_text(alarm)} (StreamScorer.refit on a recent "
            "window, or oddseq fit on one)"
        )


def too_late(counts):
    """``(dropped, seen)`` where the events dropped as too late pass ``LATE_SHARE`` of
    those seen (applied and dropped, from ``LATE_FROM`` seen on), else None: the rule
    of ``oddseq stream``'s warning and of :class:`StreamScorer`'s."""
    dropped = counts["n_late_dropped"]
    seen = counts["n_events"] + dropped
    if seen < LATE_FROM or not dropped > LATE_SHARE * seen:
        return None
    return dropped, seen


#: The options a warning or a summary names, in the shell and in Python.
_LATE_WORDS = {
    "shell": ("--lateness", "--lateness, e.g. 5min,", "--max-late-events"),
    "python": ("lateness", 'lateness (e.g. lateness="5min")', "max_late_events"),
}


def late_advice(counts, max_late_events, late_accepted=None, words="shell") -> str:
    """The advice on events dropped as too late, where an option would place them:
    lateness where it is 0 (``late_accepted`` False), max_late_events for those within
    lateness but behind the newest events kept, and beside them a larger lateness for
    those older than it (``late_accepted`` True); in the shell's or Python's ``words``."""
    lateness, example, more = _LATE_WORDS[words]
    beyond = counts.get("n_late_beyond_kept", 0)
    if late_accepted is False and counts["n_late_dropped"]:
        return f" (older than their entity's newest event: {example} places them)"
    if not beyond:
        return ""
    older = counts["n_late_dropped"] - beyond if late_accepted else 0
    first = (
        f"{older:,} older than their entity's newest event by more than {lateness}: a "
        f"larger {lateness} places them; "
        if older > 0
        else ""
    )
    return (
        f" ({first}{beyond:,} of them within {lateness} but behind their entity's "
        f"{max_late_events:,} newest events kept: a larger {more} places them)"
    )


def late_text(dropped: int, seen: int, advice: str, counted: str) -> str:
    """The warning's words (``counted``: where all of them are counted)."""
    advice = advice or (
        " (older than their entity's newest event by more than the stream accepts: is "
        "the input in time order?)"
    )
    return (
        f"{dropped:,} of the first {seen:,} events ({dropped / seen:.0%}) were dropped as "
        f"too late{advice}; their entities are scored without them (said once; {counted})"
    )


#: Events of an entity's run of equal times kept to compare with (:func:`in_run`): a
#: burst of more distinct events in one time compares its later ones with its newest
#: ``RUN_KEPT`` (a partial redelivery of a batch reaches back that far at most).
RUN_KEPT = 64


def in_run(kept: dict, key, rest: tuple, at: int, ordered: bool = False) -> bool:
    """Whether an event (entity ``key``, its fields ``rest``, its time at ``rest[at]``)
    equals one of its entity's run in ``kept``: the events of its latest time (in
    arrival order; at most ``RUN_KEPT``, the newest), which it then joins. An event at a
    later time starts a new run; one at an earlier time (late) is not compared and
    leaves the run as it is where the times are ``ordered`` (numbers: the scorer's ns),
    else it starts a new run too (text or hashed times: the warning's count). Equal
    times are where a repeat can be told: a batch delivered again in part, its events
    sharing a time (A, B, A, B), repeats events that are not the previous one; an event
    delivered again after its entity's time moved on is older than the entity's newest
    (dropped as too late, or placed by ``lateness``), and nothing kept says it came
    before. What no stream can know: whether two equal events in one time are one event
    sent twice or two (a user who views one item twice in a second of a clock that
    counts seconds): they are one here, as the batch's ``df.drop_duplicates()`` takes
    them.

    ``kept[key]`` is ``rest`` (one event, the common entity: as much as the previous
    event alone took), or ``[time, {rest: None, ...}]`` for a run of several."""
    run = kept.get(key)
    time = rest[at]
    if type(run) is tuple:
        if run == rest:
            return True
        if run[at] == time:
            kept[key] = [time, {run: None, rest: None}]
            return False
        if ordered and time < run[at]:
            return False
    elif run is not None:
        if run[0] == time:
            events = run[1]
            if rest in events:
                return True
            events[rest] = None
            if len(events) > RUN_KEPT:
                del events[next(iter(events))]
            return False
        if ordered and time < run[0]:
            return False
    kept[key] = rest
    return False


class Repeats:
    """Events that repeat an event of their entity exactly (the same event type, time,
    item and value): its previous event, or another of its events at the same time
    (:func:`in_run`: a batch delivered again in part), counted on the first ``WINDOW``
    events and judged by the batch's rule (:func:`oddseq.preprocessing._quality.
    heavy_repetition`) from ``LATE_FROM`` events on (as the too-late one), for the last
    time when the window is full or the input ends: ``oddseq stream``'s warning and
    :class:`StreamScorer`'s. Each entity's run of equal times (its events' other
    fields, as given) is kept while the window is open."""

    def __init__(self):
        self.window = WINDOW
        self.previous = {}  # entity -> its run of equal times (in_run)
        self.n_seen = self.n_repeated = 0
        self.done = False  # judged (warned or not): nothing more to count

    def one(self, entity, rest, at: int) -> bool:
        """Whether the event (``entity``, its other fields ``rest``, its time at
        ``rest[at]``) repeats an event of the entity (:func:`in_run`); counted."""
        same = in_run(self.previous, entity, rest, at)
        self.n_seen += 1
        if same:
            self.n_repeated += 1
        return same

    def judge(self, final: bool = False) -> bool:
        """True, once, where the repeats pass the batch's share."""
        from ..preprocessing._quality import heavy_repetition

        if self.done:
            return False
        last = final or self.n_seen >= self.window
        if not (last or self.n_seen >= LATE_FROM):
            return False
        heavy = heavy_repetition(self.n_repeated, self.n_seen)
        if heavy or last:
            self.done, self.previous = True, {}
        return heavy

    def text(self, names, lines: str, advice: str, which: str = "the first ") -> str:
        """The warning's words: ``names`` the fields compared, ``lines`` what was sent
        twice ("line", "row"), ``advice`` the way to drop them, ``which`` events were
        counted ("the first ", or "the " for a whole log)."""
        names = list(names)
        what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return (
            f"{self.n_repeated:,} of {which}{self.n_seen:,} events "
            f"({self.n_repeated / self.n_seen:.0%}) repeat their entity's previous event, "
            f"or another of its events at the same time, exactly (same {what}): duplicated "
            f"{lines}s (each {lines} sent twice, a retry, or a batch sent again in part) "
            f"inflate counts and look like bursts, which raises alerts. {advice}"
        )


#: drop_duplicates: previous events kept before the first look at which entities the
#: scorer still tracks (then at twice those it tracked at the last look).
PRUNE_FROM = 4096


class PreviousEvents:
    """``StreamScorer(drop_duplicates=True)``'s memory, as ``oddseq stream
    --drop-duplicates`` keeps it: each entity's run of equal times (:func:`in_run`: its
    key -> the fields, as the scorer reads them, of its events since its time last
    changed: event code, time in ns, item key, value; one tuple for the common entity),
    to drop an event equal to one of them: its previous event, or another at the same
    time (a batch delivered again in part, A, B, A, B); and each entity's run of late
    events since its last event in time (``late``, in arrival order: an event older
    than the entity's newest, placed by ``lateness``, whose retry, the same line sent
    again, comes next and is dropped too; the next event in time ends that run). The
    entities the scorer forgot (``ttl``, ``max_entities``) are forgotten here too once
    they pass twice those it tracks (at least ``PRUNE_FROM``). An event equal to one
    at another time of its entity that came before other events (A at 5, B at 6, A at
    5 again) is not compared: older than the entity's newest event, it is dropped as
    too late or placed by ``lateness``, where a batch's ``df.drop_duplicates()``
    compares every row with every earlier one."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.previous = {}
        self.late = {}  # entity -> its run of late events (in_run), while it has one
        self.bound = PRUNE_FROM
        self.n_dropped = 0

    def __setstate__(self, state: dict) -> None:
        # a checkpoint of this release series written before ``late`` was kept
        self.__dict__.update(state)
        self.__dict__.setdefault("late", {})

    def _repeats(self, key: int, rest: tuple) -> bool:
        """Whether the event repeats one of its entity's run of equal times, or, late
        (older than that run), one of the late events that came since (a retry)."""
        previous = self.previous
        if in_run(previous, key, rest, 1, ordered=True):
            return True
        run = previous[key]
        newest = run[1] if type(run) is tuple else run[0]
        if rest[1] < newest:
            return in_run(self.late, key, rest, 1)
        if self.late:
            self.late.pop(key, None)
        return False

    def one(self, key: int, rest: tuple) -> bool:
        """Whether the event (entity ``key``, its fields ``rest``) is kept: not equal
        to one of its entity's run of equal times (:func:`in_run`; dropped ones
        counted)."""
        if len(self.previous) > self.bound:
            self._forget()
        if self._repeats(key, rest):
            self.n_dropped += 1
            return False
        return True

    def keep(self, keys, rests) -> np.ndarray:
        """Which of a batch's events (in order) are kept, as :meth:`one` each."""
        if len(self.previous) > self.bound:
            self._forget()
        repeats, kept = self._repeats, np.ones(len(keys), dtype=bool)
        for at, (key, rest) in enumerate(zip(keys, rests)):
            if repeats(key, rest):
                kept[at] = False
        self.n_dropped += int(len(kept) - np.count_nonzero(kept))
        return kept

    def _forget(self) -> None:
        self.previous = _still_tracked(self.scorer, self.previous)
        self.late = {key: run for key, run in self.late.items() if key in self.previous}
        self.bound = max(2 * len(self.previous), PRUNE_FROM)


#: UnseenTypes: events of types not seen in fitting that the C++ line reader leaves to
#: the caller's path to be kept by label (update_one: 150-250 us such a line with the
#: reader's restart, against 2-3 us a line read; 2,000 of them about 0.4 s); past them,
#: the reader reads such lines too, and the types of its lines are found after each run
#: (CSV: ``_scorer._unseen_lines``, in numpy, about a microsecond a line; JSON lines:
#: ``_scorer._unseen_json_lines``, by pattern, about 5 us a line) and kept by label too.
UNSEEN_ROUTED_MAX = 2_000
#: UnseenTypes: the labels kept by count per entity. A reason names the most frequent two
#: and how many more; past this many an entity's further types are counted (their
#: events), not kept, and its reason says "and at least 15 more (those named: the most
#: frequent of its first 16; ...)": the memory stays at
#: this many labels an entity, where a column of ever new values (URL paths as the
#: event) kept one an event (1 M pairs, +97 MB on 2 M events). 16 names and counts
#: exactly any entity of up to 16 such types (a shop's 'refund', 'chargeback', ...).
UNSEEN_KEPT = 16


class UnseenTypes:
    """A :class:`StreamScorer`'s memory of each entity's event types not seen in fitting
    (entity key -> {label: events}), kept where the pipeline's ``count[<other>]`` counts
    such types ("event types not seen in fitting"), to name them in the alerts' reasons
    as the batch's reasons name them (:func:`oddseq._reasons.name_unseen_types`, given
    the entity's kept types as its sequence). The entities the scorer forgot (``ttl``,
    ``max_entities``) are forgotten here too once they pass twice those it tracks (at
    least ``PRUNE_FROM``), as :class:`PreviousEvents` forgets them. ``oddseq stream``'s C++
    line reader leaves a line of such a type to update_one (``routing``) for the first
    ``UNSEEN_ROUTED_MAX`` of them, then finds them in the lines it read; a reason
    names the types only where those kept
    account for all the entity's count (``count[<other>]``). Each entity keeps its first
    ``UNSEEN_KEPT`` types by count; the events of any later type are counted in ``more``
    (key -> events), and its reason names the most frequent two of those kept and says
    so: "and at least N more (those named: the most frequent of its first 16; later
    types counted, not named)" (a type first seen after them may have come more often)."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.by_key = {}
        self.more = {}
        self.bound = PRUNE_FROM
        self.n_kept = 0
        # entity key -> the text hashes of its kept types once full, and all of them
        # (_known_hashes)
        self.hashes = {}

    @staticmethod
    def wanted(pipeline) -> bool:
        from .._reasons import _NOTHING_POOLED, feature_notes

        return _NOTHING_POOLED in feature_notes(pipeline)

    @property
    def routing(self) -> bool:
        return self.n_kept < UNSEEN_ROUTED_MAX

    def add(self, keys, labels) -> None:
        """Events of unseen types: their entities' keys and their labels (in arrival
        order). A batch is counted in numpy: Python looks up each entity once, and each
        (entity, type) pair it keeps, not each event (2 M events of 5,000 clients, half
        of them new URL paths: ``update`` 2.5 s one event at a time, 1.8 s so, 0.9 s
        without this memory). What is kept is what one event at a time keeps
        (:meth:`_add_each`), each entity's types in the order they came."""
        if len(self.by_key) > self.bound:
            self._forget()
        n = len(labels)
        if n < _ADD_EACH_BELOW:
            self._add_each(keys, labels)
        else:
            self._add_batch(np.asarray(keys, dtype=np.uint64), labels)
        self.n_kept += n

    def _add_each(self, keys, labels) -> None:
        by_key, more = self.by_key, self.more
        keys = keys if isinstance(keys, list) else np.asarray(keys).tolist()
        for key, label in zip(keys, labels):
            if isinstance(label, np.generic):
                label = label.item()
            kept = by_key.get(key)
            if kept is None:
                by_key[key] = {label: 1}
            elif label in kept:
                kept[label] += 1
            elif len(kept) < UNSEEN_KEPT:
                kept[label] = 1
            else:  # (a type past the kept ones: counted)
                more[key] = more.get(key, 0) + 1

    def _add_batch(self, keys: np.ndarray, labels) -> None:
        # Few events an entity (many clients, small batches): the batch's own
        # bookkeeping costs more than a look per event (100,000 clients, batches of
        # 2,500: 3.5 s one at a time, 6.7 s in numpy; H5's s24 review, MEDIUM 1), and so
        # does any of it done before this test (a small batch's entities counted in a
        # set, not factorized, and its types hashed only after: H1 s25).
        if len(keys) < _SET_COUNT_BELOW:
            listed = keys.tolist()
            if 4 * len(set(listed)) > len(listed):
                self._add_each(listed, labels)
                return
        entity_of, entities = pd.factorize(keys)  # (first seen first)
        if 4 * len(entities) > len(keys):
            self._add_each(keys, labels)
            return
        hashes = _text_hashes(labels)
        if hashes is None:  # (types not all text: one at a time)
            self._add_each(keys, labels)
            return
        by_key, more = self.by_key, self.more
        entities = entities.tolist()
        kept_of = [by_key.get(key) for key in entities]
        full = np.fromiter(
            (kept is not None and len(kept) >= UNSEEN_KEPT for kept in kept_of),
            dtype=bool,
            count=len(entities),
        )
        # An event of an entity whose kept types are full, of a type none of the full
        # entities keeps, is counted past them (the types by their 64-bit text hashes,
        # as the store keys ids): in numpy, the bulk of a column of ever new labels.
        past = full[entity_of]
        if past.any():
            past &= self._known_hashes(entities, kept_of, full).get_indexer(hashes) < 0
            sums = np.bincount(entity_of[past], minlength=len(entities))
            for e in np.flatnonzero(sums).tolist():
                key = entities[e]
                more[key] = more.get(key, 0) + int(sums[e])
        rest = np.flatnonzero(~past)
        if not len(rest):
            return
        # The rest: each (entity, type) pair once, in the order of its first event, as
        # one event at a time keeps them (a type is kept, or counted past the kept ones,
        # at its first event; its later events go the same way).
        label_of = pd.factorize(hashes[rest])[0]
        n_labels = int(label_of.max()) + 1
        pairs, first, count = np.unique(
            entity_of[rest].astype(np.int64) * n_labels + label_of,
            return_index=True,
            return_counts=True,
        )
        order = np.argsort(first, kind="stable")
        names = labels[rest[first[order]]] if isinstance(labels, np.ndarray) else None
        if names is None:
            names = [labels[at] for at in rest[first[order]].tolist()]
        else:
            names = names.tolist()
        for e, name, n in zip((pairs[order] // n_labels).tolist(), names, count[order].tolist()):
            if isinstance(name, np.generic):
                name = name.item()
            kept = kept_of[e]
            if kept is None:
                kept_of[e] = by_key[entities[e]] = {name: n}
            elif name in kept:
                kept[name] += n
            elif len(kept) < UNSEEN_KEPT:
                kept[name] = n
            else:  # (a type past the kept ones: counted)
                key = entities[e]
                more[key] = more.get(key, 0) + n

    def _known_hashes(self, entities, kept_of, full) -> pd.Index:
        """The text hashes of the types kept by this batch's entities whose kept types
        are full (``full`` of ``entities``): a superset of each such event's own
        entity's, which is all the test needs. Each entity's hashes are kept until it is
        forgotten (full, they no longer change); the union is the batch's only: a union
        over every full entity so far, rebuilt whenever one more filled up, grew with
        the stream (100,000 clients: 3.7 -> 23.8 s; H5's s24 review, MEDIUM 1)."""
        hashes = self.hashes
        batch = np.flatnonzero(full).tolist()
        fresh = [e for e in batch if entities[e] not in hashes]
        if fresh:  # (hashed in one call)
            texts = [[label for label in kept_of[e] if type(label) is str] for e in fresh]
            every = _text_hashes(np.array([t for one in texts for t in one], dtype=object))
            ends = np.cumsum([len(one) for one in texts]).tolist()
            for e, start, end in zip(fresh, [0] + ends[:-1], ends):
                hashes[entities[e]] = every[start:end]
        every = np.sort(
            np.concatenate([np.empty(0, np.uint64), *(hashes[entities[e]] for e in batch)])
        )
        # (sorted, the repeats left out; np.unique hashed them slowly)
        return pd.Index(every[np.r_[True, every[1:] != every[:-1]][: len(every)]])

    def name(self, pipeline, keys, reasons, counts) -> np.ndarray:
        """``reasons`` of these entities (keys) with their kept unseen types named where
        the types kept account for all their ``counts`` (count[<other>]): after "event
        types not seen in fitting" where the reason says it, else at its end, where all
        its types are kept (``_reasons.with_unseen_named``, as the batch's table)."""
        from .._reasons import _NOTHING_POOLED, _UNSEEN_NAMED, name_unseen_types
        from ..sequences import Sequences

        reasons = np.asarray(reasons, dtype=object)
        keys = np.asarray(keys).tolist()
        counts = np.asarray(counts, dtype=np.float64).tolist()
        by_key, more = self.by_key, self.more
        at = [
            i
            for i, (key, reason, n) in enumerate(zip(keys, reasons.tolist(), counts))
            if key in by_key
            and sum(by_key[key].values()) + more.get(key, 0) >= n
            and (_NOTHING_POOLED in str(reason) or key not in more)
        ]
        if not at:
            return reasons
        # each entity's kept types as its sequence (each type as often as it came)
        kept = [self.by_key[keys[i]] for i in at]
        labels = list(dict.fromkeys(label for one in kept for label in one))
        if len({type(v) for v in labels}) > 1:  # (text and numbers: as text)
            kept = [{str(k): v for k, v in one.items()} for one in kept]
            labels = list(dict.fromkeys(str(v) for v in labels))
        code = {label: c for c, label in enumerate(labels)}
        events = np.repeat(
            np.array([code[label] for one in kept for label in one], dtype=np.int32),
            [n for one in kept for n in one.values()],
        )
        offsets = np.concatenate([[0], np.cumsum([sum(one.values()) for one in kept])])
        seqs = Sequences(np.arange(len(at)), offsets.astype(np.int64), events, labels)
        reasons = reasons.copy()
        reasons[at] = name_unseen_types(pipeline, reasons[at], seqs)
        # Entities with types past the kept ones: "and 14 more" of those kept is at least
        # one more (UNSEEN_KEPT distinct kept, and one not among them); those named are
        # the most frequent of the kept, not of all (a later type, counted only, may
        # have come more often), and the reason says so.
        said = f" and {UNSEEN_KEPT - _UNSEEN_NAMED:,} more"
        past = (
            f" and at least {UNSEEN_KEPT - _UNSEEN_NAMED + 1:,} more (those named: the most "
            f"frequent of its first {UNSEEN_KEPT}; later types counted, not named)"
        )
        for i in at:
            if keys[i] in more:
                reason = str(reasons[i])
                start = reason.find(f"{_NOTHING_POOLED}: ")
                end = reason.find(said, start) if start >= 0 else -1
                if end >= 0:
                    reasons[i] = reason[:end] + past + reason[end + len(said) :]
        return reasons

    def _forget(self) -> None:
        self.by_key = _still_tracked(self.scorer, self.by_key)
        self.more = {key: n for key, n in self.more.items() if key in self.by_key}
        self.hashes = {key: h for key, h in self.hashes.items() if key in self.by_key}
        self.bound = max(2 * len(self.by_key), PRUNE_FROM)


#: UnseenTypes.add: batches of fewer events are kept one at a time (update_one's one).
_ADD_EACH_BELOW = 64
#: UnseenTypes.add: a batch of fewer events counts its entities in a set first (cheaper
#: than pandas' factorize where it then goes one event at a time).
_SET_COUNT_BELOW = 8_192


def _text_hashes(labels):
    """64-bit hashes of event types that are all text (as the store keys text ids: one
    text, one hash; two texts collide with probability about 2^-64), else None."""
    from .. import _core

    array = labels
    if not isinstance(array, np.ndarray):
        array = np.fromiter(labels, dtype=object, count=len(labels))
    if array.ndim != 1 or array.dtype.kind not in "OU":
        return None
    try:
        return _core.stream_hash_texts(array.astype(object, copy=False))
    except TypeError:  # (not all text)
        return None


def _still_tracked(scorer, by_key: dict) -> dict:
    """``by_key`` (entity key -> what is kept of it) of the entities ``scorer`` still
    tracks (those its ``ttl`` / ``max_entities`` forgot left out)."""
    keys = np.fromiter(by_key, dtype=np.uint64, count=len(by_key))
    found = np.zeros(len(keys), dtype=bool)
    for at in range(0, len(keys), PRUNE_FROM):
        found[at : at + PRUNE_FROM] = scorer._raw(keys[at : at + PRUNE_FROM])[2]
    return {int(k): by_key[int(k)] for k in keys[found]}


def compared(fields) -> tuple:
    """An event's fields as :class:`Repeats` compares them: NaN (a missing value) equal
    to NaN, as the batch compares values."""
    return tuple(None if isinstance(v, float) and v != v else v for v in fields)


class InputChecks:
    """A :class:`StreamScorer`'s warnings about its input (kept across refits), in
    Python's words, as ``oddseq stream`` warns in the shell's (which says them itself,
    :meth:`quiet`): events dropped as too late (:func:`too_late`; a look at the
    counters every ``LATE_FROM`` events until said) and repeats (:class:`Repeats`, of
    a scorer with times, on the first ``WINDOW`` events)."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.late_said = False
        self.until_late = LATE_FROM
        self.repeats = Repeats() if scorer.time is not None else None

    def quiet(self) -> None:
        """Neither said here (the shell says both in its words)."""
        self.late_said, self.repeats = True, None

    def left(self) -> int:
        if self.repeats is not None and not self.repeats.done:
            return 1
        return NEVER if self.late_said else max(1, self.until_late)

    def batch(self, frame, since=None) -> None:
        """An ``update``'s events (a DataFrame), after they were applied; ``since``:
        the events handed over since the last call (this batch's among them)."""
        repeats = self.repeats
        if repeats is not None and not repeats.done and frame is not None and len(frame):
            scorer = self.scorer
            part = frame.iloc[: repeats.window - repeats.n_seen]
            rest = [c for c in (scorer.event, scorer.time, scorer.item, scorer.value) if c]
            hashed = pd.util.hash_pandas_object
            entities = hashed(part[scorer.entity], index=False).to_numpy().tolist()
            others = hashed(part[rest], index=False).to_numpy().tolist()
            times = hashed(part[scorer.time], index=False).to_numpy().tolist()
            for entity, other, time in zip(entities, others, times):
                repeats.one(entity, (time, other), 0)
            self._judge_repeats()
        self.look(len(frame) if since is None else since)

    def one(self, entity, rest, since: int = 1) -> None:
        """An ``update_one``'s event (before it is applied); ``since``: the events
        handed over since the last call (this one among them)."""
        repeats = self.repeats
        if repeats is not None and not repeats.done:
            try:
                repeats.one(entity, compared(rest), 1)
            except TypeError:  # an entity no id (a list): update_one refuses it
                return
            self._judge_repeats()
        self.look(since)

    def look(self, n: int = 0) -> None:
        """``n`` events handed over; the counters read where a look is due."""
        self.until_late -= n
        if self.late_said or self.until_late > 0:
            return
        scorer = self.scorer
        counts = scorer._store.counters()
        seen = counts["n_events"] + counts["n_late_dropped"]
        self.until_late = LATE_FROM - seen if seen < LATE_FROM else LATE_FROM
        got = too_late(counts)
        if got is None:
            return
        self.late_said = True
        accepted = scorer.lateness_ns_ > 0 if scorer._change is None else None
        most = scorer._state_options["max_late_events"]
        advice = late_advice(counts, most, accepted, words="python")
        _warn(late_text(*got, advice, "StreamScorer.counters counts them all"))

    def _judge_repeats(self) -> None:
        if self.repeats.judge():
            scorer = self.scorer
            names = [c for c in (scorer.event, scorer.time, scorer.item, scorer.value) if c]
            advice = (
                "StreamScorer(..., drop_duplicates=True) drops an event equal to its "
                "entity's previous one, or to another of its events at the same time, unless "
                "such repeats are real"
            )
            _warn(self.repeats.text(names, "row", advice))


def _warn(message: str) -> None:
    warnings.warn(message, DataWarning, stacklevel=user_stacklevel())


class _Window:
    """A later window of the missing-value check: its first event (1-based, of the
    events handed to the checks), the stream's clock then (ns, or None), the events read
    and those of them without each watched role, and (up to MISSING_MIN_ENTITIES) the
    entities read."""

    def __init__(self, first: int, clock, roles):
        self.first = first
        self.clock = clock
        self.counted = 0
        self.missing = dict.fromkeys(roles, 0)
        self.entities = set()


def _lacks(given) -> bool:
    """Whether an update_one field is missing: None, NaN, NaT or pd.NA."""
    if given is None:
        return True
    try:
        return bool(given != given)
    except (TypeError, ValueError):  # pd.NA: its comparisons are NA
        return given is pd.NA


def _ttl(seconds: float) -> str:
    """A --ttl of about ``seconds``: whole days, hours or minutes."""
    if seconds >= 86_400:
        return f"{max(1, round(seconds / 86_400))}d"
    if seconds >= 3_600:
        return f"{max(1, round(seconds / 3_600))}h"
    return f"{max(1, round(seconds / 60))}min"


def _fields(data: bytes, sep, header, entity, event, time=None, blank=()):
    """(entity ids, event labels, the first line's time, and for each column of
    ``blank`` whether each line lacks it) of lines of CSV (``header``) or JSON objects
    (None), as text; None where a line lacks one (malformed lines: the reader reports
    them)."""
    entities, events, first = [], [], None
    lacking = [[] for _ in blank]
    at_entity = None if header is None else header.index(entity)
    at_event = None if header is None or event is None else header.index(event)
    at_time = None if header is None or time is None else header.index(time)
    at_blank = [] if header is None else [header.index(c) for c in blank]
    for line in data.decode("utf-8", "replace").split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if header is None:
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):  # (nested too deep: the reader's to report)
                continue
            if not isinstance(record, dict):
                continue
            got = [record.get(entity), None if event is None else record.get(event)]
            got = [None if v is None or v == "" else str(v) for v in got]
            if first is None and time is not None and record.get(time) not in (None, ""):
                first = str(record[time])
            for without, column in zip(lacking, blank):
                without.append(record.get(column) in (None, ""))
        else:
            # (as the Python reader splits: quoted fields as the csv module reads them)
            try:
                fields = (
                    line.split(sep) if '"' not in line else next(csv.reader([line], delimiter=sep))
                )
            except csv.Error:
                continue
            if len(fields) != len(header):
                continue
            got = [
                fields[at_entity] or None,
                None if at_event is None else fields[at_event] or None,
            ]
            if first is None and at_time is not None and fields[at_time]:
                first = fields[at_time]
            for without, at in zip(lacking, at_blank):
                without.append(not fields[at])
        entities.append(got[0])
        events.append(got[1])
    return entities, events, first, lacking
