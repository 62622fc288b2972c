"""Live scoring: a fitted AnomalyPipeline applied to entities as their events arrive."""

from __future__ import annotations

import contextlib
import math
import numbers
import re
import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import _core
from .._reasons import (
    CHANGE_PHRASE,
    TABLE_FEATURES,
    alert_reasons,
    alert_reasons_at,
    before_evidence,
    value_event_names,
    with_count_shares,
    with_largest_value_events,
)
from ..detect._neighbors import explained_with_rows
from ..encode import CountTimingEncoder, DiversityEncoder, RecentChangeEncoder
from ..encode._behaviour import DIVERSITY_ITEM_NAMES, DIVERSITY_VALUE_NAMES, _utc_offset_table
from ..encode._change import CHANGE_FEATURES, _window_ns, change_facts_text
from ..exceptions import DataWarning
from ..sequences._sequences import (
    _arrow_decimal,
    _blank_labels,
    _text_dtype,
    _value_numbers,
    not_a_frame,
    unreadable_numbers,
)
from ..utils._stacklevel import user_stacklevel
from ..utils._time import (
    _DIGITS_STREAM,
    MISSING_TEXT,
    UNIT_TO_NS,
    TextTimes,
    _warn_if_another_unit,
    _warn_if_early_dates,
    digits_judged,
    duration_ns,
    serial_judged,
    times_to_ns,
)
from ..utils._unique import distinct
from ._checks import (
    InputChecks,
    PreviousEvents,
    Repeats,
    StreamChecks,
    UnseenTypes,
    compared,
)
from ._model import stream_model
from ._text_lines import json_roles_of_lines, quoted_csv_fields

__all__ = ["StreamScorer", "StreamUpdate", "StreamEvent", "STREAM_FEATURES"]

# The DiversityEncoder's columns in the order the C++ state writes them (the encoder's
# own list: its item and value columns).
_DIVERSITY = DIVERSITY_ITEM_NAMES + DIVERSITY_VALUE_NAMES
# The encoders' names in the pipeline's union, in order (the last only with recent_change).
_ENCODERS = ("counts", "diversity", "change")
# The local clock's table of hourly UTC offsets for a stream in a time zone: 1990-2079
# (790,000 hours, 6 MB), nearest entry beyond.
_CLOCK_SPAN_NS = (631_152_000 * 10**9, 3_471_292_800 * 10**9)

#: How each feature of the pipeline's encoders is computed live. "exact": equal to the
#: batch encoder on the same events (value sums: in arrival order, which is the batch's
#: time order unless late events were accepted); "approximate": how is said; features
#: not listed (the item-category columns, whose ``new_category_share_last_session``
#: needs every earlier session's categories, and ``entity_features``) are refused.
STREAM_FEATURES = {
    "count[<event>]": "exact",
    "count[<other>]": "exact",
    "length": "exact",
    "duration_s": "exact",
    "gap_mean_s": "exact",
    "gap_std_s": "approximate: from exact integer sums of the gaps and squared gaps (ns), "
    "equal to the batch's two-pass value up to its double round-off (the batch leaves "
    "~1e-16 x the mean gap where every gap is equal; the stream gives 0)",
    "n_items": "exact up to max_exact_items distinct items, then a HyperLogLog sketch "
    "(2^10 registers, about 3 % error)",
    "distinct_item_ratio": "as n_items",
    "item_entropy_bits": "exact up to max_exact_items distinct items; beyond, the events on "
    "untracked items are taken as spread evenly over the sketch's extra items",
    "top_item_share": "exact up to max_exact_items distinct items; beyond, the largest of the "
    "tracked items' counts and the even share of the untracked ones",
    "repeat_previous_item_share": "exact",
    "n_items_bought": "as n_items",
    "cart_per_view": "exact",
    "fav_per_view": "exact",
    "buy_per_view": "exact",
    "buy_per_cart": "exact",
    "value_sum": "exact (arrival order)",
    "value_mean": "exact (arrival order)",
    "value_max": "exact",
    "value_std": "approximate: Welford's running variance, equal to the batch's two-pass "
    "value up to double round-off",
    "share_value_missing": "exact",
    "value_bought_sum": "exact (arrival order)",
    # RecentChangeEncoder (pipelines fitted with recent_change=True; events in time order,
    # no lateness): the recent window kept session by session, the earlier part as sums
    # added in the batch's order.
    "change_event_mix_bits": "exact while the event types are the pipeline's own (types "
    "without a count column of their own count as one type, as in count[<other>])",
    "change_top_type_lift_log2": "as change_event_mix_bits",
    "change_hour_rarity_bits": "exact",
    "change_think_time_log2": "exact",
    "change_silence_log2": "exact",
    "change_burst_size_log2": "exact",
    "change_item_novelty": "exact up to max_exact_items distinct items per entity; beyond, "
    "the items first touched before the recent window go to Bloom filters (2 bytes an item; "
    "a filter twice as large whenever one is full, each taking an item never touched before "
    "as touched with probability about 0.05%): such an event no longer counts as new in its "
    "share (recent or earlier), so the column moves by a few thousandths at most",
    "change_value_log2": "exact",
}


@dataclass
class StreamUpdate:
    """What one :meth:`StreamScorer.update` found.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per entity the events touched (indexed by entity id, in first-touch
        order): ``score``, ``is_anomaly`` (score above the scorer's ``threshold_``, or
        outside the normal range where the pipeline's support rule holds), ``length``,
        ``approximate`` (its item columns come from the sketch, or, with
        ``recent_change``, its items from the Bloom filter).
    alerts : pandas.DataFrame
        The rows of ``scores`` above the threshold, with ``threshold``, ``new`` (first
        crossing since the entity was last below it) and ``reason`` (for the new ones;
        None for standing alerts unless the scorer was made with ``reasons="all"``).
    n_late_dropped, n_invalid : int
        Events of this batch dropped as too late, and rows with a missing entity, event
        type or time.
    n_duplicates : int
        Events of this batch dropped as equal to their entity's previous one, or to
        another of its events at the same time (with ``drop_duplicates=True``).

    Examples
    --------
    >>> import pandas as pd
    >>> empty = pd.DataFrame(columns=["score"])
    >>> StreamUpdate(scores=empty, alerts=empty).n_late_dropped
    0
    """

    scores: pd.DataFrame
    alerts: pd.DataFrame
    n_late_dropped: int = 0
    n_invalid: int = 0
    n_duplicates: int = 0


class StreamEvent(NamedTuple):
    """What one :meth:`StreamScorer.update_one` found.

    Attributes
    ----------
    score : float
        The entity's score with the event absorbed; NaN when the event was invalid or
        the entity has fewer than the pipeline's ``min_events`` events.
    is_anomaly : bool
        Score above the scorer's ``threshold_``, or outside the normal range where the
        pipeline's support rule holds (as the batch flags).
    new : bool
        The entity crossed the threshold with this event (it was below before).
    reason : str or None
        The two features that drive the score, for a new alert; None otherwise.
    length : int
        The entity's events so far (0 for an invalid event).

    Examples
    --------
    >>> StreamEvent(0.5, False, False, None, 3).score
    0.5
    """

    score: float
    is_anomaly: bool
    new: bool
    reason: str | None
    length: int


_INVALID = StreamEvent(math.nan, False, False, None, 0)
_new_event = tuple.__new__  # a StreamEvent from the tuple of its fields, without __new__'s frame
# Flags of the C++ scoring (oddseq::stream::ScoreFlags).
_SCORED, _ABOVE, _NEW, _APPROXIMATE = 1, 2, 4, 8
_INT64_MAX = 2**63 - 1


def _number_texts(values: np.ndarray) -> np.ndarray:
    """Numbers as the text of event types fitted as text: whole ones as integers (5.0
    as "5"), others as Python writes them."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return values.astype(str).astype(object)
    whole = np.isfinite(values) & (values == np.round(values))
    return np.array(
        [str(int(v)) if w else str(v) for v, w in zip(values.tolist(), whole)], dtype=object
    )


def _missing(column: pd.Series):
    """Which rows of a column are missing; None when its dtype holds no missing values
    (numpy integers and booleans), which spares the check."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
        return None
    return column.isna().to_numpy()


def _missing_id(column: pd.Series):
    """:func:`_missing` for an entity or event column: also its blank text ("" or only
    spaces), which the sequences read as missing (``_blank_labels``, read on the
    column's distinct values)."""
    missing = _missing(column)
    if missing is None or not _text_dtype(column.dtype):
        return missing
    if len(column) <= _BLANK_LOOP_ROWS:  # (a small batch: factorizing costs ~140 us)
        blank = np.fromiter(map(_blank_text, column.tolist()), dtype=bool, count=len(column))
        return missing | blank
    codes, uniques = pd.factorize(column)
    blank = _blank_labels(pd.Index(uniques, dtype=object))
    if blank.any():
        missing = missing | (blank[codes] & (codes >= 0))
    return missing


# _missing_id reads a batch of up to this many rows value by value (about 0.1 us a row),
# a larger one by its distinct values.
_BLANK_LOOP_ROWS = 2_048


def _blank_text(value) -> bool:
    """Whether one id or event type is text of nothing but spaces (missing)."""
    return isinstance(value, str) and (not value or value.isspace())


def _hash_keys(values) -> np.ndarray:
    """64-bit keys of ids, as update_one keys one id: integers in int64's range by value
    (also when a missing id made their column float: 7.0 is the id 7), everything else
    by its text."""
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if array.dtype.kind == "u" and array.dtype.itemsize == 8:
        # Ids beyond int64 by their text, as update_one keys a Python int that large.
        beyond = array >= np.uint64(2**63)
        if beyond.any():
            keys = pd.util.hash_array(array.astype(np.int64))
            keys[beyond] = _object_keys(array[beyond].astype(object))
            return keys
    if array.dtype.kind in "iub":
        return pd.util.hash_array(array.astype(np.int64, copy=False))
    if (
        array.dtype.kind == "f"
        and np.isfinite(array).all()
        and (np.abs(array) < 2.0**63).all()
        and (array == np.round(array)).all()
    ):
        return pd.util.hash_array(array.astype(np.int64))
    if array.dtype == object and array.ndim == 1:
        try:  # text ids hashed in C++, as pandas would
            return _core.stream_hash_texts(array)
        except TypeError:
            pass
    return _object_keys(array.ravel())


# Text an int() reads as written: one optional minus sign, ASCII digits ("--5" and "٣"
# are text ids like any other).
_INTEGER_TEXT = re.compile(r"-?[0-9]+")


