"""A data-quality report on an event log: what is missing, inconsistent or unbalanced,
and what to do about it."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from ..sequences._sequences import _times_to_ns

__all__ = ["quality_report"]


def quality_report(
    df: pd.DataFrame,
    entity: str,
    event: str,
    time: str,
    *,
    expected_events=None,
    time_range=None,
    time_unit: str = "s",
    show: bool = True,
    file=None,
) -> pd.DataFrame:
    """Check an event log before analysing it.

    Checks: completeness (missing share per column), consistency (times out of order
    within an entity in row order, exact duplicate rows, times outside ``time_range``,
    event types outside ``expected_events``) and balance (share of each event type).
    Each row says what was found, whether it needs attention, and what to do.

    Parameters
    ----------
    df : DataFrame
    entity, event, time : str
        Column roles as in :meth:`oddseq.Sequences.from_events`.
    expected_events : iterable, optional
        The event types the log should contain.
    time_range : (start, end), optional
        Timestamps (or numbers of ``time_unit``) the log should lie within.
    show : bool, default=True
        Print a readable summary (to ``file``, default stdout).

    Returns
    -------
    DataFrame with columns ``check``, ``column``, ``value``, ``status`` ("ok" or
    "attention") and ``advice``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"u": [1, 1, 2, 2], "e": ["pv", "buy", "pv", "pv"],
    ...                     "t": [10, 5, 7, 7]})
    >>> report = quality_report(log, "u", "e", "t", show=False)
    >>> report.set_index("check").loc["times out of order", "value"]
    1
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    for role, column in (("entity", entity), ("event", event), ("time", time)):
        if column not in df.columns:
            raise ValueError(
                f"{role}={column!r} is not a column of df; columns: {list(df.columns)}"
            )
    if len(df) == 0:
        raise ValueError("df has no rows; nothing to check")
    rows = []

    def add(check, column, value, attention, advice):
        rows.append(
            {
                "check": check,
                "column": column,
                "value": value,
                "status": "attention" if attention else "ok",
                "advice": advice if attention else "",
            }
        )

    for column in df.columns:
        share = float(df[column].isna().mean())
        add(
            "missing share",
            column,
            round(share, 6),
            share > 0,
            "drop those rows (Sequences.from_events(..., dropna=True)) or impute "
            "(oddseq.preprocessing.Imputer) if the column is a feature",
        )
    ns, bad, _ = _times_to_ns(df[time], time_unit, time)
    times = pd.Series(
        np.where(bad, np.iinfo(np.int64).min, ns) if bad is not None else ns, index=df.index
    )
    backwards = int((times.groupby(df[entity], sort=False).diff() < 0).sum())
    add(
        "times out of order",
        time,
        backwards,
        backwards > 0,
        "fine for oddseq (it sorts each entity by time), but check the source if the log "
        "should be append-only",
    )
    duplicates = int(df.duplicated().sum())
    add(
        "exact duplicate rows",
        "(all)",
        duplicates,
        duplicates > 0,
        "duplicates inflate counts and look like bursts: drop them with "
        "df.drop_duplicates() unless repeated events are real",
    )
    if time_range is not None:
        if len(time_range) != 2:
            raise ValueError("time_range must be (start, end)")
        bounds, bad_bounds, _ = _times_to_ns(pd.Series(list(time_range)), time_unit, "time_range")
        if bad_bounds is not None:
            raise ValueError("time_range has a missing bound")
        valid = times[bad is None or ~np.asarray(bad)] if bad is not None else times
        outside = int(((valid < bounds[0]) | (valid > bounds[1])).sum())
        add(
            "times outside the stated range",
            time,
            outside,
            outside > 0,
            "look at the clock of those entities (sensor or timezone errors), or drop the rows",
        )
    counts = df[event].value_counts(dropna=True)
    if expected_events is not None:
        unknown = sorted(set(map(str, counts.index)) - set(map(str, expected_events)))
        add(
            "unknown event types",
            event,
            ", ".join(unknown) if unknown else "",
            bool(unknown),
            "map them to known types or drop them before encoding",
        )
    shares = counts / counts.sum()
    for label, share in shares.items():
        add("event share", f"{event}={label}", round(float(share), 6), False, "")
    top = float(shares.iloc[0]) if len(shares) else 0.0
    add(
        "most common event share",
        event,
        round(top, 6),
        top > 0.99,
        "one event type is nearly all of the log: order and funnel features carry little",
    )
    per_entity = df.groupby(entity, sort=False).size()
    single = float((per_entity == 1).mean())
    add(
        "entities with one event",
        entity,
        round(single, 6),
        single > 0.5,
        "most entities have a single event: timing features will be zero for them; "
        "consider sessions across a longer window",
    )
    # Object values keep counts as integers beside shares and lists of names.
    report = pd.DataFrame(
        {
            key: pd.Series([row[key] for row in rows], dtype=object)
            for key in ("check", "column", "value", "status", "advice")
        }
    )
    if show:
        out = file or sys.stdout
        flagged = report[report["status"] == "attention"]
        print(
            f"Quality report: {len(df):,} rows, {per_entity.size:,} entities, "
            f"{counts.size} event types; {len(flagged)} check(s) need attention",
            file=out,
        )
        for _, row in flagged.iterrows():
            print(
                f"  - {row['check']} [{row['column']}]: {row['value']} -> {row['advice']}", file=out
            )
    return report
