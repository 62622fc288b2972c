"""The wording of the ``reason`` column, in one place for the batch table
(:class:`AnomalyPipeline`), ``AnomalyPipeline.explain`` and the stream's alerts: which
features a reason names, their value and "typical" value in the data's units (the
scalers inverted, clipped to what the training data took), and how values are written
(durations in s/min/h/d, counts whole)."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import numpy as np
import pandas as pd

from .encode._behaviour import _FUNNEL_NAMES, funnel_name_key
from .utils._text import shorten, text_array
from .utils._unique import distinct

__all__ = [
    "ALERT_FEATURES",
    "TABLE_FEATURES",
    "alert_reasons",
    "alert_reasons_at",
    "band_sizes",
    "before_evidence",
    "feature_notes",
    "feature_reasons",
    "feature_texts",
    "format_value",
    "format_values",
    "in_units",
    "length_band_label",
    "length_bands",
    "over_nothing",
    "typical_of_length",
    "like_length_columns",
    "enough_counts",
    "joined_values",
    "kmeans_member",
    "observed",
    "raw_median_columns",
    "step_reasons",
    "typical_by_length",
    "typical_from_bands",
    "typical_raw",
    "typical_raw_from",
    "typical_like",
    "typical_like_from",
    "like_rows",
    "neighbour_medians",
    "units_at",
    "with_evidence",
]

# Features a detector is asked for per row: the batch reason picks two of its four
# (those whose value reads differently from the typical one); an alert names both of two.
TABLE_FEATURES = 4
ALERT_FEATURES = 2
# Steps of a sequence model ("markov" and the neural methods) a reason names.
TABLE_STEPS = 2

_DURATION_UNITS = ((86_400.0, "d"), (3_600.0, "h"), (60.0, "min"), (1.0, "s"))
# Below this many events a verdict rests on little: the reason says so.
_FEW_EVENTS = 5


def format_value(feature: str, value: float) -> str:
    """A feature value in the unit an analyst reads: durations (names ending in ``_s``)
    in s/min/h/d, counts as whole numbers, other numbers with three significant digits.

    Examples
    --------
    >>> format_value("duration_s", 7_198_000), format_value("count[buy]", 12.0)
    ('83.3 d', '12')
    """
    return format_values(feature, np.array([value], dtype=np.float64))[0]


def format_values(feature: str, values: np.ndarray) -> list[str]:
    """format_value over an array of one feature's values."""
    values = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 said as 0, not "-0"
    values = np.where(np.abs(values) < _ZERO_NUMBER, 0.0, values)
    if feature.endswith("_bits"):  # an entropy of one item sums to 4.44e-16, not 0
        values = np.where(np.abs(values) < _ZERO_BITS, 0.0, values)
    if feature.endswith("_log2"):  # a log2 ratio: said as the ratio
        return [_format_one(feature, v) for v in values.tolist()]
    if feature.endswith("_s"):
        size = np.ones_like(values)
        unit = text_array(values.shape, "s")
        for threshold, name in reversed(_DURATION_UNITS):
            large = np.abs(values) >= threshold
            size[large], unit[large] = threshold, name
        small = ~(np.abs(values) >= 1.0)  # below a second (NaN too)
        return [
            f"{v:.2g} s" if tiny else f"{v / z:.3g} {u}"
            for v, z, u, tiny in zip(values.tolist(), size.tolist(), unit.tolist(), small.tolist())
        ]
    with np.errstate(invalid="ignore"):  # inf and NaN are not whole: checked first
        whole = np.isfinite(values) & (np.mod(values, 1.0) == 0) & _may_be_whole(feature)
    return [_number_text(v, w) for v, w in zip(values.tolist(), whole.tolist())]


# Statistics that are whole only by chance (a mean of whole milliseconds, 583,904): said
# in three significant digits as their neighbours are ("628,000"), not with all their
# digits as a count is (TR s58 L8).
_NEVER_WHOLE = ("value_mean", "value_std")


def _may_be_whole(feature: str) -> bool:
    """Whether a whole value of ``feature`` is said with all its digits (a count, a
    largest or total value), not in three significant digits (a mean or a spread)."""
    return feature not in _NEVER_WHOLE


# Numbers from this size on are said in three significant digits with a power of ten: the
# features are float32, whose digits past the seventh are noise ("mean value
# 1,004,613,191,499,513,856" for an amount in wei, trial s40 F11; "1,004,613,074,944" at
# 1e12, review s40).
_POWER_FROM = 1e7


def _number_text(value: float, whole: bool) -> str:
    """A number that is no duration as a reason writes it: a whole one with all its
    digits, another in three significant digits, past 1,000 with separators ("1,310",
    not "1.31e+03" for a price of 1,312.47), and from ``_POWER_FROM`` (ten million) on with
    a power of ten ("5.43e+19")."""
    size = abs(value)
    if not size < _POWER_FROM:  # (inf and NaN too)
        return f"{value:,.3g}"
    if whole:
        return f"{int(value):,}"
    if size >= 999.5:  # (.3g would say 1e+03)
        return f"{round(value, 2 - math.floor(math.log10(size))):,.0f}"
    return f"{value:,.3g}"


def _format_one(feature: str, value: float) -> str:
    """format_values of one value, in plain Python (numpy's cost per call is most of a
    stream alert's wording otherwise)."""
    if (feature.endswith("_bits") and abs(value) < _ZERO_BITS) or abs(value) < _ZERO_NUMBER:
        value = 0.0
    if feature.endswith("_log2"):  # a log2 ratio: said as the ratio
        return _ratio_text(value)
    value += 0.0  # -0.0 is said as 0 ("0 s", not "-0 s")
    if feature.endswith("_s"):
        if not abs(value) >= 1.0:  # below a second (NaN too)
            return f"{value:.2g} s"
        for threshold, name in _DURATION_UNITS:  # the largest unit it reaches
            if abs(value) >= threshold:
                return f"{value / threshold:.3g} {name}"
    return _number_text(value, math.isfinite(value) and value % 1.0 == 0 and _may_be_whole(feature))


def _ratio_text(log2_ratio: float) -> str:
    """A log2 ratio said as the ratio ("x4"); past the largest float (2 ** 1024, a
    column of the caller's ``entity_features`` named ``*_log2`` can hold anything) by
    its power of ten ("x1.8e+308", "x3.2e+1505"), not an OverflowError."""
    if not math.isfinite(log2_ratio):
        return f"{log2_ratio}"
    if log2_ratio < 1000:
        text = f"{2.0**log2_ratio:.2g}"
        rounded = float(text)
        if "e+" in text and rounded < 1e15:  # ("x1,400", not "x1.4e+03": review RV2 s42)
            return f"x{rounded:,.0f}"
        return f"x{text}"
    tens = log2_ratio * math.log10(2.0)
    power = math.floor(tens)
    mantissa = f"{10.0 ** (tens - power):.2g}"
    if mantissa == "10":
        mantissa, power = "1", power + 1
    return f"x{mantissa}e+{power}"


# Entropies (``*_bits``) below this are 0 up to the round-off of their sums.
_ZERO_BITS = 1e-9
# Any value below this is 0 up to round-off: "spread of values 243 (normal entities like it
# have 5.68e-14)" was a spread of one value each (a ticketing trial, TR s47b L9).
_ZERO_NUMBER = 1e-12
_FEW_TEXTS = 32  # fewer values than this are formatted one by one


