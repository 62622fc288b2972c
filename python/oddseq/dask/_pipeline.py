"""oddseq.dask.detect_anomalies: the one call over the partitions of a dask DataFrame.

The design is in the package docstring (oddseq/dask/__init__.py). Every per-partition
function here is top level (it is pickled to the workers) and calls the single-machine
code: Sequences.from_events, the pipeline's encoders and scalers, the detectors'
scoring, the C++ assignment kernel; this module adds only the reductions.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import warnings
from functools import cache, partial
from types import SimpleNamespace
from typing import NamedTuple

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.base import named_schedulers

from .. import _core, _fitted_data, _reasons
from .._pipeline import (
    AnomalyPipeline,
    _blend_categories,
    _category_key_hint,
    _checked_side,
    _ends,
    _group_objects,
    _Input,
    _is_group_finder,
    _n_scored_as_fitted,
    _normal_only_scale,
    _referee_fits,
    _rows_are,
    _typical_category_rows,
    _unknown_category_share,
    _warn_no_events,
    _warn_scored_as_fitted,
    _warn_unknown_categories,
    _with_groups,
    by_position,
    check_group_finder,
    check_switches,
    column_names,
    context_in_order,
    context_named,
    context_record,
    drop_normal_groups,
    empty_table,
    entities_in_normal,
    group_acts,
    group_finder,
    group_member_rows,
    groups_said,
    groups_the_normal_log_holds,
    item_category_map,
    labels_read_alike,
    no_normal_rows,
    normal_referee,
    one_off_flag_counts,
    rare_only_flag_counts,
    refuse_share_with_normal,
    say_brief_types,
    say_shared_values,
    session_spread_counts,
    short_flag_counts,
    short_member_frame,
    side_tables,
    warn_groups_past_the_cap,
    warn_groups_past_the_share,
    warn_large_groups,
    warn_neighbour_twins,
    warn_normal_holds_them,
    warn_one_off_flags,
    warn_rare_only_flags,
    warn_segments,
    warn_session_spread,
    warn_short_flags,
)
from ..cluster import KMeans
from ..cluster._kmeans import _SEED_LIMIT, restart_inertia, row_inertia
from ..detect import (
    EnsembleDetector,
    IsolationForest,
    KMeansDetector,
    PCADetector,
    RobustZDetector,
    _iforest,
)
from ..detect._base import check_contamination
from ..detect._iforest import _SEED_LIMIT as _IFOREST_SEED_LIMIT
from ..detect._threshold import folds_in_order
from ..encode._context import TYPES_FACTS
from ..exceptions import ConvergenceWarning, DataWarning, MissingValuesError
from ..preprocessing import LogScaler, StandardScaler, _quality
from ..preprocessing._evidence import EvidenceShrinker
from ..preprocessing._quality import (
    _GRAINS,
    MANY_EVENT_TYPES,
    _repeat_message,
    _repeated_columns,
    entity_swap_message,
    event_ids_message,
    grain_word,
    heavy_repetition,
    item_pairs,
    main_time_window,
    many_one_event,
    many_rare_types,
    no_items_message,
    no_values_message,
    one_event_message,
    repeated_entities,
    repeated_entities_message,
    repeats_of_the_previous,
    swapped_message,
    time_grain,
    warn_strays,
)
from ..sequences import Sequences
from ..sequences._sequences import (
    EXACT_FLOAT_IDS,
    PICK_THE_FIELD,
    _all_whole,
    _arrow_decimal,
    _field_of,
    _hashable,
    _unhashable,
    _value_numbers,
    _warn_if_alike_as_text,
    check_arrow_type,
    check_role_names,
    dropped_rows_message,
    missing_text_message,
    missing_values,
    not_numbers_text,
    nothing_left,
    rounded_ids_text,
    spelling_warning_text,
    unreadable_numbers,
)
from ..utils._exact import (
    column_max_abs,
    exponents,
    group_sum_parts,
    group_sums,
    moment_parts,
    moments,
)
from ..utils._progress import bar, step
from ..utils._rows import (
    united_distinct_rows,
    weighted_distinct_rows,
)
from ..utils._stacklevel import user_stacklevel
from ..utils._stats import MAD_TO_STD, spread_or_std
from ..utils._time import (
    MAKE_UNREADABLE_MISSING,
    _merge_digit_facts,
    _merge_serial_facts,
    _warn_if_another_unit,
    _warn_if_coarse_floats,
    _warn_if_digits,
    _warn_if_early_dates,
    _warn_if_serial_days,
    refuse_two_units_of_parts,
    unit_facts,
)
from ..utils._unique import distinct
from ..utils._validation import check_random_state, resolve_threads, too_few_to_fit
from . import _ecod, _neighbors
from ._context import context_features
from ._reduce import ColumnStatistics, add, column_statistics, map_reduce, merge_round
from ._reduce import tree as reduction_tree

__all__ = ["DASK_METHODS", "detect_anomalies"]

#: The methods oddseq.dask fits over partitions: the default ensemble and its members,
#: and the neighbour methods (exactly, by partition-pair blocks: oddseq.dask._neighbors).
DASK_METHODS = (
    "auto",
    "kmeans",
    "pca",
    "robust_z",
    "iforest",
    "ecod",
    *_neighbors.NEIGHBOUR_METHODS,
)
# Entity ids sampled per input partition to place the divisions of the shuffle, from
# a strided subsample of _SUBSAMPLE times as many.
_SAMPLES_PER_PARTITION = 256
_SUBSAMPLE = 16


@cache
def _delayed(fn):
    """The function as a pure Delayed, made once (tokenizing a function is not free)."""
    return dask.delayed(fn, pure=True)


def _client():
    """The distributed client in use, or None (dask's local schedulers, also where one
    is set by dask.config over an open client: data scattered to that client's workers
    could not be read by the local scheduler's tasks)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    if dask.config.get("scheduler", None) in named_schedulers:
        return None
    try:
        return default_client()
    except ValueError:  # no client: a local scheduler runs the graph
        return None


def _shared(obj):
    """An object every task reads (the fitted pipeline), sent once: on a distributed
    cluster scattered to every worker ahead of the pass (its size grows with the
    entities, and inside the graph it would travel with every pass's graph); else one
    graph key, read by each task."""
    client = _client()
    if client is not None:
        return client.scatter([obj], broadcast=True, hash=False)[0]
    return dask.delayed(obj, pure=True, traverse=False)


def _send(values: list) -> list:
    """Per-partition data made on the client (score slices): scattered, one piece to a
    worker, on a distributed cluster; as they are otherwise."""
    client = _client()
    return client.scatter(values, hash=False) if client is not None and values else values


def _compute(tasks):
    return list(dask.compute(*tasks)) if tasks else []


def _persist(tasks, progress: str | None = None):
    """Persist the per-partition tasks; with ``progress`` (a description), a bar of the
    partitions done as the cluster finishes them."""
    if not tasks:
        return []
    persisted = list(dask.persist(*tasks))
    if progress is not None:
        _count_partitions(persisted, progress)
    return persisted


def _count_partitions(persisted, description: str) -> None:
    """Count a persisted computation's partitions as a distributed cluster finishes them.
    Dask's local schedulers persist before returning, so there the stage line is all."""
    try:
        from distributed import as_completed, futures_of
    except ImportError:  # dask without distributed: local schedulers only
        return
    futures = futures_of(persisted)
    if not futures:
        return
    with bar(description, total=len(futures), unit="partitions") as done:
        for _ in as_completed(futures):
            done.update(1)


# ------------------------------------------------------------ 1. inspecting the input


def _refuse_missing_columns(part: pd.DataFrame, columns, index) -> None:
    """Input partition ``index`` must have every column the call names."""
    missing = [c for c in columns if c not in part.columns]
    if missing:
        raise ValueError(
            f"input partition {index} has no column(s) {missing} (it has {list(part.columns)}); "
            "every file must have the same columns: fix or leave out that file, or rename "
            "its columns before reading (dd.read_parquet/read_csv(..., columns=...))"
        )


def _inspect(part: pd.DataFrame, index: int, columns, entity: str, dropna: bool):
    """Check one input partition (columns present, entity ids present) and sample its
    entity ids."""
    _refuse_missing_columns(part, columns, index)
    ids = part[entity]
    if ids.dtype.kind == "f" and len(ids):
        big = ids[ids.abs() >= EXACT_FLOAT_IDS]
        if len(big):  # rounded when read, as on one machine (rounded_ids_text)
            raise ValueError(rounded_ids_text(entity, float(big.iloc[0])))
    absent = ids.isna().to_numpy()
    missing = int(absent.sum())
    also = {}  # of the rows without an id (dropped here), those missing another column
    if missing:
        if not dropna:
            raise ValueError(
                f"input partition {index} has {missing:,} rows without an "
                f"{entity!r} id; drop them (dropna=True, or ddf.dropna(subset=[{entity!r}]))"
            )
        also = {c: int(part[c][absent].isna().sum()) for c in columns if c != entity}
        ids = ids.dropna()
    dtypes = {c: str(part[c].dtype) for c in columns}
    values = ids.to_numpy(dtype=object if ids.dtype == object else None)
    # The sample only balances the shuffled partitions (ids outside its range go to the
    # first or last one): a strided subsample is sorted, not the whole column.
    stride = values.size // (_SUBSAMPLE * _SAMPLES_PER_PARTITION)
    try:
        values = np.sort(values[::stride] if stride > 1 else values)
    except TypeError:
        raise ValueError(_ids_of_several_types(entity, ids)) from None
    if values.size > _SAMPLES_PER_PARTITION:
        values = values[np.linspace(0, values.size - 1, _SAMPLES_PER_PARTITION).astype(np.int64)]
    # Whether the ids are whole numbers read as float (for _whole_ids_after_dropna).
    whole = ids.dtype.kind == "f" and _all_whole(ids.to_numpy())
    return {
        "index": index,
        "rows": len(part),
        "sample": values,
        "dtypes": dtypes,
        "missing": missing,
        "also": also,
        "whole": whole,
    }


def _ids_of_several_types(entity, ids) -> str:
    """The refusal of entity ids that do not order (1 and "1": a pd.concat of a CSV's
    numbers and an API's text, in an object column), with an id of each of two types:
    the shuffle shares the entities out by ranges of ids. One machine keeps them apart
    (in first-seen order) and warns where they read alike as text."""
    kinds = {}
    for v in ids:
        kinds.setdefault(type(v).__name__, v)
        if len(kinds) == 2:
            break
    shown = " and ".join(repr(v) for v in kinds.values())
    return (
        f"column {entity!r} holds ids of more than one type (such as {shown}), which "
        "oddseq.dask cannot order to share the entities among its partitions; give the "
        f"column one type: ddf[{entity!r}] = ddf[{entity!r}].astype(str) (ids that read "
        "alike as text then are one entity; one machine keeps them apart and warns)"
    )


def _whole_ids_after_dropna(reports, dropna: bool) -> bool:
    """Whether the entity ids become int64, as ``Sequences.from_events`` decides it on
    the whole log (``_whole_ids``): every id, in every partition, is a whole number read
    as float, whether the rows without one were dropped here (``dropna``) or before
    (ddf.dropna(): HC s33 finding 7)."""
    del dropna  # the same either way
    return all(r["whole"] for r in reports if r["rows"] > r["missing"])


def _name_the_unreadable(tasks, start: int = 0):
    """After reading the input failed: the first partition that cannot be read, named
    (``tasks`` read partitions ``start``, ``start + 1``, ...)."""
    for i, task in enumerate(tasks, start):
        try:
            _compute([task])
        except Exception as exc:
            raise ValueError(
                f"input partition {i} could not be read ({type(exc).__name__}: {exc}); a file "
                "that lacks a column or stores it differently from the others does this: fix "
                "or leave out that file, or read only the columns every file has "
                "(dd.read_parquet(..., columns=[...]))"
            ) from exc


def _check_input(part: pd.DataFrame, columns, kinds, index):
    """Input partition ``index``, refused when a column is missing or of another kind
    than the DataFrame declares (int/float/str/datetime)."""
    _refuse_missing_columns(part, columns, index)
    for c in columns:
        kind = _kind(str(part[c].dtype))
        if kind != kinds[c] and len(part):
            raise ValueError(
                f"column {c!r} is {part[c].dtype} in input partition {index} but the DataFrame "
                f"declares it {kinds[c]}: the files disagree on its type; give the reader one "
                f"(dd.read_csv(..., dtype={{{c!r}: ...}}), or ddf.astype({{{c!r}: ...}}) before "
                "the call)"
            )
    return part


# How the refusals that name their partition begin (_read, _build).
_NAMED = ("input partition", "column ", "partition ")


def _read(
    part: pd.DataFrame,
    index: int,
    columns,
    kinds,
    entity: str,
    dropna: bool,
    items=None,
    value=None,
    time=None,
):
    """Input partition ``index`` read whole (the columns the call names) and checked,
    with its report (``_inspect``: rows, dtypes, a sample of its entity ids; with a
    ``value`` column of text, ``_read_values``; with a numeric ``time`` column, its
    ``unit_facts``) and, with ``items`` (the group stage's
    ``(item, complete)``), its items (``_first_items``). It stays in the worker's memory
    until the shuffle has cut it up (the files are read once), held narrow
    (``_Packed``)."""
    _check_input(part, columns, kinds, index)
    report = _inspect(part, index, columns, entity, dropna)
    if time is not None and _kind(str(part[time].dtype)) in ("int", "float"):
        # (two units split across partitions: one machine refuses the whole column)
        numbers = part[time].to_numpy(dtype=np.float64, na_value=np.nan)
        report["time_units"] = unit_facts(numbers[np.isfinite(numbers)])
    if value is not None:
        part, report["values"] = _read_values(part, value, alone=columns.count(value) == 1)
    firsts = None if items is None else _first_items(part, *items)
    if dropna and report["rows"] and part[entity].hasnans:
        part = part.dropna(subset=[entity])
    packed = _Packed.of(part)
    del part
    _release_arrow_memory()
    return packed, report, firsts


def _read_values(part: pd.DataFrame, value, alone: bool):
    """The partition's value column of text read as numbers, as one machine reads it
    (``_value_numbers``): (the partition, with the numbers in the column's place where
    no other role reads it (``alone``), what did not read: None where all did, else
    ``_refuse_unread_values``'s facts: how many, the first (its row in the partition,
    the value), and the first list or dict (``_first_nested``)). Where some did not
    read, the client refuses the log before the shuffle."""
    column = part[value]
    dtype = column.dtype
    if not len(part) or not (dtype.kind in "OSU" or isinstance(dtype, pd.StringDtype)):
        return part, None
    if _arrow_decimal(dtype):  # numbers (kind "O"): one machine's reading, nulls kept
        if alone:
            part = part.copy(deep=False)
            part[value] = _value_numbers(column, value)
        return part, None
    numbers = pd.to_numeric(column, errors="coerce")
    unread = unreadable_numbers(column, numbers).to_numpy()
    if alone:  # the partitions built from it read numbers (not their text again)
        part = part.copy(deep=False)
        part[value] = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    # text read as missing ("n/a", blank), counted as one machine counts it
    as_missing = np.flatnonzero(column.notna().to_numpy() & numbers.isna().to_numpy() & ~unread)
    if not unread.any() and not as_missing.size:
        return part, None
    rows = np.flatnonzero(unread)
    facts = {
        "unread": int(rows.size),
        "first": (int(rows[0]), column.iloc[int(rows[0])]) if rows.size else None,
        "nested": _first_nested(column.iloc[rows], rows) if rows.size else None,
        "as_missing": int(as_missing.size),
        "first_missing": column.iloc[int(as_missing[0])] if as_missing.size else None,
    }
    return part, facts


def _first_nested(values: pd.Series, rows):
    """(row, value, its text or None) of the first list or dict of ``values`` (at
    ``rows``): JSON lines' "price": [15.06] as a list, or as the text Dask's string
    columns make of it ('[15.06]', "{'amount': 15.06}"); None where there is none."""
    for row, v in zip(rows, values.to_numpy(dtype=object)):
        if not _hashable(v):
            return int(row), v, None
        if isinstance(v, str) and v[:1] in ("[", "{") and v.rstrip()[-1:] in ("]", "}"):
            for read in (json.loads, ast.literal_eval):
                try:
                    parsed = read(v)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    continue
                if isinstance(parsed, (list, dict)):
                    return int(row), parsed, v
    return None


def _refuse_unread_values(reports, value) -> None:
    """One machine's refusal of a value column with text that is no number
    (``_value_numbers``) from the input partitions' facts (``_read_values``), with the
    whole log's counts and row numbers: a list or dict in its words (the first in the
    input's order), else how many of the log's values did not read, and the first; where
    all read, its warning of the text read as missing ("n/a"), with the log's count."""
    if value is None or not any(r.get("values") for r in reports):
        return
    starts = np.cumsum([0] + [r["rows"] for r in reports])
    found = [
        (int(starts[i]), r["values"])
        for i, r in enumerate(reports)
        if r.get("values") and r["values"]["unread"]
    ]
    if not found:  # only text read as missing: counted as one machine counts it
        said = [r["values"] for r in reports if r.get("values")]
        n_text = sum(facts["as_missing"] for facts in said)
        first = next(facts["first_missing"] for facts in said if facts["as_missing"])
        warnings.warn(
            missing_text_message(value, n_text, int(starts[-1]), first),
            DataWarning,
            stacklevel=user_stacklevel(),
        )
        return
    for start, facts in found:
        if facts["nested"] is None:
            continue
        row, nested, text = facts["nested"]
        one = np.empty(1, dtype=object)
        one[0] = nested
        said = _unhashable(one, value, value=True, rows=[start + row])
        if text is not None:  # held as their text: .str.get(0) would take a character
            said = said[: said.index(PICK_THE_FIELD)] + _nested_text_advice(value, nested, text)
        raise TypeError(said)
    n_unread = sum(facts["unread"] for _, facts in found)
    raise TypeError(not_numbers_text(value, n_unread, int(starts[-1]), found[0][1]["first"][1]))


def _unreadable_in_ddf(said: str) -> str:
    """One machine's unreadable-times error (``utils._time._few_unreadable``) as said of
    a partition of ``ddf``: its counts and rows are the partition's (its rows by the
    partition's own numbering: left out), its fix is on ``ddf`` (dask's to_datetime)."""
    said = re.sub(r" \(row [^)]*\)", "", said)
    said = said.replace("df[", "ddf[").replace("pd.to_datetime(", "dd.to_datetime(")
    return "in one partition of ddf, " + said.replace(" that ", " (of that partition) that ", 1)


def _nested_text_advice(name, nested, text: str) -> str:
    """How to pick the field of lists or objects a dask DataFrame holds as their text
    (one machine's ``.str.get`` would take a character of it)."""
    kind = "lists" if isinstance(nested, list) else "objects"
    strip = ""
    if kind == "lists":
        strip = (
            f"ddf[{name!r}] = ddf[{name!r}].str.strip('[]').str.split(',').str[0]"
            ".astype(float) for a list's first, or "
        )
    return (
        f"Dask holds them as their text, such as {text!r}: pick the field you mean, "
        f"{strip}keep the {kind} (make the dask DataFrame under dask.config.set("
        "{'dataframe.convert-string': False})) and take "
        f"ddf[{name!r}] = ddf[{name!r}].str.get({_field_of(nested)})"
    )


def _release_arrow_memory() -> None:
    """Give the memory Arrow's pool keeps after a read (the frame read from Parquet, now
    held narrow) back to the system: the pool otherwise keeps it for the next read."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - dask's Parquet reader needs pyarrow
        return
    pa.default_memory_pool().release_unused()


def _report(read):
    return read[1]


def _explain_input_failure(ddf, columns, entity, dropna):
    """After the shuffle failed: read and check every input partition in full, one at
    a time, and name the first that cannot be read or disagrees on a column's type."""
    tasks = [
        _delayed(_inspect)(part, i, columns, entity, dropna)
        for i, part in enumerate(ddf.to_delayed())
    ]
    reports = []
    for i, task in enumerate(tasks):
        try:
            reports.extend(_compute([task]))
        except ValueError as exc:
            if str(exc).startswith("input partition"):
                raise
            _name_the_unreadable(tasks[i : i + 1], i)
        except Exception:
            _name_the_unreadable(tasks[i : i + 1], i)
    _check_dtypes(reports, columns)


def _check_dtypes(reports, columns):
    """Refuse partitions whose columns' dtypes disagree with the first partition's."""
    first = reports[0]
    for report in reports[1:]:
        for c in columns:
            a, b = first["dtypes"][c], report["dtypes"][c]
            if _kind(a) != _kind(b):
                raise ValueError(
                    f"column {c!r} is {b} in input partition {report['index']} but {a} in "
                    f"partition {first['index']}: the files disagree on its type; give the "
                    f"reader one (dd.read_csv(..., dtype={{{c!r}: ...}}), or "
                    f"ddf.astype({{{c!r}: ...}}) before the call)"
                )


def _kind(dtype: str) -> str:
    """int/float/str/datetime/bool families: int64 and int32 files may meet."""
    d = dtype.lower()
    if d.startswith(("int", "uint")):
        return "int"
    if d.startswith("float"):
        return "float"
    if d.startswith("datetime"):
        return "datetime" + ("tz" if "," in d or "utc" in d else "")
    if d in ("object", "string", "str") or d.startswith("string"):
        return "str"
    return d


# A shuffled partition's default size. A worker's peak is building one partition's
# sequences from its events, and it grows with the partition (measured: 1.6-1.7 GB per
# worker at 3.75 M events a partition, 30 M events on 8), so the default caps the events
# of a partition rather than following the input's file count.
PARTITION_EVENTS = 4_000_000


def _default_partitions(reports) -> int:
    """As many partitions as the input has, more when they would exceed
    PARTITION_EVENTS events each."""
    rows = sum(r["rows"] for r in reports)
    return max(len(reports), -(-rows // PARTITION_EVENTS))


def _divisions(reports, n_out: int, entity: str):
    """Sorted entity ids splitting the sampled rows into n_out parts of about equal size."""
    samples = [r["sample"] for r in reports if r["sample"].size]
    if not samples:
        raise ValueError("the DataFrame has no events (every partition is empty)")
    weights = np.concatenate(
        [
            np.full(r["sample"].size, r["rows"] / r["sample"].size)
            for r in reports
            if r["sample"].size
        ]
    )
    try:
        values = np.concatenate(samples)
        order = np.argsort(values, kind="stable")
    except TypeError:
        # (each partition's ids order, _inspect: one of each partition has every type)
        ids = pd.Series(np.concatenate([s[:1] for s in samples]))
        raise ValueError(_ids_of_several_types(entity, ids)) from None
    values, weights = values[order], weights[order]
    cumulative = np.cumsum(weights)
    cuts = [
        values[np.searchsorted(cumulative, cumulative[-1] * q / n_out)] for q in range(1, n_out)
    ]
    divisions = [values[0]]
    for c in [*cuts, values[-1]]:
        if c > divisions[-1]:
            divisions.append(c)
    if len(divisions) == 1:  # one entity only
        divisions.append(values[-1])
    return tuple(v.item() if hasattr(v, "item") else v for v in divisions)


# An integer column is held as uint32 offsets from its smallest value when they fit,
# a text column as codes into its distinct values when it has at most this many.
_NARROW_SPAN = 1 << 32
_CODED_DISTINCT = 1 << 16


def _narrow_ints(values: np.ndarray):
    """(uint32 offsets, smallest value) of a 64-bit integer column whose values span
    less than 2^32, else None."""
    if values.size == 0:
        return None
    low, high = values.min(), values.max()
    if int(high) - int(low) >= _NARROW_SPAN:
        return None
    out = np.empty(values.size, dtype=np.uint32)
    np.subtract(values, low, out=out, casting="unsafe")  # exact: 0 <= value - low < 2^32
    return out, low


def _is_dictionary(dtype: pd.ArrowDtype) -> bool:
    """Whether an Arrow dtype is a dictionary (pyarrow is there where one exists)."""
    import pyarrow as pa

    return pa.types.is_dictionary(dtype.pyarrow_dtype)


class _Packed:
    """An input partition's columns as the shuffle holds them: 64-bit integer columns
    (entity ids, Unix times, item ids) as uint32 offsets from a base where their span
    allows, text columns with few distinct values (event types) as codes, any other
    column as it is. About 13 bytes an event instead of 25 for Taobao's four columns,
    in the input partitions and in the pieces cut from them; ``frame()`` gives the
    columns back with their dtypes and values."""

    __slots__ = ("columns", "names", "n")

    def __init__(self, columns: dict, n: int):
        # name -> ("int", offsets, base, dtype) | ("codes", codes, uniques, dtype)
        #       | ("plain", pandas Series)
        self.columns = columns
        self.names = list(columns)
        self.n = n

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Packed:
        return cls({c: cls._pack(frame[c]) for c in frame.columns}, len(frame))

    @staticmethod
    def _pack(series: pd.Series):
        dtype = series.dtype
        if isinstance(dtype, pd.ArrowDtype) and _is_dictionary(dtype):
            # An Arrow dictionary (a Parquet file of categories read with pyarrow's
            # dtypes) as its values: each input partition has its own dictionary, and
            # the pieces of two of them, put together, made an entity's sequence twice
            # with negative lengths (trial s43b M1).
            series = series.astype(pd.ArrowDtype(dtype.pyarrow_dtype.value_type))
            dtype = series.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iu" and dtype.itemsize == 8:
            values = series.to_numpy()
            narrow = _narrow_ints(values)
            if narrow is not None:
                return ("int", narrow[0], narrow[1], dtype)
            # A copy: the column is a row of the frame's 2-D block of every 64-bit integer
            # column, which a view would keep whole.
            return ("int", values.copy(), dtype.type(0), dtype)
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            # Missing values stay as they are (None and NaN are not told apart by codes).
            if len(uniques) <= _CODED_DISTINCT and not (codes < 0).any():
                small = np.int16 if len(uniques) < (1 << 15) else np.int32
                return ("codes", codes.astype(small), uniques, dtype)
        return ("plain", series.reset_index(drop=True).copy())  # its own memory, as above

    def __len__(self) -> int:
        return self.n

    def __sizeof__(self) -> int:  # what Dask counts for this object in a worker
        size = 64
        for packed in self.columns.values():
            if packed[0] == "plain":
                size += packed[1].memory_usage(deep=True)
            else:
                size += packed[1].nbytes
                if packed[0] == "codes":
                    size += packed[2].memory_usage(deep=True)
        return size

    def take(self, rows: np.ndarray) -> _Packed:
        """These rows, an integer column narrowed again to the rows' span (a piece of
        the shuffle holds a range of entity ids, which fits where the whole did not)."""
        out = {}
        for name, packed in self.columns.items():
            kind = packed[0]
            if kind == "plain":
                out[name] = ("plain", packed[1].take(rows).reset_index(drop=True))
            elif kind == "codes":
                out[name] = ("codes", packed[1][rows], packed[2], packed[3])
            elif packed[1].dtype == np.uint32:
                out[name] = ("int", packed[1][rows], packed[2], packed[3])
            else:
                values = packed[1][rows]
                narrow = _narrow_ints(values)
                out[name] = (
                    ("int", narrow[0], narrow[1], packed[3])
                    if narrow is not None
                    else ("int", values, packed[2], packed[3])
                )
        return _Packed(out, len(rows))

    @staticmethod
    def _values(packed) -> pd.Series:
        kind = packed[0]
        if kind == "plain":
            return packed[1]
        if kind == "codes":
            codes, uniques, dtype = packed[1], packed[2], packed[3]
            values = pd.api.extensions.take(np.asarray(uniques), codes, allow_fill=True)
            return pd.Series(values, dtype=dtype)
        values, base, dtype = packed[1], packed[2], packed[3]
        return pd.Series(np.add(values, base, dtype=dtype, casting="unsafe"))

    def column(self, name) -> pd.Series:
        """One column with its dtype and values."""
        return self._values(self.columns[name]).rename(name)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({c: self.column(c) for c in self.names})

    @staticmethod
    def join(pieces: list) -> pd.DataFrame:
        """The pieces' rows one after the other, as a DataFrame of the input's dtypes
        (each integer column written straight into one array, without a wide copy of
        each piece first)."""
        if len(pieces) == 1:
            return pieces[0].frame()
        names = pieces[0].names
        total = sum(len(p) for p in pieces)
        columns = {}
        for name in names:
            parts = [p.columns[name] for p in pieces]
            if all(p[0] == "int" for p in parts) and len({p[3] for p in parts}) == 1:
                out = np.empty(total, dtype=parts[0][3])
                at = 0
                for _, values, base, _ in parts:
                    # offset + base in one pass, straight into the column
                    np.add(values, base, out=out[at : at + values.size], casting="unsafe")
                    at += values.size
                columns[name] = pd.Series(out)
            else:
                columns[name] = pd.concat([_Packed._values(p) for p in parts], ignore_index=True)
        return pd.DataFrame(columns)


def _destinations(ids: pd.Series, divisions) -> np.ndarray:
    """The shuffled partition of each entity id: j where divisions[j] <= id <
    divisions[j + 1]; ids below the first division go to the first partition and ids
    from the last one on to the last, so the partitions stay ranges of sorted ids."""
    n_out = len(divisions) - 1
    where = pd.Index(list(divisions[:-1])).searchsorted(ids.to_numpy(), side="right") - 1
    return np.clip(where, 0, n_out - 1).astype(np.int16 if n_out < 2**15 else np.int32)


def _split(read, divisions, entity: str) -> list:
    """An input partition cut into one piece per shuffled partition, each piece's rows
    in their input order (so an entity's events at equal times keep the order the
    single-machine call reads them in). The shuffle is this and ``_build``'s
    concatenation, with the pieces held in the workers' memory: Dask's p2p shuffle
    writes them to disk and sorts each partition by the entity again, which
    ``Sequences.from_events`` does anyway."""
    part = read[0]
    n_out = len(divisions) - 1
    dest = _destinations(part.column(entity), divisions)
    order = np.argsort(dest, kind="stable")  # a radix sort of the small codes
    bounds = np.concatenate([[0], np.cumsum(np.bincount(dest, minlength=n_out))])
    return [part.take(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


# ----------------------------------------------------------- 2. sequences per partition


def _over_the_limit(ids: pd.Series, index: int, entity: str, limit: int) -> str:
    """The refusal of a shuffled partition of more than ``limit`` events (``ids``: its
    entity column): the fix for one entity above the limit (leave it out, sessions), or
    for many entities together (more partitions)."""
    counts = ids.value_counts()
    top, largest = counts.index[0], int(counts.iloc[0])
    top = top.item() if isinstance(top, np.generic) else top  # 3374, not np.int64(3374)
    text = (
        f"partition {index} holds {len(ids):,} events after the shuffle, more than "
        f"max_partition_events={limit:,}"
    )
    if largest > limit:
        return (
            f"{text}; entity {top!r} alone has {largest:,} ({largest / len(ids):.0%}). One "
            f"entity's events must fit one worker: leave it out (ddf[ddf[{entity!r}] != "
            f"{top!r}]) and look at it on its own, cut it into sessions (session_gap=...), "
            "give the workers more memory, or raise max_partition_events"
        )
    need = -(-len(ids) // limit)
    return (
        f"{text}; no single entity is the cause (the largest, {top!r}, has {largest:,}, "
        f"{largest / len(ids):.0%}). Spread the entities over more partitions: npartitions= "
        f"(about {need}x the partitions the shuffle made), give the workers more memory, or "
        "raise max_partition_events"
    )


def _build(
    pieces: list,
    index: int,
    entity: str,
    options: dict,
    limit,
    pipeline,
    whole_ids=False,
    ends=False,
    group=None,
    timed=False,
):
    """One shuffled partition, from its pieces of every input partition (in the input's
    order): its Sequences (the entities with at least min_events); ``whole_ids``: the
    ids as int64 (``_whole_ids_after_dropna``); ``ends``: every entity's ends too
    (``_entity_ends``, before min_events, as one machine compares them); ``group``:
    the item vocabulary: the group stage's input too (``_group_input``,
    before min_events: one machine searches every entity); ``timed``: the times too,
    before min_events (``_warn_outside_the_window``, which drops them), and the counts
    of repeated events (``_repeat_facts``, for ``_warn_repeated``; where its times are
    whole minutes or coarser, the sequences before min_events too, until then)."""
    part = _Packed.join(pieces)
    if whole_ids and len(part):
        part[entity] = part[entity].to_numpy().astype(np.int64)
    state = {"index": index, "n": 0, "seqs": None, "events": len(part)}
    if len(part) == 0:
        return state
    if limit is not None and len(part) > limit:
        raise ValueError(_over_the_limit(part[entity], index, entity, limit))
    # The log checks' warnings are left out at their source, not filtered: partitions
    # are built in threads on dask's threaded scheduler, where warnings.catch_warnings
    # (process-wide state, saved and restored) can leave a filter behind. Their facts
    # come back instead, and the client warns once for the whole log (_warn_about_log).
    facts = {}
    try:
        seqs = Sequences._from_events(
            part, entity=entity, n_threads=None, **options, log_warnings=facts
        )
    except MissingValuesError as refused:
        # Refused (or, with dropna, nothing left) by this partition's counts: the client
        # refuses or drops by the whole log's (_refuse_missing, _warn_about_log).
        if refused.dropna:
            facts["dropped"] = (refused.n_rows, refused.n_rows, refused.counts)
        else:
            facts["missing"] = refused.counts
        state["log"] = facts
        return state
    except ValueError as refused:  # (after MissingValuesError, which is one too)
        if MAKE_UNREADABLE_MISSING not in str(refused):
            raise
        raise ValueError(_unreadable_in_ddf(str(refused))) from None
    if ends:
        state["ends"] = _entity_ends(seqs)
    if timed and seqs.times is not None:  # for the client's _warn_outside_the_window
        state["timed"] = (seqs.times, seqs.offsets, seqs.ids)
        facts["n_times"] = seqs.n_events
        facts["tz"] = seqs.tz  # (its clock times in the log's zone)
        facts["naive"] = seqs.naive_clock  # (naive times: the log's clock, no zone said)
        facts["repeats"] = _repeat_facts(seqs)
        if isinstance(facts["repeats"]["entities"], str):  # _UNJUDGED
            state["unjudged"] = seqs  # (no copy where min_events keeps every sequence)
    labels = _object_labels(seqs)
    if labels:  # kept for the client's check of ids alike as text (_warn_alike_as_text)
        state["labels"] = labels
        facts["kinds"] = {role: pd.api.types.infer_dtype(v) for role, v in labels.items()}
    if group is not None:
        state["group"] = _group_input(seqs, group)
    # Scored with a fitted model (normal=): event types in the fitted kind, as one
    # machine scores them (template ids fitted as 5 and given as "5"); in fit, unchanged.
    fitted = pipeline._as_fitted_events(seqs)
    kept = pipeline._kept(fitted)
    if group is not None and len(kept) < len(fitted):
        # the sequences min_events leaves out, for the group stage (_acting: one machine
        # lists those that act in a group, join_groups)
        state["short"] = fitted.take(np.flatnonzero(fitted.lengths < pipeline.min_events))
    facts["columns"] = _column_facts(seqs, dropped=len(kept) < len(seqs))
    if options.get("event") is not None:  # for the client's _warn_spelt_apart
        facts["spellings"] = _spellings(seqs)
    state.update(n=len(kept), seqs=kept if len(kept) else None, log=facts)
    return state


#: A partition's entities ingested twice, not judged yet (``_repeat_facts``).
_UNJUDGED = "unjudged"


def _repeat_facts(seqs: Sequences) -> dict:
    """What one machine's warnings of repeated events (``warn_about_the_log``) count on
    a partition's sequences before min_events (its entities are whole here, so the
    counts are exact): its events, those that repeat the one before them, its times'
    grain (``time_grain``), what a repeat repeats in words, and its entities whose rows
    look ingested twice (``_entities_twice``). These are judged (their repeats counted
    on the events that share a time) only where the partition's times are finer than
    whole minutes, as the whole log's then are; where they are not (every event sharing
    a time with others: seconds of CPU on 10 M events), only if the client asks
    (``_UNJUDGED``), where another partition's times are finer."""
    grain = time_grain(seqs.times)
    return {
        "events": seqs.n_events,
        "repeated": repeats_of_the_previous(seqs),
        "grain": grain,
        "columns": _repeated_columns(seqs),
        "entities": _entities_twice(seqs) if grain == len(_GRAINS) else _UNJUDGED,
    }


def _entities_twice(seqs: Sequences):
    """``repeated_entities`` of a partition, judged as in a log of times finer than whole
    minutes (the client's call): their first 5 ids, how many, their repeats, events."""
    return repeated_entities(seqs, whole_minutes=False, most=5)


def _unjudged_entities(state):
    return _entities_twice(state["unjudged"]) if "unjudged" in state else None


def _warn_repeated(states, facts) -> None:
    """One machine's warnings of heavily repeated events (``warn_about_the_log``), in
    its words, from the partitions' counts (``_repeat_facts``): over the log's bar
    (``heavy_repetition``), the share and the times' grain (the log's: the finest of its
    partitions'), in the words one machine gives without the frame (``df=None``: the
    rows duplicated in every column of the input are not counted, as only the named
    columns are read); under it, the entities whose rows look ingested twice, the first
    few named (the partitions are ranges of the sorted entities, in order; those of a
    partition of times in whole minutes or coarser judged only then, ``_repeat_facts``)."""
    parts = [f["repeats"] for f in facts if "repeats" in f]
    n = sum(p["events"] for p in parts)
    if n < 20:
        return
    repeated = sum(p["repeated"] for p in parts)
    rank = max(p["grain"] for p in parts)
    columns = parts[0]["columns"]
    if heavy_repetition(repeated, n):
        message = _repeat_message(repeated, n, grain_word(rank), None, columns)
    else:
        if rank < len(_GRAINS):
            return  # (times of whole minutes or coarser: distinct events share a time)
        found = [f.get("repeats", {}).get("entities") for f in facts]
        late = [p for p, f in enumerate(found) if isinstance(f, str)]  # _UNJUDGED
        for p, judged in zip(
            late, _compute([_delayed(_unjudged_entities)(states[p]) for p in late])
        ):
            found[p] = judged
        found = [f for f in found if f is not None]
        if not found:
            return
        first = found[0][0].append([f[0] for f in found[1:]])[:5]
        message = repeated_entities_message(
            _Owners(first, sum(f[1] for f in found)),
            sum(f[2] for f in found),
            sum(f[3] for f in found),
            n,
            columns,
        )
    warnings.warn(message, DataWarning, stacklevel=user_stacklevel())


def _times_at(state, positions):
    return state["timed"][0][positions]


def _all_times(state):
    return state["timed"][0] if "timed" in state else np.empty(0, dtype=np.int64)


def _outside(state, window, most: int):
    """The partition's events against ``window``: (how many lie outside, its first
    ``most`` entities of them and how many entities, the extremes of its events inside
    and of those outside), None for a partition without times. Every partition's
    extremes inside, strays or not: the warning's "the rest from .. to .." is the whole
    log's, as one machine's (review RV s35 M3: taken from the partitions with strays
    alone, 2 partitions said 16:10 where one machine said 2017-11-24 16:01)."""
    if "timed" not in state:
        return None
    times, offsets, ids = state["timed"]
    outside = (times < window[0]) | (times > window[1])
    owners = distinct(np.searchsorted(offsets, np.flatnonzero(outside), "right")) - 1
    inside = times[~outside]
    return (
        int(outside.sum()),
        ids[owners[:most]],
        owners.size,
        (inside.min(), inside.max()) if inside.size else None,
        (times[outside].min(), times[outside].max()) if outside.any() else None,
    )


class _Owners:
    """The entities of the events outside the window (or ingested twice) over the
    partitions, as ``warn_strays`` (``repeated_entities_message``) reads them: the first
    few (``[:k]``) and how many (``len``)."""

    def __init__(self, first, n: int):
        self.first, self.n = first, n

    def __getitem__(self, key):
        return self.first[key]

    def __len__(self) -> int:
        return self.n


def _warn_outside_the_window(states, facts):
    """One machine's warning of events outside the log's main time window
    (``warn_about_the_log``: ``main_time_window`` over the sequences' times before
    min_events, then ``warn_strays``), from the partitions' times: their count; the
    times themselves where the log has at most _WINDOW_SAMPLE events, else those at the
    positions one machine draws in the same order of sequences (the partitions are
    ranges of its sorted entities); then each partition's events outside the window
    (counts, extremes and its first few entities). Returns the states without the times
    kept for it."""
    counts = [f.get("n_times", 0) for f in facts]
    n = sum(counts)
    if n >= 20:
        if n > _quality._WINDOW_SAMPLE:
            drawn = np.random.default_rng(0).integers(0, n, _quality._WINDOW_SAMPLE)
            starts = np.cumsum([0, *counts])
            tasks, at = [], []
            for p, state in enumerate(states):
                here = np.flatnonzero((drawn >= starts[p]) & (drawn < starts[p + 1]))
                if here.size:
                    tasks.append(_delayed(_times_at)(state, drawn[here] - starts[p]))
                    at.append(here)
            sample = np.empty(drawn.size, dtype=np.int64)
            for here, times in zip(at, _compute(tasks)):
                sample[here] = times
        else:
            sample = np.concatenate(_compute([_delayed(_all_times)(s) for s in states]))
        window = main_time_window(sample)
        if window is not None:
            most = 5  # (warn_strays names at most this many entities)
            every = [
                f for f in _compute([_delayed(_outside)(s, window, most) for s in states]) if f
            ]
            found = [f for f in every if f[0]]
            if found:
                first = found[0][1].append([f[1] for f in found[1:]])[:most]
                inside = [f[3] for f in every if f[3] is not None]
                warn_strays(
                    sum(f[0] for f in found),
                    _Owners(first, sum(f[2] for f in found)),
                    (min(i[0] for i in inside), max(i[1] for i in inside)),
                    (min(f[4][0] for f in found), max(f[4][1] for f in found)),
                    tz=next((f["tz"] for f in facts if f.get("tz")), None),
                    naive=all(f.get("naive", False) for f in facts if "n_times" in f),
                )
    if not any(counts):
        return states
    return _persist([_delayed(_drop)(s, ("timed", "unjudged")) for s in states])


def _object_labels(seqs: Sequences) -> dict:
    """The partition's event types and items where they are of dtype object (Python
    objects: maybe of several types), by role."""
    labels = {"event": seqs.event_labels, "item": seqs.item_labels}
    return {role: v for role, v in labels.items() if v is not None and v.dtype == object and len(v)}


def _labels_of(state, role: str):
    return state.get("labels", {}).get(role)


def _warn_alike_as_text(states, facts, options: dict) -> None:
    """One machine's warning of ids that read alike as text in a column of several types
    (``_warn_if_alike_as_text``: 1 and "1", kept apart), on the event types and items
    of the whole log: where the partitions' labels are of dtype object and of more than
    one kind (each partition's ``"kinds"``: pandas' ``infer_dtype``), their labels come
    to the client (the distinct ones, once per partition) and one machine's check reads
    them; otherwise nothing more is read. The entities cannot be of several types here
    (``_ids_of_several_types``)."""
    for role in ("event", "item"):
        kinds = {f["kinds"][role] for f in facts if role in f.get("kinds", {})}
        if len(kinds) < 2 and not kinds & {"mixed", "mixed-integer"}:
            continue
        parts = [
            v for v in _compute([_delayed(_labels_of)(s, role) for s in states]) if v is not None
        ]
        _warn_if_alike_as_text(parts[0].append(parts[1:]).unique(), options[role])


def _spellings(seqs: Sequences) -> dict | None:
    """A partition's text event types and their counts ({label: events}), for one
    machine's warning of one type spelt several ways (``_warn_spelt_apart``), or None
    where no type is text."""
    labels = seqs.event_labels
    text = np.fromiter((isinstance(v, str) for v in labels), bool, len(labels))
    if not text.any():
        return None
    counts = seqs.event_counts()
    return {label: int(counts[i]) for i, label in enumerate(labels) if text[i]}


def _warn_spelt_apart(facts, options: dict, pipeline) -> None:
    """One machine's warning of an event type spelt several ways, by case or spaces
    around it (``spelling_warning_text``: "view" and "View", kept apart), on the whole
    log's types: the partitions' text types and counts summed (the spellings may sit in
    different partitions); read to be scored by ``pipeline`` (fitted on ``normal=``),
    mapped to its spellings."""
    counts: dict = {}
    for part in facts:
        for label, n in (part.get("spellings") or {}).items():
            counts[label] = counts.get(label, 0) + n
    if not counts:
        return
    said = spelling_warning_text(
        list(counts),
        list(counts.values()),
        options["event"],
        fitted_types=_fitted_data.fitted_event_types(pipeline),
    )
    if said is not None:
        warnings.warn(said, DataWarning, stacklevel=user_stacklevel())


def _column_facts(seqs: Sequences, dropped: bool) -> dict:
    """What the column warnings (``_warn_about_columns``) read of a partition's sequences
    before min_events: a few numbers (entities, those of one event, events, labels, and
    whether they are sessions) and, where min_events ``dropped`` some, the labels and
    their counts before it (the summary's, ``_summary``, are those after it)."""
    facts = {
        "entities": len(seqs),
        "single": int(np.count_nonzero(seqs.lengths == 1)),
        "events": seqs.n_events,
        "labels": len(seqs.event_labels),
        "sessions": isinstance(seqs.ids, pd.MultiIndex),
        # events with a value (None: no value column), for the empty column's warning
        "valued": None
        if seqs.values is None
        else int(np.count_nonzero(~np.isnan(np.asarray(seqs.values, dtype=np.float64)))),
        # events with an item (None: no item column), for the empty item column's warning
        "itemed": None
        if seqs.items is None
        else int(np.count_nonzero(np.asarray(seqs.items) >= 0)),
    }
    if dropped:
        facts["counts"] = (seqs.event_labels, seqs.event_counts())
    # (event, item) pairs where the partition has few items, for the swapped columns'
    # question (one machine's; more than a few items in one partition: no question)
    facts["item_pairs"] = item_pairs(seqs) if getattr(seqs, "items", None) is not None else None
    facts["many_items"] = facts["item_pairs"] is None and getattr(seqs, "items", None) is not None
    facts["names"] = (seqs.event_labels.name, getattr(seqs.item_labels, "name", None))
    return facts


# ------------------------------------- the entities scored that normal holds (one machine's
# _warn_if_scoring_what_was_fitted, counted where the entities are)


def _entity_ends(seqs: Sequences) -> dict:
    """What one machine compares per entity: ids, lengths, and the first and last
    events (and times) of those with events (``_ends``; a row without events keeps a
    stand-in that is never compared)."""
    rows = np.flatnonzero(seqs.lengths > 0)
    ends = []
    for values in _ends(seqs, rows) if rows.size else []:
        full = np.repeat(values[:1], len(seqs))
        full[rows] = values
        ends.append(full)
    return {"ids": seqs.ids, "lengths": seqs.lengths, "ends": ends}


def _ends_of(state):
    return state.get("ends")


def _entity_level(ids):
    return ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids


def _ends_facts(ends):
    """(lowest entity, highest entity, sequences, ids unique, distinct entities, whole
    numbers) of a partition, or None."""
    if ends is None or len(ends["ids"]) == 0:
        return None
    entities = _entity_level(ends["ids"])
    return (
        entities.min(),
        entities.max(),
        len(ends["ids"]),
        ends["ids"].is_unique,
        entities.nunique(),
        entities.dtype.kind in "iu",
    )


def _log_by_position(facts) -> bool:
    """One machine's ``by_position`` of a whole log's ids from its partitions' facts
    (an entity lies in one partition)."""
    facts = [f for f in facts if f is not None]
    if not facts or not all(f[5] for f in facts):
        return False
    low, high = min(int(f[0]) for f in facts), max(int(f[1]) for f in facts)
    return by_position(low, high, sum(f[4] for f in facts), "i")


def _count_in_normal(mine, *fitted) -> tuple[int, int]:
    """(a scored partition's entities, how many are entities of the ``fitted``
    partitions: those whose entities overlap its own), ``entities_in_normal``'s."""
    if not fitted:
        return entities_in_normal(mine["ids"], mine["ids"][:0])
    ids = fitted[0]["ids"].append([f["ids"] for f in fitted[1:]])
    return entities_in_normal(mine["ids"], ids)


def _count_scored_as_fitted(mine, *fitted) -> int:
    """How many of a scored partition's entities the ``fitted`` partitions (those whose
    entities overlap its own) hold with the same events (``_n_scored_as_fitted``)."""
    if not fitted:
        return 0
    ids = fitted[0]["ids"].append([f["ids"] for f in fitted[1:]])
    lengths = np.concatenate([f["lengths"] for f in fitted])
    ends = [np.concatenate(columns) for columns in zip(*(f["ends"] for f in fitted))]
    n = _n_scored_as_fitted(
        mine["ids"],
        mine["lengths"],
        lambda rows: [e[rows] for e in mine["ends"]],
        ids,
        lengths,
        lambda rows: [e[rows] for e in ends],
    )
    return 0 if n is None else n


def _overlap(a, b) -> bool:
    """Whether two partitions' entity ranges meet (True where ids do not compare)."""
    try:
        return not (a[1] < b[0] or b[1] < a[0])
    except TypeError:
        return True


def _warn_if_scoring_what_was_fitted(data_states, normal_ends, rows="entities") -> None:
    """One machine's warning that most entities scored are in normal with the same
    events, once, with its counts: each scored partition is compared, in the workers,
    with the normal partitions whose entities overlap its own (both are ranges of sorted
    entities); only counts and each partition's range come to the client. ``rows``:
    what the scored rows are ("entities", "sessions")."""
    data_ends = [_delayed(_ends_of)(s) for s in data_states]
    facts = _compute([_delayed(_ends_facts)(e) for e in [*normal_ends, *data_ends]])
    normal_facts, data_facts = facts[: len(normal_ends)], facts[len(normal_ends) :]
    # ids that repeat: the same events are not judged (one machine does not either)
    unique = all(f[3] for f in facts if f is not None)
    pairs = [
        (p, [normal_ends[q] for q, g in enumerate(normal_facts) if g and _overlap(f, g)])
        for p, f in enumerate(data_facts)
        if f is not None
    ]
    tasks = [_delayed(_count_in_normal)(data_ends[p], *near) for p, near in pairs]
    if unique:
        tasks += [_delayed(_count_scored_as_fitted)(data_ends[p], *near) for p, near in pairs]
    found = _compute(tasks)
    shared, counts = found[: len(pairs)], found[len(pairs) :]
    n_scored = sum(f[2] for f in data_facts if f is not None)
    n_same = sum(counts)
    if unique:
        _warn_scored_as_fitted(n_same, n_scored, rows=rows)
    positions = _log_by_position(data_facts) and _log_by_position(normal_facts)
    if 5 * n_same < n_scored and not positions:  # (one machine's order and words)
        warn_normal_holds_them(sum(n for n, _ in shared), sum(k for _, k in shared))


def _log_facts(state):
    return state.get("log", {})


def _dropped(facts, reports, entity: str, options: dict):
    """(rows dropped, rows missing per column) over the whole log, as one machine counts
    them with dropna: from the partitions' ``facts`` (``_build``) and the input's
    ``reports`` (``_inspect``: rows without an entity id, dropped before the shuffle);
    None where none was dropped."""
    dropped = [f["dropped"] for f in facts if "dropped" in f]
    without_id = sum(r["missing"] for r in reports)
    if not dropped and not without_id:
        return None
    counts = {entity: without_id}
    for column in (options["event"], options["time"]):
        if column is not None:
            counts[column] = sum(r["also"].get(column, 0) for r in reports)
    for _, _, partition_counts in dropped:
        for column, n in partition_counts.items():
            counts[column] += n
    return without_id + sum(n for n, _, _ in dropped), counts


def _refuse_missing(facts, reports, entity: str, options: dict) -> None:
    """One machine's refusals of missing values, with the whole log's counts where the
    shuffled partitions' were taken (``_build``): missing values without dropna, and,
    with it, a log whose every row misses one (a partition with nothing left is only
    empty where others have rows)."""
    missing = [f["missing"] for f in facts if "missing" in f]
    if missing:
        counts = dict.fromkeys(missing[0], 0)
        for part in missing:
            for column, n in part.items():
                counts[column] += n
        n_rows = sum(r["rows"] for r in reports)
        text = missing_values(counts, n_rows, options.get("time"))
        raise MissingValuesError(text, counts, n_rows, False)
    dropped = _dropped(facts, reports, entity, options)
    if dropped is not None and dropped[0] == sum(r["rows"] for r in reports):
        text = nothing_left(dropped[1], dropped[0], options.get("time"))
        raise MissingValuesError(text, dropped[1], dropped[0], True)


def _warn_about_log(facts, reports, entity: str, options: dict) -> None:
    """The warnings one machine's ``Sequences.from_events`` gives about a log, given
    once on the client for the whole log, in its words and with its totals (``_dropped``)."""
    ranges = [f["time_range"] for f in facts if "time_range" in f]
    if ranges:  # the whole column's extremes, as one machine reads them
        low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
        _warn_if_another_unit(options["time"], options["time_unit"], low, high)
        digits = _merge_digit_facts([f.get("digits") for f in facts if "time_range" in f])
        _warn_if_digits(options["time"], options["time_unit"], digits, low, high)
        serial = _merge_serial_facts([f.get("serial") for f in facts if "time_range" in f])
        _warn_if_serial_days(options["time"], options["time_unit"], serial, low, high)
        narrow = [f["narrow"] for f in facts if "narrow" in f]
        if narrow:  # float32 times: their steps at the largest time, as parse_times says
            largest = max(abs(low), abs(high))
            _warn_if_coarse_floats(options["time"], options["time_unit"], narrow[0], largest)
    dates = [f["date_range"] for f in facts if "date_range" in f]
    if dates:  # datetimes: the whole column's extremes, as one machine reads them
        _warn_if_early_dates(options["time"], min(d[0] for d in dates), max(d[1] for d in dates))
    dropped = _dropped(facts, reports, entity, options)
    if dropped is None:
        return
    n_rows = sum(r["rows"] for r in reports)
    message = dropped_rows_message(dropped[0], n_rows, dropped[1], options.get("time"))
    warnings.warn(message, DataWarning, stacklevel=user_stacklevel())


def _warn_about_columns(
    summaries, facts, entity: str, min_events: int, value=None, item=None
) -> None:
    """One machine's warnings that a column looks like the wrong one, as
    ``detect_anomalies`` gives them (``warn_about_the_log``, learning): nearly every
    entity of one event each (left out where ``min_events`` > 1), an event column of
    many types seen a few times each (left out where the first reads the labels as whole
    sequences), and a ``value`` column with no value on any event. From each partition's
    few numbers (``_column_facts``; its entities are its own after the shuffle); the
    event types present are gathered on the client (``_merged_counts``, from the
    summaries it has) only where those numbers allow the warning. ``summaries`` and
    ``facts``: every state's, in order."""
    parts = [f["columns"] for f in facts if f.get("columns") is not None]
    if not parts:
        return
    _warn_about_event_column(summaries, facts, entity, min_events)
    valued = [c.get("valued") for c in parts]
    n_events = sum(c["events"] for c in parts)
    if n_events and all(v is not None for v in valued) and not sum(valued):
        warnings.warn(no_values_message(n_events, value), DataWarning, stacklevel=user_stacklevel())
    itemed = [c.get("itemed") for c in parts]
    if n_events and all(v is not None for v in itemed) and not sum(itemed):
        warnings.warn(no_items_message(n_events, item), DataWarning, stacklevel=user_stacklevel())


def _warn_about_event_column(summaries, facts, entity: str, min_events: int) -> None:
    """The entity and event columns' warnings of :func:`_warn_about_columns`."""
    columns = [f.get("columns") for f in facts]
    parts = [c for c in columns if c is not None]

    def vocabulary():  # the log's labels and counts before min_events
        pairs = []
        for summary, c in zip(summaries, columns):
            if c is not None and "counts" in c:
                pairs.append(c["counts"])
            elif summary is not None:
                pairs.append((summary["labels"], summary["counts"]))
        return _merged_counts(pairs)

    one_each = False
    n = sum(c["entities"] for c in parts)
    single = sum(c["single"] for c in parts)
    if min_events <= 1 and not any(c["sessions"] for c in parts) and many_one_event(n, single):
        said, one_each = one_event_message(n, single, entity, vocabulary()[0])
        warnings.warn(said, DataWarning, stacklevel=user_stacklevel())
    n_events = sum(c["events"] for c in parts)
    if one_each or sum(c["labels"] for c in parts) < MANY_EVENT_TYPES:
        return  # (the partitions' labels added up: at least the types present)
    labels, counts = vocabulary()
    present = labels[counts > 0]
    swapped = entity_swap_message(n, present.size, entity, present.name)
    if swapped is not None:
        message = swapped
    elif many_rare_types(counts[counts > 0]):
        message = event_ids_message(n_events, present, counts[counts > 0])
    else:
        # The swapped columns' question, on the whole log's (event, item) pairs.
        pairs = [c["item_pairs"] for c in parts if c.get("item_pairs") is not None]
        many = any(c.get("many_items") for c in parts)
        names = next((c["names"] for c in parts if "names" in c), (None, None))
        message = None
        if pairs and not many:
            message = swapped_message(np.concatenate(pairs), present.size, *names)
    if message is not None:
        warnings.warn(message, DataWarning, stacklevel=user_stacklevel())


def _summary(state):
    seqs = state["seqs"]
    if seqs is None:
        return None
    ids = seqs.ids
    return {
        "index": state["index"],
        "n": len(seqs),
        "events": seqs.n_events,
        "labels": seqs.event_labels,
        "counts": seqs.event_counts(),
        "times": seqs.times is not None,
        "items": seqs.items is not None,
        "values": seqs.values is not None,
        "tz": seqs.tz,
        "first": ids[0],
        "last": ids[-1],
    }


class _SummarySequences(Sequences):
    """The vocabulary of sequences held in the partitions, with the event counts added
    up over all of them: what the encoders learn from in fit."""

    def __init__(self, labels, counts, has_times, has_items, has_values, tz):
        empty = np.empty(0, dtype=np.int64)
        super().__init__(
            pd.Index([]),
            np.zeros(1, dtype=np.int64),
            np.empty(0, dtype=np.int32),
            labels,
            times=empty if has_times else None,
            items=empty if has_items else None,
            item_labels=pd.Index([]) if has_items else None,
            values=np.empty(0) if has_values else None,
            tz=tz,
        )
        self._counts = np.asarray(counts, dtype=np.int64)

    def event_counts(self) -> np.ndarray:
        return self._counts


def _distinct_counts(labels, counts):
    """A partition's (labels, counts) with each label once: scored types read in the
    fitted kind (``_as_fitted_events``) can name one type twice ("05" and "5.0" as 5)."""
    if labels.is_unique:
        return labels, counts
    codes, uniques = pd.factorize(labels)
    merged = np.bincount(codes, weights=counts, minlength=len(uniques)).astype(np.int64)
    return pd.Index(uniques, name=labels.name), merged


def _merged_counts(pairs):
    """The partitions' (labels, event counts) as one vocabulary and its counts."""
    pairs = [_distinct_counts(labels, counts) for labels, counts in pairs]
    labels = pairs[0][0]
    if not all(other.equals(labels) for other, _ in pairs[1:]):
        # Partitions met different types: their union, sorted as from_events sorts
        # them (a categorical column's partitions share its categories, in its order).
        for other, _ in pairs[1:]:
            labels = labels.union(other, sort=False)
        try:
            labels = labels.sort_values()
        except TypeError:  # numbers and text scored (a fitted kind's and unseen types)
            labels = labels[np.argsort(labels.astype(str), kind="stable")]
    counts = np.zeros(len(labels), dtype=np.int64)
    for other, part in pairs:
        counts[labels.get_indexer(other)] += part
    return labels, counts


def _global_vocabulary(summaries):
    labels, counts = _merged_counts([(s["labels"], s["counts"]) for s in summaries])
    flags = {key: {s[key] for s in summaries} for key in ("times", "items", "values", "tz")}
    for key in ("times", "items", "values"):
        if len(flags[key]) > 1:
            raise ValueError(f"some partitions' sequences have {key} and others not")
    return _SummarySequences(
        labels,
        counts,
        summaries[0]["times"],
        summaries[0]["items"],
        summaries[0]["values"],
        summaries[0]["tz"] if len(flags["tz"]) == 1 else None,
    )


# ----------------------------------------------------------------- 3. features, scaling


class _Entities(NamedTuple):
    """What the passes after the encoders read of a partition's sequences: their ids
    and lengths (the table's index, the reasons' evidence). The events themselves are
    released once the features exist: they were most of what a worker kept between
    the passes (20 bytes and more an event)."""

    ids: pd.Index
    lengths: np.ndarray

    def take(self, rows):
        """No events (released): what the table's reasons read of some sequences' events
        (``_reasons.name_unseen_types``) is read before, from the sequences themselves
        (``_unseen_named``), and added to the table's reasons (``_with_unseen_named``)."""
        return _NoEvents(len(rows))


class _NoEvents:
    """Sequences without events, as ``_Entities.take`` gives them."""

    def __init__(self, n: int):
        self.event_labels = pd.Index([])
        self.events = np.empty(0, dtype=np.int32)
        self.offsets = np.zeros(n + 1, dtype=np.int64)

    def __len__(self) -> int:
        return self.offsets.size - 1


def _unseen_named(seqs, pipeline):
    """Per sequence of the partition, its event types not seen in fitting as one
    machine's ``_reasons.unseen_types_of`` reads them from its events (the table's pass
    holds none): (events, types, words), or None; None where no sequence has one."""
    rows, totals, kinds, words = _reasons.unseen_types_of(pipeline, seqs)
    if not len(rows):
        return None
    named = np.full(len(seqs), None, dtype=object)
    named[rows] = list(zip(totals.tolist(), kinds.tolist(), words))
    return named


def _with_unseen_named(reasons: np.ndarray, named: np.ndarray) -> np.ndarray:
    """The table's reasons with the event types never fitted named (``_unseen_named``),
    as one machine's table says them (``_reasons.with_unseen_named``)."""
    rows = np.flatnonzero(np.array([n is not None for n in named], dtype=bool))
    if not rows.size:
        return reasons
    totals, kinds, words = zip(*named[rows])
    return _reasons.with_unseen_named(reasons, rows, np.array(totals), np.array(kinds), words)


def _encode(state, pipeline, fitting: bool):
    """The partition's features with the fitted encoders; the checks over all the
    sequences are the client's (_check_entities, _check_categories). In fit, where
    item categories are missing, the category features as encoded and each sequence's
    share of item events with a known category (``category_share``): the typical
    values they move toward are learned over all partitions (_learn_typical_categories)."""
    if state["seqs"] is None:
        return state
    seqs = state["seqs"]
    raw = pipeline._features(seqs, fitting=False, checks=False)
    lengths = seqs.lengths
    out = {**state, "seqs": _Entities(seqs.ids, lengths), "raw": raw, "lengths": lengths}
    out.pop("ends", None)  # read before encoding (_warn_if_scoring_what_was_fitted)
    out.pop("group", None)  # gathered before encoding (_GroupStage.fit)
    out.pop("short", None)  # (the same)
    if fitting and seqs.items is not None and pipeline._category_columns():
        out["category_share"] = pipeline._category_shares(seqs)
    if not fitting:
        named = _unseen_named(seqs, pipeline)
        if named is not None:
            out["unseen_named"] = named
    if "value_max" in pipeline.feature_names_:
        # the event type of each entity's largest value, read while the events are here
        # (the table's pass holds none; _reasons.largest_value_events)
        kinds = _reasons.largest_value_events(seqs, np.arange(len(seqs)))
        if kinds is not None and any(kinds):
            out["largest_value"] = kinds
    return out


def _encoded(states, summaries, pipeline, progress: bool, fitting: bool = False, shared=None):
    """The non-empty partitions' features (the fitted encoders, C++), then consecutive
    partitions joined for the model's passes: (states, rows of each, first id of each).
    ``fitting``: the fitted sequences (the typical category values learned from them).
    ``shared``: ``pipeline`` sent to the workers already (``_shared``)."""
    states = [states[s["index"]] for s in summaries]
    rows_per_part = [s["n"] for s in summaries]
    shared = _shared(pipeline) if shared is None else shared
    states = _persist(
        [_delayed(_encode)(s, shared, fitting) for s in states],
        progress="  features" if progress else None,
    )
    if fitting and summaries[0]["items"] and pipeline._category_columns():
        states = _learn_typical_categories(states, pipeline)
    # The model's passes read the features only (20-80 bytes an entity): consecutive
    # partitions joined into a few per worker thread make each pass's tasks, and their
    # per-task cost on the scheduler and workers, fewer; the rows keep their order.
    groups = _groups(rows_per_part, _model_partitions(len(states)))
    if len(groups) == len(states):
        return states, rows_per_part, [s["first"] for s in summaries]
    states = _persist([_delayed(_coalesce)(*states[a:b]) for a, b in groups])
    firsts = [summaries[a]["first"] for a, _ in groups]
    return states, [sum(rows_per_part[a:b]) for a, b in groups], firsts


def _full_shares(state):
    """[sequences whose item events all have a known category, sequences]."""
    share = state["category_share"]
    return np.array([np.count_nonzero(share >= 1.0), share.size], dtype=np.int64)


def _category_values(state, columns, any_full: bool):
    """The partition's values the typical category values are medians of, per column
    (``_typical_category_rows``: those of the sequences whose items all have a known
    category, or of every sequence where no partition has one)."""
    rows = _typical_category_rows(state["raw"], state["category_share"], columns, any_full)
    return [rows[:, c] for c in range(len(columns))]


def _blend_partition(state, pipeline):
    """The partition's category features moved toward the typical values, as
    ``AnomalyPipeline._missing_categories`` moves them in fit."""
    out = dict(state)
    share = out.pop("category_share")
    columns = pipeline._category_columns()
    # Blended in the encoder's dtype (float32), then stored in raw's (float64 beside
    # side attributes), as on one machine.
    out["raw"] = _blend_categories(
        state["raw"], share, columns, pipeline._category_typical, np.float32
    )
    return out


def _learn_typical_categories(states, pipeline):
    """``pipeline._category_typical``, the medians ``AnomalyPipeline._missing_categories``
    takes in fit, over the partitions (exact order statistics: the same bits), then each
    partition's category features moved toward them (the states returned)."""
    columns = pipeline._category_columns()
    full, n = map_reduce(states, _full_shares)
    size = int(full) if full else int(n)
    medians, _ = column_statistics(
        states,
        partial(_category_values, columns=columns, any_full=bool(full)),
        [size] * len(columns),
        medians=[(c, np.float32) for c in range(len(columns))],  # EncoderUnion's dtype
    )
    pipeline._category_typical = np.array(
        [medians[c] for c in range(len(columns))], dtype=np.float32
    )
    shared = _shared(pipeline)
    return _persist([_delayed(_blend_partition)(s, shared) for s in states])


def _coverage(state, pipeline):
    """The side table's gaps among the partition's entities (entities with a row,
    entities, NaN and infinite values per column: ``AnomalyPipeline._side_coverage``)."""
    if state["seqs"] is None:
        return None
    return np.array(pipeline._side_coverage(state["seqs"]), dtype=np.int64)


def _check_entities(states, pipeline, entity: str, fitting: bool, shared=None) -> np.ndarray:
    """``AnomalyPipeline._check_side_coverage`` over all partitions (an entity's
    sequences lie in one): a side table with rows for under half of the fitted entities,
    with infinite values, or in fit with a column no entity has a value in, is refused
    in the single machine's words. Returns the counts added up, for
    ``AnomalyPipeline._warn_side_gaps`` (entities without a row, NaN values; in fit
    once the medians are known). ``shared``: ``pipeline`` sent to the workers already
    (``_shared``)."""
    shared = _shared(pipeline) if shared is None else shared
    counts = map_reduce(states, _coverage, shared, combine=_none_add)
    pipeline._check_side_coverage(counts, entity, fitting)
    return counts


def _category_events(state, pipeline):
    if state["seqs"] is None:
        return None
    return pipeline._category_events(state["seqs"])


def _unknown_items(state, pipeline):
    if state["seqs"] is None:
        return None
    return pipeline._unknown_items(state["seqs"])


def _check_categories(states, pipeline, shared=None) -> None:
    """Scoring's warning where most item events have no known category, over all
    partitions, in the single machine's words: the events counted per partition, and
    only where it warns the items used (their labels) united on the client.
    ``shared``: ``pipeline`` sent to the workers already (``_shared``)."""
    shared = _shared(pipeline) if shared is None else shared
    unknown = _unknown_category_share(
        *map_reduce(states, _category_events, shared, combine=_none_add)
    )
    if unknown is None:
        return
    found = [f for f in _compute([_delayed(_unknown_items)(s, shared) for s in states]) if f]
    missing = found[0][0].append([f[0] for f in found[1:]]).unique()
    used = found[0][1].append([f[1] for f in found[1:]]).unique()
    hint = _category_key_hint(pipeline.item_categories, missing)
    _warn_unknown_categories(unknown, missing.size, used.size, hint)


def _side_values(state, pipeline, n_side):
    """The finite side attribute values of the partition's entities, per column."""
    if state["seqs"] is None:
        return {"side": [np.empty(0)] * n_side}
    values = pipeline._side_values(state["seqs"])
    return {"side": [values[np.isfinite(values[:, j]), j] for j in range(n_side)]}


def _side_of(state):
    return state["side"]


def _finite_counts(state):
    return np.array([v.size for v in state["side"]], dtype=np.int64)


def _side_medians(states, pipeline, n_side) -> np.ndarray:
    """Each side attribute's median over the finite values of the partitions' entities
    (0 for a column none has), as ``AnomalyPipeline._side_features`` takes it in fit."""
    shared = _shared(pipeline)
    side = _persist([_delayed(_side_values)(s, shared, n_side) for s in states])
    counts = map_reduce(side, _finite_counts)
    have = [j for j in range(n_side) if counts[j] > 0]
    medians, _ = column_statistics(
        side, _side_of, [int(c) for c in counts], medians=[(j, np.float64) for j in have]
    )
    return np.array([medians[j] if j in medians else 0.0 for j in range(n_side)])


# Partitions the model's passes run over, per worker thread of the cluster.
MODEL_PARTITIONS_PER_THREAD = 2


def _model_partitions(n_parts: int) -> int:
    """How many partitions the model's passes run over: MODEL_PARTITIONS_PER_THREAD per
    worker thread on a distributed cluster, as many as there are on Dask's local
    schedulers."""
    client = _client()
    if client is None:
        return n_parts
    return max(1, MODEL_PARTITIONS_PER_THREAD * _cluster_threads(client))


def _cluster_threads(client) -> int:
    """The worker threads of ``client``'s cluster, asked of the scheduler. Not from
    ``client.scheduler_info()``: the client's periodic refresh (every 2 s) stores the
    scheduler's identity without its workers, and can do so between that call's fetch
    and its return, which then reads no worker: the table came back in one partition
    where four were asked for (CI, distributed 2026.8)."""
    return sum(client.nthreads().values())


def _groups(sizes, n_groups: int) -> list[tuple[int, int]]:
    """Consecutive runs [a, b) of the partitions, about equal in rows, at most n_groups."""
    sizes = np.asarray(sizes, dtype=np.int64)
    if n_groups >= len(sizes):
        return [(i, i + 1) for i in range(len(sizes))]
    ends = np.cumsum(sizes)
    cuts = np.searchsorted(ends, ends[-1] * np.arange(1, n_groups) / n_groups, side="left") + 1
    bounds = [0, *sorted({int(c) for c in cuts if 0 < c < len(sizes)}), len(sizes)]
    return list(zip(bounds[:-1], bounds[1:]))


def _coalesce(*states):
    """Consecutive partitions' encoded states as one, their rows in order."""
    if len(states) == 1:
        return states[0]
    lengths = np.concatenate([s["lengths"] for s in states])
    ids = states[0]["seqs"].ids.append([s["seqs"].ids for s in states[1:]])
    out = {
        "index": states[0]["index"],
        "n": sum(s["n"] for s in states),
        "events": sum(s["events"] for s in states),
        "seqs": _Entities(ids, lengths),
        "raw": np.concatenate([s["raw"] for s in states]),
        "lengths": lengths,
    }
    if any("unseen_named" in s for s in states):
        out["unseen_named"] = np.concatenate(
            [s.get("unseen_named", np.full(len(s["lengths"]), None, object)) for s in states]
        )
    if any("largest_value" in s for s in states):
        out["largest_value"] = np.concatenate(
            [s.get("largest_value", np.full(len(s["lengths"]), "", object)) for s in states]
        )
    return out


def _warn_unlike(pipeline, summaries, facts) -> None:
    """AnomalyPipeline.score's warnings of a log unlike the fitted one (``_fitted_data.
    warn_unlike``) on the partitions' sequences: their role columns, event types and
    counts (the summaries' vocabulary) and timing (their facts, sampled as the fit's;
    ``facts``: ``_facts_tasks``' results, read with the shuffle)."""
    if not getattr(pipeline, "_fitted_data", None):
        return
    facts, missing = facts
    columns = next((f["columns"] for f in facts if f is not None), None)
    vocabulary = _global_vocabulary(summaries)
    _fitted_data.warn_unlike(
        pipeline,
        columns,
        vocabulary.event_labels,
        vocabulary.event_counts(),
        _fitted_data.timing_of_parts(facts),
    )
    # a value or item column that came empty (as warn_if_unlike, after the others)
    then = pipeline._fitted_data.get("missing")
    n_entities = sum(s["n"] for s in summaries)
    if then and n_entities >= _fitted_data.MISSING_MIN_ENTITIES:
        for message in _fitted_data.missing_said(then, _missing_shares(missing)):
            warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


def _flags(state, pipeline, scores):
    """The partition's ``is_anomaly`` before the group stage (AnomalyPipeline._table's)."""
    data = _Input(state["X"], state["raw"])
    return (scores > pipeline.threshold_) | pipeline._outside_support(data, scores)


def _warn_share_alarm(pipeline, states, parts, rows_per_part, shared) -> None:
    """AnomalyPipeline.score's share alarm (``_fitted_data.warn_share_alarm``) on the
    scores of the partitions (``parts``) and their flags."""
    if sum(rows_per_part) == 0:
        return
    pieces = _send(list(parts))
    flags = _compute([_delayed(_flags)(s, shared, p) for s, p in zip(states, pieces)])
    _fitted_data.warn_share_alarm(pipeline, np.concatenate(parts), np.concatenate(flags))


def _facts_tasks(states) -> list:
    """Per partition its ``_part_facts``, then its ``_missing_counts``: what fit records
    of the log and what scoring compares with it (read with the shuffle's summaries)."""
    return [_delayed(_part_facts)(s, i) for i, s in enumerate(states)] + [
        _delayed(_missing_counts)(s) for s in states
    ]


def _part_facts(state, seed):
    """The partition's share of what the fit records (``_fitted_data.part_facts``)."""
    return _fitted_data.part_facts(state["seqs"], seed)


def _missing_counts(state):
    """The partition's events without a value and without an item (None without the
    column), and its events: what ``_missing_shares`` adds up."""
    seqs = state["seqs"]
    if seqs is None:
        return None
    values = None if seqs.values is None else np.isnan(np.asarray(seqs.values, np.float64))
    items = None if seqs.items is None else np.asarray(seqs.items) < 0
    return (
        None if values is None else int(np.count_nonzero(values)),
        None if items is None else int(np.count_nonzero(items)),
        len(seqs.events),
    )


def _missing_shares(counts) -> dict:
    """The share of the events without a value, and without an item, over the
    partitions (``_missing_counts``), as one machine's ``_fitted_data._missing_shares``
    takes it of all the sequences (the same numbers: a count over the events)."""
    counts = [c for c in counts if c is not None]
    n = sum(c[2] for c in counts)
    shares = {}
    for role, at in (("value", 0), ("item", 1)):
        if n and counts and counts[0][at] is not None:
            shares[role] = float(np.float64(sum(c[at] for c in counts)) / np.float64(n))
    return shares


def _raw_extent(state):
    raw = state.get("raw")
    if raw is None:
        return None
    return raw.min(axis=0).astype(np.float64), raw.max(axis=0).astype(np.float64)


def _extent_combine(a, b):
    if a is None or b is None:
        return a if b is None else b
    return np.minimum(a[0], b[0]), np.maximum(a[1], b[1])


def _none_add(a, b):
    if a is None or b is None:
        return a if b is None else b
    return add(a, b)


def _typical_like(pipeline, rows) -> None:
    """The pipeline's ``_typical_like`` (:func:`oddseq._reasons.typical_like`) over the
    partitions: the fitted rows' K-means clusters' medians, as one machine takes them,
    found by the K-means fit's own calls (``_fit_kmeans_detector``), of the member
    :func:`oddseq._reasons.kmeans_member` takes (the first K-means), found by its name
    in the ensemble (None: the pipeline's lone detector), which a copy keeps."""
    det = _reasons.kmeans_member(pipeline)
    if det is not None:
        name = next(name for name, member in _reasons._members(pipeline) if member is det)
        pipeline._typical_like = rows.typical_like[name]


def _like_counts(state, labels, evidence, k: int) -> np.ndarray:
    """Per (cluster, feature) of :func:`oddseq._reasons.typical_like`, the partition's
    entities whose values it takes (``labels``: their clusters)."""
    seen = _reasons._seen_columns(evidence, state["lengths"], state["raw"])
    out = np.zeros((k, seen.shape[1]), dtype=np.int64)
    np.add.at(out, labels, seen.astype(np.int64))
    return out


def _like_values(state, centers, threads, evidence, pairs):
    """The partition's values of each (cluster, feature) of ``pairs`` that
    :func:`oddseq._reasons.typical_like` takes its median over."""
    labels, _ = _assign(state, centers, threads)
    raw = state["raw"]
    seen = _reasons._seen_columns(evidence, state["lengths"], raw)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(centers.shape[0] + 1))
    out = []
    for c, j in pairs:
        mine = order[bounds[c] : bounds[c + 1]]
        out.append(raw[mine[seen[mine, j]], j])
    return out


def _band_sizes(state):
    if state["seqs"] is None:
        return None
    return _reasons.band_sizes(state["lengths"])


def _band_values(state, pairs):
    """The raw values of each (column, length band) pair, in this partition."""
    if state["seqs"] is None:
        return [np.empty(0)] * len(pairs)
    bands = _reasons.length_bands(state["lengths"])
    return [state["raw"][bands == b, j] for j, b in pairs]


def _evidence_columns(state, shrinker, columns, filtered):
    """The values each shrunk feature's median is taken over, in this partition."""
    if state["seqs"] is None:
        return [np.empty(0)] * len(columns)
    raw = state["raw"]
    enough = shrinker.enough(state["lengths"], raw)
    return [raw[enough[:, j], j] if use else raw[:, j] for j, use in zip(columns, filtered)]


def _encoded_counts(state, bands: bool, shrinkers):
    """One pass over an encoded partition: its raw values' extent (``_raw_extent``),
    with ``bands`` its entities per length band, with ``shrinkers`` their entities with
    enough observations of each feature (``_reasons.enough_counts``)."""
    return (
        _raw_extent(state),
        _band_sizes(state) if bands else None,
        _reasons.enough_counts(state, shrinkers) if shrinkers else None,
    )


def _encoded_combine(a, b):
    return _extent_combine(a[0], b[0]), _none_add(a[1], b[1]), _none_add(a[2], b[2])


def _fit_medians(states, pipeline, names, n_side: int, n: int, raw_dtype, also=()):
    """What fit takes over the encoded partitions before scaling, in two calls to the
    cluster (a pass of counts, then the order statistics of every column at once): the
    raw extent (``_raw_range``), the reasons' typical values by length
    (``_typical_by_length``), the evidence shrinkage's medians and the reasons' medians
    of the entities' own values (``_typical_raw``). ``also``: Delayed tasks of the
    caller's, computed in the first call. Returns the shrinker and their results."""
    shrinker = EvidenceShrinker(pipeline.evidence_prior)._set_kinds(names, n_side)
    shrunk_columns = [int(j) for j in np.flatnonzero(shrinker.kinds_)]
    shrinker.median_ = np.zeros(len(names))
    seen = _reasons.observed(shrinker)
    bands = bool(_reasons.like_length_columns(names, n_side))
    shrinkers = [shrinker, seen] if shrunk_columns else None
    counted = reduction_tree(
        [_delayed(_encoded_counts)(s, bands, shrinkers) for s in states], _encoded_combine
    )
    got = _compute([counted, *also])
    (low, high), sizes, counts = got[0]
    pipeline._raw_range = (low.astype(raw_dtype), high.astype(raw_dtype))
    sizes = [] if sizes is None else sizes
    pairs = []  # the (column, band) pairs typical_from_bands takes medians of

    def noted(wanted):
        pairs.extend(wanted)
        return [np.nan] * len(wanted)

    _reasons.typical_from_bands(names, sizes, noted, n_side)
    parts = [partial(_band_values, pairs=pairs)]
    column_sizes = [int(sizes[b]) for _, b in pairs]
    raws = []
    if shrunk_columns:
        enough, seen_counts = counts
        filtered = [bool(enough[j] > 0) for j in shrunk_columns]
        column_sizes += [int(enough[j]) if f else n for j, f in zip(shrunk_columns, filtered)]
        raws = [j for j in _reasons.raw_median_columns(shrinker) if seen_counts[j] > 0]
        column_sizes += [int(seen_counts[j]) for j in raws]
        parts += [
            partial(
                _evidence_columns, shrinker=shrinker, columns=shrunk_columns, filtered=filtered
            ),
            partial(_evidence_columns, shrinker=seen, columns=raws, filtered=[True] * len(raws)),
        ]
    medians = {}
    if column_sizes:
        medians, _ = column_statistics(
            states,
            partial(_reasons.joined_values, parts=parts),
            column_sizes,
            medians=[(c, raw_dtype) for c in range(len(column_sizes))],
        )
    at = len(pairs)
    # answered by pair, not position: a pair not asked for in the first call is a
    # KeyError, never another pair's median (H7 s27 L-1)
    index = {pair: c for c, pair in enumerate(pairs)}
    pipeline._typical_by_length = _reasons.typical_from_bands(
        names, sizes, lambda wanted: [medians[index[pair]] for pair in wanted], n_side
    )
    for c, j in enumerate(shrunk_columns):
        shrinker.median_[j] = float(medians[at + c])
    at += len(shrunk_columns)
    # all NaN where no column is shrunk, as one machine keeps it
    pipeline._typical_raw = _reasons.typical_raw_from(
        shrinker, {j: medians[at + c] for c, j in enumerate(raws)}
    )
    return shrinker, tuple(got[1:])


def _scale(state, pipeline, stage: str):
    """The matrix after the evidence shrinkage and the log ("log"), or the detector's
    matrix ("X")."""
    if state["seqs"] is None:
        return state
    if stage == "log":
        shrunk = pipeline.evidence_.transform(state["raw"], state["lengths"])
        return {**state, "log": pipeline.log_scaler_.transform(shrunk)}
    out = {**state, "X": pipeline.z_scaler_.transform(state["log"])}
    del out["log"]
    return out


def _scalers(pipeline, stage: str):
    """What ``_scale`` reads of the pipeline at ``stage`` (the shrinkage and the log
    scaler, or the z scaler: a few arrays), as one key in the graph: fit changes the
    pipeline between the stages, and sending it whole to the workers for each (a
    scatter) cost a round trip and the pipeline's size twice."""
    keep = ("evidence_", "log_scaler_") if stage == "log" else ("z_scaler_",)
    light = SimpleNamespace(**{name: getattr(pipeline, name) for name in keep})
    return dask.delayed(light, pure=True, traverse=False)


def _max_abs(state, key):
    m = state.get(key)
    return None if m is None else column_max_abs(m)


def _max_combine(a, b):
    if a is None or b is None:
        return a if b is None else b
    return np.maximum(a, b)


def _moment_parts(state, key, exps, scatter):
    m = state.get(key)
    return None if m is None else moment_parts(m, exps, scatter=scatter)


class _Moments(NamedTuple):
    """A matrix's exact moments over the partitions (``oddseq.utils._exact``): its
    columns' largest magnitudes, their grids' exponents and the integer sums."""

    max_abs: np.ndarray
    exps: np.ndarray
    parts: dict
    also: tuple = ()  # the results of _moments' ``also``
    also_sums: tuple = ()  # and of its ``also_sums``

    def mean_std(self):
        _, mean, var = moments(self.parts, self.exps)
        return mean, np.sqrt(var)


def _moments(states, key, *, scatter: bool = False, also=(), also_sums=()) -> _Moments:
    """The exact moments of a matrix over the partitions, in two passes (the columns'
    largest magnitudes, then the integer sums on their grids): the mean and standard
    deviation the single-machine fit computes from the whole matrix, bit for bit, in
    one pass of the core per partition; with ``scatter`` also its scatter matrix (the
    grid slices' Gram matrix: what PCA needs, several times the cost). ``also``,
    ``also_sums``: Delayed tasks of the caller's, computed in the first and in the second
    pass's call (their results: ``also`` and ``also_sums`` of the moments returned)."""
    largest = reduction_tree([_delayed(_max_abs)(s, key) for s in states], _max_combine)
    got = _compute([largest, *also])
    max_abs = got[0]
    exps = exponents(max_abs)
    sums = reduction_tree(
        [_delayed(_moment_parts)(s, key, exps, scatter) for s in states], _none_add
    )
    more = _compute([sums, *also_sums])
    return _Moments(max_abs, exps, more[0], tuple(got[1:]), tuple(more[1:]))


def _needs_scatter(detector) -> bool:
    """Whether fitting ``detector`` over partitions reads the scatter matrix (PCA, alone
    or in an ensemble); the others read only means and variances."""
    members = detector.detectors if isinstance(detector, EnsembleDetector) else [detector]
    return any(isinstance(m[1] if isinstance(m, tuple) else m, PCADetector) for m in members)


# ---------------------------------------------------------------------- 4a. K-means


def _sqdist(X, c, threads=1):
    """Each row's squared distance to the centre c as a double: the C++ kernel's value,
    as kmeans_plusplus and kmeans_fit compute it (the races' keys then match bit for
    bit)."""
    c = np.ascontiguousarray(np.asarray(c, dtype=X.dtype)[None, :])
    return _core.assign_nearest(X, c, threads).sq_dist.astype(np.float64)


def _key_floors(state, threads):
    """The partition's floors of the draws' keys (C++ key_floors)."""
    return _core.kmeans_key_floors(state["X"], threads)


def _global_key_floors(rows, threads) -> np.ndarray:
    """Each column's floor of the draws' keys over all partitions: the largest of the
    partitions' (C++ key_floors reads the column's largest magnitude), as one machine's
    over the rows concatenated."""
    parts = _compute([_delayed(_key_floors)(s, threads) for s in rows.states])
    return np.maximum.reduce(np.stack(parts), axis=0)


def _column_keys(state, floors, threads):
    """The partition's share of each column's key (C++ column_keys: wrapping sums), its
    values rounded by the global ``floors``."""
    return _core.kmeans_column_keys(state["X"], threads, floors=floors)


def _global_column_keys(rows, floors, threads) -> np.ndarray:
    """Each column's key over all partitions: the partitions' wrapping sums added."""
    parts = _compute([_delayed(_column_keys)(s, floors, threads) for s in rows.states])
    return np.add.reduce(np.stack(parts), axis=0, dtype=np.uint64)  # wrapping, as C++


def _kpp_hashes(state, keys, floors, threads):
    """The partition with its rows' hashes (the C++ race's, with the global column keys
    and floors)."""
    return {**state, "hash": _core.kmeans_row_hashes(state["X"], keys, threads, floors=floors)}


def _near_tie_rows(state, repeated, keys, threads):
    """The partition's distinct rows whose rounded hash is repeated over all partitions
    (``repeated``, sorted): as keys of (rounded hash, exact hash under the column keys
    ``keys``, row bytes with -0.0 as 0.0), sorted and unique; and the rows' dtype."""
    X, hashes = state["X"], state["hash"]
    at = np.minimum(np.searchsorted(repeated, hashes), max(repeated.size - 1, 0))
    hit = np.flatnonzero(repeated[at] == hashes) if repeated.size else np.empty(0, np.int64)
    rows = np.ascontiguousarray(X[hit])
    exact = _core.kmeans_row_hashes(rows, keys, threads, rounded=False)
    return distinct(_row_keys(rows, hashes[hit], exact)), X.dtype.str


def _near_tie_numbered(state, found, numbers, keys, threads):
    """The partition with the hashes the draws read (C++ draw_hashes): each row whose key
    (``_near_tie_rows``' form) is in ``found`` (sorted) with a number above 0
    (``numbers``) told apart by it."""
    X, hashes = state["X"], state["hash"]
    rows = np.flatnonzero(np.isin(hashes, _key_hashes(found)))
    if not rows.size:
        return state
    part = np.ascontiguousarray(X[rows])
    exact = _core.kmeans_row_hashes(part, keys, threads, rounded=False)
    row_keys = _row_keys(part, hashes[rows], exact)
    at = np.minimum(np.searchsorted(found, row_keys), found.size - 1)
    told = (found[at] == row_keys) & (numbers[at] > 0)
    out = hashes.copy()
    out[rows[told]] = _core.kmeans_near_tie_hashes(
        np.ascontiguousarray(hashes[rows[told]]), np.ascontiguousarray(numbers[at[told]])
    )
    return {**state, "hash": out}


def _key_hashes(found):
    """The rounded hashes of ``_near_tie_rows`` keys (their first 8 bytes, big-endian)."""
    raw = found.view(np.uint8).reshape(found.size, -1)[:, :8]
    return np.ascontiguousarray(raw).view(">u8").ravel().astype(np.uint64)


def _numbered_near_ties(rows, keys, threads, repeated=None, shared=None) -> None:
    """The partitions' hashes made those the draws read (C++ draw_hashes over the rows
    concatenated): where exact rows of one rounded hash stand in any partitions, they are
    numbered over all partitions by (exact hash, values) and each after the first told
    apart. ``repeated``: the rounded hashes more than one row holds (sorted), where the
    caller has counted them (and ``shared``, them as sent to the workers); else counted
    here."""
    if repeated is None:
        parts = _compute([_delayed(_hash_counts)(s) for s in rows.states])
        hashes, where = np.unique(np.concatenate([h for h, _ in parts]), return_inverse=True)
        counts = np.bincount(where, weights=np.concatenate([c for _, c in parts]))
        repeated, shared = hashes[counts > 1], None
    if not repeated.size:
        return
    if shared is None:
        shared = _shared(repeated)
    parts = _compute([_delayed(_near_tie_rows)(s, shared, keys, threads) for s in rows.states])
    found = distinct(np.concatenate([f for f, _ in parts]))
    dtype = np.dtype(parts[0][1])
    # Numbered as C++ numbers them: by rounded hash, exact hash, then the values (rows of
    # both hashes equal, a symmetry of the table, are ordered by value, not by bytes).
    raw = found.view(np.uint8).reshape(found.size, -1)
    rounded = _key_hashes(found)
    exact = np.ascontiguousarray(raw[:, 8:16]).view(">u8").ravel().astype(np.uint64)
    values = np.ascontiguousarray(raw[:, 16:]).view(dtype).reshape(found.size, -1)
    order = np.lexsort((*values.T[::-1], exact, rounded))
    first = np.r_[True, rounded[order][1:] != rounded[order][:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(found.size), 0))
    numbers = np.empty(found.size, dtype=np.uint64)
    numbers[order] = (np.arange(found.size) - start).astype(np.uint64)
    if not numbers.any():
        return
    found_s, numbers_s = _shared(found), _shared(numbers)
    rows.states = _persist(
        [_delayed(_near_tie_numbered)(s, found_s, numbers_s, keys, threads) for s in rows.states]
    )


def _hash_counts(state):
    """The partition's distinct row hashes and how many rows hold each."""
    return np.unique(state["hash"], return_counts=True)


def _row_keys(X, hashes, exact=None):
    """Each row's (hash, bytes with -0.0 as 0.0) as one np.void: identical rows alike.
    The hash comes first, big-endian: keys sort by hash (rows in hash order look up
    their keys in order, which np.searchsorted does fast); ``exact``, a second hash,
    after it (big-endian too: keys of one hash sort by it)."""
    X = np.ascontiguousarray(X + X.dtype.type(0))
    m, width = X.shape[0], X.shape[1] * X.itemsize
    head = 8 if exact is None else 16
    keys = np.empty((m, head + width), dtype=np.uint8)
    keys[:, :8] = np.asarray(hashes, dtype=">u8").view(np.uint8).reshape(m, 8)
    if exact is not None:
        keys[:, 8:16] = np.asarray(exact, dtype=">u8").view(np.uint8).reshape(m, 8)
    keys[:, head:] = X.view(np.uint8).reshape(m, width)
    return keys.view(np.dtype((np.void, head + width))).ravel()


#: Rows compared with their hash's standing row per block (a few MB, reused).
_COMPARE_ROWS = 1 << 15


def _repeated_groups(state, repeated):
    """The partition's rows whose hash is repeated over all partitions (``repeated``,
    sorted), grouped by hash in arrays: (those rows, each one's hash's place in
    ``repeated``, a row of the partition standing for each of those hashes (-1 where
    none), whether each row holds the values of its hash's standing row (-0.0 as 0.0,
    bit for bit): most do; rows of colliding hashes, and rows equal to the keys'
    rounding but not exactly (before ``_numbered_near_ties`` tells them apart), do not,
    and are counted by their own values, so any row may stand)."""
    X, hashes = state["X"], state["hash"]
    if repeated.size > _COMPARE_ROWS:  # many: searched in order (a binary search each
        # out of order misses the cache: 3 s for 2 M rows in 1 M hashes)
        order = np.argsort(hashes)
        at = np.empty(hashes.size, dtype=np.int64)
        at[order] = np.searchsorted(repeated, hashes[order])
    else:
        at = np.searchsorted(repeated, hashes)
    at = np.minimum(at, max(repeated.size - 1, 0))
    hit = np.flatnonzero(repeated[at] == hashes) if repeated.size else np.empty(0, np.int64)
    group = at[hit]
    first = np.full(repeated.size, -1, dtype=np.int64)
    first[group] = hit
    bits = np.dtype(f"u{X.itemsize}")
    zero = X.dtype.type(0)
    alike = np.empty(hit.size, dtype=bool)
    for a in range(0, hit.size, _COMPARE_ROWS):
        rows, firsts = hit[a : a + _COMPARE_ROWS], first[group[a : a + _COMPARE_ROWS]]
        alike[a : a + rows.size] = (
            (X[rows] + zero).view(bits) == (X[firsts] + zero).view(bits)
        ).all(axis=1)
    return hit, group, first, alike


def _repeated_rows(state, repeated):
    """How many of the partition's rows hold each row whose hash is repeated over all
    partitions (``repeated``, sorted): (keys by (hash, row bytes), ``_row_keys``;
    their counts), counted by hash with the rows of colliding hashes apart."""
    hit, group, first, alike = _repeated_groups(state, repeated)
    counts = np.bincount(group[alike], minlength=repeated.size)
    present = np.flatnonzero(counts)
    keys = [_row_keys(state["X"][first[present]], repeated[present])]
    counts = [counts[present]]
    odd = hit[~alike]
    if odd.size:
        unlike, n = np.unique(_row_keys(state["X"][odd], state["hash"][odd]), return_counts=True)
        keys.append(unlike)
        counts.append(n)
    return np.concatenate(keys), np.concatenate(counts)


def _merged_repeated_rows(found):
    """The partitions' ``_repeated_rows`` added up: (the keys, sorted; their counts)."""
    keys = np.concatenate([k for k, _ in found])
    merged, where = np.unique(keys, return_inverse=True)
    counts = np.bincount(where, weights=np.concatenate([c for _, c in found]))
    return merged, counts


def _kpp_group_weights(state, repeated, same):
    """The partition with each row's group weight: how many rows of all partitions are
    identical to it (``same``: ``_merged_repeated_rows``, for the hashes held by more
    than one row, ``repeated``; any other row is alone), as C++ group_weights counts
    them."""
    X, hashes = state["X"], state["hash"]
    weight = np.ones(hashes.size, dtype=np.float64)
    hit, group, first, alike = _repeated_groups(state, repeated)
    keys, counts = same
    present = np.flatnonzero(first >= 0)
    total = np.zeros(repeated.size, dtype=np.float64)
    total[present] = counts[np.searchsorted(keys, _row_keys(X[first[present]], repeated[present]))]
    weight[hit[alike]] = total[group[alike]]
    odd = hit[~alike]
    if odd.size:
        weight[odd] = counts[np.searchsorted(keys, _row_keys(X[odd], hashes[odd]))]
    return {**state, "weight": weight}


def _race(state, start, seed, centre, m, use_distance, use_weight, threads):
    """The partition's first m picks of the race (C++ kmeans_race, which keys each row
    by its hash, group weight and distance): (key, the row's values, global row, row)."""
    X = state["X"]
    keys, local = _core.kmeans_race(
        X,
        state["hash"],
        state["weight"] if use_weight else None,
        state["closest"] if use_distance else None,
        seed,
        centre,
        m,
        threads,
    )
    return [
        (float(key), tuple(X[r].astype(np.float64).tolist()), start + int(r), X[r])
        for key, r in zip(keys, local)
    ]


def _race_picks(rows, seed, centre, m, use_distance, threads):
    """The race's first m picks over all partitions (global row, row), as C++
    kmeans_race merges its chunks: by key, then the row's values, then the row; picks of
    the same key and values are one point (the first row stands for it). Where no row
    can be drawn, the race without distances, then without weights (race_or_any)."""
    for distance, weight in ((use_distance, True), (False, True), (False, False)):
        found = _compute(
            [
                _delayed(_race)(s, int(rows.starts[p]), seed, centre, m, distance, weight, threads)
                for p, s in enumerate(rows.states)
            ]
        )
        picks = []
        for pick in sorted(sum(found, []), key=lambda f: f[:3]):
            if not picks or picks[-1][:2] != pick[:2]:
                picks.append(pick)
        if picks:
            return [(row, x) for _, _, row, x in picks[:m]]
        use_distance = False
    raise AssertionError("a race with neither distances nor weights draws every row")


def _rows(state, local_rows):
    return state["X"][np.asarray(local_rows, dtype=np.int64)]


def _kpp_start(state, center, threads):
    return {**state, "closest": _sqdist(state["X"], center, threads)}


def _candidate_potentials(state, candidates, threads):
    """This partition's potential with each candidate added, per candidate."""
    closest = state["closest"]
    return np.array(
        [np.minimum(closest, _sqdist(state["X"], c, threads)).sum() for c in candidates],
        dtype=np.float64,
    )


def _kpp_update(state, center, threads):
    return {**state, "closest": np.minimum(state["closest"], _sqdist(state["X"], center, threads))}


#: C++ kPotentialTie: trials whose potentials lie within this fraction of the lowest are
#: equal (the first in the race's order is kept); the partitions' sums and the single
#: machine's chunk sums differ by rounding only.
_POTENTIAL_TIE = 1e-9


class _Rows:
    """Global row numbers of the non-empty partitions (in order) and their states."""

    def __init__(self, states, sizes):
        self.states = states
        self.sizes = np.asarray(sizes, dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)])
        self.n = int(self.starts[-1])
        # united_distinct_rows of the partitions' weighted distinct rows, where counted.
        self.united_distinct = None
        # (ColumnStatistics, its first round's result) of X's medians and quartiles,
        # computed with the moments' sums where robust z is fitted (_x_statistics)
        self.x_statistics = None
        # (evidence_, raw dtype) where a K-means fit takes the reasons' medians of
        # entities like it (:func:`_typical_like`), and what it found ({the member's
        # name in the ensemble, None for a lone detector: ...}).
        self.like = None
        self.typical_like = {}

    def where(self, row: int):
        p = int(np.searchsorted(self.starts, row, side="right") - 1)
        return p, row - int(self.starts[p])

    def gather(self, rows) -> np.ndarray:
        """The rows of X at these sorted global row numbers, in one pass over the
        partitions that hold them (vectorised: for many rows)."""
        rows = np.asarray(rows, dtype=np.int64)
        part = np.searchsorted(self.starts, rows, side="right") - 1
        bounds = np.flatnonzero(np.diff(part)) + 1
        groups = np.split(np.arange(rows.size), bounds)
        blocks = _compute(
            [
                _delayed(_rows)(self.states[part[g[0]]], rows[g] - self.starts[part[g[0]]])
                for g in groups
                if g.size
            ]
        )
        return np.concatenate(blocks)

    def fetch(self, rows, states=None):
        """The rows of X at these global row numbers."""
        states = self.states if states is None else states
        wanted: dict[int, list] = {}
        for i, row in enumerate(rows):
            p, local = self.where(row)
            wanted.setdefault(p, []).append((i, local))
        fetched = _compute(
            [
                _delayed(_rows)(states[p], [local for _, local in pairs])
                for p, pairs in wanted.items()
            ]
        )
        out = [None] * len(rows)
        for pairs, block in zip(wanted.values(), fetched):
            for (i, _), row in zip(pairs, block):
                out[i] = row
        return np.vstack(out)


def _kmeans_plusplus(rows: _Rows, k: int, seed: int, trials: int, threads: int = 1):
    """The C++ greedy k-means++ (cluster/kmeans.cpp) over the partitions: the same races
    (each partition its first picks by C++ kmeans_race, the client the smallest over
    the partitions), with the group weights counted over all partitions; two passes
    over the partitions per centre. Like the C++ seeding, the picks do not depend on the
    order of the rows or how they are cut into partitions."""
    floors = _global_key_floors(rows, threads)
    keys = _global_column_keys(rows, floors, threads)
    rows.states = _persist([_delayed(_kpp_hashes)(s, keys, floors, threads) for s in rows.states])
    parts = _compute([_delayed(_hash_counts)(s) for s in rows.states])
    hashes, where = np.unique(np.concatenate([h for h, _ in parts]), return_inverse=True)
    counts = np.bincount(where, weights=np.concatenate([c for _, c in parts]))
    # The rows whose hash is repeated, counted by their values; sent once to every
    # worker (_shared: they grow with the entities where many rows are tied).
    tied = hashes[counts > 1]
    repeated = _shared(tied)
    found = _compute([_delayed(_repeated_rows)(s, repeated) for s in rows.states])
    same = _shared(_merged_repeated_rows(found))
    rows.states = _persist([_delayed(_kpp_group_weights)(s, repeated, same) for s in rows.states])
    # (after the weights: they read the rounded hashes, counted once for both)
    _numbered_near_ties(rows, keys, threads, tied, repeated)
    ((first, point),) = _race_picks(rows, seed, 0, 1, False, threads)
    chosen, centers = [first], [point]
    rows.states = _persist([_delayed(_kpp_start)(s, point, threads) for s in rows.states])
    for centre in range(1, k):
        picks = _race_picks(rows, seed, centre, trials, True, threads)
        points = [x for _, x in picks]
        # Per partition and candidate: the potentials, added up on the client.
        per_part = np.array(
            _compute([_delayed(_candidate_potentials)(s, points, threads) for s in rows.states])
        )
        potential = per_part.sum(axis=0)
        lowest = float(potential.min())
        best = int(np.flatnonzero(potential <= lowest + lowest * _POTENTIAL_TIE)[0])
        chosen.append(picks[best][0])
        centers.append(points[best])
        rows.states = _persist(
            [_delayed(_kpp_update)(s, points[best], threads) for s in rows.states]
        )
    rows.states = _persist([_delayed(_drop)(s, ("hash", "weight")) for s in rows.states])
    return chosen, np.vstack(centers)


def _assign(state, centers, threads):
    """(labels, squared distances) of the partition's rows: the C++ assignment kernel
    (a plain tuple: it travels between workers, which its bound record cannot)."""
    nearest = _core.assign_nearest(state["X"], centers, threads)
    return nearest.labels, nearest.sq_dist


def _exact(sums) -> np.ndarray:
    """The exact cluster sums of a ``_core.kmeans_cluster_sums`` record as Python ints
    (an object array): they add up exactly, in any order."""
    return sums.hi.astype(object) * (1 << 64) + sums.lo.astype(object)


def _row_on_grid(x, grid) -> np.ndarray:
    """One row on the fixed-point grid, as ``_exact`` sums hold it."""
    one = _core.kmeans_cluster_sums(x[None, :], np.zeros(1, dtype=np.int32), 1, grid, 1)
    return _exact(one)[0]


def _lloyd_step(state, last, centers, overrides, grid, threads):
    """One Lloyd pass over a partition: the exact centre sums (``_exact``: the C++
    kernel's fixed-point sums, which kmeans_fit keeps too), sizes, the rows whose label
    changed, the inertia and the labels. ``last`` is this partition's previous pass
    (None on the first), kept in the worker: its labels, with the rows moved into empty
    clusters (``overrides``: local row, cluster) as kmeans_fit leaves them, are what
    the labels changed from."""
    X = state["X"]
    labels, sq = _assign(state, centers, threads)
    if last is None:
        changed = X.shape[0]
    else:
        before = last[4]
        if overrides:
            before = before.copy()
            for row, cluster in overrides:
                before[row] = cluster
        changed = int((labels != before).sum())
    sums = _core.kmeans_cluster_sums(X, labels, centers.shape[0], grid, threads)
    return _exact(sums), sums.members, changed, float(sq.astype(np.float64).sum()), labels


def _step_summary(step):
    """What the client reads of a Lloyd pass: all but the labels."""
    return step[:4]


def _farthest(state, centers, m, start, threads):
    """The m rows farthest from their own centre: (-distance, the row's values, global
    row, label, row)."""
    X = state["X"]
    labels, sq = _assign(state, centers, threads)
    dist = sq.astype(np.float64)  # kmeans_fit's reseed_empty distances, bit for bit
    # The m farthest by (-distance, the row's values, row), as reseed_empty orders them.
    top = np.lexsort((np.arange(len(dist)), *X.astype(np.float64).T[::-1], -dist))[:m]
    return [
        (
            -float(dist[i]),
            tuple(X[i].astype(np.float64).tolist()),
            start + int(i),
            int(labels[i]),
            X[i],
        )
        for i in top
    ]


def _fit_kmeans(rows: _Rows, det: KMeansDetector, var_mean: float, max_abs, threads: int):
    """KMeans (the detector's) by K-means++ and distributed Lloyd steps, as kmeans_fit:
    one pass over the partitions per iteration."""
    n = rows.n
    k = min(int(det.n_clusters), n)
    km = KMeans(
        n_clusters=k,
        n_init=det.n_init,
        max_iter=det.max_iter,
        random_state=det.random_state,
        n_threads=det.n_threads,
    )
    # n_init K-means++ seedings (KMeans' "auto" is one), each drawn from the generator
    # as KMeans.fit draws them; the lowest inertia is kept, as there.
    restarts = 1 if km.n_init == "auto" else int(km.n_init)
    rng = check_random_state(km.random_state)
    tol = var_mean * km.tol if km.tol else 0.0
    # Each column's fixed-point grid, from its largest magnitude and n, as kmeans_fit
    # makes it: the sums over partitions then equal its sums bit for bit.
    grid = _core.kmeans_fixed_shifts(max_abs, n)
    best = None
    # A small matrix is fetched once and fitted here: each Lloyd pass over the
    # partitions is a round trip (30 ms on a local cluster, 46 of an 800-user call's
    # computes and 44% of its time were K-means'), the C++ fit of a million values a
    # few milliseconds. The same C++ seeding and passes on the rows in the partitions'
    # order: the same centres, labels and iterations (both tested against KMeans).
    here = None
    if rows.n * len(max_abs) <= LOCAL_KMEANS_VALUES:
        here = np.ascontiguousarray(
            np.concatenate(_compute([_delayed(_features)(s) for s in rows.states]))
        )
    for _ in range(restarts):
        seed = int(rng.randint(_SEED_LIMIT))
        if here is not None:
            run = _kmeans_run_here(here, k, seed, km.max_iter, tol, threads, restarts > 1)
        else:
            run = _kmeans_run(rows, k, seed, km.max_iter, tol, grid, threads, restarts > 1)
        if restarts == 1:
            best = run
        elif best is None or run.restart_inertia < best.restart_inertia:
            best = run  # told apart as KMeans.fit tells its restarts apart
    km.n_iter_ = best.n_iter_
    km.converged_ = best.converged_
    km.cluster_centers_ = best.cluster_centers_
    km.labels_ = best.labels_
    km.inertia_ = best.inertia_
    km.n_features_in_ = best.cluster_centers_.shape[1]
    return km


# The most feature values (rows x columns) whose K-means runs on the client.
LOCAL_KMEANS_VALUES = 1 << 22


def _features(state):
    return state["X"]


def _kmeans_run_here(X, k: int, seed: int, max_iter: int, tol: float, threads, restarting):
    """:func:`_kmeans_run` on the fetched rows ``X`` (in the partitions' order): the
    C++ K-means++ seeding and Lloyd passes that the partitions' run reproduces."""
    centers = X[_core.kmeans_plusplus(X, None, k, seed, 2 + int(np.log(k)), threads)]
    run = _core.kmeans_fit(X, None, np.ascontiguousarray(centers), max_iter, tol, "lloyd", threads)
    return SimpleNamespace(
        n_iter_=int(run.n_iter),
        converged_=bool(run.converged),
        cluster_centers_=run.centers,
        labels_=run.labels,
        inertia_=float(run.inertia),
        restart_inertia=(
            restart_inertia(row_inertia(X, run.centers, run.labels)) if restarting else None
        ),
    )


def _kmeans_run(
    rows: _Rows, k: int, seed: int, max_iter: int, tol: float, grid, threads, restarting=False
):
    """One K-means++ seeding and its Lloyd passes over the partitions, as one run of
    kmeans_fit: centres, labels, inertia, iterations (a namespace); ``restarting``: with
    the inertia restarts are told apart by (``restart_inertia``, KMeans.fit's: each
    row's double distance computed in its partition, summed exactly on the client)."""
    _, centers = _kmeans_plusplus(rows, k, seed, 2 + int(np.log(k)), threads)
    rows.states = _persist([_delayed(_drop)(s, "closest") for s in rows.states])
    states = rows.states
    centers = np.ascontiguousarray(centers)  # the rows' dtype, as kmeans_fit keeps it
    steps, overrides = [None] * len(states), {}
    n_iter, converged = 0, False
    for _ in range(max_iter):
        n_iter += 1
        # The passes stay in the workers (their labels are the next pass's "before");
        # their sums, sizes and counts come to the client.
        steps = _persist(
            [
                _delayed(_lloyd_step)(s, last, centers, overrides.get(p, []), grid, threads)
                for p, (s, last) in enumerate(zip(states, steps))
            ]
        )
        results = _compute([_delayed(_step_summary)(step) for step in steps])
        sums = sum(r[0] for r in results)
        counts = sum(r[1] for r in results)
        changed = sum(r[2] for r in results)
        overrides = {}
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            # As kmeans_fit: empty clusters take the rows farthest from their centre
            # (largest distance first, ties by the rows' values, then by row), each
            # moved row joins its cluster.
            far = _compute(
                [
                    _delayed(_farthest)(s, centers, empty.size, int(rows.starts[p]), threads)
                    for p, s in enumerate(states)
                ]
            )
            candidates = sorted(sum(far, []), key=lambda c: c[:3])[: empty.size]
            for c, (_, _, row, old, x) in zip(empty, candidates):
                v = _row_on_grid(x, grid)
                sums[old] -= v
                sums[c] = v
                counts[old] -= 1
                counts[c] = 1
                p, local = rows.where(row)
                overrides.setdefault(p, []).append((local, int(c)))
        # Each sum over its count, as kmeans_fit divides (a cluster left empty keeps
        # its centre).
        new = _core.kmeans_centres_from_sums(
            np.array(sums >> 64, dtype=np.int64),
            np.array(sums & ((1 << 64) - 1), dtype=np.uint64),
            counts.astype(np.float64),
            grid,
            centers,
        )
        shift = float(((new.astype(np.float64) - centers.astype(np.float64)) ** 2).sum())
        centers = np.ascontiguousarray(new)
        if changed == 0 or shift <= tol:
            converged = True
            break
    # The labels of the final centres (when the loop stopped with no label changed,
    # the centres did not move and these are the last pass's labels).
    assigned = _compute(
        [_delayed(_final_assignment)(s, centers, threads, restarting) for s in states]
    )
    return SimpleNamespace(
        n_iter_=n_iter,
        converged_=converged,
        cluster_centers_=centers,
        labels_=np.concatenate([labels for labels, _, _ in assigned]),
        inertia_=float(sum(sq.astype(np.float64).sum() for _, sq, _ in assigned)),
        restart_inertia=(
            restart_inertia(np.concatenate([r for _, _, r in assigned])) if restarting else None
        ),
    )


def _final_assignment(state, centers, threads, restarting):
    """The partition's labels and float squared distances under the final centres, and
    with ``restarting`` its rows' ``row_inertia`` (else None)."""
    labels, sq = _assign(state, centers, threads)
    rows = row_inertia(state["X"], centers, labels) if restarting else None
    return labels, sq, rows


def _drop(state, keys):
    keys = (keys,) if isinstance(keys, str) else keys
    return {k: v for k, v in state.items() if k not in keys}


def _kmeans_cluster_sums(state, centers, threads, like=False, evidence=None):
    """The partition's cluster sizes and exact squared deviations' sums, and with
    ``like`` its entities per (cluster, feature) that the reasons' medians of entities
    like it take (``_like_counts``, under the pipeline's ``evidence``): one pass."""
    labels, _ = _assign(state, centers, threads)
    X = state["X"].astype(np.float64)
    k = centers.shape[0]
    deviation = X - centers.astype(np.float64)[labels]
    # Exact sums (Python integers) that add up over partitions, rounded once on the
    # client: KMeansDetector.fit's bits.
    sq = group_sum_parts(deviation**2, labels, k)
    sizes = np.bincount(labels, minlength=k).astype(np.int64)
    if not like:
        return sizes, sq
    return sizes, sq, _like_counts(state, labels, evidence, k)


def _member_scores(state, det):
    if isinstance(det, KMeansDetector):
        return det._scores_and_reference(state["X"])[0]
    if isinstance(det, IsolationForest):
        X = state["X"]
        return det.decision_function(X) if len(X) else np.empty(0)
    X = state["X"].astype(np.float64)
    if isinstance(det, PCADetector):
        return det._statistics(X)
    return det._feature_scores(X).max(axis=1)


def _partition_weighted_rows(state):
    """The partition's distinct rows and their counts (weighted_distinct_rows)."""
    distinct, counts, _ = weighted_distinct_rows(state["X"])
    return distinct, counts


def _partition_labels(state, distinct_labels):
    """Each row's label from its distinct row's (``distinct_labels``: the partition's
    distinct rows', in weighted_distinct_rows' order)."""
    return distinct_labels[weighted_distinct_rows(state["X"])[2]]


def _tied_kmeans(rows, det, threads):
    """KMeansDetector's K-means of tied rows (restarts, at most half of the rows
    distinct: at most 50,000 rows in the pipeline), as its fit runs it: on the distinct
    rows, united on the client in the single matrix's order, weighted by their counts;
    None where the rows are not tied or there are no restarts."""
    if not isinstance(det.n_init, (int, np.integer)) or det.n_init <= 1:
        return None
    united = rows.united_distinct  # as the pipeline counted them, else now
    if united is None:
        united = united_distinct_rows(
            _compute([_delayed(_partition_weighted_rows)(s) for s in rows.states])
        )
    distinct, counts, where = united
    if 2 * distinct.shape[0] > rows.n:
        return None
    km = det._kmeans_of_distinct_rows(distinct, counts, min(int(det.n_clusters), rows.n))
    labels = _compute(
        [
            _delayed(_partition_labels)(s, km.labels_[w])
            for s, w in zip(rows.states, where, strict=True)
        ]
    )
    km.labels_ = np.concatenate(labels)
    return km


def _fit_kmeans_detector(rows, det, x_moments, threads, name=None):
    det._check_params()
    x_std = x_moments.mean_std()[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = _tied_kmeans(rows, det, threads)
        if km is None:
            km = _fit_kmeans(rows, det, float(np.mean(x_std**2)), x_moments.max_abs, threads)
    centers = km.cluster_centers_
    like = rows.like is not None  # the reasons' medians of entities like it, wanted
    evidence = rows.like[0] if like else None
    got = map_reduce(rows.states, _kmeans_cluster_sums, centers, threads, like, evidence)
    det._set_clusters(km, got[0], group_sums(got[1]), x_std)
    shared = _shared(det)  # sent once, read by every partition's task
    tasks = [_delayed(_member_scores)(s, shared) for s in rows.states]
    stats = None
    if like:
        # The medians' first round (every round, where no (cluster, feature) has more
        # than 65,536 values) rides on the scores' call.
        counts = got[2]
        pairs = [(int(c), int(j)) for c, j in zip(*np.nonzero(counts))]
        values = partial(
            _like_values, centers=centers, threads=threads, evidence=evidence, pairs=pairs
        )
        stats = ColumnStatistics(
            values,
            [int(counts[c, j]) for c, j in pairs],
            medians=[(p, rows.like[1]) for p in range(len(pairs))],
        )
        first = reduction_tree(stats.first_partials(rows.states), merge_round)
        if first is not None:
            tasks.append(first)
    scores = _compute(tasks)
    if stats is not None:
        first = scores.pop() if len(scores) > len(rows.states) else None
        medians, _ = stats.finish(rows.states, first)
        rows.typical_like[name] = _reasons.typical_like_from(
            *centers.shape, {pair: medians[p] for p, pair in enumerate(pairs)}
        )
    det._set_threshold(np.concatenate(scores))
    return det


# ---------------------------------------------------------------------------- 4b. PCA


def _fit_pca_detector(rows, det, x_moments):
    check_contamination(det.contamination)
    if det.statistic not in ("spe", "t2"):
        raise ValueError(f"statistic must be 'spe' or 't2', got {det.statistic!r}")
    # The exact scatter matrix (from the moments' Gram sums, no further pass) and the
    # same eigen decomposition as PCADetector.fit: the same components bit for bit.
    det._set_moments(x_moments.parts, x_moments.exps)
    shared = _shared(det)  # sent once, read by every partition's task
    stats = _compute([_delayed(_member_scores)(s, shared) for s in rows.states])
    det.spe_ = np.concatenate([s[0] for s in stats])
    det.t2_ = np.concatenate([s[1] for s in stats])
    det._set_threshold(det.spe_ if det.statistic == "spe" else det.t2_)
    return det


# ---------------------------------------------------------------------- 4c. robust z


def _columns(state):
    X = state["X"].astype(np.float64)
    return [X[:, j] for j in range(X.shape[1])]


def _deviations(state, median):
    X = state["X"].astype(np.float64)
    deviation = np.abs(X - median)
    return [deviation[:, j] for j in range(X.shape[1])]


def _x_statistics(n: int, d: int) -> ColumnStatistics:
    """The medians and quartiles of the n x d matrix X's columns that robust z fits on
    (``_robust_statistics``), to compute with the moments' sums (``_Rows.x_statistics``)."""
    return ColumnStatistics(
        _columns,
        [n] * d,
        medians=[(j, np.float64) for j in range(d)],
        percentiles={j: [25, 75] for j in range(d)},
    )


def _has_robust_z(detector) -> bool:
    """Whether fitting ``detector`` takes X's medians and quartiles (robust z, alone or
    in an ensemble)."""
    members = detector.detectors if isinstance(detector, EnsembleDetector) else [detector]
    return any(isinstance(m[1] if isinstance(m, tuple) else m, RobustZDetector) for m in members)


def _robust_statistics(rows, x_std, quartiles: bool):
    """Each column's median, robust spread (``detect._base.robust_median_scale``: 1.4826
    MAD, else the exact standard deviation ``x_std``, else 1) and, with ``quartiles``,
    its quartiles, over the partitions' rows: numpy's on the whole matrix, bit for bit."""
    d = x_std.size
    sizes = [rows.n] * d
    if quartiles and rows.x_statistics is not None:  # their first round computed already
        medians, quarts = rows.x_statistics[0].finish(rows.states, rows.x_statistics[1])
    else:
        medians, quarts = column_statistics(
            rows.states,
            _columns,
            sizes,
            medians=[(j, np.float64) for j in range(d)],
            percentiles={j: [25, 75] for j in range(d)} if quartiles else None,
        )
    median = np.array([medians[j] for j in range(d)])
    mads, _ = column_statistics(
        rows.states,
        partial(_deviations, median=median),
        sizes,
        medians=[(j, np.float64) for j in range(d)],
    )
    spread = spread_or_std(MAD_TO_STD * np.array([mads[j] for j in range(d)]), x_std)
    return median, spread, quarts


def _fit_robust_z(rows, det, n, x_std):
    check_contamination(det.contamination)
    median, spread, quartiles = _robust_statistics(rows, x_std, quartiles=True)
    q1 = np.array([quartiles[j][0] for j in range(x_std.size)])
    q3 = np.array([quartiles[j][1] for j in range(x_std.size)])
    det._set_statistics(median, spread, q1, q3)
    shared = _shared(det)  # sent once, read by every partition's task
    scores = np.concatenate(_compute([_delayed(_member_scores)(s, shared) for s in rows.states]))
    det._set_threshold(scores)
    return det


# --------------------------------------------------------------- 4d. isolation forest


def _iforest_column_keys(state, keys, floors, threads):
    """The partition's share of each column's key for the trees' features (C++
    iforest_column_keys over its rows' hashes by the global column keys ``keys``; the
    values rounded by the global ``floors``)."""
    X = state["X"]
    hashes = _core.kmeans_row_hashes(X, keys, threads, floors=floors)
    return _core.iforest_column_keys(X, hashes, threads, floors=floors)


def _iforest_hashes(state, keys, floors, threads):
    """The partition with its rows' hashes by the trees' column keys ``keys`` (and the
    global ``floors``) and their copy numbers within the partition (C++ copy_numbers: in
    row order)."""
    X = state["X"]
    hashes = _core.kmeans_row_hashes(X, keys, threads, floors=floors)
    return {**state, "hash": hashes, "copy": _core.iforest_copy_numbers(X, hashes, threads)}


def _copies_in_earlier_partitions(found):
    """Per partition, its repeated rows' keys (sorted) and how many copies of each the
    partitions before it hold, from the partitions' ``_repeated_rows``: one sort of all
    the keys with a running count per key (merging every prefix of the partitions
    apart was quadratic in their number: 120 s on the client at 200 partitions)."""
    sizes = [keys.size for keys, _ in found]
    _, code = np.unique(np.concatenate([keys for keys, _ in found]), return_inverse=True)
    counts = np.concatenate([c for _, c in found]).astype(np.int64)
    part = np.repeat(np.arange(len(found)), sizes)
    order = np.lexsort((part, code))  # by key, then partition
    ordered_code, ordered_counts = code[order], counts[order]
    starts = np.flatnonzero(np.r_[True, ordered_code[1:] != ordered_code[:-1]])
    running = np.cumsum(ordered_counts) - ordered_counts  # copies before, all keys
    group = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, order.size]))
    before = np.empty_like(counts)
    before[order] = running - running[starts][group]  # ... of the same key only
    out, at = [], 0
    for (keys, _), size in zip(found, sizes):
        mine = np.argsort(keys, kind="stable")
        out.append((keys[mine], before[at : at + size][mine]))
        at += size
    return out


def _iforest_copies_before(state, repeated, before):
    """The partition with its copy numbers over all partitions: a row whose hash is
    repeated (``repeated``) numbered after its copies in the partitions before it
    (``before``: ``_copies_in_earlier_partitions``), as the single machine numbers the
    copies in row order."""
    keys, counts = before
    if not keys.size:
        return state
    X, hashes = state["X"], state["hash"]
    hit = np.flatnonzero(np.isin(hashes, repeated))
    mine = _row_keys(X[hit], hashes[hit])
    at = np.minimum(np.searchsorted(keys, mine), keys.size - 1)
    found = keys[at] == mine
    copy = state["copy"].copy()
    copy[hit[found]] += counts[at[found]].astype(np.int64)
    return {**state, "copy": copy}


def _iforest_draw(state, start, n_estimators, samples, seed, threads):
    """The partition's smallest keyed rows per tree (C++ iforest_draw_rows): their keys
    and global row numbers, n_estimators x min(rows, samples)."""
    keys, local = _core.iforest_draw_rows(
        state["X"], state["hash"], state["copy"], n_estimators, samples, seed, threads
    )
    return keys, local + start


def _iforest_stats_draw(state, start, limit, seed, threads, bound=None):
    """The partition's ``limit`` smallest keyed rows in explain()'s draw (C++
    iforest_draw_rows, one tree of ``seed``), those of key up to ``bound`` only (all
    where None): their keys (sorted) and global row numbers. With a bound, the draw
    keeps as many as the partition's rows hold under it, with _STATS_MARGIN standard
    deviations to spare, and draws again up to ``limit`` where they all are under it."""
    X = state["X"]
    every = min(len(X), limit)
    if every == 0:
        return np.empty((1, 0), dtype=np.uint64), np.empty((1, 0), dtype=np.int64)

    def draw(n):
        return _core.iforest_draw_rows(X, state["hash"], state["copy"], 1, n, seed, threads)

    if bound is None:
        keys, local = draw(every)
    else:
        share = len(X) * (bound / 2**64)
        n = min(every, max(1, int(share + _STATS_MARGIN * np.sqrt(share)) + 16))
        keys, local = draw(n)
        cut = int(np.searchsorted(keys[0], np.uint64(bound), side="right"))
        if cut == n < every:  # maybe more under the bound: draw them all
            keys, local = draw(every)
            cut = int(np.searchsorted(keys[0], np.uint64(bound), side="right"))
        keys, local = keys[:, :cut], local[:, :cut]
    return keys, local + start


# How far above _STATS_ROWS the keys explain()'s rows are drawn from may reach, in standard
# deviations of the count of n uniform keys under a bound (_iforest_stats_rows).
_STATS_MARGIN = 10.0


def _iforest_stats_rows(rows, limit, seed, threads):
    """The rows explain() keeps above ``limit`` rows: the ``limit`` of smallest key over
    the partitions (``_smallest_keyed``), as one machine keeps them. The keys are
    uniform 64-bit numbers (splitmix64), so each partition sends only those under the
    bound that ``limit`` plus _STATS_MARGIN standard deviations of all n keys stay under
    (about 103,000 keys for 100,000 rows kept, not every row of partitions under
    ``limit`` rows); where fewer come back (a chance of about 1e-22), each partition sends
    its ``limit`` smallest."""
    expected = limit + _STATS_MARGIN * np.sqrt(limit)
    bound = min(2**64 - 1, int(expected * 2**64 / rows.n)) if expected > 0 else 0

    def draw(bound):
        return _compute(
            [
                _delayed(_iforest_stats_draw)(s, int(rows.starts[p]), limit, seed, threads, bound)
                for p, s in enumerate(rows.states)
            ]
        )

    found = draw(bound)
    if sum(k.shape[1] for k, _ in found) < limit:
        found = draw(None)
    return np.sort(_smallest_keyed(rows, found, limit)[0])


def _smallest_keyed(rows, found, samples):
    """Per tree (a row of the partitions' draws ``found``: keys, global rows), the
    ``samples`` rows of smallest key over the partitions, ordered by (key, row values,
    row) as C++ orders them."""
    keys = np.concatenate([k for k, _ in found], axis=1)
    drawn = np.concatenate([r for _, r in found], axis=1)
    order = np.lexsort((drawn, keys))
    keys = np.take_along_axis(keys, order, axis=1)
    drawn = np.take_along_axis(drawn, order, axis=1)
    # Equal keys (rows of equal hashes and copy numbers: rows equal to the keys' rounding,
    # a symmetry of the table, or a 64-bit collision) in or at the edge of a tree's
    # sample: ordered by their values.
    tied = keys[:, 1:] == keys[:, :-1]
    for tree in np.flatnonzero(tied[:, :samples].any(axis=1)):
        j = 0
        while j < samples:
            end = j + 1
            while end < keys.shape[1] and keys[tree, end] == keys[tree, j]:
                end += 1
            if end - j > 1:
                values = rows.fetch(drawn[tree, j:end].tolist()).astype(np.float64)
                run = sorted(zip(map(tuple, values.tolist()), drawn[tree, j:end].tolist()))
                drawn[tree, j:end] = [r for _, r in run]
            j = end
    return drawn[:, :samples]


def _iforest_hash_counts_and_ties(state, keys, threads):
    """``_hash_counts`` and, per column, the first column identical to it on the
    partition's rows among those of its key for the trees ``keys``
    (``_iforest.tied_columns`` by them, as one machine's fit: columns identical on
    every row share it), itself where none is; None for it without rows."""
    X = state["X"]
    first = np.arange(X.shape[1]) if X.shape[0] else None
    for group in _iforest.tied_columns(X, threads, keys):  # (none without rows)
        first[group] = group[0]
    return (*_hash_counts(state), first)


def _tied_over_partitions(firsts) -> list[np.ndarray]:
    """The groups of columns identical on every row (``_iforest.tied_columns``'s form:
    ascending columns, groups by their first) from each partition's firsts
    (``_iforest_hash_counts_and_ties``; None for a partition without rows): the columns that
    share their first on every partition."""
    firsts = [f for f in firsts if f is not None]
    _, label = np.unique(np.stack(firsts, axis=1), axis=0, return_inverse=True)
    order = np.argsort(label.ravel(), kind="stable")
    runs = np.split(order, np.flatnonzero(np.diff(label.ravel()[order])) + 1)
    return sorted((r for r in runs if r.size > 1), key=lambda g: int(g[0]))


def _iforest_tree_rows(rows, seed, n_estimators, samples, threads):
    """Each tree's rows as C++ iforest_fit draws them on the rows concatenated (global
    row numbers, n_estimators x samples), the column keys its features are drawn by,
    the rows explain() keeps (``_iforest._stats_rows_by_keys``: all up to _STATS_ROWS,
    else those of smallest key in a draw of their own) and, above _STATS_ROWS, the
    groups of columns identical on every row (``_iforest.tied_columns``, found per
    partition in the pass that counts the rows' hashes; None up to _STATS_ROWS, where
    they are found over the kept rows, all of them). The keys are wrapping sums over the
    partitions; copies of a row are numbered over all partitions (the repeated hashes
    counted per partition, as K-means++ counts its group weights); each partition keeps
    its smallest keys per tree and the client the smallest over them, ordered by (key,
    row values, row) as C++ orders them."""
    floors = _global_key_floors(rows, threads)
    keys = _global_column_keys(rows, floors, threads)
    parts = _compute(
        [_delayed(_iforest_column_keys)(s, keys, floors, threads) for s in rows.states]
    )
    column_keys = np.add.reduce(np.stack(parts), axis=0, dtype=np.uint64)
    rows.states = _persist(
        [_delayed(_iforest_hashes)(s, column_keys, floors, threads) for s in rows.states]
    )
    _numbered_near_ties(rows, column_keys, threads)
    limit = _iforest._STATS_ROWS
    if rows.n > limit:  # the groups over every row: one machine's (_set_forest's tied)
        parts = _compute(
            [_delayed(_iforest_hash_counts_and_ties)(s, column_keys, threads) for s in rows.states]
        )
        tied = _tied_over_partitions([f for *_, f in parts])
    else:  # found over the kept rows, all of them
        parts = _compute([_delayed(_hash_counts)(s) for s in rows.states])
        tied = None
    hashes, where = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    counts = np.bincount(where, weights=np.concatenate([p[1] for p in parts]))
    if (counts > 1).any():
        repeated = _shared(hashes[counts > 1])
        found = _compute([_delayed(_repeated_rows)(s, repeated) for s in rows.states])
        befores = _copies_in_earlier_partitions(found)
        rows.states = _persist(
            [
                _delayed(_iforest_copies_before)(s, repeated, before) if p else s
                for p, (s, before) in enumerate(zip(rows.states, befores))
            ]
        )
    found = _compute(
        [
            _delayed(_iforest_draw)(s, int(rows.starts[p]), n_estimators, samples, seed, threads)
            for p, s in enumerate(rows.states)
        ]
    )
    if rows.n > limit:
        kept = _iforest_stats_rows(rows, limit, _iforest._stats_seed(seed), threads)
    else:
        kept = np.arange(rows.n)
    rows.states = _persist([_delayed(_drop)(s, ("hash", "copy")) for s in rows.states])
    return _smallest_keyed(rows, found, samples), column_keys, kept, tied


def _fit_iforest(rows, det, d: int, threads: int):
    """The isolation forest ``det.fit`` grows on the rows concatenated: each tree's rows
    are drawn as the C++ fit draws them, by keys from the rows' and columns' content
    (``_iforest_tree_rows``), those rows (at most n_estimators x max_samples, 25,600 by
    default) are fetched to the client, and the trees grown from them alone are the
    single-machine forest; then every partition is scored by it. The rows ``explain``
    takes its medians and spreads from are the same ones too (all rows up to 100,000,
    else the same 100,000 drawn by their content keys), and so are the groups of
    columns read as one feature (identical on every row, not only on those kept)."""
    params = det._validate_params()
    n_estimators = params["n_estimators"]
    n = rows.n
    samples, cols = det._resolve_sizes(n, d)
    if samples >= n:
        # Every tree grows on every row (the C++ fit draws none: any order grows the
        # same tree): the rows fetched, in order, and fitted as on one machine, without
        # the n_estimators x n keys a draw per partition would bring to the client.
        return det.fit(rows.gather(np.arange(n)))
    seed = int(check_random_state(det.random_state).randint(_IFOREST_SEED_LIMIT))
    tree_rows, column_keys, kept, tied = _iforest_tree_rows(
        rows, seed, n_estimators, samples, threads
    )
    drawn = distinct(tree_rows)
    x = rows.gather(drawn)
    trees = _core.iforest_fit(
        x,
        n_estimators,
        samples,
        cols,
        bool(det.extended),
        seed,
        threads,
        tree_rows=np.searchsorted(drawn, tree_rows).astype(np.int64),
        column_keys=column_keys,
    )
    det._set_forest(trees, samples, cols, rows.gather(kept), tied)
    det.n_features_in_ = d
    det._stats()  # the medians and spreads, on the client: the workers get no rows
    shared = _shared(_without_training_vectors(det))
    scores = np.concatenate(_compute([_delayed(_member_scores)(s, shared) for s in rows.states]))
    det._set_threshold(scores)
    return det


# ------------------------------------------------ 4e. any detector; normal-only fitting


def _fit_detector(detector, rows, x_moments, threads: int):
    """The detector fitted over the partitions' rows (``rows``: ``_Rows``) as
    ``detector.fit(X)`` on them concatenated; ``x_moments``: their exact moments, or None
    to compute them. Returns it and, for a neighbour method, each partition's neighbours
    (None otherwise)."""
    if _neighbors.is_neighbour_detector(detector):
        return _neighbors.fit(rows, detector, threads)
    if x_moments is None:
        x_moments = _moments(rows.states, "X", scatter=_needs_scatter(detector))
    if _ecod.is_ecod(detector):
        # The rows' tail scores stay in their states for the reasons.
        detector, rows.states = _ecod.fit(
            rows, detector, x_moments.max_abs.size, x_moments.mean_std()[1]
        )
        return detector, None

    def fit_one(det, name=None):
        if isinstance(det, KMeansDetector):
            return _fit_kmeans_detector(rows, det, x_moments, threads, name)
        if isinstance(det, PCADetector):
            return _fit_pca_detector(rows, det, x_moments)
        if isinstance(det, RobustZDetector):
            return _fit_robust_z(rows, det, rows.n, x_moments.mean_std()[1])
        if isinstance(det, IsolationForest):
            return _fit_iforest(rows, det, x_moments.max_abs.size, threads)
        raise ValueError(f"{type(det).__name__} is not fitted over partitions")

    if isinstance(detector, EnsembleDetector):
        detector._check_params()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="every score is the same")
            fitted = [(name, fit_one(det, name)) for name, det in detector._members()]
        detector._set_members(fitted)
        return detector, None
    return fit_one(detector), None


