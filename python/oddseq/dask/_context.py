"""``context=`` over the partitions of a dask DataFrame: one machine's
:func:`oddseq.encode.context_features` from the (entity, value) pairs of every partition.

Each side column's features need, per entity and value, its events and its first and
last time (``oddseq.encode._context.pair_features``): the partitions give those of their
rows, a groupby adds them up across partitions (an entity's rows may lie in several
before the shuffle by entity), and the client, holding one row per pair (about an
entity's devices or IPs each), reads them as one machine does. With event types
(``brief_types[<column>]``), a second pass gives the (entity, value, type) counts of the
entities with a brief value alone (the others have none such), read from the pairs. The
table is a side table of the entities, as ``entity_features`` is: every worker receives
it.
"""

from __future__ import annotations

import warnings

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._pipeline import _timed_for_groups
from ..encode._context import _text_ranks, _times_ns, brief_pairs, tables_from_pairs
from ..sequences._sequences import _blank_labels, without_blank_ids
from ..utils._time import parse_times
from ..utils._unique import distinct


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
    per side column, its (entity, value) pairs, added up over the partitions; with
    ``time`` and ``event``, the pairs' event types too, from a second pass over the
    entities with a brief value alone (:func:`_brief_entity_types`)."""
    reading = _decided(ddf, time, reading)
    sums = []
    for column in columns:
        rows = ddf.map_partitions(
            _partition_pairs,
            entity,
            column,
            time,
            reading,
            meta=_pairs_meta(ddf, entity, column),
            align_dataframes=False,
        )
        sums.append(rows.groupby(["entity", "value"]).t.agg(["count", "min", "max"]))
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
        out[column] = (
            pair_entity.astype(np.int64),
            rank[values],
            pairs["count"].to_numpy(dtype=np.int64),
            None if time is None else first,
            None if time is None else last,
            labels,
        )
    if event is not None and time is not None:
        typed = _brief_entity_types(ddf, entity, columns, time, event, reading, ids, out)
        out = {column: out[column] + (typed[column],) for column in columns}
    return ids, out


def _pairs_meta(ddf, entity, column, event=None) -> pd.DataFrame:
    meta = pd.DataFrame(
        {
            "entity": pd.Series(dtype=ddf.dtypes[entity]),
            "value": pd.Series(dtype=ddf.dtypes[column]),
            "t": pd.Series(dtype=np.int64),
        }
    )
    if event is not None:
        meta["kind"] = pd.Series(dtype=ddf.dtypes[event])
    return meta


def _of_entities(frame, entity, wanted):
    """The partition's rows of the entities ``wanted`` (ids)."""
    return frame[frame[entity].isin(wanted)]


def _brief_entity_types(ddf, entity, columns, time, event, reading, ids, pairs) -> dict:
    """Per side column, the pairs' event types (as
    :func:`oddseq.encode._context.pair_types` gives them: each (pair, type)'s pair, type
    code and events, and the types), counted in a second pass over the rows of the
    entities with a brief value in that column alone: an entity without one has no type
    done only on brief values, and its chance term is 0, so its (entity, value, type)
    rows, most of a log's, never reach the client (review RV s55 M3)."""
    wanted, sums = {}, []
    for column in columns:
        pair_entity, pair_value, _, first, last, _ = pairs[column]
        brief = brief_pairs(pair_entity, pair_value, first, last, len(ids))
        wanted[column] = ids[distinct(pair_entity[brief])]
        # (the ids once in the graph, not once per partition's task)
        held = dask.delayed(wanted[column], pure=True)
        part = ddf.map_partitions(_of_entities, entity, held, meta=ddf._meta)
        rows = part.map_partitions(
            _partition_pairs,
            entity,
            column,
            time,
            reading,
            event,
            meta=_pairs_meta(ddf, entity, column, event),
            align_dataframes=False,
        )
        # (dropna=False: an event without a type is still an event on its value)
        sums.append(rows.groupby(["entity", "value", "kind"], dropna=False).t.count())
    counted = dask.compute(*sums)
    out = {}
    for column, found in zip(columns, counted):
        pair_entity, pair_value, _, _, _, labels = pairs[column]
        n_values = max(len(labels), 1)
        # each triple's pair: its (entity, value) codes looked up among the pairs'
        who = ids.get_indexer(found.index.get_level_values("entity"))
        value_rank = pd.Index(labels).get_indexer(found.index.get_level_values("value"))
        keys = pd.Index(pair_entity * n_values + pair_value)
        pair = keys.get_indexer(who.astype(np.int64) * n_values + value_rank)
        pair[(who < 0) | (value_rank < 0)] = -1  # (an id or value of no pair: none)
        codes, names = pd.factorize(found.index.get_level_values("kind"), sort=False)
        has = (codes >= 0) & (pair >= 0)
        count = found.to_numpy(dtype=np.int64)
        out[column] = (pair[has], codes[has], count[has], names)
    return out


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
