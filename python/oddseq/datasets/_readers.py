"""Readers for the event-log formats analysts already have.

Every reader streams CSV in chunks with compact dtypes (int32 ids where they fit,
categoricals for low-cardinality strings) and also reads Parquet (with ``pyarrow``).
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from ..exceptions import DataWarning
from ..sequences import Sequences
from ..utils._stacklevel import user_stacklevel
from ..utils._time import _warn_if_another_unit, guess_unit
from ._ecommerce import Bunch

__all__ = [
    "read_loghub",
    "read_rees46",
    "read_retailrocket",
    "read_sequences_file",
    "read_taobao",
]

_CHUNK_ROWS = 1_000_000


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _is_parquet(path) -> bool:
    return str(path).lower().endswith((".parquet", ".pq"))


def _check_path(path) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    return path


def _read_parquet(path, columns=None) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ImportError("reading Parquet needs pyarrow: pip install 'oddseq[parquet]'") from None
    return pd.read_parquet(path, columns=columns)


def _concat_chunks(chunks) -> pd.DataFrame:
    """Concatenate CSV chunks, merging per-chunk categoricals into one vocabulary."""
    chunks = list(chunks)
    if not chunks:
        raise ValueError("the file holds no rows")
    if len(chunks) == 1:
        return chunks[0].reset_index(drop=True)
    merged = {}
    for column in chunks[0].columns:
        parts = [c[column] for c in chunks]
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            merged[column] = pd.Series(union_categoricals(parts))
        else:
            merged[column] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(merged)


def _read_csv(path, *, nrows=None, chunksize=_CHUNK_ROWS, **kwargs) -> pd.DataFrame:
    reader = pd.read_csv(path, chunksize=chunksize, nrows=nrows, **kwargs)
    with reader:
        return _concat_chunks(reader)


def _require(df: pd.DataFrame, path, columns, what: str) -> None:
    """A ValueError naming the columns of ``what`` the file lacks, and those it has."""
    missing = sorted(set(columns) - set(df.columns))
    if missing:
        raise ValueError(
            f"{path!r} is not {what}: missing column(s) {missing}; it has "
            f"{[str(c) for c in df.columns][:12]} (the file needs its header line: "
            f"{','.join(columns)})"
        )


def _not_taobao(path, error) -> ValueError:
    """Why a file did not read as Taobao's UserBehavior: a header line, another number
    of fields, or the reader's own error."""
    fields = "user_id,item_id,category_id,behavior,timestamp"
    try:
        first = pd.read_csv(path, header=None, nrows=1, dtype=str).iloc[0].tolist()
    except (ValueError, pd.errors.ParserError, IndexError):
        first = None
    if first is not None and len(first) != 5:
        return ValueError(
            f"{path!r} has {len(first)} fields on its first line ({first[:8]}); a Taobao "
            f"UserBehavior file has 5: {fields} (no header line)"
        )
    if first is not None and not str(first[0]).strip().lstrip("-").isdigit():
        return ValueError(
            f"{path!r} starts with a header line ({','.join(map(str, first))}); Taobao's "
            f"UserBehavior.csv has no header ({fields}): delete that line, or read the "
            "file with pandas and pass it to Sequences.from_events"
        )
    return ValueError(f"{path!r} is not a Taobao UserBehavior file ({fields}): {error}")


def _narrow_ids(df: pd.DataFrame, columns) -> None:
    """int32 id columns where every id fits (half the memory of int64)."""
    for column in columns:
        if df[column].max() < np.iinfo(np.int32).max and df[column].min() >= 0:
            df[column] = df[column].astype(np.int32)