def _decision(state, det):
    return det.decision_function(state["X"])


def _score_rows(det, rows, states, threads: int, explain: bool = False):
    """Per partition of ``states``, the fitted detector's scores of its rows, as
    ``det.decision_function`` gives them on one machine (``rows``: the training rows, which
    a neighbour method searches); and, for a neighbour method, the neighbours found
    (k + 1 of them with ``explain``), else None."""
    if _neighbors.is_neighbour_detector(det):
        return _neighbors.score(det, rows, states, threads, explain=explain)
    if _ecod.is_ecod(det):  # the states with their rows' tail scores, for the reasons
        states, parts = _ecod.score(det, rows, states)
        return parts, states
    shared = _shared(_without_training_vectors(det))
    return _compute([_delayed(_decision)(s, shared) for s in states]), None


def _subset(state, fold, f: int, held: bool):
    """The partition's rows of fold f (``held``) or of the other folds."""
    keep = (fold == f) if held else (fold != f)
    return {"X": state["X"][keep]}


def _row_hashes(state, keys, floors, exact_keys, threads):
    """The partition's rows' hashes by the global column keys and floors (C++
    row_hashes), and by their exact bits (``exact_keys``)."""
    X = state["X"]
    return (
        _core.kmeans_row_hashes(X, keys, threads, floors=floors),
        _core.kmeans_row_hashes(X, exact_keys, threads, rounded=False),
    )


