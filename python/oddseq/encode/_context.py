"""context_features: what an entity's devices, addresses or countries say of it.

A log's side columns (the device, IP, country or card each event came from) carry marks
that the event stream does not: a hijacked account's night of plays on a phone in
another country that its owner never used before or after (trial s45: 1 of 100 such
takeovers flagged from the events alone, 100 of 100 with hand-made side features); a
farm's or a promo-abuse ring's accounts on a few shared devices. Per entity and per
column, from the rows alone:

- ``values[<column>]``: how many distinct values it used (a family's two devices, a
  card tester's dozens of cards);
- ``sharing[<column>]``: the most entities on one of its private values, over the
  column's usual (the median over every entity's private values of the entities on
  each), at least 1: a device that 12 accounts share where a device usually has 1. A
  value of more than the square root of the column's entities is public (a country, a
  carrier's gateway, the IP a system writes on its own events, 10.0.0.1) and says
  nothing of a ring, and so is every value of a column of no more values than that
  (a country column: :func:`_public_column`);
- ``brief_share[<column>]`` (with times): the share of its events with a value in the
  column (not of all its events: a user whose 2 bookings of 117 events carry a card reads
  0.5 where one was on a card of one day) on values other than
  its everyday one (the value it used over the longest time, not the one of most
  events: a hijacker's night may outnumber the owner's weeks) that it began after its
  first event and used within one day and never again, where its own history spans two
  days or more: a night on a device, an address or a country of no other day of its
  life. A newcomer's first day and a one-day visitor's are its whole history, not a
  stretch of it (0), and a value that opened its history is one it left (an old phone
  replaced by a new one after the first trip), not a stretch of another's (0);
- ``brief_types[<column>]`` (with times and event types): how many of its event types it
  did only on such brief values, beyond what its brief share would put there by chance:
  a thief's night does what the owner never does (changes the password and the phone
  number, posts, pays out), a visit on a friend's tablet does what the owner does every
  day. Each type of ``c`` events would lie wholly on the brief values by chance with
  probability ``brief_share ** c`` (its events placed at random); the feature is the
  count of such types less that expectation, at least 0: where an entity's address
  changes every day (a carrier's rotating gateways), a rare act of its falls on a brief
  value by chance, and counting those alone flagged a marketplace's busiest sellers
  (TR s54 M3: the takeovers' brief device share lay inside 8% of casual users'; the
  types done only there, change_password and change_phone, set them apart). The reasons
  name the types.

Missing values are no value (rows without one are left out of that column's counts);
an entity with no value in a column has NaN there (the one call gives it the fitted
median, with a warning that counts such entities).
The table joins :func:`oddseq.detect_anomalies`' behaviour features as ``entity_features``
do (``context=`` does it in the one call, ``--context`` in the shell), and the reasons
name its columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..utils._text import shorten
from ..utils._time import parse_times
from ..utils._unique import distinct

__all__ = ["context_features"]

_DAY_NS = 86_400 * 10**9
# A value used within this long and never again is brief ...
_BRIEF_NS = _DAY_NS
# ... in a history at least this long (a one-day visitor's day is its whole history).
_HISTORY_NS = 2 * _DAY_NS


def public_bar(n_entities: int) -> float:
    """The most entities a private value is held by, of ``n_entities`` with a value in
    its column: the square root (at least 2). A value held by more is public (a country,
    a carrier's gateway, a chain's store, the IP a system writes on its own events):
    sharing it says nothing of a ring (``sharing[<column>]`` here, and the one call's
    ``group_by=`` columns)."""
    return max(float(np.sqrt(n_entities)), 2.0)


def _public_column(n_distinct: int, n_entities: int) -> bool:
    """Whether a side column of ``n_distinct`` values over ``n_entities`` entities with
    one is public as a whole: no more values than :func:`public_bar` (a country column, a
    chain's stores), so that each is a category many entities share, not an identity a
    few hold. Its smaller values are no one's device either: a traveller's country of 18
    entities "where 12 is usual" led the reasons of travellers flagged above the
    anomalies (a betting log's 102 flags, TR s62 M3; a ticketing log's travellers, 49 of
    87 flagged with nothing planted, TR s63 M1)."""
    return n_distinct <= public_bar(n_entities)


def context_columns(context, df: pd.DataFrame, roles: dict, name: str = "context") -> list:
    """``context`` as a list of column names of ``df``, checked: present, not one of the
    roles (entity, event, time...), named once."""
    if isinstance(context, str):
        columns = [context]
    elif isinstance(context, (list, tuple, pd.Index)) and all(isinstance(c, str) for c in context):
        columns = list(context)
    else:
        raise TypeError(
            f"{name} must be a column name or a list of column names (such as "
            f"['device_id', 'country']), got {type(context).__name__}"
        )
    if not columns:
        raise ValueError(f"{name} names no column; give one or more, or leave {name} out")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise ValueError(f"{name} names {repeated} more than once; name each column once")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{name} names columns the log lacks: {missing}; its columns are "
            f"{[str(c) for c in df.columns][:20]}"
        )
    taken = [c for c in columns if c in {v for v in roles.values() if v is not None}]
    if taken:
        role = {v: k for k, v in roles.items() if v is not None}
        said = ", ".join(f"{c!r} is the {role[c]}" for c in taken)
        raise ValueError(
            f"{name} names a column the call already reads ({said}); give it the side "
            "columns the events came from (device, IP, country, card)"
        )
    return columns


def context_features(
    df: pd.DataFrame,
    entity: str,
    columns,
    time: str | None = None,
    *,
    event: str | None = None,
    time_unit: str = "s",
    time_format: str | None = None,
    dayfirst: bool | None = None,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-entity features of a log's side columns (see the module's docstring): for each
    column, ``values[<column>]``, ``sharing[<column>]``, with ``time``
    ``brief_share[<column>]``, and with ``time`` and ``event`` ``brief_types[<column>]``
    (reasons say them in words: ``oddseq._reasons.reason_name``).

    Parameters
    ----------
    df : DataFrame
        The event log, one row per event.
    entity : str
        The entity column (user, account, session).
    columns : str or list of str
        The side columns: device, IP, country, card...
    time : str, optional
        The time column (datetimes, or numbers and text read as
        :func:`oddseq.detect_anomalies` reads them, with ``time_unit``, ``time_format``
        and ``dayfirst``); without it there is no ``brief_share[<column>]``.
    event : str, optional
        The event type column; with ``time``, ``brief_types[<column>]`` counts the types
        done only on brief values (:func:`oddseq.detect_anomalies`' ``context=`` passes
        its ``event``).
    reference : DataFrame, optional
        Another log of the same period with the same columns whose entities count among
        the sharers of each value too (an entity of both logs once): the log a model was
        fitted on, when this one is the rest of that period's entities scored with it.
        Sharing is read against the entities on a value; a log of half the accounts has
        half the sharers on every carrier's gateway, and scored against the other half's
        figures its users would read as twice as shared (a ticketing trial, normal= the
        vetted half: 20-32% flagged where 8% were odd). A later log of a like span is
        read alone, as the fitted one was: counted over a fitted fortnight too, a later
        fortnight read a month's sharers on every value (a grocery trial: 109 -> 389
        flagged).

    Returns
    -------
    DataFrame indexed by the entity ids (named ``entity``), float64 columns, ready for
    ``entity_features=``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "user": ["a", "b", "c", "d", "d", "e", "f"],
    ...     "device": ["d1", "d1", "d2", "d3", "d4", "d5", "d6"]})
    >>> context_features(log, "user", "device")
          values[device]  sharing[device]
    user
    a               1.0                   2.0
    b               1.0                   2.0
    c               1.0                   1.0
    d               2.0                   1.0
    e               1.0                   1.0
    f               1.0                   1.0
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(entity, str) or entity not in df.columns:
        raise ValueError(f"entity must name a column of df; got {entity!r}")
    if time is not None and time not in df.columns:
        raise ValueError(f"time must name a column of df; got {time!r}")
    if event is not None and not isinstance(event, str):
        raise TypeError(f"event must be a column name (a str), got {type(event).__name__}")
    if event is not None and event not in df.columns:
        raise ValueError(f"event must name a column of df; got {event!r}")
    if event is not None and time is None:
        raise ValueError(
            "event= is read with time= (the types done only on values of one brief "
            "stretch); pass time=, or leave event out"
        )
    roles = {"entity": entity, "time": time, "event": event}
    columns = context_columns(columns, df, roles, "columns")
    from ..sequences._sequences import without_blank_ids

    # (an id of blank text is missing, as the sequences and the one call read it: no
    # entity, no sharer; RV s54 L10)
    df = without_blank_ids(df, (entity,))
    frames = [df]
    if reference is not None:
        if not isinstance(reference, pd.DataFrame):
            raise TypeError(f"reference must be a pandas DataFrame, got {type(reference).__name__}")
        context_columns(columns, reference, roles, "columns (in reference)")
        absent = [c for c in (time, event) if c is not None and c not in reference.columns]
        if absent:
            raise ValueError(f"reference lacks the columns {absent} that df has; give both")
        frames.append(without_blank_ids(reference, (entity,)))
    reading = dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst)
    logs = [log_pairs(frame, entity, columns, time, event=event, **reading) for frame in frames]
    return tables_from_pairs(logs, entity, columns, timed=time is not None)[0]


def log_pairs(df, entity, columns, time=None, event=None, **reading):
    """A log's entity ids and, per side column, its (entity, value) pairs (:func:`_pairs`;
    with ``time`` and ``event``, the pairs' event types too)."""
    codes, ids = pd.factorize(df[entity], sort=False)
    ns, known = _times_ns(df, time, **reading)
    kinds = None
    if event is not None and ns is not None:
        kinds = pd.factorize(df[event], sort=False)  # (codes, the types; -1: no type)
    return ids, {column: _pairs(codes, df[column], ns, known, kinds) for column in columns}


def tables_from_pairs(logs, entity, columns, timed: bool, facts=None) -> list:
    """The context table of each log of ``logs`` ((entity ids, {column: pairs}) each,
    as :func:`log_pairs` gives them); with several logs, each value's sharers counted
    over all of them (:func:`_joint_sharing`). ``facts``: a dict that gets, per column,
    :func:`sharing_facts` of the last log (the scored one), from the same pass, and under
    ``TYPES_FACTS`` per column the types each entity did only on brief values
    (:func:`brief_type_facts`)."""
    out = [{} for _ in logs]
    for column in columns:
        parts = [pairs[column] for _, pairs in logs]
        if len(logs) > 1:
            shared = _joint_sharing([(ids, p[0], p[5], p[1]) for (ids, _), p in zip(logs, parts)])
        else:
            shared = [None]
        for k, ((ids, _), pairs) in enumerate(zip(logs, parts)):
            said = {} if facts is not None and k == len(logs) - 1 else None
            types = pairs[6] if len(pairs) > 6 else None
            out[k].update(
                pair_features(column, *pairs[:5], len(ids), timed, shared[k], said, types)
            )
            if said and "rows" in said:
                facts[column] = sharing_facts(ids, pairs[5], said)
            if said and "types" in said:
                facts.setdefault(TYPES_FACTS, {})[column] = brief_type_facts(ids, said["types"])
    return [pd.DataFrame(o, index=pd.Index(ids, name=entity)) for o, (ids, _) in zip(out, logs)]


#: The key of ``tables_from_pairs``' facts under which the brief types' facts lie (not
#: text: the other keys are the side columns' names).
TYPES_FACTS = ("brief_types",)


def brief_type_facts(ids, found) -> BriefTypes:
    """What a reason says of ``brief_types[<column>]``: the types each entity with any
    did only on brief values (``found``: :func:`_brief_types`' facts)."""
    rows, starts, codes, labels = found
    return BriefTypes(pd.Index(ids)[rows], starts, codes, labels)


class BriefTypes:
    """The event types each entity did only on brief values (``index``: those entities'
    ids), said in words on demand (:meth:`text`): a log of a million entities holds
    hundreds of thousands with one, and a reason names them for a few."""

    def __init__(self, index, starts, codes, labels):
        self.index, self._starts, self._codes = index, starts, codes
        self._labels = np.asarray(labels, dtype=object)

    def text(self, k: int) -> str:
        """The types of the ``k``-th entity of ``index``, as a reason lists them."""
        codes = self._codes[self._starts[k] : self._starts[k + 1]]
        return _types_listed(self._labels[codes])


def _joint_sharing(parts) -> list:
    """Per log of ``parts`` ((its entity ids, each pair's entity code, its values, each
    pair's value code)), (the sharers of each pair's value, whether the value is
    private, the column's usual), counted over every log: an entity of several logs
    once. The ids and values are coded jointly over their uniques (the logs' few), then
    each pair takes its codes (a gather, not a hash of every pair)."""
    sizes = [len(e) for _, e, _, _ in parts]

    def joint(labels):
        codes, uniques = pd.factorize(pd.concat([pd.Series(x) for x in labels], ignore_index=True))
        bounds = np.cumsum([0] + [len(x) for x in labels])
        return [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:])], len(uniques)

    entity_codes, _ = joint([ids for ids, _, _, _ in parts])
    value_codes, n_values = joint([values for _, _, values, _ in parts])
    entities = np.concatenate(
        [codes[e] for codes, (_, e, _, _) in zip(entity_codes, parts)]
    ).astype(np.int64)
    values = np.concatenate([codes[v] for codes, (_, _, _, v) in zip(value_codes, parts)])
    n_values = max(n_values, 1)
    pairs = distinct(entities * n_values + values)
    sharers = np.bincount(pairs % n_values, minlength=n_values)
    holders = distinct(pairs // n_values).size
    bar = public_bar(holders)
    if _public_column(np.count_nonzero(sharers), holders):
        bar = 0.0  # (every value public: :func:`_public_column`)
    held = sharers[pairs % n_values]
    usual = float(np.median(held[held <= bar])) if (held <= bar).any() else 1.0
    out, at = [], 0
    for size in sizes:
        part = sharers[values[at : at + size]]
        out.append((part, part <= bar, usual))
        at += size
    return out


def sharing_facts(ids, labels, said: dict):
    """What a reason says of ``sharing[<column>]``, from :func:`pair_features`' pass
    (``said``: the rows of the entities whose most shared private value has more
    sharers than the column's usual, that value's rank, its sharers and the usual):
    (a DataFrame indexed by those entities' ids (of ``ids``) of the value, ``value`` (of
    ``labels``, the values by rank), on a tie the first by the values' text, and the
    entities on it, ``sharers``; the column's usual). A reason says them ("5 entities
    on device d-17, where 1 is usual"): the ratio alone, "times a country's usual
    1.25", read as noise to three trials' analysts where 10 accounts were on a country
    of no one else (TR s49 L1, TR s48 L12, TR s47 M5)."""
    rows = said["rows"]
    found = pd.DataFrame(
        {"value": np.asarray(labels, dtype=object)[said["value"]], "sharers": said["sharers"]},
        index=pd.Index(ids)[rows],
    )
    return found, float(said["usual"])


def _times_ns(df, time, time_unit, time_format, dayfirst):
    """The time column as int64 ns and the mask of rows with a time, (None, None)
    without ``time``."""
    if time is None:
        return None, None
    if pd.api.types.is_datetime64_any_dtype(df[time]):
        stamps = df[time]
        known = stamps.notna().to_numpy()
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        return stamps.to_numpy("datetime64[ns]").view(np.int64), known
    ns, bad, _ = parse_times(
        df[time], time, time_unit=time_unit, time_format=time_format, dayfirst=dayfirst
    )
    known = np.ones(len(ns), bool) if bad is None else ~np.asarray(bad, bool)
    return np.asarray(ns, dtype=np.int64), known


def _pairs(codes, column: pd.Series, ns, known, kinds=None):
    """The column's (entity, value) pairs of the rows with both (and a time, with
    times): (entity codes, value ranks, events, first and last times or None, the
    values in the order of their ranks), the values ranked by their text (the everyday
    value's last tie-break: the same whatever the rows' order); with ``kinds`` (each
    row's event type code and the types, ``pd.factorize``'s) a seventh, the pairs' types
    (:func:`pair_types`)."""
    values, uniques = pd.factorize(column, sort=False)
    keep = (codes >= 0) & (values >= 0)
    if ns is not None:
        keep &= known
    rank, labels = _text_ranks(uniques)
    entity, value = codes[keep], rank[values[keep]]
    n_values = max(len(uniques), 1)
    pair = entity.astype(np.int64) * n_values + value
    # (a hash table, not a sort: np.unique's argsort was 60% of the time at 10 M rows)
    at, pairs = pd.factorize(pair, sort=False)
    count = np.bincount(at, minlength=pairs.size)
    if ns is None:
        return pairs // n_values, pairs % n_values, count, None, None, labels
    t = ns[keep]
    first = np.full(pairs.size, np.iinfo(np.int64).max)
    last = np.full(pairs.size, np.iinfo(np.int64).min)
    np.minimum.at(first, at, t)
    np.maximum.at(last, at, t)
    out = (pairs // n_values, pairs % n_values, count, first, last, labels)
    if kinds is None:
        return out
    return out + (pair_types(at, kinds[0][keep], kinds[1]),)


def _types_listed(names, most: int = 4) -> str:
    """Event types in a reason: sorted, each shortened, the first ``most`` named."""
    names = sorted(shorten(str(n)) for n in names)
    extra = f" and {len(names) - most:,} more" if len(names) > most else ""
    return ", ".join(names[:most]) + extra


def pair_types(pair, kind, names):
    """The event types of a column's pairs: (each (pair, type)'s pair, type code and
    events, the types' names by code), of the rows with a type (``pair``: each row's
    pair; ``kind``: its type's code, -1 for none; ``names``: the types by code)."""
    has = kind >= 0
    n_kinds = max(len(names), 1)
    key = pair[has].astype(np.int64) * n_kinds + kind[has]
    at, keys = pd.factorize(key, sort=False)
    return keys // n_kinds, keys % n_kinds, np.bincount(at, minlength=keys.size), names


def _text_ranks(uniques):
    """(each value's rank by its text, then its type's name, the values in the order of
    their ranks): ``pd.factorize``'s uniques, whatever their order (1 and "1" of an
    object column by their types, not by which came first: review RV s47 L14)."""
    values = np.asarray(uniques, dtype=object)
    text = pd.Index(uniques).astype(str)
    order = text.argsort(kind="stable")
    ordered = text[order]
    if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():  # (a tie: rare)
        keys = pd.DataFrame({"text": text, "type": [type(v).__name__ for v in values]})
        order = keys.sort_values(["text", "type"], kind="stable").index.to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    labels = np.empty(len(order), dtype=object)
    labels[rank] = values
    return rank, labels


def pair_features(
    column,
    pair_entity,
    pair_value,
    count,
    first,
    last,
    n: int,
    timed: bool,
    shared=None,
    facts=None,
    types=None,
) -> dict:
    """One side column's features from its (entity, value) pairs: ``pair_entity`` codes
    (0..n-1), ``pair_value`` codes (ranked by the values' text), ``count`` (the pair's
    events), ``first`` / ``last`` (its first and last times in ns; None without
    times); NaN for an entity with no value in it (a gap of the export says nothing of
    the entity: the one call gives it the fitted median, with a warning that counts
    such entities). ``oddseq.dask`` gives the pairs of its partitions, summed.
    ``shared``: (each pair's value's sharers, whether it is private, the column's usual)
    counted over several logs (:func:`_joint_sharing`); None: over this one. ``facts``: a
    dict that gets what a reason says of the sharing (:func:`sharing_facts`), from the
    same pass, and under ``"types"`` the types done only on brief values. ``types``: the
    pairs' event types (:func:`pair_types`), for ``brief_types[<column>]``."""
    names = [f"values[{column}]", f"sharing[{column}]"]
    names += [f"brief_share[{column}]"] if timed else []
    names += [f"brief_types[{column}]"] if timed and types is not None else []
    if pair_value.size == 0:  # (a column with no value at all, or an empty log)
        return {name: np.full(n, np.nan) for name in names}
    distinct = np.bincount(pair_entity, minlength=n).astype(np.float64)
    if shared is None:
        sharers = np.bincount(pair_value, minlength=int(pair_value.max()) + 1)
        # a value of more than sqrt(entities) is public: a country, a carrier's gateway,
        # the IP a system writes on its own events; no ring shares it (nor do its
        # entities by it)
        held = sharers[pair_value]
        holders = np.count_nonzero(distinct)
        private = held <= public_bar(holders)
        if _public_column(np.count_nonzero(sharers), holders):
            private = np.zeros_like(private)
        usual = float(np.median(held[private])) if private.any() else 1.0
    else:
        held, private, usual = shared
    # its most shared private value, on a tie the first by the values' text (its rank):
    # one key, the sharers then the rank reversed, so that one maximum gives both
    span = int(pair_value.max()) + 1
    key = held[private].astype(np.int64) * span + (span - 1 - pair_value[private])
    best = np.full(n, -1, dtype=np.int64)
    np.maximum.at(best, pair_entity[private], key)
    most = np.where(best >= 0, best // span, 0)
    ratio = np.maximum(most / max(usual, 1.0), 1.0)
    if facts is not None:
        above = np.flatnonzero(most > usual)  # (said where more than the usual share it)
        facts.update(
            rows=above, value=span - 1 - best[above] % span, sharers=most[above], usual=usual
        )
    none = distinct == 0
    out = {names[0]: np.where(none, np.nan, distinct), names[1]: np.where(none, np.nan, ratio)}
    if not timed:
        return out
    brief = brief_pairs(pair_entity, pair_value, first, last, n)
    events = np.bincount(pair_entity, weights=count, minlength=n)
    on_brief = np.bincount(pair_entity, weights=count * brief, minlength=n)
    out[names[2]] = np.divide(on_brief, events, out=np.full(n, np.nan), where=events > 0)
    if types is not None:
        out[names[3]] = _brief_types(pair_entity, brief, out[names[2]], n, types, facts)
    return out


def brief_pairs(pair_entity, pair_value, first, last, n: int) -> np.ndarray:
    """Whether each (entity, value) pair is brief (the module's docstring): not the
    entity's everyday value, begun after its first event, used within one day, in a
    history of two days or more (``first`` / ``last``: the pair's times in ns; ``n``:
    the entities)."""
    start = np.full(n, np.iinfo(np.int64).max)
    end = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(start, pair_entity, first)
    np.maximum.at(end, pair_entity, last)
    # its everyday value: the one it used over the longest time (on a tie, the one it
    # used first, then by the values' text: the same whatever the rows' order), not the
    # one of most events: a hijacker's night may hold more events than the owner's weeks
    if not pair_entity.size:  # (a column with no value: no pair, none brief)
        return np.zeros(0, dtype=bool)
    order = np.lexsort((pair_value, first, -(last - first), pair_entity))
    main = np.zeros(pair_entity.size, bool)
    lead = order[np.r_[True, pair_entity[order][1:] != pair_entity[order][:-1]]]
    main[lead] = True  # (its everyday value)
    # A value that opened its history is one it left (a phone replaced after its first
    # trip), not a night on another's (TR s53 H2: 76 of 85 phone upgraders ranked first
    # on the old phone of their first day); one begun later is, whenever the everyday
    # one began (a thief's night between the owner's old and new phone: review RV s53 M1).
    long_history = (end - start)[pair_entity] >= _HISTORY_NS
    later = first > start[pair_entity]
    return ~main & long_history & (last - first < _BRIEF_NS) & later


def _brief_types(pair_entity, brief, share, n: int, types, facts=None):
    """``brief_types[<column>]`` (the module's docstring): per entity, its event types
    all of whose events (of those with a value in the column) lie on its brief values,
    less the count that its brief share ``share`` would put there by chance (a type of
    ``c`` events, ``share ** c``), at least 0; NaN where ``share`` is (no value).
    ``facts``: a dict that gets ``"types"``, (the rows of the entities above 0, where
    each one's type codes begin in ``codes`` and end, the codes, the types' names by
    code): :class:`BriefTypes` says them."""
    pair, kind, count, labels = types
    n_kinds = max(len(labels), 1)
    entity = pair_entity[pair].astype(np.int64)
    # Only the entities with a brief value can have such a type, and with none the
    # chance term is 0 ** c = 0: their (entity, type) keys are left out of the hash
    # table, most of the work on a log where few entities have a brief stretch.
    has_brief = np.bincount(pair_entity, weights=brief, minlength=n) > 0
    keep = has_brief[entity]
    pair, kind, count, entity = pair[keep], kind[keep], count[keep], entity[keep]
    at, keys = pd.factorize(entity * n_kinds + kind, sort=False)  # (entity, type)
    total = np.bincount(at, weights=count, minlength=keys.size)
    on_brief = np.bincount(at, weights=count * brief[pair], minlength=keys.size)
    who = keys // n_kinds
    only = on_brief >= total  # (every event of the type on brief values)
    with np.errstate(invalid="ignore"):
        chance = np.nan_to_num(share[who]) ** total
    found = np.bincount(who, weights=only - chance, minlength=n)
    # (rounded: a sum's last bits depend on the order of its terms, the rows' or the
    # partitions', and a scaled feature's 1e-17 moved a trial's flags, 0 against 6e-17)
    found = np.round(found, 9)
    out = np.where(np.isnan(share), np.nan, np.maximum(found, 0.0))
    if facts is not None:
        # (the types' codes by entity, in the order of the entities' rows; said in words
        # only for the few entities whose reason names the feature: BriefTypes.text)
        said = only & (out[who] > 0)
        order = np.argsort(who[said], kind="stable")
        held, codes = who[said][order], (keys[said] % n_kinds)[order]
        rows, starts = np.unique(held, return_index=True)
        facts["types"] = (rows, np.append(starts, held.size), codes, labels)
    return out