def _id_type(value):
    """ "int" for an integer id, "str" for text that reads as one (``str(int(text)) ==
    text``), else None: the ids the stream keys as two entities in their two types (by
    value, and by text: int 7 and str "7")."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return "int"
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        return "str" if str(int(value)) == value else None
    return None


def _ids_type(ids: np.ndarray):
    """(``_id_type``, an example) of a batch's ids: an integer dtype's at once, else the
    first of its first 1,000 ids that has one; (None, None) for none."""
    if ids.dtype.kind in "iu":
        return ("int", ids[0].item()) if len(ids) else (None, None)
    if ids.dtype.kind in "OUS":
        for value in ids[:1000].tolist():
            kind = _id_type(value)
            if kind is not None:
                return kind, value
    return None, None


def _object_keys(array) -> np.ndarray:
    """Ids of mixed types one by one, as update_one keys them: ints (in int64's range by
    value, beyond it by text) and str in C++, anything else by its own text (str(v), not
    numpy's fixed-width str dtype, which would drop trailing NUL characters)."""

    def key(v):
        if isinstance(v, np.integer):
            v = int(v)
        return _core.stream_hash_id(v if isinstance(v, (int, str)) else str(v))

    return np.fromiter((key(v) for v in array), dtype=np.uint64, count=array.size)


def fitted_on_parts(pipe):
    """``(kind, entity, gap)`` where ``pipe`` was fitted on parts of entities, which a
    stream (whole entities, from their first event) cannot score: "sessions" (the gap
    they were split at recorded, as session_gap= takes it: '30min'; None for a model
    saved before it was recorded, whose ids end in a ``session`` level) or "windows"
    (ids ending in ``window_start``, or ``window_start_id`` after an entity of that
    name); ``entity`` the recorded id names. None otherwise:
    ids of several levels built by hand (a shop and a user) are entities."""
    from .._fitted_data import _gap_text

    columns = (getattr(pipe, "_fitted_data", None) or {}).get("columns") or {}
    entity, gap = columns.get("entity"), columns.get("session_gap_ns")
    if gap:
        return "sessions", entity, _gap_text(int(gap))
    if not isinstance(entity, list) or not entity:
        return None
    for kind, level in (("windows", "window_start"), ("sessions", "session")):
        # The split's level: its name (twice, in a model saved before 1c17510), or with
        # "_id" where the entity's is that name: ['window_start', 'window_start_id'].
        name = level
        while name in entity[:-1]:
            name = f"{name}_id"
        if entity[-1] in (level, name):
            return kind, entity, None
    return None


class StreamScorer:
    """Score entities as their events arrive, with a fitted :class:`AnomalyPipeline`.

    The per-entity state lives in C++ (counts per event type, first/last time, exact
    sums of the gaps and their squares, the newest events, distinct items, funnel counts,
    value sums): each event costs O(1), and after events e1..en an entity's features are
    those the pipeline's encoders compute on e1..en (:data:`STREAM_FEATURES` says which
    are exact and how the others are approximated). They are then shrunk, scaled and
    scored exactly as :meth:`AnomalyPipeline.score` does, and judged as it judges: above
    the fitted ``threshold_``, or, where a normal-only pipeline's support rule holds
    (``support_rule_``), outside the range the normal entities took on some feature
    (:meth:`AnomalyPipeline.support_bounds`) with a score above its ``support_floor_``
    (a normal variant's). The stream scores
    whole entities (``entity`` ids), not sessions. Entity and item ids are kept as
    64-bit hashes of their values (integers by value, anything else by its text; two
    ids collide with probability about 2^-64), so int 7 and str "7" are two entities:
    entity ids that read as integers in the other type than the scorer's first such ids
    (an int-id replay, then a feed of text ids) are refused by :meth:`update`,
    :meth:`update_one` and :meth:`features` (``ValueError`` naming the conversion,
    ``events[entity].astype(...)``); ids that are only text mix freely. The pipeline's
    own ids are not compared: a fitted model keeps no entity's state, so a model fitted
    on integer ids streams text ids (and the other way round) as
    :meth:`AnomalyPipeline.score` ranks them, with the same scores, and as ``oddseq
    stream`` reads a CSV's ids (as text, whatever the model was fitted on). One scorer is
    fed from one thread at a time.

    Refused (``ValueError``): ``method="markov"``, ``"invariants"`` and the neural methods
    (they read each sequence's events whole),
    pipelines with ``item_categories`` (``new_category_share_last_session`` needs every
    earlier session's categories), ``entity_features`` or crowds (``crowds_``: the
    crowds on each entity's items are counted among all entities, not one at a time;
    AnomalyPipeline's default leaves them out). A pipeline fitted with
    ``recent_change=True`` streams with ``lateness=0`` (its state keeps each entity's
    recent window session by session and its earlier sessions as sums, which late events
    would reorder): its columns are then the batch's on the same events
    (:data:`STREAM_FEATURES` says where they are approximate), and an alert's reason
    that names them ends with the batch table's facts behind them ("recent: 6 of 6
    events buy (100%), against 0 of 50 earlier, spread over 9 d; last session began in
    the 03:00 hour, ..."), as the entity stood right after the event that raised it.

    Parameters
    ----------
    pipeline : AnomalyPipeline
        Fitted.
    entity, event, time, item, value : str or None
        Column roles of the events given to :meth:`update` (as in
        ``Sequences.from_events``); ``time`` is required when the pipeline was fitted
        with times, ``item`` / ``value`` when it was fitted with items / values.
    time_unit : {"s", "ms", "us", "ns"}
        Unit of numeric times.
    lateness : float, str or Timedelta, default=0
        How far (seconds, or a string like "5s") an event may be older than its entity's
        newest event and still be applied, placed among the entity's
        ``max_late_events`` newest events exactly where the batch's time order puts it.
        Later ones (or ones older than those newest events) are dropped and counted.
    ttl : float, str or Timedelta, optional
        Entities idle (by event time) longer than this are forgotten, and counted: on
        their next event they start afresh, and a sweep removes them from memory once
        the stream's clock has moved on by ttl / 16. None keeps entities forever.
    max_entities : int, optional
        Cap on tracked entities. Policy: when a new entity would exceed it, the tenth of
        the cap whose newest event is oldest is forgotten at once (counted).
    max_exact_items : int, default=256
        Distinct items (and bought items) kept exactly per entity; beyond, a 1 kB
        HyperLogLog sketch per entity.
    max_late_events : int, default=8
        Newest events kept per entity to place late events (only the newest one without
        ``lateness``).
    reasons : {"new", "all"}, default="new"
        Which alerts of :meth:`update` get a ``reason``: those that just crossed the
        threshold ("new"; an entity still above since an earlier alert has None, its
        reason was given with that alert), or every alert ("all", slower: each costs
        the detector's explanation).
    time_format : str, optional
        strftime format of times written as text (``"%d/%m/%Y %H:%M:%S"``), or
        ``"ISO8601"`` / ``"mixed"``, as in ``Sequences.from_events``. None infers it.
    dayfirst : bool, optional
        For text dates like ``01/12/2017``: True reads day/month, False month/day. None
        lets the values decide and refuses those that could be read either way.
    drop_duplicates : bool, default=False
        Drop an event equal to its entity's previous one, or to another of its events
        at the same time (the same event type, time, item and value, as the scorer reads
        them: a row sent twice, a retry, or a batch of events sharing a time sent again
        in part, A, B, A, B; types the pipeline never saw by their own labels, though
        they count as one), counted in
        ``counters["n_duplicates_dropped"]`` and each update's ``n_duplicates``; a
        dropped event changes nothing (``update_one`` returns the entity as it stands).
        ``oddseq stream --drop-duplicates`` drops the same events (it hands them to this
        option: a time or value written ``1.0`` on one line and ``1`` on the next is the
        same there too). Less than the batch's
        ``drop_duplicates`` (``df.drop_duplicates()``: a row equal to any earlier row):
        a stream scores each event as it comes and keeps only each entity's events at
        its latest time to compare with (its key and their fields: about 150 bytes an
        entity with one, at most 64, forgotten with the entity by ``ttl`` and
        ``max_entities``), so an event equal to one at an earlier time of its entity (A
        at 5, B at 6, A at 5 again) is not compared (it is too late, or placed by
        ``lateness``), and a log appended to itself comes back as events too late. Two
        equal events in one time are one event (a stream cannot tell a row sent twice
        from two real ones without an event id; the batch's ``drop_duplicates`` takes
        them as one too). Needs times.
        ``update_one`` then takes its general path (slower than the one-call fast path).

    As :meth:`AnomalyPipeline.score` does for a later log, the scorer warns (once each,
    at the caller's line; states, scores and alerts unchanged) where the events are not
    like the data the pipeline was fitted on (:mod:`oddseq.stream._checks`): other column
    names (at the first events); over 5% of the first 10,000 events of types it never
    saw; half or more of them, or of a later window of 10,000 (one event in 32 read,
    the window named), without a value or item where the fitted ones had them (of 50
    entities or more); the entities followed since the first events lasting 3x the fitted
    90th-percentile duration once the stream has run 3x the fitted span (a stream keeps
    each entity from its first event: fit on as long a window, or set ``ttl``); far more
    of them flagged than the cut promises while the bulk moved, once it has run the
    fitted span. A pipeline saved before it recorded its fitted data is not checked.
    Of any pipeline, it warns (a ``DataWarning``, once each) as ``oddseq stream`` does,
    by the same rule: where the events dropped as too late pass 5% of those seen (from
    the 1,000th on; ``lateness`` and ``max_late_events`` place them, ``counters``
    counts them), and, with times, where events repeating their entity's previous one,
    or another of its events at the same time, exactly (event, time, item and value)
    pass 10% of the first 10,000 (duplicated rows: ``drop_duplicates=True`` drops them).

    A scorer can be pickled mid-stream (and copied: :func:`copy.copy` and
    :func:`copy.deepcopy` give an independent scorer), to checkpoint a long-running
    stream and resume it after a restart: the scorer read back goes on exactly as the
    one pickled would (the same alerts, reasons, scores, warnings and counters on the
    same events). The entities' C++ state travels as bytes, versioned and checksummed
    (about 0.8 kB an entity of a shop's log, 2.4 kB with ``recent_change``); a truncated
    or altered state, or one pickled by another oddseq release series, is refused with a
    ``ValueError``, and a scorer whose background :meth:`refit` is still running cannot be
    pickled (``RuntimeError``: wait for its future). Unpickling runs code chosen by
    whoever wrote the bytes: resume only checkpoints you wrote.

    Scoring runs in C++ with the entity's state when the pipeline's detector is the
    default ensemble or one of K-means, PCA and robust z (``scores_in_cpp_``): the same
    steps as :meth:`AnomalyPipeline.score` on the same features: the scaled features
    are the batch's bit for bit (the log by LogScaler's own function), K-means' and
    robust z's scores too, PCA's and the ensemble's up to the order of a few float64
    sums (about 1e-15 relative). Other detectors score through their
    ``decision_function``, one call per update.

    Attributes
    ----------
    threshold_ : float
        The cut alerts are judged against: the pipeline's fitted threshold, until
        :meth:`calibrate` or a :meth:`refit` moves it (``threshold_history_``).
    feature_names_ : numpy.ndarray

    Examples
    --------
    >>> from oddseq import AnomalyPipeline
    >>> from oddseq.datasets import make_ecommerce
    >>> from oddseq.sequences import Sequences
    >>> log = make_ecommerce(n_users=300, random_state=0).events
    >>> seqs = Sequences.from_events(log, entity="user_id", event="behavior",
    ...                              time="timestamp", item="item_id")
    >>> pipe = AnomalyPipeline().fit(seqs)
    >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp",
    ...                     item="item_id")
    >>> out = live.update(log.sort_values("timestamp", kind="stable"))
    >>> len(out.scores) == log["user_id"].nunique()
    True
    >>> bool(out.alerts["score"].gt(live.threshold_).all())
    True
    """

    def __init__(
        self,
        pipeline,
        entity,
        event=None,
        time=None,
        item=None,
        value=None,
        time_unit="s",
        lateness=0,
        ttl=None,
        max_entities=None,
        max_exact_items=256,
        max_late_events=8,
        reasons="new",
        time_format=None,
        dayfirst=None,
        drop_duplicates=False,
    ):
        self.pipeline = pipeline
        self.entity, self.event, self.time, self.item, self.value = entity, event, time, item, value
        self.time_unit = time_unit
        self.time_format, self.dayfirst = time_format, dayfirst
        # How times are read, as Sequences.from_events reads them.
        self._reading = dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst)
        if time_unit not in UNIT_TO_NS:
            raise ValueError(
                f"time_unit must be one of {sorted(UNIT_TO_NS)} (the unit of numeric times), "
                f"got {time_unit!r}"
            )
        self._check_pipeline()
        self._check_roles()
        lateness_ns = 0 if _is_zero(lateness) else duration_ns(lateness, "lateness")
        ttl_ns = 0 if ttl is None else duration_ns(ttl, "ttl")
        for name, number, low in (
            ("max_entities", max_entities, 1),
            ("max_exact_items", max_exact_items, 1),
            ("max_late_events", max_late_events, 1),
        ):
            if number is None and name == "max_entities":
                continue
            if (
                isinstance(number, bool)
                or not isinstance(number, (int, np.integer))
                or not low <= number < 2**31
            ):
                raise ValueError(f"{name} must be an integer in [{low}, 2**31), got {number!r}")
        if lateness_ns and self._change is not None:
            raise ValueError(
                "a pipeline fitted with recent_change=True streams events in time order: "
                "its recent window and earlier sessions cannot take late events; leave "
                "lateness out (late events are then dropped and counted)"
            )
        if (lateness_ns or ttl_ns) and not self._has_times:
            raise ValueError(
                "lateness and ttl are measured in event time, but the pipeline was fitted "
                "without times; leave them out"
            )
        self.lateness_ns_, self.ttl_ns_ = int(lateness_ns), int(ttl_ns)
        # How the state is kept, for calibrate's replay through a state of its own.
        self._state_options = dict(
            lateness=lateness,
            ttl=ttl,
            max_entities=max_entities,
            max_exact_items=max_exact_items,
            max_late_events=max_late_events,
        )
        view, cart, fav, buy = self._funnel_codes
        self._store = _core.StreamEntityStore(
            _core.StreamStoreParams(
                column_of_code=self._column_of_code,
                n_columns=self._n_columns,
                has_times=self._has_times,
                has_items=self._has_items,
                has_values=self._has_values,
                view=view,
                cart=cart,
                fav=fav,
                buy=buy,
                max_exact_items=int(max_exact_items),
                lateness_ns=self.lateness_ns_,
                max_late_events=int(max_late_events),
                ttl_ns=self.ttl_ns_,
                max_entities=int(max_entities or 0),
                **self._change_options(),
            )
        )
        self.n_invalid_ = 0
        self._id_seen = None  # (type, example) of the first ids that read as integers
        self._id_class = None  # their Python type: update_one's ids of it need no look
        if reasons not in ("new", "all"):
            raise ValueError(f"reasons must be 'new' or 'all', got {reasons!r}")
        self.reasons = reasons
        # update_one's lookups: event label -> code, the time unit in ns.
        self._code_of = dict(zip(self._labels.tolist(), self._label_codes.tolist()))
        self._numeric_labels = self._labels.dtype.kind in "iuf"
        # Types fitted as text, all of them: numbers given for them are read as that text.
        self._text_labels = not self._numeric_labels and all(
            isinstance(label, str) for label in self._labels.tolist()
        )
        self._time_factor = UNIT_TO_NS[time_unit] if self._has_times else 1
        self._int_limit = _INT64_MAX // self._time_factor
        self._float_limit = _INT64_MAX / self._time_factor
        # Whether numeric times were checked against time_unit (once: see _check_unit).
        self._unit_checked = not self._has_times
        # The first numeric times (distinct) for the clock/date digit check, until it is
        # done (None): see _time_checks.
        self._digits = set() if self._has_times else None
        # The spreadsheet serial-date check's counts of the first numeric times (how
        # many, how many with a fraction, their extremes), until it is done (None): see
        # _serial_check.
        self._serial = (0, 0, math.inf, -math.inf) if self._has_times else None
        self._set_model()
        self._refit = None  # a background refit's future
        self.threshold_history_ = []
        self._input = InputChecks(self)  # too late, repeats: the input's, kept across refits
        if not isinstance(drop_duplicates, (bool, np.bool_)):
            raise ValueError(f"drop_duplicates must be True or False, got {drop_duplicates!r}")
        self.drop_duplicates = bool(drop_duplicates)
        self._previous = None  # drop_duplicates: each entity's events at its latest time
        if self.drop_duplicates:
            if not self._has_times:
                raise ValueError(
                    "drop_duplicates drops an event equal to its entity's previous one, time "
                    "included: give time= too (a pipeline fitted with times)"
                )
            self._previous = PreviousEvents(self)
            self._input.repeats = None  # dropped, not warned about
        # A dropped update_one's answer: the entity as it stands (scored through the
        # pipeline's detector, milliseconds an event); oddseq stream reads none of it
        # and turns it off (a dropped event then answers as an invalid one does).
        self._standing_answers = True
        # Each entity's event types not seen in fitting, for its alerts' reasons (where
        # the pipeline's count[<other>] counts such types): "...: 'refund'".
        self._unseen_types = None
        if self.event is not None and UnseenTypes.wanted(self.pipeline):
            self._unseen_types = UnseenTypes(self)
        self._plain_feeds = {}  # a line feed that leaves such lines -> one that does not
        self._unseen_scan = None  # (data, offset, _unseen_lines' scan of it, known types)
        self._set_checks()

    def _set_checks(self):
        """Scoring's checks of the current pipeline's fitted data, as events arrive
        (:mod:`oddseq.stream._checks`): ``_check_left`` events until they look again."""
        self._checks = StreamChecks(self)
        self._check_left = self._checks.left()

    def _set_model(self):
        """The C++ scoring of the current pipeline, and update_one's C++ path."""
        self._model = stream_model(self.pipeline, self._columns, self.threshold_)
        self.scores_in_cpp_ = self._model is not None
        # update_one's conversions of plain values, in C++ with the C++ scoring.
        self._one = (
            None
            if self._model is None
            else _core.StreamOneEvent(self._store, self._model, self._event_params())
        )

    def _event_params(self, time_factor=None, unseen_to_caller=False):
        """How update_one's and the line reader's fields become events, in C++
        (``time_factor``: ns per unit of numeric times, where not the scorer's;
        ``unseen_to_caller``: the line reader leaves lines of types not seen in fitting
        to the caller)."""
        # (a label's code is its place in the list: the pooled code's place holds the
        # first label again, which the first place wins)
        labels = self._labels.tolist()
        k = self._other_code
        if len(labels) > k:
            labels = labels[:k] + labels[:1] + labels[k:]
        return _core.StreamEventParams(
            labels=labels,
            other_code=self._other_code,
            has_event=self.event is not None,
            has_times=self._has_times,
            has_items=self._has_items,
            has_values=self._has_values,
            time_factor=self._time_factor if time_factor is None else time_factor,
            unseen_to_caller=unseen_to_caller,
        )

    # ---- construction

    def _check_pipeline(self):
        import os

        from .._pipeline import AnomalyPipeline

        pipe = self.pipeline
        if isinstance(pipe, (str, os.PathLike)):
            raise TypeError(
                f"StreamScorer takes a fitted AnomalyPipeline, got the path {os.fspath(pipe)!r}; "
                "read a saved model first: StreamScorer(oddseq.load(path), entity=..., ...)"
            )
        if not isinstance(pipe, AnomalyPipeline):
            raise TypeError(
                f"StreamScorer takes a fitted AnomalyPipeline, got {type(pipe).__name__}"
            )
        if not hasattr(pipe, "detector_"):
            raise ValueError("StreamScorer needs a fitted AnomalyPipeline; call fit(sequences)")
        if getattr(pipe.detector_, "input_kind", "matrix") == "sequences":
            raise ValueError(
                f"StreamScorer cannot stream method={getattr(pipe, 'method', None)!r}: it "
                "reads the event sequences themselves (the whole order of each sequence, or "
                "its counts of each type), not features; fit the pipeline with a feature "
                "method (auto, knn, ...)"
            )
        split = fitted_on_parts(pipe)
        if split is not None:
            kind, entity, gap = split
            if kind == "windows":
                raise ValueError(
                    f"this pipeline was fitted on windows of each entity's events (entity "
                    f"{entity!r}: Sequences.windows or time_windows), and StreamScorer "
                    "scores whole entities, whose histories grow past any window: fit "
                    "the pipeline on whole entities to stream it"
                )
            how = f"session_gap={gap!r}" if gap else "session_gap=..."
            raise ValueError(
                f"this pipeline was fitted on sessions (entity {entity!r}: built with "
                f"{how}), and StreamScorer scores whole entities, which a sessions model "
                "reads as sessions days long (97% of a shop's users flagged): fit the "
                "pipeline on whole entities, without session_gap, to stream it"
            )
        context = getattr(pipe, "context_", None)
        if context is not None:
            raise ValueError(
                f"this pipeline was fitted with context={context['columns']!r} (oddseq fit "
                "--context): its side columns' features read each entity's whole history "
                "and the other entities on each value, which StreamScorer, scoring each "
                "entity's events as they come, does not have; fit it without context= "
                "(oddseq fit without --context) to stream it, or score whole logs with it "
                "(model.score, oddseq score)"
            )
        if getattr(pipe, "entity_features", None) is not None:
            raise ValueError(
                "StreamScorer does not support entity_features (side attributes joined by "
                "entity id); fit the pipeline without them (oddseq fit without "
                "--entity-features)"
            )
        if getattr(pipe, "crowds_", False):
            raise ValueError(
                "this pipeline counts crowds (crowd_peak: entities on each item in each "
                "hour, the default of detect_anomalies and oddseq detect with an item and "
                "times), and StreamScorer scores each entity alone, without the others on "
                "its items: fit the pipeline with crowds=False (AnomalyPipeline's default; "
                "oddseq fit without --crowds) to stream it"
            )
        if not hasattr(pipe, "encoder_"):
            raise ValueError(
                f"StreamScorer cannot stream method={getattr(pipe, 'method', None)!r}: it "
                "scores whole sequences, not features; fit the pipeline with a feature "
                "method (auto, knn, ...)"
            )
        encoders = dict(getattr(pipe.encoder_, "encoders_", []))
        counts, diversity = encoders.get("counts"), encoders.get("diversity")
        change = encoders.get("change")
        if change is not None and (
            not isinstance(change, RecentChangeEncoder) or list(encoders) != list(_ENCODERS)
        ):
            raise ValueError(
                "StreamScorer supports the pipeline's CountTimingEncoder + DiversityEncoder "
                f"(+ RecentChangeEncoder) features; this pipeline encodes with {list(encoders)}"
            )
        self._change = change
        if not isinstance(counts, CountTimingEncoder) or not isinstance(
            diversity, DiversityEncoder
        ):
            raise ValueError(
                "StreamScorer supports the pipeline's CountTimingEncoder + DiversityEncoder "
                f"features; this pipeline encodes with {list(encoders)}"
            )
        unsupported = [n for n in diversity.get_feature_names_out() if n not in _DIVERSITY]
        if unsupported:
            raise ValueError(
                f"StreamScorer cannot compute {unsupported} live: "
                "new_category_share_last_session needs every earlier session's categories, "
                "and the category columns come with it; fit the pipeline without "
                "item_categories to stream it"
            )
        labels = pd.Index(counts.event_labels_)
        k = len(labels)
        funnel = dict(diversity.funnel_)
        extra = [v for v in funnel.values() if labels.get_indexer([v])[0] < 0]
        # Codes: the count labels, the pooled/unseen code k, then funnel labels without a
        # column of their own (they count in column k).
        self._labels = labels.append(pd.Index(extra, dtype=labels.dtype)) if extra else labels
        # Each label's code (its place in _labels, but the funnel labels after the pooled
        # code: k + 1, ...; at k, they read as pooled events, purchases counted as none)
        self._label_codes = np.array(list(range(k)) + [k + 1 + j for j in range(len(extra))])
        self._column_of_code = np.array(list(range(k)) + [k] * (1 + len(extra)), dtype=np.int32)
        self._n_columns = k + 1
        self._other_code = k
        # (the encoder's own reading of the roles, in these codes: a funnel label with a
        # count column its place, one without k + 1 + its place among the extra)
        code_of = {label: int(at) for at, label in enumerate(labels)}
        code_of.update({label: k + 1 + j for j, label in enumerate(extra)})
        codes = diversity.funnel_codes(code_of, k + 1 + len(extra))
        self._funnel_codes = [codes[step] for step in ("view", "cart", "fav", "buy")]
        # Each code's label as the change facts name it (the pooled code k: "other").
        self._code_labels = list(labels) + ["other"] + extra
        # The pipeline's columns in the C++ row (counts, other, length, 3 timing, 16).
        columns = [] if getattr(counts, "single_type_", False) else list(range(k))
        if counts.pooled_:
            columns.append(k)
        if counts.timing:
            columns.append(k + 1)
        if counts.has_times_:
            columns += [k + 2, k + 3, k + 4]
        columns += [k + 5 + _DIVERSITY.index(n) for n in diversity.get_feature_names_out()]
        if change is not None:
            at = k + 5 + len(_DIVERSITY)
            columns += [at + CHANGE_FEATURES.index(n) for n in change.get_feature_names_out()]
        names = list(pipe.encoder_.get_feature_names_out())
        if len(columns) != len(names) or list(pipe.feature_names_) != names:
            raise ValueError(
                "StreamScorer does not recognise this pipeline's features "
                f"{list(pipe.feature_names_)}"
            )
        self._columns = np.asarray(columns, dtype=np.int64)
        self.feature_names_ = np.asarray(names, dtype=object)
        self._has_times = bool(counts.has_times_)
        self._has_items = bool(diversity.has_items_)
        self._has_values = bool(diversity.has_values_)
        self.threshold_ = float(pipe.threshold_)

    def _change_options(self) -> dict:
        """The store's settings for the RecentChangeEncoder's columns (none without it):
        its parameters and the local clock's hourly UTC offsets."""
        change = self._change
        if change is None:
            return {}
        table, first_hour = _stream_utc_table(change.time_zone_)
        return dict(
            recent_change=_core.ChangeParams(
                session_gap_ns=duration_ns(change.session_gap, "session_gap"),
                window_ns=_window_ns(change.window, "window"),
                prior=float(change.prior),
            ),
            utc_offset_s=table,
            first_hour=first_hour,
        )

    def _check_roles(self):
        for role, needed in (
            ("time", self._has_times),
            ("item", self._has_items),
            ("value", self._has_values),
        ):
            given = getattr(self, role)
            if needed and given is None:
                raise ValueError(
                    f"the pipeline was fitted with {role}s; name the {role} column ({role}=..., "
                    f"--{role} from the shell)"
                )
            if not needed and given is not None:
                raise ValueError(
                    f"the pipeline was fitted without {role}s, so {role}={given!r} would be "
                    f"ignored; leave {role} out"
                )
        if self.entity is None:
            raise ValueError("entity must name the column of entity ids")

    # ---- the stream

    def _parse(self, events: pd.DataFrame):
        """The batch as C++ arrays, less rows with a missing entity, event or time or a
        value that is no number, and (with drop_duplicates) its rows of types never seen:
        row -> :meth:`_unseen_key`."""
        if not isinstance(events, pd.DataFrame):
            fix = ""
            if isinstance(events, pd.Series):  # a row of iterrows()
                fix = (
                    " (one row: update_one(entity, event, time, item, value) takes one "
                    "event's values, or pass a one-row frame, df.iloc[[i]])"
                )
            elif isinstance(events, (list, tuple)) and events and isinstance(events[0], dict):
                fix = " (records: pd.DataFrame(records) makes one)"
            else:  # another library's frame: its conversion
                raise TypeError(not_a_frame(events, "events"))
            raise TypeError(f"events must be a pandas DataFrame, got {type(events).__name__}{fix}")
        roles = [self.entity, self.event, self.time, self.item, self.value]
        missing = [c for c in roles if c is not None and c not in events.columns]
        if missing:
            raise ValueError(
                f"column(s) {missing} not in the events; they have {list(events.columns)}"
            )
        bad = np.zeros(len(events), dtype=bool)
        unseen = {}
        for role in (self.entity, self.event):
            if role is not None:
                missing = _missing_id(events[role])
                if missing is not None:
                    bad |= missing
        times = None
        if self._has_times:
            judging = self._digits is not None or not self._unit_checked or self._serial is not None
            check = {} if judging and len(events) else False
            times, bad_time, _ = times_to_ns(
                events[self.time],
                self.time_unit,
                self.time,
                self.time_format,
                self.dayfirst,
                unit_warning=check,
            )
            if check is not False:
                self._time_checks(check)
            if bad_time is not None:
                bad |= bad_time
        value_numbers = None
        if self._has_values:
            column = events[self.value]
            if _arrow_decimal(column.dtype):
                # (Arrow decimals, read as one machine reads them: pd.to_numeric drops
                # their nulls, and the rows' values no longer matched the rows)
                value_numbers = _value_numbers(column, self.value)
            elif not (isinstance(column.dtype, np.dtype) and column.dtype.kind in "iuf"):
                # Text that is no number ('$374.95'): an unreadable row, skipped and
                # counted as the shell's stream reports the line, not a missing value
                # (which alerted "largest value 0"). Blank and NA-like text is missing.
                as_numbers = pd.to_numeric(column, errors="coerce")
                bad |= unreadable_numbers(column, as_numbers).to_numpy()
                value_numbers = as_numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        if bad.any():
            events = events.loc[~bad]
            value_numbers = None if value_numbers is None else value_numbers[~bad]
            times = None if times is None else times[~bad]
        if self.event is None:
            code = np.zeros(len(events), dtype=np.int32)
        else:
            given = events[self.event]
            if isinstance(given.dtype, pd.CategoricalDtype):
                # Each category looked up once, then the rows by their category codes.
                return_codes = given.cat.codes.to_numpy()
                given = pd.Series(given.cat.categories)
            else:
                return_codes = None
            if self._numeric_labels and given.dtype.kind not in "iuf":
                # Numeric types read as text (CSV, JSON strings): compared as numbers;
                # text that is no number is an unseen type.
                given = pd.to_numeric(given, errors="coerce")
            elif not self._numeric_labels and given.dtype.kind in "iuf":
                # Types fitted as text ("5": JSON strings) given as numbers: as that
                # text (5.0 as "5"), as scoring reads them (AnomalyPipeline._as_fitted_events).
                given = pd.Series(_number_texts(given.to_numpy()), index=given.index)
            at = self._labels.get_indexer(given)
            code = np.where(at < 0, self._other_code, self._label_codes[at]).astype(np.int32)
            if return_codes is not None:
                code = code[return_codes]
            if self._previous is not None:
                # drop_duplicates: the rows of types never seen, keyed by their labels.
                rows = np.flatnonzero(code == self._other_code)
                if len(rows):
                    labels = events[self.event].to_numpy()[rows]
                    unseen = dict(zip(rows.tolist(), map(self._unseen_key, labels)))
        item = present = value = None
        if self._has_items:
            column = events[self.item]
            missing = _missing(column)
            if missing is None:
                item = np.ascontiguousarray(_hash_keys(column.to_numpy()))
                present = np.ones(len(events), dtype=np.uint8)
            else:
                present = ~missing
                item = np.zeros(len(events), dtype=np.uint64)
                item[present] = _hash_keys(column.to_numpy()[present])
                present = present.astype(np.uint8)
        if self._has_values:
            column = events[self.value]
            value = column.to_numpy(dtype=np.float64) if value_numbers is None else value_numbers
        entity_ids = events[self.entity].to_numpy()
        keys = np.ascontiguousarray(_hash_keys(entity_ids))
        if self._unseen_types is not None:
            rows = np.flatnonzero(code == self._other_code)
            if len(rows):
                self._unseen_types.add(keys[rows], events[self.event].to_numpy()[rows])
        arrays = (
            keys,
            code,
            None if times is None else np.ascontiguousarray(times, dtype=np.int64),
            item,
            present,
            None if value is None else np.ascontiguousarray(value),
        )
        return arrays, entity_ids, int(bad.sum()), unseen, np.flatnonzero(~bad)

    def update(self, events: pd.DataFrame) -> StreamUpdate:
        """Apply a batch of events (rows in arrival order) and score the entities they
        touched.

        Unknown event types count as the pipeline's unseen types (``count[<other>]``,
        or only ``length`` when it has no such column), as in batch scoring. Rows with a
        missing entity, event type or time, or a value that is text but no number
        ('$374.95'), are skipped and counted (``n_invalid_``), as the shell's stream
        skips and reports such lines.

        Parameters
        ----------
        events : pandas.DataFrame
            With the columns named at construction.

        Returns
        -------
        StreamUpdate
            ``scores`` of the touched entities and the ``alerts`` among them.

        Examples
        --------
        >>> import pandas as pd
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
        >>> new = pd.DataFrame({"user_id": [1, 1], "behavior": ["pv", "teleport"],
        ...                     "timestamp": [1511539256, 1511539260]})
        >>> out = live.update(new)
        >>> out.scores["length"].tolist()
        [2]
        """
        return self._update(events)[0]

    def _update_each(self, events: pd.DataFrame):
        """:meth:`update`, with each alert judged at its event, as :meth:`update_one`
        judges it (the shell's stream, where a model scored in Python takes events in
        batches): ``(StreamUpdate, crossings)``, ``crossings`` the events that took
        their entity over the cut, in the batch's order, as (row of ``events``,
        score, length, reason); None where the batch is judged at its end (a model
        scored in C++, which the shell's stream feeds one event at a time, or a
        scorer with ``recent_change`` or ``drop_duplicates``)."""
        return self._update(events, each=True)

    def _update(self, events: pd.DataFrame, each: bool = False):
        if self._refit is not None and self._refit.done():
            self._take_refit()
        arrays, entity_ids, n_invalid, unseen, kept_rows = self._parse(events)
        self._check_id_type(*_ids_type(entity_ids))
        self.n_invalid_ += n_invalid
        parsed, n_duplicates = arrays, 0
        if self._previous is not None:
            arrays, entity_ids, n_duplicates = self._without_repeats(arrays, entity_ids, unseen)
        crossings = None
        if self._model is not None:
            # State, features and scores in one C++ pass over the batch.
            scored = self._store.update_scored(self._model, *arrays)
            applied = scored.applied
            score, length, flags = scored.scores.score, scored.scores.length, scored.scores.flags
        elif each and self._change is None and self._previous is None:
            applied, score, length, flags, crossings = self._apply_each(arrays)
            crossings = [(int(kept_rows[row]), *rest) for row, *rest in crossings]
        else:
            applied = self._store.update(*arrays)
            score, length, flags = self._score_python(applied.touched)
        self._check_left -= len(events)
        if self._check_left <= 0:  # scoring's checks (the first events, then now and then)
            labels = None if self.event is None else events[self.event]
            self._check_left = self._checks.batch(
                labels, parsed[0], len(events), parsed[2], frame=events
            )
        n_dropped = int(np.count_nonzero(applied.status == 2))
        # Each touched entity's id as its first row of the batch gave it.
        scores, alerts = self._frames(
            applied.touched, entity_ids[applied.first_rows], score, length, flags
        )
        result = StreamUpdate(
            scores, alerts, n_late_dropped=n_dropped, n_invalid=n_invalid, n_duplicates=n_duplicates
        )
        return result, crossings

    def _apply_each(self, arrays):
        """The batch applied one event at a time, each touched entity's features read
        after its event, all scored in one call of the Python detector, and each event
        judged in turn as :meth:`_score_python` judges one: (applied, score, length,
        flags) of the batch's end as :meth:`update` gives them, and the crossings
        (row of ``arrays``, score, length, reason) in the batch's order."""
        pipe = self.pipeline
        n = len(arrays[0])
        status = np.zeros(n, dtype=np.uint8)
        rows, keys, raws, lengths, found, approximate, codes = [], [], [], [], [], [], []
        for i in range(n):
            applied = self._store.update(*(None if a is None else a[i : i + 1] for a in arrays))
            status[i] = applied.status[0]
            if len(applied.touched):
                raw, length, got, approx, code = self._raw(applied.touched, codes=True)
                rows.append(i)
                keys.append(applied.touched[0])
                raws.append(raw[0])
                lengths.append(length[0])
                found.append(got[0])
                approximate.append(approx[0])
                codes.append(code[0])
        keys = np.asarray(keys, dtype=np.uint64)
        raw = np.asarray(raws).reshape(len(rows), -1)
        lengths = np.asarray(lengths, dtype=np.int64)
        found = np.asarray(found, dtype=bool)
        approximate = np.asarray(approximate, dtype=bool)
        score = np.full(len(rows), np.nan)
        above = np.zeros(len(rows), dtype=bool)
        ok = found & (lengths >= pipe.min_events)
        if ok.any():
            X = pipe._scaled(raw[ok], lengths[ok])
            with _few_threads(len(X)):
                score[ok] = np.asarray(pipe.detector_.decision_function(X), dtype=np.float64)
            hit = score[ok] > self.threshold_
            bounds = pipe.support_bounds()
            if bounds is not None:  # the support rule, as _score_python applies it
                outside = ((X < bounds[0]) | (X > bounds[1])).any(axis=1)
                floor = getattr(pipe, "support_floor_", None)
                hit |= outside if floor is None else outside & (score[ok] > floor)
            above[ok] = hit
        # Each entity in the batch's order of first touch, as update gives them.
        touched, first = np.unique(keys, return_index=True)
        order = np.argsort(first, kind="stable")
        touched, first = touched[order], first[order]
        before = dict(zip(touched.tolist(), self._store.alerted(touched).astype(bool).tolist()))
        marked = dict(before)
        last = {}
        crossing = []
        for j, key in enumerate(keys.tolist()):
            last[key] = j
            if ok[j]:
                if above[j] and not marked[key]:
                    crossing.append(j)
                marked[key] = bool(above[j])
        up = [k for k in touched.tolist() if marked[k] and not before[k]]
        down = [k for k in touched.tolist() if before[k] and not marked[k]]
        if up:
            self._store.set_alerted(np.asarray(up, dtype=np.uint64), True)
        if down:
            self._store.set_alerted(np.asarray(down, dtype=np.uint64), False)
        at = np.array([last[k] for k in touched.tolist()], dtype=np.int64)
        flags = np.where(approximate[at], _APPROXIMATE, 0).astype(np.uint8)
        was = np.array([before[k] for k in touched.tolist()], dtype=bool)
        flags |= np.where(ok[at], _SCORED, 0).astype(np.uint8)
        flags |= np.where(ok[at] & above[at], _ABOVE, 0).astype(np.uint8)
        flags |= np.where(ok[at] & above[at] & ~was, _NEW, 0).astype(np.uint8)
        applied = SimpleNamespace(
            touched=touched, first_rows=np.asarray(rows, dtype=np.int64)[first], status=status
        )
        crossings = []
        if crossing:
            picked = np.asarray(crossing)
            codes = np.asarray(codes, dtype=np.float64)
            reasons = self._alert_reasons(
                keys[picked], (raw[picked], lengths[picked], codes[picked])
            )
            crossings = [
                (rows[j], float(score[j]), int(lengths[j]), reason)
                for j, reason in zip(crossing, reasons)
            ]
        return applied, score[at], lengths[at], flags, crossings

    def _without_repeats(self, arrays, entity_ids, unseen):
        """drop_duplicates: the parsed batch (``_parse``'s arrays) less the events equal
        to their entity's previous one or another of its events at the same time (event,
        time, item and value as read; a type never
        seen by its label, ``unseen``), and how many were dropped."""
        keys, code, times, item, present, value = arrays
        codes = code.tolist()
        for row, key in unseen.items():
            codes[row] = key
        rest = [codes, times.tolist()]
        if item is not None:
            rest.append(np.where(present.astype(bool), item, 0).tolist())
            rest.append(present.tolist())
        if value is not None:
            rest.append(np.where(np.isnan(value), np.inf, value).tolist())
            rest.append(np.isnan(value).tolist())
        kept = self._previous.keep(keys.tolist(), zip(*rest))
        n = int(len(kept) - np.count_nonzero(kept))
        if n == 0:
            return arrays, entity_ids, 0
        arrays = tuple(None if a is None else np.ascontiguousarray(a[kept]) for a in arrays)
        return arrays, entity_ids[kept], n

    def _check_id_type(self, kind, example, one: bool = False, judged: bool = True) -> None:
        """Refuse ids that read as integers in the other type than the scorer's first
        such ids (``_id_type``): the stream keys an id by its type and value, so int 7
        and str "7" would be two entities (silently: each half of the events, and
        ``features`` finding none). ``one``: an ``update_one``'s; ``judged``: the first
        such ids set the type (not ``features``' lookups)."""
        if kind is None:
            return
        seen = self._id_seen
        if seen is None:
            if judged:
                self._id_seen = (kind, example)
                self._id_class = int if kind == "int" else str
            return
        if kind == seen[0]:
            return
        column = self.entity
        convert = "astype('int64')" if seen[0] == "int" else "astype(str)"
        if one:
            how = "int(entity)" if seen[0] == "int" else "str(entity)"
        elif judged:
            how = f"events[{column!r}] = events[{column!r}].{convert}"
        else:  # features' lookup: the ids asked for, not a frame of events
            how = f"features(pd.Index(entity_ids).{convert})"
        came = f"arrive as {kind}" if judged else f"asked for as {kind}"
        raise ValueError(
            f"entity ids {example!r} {came} where this scorer's earlier events gave "
            f"them as {seen[0]} ({seen[1]!r}): the stream keys an id by its type and value, "
            f"so int 7 and str '7' would be two entities; convert them to {seen[0]}: {how}"
        )

    def _raw(self, keys, codes: bool = False):
        """(the pipeline's features, lengths, found, approximate) of these entities as
        they stand; ``codes``: and the event code of each one's largest value
        (:meth:`_value_types`)."""
        got = self._store.features(keys, self._n_columns)
        out = (
            got.rows[:, self._columns],
            got.length,
            got.found.astype(bool),
            got.approximate.astype(bool),
        )
        # (the C++ row's last column: the largest value's code, -1 on one type or none)
        return out + (got.rows[:, -1],) if codes else out

    def _value_types(self, reasons, codes) -> np.ndarray:
        """``reasons`` with the event type of the largest value after the phrase that
        names it, as the batch table's (:func:`oddseq._reasons.largest_value_events`),
        from each entity's ``codes`` (its row's last column: the code of its largest
        value where its values lie on two codes or more, in arrival order). A type not
        seen in fitting is pooled in one code and left unnamed."""
        if not self._has_values or not len(reasons):
            return reasons
        codes = np.asarray(codes, dtype=np.float64).astype(np.int64)
        codes[codes == self._other_code] = -1
        kinds = value_event_names(self._code_labels, codes)
        if not (kinds != "").any():
            return reasons
        return with_largest_value_events(self.pipeline, reasons, np.arange(len(reasons)), kinds)

    def features(self, entity_ids) -> pd.DataFrame:
        """The current features of these entities (the pipeline's encoder columns),
        indexed by id; entities not tracked (never seen, or evicted) are left out.

        Examples
        --------
        >>> import pandas as pd
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
        >>> _ = live.update(pd.DataFrame({"user_id": [7, 7], "behavior": ["pv", "buy"],
        ...                               "timestamp": [0, 30]}))
        >>> live.features([7]).loc[7, ["count[buy]", "length", "gap_mean_s"]].tolist()
        [1.0, 2.0, 30.0]
        """
        ids = pd.Index(entity_ids)
        self._check_id_type(*_ids_type(ids.to_numpy()), judged=False)
        raw, _, found, _ = self._raw(np.ascontiguousarray(_hash_keys(ids.to_numpy())))
        return pd.DataFrame(raw[found], index=ids[found], columns=self.feature_names_)

    def update_one(self, entity, event=None, time=None, item=None, value=None) -> StreamEvent:
        """Apply one event, given as plain values, and score its entity: the fast path
        for events arriving one at a time (no DataFrame is built; with C++ scoring, one
        call into C++ per event).

        The values are read as :meth:`update` reads one row of its columns: ids (entity,
        item) of type int or str, or anything else pandas hashes as a column; numeric
        times in ``time_unit`` or timestamps; unknown event types count as the unseen
        type. A missing entity, event type or time (None, NaN, NaT; an id or event type
        of blank text, "" or spaces) makes the event invalid: it is skipped and counted
        (``n_invalid_``), as in :meth:`update`, and the result is a NaN score.

        Parameters
        ----------
        entity : int, str or hashable
        event : event type, optional
            Needed when the scorer has an ``event`` column.
        time : number, str or timestamp, optional
            Needed when the pipeline was fitted with times.
        item, value : optional
            When the pipeline was fitted with items / values (None: missing).

        Returns
        -------
        StreamEvent
            ``score``, ``is_anomaly``, ``new`` (a crossing from below), ``reason`` (for a
            new alert) and ``length``.

        Examples
        --------
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
        >>> _ = live.update_one(7, "pv", 1511539256)
        >>> live.update_one(7, "buy", 1511539286).length
        2
        """
        if _blank_text(entity) or (self.event is not None and _blank_text(event)):
            return self._invalid()  # (blank text is missing, as the sequences read it)
        if type(entity) is not self._id_class:
            self._check_id_type(_id_type(entity), entity, one=True)
        if self._refit is not None and self._refit.done():
            self._take_refit()
        self._check_left -= 1
        if self._check_left <= 0:  # scoring's checks (the first events, then now and then)
            self._check_left = self._checks.one(entity, event, time, item, value)
        if self._text_labels and type(event) in (int, float):
            # (a type fitted as text, "5", given as a number: as that text)
            event = str(event) if type(event) is int else _number_texts(np.array([event]))[0]
        if self._unseen_types is not None:
            try:
                known = event in self._code_of
            except TypeError:  # no type (a list): refused below
                known = True
            if not known:
                self._keep_unseen(entity, event)
        one = self._one if self._previous is None else None
        if one is not None:
            # Plain values (int / str ids and types, int / float times and values):
            # converted, applied and scored in one C++ call; None when it takes another.
            out = one(entity, event, time, item, value)
            if out is not None:
                if out[2]:  # a new alert: its reason
                    reason = self._alert_reasons(
                        np.array([_core.stream_hash_id(entity)], dtype=np.uint64)
                    )[0]
                    out = (out[0], out[1], True, reason, out[4])
                return _new_event(StreamEvent, out)
        return self._update_one(entity, event, time, item, value)

    def _keep_unseen(self, entity, event) -> None:
        """update_one's event of a type not found as given: kept by its label where
        it is one not seen in fitting (its entity an id)."""
        try:
            if self._slow_code(event) != self._other_code:
                return
            if isinstance(entity, (int, str)):
                key = _core.stream_hash_id(entity)
            else:
                key = self._slow_key(entity, "entity")
        except (TypeError, ValueError):
            return
        if key is not None:
            self._unseen_types.add([key], [event])

    def _update_one(self, entity, event, time, item, value) -> StreamEvent:
        """update_one for any values (missing ones, timestamps, numpy scalars, ...)."""
        if isinstance(entity, (int, str)):
            entity_key, entity_hashed = entity, False
        else:
            entity_key, entity_hashed = self._slow_key(entity, "entity"), True
            if entity_key is None:
                return self._invalid()
        if self.event is None:
            if event is not None:
                raise ValueError(
                    "this scorer has no event column (event=None at construction); leave event out"
                )
            code = 0
        else:
            try:
                code = self._code_of[event]
            except (KeyError, TypeError):
                code = self._slow_code(event)
                if code < 0:
                    return self._invalid()
        if self._has_times:
            kind = type(time)
            if kind is int and -self._int_limit <= time <= self._int_limit:
                ns = time * self._time_factor
            elif kind is float and -self._float_limit < time < self._float_limit:
                ns = round(time * self._time_factor)  # half to even, as np.rint
            else:
                ns = self._slow_time(time)
                if ns is None:
                    return self._invalid()
        elif time is not None:
            raise ValueError("the pipeline was fitted without times; leave time out")
        else:
            ns = 0
        item_key, item_hashed = None, False
        if self._has_items:
            if isinstance(item, (int, str)):
                item_key = item
            elif item is not None:
                item_key, item_hashed = self._slow_key(item, "item"), True
        elif item is not None:
            raise ValueError("the pipeline was fitted without items; leave item out")
        number = math.nan
        if self._has_values:
            if type(value) is float:
                number = value
            elif value is not None:
                try:
                    number = float(value)
                except (TypeError, ValueError):  # as pd.to_numeric(errors="coerce")
                    if isinstance(value, str) and value.strip().lower() not in MISSING_TEXT:
                        return self._invalid()  # '$374.95': unreadable, as in update
                    number = math.nan
        elif value is not None:
            raise ValueError("the pipeline was fitted without values; leave value out")
        if self._previous is not None:
            key = entity_key if entity_hashed else _core.stream_hash_id(entity_key)
            # Types never seen share one code: compared by their own labels.
            rest = [self._unseen_key(event) if code == self._other_code else code, ns]
            if self._has_items:
                hashed = None
                if item_key is not None:
                    hashed = item_key if item_hashed else _core.stream_hash_id(item_key)
                rest += [0 if hashed is None else hashed, int(hashed is not None)]
            if self._has_values:
                rest += [math.inf if number != number else number, number != number]
            if not self._previous.one(key, tuple(rest)):
                return self._standing(key) if self._standing_answers else _INVALID
        # (score, is_anomaly, new, reason, length): a StreamEvent's fields.
        out = self._store.update_one(
            entity_key, entity_hashed, code, ns, item_key, item_hashed, number, self._model
        )
        if self._model is None:
            key = entity_key if entity_hashed else _core.stream_hash_id(entity_key)
            scores, lengths, many = self._score_python(np.array([key], dtype=np.uint64))
            flags = int(many[0])
            out = (
                float(scores[0]),
                bool(flags & _ABOVE),
                bool(flags & _NEW),
                None,
                int(lengths[0]),
            )
        if out[2]:
            key = entity_key if entity_hashed else _core.stream_hash_id(entity_key)
            reason = self._alert_reasons(np.array([key], dtype=np.uint64))[0]
            out = (out[0], out[1], True, reason, out[4])
        return _new_event(StreamEvent, out)

    def _standing(self, key: int) -> StreamEvent:
        """update_one's answer for an event dropped as a repeat: the entity as it
        stands (its score, its alert as last judged, not new, its length), changing
        nothing; scored by the C++ model where there is one."""
        keys = np.array([key], dtype=np.uint64)
        alerted = bool(self._store.alerted(keys)[0])
        if self._model is not None:
            # The C++ model reads the store (microseconds; the Python detector takes
            # tens of milliseconds a call). Its scoring judges the alert again: where
            # the cut changed since the entity's last event, the mark is put back.
            scored = self._store.score(self._model, keys)
            if bool(scored.flags[0] & _ABOVE) != alerted:
                self._store.set_alerted(keys, alerted)
            return StreamEvent(float(scored.score[0]), alerted, False, None, int(scored.length[0]))
        raw, lengths, found, _ = self._raw(keys)
        pipe, score = self.pipeline, math.nan
        if found[0] and lengths[0] >= pipe.min_events:
            X = pipe._scaled(raw, lengths)
            score = float(np.asarray(pipe.detector_.decision_function(X))[0])
        return StreamEvent(score, alerted, False, None, int(lengths[0]))

    def _line_feed(self, sep=",", header=None, time_factor=None):
        """A C++ reader of CSV lines with this header, or of JSON objects (no header)
        keyed by the column names (the ``oddseq stream`` command's path), or None where it
        cannot serve: scoring outside C++ or a separator other than one ASCII character
        (it splits the UTF-8 bytes at one byte). Lines it reads are read as update_one
        reads their fields given as str; their numeric times in ``time_factor`` ns each
        where given (lines whose text times were read in Python,
        :mod:`oddseq.stream._text_lines`), else in the scorer's unit."""
        if self._model is None or len(sep) != 1 or not sep.isascii():
            return None
        roles = (self.entity, self.event, self.time, self.item, self.value)
        if header is None:
            fields, places = 1, [-1 if role is None else 0 for role in roles]
        else:
            fields, places = len(header), [-1 if r is None else header.index(r) for r in roles]
        entity, event, time, item, value = places
        self._line_layout = (sep, None if header is None else list(header))  # for the checks
        line_format = _core.StreamLineFormat(
            sep=sep,
            n_fields=fields,
            entity=entity,
            event=event,
            time=time,
            item=item,
            value=value,
            json=header is None,
            keys=["" if role is None else str(role) for role in roles],
        )
        unseen = self._unseen_types
        if unseen is None or not unseen.routing:
            return _core.StreamLineFeed(line_format, self._event_params(time_factor=time_factor))
        # A line of a type not seen in fitting (text or number) is left to the caller's
        # update_one, which keeps its label for the entity's reasons (UnseenTypes); any
        # other line reads as before. Past UNSEEN_ROUTED_MAX such lines, _feed_lines
        # reads on with a plain feed and finds their types in the lines it read.
        params = self._event_params(time_factor=time_factor, unseen_to_caller=True)
        feed = _core.StreamLineFeed(line_format, params)
        self._plain_feeds[id(feed)] = [feed, line_format, None, time_factor]
        return feed

    def _feed_lines(self, feed, data: bytes, offset: int, gather: float = 0.0, time_factor=None):
        """Events of the complete lines of ``data`` from ``offset``, each applied and its
        entity scored as update_one does, until the end, a line the feed leaves to the
        caller, or the first line read ``gather`` seconds or more after the first new
        alert (0: right after it): (stop, offset, lines read, alerts) with stop 0 (end),
        1 (after alerts) or 2 (the line at offset is the caller's), and alerts a list of
        (lines read up to the alert's, entity id as text (UTF-8 bytes), score, length, reason), the
        reasons worded in one call from each entity as it stood right after its event.
        ``time_factor``: the feed's (:meth:`_line_feed`), where not the scorer's."""
        if self._refit is not None and self._refit.done():
            self._take_refit()
        found = None  # the unseen types of the lines read, past the routed ones
        if self._plain_feeds and not self._unseen_types.routing:
            feed = self._plain_feed(feed)
            found = self._text_labels or self._numeric_labels
        top = min(TABLE_FEATURES, self._model.n_features)  # ranked as the batch's, then cut
        run = feed.feed(self._store, self._model, data, offset, top, round(gather * 1e9))
        if found:  # (the data's lines scanned once, from the first run's offset)
            scan = self._unseen_scan
            if scan is None or scan[0] is not data or offset < scan[1]:
                sep, header = self._line_layout
                found = (
                    _unseen_json_lines(data, offset, self.entity, self.event)
                    if header is None
                    else _unseen_lines(data, offset, sep, header, self.entity, self.event)
                )
                scan = self._unseen_scan = (data, offset, found, self._code_of)
            found = _unseen_in(scan[2], scan[3], offset, run.offset, self._numeric_labels)
        self._check_left -= run.lines
        if self._check_left <= 0:  # scoring's checks (the first events, then now and then)
            layout = self._line_layout
            self._check_left = self._checks.lines(
                data, offset, run.offset, run.lines, layout, time_factor
            )
        alerts = []
        if len(run.key):
            top = run.columns.shape[1]
            rows = np.repeat(np.arange(len(run.key)), top)
            raw = run.rows[:, self._columns]
            reasons = alert_reasons_at(
                self.pipeline,
                rows,
                run.columns.ravel(),
                run.typical.ravel(),
                raw,
                run.length,
                _ranks_of(run),
            )
            reasons = self._value_types(reasons, run.rows[:, -1])  # (as it stood then)
            reasons = with_count_shares(reasons, run.length)
            if self._change is not None:  # each alert's facts as it stood then
                reasons = self._with_change_facts(reasons, lambda: run.facts)
            if self._unseen_types is not None:
                counts = run.rows[:, self._other_code]  # count[<other>]
                if not found:
                    reasons = self._unseen_types.name(self.pipeline, run.key, reasons, counts)
                else:  # each alert named as its entity stood after its line
                    reasons = self._name_found(found, run, reasons, counts)
                    found = None
            alerts = [  # (each id as its text: quoted or escaped ids undone by the reader)
                (line, entity, score, length, reason)
                for line, entity, score, length, reason in zip(
                    run.line.tolist(),
                    run.entities,
                    run.score.tolist(),
                    run.length.tolist(),
                    reasons.tolist(),
                )
            ]
        if found:
            self._unseen_types.add(found[1], found[2])
        return run.stop, run.offset, run.lines, alerts

    def _name_found(self, found, run, reasons, counts) -> np.ndarray:
        """The run's alerts named, each as its entity stood right after its line, the
        unseen types ``found`` in its lines (:func:`_unseen_lines`) kept on the way: in
        one call, as the run's alerts are named where none are found (an entity's names
        depend on its own types alone), but for entities alerting again in the run (a
        call a round)."""
        lines, keys, labels = found
        alert_keys, alert_lines = run.key, run.line
        rank = np.zeros(len(alert_keys), dtype=np.int64)
        if len(distinct(alert_keys)) < len(alert_keys):
            rank = pd.Series(alert_keys).groupby(alert_keys, sort=False).cumcount().to_numpy()
        kept = np.zeros(len(lines), dtype=bool)
        reasons = np.asarray(reasons, dtype=object).copy()
        for r in range(int(rank.max()) + 1):
            at = np.flatnonzero(rank == r)
            line_of = dict(zip(alert_keys[at].tolist(), alert_lines[at].tolist()))
            last = np.iinfo(np.int64).max
            cut = np.fromiter((line_of.get(k, last) for k in keys.tolist()), np.int64, len(keys))
            now = ~kept & (lines <= cut)
            if now.any():
                self._unseen_types.add(keys[now], labels[now])
                kept |= now
            reasons[at] = self._unseen_types.name(
                self.pipeline, alert_keys[at], reasons[at], counts[at]
            )
        if not kept.all():
            self._unseen_types.add(keys[~kept], labels[~kept])
        return reasons

    def _plain_feed(self, feed):
        """The feed that reads the lines of ``feed`` (of :meth:`_line_feed`) without
        leaving those of unseen types to the caller."""
        kept = self._plain_feeds.get(id(feed))
        if kept is None:
            return feed
        if kept[2] is None:
            kept[2] = _core.StreamLineFeed(kept[1], self._event_params(time_factor=kept[3]))
        return kept[2]

    def _time_checks(self, check: dict) -> None:
        """The checks of numeric times (``check``: times_to_ns' facts of a batch): the
        unit on the first batch (a unit off by a factor of 1,000 shows in any number),
        the clock/date digits on the first numeric times until they decide. A first
        batch of a few events cannot (20 distinct values are needed: 203615 alone is a
        fine number of seconds), and judged on it alone a stream of HDFS's 203615-style
        times would never be told; so later batches add theirs (at most
        ``_DIGITS_STREAM`` distinct values kept) until the check is done; so are
        spreadsheet serial dates (``_serial_check``)."""
        if "time_range" not in check:  # dates, not numbers: their year, on the first batch
            if not self._unit_checked and "date_range" in check:
                _warn_if_early_dates(self.time, *check["date_range"])
            self._unit_checked, self._digits, self._serial = True, None, None
            return
        if not self._unit_checked:
            self._unit_checked = True
            _warn_if_another_unit(self.time, self.time_unit, *check["time_range"])
        self._serial_check(check.get("serial"), *check["time_range"])
        facts = check.get("digits")
        if self._digits is None:
            return
        if facts is None:  # numbers that fit no digit form: later ones cannot change it
            self._digits = None
            return
        self._digits.update(facts[1][:_DIGITS_STREAM].tolist())
        if digits_judged(self.time, self.time_unit, sorted(self._digits)):
            self._digits = None

    def _serial_check(self, facts, low: float, high: float) -> None:
        """The batch's spreadsheet serial-date check (43063.67: days since 1899-12-30,
        read as seconds in 1970) on the first numeric times, whose ``facts`` (a batch's
        ``_serial_facts``, its extremes ``low``, ``high``) add up until 20 numbers have
        come: then a DataWarning with the fix, once, if they are serial dates. update_one
        leaves it out, as the unit check; ``oddseq stream`` judges its lines itself."""
        if self._serial is None:
            return
        if facts is not None:
            n, fractional, least, most = self._serial
            facts = (n + facts[0], fractional + facts[1])
            low, high = min(least, low), max(most, high)
            self._serial = (*facts, low, high)
        if serial_judged(self.time, self.time_unit, facts, low, high):
            self._serial = None

    def _check_unit(self, time) -> None:
        """Once per scorer: the batch's check of a numeric time column
        (:func:`~oddseq.utils._time.parse_times`) on the number ``time``: a ValueError
        with the fix where ``time_unit`` puts it beyond the year 2262 (milliseconds read
        as seconds), a UserWarning where it falls outside 1990-2100 and in another unit
        inside (seconds read as milliseconds), as :meth:`update` does on its first
        batch. update_one leaves it out (its per-event cost); ``oddseq stream`` calls it
        on its first event."""
        if self._unit_checked:
            return
        self._unit_checked = True
        if isinstance(time, (int, float)) and not isinstance(time, bool) and math.isfinite(time):
            # The digit check is the caller's (it needs many times, not one).
            check, column = {}, pd.Series([time])
            if column.dtype == object:  # an int beyond int64
                column = column.astype(np.float64)
            times_to_ns(column, self.time_unit, self.time, unit_warning=check)
            _warn_if_another_unit(self.time, self.time_unit, *check["time_range"])
        elif isinstance(time, (str, pd.Timestamp, np.datetime64)):
            # A date (text, a timestamp): one of 1970 that is epoch numbers in too fine
            # a unit, as update's first batch judges its dates (parse_times).
            try:
                ns = self._slow_time(time)
            except (ValueError, TypeError, OverflowError):
                return  # (the event's own reading reports it)
            if ns is not None:
                _warn_if_early_dates(self.time, ns, ns)

    def _invalid(self) -> StreamEvent:
        self.n_invalid_ += 1
        return _INVALID

    @staticmethod
    def _slow_key(value, role):
        """The key of an id that is neither int nor str (None when missing)."""
        if isinstance(value, (list, tuple, dict, set, np.ndarray, pd.Series, pd.DataFrame)):
            raise TypeError(f"{role} must be one id (int, str, ...), got {type(value).__name__}")
        if pd.isna(value):
            return None
        return int(_hash_keys(np.array([value]))[0])

    def _slow_code(self, event) -> int:
        """The code of an event type not found as given: -1 when missing, a numeric type
        given as text, else the unseen type."""
        if isinstance(event, (list, dict, set, np.ndarray, pd.Series)):
            raise TypeError(f"event must be one event type, got {type(event).__name__}")
        if pd.isna(event):
            return -1
        if self._numeric_labels and isinstance(event, (str, bytes)):
            number = _plain_integer(event)
            if number is None:  # (pandas' reading: ~0.8 ms a call)
                number = pd.to_numeric(pd.Series([event]), errors="coerce").iloc[0]
            if not pd.isna(number) and number in self._code_of:
                return self._code_of[number]
        if (
            not self._numeric_labels
            and isinstance(event, (numbers.Real, np.number))
            and not isinstance(event, (bool, np.bool_))
        ):
            text = _number_texts(np.array([event]))[0]
            if text in self._code_of:
                return self._code_of[text]
        return self._other_code

    def _unseen_key(self, label) -> tuple:
        """drop_duplicates: an event of a type the pipeline never saw, compared by its
        own label (such types share one code, ``count[<other>]``, but a repeat is the
        same event: login then logout in one second is two), as the scorer reads it: a
        number where the pipeline's types are numbers (text that reads as one too),
        else as ids are keyed (ints by value, text by text). Never equal to a code."""
        if isinstance(label, np.generic):
            label = label.item()
        if self._numeric_labels:
            number = label
            if isinstance(label, (str, bytes)):
                number = pd.to_numeric(pd.Series([label]), errors="coerce").iloc[0].item()
            if isinstance(number, (int, float)) and number == number:
                return ("number", number)
        if isinstance(label, (int, str)):
            return ("label", _core.stream_hash_id(label))
        return ("label", self._slow_key(label, "event"))

    def _slow_time(self, time):
        """ns of a time that is no plain int / float in range (None when missing)."""
        if isinstance(time, (list, tuple, dict, set, np.ndarray, pd.Series)):
            raise TypeError(f"time must be one time, got {type(time).__name__}")
        if time is None:
            return None
        if type(time) is str:
            # Dates as text, one at a time: their format learned once per shape and
            # checked against the full reader (about 13 ms a time through pandas).
            reading = (self.time or "time", self.time_unit, self.time_format, self.dayfirst)
            texts = getattr(self, "_text_times", None)
            if texts is None or texts[0] != reading:
                texts = self._text_times = (reading, TextTimes(*reading))
            return texts[1].read(time)
        column = pd.Series([time])
        if isinstance(time, int) and column.dtype == object:  # beyond int64: out of range
            column = column.astype(np.float64)
        ns, bad, _ = times_to_ns(
            column,
            self.time_unit,
            self.time or "time",
            self.time_format,
            self.dayfirst,
            early_dates=False,  # (one time: the first one is judged, _check_unit)
        )
        return None if bad is not None else int(ns[0])

    def _score_python(self, keys):
        """(score, length, flags) of these entities through the pipeline's detector (for
        detectors without C++ scoring), the alert marks updated as the C++ scoring does."""
        pipe = self.pipeline
        raw, lengths, found, approximate = self._raw(keys)
        score = np.full(len(keys), np.nan)
        flags = np.where(approximate, _APPROXIMATE, 0).astype(np.uint8)
        ok = np.flatnonzero(found & (lengths >= pipe.min_events))
        if len(ok):
            X = pipe._scaled(raw[ok], lengths[ok])
            with _few_threads(len(X)):
                score[ok] = np.asarray(pipe.detector_.decision_function(X), dtype=np.float64)
            above = score[ok] > self.threshold_
            bounds = pipe.support_bounds()
            if bounds is not None:  # the support rule: outside the normal range alerts
                outside = ((X < bounds[0]) | (X > bounds[1])).any(axis=1)
                floor = getattr(pipe, "support_floor_", None)  # above a normal variant's
                above |= outside if floor is None else outside & (score[ok] > floor)
            was = self._store.alerted(np.ascontiguousarray(keys[ok])).astype(bool)
            if (was & ~above).any():
                self._store.set_alerted(np.ascontiguousarray(keys[ok][was & ~above]), False)
            if above.any():
                self._store.set_alerted(np.ascontiguousarray(keys[ok][above]), True)
            flags[ok] |= (_SCORED | _ABOVE * above | _NEW * (above & ~was)).astype(np.uint8)
        return score, lengths, flags

    def _frames(self, keys, ids, score, length, flags):
        """The scores and alerts frames of scored entities; reasons for the alerts that
        ``reasons`` asks for."""
        kept = (flags & _SCORED) != 0
        if not kept.all():
            keys, ids, score, length, flags = (
                keys[kept],
                ids[kept],
                score[kept],
                length[kept],
                flags[kept],
            )
        labels = pd.Index(ids, name=self.entity)
        above = (flags & _ABOVE) != 0
        scores = pd.DataFrame(
            {
                "score": score,
                "is_anomaly": above,
                "length": length,
                "approximate": (flags & _APPROXIMATE) != 0,
            },
            index=labels,
        )
        hit = np.flatnonzero(above)
        new = (flags[hit] & _NEW) != 0
        reason = np.full(len(hit), None, dtype=object)
        wanted = np.arange(len(hit)) if self.reasons == "all" else np.flatnonzero(new)
        if len(wanted):
            reason[wanted] = self._alert_reasons(keys[hit[wanted]])
        alerts = pd.DataFrame(
            {"score": score[hit], "threshold": self.threshold_, "new": new, "reason": reason},
            index=labels[hit],
        )
        return scores, alerts

    def _alert_reasons(self, keys, features=None) -> np.ndarray:
        """The reasons of these entities' alerts as they stand: the detector's
        explanation (computed in C++ along with the C++ scoring, else by the detector's
        ``explain``), worded as the batch table's reasons; ``features``: their (raw,
        lengths, largest value's codes) as read at an earlier event (a batch judged event
        by event, scored in Python), else as they stand."""
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        if features is None:
            raw, lengths, _, _, codes = self._raw(keys, codes=True)
        else:
            raw, lengths, codes = features
        if self._model is None:
            reasons = self._reasons(self.pipeline._scaled(raw, lengths), raw, lengths)
        else:
            top = min(TABLE_FEATURES, self._model.n_features)  # ranked, then cut
            explanation = self._store.explain(self._model, keys, top)
            columns, typical = explanation.columns, explanation.typical
            rows = np.repeat(np.arange(len(keys)), columns.shape[1])
            reasons = alert_reasons_at(
                self.pipeline,
                rows,
                columns.ravel(),
                typical.ravel(),
                raw,
                lengths,
                _ranks_of(explanation),
            )
        reasons = self._value_types(reasons, codes)
        reasons = with_count_shares(reasons, lengths)  # (as the batch table's)
        if self._change is not None:
            reasons = self._with_change_facts(reasons, lambda: self._store.change_facts(keys))
        if self._unseen_types is not None:
            counts = raw[:, self._columns == self._other_code].sum(axis=1)  # count[<other>]
            reasons = self._unseen_types.name(self.pipeline, keys, reasons, counts)
        return self._with_range_words(reasons, raw, lengths)

    def _with_range_words(self, reasons, raw, lengths) -> np.ndarray:
        """Alerts of the support rule alone (outside the normal range, under the cut)
        end with where they lie beyond it, as the batch table's reasons do
        (:func:`oddseq._pipeline.beyond_range_words`)."""
        pipe = self.pipeline
        if pipe.support_bounds() is None or not len(reasons):
            return reasons
        from .._pipeline import beyond_range_words

        X = pipe._scaled(raw, lengths)
        with _few_threads(len(X)):
            scores = np.asarray(pipe.detector_.decision_function(X), dtype=np.float64)
        found = beyond_range_words(pipe, X, raw, scores, self.threshold_)
        if found is None:
            return reasons
        rows, words = found
        reasons = np.asarray(reasons, dtype=object).copy()
        reasons[rows] = [f"{r}; {w}" if r else w for r, w in zip(reasons[rows], words)]
        return reasons

    def _with_change_facts(self, reasons, facts) -> np.ndarray:
        """Reasons naming the recent-change columns end with the facts behind them as a
        phrase of their own, as the batch table's do ("; recent change: 6 of 6 events
        buy (100%), against 0 of 50 earlier, spread over 9 d; ...", before a "rests on"
        note: :func:`before_evidence`); ``facts()``: the store's change facts of these
        rows, read only when a reason needs them."""
        said = np.flatnonzero([CHANGE_PHRASE in str(r) for r in reasons])
        if said.size:
            words = change_facts_text(np.asarray(facts())[said], self._code_labels)
            reasons = reasons.copy()
            reasons[said] = [before_evidence(r, w) for r, w in zip(reasons[said], words)]
        return reasons

    def _reasons(self, X, raw, lengths) -> np.ndarray:
        """The two features that drive each alert, in the data's units, as the batch
        table's reasons say them."""
        if len(X) == 0:
            return np.array([], dtype=object)
        pipe = self.pipeline
        with _few_threads(len(X)):
            explained, chosen = explained_with_rows(
                pipe.detector_, X, TABLE_FEATURES, self.feature_names_
            )
        return alert_reasons(pipe, explained, raw, lengths, chosen)

    # ---- model refresh

    def refit(self, events, *, background=True):
        """Fit the model afresh on a window of events (the caller's rolling window: the
        last day, the last million events), the same parameters as the current one.

        In the background by default: scoring goes on with the current model while the
        new one is fitted, and the new one takes over at the first :meth:`update` or
        :meth:`update_one` after it is ready (the entities' state is kept). The
        threshold moves with it; each change is recorded in ``threshold_history_``
        (``n_events`` applied so far, ``watermark_ns`` the stream's newest event time,
        ``previous`` and ``threshold``, ``n_fitted`` entities). A new model whose
        features differ (another set of event types, say) cannot score the kept state:
        it is not taken, and ``threshold_history_`` says why (``refused``), as it does
        when the fit failed (the error is also the future's).

        Parameters
        ----------
        events : pandas.DataFrame
            With the columns named at construction.
        background : bool, default=True
            False: fit now and take the new model before returning.

        Returns
        -------
        concurrent.futures.Future
            Its result is the fitted pipeline (or the error that stopped the fit).

        Examples
        --------
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=300, random_state=0).events
        >>> roles = dict(entity="user_id", event="behavior", time="timestamp")
        >>> live = StreamScorer(AnomalyPipeline().fit(Sequences.from_events(log, **roles)),
        ...                     **roles)
        >>> _ = live.refit(log.tail(5000), background=False)
        >>> len(live.threshold_history_)
        1
        """
        import concurrent.futures
        import inspect

        from ..sequences import Sequences

        if not isinstance(events, pd.DataFrame):
            raise TypeError(not_a_frame(events, "events"))
        # The window's sequences now (bad input raises here, not in the thread).
        seqs = Sequences.from_events(
            events,
            entity=self.entity,
            event=self.event,
            time=self.time,
            item=self.item,
            value=self.value,
            **self._reading,
        )
        old = self.pipeline
        from .._pipeline import share_cut_of_a_normal_fit

        said = share_cut_of_a_normal_fit(old)
        future = concurrent.futures.Future()
        if said is not None:
            # A pair refused since (the fit would refuse it): handed over as a failed fit
            # is, the current model kept (review RV s35 L5: a service's refit loop goes on).
            future.set_exception(ValueError(f"refit: {said}"))
            self._refit = future
            if not background:
                self._take_refit()
            return future
        names = [p for p in inspect.signature(type(old).__init__).parameters if p != "self"]
        fresh = type(old)(**{name: getattr(old, name) for name in names})
        normal = bool(getattr(old, "normal_", False))
        if background:
            future = _refit_pool().submit(fresh.fit, seqs, normal)
        else:
            try:
                future.set_result(fresh.fit(seqs, normal))
            except Exception as error:  # noqa: BLE001 - handed to the caller in the future
                future.set_exception(error)
        self._refit = future
        if not background:
            self._take_refit()
        return future

    def calibrate(self, events, false_alarm_rate=None) -> float:
        """Set the threshold for alerts while events arrive, from a log replayed in
        time order (the training log, say) through a fresh state kept as this
        scorer's (its lateness, ttl, max_entities, max_exact_items): each entity's highest
        score over its history, cut by the pipeline's rule for unsupervised fits
        (:func:`oddseq.detect.auto_cut`) but for its move down: the tail cut, moved only up
        into a clear gap (:func:`oddseq.detect.gap_cut`), never down to a group's lower
        edge, so that at most about ``false_alarm_rate`` of normal entities ever cross it.
        Cut afresh on other scores (each entity's highest on its way), the new threshold
        may land below the fitted one as well as above it. The tail cut in it is never
        above the (1 - ``false_alarm_rate``) quantile of the highest scores: maxima over
        paths have a heavy tail, the tail model reads it as heavier still (shape near 1
        on the shop logs) and its cut let only 0.26-0.86% of users ever cross at rate
        0.01. The fitted threshold was set on whole sequences; a few events in, an entity
        can look odd on its way to typical, and more of them cross it at some moment. The
        change is recorded in ``threshold_history_``. A log whose events repeat their
        entity's previous one (or another of its events at the same time) exactly past
        10% (rows written twice: they change the
        scores, and move the cut) is warned about (a ``DataWarning``), as the stream
        warns; with ``drop_duplicates=True`` the replay drops them as the stream does. A
        log not in time order (newest first, shuffled) is replayed sorted by its time
        (stable), with a ``DataWarning``, as ``oddseq stream --calibrate`` sorts its file.

        Parameters
        ----------
        events : pandas.DataFrame
            With the columns named at construction, in time order.
        false_alarm_rate : float in (0, 0.5], optional
            Default: the rate the pipeline's cut was set at
            (``threshold_info_["false_alarm_rate"]``: 0.01 when fitted unsupervised,
            0.005 normal-only, unless fitted with another), else 0.01.

        Returns
        -------
        float
            The new threshold (``threshold_``).

        Examples
        --------
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=300, random_state=0).events
        >>> roles = dict(entity="user_id", event="behavior", time="timestamp")
        >>> pipe = AnomalyPipeline().fit(Sequences.from_events(log, **roles))
        >>> live = StreamScorer(pipe, **roles)
        >>> live.calibrate(log.sort_values("timestamp")) >= pipe.threshold_
        True
        """
        from ..detect._threshold import DEFAULT_FALSE_ALARM_RATE

        if not isinstance(events, pd.DataFrame):
            raise TypeError(not_a_frame(events, "events"))
        rate = false_alarm_rate
        if rate is None:
            info = getattr(self.pipeline, "threshold_info_", None) or {}
            rate = (
                info.get("false_alarm_rate")
                or getattr(self.pipeline, "false_alarm_rate", None)
                or DEFAULT_FALSE_ALARM_RATE
            )
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 < rate <= 0.5:
            raise ValueError(f"false_alarm_rate must be a number in (0, 0.5], got {rate!r}")
        roles = [self.entity, self.event, self.time, self.item, self.value]
        missing = [c for c in roles if c is not None and c not in events.columns]
        if missing:
            raise ValueError(
                f"column(s) {missing} not in the events; they have {list(events.columns)}"
            )
        # The time column read once, by the batch reader: to put the log in time order,
        # and handed to the replay as ns (text times are not read a second time).
        events, times, check = self._in_time_order(events)
        if self._serial is not None and self.time_format is None and "time_range" in check:
            # The replay (update_one's path) checks no unit: a log of spreadsheet serial
            # dates is judged here, on its numeric times, and said once for the stream.
            self._serial_check(check.get("serial"), *check["time_range"])
        twin = StreamScorer(
            self.pipeline,
            entity=self.entity,
            event=self.event,
            time=self.time,
            item=self.item,
            value=self.value,
            drop_duplicates=self.drop_duplicates,
            **(self._reading if times is None else dict(time_unit="ns")),
            **self._state_options,
        )
        # A dropped event leaves its entity as it was: it raises no entity's highest,
        # so it is not scored (through the detector, 222 s for a log sent twice).
        twin._standing_answers = False
        columns = [
            times
            if at == 2 and times is not None  # the time column, read above
            else events[c].astype(str).tolist()
            if c is not None and isinstance(events[c].dtype, pd.CategoricalDtype)
            else (events[c].tolist() if c is not None else [None] * len(events))
            for at, c in enumerate(roles)
        ]
        highest: dict = {}
        # (with drop_duplicates, the general path, which drops them as update_one does)
        one = twin._one if twin._previous is None else None
        # Events repeating their entity's previous one, judged over the whole log by the
        # stream's rule: duplicated rows change entities' highest scores, and move the cut
        # (dropped, with drop_duplicates: nothing to warn of).
        repeats = Repeats() if self.time is not None and not self.drop_duplicates else None
        if repeats is not None:
            repeats.window = len(events)
        for entity, event, time, item, value in zip(*columns):
            if repeats is not None:
                try:
                    repeats.one(entity, compared((event, time, item, value)), 1)
                except TypeError:  # an entity no id: the replay refuses it
                    repeats = None
            # Scores only (the C++ path returns no reasons); other values, the general one.
            out = None if one is None else one(entity, event, time, item, value)
            if out is None:
                out = twin._update_one(entity, event, time, item, value)
            score = out[0]
            if score == score and not (highest.get(entity, -math.inf) >= score):
                highest[entity] = score
        if len(highest) < 2:
            raise ValueError(f"calibrate needs events of at least 2 entities, got {len(highest)}")
        if repeats is not None and repeats.judge(final=True):
            from ..preprocessing._quality import DROP_ROUTE

            names = [c for c in roles[1:] if c is not None]
            advice = (
                "Replayed, they change entities' highest scores, and move the cut. "
                f"{DROP_ROUTE}, unless such repeats are real"
            )
            warnings.warn(
                "the log replayed to calibrate the cut: "
                + repeats.text(names, "row", advice, which="the "),
                DataWarning,
                stacklevel=user_stacklevel(),
            )
        self._missing_check(events, len(highest))
        peaks = np.fromiter(highest.values(), dtype=np.float64)
        if peaks.min() == peaks.max():
            # Every entity reached the same score, at its first events (a history's start
            # reads as odd to a model fitted on whole histories: TR s44a M4, 998 of 998
            # employees at 32.97); the tail's "every score is the same" would say
            # nothing of why, or of what to do.
            warnings.warn(
                f"every one of the {len(highest):,} entities of the log replayed to calibrate "
                f"the cut reached the same highest score, {peaks.max():.4g}, most likely at "
                "its first events (a history's start reads as odd to a model fitted on "
                "whole histories): the cut is set there and alerts only on scores above "
                "it. Warm the stream on the history instead: replay it once with "
                "--checkpoint and run the new events from that state (in Python: "
                "update(history), its alerts set aside, then update(new events))",
                DataWarning,
                stacklevel=user_stacklevel(),
            )
            cut = float(peaks.max())
        else:
            cut = _calibration_cut(peaks, rate)
        self.threshold_history_.append(
            {
                "n_events": self._store.counters()["n_events"],
                "watermark_ns": int(self._store.watermark),
                "previous": self.threshold_,
                "threshold": cut,
                "calibrated_on": len(highest),
            }
        )
        self.threshold_ = cut
        self._set_model()
        return cut

    def _missing_check(self, events: pd.DataFrame, n_entities: int) -> None:
        """calibrate's log: its events without a value (or an item) against the fitted
        share, by the batch's rule (:func:`oddseq._fitted_data.missing_said`: a column
        that came empty sets the cut from entities read with none)."""
        from .._fitted_data import MISSING_MIN_ENTITIES, missing_said

        then = (getattr(self.pipeline, "_fitted_data", None) or {}).get("missing") or {}
        roles = [r for r in ("value", "item") if r in then and getattr(self, r) is not None]
        if not roles or not len(events) or n_entities < MISSING_MIN_ENTITIES:
            return
        shares = {r: float(events[getattr(self, r)].isna().mean()) for r in roles}
        for said in missing_said(then, shares):
            warnings.warn(
                "the log replayed to calibrate the cut: "
                + said.replace("of the scored events", "of its events", 1),
                UserWarning,
                stacklevel=user_stacklevel(),
            )

    def _in_time_order(self, events: pd.DataFrame):
        """calibrate's log in time order, its times as the batch reader reads them (a
        list of ns, None where missing: the replay reads no text twice; None where the
        reader refuses the column: the replay says what is wrong), and the reader's facts
        of numeric times (``parse_times``' ``unit_warning`` dict). A replay reads the log
        as events arriving, so a log in another order (newest first, shuffled) would
        lose most of its events as too late and set the cut from what was left: it is
        sorted by its time (stable: events at one time keep their order; rows without a
        time last, for the replay to count), with a DataWarning naming a sort that
        works for the column (text times that do not sort as text, 24/11/2017 or Nov
        24, by their times as read), as ``oddseq stream --calibrate`` sorts its file and
        says so. Rows without a time do not make a log out of order."""
        check: dict = {}
        if self.time is None:
            return events, None, check
        from ..utils._time import parse_times

        column = events[self.time]
        try:
            ns, bad, tz = parse_times(column, self.time, **self._reading, unit_warning=check)
        except (ValueError, TypeError):
            return events, None, {}
        ns = np.asarray(ns, dtype=np.int64)
        times = np.asarray(ns, dtype=object)  # Python ints, as update_one takes fastest
        if bad is not None:
            bad = np.asarray(bad, dtype=bool)
            times[bad] = None
        known = ns if bad is None else ns[~bad]
        if not (np.diff(known) < 0).any():
            return events, times.tolist(), check
        if bad is not None:
            ns = np.where(bad, np.iinfo(np.int64).max, ns)
        order = np.argsort(ns, kind="stable")
        warnings.warn(
            f"the log given to calibrate is not in time order; it is replayed sorted by "
            f"{self.time!r} (stable: events at one time keep their order), as a stream "
            "reads events arriving (out of order, most would be dropped as too late). "
            f"{self._sort_advice(column, ns, bad, tz)}",
            DataWarning,
            stacklevel=user_stacklevel(),
        )
        return events.iloc[order], times[order].tolist(), check

    def _sort_advice(self, column, ns, bad, tz) -> str:
        """How to sort a log by this time column as the stream reads it: by the column
        where its values sort as times (numbers, datetimes), else by the times as read,
        with a key (pd.to_numeric, or pd.to_datetime with the format that reads them)
        checked here to give this column the order the stream reads."""
        name = self.time
        if column.dtype.kind in "iufM" or isinstance(column.dtype, pd.DatetimeTZDtype):
            return f"Sort it first to say nothing: events.sort_values({name!r}, kind='stable')"
        formats = [] if self.time_format is None else [self.time_format]
        first = column.dropna()
        if self.time_format is None and len(first):
            from pandas.tseries.api import guess_datetime_format

            for dayfirst in [False, True] if self.dayfirst is None else [self.dayfirst]:
                with warnings.catch_warnings():  # ("... when dayfirst=True was specified")
                    warnings.simplefilter("ignore")
                    fmt = guess_datetime_format(str(first.iloc[0]), dayfirst=dayfirst)
                if fmt is not None and fmt not in formats:
                    formats.append(fmt)
        utc = tz is not None
        keys = [
            (
                f"pd.to_datetime(t, format={fmt!r}{', utc=True' if utc else ''})",
                lambda t, fmt=fmt: pd.to_datetime(t, format=fmt, utc=utc),
            )
            for fmt in formats
        ]
        if self.time_format is None:  # epoch numbers written as text
            keys.append(("pd.to_numeric(t)", pd.to_numeric))
        given = slice(None) if bad is None else ~bad
        wanted = np.argsort(ns[given], kind="stable")
        as_text = column.astype(object).to_numpy()[given]
        if all(isinstance(v, str) for v in as_text) and np.array_equal(
            np.argsort(as_text, kind="stable"), wanted
        ):  # (ISO 8601 in one zone)
            return f"Sort it first to say nothing: events.sort_values({name!r}, kind='stable')"
        for key, read in keys:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got = pd.Series(read(column))
                if isinstance(got.dtype, pd.DatetimeTZDtype):
                    got = got.dt.tz_convert(None)
                got = got.to_numpy()[given]
                if got.dtype == object or pd.isna(got).any():
                    continue
                same = np.array_equal(np.argsort(got, kind="stable"), wanted)
            except (ValueError, TypeError, OverflowError):
                continue
            if same:
                return (
                    "Its times do not sort as text; sort it by them as read first to say "
                    f"nothing: events.sort_values({name!r}, key=lambda t: {key}, kind='stable')"
                )
        return (
            "Its times do not sort as text (01/12/2017 before 24/11/2017); sort it by them "
            f"as read first to say nothing: events.sort_values({name!r}, key=lambda t: "
            "pd.to_datetime(t, format=...), kind='stable'), with the format that reads them"
        )

    def _take_refit(self):
        """The finished refit's model in place of the current one, when its features
        are the current ones (recorded either way)."""
        future, self._refit = self._refit, None
        if future.exception() is not None:
            self.threshold_history_.append(
                {"n_events": self._store.counters()["n_events"], "refused": str(future.exception())}
            )
            return
        new = future.result()
        record = {
            "n_events": self._store.counters()["n_events"],
            "watermark_ns": int(self._store.watermark),
            "previous": self.threshold_,
            "threshold": float(new.threshold_),
            "n_fitted": len(new.table_),
        }
        try:
            twin = StreamScorer(
                new,
                entity=self.entity,
                event=self.event,
                time=self.time,
                item=self.item,
                value=self.value,
                **self._reading,
            )
            same = (
                twin._labels.equals(self._labels)
                and np.array_equal(twin._column_of_code, self._column_of_code)
                and twin._funnel_codes == self._funnel_codes
                and np.array_equal(twin._columns, self._columns)
            )
        except ValueError as error:
            same, why = False, str(error)
        else:
            why = (
                "its funnel differs from the current model's (another event read as a step, "
                "or one model fitted before the ratios over a step the funnel lacks were 0)"
                if twin._labels.equals(self._labels) and twin._funnel_codes != self._funnel_codes
                else "its features differ from the current model's (other event types or columns)"
            )
        if not same:
            record["refused"] = why
            self.threshold_history_.append(record)
            return
        self.pipeline = new
        self.threshold_ = float(new.threshold_)
        self._set_model()
        self._set_checks()  # the new model's fitted data
        self.threshold_history_.append(record)

    # ---- housekeeping

    @property
    def counters(self) -> dict:
        """Events applied, late ones accepted and dropped (``n_late_beyond_kept``: of
        those dropped, the ones within ``lateness`` but behind the entity's
        ``max_late_events`` newest events kept, which a larger ``max_late_events`` would
        place), entities evicted by the TTL and by the cap, entities tracked, invalid
        rows skipped, events dropped as repeats (``n_duplicates_dropped``: with
        ``drop_duplicates=True``).

        Examples
        --------
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> StreamScorer(pipe, entity="user_id", event="behavior",
        ...              time="timestamp").counters["n_entities"]
        0
        """
        out = dict(self._store.counters())
        out["n_invalid"] = self.n_invalid_
        out["n_duplicates_dropped"] = 0 if self._previous is None else self._previous.n_dropped
        return out

    def memory_bytes(self) -> int:
        """Heap bytes of the per-entity state (estimated from its containers), with the
        local clock's table of a stream in a time zone (``recent_change`` fitted on times
        with a zone: its hourly UTC offsets over 1990-2079, 6.3 MB).

        Examples
        --------
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
        >>> live.memory_bytes() >= 0
        True
        """
        return int(self._store.memory_bytes())

    # ---- checkpoints

    def __getstate__(self) -> dict:
        """What pickle (and :func:`copy.deepcopy`) keeps of the scorer: the pipeline,
        the settings, the C++ state as its bytes (every entity, the counters and the
        stream's clock: ``StreamEntityStore.__getstate__``, versioned and checksummed)
        and the Python side's memory (unseen types, the previous events of
        ``drop_duplicates``, the checks' counts and clocks, the warnings given). The
        C++ scoring and the line readers are rebuilt on load. A finished background
        refit is kept, taken at the first update after the load as it would have been;
        one still running is refused (wait for its future first)."""
        refit = self._refit
        if refit is not None and not refit.done():
            raise RuntimeError(
                "cannot pickle a StreamScorer while its background refit is running: "
                "wait for it first (scorer.refit(...).result(), or refit with "
                "background=False), then pickle it"
            )
        from .. import __version__

        state = dict(self.__dict__)
        state["_store"] = self._store.__getstate__()
        for name in ("_model", "_one", "scores_in_cpp_"):
            state.pop(name, None)
        state["_plain_feeds"], state["_unseen_scan"] = {}, None  # the shell's, per feed
        if refit is not None:  # finished: its pipeline, or the error the future holds
            error = refit.exception()
            state["_refit"] = ("error", error) if error is not None else ("done", refit.result())
        state["_checkpoint"] = (_CHECKPOINT_VERSION, __version__)
        return state

    def __setstate__(self, state: dict) -> None:
        """A scorer from :meth:`__getstate__`'s state: it goes on as the pickled one
        would (the same alerts, reasons, scores and counters on the same events).
        Refused with a ValueError: a state of another checkpoint format or oddseq
        release series, or whose C++ state is not a whole one (truncated, altered)."""
        import concurrent.futures

        from .. import __version__

        state = dict(state)
        version, written_by = state.pop("_checkpoint", (None, "an unknown version"))
        if version != _CHECKPOINT_VERSION or _series(written_by) != _series(__version__):
            raise ValueError(
                f"this StreamScorer was pickled by oddseq {written_by} (checkpoint format "
                f"{version}); this oddseq {__version__} resumes format {_CHECKPOINT_VERSION} "
                "of its own release series only: resume it with the oddseq that wrote it, "
                "or start a new StreamScorer"
            )
        blob = state.get("_store")
        if not isinstance(blob, bytes):
            raise ValueError(
                "this StreamScorer's pickled state holds no entity state (bytes expected, "
                f"got {type(blob).__name__})"
            )
        store = _core.StreamEntityStore.__new__(_core.StreamEntityStore)
        try:
            store.__setstate__(blob)
        except ValueError as error:
            raise ValueError(
                f"this StreamScorer's pickled entity state cannot be read back: {error}"
            ) from None
        refit = state.get("_refit")
        if refit is not None:
            future = concurrent.futures.Future()
            kind, value = refit
            if kind == "error":
                future.set_exception(value)
            else:
                future.set_result(value)
            state["_refit"] = future
        self.__dict__.update(state)
        self._store = store
        self._set_model()

    def __copy__(self):
        """An independent scorer at the same point of the stream (its own state, as
        :func:`copy.deepcopy` makes), sharing the fitted pipeline, which scoring only
        reads: a shallow copy sharing the state would feed both."""
        import copy

        return copy.deepcopy(self, {id(self.pipeline): self.pipeline})