def _exact_column_keys(state, threads):
    """The partition's share of each column's key by its values' exact bits."""
    return _core.kmeans_column_keys(state["X"], threads, rounded=False)


def _content_order(rows, threads: int) -> np.ndarray:
    """The rows in an order of their content, as ``detect._threshold.content_order``
    orders one machine's matrix: each column's keys wrapping sums over the partitions
    (as C++ sums over the rows), each row's hashes by those keys (rounded, then exact),
    the rows sorted by them (ties in row order); 2n hashes come to the client."""
    floors = _global_key_floors(rows, threads)
    keys = _global_column_keys(rows, floors, threads)
    parts = _compute([_delayed(_exact_column_keys)(s, threads) for s in rows.states])
    exact_keys = np.add.reduce(np.stack(parts), axis=0, dtype=np.uint64)
    hashes = _compute(
        [_delayed(_row_hashes)(s, keys, floors, exact_keys, threads) for s in rows.states]
    )
    rounded = np.concatenate([h for h, _ in hashes])
    exact = np.concatenate([e for _, e in hashes])
    return np.lexsort((exact, rounded))


def _out_of_fold(pipeline, rows, threads: int) -> np.ndarray:
    """The normal rows' out-of-fold scores, as ``detect.out_of_fold_scores`` gives them on
    one machine: the same folds (``folds_in_order`` over the rows' content order), each
    scored by a detector fitted over the partitions' rows of the other folds (the rows
    in their order, so the fits are the single machine's on the same rows)."""
    n = rows.n
    fold = folds_in_order(_content_order(rows, threads), pipeline.n_folds, pipeline.random_state)
    # The support rule reads these folds again (random_state None or a Generator would
    # draw others; _pipeline._support_rule, review s32 LOW-B).
    pipeline._fit_folds = fold
    pieces = [fold[rows.starts[p] : rows.starts[p + 1]] for p in range(len(rows.states))]
    sent = _send(pieces)
    scores = np.empty(n, dtype=np.float64)
    for f in range(pipeline.n_folds):
        train = [p for p, piece in enumerate(pieces) if (piece != f).any()]
        held = [p for p, piece in enumerate(pieces) if (piece == f).any()]
        train_rows = _Rows(
            _persist([_delayed(_subset)(rows.states[p], sent[p], f, False) for p in train]),
            [int((pieces[p] != f).sum()) for p in train],
        )
        held_states = _persist([_delayed(_subset)(rows.states[p], sent[p], f, True) for p in held])
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="every score is the same")
            det, _ = _fit_detector(pipeline._detector(n), train_rows, None, threads)
        parts, _ = _score_rows(det, train_rows, held_states, threads)
        scores[fold == f] = np.concatenate(parts)
    return scores


