"""``context=`` over the partitions of a dask DataFrame: one machine's
:func:`oddseq.encode.context_features` from the (entity, value) pairs of every partition.

Each side column's features need, per entity and value, its events and its first and
last time (``oddseq.encode._context.pair_features``): the partitions give those of their
rows, a groupby adds them up across partitions (an entity's rows may lie in several
before the shuffle by entity), and the client, holding one row per pair (about an
entity's devices or IPs each), reads them as one machine does. The table is a side
table of the entities, as ``entity_features`` is: every worker receives it.
"""

from __future__ import annotations

import warnings

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._pipeline import _timed_for_groups
from ..encode._context import _text_ranks, _times_ns, tables_from_pairs
from ..sequences._sequences import _blank_labels, without_blank_ids
from ..utils._time import parse_times


def _partition_pairs(frame, entity, column, time, reading, event=None):
    """The partition's rows with an entity and a value (and a time, with times): the
    entity, the value, the time in ns (0 without times) and, with ``event``, the event
    type."""
    frame = frame[[entity, column] + [c for c in (time, event) if c is not None]]
    frame = without_blank_ids(frame, (entity,))  # (missing, as the sequences read it)
    with warnings.catch_warnings():  # (the sequences said what the times hold)
        warnings.simplefilter("ignore")
        frame = _timed_for_groups(frame, time, **reading)
        ns, known = _times_ns(frame, time, **reading)
    keep = frame[entity].notna().to_numpy() & frame[column].notna().to_numpy()
    if ns is None:
        ns = np.zeros(len(frame), dtype=np.int64)
    else:
        keep &= known
    out = pd.DataFrame(
        {"entity": frame[entity].to_numpy()[keep], "value": frame[column].to_numpy()[keep]}
    ).assign(t=ns[keep])
    if event is not None:
        out["kind"] = frame[event].to_numpy()[keep]
    return out


def _head_times(part, time, n):
    """The partition's first ``n`` times present (what the reading is decided on)."""
    return part[time].dropna().head(n)


def _decided(ddf, time, reading) -> dict:
    """``reading`` with the day-first order decided once, for every partition, where
    the call left it to the data and the times are text: each partition read on its own
    would decide for itself, and one of dates that each read both ways ("03/01/2026")
    refuses, where the whole log's other dates decide it (review RV s47 H1). Decided on
    the first 2,000 times of every partition, as one machine decides on the column."""
    if time is None or reading.get("time_format") is not None:
        return reading
    if (
        reading.get("dayfirst") is not None
        or ddf.dtypes[time].kind not in "OSU"
        and not (isinstance(ddf.dtypes[time], pd.StringDtype))
    ):
        return reading
    sample = ddf.map_partitions(_head_times, time, 2_000, meta=(time, ddf.dtypes[time]))
    sample = sample.compute().reset_index(drop=True)
    readable = []
    for dayfirst in (False, True):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, bad, _ = parse_times(sample, time, **{**reading, "dayfirst": dayfirst})
        except (ValueError, TypeError):
            continue
        if bad is None or not np.asarray(bad).any():
            readable.append(dayfirst)
    return {**reading, "dayfirst": readable[0]} if len(readable) == 1 else reading


def log_pairs(ddf, entity: str, columns: list, time=None, event=None, **reading):
    """:func:`oddseq.encode._context.log_pairs` of a dask DataFrame: its entity ids and,
    per side column, its (entity, value) pairs, added up over the partitions (with
    ``time`` and ``event``, its (entity, value, event type) triples, whose pairs the
    client adds up: :func:`_pairs_of_triples`)."""
    reading = _decided(ddf, time, reading)
    typed = event is not None and time is not None
    sums = []
    for column in columns:
        meta = pd.DataFrame(
            {
                "entity": pd.Series(dtype=ddf.dtypes[entity]),
                "value": pd.Series(dtype=ddf.dtypes[column]),
                "t": pd.Series(dtype=np.int64),
            }
        )
        if typed:
            meta["kind"] = pd.Series(dtype=ddf.dtypes[event])
        rows = ddf.map_partitions(
            _partition_pairs,
            entity,
            column,
            time,
            reading,
            event if typed else None,
            meta=meta,
            align_dataframes=False,
        )
        keys = ["entity", "value"] + (["kind"] if typed else [])
        # (dropna=False: an event without a type is still an event on its value)
        sums.append(rows.groupby(keys, dropna=False).t.agg(["count", "min", "max"]))
    # One compute for the ids and every column's pairs: the log read once, not once per
    # side column (review RV s47 L8).
    found, *tables = dask.compute(ddf[entity].dropna().unique(), *sums)
    ids = pd.Index(np.asarray(found), name=entity)
    ids = ids[~_blank_labels(ids)]  # (an id of blank text is missing)
    out = {}
    for column, pairs in zip(columns, tables):
        pair_entity = ids.get_indexer(pairs.index.get_level_values("entity"))
        values, uniques = pd.factorize(pairs.index.get_level_values("value"), sort=False)
        rank, labels = _text_ranks(uniques)
        first, last = pairs["min"].to_numpy(np.int64), pairs["max"].to_numpy(np.int64)
        found = (
            pair_entity.astype(np.int64),
            rank[values],
            pairs["count"].to_numpy(dtype=np.int64),
            None if time is None else first,
            None if time is None else last,
            labels,
        )
        if typed:
            kinds = pd.factorize(pairs.index.get_level_values("kind"), sort=False)
            found = _pairs_of_triples(found, kinds, max(len(uniques), 1))
        out[column] = found
    return ids, out


def _pairs_of_triples(triples, kinds, n_values: int):
    """The (entity, value) pairs of (entity, value, event type) triples, as
    :func:`oddseq.encode._context._pairs` gives them with types: their events added up,
    their first and last times the triples' least and most, and the seventh element,
    each triple of a type's pair, type code and events (``kinds``: the triples' type
    codes, -1 for none, and the types)."""
    entity, value, count, first, last, labels = triples
    at, pairs = pd.factorize(entity * n_values + value, sort=False)
    events = np.bincount(at, weights=count, minlength=pairs.size).astype(np.int64)
    start = np.full(pairs.size, np.iinfo(np.int64).max)
    end = np.full(pairs.size, np.iinfo(np.int64).min)
    np.minimum.at(start, at, first)
    np.maximum.at(end, at, last)
    codes, names = kinds
    has = codes >= 0
    types = (at[has], codes[has], count[has], names)
    return pairs // n_values, pairs % n_values, events, start, end, labels, types


def context_features(
    frames,
    entity: str,
    columns: list,
    time=None,
    time_unit="s",
    time_format=None,
    dayfirst=None,
    kept=None,
    event=None,
) -> list:
    """:func:`oddseq.encode.context_features` of dask DataFrames (the columns checked by
    the caller): each one's table, indexed by every entity id of it, NaN where an entity
    has no value in a column, each value's sharers counted over all of them; the times
    read as the call reads them; with ``event``, the types done only on brief values too.
    (A pandas frame among them is cut into partitions.)
    ``kept``: a dict that gets the reasons' facts of the last log's sharing
    (``kept["facts"]``: the few entities above the column's usual, from the same pass;
    ``oddseq._pipeline.say_shared_values``)."""
    reading = dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst)
    logs = []
    for frame in frames:
        if isinstance(frame, pd.DataFrame):
            frame = dd.from_pandas(frame, npartitions=1, sort=False)
        logs.append(log_pairs(frame, entity, columns, time, event, **reading))
    facts = None if kept is None else kept.setdefault("facts", {})
    return tables_from_pairs(logs, entity, columns, timed=time is not None, facts=facts)