#: The layout of StreamScorer.__getstate__'s state (bumped when it changes). 2: the
#: funnel ratios over a role the funnel lacks are 0 (encode::funnel_ratios); a state of
#: format 1 holds -1 for such a role, which the kernel now reads as that, under a model
#: fitted to the old ratios (review RV s52 H2): refused, not resumed wrong.
_CHECKPOINT_VERSION = 2


def _series(version) -> tuple:
    """A version's release series (major.minor)."""
    return tuple(str(version).split(".")[:2])


_refit_executor = None


def _line_bounds(data: bytes, begin: int):
    """``data`` from ``begin`` as bytes (``buf``), its newlines' places and each line's
    start and stop in ``buf`` (a last line without a newline included)."""
    buf = np.frombuffer(data, dtype=np.uint8, offset=begin)
    newlines = np.flatnonzero(buf == 10)
    stops = (
        newlines
        if len(newlines) and newlines[-1] == len(buf) - 1
        else np.append(newlines, len(buf))
    )
    return buf, newlines, np.r_[0, stops[:-1] + 1], stops


def _unseen_lines(data: bytes, begin: int, sep: str, header, entity, event):
    """The CSV lines (of ``header``) of ``data`` from ``begin``, where the C++ reader
    reads them (split at the separator; lines with quotes as the csv module reads them;
    blank ones counted): (the newlines' places, and of each line
    with all its fields: its start, its entity's text and its event type's), in numpy
    but for the texts; :func:`_unseen_in` picks those of types not seen in fitting."""
    buf, newlines, starts, stops = _line_bounds(data, begin)
    while True:  # (without their carriage returns, as the reader reads them)
        cr = (stops > starts) & (buf[np.maximum(stops - 1, 0)] == 13)
        if not cr.any():
            break
        stops = stops - cr
    seps = np.flatnonzero(buf == ord(sep))
    n_fields = len(header)
    first = np.searchsorted(seps, starts)
    rows = np.searchsorted(seps, stops) - first == n_fields - 1
    quotes = np.flatnonzero(buf == ord('"'))
    quoted = np.searchsorted(quotes, stops) > np.searchsorted(quotes, starts)
    rows = np.flatnonzero(rows & ~quoted)  # (lines with quotes: read as csv reads them)
    first = first[rows]

    def field(k):
        left = starts[rows] if k == 0 else seps[first + k - 1] + 1
        right = stops[rows] if k == n_fields - 1 else seps[first + k]
        return (left + begin).tolist(), (right + begin).tolist()

    at = (header.index(entity), header.index(event))
    texts = []
    for k in at:
        left, right = field(k)
        texts.append([data[a:b] for a, b in zip(left, right)])
    if quoted.any():
        lines = np.flatnonzero(quoted)
        more = quoted_csv_fields(data, begin, starts, stops, lines, sep, n_fields, at)
        if more[0]:
            order = np.argsort(np.r_[rows, more[0]], kind="stable")
            rows = np.r_[rows, more[0]][order]
            texts = [[(t + m)[i] for i in order.tolist()] for t, m in zip(texts, more[1:])]
    return newlines + begin, starts[rows] + begin, texts[0], texts[1]