def _x_and_raw(state):
    return state["X"], state["raw"]


def _lengths(state):
    return state["lengths"]


def _matrices(rows):
    """The detector's matrix and the raw features of every row, in order (fetched)."""
    parts = _compute([_delayed(_x_and_raw)(s) for s in rows.states])
    return np.concatenate([x for x, _ in parts]), np.concatenate([r for _, r in parts])


# -------------------------------------------------------------------------- 5. table


# Per-entity training vectors of fitted detectors that scoring new rows does not read.
_TRAINING_VECTORS = ("decision_scores_", "labels_", "spe_", "t2_")


def _for_workers(pipeline):
    """A shallow copy of the fitted pipeline for the table pass, without the detectors'
    per-entity training vectors (8 bytes an entity each): the workers score their rows
    afresh and need only ``p_normal``'s reference scores."""
    light = copy.copy(pipeline)
    if light.reference_scores_ is None:  # a float contamination: the detector's own
        light.reference_scores_ = pipeline.detector_.decision_scores_
    light.detector_ = _without_training_vectors(pipeline.detector_)
    return light


def _without_training_vectors(det):
    if _neighbors.is_neighbour_detector(det):
        return _neighbors.for_workers(det)
    det = _ecod.for_workers(det) if _ecod.is_ecod(det) else copy.copy(det)
    for name in _TRAINING_VECTORS:
        if hasattr(det, name):
            setattr(det, name, np.empty(0))
    if isinstance(det, KMeansDetector):
        det.kmeans_ = copy.copy(det.kmeans_)
        det.kmeans_.labels_ = np.empty(0, dtype=np.int32)
    if isinstance(det, IsolationForest) and det._feature_stats is not None:
        det._train = det._train[:0]  # the medians and spreads are taken from it already
    if isinstance(det, EnsembleDetector):
        det.detectors_ = [(name, _without_training_vectors(d)) for name, d in det.detectors_]
        if det.normalize == "zscore":  # "rank" reads the sorted training scores
            det._train_scores = [np.empty(0) for _ in det.detectors_]
    return det


