"""Behavioural encoders: rhythm (TemporalEncoder), order (TransitionEncoder) and what a
sequence acts on (DiversityEncoder), plus EncoderUnion and default_encoder."""

from __future__ import annotations

import numbers
import re
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..exceptions import DataWarning
from ..sequences import Sequences
from ..utils._params import Boolean, Check, Optional, Options, Threads
from ..utils._time import duration_ns
from ..utils._validation import resolve_threads
from ._base import SequenceEncoder, _check_sequences, _check_timed_sequences
from ._count_timing import CountTimingEncoder
from ._counts import category_of_items

__all__ = [
    "DiversityEncoder",
    "EncoderUnion",
    "TemporalEncoder",
    "TransitionEncoder",
    "default_encoder",
]

_NANOS_PER_HOUR = 3_600_000_000_000
# The longest span of hours the local-time table may cover (about 114 years).
_MAX_TABLE_HOURS = 1_000_000
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _fitted_time_zone(time_zone, seqs):
    """The zone a time-of-day encoder reads local hours in: ``time_zone``, else the
    sequences' own (None: UTC); an unknown zone is a ValueError."""
    zone = time_zone if time_zone is not None else seqs.tz
    if isinstance(zone, (numbers.Number, np.bool_)):
        # pandas reads a bare number as an offset in seconds: time_zone=2 meant as UTC+2
        # would shift the hours by two seconds.
        raise TypeError(
            "time_zone must be a zone name such as 'Europe/Berlin' or 'UTC', got the "
            f"number {zone!r}; for a fixed offset pass its Etc name ('Etc/GMT-2' is "
            "UTC+2: the sign is reversed)"
        )
    if zone is not None:
        try:
            pd.Timestamp(0, tz="UTC").tz_convert(zone)
        except Exception as error:  # pytz/zoneinfo raise different types
            raise ValueError(
                f"time_zone={zone!r} is not a known zone ({error}); pass a zone name such "
                "as 'Europe/Berlin' or 'UTC'"
            ) from None
    return zone


# DiversityEncoder's columns, in the order the kernel writes them (and the stream's
# state, which has the item and value ones): the item and funnel columns, then the value
# column's with values, then the categories' with item_categories.
DIVERSITY_ITEM_NAMES = (
    "n_items",
    "distinct_item_ratio",
    "item_entropy_bits",
    "top_item_share",
    "repeat_previous_item_share",
    "n_items_bought",
    "cart_per_view",
    "fav_per_view",
    "buy_per_view",
    "buy_per_cart",
)
DIVERSITY_VALUE_NAMES = (
    "value_sum",
    "value_mean",
    "value_max",
    "value_std",
    "share_value_missing",
    "value_bought_sum",
)
DIVERSITY_CATEGORY_NAMES = (
    "n_categories",
    "distinct_category_ratio",
    "category_entropy_bits",
    "new_category_share_last_session",
)


def _timed_view(seqs) -> _core.SequencesView:
    """The offsets and times of timed sequences, as the timing kernels read them."""
    return _core.SequencesView(offsets=seqs.offsets, events=seqs.events, times=seqs.times)


def _local_time(times: np.ndarray, time_zone: str | None) -> _core.LocalTime:
    """The hourly UTC offsets (in seconds) of ``time_zone`` from the first event's hour."""
    table, first_hour = _utc_offset_table(times, time_zone)
    return _core.LocalTime(utc_offset_s=table, first_hour=first_hour)