def feature_texts(feature_names, cols: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values[i]`` of feature ``feature_names[cols[i]]`` as the reasons write it. Each
    distinct (feature, value) is formatted once: values repeat a lot (counts, cluster
    centres), and a million entities name four million of them."""
    if len(cols) < _FEW_TEXTS:  # a stream alert's few
        pairs = zip(np.asarray(cols).tolist(), np.asarray(values, dtype=np.float64).tolist())
        return np.array([_format_one(feature_names[c], v) for c, v in pairs], dtype=object)
    cols = np.asarray(cols, dtype=np.int64)
    values = np.ascontiguousarray(values, dtype=np.float64)
    # The distinct (feature, value) pairs by hashing, not sorting: the values by their
    # bits (each formatted as itself: -0.0 apart from 0.0), then the pairs.
    value_code, distinct = pd.factorize(values.view(np.int64), sort=False)
    pair_code, pairs = pd.factorize(cols * len(distinct) + value_code, sort=False)
    pair_cols, pair_values = np.divmod(pairs, len(distinct))
    pair_values = distinct[pair_values].view(np.float64)
    texts = np.empty(len(pairs), dtype=object)
    order = np.argsort(pair_cols, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(pair_cols[order]) != 0, True])
    for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        mine = order[start:end]
        name = feature_names[int(pair_cols[mine[0]])]
        texts[mine] = np.array(format_values(name, pair_values[mine]), dtype=object)
    return texts[pair_code]


def distinct_texts(text, *columns) -> np.ndarray:
    """``text(*row)`` of each row of the numeric ``columns`` (arrays of one length), as
    an object array, with each distinct row (by its values' bits: -0.0 apart from 0.0)
    written once and the row's values handed over as the columns hold them (numpy
    scalars of their dtype): the same texts as one call per row. A million entities'
    funnel counts are a few thousand distinct pairs, and one call per row was a third
    of the reasons' time (a 100 M event log)."""
    columns = [np.ascontiguousarray(c) for c in columns]
    n = len(columns[0]) if columns else 0
    if n < _FEW_TEXTS:
        return np.array([text(*row) for row in zip(*columns)], dtype=object).reshape(n)
    code = np.zeros(n, dtype=np.int64)
    for column in columns:
        bits = column.view(f"u{column.dtype.itemsize}") if column.dtype.kind == "f" else column
        column_code, distinct = pd.factorize(bits, sort=False)
        code = pd.factorize(code * len(distinct) + column_code, sort=False)[0]
    first = np.unique(code, return_index=True)[1]  # (each distinct row's first)
    texts = np.array(
        [text(*row) for row in zip(*(column[first] for column in columns))], dtype=object
    ).reshape(len(first))
    return texts[code]


# A reason names at most this many of the event types count[<other>] pools, each in a
# short form of at most _POOLED_LABEL characters.
_POOLED_NAMED = 5
_POOLED_LABEL = 24
POOLED = "count[<other>]"
_NOTHING_POOLED = "event types not seen in fitting"
# ... of which a scored entity's own are named, the most frequent first, up to this many.
_UNSEEN_NAMED = 2


def feature_notes(pipeline) -> list[str]:
    """Per feature of ``pipeline.feature_names_``, what a reason adds after its typical
    value: for ``count[<other>]``, the event types it pools (how many, the most frequent
    few by name; it also counts the types first met after fitting), else "". A model
    saved before the pooled types were kept says nothing more."""
    names = list(pipeline.feature_names_)
    notes = [""] * len(names)
    if POOLED not in names:
        return notes
    encoders = [e for _, e in getattr(getattr(pipeline, "encoder_", None), "encoders_", [])]
    counts = next((e for e in encoders if getattr(e, "pooled_", False)), None)
    pooled = getattr(counts, "pooled_labels_", None)
    if pooled is None:
        return notes
    if len(pooled) == 0:
        notes[names.index(POOLED)] = _NOTHING_POOLED
        return notes
    # the first few pooled types are kept by name, n_pooled_ counts them all (a model
    # saved before n_pooled_ kept every one by name)
    n_pooled = getattr(counts, "n_pooled_", len(pooled))
    named = ", ".join(shorten(label, _POOLED_LABEL) for label in pooled[:_POOLED_NAMED])
    rest = n_pooled - min(len(pooled), _POOLED_NAMED)
    more = f" and {rest:,} more" if rest > 0 else ""
    kinds = "type" if n_pooled == 1 else "types"
    notes[names.index(POOLED)] = (
        f"{n_pooled:,} rarer event {kinds} pooled: {named}{more}, and any new"
    )
    return notes


def name_unseen_types(pipeline, reasons: np.ndarray, seqs) -> np.ndarray:
    """``reasons`` (one per sequence of ``seqs``, the scored ones) with each sequence's
    event types not seen in fitting named (:func:`unseen_types_of`,
    :func:`with_unseen_named`)."""
    return with_unseen_named(reasons, *unseen_types_of(pipeline, seqs))


def unseen_types_of(pipeline, seqs):
    """The sequences of ``seqs`` that hold events of types the model was not fitted on:
    (their rows, how many such events each, of how many types, the words that name
    them: the most frequent two, the first met first among equals, and how many more).
    Read from the events of those types alone, so a log of fitted types costs a look at
    its labels."""
    none = (
        np.empty(0, np.int64),
        np.empty(0, np.int64),
        np.empty(0, np.int64),
        np.empty(0, object),
    )
    labels = getattr(seqs, "event_labels", None)  # (oddseq.dask's entities have none)
    if labels is None or not len(seqs):
        return none
    unseen = _not_fitted(pipeline, labels)
    if unseen is None or not unseen.any():
        return none
    events = np.asarray(seqs.events)
    at = np.flatnonzero(unseen[events])
    if not at.size:
        return none
    offsets = np.asarray(seqs.offsets, dtype=np.int64)
    row = np.searchsorted(offsets, at, side="right") - 1
    n_labels = max(len(labels), 1)
    pairs, first, counts = np.unique(
        row * n_labels + events[at], return_index=True, return_counts=True
    )
    rows, codes = pairs // n_labels, pairs % n_labels
    # per row, the most frequent first, then the first met (as the stream keeps them)
    order = np.lexsort((first, -counts, rows))
    rows, codes, counts = rows[order], codes[order], counts[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    kinds = np.diff(np.r_[starts, rows.size])
    # The words depend on the first two types and how many more: said once per such
    # triple (a later log's new types come in few mixes; one per row took 12 s at a
    # million entities).
    second = np.where(kinds >= 2, codes[np.minimum(starts + 1, rows.size - 1)], -1)
    more = np.maximum(kinds - _UNSEEN_NAMED, 0)
    # One integer a triple (np.unique over columns took most of the time): the pair of
    # named types numbered first, so the key stays under rows x (more + 1), whatever
    # the number of labels (a pair's code times the rest overflowed past 2 million).
    pair = codes[starts].astype(np.int64) * (n_labels + 1) + second + 1
    pairs_seen, pair_of = np.unique(pair, return_inverse=True)
    span = int(more.max()) + 1
    distinct, inverse = np.unique(np.ravel(pair_of) * span + more, return_inverse=True)
    names = np.asarray(labels, dtype=object)
    said = []
    for pair_code, n_more in zip(
        (pairs_seen[distinct // span]).tolist(), (distinct % span).tolist()
    ):
        one, other = pair_code // (n_labels + 1), pair_code % (n_labels + 1) - 1
        named = [names[one]] + ([names[other]] if other >= 0 else [])
        text = ", ".join(
            repr(shorten(v, _POOLED_LABEL)) if isinstance(v, str) else shorten(str(v))
            for v in named
        )
        said.append(text + (f" and {n_more:,} more" if n_more > 0 else ""))
    words = np.array(said, dtype=object)[np.ravel(inverse)]
    totals = np.add.reduceat(counts, starts) if starts.size else np.empty(0, np.int64)
    return rows[starts], totals, kinds, words


def _not_fitted(pipeline, labels) -> np.ndarray | None:
    """Which of the event ``labels`` the model was not fitted on, or None where it does
    not know every type it was fitted on: the encoder's own where it pools none (it
    keeps them all), else the fitted log's recorded types where they are all of them
    (a log of more than ``_fitted_data.RECORDED_EVENT_TYPES`` keeps its most frequent;
    the count features keep 30 by name and pool the rest, which are fitted all the same)."""
    # (as Python objects: an Arrow dictionary's labels refuse to meet plain text in isin,
    # trial s43b H1; the values are what is compared)
    labels = pd.Index(np.asarray(labels, dtype=object))
    if _NOTHING_POOLED in feature_notes(pipeline):
        fitted = pipeline._fitted_event_labels()
        if fitted is not None:
            return ~np.asarray(labels.isin(np.asarray(fitted, dtype=object)), dtype=bool)
    recorded = (getattr(pipeline, "_fitted_data", None) or {}).get("event_types")
    if recorded is None or pipeline._fitted_data.get("n_event_types") != len(recorded):
        return None
    # (recorded as text, as the unseen-types warning compares them)
    text = pd.Index(labels.astype(str), dtype=object)
    return ~np.asarray(text.isin(np.asarray(recorded, dtype=object)), dtype=bool)


def unseen_clause(n_events: int, n_types: int, words: str) -> str:
    """What a reason that does not name them adds of an entity's event types not seen
    in fitting (trial s42b L2: renamed views flagged as "favourites per view 1" without
    a word of the new type): "; 2 events of a type not seen in fitting: 'share'"."""
    events = "event" if n_events == 1 else "events"
    types = "a type" if n_types == 1 else "types"
    return f"; {n_events:,} {events} of {types} not seen in fitting: {words}"


def with_unseen_named(reasons, rows, totals, kinds, words) -> np.ndarray:
    """``reasons`` with the unseen types of the sequences at ``rows`` named
    (:func:`unseen_types_of`): after ``count[<other>]``'s "event types not seen in
    fitting" where the reason says it ("...: 'refund'"), else at its end
    (:func:`unseen_clause`)."""
    if not len(rows):
        return reasons
    reasons = np.asarray(reasons, dtype=object).copy()
    for at, total, n_types, text in zip(
        np.asarray(rows).tolist(), np.asarray(totals).tolist(), np.asarray(kinds).tolist(), words
    ):
        reason = str(reasons[at])
        if _NOTHING_POOLED in reason:
            reasons[at] = reason.replace(_NOTHING_POOLED, f"{_NOTHING_POOLED}: {text}", 1)
        else:
            reasons[at] = reason + unseen_clause(total, n_types, text)
    return reasons


# "Typical for entities of about as many events": lengths (events) that start a band,
# each length alone up to 10, then bands about 1.5 times as wide as the one before.
_BAND_STARTS = np.array(
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 21, 26, 31, 41, 51, 71, 101, 151, 201, 301]
    + [501, 701, 1001, 1501, 2001, 3001, 5001, 7001, 10_001, 15_001, 20_001, 30_001]
    + [50_001, 70_001, 100_001],
    dtype=np.int64,
)
# A band's median is said only where at least this many fitted entities make it.
_BAND_MIN = 20
# Features whose reason says the typical value of entities of about the same length: a
# span that grows with the events (a 3-click session's typical duration is not that of
# the long sessions, which the detector's typical value sits near).
LIKE_LENGTH = (
    "duration_s",
    # Item and category variety, bounded by the length (a 3-click session has at most
    # log2(3) = 1.58 bits; a share at least 1/3) and shrunk toward the median of the
    # entities with 30+ events: a short session's typical was the long ones' (YOOCHOOSE:
    # "item_entropy_bits 1.68 (typical 3.74)", its sessions' median 1.0 bit).
    "item_entropy_bits",
    "distinct_item_ratio",
    "top_item_share",
    "category_entropy_bits",
    "distinct_category_ratio",
)
# Counts, totals and largest values, which grow with the events, say the typical value of
# like length too (up to _BOUND_UP_TO events): a one-event user's largest and total value
# are the one price it saw, read against the long users' ("largest value 6.9 (typical
# 250); total value 6.9 (typical 1,530) (rests on 1 event)" atop a shop where few users
# have one event, trial s42). Also every count[...] column (_like_length_name). Words
# only: unlike item variety a reason never leaves them out for being typical of their
# length, since a band of one length can be one family's: hdfs_100k's 4-event blocks are
# nearly all the "1 2 2 7" failures, and their exception template, "typical 1 with 4
# events", was left out of every such block's reason (trial s42b).
GROW_WITH_EVENTS = (
    "n_items",
    "n_items_bought",
    "n_categories",
    "value_sum",
    "value_max",
    "value_bought_sum",
)
LIKE_LENGTH += GROW_WITH_EVENTS
# Of those, the ones a reason leaves out where the entity's value is typical of its
# length (or on the other side of it than the detector scored): the shrinkage, not the
# entity, put them apart (7 clicks on 7 items, 2.81 bits, read against the long sessions'
# 4.98).
LENGTH_BOUND = (
    "item_entropy_bits",
    "distinct_item_ratio",
    "top_item_share",
    "category_entropy_bits",
    "distinct_category_ratio",
)


def _like_length_name(name) -> bool:
    """Whether a reason reads feature ``name`` against entities of about its length
    (``LIKE_LENGTH``, and the counts per event type)."""
    return name in LIKE_LENGTH or str(name).startswith("count[")


def _short_only_name(name) -> bool:
    """Whether ``name`` takes the typical value of like length only up to
    ``_BOUND_UP_TO`` events (item variety, and what grows with the events)."""
    return name in LENGTH_BOUND or name in GROW_WITH_EVENTS or str(name).startswith("count[")


# Item variety takes the typical value of like length only up to this many events, where
# the length bounds it (at most log2(n) bits, a share at least 1/n) and the shrinkage
# pulls it: beyond, a band's median is no more the entity's kind than the detector's
# expectation is, and can be another population's (H1 s15, an accounts log: insiders
# with 1,001-1,500 events read "distinct_item_ratio 0.788 (typical 0.00149 with
# 1,001-1,500 events)", the median of pollers calling one endpoint). Durations keep
# theirs at every length: a span grows with the events.
_BOUND_UP_TO = 30


def length_bands(lengths) -> np.ndarray:
    """The band (a row of ``_BAND_STARTS``) of each length."""
    return np.searchsorted(_BAND_STARTS, np.asarray(lengths), side="right") - 1


def length_band_label(band: int) -> str:
    """How a reason names a band: "1 event", "3 events", "11-12 events", "100,001+ events"."""
    low = int(_BAND_STARTS[band])
    if band + 1 == len(_BAND_STARTS):
        return f"{low:,}+ events"
    high = int(_BAND_STARTS[band + 1]) - 1
    if high == low:
        return "1 event" if low == 1 else f"{low:,} events"
    return f"{low:,}-{high:,} events"


# length_band_label of each band, at band + 1 (a length under 1 is band -1).
_BAND_LABELS_FROM = np.array(
    [length_band_label(b) for b in range(-1, len(_BAND_STARTS))], dtype=object
)


def band_sizes(lengths) -> np.ndarray:
    """Entities per band."""
    return np.bincount(length_bands(lengths), minlength=len(_BAND_STARTS))


def like_length_columns(names, n_side: int = 0) -> list[int]:
    """The columns of ``names`` whose reasons say the typical value by length; never the
    last ``n_side``, side attributes (a side column named "value_sum" or "count[logins]"
    is no behaviour feature's: review s42 L1)."""
    names = list(names)
    last = len(names) - n_side
    return [j for j, n in enumerate(names[:last]) if _like_length_name(n)]  # (sorted: bisected)


def typical_by_length(raw: np.ndarray, lengths, names, n_side: int = 0):
    """(columns, medians): per column of :func:`like_length_columns` and band, the median
    of the fitted entities' raw values (NaN where the band has fewer than ``_BAND_MIN``
    entities): what a reason says is typical for entities of about as many events.
    Kept by the pipeline as ``_typical_by_length``; reasons only, never the scores."""
    bands = length_bands(lengths)
    # each band's entities gathered once (a mask of every entity per column and band
    # was 200 passes over a million entities)
    order = np.argsort(bands, kind="stable")
    bounds = np.searchsorted(bands[order], np.arange(len(_BAND_STARTS) + 1))
    return typical_from_bands(
        names,
        band_sizes(lengths),
        lambda pairs: [
            float(np.median(raw[order[bounds[b] : bounds[b + 1]], j])) for j, b in pairs
        ],
        n_side,
    )


def typical_from_bands(names, sizes, medians_of, n_side: int = 0):
    """:func:`typical_by_length` from the entities per band (``sizes``) and
    ``medians_of(pairs)``, the medians of the raw values of (column, band) pairs
    (oddseq.dask takes them over its partitions); the last ``n_side`` of ``names`` are
    side attributes."""
    cols = like_length_columns(names, n_side)
    enough = np.flatnonzero(np.asarray(sizes) >= _BAND_MIN).tolist()
    # (a feature said against its like length only up to _BOUND_UP_TO events takes no
    # median of the bands beyond: at a million entities the 38 columns of a log of 30
    # event types took 0.82 s, most of it on long bands never read)
    names = list(names)
    short = [b for b in enough if _BAND_STARTS[b] <= _BOUND_UP_TO]
    pairs = [(j, b) for j in cols for b in (short if _short_only_name(names[j]) else enough)]
    medians = np.full((len(cols), len(_BAND_STARTS)), np.nan)
    for (j, b), median in zip(pairs, medians_of(pairs) if pairs else []):
        medians[cols.index(j), b] = float(median)
    return np.asarray(cols, dtype=np.int64), medians


# A raw median is taken over the entities whose own value rests on at least this many
# observations of the feature (events; gaps for the rhythm features): a one-event
# entity's gap spread is 0 for want of gaps, not a spread of its rhythm (REES46, most
# users with one event: "spread of time between events 29.9 min (typical 0 s)").
_OWN_MIN = 2


def observed(evidence):
    """An :class:`EvidenceShrinker` (of ``evidence``'s features) whose ``enough`` says
    which entities a raw median of :func:`typical_raw` is taken over."""
    from .preprocessing._evidence import EvidenceShrinker

    seen = EvidenceShrinker(float(_OWN_MIN))
    seen.kinds_ = evidence.kinds_
    seen.valued_column_ = getattr(evidence, "valued_column_", -1)
    seen.items_column_ = getattr(evidence, "items_column_", -1)
    return seen


def typical_raw(raw: np.ndarray, lengths, evidence) -> np.ndarray:
    """Per feature, the median of the fitted entities' own values (``raw``, before the
    evidence shrinkage) where the shrinkage moves the feature, over the entities whose
    value rests on at least ``_OWN_MIN`` observations; NaN for the other features, where
    no entity has as many, and everywhere with shrinkage off: what a reason says is
    typical of a shrunk feature where the detector's typical value is a median (see
    :func:`_overall`). Kept by the pipeline as ``_typical_raw``; reasons only, never the
    scores."""
    seen = observed(evidence).enough(lengths, raw)
    cols = [j for j in raw_median_columns(evidence) if seen[:, j].any()]
    return typical_raw_from(evidence, {j: np.median(raw[seen[:, j], j]) for j in cols})


def typical_raw_from(evidence, medians: dict) -> np.ndarray:
    """:func:`typical_raw` from ``medians`` ({column: its raw median}; oddseq.dask takes
    them over its partitions)."""
    out = np.full(len(evidence.kinds_), np.nan)
    for j, median in medians.items():
        out[j] = float(median)
    return out


def raw_median_columns(evidence) -> list[int]:
    """The columns whose raw median :func:`typical_raw` keeps: those the evidence
    shrinkage moves (none where it is off)."""
    if evidence.prior <= 0:
        return []
    return [int(j) for j in np.flatnonzero(evidence.kinds_)]


def enough_counts(state, shrinkers):
    """oddseq.dask's partition of ``state``: per shrinker (an :class:`EvidenceShrinker`,
    :func:`observed`), its entities with enough observations of each feature, stacked;
    None for a partition without sequences."""
    if state["seqs"] is None:
        return None
    lengths, raw = state["lengths"], state["raw"]
    return np.stack([s.enough(lengths, raw).sum(axis=0).astype(np.int64) for s in shrinkers])


def joined_values(state, parts):
    """oddseq.dask: the value lists of ``parts`` (functions of a partition's state that
    return lists of arrays, one per column) one after the other."""
    return [values for part in parts for values in part(state)]


def kmeans_member(pipeline):
    """The pipeline's K-means detector (itself, or the ensemble's member), else None."""
    from .detect import KMeansDetector

    found = [d for _, d in _members(pipeline) if isinstance(d, KMeansDetector)]
    return found[0] if found else None


def typical_like(pipeline, X, raw, lengths):
    """Per cluster of the pipeline's K-means (:func:`kmeans_member`) and feature, the
    median of the own values (``raw``) of the fitted entities whose nearest centre it is
    (``cluster_of``; for a feature the evidence shrinkage moves, over those whose value
    rests on ``_OWN_MIN`` observations); NaN where none is: what "entities like it
    have" says (see :func:`_like_overall`). None without K-means. Kept by the pipeline
    as ``_typical_like``; reasons only, never the scores."""
    det = kmeans_member(pipeline)
    if det is None:
        return None
    labels = np.asarray(det.cluster_of(X), dtype=np.int64)
    seen = _seen_columns(getattr(pipeline, "evidence_", None), lengths, raw)
    k = det.kmeans_.cluster_centers_.shape[0]
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    # Each cluster's rows gathered once; the columns every member counts toward (those
    # the shrinkage leaves alone) take their medians in one call.
    every = seen.all(axis=0)
    medians = {}
    for c in range(k):
        mine = order[bounds[c] : bounds[c + 1]]
        if not mine.size:
            continue
        block, seen_block = raw[mine], seen[mine]
        whole = np.flatnonzero(every)
        for j, median in zip(whole.tolist(), np.median(block[:, whole], axis=0).tolist()):
            medians[(c, j)] = median
        for j in np.flatnonzero(~every).tolist():
            values = block[seen_block[:, j], j]
            if values.size:
                medians[(c, j)] = np.median(values)
    return typical_like_from(k, raw.shape[1], medians)


def typical_like_from(k: int, d: int, medians: dict) -> np.ndarray:
    """:func:`typical_like` from ``medians`` ({(cluster, column): median}; oddseq.dask
    takes them over its partitions)."""
    out = np.full((k, d), np.nan)
    for (c, j), median in medians.items():
        out[c, j] = float(median)
    return out


def _seen_columns(evidence, lengths, raw) -> np.ndarray:
    """Per entity and feature, whether its own value counts toward a median of
    :func:`typical_like` (``evidence``: the pipeline's ``evidence_``): every one for the
    features the shrinkage leaves alone."""
    seen = np.ones((len(lengths), raw.shape[1]), dtype=bool)
    if evidence is not None:
        shrunk = np.flatnonzero(evidence.kinds_)
        seen[:, shrunk] = observed(evidence).enough(lengths, raw)[:, shrunk]
    return seen


def neighbour_member(pipeline):
    """The pipeline's detector where it is a neighbour detector (KNN, LOF, DBSCAN),
    which explains a row against its nearest training rows (their mean on its log
    scale; one neighbour's shrunk value with KNN of one neighbour, normal-only "auto"),
    else None. (No pipeline's ensemble has a neighbour member: "auto"'s are K-means,
    PCA T^2 and robust z, and ``method`` names no other ensemble.)"""
    from .detect._neighbors import _NeighbourDetector

    det = getattr(pipeline, "detector_", None)
    return det if isinstance(det, _NeighbourDetector) else None


def like_rows(pipeline, raw, lengths):
    """The fitted entities' own values (``raw``, the detector's training rows in its
    order) that "entities like it have" of a neighbour detector
    (:func:`neighbour_member`) takes its medians over: NaN where the entity's value does
    not count (a feature the evidence shrinkage moves, resting on fewer than
    ``_OWN_MIN`` observations, as :func:`typical_like`); None for other detectors. Kept
    by the pipeline as ``_like_rows``; reasons only, never the scores."""
    if neighbour_member(pipeline) is None:
        return None
    return masked_own_values(getattr(pipeline, "evidence_", None), raw, lengths)


def masked_own_values(evidence, raw, lengths) -> np.ndarray:
    """``raw`` with NaN where an entity's own value does not count toward a median of
    "entities like it have" (see :func:`_seen_columns`)."""
    out = np.array(raw, copy=True)
    out[~_seen_columns(evidence, lengths, raw)] = np.nan
    return out


def neighbour_medians(values) -> np.ndarray:
    """The median along the last axis of ``values`` (each row's neighbours' own values,
    NaN where one does not count) as float64, NaN where none counts: the mean of the two
    middle values for an even count. The one formula of one machine, the stream and
    oddseq.dask, so the three say the same bits."""
    values = np.sort(np.asarray(values, dtype=np.float64), axis=-1)  # NaN last
    count = np.sum(~np.isnan(values), axis=-1)
    lo = np.take_along_axis(values, np.maximum(count - 1, 0)[..., None] // 2, axis=-1)[..., 0]
    hi = np.take_along_axis(
        values, np.minimum(count // 2, values.shape[-1] - 1)[..., None], axis=-1
    )
    out = (lo + hi[..., 0]) / 2
    out[count == 0] = np.nan
    return out


def with_like_medians(pipeline, medians):
    """oddseq.dask's table pass: a copy of ``pipeline`` whose neighbour reasons read the
    partition's rows' neighbour medians (``medians``, rows x features, gathered with
    the neighbours' means) in place of finding the neighbours again."""
    import copy

    pipeline = copy.copy(pipeline)
    pipeline._like_medians_at = medians
    return pipeline


def _like_neighbours(
    pipeline, rows, raw, lengths, cols, value, typical, whose, agrees, chosen=None
) -> tuple:
    """(positions, medians) of the named features whose "entities like it have" a reason
    of a neighbour detector (KNN, LOF, DBSCAN) says as the median of the own values of
    the neighbours the row is explained against, not their mean: the mean is taken on
    the detector's log scale (log1p of the evidence-shrunk features), a value none of
    them has (H2 s26 of K-means' centres; H7 s26, KNN on make_ecommerce: "purchases per
    cart 27 'buy' with no 'cart' (entities like it have 6.57)" where the neighbours'
    median is 12); with one neighbour (normal-only "auto"), that neighbour's own value,
    not its shrunk one. Each finite median of a feature on the side the detector scored
    (:func:`_said_medians` tells those the reason says from those it leaves out). The
    neighbours are those of the detector's
    explain: ``chosen`` (the rows it chose for each row of ``raw``, which
    :func:`oddseq.detect._neighbors.explained_with_rows` returns with the table to the
    reasons' caller: no scaling again), else fit's for training rows, else found again
    from ``raw`` (:meth:`_explaining_rows`); oddseq.dask's table pass gives the medians
    gathered with the neighbours' means (``_like_medians_at``)."""
    none = (np.zeros(0, np.int64), np.zeros(0))
    det = neighbour_member(pipeline)
    kept = getattr(pipeline, "_like_rows", None)
    given = getattr(pipeline, "_like_medians_at", None)
    if det is None or (kept is None and given is None) or raw is None or agrees is None:
        return none
    if len(cols) == 0 or rows is None:
        return none
    whose = np.asarray(whose, dtype=object)
    like = np.flatnonzero(_said_like(whose) & np.asarray(agrees, bool))
    if not like.size:
        return none
    at = np.asarray(rows, dtype=np.int64)[like]
    cols = np.asarray(cols, dtype=np.int64)[like]
    if given is not None:
        median = np.asarray(given, dtype=np.float64)[at, cols]
    else:
        if chosen is not None and len(chosen) == len(raw):
            neighbours = np.asarray(chosen)[at].astype(np.int64)
        else:
            unique, first, inverse = np.unique(at, return_index=True, return_inverse=True)
            X = pipeline._scaled(np.asarray(raw)[unique], np.asarray(lengths)[like][first])
            neighbours = det._explaining_rows(X, unique)[inverse]
        median = neighbour_medians(np.asarray(kept)[neighbours, cols[:, None]])
    known = np.isfinite(median)
    return like[known], median[known]


def _like_overall(
    pipeline, rows, raw, lengths, cols, value, typical, whose, agrees, clusters=None
) -> tuple:
    """(positions, medians) of the named features whose "entities like it have" a reason
    says as the median of the own values of the entities of the K-means reference
    cluster (``_typical_like``), not the centre: a K-means centre is the members' mean
    on the detector's log scale, far from what they have ("count[fav] 0 (entities like
    it have 0.646)" where the members' median is 1; H2 s26: 11,910 of 12,000 named
    K-means features of make_ecommerce said another value than their members'
    median). Each finite median of a feature on the side the detector scored, as
    :func:`_overall`. ``rows``: each named feature's row of ``raw``; ``lengths``: each
    named feature's entity's length; ``clusters``: each one's reference cluster where
    the explanation says it (a K-means explanation's ``cluster``, NaN elsewhere), else
    it is found again from ``raw`` (the stream's C++ explanation)."""
    kept = getattr(pipeline, "_typical_like", None)
    none = (np.zeros(0, np.int64), np.zeros(0))
    det = kmeans_member(pipeline) if kept is not None else None
    if det is None or raw is None or agrees is None or len(cols) == 0:
        return none
    whose = np.asarray(whose, dtype=object)
    like = np.flatnonzero(_said_like(whose) & np.asarray(agrees, bool))
    if not like.size:
        return none
    if clusters is not None:
        like = like[np.isfinite(np.asarray(clusters, dtype=np.float64)[like])]
        reference = np.asarray(clusters, dtype=np.float64)[like].astype(np.int64)
    else:
        rows = np.asarray(rows, dtype=np.int64)[like]
        unique, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
        X = pipeline._scaled(np.asarray(raw)[unique], np.asarray(lengths)[like][first])
        reference = det._scores_and_reference(X)[1][inverse]
    cols = np.asarray(cols, dtype=np.int64)[like]
    median = np.asarray(kept, dtype=np.float64)[reference, cols]
    known = np.isfinite(median)
    return like[known], median[known]


def _on_the_side(
    pipeline, cols, value, typical, median, value_texts=None, median_texts=None
) -> np.ndarray:
    """Per named feature, whether ``median`` (finite) lies on the same side of ``value``
    as ``typical`` and reads apart from the value: where a reason says it. Elsewhere
    the value is that median's, or on its other side: the detector's centre (a shrunk
    column's median, a mean on the log scale) put it apart, not the entity.
    ``value_texts``, ``median_texts``: the two as :func:`feature_texts` writes them,
    where the caller has them (each written once per table: H11 s27)."""
    value = np.asarray(value, dtype=np.float64)
    typical = np.asarray(typical, dtype=np.float64)
    median = np.asarray(median, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        side_raw = np.where(_close(value, median), 0.0, np.sign(value - median))
        side_typical = np.where(_close(value, typical), 0.0, np.sign(value - typical))
    mine = np.flatnonzero(np.isfinite(median) & (side_raw == side_typical) & (side_raw != 0))
    names = pipeline.feature_names_
    cols = np.asarray(cols, dtype=np.int64)
    if median_texts is None:
        median_texts = feature_texts(names, cols[mine], median[mine])
    else:
        median_texts = np.asarray(median_texts, dtype=object)[mine]
    if value_texts is None:
        value_texts = feature_texts(names, cols[mine], value[mine])
    else:
        value_texts = np.asarray(value_texts, dtype=object)[mine]
    apart = median_texts != value_texts
    out = np.zeros(len(value), dtype=bool)
    out[mine[apart]] = True
    return out


def _unobserved(pipeline, cols, lengths, raw, rows) -> np.ndarray:
    """Per named feature (``cols``) of an entity of ``lengths`` events, whether the
    entity has no observation of it, so that the evidence shrinkage put the population's
    value in its place: the gaps of a one-event entity, the spread of the gaps of a
    two-event one (a spread of one gap is 0 by construction). Its own value is no
    reason: "spread of time between events 0 s (expected 1.27 min)" read as a regular
    rhythm (REES46, a two-visit user at rank 2 under method="pca", trial s41); nor are
    the value statistics of an entity none of whose events has a value (``raw``: the
    entities' features before the shrinkage, ``rows``: each named feature's entity)."""
    evidence = getattr(pipeline, "evidence_", None)
    cols = np.asarray(cols, dtype=np.int64)
    itemless = _itemless(pipeline, cols, raw, rows)
    if evidence is None or evidence.prior <= 0 or not cols.size:
        return itemless
    kinds = np.asarray(evidence.kinds_)[cols]
    share = evidence.valued_share(raw, rows)
    seen = evidence._observations(np.asarray(lengths), share)[np.arange(cols.size), kinds]
    return itemless | ((kinds != 0) & (seen == 0))


# Features that mark an entity only above their typical value: the largest crowd on one
# of its items in one hour against the item's usual (a crowd on a private object is the
# mark of stuffing and rings); below it, its busiest hour there was quieter than usual,
# which marks nothing ("crowd on one item in an hour, times the item's usual 0.308
# (typical 1.5)" among a phone upgrader's reasons, TR s60 L2).
_MARKS_ABOVE_ONLY = ("crowd_peak",)


def _below_a_mark(pipeline, cols, value, typical) -> np.ndarray:
    """Per named feature (``cols``, the entity's ``value`` against ``typical``, the
    data's units), whether it is one of ``_MARKS_ABOVE_ONLY`` below its typical value:
    no reason."""
    cols = np.asarray(cols, dtype=np.int64)
    names = np.asarray([str(name) for name in pipeline.feature_names_], dtype=object)
    if not cols.size:
        return np.zeros(0, dtype=bool)
    marks = np.isin(names[cols], _MARKS_ABOVE_ONLY)
    below = np.asarray(value, dtype=np.float64) < np.asarray(typical, dtype=np.float64)
    return marks & below


# The item variety and repeats, and the category variety, of an entity none of whose
# events has an item (of a known category): 0 by construction, no observation. A ride
# log's fare scrapers (hundreds of quotes, no ride, so no driver) read "share of events
# repeating the previous item 0 (typical 0.75); item variety in bits 0" where their quotes
# were the story (TR s60 M1). Keyed by the count that says there was none.
_OBSERVED_WITH = {
    "n_items": (
        "distinct_item_ratio",
        "item_entropy_bits",
        "top_item_share",
        "repeat_previous_item_share",
    ),
    "n_categories": (
        "distinct_category_ratio",
        "category_entropy_bits",
        "new_category_share_last_session",
    ),
}


def _itemless(pipeline, cols, raw, rows) -> np.ndarray:
    """Per named feature (``cols``, of the entities ``rows`` of ``raw``, the features
    before the shrinkage), whether it reads the items (or their categories) of an
    entity that has none: ``_OBSERVED_WITH``."""
    cols = np.asarray(cols, dtype=np.int64)
    out = np.zeros(cols.size, dtype=bool)
    names = [str(name) for name in pipeline.feature_names_]
    if raw is None or not cols.size:
        return out
    named = np.asarray(names, dtype=object)[cols]
    rows = np.asarray(rows, dtype=np.int64)
    for count, features in _OBSERVED_WITH.items():
        if count not in names:
            continue
        at = np.flatnonzero(np.isin(named, features))
        if at.size:
            out[at] = np.asarray(raw)[rows[at], names.index(count)] == 0
    # A repeat share of 0 on one distinct item is one event with an item: no pair to
    # repeat (several on one item repeat it every time). Review RV s60 M3: riders of one
    # ride's driver event led with "share of events repeating the previous item 0".
    if "n_items" in names:
        at = np.flatnonzero(named == "repeat_previous_item_share")
        if at.size:
            raw = np.asarray(raw)
            one = raw[rows[at], names.index("n_items")] == 1
            out[at] |= one & (raw[rows[at], cols[at]] == 0)
    return out


def _shrunk_columns(pipeline, cols) -> np.ndarray:
    """Per named feature (``cols``), whether the evidence shrinkage moves it: PCA T^2's
    mean of such a feature is that of values pulled toward the population, on the log
    scale, which "log-scale average" does not tell a reader (H7 s26: "time from first
    to last event 9.1 min (log-scale average 17.3 min)" where the entities' median lies
    under 9.1 min); said "expected", what the model expects, where no median of the
    entities' own values can be said (:func:`_overall`)."""
    evidence = getattr(pipeline, "evidence_", None)
    cols = np.asarray(cols, dtype=np.int64)
    if evidence is None or evidence.prior <= 0 or not cols.size:
        return np.zeros(cols.size, dtype=bool)
    return np.asarray(evidence.kinds_)[cols] != 0


def _overall(pipeline, cols, value, typical, whose, agrees) -> tuple:
    """(positions, medians) of the named features whose typical value a reason says as
    the median of the fitted entities' own values, not the detector's population
    centre (where that median is known and the value lies on the side the detector
    scored, ``agrees``; :func:`_said_medians` tells those it says from those it leaves
    out):

    - a feature the evidence shrinkage moves, explained by a median ("typical"; robust
      z, ECOD, isolation forest): the detector's median is that of the shrunk column,
      a value of no entity ("purchases per cart 23 (typical 0.237)" where most users
      have 0; #14, session 25's reasons hunt); the median is ``_typical_raw``'s;
    - PCA T^2's "log-scale average", the mean of the log-scaled column (of every
      feature; H7 s26 for the shrunk ones, "purchases per cart 27 (log-scale average
      0.306)" where most users have 0; H1 s27 for the others, "count[pv] 3 (log-scale
      average 10.1)", jargon to an analyst): T^2's centre is a location of the whole
      population, whose median says it in the data's units, "typical". For a feature
      the shrinkage leaves alone, that median is the ensemble's robust z member's (the
      training median of the scaled column, which the scalers, keeping the order of
      the entities' values, map back to the median of their own); not where it says
      "most entities have none" (:func:`whose_said`), which is plain already.

    PCA's SPE ("expected") is a prediction from the row's other features, a
    conditional expectation that no population median replaces; K-means' and the
    neighbours' "entities like it have" take their own medians (:func:`_like_overall`,
    :func:`_like_neighbours`). A model without ``_typical_raw`` (saved before it was
    kept) says the detector's words for the shrunk features."""
    none = (np.zeros(0, np.int64), np.zeros(0))
    if agrees is None or len(cols) == 0:
        return none
    cols = np.asarray(cols, dtype=np.int64)
    whose = np.asarray(whose, dtype=object)
    mean = whose == _MEAN
    # (where whose_said says most entities have none: said alone, plain already)
    mean &= ~_none_below(pipeline, cols, typical)
    at = np.flatnonzero(((whose == _MEDIAN) | mean) & np.asarray(agrees, dtype=bool))
    median = _population_medians(pipeline, cols[at], mean[at])
    known = np.isfinite(median)
    return at[known], median[known]


def _population_medians(pipeline, cols, unshrunk_too) -> np.ndarray:
    """Per named feature (``cols``), the median of the fitted entities' own values in
    the data's units: ``_typical_raw``'s for a feature the evidence shrinkage moves
    (NaN where the model keeps none); where ``unshrunk_too``, for the others the
    robust z member's training median mapped back (see :func:`_overall`); NaN
    elsewhere."""
    cols = np.asarray(cols, dtype=np.int64)
    out = np.full(cols.size, np.nan)
    shrunk = _shrunk_columns(pipeline, cols)
    kept = getattr(pipeline, "_typical_raw", None)
    if kept is not None and shrunk.any():
        out[shrunk] = np.asarray(kept, dtype=np.float64)[cols[shrunk]]
    plain = np.flatnonzero(~shrunk & np.asarray(unshrunk_too, dtype=bool))
    robust = _robust_member(pipeline)
    if robust is not None and plain.size:
        scaled = np.asarray(robust.median_, dtype=np.float64)[cols[plain]]
        low, high = pipeline._raw_range
        out[plain] = np.clip(
            _unscaled(pipeline, scaled, cols[plain]), low[cols[plain]], high[cols[plain]]
        )
    return out


def _robust_member(pipeline):
    """The pipeline's robust z detector (itself, or the ensemble's member), else None."""
    from .detect import RobustZDetector

    found = [d for _, d in _members(pipeline) if isinstance(d, RobustZDetector)]
    return found[0] if found else None


def _said_medians(
    pipeline,
    cols,
    value,
    typical,
    whose,
    agrees,
    rows,
    raw,
    lengths,
    clusters,
    value_texts=None,
    chosen=None,
) -> tuple:
    """(positions, medians, said, texts) of the named features whose typical value is said as
    a median of entities' own values in place of the detector's centre: the
    population's (:func:`_overall`), the K-means reference cluster's
    (:func:`_like_overall`) or the neighbours' (:func:`_like_neighbours`). ``said``:
    where the value lies apart from that median on the side the detector scored, so a
    reason names the feature; elsewhere the entity's value is that median's, or on its
    other side, and what put it apart is the detector's centre (a shrunk column's
    median, a mean on the log scale), not the entity: a reason leaves it out, as it
    leaves out item variety typical of its length ("purchases per view 0 (typical
    0.0149)" where most users have 0: 513 robust z and 977 ECOD phrases of
    make_ecommerce, H2 s26; "count[fav] 0 (entities like it have 0.315)" where the
    cluster's median is 0), and explain's ``typical_said`` says the median. ``texts``:
    the medians as :func:`feature_texts` writes them (written once, for both);
    ``value_texts``: ``value`` so written, where the caller has it; ``chosen``: the
    training rows each row of ``raw`` was explained against, where the caller has them
    (:func:`_like_neighbours`)."""
    parts = [
        _overall(pipeline, cols, value, typical, whose, agrees),
        _like_overall(pipeline, rows, raw, lengths, cols, value, typical, whose, agrees, clusters),
        _like_neighbours(pipeline, rows, raw, lengths, cols, value, typical, whose, agrees, chosen),
    ]
    at = np.concatenate([p[0] for p in parts]).astype(np.int64)
    median = np.concatenate([p[1] for p in parts]).astype(np.float64)
    if not at.size:
        return at, median, np.zeros(0, dtype=bool), np.zeros(0, dtype=object)
    cols = np.asarray(cols, dtype=np.int64)[at]
    texts = feature_texts(pipeline.feature_names_, cols, median)
    said = _on_the_side(
        pipeline,
        cols,
        np.asarray(value, dtype=np.float64)[at],
        np.asarray(typical, dtype=np.float64)[at],
        median,
        None if value_texts is None else np.asarray(value_texts, dtype=object)[at],
        texts,
    )
    return at, median, said, texts


def _typical_words(
    pipeline,
    cols,
    value,
    typical,
    lengths,
    expected,
    whose=None,
    agrees=None,
    rows=None,
    raw=None,
    clusters=None,
    chosen=None,
) -> tuple:
    """(the typical value's words, explain's note) per named feature: see
    :func:`_typical_words_left`."""
    return _typical_words_left(
        pipeline,
        cols,
        value,
        typical,
        lengths,
        expected,
        whose,
        agrees,
        rows,
        raw,
        clusters,
        chosen=chosen,
    )[:2]


def _typical_words_left(
    pipeline,
    cols,
    value,
    typical,
    lengths,
    expected,
    whose=None,
    agrees=None,
    rows=None,
    raw=None,
    clusters=None,
    value_texts=None,
    chosen=None,
) -> tuple:
    """(the typical value's words, explain's note, left out) per named feature:
    ``whose`` (the words of :func:`typical_words_of`, default "typical") and
    ``expected``; where the value lies on the side the detector scored (``agrees``),
    "typical" says the median of the entities' own values in place of a detector's
    population centre (a shrunk feature's median, PCA T^2's mean: see
    :func:`_overall`), and "entities like it have" the median of the own values of the
    K-means reference cluster's entities (with ``rows`` of ``raw``, and the
    explanation's ``clusters`` where it has them: see :func:`_like_overall`) or of the
    neighbours (:func:`_like_neighbours`); ``left out``: where the value is that
    median's or on its other side, which a reason does not name (:func:`_said_medians`);
    PCA T^2's mean of a shrunk feature with no such median is "expected"; for the
    features of :func:`like_length_columns`, the typical value of entities with about as
    many events ("typical 41 s with 3 events") where the model keeps it; where that lies
    on the other side of the value than the detector's typical value (which drove the
    score), both ("typical 29 min overall, 41 s with 3 events"; "log-scale average 29
    min; typical 41 s with 3 events"); a count PCA T^2 expects under sqrt(2) - 1 as
    "most entities have none". ``value_texts``: ``value`` as :func:`feature_texts` writes
    it, where the caller has it (not written again); ``chosen``: the training rows each
    row of ``raw`` was explained against, where the caller has them
    (:func:`_like_neighbours`)."""
    words = _typical_parts(
        pipeline,
        cols,
        value,
        typical,
        lengths,
        expected,
        whose,
        agrees,
        rows,
        raw,
        clusters,
        value_texts,
        chosen,
    )
    words_of, notes = words.at(pipeline)
    return words_of, notes, words.left


class _Words(NamedTuple):
    """What :func:`_typical_words_left` says of the named features before it writes
    their words (:meth:`at` writes them, for all or some): ``said``, the words before
    each typical value (:func:`whose_said`'s); ``whose``, those words before "most
    entities have none" replaced them; ``expected``, the typical values' texts;
    ``left``, which a reason leaves out; and of the features with a typical value of
    like length (positions ``like_at``): their columns, bands, medians and whether the
    value lies on the scored side of it (``same``)."""

    said: np.ndarray
    whose: np.ndarray
    expected: np.ndarray
    left: np.ndarray
    like_at: np.ndarray
    like_cols: np.ndarray
    bands: np.ndarray
    like: np.ndarray
    same: np.ndarray

    def alone(self) -> np.ndarray:
        """Per named feature, whether its words are said alone ("most entities have
        none"): not where the typical value of like length is said."""
        out = _said_alone(self.said)
        out[self.like_at] = False
        return out

    def at(self, pipeline, positions=None, notes=True) -> tuple:
        """(the typical value's words, explain's note, None without ``notes``) of the
        named features at ``positions`` (all of them by default)."""
        if positions is None:
            positions = np.arange(len(self.expected))
        positions = np.asarray(positions, dtype=np.int64)
        expected = self.expected[positions]
        words_of = typical_phrases(self.said[positions], expected)
        notes = text_array(len(positions), "") if notes else None
        if not self.like_at.size or not positions.size:
            return words_of, notes
        # each position's row of the like-length arrays, -1 for none
        which = np.full(len(self.expected), -1, dtype=np.int64)
        which[self.like_at] = np.arange(self.like_at.size)
        which = which[positions]
        mine = np.flatnonzero(which >= 0)
        if not mine.size:
            return words_of, notes
        k = which[mine]
        texts = feature_texts(pipeline.feature_names_, self.like_cols[k], self.like[k])
        words = texts + " with " + _BAND_LABELS_FROM[self.bands[k] + 1]
        said = _MEDIAN + " " + words
        if notes is not None:
            notes[mine] = said
        same = self.same[k]
        whose = self.whose[positions[mine]]
        median = ~same & (whose == _MEDIAN)
        other = ~same & ~median
        words_of[mine[same]] = said[same]
        words_of[mine[median]] = (
            _MEDIAN + " " + expected[mine[median]] + " overall, " + words[median]
        )
        words_of[mine[other]] = (
            whose[other] + " " + expected[mine[other]] + "; " + _MEDIAN + " " + words[other]
        )
        return words_of, notes


def _typical_parts(
    pipeline,
    cols,
    value,
    typical,
    lengths,
    expected,
    whose=None,
    agrees=None,
    rows=None,
    raw=None,
    clusters=None,
    value_texts=None,
    chosen=None,
    like_length=None,
) -> _Words:
    """:func:`_typical_words_left`'s findings, its words not yet written (:class:`_Words`);
    ``like_length``: :func:`_like_length` of the features, where the caller has it."""
    expected = np.asarray(expected, dtype=object)
    whose = text_array(len(expected), _MEDIAN) if whose is None else whose
    whose = np.array(whose, dtype=object)
    at, median, said, median_texts = _said_medians(
        pipeline,
        cols,
        value,
        typical,
        whose,
        agrees,
        rows,
        raw,
        lengths,
        clusters,
        value_texts,
        chosen,
    )
    medians_said = whose.copy()
    # PCA T^2's mean of a shrunk feature: "expected" where no median of the entities'
    # own values is known, else said as that median
    medians_said[(whose == _MEAN) & _shrunk_columns(pipeline, cols)] = _PREDICTED
    medians_said[at[whose[at] == _MEAN]] = _MEDIAN
    left = np.zeros(len(expected), dtype=bool)
    if at.size:
        expected = expected.copy()
        expected[at] = median_texts
        left[at[~said]] = True
    # a count PCA T^2 expects under sqrt(2) - 1: most entities have none, said alone
    said_words = whose_said(pipeline, cols, typical, medians_said)
    if like_length is None:
        like_length = _like_length(pipeline, cols, value, typical, lengths)
    mine, bands, like, same = like_length
    # said against entities of like length, apart on the scored side
    left[mine[same]] = False
    return _Words(
        said_words,
        medians_said,
        expected,
        left,
        mine,
        np.asarray(cols, dtype=np.int64)[mine],
        bands,
        like,
        same,
    )


# Whose expectation a detector's typical value is, in the words a reason puts before it
# (H1 s15, finding 5: one table read "count[payee_add] 3 (typical 0)" beside "5
# (typical 0.181)", robust z's median and PCA T^2's mean, and normal-only "count[
# login_fail] 4 (typical 9)", fewer failed logins than its nearest normal entities had,
# which raises a neighbour detector's score). "typical" is a median over entities: the
# training median, or that of entities with about as many events.
_MEDIAN = "typical"
# PCA's T^2 expects the training mean of the log-scaled features (log1p): in the data's
# units the geometric mean of 1 + x, less 1, far under the plain mean where most
# entities have 0 ("value_max 1.25e+03 (typical 1.24)" read as an average of mostly
# empty values, H1 s15). Said "log-scale average" (H4 s16: "geometric mean 0.00891"
# read oddly for a count); for a count (whole, 0 or more) under sqrt(2) - 1, what it
# says: most entities have none (had half of them 1 or more, the mean of log1p would be
# at least log(2) / 2, its inverse sqrt(2) - 1).
_MEAN = "log-scale average"
_NONE = "most entities have none"
_NORMAL_NONE = "most normal entities have none"
_NONE_BELOW = math.sqrt(2.0) - 1.0
_PREDICTED = "expected"  # PCA's SPE: what the normal space predicts from the rest
_LIKE = "entities like it have"  # a K-means centre, the nearest entities' mean
_NORMAL_LIKE = "normal entities like it have"  # the same in normal-only fitting


def whose_said(pipeline, cols, typical, whose) -> np.ndarray:
    """The words before a typical value as a reason says them (explain's
    ``typical_words`` and the reasons' one source): ``whose`` (:func:`typical_words_of`),
    but "most entities have none" ("most normal entities have none" in normal-only
    fitting) for a count PCA T^2 expects under sqrt(2) - 1 (see ``_MEAN``), which a
    reason says in place of the value."""
    said = np.array(whose, dtype=object)
    at = np.flatnonzero((said == _MEAN) & _none_below(pipeline, cols, typical))
    if at.size:
        said[at] = _NORMAL_NONE if getattr(pipeline, "normal_", False) else _NONE
    return said


def _none_below(pipeline, cols, typical) -> np.ndarray:
    """Per named feature, whether it is a count whose typical value lies under sqrt(2)
    - 1: where PCA T^2's mean is that value, most entities have none (:func:`whose_said`)."""
    counts = np.array([_is_count(n) for n in pipeline.feature_names_], dtype=bool)
    cols = np.asarray(cols, dtype=np.int64)
    below = np.asarray(typical, dtype=np.float64) < _NONE_BELOW
    return below & counts[cols] if counts.size else below & False


def _said_alone(said) -> np.ndarray:
    """Per typical value's words, whether they are said alone (``SAID_ALONE``)."""
    said = np.asarray(said, dtype=object)
    return (said == _NONE) | (said == _NORMAL_NONE)


def _said_like(whose) -> np.ndarray:
    """Per typical value's words, whether they are a K-means centre's or neighbours'."""
    whose = np.asarray(whose, dtype=object)
    return (whose == _LIKE) | (whose == _NORMAL_LIKE)


def _length_bound(names) -> np.ndarray:
    """Per feature of ``names``, whether it is one of ``LENGTH_BOUND``."""
    return np.array([n in LENGTH_BOUND for n in names], dtype=bool)


#: Words said in place of the typical value, not before it.
SAID_ALONE = (_NONE, _NORMAL_NONE)


def typical_phrases(said, expected) -> np.ndarray:
    """The typical values with their words, as a reason (and plot_explanation's bars)
    say them: "log-scale average 0.42", "typical 3"; the words alone where they say it
    all ("most entities have none")."""
    said = np.asarray(said, dtype=object)
    out = said + " " + np.asarray(expected, dtype=object)
    alone = _said_alone(said)
    out[alone] = said[alone]
    return out


def _whose(detector, normal: bool) -> str:
    """The words before a detector's typical value (its ``_explain``'s ``typical``)."""
    from .detect import KMeansDetector, PCADetector
    from .detect._neighbors import _NeighbourDetector

    if isinstance(detector, (KMeansDetector, _NeighbourDetector)):
        return _NORMAL_LIKE if normal else _LIKE
    if isinstance(detector, PCADetector):
        return _MEAN if detector.statistic == "t2" else _PREDICTED
    return _MEDIAN  # robust z, ECOD, isolation forest: the training median


def _members(pipeline) -> list:
    """(name, detector) of the pipeline's detector: an ensemble's members, else itself."""
    detector = pipeline.detector_
    return list(getattr(detector, "detectors_", None) or [(None, detector)])


def typical_words_of(pipeline, explained: pd.DataFrame) -> np.ndarray:
    """Per row of a detector's explanation, the words before its typical value: by the
    ensemble member that explains the row (``explained["detector"]``), else as
    :func:`typical_words_at`."""
    normal = bool(getattr(pipeline, "normal_", False))
    members = _members(pipeline)
    if "detector" in explained and members[0][0] is not None:
        words = {name: _whose(member, normal) for name, member in members}
        # By comparison with each member's name (a few passes over the column, no
        # Python string per row: a million rows name four million features).
        detector = explained["detector"]
        out = text_array(len(detector), _MEDIAN)
        for name, said in words.items():
            out[(detector == name).to_numpy(dtype=bool, na_value=False)] = said
        return out
    cols = pd.Index(pipeline.feature_names_).get_indexer(explained["feature"].astype(object))
    rows = explained.index.get_level_values("row").to_numpy()
    return typical_words_at(pipeline, rows, cols, explained["typical"].to_numpy(np.float64))


def typical_words_by(pipeline, member) -> np.ndarray:
    """:func:`typical_words_of` of an explanation that says, per position, which member
    explains it by its index among the pipeline's detector's members (0 for one
    detector; -1, none: "typical"): the stream's C++ explanation."""
    normal = bool(getattr(pipeline, "normal_", False))
    words = np.array([_whose(d, normal) for _, d in _members(pipeline)] + [_MEDIAN], dtype=object)
    member = np.asarray(member, dtype=np.int64)
    return words[np.where(member >= 0, member, len(words) - 1)]


def typical_words_at(pipeline, rows, cols, typical) -> np.ndarray:
    """:func:`typical_words_of` of an explanation given as arrays (the stream's C++
    explanation, which does not say which ensemble member explains a row): a row whose
    typical values are all a member's fixed expectation (robust z's medians, PCA T^2's
    means) is that member's; the others are the one member without fixed expectations
    (K-means), else said as "typical"."""
    normal = bool(getattr(pipeline, "normal_", False))
    members = _members(pipeline)
    n = len(cols)
    kinds = {_whose(member, normal) for _, member in members}
    if len(kinds) == 1:
        return text_array(n, kinds.pop())
    rows = np.asarray(rows)
    cols = np.asarray(cols, dtype=np.int64)
    typical = np.asarray(typical, dtype=np.float64)
    out = text_array(n, _MEDIAN)
    said = np.zeros(n, dtype=bool)
    free = []
    for _, member in members:
        fixed = _fixed_expectation(member)
        if fixed is None:
            free.append(_whose(member, normal))
            continue
        equal = np.asarray(fixed, dtype=np.float64)[cols] == typical
        # every named feature of the row at the member's fixed values
        hit = ~np.isin(rows, rows[~equal]) & ~said
        out[hit], said[hit] = _whose(member, normal), True
    if len(set(free)) == 1:
        out[~said] = free[0]
    return out


def _fixed_expectation(detector):
    """A detector's typical value that is the same for every row (scaled units), or None."""
    from .detect import PCADetector, RobustZDetector

    if isinstance(detector, RobustZDetector):
        return detector.median_
    if isinstance(detector, PCADetector) and detector.statistic == "t2":
        return detector.mean_
    return None


def _like_length(pipeline, cols, value, typical, lengths) -> tuple:
    """(positions, bands, like-length medians, same side) of the named features that
    have a typical value of like length: ``same`` where the value lies on the same side
    of it as of the detector's ``typical``."""
    kept = getattr(pipeline, "_typical_by_length", None)
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool))
    if kept is None or len(cols) == 0:
        return none
    like_cols, medians = kept
    cols = np.asarray(cols, dtype=np.int64)
    which = np.searchsorted(like_cols, cols).clip(0, max(len(like_cols) - 1, 0))
    mine = np.flatnonzero((len(like_cols) > 0) & (like_cols[which] == cols))
    if mine.size == 0:
        return none
    bands = length_bands(np.asarray(lengths)[mine])
    like = medians[which[mine], bands]
    names = np.asarray(pipeline.feature_names_, dtype=object)
    short = np.asarray(lengths)[mine] <= _BOUND_UP_TO
    short_only = np.array([_short_only_name(n) for n in names], dtype=bool)[cols[mine]]
    has = np.isfinite(like) & (short | ~short_only)
    # (where it is the detector's typical value too, "with 3 events" adds nothing; nor
    # where it is 0 and the detector's under 1: 5 carts against "most entities have
    # none", as before)
    overall = np.asarray(typical, dtype=np.float64)[mine]
    has &= ~_close(like, overall) & ~((like == 0) & (np.abs(overall) < 1))
    mine, bands, like = mine[has], bands[has], like[has]
    value = np.asarray(value, dtype=np.float64)[mine]
    typical = np.asarray(typical, dtype=np.float64)[mine]
    side_like = np.where(_close(value, like), 0.0, np.sign(value - like))
    side_typical = np.where(_close(value, typical), 0.0, np.sign(value - typical))
    return mine, bands, like, (side_like == side_typical) & (side_like != 0)


def typical_of_length(pipeline, cols, value, typical, lengths, like_length=None) -> np.ndarray:
    """Per named feature, whether it is one of ``LENGTH_BOUND`` whose value is not away
    from the typical value of its length on the side the detector scored: a reason
    leaves it out (``like_length``: :func:`_like_length` of the features, where the
    caller has it)."""
    out = np.zeros(len(cols), dtype=bool)
    if like_length is None:
        like_length = _like_length(pipeline, cols, value, typical, lengths)
    mine, _, _, same = like_length
    if mine.size:
        names = np.asarray(pipeline.feature_names_, dtype=object)
        bound = _length_bound(names)[np.asarray(cols)[mine]]
        out[mine[bound & ~same]] = True
    return out


# DiversityEncoder's funnel ratios: (numerator role, denominator role). Each divides by
# max(denominator, 1), so where the entity never did the denominator its value is the
# numerator's count, which "buy_per_view 149" would say as 149 purchases per view.
_FUNNEL_RATIOS = {
    "cart_per_view": ("cart", "view"),
    "fav_per_view": ("fav", "view"),
    "buy_per_view": ("buy", "view"),
    "buy_per_cart": ("buy", "cart"),
}
# How long an event label a funnel ratio's words quote.
_FUNNEL_LABEL = 24


# The value statistics of an entity none of whose events has a value: 0 to the
# detector, "none" to a reader ("largest value 0" read as an event of value 0).
_OF_VALUES = ("value_sum", "value_mean", "value_max", "value_std")
NO_VALUE = "none (no event has a value)"


def over_nothing(pipeline, rows, cols, value, raw, said) -> np.ndarray:
    """``said`` (the value texts of the named features), with each funnel ratio of at
    most 1 said as the counts it is, then the ratio: "0 of 11" (none of its 11 wins paid:
    a ratio of 0 reads as the many entities that never won, TR s47 H4), "11 of 20, 0.55";
    and where the entity never did the denominator, "149 'checkout' with no 'view'", "3
    'purchase' with no event read as cart". Where a count is not a column of ``raw``
    (pooled in ``count[<other>]``), as it was. The value statistics of an entity whose
    events carry no value (``share_value_missing`` 1) are said "none (no event has a
    value)", not 0."""
    said = np.asarray(said, dtype=object)
    names = list(pipeline.feature_names_)
    said = _without_values(names, rows, cols, raw, said)
    ratios = {names.index(r): roles for r, roles in _FUNNEL_RATIOS.items() if r in names}
    cols = np.asarray(cols, dtype=np.int64)
    if not ratios or not np.isin(cols, list(ratios)).any():
        return said
    funnel = _funnel_of(pipeline)
    if funnel is None:
        return said
    said = said.copy()
    rows = np.asarray(rows, dtype=np.int64)
    value = np.asarray(value, dtype=np.float64)
    for col, (top, bottom) in ratios.items():
        mine = np.flatnonzero(cols == col)
        if mine.size == 0 or top not in funnel:
            continue
        if bottom in funnel:
            column = f"count[{funnel[bottom]}]"
            if column not in names:
                continue
            below = np.asarray(raw)[rows[mine], names.index(column)]
            above = f"count[{funnel[top]}]"
            if above in names:  # "0 of 11" (a share; 30 favourites per 10 views: 3)
                counts = np.asarray(raw)[rows[mine], names.index(above)]
                share = (below > 0) & (counts <= below)
                # "11 of 20, 0.55" beside a typical ratio (review RV s48 L3); 0 is 0
                said[mine[share]] = distinct_texts(
                    lambda a, b: (
                        f"{a:,.0f} of {b:,.0f}" + (f", {_format_one('', a / b)}" if a else "")
                    ),
                    counts[share],
                    below[share],
                )
            mine = mine[below == 0]
            nothing = f"no '{shorten(str(funnel[bottom]), _FUNNEL_LABEL)}'"
        elif _zero_over_absent_roles(pipeline):
            continue  # (0 by construction: no cart in the funnel, nothing to say of it)
        else:
            nothing = f"no event read as {bottom}"
        label = shorten(str(funnel[top]), _FUNNEL_LABEL)
        mine = mine[np.isfinite(value[mine])]
        if mine.size:
            said[mine] = distinct_texts(
                lambda v, label=label, nothing=nothing: f"{v:,.0f} '{label}' with {nothing}",
                value[mine],
            )
    return said


def reason_names(pipeline, feature_names) -> np.ndarray:
    """:func:`reason_name` of each of ``feature_names``, the funnel ratios named by the
    log's own events where a role's event is no name of that role ("'pay_ok' per
    'auction_won'", not "purchases per cart": the funnel given as cart="auction_won",
    TR s47 H4); "purchases per cart" where the events are a shop's cart and buy."""
    names = np.asarray([reason_name(n) for n in feature_names], dtype=object)
    value = value_column(pipeline)
    if value is not None:
        for j, name in enumerate(feature_names):
            if name in _VALUE_WORDS:
                names[j] = _VALUE_WORDS[name].format(value)
            elif name == "change_value_log2":  # (RecentChangeEncoder's, in its words)
                names[j] = f"{CHANGE_PHRASE}: {value} per event"
    funnel = _funnel_of(pipeline)
    if not funnel:
        return names
    for j, name in enumerate(feature_names):
        roles = _FUNNEL_RATIOS.get(name)
        if roles is None or not all(r in funnel for r in roles):
            continue
        if all(_role_named(funnel_name_key(funnel[r]), r) for r in roles):
            continue
        top, bottom = (shorten(str(funnel[r]), _FUNNEL_LABEL) for r in roles)
        names[j] = f"'{top}' per '{bottom}'"
    return names


def _role_named(key, role: str) -> bool:
    """Whether an event name's funnel key (``funnel_name_key``) is one of ``role``'s
    names (a "cart" is a cart; an "auction_won" given as the cart is not)."""
    return key is not None and key in _FUNNEL_NAMES[role]


# The value features by the value column's name ("mean ms_played 33,200", not "mean value":
# the reader need not know which column the value was, TR s58 L8), where the fit recorded
# one (value_column); FEATURE_WORDS' words elsewhere.
_VALUE_WORDS = {
    "value_sum": "total {0}",
    "value_mean": "mean {0}",
    "value_max": "largest {0}",
    "value_std": "spread of {0}",
    "share_value_missing": "share of events without {0}",
    "value_bought_sum": "total {0} bought",
}


def value_column(pipeline) -> str | None:
    """:func:`value_said` of the column a fitted pipeline read its values from; None
    also where the fit recorded no name (a model saved before it did, sequences built
    without one)."""
    columns = (getattr(pipeline, "_fitted_data", None) or {}).get("columns") or {}
    return value_said(columns.get("value"))


def value_said(name) -> str | None:
    """A value column's name as reasons say it (shortened like a context column's), or
    None where they say "value" instead: no name, the name "value" itself, or a name
    that is no text (a header-less CSV's column 0 said "mean 0 1,000": review RV s59
    M4)."""
    if not isinstance(name, str) or name.strip().casefold() in ("", "value"):
        return None
    return shorten(name.strip(), limit=_CONTEXT_COLUMN_LIMIT)


def _funnel_of(pipeline) -> dict | None:
    """The fitted funnel (``DiversityEncoder.funnel_``: role -> event), None without."""
    return next(
        (
            e.funnel_
            for _, e in getattr(getattr(pipeline, "encoder_", None), "encoders_", [])
            if hasattr(e, "funnel_")
        ),
        None,
    )


def _zero_over_absent_roles(pipeline) -> bool:
    """Whether the fitted funnel's ratios over a role it lacks are 0 (a model fitted
    since ``DiversityEncoder.ratios_over_roles_only_``), not the numerator's count."""
    return any(
        getattr(e, "ratios_over_roles_only_", False)
        for _, e in getattr(getattr(pipeline, "encoder_", None), "encoders_", [])
        if hasattr(e, "funnel_")
    )


def _ratio_of_nothing(pipeline, rows, cols, value, raw) -> np.ndarray:
    """Per named feature, whether it is a funnel ratio of an entity that did neither of
    its steps (0 over no denominator): no observation of the ratio, never a reason ("0
    'purchase' with no 'add_to_cart'" read as purchases without a cart, of a user with
    101 views and nothing else; trial s42)."""
    cols = np.asarray(cols, dtype=np.int64)
    out = np.zeros(cols.size, dtype=bool)
    names = list(pipeline.feature_names_)
    funnel = _funnel_of(pipeline)
    if funnel is None or raw is None or not cols.size:
        return out
    rows, value = np.asarray(rows, dtype=np.int64), np.asarray(value, dtype=np.float64)
    for ratio, (_, bottom) in _FUNNEL_RATIOS.items():
        column = f"count[{funnel.get(bottom)}]"
        if ratio not in names or bottom not in funnel or column not in names:
            continue
        mine = np.flatnonzero(cols == names.index(ratio))
        none = np.asarray(raw)[rows[mine], names.index(column)] == 0
        out[mine[none & (value[mine] == 0)]] = True
    return out


def _without_values(names, rows, cols, raw, said) -> np.ndarray:
    """``said`` with :data:`NO_VALUE` for the value statistics of rows without a value."""
    if "share_value_missing" not in names:
        return said
    of_values = [names.index(n) for n in _OF_VALUES if n in names]
    cols = np.asarray(cols, dtype=np.int64)
    mine = np.flatnonzero(np.isin(cols, of_values))
    if mine.size == 0:
        return said
    missing = np.asarray(raw)[
        np.asarray(rows, dtype=np.int64)[mine], names.index("share_value_missing")
    ]
    none = mine[missing >= 1.0]
    if none.size:
        said = said.copy()
        said[none] = NO_VALUE
    return said


def before_evidence(reason, words: str) -> str:
    """``reason`` with the recent-change facts ``words`` (RecentChangeEncoder's
    ``recent_facts``: "recent: 5 of 24 events buy ...") added at its end as a phrase of
    their own, "; recent change: 5 of 24 events buy ...", before the note of
    :func:`with_evidence` if it has one (not after "(rests on 4 events)", the note on
    the whole reason). In brackets after the last feature's phrase they read as that
    feature's facts: "mean value 245 (log-scale average 51.6) (recent: 5 of 24 events
    buy ...)" (H7 s26, make_ecommerce seed 242, recent_change=True: 551 of the 1,874
    reasons with the facts put them after another feature's phrase)."""
    reason = str(reason)
    note = re.search(r" \(rests on \d+ events?\)$", reason)
    at = len(reason) if note is None else note.start()
    words = str(words)
    words = words[len(_FACTS_START) :] if words.startswith(_FACTS_START) else words
    return f"{reason[:at]}; {CHANGE_FACTS}: {words}{reason[at:]}"


_FACTS_START = "recent: "  # how RecentChangeEncoder.recent_facts begins
#: The words before the recent-change facts in a reason (:func:`before_evidence`).
CHANGE_FACTS = "recent change"


def with_evidence(reasons: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reasons of entities with few events end with how many they rest on."""
    few = np.flatnonzero(lengths < _FEW_EVENTS)
    if few.size:
        reasons = reasons.astype(object, copy=True)
        # each count's note (a length under 1 has none), and each reason as str() says it
        notes = np.array(
            [""] + [f" (rests on {k} event{'s' if k > 1 else ''})" for k in range(1, _FEW_EVENTS)],
            dtype=object,
        )
        counts = np.clip(lengths[few], 0, _FEW_EVENTS - 1).astype(np.int64)
        reasons[few] = np.array(
            [f"{r}{n}" for r, n in zip(reasons[few].tolist(), notes[counts].tolist())],
            dtype=object,
        )
    return reasons


def in_units(pipeline, explained: pd.DataFrame, raw: np.ndarray, lengths: np.ndarray):
    """(rows, cols, value, typical, read, agrees) of a detector's explanation in the
    data's units, for the reasons and ``explain``: see :func:`units_at`."""
    names = pipeline.feature_names_
    rows = explained.index.get_level_values("row").to_numpy()
    feature = explained["feature"]
    if isinstance(feature.dtype, pd.CategoricalDtype) and feature.cat.categories.equals(
        pd.Index(names, dtype=object)
    ):
        cols = feature.cat.codes.to_numpy(np.int64)
    else:
        cols = pd.Index(names).get_indexer(feature.astype(object))
    typical = explained["typical"].to_numpy(np.float64)
    return units_at(pipeline, rows, cols, typical, raw, lengths)


def units_at(pipeline, rows, cols, typical, raw, lengths):
    """Each named feature of an explanation (its row of ``raw``, column and the
    detector's typical value in its scaled units) in the data's units: (rows, cols,
    value, typical, read, agrees). ``value`` is the entity's raw feature, ``typical``
    what the detector expected, mapped back through a fitted :class:`AnomalyPipeline`'s
    element-wise scalers; ``read`` the value the detector read (the evidence shrinkage
    pulls a rate of an entity with few events toward the population's median);
    ``agrees`` whether ``value`` lies on the side of ``typical`` that ``read`` does, so
    that "value (typical ...)" says the direction that drove the score. A short
    session's gap spread of 11.8 min, read as 4.0 min against a typical 4.99 min, does
    not: named so, the reason would say "above" where the detector scored "below"."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    # Only the (row, feature) pairs a reason names are mapped back (the scalers are
    # element-wise): a dense rows x features matrix was gigabytes with wide data.
    expected = _unscaled(pipeline, typical, cols)
    value = raw[rows, cols].astype(np.float64)
    share = pipeline.evidence_.valued_share(raw, rows)  # (a column: RV s53b H1)
    read = pipeline.evidence_.transform_at(value, np.asarray(lengths)[rows], cols, share)
    # A detector's expectation can fall outside what the feature ever takes (a PCA
    # reconstruction of a ratio below 0): say the nearest value that occurs.
    low, high = pipeline._raw_range
    typical = np.clip(expected, low[cols], high[cols])
    # Round-off in the scalers and float32 centres leaves "typical 2.8e-13 s" where
    # the expectation is the value itself: within a millionth, they are the same.
    same = _close(typical, value)
    typical = np.where(same, value, typical)
    # The side the detector scored: what it read against what it expected (before
    # the clipping, which can move the expectation past what it read).
    scored = np.where(_close(expected, read), 0.0, np.sign(read - expected))
    said = np.where(same, 0.0, np.sign(value - typical))
    return rows, cols, value, typical, read, (said == 0) | (said == scored)


def _unscaled(pipeline, scaled, cols) -> np.ndarray:
    """``scaled[i]`` (the detector's units) of feature ``cols[i]`` in the data's units,
    through the pipeline's element-wise scalers inverted (before any clipping)."""
    scaled = np.asarray(scaled, dtype=np.float64)
    cols = np.asarray(cols, dtype=np.int64)
    logged = pipeline.z_scaler_.inverse_transform_at(scaled, cols)
    # Zero up to round-off, relative to the feature's scale: typical x scale + mean
    # lands a few float32 ulps of its terms off 0 where the detector's typical is the
    # scaled value of 0 (a count no other entity has: "count[E1] 836 (typical 3.02e-08)").
    # 0 in the log scaler's space is 0 in the data's.
    z_scaler = pipeline.z_scaler_
    size = np.abs(scaled) * z_scaler.scale_[cols] + np.abs(z_scaler.mean_[cols])
    logged = np.where(np.abs(logged) <= _ROUND_OFF * size, 0.0, logged)
    return pipeline.log_scaler_.inverse_transform_at(logged, cols)


# Values within this share of their size are the same (round-off in the scalers and
# float32 matrices and centres, which carry about 7 significant digits).
_ROUND_OFF = 1e-6


def _close(a, b) -> np.ndarray:
    return np.abs(a - b) <= _ROUND_OFF * np.maximum(1.0, np.abs(b))


# RecentChangeEncoder's columns as a reason says them: the recent window against the
# entity's own past.
_CHANGE_WORDS = {
    "change_event_mix_bits": "event-mix divergence in bits",
    "change_top_type_lift_log2": "rise of one event type's share",
    "change_hour_rarity_bits": "rarity of its hours of day, in bits",
    "change_think_time_log2": "time between events",
    "change_silence_log2": "silence before it",
    "change_burst_size_log2": "events per session",
    "change_item_novelty": "change in share on new items",
    "change_value_log2": "value per event",
    "change_new_types_bits": "event types never used before, rarity in bits",
}


#: How a reason names CrowdEncoder's ``crowd_peak`` (:func:`with_facts` adds where).
CROWD_WORDS = "crowd on one item in an hour, times the item's usual"


def with_facts(reason, words: str, facts: str) -> str:
    """``reason`` with ``facts`` after the phrase that begins with ``words`` (a
    feature's name as :func:`reason_name` says it), before the next feature's phrase:
    where the crowd was (:meth:`CrowdEncoder.crowd_facts`: "55 entities on 45.0.15.153
    between 02:00 and 03:00 on 10 Mar 2025 (UTC), where 1 is usual"), or which value
    the entity shares (``sharing[<column>]``: "10 entities on country VN, where 8 is
    usual")."""
    reason = str(reason)
    at = reason.find(words)
    if at < 0 or not facts:
        return reason
    end = reason.find("; ", at)
    if end < 0:
        note = re.search(r" \(rests on \d+ events?\)$", reason)
        end = len(reason) if note is None else note.start()
    return f"{reason[:end]}: {facts}{reason[end:]}"


#: The words a reason says a count of an event type with where most entities, or the
#: entities like it (the K-means member's cluster, normal ones fitted normal-only), never
#: do that type: "(most entities have none)", "(entities like it have 0)".
RARE_COUNT_WORDS = r"\((?:most entities have none|(?:normal )?entities like it have 0)\)"
#: What :func:`with_count_shares` writes after such a count's phrase.
COUNT_SHARE_WORDS = r": [\d.]+% of its [\d,]+ events"
# A count of a type most entities never do is said with its share of the entity's events
# where it is at least _COUNT_SHARE_MIN and under _COUNT_SHARE_BELOW of them: a busy
# till's "count[refund_request] 33 (most entities have none)" read as refund fraud, and
# the account had made 428 purchases in 1,205 events (TR s63 H4), where a card tester's
# 39 declines are most of what it did (said as before).
_COUNT_SHARE_MIN, _COUNT_SHARE_BELOW = 5, 0.1
# (and normal-only fitting's "most normal entities have none")
_RARE_COUNT_AT = re.compile(
    r"(?:^|(?<=; ))count\[.+?\] ([\d,]+) "
    r"\((?:most (?:normal )?entities have none|(?:normal )?entities like it have 0)\)"
)


def with_count_shares(reasons, lengths) -> np.ndarray:
    """``reasons`` with each count of a type most entities never do followed by its share
    of the entity's events (``lengths``, one per reason), where that count is a small
    part of a busy history (see ``_COUNT_SHARE_BELOW``): "count[refund_request] 33 (most
    entities have none): 2.7% of its 1,205 events". Reasons of None are left as they
    are."""
    reasons = np.asarray(reasons, dtype=object).copy()
    lengths = np.asarray(lengths, dtype=np.int64)
    busy = lengths >= _COUNT_SHARE_MIN / _COUNT_SHARE_BELOW
    for at in np.flatnonzero(busy):
        reason = reasons[at]
        if reason is None or "count[" not in str(reason):
            continue
        n = int(lengths[at])

        def share(found, n=n):
            count = int(found.group(1).replace(",", ""))
            if count < _COUNT_SHARE_MIN or count >= _COUNT_SHARE_BELOW * n:
                return found.group(0)
            return f"{found.group(0)}: {100.0 * count / n:.2g}% of its {n:,} events"

        reasons[at] = _RARE_COUNT_AT.sub(share, str(reason))
    return reasons


# A reason made only of counts of rare types ("count[add_phone] 1 (most entities have
# none); count[change_email] 1 (most entities have none)") is followed by the count of
# another type the entity does at least _VOLUME_TIMES times as often as typical and
# _VOLUME_MIN times in all, where it has one: a social platform's takeovers, 94-238
# link DMs each (most of what they did), read word for word as the owners who changed
# a password (TR s66 M2); the detector's leading features were the one-offs, the DMs
# third or fourth, or none of its four where its components read them as activity.
_VOLUME_MIN, _VOLUME_TIMES = 10, 8
# (and normal-only fitting's "most normal entities have none")
_RARE_WORDS_ANY = r"\((?:most (?:normal )?entities have none|(?:normal )?entities like it have 0)\)"
_RARE_COUNT_ONLY = re.compile(rf"^count\[.+?\] ([\d,]+) {_RARE_WORDS_ANY}(?:{COUNT_SHARE_WORDS})?$")
#: The phrase :func:`with_volume` adds: a count, its typical value, its share of the events
#: (the warnings that read reasons made only of rare counts leave it out).
VOLUME_PHRASE = re.compile(r"^count\[.+?\] [\d,]+ \(.+\): [\d.]+% of its [\d,]+ events$")


def rare_counts_only(reasons, lengths) -> np.ndarray:
    """The positions of ``reasons`` made only of counts of event types most entities (or
    the entities like it) never do, each under ``_VOLUME_MIN`` (one-offs), of entities of
    at least ``_VOLUME_MIN`` events: those :func:`with_volume` reads. A rare count of
    ``_VOLUME_MIN`` or more says a volume itself: a card tester's "count[add_card] 49
    (most entities have none)" was said again as its volume, "count[add_card] 49 (most
    entities have none): 46% of its 107 events" (TR s68 M3)."""
    busy = np.flatnonzero(np.asarray(lengths) >= _VOLUME_MIN)
    # (those that say such a count at all, in one pass: a few of a million reasons)
    said = pd.Series(np.asarray(reasons, dtype=object)[busy], dtype=object)
    said = said.where(said.notna(), "").astype(str)
    busy = busy[said.str.contains(_RARE_WORDS_ANY, regex=True).to_numpy(bool)]
    out = [at for at in busy.tolist() if _one_offs_only(str(reasons[at]))]
    return np.asarray(out, dtype=np.int64)


def _one_offs_only(reason: str) -> bool:
    for part in reason.split("; "):
        said = _RARE_COUNT_ONLY.match(part)
        if said is None or int(said.group(1).replace(",", "")) >= _VOLUME_MIN:
            return False
    return True


def with_volume(pipeline, reasons, X, raw, lengths) -> np.ndarray:
    """``reasons`` (the batch table's, one per row of ``X``, the detector's matrix, and
    ``raw``) where made only of counts of rare types (:func:`rare_counts_only`),
    followed by the count the entity does far more often than typical (at least
    ``_VOLUME_TIMES`` times the typical value the detector read, ``_VOLUME_MIN`` in all;
    the largest such multiple), as a reason says a count, with its share of the
    entity's events: "...; count[dm_send] 173 (typical 0): 89% of its 195 events". The
    detector's whole explanation is read for those rows alone."""
    reasons = np.asarray(reasons, dtype=object)
    rows = rare_counts_only(reasons, lengths)
    if not rows.size:
        return reasons
    if neighbour_member(pipeline) is not None:
        # (a neighbour detector's explanation in oddseq.dask holds each row of its
        # partition's chosen neighbours: a subset of rows is no partition; left out on one
        # machine as well, for the same words)
        return reasons
    names = list(pipeline.feature_names_)
    counts = np.array([_is_count(n) and n != "count[<other>]" for n in names], dtype=bool)
    if not counts.any():
        return reasons
    part = X[rows]
    explained = pipeline.detector_.explain(part, top=len(names), feature_names=names)
    lengths = np.asarray(lengths)
    at, cols, value, typical, _, agrees = in_units(pipeline, explained, raw[rows], lengths[rows])
    loud = (
        counts[cols]
        & agrees
        & (value >= _VOLUME_MIN)
        & (value >= _VOLUME_TIMES * np.maximum(typical, 1.0))
    )
    if not loud.any():
        return reasons
    # each row's loudest: the largest multiple of its typical value
    times = value / np.maximum(typical, 1.0)
    picked = np.flatnonzero(loud)
    picked = picked[np.lexsort((-times[picked], at[picked]))]
    picked = picked[np.r_[True, at[picked][1:] != at[picked][:-1]]]
    one = explained.iloc[picked]
    said = feature_reasons(pipeline, one, raw[rows], lengths[rows])
    reasons = reasons.copy()
    for position, col in zip(at[picked].tolist(), cols[picked].tolist()):
        phrase = said[position]
        if not isinstance(phrase, str) or phrase.startswith(_LEADING):
            continue
        row = rows[position]
        n = int(lengths[row])
        share = 100.0 * round(float(raw[row, col])) / n
        # (whole percents from 10%: ".2g" wrote 99.7% as "1e+02%")
        said_share = f"{share:.0f}" if share >= 10 else f"{share:.2g}"
        reasons[row] = f"{reasons[row]}; {phrase}: {said_share}% of its {n:,} events"
    return reasons


def largest_value_events(seqs, rows) -> np.ndarray | None:
    """The event type of the largest value of each of ``seqs``' sequences at ``rows``
    (its label; the first such event among equal values), where the sequence's values
    lie on two event types or more; "" where they lie on one (the type says nothing then)
    or there is none. None where the sequences have no values or no event labels
    (``oddseq.dask`` reads them from each partition's events before its table). A column
    that holds every event's money (bets, deposits, withdrawals in one ``stake``) made
    "largest stake 6,000" read as a bet where it was the withdrawal of a bot whose
    largest bet was 399 (TR s62 M1)."""
    values, labels = getattr(seqs, "values", None), getattr(seqs, "event_labels", None)
    if values is None or labels is None:
        return None
    rows = np.asarray(rows, dtype=np.int64)
    offsets = np.asarray(seqs.offsets, dtype=np.int64)
    lengths = offsets[rows + 1] - offsets[rows]
    # Rows taken in parts of about _LARGEST_PART events: the pass holds some 40 bytes an
    # event (4 GB at 100 M), a part 160 MB.
    ends = np.cumsum(lengths)
    cuts = np.searchsorted(
        ends, np.arange(_LARGEST_PART, int(ends[-1]) if ends.size else 0, _LARGEST_PART)
    )
    bounds = distinct(np.r_[0, cuts + 1, rows.size].clip(0, rows.size))
    codes = np.concatenate(
        [np.full(0, -1, dtype=np.int64)]
        + [
            _largest_value_codes(seqs, offsets, rows[lo:hi], lengths[lo:hi])
            for lo, hi in zip(bounds[:-1], bounds[1:])
        ]
    )
    return value_event_names(labels, codes)


def value_event_names(labels, codes) -> np.ndarray:
    """The event types of ``codes`` (indices into ``labels``) as the reasons name them
    (shortened), "" where a code is -1: :func:`largest_value_events`' output, and the
    stream's from its entities' codes."""
    codes = np.asarray(codes, dtype=np.int64)
    out = np.full(codes.size, "", dtype=object)
    told = np.flatnonzero(codes >= 0)
    used, where = np.unique(codes[told], return_inverse=True)
    names = [shorten(str(labels[int(c)]), _FUNNEL_LABEL) for c in used]
    out[told] = np.asarray(names, dtype=object)[where] if told.size else []
    return out


# The events largest_value_events reads at a time (see there).
_LARGEST_PART = 1 << 22


def _largest_value_codes(seqs, offsets, rows, lengths) -> np.ndarray:
    """The event code of the largest value of each sequence at ``rows`` (``lengths``
    their events), where its valued events lie on two types or more; -1 elsewhere."""
    codes = np.full(rows.size, -1, dtype=np.int64)
    before = np.cumsum(lengths) - lengths
    at = np.repeat(offsets[rows] - before, lengths) + np.arange(int(lengths.sum()))
    row_of = np.repeat(np.arange(rows.size), lengths)
    v = np.asarray(seqs.values)[at].astype(np.float64, copy=False)
    valued = ~np.isnan(v)
    at, row_of, v = at[valued], row_of[valued], v[valued]
    if not at.size:
        return codes
    events = np.asarray(seqs.events)[at]
    # Each row's valued events lie together (row_of ascends): one pass per statistic.
    starts = np.flatnonzero(np.r_[True, row_of[1:] != row_of[:-1]])
    held = row_of[starts]  # the rows with a value
    several = np.minimum.reduceat(events, starts) != np.maximum.reduceat(events, starts)
    top = np.maximum.reduceat(v, starts)
    hit = np.flatnonzero(v == np.repeat(top, np.diff(np.r_[starts, v.size])))
    hit = hit[np.r_[True, row_of[hit][1:] != row_of[hit][:-1]]]  # each row's first
    named = several[np.searchsorted(held, row_of[hit])]
    codes[row_of[hit[named]]] = events[hit[named]]
    return codes


def with_largest_value_events(pipeline, reasons, rows, kinds) -> np.ndarray:
    """``reasons`` with the event type of the largest value (``kinds``, of the
    sequences at ``rows``: :func:`largest_value_events`) after the phrase that names
    it: "largest stake 6,000 (typical 25): on 'withdraw'"."""
    words = reason_names(pipeline, ["value_max"])[0] + " "
    # the phrase where it names a feature (the reason's start, or after "; "), not inside
    # another's words ("beyond the normal entities' range on largest price (...)", which
    # oddseq.dask's table holds already when it adds these)
    named = re.compile(r"(?:^|; )" + re.escape(words))
    reasons = np.asarray(reasons, dtype=object).copy()
    kinds = np.asarray(kinds, dtype=object)
    rows = np.asarray(rows, dtype=np.int64)
    for at in np.flatnonzero(kinds != ""):
        row = rows[at]
        found = named.search(str(reasons[row]))
        if found is not None:
            start = found.end() - len(words)
            head, tail = str(reasons[row])[:start], str(reasons[row])[start:]
            reasons[row] = head + with_facts(tail, words, f"on '{kinds[at]}'")
    return reasons


# Columns a reason names in words, not by the column's name (H1 s15: "share_value_missing
# 0.5 (typical 0.947)" in 1,765 reasons of one table, meaning more events with a value;
# H4 s16: every column the pipeline's encoders emit, test_reasons_feature_words). The
# counts per event type keep their "count[<type>]" (the type is the log's own label),
# RecentChangeEncoder's columns are said by _CHANGE_WORDS.
FEATURE_WORDS = {
    # CountTimingEncoder
    "length": "events",
    "duration_s": "time from first to last event",
    "gap_mean_s": "mean time between events",
    "gap_std_s": "spread of time between events",
    # DiversityEncoder: items and the funnel
    "n_items": "distinct items",
    "distinct_item_ratio": "distinct items per event",
    "item_entropy_bits": "item variety in bits",
    "top_item_share": "share of events on its most used item",
    # (over the events with an item: an event without one neither makes nor breaks a run)
    "repeat_previous_item_share": "share of events with an item repeating the previous one",
    "n_items_bought": "distinct items bought",
    "cart_per_view": "carts per view",
    "fav_per_view": "favourites per view",
    "buy_per_view": "purchases per view",
    "buy_per_cart": "purchases per cart",
    # values
    "value_sum": "total value",
    "value_mean": "mean value",
    "value_max": "largest value",
    "value_std": "spread of values",
    "share_value_missing": "share of events without a value",
    "value_bought_sum": "total value bought",
    # CrowdEncoder (the pipeline adds where the crowd was: with_facts)
    "crowd_peak": CROWD_WORDS,
    # item categories
    "n_categories": "distinct categories",
    "distinct_category_ratio": "distinct categories per event",
    "category_entropy_bits": "category variety in bits",
    "new_category_share_last_session": "last session's share on categories new to it",
}
# Counts of things (whole numbers, 0 or more): PCA T^2's expectation of one under
# sqrt(2) - 1 says most entities have none (see _MEAN).
_COUNTS = ("n_items", "n_items_bought", "n_categories")


# context_features' columns (encode/_context.py), "<kind>[<side column>]", in words.
_CONTEXT_NAME = re.compile(r"^(values|sharing|brief_share|brief_types)\[(.+)\]$")
_CONTEXT_WORDS = {
    "values": "distinct {0} values",
    "sharing": "entities on its most shared {0}, times {1} {0}'s usual",
    # (of the events with a value: a user's 2 bookings of 117 events carry a card, and
    # "0.5" read as half its activity, TR s64 L1)
    "brief_share": (
        "share of its events with {1} {0} that were on one of one day in a longer history"
    ),
    # (the pipeline adds the types after: "...: change_password, change_phone")
    "brief_types": "event types done only on {1} {0} of one day in a longer history, beyond chance",
}
# The most characters of a side column's name in a reason's words.
_CONTEXT_COLUMN_LIMIT = 40


def _article(word: str) -> str:
    """The article before a side column's name: "an" where it begins with a vowel ("an
    ip", "an email"), "a" before any other ("a device", "a user_agent"): "times a ip's
    usual" read as a slip (TR s48 L12)."""
    return "an" if str(word)[:1].lower() in ("a", "e", "i", "o") else "a"


def reason_name(name: str) -> str:
    """How a reason names the feature ``name`` (before its value): in words
    (``FEATURE_WORDS``, a RecentChangeEncoder column as the recent activity against the
    entity's past), an event type's count as ``count[<type>]`` in a short form, any other
    column (``entity_features``, the user's own) by its name.

    Examples
    --------
    >>> reason_name("gap_std_s"), reason_name("count[buy]")
    ('spread of time between events', 'count[buy]')
    >>> reason_name("brief_share[device]")
    'share of its events with a device that were on one of one day in a longer history'
    """
    words = _CHANGE_WORDS.get(name)
    if words is not None:
        return f"{CHANGE_PHRASE}: {words}"
    context = _CONTEXT_NAME.match(str(name))
    if context is not None:
        column = context.group(2)
        # (the column's name shortened, not the phrase: a long name cut from the middle
        # of the phrase left no column in the reason, review RV s55 M4)
        column = shorten(column, limit=_CONTEXT_COLUMN_LIMIT)
        return _CONTEXT_WORDS[context.group(1)].format(column, _article(column))
    return shorten(FEATURE_WORDS.get(name, name))


def _is_count(name: str) -> bool:
    return name.startswith("count[") or name in _COUNTS


#: How a reason names a RecentChangeEncoder column (the pipeline adds the facts after).
CHANGE_PHRASE = "recent activity against its own past"


def _after_change_heading(first_names, first_rows, names, rows) -> np.ndarray:
    """``names`` (of features said second in rows ``rows``), each recent-change feature
    whose row's first feature (``first_names`` of ``first_rows``) is one too without the
    heading it would repeat."""
    heading = CHANGE_PHRASE + ": "
    names = np.array(names, dtype=object, copy=True)
    firsts = dict(zip(np.asarray(first_rows).tolist(), np.asarray(first_names).tolist()))
    for k, (row, name) in enumerate(zip(np.asarray(rows).tolist(), names.tolist())):
        if name.startswith(heading) and str(firsts.get(row, "")).startswith(heading):
            names[k] = name[len(heading) :]
    return names


def _phrase(name, said, expected, read=None, events=None, note="") -> str:
    """How a reason says one feature (``name``: its :func:`reason_name`; ``expected``:
    the typical value with the words of :func:`_typical_words`); with ``read``, the
    value the detector read beside the entity's own (a feature the evidence shrinkage
    turned to the other side of typical); ``note`` (:func:`feature_notes`) after the
    typical value."""
    if read is not None:  # ``expected``: the typical value with its words
        noun = "event" if events == 1 else "events"
        expected = f"read as {read} on {events:,} {noun}; {expected}"
    if note:
        expected = f"{expected}; {note}"
    return f"{name} {said} ({expected})"


def _phrases(names, said, expected, notes, read=None, events=None, before=None) -> np.ndarray:
    """_phrase of each feature; with ``before`` (without ``read``), each after its
    phrase of ``before`` and "; "."""
    if read is None:  # _phrase's words, inline (a million rows say two million)
        parts = [np.asarray(a, dtype=object).tolist() for a in (names, said, expected, notes)]
        if before is not None:
            return np.array(
                [
                    f"{b}; {n} {a} ({e}; {t})" if t else f"{b}; {n} {a} ({e})"
                    for b, n, a, e, t in zip(np.asarray(before, dtype=object).tolist(), *parts)
                ],
                dtype=object,
            )
        return np.array(
            [f"{n} {a} ({e}; {t})" if t else f"{n} {a} ({e})" for n, a, e, t in zip(*parts)],
            dtype=object,
        )
    return np.array(
        [
            _phrase(n, a, e, r, k, t)
            for n, a, e, r, k, t in zip(
                names, said, expected, read, np.asarray(events).tolist(), notes
            )
        ],
        dtype=object,
    )


def _empty_pool(pipeline) -> int | None:
    """The column of ``count[<other>]`` where it pools no event type, else None."""
    notes = feature_notes(pipeline)
    names = list(pipeline.feature_names_)
    if POOLED in names and notes[names.index(POOLED)] == _NOTHING_POOLED:
        return names.index(POOLED)
    return None


def feature_reasons(pipeline, explained, raw, lengths, chosen=None) -> np.ndarray:
    """The batch table's reason per row of ``raw``: of the detector's explanation
    (``TABLE_FEATURES`` per row), the two leading features whose value reads
    differently from the typical one, on the side the detector scored (a feature can
    drive a score through the correlations while its own value looks ordinary; an
    entity's own value can sit on the other side of typical than the evidence-shrunk
    value the detector read: see :func:`units_at`); the leading one on that side when
    none differs, prefixed "no single feature stands out"; the leading one with the
    value the detector read when every feature is on the other side. ``chosen``: the
    training rows a neighbour detector explained each row against
    (:func:`oddseq.detect._neighbors.explained_with_rows`), where the caller has them."""
    feature_names = pipeline.feature_names_
    rows, cols, actual, typical_raw, read, agrees = in_units(pipeline, explained, raw, lengths)
    alike = _alike_rows(explained, rows)
    whose = typical_words_of(pipeline, explained)
    order, idle, shared = in_rank(pipeline, explained, rows, cols, actual)
    # (a crowd below its usual marks nothing: no reason, nor the fallback's leading one)
    agrees = agrees & ~idle & ~_below_a_mark(pipeline, cols, actual, typical_raw)
    clusters = _clusters_of(explained)
    rows, cols, actual, typical_raw, read, agrees, whose, clusters, shared = (
        a[order] for a in (rows, cols, actual, typical_raw, read, agrees, whose, clusters, shared)
    )
    row_lengths = np.asarray(lengths)[rows]
    said = feature_texts(feature_names, cols, actual)
    expected = feature_texts(feature_names, cols, typical_raw)
    # Vectorised, and phrases are written only for the features a reason uses.
    unobserved = _unobserved(pipeline, cols, row_lengths, raw, rows)
    informative = (said != expected) & agrees & shared & ~unobserved
    informative &= ~_ratio_of_nothing(pipeline, rows, cols, actual, raw)
    # item variety typical of the entity's length: the shrinkage put it apart
    like_length = _like_length(pipeline, cols, actual, typical_raw, row_lengths)
    informative &= ~typical_of_length(pipeline, cols, actual, typical_raw, row_lengths, like_length)
    # (chosen on the detector's typical value; the words may say the one of like length)
    words = _typical_parts(
        pipeline,
        cols,
        actual,
        typical_raw,
        row_lengths,
        expected,
        whose,
        agrees,
        rows,
        raw,
        clusters,
        said,
        chosen,
        like_length,
    )
    left = words.left
    # a count of 0 beside "most entities have none" reads as ordinary, though PCA T^2's
    # mean lay above it (H6 s22, BGL: "count[E67] 0 (most entities have none)")
    informative &= ~((actual == 0) & words.alone())
    # a value at the entities' own median, or on its other side: the detector's centre
    # put it apart, not the entity (_said_medians)
    informative &= ~left
    said = over_nothing(pipeline, rows, cols, actual, raw, said)  # a ratio over 0: counts
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    sizes = np.diff(np.r_[starts, rows.size])
    group = np.repeat(np.arange(starts.size), sizes)
    # as many features named in every row (the explanation's top, fewer features than
    # that aside): the rows as a matrix
    width = int(sizes[0]) if sizes.size and (sizes == sizes[0]).all() else 0

    def nth(mask):  # per position, how many of its row's earlier positions are in mask
        if width:
            mask = mask.reshape(-1, width)
            return (np.cumsum(mask, axis=1) - mask).ravel()
        before = np.cumsum(mask) - mask  # within the whole list
        return before - before[starts][group]

    first = np.flatnonzero(informative & (nth(informative) == 0))
    second = np.flatnonzero(informative & (nth(informative) == 1))
    # Labels come from the data: a 50 MB event name is quoted in a short form.
    names = reason_names(pipeline, feature_names)
    notes = np.asarray(feature_notes(pipeline), dtype=object)
    # The fallback, for rows with no feature away from its typical value on the side
    # the detector scored: the leading one on that side, else the leading one with
    # what the detector read.
    lonely = np.setdiff1d(np.arange(starts.size), group[first], assume_unique=True)
    leading = np.flatnonzero(agrees & (nth(agrees) == 0))
    leading = leading[np.isin(group[leading], lonely)]
    turned = starts[np.setdiff1d(lonely, group[leading], assume_unique=True)]
    # a leading feature at (or past) the entities' own median: against the detector's
    # own centre, which set it apart (the median it equals says nothing, H7 s27)
    mine = leading[left[leading]]
    leading = leading[~left[leading]]
    # The typical values' words, written only where a reason says them.
    need = np.zeros(rows.size, dtype=bool)
    need[first], need[second], need[leading], need[turned] = True, True, True, True
    need = np.flatnonzero(need)
    expected = np.empty(rows.size, dtype=object)
    expected[need] = words.at(pipeline, need, notes=False)[0]

    def phrases(at):
        return _phrases(names[cols[at]], said[at], expected[at], notes[cols[at]])

    reason = np.empty(starts.size, dtype=object)
    reason[group[leading]] = _LEADING + phrases(leading)
    if mine.size:
        own = _own_words(pipeline, cols[mine], typical_raw[mine], whose[mine])
        reason[group[mine]] = _LEADING + _phrases(
            names[cols[mine]], said[mine], own, notes[cols[mine]]
        )
    if turned.size:
        reason[group[turned]] = _LEADING + _phrases(
            names[cols[turned]],
            said[turned],
            expected[turned],
            notes[cols[turned]],
            feature_texts(feature_names, cols[turned], read[turned]),
            np.asarray(lengths)[rows[turned]],
        )
    reason[group[first]] = phrases(first)
    # the second phrase written onto the first's in one step; a second recent-change
    # feature after a first one without the heading again (trial s42b: "recent activity
    # against its own past: value per event x4.4 (typical x1); recent activity against
    # its own past: event-mix divergence ...")
    both = group[second]
    at = second
    second_names = _after_change_heading(names[cols[first]], group[first], names[cols[at]], both)
    reason[both] = _phrases(
        second_names, said[at], expected[at], notes[cols[at]], None, None, reason[both]
    )
    out = np.full(len(raw), np.nan, dtype=object)
    out[rows[starts]] = reason
    if alike.size:  # no feature apart at all: said so, no feature named as the lead
        out[alike] = (
            _NOTHING_DIFFERS_NORMAL if getattr(pipeline, "normal_", False) else _NOTHING_DIFFERS
        )
    return with_evidence(out, lengths)


# The reason of an entity none of whose explained features lies away from what the
# detector expected (deviation 0 each: normal-only, a block equal to a normal one, at
# distance 0). It read "no single feature stands out; leading: count[9] 1 (normal
# entities like it have 1)", a feature equal to its typical value named as the lead
# (loghub's HDFS 2k normal-only, HC s33).
_NOTHING_DIFFERS = "no feature differs from typical"
_NOTHING_DIFFERS_NORMAL = "no feature differs from the normal entities like it"


def _alike_rows(explained, rows) -> np.ndarray:
    """The rows (of ``rows``, each explained position's) whose every explained feature
    has a deviation of exactly 0."""
    if "deviation" not in explained or not len(rows):
        return np.empty(0, dtype=np.int64)
    apart = np.asarray(explained["deviation"], dtype=np.float64) != 0
    rows = np.asarray(rows)
    if rows.dtype.kind not in "iu" or rows.min() < 0:
        return np.setdiff1d(distinct(rows), rows[apart])
    # Row positions: marks over 0..max in place of setdiff1d's hashing and sorting (3 s of
    # the reasons' 15 at a million entities of four features each).
    alike = np.zeros(int(rows.max()) + 1, dtype=bool)
    alike[rows] = True
    alike[rows[apart]] = False
    return np.flatnonzero(alike)


def in_rank(pipeline, explained, rows, cols, value, keep=None) -> tuple:
    """The order the reasons name a detector's explanation in, one rule for the batch
    table's and the stream's alerts: (positions by row, each row's features by
    :func:`ranked`; per position, whether it is idle; whether it has a share of the
    score). count[<other>] where it pools nothing and the entity has no new type
    (``value``, the raw one, 0) is idle: a column of zeros, never a reason (never on the
    scored side), last of its row (H2 s15: it led the reasons of a log of identical
    entities, "count[<other>] 0 (typical 0)"); a feature of share 0 did not drive the
    score and is never one of a reason's phrases (H6 s27: counts of share 0 led reasons,
    in column order). ``keep``: each row's first ``keep`` positions only (an alert's
    ``ALERT_FEATURES`` of the explanation's ``TABLE_FEATURES``). ``explained``: a
    detector's explanation table, or a mapping of its columns (``value``, ``deviation``,
    ``share``: the stream's C++ explanation)."""
    rows = np.asarray(rows)
    empty = _empty_pool(pipeline)
    idle = (cols == empty) & (value == 0) if empty is not None else np.zeros(len(cols), bool)
    order = ranked(explained, rows, idle)
    if keep is not None:
        by_row = rows[order]
        starts = np.flatnonzero(np.r_[True, by_row[1:] != by_row[:-1]])
        sizes = np.diff(np.r_[starts, by_row.size])
        if sizes.size and (sizes == sizes[0]).all():  # as many in every row: a matrix
            order = order.reshape(sizes.size, -1)[:, :keep].ravel()
        else:
            order = order[np.arange(by_row.size) - np.repeat(starts, sizes) < keep]
    return order, idle, _column(explained, "share", 1.0) != 0


def ranked(explained: pd.DataFrame, rows=None, last=None) -> np.ndarray:
    """The positions of a detector's explanation (``rows``: each feature's row, default
    the table's), by row, each row's features by their share of the score; features of
    equal share (ECOD's tails at the sample's extreme, robust z's equal z, shares of 0)
    by how far they lie from typical (``deviation``, farthest first, above before
    below), then by the value the detector read, largest first, not by their columns,
    whose order follows the names (H6 s27). ``last``: per feature, True to put it after
    its row's others. (A table without some of these columns: ranked by the rest.)"""
    if rows is None:
        rows = explained.index.get_level_values("row").to_numpy()
    deviation = _column(explained, "deviation", 0.0)
    keys = [
        -_column(explained, "value", 0.0),
        -deviation,
        -np.abs(deviation),
        -_column(explained, "share", 0.0),
    ]
    if last is not None:
        keys.append(np.asarray(last))
    rows = np.asarray(rows)
    return _sorted_in_rows(keys, rows)


def _sorted_in_rows(keys, rows) -> np.ndarray:
    """``np.lexsort((*keys, rows))``, sorting only the rows whose features are out of
    order: the explanation comes by row, each row's features by contribution, most in
    their ranked order already (a stable sort leaves those as they are), and a lexsort
    of six keys over four million features took seconds."""
    n = len(rows)
    if n < 2 or rows.dtype.kind not in "iu" or np.any(rows[1:] < rows[:-1]):
        return np.lexsort((*keys, rows))
    # each next feature of a row at or after the one before on the keys (the last key
    # first); NaN compares neither way: its row is sorted
    ahead = np.zeros(n - 1, dtype=bool)
    tied = rows[1:] == rows[:-1]
    for key in reversed(keys):
        key = np.asarray(key)
        ahead |= tied & (key[:-1] < key[1:])
        tied &= key[:-1] == key[1:]
    out_of_order = ~(ahead | tied) & (rows[1:] == rows[:-1])
    order = np.arange(n)
    if not out_of_order.any():
        return order
    bad = distinct(rows[1:][out_of_order])
    at = np.flatnonzero(np.isin(rows, bad))
    order[at] = at[np.lexsort((*(np.asarray(k)[at] for k in keys), rows[at]))]
    return order


def _column(explained: pd.DataFrame, name: str, default: float) -> np.ndarray:
    """An explanation's column ``name`` as float64, ``default`` where it has none (a
    table; a mapping of the columns' arrays, the stream's, has them all)."""
    if name not in explained:
        return np.full(len(explained), default)
    return np.asarray(explained[name], dtype=np.float64)


def _clusters_of(explained: pd.DataFrame) -> np.ndarray:
    """Per row of a detector's explanation, the reference cluster of a K-means
    explanation (its ``cluster``; NaN elsewhere)."""
    if "cluster" not in explained:
        return np.full(len(explained), np.nan)
    return explained["cluster"].to_numpy(np.float64)


def alert_reasons(pipeline, explained, raw, lengths, chosen=None) -> np.ndarray:
    """A stream alert's reason per row of ``raw``: of the detector's explanation
    (``TABLE_FEATURES`` per row, as the batch table's), the first ``ALERT_FEATURES`` in
    the batch's order (:func:`in_rank`), those on the side of typical the detector
    scored with a share of the score, in the data's units, as the batch table's reasons
    say them (the leading one, "no single feature stands out", when none is; with the
    value the detector read when every one turned); ``chosen`` as
    :func:`feature_reasons`'s."""
    units = in_units(pipeline, explained, raw, lengths)
    whose = typical_words_of(pipeline, explained)
    order, idle, shared = in_rank(pipeline, explained, units[0], units[1], units[2], ALERT_FEATURES)
    units = tuple(a[order] for a in units)
    clusters = _clusters_of(explained)[order]  # as feature_reasons: not searched again
    return _alert_phrases(
        pipeline, units, idle[order], shared[order], whose[order], lengths, raw, chosen, clusters
    )


def alert_reasons_at(pipeline, rows, cols, typical, raw, lengths, explained=None) -> np.ndarray:
    """:func:`alert_reasons` of an explanation given as arrays (as :func:`units_at`
    takes it): the stream's C++ explanation of new alerts, with ``explained`` its
    ``share``, ``deviation`` and ``value`` per position (a mapping; none: ranked as
    given), its K-means reference ``cluster`` (NaN for none; without it, found again
    from ``raw``: :func:`_like_overall`) and the ``member`` that explains each
    (:func:`typical_words_by`; without it, told from the typical values:
    :func:`typical_words_at`)."""
    if explained is None:
        explained = pd.DataFrame(index=pd.RangeIndex(len(cols)))
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    value = raw[rows, cols]
    order, idle, shared = in_rank(pipeline, explained, rows, cols, value, ALERT_FEATURES)
    rows, cols, typical = rows[order], cols[order], np.asarray(typical)[order]
    if "member" in explained:
        whose = typical_words_by(pipeline, np.asarray(explained["member"])[order])
    else:
        whose = typical_words_at(pipeline, rows, cols, typical)
    units = units_at(pipeline, rows, cols, typical, raw, lengths)
    clusters = _column(explained, "cluster", np.nan)[order] if "cluster" in explained else None
    return _alert_phrases(
        pipeline, units, idle[order], shared[order], whose, lengths, raw, None, clusters
    )


_LEADING = "no single feature stands out; leading: "


def _own_words(pipeline, cols, typical, whose) -> np.ndarray:
    """The detector's own centre (``typical``, in the data's units) with its own words
    (``whose``: :func:`typical_words_of`'s), as a reason said it before the entities'
    medians replaced it: where a feature's value is that median, the centre is what set
    it apart. PCA T^2's mean is said "expected", as where no median is known: "log-scale
    average" read as jargon (H1 s27)."""
    texts = feature_texts(pipeline.feature_names_, cols, typical)
    said = whose_said(pipeline, cols, typical, whose)
    said[said == _MEAN] = _PREDICTED
    return typical_phrases(said, texts)


def _alert_phrases(pipeline, units, idle, shared, whose, lengths, raw, chosen=None, clusters=None):
    """The alerts' words of their explained features (:func:`units_at`'s ``units``),
    ranked and cut (:func:`in_rank`'s order, ``idle`` and ``shared`` of each);
    ``clusters``: each one's K-means reference cluster where the explanation says it
    (:func:`_like_overall`; None: found again from ``raw``)."""
    rows, cols, value, typical, read, agrees = units
    row_lengths = np.asarray(lengths)[rows]
    # (as the batch's reasons: no feature the entity has no observation of, no ratio of
    # two steps it never did; review s42 M1)
    agrees = agrees & ~idle & ~_unobserved(pipeline, cols, row_lengths, raw, rows)
    agrees &= ~_ratio_of_nothing(pipeline, rows, cols, value, raw)
    agrees &= ~_below_a_mark(pipeline, cols, value, typical)
    n_rows = len(raw)
    names = pipeline.feature_names_
    short = reason_names(pipeline, names)[cols].tolist()
    value_texts = feature_texts(names, cols, value)
    said = over_nothing(pipeline, rows, cols, value, raw, value_texts)
    expected = feature_texts(names, cols, typical)
    like_length = _like_length(pipeline, cols, value, typical, row_lengths)  # found once
    words = _typical_parts(
        pipeline,
        cols,
        value,
        typical,
        row_lengths,
        expected,
        whose,
        agrees,
        rows,
        raw,
        clusters,
        value_texts,
        chosen,
        like_length,
    )
    expected, left = words.at(pipeline, notes=False)[0], words.left
    all_notes = feature_notes(pipeline)
    notes = [all_notes[c] for c in cols.tolist()]
    phrases = [[] for _ in range(n_rows)]
    ordinary = typical_of_length(pipeline, cols, value, typical, row_lengths, like_length)
    ordinary |= (value == 0) & _said_alone(expected)  # as feature_reasons
    named = agrees & ~ordinary & ~left & shared
    heading = CHANGE_PHRASE + ": "
    headed = np.zeros(n_rows, dtype=bool)  # the row's reason said the heading already
    for k, (r, ok) in enumerate(zip(rows.tolist(), named.tolist())):
        if ok:
            name, change = short[k], short[k].startswith(heading)
            if change and headed[r]:  # (the heading said once, as the batch's)
                name = name[len(heading) :]
            headed[r] |= change
            phrases[r].append(_phrase(name, said[k], expected[k], note=notes[k]))
    # rows with no such feature: the first on the scored side, as the batch's "leading";
    # where at (or past) the entities' own median, against the detector's own centre
    # (the median it equals would read "purchases per view 0 (typical 0)", H7 s27)
    own = _own_words(pipeline, cols, typical, whose)
    for k, (r, ok) in enumerate(zip(rows.tolist(), agrees.tolist())):
        if ok and not phrases[r]:
            words = own[k] if left[k] else expected[k]
            phrases[r].append(_LEADING + _phrase(short[k], said[k], words, note=notes[k]))
    for k, r in enumerate(rows.tolist()):  # rows whose every feature turned: the first
        if not phrases[r]:
            read_text = feature_texts(names, cols[k : k + 1], read[k : k + 1])[0]
            events = int(np.asarray(lengths)[r])
            phrases[r].append(_phrase(short[k], said[k], expected[k], read_text, events, notes[k]))
    return np.array(["; ".join(p) for p in phrases], dtype=object)


def step_reasons(steps: pd.DataFrame, ids, lengths, seqs=None) -> np.ndarray:
    """The reason per sequence of a sequence model's explanation (its least likely
    steps, ``TABLE_STEPS`` per sequence): each step with its probability, or "never
    seen", and the expected next event. With ``seqs`` (the explained sequences, in the
    order of ``ids``), a step whose transition the sequence makes more than once is said
    once, with how often ("5 times view → buy, the least likely of them p=0.035
    (expected view)": the lowest of its steps' probabilities; "the least likely" alone
    read as a comparison with other steps where the reason names no other, H7 s26:
    486 of 1,452 such reasons of make_ecommerce seed 241): the least likely steps of a
    sequence that repeats one improbable transition were that transition twice over,
    "view → buy p=0.035 (expected view); view → buy p=0.035 (expected view)"
    (make_ecommerce: 68 of 87 flagged users), and
    said nothing of how many such steps the score counted."""
    order = pd.Index(ids).get_indexer(steps.index.get_level_values("row"))
    features = steps["feature"].to_numpy(dtype=object)
    times = (
        np.ones(len(steps), dtype=np.int64)
        if seqs is None
        else _transition_counts(seqs, order, steps["position"].to_numpy(dtype=object))
    )
    # a transition said once per sequence: its first (least likely) step
    first = ~pd.DataFrame({"row": order, "feature": features}).duplicated().to_numpy()
    # a step to the event the model expected there says nothing odd ("start → pv p=0.9
    # (expected pv)" beside the step that is: trial s40): left out where the sequence has
    # another to name
    as_expected = steps["value"].to_numpy(dtype=object) == steps["typical"].to_numpy(dtype=object)
    other = pd.Series(first & ~as_expected).groupby(order).transform("any").to_numpy()
    first &= ~(as_expected & other)
    phrases = [
        (
            f"{n:,} times {shorten(feature)}, the least likely of them "
            if n > 1
            else f"{shorten(feature)} "
        )
        + f"{'never seen' if not seen else f'p={p:.2g}'} (expected {shorten(typical)})"
        for feature, seen, p, typical, n in zip(
            features[first],
            steps["seen"].to_numpy()[first],
            steps["probability"].to_numpy()[first],
            steps["typical"].to_numpy(dtype=object)[first],
            times[first].tolist(),
        )
    ]
    return with_evidence(
        pd.Series(phrases)
        .groupby(order[first])
        .agg("; ".join)
        .reindex(range(len(ids)), fill_value="")
        .to_numpy(),
        lengths,
    )


def _transition_counts(seqs, rows, positions) -> np.ndarray:
    """How many times sequence ``rows[i]`` of ``seqs`` makes the transition of its step
    at ``positions[i]`` (0-based, the event it comes to; "end" for the end): its
    (previous event, event) pair, with the start before the first and the end after
    the last."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.asarray(seqs.offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    codes = np.asarray(seqs.events, dtype=np.int64)
    start, end = len(seqs.event_labels), len(seqs.event_labels) + 1
    base = end + 1
    # Each sequence's steps: its events, then the end; step j of sequence s lies at
    # offsets[s] + s + j of these arrays.
    n = len(lengths)
    at = np.arange(codes.size) + np.repeat(np.arange(n), lengths)  # each event's step
    nxt = np.full(codes.size + n, end, dtype=np.int64)
    nxt[at] = codes
    prev = np.full(codes.size + n, start, dtype=np.int64)
    prev[at + 1] = codes
    owner = np.repeat(np.arange(n), lengths + 1)
    pair = prev * base + nxt
    # the (sequence, pair) runs in sorted order, and each step's run's length
    order = np.lexsort((pair, owner))
    new = np.r_[True, (np.diff(owner[order]) != 0) | (np.diff(pair[order]) != 0)]
    run = np.cumsum(new) - 1
    size = np.bincount(run)
    times = np.empty(pair.size, dtype=np.int64)
    times[order] = size[run]
    rows = np.asarray(rows, dtype=np.int64)
    j = np.array(
        [lengths[r] if p == "end" else int(p) for r, p in zip(rows.tolist(), list(positions))],
        dtype=np.int64,
    )
    return times[offsets[rows] + rows + j]