def _explaining(pipeline, explain, gathered):
    """The pipeline with a copy of its detector whose ``explain`` hook is
    ``explain(detector, gathered, X)``: what the cluster gathered or computed with the
    scores, in place of what the single machine computes again from the training rows."""
    det = copy.copy(pipeline.detector_)
    det._explain = partial(explain, det, gathered)
    pipeline = copy.copy(pipeline)
    pipeline.detector_ = det
    return pipeline


def _short_flags(table, state):
    """A table partition's :func:`short_flag_counts` (its sessions' keys, which the
    partition holds as columns, as the index again)."""
    seqs = state["seqs"]
    if isinstance(seqs.ids, pd.MultiIndex):
        table = table.set_index(list(seqs.ids.names))
    return short_flag_counts(table, seqs)


def _one_off_flags(table, state):
    """A table partition's :func:`one_off_flag_counts` (its sessions' keys as the index
    again, as :func:`_short_flags` reads them)."""
    seqs = state["seqs"]
    if seqs is None:
        return 0, pd.Series(dtype=np.int64)
    if isinstance(seqs.ids, pd.MultiIndex):
        table = table.set_index(list(seqs.ids.names))
    return one_off_flag_counts(table, seqs)


def _rare_only_flags(table, state, median_length):
    """A table partition's :func:`rare_only_flag_counts` against the whole log's median
    length, as :func:`_one_off_flags`."""
    seqs = state["seqs"]
    if seqs is None:
        return 0, 0, pd.Series(dtype=np.int64)
    if isinstance(seqs.ids, pd.MultiIndex):
        table = table.set_index(list(seqs.ids.names))
    return rare_only_flag_counts(table, seqs, median_length)