def _utc_offset_table(times: np.ndarray, time_zone: str | None):
    """(hourly UTC offsets in seconds from the first event's hour, that first hour)."""
    if time_zone is None or times.size == 0:
        return np.zeros(1, dtype=np.int64), 0
    first = int(times.min() // _NANOS_PER_HOUR)
    last = int(times.max() // _NANOS_PER_HOUR)
    n_hours = last - first + 1
    if n_hours > _MAX_TABLE_HOURS:
        raise ValueError(
            f"the events span {n_hours:,} hours (over a century); check the time column "
            "or its time_unit"
        )
    hours = pd.DatetimeIndex(np.arange(first, last + 1, dtype=np.int64) * _NANOS_PER_HOUR, tz="UTC")
    local = hours.tz_convert(time_zone)
    offsets = (local.tz_localize(None).asi8 - hours.tz_localize(None).asi8) // 1_000_000_000
    return np.ascontiguousarray(offsets, dtype=np.int64), first


class TemporalEncoder(SequenceEncoder):
    """Rhythm: how fast, how regular, when in the day and week, in how many sessions.

    51 columns: ``length``, ``duration_s``, ``events_per_min``; gap statistics
    (``gap_min_s``, ``gap_median_s``, ``gap_mean_s``, ``gap_std_s``, ``gap_cv``,
    ``burstiness`` = (std - mean) / (std + mean), ``share_gaps_under_1s``,
    ``gap_lag1_autocorr``); ``max_events_1min`` and ``max_events_1h`` (most events in any
    sliding window); the share of events in each local hour (``share_hour_00`` ..
    ``share_hour_23``), ``hour_entropy_bits``, ``share_night`` (00:00-06:00); the share
    per weekday (``share_mon`` .. ``share_sun``), ``share_weekend``; and sessions split at
    ``session_gap`` (``n_sessions``, ``session_events_mean``, ``session_events_max``,
    ``session_duration_mean_s``). Gap features are 0 for sequences of one event.

    Parameters
    ----------
    session_gap : float, str or Timedelta, default="30min"
        Inactivity that ends a session (seconds or a duration string).
    time_zone : str, optional
        Zone for hours and weekdays; default: the zone the sequences' times came in
        (``Sequences.tz``), else UTC.
    profiles : bool, default=True
        Keep the 24 hourly and 7 weekday shares; False keeps only their summaries
        (``hour_entropy_bits``, ``share_night``, ``share_weekend``), which suits
        distance-based detectors better than 31 sparse columns.
    n_threads : int, optional

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> seqs = Sequences.from_arrays([0, 3], ["a", "b", "a"], times=[0, 30, 90])
    >>> enc = TemporalEncoder().set_output(transform="pandas").fit(seqs)
    >>> enc.transform(seqs)[["length", "gap_mean_s", "max_events_1min"]].iloc[0].tolist()
    [3.0, 45.0, 2.0]
    """

    def __init__(self, session_gap="30min", time_zone=None, profiles=True, n_threads=None):
        self.session_gap = session_gap
        self.time_zone = time_zone
        self.profiles = profiles
        self.n_threads = n_threads

    # time_zone is checked in fit, where the sequences' own zone is its default.
    _parameter_checks = {
        "session_gap": Check(duration_ns),
        "profiles": Boolean(),
        "n_threads": Threads(),
    }

    def fit(self, X, y=None):
        seqs = self._check_timed(X, "fit")
        self._validate_params()
        self.time_zone_ = _fitted_time_zone(self.time_zone, seqs)
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def _check_timed(self, X, what):
        return _check_timed_sequences(X, f"TemporalEncoder.{what}")

    def transform(self, X):
        check_is_fitted(self, "time_zone_")
        seqs = self._check_timed(X, "transform")
        features = _core.temporal_features(
            _timed_view(seqs),
            _local_time(seqs.times, self.time_zone_),
            duration_ns(self.session_gap, "session_gap"),
            resolve_threads(self.n_threads),
        )
        if not self.profiles:
            features = np.ascontiguousarray(features[:, self._summary_columns()])
        return self._wrap(features, seqs)

    @staticmethod
    def _all_names():
        # The kernel's own list, so the names cannot drift from the columns.
        return _core.temporal_feature_names()

    def _summary_columns(self):
        return [
            i
            for i, name in enumerate(self._all_names())
            if not (name.startswith("share_hour_") or name[6:] in _WEEKDAYS)
        ]

    def get_feature_names_out(self, input_features=None):
        names = self._all_names()
        if not self.profiles:
            names = [names[i] for i in self._summary_columns()]
        return np.asarray(names, dtype=object)


def _vocabulary_codes(seqs: Sequences, vocabulary: pd.Index) -> np.ndarray:
    """Event codes in a fitted vocabulary; events unseen in fit get len(vocabulary)."""
    if seqs.event_labels.equals(vocabulary):
        return seqs.events
    position = vocabulary.get_indexer(seqs.event_labels)
    mapping = np.where(position < 0, len(vocabulary), position).astype(np.int32)
    return mapping[seqs.events]


class TransitionEncoder(SequenceEncoder):
    """Event order: the per-sequence Markov matrix between event types, start and end.

    Columns ``p(b|a)`` for every pair of event types (with ``normalize="conditional"``:
    the share of a's successors that are b), optionally second-order ``p(c|a,b)``, then
    one-hot ``start=a`` and ``end=a``. Events not seen in ``fit`` share one extra type,
    ``<unseen>``, so never-seen behaviour shows up as its own transitions.

    Parameters
    ----------
    order : {1, 2}, default=1
    normalize : {"conditional", "share", "counts"}, default="conditional"
        "share": each transition's share of all transitions of the sequence; "counts":
        raw numbers.
    n_threads : int, optional

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> seqs = Sequences.from_lists([["pv", "pv", "buy"], ["pv", "cart"]])
    >>> enc = TransitionEncoder().set_output(transform="pandas").fit(seqs)
    >>> enc.transform(seqs).loc[0, ["p(buy|pv)", "p(pv|pv)", "start=pv", "end=buy"]].tolist()
    [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(self, order=1, normalize="conditional", n_threads=None):
        self.order = order
        self.normalize = normalize
        self.n_threads = n_threads

    _parameter_checks = {
        "order": Options(1, 2),
        "normalize": Options("conditional", "share", "counts"),
        "n_threads": Threads(),
    }

    def fit(self, X, y=None):
        seqs = _check_sequences(X, "TransitionEncoder.fit")
        self._validate_params()
        self.event_labels_ = seqs.event_labels
        n = len(self.event_labels_) + 1
        width = n * n + (n**3 if self.order == 2 else 0) + 2 * n
        if width > 2_000_000:
            raise ValueError(
                f"{n - 1} event types give {width:,} transition columns; use order=1 or "
                "merge rare event types first"
            )
        self.n_features_out_ = width
        return self

    def transform(self, X):
        check_is_fitted(self, "event_labels_")
        seqs = _check_sequences(X, "TransitionEncoder.transform")
        codes = np.ascontiguousarray(_vocabulary_codes(seqs, self.event_labels_), dtype=np.int32)
        features = _core.transition_features(
            seqs.offsets,
            codes,
            len(self.event_labels_) + 1,
            self.order,
            self.normalize,
            resolve_threads(self.n_threads),
        )
        return self._wrap(features, seqs)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "event_labels_")
        labels = [str(v) for v in self.event_labels_] + ["<unseen>"]
        names = [f"p({b}|{a})" for a in labels for b in labels]
        if self.order == 2:
            names += [f"p({c}|{a},{b})" for a in labels for b in labels for c in labels]
        names += [f"start={a}" for a in labels] + [f"end={a}" for a in labels]
        return np.asarray(names, dtype=object)


# The funnel's roles read from event names when ``funnel`` is not given. Names are
# compared case-blind, without "_", "-", " " and a plural "s" (add_to_cart, AddToCart,
# add-to-cart; buys, clicks); in each role the first name of its list that the log has
# is read. The lists cover the public shop logs (Taobao pv/cart/fav/buy, REES46
# view/cart/purchase, Retailrocket view/addtocart/transaction, YOOCHOOSE clicks/buys)
# and Google Analytics' e-commerce actions (detail/add/purchase, GA4
# view_item/add_to_cart/add_to_wishlist/purchase).
_FUNNEL_NAMES = {
    "view": ("pv", "view", "pageview", "viewitem", "click", "detail"),
    "cart": ("cart", "addtocart", "add", "basket", "addtobasket", "addtobag"),
    "fav": ("fav", "favorite", "favourite", "wishlist", "addtowishlist", "like"),
    "buy": ("buy", "purchase", "transaction", "order"),
}
# Names that are a funnel step only in a shop: "add" is Google Analytics' add-to-cart
# action, but in an audit or CRUD log (view/add/update/delete) it creates a record. Read
# only where the log also has a purchase or a checkout name (the mark of a shop).
_SHOP_ONLY = frozenset({"add"})
# Names that look like a funnel step but are not its role, never read as it: a checkout
# is a step before payment (the payment can fail), not a purchase. Where the log has
# one and no name of that role, fit warns (NotReadWarning text) naming ``funnel``.
_NOT_READ = {
    "checkout": "buy",
    "begincheckout": "buy",
}
FUNNEL_ROLES = tuple(_FUNNEL_NAMES)


def _funnel_key(label) -> str:
    """How an event name is compared with the role names (see ``_FUNNEL_NAMES``)."""
    key = re.sub(r"[\s_\-]+", "", str(label).lower())
    return key[:-1] if len(key) > 2 and key.endswith("s") and not key.endswith("ss") else key


#: Every name a funnel step is read from (their keys, ``_funnel_key``).
_STEP_NAMES = frozenset(n for names in _FUNNEL_NAMES.values() for n in names) | set(_NOT_READ)


def funnel_name_key(label) -> str | None:
    """The key of an event name that a funnel step is read from (``_funnel_key``: its
    spellings add_to_cart, "add to cart", AddToCart share it), None for any other."""
    key = _funnel_key(label)
    return key if key in _STEP_NAMES else None


def guess_funnel(labels, counts=None) -> dict:
    """The funnel roles read from event names ``labels``: {role: label} for the roles
    found (see ``_FUNNEL_NAMES``). A name spelt several ways ("pv" and "PV": two
    systems' logs concatenated) is read as its spelling with the most events
    (``counts``, per label; the first spelling where not given), not the one that sorts
    first: the others' events are no step of the funnel.

    Examples
    --------
    >>> guess_funnel(["view", "add", "checkout", "pay_ok"])
    {'view': 'view', 'cart': 'add'}
    >>> guess_funnel(["view", "add", "update", "delete"])  # not a shop: "add" is no cart
    {'view': 'view'}
    >>> guess_funnel(["PageView", "Add-To-Cart", "purchases"])
    {'view': 'PageView', 'cart': 'Add-To-Cart', 'buy': 'purchases'}
    >>> guess_funnel(["PV", "buy", "pv"], counts=[30, 5, 70])
    {'view': 'pv', 'buy': 'buy'}
    """
    keyed: dict = {}
    most: dict = {}
    for at, label in enumerate(labels):
        key = _funnel_key(label)
        events = 0 if counts is None else counts[at]
        if key not in keyed or events > most[key]:
            keyed[key], most[key] = label, events
    shop = _is_shop(keyed)
    funnel = {}
    for role, names in _FUNNEL_NAMES.items():
        found = [keyed[n] for n in names if n in keyed and (shop or n not in _SHOP_ONLY)]
        if found:
            funnel[role] = found[0]
    return funnel


def _is_shop(keys) -> bool:
    """Whether event names with these keys (``_funnel_key``) are a shop's: a purchase or
    a checkout among them (where ``_SHOP_ONLY`` names are read as funnel steps)."""
    return any(n in keys for n in (*_FUNNEL_NAMES["buy"], *_NOT_READ))


def funnel_other_names(labels, funnel) -> dict:
    """{label: role} of the event names that name a role the funnel reads from another
    name ("add_to_cart" where the funnel's cart is "cart"): their events are no step of
    it. Spellings of the funnel's own name ("PV" beside "pv") are not listed: the
    event-type check says those, with a fold that joins them."""
    keys = [_funnel_key(label) for label in labels]
    shop = _is_shop(set(keys))
    read = {role: _funnel_key(label) for role, label in funnel.items()}
    other = {}
    for label, key in zip(labels, keys):
        for role, names in _FUNNEL_NAMES.items():
            usable = shop or key not in _SHOP_ONLY
            if role in read and key in names and key != read[role] and usable:
                other[label] = role
    return other


def _counts_if_respelt(seqs):
    """Events per event type where two types' names are one funnel name spelt two ways
    (what :func:`guess_funnel` reads the most frequent of), else None (no pass over the
    events)."""
    keys = [_funnel_key(label) for label in seqs.event_labels]
    if len(set(keys)) == len(keys):
        return None
    return np.asarray(seqs.event_counts()).tolist()  # (oddseq.dask's: over every partition)


def funnel_not_read(labels, funnel) -> dict:
    """{label: role} of the event names that look like a step of a role the funnel
    does not have and were not read as it (a checkout where no purchase was found)."""
    return {
        label: _NOT_READ[_funnel_key(label)]
        for label in labels
        if _NOT_READ.get(_funnel_key(label)) is not None
        and _NOT_READ[_funnel_key(label)] not in funnel
    }


def funnel_words(funnel) -> str:
    """The roles as a reason or a warning says them: "view='pv', cart='cart', fav: none,
    buy='buy'"."""
    return ", ".join(
        f"{role}={funnel[role]!r}" if role in funnel else f"{role}: none" for role in FUNNEL_ROLES
    )


def _funnel_steps(funnel, name: str) -> dict:
    """A dict from funnel steps (keys of ``_FUNNEL_NAMES``) to event names."""
    if not isinstance(funnel, dict) or not set(funnel) <= set(_FUNNEL_NAMES):
        raise ValueError(
            f"{name} must be a dict with keys among {sorted(_FUNNEL_NAMES)} (the roles) and "
            f"event names as values, e.g. {{'view': 'pv', 'buy': 'purchase'}}, got {funnel!r}"
        )
    several = {role: v for role, v in funnel.items() if isinstance(v, (list, tuple, set, dict))}
    if several:
        raise ValueError(
            f"{name} gives a role several events ({several!r}); give each role one event "
            "(the funnel's ratios count one event per role; map the others to it in the "
            "log, e.g. df[event].replace({'pay_ok': 'buy', 'order': 'buy'}))"
        )
    labels = list(funnel.values())
    twice = sorted({str(v) for v in labels if labels.count(v) > 1})
    if twice:
        raise ValueError(
            f"{name} gives the event(s) {twice} more than one role ({funnel!r}); give each "
            "event one role"
        )
    return funnel


def _funnel_in(funnel: dict, labels) -> dict:
    """``funnel`` with each event as the log spells its label (an event given as text,
    "5", is the log's 5 where no label is "5": a name from the shell); an event the log
    lacks is a ValueError naming its events."""
    known = set(labels)
    by_text: dict = {}
    for label in labels:
        by_text.setdefault(str(label), []).append(label)
    out, unknown = {}, []
    for role, event in funnel.items():
        if event in known:
            out[role] = event
        elif len(by_text.get(str(event), [])) == 1:
            out[role] = by_text[str(event)][0]
        else:
            unknown.append(event)
    if unknown:
        shown = [str(v) for v in list(labels)[:40]]
        more = f" and {len(labels) - 40:,} more" if len(labels) > 40 else ""
        raise ValueError(
            f"funnel names events {unknown} that the sequences do not have; their events "
            f"are {shown}{more}: give funnel (--funnel from the shell) one of them for each role"
        )
    return out


def _warn_not_read(not_read: dict, funnel: dict) -> None:
    """The warning of a guess that left out a name that looks like a funnel step."""
    from ..utils._stacklevel import user_stacklevel

    names = ", ".join(f"{label!r} (not read as {role})" for label, role in not_read.items())
    roles = sorted(set(not_read.values()))  # "buy": the only role _NOT_READ names
    zero = "n_items_bought, buy_per_view and buy_per_cart"
    warnings.warn(
        f"the funnel read from the event names is {funnel_words(funnel)}: no event is named "
        f"as a {' or '.join(roles)}, and {names} is a step before it (a checkout can end "
        f"in a declined payment), so {zero} are 0 for every entity. Name the event of each "
        "role: funnel={'buy': '<purchase event>'} (--funnel buy=<event> from the shell)",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


# The no-view warning's fix, in Python's words (the shell says its own: oddseq.cli).
NO_VIEW_FIX = (
    "funnel={'view': '<item view>', 'buy': '<the act that ends it: a purchase, a message "
    "to a seller>', ...}; or the roles it has alone, funnel={...} as read above, to keep "
    "them without a view and say nothing; or funnel={} for no funnel"
)


def likely_views(labels) -> list:
    """The event names with "view" in them that no name list reads as the view
    (view_listing, ad_view): a funnel read without a view, and one of these in the log,
    is said (:func:`_warn_no_view`)."""
    return [str(v) for v in labels if "view" in _funnel_key(v)]


def _warn_no_view(funnel: dict, likely) -> None:
    """The warning of a guess that read a funnel step but no view, where the log has an
    event named like one (``likely``): every ratio per view is 0 (TR s54 H2: a
    classifieds log's view_listing and message_seller unread, its favourite alone read;
    the scam messengers, 118 messages in 118 views, 2 of 29 flagged, 29 of 29 with the
    roles named). A log of no such name (orders alone, a game's purchases) is not told."""
    from ..utils._stacklevel import user_stacklevel

    per_view = [f"{r}_per_view" for r in ("cart", "fav", "buy") if r in funnel]
    maybe = ", ".join(map(repr, likely[:3])) + (" ..." if len(likely) > 3 else "")
    warnings.warn(
        f"the funnel read from the event names is {funnel_words(funnel)}: no event name "
        f"reads as a view of an item ({maybe}?), so {' and '.join(per_view)} "
        f"{'are' if len(per_view) > 1 else 'is'} 0 for every entity. Name the event of "
        f"each role your log has: {NO_VIEW_FIX}",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _warn_other_names(other: dict, funnel: dict, seqs) -> None:
    """The warning of a guess that read a role from one of two or more names of it."""
    from ..utils._stacklevel import user_stacklevel

    counts = dict(zip(seqs.event_labels, np.asarray(seqs.event_counts()).tolist()))
    # (a categorical column keeps the categories of no event: nothing to say of those)
    other = {label: role for label, role in other.items() if counts.get(label, 0) > 0}
    if not other:
        return
    names = ", ".join(
        f"{label!r} ({counts.get(label, 0):,} events; its {role} is {funnel[role]!r})"
        for label, role in other.items()
    )
    label, role = next(iter(other.items()))
    warnings.warn(
        f"the funnel read from the event names is {funnel_words(funnel)}, and {names} "
        f"name{'s' if len(other) == 1 else ''} the same step another way: "
        f"{'its' if len(other) == 1 else 'their'} events count as no step of the funnel. "
        "If they are one act, give them one name before building the sequences (in "
        f"pandas: df[event] = df[event].where(df[event] != {label!r}, {funnel[role]!r}), "
        "with event the event column; from the shell, in the file); to read the other "
        f"name instead: funnel={{{role!r}: {label!r}}} (--funnel {role}={label} from the "
        "shell)",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


class DiversityEncoder(SequenceEncoder):
    """What a sequence acts on: item variety and concentration, the purchase funnel and
    the values (prices) involved.

    Columns: ``n_items``, ``distinct_item_ratio``, ``item_entropy_bits``,
    ``top_item_share``, ``repeat_previous_item_share`` (refresh storms: of the events
    with an item after the first, the share naming the item of the one before; events
    without an item neither make nor break a run), ``n_items_bought``, the funnel
    ratios ``cart_per_view``, ``fav_per_view``, ``buy_per_view``, ``buy_per_cart`` (each
    divided by max(denominator, 1); 0 over a role the funnel lacks), and with a value
    column ``value_sum``, ``value_mean``, ``value_max``, ``value_std``,
    ``share_value_missing``, ``value_bought_sum``.

    Parameters
    ----------
    funnel : dict, optional
        Event labels of the funnel roles, e.g. ``{"view": "pv", "cart": "cart",
        "fav": "fav", "buy": "buy"}`` (roles among view, cart, fav, buy; ``{}``: none).
        By default read from the event names, compared
        case-blind without ``_``, ``-``, spaces and a plural ``s``: view from
        pv/view/pageview/view_item/click/detail, cart from cart/add_to_cart/add/basket/
        add_to_basket/add_to_bag (``add`` only in a shop: where a purchase or checkout
        name is also there; in an audit log add/update/delete it is no cart), fav from
        fav/favorite/favourite/wishlist/add_to_wishlist/like, buy from
        buy/purchase/transaction/order (the first of each list the log has).
        ``checkout`` is never read as buy (a step before payment, which can be
        declined); a log with one and no purchase name warns, and so does one where a
        step is read and no view while an event is named like one (``view_listing``: its
        ratios per view would be 0). Missing roles count 0.
        ``funnel_`` holds the roles read.
    item_categories : mapping or Series, optional
        Category of each item (item id -> category, e.g.
        ``log.groupby("item_id")["category_id"].first()``); adds ``n_categories``,
        ``distinct_category_ratio``, ``category_entropy_bits`` and
        ``new_category_share_last_session``: of the last session's events, the share
        on categories the sequence never touched before that session (an account taken
        over moves into categories its owner never used; 0 without times or without an
        earlier session). Items it does not know count as no category
        (:class:`~oddseq.AnomalyPipeline` takes those sequences' category features
        as missing instead).
    session_gap : str, Timedelta or number, default="30min"
        Inactivity that separates sessions, for ``new_category_share_last_session``.
    n_threads : int, optional

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> seqs = Sequences.from_arrays([0, 4], ["pv", "pv", "cart", "buy"],
    ...                              items=[7, 7, 7, 9], values=[10.0, 10.0, 10.0, 5.0])
    >>> enc = DiversityEncoder().set_output(transform="pandas").fit(seqs)
    >>> enc.transform(seqs).loc[0, ["n_items", "buy_per_view", "value_bought_sum"]].tolist()
    [2.0, 0.5, 5.0]
    """

    def __init__(self, funnel=None, item_categories=None, session_gap="30min", n_threads=None):
        self.funnel = funnel
        self.item_categories = item_categories
        self.session_gap = session_gap
        self.n_threads = n_threads

    # The funnel's event names and item_categories are checked in fit, against the data.
    _parameter_checks = {
        "funnel": Optional(Check(_funnel_steps)),
        "session_gap": Check(duration_ns),
        "n_threads": Threads(),
    }

    def fit(self, X, y=None):
        seqs = _check_sequences(X, "DiversityEncoder.fit")
        self._validate_params()
        if self.funnel is None:
            funnel = guess_funnel(seqs.event_labels, _counts_if_respelt(seqs))
            not_read = funnel_not_read(seqs.event_labels, funnel)
            if not_read:
                _warn_not_read(not_read, funnel)
            other = funnel_other_names(seqs.event_labels, funnel)
            if other:
                _warn_other_names(other, funnel, seqs)
            likely = likely_views(seqs.event_labels) if funnel and "view" not in funnel else []
            if likely:
                _warn_no_view(funnel, likely)
        else:
            funnel = _funnel_in(self.funnel, seqs.event_labels)
        self.funnel_ = funnel
        self.funnel_guessed_ = self.funnel is None
        # The ratios over a role the funnel lacks are 0 (an encoder fitted before reads
        # them over a count of 0, as its model was fitted: see funnel_codes)
        self.ratios_over_roles_only_ = True
        self.session_gap_ns_ = duration_ns(self.session_gap, "session_gap")
        self.has_items_ = seqs.items is not None
        self.has_categories_ = self.item_categories is not None
        if self.has_categories_:
            if not self.has_items_:
                raise ValueError("item_categories needs sequences with items (an item column)")
            category_of_items(self.item_categories, seqs.item_labels)  # a bad mapping fails here
        self.has_values_ = seqs.values is not None
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def transform(self, X):
        check_is_fitted(self, "funnel_")
        seqs = _check_sequences(X, "DiversityEncoder.transform")
        if self.has_values_ and seqs.values is None:
            raise ValueError(
                "the encoder was fitted with values but these sequences have none; build "
                "them with the value column: Sequences.from_events(..., value=...)"
            )
        if self.has_items_ and seqs.items is None:
            raise ValueError(
                "the encoder was fitted with items but these sequences have none; build "
                "them with the item column: Sequences.from_events(..., item=...)"
            )
        labels = seqs.event_labels
        funnel = self.funnel_codes({label: i for i, label in enumerate(labels)}, len(labels))
        item_category = None
        if self.has_categories_:
            # One category code per item code of these sequences (-1: unknown); only
            # which items share a category matters, so the codes need not match fit's.
            _, item_category = category_of_items(self.item_categories, seqs.item_labels)
        view = _core.SequencesView(
            offsets=seqs.offsets,
            events=seqs.events,
            times=seqs.times if self.has_categories_ else None,
            items=seqs.items if self.has_items_ else None,
            values=seqs.values if self.has_values_ else None,
        )
        params = _core.DiversityParams(session_gap_ns=self.session_gap_ns_, **funnel)
        features = _core.diversity_features(
            view, item_category, params, resolve_threads(self.n_threads)
        )
        if self.has_values_ and np.isinf(features).any():
            # Sums, means and spreads of the value column are computed in float64 and
            # written as float32: values past float32's range (about 3.4e38) would be inf.
            rows = int(np.isinf(features).any(axis=1).sum())
            raise ValueError(
                f"the value column is too large for float32 features: the value sum, mean, "
                f"max or spread of {rows} sequence(s) exceeds {np.finfo(np.float32).max:.3g}; "
                "rescale the values (e.g. to thousands) before building the Sequences"
            )
        return self._wrap(features, seqs)

    def funnel_codes(self, code_of: dict, never: int) -> dict:
        """The kernel's code of each funnel role (``code_of``: each event label's code;
        ``never``: a code no event has): -1 for a role the funnel lacks (the ratios over
        it are 0: a log of clicks and purchases has no cart, and "purchases per cart"
        would repeat the purchases' count, trial s52), ``never`` for a role these events
        never do (counted 0). An encoder fitted before ``ratios_over_roles_only_`` reads
        every missing role as counted 0, as its model was fitted. The batch encoder and
        ``oddseq.stream`` (its own codes) both read it."""
        only = getattr(self, "ratios_over_roles_only_", False)
        codes = {}
        for step in ("view", "cart", "fav", "buy"):
            label = self.funnel_.get(step)
            codes[step] = -1 if label is None and only else int(code_of.get(label, never))
        return codes

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "funnel_")
        names = list(DIVERSITY_ITEM_NAMES)
        if self.has_values_:
            names += DIVERSITY_VALUE_NAMES
        if self.has_categories_:
            names += DIVERSITY_CATEGORY_NAMES
        return np.asarray(names, dtype=object)


def _encoder_pairs(value, name):
    """``encoders`` of EncoderUnion: a non-empty list of (name, encoder) pairs."""
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{name} must be a non-empty list of (name, encoder) pairs, got {value!r}")
    for item in value:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError(f"{name} must hold (name, encoder) pairs, got {item!r}")
        if not (hasattr(item[1], "fit") and hasattr(item[1], "transform")):
            raise TypeError(
                f"{name}: {item[0]!r} must be an encoder with fit and transform, "
                f"got {type(item[1]).__name__}"
            )
    return list(value)


class EncoderUnion(SequenceEncoder):
    """Several sequence encoders side by side: their columns concatenated, in order.

    Parameters
    ----------
    encoders : list of (name, encoder)
        Feature names must not collide across encoders.

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> seqs = Sequences.from_lists([["a", "b"], ["b"]])
    >>> union = EncoderUnion([("counts", CountTimingEncoder()),
    ...                       ("order", TransitionEncoder())]).fit(seqs)
    >>> union.transform(seqs).shape
    (2, 18)
    """

    _parameter_checks = {"encoders": Check(_encoder_pairs)}

    def __init__(self, encoders):
        self.encoders = encoders

    def fit(self, X, y=None):
        _check_sequences(X, "EncoderUnion.fit")
        params = self._validate_params()
        fitted = []
        names: list[str] = []
        for name, encoder in params["encoders"]:
            encoder = clone(encoder).fit(X)
            fitted.append((name, encoder))
            names += list(encoder.get_feature_names_out())
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"feature names collide across encoders: {duplicates}")
        self.encoders_ = fitted
        self.n_features_out_ = len(names)
        return self

    def transform(self, X):
        check_is_fitted(self, "encoders_")
        seqs = _check_sequences(X, "EncoderUnion.transform")
        blocks = [encoder.transform(seqs) for _, encoder in self.encoders_]
        blocks = [b.to_numpy() if isinstance(b, pd.DataFrame) else b for b in blocks]
        return self._wrap(np.hstack(blocks).astype(np.float32, copy=False), seqs)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "encoders_")
        return np.concatenate([e.get_feature_names_out() for _, e in self.encoders_])


def default_encoder(kind="ecommerce", *, session_gap="30min", n_threads=None) -> EncoderUnion:
    """The encoders an expert would start from, with sensible settings.

    - ``"ecommerce"``: event counts, rhythm (TemporalEncoder with the hour and weekday
      summaries rather than the 31 profile columns), order (first-order
      TransitionEncoder) and items/funnel/values (DiversityEncoder); needs times.
    - ``"log"``: event counts and first- and second-order transitions (log templates
      follow strict orders); works without times.

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> seqs = Sequences.from_lists([[5, 5, 22], [5, 11]])
    >>> default_encoder("log").fit(seqs).transform(seqs).shape[0]
    2
    """
    if kind == "ecommerce":
        parts = [
            ("counts", CountTimingEncoder(timing=False, n_threads=n_threads)),
            (
                "temporal",
                TemporalEncoder(session_gap=session_gap, profiles=False, n_threads=n_threads),
            ),
            ("transitions", TransitionEncoder(n_threads=n_threads)),
            ("diversity", DiversityEncoder(n_threads=n_threads)),
        ]
    elif kind == "log":
        parts = [
            ("counts", CountTimingEncoder(timing=False, n_threads=n_threads)),
            ("transitions", TransitionEncoder(order=2, n_threads=n_threads)),
        ]
    else:
        raise ValueError(f"kind must be 'ecommerce' or 'log', got {kind!r}")
    return EncoderUnion(parts)