def _unseen_json_lines(data: bytes, begin: int, entity, event):
    """The JSON lines of ``data`` from ``begin``, as :func:`_unseen_lines` scans CSV
    lines: (the newlines' places, and of each line with both roles: its start, its
    entity's text and its event type's). A role's value is taken where the C++ reader
    takes it (a string, decoded, or a whole number, as its text; the last of equal keys,
    as json.loads keeps it): in a line with no escape and no nested object or array, a
    key's text followed by a colon is that key; other lines are read by json.loads. Lines
    it leaves to the caller may be scanned wrongly: :func:`_unseen_in` is asked only of
    lines it read."""
    buf, newlines, starts, stops = _line_bounds(data, begin)
    # Lines with an escape or a nested object or array: read by json.loads
    # (json_roles_of_lines), the others by a search of the roles' keys.
    involved = np.flatnonzero((buf == ord("\\")) | (buf == ord("{")) | (buf == ord("[")))
    line_of = np.searchsorted(starts, involved, "right") - 1
    count = np.bincount(line_of, minlength=len(starts)) if len(involved) else None
    simple = np.ones(len(starts), dtype=bool)
    if count is not None:  # (one brace: the object's own; any more, a backslash or [)
        simple = count <= 1
        braces = np.bincount(line_of[buf[involved] == ord("{")], minlength=len(starts))
        simple &= braces == count
    values = []
    for role in (entity, event):
        pattern = re.compile(
            b'"'
            + re.escape(str(role).encode())
            + rb'"[ \t\r]*:[ \t\r]*(?:"([^"\\\x00-\x1f]*)"|(-?[0-9]+)(?![.eE0-9]))'
        )
        places, texts = [], []
        for match in pattern.finditer(data, begin):
            places.append(match.start())
            texts.append(match.group(1) if match.group(1) is not None else match.group(2))
        lines = np.searchsorted(starts + begin, np.asarray(places, dtype=np.int64), "right") - 1
        keep = simple[lines] if len(lines) else np.zeros(0, dtype=bool)
        got = dict(zip(lines[keep].tolist(), [t for t, k in zip(texts, keep.tolist()) if k]))
        values.append(got)  # (the last of a line's wins)
    if not simple.all():
        for k, found in json_roles_of_lines(
            data, begin, starts, stops, np.flatnonzero(~simple), (entity, event)
        ):
            for got, text in zip(values, found):
                if text is not None:
                    got[k] = text
    rows = np.array(sorted(values[0].keys() & values[1].keys()), dtype=np.int64)
    entities = [values[0][r] for r in rows.tolist()]
    events = [values[1][r] for r in rows.tolist()]
    return newlines + begin, starts[rows] + begin, entities, events