def _lengths(state) -> np.ndarray:
    """A partition's sequences' lengths (none where it holds no sequence)."""
    seqs = state["seqs"]
    return np.zeros(0, np.int64) if seqs is None else np.asarray(seqs.lengths, dtype=np.int64)


def _session_spread(table, state):
    """A table partition's :func:`session_spread_counts` (an entity's sessions all lie
    in its partition, so the counts add up)."""
    seqs = state["seqs"]
    if isinstance(seqs.ids, pd.MultiIndex):
        table = table.set_index(list(seqs.ids.names))
    return session_spread_counts(table)


def _table(state, pipeline, piece):
    # the partition's slices of the collected scores and ranks, and its group members
    # (_GroupStage.join; None without the group stage)
    scores, ranks, joined = piece
    seqs = state["seqs"]
    if "typical" in state:  # a neighbour method: the neighbours' means, gathered
        pipeline = _explaining(pipeline, _neighbors.explain_against, state["typical"])
    if "like_medians" in state:  # and the medians of their own values
        pipeline = _reasons.with_like_medians(pipeline, state["like_medians"])
    if "tails" in state:  # ECOD: the rows' tail scores, computed with their scores
        pipeline = _explaining(pipeline, _ecod.explain_from_tails, state["tails"])
    table = pipeline._table(seqs, _Input(state["X"], state["raw"]), scores)
    table["rank"] = pd.Series(ranks, index=seqs.ids).reindex(table.index).to_numpy()
    table = table.reindex(seqs.ids)  # the partition's entity order
    if "unseen_named" in state:
        reasons = table["reason"].to_numpy(dtype=object)
        table["reason"] = _with_unseen_named(reasons, state["unseen_named"])
    if "largest_value" in state:
        kinds = state["largest_value"]
        reasons = table["reason"].to_numpy(dtype=object)
        table["reason"] = _reasons.with_largest_value_events(
            pipeline, reasons, np.arange(len(kinds)), kinds
        )
    if joined is not None:  # one machine's join_groups, its order (rank) the client's
        rows, gid_of_members, lifted, said, p_normal = joined[:5]
        gid = np.full(len(table), -1, dtype=np.int64)
        gid[rows] = gid_of_members
        table = _with_groups(table, gid, lifted, said, p_normal)
        short = joined[5] if len(joined) > 5 else None
        if short is not None:  # the members min_events left out that fall here, ranked
            short = short[list(table.columns)].astype(table.dtypes.to_dict())
            table = pd.concat([table, short]).sort_index(kind="stable")
    if isinstance(table.index, pd.MultiIndex):
        table = table.reset_index()
    return table


def _head(frame):
    return frame.iloc[:0]


