"""RecentChangeEncoder: how an entity's recent activity departs from its own past."""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..utils._params import Boolean, Check, Threads
from ..utils._time import duration_ns
from ..utils._unique import distinct
from ..utils._validation import resolve_threads
from ._base import SequenceEncoder, _check_timed_sequences
from ._behaviour import _fitted_time_zone, _local_time
from ._counts import category_of_items

__all__ = ["RecentChangeEncoder", "CHANGE_FEATURES"]

#: The columns of :class:`RecentChangeEncoder`, in the order the C++ core writes them
#: (``change_item_novelty`` only with items, ``change_value_log2`` only with values).
#: ``new_types=True`` adds :data:`NEW_TYPES_FEATURE` after them (computed in Python).
CHANGE_FEATURES = (
    "change_event_mix_bits",
    "change_top_type_lift_log2",
    "change_hour_rarity_bits",
    "change_think_time_log2",
    "change_silence_log2",
    "change_burst_size_log2",
    "change_item_novelty",
    "change_value_log2",
)
NEW_TYPES_FEATURE = "change_new_types_bits"
# More columns of the core's row, for the wording of reasons: the last session's local
# starting hour and how many earlier events fell within an hour of it; the event code
# whose share rose most, its recent and earlier counts; recent and earlier events and
# the days the earlier part spans.
_HOUR, _NEAR, _TYPE, _TYPE_RECENT, _TYPE_EARLIER, _RECENT, _EARLIER, _DAYS = range(8, 16)


def change_facts_text(facts, labels) -> np.ndarray:
    """The facts columns of the core's change rows (its last 8: hour, near, type, the
    type's recent and earlier counts, recent and earlier events, days; the batch
    encoder's rows or the live stream's ``change_facts``) in words, one string per row;
    ``labels[code]`` names an event code. What :meth:`RecentChangeEncoder.recent_facts`
    says, in one place for the batch table's reasons and the stream's alerts."""
    facts = np.asarray(facts, dtype=np.float64)
    hour, near, top, top_recent, top_earlier, recent, earlier, days = (
        facts[:, j - _HOUR] for j in range(_HOUR, _DAYS + 1)
    )
    from .._reasons import _format_one

    out = np.empty(len(facts), dtype=object)
    for i in range(len(facts)):
        n_earlier = int(earlier[i])
        if n_earlier == 0:
            out[i] = "nothing before its recent activity to compare with"
            continue
        said = []
        if top[i] >= 0:
            n_recent = int(recent[i])
            now, before = int(top_recent[i]), int(top_earlier[i])
            # the earlier events' span in its unit ("40 s", not "0.00046 days"), and not
            # "the N days before" (they can end days before the recent window); none
            # for one event, and events of one time stamp are not "spread over 0 s"
            span_s = float(days[i]) * 86_400.0
            spread = (
                ""
                if n_earlier == 1
                else ", all at one time"
                if span_s == 0
                else f", spread over {_format_one('span_s', span_s)}"
            )
            said.append(
                f"recent: {now:,} of {n_recent:,} events {labels[int(top[i])]} "
                f"({_percent(now, n_recent, 0)}), against {before:,} of {n_earlier:,} earlier"
                + (f" ({_percent(before, n_earlier, 1)})" if before else "")
                + spread
            )
        # The count is of the clock hours next to the session's (the core's +-1 h
        # window by hour): events at 06:01 count for a session begun at 07:42.
        h = int(hour[i])
        said.append(
            f"last session began in the {h:02d}:00 hour, {int(near[i]):,} of {n_earlier:,} "
            f"earlier events in the hours {(h - 1) % 24:02d}:00-{(h + 1) % 24:02d}:59"
        )
        out[i] = "; ".join(said)
    return out


def _percent(part: int, whole: int, digits: int) -> str:
    """``part`` of ``whole`` as a percentage with ``digits`` decimals, never rounded to
    none or all ("<1%", ">99.9%"): "1 of 300 events buy (0%)" read as none."""
    text = f"{part / whole:.{digits}%}"
    floor = 10.0**-digits
    if 0 < part and float(text[:-1]) == 0:
        return f"<{floor:.{digits}f}%"
    if part < whole and float(text[:-1]) == 100:
        return f">{100 - floor:.{digits}f}%"
    return text