def read_taobao(path, *, nrows=None, time_zone="Asia/Shanghai") -> pd.DataFrame:
    """Alibaba Taobao UserBehavior (Tianchi dataset 649): CSV without header,
    ``user_id,item_id,category_id,behavior_type,timestamp``.

    Returns columns user_id, item_id, category_id (int32), behavior (categorical:
    pv/cart/fav/buy) and timestamp (tz-aware, in the log's local ``time_zone``, so
    hour-of-day features mean local hours). Use with
    ``Sequences.from_events(df, entity="user_id", event="behavior", time="timestamp",
    item="item_id")``.

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> path = os.path.join(tempfile.mkdtemp(), "UserBehavior.csv")
    >>> _ = Path(path).write_text("1,10,7,pv,1511544070\\n1,10,7,buy,1511544130\\n")
    >>> df = read_taobao(path)
    >>> df["behavior"].tolist(), str(df["timestamp"].iloc[0])
    (['pv', 'buy'], '2017-11-25 01:21:10+08:00')
    """
    path = _check_path(path)
    names = ["user_id", "item_id", "category_id", "behavior", "timestamp"]
    if _is_parquet(path):
        df = _read_parquet(path)
        df.columns = names[: len(df.columns)]
    else:
        try:
            df = _read_csv(
                path,
                header=None,
                names=names,
                nrows=nrows,
                dtype={
                    "user_id": np.int64,
                    "item_id": np.int64,
                    "category_id": np.int64,
                    "behavior": "category",
                    "timestamp": np.int64,
                },
            )
        except (ValueError, TypeError) as error:
            raise _not_taobao(path, error) from None
    _require(df, path, names, "a Taobao UserBehavior file")
    numeric = df["timestamp"].dtype.kind in "iuf" and len(df)
    largest = float(df["timestamp"].max()) if numeric else 0.0
    if guess_unit(largest) not in (None, "s"):
        raise ValueError(
            f"{path!r}: its timestamps look like {_UNIT_WORDS[guess_unit(largest)]} (largest "
            f"{largest:.0f}); Taobao's UserBehavior counts seconds: read the file with "
            "pandas and pass it to Sequences.from_events with time_unit set"
        )
    _narrow_ids(df, ("user_id", "item_id", "category_id"))
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="s", utc=True).dt.tz_convert(time_zone)
    if not isinstance(df["behavior"].dtype, pd.CategoricalDtype):
        df["behavior"] = df["behavior"].astype("category")
    return df


def read_retailrocket(path, *, nrows=None) -> pd.DataFrame:
    """RetailRocket ``events.csv``: timestamp (ms), visitorid, event, itemid,
    transactionid. Returns timestamp as UTC datetimes, event categorical
    (view/addtocart/transaction), ids as compact ints (transactionid may be missing).

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> path = os.path.join(tempfile.mkdtemp(), "events.csv")
    >>> _ = Path(path).write_text("timestamp,visitorid,event,itemid,transactionid\\n"
    ...                           "1433221332117,257597,view,355908,\\n"
    ...                           "1433224214164,257597,transaction,355908,4000\\n")
    >>> read_retailrocket(path)["event"].tolist()
    ['view', 'transaction']
    """
    path = _check_path(path)
    if _is_parquet(path):
        df = _read_parquet(path)
    else:
        df = _read_csv(
            path,
            nrows=nrows,
            dtype={
                "timestamp": np.int64,
                "visitorid": np.int64,
                "event": "category",
                "itemid": np.int64,
                "transactionid": "Int64",
            },
        )
    _require(
        df,
        path,
        ["timestamp", "visitorid", "event", "itemid", "transactionid"],
        "a RetailRocket events file",
    )
    if len(df):
        _warn_if_another_unit(
            "timestamp",
            "ms",
            float(df["timestamp"].min()),
            float(df["timestamp"].max()),
            fix="RetailRocket's events.csv counts milliseconds: read this file with "
            "pandas and pass it to Sequences.from_events with time_unit set",
        )
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="ms", utc=True)
    _narrow_ids(df, ("visitorid", "itemid"))
    return df


def read_rees46(path, *, nrows=None) -> pd.DataFrame:
    """REES46 multi-category store events (``2019-Oct.csv`` and the like):
    event_time, event_type, product_id, category_id, category_code, brand, price,
    user_id, user_session. event_time becomes UTC datetimes; strings become
    categoricals.

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> path = os.path.join(tempfile.mkdtemp(), "2019-Oct.csv")
    >>> _ = Path(path).write_text(
    ...     "event_time,event_type,product_id,category_id,category_code,brand,price,"
    ...     "user_id,user_session\\n"
    ...     "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,"
    ...     "541312140,72d76fde-8bb3-4e00-8c23-a032dfed738c\\n")
    >>> df = read_rees46(path)
    >>> df["event_type"].tolist(), float(df["price"].iloc[0])
    (['view'], 35.79)
    """
    path = _check_path(path)
    if _is_parquet(path):
        df = _read_parquet(path)
    else:
        df = _read_csv(
            path,
            nrows=nrows,
            dtype={
                "event_type": "category",
                "product_id": np.int64,
                "category_id": np.int64,
                "category_code": "category",
                "brand": "category",
                "price": np.float64,
                "user_id": np.int64,
                "user_session": "category",
            },
        )
    _require(
        df,
        path,
        ["event_time", "event_type", "product_id", "user_id"],
        "a REES46 events file",
    )
    times = df["event_time"]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(
            times.astype(str).str.replace(" UTC", "", regex=False),
            format="%Y-%m-%d %H:%M:%S",
            utc=True,
        )
    df["event_time"] = times
    return df