def _plain_integer(text):
    """The integer of a type's text of ASCII digits (a minus sign first, at most 18
    digits), as ``pd.to_numeric`` reads it; None for any other text (pandas reads it)."""
    if isinstance(text, str) and text.isascii():
        digits = text[1:] if text[:1] == "-" else text
        if 0 < len(digits) <= 18 and digits.isdigit():
            return int(text)
    return None


def _integer(text: bytes):
    """The integer of a type's text (as the reader read it), None where it is none."""
    try:
        return int(text)
    except ValueError:
        return None


def _unseen_in(scan, known, begin: int, end: int, numeric: bool = False):
    """Of a scan (:func:`_unseen_lines`), the lines starting in ``[begin, end)`` whose
    event type is none of ``known`` (text; ``numeric``: numbers, each line's type read
    as the integer the reader read it as): (their places among those lines, from 1, as
    the reader counts them; their entities' keys; their types, as text), or None."""
    newlines, starts, entities, events = scan
    lo, hi = np.searchsorted(starts, [begin, end])
    if lo == hi:
        return None
    if numeric:
        new = [i for i in range(lo, hi) if _integer(events[i]) not in known]
    else:
        new = [i for i in range(lo, hi) if events[i].decode() not in known]
    if not new:
        return None
    at = starts[new]
    lines = np.searchsorted(newlines, at) - np.searchsorted(newlines, begin) + 1
    from ..cli import whole_float_id

    # (an id written as a float, 450.0, keyed as the reader keys it: 450)
    texts = [whole_float_id(entities[i].decode()) for i in new]
    keys = _core.stream_hash_texts(np.array(texts, dtype=object))
    return lines, keys, np.array([events[i].decode() for i in new], dtype=object)