def _context_named(tables, context) -> list:
    """The side columns of ``context`` whose sharing a reason of any of ``tables`` (the
    partitions' delayed tables) names (:func:`oddseq._pipeline.context_named`)."""
    found = _compute([_delayed(context_named)(t, context) for t in tables])
    named = {c for part in found for c in part}
    return context_in_order(context, named.__contains__)


# ------------------------------------------------------------------ the group stage
#
# One machine's group stage (oddseq.graph.GroupDetector on the entities and their items,
# joined by AnomalyPipeline.join_groups) reads every event: its null model weighs each
# time bin by its share of all activity and each entity and item by its degree, and a
# group's sentence names its first items in the order they are coded, so no event can be
# left out and the codes must be one machine's. The workers reduce each event to what
# the search reads (the item's code in one machine's order, 4 bytes; its time in ns, 8)
# and each entity to its id and length; the client gathers that, searches with the one
# machine's code, and sends each partition its members' rows (a few) for the table.

#: The client's memory per event at the group stage's peak, with a margin: the gathered
#: input (12 bytes an event, 16 more an entity; 24 while the partitions' parts are
#: joined) and GroupDetector's search beside it (measured on make_ecommerce, 2.1 M
#: events of 40,000 users: 27 bytes an event over its input, peak RSS).
GROUP_BYTES_PER_EVENT = 64


def _client_memory() -> int:
    """The bytes of memory free on the client's machine."""
    try:
        import psutil  # (distributed needs it)
    except ImportError:  # pragma: no cover - Linux without psutil
        import os

        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return int(psutil.virtual_memory().available)


def _check_groups(groups, item) -> None:
    finder = _is_group_finder(groups)
    if not (
        finder
        or groups is True
        or groups is False
        or (isinstance(groups, str) and groups == "auto")
    ):
        raise ValueError(
            "groups must be 'auto', True, False or a GroupDetector (the stage with its "
            f"settings, e.g. GroupDetector(patience=10)), got {groups!r}"
        )
    check_group_finder(groups)
    if (groups is True or finder) and item is None:
        raise ValueError(
            f"groups={'a GroupDetector' if finder else 'True'} needs item=... (the items "
            "entities share: oddseq.dask looks for "
            "groups on items; on devices, IPs or cards, oddseq.detect_anomalies(..., "
            "group_by=[...]) on one machine)"
        )


def _first_items(part: pd.DataFrame, item: str, complete):
    """An input partition's distinct items in first-seen order and the rows they were
    read from: every row, as ``Sequences.from_events`` codes its items (rows dropped
    later included), or those with every column of ``complete`` (one machine drops the
    others before it searches sessions' entities, with dropna)."""
    if complete:
        part = part.dropna(subset=complete)
    return part[item].drop_duplicates(), len(part)


def _firsts(read):
    return read[2]


def _item_vocabulary(firsts, item: str) -> pd.Index:
    """The item labels in the order one machine codes them (``_factorize(sort=False)``
    over the whole column) from the input partitions' ``_first_items``, in the input's
    order."""
    from ..sequences._sequences import _factorize

    seen = pd.concat([f[0] for f in firsts], ignore_index=True).drop_duplicates()
    n = sum(f[1] for f in firsts)
    raw = seen.to_numpy()
    if raw.dtype.kind in "iu" and raw.dtype != np.uint64 and 0 < seen.size < n:
        # Integers are coded in C++, first seen first within hash partitions whose number
        # follows the rows (or in sorted order where they are dense for the rows): the
        # distinct items in first-seen order, padded to the rows with the first, are
        # coded in the same order (8 bytes a row on the client, for a moment).
        raw = np.concatenate([raw, np.full(n - seen.size, raw[0], dtype=raw.dtype)])
        seen = pd.Series(raw)
    return _factorize(seen.reset_index(drop=True), item, sort=False, small_codes=True)[1]


def _group_input(seqs: Sequences, vocabulary: pd.Index):
    """What the group search reads of a partition: each entity's id and its number of
    events (sessions joined back into their entity: consecutive), the events' item
    codes in ``vocabulary`` and their times (ns, as the sequences read them: numbers,
    dates or text, as one machine's ``_timed_for_groups``; None without a time column),
    and the time zone."""
    ids, offsets = seqs.ids, seqs.offsets
    if isinstance(ids, pd.MultiIndex):
        first = np.flatnonzero(np.diff(ids.codes[0], prepend=-1))
        ids = ids.get_level_values(0)[first]
        offsets = offsets[np.append(first, len(seqs))]
    dtype = np.int32 if len(vocabulary) < 2**31 else np.int64
    local = seqs.items
    remap = vocabulary.get_indexer(seqs.item_labels).astype(dtype)
    if remap.size:
        codes = np.where(local >= 0, remap[np.maximum(local, 0)], -1).astype(dtype)
    else:
        codes = np.full(local.size, -1, dtype=dtype)
    return ids, np.diff(offsets), codes, seqs.times, seqs.tz, seqs.naive_clock


def _group_part(state):
    return state.get("group")


def _member_rows(state, held):
    """The partition's rows (of the table) that are group members, and their entities:
    ``held``, (the members, the member sequences' ids) as ``_acting`` found them while
    the partitions held their events."""
    ids = state["seqs"].ids
    keys = ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids
    rows = np.flatnonzero(keys.isin(held[0]))
    if isinstance(ids, pd.MultiIndex) and rows.size:
        rows = rows[ids[rows].isin(held[1])]
    return rows, keys[rows]


def _acting(state, members, acts):
    """The partition's sequences that are group members, one machine's
    (``group_member_rows``: a session where it holds one of its entity's acts): their
    ids and fingerprints (``_explain.sequence_prints``, by labels: the partition's own
    codes do not matter), and of those min_events left out (``short``), the ids and
    lengths (one machine lists them for their group: join_groups); None where it holds
    none."""
    from .._explain import sequence_prints

    found = []
    for key in ("seqs", "short"):
        seqs = state.get(key)
        rows = None if seqs is None else group_member_rows(seqs, members, acts)
        if rows is not None and rows.size:
            found.append((seqs.ids[rows], sequence_prints(seqs.take(rows)), seqs.lengths[rows]))
        else:
            found.append(None)
    if found == [None, None]:
        return None
    ids = [f[0] for f in found if f is not None]
    prints = np.concatenate([f[1] for f in found if f is not None])
    short = found[1]
    return ids[0].append(ids[1:]), prints, None if short is None else (short[0], short[2])


def _refuse_past_client_memory(n: int, whose: str = "") -> None:
    """A ValueError naming groups=False where the group stage's gathering of ``n``
    events (``whose``: the normal log's, for its groups) needs more memory than the
    client has free."""
    need, free = n * GROUP_BYTES_PER_EVENT, _client_memory()
    if need > free:
        raise ValueError(
            f"the group stage gathers {n:,} {whose + ' ' if whose else ''}events to the "
            f"client and needs about {need / 1e9:.3g} GB there ({GROUP_BYTES_PER_EVENT} "
            f"bytes an event), more than the {free / 1e9:.3g} GB free: pass groups=False to "
            "rank without it (the per-entity model alone), or run the client where more "
            "memory is free"
        )


def _normal_referee(normal, entity, event, time, item, reading, dropna, groups, progress):
    """One machine's ``normal_referee`` of the ``normal`` log: its entity, time and item
    columns gathered to the client (refused, naming groups=False, where they would not
    fit there, as the group stage's own input is)."""
    n = len(normal)
    if not _referee_fits(range(n), groups):  # (said there)
        return None
    _refuse_past_client_memory(n, "the normal log's")
    columns = list(dict.fromkeys(c for c in (entity, event, time, item) if c is not None))
    with step("reading the normal log's groups", enabled=progress):
        frame = normal[columns].compute()
        if dropna:  # (as one machine drops them)
            frame = frame.dropna(subset=[c for c in (entity, event, time) if c is not None])
        return normal_referee(frame, [item], entity, time, reading, "auto", groups)