# The time forms of loghub's structured CSVs, tried in order on the first line; the first
# that reads it must read every line. (columns, strptime format or "epoch", systems).
_LOGHUB_TIMES = [
    (("Date", "Time"), "%y%m%d %H%M%S", "HDFS"),
    (("Date", "Time"), "%Y-%m-%d %H:%M:%S,%f", "Hadoop, Zookeeper"),
    (("Date", "Time"), "%Y-%m-%d %H:%M:%S.%f", "OpenStack"),
    (("Date", "Time"), "%Y-%m-%d %H:%M:%S", "Windows"),
    (("Date", "Time"), "%y/%m/%d %H:%M:%S", "Spark"),
    (("Time",), "%a %b %d %H:%M:%S %Y", "Apache"),
    (("Time",), "%Y-%m-%d-%H.%M.%S.%f", "BGL"),
    (("Time",), "epoch", "HPC"),
    (("Timestamp",), "epoch", "BGL, Thunderbird"),
]
_MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}


def _loghub_stamps(df: pd.DataFrame, columns, form) -> pd.Series:
    if form == "%y%m%d %H%M%S":  # HDFS: 081109 203615, leading zeros lost in some copies
        return df["Date"].astype(str).str.zfill(6) + " " + df["Time"].astype(str).str.zfill(6)
    stamps = df[columns[0]].astype(str)
    for column in columns[1:]:
        stamps = stamps + " " + df[column].astype(str)
    return stamps


def _loghub_parse(stamps: pd.Series, form) -> pd.Series:
    if form == "epoch":  # whole seconds since 1970 (years 1973..2286)
        digits = stamps.where(stamps.str.fullmatch(r"\d{9,10}"))
        return pd.to_datetime(pd.to_numeric(digits), unit="s", errors="coerce")
    return pd.to_datetime(stamps, format=form, errors="coerce")