def _calibration_cut(highest, false_alarm_rate: float) -> float:
    """:meth:`StreamScorer.calibrate`'s cut of the entities' highest-ever scores: the
    tail cut at ``false_alarm_rate``, but never above the empirical (1 - rate)
    quantile (which already lets at most the rate of entities ever cross: the tail
    model may flag more than that where anomalies lie beyond the normal tail, never
    fewer), then moved up into a clear gap as :func:`oddseq.detect.auto_cut` does."""
    from ..detect import gap_cut, tail_cut

    highest = np.asarray(highest, dtype=np.float64)
    tail = min(
        tail_cut(highest, false_alarm_rate), float(np.quantile(highest, 1 - false_alarm_rate))
    )
    return float(gap_cut(highest, tail))


def _refit_pool():
    """One background thread for refits (they queue rather than compete)."""
    global _refit_executor
    if _refit_executor is None:
        import concurrent.futures

        _refit_executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="oddseq-refit"
        )
    return _refit_executor


def _ranks_of(explanation) -> dict:
    """What the reasons rank a C++ explanation's features by (``_reasons.in_rank``, as
    the batch table's): their share, deviation and scaled value, one per position; and
    the K-means reference cluster of each (NaN without K-means), whose entities' own
    medians the reasons say (``_reasons._like_overall``) without searching the centres
    again, and the member that explains it, whose words they say its typical value in
    (``_reasons.typical_words_by``)."""
    cluster = explanation.cluster.ravel()
    return {
        "share": explanation.share.ravel(),
        "deviation": explanation.deviation.ravel(),
        "value": explanation.value.ravel(),
        "cluster": np.where(cluster >= 0, cluster, np.nan),
        "member": explanation.member.ravel(),
    }


_SMALL = 2048  # rows scored on one OpenMP thread: waking the others costs more
_controller = None


def _few_threads(n_rows: int):
    """One OpenMP thread for a few rows (a one-event update took 21 ms with every core
    woken for it on a loaded 2-core machine, 2.7 ms on one); results do not depend on
    the thread count."""
    global _controller
    if n_rows >= _SMALL:
        return contextlib.nullcontext()
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="openmp")


def _stream_utc_table(time_zone):
    """(hourly UTC offsets in seconds, first hour) of the stream's local clock: one 0
    for UTC, else the zone's offsets over _CLOCK_SPAN_NS, built once per zone."""
    if time_zone is None:
        return np.zeros(1, dtype=np.int64), 0
    cached = _CLOCKS.get(time_zone)
    if cached is None:
        cached = _CLOCKS[time_zone] = _utc_offset_table(
            np.asarray(_CLOCK_SPAN_NS, dtype=np.int64), time_zone
        )
    return cached


_CLOCKS: dict = {}


def _is_zero(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0