class _GroupStage:
    """``groups=`` over the partitions: planned once the log is read (the single
    machine's rule for groups="auto", the client's memory), its input built with the
    sequences, gathered and searched on the client, joined in the table pass."""

    def __init__(self, groups, item, complete, progress):
        self.groups, self.item, self.progress = groups, item, progress
        self.reads = (item, complete)  # what _read keeps (_first_items)
        self.vocabulary = None
        self.prints = None  # the members' fingerprints, once fitted
        self.held = None  # (the members, the member sequences' ids), once fitted
        # the members min_events left out (one machine lists them: join_groups): their
        # ids and lengths in the sequences' order, once fitted
        self.short = None

    def plan(self, reports, inputs):
        """The item vocabulary (sent to the workers) where the stage runs,
        else None (groups="auto" past one machine's limit, with its warning)."""
        n = sum(r["rows"] for r in reports)
        if _group_objects(range(n), self.groups, None, self.item) is None:
            return None
        _refuse_past_client_memory(n)
        self.vocabulary = _item_vocabulary(
            _compute([_delayed(_firsts)(r) for r in inputs]), self.item
        )
        return _shared(self.vocabulary)

    def fit(self, states, referee=None):
        """The GroupDetector of the gathered input (None where the stage does not run);
        ``referee``: with ``normal=``, a function giving the normal log's GroupDetector,
        whose kinds of groups are no groups here (one machine's
        ``groups_the_normal_log_holds``), called where groups are found."""
        if self.vocabulary is None:
            return None

        with step(f"looking for groups on {self.item}", enabled=self.progress):
            parts = [p for p in _compute([_delayed(_group_part)(s) for s in states]) if p]
            ids = parts[0][0].append([p[0] for p in parts[1:]])
            lengths = np.concatenate([p[1] for p in parts])
            offsets = np.zeros(lengths.size + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            items = np.concatenate([p[2] for p in parts])
            times = None if parts[0][3] is None else np.concatenate([p[3] for p in parts])
            tz = parts[0][4] if len({p[4] for p in parts}) == 1 else None
            naive = all(p[5] for p in parts)  # (naive times: the log's clock, no zone)
            del parts, lengths
            # Sequences of one event type (the search reads entities, items and times)
            seqs = Sequences(
                ids,
                offsets,
                np.zeros(items.size, dtype=np.int32),
                pd.Index(["event"]),
                times=times,
                items=items,
                item_labels=self.vocabulary,
                tz=tz,
            )._with_clock(naive)
            finder = group_finder(self.groups, "auto").fit(seqs)
            if referee is not None and len(finder.groups_):
                drop_normal_groups(finder, groups_the_normal_log_holds(finder, referee()))
            warn_segments(finder, shell=False)
            warn_large_groups(finder, group_by=False, normal=referee is not None)
            warn_groups_past_the_cap(finder, shell=False)
            # One machine's fingerprints of the members' sequences (_note_group_log),
            # taken while the partitions still hold their events: explain gives a
            # group's sentence to this log's sequences only, not a later day's.
            # The member sequences too (sessions holding an act), joined in the table pass.
            members, acts = group_acts(finder)
            found = _compute([_delayed(_acting)(s, members, acts) for s in states])
            found = [f for f in found if f is not None]
            ids = found[0][0].append([f[0] for f in found[1:]]) if found else pd.Index([])
            keys = ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids
            self.held = (keys.unique(), ids)
            short = [f[2] for f in found if f[2] is not None]
            if short:
                self.short = (
                    short[0][0].append([s[0] for s in short[1:]]),
                    np.concatenate([s[1] for s in short]),
                )
            prints = [f[1] for f in found]
            self.prints = np.sort(np.concatenate([np.empty(0, np.uint64), *prints]))
            return finder

    def join(self, finder, pipeline, states, starts, scores, found=None):
        """One machine's join_groups over the partitions: (the scores with the members'
        lifted, per partition its members' rows, groups, lifted scores, sentences and
        p_normal of the lifted scores)."""
        if found is None:  # (else found already: _member_rows of the same states)
            found = _compute([_delayed(_member_rows)(s, self.held) for s in states])
        rows = np.concatenate([starts[p] + r for p, (r, _) in enumerate(found)])
        keys = found[0][1].append([k for _, k in found[1:]])
        gid, lifted = pipeline._group_lift(keys, scores[rows], finder)
        said = finder.explain(keys).to_numpy(dtype=object)
        p_normal = pipeline.p_normal(lifted) if lifted.size else lifted
        joined = scores.copy()
        joined[rows] = lifted
        cuts = np.cumsum([0] + [len(r) for r, _ in found])
        pieces = [
            (found[p][0], gid[a:b], lifted[a:b], said[a:b], p_normal[a:b])
            for p, (a, b) in enumerate(zip(cuts[:-1], cuts[1:]))
        ]
        return joined, pieces

    def short_rows(self, finder, pipeline):
        """The rows of the members min_events left out, as one machine's join_groups
        lists them (``short_member_frame`` lifted by ``_group_lift``, ``_with_groups``
        with the ``p_normal`` of their score), unranked, in the sequences' order; None
        for none."""
        if self.short is None:
            return None
        ids, lengths = self.short
        frame = short_member_frame(ids, lengths, pipeline.min_events)
        keys = ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids
        gid, lifted = pipeline._group_lift(keys, frame["score"], finder)
        said = finder.explain(keys).to_numpy(dtype=object)
        return _with_groups(frame, gid, lifted, said, pipeline.p_normal(lifted))


def _with_short(members, short, firsts, summaries):
    """The table pass's group pieces (``_GroupStage.join``) with the rows of the members
    min_events left out (``short``, ranked), each in the table partition whose entity
    range holds it (by ``firsts``, each partition's first entity; one before the first
    goes to the first): (the pieces, ``firsts``)."""
    keys, starts = short.index, list(firsts)
    if isinstance(keys, pd.MultiIndex):  # sessions: by their entity (each is whole in one)
        keys, starts = keys.get_level_values(0), [f[0] for f in starts]
    at = np.maximum(np.searchsorted(pd.Index(starts), keys, side="right") - 1, 0)
    pieces = list(members)
    for p in distinct(at):
        rows = short.iloc[np.flatnonzero(at == p)]
        piece = pieces[p]
        if piece is None:
            piece = (
                np.empty(0, dtype=np.int64),
                np.empty(0, np.int64),
                np.empty(0),
                np.empty(0, object),
                np.empty(0),
            )
        pieces[p] = (*piece[:5], rows)
    return pieces, firsts


# ---------------------------------------------------------------------- the one call


def _shuffled_sequences(
    ddf,
    entity,
    columns,
    options,
    dropna,
    npartitions,
    max_partition_events,
    pipeline,
    progress,
    ends=False,
    group=None,
    columns_checked=False,
    facts=False,
):
    """An event log read, checked, shuffled by entity and built into Sequences per
    partition: (states, summaries of the non-empty ones, facts), None for a log without
    events (``_empty_day``). Run on ``ddf``, and first on
    ``normal`` with normal-only fitting; ``ends``: the states keep every entity's ends
    (``_entity_ends``); ``group``: a ``_GroupStage``, planned once the partitions are
    read (the states then keep its input); ``columns_checked``: the log one machine asks
    about its columns (``ddf``: ``_warn_about_columns``); ``facts``: the facts fit
    records and scoring compares (``_facts_tasks``: (part facts, missing counts)), in
    the summaries' call; else facts is None."""
    source = ddf[columns]  # only the columns the call reads are read and shuffled
    kinds = {c: _kind(str(source.dtypes[c])) for c in columns}
    with step(f"reading and checking {ddf.npartitions} partitions", enabled=progress):
        # Each input partition is read once, whole, checked and sampled, and kept in
        # the workers' memory for the shuffle.
        tasks = [
            _delayed(_read)(
                part,
                i,
                columns,
                kinds,
                entity,
                dropna,
                group and group.reads,
                options["value"],
                options["time"],
            )
            for i, part in enumerate(source.to_delayed())
        ]
        try:
            inputs = _persist(tasks)
            reports = _compute([_delayed(_report)(r) for r in inputs])
        except Exception as exc:
            if isinstance(exc, ValueError) and str(exc).startswith(_NAMED):
                raise
            _name_the_unreadable([_delayed(_report)(t) for t in tasks])
            raise
        _check_dtypes(reports, columns)
        _refuse_unread_values(reports, options["value"])
        if options["time"] is not None:  # before a partition refuses its own part
            refuse_two_units_of_parts(options["time"], [r.get("time_units") for r in reports])
        if not any(r["sample"].size for r in reports):
            if any(r["rows"] for r in reports):  # rows, none with an id: as one machine
                missing = {entity: sum(r["missing"] for r in reports)}
                missing.update(
                    {c: sum(r["also"].get(c, 0) for r in reports) for c in columns if c != entity}
                )
                n_rows = sum(r["rows"] for r in reports)
                text = nothing_left(missing, n_rows, options["time"])
                raise MissingValuesError(text, missing, n_rows, bool(dropna))
            return None  # no events: every partition empty
        divisions = _divisions(reports, npartitions or _default_partitions(reports), entity)
        whole_ids = _whole_ids_after_dropna(reports, dropna)
        group_input = None if group is None else group.plan(reports, inputs)
    with step(
        f"shuffling {sum(r['rows'] for r in reports):,} events by {entity}", enabled=progress
    ):
        pieces = [_delayed(_split)(r, divisions, entity) for r in inputs]
        try:
            states = _persist(
                [
                    _delayed(_build)(
                        [p[j] for p in pieces],
                        j,
                        entity,
                        options,
                        max_partition_events,
                        pipeline,
                        whole_ids,
                        ends,
                        group_input,
                        columns_checked,
                    )
                    for j in range(len(divisions) - 1)
                ],
                progress="  sequences" if progress else None,
            )
            del inputs, pieces  # each input partition is released once cut up
            got = _compute(
                [_delayed(_summary)(s) for s in states]
                + [_delayed(_log_facts)(s) for s in states]
                + (_facts_tasks(states) if facts else [])
            )
            summaries = [s for s in got[: len(states)] if s is not None]
            read_facts = None
            if facts:
                read_facts = got[2 * len(states) : 3 * len(states)], got[3 * len(states) :]
                got = got[: 2 * len(states)]
        except Exception as exc:
            if isinstance(exc, ValueError) and str(exc).startswith(_NAMED):
                raise  # a partition named already (_read, _build)
            _explain_input_failure(ddf, columns, entity, dropna)
            raise
    _refuse_missing(got[len(states) :], reports, entity, options)
    _warn_about_log(got[len(states) :], reports, entity, options)
    _warn_alike_as_text(states, got[len(states) :], options)
    _warn_spelt_apart(got[len(states) :], options, pipeline)
    if columns_checked:
        _warn_about_columns(
            got[: len(states)],
            got[len(states) :],
            entity,
            pipeline.min_events,
            options["value"],
            options.get("item"),
        )
        _warn_repeated(states, got[len(states) :])
        states = _warn_outside_the_window(states, got[len(states) :])
    return states, summaries, read_facts


def _first_seen(a, b):
    """Two partitions' item -> category maps in the input's order: each item's category
    from the first that has one."""
    return a.combine_first(b)


def _item_categories(ddf, item: str, category: str):
    """item -> category, the first category seen per item in the input's order, as
    ``item_category_map`` gives it on the whole log: per partition, then combined up a
    tree in the partitions' order. Comes to the client (it goes to every worker with
    the fitted pipeline): about 16 bytes an item."""
    from ._reduce import tree_reduce

    if category not in ddf.columns:
        raise ValueError(f"category column {category!r} is not in the DataFrame")
    parts = [
        _delayed(item_category_map)(part, item, category)
        for part in ddf[[item, category]].to_delayed()
    ]
    found = tree_reduce(parts, _first_seen)
    dtype = ddf[category].dtype
    if isinstance(dtype, pd.CategoricalDtype) and dtype.categories is not None:
        known = not (len(dtype.categories) == 1 and dtype.categories[0] == "__UNKNOWN_CATEGORIES__")
        if known:  # the whole column's categories, as the single machine's map has
            found = found.astype(dtype)
    return found


def _written(table, to_parquet: str | None):
    """The ranked table, or with ``to_parquet`` the table written there and read back."""
    if to_parquet is None:
        return table
    table.to_parquet(to_parquet)
    with warnings.catch_warnings():
        # dask 2026.8 reading an index under pandas 3.1 calls a deprecated
        # reset_index(inplace=True); not ours to raise.
        warnings.filterwarnings("ignore", message="An error occurred while calling")
        warnings.filterwarnings("ignore", message="The inplace keyword")
        return dd.read_parquet(to_parquet)


def _empty_day(ddf, entity, columns, options, groups: bool, to_parquet):
    """The ranked table of a log without events, as one machine gives it
    (``empty_table``: the columns and dtypes of a day with events, the group column
    where the group stage would run), indexed by the entity ids as
    ``Sequences.from_events`` reads ``ddf``'s columns (sessions as the columns
    ``user_id, session``, as a day with events has them); one partition, written to
    ``to_parquet`` as a day with events is."""
    seqs = Sequences.from_events(ddf._meta[columns], entity=entity, **options)
    table = empty_table(seqs.ids, groups)
    if isinstance(table.index, pd.MultiIndex):
        table = table.reset_index()
    # (from_delayed, as a day with events: from_pandas would convert the text columns)
    table = dd.from_delayed([_delayed(_head)(table)], meta=table, verify_meta=False)
    return _written(table, to_parquet)


def _normal_frame(normal, ddf, columns):
    """``normal=`` as a dask DataFrame with the call's columns (a pandas one cut into
    as many partitions as ``ddf`` has)."""
    if isinstance(normal, pd.DataFrame):
        normal = dd.from_pandas(normal, npartitions=ddf.npartitions, sort=False)
    if not isinstance(normal, dd.DataFrame):
        raise TypeError(
            "normal must be a dask or pandas DataFrame of normal behaviour with the same "
            f"columns as ddf, got {type(normal).__name__}"
        )
    missing = [c for c in columns if c not in normal.columns]
    if missing:
        raise ValueError(f"normal lacks the columns {missing} that ddf has; give both the same")
    return normal


def detect_anomalies(
    ddf,
    entity: str,
    event: str | None = None,
    time: str | None = None,
    item: str | None = None,
    value: str | None = None,
    session_gap=None,
    contamination="auto",
    method: str = "auto",
    category: str | None = None,
    n_clusters: int = 8,
    random_state=0,
    progress: bool = False,
    return_pipeline: bool = False,
    normal=None,
    false_alarm_rate: float | None = None,
    min_events: int = 1,
    entity_features: pd.DataFrame | None = None,
    time_unit: str = "s",
    time_format: str | None = None,
    dayfirst: bool | None = None,
    dropna: bool = False,
    npartitions: int | None = None,
    max_partition_events: int | None = None,
    to_parquet: str | None = None,
    funnel: dict | None = None,
    groups="auto",
    crowds=False,
    context=None,
    normal_entity_features=None,
):
    """:func:`oddseq.detect_anomalies` on a dask DataFrame, on the cluster Dask uses.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The event log, e.g. ``dd.read_parquet("events/*.parquet")`` or
        ``dd.read_csv("events-*.csv")``.
    entity, event, time, item, value, session_gap, contamination, n_clusters,
    random_state, false_alarm_rate, min_events, time_unit, time_format, dayfirst, dropna,
    funnel
        As :func:`oddseq.detect_anomalies`.
    crowds : False, default=False
        The crowds on each entity's items (one machine's ``crowd_peak``, counted across
        entities) are not counted here: False, the only value, gives one machine's table
        with ``crowds=False``; True or "auto" is refused naming it.
    context : str or list of str, optional
        As :func:`oddseq.detect_anomalies`: the side columns the events came from (device,
        IP, country, card), read per entity as one machine reads them
        (:func:`oddseq.encode.context_features`: the same table), from the (entity,
        value) pairs of the partitions, added up across them (``oddseq.dask._context``;
        the client holds one row per pair, about an entity's devices or IPs each), and
        joined to ``entity_features``; with ``normal=`` each log's own. Refused with
        ``session_gap`` as on one machine.
    normal_entity_features : DataFrame, optional
        As :func:`oddseq.detect_anomalies`: the side table of the ``normal`` log, where
        ``entity_features`` is the scored log's.
    groups : {"auto", True, False} or GroupDetector, default="auto"
        As :func:`oddseq.detect_anomalies` (on the items: no ``group_by``): with ``item``,
        "auto" looks for entities that act together up to 20 million events (above, a
        warning and the per-entity model alone), True always, False never, a
        ``GroupDetector`` always with its settings (``GroupDetector(patience=10)``); the table
        and the fitted ``groups_`` are the single machine's. The search is one
        machine's (the whole log's graph): each event comes to the client as its item's
        code and its time (12 bytes, with each entity's id and length), and the client
        needs about ``GROUP_BYTES_PER_EVENT`` (64) bytes an event at the peak; where
        that is more than it has free, refused (ValueError) naming ``groups=False``.
    method : {"auto", "kmeans", "pca", "robust_z", "iforest", "ecod", "knn", "lof"}, default="auto"
        The methods fitted over partitions (``DASK_METHODS``). "knn" and "lof" (and
        "auto" with ``normal``, a one-neighbour kNN) find every row's neighbours exactly
        by partition-pair blocks (``oddseq.dask._neighbors``: P^2 tasks for P
        partitions, each row searched in P kd-trees), up to ``NEIGHBOUR_MAX_ROWS``
        (2 M) reference entities; above, refused. "iforest" grows its trees from the
        rows they draw, fetched (25,600 rows by default); "ecod" counts its tail
        probabilities by partition-pair blocks (``oddseq.dask._ecod``).
    category : str, optional
        As :func:`oddseq.detect_anomalies`: a column of item categories (with ``item``),
        for the category features. Each item's category is the first seen in the
        input's order (per partition, combined in the partitions' order); the map comes
        to the client and goes to every worker with the fitted pipeline (about 16
        bytes an item). Items without a known category leave the category features
        missing (the typical values learned in fit, in proportion), as on one machine.
    progress : bool, default=False
        A line per stage on stderr and, on a distributed cluster, a bar of the
        partitions done in each per-partition stage (sequences, features, tables); the
        Dask dashboard shows every task.
    return_pipeline : bool, default=False
        Also return the fitted :class:`oddseq.AnomalyPipeline` (a single-machine object:
        ``pipeline.score(sequences)`` ranks new data with the same model; a neighbour
        method's pipeline holds its reference rows, fetched to the client).
    normal : dask or pandas DataFrame, optional
        As :func:`oddseq.detect_anomalies`: a log of normal behaviour only, with the
        same columns; the model is fitted on its partitions and ranks ``ddf``, and the
        cut is the (1 - ``false_alarm_rate``) quantile of its out-of-fold scores (the
        same folds, each fitted over the other folds' rows in the partitions).
    entity_features : DataFrame, optional
        As :func:`oddseq.detect_anomalies`: per-entity side attributes indexed by the
        entity id (a pandas DataFrame: every worker receives it), joined to each
        partition's entities after the shuffle; missing values take the column's median
        over the fitted entities (taken over the partitions), said in one DataWarning
        (entities without a row, NaN values, the medians). A table with rows for under
        half of the fitted entities, with infinite values or a column without any value
        is refused (ValueError), under half of the scored ones (``normal=``) warned
        about, as on one machine.
    npartitions : int, optional
        Partitions after the shuffle by entity; default: as many as ``ddf`` has, or more
        so that each holds at most ``PARTITION_EVENTS`` (4 M) events (a worker's peak
        memory grows with its partitions' size).
    max_partition_events : int, optional
        Refuse (naming the partition and its largest entity) a shuffled partition with
        more events than this, rather than let one worker run out of memory on a
        skewed log; None: no limit.
    to_parquet : str, optional
        Write the table to this Parquet directory (one file per partition) and return it
        read back lazily.

    Returns
    -------
    table : dask DataFrame
        One row per entity (or session), indexed by the entity id in the order of the
        ids (sessions: ``entity`` and ``session`` columns), with the single-machine
        table's columns: ``score``, ``rank`` (1 = oddest; ``table.nsmallest(20,
        "rank")`` or ``table.compute().sort_values("rank")`` gives the ranked view),
        ``is_anomaly``, ``p_normal``, ``cluster``, ``group`` (with the group stage:
        the member's row of ``pipeline.groups_.groups_``, -1 for none), ``reason``.
        Held in the cluster's memory (persisted) unless written with ``to_parquet``.
        A log without events (every partition empty) gives that table with no rows,
        the same columns and dtypes, and a DataWarning, as on one machine; an empty
        ``normal`` is refused, and so are rows of which none has an entity id.
    pipeline : AnomalyPipeline, only with ``return_pipeline=True``.
        None where there was nothing to fit on (a log without events, no ``normal``).

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from oddseq.datasets import make_ecommerce
    >>> log = make_ecommerce(n_users=300, random_state=0).events
    >>> ddf = dd.from_pandas(log, npartitions=3)
    >>> table = detect_anomalies(ddf, entity="user_id", event="behavior", time="timestamp")
    >>> ranked = table.compute().sort_values("rank")
    >>> list(ranked.columns), int(ranked["rank"].iloc[0])
    (['score', 'rank', 'is_anomaly', 'p_normal', 'cluster', 'reason'], 1)
    """
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(
            f"oddseq.dask.detect_anomalies takes a dask DataFrame, got {type(ddf).__name__}; "
            "for a pandas DataFrame use oddseq.detect_anomalies, or dd.from_pandas(df, ...)"
        )
    check_switches(return_pipeline=return_pipeline, progress=progress, dropna=dropna)
    if method not in DASK_METHODS:
        raise ValueError(
            f"method={method!r} is not fitted over partitions; oddseq.dask fits "
            f"{', '.join(DASK_METHODS)}. For the others, run oddseq.detect_anomalies on a "
            "sample of entities (ddf[ddf[entity] ... ].compute()) and score the rest with "
            "pipeline.score()"
        )
    for name, arg in (("npartitions", npartitions), ("max_partition_events", max_partition_events)):
        if arg is not None and (
            isinstance(arg, bool) or not isinstance(arg, (int, np.integer)) or arg < 1
        ):
            raise ValueError(f"{name} must be a positive integer or None, got {arg!r}")
    _check_groups(groups, item)
    check_role_names(
        {"entity": entity, "event": event, "time": time, "item": item, "value": value}
        | {"category": category},
        "ddf",
    )
    # (one column may serve two roles, item= and value=: read once)
    columns = list(dict.fromkeys(c for c in (entity, event, time, item, value) if c is not None))
    missing = [c for c in columns if c not in ddf.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the DataFrame; it has {list(ddf.columns)}")
    roles = {"entity": entity, "event": event, "time": time, "item": item, "value": value}
    for role, column in roles.items():
        if column is not None:  # (string_view: refused as one machine refuses it)
            check_arrow_type(ddf.dtypes[column], role, column, "ddf")
    what = ""
    if normal is not None:
        normal, what = _normal_frame(normal, ddf, columns), "normal "
        # (side labels compared across the two logs: read alike, as one machine reads
        # them)
        ddf, normal = labels_read_alike(ddf, normal, column_names(context), "ddf")
    item_categories = None
    if category is not None:
        if item is None:
            raise ValueError("category needs the item column too (item=...)")
        item_categories = _item_categories(ddf, item, category)
        if normal is not None and category in normal.columns:  # as the single machine
            item_categories = _item_categories(normal, item, category).combine_first(
                item_categories
            )
    # (the fitted log's side table, the scored log's: with context=, each joined to its
    # log's side columns' features, counted over its partitions)
    fit_side, score_side = side_tables(
        ddf,
        normal,
        entity_features,
        normal_entity_features,
        context,
        session_gap,
        roles,
        dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst),
        features=partial(context_features, kept=(kept := {})),
    )
    if crowds is not False:
        raise ValueError(
            f"crowds={crowds!r}: oddseq.dask does not count the crowds on each entity's "
            "items (their counts span partitions); pass crowds=False, or count them on one "
            "machine with oddseq.detect_anomalies"
        )
    pipeline = AnomalyPipeline(
        method=method,
        contamination=contamination,
        n_clusters=n_clusters,
        random_state=random_state,
        item_categories=item_categories,
        false_alarm_rate=false_alarm_rate,
        min_events=min_events,
        entity_features=fit_side,
        funnel=funnel,
    )
    pipeline.crowds_ = False  # (fitted below, without crowds: one machine's crowds=False)
    pipeline._check_params()  # contamination too: the pipeline's table declares it
    refuse_share_with_normal(contamination, normal is not None, "a normal= log")
    if fit_side is not None:
        pipeline._check_side_features(entity)
    options = dict(
        event=event,
        time=time,
        item=item,
        value=value,
        session_gap=session_gap,
        time_unit=time_unit,
        time_format=time_format,
        dayfirst=dayfirst,
        dropna=dropna,
    )
    threads = resolve_threads(None)
    stage = None
    if item is not None and groups is not False:
        # One machine searches the Sequences' entities, or with sessions the log's, on
        # the times as the sequences read them (_timed_for_groups: numbers, dates and
        # text alike, after dropna's rows are dropped): here the partitions' Sequences'.
        complete = None
        if session_gap is not None and dropna:
            complete = [c for c in (entity, event, time) if c is not None]
        stage = _GroupStage(groups, item, complete, progress)

    def shuffled(log, fitted, group=None, facts=False):
        """The log shuffled by entity into Sequences per partition, keeping the
        entities ``fitted`` keeps (min_events); ``group``: the group stage's input too;
        ``facts``: the facts fit records and scoring compares, in the same call."""
        return _shuffled_sequences(
            log,
            entity,
            columns,
            options,
            dropna,
            npartitions,
            max_partition_events,
            fitted,
            progress,
            ends=normal is not None,
            group=group,
            columns_checked=log is ddf,
            facts=facts,
        )

    def empty_day(fitted):
        """A log without events (``ddf`` with no rows): as on one machine."""
        table = _empty_day(ddf, entity, columns, options, stage is not None, to_parquet)
        return (table, fitted) if return_pipeline else table

    read = shuffled(
        ddf if normal is None else normal, pipeline, stage if normal is None else None, facts=True
    )
    if read is None and normal is not None:
        raise ValueError(no_normal_rows("ddf"))
    if read is None:
        _warn_no_events("ddf has no rows; nothing was fitted (the pipeline returned is None)")
        return empty_day(None)
    states, summaries, (facts, missing) = read
    # normal's entities' ends, kept in the workers until the log scored is shuffled
    normal_ends = None
    if normal is not None:
        normal_ends = _persist([_delayed(_ends_of)(s) for s in states])
    n = sum(s["n"] for s in summaries)
    if n < 2:
        raise ValueError(too_few_to_fit(n, min_events, what=what))
    if method in _neighbors.NEIGHBOUR_METHODS or (method == "auto" and normal is not None):
        _neighbors.check_reference_size(n, method)
    side_counts = None
    if fit_side is not None:  # a side table keyed by something else: refused
        side_counts = _check_entities(states, pipeline, entity, fitting=True)
    finder = None  # (the group stage's input is gathered before the encoding drops it)
    if normal is None and stage is not None:
        finder = stage.fit(states)

    with step(f"encoding {n:,} {what}sequences", enabled=progress):
        pipeline.normal_ = normal is not None
        vocabulary = _global_vocabulary(summaries)
        pipeline.encoder_ = pipeline._new_encoder().fit(vocabulary)
        # What pipeline.score() compares new data with, as one machine records it: the
        # event types, and from the partitions (samples of the large ones) the role
        # columns' names, the time span and the entities' durations.
        pipeline._fitted_data = _fitted_data.describe(vocabulary, times=False)
        # (the facts read with the shuffle's summaries)
        roles = next((f["columns"] for f in facts if f is not None), None)
        if roles is not None:
            pipeline._fitted_data["columns"] = roles
        pipeline._fitted_data["timing"] = _fitted_data.timing_of_parts(facts)
        # the events without a value or an item (a later day's empty column is said)
        pipeline._fitted_data["missing"] = _missing_shares(missing)
        n_side = pipeline._set_feature_names()
        names = list(pipeline.feature_names_)
        if n_side:
            pipeline._side_median = _side_medians(states, pipeline, n_side)
            # entities without a row, NaN values: said with the medians they take
            pipeline._warn_side_gaps(side_counts, entity, fitting=True)
        states, rows_per_part, firsts = _encoded(
            states, summaries, pipeline, progress, fitting=True
        )
        raw_dtype = np.float64 if n_side else np.float32  # side attributes are float64
        # the raw extent, the reasons' typical span by length (as AnomalyPipeline.fit
        # takes it), the shrinkage's medians and the reasons' medians of the entities'
        # own values: two calls
        # (and, fitted on the log ranked, the group members' rows of the table: the
        # states' rows and order stay the table's)
        members_at = []
        if finder is not None and normal is None:
            members_at = [_delayed(_member_rows)(s, stage.held) for s in states]
        shrinker, members_at = _fit_medians(
            states, pipeline, names, n_side, n, raw_dtype, also=members_at
        )

    with step("scaling", enabled=progress):
        pipeline.evidence_ = shrinker
        linear = pipeline._side_linear(n_side)  # (from the side table, as on one machine)
        pipeline.log_scaler_ = LogScaler(signed=True, linear=linear).fit(
            np.zeros((1, len(names)), np.float32)
        )
        scalers = _scalers(pipeline, "log")
        states = _persist([_delayed(_scale)(s, scalers, "log") for s in states])
        pipeline.z_scaler_ = StandardScaler()._set_moments(*_moments(states, "log").mean_std())
        if pipeline.normal_:  # as AnomalyPipeline's normal-only fit scales
            pipeline.z_scaler_.scale_ = _normal_only_scale(pipeline.z_scaler_.var_, n)
        scalers = _scalers(pipeline, "X")
        states = _persist([_delayed(_scale)(s, scalers, "X") for s in states])
        # The distinct rows (K-means restarts where they are tied), as
        # AnomalyPipeline.fit counts them; they are kept for the K-means of tied rows
        # (one hashing of each partition for both), counted in the moments' first call.
        distinct = pipeline._counts_distinct_rows(n)
        weighted = [_delayed(_partition_weighted_rows)(s) for s in states] if distinct else []
        # robust z's medians and quartiles of X: their first round with the sums
        planned, x_statistics, first = pipeline._detector(n), None, []
        if _has_robust_z(planned):
            x_statistics = _x_statistics(n, len(names))
            first = [reduction_tree(x_statistics.first_partials(states), merge_round)]
        x_moments = _moments(
            states, "X", scatter=_needs_scatter(planned), also=weighted, also_sums=first
        )

    pipeline._kmeans_distinct = united = None
    if distinct:
        united = united_distinct_rows(list(x_moments.also))
        pipeline._kmeans_distinct = united[0].shape[0]
    detector = pipeline._detector(n)
    rows = _Rows(states, rows_per_part)
    rows.united_distinct = united
    if x_statistics is not None:
        rows.x_statistics = (x_statistics, x_moments.also_sums[0])
    rows.like = (pipeline.evidence_, raw_dtype)
    with step(f"fitting {type(detector).__name__} over {len(states)} partitions", enabled=progress):
        with warnings.catch_warnings():
            if pipeline.normal_:  # the cut is the out-of-fold one (_own_cut_only)
                warnings.filterwarnings("ignore", message="every score is the same")
            detector, found = _fit_detector(detector, rows, x_moments, threads)
        pipeline.detector_ = detector
        warn_neighbour_twins(pipeline)
        _typical_like(pipeline, rows)  # "entities like it have" (reasons)
        if found is not None:  # a neighbour method: the spreads its reasons divide by
            detector._feature_scale = _robust_statistics(
                rows, x_moments.mean_std()[1], quartiles=False
            )[1]
            if return_pipeline:
                _neighbors.with_index(detector, rows, detector._feature_scale)
                pipeline._like_rows = _neighbors.like_rows(pipeline, rows)
        if return_pipeline and _ecod.is_ecod(detector):
            _ecod.with_sorted_columns(detector, rows)

    if normal is None:
        with step("threshold", enabled=progress):
            scores = detector.decision_scores_
            pipeline._set_threshold(None, scores)
            data = rows
            if found is not None:
                data.states = _neighbors.with_typical(
                    rows.states, found, rows, detector, True, pipeline.evidence_
                )
    else:
        with step(
            f"out-of-fold scores of the normal sequences ({pipeline.n_folds} folds)",
            enabled=progress,
        ):
            out_of_fold = _out_of_fold(pipeline, rows, threads)
            # (the rows' lengths: the not-normal check judges a group among its peers in
            # evidence, as on one machine)
            lengths = None
            if pipeline.evidence_prior > 0:
                lengths = np.concatenate(_compute([_delayed(_lengths)(s) for s in rows.states]))
            # Normal-only fitting's not-normal check (a detector of features: the
            # nearest-normal distances of at most _CHECK_ROWS rows, computed here) and
            # support rule, AnomalyPipeline's own, on the normal rows' matrices fetched
            # whole (their features: 4-8 bytes a feature and normal entity, once; the
            # log scored stays in the partitions).
            matrices = _Input(*_matrices(rows))
            pipeline._set_threshold(
                matrices.X, detector.decision_scores_, out_of_fold=out_of_fold, lengths=lengths
            )
            pipeline._support_rule(matrices)
        fitted = _for_workers(pipeline)  # what encoding and scaling read: no training rows
        if score_side is not fit_side and score_side is not None:
            # the scored log's own side table (its context, or entity_features beside
            # normal_entity_features), in the fitted columns, as one machine's score()
            fitted._side_table_ = fitted._in_fitted_columns(_checked_side(score_side, entity))
        # (with the facts a log unlike the fitted one is told by: _warn_unlike)
        read = shuffled(ddf, fitted, stage, facts=bool(getattr(pipeline, "_fitted_data", None)))
        if read is None:  # a day without events, scored with the model fitted on normal
            _warn_no_events("ddf has no rows")
            pipeline.table_ = None
            return empty_day(pipeline)
        data_states, summaries, data_facts = read
        _warn_if_scoring_what_was_fitted(data_states, normal_ends, _rows_are(session_gap))
        del normal_ends
        if not summaries:
            raise ValueError(f"ddf has no sequences to score (with min_events={min_events})")
        # AnomalyPipeline.score's checks of a log unlike the fitted one (its columns,
        # event types, time span), from the partitions' facts as the fit takes them
        _warn_unlike(pipeline, summaries, data_facts)
        if stage is not None:
            finder = stage.fit(
                data_states,
                partial(
                    _normal_referee,
                    normal,
                    entity,
                    event,
                    time,
                    item,
                    dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst),
                    dropna,
                    groups,
                    progress,
                ),
            )
        n = sum(s["n"] for s in summaries)
        # Sent once (it is not changed from here): the checks, encoding and scaling
        # read this one copy.
        shared = _shared(fitted)
        # Scoring's warnings, in the single machine's order: most item events without
        # a known category, then a side table missing most scored entities.
        if summaries[0]["items"] and fitted._category_columns():
            _check_categories(data_states, fitted, shared)
        if fit_side is not None:
            counts = _check_entities(data_states, fitted, entity, fitting=False, shared=shared)
            fitted._warn_side_gaps(counts, entity, fitting=False)
        with step(f"encoding {n:,} sequences", enabled=progress):
            data_states, rows_per_part, firsts = _encoded(
                data_states, summaries, fitted, progress, shared=shared
            )
            data_states = _persist([_delayed(_scale)(s, shared, "log") for s in data_states])
            data_states = _persist([_delayed(_scale)(s, shared, "X") for s in data_states])
        with step(f"scoring them with {type(detector).__name__}", enabled=progress):
            parts, found = _score_rows(detector, rows, data_states, threads, explain=True)
            scores = np.concatenate(parts)
            # and its share flagged far past the cut's promise (before the group stage,
            # as AnomalyPipeline.score)
            _warn_share_alarm(pipeline, data_states, parts, rows_per_part, shared)
            if _ecod.is_ecod(detector):
                data_states = found  # with their rows' tail scores
            elif found is not None:
                data_states = _neighbors.with_typical(
                    data_states, found, rows, detector, False, pipeline.evidence_
                )
        data = _Rows(data_states, rows_per_part)

    with step("reasons", enabled=progress):
        ranks = np.empty(n, dtype=np.int64)
        order = pd.Series(scores).sort_values(ascending=False, kind="stable").index.to_numpy()
        starts = data.starts
        members = [None] * len(data.states)
        short = None
        if finder is not None:  # one machine's order: by the joined scores, then as above
            joined, members = stage.join(
                finder, pipeline, data.states, starts, scores, list(members_at) or None
            )
            # the members min_events left out, after the others (join_groups)
            short = stage.short_rows(finder, pipeline)
            if short is not None:
                m = len(short)
                joined = np.concatenate([joined, short["score"].to_numpy(dtype=np.float64)])
                order = np.concatenate([order, n + np.arange(m)])
                ranks = np.empty(n + m, dtype=np.int64)
            again = pd.Series(joined[order]).sort_values(ascending=False, kind="stable")
            order = order[again.index.to_numpy()]
            # (one machine's flags are the scores over the cut, the members' lifted)
            cut = pipeline.threshold_
            warn_groups_past_the_share(
                pipeline.contamination,
                len(scores),  # (the rows the score cut read; the listed members after)
                int(np.count_nonzero(scores > cut)),
                int(np.count_nonzero(joined > cut)),
                _rows_are(session_gap),
                check_said=groups_said(finder),
            )
        ranks[order] = np.arange(1, len(ranks) + 1)
        if short is not None:  # each to the table partition whose entities it lies among
            short.insert(1, "rank", ranks[n:])
            ranks = ranks[:n]
            members, firsts = _with_short(members, short, firsts, summaries)
        shared = _shared(_for_workers(pipeline))
        pieces = _send(
            [
                (scores[starts[p] : starts[p + 1]], ranks[starts[p] : starts[p + 1]], members[p])
                for p in range(len(data.states))
            ]
        )
        tables = _persist(
            [_delayed(_table)(s, shared, piece) for s, piece in zip(data.states, pieces)],
            progress="  tables" if progress else None,
        )
        named = [] if context is None else _context_named(tables, context)
        if named:  # the value behind each reason naming a sharing, as one machine says it
            facts = kept.get("facts", {})
            facts = _shared({c: facts[c] for c in named if c in facts})
            tables = _persist([_delayed(say_shared_values)(t, facts) for t in tables])
        typed = kept.get("facts", {}).get(TYPES_FACTS)
        if typed:  # the types behind each reason naming them, as one machine says them
            facts = _shared({TYPES_FACTS: typed})
            tables = _persist([_delayed(say_brief_types)(t, facts) for t in tables])
        if context is not None:  # (what a later log's side table is read from)
            reading = dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst)
            pipeline.context_ = context_record(pipeline, context, entity, time, reading, event)
        kept.clear()
        if min_events < _reasons._FEW_EVENTS:  # short entities filling the flags, said
            parts = [_delayed(_short_flags)(t, s) for t, s in zip(tables, data.states)]
            warn_short_flags(np.sum(_compute(parts), axis=0), _rows_are(session_gap))
        if normal is None:  # one routine act of a rare type filling the flags, said
            parts = _compute([_delayed(_one_off_flags)(t, s) for t, s in zip(tables, data.states)])
            types = pd.concat([p[1] for p in parts]) if parts else pd.Series(dtype=np.int64)
            types = types.groupby(level=0, sort=False).sum()
            warn_one_off_flags(sum(p[0] for p in parts), types, _rows_are(session_gap))
            # (flags of rare acts alone: a busy legitimate kind, said)
            lengths = np.concatenate(_compute([_delayed(_lengths)(s) for s in data.states]))
            median = float(np.median(lengths)) if lengths.size else 0.0
            parts = _compute(
                [_delayed(_rare_only_flags)(t, s, median) for t, s in zip(tables, data.states)]
            )
            types = pd.concat([p[2] for p in parts]) if parts else pd.Series(dtype=np.int64)
            types = types.groupby(level=0, sort=False).sum()
            n, k = sum(p[0] for p in parts), sum(p[1] for p in parts)
            warn_rare_only_flags(n, k, types, _rows_are(session_gap))
        if session_gap is not None and contamination == "auto":  # flags over the entities
            parts = [_delayed(_session_spread)(t, s) for t, s in zip(tables, data.states)]
            rate = pipeline.threshold_info_["false_alarm_rate"]
            rate = rate if false_alarm_rate is None else None  # (given: the analyst's)
            warn_session_spread(np.sum(_compute(parts), axis=0), rate, normal=normal is not None)
        meta = _compute([_delayed(_head)(tables[0])])[0]
        sessions = session_gap is not None
        out_divisions = None
        if not sessions:
            out_divisions = (*firsts, summaries[-1]["last"])
        if short is not None and not sessions:  # (a member before the first, after the last)
            keys = short.index
            out_divisions = (
                min(out_divisions[0], keys.min()),
                *out_divisions[1:-1],
                max(out_divisions[-1], keys.max()),
            )
        table = dd.from_delayed(tables, meta=meta, divisions=out_divisions, verify_meta=False)
        table = _written(table, to_parquet)
    pipeline.table_ = None
    if finder is not None:  # (after the table pass: the workers need only its members)
        pipeline.groups_ = finder
        pipeline._group_prints = stage.prints
    return (table, pipeline) if return_pipeline else table