def _window_ns(value, name: str) -> int:
    """A duration >= 0 as int64 ns (0: the last session alone)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0:
        return 0
    return duration_ns(value, name)


def _prior(value, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a number > 0 (pseudo-observations), got {value!r}")
    return float(value)


class RecentChangeEncoder(SequenceEncoder):
    """How each entity's recent activity departs from the entity's own earlier history.

    An account taken over keeps its owner's history: days of ordinary sessions, then
    a few that are someone else's (another time of day, another pace, other things
    bought, other items). Features of the whole history barely move; compared with the
    entity's own past, the recent sessions stand out. Sessions end at a silence longer
    than ``session_gap``; the recent window is the last session and every earlier one
    that started within ``window`` of the entity's last event (a takeover rarely stops
    at one session); everything before it is the past. Each comparison smooths both
    sides with ``prior`` pseudo-observations of the entity's own overall behaviour, so
    that a comparison resting on a few events stays near 0, and an entity with nothing
    before the window (nothing to compare with) is 0 in every column. No column is ever
    NaN. Computed in C++, in parallel over entities.

    Columns (0 means "as before"; each is signed so that larger is more changed, but
    for the ratios, where both directions can matter):

    - ``change_event_mix_bits``: Jensen-Shannon divergence (bits, 0-1) between the
      recent mix of event types and the past's.
    - ``change_top_type_lift_log2``: log2 of the largest rise of one event type's share
      (a burst of purchases in an account that seldom bought: 4-5).
    - ``change_hour_rarity_bits``: how much rarer than an even spread over the day the
      recent events' local hours were in the entity's past (for each of them,
      log2 of 1/8 against the past's share of events within an hour of it, averaged):
      positive when the session came at an hour the entity is never active, negative at
      its usual hours.
    - ``change_think_time_log2``: log2 ratio of the time between events within the
      recent sessions against within earlier ones (geometric means of 1 s + gap);
      negative when it acts faster than its owner ever did.
    - ``change_silence_log2``: log2 ratio of the silence before the recent window
      against the silences between earlier sessions (geometric means of 1 s + gap): a
      return after an unusually long absence.
    - ``change_burst_size_log2``: log2 ratio of the recent sessions' sizes (events)
      against the earlier sessions' (geometric means).
    - ``change_item_novelty`` (with items): the share of the recent events on items
      never touched before, less the same share of the earlier sessions (each
      against what came before it); with ``item_categories``, categories instead of
      items (an account taken over moves into categories its owner never used).
    - ``change_value_log2`` (with values): log2 ratio of the recent values against
      earlier ones (geometric means of 1 + |v|, signed): pricier than ever.
    - ``change_new_types_bits`` (with ``new_types=True``, last): the event types of the
      recent window that the entity never used before it, each weighted by how few
      entities use that type at all (-log2 of the share of fitted entities that ever
      did, smoothed: (used + 1) / (entities + 2); a type unseen at fit as used by
      none), summed. A takeover seen from the behaviour alone: a new device, a new
      e-mail address and a new payee, each rare, in one session of an old account;
      a shift in the mix of types the entity already used scores 0 here.

    The comparison is the entity's own: the same user at 03:00 is odd only when it
    never is at 03:00, whatever the population does, and the columns do not depend on
    the time zone beyond when days start (the hours are the same clock for both sides).

    Parameters
    ----------
    session_gap : float, str or Timedelta, default="30min"
        Silence that ends a session (seconds or a duration string).
    window : float, str or Timedelta, default="24h"
        Earlier sessions that started within this long of the entity's last event are
        recent too (a day: one cycle of a person's routine); 0: the last session alone.
    prior : float, default=5.0
        Pseudo-observations of the entity's own overall behaviour each side is
        smoothed with (events for the mix, hours and values; gaps for think time; one
        session for silences and sizes).
    new_types : bool, default=False
        Add ``change_new_types_bits`` (event types new to the entity in its recent
        window, weighted by their rarity among entities) as the last column.
    item_categories : mapping or Series, optional
        Category of each item (item id -> category): ``change_item_novelty`` counts
        categories never touched before instead of items.
    time_zone : str, optional
        Zone of the clock hours; default: the sequences' own (``Sequences.tz``), else
        UTC.
    n_threads : int, optional

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> day = 86_400
    >>> owner = [(d * day + 20 * 3600 + 60 * k, "view") for d in range(10) for k in range(5)]
    >>> thief = [(11 * day + 3 * 3600 + 5 * k, "buy") for k in range(6)]
    >>> times, events = zip(*(owner + thief))
    >>> seqs = Sequences.from_arrays([0, len(times)], list(events), times=list(times))
    >>> enc = RecentChangeEncoder().set_output(transform="pandas").fit(seqs)
    >>> row = enc.transform(seqs).loc[0]
    >>> [round(float(row[c]), 1) for c in ["change_top_type_lift_log2",
    ...                                    "change_hour_rarity_bits", "change_think_time_log2"]]
    [5.9, 3.5, -1.8]
    """

    def __init__(
        self,
        session_gap="30min",
        window="24h",
        prior=5.0,
        item_categories=None,
        time_zone=None,
        n_threads=None,
        new_types=False,
    ):
        self.session_gap = session_gap
        self.window = window
        self.prior = prior
        self.new_types = new_types
        self.item_categories = item_categories
        self.time_zone = time_zone
        self.n_threads = n_threads

    _parameter_checks = {
        "session_gap": Check(duration_ns),
        "window": Check(_window_ns),
        "prior": Check(_prior),
        "new_types": Boolean(),
        "n_threads": Threads(),
    }

    def fit(self, X, y=None):
        seqs = _check_timed_sequences(X, "RecentChangeEncoder.fit")
        self._validate_params()
        self.time_zone_ = _fitted_time_zone(self.time_zone, seqs)
        self.has_items_ = seqs.items is not None
        self.has_values_ = seqs.values is not None
        self.has_categories_ = self.item_categories is not None
        if self.has_categories_:
            if not self.has_items_:
                raise ValueError("item_categories needs sequences with items (an item column)")
            category_of_items(self.item_categories, seqs.item_labels)  # a bad mapping fails here
        if self.new_types:
            self.type_users_ = _type_users(seqs)
            self.n_entities_ = len(seqs.offsets) - 1
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def _columns(self) -> list[int]:
        """The core's columns this encoder gives (items and values where fitted with)."""
        keep = [0, 1, 2, 3, 4, 5]
        if self.has_items_:
            keep.append(6)
        if self.has_values_:
            keep.append(7)
        return keep

    def _rows(self, seqs) -> np.ndarray:
        """The core's full rows (kChangeWidth columns) of these sequences."""
        if self.has_items_ and seqs.items is None:
            raise ValueError(
                "the encoder was fitted with items but these sequences have none; build "
                "them with the item column: Sequences.from_events(..., item=...)"
            )
        if self.has_values_ and seqs.values is None:
            raise ValueError(
                "the encoder was fitted with values but these sequences have none; build "
                "them with the value column: Sequences.from_events(..., value=...)"
            )
        item_category = None
        if self.has_categories_:
            _, item_category = category_of_items(self.item_categories, seqs.item_labels)
        view = _core.SequencesView(
            offsets=seqs.offsets,
            events=seqs.events,
            times=seqs.times,
            items=seqs.items if self.has_items_ else None,
            values=seqs.values if self.has_values_ else None,
        )
        params = _core.ChangeParams(
            session_gap_ns=duration_ns(self.session_gap, "session_gap"),
            window_ns=_window_ns(self.window, "window"),
            prior=float(self.prior),
        )
        return _core.change_features(
            view,
            len(seqs.event_labels),
            _local_time(seqs.times, self.time_zone_),
            item_category,
            params,
            resolve_threads(self.n_threads),
        )

    def transform(self, X):
        check_is_fitted(self, "time_zone_")
        seqs = _check_timed_sequences(X, "RecentChangeEncoder.transform")
        self._validate_params()
        rows = self._rows(seqs)
        out = rows[:, self._columns()]
        if self.new_types:
            bits = self._new_type_weights(seqs.event_labels)
            entity, code = _new_types(seqs, rows)
            col = np.bincount(entity, bits[code], minlength=len(rows))
            out = np.column_stack([out, col.astype(out.dtype)])
        return self._wrap(np.ascontiguousarray(out), seqs)

    def _new_type_weights(self, labels) -> np.ndarray:
        """-log2 of each event label's smoothed share of fitted entities that used it."""
        n = self.n_entities_
        used = np.asarray([self.type_users_.get(lab, 0) for lab in labels], dtype=np.float64)
        return -np.log2((used + 1.0) / (n + 2.0))

    def last_session_hours(self, X) -> np.ndarray:
        """Per sequence: the local hour (0-23) its last session started at, and how many
        of its events before the recent window fell within an hour of it (float32,
        n x 2), the facts a reason about ``change_hour_rarity_bits`` states."""
        check_is_fitted(self, "time_zone_")
        seqs = _check_timed_sequences(X, "RecentChangeEncoder.last_session_hours")
        return self._rows(seqs)[:, [_HOUR, _NEAR]]

    def recent_facts(self, X) -> np.ndarray:
        """Per sequence, what its recent activity did against its past, in words (the
        facts behind the columns, for reasons): the event type whose share rose most
        with its counts on both sides (and the span of the earlier events), and the
        clock hour the last session started in with how many earlier events fell in
        that hour or the ones next to it. Sequences with nothing before the window say
        so.

        Examples
        --------
        >>> from oddseq.sequences import Sequences
        >>> day = 86_400
        >>> owner = [(d * day + 20 * 3600 + 60 * k, "view") for d in range(10)
        ...          for k in range(5)]
        >>> thief = [(11 * day + 3 * 3600 + 5 * k, "buy") for k in range(6)]
        >>> times, events = zip(*(owner + thief))
        >>> seqs = Sequences.from_arrays([0, len(times)], list(events), times=list(times))
        >>> what, when = RecentChangeEncoder().fit(seqs).recent_facts(seqs)[0].split("; ")
        >>> what
        'recent: 6 of 6 events buy (100%), against 0 of 50 earlier, spread over 9 d'
        >>> when
        'last session began in the 03:00 hour, 0 of 50 earlier events in the hours 02:00-04:59'
        """
        check_is_fitted(self, "time_zone_")
        seqs = _check_timed_sequences(X, "RecentChangeEncoder.recent_facts")
        rows = self._rows(seqs)
        text = change_facts_text(rows[:, _HOUR:], seqs.event_labels)
        if getattr(self, "new_types", False) and hasattr(self, "type_users_"):
            labels = np.asarray(seqs.event_labels, dtype=object)
            entity, code = _new_types(seqs, rows)
            starts = np.flatnonzero(np.r_[True, entity[1:] != entity[:-1]]) if len(entity) else []
            for at, end in zip(starts, list(starts[1:]) + [len(entity)]):
                names = ", ".join(map(str, labels[np.sort(code[at:end])]))
                text[entity[at]] += "; never used before: " + names
        return text

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "time_zone_")
        names = [CHANGE_FEATURES[j] for j in self._columns()]
        if self.new_types:
            names.append(NEW_TYPES_FEATURE)
        return np.asarray(names, dtype=object)


def _type_users(seqs) -> dict:
    """Event label -> how many sequences use it at least once."""
    n, k = len(seqs.offsets) - 1, len(seqs.event_labels)
    lengths = np.diff(np.asarray(seqs.offsets, dtype=np.int64))
    pairs = distinct(np.repeat(np.arange(n, dtype=np.int64), lengths) * k + seqs.events)
    users = np.bincount(pairs % k, minlength=k)
    return {label: int(c) for label, c in zip(seqs.event_labels, users)}


def _new_types(seqs, rows):
    """The (sequence, event code) pairs used in the recent window and never before it,
    sorted by sequence then code (none where nothing came before the window). The
    window is the last ``rows[:, _RECENT]`` events, as the core cut it."""
    n, k = len(seqs.offsets) - 1, len(seqs.event_labels)
    offsets = np.asarray(seqs.offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    recent = rows[:, _RECENT].astype(np.int64)
    entity = np.repeat(np.arange(n, dtype=np.int64), lengths)
    in_window = np.arange(offsets[-1]) - offsets[entity] >= (lengths - recent)[entity]
    in_window &= (rows[:, _EARLIER] > 0)[entity]
    pair = entity * k + np.asarray(seqs.events, dtype=np.int64)
    before = distinct(pair[~in_window])
    now = distinct(pair[in_window])
    new = now[~np.isin(now, before, assume_unique=True)]
    return new // k, new % k