def _loghub_times(df: pd.DataFrame, path):
    """Each line's time from the first form of ``_LOGHUB_TIMES`` that reads the first line,
    or None (with a warning where times are there but cannot all be read)."""
    if len(df) == 0:
        return None
    for columns, form, systems in _LOGHUB_TIMES:
        if not set(columns) <= set(df.columns):
            continue
        stamps = _loghub_stamps(df, columns, form)
        if pd.isna(_loghub_parse(stamps.iloc[:1], form).iloc[0]):
            continue
        parsed = _loghub_parse(stamps, form)
        bad = parsed.isna().to_numpy()
        if bad.any():
            first = stamps.to_numpy()[bad][0]
            warnings.warn(
                f"{path!r}: the time ({' + '.join(columns)}) of {_plural(int(bad.sum()), 'line')}"
                f" of {len(df):,} does not read as {form} ({systems}'s form; first {first!r}), "
                "so every sequence is left untimed, in line order; fix or drop those lines "
                "to keep the times",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
            return None
        return parsed.to_numpy()
    # A month name with a day and a clock time, no year: Linux (Month, Date, Time),
    # OpenSSH (Date, Day, Time), Mac.
    for month, day in (("Month", "Date"), ("Date", "Day")):
        if {month, day, "Time"} <= set(df.columns) and (
            str(df[month].iloc[0]).strip().lower()[:3] in _MONTHS
        ):
            first = f"{df[month].iloc[0]} {df[day].iloc[0]} {df['Time'].iloc[0]}"
            warnings.warn(
                f"{path!r}: the dates in {month}, {day}, Time have no year (first {first!r}); a "
                "year cannot be made up, so the sequences are untimed, in line order. To time "
                "them, add the year yourself: read the file with pandas (dtype=str), build "
                "each line's time with pd.to_datetime('2005 ' + "
                f"{month} + ' ' + {day} + ' ' + Time, format='%Y %b %d %H:%M:%S') (one "
                "year more after a December -> January "
                "wrap), give it to bunch.events by its line (the file's LineId), and call "
                "Sequences.from_events(events, entity='entity', event='event', time='time')",
                DataWarning,
                stacklevel=user_stacklevel(),
            )
            return None
    present = [c for c in ("Date", "Time", "Timestamp") if c in df.columns]
    if present:
        first = " ".join(str(df[c].iloc[0]) for c in present)
        warnings.warn(
            f"{path!r}: the times in {', '.join(present)} (first {first!r}) are in no form "
            "read_loghub reads (those of HDFS, Hadoop, Zookeeper, OpenStack, Windows, Spark, "
            "Apache, BGL, HPC, Thunderbird), so the sequences are untimed, in line order; to "
            "time them, parse them with pandas, give them to bunch.events by its line (the "
            "file's LineId) and call Sequences.from_events(events, entity='entity', "
            "event='event', time='time')",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    return None


def read_loghub(path, labels=None, *, entity_pattern=r"(blk_-?\d+)", nrows=None) -> Bunch:
    """A Loghub structured log (``*.log_structured.csv``: LineId, Date, Time, ..., Content,
    EventId, EventTemplate) as sequences of event ids per entity.

    The entity of each line is found in ``Content`` with ``entity_pattern`` (HDFS block
    ids by default); lines that mention none are left out, a line that mentions several
    entities counts once for each, and once only for an entity it names twice (HDFS's
    "Deleting block blk_X file .../blk_X").

    For the other loghub systems pass a pattern with one group around the id, such as
    ``r"(\\d{1,3}(?:\\.\\d{1,3}){3})"`` (IP addresses: OpenSSH, Linux's rhost),
    ``r"(attempt_\\d+_\\d+_[mr]_\\d+)"`` (Hadoop task attempts),
    ``r"(?:session(?:id)?|client):? ?(0x[0-9a-f]{8,})"`` (Zookeeper sessions: not zxids,
    election rounds or "session 0x0", a connection closed before it had one) or
    ``r"TID (\\d+)"`` (Spark tasks).
    Where the entity is a column (BGL's and HPC's ``Node``, a ``Component``, a ``Pid``),
    read the CSV with pandas and call ``Sequences.from_events(df, entity="Node",
    event="EventId", time=...)``, or in the shell ``oddseq detect FILE --entity Node
    --event EventId``.

    Times are read from the columns of each system's form: HDFS (Date ``081109``, Time
    ``203615``), Hadoop and Zookeeper (``2015-10-18``, ``18:01:47,978``), OpenStack,
    Windows (``2016-09-28``, ``04:30:30``), Spark (``17/06/09``, ``20:10:40``, year
    first), Apache (``Sun Dec 04 04:47:44 2005``), BGL (Time ``2005-06-03-15.42.50.675872``,
    else Timestamp), HPC and Thunderbird (seconds since 1970, read as UTC). Dates without
    a year (Linux ``Jun 14 15:16:01``, OpenSSH, Mac) leave the sequences untimed, in line
    order, with a warning saying how to add the year; so do times in another form, or a
    line whose time does not read.

    Parameters
    ----------
    labels : path, optional
        CSV with the entity id in the first column and a label in a column named
        ``label`` or ``Label`` (0/1, or Normal/Anomaly as in loghub's
        ``anomaly_label.csv``).
    entity_pattern : str
        A regular expression with at most one group (around the id), searched in each
        line's ``Content``.
    nrows : int, optional
        Read the first ``nrows`` lines only.

    Returns
    -------
    Bunch with ``events`` (entity, event, line, and time where read), ``sequences``
    (Sequences, one per entity) and ``labels`` (0/1 Series indexed by entity, or None).

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> folder = tempfile.mkdtemp()
    >>> log = os.path.join(folder, "HDFS.log_structured.csv")
    >>> _ = Path(log).write_text(
    ...     "LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate\\n"
    ...     "1,081109,203615,148,INFO,dfs.DataNode,Receiving block blk_-16,E5,Receiving <*>\\n"
    ...     "2,081109,203616,148,INFO,dfs.DataNode,Served block blk_-16,E22,Served <*>\\n")
    >>> labels = os.path.join(folder, "anomaly_label.csv")
    >>> _ = Path(labels).write_text("BlockId,Label\\nblk_-16,Anomaly\\n")
    >>> bunch = read_loghub(log, labels)
    >>> bunch.sequences[0]["event"].tolist(), bunch.labels.tolist()
    (['E5', 'E22'], [1])
    """
    path = _check_path(path)
    df = (
        _read_parquet(path)
        if _is_parquet(path)
        else _read_csv(
            path,
            nrows=nrows,
            dtype={
                "Date": str,
                "Time": str,
                "Timestamp": str,
                "Month": str,
                "Day": str,
                "EventId": "category",
            },
        )
    )
    missing = {"LineId", "Content", "EventId"} - set(df.columns)
    if missing:
        raise ValueError(
            f"{path!r} is not a Loghub structured log: missing columns {sorted(missing)}"
        )
    pattern = re.compile(entity_pattern)
    if pattern.groups > 1:
        raise ValueError(
            f"entity_pattern {entity_pattern!r} has {pattern.groups} groups; give at most one, "
            "around the id, and make the others non-capturing: (?:...)"
        )
    found = df["Content"].astype(str).str.findall(pattern)
    lengths = found.str.len().to_numpy()
    rows = np.repeat(np.arange(len(df)), lengths)
    if rows.size == 0:
        raise ValueError(
            f"no line of {path!r} matches entity_pattern={entity_pattern!r}"
            + (
                "; the default finds HDFS block ids (blk_...). For another system pass "
                "entity_pattern=, a regular expression with one group around the id in "
                r"Content (such as r'(\d{1,3}(?:\.\d{1,3}){3})' for IP addresses); to group "
                "by a column such as Node or Component, read the CSV with pandas and call "
                "Sequences.from_events(df, entity='Node', event='EventId', time=...), or in "
                "the shell: oddseq detect FILE --entity Node --event EventId"
                if entity_pattern == r"(blk_-?\d+)"
                else ""
            )
        )
    entities = np.concatenate([np.asarray(f, dtype=object) for f in found if f])
    # One event per (line, entity): a line naming the same entity twice counts once.
    once = ~pd.DataFrame({"row": rows, "entity": entities}).duplicated().to_numpy()
    rows, entities = rows[once], entities[once]
    times = _loghub_times(df, path)
    events = pd.DataFrame(
        {
            "entity": entities,
            "event": df["EventId"].to_numpy()[rows],
            "line": df["LineId"].to_numpy()[rows],
        }
    )
    if times is not None:
        events["time"] = times[rows]
    sequences = Sequences.from_events(
        events, entity="entity", event="event", time="time" if times is not None else None
    )
    label_series = None
    if labels is not None:
        table = pd.read_csv(_check_path(labels))
        column = "label" if "label" in table.columns else "Label"
        if column not in table.columns:
            raise ValueError(f"{labels!r} needs a 'label' or 'Label' column")
        words = table[column].astype(str).str.strip().str.lower()
        anomalous = words.isin(_ANOMALOUS_WORDS)
        unknown = ~anomalous & ~words.isin(_NORMAL_WORDS)
        if unknown.any():
            shown = sorted(table.loc[unknown, column].astype(str).unique().tolist())
            raise ValueError(
                f"{labels!r} column {column!r} holds {shown[:5]} besides the labels read "
                "(Normal/Anomaly, Abnormal, 0/1, true/false); map them to 0/1 in the file"
            )
        label_series = pd.Series(
            anomalous.astype(np.int64).to_numpy(),
            index=pd.Index(table.iloc[:, 0], name="entity"),
            name="label",
        )
        covered = int(pd.Index(sequences.ids).isin(label_series.index).sum())
        if covered < len(sequences) / 2:
            warnings.warn(
                f"{labels!r} labels {covered:,} of the {len(sequences):,} entities of "
                f"{path!r}; its first column ({table.columns[0]!r}) should hold the entity "
                f"ids, such as {sequences.ids[0]!r}",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
    return Bunch(events=events, sequences=sequences, labels=label_series)


_ANOMALOUS_WORDS = ["anomaly", "anomalous", "abnormal", "1", "1.0", "true"]
_NORMAL_WORDS = ["normal", "0", "0.0", "false"]
_UNIT_WORDS = {"ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def read_sequences_file(path, *, sep=None, nrows=None) -> Sequences:
    """One sequence of event ids per line, in either form the public HDFS sets use:

    - event ids separated by whitespace (or by ``sep``), as in DeepLog's ``hdfs_train``
      (``5 5 22 11 9``); the ids are the line numbers, from 0;
    - an id, a comma, then event ids separated by whitespace, as in the ``hdfs_xu``
      files of Landauer et al. (``blk_-6535155942125829332,5 5 22 11 9``); the ids are
      the ids as written (text). Chosen with ``sep=None`` when the first line holds a
      comma; every line must then have one.

    Event ids that are whole numbers become ints. Sequences have no times. Blank lines
    are skipped, with a warning where a sequence follows them (ids stay the line
    numbers; blank lines at the end pass quietly). Refused with a ValueError naming the
    line and the fix: a line with several commas (a CSV table such as
    ``hdfs_100k_blocks.csv``: read it with pandas), lines of both forms in one file, an
    id given twice, and with ``sep`` a field that holds spaces (an ``id,events`` line
    wants ``sep=None``).

    Parameters
    ----------
    sep : str, optional
        The separator of the event ids of a line without ids (``","`` for ``5,5,22``).
        None: whitespace, and a comma before the events means an id.
    nrows : int, optional
        Read the first ``nrows`` lines only.

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> path = os.path.join(tempfile.mkdtemp(), "hdfs_train")
    >>> _ = Path(path).write_text("5 5 22 11 9\\n5 22 11\\n")
    >>> read_sequences_file(path).lengths.tolist()
    [5, 3]
    >>> _ = Path(path).write_text("blk_-16,5 5 22\\nblk_7,5 11\\n")
    >>> seqs = read_sequences_file(path)
    >>> list(seqs.ids), seqs[0]["event"].tolist()
    (['blk_-16', 'blk_7'], [5, 5, 22])
    """
    path = _check_path(path)
    if sep is not None and (not isinstance(sep, str) or not sep):
        raise TypeError(f"sep must be a non-empty string such as ',' or None, got {sep!r}")
    if nrows is not None and (
        isinstance(nrows, bool) or not isinstance(nrows, (int, np.integer)) or nrows < 1
    ):
        raise ValueError(f"nrows must be a whole number >= 1 or None, got {nrows!r}")
    sequences, ids, first_line = [], [], {}
    with_ids = None  # decided by the first line that holds events
    blanks = skipped = 0  # blank lines since the last sequence; those before one
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if nrows is not None and number >= nrows:
                break
            if not line.strip():
                blanks += 1
                continue
            skipped, blanks = skipped + blanks, 0
            where = f"{path!r} line {number + 1}"
            if sep is not None:
                tokens = [t.strip() for t in line.rstrip("\r\n").split(sep)]
                # Event names may hold spaces ("add to cart"); an id, a comma and events
                # separated by spaces (hdfs_xu's 'blk_1,5 5 22') is the other format.
                if sep == "," and len(tokens) == 2 and len(tokens[1].split()) > 1:
                    raise ValueError(
                        f"{where}: with sep=',' the field {tokens[1]!r} holds spaces; for "
                        "lines such as 'blk_1,5 5 22' (an id, a comma, then events separated "
                        "by spaces) leave sep=None"
                    )
                key = number
            else:
                fields = line.split(",")
                if len(fields) > 2:
                    raise ValueError(
                        f"{where} has {len(fields)} comma-separated fields; "
                        "read_sequences_file reads one sequence per line: event ids "
                        "separated by spaces, or 'id,event event ...' (one comma). For a CSV "
                        "table, read it with pandas: df = pd.read_csv(path); "
                        "Sequences.from_lists(df[events_column].str.split(), "
                        "ids=df[id_column]); or pass sep=',' for event ids separated by commas"
                    )
                has_id = len(fields) == 2
                if with_ids is None:
                    with_ids = has_id
                elif has_id != with_ids:
                    form = "'id,event event ...'" if with_ids else "event ids alone"
                    raise ValueError(
                        f"{where} {'holds' if has_id else 'lacks'} the id and comma that "
                        f"the first line {'lacks' if has_id else 'holds'}; every line must "
                        f"have one form (the first line's: {form})"
                    )
                if has_id:
                    key = fields[0].strip()
                    if not key:
                        raise ValueError(f"{where} has an empty id before its comma")
                    tokens = fields[1].split()
                else:
                    key, tokens = number, fields[0].split()
            if key in first_line:
                raise ValueError(
                    f"{path!r}: the id {key!r} is on lines {first_line[key] + 1} and "
                    f"{number + 1}; give each sequence one line"
                )
            first_line[key] = number
            ids.append(key)
            sequences.append([int(t) if t.lstrip("-").isdigit() else t for t in tokens if t])
    if not sequences:
        raise ValueError(f"{path!r} holds no sequences")
    if skipped:
        warnings.warn(
            f"{path!r}: {_plural(skipped, 'blank line')} before sequences skipped (ids stay "
            "the line numbers)",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    return Sequences.from_lists(sequences, ids=ids)
