"""The one call: an event log in, a ranked table of odd entities with reasons out."""

from __future__ import annotations

import contextlib
import contextvars
import copy
import importlib
import math
import numbers
import re
import threading
import warnings
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import _fitted_data, _reasons
from ._persist import SaveMixin
from .cluster import NearestNeighbors
from .detect import (
    ECOD,
    LOF,
    DBSCANDetector,
    EnsembleDetector,
    InvariantsDetector,
    IsolationForest,
    KMeansDetector,
    KNNDetector,
    MarkovDetector,
    PCADetector,
    RobustZDetector,
)
from .detect._base import (
    min_max_probability,
    pipeline_confidence_cuts,
    pipeline_cut,
    verdict_confidence,
)
from .detect._iforest import rows_by_content
from .detect._neighbors import explained_with_rows
from .detect._threshold import (
    _NOT_NORMAL_JUMP,
    _TAIL_SHARE,
    DEFAULT_FALSE_ALARM_RATE,
    DEFAULT_NORMAL_FALSE_ALARM_RATE,
    NOT_NORMAL_SHAPE,
    REFUTE_LEVEL,
    SUPPORT_CUT_DRAWS,
    _auto_cut,
    _far_from_twins,
    _gap_above,
    _refutes,
    _support_cut_over_draws,
    _support_floor,
    _tied_at_least,
    check_false_alarm_rate,
    check_threshold_rule,
    content_order,
    folds_in_order,
    out_of_fold_scores,
    outside_other_folds,
    separate_tail,
    tail_probability,
)
from .encode import (
    CountTimingEncoder,
    CrowdEncoder,
    DiversityEncoder,
    EncoderUnion,
    RecentChangeEncoder,
)
from .encode._behaviour import DIVERSITY_CATEGORY_NAMES, _funnel_steps
from .encode._counts import category_of_items
from .exceptions import DataWarning
from .graph._detector import SEGMENT_MIN, SEGMENT_SHARE, _object_words, segment_floor
from .preprocessing import LogScaler, StandardScaler
from .preprocessing._evidence import EvidenceShrinker
from .preprocessing._quality import warn_about_the_log
from .sequences import Sequences
from .sequences._sequences import (
    check_arrow_type,
    check_role_names,
    refuse_rounded_column,
    spelt_as,
    without_blank_ids,
)
from .utils._memory import reusing_memory
from .utils._params import (
    Boolean,
    Check,
    Contamination,
    Integer,
    Optional,
    Options,
    Real,
    validate_params,
)
from .utils._progress import bar, step
from .utils._rows import tied_rows
from .utils._stacklevel import user_stacklevel
from .utils._stats import robust_spread
from .utils._text import shorten
from .utils._time import parse_times
from .utils._unique import distinct
from .utils._validation import resolve_threads, too_few_to_fit

__all__ = ["METHODS", "AnomalyPipeline", "detect_anomalies", "rank_sequences"]

METHODS = (
    "auto",
    "kmeans",
    "knn",
    "lof",
    "pca",
    "dbscan",
    "robust_z",
    "iforest",
    "ecod",
    "markov",
)
# Methods for logs of a program's workflows (system logs), whose event counts keep linear
# relations: where they keep none (shop clicks) every score is 0, so they stay out of
# METHODS, each of which ranks a shop log (tests/python/test_pipeline.py).
WORKFLOW_METHODS = ("invariants",)
# The models of oddseq.neural, with the "neural" extra (PyTorch): methods too, kept out
# of METHODS (which needs nothing optional) and tested in tests/python/neural/.
NEURAL_METHODS = {
    "lstm": "LSTMDetector",
    "transformer": "TransformerDetector",
    "autoencoder": "SequenceAutoencoder",
}
# Methods that model the event sequences themselves (no feature matrix).
_SEQUENCE_METHODS = ("markov", "invariants", *NEURAL_METHODS)


# Event types with a count column of their own; the rest share count[<other>]. Shop logs
# have a handful of types and log templates a few dozen, but URL paths or API endpoints
# run to thousands: 20,000 users with 3,000 page types took 10 minutes and 12 GB.
_MAX_EVENT_COLUMNS = 30


#: entity_features must have rows for at least this share of the fitted entities: a
#: table keyed by something else (its row numbers, another id) finds none or few, and
#: with under half found most entities would take the median of the few, so the column
#: would say "listed or not" rather than its value (a table of only some entities, such
#: as chargebacks, should give the others their value, 0, itself).
_SIDE_MIN_SHARE = 0.5


#: Scoring warns when more than this share of the scored item events have an item whose
#: category item_categories does not know (items new since the fit): their category
#: features rest on the fitted typical values. On a shop's next day (44% of its events
#: on new items) the flags moved by 4 of 27 with the day's categories (H6, sixteenth
#: session); above ``_UNKNOWN_CATEGORY_SHARE`` they mostly rest on them.
_UNKNOWN_CATEGORY_WARN = 0.1
_UNKNOWN_CATEGORY_SHARE = 0.5
#: The unknown-category warning's Python route (the shell says its own: oddseq.cli).
CATEGORY_ROUTE = "add these items' categories to the fitted ones (model.add_item_categories(...))"


def _entity_name(seqs: Sequences):
    """The entity id's name (the ``entity=`` column), or None."""
    ids = seqs.ids
    return ids.names[0] if isinstance(ids, pd.MultiIndex) else ids.name


def _id_kind(index: pd.Index) -> str:
    """A dtype as a message names it: "str" for text ids whatever their storage."""
    if pd.api.types.is_string_dtype(index.dtype) or (
        index.dtype == object and pd.api.types.infer_dtype(index[:1000]) == "string"
    ):
        return "str"
    return str(index.dtype)


# The attrs key of a checked entity_features table keyed by a column (the column's name).
_KEY_COLUMN = "oddseq_key_column"


def _id_dtype_hint(side: pd.DataFrame, keys) -> str:
    """Where entity_features' ids (its index, or the key column it was indexed by) hold
    the log's ids as another dtype (str "1000115" for int 1000115, or the reverse:
    read_csv(dtype=str), a JSON feed), the words that say so and how to convert; ""
    otherwise. ``keys``: the log's entity ids."""
    side_index = side.index
    if keys is None or len(side_index) == 0:
        return ""
    keys = pd.Index(keys).unique()
    side_kind, log_kind = _id_kind(side_index), _id_kind(keys)
    if side_kind == log_kind:
        return ""
    as_text = keys.astype(str).isin(side_index.astype(str)).sum()
    if as_text <= keys.isin(side_index).sum():
        return ""
    to = "str" if log_kind == "str" else repr(log_kind)
    column = side.attrs.get(_KEY_COLUMN)
    if column is not None:
        return (
            f"its column {column!r} holds the ids as {side_kind} where the log's are "
            f"{log_kind} ({as_text:,} of them match as text): convert it, "
            f"side[{column!r}] = side[{column!r}].astype({to})"
        )
    return (
        f"its index holds the ids as {side_kind} where the log's are {log_kind} "
        f"({as_text:,} of them match as text): convert it, side.index = "
        f"side.index.astype({to})"
    )


def _first_ids(side_index: pd.Index, keys) -> str:
    """A few ids of a side table's index and of the log (``keys``; None: the table's
    only), as a message shows them to compare: "its ids 1000001, 1000002, 1000003, ...;
    the log's 1, 2, 3, ..."."""

    def few(ids) -> str:
        ids = pd.Index(ids).unique()
        shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in ids[:3])
        return shown + (", ..." if len(ids) > 3 else "")

    said = f"its ids {few(side_index)}"
    return said if keys is None else f"{said}; the log's {few(keys)}"


def _entity_keys(seqs: Sequences):
    """The entity id of each sequence (sessions take their entity's)."""
    ids = seqs.ids
    return ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids


def _typical_category_rows(raw: np.ndarray, share: np.ndarray, columns, any_full=None):
    """The category features the fitted typical values are the medians of: those of the
    sequences whose item events all have a known category (``share`` 1), or of every
    sequence where none has (``any_full``: whether any fitted sequence has; default,
    any of these; oddseq.dask tells it over all its partitions)."""
    full = share >= 1.0
    if any_full is None:
        any_full = full.any()
    return raw[full][:, columns] if any_full else raw[:, columns]


def _blend_categories(raw: np.ndarray, share: np.ndarray, columns, typical, dtype=None):
    """``raw`` with each sequence's category features (``columns``) moved toward the
    fitted ``typical`` values by its share of item events without a known category
    (1 - ``share``), rounded to ``dtype`` (the encoder's; default raw's)."""
    partial = share < 1.0
    if typical is None or not partial.any():
        return raw
    out = raw.copy()
    cells = np.ix_(np.flatnonzero(partial), columns)
    weight = share[partial, None]
    blended = weight * raw[cells].astype(np.float64) + (1.0 - weight) * typical
    out[cells] = blended.astype(dtype or raw.dtype, copy=False)
    return out


def _unknown_category_share(n_item_events: int, n_known_events: int):
    """The share of the scored item events whose item has no known category where it is
    over ``_UNKNOWN_CATEGORY_WARN`` (scoring warns), else None."""
    if n_item_events == 0:
        return None
    unknown = 1.0 - n_known_events / n_item_events
    return unknown if unknown > _UNKNOWN_CATEGORY_WARN else None


def _category_key_hint(categories, missing: pd.Index) -> str:
    """Where ``categories`` (item -> category) keys the items as another dtype than the
    scored ones (int64 keys from a CSV, text items from a JSON feed) and the items
    without a category (``missing``) match keys as text: the words that say so and how
    to read the items; "" otherwise. Only keys with a category count (detect_anomalies
    with normal= keys the scored log's items too, with none where it has none)."""
    if isinstance(categories, dict):
        keys = pd.Index([k for k, v in categories.items() if not pd.isna(v)])
    elif isinstance(categories, pd.Series):
        keys = categories.index[categories.notna().to_numpy()]
    else:
        return ""
    if not len(missing):
        return ""
    kind, items_kind = _id_kind(keys), _id_kind(missing)
    if kind == items_kind or not len(keys):
        return ""
    matched = int(missing.astype(str).isin(keys.astype(str)).sum())
    if not matched:
        return ""
    name = missing.name if missing.name is not None else "item"
    return (
        f" The fitted categories key the items as {kind} where these items are "
        f"{items_kind} ({matched:,} of those without one match a key as text): read the "
        f"items as at fit, df[{name!r}] = df[{name!r}].astype({kind!r})."
    )


def _warn_unknown_categories(unknown: float, n_unknown: int, n_used: int, hint: str = ""):
    """Scoring's warning that many item events have no known category (``unknown``: their
    share; ``n_unknown`` of the ``n_used`` items used): over a tenth, their scores move;
    over a half, categories say little. The one warning of AnomalyPipeline.score,
    oddseq.dask and ``oddseq score`` (in the shell's words)."""
    if unknown > _UNKNOWN_CATEGORY_SHARE:
        effect = "so categories say little here"
        advice = (
            "Fit with item categories that cover these items (built from the item "
            f"catalogue, or the logs together), or {CATEGORY_ROUTE}, to judge their categories."
        )
    else:
        effect = "which moves their entities' scores and flags"
        advice = f"To judge their categories, {CATEGORY_ROUTE}."
    warnings.warn(
        f"item_categories has no known category for {n_unknown:,} of the "
        f"{n_used:,} items in these sequences ({unknown:.0%} of "
        "their item events): their category features are taken as missing "
        f"(the fitted typical values), {effect}. {advice}{hint}",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def item_category_map(df: pd.DataFrame, item: str | None, category: str | None):
    """item id -> category (the first seen per item), or None without a category column."""
    if category is None:
        return None
    if item is None:
        raise ValueError("category needs the item column too (item=...)")
    check_role_names({"category": category})
    if category not in df.columns:
        raise ValueError(f"category column {category!r} is not in the DataFrame")
    refuse_rounded_column(df[category], category)  # 19-digit ids read as float
    return df.groupby(item, observed=True)[category].first()


@reusing_memory
def detect_anomalies(
    df: pd.DataFrame,
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
    normal: pd.DataFrame | None = None,
    false_alarm_rate: float | None = None,
    min_events: int = 1,
    entity_features: pd.DataFrame | None = None,
    recent_change: bool = False,
    crowds="auto",
    groups="auto",
    group_by=None,
    time_unit: str = "s",
    time_format: str | None = None,
    dayfirst: bool | None = None,
    dropna: bool = False,
    funnel: dict | None = None,
    context=None,
    normal_entity_features: pd.DataFrame | None = None,
):
    """Rank the entities of an event log from most to least odd, with the reasons.

    The flow: :meth:`Sequences.from_events` -> :class:`CountTimingEncoder` (counts per
    event type, length, duration, gaps) and :class:`DiversityEncoder` (items, funnel,
    values) -> ``LogScaler(signed=True)`` -> ``StandardScaler`` -> a detector (see
    :class:`AnomalyPipeline` for ``method``).

    Parameters
    ----------
    df, entity, event, time, item, value, session_gap
        As :meth:`Sequences.from_events`; with ``session_gap`` each session is scored.
        ``event=None`` (a click log without event types) makes every event one type.
    time_unit, time_format, dayfirst, dropna
        As :meth:`Sequences.from_events`: the unit of numeric times ("s", "ms", "us",
        "ns"), the format and day/month order of dates written as text, and whether
        rows with a missing entity, event or time are dropped (with a warning) rather
        than refused.
    contamination : float in (0, 0.5] or "auto", default="auto"
        Expected share of odd entities (the top share gets ``is_anomaly``), or "auto":
        the detector's own cut (a robust outlier rule on the scores for the default).
    method : str, default="auto"
        One of ``METHODS``, ``WORKFLOW_METHODS`` or ``NEURAL_METHODS``; see
        :class:`AnomalyPipeline`.
    category : str, optional
        Column of item categories (with ``item``): adds how many categories an entity
        touches and how spread its attention is (:class:`DiversityEncoder`); items
        without a known category (new items scored later) leave those missing.
    n_clusters : int
        Groups of normal behaviour K-means looks for.
    return_pipeline : bool, default=False
        Also return the fitted :class:`AnomalyPipeline`, whose ``score(sequences)``
        ranks new data with the same model.
    normal : DataFrame, optional
        A log of normal behaviour only, with the same columns: the model is fitted on
        it (normal-only fitting, see :meth:`AnomalyPipeline.fit`) and ranks ``df``; the
        cut is calibrated on out-of-fold scores of ``normal`` at ``false_alarm_rate``.
        None (default): fitted on ``df`` itself, which may hold anomalies.
    false_alarm_rate : float in (0, 0.5), optional
        Share of normal entities ``contamination="auto"`` may flag (default 0.01, or
        0.005 with ``normal``; see :meth:`AnomalyPipeline.fit`).
    min_events : int, default=1
        Leave out entities (or sessions) with fewer events: with one or two events a
        verdict rests on little (reasons of entities with under 5 events say how many).
        The group stage still reads every entity, and a member of a group found with
        fewer events stays in the table, judged by its group alone: its score the
        group's lift, flagged, ``cluster`` -1, its reason the group's sentence and "3
        events, fewer than min_events=5: listed for its group, not scored on its own"
        (its own features are not read; ``explain`` gives it one row of no feature).
        The pipeline's count of the sequences left out (the shell's "N with fewer than
        k events left out") counts those absent from the table only.
    entity_features : DataFrame, optional
        Per-entity side attributes (account age, devices, chargebacks...) indexed by the
        entity id, or with a column named like ``entity`` (then joined on that column,
        which is never a feature), numeric or boolean columns: joined to the behaviour
        features, scaled and scored with them, and named in reasons. Entities it lacks
        (or its NaN values) take the column's median over the fitted entities, with a
        DataWarning that counts them and names the medians (fill the table first where
        a missing value means something else, such as 0 chargebacks); a table with rows
        for under half of the fitted entities is refused (keyed by something else: its
        row numbers, another id), and scoring warns likewise; infinite values, and in
        fit a column without any value, are refused (ValueError).
    recent_change : bool, default=False
        Also compare each entity's recent sessions (the last day of its activity) with
        its own earlier history (:class:`~oddseq.encode.RecentChangeEncoder`: event
        mix, hour of day, think time, silence, session sizes, new items, values): the
        mark of a hijacked account, whose owner's normal days outweigh a few odd
        sessions in the whole-history features. Needs times. Off by default: on the shop
        generators it flags more of the account takeovers (and lifts F1 on most cells),
        but it flags more users of the logs with nothing planted
        (benchmarks/RESULTS.md, "Hijacked accounts").
    crowds : {"auto", True, False}, default="auto"
        Add ``crowd_peak`` to the features (:class:`~oddseq.encode.CrowdEncoder`): the
        largest crowd of distinct entities on one of the entity's items in one clock
        hour, against that item's usual crowd in its other active hours. Objects that
        are private or quiet (a payee, an IP, a rare merchant) crowded into one hour
        are the mark of a ring paying one payee, a card-testing run, credential
        stuffing from a few proxies; a popular item's crowd is its usual one. "auto"
        does when ``item`` and ``time`` are given and the log spans a day or more and has
        at most 20 million events (above, it warns and leaves it out); True always does
        (needs both).
        Not with ``normal=`` ("auto" leaves them out there: a clean stretch's crowds
        say nothing of a later surge, such as a launch, and a normal-only model flags
        what lies beyond them; True counts them, those of ``df`` among ``df``'s
        entities).
    groups : {"auto", True, False} or GroupDetector, default="auto"
        Look for entities that act together (:class:`oddseq.graph.GroupDetector`: dense
        blocks of entities on shared objects, in lockstep when there are times): "auto"
        does when ``item`` or ``group_by`` is given and the log has at most 20 million
        events (above, it warns and skips: at 100 million events the lockstep pass adds
        about 20 s and 2 GB to the call); True always does. Members of a significant group are
        flagged, their score lifted above the cut (see
        :meth:`AnomalyPipeline.join_groups`), their reason names the group, and the table
        gains ``group`` (its row in the groups table, -1 for none). A ``GroupDetector``
        runs the stage (as True) with its settings: ``GroupDetector(patience=10)`` searches
        on past ten blocks in a row that are no group where the default stops after three
        (blocks of crowds the null does not explain can end the search before a
        ring behind them: a web log's pollers of three URLs, then a ring of 25 on pages
        of its own, a group at patience 6; ``pipeline.groups_.search_ends_`` says where
        the search stopped, ``candidates_`` what it met; the blocks further down can hold
        crowds the null takes for groups too, docs/groups.md); its ``method`` unless
        "auto", where the one call's choice holds. Such a detector runs the stage above
        20 million events too, as True does. The normal log's groups
        (``normal=``) are searched with the same settings.
    group_by : str or list of str, optional
        The columns entities share to form groups (device, IP, card, address); default
        ``item``. Columns other than ``item`` are read as shared attributes too, whether
        or not the entities act in the same hour (``GroupDetector(method="both")``: a
        promo-abuse ring's fresh accounts each use the ring's phone once), and in
        lockstep; ``item`` as content met in lockstep (``method="auto"``). A column most
        of whose values are public (each held by more entities than the square root of
        those with one: a chain's stores, countries) is left out with a warning, and
        refused where it is all group_by names: sharing one is no sign of a ring.
    funnel : dict, optional
        The event of each purchase-funnel role, e.g. ``{"view": "view", "cart": "add",
        "buy": "pay_ok"}`` (roles among view, cart, fav, buy; ``{}``: none), for the
        funnel features (``cart_per_view``, ``buy_per_view``, ``buy_per_cart``,
        ``n_items_bought``). None (default): read from the event names (pv/view,
        cart/add_to_cart/add, fav/wishlist, buy/purchase/order...; see
        :class:`~oddseq.encode.DiversityEncoder`); ``checkout`` is never read as a
        purchase, and a log with one and no purchase name warns. The roles used:
        ``pipeline.funnel_`` (``return_pipeline=True``).
    context : str or list of str, optional
        Side columns the events came from (device, IP, country, card): per entity and
        column, how many values it used, how many others share its most shared value
        against the column's usual, and the share of its events on a value it began
        after its first event and used within one day and never again, in a history of
        two days or more (a hijacked account's night on a new phone in another country),
        and the event types it did only there, beyond chance (the thief's password
        change; the reason names them; see :func:`oddseq.encode.context_features`),
        joined to the behaviour features as
        ``entity_features`` are (both may be given) and named in reasons. With
        ``normal=``, each log's own, each value's sharers counted over both logs. An
        entity with no value in a column takes the fitted median there (warned); a
        column with no value at all is refused, and so is ``session_gap`` (each session
        would take its entity's whole history). A model from ``return_pipeline=True``
        keeps the columns (``context_``) and scores a later log of a like span with
        ``score(seqs, entity_features=context_features(new, entity, columns, time,
        event=event))``,
        its sharers counted over it alone as the fit's were over the fitted log (``oddseq
        fit --context`` and ``oddseq score`` do that from the shell).
        ``oddseq.dask.detect_anomalies`` takes it too.
    normal_entity_features : DataFrame, optional
        With ``normal=``: the normal log's own side attributes (as ``entity_features``,
        which are then ``df``'s), for the same accounts in two periods with different
        values (an account's devices last week and this week). None (default): one
        ``entity_features`` table serves both logs.

    Returns
    -------
    table : DataFrame indexed by the entity (or (entity, session)) ids, most odd first,
        with ``score`` (higher = odder), ``rank``, ``is_anomaly``, ``p_normal`` (see
        :meth:`AnomalyPipeline.p_normal`), ``cluster`` (the K-means or DBSCAN group, -1
        where the method has none) and ``reason`` (what puts the entity apart, in the
        data's own units).
    pipeline : AnomalyPipeline, only with ``return_pipeline=True``.

    Examples
    --------
    >>> from oddseq.datasets import make_ecommerce
    >>> log = make_ecommerce(n_users=500, random_state=0).events
    >>> table = detect_anomalies(log, entity="user_id", event="behavior", time="timestamp")
    >>> list(table.columns)
    ['score', 'rank', 'is_anomaly', 'p_normal', 'cluster', 'reason']
    >>> int(table["rank"].iloc[0])
    1
    """
    # Checked before the sequences are built, so a wrong column fails at once.
    check_switches(return_pipeline=return_pipeline, progress=progress, dropna=dropna)
    # (read by the log's warnings before the pipeline checks its parameters: "5" was
    # compared with 1 there, a bare TypeError, TR s68 L3)
    AnomalyPipeline._parameter_checks["min_events"].check(min_events, "min_events")
    refuse_entity_in_group_by(entity, group_by)
    item_categories = item_category_map(df, item, category)
    refuse_share_with_normal(contamination, normal is not None, "a normal= log")
    check_group_finder(groups)
    if event is None and method in _SEQUENCE_METHODS:
        raise ValueError(
            f"method={method!r} reads the event sequences themselves, and without an event "
            "column every event is one type; pass event=... (--event from the shell) or "
            "another method"
        )
    if normal is not None and not isinstance(normal, pd.DataFrame):
        raise TypeError(
            f"normal must be a DataFrame of normal behaviour with the same columns as df, "
            f"got {type(normal).__name__}"
        )
    if normal is not None and not len(normal):
        raise ValueError(no_normal_rows("df"))
    if normal is not None:  # (side labels compared across the two logs: read alike)
        sides = [*column_names(context), *column_names(group_by)]
        df, normal = labels_read_alike(df, normal, sides)
    # groups= and group_by= checked before any fitting (a bad groups= was refused after
    # the per-entity fit: 1.4 s at 15,000 accounts, after the cut's warnings; TR s62 L3);
    # the stage's own call says where it is skipped
    if groups is not False:
        _group_objects(df, groups, group_by, item, warn=False)
    fit_side, score_side = side_tables(
        df,
        normal,
        entity_features,
        normal_entity_features,
        context,
        session_gap,
        # (the item may be one too: an IP as the item for groups and crowds)
        dict(entity=entity, event=event, time=time),
        dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst),
        features=partial(_context_features, kept=(kept := {})),
    )

    def sequences(frame, what):
        with step(f"building sequences from {len(frame):,} {what}events", enabled=progress):
            return Sequences.from_events(
                frame,
                entity=entity,
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

    # Scored by a model fitted on normal: its spellings, not a fold, are the fix of a
    # type spelt several ways (RV s34 M1)
    spelt = None
    if normal is not None and event is not None and event in normal:
        spelt = [str(v) for v in pd.unique(normal[event].dropna()) if isinstance(v, str)]
    with spelt_as(spelt):
        seqs = sequences(df, "")
    if not len(seqs) and normal is None:  # a day without events: nothing to fit on
        _warn_no_events("df has no rows; nothing was fitted (the pipeline returned is None)")
        table = empty_table(seqs.ids, _group_objects(df, groups, group_by, item) is not None)
        return (table, None) if return_pipeline else table
    # Heavy duplication, events far from the rest, the wrong column: once each.
    warn_about_the_log(seqs, df=df, min_events=min_events, value=value, item=item)
    if normal is not None:
        read = [entity, event, time, item, value]
        if groups is not False and isinstance(group_by, (str, list, tuple)):
            # (the normal log's groups too)
            read += [group_by] if isinstance(group_by, str) else list(group_by)
        missing = list(dict.fromkeys(c for c in read if c and c not in normal))
        if missing:
            raise ValueError(f"normal lacks the columns {missing} that df has; give both the same")
        if item_categories is not None and category in normal:
            normal_categories = item_category_map(normal, item, category)
            item_categories = normal_categories.combine_first(item_categories)
    grouped = None  # the group stage's columns, where group_by left out public ones
    skipped = groups == "auto" and len(df) > _GROUPS_AUTO_MAX_EVENTS  # (said there)
    if group_by is not None and groups is not False and not skipped:
        given = group_by_columns(df, group_by)
        grouped = check_public_columns(df, given, item, entity)  # (before any fitting)
    pipeline = AnomalyPipeline(
        method=method,
        contamination=contamination,
        n_clusters=n_clusters,
        random_state=random_state,
        progress=progress,
        item_categories=item_categories,
        false_alarm_rate=false_alarm_rate,
        min_events=min_events,
        entity_features=fit_side,
        recent_change=recent_change,
        crowds=crowds,
        funnel=funnel,
    )
    token = _LOG_CHECKED.set(True)  # (checked above, with df: not again in fit or score)
    try:
        if normal is None:
            pipeline.fit(seqs)
            table = pipeline.table_
        else:
            normal_seqs = sequences(normal, "normal ")
            _warn_if_scoring_what_was_fitted(seqs, normal_seqs)
            pipeline.fit(normal_seqs, normal=True)
            table = pipeline.score(seqs, entity_features=score_side)
    finally:
        _LOG_CHECKED.reset(token)
    named = [] if context is None else context_named(table, context)
    if named:  # (from the pass that counted the context tables)
        facts = kept.get("facts", {})
        table = say_shared_values(table, {c: facts[c] for c in named if c in facts})
    if context is not None:  # (the types behind each reason naming them)
        table = say_brief_types(table, kept.get("facts", {}))
    if context is not None:  # (what a later log's side table is read from)
        reading = dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst)
        pipeline.context_ = context_record(pipeline, context, entity, time, reading, event)
    kept.clear()
    objects = _group_objects(df, groups, group_by, item)
    if objects is not None and not len(seqs):  # a day without events, scored
        table = empty_table(seqs.ids, groups=True)
        objects = None
    if objects is not None and dropna:
        # The rows the sequences dropped (a missing entity, event or time, an id of blank
        # text), dropped here too: the group stage reads the log itself where it groups
        # on other columns.
        df = df.dropna(subset=[c for c in (entity, event, time) if c is not None])
        df = without_blank_ids(df, (entity, event))
    # group_by's own columns are read both ways, whichever of them public_columns left
    shared = group_by is not None and list(objects or ()) != [item]
    if objects is not None and grouped is not None:
        objects = [c for c in objects if c in grouped]  # (the public ones said)
    if objects is not None:
        with step(f"looking for groups on {', '.join(map(str, objects))}", enabled=progress):
            # Accounts that share a device, an address, a card or an IP share it whether
            # or not they act in the same hour (a promo-abuse ring's fresh accounts each
            # use the ring's phone once: no lockstep, TR s46): group_by's own columns are
            # read both ways (each entity keeps its highest-scoring group); the items as
            # content met in lockstep.
            finder = group_finder(groups, "both" if shared else "auto")
            if objects == [item] and session_gap is None:
                finder.fit(seqs)  # the sequences' items and parsed times
            else:
                from .graph._graph import times_read

                with times_read():  # (the sequences said what the times hold)
                    finder.fit(
                        _timed_for_groups(df, time, time_unit, time_format, dayfirst),
                        entity=entity,
                        object=objects if len(objects) > 1 else objects[0],
                        time=time,
                        time_unit=time_unit,
                    )
            if normal is not None and len(finder.groups_) and _referee_fits(normal, groups):
                if dropna:
                    normal = normal.dropna(subset=[c for c in (entity, event, time) if c])
                    normal = without_blank_ids(normal, (entity, event))
                referee = normal_referee(
                    normal,
                    objects,
                    entity,
                    time,
                    dict(time_unit=time_unit, time_format=time_format, dayfirst=dayfirst),
                    "both" if shared else "auto",
                    groups,
                )
                held = groups_the_normal_log_holds(finder, referee)
                vetted = {}  # (values its vetted entities share: a company's card)
                if shared:
                    more = groups_on_normal_values(finder, df, normal, entity, objects)
                    vetted = {g: (values, who) for g, values, who in more if g not in held}
                drop_normal_groups(finder, held, vetted)
            warn_segments(finder)
            warn_large_groups(finder, normal=normal is not None)
            warn_groups_past_the_cap(finder)
        # (the rows the score cut saw: the members min_events left out are listed after)
        scored, by_score = len(table), int(table["is_anomaly"].sum()) if len(table) else 0
        table = pipeline.join_groups(table, finder, seqs)
        if len(table):
            warn_groups_past_the_share(
                pipeline.contamination,
                scored,
                by_score,
                int(table["is_anomaly"].sum()),
                _rows_are(session_gap),
                check_said=groups_said(finder),
            )
        pipeline.groups_ = finder
        _note_group_log(pipeline, seqs, fitted=normal is None)
        # left_out: the sequences min_events left out of the table, not those listed
        # for their group (join_groups); listed: those (the shell's summary says both)
        listed = len(pipeline._group_short[0])
        pipeline._last_score().left_out -= listed
        pipeline._last_score().listed = listed
    if min_events < _reasons._FEW_EVENTS and "is_anomaly" in table and len(seqs):
        warn_short_flags(short_flag_counts(table, seqs), _rows_are(session_gap))
    if normal is None and "is_anomaly" in table and len(seqs):
        warn_one_off_flags(*one_off_flag_counts(table, seqs), _rows_are(session_gap))
        warn_rare_only_flags(*rare_only_flag_counts(table, seqs), _rows_are(session_gap))
    if session_gap is not None and contamination == "auto" and len(seqs):
        # (a rate given is the analyst's choice, the advice followed among them: not
        # said again, trial s44a H3)
        warn_session_spread(
            session_spread_counts(table),
            pipeline.threshold_info_["false_alarm_rate"] if false_alarm_rate is None else None,
            normal=normal is not None,
        )
    return (table, pipeline) if return_pipeline else table


# The attribute that marks a side table's context= columns (their names), set where the
# one call makes them (_context_sides).
CONTEXT_MARK = "oddseq_context"

# The context gaps' fix (AnomalyPipeline._warn_side_gaps): the shell's words replace the
# first and leave out the second (a side table has no shell option; oddseq.cli).
CONTEXT_SHELL = " (--context from the shell)"
CONTEXT_FILL = (
    ", and give its features as entity_features, filled "
    "(oddseq.encode.context_features(df, entity, columns, time, event=event))"
)
# context= refused beside session_gap=: the reason, which the shell says in its words.
CONTEXT_WITH_SESSIONS = (
    "context= reads each entity's whole history (a value of one day in a longer one), and "
    "with session_gap= each session would take its entity's: a hijacked account's every "
    "session, the owner's too"
)


# A group that holds this share of the entities the group stage read (and at least
# LARGE_GROUP_MIN of them) is said to be large: the planted groups of the labelled
# sources are under 1% of their logs (the seed gate's cells: 0.34-0.87%; the trials' farms
# and rings 0.5-1%), and a group of 779 ordinary accounts, 11% of an auction log, came of
# group_by=["listing_id", "device_id"] (every buyer of a popular seller's listings on the
# app's device setting) and flagged 12.7% of the log (TR s47 M7).
# (GroupDetector's bar for a segment of the population is the same share, from
# SEGMENT_MIN members: a group so large is said where it is under that or max_share=None
# keeps it)
LARGE_GROUP_SHARE, LARGE_GROUP_MIN = SEGMENT_SHARE, 50


def warn_large_groups(finder, group_by: bool = True, normal: bool = False) -> None:
    """A :class:`DataWarning` naming each group of ``finder`` (a fitted GroupDetector)
    that holds LARGE_GROUP_SHARE of the entities it read or more: a ring is seldom so
    large a share of a log, and ordinary users come together on a popular object, a
    shared service or a site-wide event. ``group_by``: whether the caller takes
    ``group_by=`` (oddseq.dask does not: ``groups=False`` alone); ``normal``: whether a
    normal log set groups aside already (its advice is then not given again)."""
    n = len(getattr(finder, "entity_ids_", ()))
    if not n or not len(finder.groups_):
        return
    sizes = finder.groups_["n_members"].to_numpy()
    large = _large_groups(finder, n)
    if not large.size:
        if _together_share(finder, n):
            _warn_groups_together(finder, n, group_by, normal)
        return
    said = "; ".join(
        f"group {g} holds {int(sizes[g]):,} of the {n:,} entities ({sizes[g] / n:.1%})"
        for g in large.tolist()
    )
    routes = _group_routes(group_by, "that column", "it")
    warnings.warn(
        f"{said}: a ring is seldom so large a share of a log (planted rings and farms are "
        "under 1% of theirs), and ordinary users come together on a popular seller's "
        "objects, a shared service's device or IP, or a site-wide event. "
        + LARGE_GROUP_CHECK.format(group=int(large[0]))
        + f" before acting on its members; {routes}",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def warn_segments(finder, shell: bool = True) -> None:
    """A :class:`DataWarning` naming the blocks that the group stage read as segments
    of the population (GroupDetector's ``max_share``): no group, so their members are
    not flagged for them, which an analyst should know where one is a ring (a
    carrier's customers behind its shared addresses, 294-486 of a social platform's
    3,000 accounts in each of five blocks of ``group_by=["device_id", "ip"]``, were
    groups and 68.6% of the accounts flagged: TR s66). ``shell``: whether the caller
    has a shell (oddseq.dask does not: no --group-max-share)."""
    candidates = getattr(finder, "candidates_", None)
    if candidates is None or "why_not" not in candidates:
        return
    segments = candidates[candidates["why_not"] == "a segment"]
    if not len(segments):
        return
    n, k = len(getattr(finder, "entity_ids_", ())), len(segments)
    largest = segments.sort_values("n_members", ascending=False, kind="stable")
    said = "; ".join(
        f"{int(row.n_members):,} on "
        + ", ".join(map(_object_words, list(row.objects)[:2]))
        + (f" and {len(row.objects) - 2:,} more" if len(row.objects) > 2 else "")
        for row in largest.head(3).itertuples()
    )
    more = f"; and {k - 3:,} more" if k > 3 else ""
    share, floor = float(finder.max_share), segment_floor(finder.max_share, n)
    in_shell = " (--group-max-share none from the shell)" if shell else ""
    warnings.warn(
        f"{k:,} block{'s' if k != 1 else ''} of {floor:,} or more of the {n:,} entities "
        f"({_percent(share)}, and at least {SEGMENT_MIN}) {'are' if k != 1 else 'is'} no group, "
        f"read as segments of the population: {said}{more}. Ordinary users who share a "
        "service's pool of values make such blocks (a mobile carrier's customers behind "
        "its shared addresses, an app's device setting); a ring is seldom so large a share "
        "of a log. Their members are judged alone. Where one is a ring, "
        f"groups=oddseq.graph.GroupDetector(max_share=None){in_shell} keeps it a group",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def check_switches(**switches) -> None:
    """The one call's switches are True or False: a text "no" is truthy, and
    ``dropna="no"`` dropped rows, ``return_pipeline="no"`` returned a pair (TR s66 L2)."""
    for name, value in switches.items():
        Boolean().check(value, name)


# Where the groups past the cap are kept (the shell has no pipeline: left out there).
PAST_CAP_RECORD = "; pipeline.groups_.candidates_ holds them (why_not 'past max_groups')"


def warn_groups_past_the_cap(finder, shell: bool = True) -> None:
    """A :class:`DataWarning` where the default cap (``max_groups=None``, a cap the
    caller never chose) left blocks the search judged groups unlisted: the search keeps
    the max_groups most significant, so a ring weaker than the cap's groups is listed
    nowhere and its members are scored alone (TR s59, 20,000 customers: 20 office groups
    listed, 6 blocks past the cap, silent). ``shell``: whether the caller has a shell
    (oddseq.dask does not: no --max-groups)."""
    if getattr(finder, "max_groups", None) is not None:
        return
    candidates = getattr(finder, "candidates_", None)
    if candidates is None or "why_not" not in candidates:
        return
    past = candidates[candidates["why_not"] == "past max_groups"]
    if not len(past):
        return
    from sklearn.base import clone

    cap, k = int(finder.max_groups_), len(past)
    listed = set().union(*map(set, finder.groups_["members"]))
    alone = set().union(*map(set, past["members"])) - listed
    if not alone:  # (every member of those blocks is listed in a group kept)
        return
    wider = repr(clone(finder).set_params(max_groups=cap + k))
    in_shell = f" (--max-groups {cap + k} from the shell)" if shell else ""
    # (what the blocks with an entity scored alone are: one all of whose members are
    # listed in a group kept is none of the entities counted)
    unlisted = past[past["members"].map(lambda m: bool(set(m) - listed))]
    warnings.warn(
        f"the group search judged {k:,} more block{'s' if k != 1 else ''} to be groups, "
        f"past the {cap:,} it lists (max_groups: by default 20, or one per 1,000 entities, at most "
        f"100, per search): their {len(alone):,} entities are scored alone, by their own "
        f"events, and a ring among them is listed nowhere{PAST_CAP_RECORD}. "
        f"{_past_cap_blocks(unlisted, finder.groups_)} "
        f"groups=oddseq.graph.{wider}{in_shell} lists them too",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _span(values, digits: int = 0) -> str:
    """The range of ``values`` in words: "4" where they are all one, else "2-5"."""
    low, high = float(np.min(values)), float(np.max(values))
    text = (lambda v: f"{v:,.{digits}f}") if digits else (lambda v: f"{int(round(v)):,}")
    return text(low) if text(low) == text(high) else f"{text(low)}-{text(high)}"


def _past_cap_blocks(past, listed) -> str:
    """What the blocks past the cap are, beside the groups listed, so that an analyst can
    judge them before listing them: their members, objects and significance (a betting
    trial's 110 blocks past the cap were households, 3-4 accounts on a tablet and a home
    IP at significance 2.2-4.5 beside groups listed at 4.5-44.3, and listing them took
    the flags' F1 0.61 -> 0.45: TR s62 M5)."""
    kept = f"; the groups listed: {_span(listed['significance'], 1)}" if len(listed) else ""
    return (
        f"They hold {_span(past['n_members'])} members on {_span(past['n_objects'])} "
        f"objects each, at significance {_span(past['significance'], 1)} (in log10 units "
        f"beyond chance{kept}): read a few before listing them;"
    )


def _group_routes(group_by: bool, column: str, what: str) -> str:
    """The group warnings' ways to leave groups out: "group_by=... (--group-by from the
    shell) without {column}, or groups=False (--no-groups from the shell), leaves {what}
    out", or groups=False alone where the caller takes no ``group_by=`` (oddseq.dask)."""
    if not group_by:
        return f"groups=False leaves {what} out"
    return (
        f"group_by=... (--group-by from the shell) without {column}, or groups=False "
        f"(--no-groups from the shell), leaves {what} out"
    )


# The large-group warning's check, which the shell says in its own words (oddseq.cli: no
# pipeline there; the members' reasons name the group's objects).
LARGE_GROUP_CHECK = "Check what it acted on (pipeline.groups_.groups_.loc[{group}, 'objects'])"
# ... and the groups-together warning's (_warn_groups_together).
GROUPS_CHECK = (
    "Check what the groups acted on and when (pipeline.groups_.groups_: objects, start, end)"
)


def groups_said(finder) -> bool:
    """Whether warn_large_groups speaks of ``finder``'s groups (one large group, or
    groups large together): the past-the-share warning then leaves out the check it
    says (review RV s59b L4: the same sentence twice)."""
    n = len(getattr(finder, "entity_ids_", ()))
    if not n or not len(getattr(finder, "groups_", ())):
        return False
    return bool(_large_groups(finder, n).size) or _together_share(finder, n)


def _large_groups(finder, n: int) -> np.ndarray:
    """The groups of ``finder`` that hold LARGE_GROUP_SHARE of the ``n`` entities or
    more (and LARGE_GROUP_MIN members), by their row."""
    sizes = finder.groups_["n_members"].to_numpy()
    return np.flatnonzero((sizes >= LARGE_GROUP_MIN) & (sizes >= LARGE_GROUP_SHARE * n))


def _together_share(finder, n: int) -> bool:
    """Whether the members of ``finder``'s groups together are LARGE_GROUP_SHARE of the
    ``n`` entities or more (and LARGE_GROUP_MIN)."""
    members = set().union(*map(set, finder.groups_["members"]))
    return len(members) >= max(LARGE_GROUP_MIN, LARGE_GROUP_SHARE * n)


def _warn_groups_together(finder, n: int, group_by: bool, normal: bool = False) -> None:
    """warn_large_groups' warning for groups none of which is large alone but whose
    members together are LARGE_GROUP_SHARE of the ``n`` entities or more (and
    LARGE_GROUP_MIN, _together_share): a food-delivery app's office colleagues who order
    lunch together, 20 groups of 4-10, held 174 of 3,000 customers (5.8%) and 174 of the
    231 flags, and nothing was said (TR s59 H1). Rings and farms planted in every
    labelled source are under 1.7% together (make_ecommerce with ten rings, 1.4-1.6%)."""
    members = set().union(*map(set, finder.groups_["members"]))
    routes = _group_routes(group_by, "a column", "them")
    count = len(finder.groups_)
    # (with normal= given, the groups left are those the normal log's search did not find)
    known = (
        ""
        if normal
        else "; a log of known-good entities as normal= (--normal FILE from the shell) sets "
        "aside groups of the kind it holds"
    )
    warnings.warn(
        f"the {count:,} group{'s' if count != 1 else ''} hold {len(members):,} of the {n:,} "
        f"entities ({len(members) / n:.1%}) together, each member flagged whatever the cut: "
        "rings and farms are seldom so large a share of a log (planted ones are under 2% "
        "of theirs), and ordinary people act together too: colleagues who order lunch "
        "together, a team at work, a household. "
        + GROUPS_CHECK
        + f" before acting on their members{known}; {routes}",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def warn_groups_past_the_share(
    contamination,
    n: int,
    by_score: int,
    flagged: int,
    rows: str = "entities",
    check_said: bool = False,
) -> None:
    """A :class:`DataWarning` where ``contamination=`` is a share and the groups' members,
    flagged whatever the cut, bring the flags to over half as many again as the share's
    count of the ``n`` rows (``rows``: entities or sessions) the score cut read: the share
    holds for the score cut (``by_score`` flagged), not for the group stage (TR s59 H1:
    contamination=0.0307 and 8.9% flagged, silent). ``flagged`` counts the members
    min_events left out too, listed for their group. ``check_said``: the group
    warning before it said what to check (groups_said): not said twice."""
    if isinstance(contamination, str) or contamination is None or not n:
        return
    if flagged <= 1.5 * contamination * n:
        return
    check = (
        " (the groups the warning before counts); "
        if check_said
        else ". " + GROUPS_CHECK + " before acting on their members; "
    )
    warnings.warn(
        f"contamination={contamination:g} flags {by_score:,} of the {n:,} {rows} by "
        f"score; the groups' members, flagged whatever the cut, bring the flags to "
        f"{flagged:,} ({flagged / n:.1%} of them): the share holds for the score cut, not "
        f"for the group stage{check}groups=False (--no-groups from the shell) flags the "
        "share alone",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


# With normal=, a group of the scored log is the normal log's kind where the search finds
# a group of the same kind in the normal log alone: at least half its members are members
# of the normal log's groups (the same team, another week), or a normal log's group of a
# like size (within _SAME_SIZE times) acts on much the same objects (they share at least
# a third of the larger's: the other half of a team, an office's lunch places). A
# ticketing site's box-office team, at work in lockstep every weekday, was a group of 40
# in the week scored though the normal week held the same team doing the same, and a
# group of about 20 where the normal log held the other half (their groups' objects: 17
# shared of 33 and 22, 20 of 43 and 20; TR s47b). A ring on a few hot items beside a
# team that works on every item shares a third of neither (a scalper farm's 5 shows, 3
# of them the team's 20).
_SAME_OBJECTS = 1 / 3
_SAME_SIZE = 3


def normal_referee(normal, objects, entity, time, reading, method, groups="auto"):
    """The GroupDetector of the ``normal`` log (the one call's search on its objects,
    with the settings of ``groups=GroupDetector(...)`` where given): what
    :func:`groups_the_normal_log_holds` compares the scored log's groups with."""
    from .graph._graph import times_read

    with times_read(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (said of the normal log by its own sequences)
        return group_finder(groups, method).fit(
            _timed_for_groups(normal, time, **reading),
            entity=entity,
            object=objects if len(objects) > 1 else objects[0],
            time=time,
            time_unit=reading["time_unit"],
        )


def public_columns(df, columns, entity) -> dict:
    """Of ``columns`` (the ``group_by=`` columns read as shared attributes), those of
    public values: at least half of their values each held by more entities than
    :func:`~oddseq.encode._context.public_bar` of those with one (the square root), as
    ``context=`` reads a value (a chain's stores, countries, a site's pages). Sharing
    one is no sign of a ring, and the group stage leaves such a column out (TR s53 H3:
    15 points-farm scripts, each on its own phone and IP, some never active at once,
    were "one group that acted on objects store_id 0, store_id 1 ... (chance 1e-138)":
    each had scanned at the chain's 55 stores). Decided per column, not per value: one
    phone that 40 fresh accounts share is what a device column is for, though more than
    the square root share it (review RV s53 H1). {column: (public values, values,
    entities with one)}."""
    from .encode._context import public_bar

    out = {}
    for column in columns:
        pairs = df[[entity, column]].dropna().drop_duplicates()
        held = pairs[column].value_counts(sort=False)
        holders = int(pairs[entity].nunique())
        public = int(np.count_nonzero(held.to_numpy() > public_bar(holders)))
        if len(held) and 2 * public >= len(held):
            out[column] = (public, len(held), holders)
    return out


def public_columns_words(public: dict) -> str:
    """:func:`public_columns`' columns as a message names them: "'store_id' (55 of its 55
    values each held by more than 70 of the 5,024 entities with one)"."""
    from .encode._context import public_bar

    return ", ".join(
        f"{column!r} ({n_public:,} of its {n_values:,} values each held by more than "
        f"{int(np.floor(public_bar(holders))):,} of the {holders:,} entities with one)"
        for column, (n_public, n_values, holders) in public.items()
    )


def check_public_columns(df, objects, item, entity) -> list:
    """``objects`` (the group stage's columns) without the ``group_by`` columns of
    public values (:func:`public_columns`), said in a :class:`DataWarning`; a
    ValueError where none is left (nothing a ring could share), before any fitting."""
    public = public_columns(df, [c for c in objects if c != item], entity)
    if not public:
        return list(objects)
    kept = [c for c in objects if c not in public]
    words = public_columns_words(public)
    if not kept:
        raise ValueError(
            f"group_by reads shared values, and every one it names is public: {words}. "
            "Sharing a chain's store or a country is no sign of a ring; name columns of "
            "private values (a device, a card, an address), or leave out group_by "
            "(--group-by from the shell)"
        )
    warnings.warn(
        f"group_by: {words}: public, as a chain's store or a country, and no sign of a "
        f"ring, so the group stage reads only {', '.join(map(repr, kept))}; leave "
        "such a column out of group_by (--group-by from the shell)",
        DataWarning,
        stacklevel=user_stacklevel(),
    )
    return kept


def _referee_fits(normal, groups) -> bool:
    """Whether the normal log's groups are searched (groups="auto": up to
    ``_GROUPS_AUTO_MAX_EVENTS`` events, as the log scored; above, a warning and the
    scored log's groups kept)."""
    if groups is True or _is_group_finder(groups) or len(normal) <= _GROUPS_AUTO_MAX_EVENTS:
        return True
    warnings.warn(
        f"the normal log has {len(normal):,} events, over the {_GROUPS_AUTO_MAX_EVENTS:,} "
        "up to which groups='auto' searches a log: its groups were not read, and groups "
        "of the kind it holds (a team at work) may be listed; groups=True searches it too",
        DataWarning,
        stacklevel=user_stacklevel(),
    )
    return False


def groups_the_normal_log_holds(finder, referee) -> list:
    """The groups of ``finder`` (fitted on the scored log) that the normal log holds too
    (its ``referee``, :func:`normal_referee`; see :data:`_SAME_OBJECTS`): their rows of
    ``finder.groups_``."""
    if referee is None or not len(finder.groups_):
        return []
    # The normal log's groups, and its segments of the population (GroupDetector's
    # max_share): a carrier's customers that are a segment there are the population a
    # smaller block of them here, under this log's bar, is of (review RV s66 H2: a group of
    # 123 of them flagged where the normal log's block of them was a segment).
    blocks = referee.groups_[["members", "objects", "n_members"]].assign(segment=False)
    candidates = getattr(referee, "candidates_", None)
    if candidates is not None and "why_not" in candidates:
        segments = candidates[candidates["why_not"] == "a segment"]
        segments = segments[["members", "objects", "n_members"]].assign(segment=True)
        blocks = pd.concat([blocks, segments])
    if not len(blocks):
        return []
    members = set().union(*map(set, blocks["members"]))
    normal_objects = [set(map(_hashable_label, o)) for o in blocks["objects"]]
    sizes, segment = blocks["n_members"].to_numpy(), blocks["segment"].to_numpy(bool)
    held = []
    for gid, group in finder.groups_.iterrows():
        ours = set(map(_hashable_label, group["objects"]))
        same_team = np.mean([m in members for m in group["members"]]) >= 0.5
        # (and of a like size, within _SAME_SIZE times: three of a normal log's regulars
        # on a hot show are no kind of a ring of thirty on it; a segment is of any size
        # above a block of its population)
        same_objects = any(
            len(ours & theirs) >= _SAME_OBJECTS * max(len(ours), len(theirs))
            and (
                whole or max(size, group["n_members"]) <= _SAME_SIZE * min(size, group["n_members"])
            )
            for theirs, size, whole in zip(normal_objects, sizes, segment)
        )
        if same_team or same_objects:
            held.append(int(gid))
    return held


def column_names(columns) -> list:
    """The column names an argument of one name or several gives (a list, a tuple, a
    pandas Index: any iterable of names); none otherwise."""
    if isinstance(columns, str):
        return [columns]
    if columns is None or isinstance(columns, (bool, dict)) or not hasattr(columns, "__iter__"):
        return []
    return [c for c in columns if isinstance(c, str)]


def labels_read_alike(df, normal, columns, log: str = "df"):
    """(``df``, ``normal``) with each of ``columns`` (the side labels the two logs'
    entities are compared by: ``context=`` and ``group_by=`` columns; event types and
    items are read in the fitted model's kind, as a later day's are) held as
    numbers in one and as text in the other read as text in both (a number as its text,
    17.0 as "17"; :func:`oddseq.utils._ids.labels_alike`), said in a DataWarning: the
    card "400" of one export never equalled the card 400 of another, and the normal log's
    vetted values, sharers and groups met nothing, silently (review RV s63 M1). The
    caller's frames are not changed."""
    from .utils._ids import labels_alike

    names = [log, "normal"]
    for column in dict.fromkeys(c for c in columns if c in df.columns and c in normal.columns):
        given = (df, normal)
        df, normal, which = labels_alike(df, normal, column)
        if which is None:
            continue
        numbers, text = names[which], names[1 - which]
        before, after = given[which][column], (df, normal)[which][column]
        held = before.notna().to_numpy() if isinstance(before, pd.Series) else np.zeros(0, bool)
        like = ""
        if held.any():  # (by position: the index may repeat labels)
            first = int(held.argmax())
            shown = before.iloc[first]
            shown = shown.item() if hasattr(shown, "item") else shown
            like = f" (such as {shown!r} -> {after.iloc[first]!r})"
        warnings.warn(
            f"{numbers}[{column!r}] holds numbers and {text}[{column!r}] text; the two "
            f"logs' values are compared, and a number never equals a text, so "
            f"{numbers}'s were read as text{like}. Read both the same way to silence "
            f"this: pd.read_csv(..., dtype={{{column!r}: str}}) for each",
            DataWarning,
            stacklevel=user_stacklevel(),
        )
    return df, normal


def groups_on_normal_values(finder, df, normal, entity, columns) -> list:
    """The groups of ``finder`` on shared values (``group_by=`` ``columns``, read as
    attributes) whose sharing the normal log's entities share: at least half of a group's
    own values (those at least half of its members hold in ``df``) are private values
    (held by no more than :func:`~oddseq.encode._context.public_bar` of ``df``'s entities
    with one) that two or more entities of ``normal`` hold too (a company's card, its
    office's machines), or one entity of ``normal`` holds two or more of them, at least
    half, as its everyday values (:func:`_a_colleague`): (row of
    ``finder.groups_``, its vetted values as ``(column, value, vetted entities holding
    it)``, that colleague or None) for each.

    A corporate desk's staff book on the company's card from the office's machines, and
    with ``group_by=["device_id", "payment_fp"]`` each desk was a group ranked as a ring.
    Two colleagues vetted in ``normal=`` on the very card are no group of their own there
    (a pair), so the desk's group was held by nothing the normal log's search found: 21
    of 68 held-out staff stayed ring members (TR s63 M4). A ring's own cards and phones are
    held by no vetted entity; one address it shares with vetted people (a carrier's
    gateway beside its two cards and two phones) is one of its values, not most of them
    (review RV s63 H2)."""
    from .encode._context import public_bar

    columns = [c for c in columns if c in normal.columns and c in df.columns]
    if not len(finder.groups_) or not columns:
        return []
    several = len(columns) > 1
    # each group's values as (column, value) pairs (several columns: (column, value)
    # labels; one: the value alone)
    wanted = {}
    for gid, group in finder.groups_.iterrows():
        labels = [_hashable_label(o) for o in group["objects"]]
        wanted[gid] = [o if several and isinstance(o, tuple) else (columns[0], o) for o in labels]
    # one pass per column: the entities of df and of normal on the groups' values
    holders, vetted, public = {}, {}, set()
    for column in columns:
        values = {v for pairs in wanted.values() for c, v in pairs if c == column}
        if not values:
            continue
        pairs = df[[entity, column]].dropna().drop_duplicates()
        bar = public_bar(int(pairs[entity].nunique()))
        held = pairs[column].value_counts(sort=False)
        public.update((column, v) for v in held.index[held.to_numpy() > bar] if v in values)
        mine = pairs[pairs[column].isin(values)]
        for value, who in mine.groupby(column, sort=False)[entity]:
            holders[(column, value)] = set(who)
        theirs = normal[[entity, column]].dropna().drop_duplicates()
        theirs = theirs[theirs[column].isin(values)]
        for value, who in theirs.groupby(column, sort=False)[entity]:
            vetted[(column, value)] = set(who)
    out, colleagues = [], {}
    for gid, group in finder.groups_.iterrows():
        members = set(group["members"])
        own = [
            pair
            for pair in wanted[gid]
            if 2 * len(holders.get(pair, set()) & members) >= len(members)
        ]
        private = [pair for pair in own if pair not in public and pair in vetted]
        shared = [pair for pair in private if len(vetted[pair]) >= 2]
        if own and 2 * len(shared) >= len(own):
            out.append((int(gid), [(c, v, len(vetted[(c, v)])) for c, v in shared], None))
            continue
        found = _a_colleague(private, vetted, len(own))
        if found is not None:
            colleagues[int(gid)] = found
    # (one pass over the normal log for every group's colleague)
    everyday = _everyday_values(normal, entity, colleagues.values())
    for gid, (who, pairs) in colleagues.items():
        if everyday.get((who, tuple(pairs)), False):
            out.append((gid, [(c, v, len(vetted[(c, v)])) for c, v in pairs], who))
    return sorted(out, key=lambda found: found[0])


def _a_colleague(private, vetted, n_own: int):
    """(entity, its values): of a group's ``private`` values held by normal entities
    (``vetted``: value -> its holders there), the one vetted entity that holds the most
    of them and those it holds, where it holds two or more and at least half of the
    group's ``n_own`` values: a colleague on the team's card and machines, where they are
    its everyday ones too (:func:`_everyday_values`; a travel trial's desks of 3-6 with
    one colleague vetted stayed rings, 20 of them at 12,000 accounts, TR s64 H1); else
    None. One value alone (a stolen card its vetted owner uses too) is no colleague's."""
    counts = {}
    for pair in private:
        for who in vetted[pair]:
            counts[who] = counts.get(who, 0) + 1
    if not counts:
        return None
    best = max(counts, key=lambda who: (counts[who], str(who)))
    if counts[best] < 2 or 2 * counts[best] < n_own:
        return None
    return best, [pair for pair in private if best in vetted[pair]]


def _everyday_values(normal, entity, colleagues) -> dict:
    """(entity, values) -> whether at least half of the entity's events in ``normal``
    that have a value in the values' columns are on one of them: its everyday values (a
    colleague's card and machines), not a ring's phone and card that a vetted account
    (an insider, a takeover) touched on two events (review RV s64 M3), nor its events
    without a card where only payments carry one (RV s64b N3). One scan of ``normal``
    for all of them."""
    colleagues = list(colleagues)
    if not colleagues:
        return {}
    rows = normal[normal[entity].isin({who for who, _ in colleagues})]
    by_entity = {who: part for who, part in rows.groupby(entity, sort=False)}
    out = {}
    for who, pairs in colleagues:
        part = by_entity.get(who)
        if part is None or not len(part):
            continue
        columns = sorted({c for c, _ in pairs})
        valued = part[columns].notna().to_numpy().any(axis=1)
        on = np.zeros(len(part), dtype=bool)
        for column in columns:
            on |= part[column].isin([v for c, v in pairs if c == column]).to_numpy()
        out[(who, tuple(pairs))] = bool(valued.any()) and 2 * int(on.sum()) >= int(valued.sum())
    return out


def _hashable_label(label):
    """An object's label as a set member (a (column, value) pair of several columns)."""
    return tuple(label) if isinstance(label, list) else label


#: Why a group the search found is no group where the normal log holds it too (its
#: candidate's ``why_not``).
NORMAL_HOLDS_IT = "the normal log holds it too"
# Where those groups are kept (the shell has no pipeline: left out there, TR s60 L1).
NORMAL_HELD_RECORD = ". pipeline.groups_.candidates_ lists them (why_not)"


def drop_normal_groups(finder, held, vetted=None) -> None:
    """``held``'s groups (:func:`groups_the_normal_log_holds`) and ``vetted``'s (group:
    its values the normal log's entities hold, :func:`groups_on_normal_values`) made no
    groups, said: each reason's count, and the values vetted entities hold (the analyst
    sees which card cleared which group; review RV s63 L4)."""
    vetted = vetted or {}
    dropped = list(held) + [g for g in vetted if g not in held]
    if not dropped:
        return
    members = int(finder.groups_.loc[dropped, "n_members"].sum())
    sizes = {g: int(finder.groups_.loc[g, "n_members"]) for g in vetted}
    finder._drop(dropped, NORMAL_HOLDS_IT)
    why = []
    if held:
        why.append(
            f"{_groups_word(len(held))} where the normal log holds groups of the same "
            "members, or of a like size on much the same objects, or a segment of its "
            "population on them (a team at work, an office's lunch orders, a carrier's "
            "customers)"
        )
    if vetted:
        shown = [_vetted_words(sizes[g], values, who) for g, (values, who) in vetted.items()]
        more = len(vetted) - _VETTED_SHOWN
        why.append(
            f"{_groups_word(len(vetted))} where the normal log's entities hold most of the "
            "values a group's members share (a company's card and machines: "
            + "; ".join(shown[:_VETTED_SHOWN])
            + (f"; {more} more" if more > 0 else "")
            + ")"
        )
    warnings.warn(
        f"{len(dropped)} group(s) of the log scored ({members:,} members) are no groups: "
        + "; ".join(why)
        + "; their members keep their own scores"
        + NORMAL_HELD_RECORD,
        DataWarning,
        stacklevel=user_stacklevel(),
    )


# The groups, and each group's values, that the warning of vetted values names.
_VETTED_SHOWN = 3


def _vetted_words(size: int, values, who) -> str:
    """One group of the vetted-values warning: its size and values, with how many vetted
    entities hold each, or the one vetted colleague who holds them (``who``)."""
    if who is None:
        said = [f"{c} {_shown(v)} (held by {n} vetted)" for c, v, n in values[:_VETTED_SHOWN]]
    else:
        said = [f"{c} {_shown(v)}" for c, v, _ in values[:_VETTED_SHOWN]]
    if len(values) > _VETTED_SHOWN:
        said.append(f"{len(values) - _VETTED_SHOWN} more")
    words = f"{size} members on " + ", ".join(said)
    return words if who is None else f"{words}, all held by vetted {_shown(who)}"


def _shown(value) -> str:
    """A value as the warning shows it: as Python writes it, a long one shortened."""
    value = _plain(value)
    return repr(shorten(value)) if isinstance(value, str) else repr(value)


def _plain(value):
    """A value as Python writes it (numpy's scalars as their number: 17, not
    np.int64(17))."""
    return value.item() if isinstance(value, np.generic) else value


def _groups_word(n: int) -> str:
    return "1 group" if n == 1 else f"{n} groups"


# A table of sessions whose flags fall on this many times the false-alarm rate's share
# of its entities or more (and at least SPREAD_MIN of them) is said to spread: the rate
# is a share of sessions, and an entity of k sessions has k chances to be flagged.
# Measured (benchmarks/session_spread.py; RESULTS.md, "Forty-third session"): the
# Taobao head's 30-minute sessions flagged 1.65% of its sessions and 18.5% of its users,
# a make_ecommerce log with nothing planted 3.0% and 13.2%; the rate divided by the
# sessions an entity has brought them to 2.1% and 4.3%, but hardly moved the
# marketplace's moved-down cuts (5.5% -> 5.2%) and an API log's (30.7% -> 25.8%, trial
# s43c): the advice is contamination=, the exact count it promises. Ten times at first
# (five said it of the marketplace's 5.4-5.5%, where the divided rate it advised then
# hardly moved); five since the advice is that count: a ticketing trial's accounts were
# 6.6% flagged at a 1% rate, silent, and the advice took its F1 0.649 -> 0.893 (TR s47b
# M6; RESULTS.md, "Forty-eighth session").
SPREAD_RATIO, SPREAD_MIN = 5.0, 20


def session_spread_counts(table: pd.DataFrame) -> np.ndarray:
    """Of a ranked ``table`` of sessions (its index's first level the entity): (sessions,
    entities, entities with a flagged session), what :func:`warn_session_spread` reads;
    oddseq.dask sums its partitions' (an entity's sessions lie in one partition)."""
    entities = table.index.get_level_values(0)
    flagged = table["is_anomaly"].to_numpy(bool)
    counts = [len(table), entities.nunique(), entities[flagged].nunique()]
    return np.array(counts, dtype=np.int64)


def warn_session_spread(counts, rate, normal: bool = False) -> None:
    """A :class:`DataWarning` where the flags of a table of sessions fall on many of its
    entities (``counts``: :func:`session_spread_counts`) against the false-alarm
    ``rate`` the cut was set at (None: a share or a rate was given, nothing said: the
    analyst chose it): the rate is per session, so an entity of many sessions is flagged
    far more often than that, and an analyst who reads the table by entity acts on them
    all. It names what gives about ``rate`` of the entities: unsupervised, the share
    ``contamination=`` (the automatic cut reads a group apart at the top as anomalies
    whatever the rate); with ``normal`` (a model fitted on normal data, which refuses a
    share), the per-session ``false_alarm_rate=``, a quantile of held-out normal scores
    that holds as given (trial s44a H3: the share it advised there was refused)."""
    n_sessions, n_entities, n_flagged = (int(c) for c in counts)
    if rate is None or n_entities == 0:
        return
    share = n_flagged / n_entities
    if n_flagged < SPREAD_MIN or share < SPREAD_RATIO * rate:
        return
    per_entity = n_sessions / n_entities
    fewer = rate / max(per_entity, 1.0)
    if normal:
        advice = (
            f"false_alarm_rate={fewer:.2g} (--false-alarm-rate {fewer:.2g} from the shell) "
            f"sets the cut at that share of normal sessions, about {rate * 100:g}% of the "
            "normal entities (those with odd sessions stay flagged)"
        )
    else:
        advice = (
            f"contamination={fewer:.2g} (--contamination {fewer:.2g} from the shell) flags "
            f"that share of the sessions, at most {rate * 100:g}% of the entities (the top "
            "sessions: a lower false-alarm rate can leave a group of sessions at the top "
            "flagged, as the automatic cut reads a group apart as anomalies)"
        )
    warnings.warn(
        f"the flagged sessions belong to {n_flagged:,} of the {n_entities:,} entities "
        f"({share:.1%}): the false-alarm rate ({rate:g}) is a share of sessions, and an "
        f"entity of {per_entity:.1f} sessions on average has as many chances to be "
        f"flagged. {WHOLE_ENTITIES}; to keep the sessions and flag fewer, {advice}",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


# The session warning's first advice: a share of the sessions keeps the top sessions,
# and the sessions of a bot that does the same thing all day are many alike, a mode of
# their own under the top (TR s49 M2, a travel log: at the share advised, 63 of 6,265
# users flagged, every one odd, but 0 of 26 fare scrapers; whole entities 26 of 26).
# Said first since a second travel trial followed the share it led with: F1 0.27 ->
# 0.44 and every scraper and review ring lost (TR s64 M4).
WHOLE_ENTITIES = (
    "Where you act on entities, not sessions, score whole entities (without session_gap; "
    "from the shell, without --session-gap): a bot whose sessions are all alike is a mode "
    "of sessions, under the top that a small share of sessions flags"
)


# A side attribute without a long tail away from zero, skewed this much, is read on its
# own scale, not the log's (AnomalyPipeline._side_linear): an exponential's skewness is 2,
# a uniform's and a normal's 0.
SIDE_LOG_SKEW = 1.0


# The flags of a log whose short entities are a small minority: where at least this share
# of them (and SHORT_FLAGS_MIN or more) have fewer than _reasons._FEW_EVENTS events and
# that share is SHORT_FLAGS_RATIO times or more the short entities' share of the log,
# a warning says so. Measured (benchmarks/RESULTS.md, "Short entities among the flags"):
# a shop of 3,000 users, 3.4-4.1% of them with under 5 events, 24-74% of the flags
# (5.8-20x; trial s42); make_ecommerce, make_marketplace with and without anomalies,
# REES46 users and sessions, YOOCHOOSE, Diginetica and Taobao at most 12% and 3.8x.
SHORT_FLAGS_SHARE, SHORT_FLAGS_RATIO, SHORT_FLAGS_MIN = 0.2, 5.0, 5


def _outside_groups(table: pd.DataFrame) -> np.ndarray:
    """Which rows of a ranked table are in no group (members are flagged for theirs)."""
    if "group" in table:
        return table["group"].to_numpy() < 0
    return np.ones(len(table), dtype=bool)


def short_flag_counts(table: pd.DataFrame, seqs: Sequences) -> np.ndarray:
    """Of the rows of a ranked ``table`` of ``seqs`` (its index the sequences' ids)
    outside groups (group members are flagged for their group, and those min_events left
    out are listed for it): (flagged, flagged of fewer than ``_reasons._FEW_EVENTS``
    events, of that few, all): what :func:`warn_short_flags` reads; oddseq.dask sums
    its partitions'."""
    outside = _outside_groups(table)
    flags = table["is_anomaly"].to_numpy(bool) & outside
    lengths = pd.Series(np.asarray(seqs.lengths), index=seqs.ids).reindex(table.index)
    short = (lengths.to_numpy(dtype=np.float64) < _reasons._FEW_EVENTS) & outside
    shared = 0
    if "reason" in table and (flags & short).any():  # (searched among the short flags)
        reasons = table["reason"][flags & short].astype(str)
        shared = int(reasons.str.contains(SHARED_FACTS, regex=True).sum())
    counts = [flags.sum(), (flags & short).sum(), short.sum(), outside.sum(), shared]
    return np.array(counts, dtype=np.int64)


#: The words a reason says a count of an event type with where most entities, or the
#: entities like it, never do that type (:data:`oddseq._reasons.RARE_COUNT_WORDS`).
RARE_COUNT_WORDS = _reasons.RARE_COUNT_WORDS
#: A reason led by one event of a type that most entities, or those like it, never do
#: ("count[change_phone] 1 (most entities have none)", "count[cancel] 1 (entities like it
#: have 0)"): its type. (The second words are the same fact in the K-means member's
#: terms; read in the first alone, 33 of a music service's 39 flagged churners went
#: uncounted and nothing was said: trial TR s58 H1.)
ONE_OFF_LEAD = rf"^count\[(.+?)\] 1 {RARE_COUNT_WORDS}"
# one_off_flag_counts' warning: where such flags are at least this share of the flags and
# this many (TR s53 H1: 53 of 101 and 81 of 167 flags, every user who changed their phone
# or email once, in the takeovers' words).
ONE_OFF_SHARE, ONE_OFF_MIN = 0.2, 5


def one_off_flag_counts(table: pd.DataFrame, seqs: Sequences) -> tuple[int, pd.Series]:
    """Of the flagged rows of a ranked ``table`` of ``seqs`` outside groups (members are
    flagged for their group): (how many, {event type: how many of them, of at least
    ``_reasons._FEW_EVENTS`` events, are flagged first for one event of that type, which
    most entities, or the entities like it, never do (``RARE_COUNT_WORDS``), and name no
    second such count}): what :func:`warn_one_off_flags` reads; oddseq.dask adds up its
    partitions'. One act in a history of a few events is the history (the short-flag
    warning's; a log of one sequence per row is all such types)."""
    flags = table["is_anomaly"].to_numpy(bool) & _outside_groups(table)
    n = int(flags.sum())
    if not n or "reason" not in table:
        return n, pd.Series(dtype=np.int64)
    lengths = pd.Series(np.asarray(seqs.lengths), index=seqs.ids).reindex(table.index)
    flags &= lengths.to_numpy(dtype=np.float64) >= _reasons._FEW_EVENTS
    reasons = table["reason"][flags].astype(str)
    lead = reasons.str.extract(ONE_OFF_LEAD, expand=False)
    alone = reasons.str.count(RARE_COUNT_WORDS) == 1
    return n, lead[lead.notna() & alone].value_counts().astype(np.int64)


def _types_by_count(types: pd.Series) -> str:
    """Event types with their counts in a warning, the first three named, by count, then
    by the type's text (the same words whatever the rows' or the partitions' order)."""
    named = sorted(types.items(), key=lambda pair: (-int(pair[1]), str(pair[0])))
    listed = ", ".join(f"{shorten(str(t))} {int(c):,}" for t, c in named[:3])
    return listed + (f" and {len(named) - 3:,} more types" if len(named) > 3 else "")


def warn_one_off_flags(n: int, types: pd.Series, rows: str = "entities") -> None:
    """A :class:`DataWarning` where the flags are filled by entities flagged first for
    one event of a type most never do, and no second such event (``n`` flags, ``types``:
    :func:`one_off_flag_counts`): a routine act done once by a few percent of the users (a
    changed phone number, an office's group order) reads as rare as an attack, and its
    reason is word for word an attack's first phrase (TR s53 H1; README: "any event type
    that a few percent of users do"). It names the types and the route that makes such an
    event usual: fitting on known-good entities (``normal=``), which brought the trial's
    53 and 81 such flags to 6 and 15. The counts cannot tell such an act from a system
    log's error template that broken blocks alone write (every doer flagged in both: the
    trial's changers 53 of 53, review RV s58 H1), so it is said there too, in words that
    leave the call to the reader."""
    k = int(types.sum()) if len(types) else 0
    if k < ONE_OFF_MIN or k < ONE_OFF_SHARE * n:
        return
    listed = _types_by_count(types)
    warnings.warn(
        f"{k:,} of the {n:,} flagged {rows} are flagged first for one event of a type "
        f"most {rows}, or {rows} like them, never do, and for no second such event "
        f"({listed}): one routine act "
        "(a changed phone number, an office's group order) reads as rare as an attack's "
        "first step, in the same words. Read their reasons before acting on them; where "
        f"such an event is routine, fit on known-good {rows} (normal=..., oddseq detect "
        "--normal FILE), whose own such events make it usual.",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


#: A reason's phrase that says a count of an event type most entities, or its peers,
#: never do ("count[update_address] 3 (most entities have none)", "count[pay_boost] 103
#: (entities like it have 0)"), and the count's type.
RARE_COUNT_PHRASE = re.compile(
    rf"^count\[(.+?)\] [\d,]+ {RARE_COUNT_WORDS}(?:{_reasons.COUNT_SHARE_WORDS})?$"
)
# rare_only_flag_counts' warning: where such flags are at least this share of the flags
# and ONE_OFF_MIN of them. Measured shares (one call, random_state=0; busy or not): an
# online bank's business customers 40-76% of the flags (TR s55), a classifieds site's
# dealers 46% (TR s54's own table, item= and value=, its release); where they were mostly
# planted kinds, a held-out shop's 28-30% (takeovers, scalpers), held-out accounts' 20%
# (service accounts), web 8%, game 0%.
RARE_ONLY_SHARE = 0.4
# ... of entities of at least this many times the median length (busy ones).
BUSY_LENGTHS = 2.0


def rare_only_flag_counts(
    table: pd.DataFrame, seqs: Sequences, median_length: float | None = None
) -> tuple[int, int, pd.Series]:
    """Of the flagged rows of a ranked ``table`` of ``seqs`` outside groups: (how many;
    how many, of at least ``_reasons._FEW_EVENTS`` events and ``BUSY_LENGTHS`` times the
    sequences' median length (busy), have a reason made only of
    counts of event types most entities (or its peers) never do, other than one such
    event alone (:func:`one_off_flag_counts`' kind); {event type: how many of those name
    it}): what :func:`warn_rare_only_flags` reads; oddseq.dask adds up its partitions',
    each given the whole log's ``median_length`` (else the median of ``seqs``')."""
    flags = table["is_anomaly"].to_numpy(bool) & _outside_groups(table)
    n = int(flags.sum())
    if not n or "reason" not in table:
        return n, 0, pd.Series(dtype=np.int64)
    lengths = pd.Series(np.asarray(seqs.lengths), index=seqs.ids).reindex(table.index)
    # busy entities alone (at least BUSY_LENGTHS times the median length of the
    # sequences): a system log's broken block is flagged for its rare error types too,
    # and those are its anomaly (a test's HDFS-like log: 14 of 30 flags), where a bank's
    # business customers have 6.5 times the median (TR s55)
    if median_length is None:
        median_length = float(np.median(np.asarray(seqs.lengths))) if len(seqs) else 0.0
    busy = BUSY_LENGTHS * median_length
    flags &= lengths.to_numpy(dtype=np.float64) >= max(_reasons._FEW_EVENTS, busy)
    named = []
    for reason in table["reason"][flags].astype(str):
        phrases = re.sub(r" \(rests on [\d,]+ events?\)$", "", reason).split("; ")
        # (the count with_volume adds after rare counts alone is no other reason: a busy
        # business customer's 400 transfers would silence the warning meant for it)
        phrases = [
            p for p in phrases if RARE_COUNT_PHRASE.match(p) or not _reasons.VOLUME_PHRASE.match(p)
        ]
        found = [RARE_COUNT_PHRASE.match(p) for p in phrases]
        if not all(found) or len(found) == 1 and re.match(r"^count\[.+?\] 1 \(", reason):
            continue  # (one act alone: the one-off warning's)
        named.append([m.group(1) for m in found])
    types = pd.Series([t for one in named for t in one], dtype=object).value_counts()
    return n, len(named), types.astype(np.int64)


def warn_rare_only_flags(n: int, k: int, types: pd.Series, rows: str = "entities") -> None:
    """A :class:`DataWarning` where at least ``RARE_ONLY_SHARE`` (0.4) of the ``n`` flags (and
    ``ONE_OFF_MIN``) are ``k`` entities flagged only for counts of event types most
    entities never do (:func:`rare_only_flag_counts`; ``types``: how many name each
    type): nothing else in their behaviour is odd, and a busy legitimate kind that does
    such acts often (an online bank's business customers, TR s55: 48-78 of the flags; a
    marketplace's dealers, TR s54 H3) reads word for word as an attack's acts. It names
    the types and the route that makes them usual: fitting on known-good entities of
    that kind too (``normal=``)."""
    if k < ONE_OFF_MIN or k < RARE_ONLY_SHARE * n:
        return
    listed = _types_by_count(types)
    warnings.warn(
        f"{k:,} of the {n:,} flagged {rows} are flagged only for counts of event types "
        f"most {rows}, or {rows} like them, never do ({listed}), nothing else in their "
        "reasons: a busy "
        "legitimate kind that does such acts often (business customers, dealers, service "
        "accounts) reads the same as an attack's acts. Read a few of them; where those "
        f"acts are routine for a kind of user, fit on known-good {rows} that include "
        "that kind (normal=..., oddseq detect --normal FILE).",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


#: A reason that says what the entity shares with others: a side column's value
#: (say_shared_values: "41 entities on ip 104.73.124.190, where 1 is usual") or a crowd
#: on one of its items in an hour ("30 entities on com.app178 between 19:00 and ...").
SHARED_FACTS = r"\d[\d,]* entities on .+, where [\d.,]+ is usual"


def _rows_are(session_gap) -> str:
    """What a table's rows are, in a message: sessions where ``session_gap`` cut them."""
    return "entities" if session_gap is None else "sessions"


def warn_short_flags(counts, rows: str = "entities") -> None:
    """A :class:`DataWarning` where entities of few events, a small minority of the
    table, fill the flags (``counts``: :func:`short_flag_counts`): being short is rare
    there, so a density detector reads it as odd, while each such verdict rests on a few
    events. Group members are left out (flagged for their group). It says both readings:
    short can be the anomaly (hdfs_100k's blocks cut short by an exception: 122 of 123
    short flags, where min_events=5 took ecod's true flags from 154 of 159 to 34 of 277,
    trial s42b; a ring's short rounds with groups=False) or noise (a shop's one-view
    users), and names the option for the latter. ``rows``: what the table's rows are
    ("entities", "sessions")."""
    n, k, n_short, n_rows = (int(c) for c in counts[:4])
    shared = int(counts[4]) if len(counts) > 4 else 0
    log_share = n_short / max(n_rows, 1)
    if k < SHORT_FLAGS_MIN or k < SHORT_FLAGS_SHARE * n or k < SHORT_FLAGS_RATIO * log_share * n:
        return
    few = _reasons._FEW_EVENTS
    # (TR s52 H2: 50 fresh device ids of a farm on 3 datacenter IPs, 3 events each, were
    # the short flags; the advice alone would have left the whole farm out of the table)
    together = (
        f" {shared:,} of them share a value or an hour's item with others, which their "
        'reasons name ("41 entities on ip ..., where 1 is usual"): short and shared is how '
        "a farm's fresh accounts look, so read those before leaving short "
        f"{rows} out."
        if shared
        else ""
    )
    warnings.warn(
        f"{k:,} of the {n:,} flagged {rows} have fewer than {few} events ({k / n:.0%} of "
        f"the flags; {log_share:.1%} of the {rows} ranked): short {rows} are rare in this "
        "log, and rarity is what the detector scores. Short can be the point (a system's "
        "session cut short by a failure, a card tester's one purchase) or noise (one view of "
        f"one item): their reasons say which.{together} Where they are noise, "
        f"min_events={few} (oddseq detect --min-events {few}) judges only {rows} with "
        "enough events and leaves the others out of the table",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


# normal-only fitting's support rule: the normal range widened by this share of its span
# on each side before a scored entity is outside it (AnomalyPipeline._support_rule).
_SUPPORT_MARGIN = 0.05


def side_tables(
    df,
    normal,
    entity_features,
    normal_entity_features,
    context,
    session_gap,
    roles,
    reading,
    features=None,
):
    """detect_anomalies' side tables (the fitted log's, the scored log's):
    ``entity_features`` (``normal_entity_features`` for the normal log), with
    ``context=`` each log's context features joined to them (:func:`_context_sides`;
    ``features``: how a log's are read, one machine's by default, oddseq.dask's over
    partitions)."""
    if normal_entity_features is not None and normal is None:
        raise ValueError(
            "normal_entity_features are the side attributes of the normal= log: give "
            "normal= too, or pass the table as entity_features"
        )
    fit_side = entity_features if normal_entity_features is None else normal_entity_features
    score_side = entity_features
    if context is not None and session_gap is not None:
        raise ValueError(
            CONTEXT_WITH_SESSIONS + ". Score whole entities with context= (leave out "
            "session_gap), or give per-session attributes as entity_features"
        )
    if context is None:
        return fit_side, score_side
    return _context_sides(df, normal, context, (fit_side, score_side), roles, reading, features)


def _context_features(frames, entity, columns, time, event=None, kept=None, **reading) -> list:
    """One machine's context tables of logs (their times read as the sequences read
    them), each value's sharers counted over all of them; with ``event``, the types done
    only on brief values too; ``kept``: a dict that gets the reasons' facts of the last
    log (``kept["facts"]``, per column: the few entities above the usual, from the same
    pass, :func:`say_shared_values`; and the types each did only on brief values)."""
    from .encode._context import log_pairs, tables_from_pairs

    with warnings.catch_warnings():  # (the sequences said what the times hold)
        warnings.simplefilter("ignore")
        # (an id of blank text is missing, as the sequences read it: no entity, no sharer)
        logs = [
            log_pairs(
                _timed_for_groups(without_blank_ids(frame, (entity,)), time, **reading),
                entity,
                columns,
                time,
                event,
                **reading,
            )
            for frame in frames
        ]
    facts = None if kept is None else kept.setdefault("facts", {})
    return tables_from_pairs(logs, entity, columns, timed=time is not None, facts=facts)


#: The kinds of feature ``context=`` makes of a side column (encode/_context.py).
CONTEXT_KINDS = ("values", "sharing", "brief_share", "brief_types")


def context_record(pipeline, context, entity, time, reading=None, event=None) -> dict:
    """What a model fitted with ``context=`` keeps of it (``AnomalyPipeline.context_``):
    the side columns, the entity and time columns they were read with and the time
    reading options not at their defaults (``reading``: time_unit, time_format,
    dayfirst), the event column where it read the types done only on brief values
    (``event``), so that a later log's side table can be read the same way (oddseq score);
    and ``"given"``, the columns of the caller's own ``entity_features`` fitted beside
    them (which a later log's side table must hold too: oddseq score's
    --entity-features)."""
    columns = context_in_order(context, bool)
    made = {f"{kind}[{c}]" for c in columns for kind in CONTEXT_KINDS}
    fitted = pipeline._side_table().columns
    given = [c for c in fitted if c not in made]
    # (the event column where the types done only on brief values were read: a model of
    # an older release has none, and a later log's table is read as it was)
    typed = any(f"brief_types[{c}]" in fitted for c in columns)
    defaults = {"time_unit": "s", "time_format": None, "dayfirst": None}
    reading = {k: v for k, v in (reading or {}).items() if k in defaults and v != defaults[k]}
    return {
        "columns": columns,
        "entity": entity,
        "time": time,
        "event": event if typed else None,
        "reading": reading,
        "given": given,
    }


def context_call(context) -> str:
    """The call that reads a later log's side table as a model's ``context_`` says:
    "oddseq.encode.context_features(log, 'user', ['device'], 'ts')", its reading options
    after, and ".join(side)" where the caller's own columns were fitted beside them."""
    args = [repr(context["entity"]), repr(context["columns"])]
    if context["time"] is not None:
        args.append(repr(context["time"]))
    if context.get("event") is not None:
        args.append(f"event={context['event']!r}")
    args += [f"{k}={v!r}" for k, v in (context.get("reading") or {}).items()]
    call = f"oddseq.encode.context_features(log, {', '.join(args)})"
    given = context.get("given") or []
    return call + (f".join(side[{given!r}])" if given else "")


def context_named(table, context) -> list:
    """The side columns of ``context`` whose sharing a reason of ``table`` names."""
    if "reason" not in table or not len(table):
        return []
    reasons = table["reason"].astype(str)

    def named(column) -> bool:
        return bool(reasons.str.contains(_sharing_words(column), regex=False).any())

    return context_in_order(context, named)


def context_in_order(context, keep) -> list:
    """The side columns ``context`` names (one name or several), in its order, for which
    ``keep(column)`` holds (:func:`context_named`, and oddseq.dask's over partitions)."""
    return [c for c in ([context] if isinstance(context, str) else list(context)) if keep(c)]


def _sharing_words(column) -> str:
    return _reasons.reason_name(f"sharing[{column}]")


def say_shared_values(table, facts) -> pd.DataFrame:
    """``table`` (the one call's, ``context=`` given) with each reason that names a side
    column's sharing (``sharing[<column>]``, "entities on its most shared country, times
    a country's usual 1.25") followed by the value and the counts behind it: "10
    entities on country VN, where 8 is usual" (TR s49 L1, TR s48 L12: the ratio alone
    read as noise). ``facts``: {column: :func:`oddseq.encode._context.sharing_facts`
    of the logs the sharers were counted over}; an entity without them (its value no
    more shared than the usual) keeps its reason as it is."""
    from .encode._crowd import usual_words

    if "reason" not in table or not len(table) or not facts:
        return table
    reasons = table["reason"].astype(str)  # (searched; the rows not said keep theirs)
    out = table["reason"].to_numpy(dtype=object).copy()
    for column, (found, usual) in facts.items():
        words = _sharing_words(column)
        said = np.flatnonzero(reasons.str.contains(words, regex=False).to_numpy(bool))
        at = found.index.get_indexer(table.index[said])
        said, at = said[at >= 0], at[at >= 0]
        if not said.size:
            continue
        # (each value's words once: a shared IP's entities say the same)
        codes, values = pd.factorize(found["value"].to_numpy(dtype=object)[at])
        named = [shorten(str(v)) for v in values]
        usual_said = usual_words(usual)
        for row, code, sharers in zip(said, codes, found["sharers"].to_numpy()[at]):
            told = f"{sharers:,} entities on {column} {named[code]}, where {usual_said} is usual"
            out[row] = _reasons.with_facts(out[row], words, told)
    table = table.copy()
    table["reason"] = out
    return table


def say_brief_types(table, facts) -> pd.DataFrame:
    """``table`` with each reason that names ``brief_types[<column>]`` ("event types done
    only on a device of one day in a longer history, beyond chance 2.9 (typical 0)")
    followed by those types: ": change_password, change_phone, post_listing", what an
    analyst confirms a takeover by (TR s54 M3: no takeover's reason named them); where a
    second column's are the same (a device's and a country's night), ": the same"
    (TR s55). ``facts``: the context
    tables' facts, whose ``TYPES_FACTS`` entry holds, per column, the types by entity
    (:class:`oddseq.encode._context.BriefTypes`); an entity without them keeps its
    reason."""
    from .encode._context import TYPES_FACTS

    found = (facts or {}).get(TYPES_FACTS) or {}
    if "reason" not in table or not len(table) or not found:
        return table
    reasons = table["reason"].astype(str)
    out = table["reason"].to_numpy(dtype=object).copy()
    # (row: [(where its words stand in the reason, the words, the types)], one per column)
    lists: dict = {}
    for column, types in found.items():
        words = _reasons.reason_name(f"brief_types[{column}]")
        said = np.flatnonzero(reasons.str.contains(words, regex=False).to_numpy(bool))
        at = types.index.get_indexer(table.index[said])
        for row, k in zip(said[at >= 0], at[at >= 0]):
            lists.setdefault(row, []).append((reasons.iat[row].find(words), words, types.text(k)))
    # In the order the reason reads them: "the same" refers back to the list said just
    # before it (the columns taken in the facts' order put "the same" of a city before
    # the device's list it meant: TR s59 L1).
    for row, said in lists.items():
        previous = None
        for _, words, text in sorted(said):
            out[row] = _reasons.with_facts(
                out[row], words, "the same" if text == previous else text
            )
            previous = text
    table = table.copy()
    table["reason"] = out
    return table


def joined_side(table, entity_features, entity, every=False) -> pd.DataFrame:
    """A log's context table (``table``, marked) joined to the caller's side table
    ``entity_features`` (checked as fit checks it; a column of both refused): every entity
    of either, the log's keeping their context where the caller's table lacks them (its
    gaps are then its own, said as such), and a table keyed by something else keeping its
    few matches, refused as without context= (fit refuses so few); ``every``: every
    entity of either whatever the match (a scored log, which is not refused for gaps:
    its entities keep their context, RV s54b H2)."""
    given = _checked_side(entity_features, entity)
    clash = [c for c in table.columns if c in given.columns]
    if clash:
        raise ValueError(
            f"entity_features has columns {clash} that context= adds; rename them, or "
            "leave those columns out of entity_features"
        )
    joined = given.reindex(given.index.union(table.index, sort=False)).join(table)
    if not every and given.index.isin(table.index).sum() < _SIDE_MIN_SHARE * len(table):
        joined = given.join(table, how="left")  # (refused by fit's coverage check)
    joined.attrs.update(given.attrs)
    joined.attrs[CONTEXT_MARK] = table.attrs[CONTEXT_MARK]
    return joined


def _context_sides(df, normal, context, sides, roles, reading, features=None):
    """detect_anomalies' side tables with ``context=``: (the fitted log's, the scored
    log's), each its log's context features (``features``, one machine's by default;
    with ``normal``, each value's sharers counted over both logs: a normal log of half
    the accounts would read half the sharers on every shared IP) joined to its side
    table of ``sides`` (the fitted log's, the scored log's: its rows, so that its ids
    are checked as they are without ``context``)."""
    from .encode._context import context_columns

    columns = context_columns(context, df, roles)
    if normal is not None:
        context_columns(columns, normal, roles, "context (in normal)")
    entity, time = roles["entity"], roles["time"]
    features = _context_features if features is None else features

    def side(table, entity_features, what):
        # (marked as context='s own: its gaps are said in its words, _warn_side_gaps)
        table.attrs[CONTEXT_MARK] = list(columns)
        empty = [c for c in columns if table[f"values[{c}]"].isna().all()]
        if empty and len(table):
            raise ValueError(
                f"context names columns with no value in {what}log: {empty}; leave them "
                "out of context"
            )
        return table if entity_features is None else joined_side(table, entity_features, entity)

    # (the types done only on brief values read the event column where every log has
    # it: one that lacks it is refused later, in the sequences' words, RV s55 M1)
    event = roles.get("event")
    if event is not None and not all(event in f.columns for f in [df, normal] if f is not None):
        event = None
    if normal is None:
        fitted = features([df], entity, columns, time, event=event, **reading)[0]
        fitted = side(fitted, sides[0], "the ")
        return fitted, fitted
    fitted, scored = features([normal, df], entity, columns, time, event=event, **reading)
    return side(fitted, sides[0], "the normal "), side(scored, sides[1], "the ")


def _timed_for_groups(df, time, time_unit, time_format, dayfirst):
    """The log the group stage reads where it reads the log itself (group_by=, or item=
    with session_gap=): times that are not datetimes (numbers, a CSV's text dates,
    Periods) read as the sequences read them (their warnings said once, there), as
    datetimes in their zone; rows whose time is missing (N/A text, kept by dropna's pass)
    left out, as the sequences left them."""
    if time is None or pd.api.types.is_datetime64_any_dtype(df[time]):
        return df
    # (said once, by the sequences: a second reading's warnings counted the rows again,
    # after dropna's, "33,878 times without a zone" then "33,718", TR s47b L10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clock: dict = {}
        ns, bad, tz = parse_times(
            df[time],
            time,
            time_unit=time_unit,
            time_format=time_format,
            dayfirst=dayfirst,
            unit_warning=False,
            clock=clock,
        )
    stamps = pd.DatetimeIndex(ns.view("datetime64[ns]"))
    if tz is not None:
        stamps = stamps.tz_localize("UTC").tz_convert(tz)
    frame = df.copy(deep=False)
    frame[time] = stamps
    # numbers since the epoch, now naive datetimes: UTC's instants, which the group
    # stage's words say as UTC's, not as a naive log's clock (graph._graph.EPOCH_TIMES)
    from .graph._graph import EPOCH_TIMES

    frame.attrs[EPOCH_TIMES] = tz is None and not clock.get("naive")
    return frame if bad is None else frame[~bad]


def _note_group_log(pipeline, seqs: Sequences, fitted: bool) -> None:
    """Note on ``pipeline`` which log its group stage ran on (``seqs``; ``fitted``: the
    log it was fitted on, else one it scored, detect_anomalies' ``normal=``), so that
    explain gives a group's sentence to that log's entities only: the fingerprints of
    the members' sequences (``_group_prints``, saved with the model; explain(seqs, ids)
    compares the sequences given) and the rows explain(ids) reads of it (in memory)."""
    from ._explain import group_log_prints

    pipeline._group_prints = group_log_prints(pipeline, seqs)
    # The sessions that are members (explain(ids) reads them; None: whole entities)
    ids = seqs.ids
    held = group_member_rows(seqs, *group_acts(pipeline.groups_))
    pipeline._group_sessions = ids[held] if isinstance(ids, pd.MultiIndex) else None
    # The members min_events left out, listed for their group (join_groups): their ids
    # and lengths, for explain(ids)
    short = short_member_rows(seqs, pipeline.groups_, pipeline.min_events)
    pipeline._group_short = (ids[short], seqs.lengths[short])
    if fitted:
        rows = pipeline.__dict__.get("_explain_rows", {}).get("fit")
    else:
        rows = getattr(pipeline._last_score(), "rows", None)
    pipeline._group_log_rows = () if rows is None else rows  # (): none kept


def group_acts(finder):
    """(the group members' ids, their acts: the entity of each and its time in ns, in
    the entity's own group) of a fitted GroupDetector; the acts None where it keeps
    none with times (fitted without times, or saved before it kept them)."""
    members = finder.entity_ids_[finder.group_labels_ >= 0]
    acts = getattr(finder, "group_acts_", None)
    if acts is None:
        return members, None
    if not len(acts):
        return members, (pd.Index([]), np.empty(0, dtype=np.int64))
    own = finder.group_of(pd.Index(acts["entity"])) == acts["group"].to_numpy()
    times = pd.DatetimeIndex(acts["time"][own])
    if times.hasnans:
        return members, None
    return members, (pd.Index(acts["entity"][own]), times.as_unit("ns").asi8)


def short_member_rows(seqs: Sequences, finder, min_events: int) -> np.ndarray:
    """The positions of ``seqs`` that are group members (:func:`group_member_rows`) with
    fewer than ``min_events`` events: the rows ``min_events`` leaves out of the table
    that the group stage, which reads every entity, found acting in a group; the table
    lists them for their group (:meth:`AnomalyPipeline.join_groups`)."""
    if min_events <= 1 or not len(seqs):
        return np.empty(0, dtype=np.int64)
    short = seqs.lengths < min_events
    if not short.any():
        return np.empty(0, dtype=np.int64)
    rows = group_member_rows(seqs, *group_acts(finder))
    return rows[short[rows]].astype(np.int64, copy=False)


def short_member_note(lengths, min_events: int) -> np.ndarray:
    """The note a member left out by ``min_events`` is listed with (its reason after the
    group's sentence; explain's ``note``): "3 events, fewer than min_events=5: listed
    for its group, not scored on its own"."""
    return np.array(
        [
            f"{n:,} {'event' if n == 1 else 'events'}, fewer than min_events={min_events}: "
            "listed for its group, not scored on its own"
            for n in np.asarray(lengths).tolist()
        ],
        dtype=object,
    )


def short_member_frame(ids: pd.Index, lengths, min_events: int) -> pd.DataFrame:
    """The unranked rows of the members ``min_events`` left out (``ids``, with
    ``lengths`` events), before the group stage joins them: no score of their own
    (-inf: the group's lift replaces it), no flag or cluster, their note as reason (the
    group's sentence goes before it). oddseq.dask builds its rows with it."""
    n = len(ids)
    return pd.DataFrame(
        {
            "score": np.full(n, -np.inf),
            "is_anomaly": np.zeros(n, dtype=bool),
            "p_normal": np.ones(n),
            "cluster": np.full(n, -1, dtype=CLUSTER_DTYPE),
            "reason": short_member_note(lengths, min_events),
        },
        index=ids,
    )


def group_member_rows(seqs: Sequences, members: pd.Index, acts) -> np.ndarray:
    """The positions of ``seqs`` that are group members: those whose entity is one of
    ``members`` (:func:`group_acts`); where a sequence is a part of its entity (a
    session: ``(entity, session)`` ids), only one that holds one of its entity's acts
    in the group (``acts``: a member's Tuesday browsing is no evidence of a ring that
    acted on Friday). ``acts`` None: every part of a member (a group found without
    times). oddseq.dask joins each partition's members with it."""
    ids = seqs.ids
    keys = ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids
    rows = np.flatnonzero(keys.isin(members))
    if not isinstance(ids, pd.MultiIndex) or acts is None or seqs.times is None:
        return rows
    rows = rows[seqs.offsets[rows + 1] > seqs.offsets[rows]]
    if not rows.size:
        return rows
    # Each part's span: its first and last time.
    times = np.asarray(seqs.times, dtype=np.int64)
    lengths = seqs.offsets[rows + 1] - seqs.offsets[rows]
    cuts = np.zeros(rows.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=cuts[1:])
    events = np.repeat(seqs.offsets[rows] - cuts, lengths) + np.arange(int(lengths.sum()))
    first = np.minimum.reduceat(times[events], cuts)
    last = np.maximum.reduceat(times[events], cuts)
    # The parts holding an act: the acts of their entity within their span, counted
    # by (entity code, time rank) keys, all times ranked together.
    entities = keys[rows].unique()
    part_of = entities.get_indexer(keys[rows]).astype(np.int64)
    act_of = entities.get_indexer(acts[0]).astype(np.int64)
    mine = act_of >= 0
    act_of, act_time = act_of[mine], np.asarray(acts[1], dtype=np.int64)[mine]
    _, rank = np.unique(np.concatenate([act_time, first, last]), return_inverse=True)
    rank = rank.astype(np.int64)
    n_ranks, n_acts = int(rank.max()) + 1, act_time.size
    act_keys = np.sort(act_of * n_ranks + rank[:n_acts])
    lo = np.searchsorted(act_keys, part_of * n_ranks + rank[n_acts : n_acts + rows.size])
    hi = np.searchsorted(act_keys, part_of * n_ranks + rank[n_acts + rows.size :], "right")
    return rows[hi > lo]


#: Set by detect_anomalies while it fits and scores a log it has checked itself
#: (warn_about_the_log, with the DataFrame): fit and score check their sequences
#: otherwise, so every route (AnomalyPipeline.fit, oddseq fit, score) warns once.
_LOG_CHECKED = contextvars.ContextVar("oddseq_log_checked", default=False)
#: The side table given to the score() under way, as (pipeline, table): per thread (a
#: context variable), so threads scoring one model with their own tables do not mix
#: them (kept on the instance, one thread's table was joined to another's entities).
_SIDE_GIVEN = contextvars.ContextVar("oddseq_side_given", default=None)


def _check_the_log(seqs: Sequences, learning: bool = True) -> None:
    """The data-quality warnings of the log (heavy duplication, events outside its main
    time window), unless the caller checked it (``_LOG_CHECKED``); ``learning``: the
    log is fitted on (:func:`warn_about_the_log`), not scored."""
    if not _LOG_CHECKED.get():
        warn_about_the_log(seqs, learning=learning)


def _ends(seqs: Sequences, rows: np.ndarray) -> list:
    """The first and last event labels of ``rows`` (each with events), and their first
    and last times where ``seqs`` has times."""
    first, last = seqs.offsets[rows], seqs.offsets[rows + 1] - 1
    labels = np.asarray(seqs.event_labels, dtype=object)
    ends = [labels[seqs.events[first]], labels[seqs.events[last]]]
    if seqs.times is not None:
        ends += [seqs.times[first], seqs.times[last]]
    return ends


def _warn_if_scoring_what_was_fitted(seqs: Sequences, normal_seqs: Sequences) -> None:
    """Warns when most entities scored are entities of ``normal`` (the same id, length,
    first and last events and times): a model scores what it was fitted on as normal
    (a nearest neighbour at distance 0, its own cluster's centre), so those flags say
    nothing; else when half or more of them are entities of ``normal`` with other
    events (``warn_normal_holds_them``)."""
    n_same = _n_scored_as_fitted(
        seqs.ids,
        seqs.lengths,
        partial(_ends, seqs),
        normal_seqs.ids,
        normal_seqs.lengths,
        partial(_ends, normal_seqs),
    )
    rows = _rows_are(getattr(seqs, "session_gap_ns", None))
    if n_same is not None:
        _warn_scored_as_fitted(n_same, len(seqs), rows=rows)
    mine, theirs = _entities(seqs.ids), _entities(normal_seqs.ids)
    # (not said already; ids by position, windows numbered 0, 1, ..., meet in any two logs)
    if (n_same is None or 5 * n_same < len(seqs)) and not (_positions(mine) and _positions(theirs)):
        warn_normal_holds_them(*entities_in_normal(seqs.ids, normal_seqs.ids))


def _entities(ids) -> pd.Index:
    """The distinct entities of sequence ids (sessions by their entity)."""
    return pd.Index(ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids).unique()


def entities_in_normal(ids, normal_ids) -> tuple[int, int]:
    """(the entities of ``ids``, how many of them are entities of ``normal_ids``): ids
    of sessions by their entity. oddseq.dask counts per partition with it."""
    mine = _entities(ids)
    return len(mine), int(mine.isin(_entities(normal_ids)).sum())


def _positions(ids: pd.Index) -> bool:
    """:func:`by_position` of distinct ids (min and max read of whole numbers only: ids of
    mixed types do not compare)."""
    kind = ids.dtype.kind
    return kind in "iu" and by_position(ids.min(), ids.max(), len(ids), kind) if len(ids) else False


def by_position(low, high, n: int, kind: str) -> bool:
    """Whether a log's ``n`` distinct ids from ``low`` to ``high`` (of dtype ``kind``)
    are positions, not ids: the whole numbers 0 to n - 1 (windows or blocks numbered in
    order), which meet in any two logs. From 0 only: accounts numbered from 1 are ids."""
    if not n or kind not in "iu":
        return False
    return int(low) == 0 and int(high) == n - 1


def warn_normal_holds_them(n_entities: int, n_shared: int) -> None:
    """A DataWarning where half or more of the entities scored are entities of the
    normal log too (the same accounts in another stretch, with other events): what they
    did in both is normal to the model, so an abuser active in both stretches is its own
    normal neighbour. Three trials fitted on the week before: a delivery app's scrapers,
    refund abusers and brushing rings 0 of 95 flagged (TR s46 M5), an auction's card
    testers and scrapers 0-12 of 62 (TR s47 L11), a betting site's arbitrage bots 0 of 25
    (TR s48 M10: 81% of the accounts scored were in the normal week); a vetted list of
    known-good accounts, scored against the others, shares none (no warning)."""
    if n_shared == 0 or 2 * n_shared < n_entities:
        return
    warnings.warn(
        f"{n_shared:,} of the {n_entities:,} entities scored ({n_shared / n_entities:.0%}) "
        "are entities of the normal log too, with other events (the same accounts in "
        "another stretch): what they did there is normal to the model, so an abuse they "
        "kept up in both stretches reads as normal (bots, rings, refund or bonus abuse "
        "active the week before). Where it may recur, fit on entities you trust (a vetted "
        "list of known-good accounts, scoring the others) or on a stretch clean of it",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _n_scored_as_fitted(ids, lengths, ends, fitted_ids, fitted_lengths, fitted_ends):
    """How many entities scored (``ids``, ``lengths``) are fitted ones with the same id,
    length, first and last events and times; None where either side's ids repeat.
    ``ends(rows)``: ``_ends`` of those rows (each with events). oddseq.dask counts per
    partition with it."""
    if not (ids.is_unique and fitted_ids.is_unique):
        return None
    at = fitted_ids.get_indexer(ids)
    found = np.flatnonzero(at >= 0)
    theirs = at[found]
    alike = fitted_lengths[theirs] == lengths[found]
    # Ids by position (windows, blocks numbered from 0) meet in any two logs: the same
    # first and last events (and times, where both have them) say it is one entity.
    alike &= lengths[found] > 0
    checked = np.flatnonzero(alike)
    for mine, fitted in zip(ends(found[checked]), fitted_ends(theirs[checked])):
        alike[checked[mine != fitted]] = False
    return int(alike.sum())


def _warn_scored_as_fitted(
    n_same: int,
    n_scored: int,
    found_in: str = "in normal",
    about: bool = False,
    held_out: str = "held out of normal",
    rows: str = "entities",
) -> None:
    """The warning of ``_warn_if_scoring_what_was_fitted``, where a fifth or more are the
    same: those cannot be flagged, whatever they did. It waited for more than half, and a
    log of 1,500 users scored with 700 of them as normal flagged none, 27 of its 30 planted
    anomalies among the 700 (NA s34); a tenth (a few fitted entities among new ones)
    stays silent. ``found_in``: where they were found (the argument, or the model);
    ``about``: ``n_same`` is estimated from a sample; ``held_out``: where unseen entities
    come from; ``rows``: what the rows are ("entities", "sessions")."""
    if 5 * n_same >= n_scored and n_same > 0:
        warnings.warn(
            f"{'about ' if about else ''}{n_same:,} of the {n_scored:,} {rows} scored are "
            f"{found_in} with "
            "the same events: the model is fitted on them, and a model scores what it was "
            "fitted on as normal, so their flags say little (they score as normal whatever "
            f"they did). Score data it did not see (a later period, or {rows} {held_out})",
            DataWarning,
            stacklevel=user_stacklevel(),
        )


def entity_fingerprints(seqs: Sequences) -> np.ndarray:
    """One uint64 a sequence of ``seqs``, a hash of what ``_n_scored_as_fitted`` compares
    (its id, length, first and last events and times): a normal-only model keeps them
    (``_fitted_data.kept_fingerprints``) to count, when it scores, the entities it was
    fitted on (``_warn_if_scoring_fitted_normal``)."""
    has_events = np.flatnonzero(seqs.lengths > 0)
    parts = [
        pd.util.hash_pandas_object(seqs.ids, index=False).to_numpy(),
        seqs.lengths.astype(np.uint64),
    ]
    for end in _ends(seqs, has_events):
        hashed = np.zeros(len(seqs), dtype=np.uint64)
        hashed[has_events] = pd.util.hash_array(np.asarray(end))
        parts.append(hashed)
    return _fitted_data.combined_hash(parts)


def _warn_if_scoring_fitted_normal(pipeline, seqs: Sequences) -> None:
    """``_warn_scored_as_fitted`` for a normal-only model scoring entities it was fitted
    on, by the fingerprints it kept (a saved model has no ``normal`` log to compare with;
    an unsupervised fit kept none: its table of the fitted log is its verdict)."""
    fitted = getattr(pipeline, "_fitted_data", None) or {}
    if fitted.get("fingerprints") is None:
        return
    found, looked_up = _fitted_data.fingerprints_found(fitted, entity_fingerprints(seqs))
    share = float(fitted["fingerprints"]["share"])
    if share < 1.0:  # a sample: said where a fifth or more is what it can show
        # (one lookup of one fitted entity clears Wilson's bound: two at least; the
        # count said is the sample's share of all scored, not found / share, which read
        # "about 500 of the 1,000" where all were fitted: review RV2 s43 M4)
        if looked_up < 2 or _fitted_data.share_lower_bound(found, looked_up) < 0.2:
            return
        found = round(len(seqs) * found / looked_up)
    _warn_scored_as_fitted(
        min(found, len(seqs)),
        len(seqs),
        "among those the model was fitted on as normal,",
        about=share < 1.0,
        held_out="held out of the log it was fitted on",
        rows=_rows_are(_session_gap_of(fitted)),
    )


def _session_gap_of(fitted: dict):
    """The session gap a model was fitted with (None: whole entities)."""
    return (fitted.get("columns") or {}).get("session_gap_ns")


# groups="auto" looks for groups up to this many events; above it, the per-entity model
# alone, with a warning. At 100 million events the lockstep pass took 23 s and 1.9 GB
# beside the Sequences on a loaded 2-core machine (benchmarks/RESULTS.md, "Groups that
# act together"), which would likely take the 48 s call past 60 s there; one call with
# groups=True at that size took 141 s and 7.0 GB at load 2.5-6 (RESULTS.md, "One call at
# scale").
_GROUPS_AUTO_MAX_EVENTS = 20_000_000
# crowds="auto" counts crowds up to this many events (the lockstep pass's sort of the
# events by object, as the group stage's).
_CROWDS_AUTO_MAX_EVENTS = _GROUPS_AUTO_MAX_EVENTS


# crowds="auto" needs a log spanning at least this long: an item's usual crowd is read
# from its other hours, and in a log of an hour or two every item has none (its usual
# is then one entity, and a popular product's crowd read as a burst: review RV s44 M3).
_CROWDS_AUTO_MIN_SPAN_NS = 24 * 3_600_000_000_000


def _with_crowds(crowds, seqs: Sequences, normal: bool = False) -> bool:
    """Whether a pipeline of ``crowds`` ("auto", True, False) fitted on ``seqs`` counts
    crowds (``crowds_``): True needs items and times; "auto" takes them where both are
    there, the fit is unsupervised, the log spans a day or more and its events are at
    most ``_CROWDS_AUTO_MAX_EVENTS`` (above, a warning). Not in normal-only fitting: a
    clean stretch's crowds say nothing of a later surge (a viral launch, a sale), and a
    model of normal data flags what lies beyond them (trial s44c: 36% of a click log's
    devices flagged in a launch's days, 1.8% without crowds)."""
    if crowds is False or (crowds == "auto" and normal):
        return False
    has_both = seqs.items is not None and seqs.times is not None
    if crowds is True:
        if not has_both:
            missing = " and ".join(
                role
                for role, column in (("items", seqs.items), ("times", seqs.times))
                if column is None
            )
            raise ValueError(
                f"crowds=True counts entities on each item in each hour, and these "
                f"sequences have no {missing}: build them with an item and a time column "
                "(item= and time=; --item and --time from the shell), or leave the crowds "
                "out (crowds=False; from the shell, without --crowds)"
            )
        return True
    if not has_both or not len(seqs.times):
        return False
    times = np.asarray(seqs.times)
    if int(times.max()) - int(times.min()) < _CROWDS_AUTO_MIN_SPAN_NS:
        return False
    if seqs.n_events > _CROWDS_AUTO_MAX_EVENTS:
        warnings.warn(
            f"crowds were not counted: {seqs.n_events:,} events is more than crowds='auto' "
            f"takes on ({_CROWDS_AUTO_MAX_EVENTS:,}); pass crowds=True (--crowds from the "
            "shell) to count them",
            DataWarning,
            stacklevel=user_stacklevel(),
        )
        return False
    return True


#: The dtype of the ranked table's ``cluster`` column.
CLUSTER_DTYPE = np.int32


def empty_table(ids: pd.Index, groups: bool = False) -> pd.DataFrame:
    """The ranked table of a day without events: no rows, indexed by ``ids`` (the
    sequences' ids of no rows, whose dtypes the ids of a day with events have), with the
    columns and dtypes of :meth:`AnomalyPipeline.score`'s table (``groups``: with the
    group stage's ``group`` column), so that tables of several days concatenate with one
    schema. ``oddseq detect`` and ``score`` write the same for an empty file."""
    columns = {
        "score": np.float64,
        "rank": np.int64,
        "is_anomaly": bool,
        "p_normal": np.float64,
        "cluster": CLUSTER_DTYPE,
        **({"group": np.int64} if groups else {}),
        "reason": str,  # a column of strings, as pandas infers it
    }
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()}, index=ids[:0])


def no_normal_rows(log: str) -> str:
    """The refusal of a ``normal=`` log without rows (``log``: the argument scored)."""
    return (
        "normal has no rows: nothing to fit on; give a log of normal behaviour with "
        f"events (or leave normal out to fit on {log} itself)"
    )


def _warn_no_events(what: str, gives: str = "the ranked table's columns") -> None:
    """The DataWarning of a day without events (``what`` had none): an empty table
    (``gives``: of which columns)."""
    warnings.warn(
        f"{what}: a day without events gives {gives} with no rows (an empty table)",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _short_members_asked(pipeline, seqs, entity_ids):
    """The members ``min_events`` left out of the table (listed for their group,
    :meth:`AnomalyPipeline.join_groups`) among those :meth:`AnomalyPipeline.explain`
    is asked for: (their ids, lengths and groups' sentences; the other ids to explain,
    None for every kept sequence of ``seqs``; the order asked, by id), or None where
    none is asked for (then explain is as it was). ``seqs`` None: the ids the group
    stage listed (kept in memory by detect_anomalies), unless a fit or score kept the
    id's features; with ``seqs``: their sequences of fewer than ``min_events`` events
    that are members in the log the group stage ran on (by the members'
    fingerprints, as explain tells that log from a later day's)."""
    from ._explain import _group_reasons, _of_group_log, _wanted

    if pipeline.min_events <= 1 or getattr(pipeline, "groups_", None) is None:
        return None
    if seqs is None:
        listed = pipeline.__dict__.get("_group_short")
        if entity_ids is None or listed is None or not len(listed[0]):
            return None
        wanted = _wanted(entity_ids)
        known = [rows[0] for rows in pipeline._explain_sources().values()]
        at = listed[0].get_indexer(wanted)
        mine = [a >= 0 and not any(w in ids for ids in known) for w, a in zip(wanted, at)]
        if not any(mine):
            return None
        rows = at[np.asarray(mine)]
        ids, lengths, of_log = listed[0][rows], listed[1][rows], None
        others = [w for w, m in zip(wanted, mine) if not m]
        order = wanted
    else:
        given = pipeline._as_fitted_events(seqs)
        if entity_ids is None:
            positions = np.arange(len(given))
        else:
            positions = given.ids.get_indexer(_wanted(entity_ids))
            if (positions < 0).any():
                return None  # (explain's refusal names them)
        if not (given.lengths[positions] < pipeline.min_events).any():
            return None  # none asked for is short: no member's rows or fingerprints read
        short = short_member_rows(given, pipeline.groups_, pipeline.min_events)
        of_log = _of_group_log(pipeline, given)
        if of_log is not None:
            short = short[of_log[short]]
        mine = np.isin(positions, short)
        if not mine.any():
            return None
        rows = positions[mine]
        ids, lengths, of_log = given.ids[rows], given.lengths[rows], None
        order = list(given.ids[positions])
        others = None if entity_ids is None else list(given.ids[positions[~mine]])
    keys = ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids
    said = _group_reasons(pipeline, keys, of_log)
    return ids, lengths, said, others, order


def _explained_with_short(pipeline, seqs, short, top, entity_features) -> pd.DataFrame:
    """:meth:`AnomalyPipeline.explain` where some ids asked for are members listed for
    their group (``short``, :func:`_short_members_asked`): the others explained as
    ever, each listed member one row of no feature (its own features are not read:
    ``deviation`` 0, no value), ``note`` saying its few events
    (:func:`short_member_note`), ``group_reason`` its group's sentence; in the order
    asked (every sequence of ``seqs``: in their order)."""
    from ._explain import _by_entity_and_rank, explain_entities

    ids, lengths, said, others, order = short
    frame = explain_entities(
        pipeline, seqs, [] if others == [] else others, top=top, entity_features=entity_features
    )
    n = len(ids)
    values = {
        "feature": "",
        "value": lengths.astype(np.float64),
        "typical": np.nan,
        "value_text": [f"{k:,} {'event' if k == 1 else 'events'}" for k in lengths.tolist()],
        "typical_text": "",
        "value_read": np.nan,
        "deviation": 0.0,
        "note": short_member_note(lengths, pipeline.min_events),
        "typical_words": "",
        "typical_said": f"min_events={pipeline.min_events}",
        "group_reason": said,
        "feature_said": "",
    }
    columns = list(frame.columns) + [c for c in ("note", "group_reason") if c not in frame]
    listed = pd.DataFrame(
        {
            c: values[c]
            if c in values
            else (np.nan if pd.api.types.is_numeric_dtype(frame[c].dtype) else "")
            for c in columns
        },
        index=_by_entity_and_rank(ids, np.arange(n), np.ones(n, dtype=np.int64)),
    )
    if not len(frame):
        frame = listed.iloc[:0]
    for column in ("note", "group_reason"):
        if column not in frame:
            frame = frame.assign(**{column: ""})
    if len(frame):
        listed = listed.astype(
            {c: t for c, t in frame.dtypes.items() if not pd.api.types.is_numeric_dtype(t)}
        )
        listed.index = listed.index.set_names(frame.index.names)
    joined = pd.concat([frame, listed])
    # in the order asked: by each row's id (every level but the rank)
    whose = joined.index.droplevel(-1)
    if isinstance(whose, pd.MultiIndex):
        asked = pd.MultiIndex.from_tuples(order)
    else:
        asked = pd.Index(order)
    at = asked.get_indexer(whose)
    return joined.iloc[np.argsort(at, kind="stable")]


def _rank_level_named(why: pd.DataFrame) -> pd.DataFrame:
    """:meth:`AnomalyPipeline.explain`'s table with its last level (the features' rank)
    named "feature_rank" where an id level is named "rank" too (an entity column of that
    name): ``why.xs(id, level="rank")`` and ``droplevel("rank")`` refused two levels of
    one name ("The name rank occurs multiple times")."""
    names = list(why.index.names)
    if names[-1] != "rank" or "rank" not in names[:-1]:
        return why
    return why.set_axis(why.index.set_names([*names[:-1], "feature_rank"]), axis=0)


def _with_groups(table: pd.DataFrame, gid, lifted, said, p_normal) -> pd.DataFrame:
    """``table`` (unranked) with the group stage joined (:meth:`AnomalyPipeline.
    join_groups`): ``group`` after ``cluster`` (``gid``, -1 for none); the members
    (``gid >= 0``, in order) take ``lifted`` as score, ``p_normal`` (that of ``lifted``)
    as p_normal, a flag, and ``said`` (their group's sentence) before their reason.
    oddseq.dask joins each partition with it."""
    member = np.asarray(gid) >= 0
    table = table.copy()
    table.insert(table.columns.get_loc("cluster") + 1, "group", gid)
    if member.any():
        score = table["score"].to_numpy(dtype=np.float64, copy=True)
        score[member] = lifted
        table["score"] = score
        # the score the row is listed with, and how rare it is: one verdict, side by side
        column = table["p_normal"].to_numpy(dtype=np.float64, copy=True)
        column[member] = p_normal
        table["p_normal"] = column
        table.loc[member, "is_anomaly"] = True
        table.loc[member, "reason"] = said + "; " + table.loc[member, "reason"].astype(str)
    return table


def _is_group_finder(groups) -> bool:
    """Whether ``groups=`` is a GroupDetector (the stage on, with its settings)."""
    from .graph import GroupDetector

    return isinstance(groups, GroupDetector)


def check_group_finder(groups) -> None:
    """A GroupDetector given as ``groups=`` with settings it would refuse is refused
    before any fitting, naming ``groups=`` (its own message would read as the one
    call's: its ``method`` is not the one call's ``method=``)."""
    if not _is_group_finder(groups):
        return
    try:
        groups._check_params()
    except (TypeError, ValueError) as error:
        raise type(error)(f"groups=GroupDetector(...): {error}") from None


def group_finder(groups, method: str):
    """The group stage's GroupDetector, unfitted: with ``groups=GroupDetector(...)`` a
    clone of it (its patience, window, threshold, ...), its ``method`` where it set one
    and else the one call's ``method``; else the default detector of that method."""
    from sklearn.base import clone

    from .graph import GroupDetector

    if not _is_group_finder(groups):
        return GroupDetector(method=method)
    finder = clone(groups)
    if finder.method == "auto":
        finder.set_params(method=method)
    return finder


def _warn_clusters_past_entities(pipeline, n_rows: int) -> None:
    """K-means is fitted with as many clusters as there are entities at most; asked for
    more than the default and than the entities, each entity is its own cluster and its
    distance says nothing: said, not refused (n_clusters=100000 on 400 entities was
    taken without a word, TR s68 L3; the default on a log of a few entities is not)."""
    if pipeline.method not in ("auto", "kmeans") or getattr(pipeline, "normal_", False):
        return
    if pipeline.n_clusters > max(n_rows, 8):
        warnings.warn(
            f"n_clusters={pipeline.n_clusters:,} is more than the {n_rows:,} entities "
            f"fitted: K-means fitted {n_rows:,} clusters, each entity its own, so its "
            "distances set no entity apart; pass n_clusters=8 (the default) or another "
            "number well under the entities",
            DataWarning,
            stacklevel=user_stacklevel(),
        )


def refuse_entity_in_group_by(entity, group_by) -> None:
    """``group_by`` names what entities share; the entity's own column is no such value
    (pandas said "Grouper for 'user_id' not 1-dimensional", TR s68 L3)."""
    if isinstance(entity, str) and isinstance(group_by, (str, list, tuple)):
        if entity in ([group_by] if isinstance(group_by, str) else list(group_by)):
            raise ValueError(
                f"group_by names the entity column {entity!r}: it names what entities "
                "share (a device, a card, an address); pass group_by=[...] without it "
                "(--group-by from the shell)"
            )


def group_by_columns(df, group_by) -> list:
    """``group_by`` as a list of ``df``'s columns, checked."""
    columns = [group_by] if isinstance(group_by, str) else list(group_by)
    if not columns or not all(isinstance(c, str) for c in columns):
        raise TypeError(f"group_by must be a column name or a list of them, got {group_by!r}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"group_by column(s) {missing} not in the DataFrame; it has {list(df.columns)}"
        )
    return columns


def _group_objects(df, groups, group_by, item, warn: bool = True):
    """The columns groups are looked for on, or None for no group stage (``warn``: say
    where groups="auto" skips it for the log's size; the early check before any fitting
    does not, the stage's own call does)."""
    finder = _is_group_finder(groups)
    if finder:
        groups = True  # (its settings are read where the stage runs: group_finder)
    # By identity: 0 and 1 equal False and True, and 0 would then run the stage.
    if not (groups is True or groups is False or (isinstance(groups, str) and groups == "auto")):
        raise ValueError(
            "groups must be 'auto', True, False or a GroupDetector (the stage with its "
            f"settings, e.g. GroupDetector(patience=10)), got {groups!r}"
        )
    if group_by is not None:
        columns = group_by_columns(df, group_by)
    elif item is not None:
        columns = [item]
    elif groups is True:
        given = "a GroupDetector" if finder else "True"
        raise ValueError(f"groups={given} needs item=... or group_by=[...] (what entities share)")
    else:
        return None
    if groups is False:
        return None
    if groups == "auto" and len(df) > _GROUPS_AUTO_MAX_EVENTS:
        if not warn:
            return None
        warnings.warn(
            f"the group stage was skipped: {len(df):,} events is more than groups='auto' "
            f"takes on ({_GROUPS_AUTO_MAX_EVENTS:,}; at 100 million it adds about 20 s and "
            "2 GB); pass groups=True (--groups from the shell) to run it anyway",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return None
    return columns


def rank_sequences(
    seqs: Sequences,
    *,
    contamination="auto",
    method="auto",
    n_clusters=8,
    random_state=0,
    progress=False,
    item_categories=None,
    false_alarm_rate=None,
    min_events=1,
    entity_features=None,
    recent_change=False,
    crowds="auto",
) -> pd.DataFrame:
    """:func:`detect_anomalies` for ready-made Sequences: the ranked table."""
    return (
        AnomalyPipeline(
            method=method,
            contamination=contamination,
            n_clusters=n_clusters,
            random_state=random_state,
            progress=progress,
            item_categories=item_categories,
            false_alarm_rate=false_alarm_rate,
            min_events=min_events,
            entity_features=entity_features,
            recent_change=recent_change,
            crowds=crowds,
        )
        .fit(seqs)
        .table_
    )


# K-means++ restarts of the pipeline's K-means where the fitted rows are tied (at most
# half of them distinct; the lowest inertia is kept): _KMEANS_RESTART_ROWS // n_rows of
# them, at most _KMEANS_MAX_RESTARTS, and none above 50,000 rows. The budget dates from
# restarts that refitted every row; KMeansDetector now fits them on the distinct rows
# weighted by their counts (a few ms for loghub's 20), so their cost follows the
# distinct rows, not n_rows, and the budget now only keeps restarts to small matrices
# (10 up to 10,000 rows, 2 at 50,000). A system log's blocks repeat a few workflows
# (loghub's 2k-line HDFS sample: 20 distinct rows of 2,200; hdfs_xu 106 of 5,756), and
# one seeding of 8 clusters on a few tied points lands in a different local optimum at
# each random_state: the default flagged 0.27% to 4.9% of loghub by the seed, 0.27% at
# every seed with restarts. Rows that are not tied keep one seeding (restarts there
# moved the shop generators' verdicts through the cut's move down without a gain;
# benchmarks/RESULTS.md, "The default's flags against random_state").
_KMEANS_RESTART_ROWS = 100_000
_KMEANS_MAX_RESTARTS = 10


def _kmeans_restarts(n_rows: int, n_distinct: int | None) -> int:
    """The pipeline's K-means restarts for ``n_rows`` fitted rows of which
    ``n_distinct`` are distinct (None: not counted, one run)."""
    if n_distinct is None or 2 * n_distinct > n_rows:
        return 1
    return int(min(_KMEANS_MAX_RESTARTS, max(1, _KMEANS_RESTART_ROWS // max(n_rows, 1))))


def _normal_only_scale(variance, n_rows: int) -> np.ndarray:
    """Each feature's scale in normal-only fitting: its variance over the ``n_rows``
    normal rows with one pseudo-row one log unit from the mean, ``sqrt((n var + 1) /
    (n + 1))``. The plain standard deviation weighs a feature that never varied among
    the normal rows (an event type none of them had) as if its spread were one log unit,
    less than a type that a few of them had; with the pseudo-row it weighs most, as
    what n normal rows never showed should (on the HDFS blocks, best-cut F1 0.87-0.96 ->
    0.95-1.00, benchmarks/RESULTS.md "Verdicts"). Features that vary are left as they
    were (n var >> 1)."""
    return np.sqrt((n_rows * np.asarray(variance, dtype=np.float64) + 1.0) / (n_rows + 1.0))


# Normal-only fitting of a detector that cuts itself (the neural detectors,
# n_folds="auto"): its 5 refits need 2 sequences a fold.
_OWN_CUT_MIN_SEQUENCES = 10
# The not-normal check of normal-only fitting reads, for a detector of features, each
# normal entity's out-of-fold distance to its nearest normal entity, of at most this many
# entities (a larger log: exactly this many, drawn by content). A group of the warning's
# 2% is 400 of them; the distances cost about a second at one thread.
_CHECK_ROWS = 20_000
# ... drawn by content from their own stream (rows_by_content's seed), so that no
# random_state is read or advanced by the check.
_CHECK_SEED = 0x4E4F524D414C4C59


def _too_few_for_the_rate(n: int, rate: float) -> bool:
    """Whether the unsupervised tail cut at ``rate`` rests on too few sequences to read
    its rate from them: fewer than ``1 / rate``. Its cut is the score one normal sequence
    in ``1 / rate`` exceeds; with fewer, not even one is expected beyond it, so the cut
    lies past the top of the data, extrapolated from a tail model of the top fifth of
    the scores (their 80th, 90th and 95th percentiles: at 30 sequences the 6th, 3rd and
    about the 2nd highest). Odd sequences that are more than a tenth of the population
    set its 90th percentile and are read as the normal tail (at rates up to 0.1 the
    cut never lies below that percentile; where the top is tied the model widens to
    the top two fifths or half, and the bound with it): at 30 sequences at most 2 that
    stand far out can be flagged, a 3rd alike makes the cut pass all three; at 10 or
    fewer, not even one (measured: benchmarks/RESULTS.md, "Small populations")."""
    return n * rate < 1


def _tail_refit(scores: np.ndarray, rate: float, cut: float) -> dict | None:
    """The unsupervised cut repaired where it collapsed: where ``cut`` flags so few of
    ``scores`` that the data contradict its tail model (under half of ``rate``'s share,
    and unlikely so by chance: ``_trimmed_tail``), the tail refitted without the top that
    bent it and moved as the cut is, then moved toward the gap below the group at the top
    by that gap's evidence (``_graded_edge``; both in ``_auto_cut(refit=True)``; a
    ``"set_aside"`` of 0 where only that move acted), the pipeline's cut and
    ``threshold_info_["tail_refit"]``, with the cut it replaced (``"first_threshold"``,
    ``"first_n_flagged"``); None where the cut is not contradicted or no refit holds.

    Why it flags: a group of a few percent far above everyone else pushes out the
    percentiles the tail model reads, and the cut lands past the group itself; on the
    game log with 4% bots 23-27 of 32 bootstrap resamples of one log's scores collapse to
    0.02% flagged, so the cut without the repair is a coin flip between nothing and the
    group. Measured on saved scores of three sets of seeds, the last one fresh (own-cut
    F1 over the best cut's: every collapsed labelled log rescued, none lower); a minority
    of alike normal entities bends the tail the same way and is flagged too, said by the
    warning (benchmarks/RESULTS.md, "The cut that collapsed", "... repaired by default")."""
    why = {}
    refitted, tail = _auto_cut(scores, rate, warn=False, refit=True, why=why)
    if not why or not refitted < cut:
        return None
    flagged = int(np.count_nonzero(scores > refitted))
    return {
        "threshold": float(refitted),
        "n_flagged": flagged,
        "share_flagged": flagged / scores.size,
        "set_aside": int(why["set_aside"]),
        "tail_threshold": float(tail),
        "first_threshold": float(cut),
        "first_n_flagged": int(np.count_nonzero(scores > cut)),
    }


# The chance under which a small log's few flags are said (_uncheckable_cut): unlikely
# for a right tail model, where the repair needs REFUTE_LEVEL (0.1%).
UNCHECKABLE_LEVEL = 0.05


def _uncheckable_cut(
    scores: np.ndarray, rate: float, cut: float, flagged: int | None = None
) -> int | None:
    """How many of ``scores`` the unsupervised tail ``cut`` flags, where so few are
    unlikely for a right tail model (at most ``UNCHECKABLE_LEVEL``, 5%, by
    ``_refutes``' bound) but the log is too small for the repair's own test (its level
    0.1%: not even 0 flags refute the model under about 730 entities at the rate 0.01),
    and the cut as it flags (``flagged``: bagged over draws of the scores, where it is)
    flags under half the rate's share too; else None. (A bag of draws whose cuts flag
    about the rate's share says the rule's few were this sample's chance: a renamed
    log's 600 entities, the rule 0, the bag 5.) There a group at the top can push the
    cut past itself and nothing repairs it: a music service's first 400 accounts,
    ROC-AUC 0.91, 10 of its 16 anomalies in the top 20, flagged 1 and said nothing (TR
    s58 M4). At the rate 0.01 that is no flag on 316-727 entities or one on 605-727.
    Measured: benchmarks/RESULTS.md, "Fifty-eighth session" (a first form, any count
    under half the rate's share, spoke on 28 of the test suite's small logs of 100-637
    entities, most of them where one or two flags are expected). None too where the next
    cut down, taking the whole tie under ``cut``, flags over the rate's share and the top
    fifth: no cut within the rate flags more, and the tie is the population's mode."""
    n = scores.size
    expected = rate * n * (1 - _TAIL_SHARE)  # (the repair's own expectation)
    first = int(np.count_nonzero(scores > cut))
    if flagged is not None and not flagged < expected / 2:
        return None
    # The next cut down takes the whole tie under this one: where that flags over the
    # rate's share and past the top fifth the tail model reads, the few flags are the only
    # count within the rate and the tie is the population's mode, as _tied_top reads it,
    # no group's doing (a workflow log's 20 sessions, 6 tied at the top at the rate 0.2:
    # flag 0 or 6). A tied group within the top fifth is still said (review RV s59 M1:
    # the trial's 14 accounts, tied, on 400).
    under = scores[scores <= cut]
    reach = np.count_nonzero(scores >= under.max()) if under.size else 0
    if reach > max(rate, 4 * _TAIL_SHARE) * n:
        return None
    if _refutes(first, expected, UNCHECKABLE_LEVEL) and not _refutes(0, expected):
        return first
    return None


def _warn_uncheckable_cut(n: int, rate: float, first: int, flagged: int) -> None:
    """The DataWarning of :func:`_uncheckable_cut`: the cut's few flags said, with why
    they cannot be checked and what to read instead."""
    warnings.warn(
        f"the automatic cut's tail rule flags {first:,} of {n:,} entities"
        + ("" if flagged == first else f" (the cut, bagged over draws of them, {flagged:,})")
        + f", under half of the {rate * n:.0f} that false_alarm_rate={rate:g} lets a "
        "normal log have: "
        "a group at the top of the scores can push the cut past itself, and on so few "
        "entities the repair's test cannot tell that from chance (it acts from about "
        f"{_checkable_from(rate):,} entities on). Read the table from the top, or pass "
        "contamination= the share to flag (oddseq detect or oddseq fit --contamination).",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _checkable_from(rate: float) -> int:
    """The fewest entities on which no flags at ``rate`` refute the tail model
    (``_refutes``: Poisson's chance of 0, ``exp(-expected)``, at most ``REFUTE_LEVEL``):
    the repair's test can act from there on (728 at rate 0.01)."""
    return int(np.ceil(-np.log(REFUTE_LEVEL) / (rate * (1 - _TAIL_SHARE))))


# A first cut of fewer flags than this is no share to advise (see _warn_collapsed_cut).
_FEWER_SHOWN = 3


def _warn_collapsed_cut(
    n: int, rate: float, refit: dict, flagged: int, plain: int | None = None
) -> None:
    """The DataWarning of a repaired unsupervised cut (:func:`_tail_refit`), once per
    fit: what the first cut flagged, why it was refitted, what the cut now flags
    (``flagged``; ``plain``: the repaired rule's own flags before the bag, the refit's,
    or fewer where the detector's own floor raised it; None: ``flagged``), and how to
    flag fewer where the group at the top is normal."""
    first = refit["first_n_flagged"]
    # The share to advise: the first cut's, where it flagged a few; a cut of none or one
    # or two is no share to pass (a trial's "e.g. 0.00033": one entity of 3,063), so half
    # the rate, as a share that flags fewer than the cut does.
    # (never more than half what the cut flags: the advice is to flag fewer)
    fewer = min(first / n, flagged / n / 2) if first >= _FEWER_SHOWN else min(rate, flagged / n) / 2
    fewer = max(fewer, 1 / n)  # (a cut that flags none: one entity, not a share of 0)
    shown = first >= _FEWER_SHOWN and fewer == first / n
    # (said for what it is: another warning of the same call can advise the share the
    # cut now flags, to hold it; TR s54 M1 read the two as contradictory)
    example = (
        f"{fewer:.2g}, the first cut's share, which leaves the group out"
        if shown
        else f"{fewer:.2g}, a share that leaves the group out"
    )
    plain = flagged if plain is None else plain
    floor = plain != refit["n_flagged"]
    warnings.warn(
        f"the automatic cut first flagged {first:,} of {n:,} entities ({first / n:.2%}), "
        f"under half of false_alarm_rate={rate:g}: the top of the scores (a group of a few "
        "percent, or anomalies that blend into the normal tail) bent the tail model it is "
        + (
            f"fitted on. Refitted without the top {refit['set_aside'] / n:.2%}"
            if refit["set_aside"]
            else "fitted on. Moved toward the gap under the group at the top"
        )
        # The number the table shows first: a trial read the refit's 12 where the
        # bagged cut flagged 67.
        + f", the cut flags {flagged:,} ({flagged / n:.2%}; "
        # each count beside the record that holds it (the refit's own, the floor's, the
        # bag's: review RV2 s43 L2)
        + ("" if plain == flagged else "bagged over bootstrap draws, threshold_info_['bagged']; ")
        + (
            f"the refit flagged {refit['n_flagged']:,}, threshold_info_['tail_refit'], and "
            f"the detector's own floor above it, threshold_info_['floor'], leaves {plain:,}"
            if floor
            else (
                "threshold_info_['tail_refit']"
                if plain == flagged
                else f"the repaired cut alone flagged {plain:,}, threshold_info_['tail_refit']"
            )
        )
        + "): "
        + (
            "the repaired cut raised to the detector's own floor. "
            if floor
            else "the group at the top, and about the rate's share of the rest. "
        )
        + "If the group is a minority of alike normal entities (read its reasons at the top "
        f"of the ranked table), pass contamination= the share to flag, e.g. {example} "
        f"(oddseq detect or oddseq fit --contamination {fewer:.2g}).",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


# The automatic cut's count is unsettled where the bag's draws of the scores flag from a
# few to several times as many: their 90th percentile count at least UNSETTLED_RATIO times
# their 10th, and the two apart by at least UNSETTLED_SHARE of the entities (and 20). On
# the seed gate's 23 cells (35 calls) at random_state 0-4 (benchmarks/RESULTS.md, "Forty-ninth
# session") it said so in 21 of 175 fits: the cells whose count moved most with the seed
# (the game log 393 plain 73-119, the held-out accounts 849 46-77, marketplace 852 57-76)
# and most of the nothing-planted logs' fits; TR s48's betting log (79-205 by
# random_state) at every seed.
UNSETTLED_RATIO, UNSETTLED_SHARE = 3.0, 0.02


def _unsettled(spread, n: int) -> bool:
    """Whether the bag's draws' 10th and 90th percentile counts (``spread``) of ``n``
    entities say the cut's count is unsettled (see UNSETTLED_RATIO)."""
    low, high = (float(v) for v in spread)
    return high >= UNSETTLED_RATIO * max(low, 1.0) and high - low >= max(20.0, UNSETTLED_SHARE * n)


def _warn_unsettled_cut(n: int, spread, flagged: int, seeded: bool = True) -> None:
    """The automatic cut's count, where bootstrap draws of the same scores flag from a
    few to several times as many (:func:`_unsettled`), said with how to hold it: the
    count moves with random_state or a small change to the log (TR s48 H3: 79-205 of
    6,298 accounts by random_state alone, the scores' order held, Spearman >= 0.976).
    ``seeded``: whether the method's scores depend on ``random_state`` (K-means, the
    default's; IsolationForest; the neural models), else the words leave it out. The
    count is the score cut's: the group stage's members come on top of it, and a table
    of 90 flags beside "it flags 56" read as a contradiction (TR s58 L9)."""
    low, high = (int(round(v)) for v in spread)
    share = max(flagged, 1) / n
    warnings.warn(
        f"the automatic cut's count is unsettled on these scores: its rule flags {low:,}-{high:,} "
        f"of {n:,} entities on bootstrap draws of them (10th-90th percentile; it flags "
        f"{flagged:,} by score, threshold_info_['bagged'], before any group's members), so "
        + ("another random_state or " if seeded else "")
        + "a small change to the log can move the flags within that range; the order of the "
        "scores holds better than the cut. Read the table from the top, or hold the count: "
        f"pass contamination= the share to flag, e.g. {share:.2g}, the share it flags now "
        "(oddseq detect or oddseq "
        f"fit --contamination {share:.2g}), or fit on known-good entities with normal= "
        "(oddseq detect --normal FILE, or oddseq fit FILE --normal).",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _warn_too_few_for_the_rate(n: int, rate: float, flagged: int) -> None:
    """The note of :func:`_too_few_for_the_rate` (once per fit)."""
    warnings.warn(
        f"only {n} sequences for the automatic cut at false_alarm_rate={rate:g}: it flags "
        f"beyond the score one normal sequence in {1 / rate:.0f} exceeds, which {n} cannot "
        "show, so it extrapolates from the top fifth of the scores, and odd sequences more "
        f"than a tenth of them read as that normal tail; it flagged {flagged}. To flag a "
        "share, pass contamination= a number in (0, 0.5] (oddseq detect --contamination), "
        "e.g. 0.1 for the top tenth, or read the ranked table from the top.",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def _tied_top(
    scores: np.ndarray, rate: float, cut: float, floor: float | None = None
) -> tuple[int, int] | None:
    """Where the unsupervised cut flags none of ``scores`` and a block of at least the
    rate's share of them (and two) shares one score at one of the three quantiles the
    tail model reads (the 80th, 90th and 95th percentiles), the rest of the top fifth
    mostly distinct (TR s52 L7: robust_z on an ad log, a block of alike devices near its
    top, the tail model fitted on its ties put the cut above every score, nothing
    flagged and nothing said): (the block's size, how many score above it). None
    elsewhere: a cut that flags none of scores with no such block is the verdict
    "nothing odd"; a block at or under the detector's own ``floor`` is refused by that
    rule too (Markov's sessions without a miss: workflows repeat)."""
    n = scores.size
    if not n or np.count_nonzero(scores > cut) or not scores.min() < scores.max():
        return None
    share = 4 * _TAIL_SHARE
    read = np.quantile(scores, [1 - share, 1 - share / 2, 1 - share / 4])
    top = scores[scores >= read[0]]
    values, counts = np.unique(top, return_counts=True)
    largest = int(np.argmax(counts))
    block = values[largest]
    if counts[largest] < max(2.0, rate * n) or not np.isin(block, read).any():
        return None
    if floor is not None and block <= floor:
        return None
    # A block in an otherwise continuous top (most of the rest distinct): where the top is
    # ties throughout (a system log's few workflows, 5 distinct Markov scores), no block
    # bent a tail, and the rule reads its ties as it documents.
    rest = np.delete(counts, largest)
    if not rest.size or rest.size < (top.size - counts[largest]) / 2:
        return None
    # Within the top fifth, block and all above it: a tie reaching further down is the
    # population's mode, not a group that bent its tail (and no share to advise: review
    # RV s53 M2, a block of 637 of 1,000 advised contamination=0.84)
    above = int(np.count_nonzero(scores > block))
    if counts[largest] + above > share * n:
        return None
    return int(counts[largest]), above


def _warn_tied_top(n: int, tied: int, above: int) -> None:
    """The note of :func:`_tied_top` (once per fit): what the cut did and the route to
    flag the block."""
    share = f"{_two_figures_up((tied + above) / n)[0]:g}"
    where = (
        "share the highest score"
        if not above
        else f"ranked {above + 1:,}-{above + tied:,} share one score"
    )
    warnings.warn(
        f"the automatic cut flags none of {n:,} entities: the {tied:,} ({tied / n:.2%}) "
        f"{where}, so the tail model read a block of ties, not a tail, and its cut lies "
        "above every score. Read them in the ranked table (alike entities: one script, or "
        "one ordinary kind of behaviour at the edge of the features); to flag them and all "
        f"above them, pass contamination={share} (oddseq detect or oddseq fit "
        f"--contamination {share}).",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


# The few-normal warning's advice of a rate (:func:`_warn_too_few_normal`), with the
# shell's route; the shell says ``pass --false-alarm-rate {rate} or more`` instead.
FEW_NORMAL_RATE = (
    "pass false_alarm_rate={rate} or more (oddseq detect or oddseq fit --false-alarm-rate {rate})"
)


def _rate_n_can_show(n: int) -> float:
    """The smallest rate of two significant figures that ``n`` sequences can show,
    ``1 / n`` rounded up (30: 0.034, 80: 0.013, 150: 0.0067): a number the shell's
    ``--false-alarm-rate`` takes as written (``1/30`` is no float), with ``n * rate >=
    1`` (:func:`_too_few_for_the_rate` then quiet)."""
    exact = 1.0 / n
    rate, step = _two_figures_up(exact)
    while _too_few_for_the_rate(n, rate):  # (a guard: rounding up leaves none short)
        rate = float(f"{rate + step:.2g}")
    return rate


def _two_figures_up(exact: float) -> tuple[float, float]:
    """(``exact`` > 0 rounded up to two significant figures, written as the shell takes
    it, the second figure's step): an advised share that is never under what it is
    advised for (``0.1049`` of the entities is ``0.11``, not ``0.1``)."""
    step = 10.0 ** (np.floor(np.log10(exact)) - 1)  # the second figure's place
    rounded = float(np.ceil(round(exact / step, 6)) * step)
    return float(f"{rounded:.2g}"), float(step)  # (2 figures, without the float's tail)


def _percent(share: float) -> str:
    """A share as a percentage of two significant figures (0.031%, 7.2%, 12%): one
    decimal place read 0.0% for a share of thousands of normal sequences (TR s44a L1)."""
    return f"{float(f'{share * 100:.2g}'):g}%"


def _warn_too_few_normal(n: int, rate: float) -> None:
    """Normal-only fitting's note of :func:`_too_few_for_the_rate` (once per fit): the
    cut is the (1 - ``rate``) quantile of ``n`` out-of-fold scores of normal sequences,
    extrapolated past them by a tail model of their top few where ``n`` cannot show it.
    hdfs_xu fitted on 30 normal blocks (seeds 758, 762-764): 0-18% of 1,500 held-out
    normal blocks flagged, 0-100% of 300 anomalous ones; on 400, 0.7-1.1% and all of
    them (NA s34). The rate it advises is a number (:func:`_rate_n_can_show`), in the
    shell's spelling where the shell calls (RV s34 L11: "1/30" was no float)."""
    need = int(np.ceil(1 / rate))
    shown = _rate_n_can_show(n)
    # The share of normal entities over the highest of n normal scores is Beta(1, n): 1 in
    # n + 1 on average, past 1 - 0.05^(1/n) one time in twenty (40 normal users: 2.4% and
    # 7.2%; the trial of s41 followed the advice on REES46 and saw 6.4% flagged).
    spread = 1 - 0.05 ** (1 / n)
    advice = (
        ", or " + FEW_NORMAL_RATE.format(rate=f"{shown:g}") + f", a rate {n} can show "
        f"(1/{n} rounded up), its cut near their highest score: a normal entity lies above "
        f"the highest of {n} one time in {n + 1} on average, but one time in twenty that "
        f"share is {_percent(spread)} or more, so the share flagged can still be several "
        "times "
        "the rate"
        if shown < 0.5  # (false_alarm_rate is under 0.5)
        else ""
    )
    warnings.warn(
        f"only {n} normal sequences for the cut at false_alarm_rate={rate:g}: it flags "
        f"beyond the score one normal sequence in {1 / rate:.0f} exceeds, which {n} cannot "
        "show, so it extrapolates from the top of their out-of-fold scores, and the share "
        "flagged can be several times the rate, or what is odd can fall under the cut "
        f"(hdfs_xu fitted on 30 normal blocks: 0-18% of normal blocks flagged, 0-100% of "
        f"anomalous ones). Fit on {need:,} normal sequences or more; with fewer, read "
        f"the ranked table from the top{advice}.",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


def refuse_share_with_normal(contamination, normal: bool, said: str = "normal=True") -> None:
    """Refuse a float ``contamination`` beside normal-only fitting (NA s34 MEDIUM-3).

    Why refused rather than read as a rate: ``contamination`` is the share of anomalies
    among the fitted entities, which ``normal=True`` declares none, and its cut is the
    top share of their own in-sample scores, optimistic for neighbour methods (the
    1-NN scores a normal entity with a twin 0: on make_ecommerce, 800 normal users, seed
    782, 0.01 flagged 1.55% of held-out normal users where ``false_alarm_rate=0.01``'s
    out-of-fold cut flags 0.86%; seed 822: 0.86% against 0.26%. On hdfs_xu, 400 normal
    blocks, both cut at 0 at 0.1, a twin in every fold, and flag the same 2%: there the
    two kinds of cut agree, review RV s35 M1). The pair reads
    two ways, the share of normal entities to flag (that is ``false_alarm_rate``, its
    cut from out-of-fold scores) or the share of the scored log to flag (a cut fixed at
    fit cannot promise it: the top of the ranked table does); the error names both."""
    share = isinstance(contamination, numbers.Real) and not isinstance(contamination, bool)
    if not normal or not share or not 0 < contamination <= 0.5:
        return  # ("auto"; a value out of range: the parameter check's refusal)
    rate = (
        f"false_alarm_rate={contamination:g} instead (the {1 - contamination:g} quantile "
        f"of out-of-fold normal scores; --false-alarm-rate {contamination:g} from the shell)"
        if contamination < 0.5
        else "false_alarm_rate= a rate under 0.5 instead, such as 0.1 (a quantile of "
        "out-of-fold normal scores; --false-alarm-rate 0.1 from the shell)"
    )
    raise ValueError(
        f"contamination={contamination!r} with {said}: contamination is the share of "
        "anomalies among the fitted entities (normal data hold none), and its "
        "cut, the top share of their own in-sample scores, is not the normal-only cut. "
        f"For the share of normal entities the cut may flag, pass {rate}; to flag a set "
        "share of the scored log, take the top rows of its ranked table (table.head(n))"
    )


@contextlib.contextmanager
def _own_cut_only(normal: bool):
    """In normal-only fitting the cut comes from out-of-fold scores, not from a
    detector's in-sample ones: their warnings (every in-sample score equal, as when
    every normal row has a twin) would speak of a cut that is not used. Unsupervised
    fits leave the warning filters alone: catch_warnings saves and restores them for
    the whole process, which a fit in another thread (StreamScorer.refit) would race."""
    if not normal:
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="every score is the same")
        yield


def _twin_unit(X, scores) -> float | None:
    """How far apart the normal data's variants lie, where most normal entities have a
    twin (``scores``, their out-of-fold distances to the nearest normal entity, tied at
    their least over the lower half): the median, over the rows of ``X`` that two or
    more entities share (the variants, each counted once), of the distance to the
    nearest other such row (a system log's workflow to its nearest variant, one event
    more or less). Rows only one entity holds are left out as neighbours: a single
    near-copy of the common workflow (one block a millisecond slower) made the unit of a
    first version, read from the tied entities' nearest distinct row, nearly 0 and every
    untwinned entity "far" (review RV s57 H1: clean blocks warned at 6 of 8 fits); and
    each variant counts once, so the commonest does not decide it alone. None where the
    lower half is not so tied; ``inf`` where it is but fewer than two rows are shared (no
    unit: nothing can be shown far, as beside three quarters of web clients making one
    identical request, whose other clients read as a group far beyond the tie: review
    RV s57 H2). The not-normal check's unit of "far" there (``_far_from_twins``, and
    ``separate_tail``'s ``unit``)."""
    scores = np.asarray(scores, dtype=np.float64)
    if not _tied_at_least(scores):
        return None
    distinct, counts = np.unique(np.asarray(X, dtype=np.float64), axis=0, return_counts=True)
    variants = distinct[counts >= 2]
    if variants.shape[0] < 2:
        return math.inf
    return float(np.median(NearestNeighbors().fit(variants).kneighbors(n_neighbors=1)[0][:, 0]))


def _checked_side(side, entity=None) -> pd.DataFrame:
    """``entity_features`` as joined: a DataFrame with one row per entity id and numeric
    or boolean columns; a column named like the entity (``entity``, the sequences' id
    name) is the key: the table is indexed by it, never scored as a feature."""
    if not isinstance(side, pd.DataFrame):
        raise TypeError(
            f"entity_features must be a DataFrame indexed by entity id, got {type(side).__name__}"
        )
    key = None  # the column the table is keyed by, where it is one
    if entity is not None and entity in side.columns:
        if side.index.name == entity:
            side = side.drop(columns=entity)  # set_index(..., drop=False): one key
        else:
            side = side.set_index(entity)
            key = entity
            # (so that advice on its ids names the column they came from: trial s40 F7)
            side.attrs[_KEY_COLUMN] = key
    if not side.index.is_unique:
        # A fix that works on the table as given: a key column's repeats are no repeats
        # of its index (groupby(level=0) there groups row numbers: NA s34).
        repeated = side.index[side.index.duplicated()].unique()
        where, fix = (
            (f"its column {key!r}", f"side.drop_duplicates({key!r}, keep='last')")
            if key is not None
            else ("its index", "side[~side.index.duplicated(keep='last')]")
        )
        shown = ", ".join(repr(v) for v in repeated[:3]) + (" ..." if repeated.size > 3 else "")
        raise ValueError(
            f"entity_features has repeated entity ids in {where} ({repeated.size:,} ids: "
            f"{shown}); give one row per entity, e.g. {fix} (the last row of each id)"
        )
    for column in side.columns:
        check_arrow_type(side[column].dtype, "a column of entity_features", column, "side")
    # (Arrow booleans are booleans, though pandas calls them no numbers: trial s43b M2)
    bad = [
        c
        for c in side.columns
        if not (pd.api.types.is_numeric_dtype(side[c]) or pd.api.types.is_bool_dtype(side[c]))
    ]
    if bad or side.shape[1] == 0:
        raise TypeError(
            f"entity_features needs numeric or boolean columns; {_side_fixes(side, bad, entity)}"
        )
    return side


def _side_fixes(side, bad, entity=None) -> str:
    """What to do with ``side``'s columns ``bad`` that are not numbers, by kind: dates
    become a number of days, durations of seconds, text and categories indicator
    columns; a text column of a distinct value per row in a table with no key of its own
    (a row-number index) is its key under another name, not a category."""
    if not bad:
        return "it has none"
    dates = [c for c in bad if pd.api.types.is_datetime64_any_dtype(side[c])]
    spans = [c for c in bad if pd.api.types.is_timedelta64_dtype(side[c])]
    text = [c for c in bad if c not in dates and c not in spans]
    said = []
    if isinstance(side.index, pd.RangeIndex):
        keys = [c for c in text if len(side) > 1 and side[c].is_unique]
        if keys:
            # (indicator columns of the ids would give a column per entity and no key:
            # RV s34 M5)
            named = f" (or name it {entity!r})" if entity is not None else ""
            said.append(
                f"{keys[0]!r} holds a different value on every row, as ids do: if it is the "
                f"entity id, key the table by it, side.set_index({keys[0]!r}){named}"
            )
            text = [c for c in text if c != keys[0]]
    if dates:
        # (day in the column's zone, or none: a plain day minus zoned dates fails, RV s34 L4)
        column = side[dates[0]]
        latest = column.max()
        latest = "YYYY-MM-DD" if pd.isna(latest) else str(latest.tz_localize(None))
        said.append(
            f"{dates} are dates: give a number instead, such as the days since each, "
            f"(day - side[{dates[0]!r}]).dt.days with day = pd.Timestamp({latest!r}, "
            f"tz=side[{dates[0]!r}].dt.tz): its latest, or the log's last day"
        )
    if spans:
        # (seconds: .dt.days is 0 for every duration under a day, RV s34 M4)
        said.append(f"{spans} are durations: side[{spans[0]!r}].dt.total_seconds()")
    if text:
        said.append(
            f"{text} are not numbers: encode categories as indicator columns, "
            f"pd.get_dummies(side, columns={text}), or as numbers"
        )
    return "; ".join(said)


def _init_names(cls) -> list:
    """The names of ``cls.__init__``'s parameters, in order."""
    import inspect

    return [n for n in inspect.signature(cls.__init__).parameters if n != "self"]


def not_sequences(where: str, got) -> str:
    """The TypeError's words where Sequences were expected and ``got`` is something else;
    for a DataFrame (the first thing a pandas user passes), how to build them."""
    message = f"{where} takes Sequences, got {type(got).__name__}"
    if isinstance(got, pd.DataFrame):
        message += (
            "; build them from the event log with oddseq.Sequences.from_events(df, "
            "entity=..., event=..., time=...) (the same columns and options for fitting "
            "and scoring), or fit and score a DataFrame in one call with "
            "oddseq.detect_anomalies(df, entity=..., event=..., time=...)"
        )
    return message


def share_cut_of_a_normal_fit(pipeline) -> str | None:
    """For a model fitted normal-only with a float ``contamination`` before that pair
    was refused (:func:`refuse_share_with_normal`; such models still load, and score
    with the cut they were saved with), what its cut is and how to fit it anew; else
    None. Said where the model is read from a file and where the stream refits it
    (review RV s35 M2: a refit copies the model's parameters, so "pass
    false_alarm_rate=" gave its caller nothing to pass)."""
    share = getattr(pipeline, "contamination", "auto")
    if not getattr(pipeline, "normal_", False) or isinstance(share, str):
        return None
    rate = share if share < 0.5 else 0.1  # (false_alarm_rate is under 0.5)
    return (
        f"this model was fitted normal-only with contamination={share!r}: its cut is the top "
        f"{share:g} of the normal entities' own in-sample scores (optimistic for neighbour "
        "methods), not the normal-only cut from out-of-fold scores, and that pair is refused "
        f"now. Fit it anew with pipe.set_params(contamination='auto', false_alarm_rate="
        f"{rate:g}) and pipe.fit(sequences, normal=True) (oddseq fit --normal FILE "
        f"--false-alarm-rate {rate:g}); a StreamScorer: set the same on live.pipeline "
        "before live.refit"
    )


# Unsupervised method="knn" / "lof" warn where at least this share of the fitted entities
# has n_neighbors identical twins or more (neighbour distance 0): the trial of s41 found
# hdfs_100k's blocks ranked at chance (ROC-AUC 0.52, 99.8% of the kNN scores 0, 300 of
# its 313 anomalous blocks among them) without a word.
TWINS_SHARE = 0.5


def warn_neighbour_twins(pipe) -> None:
    """The DataWarning of an unsupervised neighbour method (``method="knn"`` or ``"lof"``)
    fitted where most entities have ``n_neighbors`` identical twins or more: it ranks by
    the distance to the nearest entities, so it cannot tell those apart, and an odd
    entity repeated as often scores as the most ordinary one. Normal-only fitting is
    silent: there the twins are normal ones. (oddseq.dask's fit calls it too.)"""
    det = pipe.detector_
    if pipe.normal_ or pipe.method not in ("knn", "lof") or not isinstance(det, (KNNDetector, LOF)):
        return
    radius = det._k_distance if isinstance(det, LOF) else det.decision_scores_
    n = int(np.size(radius))
    twins = int(np.count_nonzero(np.asarray(radius) == 0))
    if not n or twins < TWINS_SHARE * n:
        return
    k = det.n_neighbors_
    what = "scores each of them 0" if pipe.method == "knn" else "reads each of them as typical"
    warnings.warn(
        f"{twins:,} of the {n:,} entities ({twins / n:.1%}) have {k} or more identical twins "
        f"among them: method={pipe.method!r} ranks by the distance to the {k} nearest, so it "
        f"{what} and cannot tell them apart (an odd entity repeated {k} times or more scores "
        "as the most ordinary one). A log of repeated workflows (a system log's blocks) is "
        "better ranked by the default, method='auto' (--method auto from the shell), or "
        "'ecod' or 'iforest'",
        DataWarning,
        stacklevel=user_stacklevel(),
    )


class AnomalyPipeline(SaveMixin):
    """Sequences -> features -> scaling -> detector -> a ranked table with reasons.

    ``method``:

    - "auto" (default), unsupervised: an :class:`EnsembleDetector` averaging the robust
      z-scores of three views of "unlike the others": distance to the nearest K-means
      group (:class:`KMeansDetector`), Hotelling's T^2 inside the principal components
      (:class:`PCADetector`, extreme but consistent behaviour) and the most extreme
      single feature against the median (:class:`RobustZDetector`). Chosen among all
      1-4 member combinations of nine detectors on six labelled sources at once (two
      difficulties of ``make_ecommerce`` and of ``make_marketplace``, the HDFS blocks of
      ``hdfs_xu`` and ``hdfs_deeplog``), for flags that hold everywhere: mean flag F1
      0.70 against 0.38 for the ensemble before it (K-means, LOF and both PCA
      statistics, which fell to F1 0 on the marketplace, where LOF ranks grouped bots
      as normal), checked on a second seed (benchmarks/RESULTS.md, "Verdicts"). Where
      at most half of the rows are distinct (a system log's repeated workflows) and
      there are at most 50,000, K-means keeps the best of up to 10 K-means++ seedings
      (lowest inertia, fitted on the distinct rows weighted by their counts;
      ``method="kmeans"`` too), so the flags move less with
      ``random_state`` (loghub's 2k-line HDFS sample: 0.27% at 8 seeds, 0.27-4.9%
      with one seeding).
    - "auto" with ``fit(..., normal=True)``: :class:`KNNDetector` with one neighbour,
      the distance to the nearest normal entity; it had the best ROC-AUC and best-cut
      F1 of every detector on the same six sources fitted on normal data.
    - "kmeans", "knn", "lof", "pca" (SPE), "dbscan", "robust_z", "iforest"
      (:class:`IsolationForest`), "ecod" (:class:`ECOD`): that detector alone.
    - "markov": :class:`MarkovDetector` on the event sequences themselves (order
      matters, counts do not); reasons name the improbable steps.
    - "invariants": :class:`~oddseq.detect.InvariantsDetector` on the event sequences'
      per-type counts (Lou et al. 2010: the linear relations among them that nearly
      every fitted sequence keeps, "open = close"); reasons name the relations broken.
    - "lstm", "transformer", "autoencoder" (the "neural" extra: PyTorch): the models of
      :mod:`oddseq.neural` on the event sequences, like "markov"; with
      ``fit(..., normal=True)`` the model is fitted normal-only itself and cuts itself
      at the pipeline's ``false_alarm_rate`` (``fit(..., normal=True)`` of the model:
      its own out-of-fold or held-out scores by its ``n_folds="auto"``, its support
      rule, whose flags ``is_anomaly`` carries; the LSTM's count term), not refitted
      ``n_folds`` times by the pipeline (whose ``n_folds`` is not read there).

    ``item_categories`` (item id -> category) adds category variety to the features;
    events whose item it has no category for leave them missing (the fitted typical
    values, in proportion), not "one category", and scoring warns when that is most
    events (a later log's new items: fit with categories that cover them).
    ``recent_change=True`` adds each entity's recent sessions against its own past
    (:class:`~oddseq.encode.RecentChangeEncoder`; needs times), for hijacked accounts.
    ``crowds=True`` adds ``crowd_peak`` (:class:`~oddseq.encode.CrowdEncoder`; needs
    items and times): the largest crowd on one of the entity's items in one clock hour
    against the item's usual crowd, counted among the sequences fitted or scored together
    (a ring on one payee, credential stuffing from a few proxies); "auto" adds it in
    unsupervised fitting where the fitted sequences have items and times, span a day or
    more and hold at most 20 million events.
    :func:`detect_anomalies` passes "auto"; the estimator's default is False, so a model
    for :class:`~oddseq.stream.StreamScorer` (which scores each entity alone and cannot
    count crowds) is one by default. ``crowds_`` says whether the fitted model has it.
    ``funnel`` names the event of each purchase-funnel role (``{"view": "pv", "cart":
    "add", "buy": "pay_ok"}``; roles view, cart, fav, buy; ``{}``: none) for the
    funnel features (``cart_per_view``, ``buy_per_cart``, ``n_items_bought``...); None
    reads them from the event names (:class:`~oddseq.encode.DiversityEncoder`: pv/view,
    cart/add_to_cart/add, fav/wishlist, buy/purchase/order; a ``checkout`` is never read
    as a purchase). ``funnel_`` holds the roles used.
    ``evidence_prior`` (default 30): features estimated from an entity's events or gaps
    (shares, ratios, rates) are pulled toward the population's median as if the
    population's value were worth that many events (:class:`EvidenceShrinker`), so a
    two-event user's 1/1 buy rate is not ranked as odd as a long sequence's; on the
    nothing-planted shop logs the flags had been such short users, and the planted
    anomalies are long (prior 2 before; 30 ranked every labelled shop log better, HDFS
    the same: benchmarks/RESULTS.md, "Nothing planted, and the marketplace's cut").

    Attributes (after ``fit``): ``encoder_``, ``log_scaler_``, ``z_scaler_``,
    ``detector_``, ``feature_names_``, ``table_`` (the training table),
    ``reference_scores_`` (what ``p_normal`` and ``predict_proba`` compare with),
    ``context_`` (from :func:`detect_anomalies` with ``context=`` and ``oddseq fit
    --context``: ``{"columns": the side columns, "entity": ..., "time": ..., "event": the
    event column where the types done only on brief values were read (None without
    times or events; absent in a model of an earlier release), "reading": the time
    reading options not at their defaults, "given": the caller's own side columns
    fitted beside them}``, as a later log's side
    table is read, ``score(seqs, entity_features=context_features(log, entity, columns,
    time, event=event))``, joined to the caller's table where "given" names columns; None
    otherwise).
    Methods: :meth:`fit`, :meth:`score` (the ranked table of new sequences),
    :meth:`predict_proba` (each entity's normal and anomaly probabilities),
    :meth:`p_normal`, :meth:`explain`, :meth:`features` (the matrix it scored),
    :meth:`add_item_categories`, ``save``.

    Examples
    --------
    >>> from oddseq.datasets import make_ecommerce
    >>> from oddseq.sequences import Sequences
    >>> log = make_ecommerce(n_users=400, random_state=1).events
    >>> seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
    >>> pipe = AnomalyPipeline(method="knn").fit(seqs[:300])
    >>> new = pipe.score(seqs[300:])
    >>> len(new), list(new.columns)[:3]
    (100, ['score', 'rank', 'is_anomaly'])
    """

    # (a model saved before context_ was kept, or fitted without context=: none)
    context_ = None

    def __init__(
        self,
        method="auto",
        contamination="auto",
        n_clusters=8,
        random_state=0,
        progress=False,
        item_categories=None,
        false_alarm_rate=None,
        threshold="tail",
        n_folds=5,
        evidence_prior=30.0,
        min_events=1,
        entity_features=None,
        recent_change=False,
        funnel=None,
        crowds=False,
    ):
        self.item_categories = item_categories
        self.method = method
        self.contamination = contamination
        self.n_clusters = n_clusters
        self.random_state = random_state
        self.progress = progress
        self.false_alarm_rate = false_alarm_rate
        self.threshold = threshold
        self.n_folds = n_folds
        self.evidence_prior = evidence_prior
        self.min_events = min_events
        self.entity_features = entity_features
        self.recent_change = recent_change
        self.funnel = funnel
        self.crowds = crowds

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's parameters, ``{name: value}`` (scikit-learn's convention:
        ``AnomalyPipeline(**pipe.get_params())`` and ``sklearn.base.clone`` copy it
        unfitted; ``deep`` is accepted for that API, no parameter holds an estimator)."""
        return {name: getattr(self, name) for name in _init_names(type(self))}

    def set_params(self, **params) -> AnomalyPipeline:
        """Set constructor parameters by name (refit to use them); returns the pipeline."""
        names = _init_names(type(self))
        for name in params:
            if name not in names:
                raise ValueError(
                    f"{name!r} is not a parameter of AnomalyPipeline; its parameters: "
                    f"{', '.join(names)}"
                )
        for name, value in params.items():
            setattr(self, name, value)
        return self

    @property
    def funnel_(self) -> dict:
        """The event of each funnel role the features read, ``{role: event}`` (roles
        the log lacks are absent): ``funnel`` where given, else read from the event
        names."""
        if not hasattr(self, "encoder_"):
            raise AttributeError("funnel_: the pipeline is not fitted; call fit first")
        for _, encoder in getattr(self.encoder_, "encoders_", []):
            if isinstance(encoder, DiversityEncoder):
                return dict(encoder.funnel_)
        return {}

    def _side_features(self, seqs: Sequences, fitting: bool, checks: bool = True):
        """The entity_features rows of these sequences (by entity id; sessions take
        their entity's), as float64, missing values at the fitted medians; None when
        there are none. ``checks=False``: without the coverage check (oddseq.dask makes
        it over all its partitions)."""
        if self.entity_features is None:
            return None
        if fitting:
            self._check_side_features(_entity_name(seqs))
        if checks:
            name, keys = _entity_name(seqs), _entity_keys(seqs)
            counts = self._side_coverage(seqs)
            self._check_side_coverage(counts, name, fitting, keys)
        values = self._side_values(seqs)
        if fitting:
            finite = np.where(np.isfinite(values), values, np.nan)
            with warnings.catch_warnings():
                # A column no fitted entity has (without the checks): NaN, then 0 below.
                warnings.simplefilter("ignore", RuntimeWarning)
                median = np.nanmedian(finite, axis=0)
            self._side_median = np.where(np.isfinite(median), median, 0.0)
        if checks:  # (after the fit's medians: the warning names them)
            given = _SIDE_GIVEN.get()
            fitted_table = not fitting and not (given and given[0] is self and given[1] is not None)
            self._warn_side_gaps(counts, name, fitting, keys, fitted_table)
        values = np.where(np.isfinite(values), values, self._side_median)
        return values

    def _check_side_features(self, entity=None) -> pd.DataFrame:
        """entity_features must be a DataFrame with one row per entity id and numeric
        or boolean columns. A column named like the entity (``entity``, the sequences'
        id name) is the key: the table is indexed by it, never scored as a feature.
        Sets and returns the table as joined (``_side_table_``)."""
        self._side_table_ = _checked_side(self.entity_features, entity)
        return self._side_table_

    def _side_table(self) -> pd.DataFrame:
        """entity_features as joined (keyed by the entity column where it has one); the
        table given to the :meth:`score` under way, where one was."""
        given = _SIDE_GIVEN.get()
        if given is not None and given[0] is self and given[1] is not None:
            return given[1]
        return getattr(self, "_side_table_", self.entity_features)

    def _scoring_side(
        self, entity_features, seqs: Sequences, call: str = "score", warn: bool = True
    ):
        """The side table :meth:`score` joins: ``entity_features`` checked as fit checks
        it, with the fitted columns in their order (others refused); None for the fitted
        table, where the model was fitted with one it warns once (:meth:`_say_fitted_side`;
        ``warn=False``: the caller judges), naming the argument (of ``call``: "score", or
        "explain", whose form is explain(seqs, entity_ids, ...))."""
        if entity_features is None:
            if warn:
                self._say_fitted_side(call)
            return None
        if self.entity_features is None:
            raise ValueError(
                "entity_features: this model was fitted without entity_features, so it "
                "has no place for them; fit with them to use them "
                "(AnomalyPipeline(entity_features=side))"
            )
        return self._in_fitted_columns(_checked_side(entity_features, _entity_name(seqs)))

    def _in_fitted_columns(self, side: pd.DataFrame) -> pd.DataFrame:
        """A checked side table with the fitted columns in their order (others refused,
        naming the fix)."""
        fitted = list(self._side_table().columns)
        missing = [c for c in fitted if c not in side.columns]
        if missing:
            context = getattr(self, "context_", None)
            # (a context table read otherwise than the fit read it: the call that reads
            # it alike, e.g. without event= it has no brief_types, RV s55 M2)
            read = "" if context is None else f" (read as fitted: {context_call(context)})"
            raise ValueError(
                f"entity_features lacks the columns {missing} the model was fitted with; "
                f"give the table with the fitted columns {fitted}{read}"
            )
        extra = [c for c in side.columns if c not in fitted]
        if extra:
            raise ValueError(
                f"entity_features has columns {extra} the model was not fitted with; "
                f"drop them (side.drop(columns={extra!r})) or refit with them"
            )
        return side[fitted]

    def _say_fitted_side(self, call: str = "score") -> None:
        """Where the model was fitted with ``entity_features`` and is given none: that it
        reads the table given at fit, once per model (whichever thread first)."""
        said = object()  # once per model, whichever thread scores first (setdefault)
        if self.entity_features is None or self.__dict__.setdefault("_side_said", said) is not said:
            return
        context = self.context_
        if context is not None:  # context='s table: the new log's, read as the fit read it
            side = f"entity_features={context_call(context)}"
            warnings.warn(
                f"this model was fitted with context={context['columns']!r}, and scores "
                "with the side columns' features of the log it was fitted on (its "
                "entities' values as they were then; others take the fitted medians); "
                "pass the new log's with "
                + (
                    f"explain(seqs, entity_ids, {side})"
                    if call == "explain"
                    else f"score(seqs, {side})"
                ),
                UserWarning,
                stacklevel=user_stacklevel(),
            )
            return
        warnings.warn(
            "this model was fitted with entity_features, and scores with the table "
            "given at fit (its values as they were then; entities without a row "
            "take the fitted medians); pass the current one with "
            + (
                "explain(seqs, entity_ids, entity_features=side)"
                if call == "explain"
                else "score(seqs, entity_features=side)"
            ),
            UserWarning,
            stacklevel=user_stacklevel(),
        )

    def _side_coverage(self, seqs: Sequences) -> np.ndarray:
        """The side table's gaps among these sequences' entities, as counts oddseq.dask
        adds up over its partitions (an entity's sequences lie in one): [entities with
        a row, entities, then per column the NaN values of those rows, then per column
        their infinite values]; :meth:`_check_side_coverage` and
        :meth:`_warn_side_gaps` read them."""
        keys = pd.Index(_entity_keys(seqs)).unique()
        table = self._side_table()
        found = keys[keys.isin(table.index)]
        values = table.reindex(found).to_numpy(dtype=np.float64, na_value=np.nan)
        return np.concatenate(
            [[found.size, keys.size], np.isnan(values).sum(axis=0), np.isinf(values).sum(axis=0)]
        ).astype(np.int64)

    def _side_counts(self, counts) -> tuple[int, int, np.ndarray, np.ndarray]:
        """(found, entities, NaN per column, infinite per column) of :meth:`_side_coverage`."""
        counts = np.asarray(counts, dtype=np.int64)
        k = (counts.size - 2) // 2
        return int(counts[0]), int(counts[1]), counts[2 : 2 + k], counts[2 + k :]

    def _rekey_hint(self, name, keys, found=None) -> str:
        """How to key a side table that finds few entities (its index by the entity id,
        or its ids converted to the log's dtype); where its index already bears the
        entity's name, not that but the rows it lacks (``found`` 0: none, with a few
        ids of each, the table's and the log's, to compare)."""
        entity, name = name, name or "the entity id"
        side = self._side_table()
        hint = _id_dtype_hint(side, keys)
        if hint:
            return hint
        wanted = None if keys is None else pd.Index(keys)
        if wanted is not None and len(wanted) and not isinstance(wanted, pd.MultiIndex):
            # The ids in a column of another name: of those holding at least half of
            # them, one of unique values first (a feature of small numbers, counts or
            # ages, can hold the ids too, repeated), then the one holding the most.
            best = None
            for column in side.columns:
                share = wanted.isin(side[column]).mean()
                rank = (bool(side[column].is_unique), share)
                if share >= 0.5 and (best is None or rank > best[0]):
                    best = (rank, column)
            if best is not None:
                column = best[1]
                return (
                    f"its index must be the entity id, and its column {column!r} holds "
                    f"them: side.set_index({column!r}) (or name it {name!r})"
                )
        if entity is not None and side.index.name == entity and found == 0:
            # Named right but not one id in common: another log's table, or the ids
            # written another way ("u17" for 17): a few of each say which.
            return (
                f"its index is named {entity!r} but holds none of these ids ("
                + _first_ids(side.index, keys)
                + "): the table of other entities, or the ids written another way? give "
                "it a row per entity of this log, its index the ids as the log writes them"
            )
        if entity is not None and side.index.name == entity:
            # Keyed right (a partial export, last week's users): not its index's fault.
            return (
                f"its index is the entity id ({entity!r}) but holds few of these ids: give "
                "it a row per entity"
            )
        return (
            f"its index must be the entity id: index it by {name!r} "
            f"(side.set_index({name!r})) or give it a column named {name!r}, with a "
            "row per entity"
        )

    def _check_side_coverage(self, counts, name, fitting: bool, keys=None) -> None:
        """Refuse a side table the pipeline cannot use for these entities (``counts``,
        :meth:`_side_coverage`; ``name``: the entity column's, ``keys``: the entity ids,
        for the words). One keyed by something else (row numbers, another id) finds few
        of them: under ``_SIDE_MIN_SHARE`` of the fitted entities is refused (of the
        scored ones :meth:`_warn_side_gaps` warns: new entities may lack a row).
        Infinite values are refused (no value to impute: NaN says "unknown"), and in
        fit a column without a value for any fitted entity (nothing to learn)."""
        found, entities, nan, infinite = self._side_counts(counts)
        if entities == 0:
            return
        kind = "fitted" if fitting else "scored"
        share = found / entities
        if fitting and share < _SIDE_MIN_SHARE:
            raise ValueError(
                f"entity_features has rows for {found:,} of the {entities:,} fitted "
                f"entities ({share:.0%}); {self._rekey_hint(name, keys, found)}"
            )
        columns = list(self._side_table().columns)
        if infinite.any():
            listed = ", ".join(f"{c}: {int(n):,}" for c, n in zip(columns, infinite) if n)
            raise ValueError(
                f"entity_features has infinite values in its rows of the {entities:,} "
                f"{kind} entities ({listed}); replace them by finite values, or by NaN "
                "where the value is unknown (it then takes the fitted median): "
                "side.replace([np.inf, -np.inf], np.nan)"
            )
        empty = [c for c, n in zip(columns, nan) if fitting and n == found]
        if empty:
            raise ValueError(
                f"entity_features columns {empty} have no value for any of the "
                f"{entities:,} fitted entities (NaN or no row): nothing to learn from; "
                f"fill them or drop them (side.drop(columns={empty!r}))"
            )

    def _warn_side_gaps(
        self, counts, name, fitting: bool, keys=None, fitted_table: bool = False
    ) -> None:
        """One DataWarning where entities have no row in the side table or NaN values
        (``counts``, :meth:`_side_coverage`), naming how many, the fitted medians they
        take and how to say otherwise; where under ``_SIDE_MIN_SHARE`` of the scored
        entities have a row, how to key the table (a fit refuses that first), or, scoring
        with the table given at fit (``fitted_table``), that the entities new since the
        fit have no row there."""
        found, entities, nan, _ = self._side_counts(counts)
        missing = entities - found
        if entities == 0 or (missing == 0 and not nan.any()):
            return
        kind = "fitted" if fitting else "scored"
        columns = list(self._side_table().columns)
        listed = ", ".join(f"{c}: {int(n):,}" for c, n in zip(columns, nan) if n)
        dtype_hint = (
            _id_dtype_hint(self._side_table(), keys) if found / entities < _SIDE_MIN_SHARE else ""
        )
        if found / entities < _SIDE_MIN_SHARE and fitted_table and not dtype_hint:
            # Scored with the table given at fit: the entities new since have no row in
            # it (its index is what fit accepted; the fix is this log's table). Not where
            # the log's ids are of another dtype than the table's (text "17" for 17): that
            # is said with its conversion below.
            message = (
                f"entity_features (the table given at fit) has rows for {found:,} of the "
                f"{entities:,} scored entities ({found / entities:.0%}): entities new since "
                "the fit have none. Pass the table of these entities (score(seqs, "
                "entity_features=side)) to read their values; the others"
            )
            if nan.any():
                message += f", and {int(nan.sum()):,} NaN values in its rows ({listed}),"
        elif found / entities < _SIDE_MIN_SHARE:
            message = (
                f"entity_features has rows for {found:,} of the {entities:,} {kind} "
                f"entities ({found / entities:.0%}); {self._rekey_hint(name, keys, found)}; the "
                "others"
            )
            if nan.any():
                message += f", and {int(nan.sum()):,} NaN values in its rows ({listed}),"
        elif missing:
            message = (
                f"entity_features has no row for {missing:,} of the {entities:,} {kind} "
                f"entities ({missing / entities:.1%})"
            )
            if nan.any():
                message += (
                    f", and {int(nan.sum()):,} NaN values in the rows of the others ({listed})"
                )
            message += ": these"
        else:
            message = (
                f"entity_features has {int(nan.sum()):,} NaN values in the rows of the "
                f"{entities:,} {kind} entities ({listed}): these"
            )
        gaps = [j for j in range(len(columns)) if missing or nan[j]]
        medians = ", ".join(f"{columns[j]} {self._side_median[j]:.4g}" for j in gaps[:5])
        medians += ", ..." if len(gaps) > 5 else ""
        # context='s own columns (marked where the one call made them), not a table of
        # context_features passed as entity_features (review RV s48 M3)
        marked = set(self._side_table().attrs.get(CONTEXT_MARK, ()))
        sides = {j: _reasons._CONTEXT_NAME.match(str(columns[j])) for j in gaps}
        sides = {j: m for j, m in sides.items() if m is not None and m.group(2) in marked}
        if not missing and gaps and len(sides) == len(gaps):
            # The gaps are context='s own (TR s48 L11: the warning spoke of an
            # entity_features table the caller never passed, and a fix on it)
            said = {}
            for j, match in sides.items():
                said.setdefault(match.group(2), int(nan[j]))
            counted = ", ".join(f"{c!r}: {n:,}" for c, n in said.items())
            names = [repr(c) for c in said]
            named = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
            message = (
                f"context=: entities without a value in a side column ({counted}, of the "
                f"{entities:,} {kind}): a gap of the export, or an entity that never did "
                "what the column records (a card on deposits only); their features of it "
                f"take the fitted medians ({medians}). Where no value means none, leave "
                f"{named} out of context{CONTEXT_SHELL}{CONTEXT_FILL}"
            )
            warnings.warn(message, DataWarning, stacklevel=user_stacklevel())
            return
        example = columns[int(np.argmax(nan))] if nan.any() else columns[-1]
        message += (
            f" take the fitted medians ({medians}). Where a missing row or value means "
            "something else (a count of none: 0), fill the table first "
            f"(side.fillna({{{example!r}: 0}}), and a row for each entity)"
        )
        warnings.warn(message, DataWarning, stacklevel=user_stacklevel())

    def _side_values(self, seqs: Sequences) -> np.ndarray:
        """The entity_features rows of these sequences as they are (float64, NaN where
        missing); oddseq.dask takes the medians of their finite values over partitions."""
        return (
            self._side_table()
            .reindex(_entity_keys(seqs))
            .to_numpy(dtype=np.float64, na_value=np.nan)
        )

    def _side_linear(self, n_side: int) -> np.ndarray | None:
        """The columns of ``feature_names_`` (the last ``n_side``, the side attributes)
        read on their own scale, not the log's: all but those whose values (the table's,
        as given) have a long tail away from zero, skewed ``SIDE_LOG_SKEW`` or more to
        the right with most of them at or above zero, or to the left with most of them at
        or below it (the signed log compresses both). None without any.

        Why: a log scale suits counts and amounts (a long right tail), as the behaviour
        features are; an attribute spread evenly (an account age of 30-2,000 days), or
        bunched at its top (an age capped at 2,000: skewed left), on a log scale has its
        low end stretched into outliers: an even column of noise took a shop's flags from
        41 to 50, 11 of them named for it ("account_age_days 34 (typical 996)"), where on
        its own scale it names none (trial s42, finding 5; the capped one: 4 named against
        1, review s42 M4)."""
        if not n_side:
            return None
        table = self._side_table()
        start = len(self.feature_names_) - n_side
        linear = []
        for k, column in enumerate(table.columns):
            values = np.asarray(table[column], dtype=np.float64)
            values = values[np.isfinite(values)]
            spread = float(values.std()) if values.size else 0.0
            if values.size < 3 or spread == 0:
                continue
            skew = float(np.mean(((values - values.mean()) / spread) ** 3))
            # (away from zero: to the right of a column mostly >= 0, to the left of one
            # mostly <= 0; a column of debts bunched at its floor, its tail toward zero,
            # stays on its own scale: review RV2 s42 M2)
            median = float(np.median(values))
            long_tail = (skew >= SIDE_LOG_SKEW and median >= 0) or (
                skew <= -SIDE_LOG_SKEW and median <= 0
            )
            if not long_tail:
                linear.append(start + k)
        return np.asarray(linear, dtype=np.int64) if linear else None

    def _set_feature_names(self) -> int:
        """``feature_names_``: the fitted encoder's features, then the side attributes'
        columns (refused where one has a behaviour feature's name); returns how many side
        columns there are."""
        names = list(self.encoder_.get_feature_names_out())
        side = [] if self.entity_features is None else list(self._side_table().columns)
        clash = sorted(set(map(str, side)) & set(names))
        if clash:
            raise ValueError(
                f"entity_features columns {clash} have the names of behaviour features; rename them"
            )
        self.feature_names_ = np.asarray(names + [str(c) for c in side], dtype=object)
        return len(side)

    def _features(self, seqs: Sequences, fitting: bool, checks: bool = True):
        """Behaviour features, with the side attributes joined after them.
        ``checks=False``: without the checks that read all the sequences scored (the
        side table's coverage, the unknown-category warning): oddseq.dask makes them
        over all its partitions."""
        raw = self._missing_categories(seqs, self.encoder_.transform(seqs), fitting, checks)
        side = self._side_features(seqs, fitting, checks)
        if side is None:
            return raw
        return np.hstack([raw.astype(np.float64), side])

    def _category_columns(self) -> list[int]:
        """The fitted encoder's category features (``DiversityEncoder``'s) that items
        without a known category leave missing; none without item_categories."""
        if self.item_categories is None:
            return []
        names = list(self.encoder_.get_feature_names_out())
        return [j for j, name in enumerate(names) if name in DIVERSITY_CATEGORY_NAMES]

    def _item_events(self, seqs: Sequences):
        """(item code of each event, whether it has an item, whether that item has a
        category in item_categories, the category code of each item code)."""
        _, item_category = category_of_items(self.item_categories, seqs.item_labels)
        items = np.asarray(seqs.items)
        has_item = items >= 0
        known = np.zeros(items.size, dtype=bool)
        known[has_item] = item_category[items[has_item]] >= 0
        return items, has_item, known, item_category

    def _category_shares(self, seqs: Sequences, events=None) -> np.ndarray:
        """Each sequence's share of item events whose item has a known category (1
        where it has none). ``events``: :meth:`_item_events` of ``seqs`` if at hand."""
        _, has_item, known, _ = events or self._item_events(seqs)
        offsets = np.asarray(seqs.offsets, dtype=np.int64)

        def per_sequence(flags):
            total = np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])
            return total[offsets[1:]] - total[offsets[:-1]]

        n_items, n_known = per_sequence(has_item), per_sequence(known)
        return np.divide(n_known, n_items, out=np.ones(len(n_items)), where=n_items > 0)

    def _category_events(self, seqs: Sequences, events=None) -> np.ndarray:
        """[events with an item, those whose item has a known category] (oddseq.dask
        adds them up over its partitions)."""
        _, has_item, known, _ = events or self._item_events(seqs)
        return np.array([has_item.sum(), known.sum()], dtype=np.int64)

    def _unknown_items(self, seqs: Sequences, events=None):
        """(labels of the items these sequences use that have no known category, labels
        of every item they use; oddseq.dask unites them over its partitions)."""
        items, has_item, _, item_category = events or self._item_events(seqs)
        used = distinct(items[has_item])
        labels = pd.Index(seqs.item_labels)
        return labels[used[item_category[used] < 0]], labels[used]

    def _missing_categories(self, seqs: Sequences, raw: np.ndarray, fitting: bool, checks=True):
        """The category features (``DiversityEncoder``'s) of events whose item has no
        category in ``item_categories`` are missing, not "no variety": a sequence whose
        items the map does not know (a later log's new items) would read as one category,
        entropy 0. Each sequence's category features move toward their fitted typical
        value (the median over the fitted sequences whose items all have a category) by
        the share of its item events without one: all unknown, the typical value; all
        known, as they are. Scoring warns when most events' items have none (``checks``;
        oddseq.dask warns over all its partitions)."""
        if seqs.items is None:
            return raw
        columns = self._category_columns()
        if not columns:
            return raw
        events = self._item_events(seqs)
        share = self._category_shares(seqs, events)
        if fitting:
            rows = _typical_category_rows(raw, share, columns)
            self._category_typical = np.median(rows, axis=0) if len(rows) else None
        if not fitting and checks:
            unknown = _unknown_category_share(*self._category_events(seqs, events))
            if unknown is not None:
                missing, used = self._unknown_items(seqs, events)
                hint = _category_key_hint(self.item_categories, missing)
                _warn_unknown_categories(unknown, missing.size, used.size, hint)
        # None: a pipeline saved before the typical values were learned.
        return _blend_categories(raw, share, columns, getattr(self, "_category_typical", None))

    def _new_encoder(self) -> EncoderUnion:
        """The feature encoders, unfitted (oddseq.dask fits them on a summary of its
        partitions' sequences)."""
        # A compact set: with distance-based detectors, the full default_encoder's
        # 70+ columns dilute the distances (measured on make_ecommerce: average
        # precision 0.44 against 0.60 for this set with K-means at medium difficulty).
        encoders = [
            (
                "counts",
                # Types never seen in fit get a column: in normal-only fitting
                # they are the plainest novelty there is (a new error template).
                CountTimingEncoder(max_event_types=_MAX_EVENT_COLUMNS, count_unseen=True),
            ),
            (
                "diversity",
                # getattr: a model saved before funnel= was a parameter guessed the roles
                DiversityEncoder(
                    item_categories=self.item_categories, funnel=getattr(self, "funnel", None)
                ),
            ),
        ]
        if self.recent_change:
            # Each entity's recent sessions against its own past (needs times).
            encoders.append(("change", RecentChangeEncoder(item_categories=self.item_categories)))
        if getattr(self, "crowds_", False):
            # Crowds on each entity's items, counted among the sequences encoded together.
            encoders.append(("crowd", CrowdEncoder()))
        return EncoderUnion(encoders)

    def _detector(self, n_rows: int, tied=None):
        """The unfitted detector for ``n_rows`` rows; ``tied``: the groups of the
        matrix it will be fitted on (``tied_rows``' ``weighted``), handed to its
        K-means for that fit."""
        c = self.contamination
        k = max(1, min(self.n_clusters, n_rows))
        neighbours = max(1, min(10, n_rows - 1))
        kmeans = KMeansDetector(
            n_clusters=k,
            contamination=c,
            n_init=_kmeans_restarts(n_rows, getattr(self, "_kmeans_distinct", None)),
            random_state=self.random_state,
        )
        if tied is not None:
            kmeans._known_tied = tied  # its fit checks them and drops them
        if self.method == "auto" and getattr(self, "normal_", False):
            # Normal-only: the distance to the nearest normal entity (is there one like
            # it?), the count-vector novelty of the log-anomaly literature.
            return KNNDetector(n_neighbors=1, contamination=c)
        if self.method == "auto":
            return EnsembleDetector(
                [
                    ("kmeans", kmeans),
                    ("pca_t2", PCADetector(statistic="t2")),
                    ("robust_z", RobustZDetector()),
                ],
                # Reasons from the members whose "typical" is the population's (the
                # nearest large cluster, the mean, the median); a local expectation
                # (LOF's neighbours, PCA's reconstruction of an extreme user) is extreme
                # too (on the Taobao head it called 10.7 favourites per view "typical").
                explain_with=("kmeans", "pca_t2", "robust_z"),
                contamination=c,
            )
        return {
            "kmeans": lambda: kmeans,
            "knn": lambda: KNNDetector(n_neighbors=neighbours, contamination=c),
            "lof": lambda: LOF(n_neighbors=max(1, min(20, n_rows - 1)), contamination=c),
            "pca": lambda: PCADetector(contamination=c),
            "dbscan": lambda: DBSCANDetector(min_samples=max(2, min(10, n_rows)), contamination=c),
            "robust_z": lambda: RobustZDetector(contamination=c),
            "iforest": lambda: IsolationForest(contamination=c, random_state=self.random_state),
            "ecod": lambda: ECOD(contamination=c),
            "markov": lambda: MarkovDetector(contamination=c),
            "invariants": lambda: InvariantsDetector(contamination=c),
            **{
                name: lambda cls=cls: getattr(importlib.import_module("oddseq.neural"), cls)(
                    contamination=c, random_state=self.random_state
                )
                for name, cls in NEURAL_METHODS.items()
            },
        }[self.method]()

    # Each parameter's constraint (oddseq.utils._params), checked at the top of fit.
    # item_categories and entity_features are data, checked where they are used.
    _parameter_checks = {
        "method": Options(*METHODS, *WORKFLOW_METHODS, *NEURAL_METHODS),
        "contamination": Contamination(),
        "n_clusters": Integer(1),
        "false_alarm_rate": Optional(Check(check_false_alarm_rate)),
        "threshold": Check(lambda rule, name: check_threshold_rule(rule)),
        "n_folds": Integer(2, note="folds the normal data is split in for out-of-fold scores"),
        "evidence_prior": Real(0, None, note="0 turns shrinkage off"),
        "min_events": Integer(1, note="entities with fewer events are left out"),
        "recent_change": Options(False, True),
        "crowds": Options(False, True, "auto"),
        "funnel": Optional(Check(_funnel_steps)),
    }

    def _check_params(self) -> dict:
        """The parameters checked against ``_parameter_checks``, by name; a rate beside
        a share is refused (the share's cut reads no rate: it was ignored unsaid)."""
        params = validate_params(self)
        if self.contamination != "auto" and self.false_alarm_rate is not None:
            raise ValueError(
                f"false_alarm_rate={self.false_alarm_rate!r} is the rate of "
                f"contamination='auto' (the share of normal entities it may flag), and "
                f"contamination={self.contamination!r} flags the top share of the scores "
                "whatever the rate: pass one of the two (--false-alarm-rate or "
                "--contamination from the shell)"
            )
        return params

    def _fitted_event_labels(self):
        """The event types the model was fitted on, as it keeps them (their dtype), or
        None."""
        encoder = getattr(self, "encoder_", None)
        for _, part in getattr(encoder, "encoders_", []) or []:
            if hasattr(part, "event_labels_"):
                return part.event_labels_
        for owner in (encoder, getattr(self, "detector_", None)):
            labels = getattr(owner, "event_labels_", None)
            if labels is not None:
                return labels
        return None

    def _as_fitted_events(self, seqs: Sequences) -> Sequences:
        """``seqs`` with their event types in the kind of the fitted ones where the two
        differ only in how numbers are written: template ids fitted as numbers (5, 22)
        and given as text ("5", from JSON strings or a column read as str) or as floats
        (5.0, a column with a gap), or fitted as text and given as numbers. Compared as
        written, every such event was a type the model never saw (or a warning said so
        of right scores); the stream compares them so too. Text that is no number stays
        an unseen type."""
        fitted = self._fitted_event_labels()
        labels = seqs.event_labels
        if (
            fitted is None
            or not len(labels)
            or (labels.dtype == fitted.dtype and labels.equals(fitted))
        ):
            return seqs
        numeric = fitted.dtype.kind in "iuf"
        given_numeric = labels.dtype.kind in "iuf"
        if (
            numeric
            and given_numeric
            and not (labels.dtype.kind == "f" and fitted.dtype.kind in "iu")
        ):
            return seqs
        if numeric:
            numbers = pd.to_numeric(pd.Series(labels.astype(object)), errors="coerce")
            read = numbers.notna().to_numpy().copy()
            if not read.any():
                return seqs
            values = numbers.to_numpy(dtype=np.float64)
            if fitted.dtype.kind in "iu":
                read &= np.isfinite(values) & (values == np.round(values))
                if not read.any():
                    return seqs
            new = labels.astype(object).to_numpy().copy()
            new[read] = [int(v) if fitted.dtype.kind in "iu" else float(v) for v in values[read]]
        else:
            if not given_numeric or not all(isinstance(v, str) for v in fitted[:1000]):
                return seqs
            # (one rule with the stream's: 5.0 as "5")
            from .stream._scorer import _number_texts

            new = _number_texts(labels.to_numpy())
        relabelled = copy.copy(seqs)
        relabelled.event_labels = pd.Index(new, name=labels.name)
        return relabelled

    def _kept(self, seqs: Sequences) -> Sequences:
        """The sequences with at least ``min_events`` events."""
        if self.min_events <= 1:
            return seqs
        return seqs.take(np.flatnonzero(seqs.lengths >= self.min_events))

    @reusing_memory
    def fit(self, seqs: Sequences, normal: bool = False):
        """Fit the model on ``seqs`` and rank them (``table_``).

        Parameters
        ----------
        seqs : Sequences
        normal : bool, default=False
            False (unsupervised): ``seqs`` hold an unknown share of odd entities, and
            ``contamination="auto"`` cuts where the training scores' tail model puts
            ``false_alarm_rate`` (default 0.01) of normal entities, moved into a
            clear gap where there is one: up into one above it (a plateau of tied
            normal entities just under the anomalous ones; at most a quarter fewer
            flags; distinct scores under the gap are a milder group and stay flagged,
            ``threshold_info_["gap_above"]``) or down to
            one below it within the top 5% (the lower edge of a group that stands
            apart and inflated the tail model), the wider where both are clear
            (:func:`~oddseq.detect.auto_cut`, the rule of every oddseq model fitted
            without labels; ``threshold_info_["gap"]``, ``["moved"]``: "up", "down" or
            None, ``["tail_threshold"]``: the cut before the move), never
            below the detector's own floor where it has one (method="markov": one miss,
            as ``MarkovDetector(contamination="auto")``; ``threshold_info_["floor"]``).
            On fewer sequences than ``1 / false_alarm_rate`` (100 at the default) the
            cut lies past the top of the data, extrapolated from its top fifth, and odd
            sequences more than a tenth of them read as the normal tail: a warning says
            so and names ``contamination=`` (``threshold_info_["few_sequences"]``).
            Where the cut flags under half the rate's share, and so few is at most 0.1%
            likely by chance, the data contradict its tail model (a group of a few
            percent at the top bent it): the tail is refitted without that top and the
            cut moved from there (``threshold_info_["tail_refit"]``), and a DataWarning
            says what the first cut flagged, what the refit flags, and names
            ``contamination=`` for where the group is a minority of alike normal
            entities.
            True (normal-only,
            the semi-supervised protocol of the log-anomaly literature): ``seqs`` are
            normal behaviour; the cut is the (1 - ``false_alarm_rate``) quantile
            (default 0.005) of out-of-fold scores: each sequence scored by a detector
            fitted on the other ``n_folds - 1`` folds, never in-sample (optimistic for
            neighbour methods); a float ``contamination`` is refused here (it is the
            share of anomalies among the fitted entities, and its cut an in-sample one):
            pass ``false_alarm_rate``. On fewer normal sequences than ``1 /
            false_alarm_rate`` (200 at the default) that quantile lies past their
            scores, extrapolated from the top few, and the share flagged can be several
            times the rate or nothing odd can pass the cut: a warning says so and advises
            fitting on more, reading the ranked table from the top, or a rate they can
            show, 1/n rounded up (``false_alarm_rate=0.034`` for 30;
            ``threshold_info_["few_sequences"]``).
            Each feature's scale carries one pseudo-row a log unit
            from the mean, so what the normal data never did (an event type none of it
            had) weighs most. A warning says when the normal data holds a group of at
            least 2% far beyond the rest: data that is visibly not normal. For every
            detector of features it reads each normal entity's out-of-fold distance to
            its nearest normal entity (the default's own scores; of at most 20,000
            entities, a part drawn by content beyond), whatever the method: the other
            detectors' own scores put rare normal modes as far out as anomalies.
            ``threshold_info_["separate_tail"]`` >= 2 (see
            :func:`~oddseq.detect.separate_tail`): a handful of rare normal workflows
            far out is not such a group; on features shrunk by evidence, a group must
            also lie far beyond its peers in evidence (the longer entities, whose
            features the shrinkage leaves freer, are not a group apart from the compact
            spike of short ones). Where most normal entities have a twin (those
            distances tied at 0 over the lower half), "far" is counted in units of how
            far apart the normal data's variants lie, and 2% to a third of the
            entities 8 units out warn too (``threshold_info_["far_from_twins"]``: that
            share, 0.0 where there is none, None where the test does not apply). The
            detectors of sequences are checked on their own scores (``method="markov"``
            on its miss counts: blocks with one rare step are not a group). Where normal
            entities seldom leave each other's range (out of fold less often than
            ``false_alarm_rate``, as the repeated workflows of a system
            log), an entity outside the range the normal data took on some feature (a
            new event type, more of one than any normal entity had) is flagged where
            its score is above that of a typical normal variant (``support_floor_``),
            and the others are cut at what is left of the rate among the normal
            entities inside the range (``support_rule_``, ``novelty_rate_``): above
            every out-of-fold score there where ties fill their top, or in a clear gap
            under a top group apart of no more than the rate allows, a rare far family
            rather than the normal variants' tail (``threshold_info_["top_apart"]``: how
            many lie above it; None where the cut did not move).
            Use :meth:`score` on the data to judge.

        ``threshold_info_["n_flagged_in_fit"]`` and ``["share_flagged_in_fit"]`` count
        the fitted entities the cut flags (``table_``'s flags; in normal-only fitting,
        normal entities, a false-alarm count): not a scored table's, and before the
        group stage of :func:`detect_anomalies`, whose members it does not count
        (``"n_flagged"`` and ``"share_flagged"``: their old names, kept).
        """
        self._check_params()
        if not isinstance(seqs, Sequences):
            raise TypeError(not_sequences("AnomalyPipeline.fit", seqs))
        if not isinstance(normal, (bool, np.bool_)):
            raise TypeError(f"normal must be True or False, got {normal!r}")
        refuse_share_with_normal(self.contamination, bool(normal))
        if not len(seqs):
            raise ValueError(
                "seqs has no sequences (a log without rows): nothing to fit on; fit on a "
                "log with events (score gives a day without events an empty table)"
            )
        n_all, seqs = len(seqs), self._kept(seqs)
        if len(seqs) < 2:
            what = "normal " if normal else ""
            raise ValueError(too_few_to_fit(len(seqs), self.min_events, n_all, what=what))
        self.normal_ = bool(normal)
        self.context_ = None  # (detect_anomalies' context= sets it after the fit)
        if self.crowds is True and self.method in ("markov", "invariants", *NEURAL_METHODS):
            raise ValueError(
                f"crowds=True adds a feature, and method={self.method!r} reads the event "
                "sequences themselves, not features: pass crowds=False, or a method of "
                "features (auto, knn, kmeans, iforest, ...)"
            )
        self.crowds_ = _with_crowds(self.crowds, seqs, normal=self.normal_)
        _check_the_log(seqs)
        # What scoring compares new data with (columns, event types, time span).
        self._fitted_data = _fitted_data.describe(seqs)
        if self.normal_:  # (what score tells of the entities fitted on)
            self._fitted_data["fingerprints"] = _fitted_data.kept_fingerprints(
                entity_fingerprints(seqs)
            )
        self._explain_rows = {}  # what explain(entity_ids) reads (see _remember)
        self._per_thread = threading.local()  # each thread's last score (see _last_score)
        self._last_score().left_out = n_all - len(seqs)  # (by min_events)
        self._kmeans_distinct = None  # counted once the matrix exists (see below)
        _warn_clusters_past_entities(self, len(seqs))
        self.detector_ = self._detector(len(seqs))
        stage = self._input_stage()
        # (a method of the sequences themselves reads no features: no crowds)
        self.crowds_ = self.crowds_ and stage is _FeatureInput
        # Counted stages: the input's own (encoding and scaling for a detector of
        # features), the detector, the cut (one per fold when it is calibrated out of
        # fold), the reasons.
        own_cut = self._detector_cuts_normal_fit()
        folds = self.n_folds if (self.normal_ and self.contamination == "auto") else 1
        if own_cut:  # its refits are part of its own fit
            folds = 1
            if len(seqs) < _OWN_CUT_MIN_SEQUENCES:
                raise ValueError(
                    f"normal-only fitting with method={self.method!r} needs at least "
                    f"{_OWN_CUT_MIN_SEQUENCES} normal sequences (its cut reads scores of "
                    f"refits on folds of them), got {len(seqs)}"
                )
        with bar(
            f"modelling {len(seqs):,} sequences",
            total=stage.n_steps + 2 + folds,
            unit="stage",
            enabled=self.progress,
        ) as progress:
            data = stage.fit(self, seqs, progress)
            if self._counts_distinct_rows(len(seqs)):  # K-means restarts where tied
                # Untied rows are told by their hashes alone; tied ones are grouped, and
                # the KMeansDetector fitted on data.X is handed the groups (it checks
                # them: the distinct rows hashed, not every row again).
                self._kmeans_distinct, tied = tied_rows(data.X)
                self.detector_ = self._detector(len(seqs), tied)
            progress.set_postfix_str(f"fitting {type(self.detector_).__name__}")
            with _own_cut_only(self.normal_):
                if own_cut:
                    rate = self.false_alarm_rate or DEFAULT_NORMAL_FALSE_ALARM_RATE
                    self.detector_.set_params(false_alarm_rate=rate)
                    self.detector_.fit(data.X, normal=True)
                else:
                    self.detector_.fit(data.X)
            warn_neighbour_twins(self)
            if data.raw is not None:  # "entities like it have": K-means clusters' medians
                self._typical_like = _reasons.typical_like(self, data.X, data.raw, seqs.lengths)
                # and the neighbours' own values (KNN, LOF)
                self._like_rows = _reasons.like_rows(self, data.raw, seqs.lengths)
            progress.update(1)
            progress.set_postfix_str("threshold")
            # (the lengths for the normal-only check within evidence, where the detector
            # reads features the evidence shrinkage shrank)
            shrunk = self.evidence_prior > 0 and self._input_stage() is _FeatureInput
            self._set_threshold(
                data.X,
                self.detector_.decision_scores_,
                progress,
                lengths=seqs.lengths if shrunk else None,
            )
            self._support_rule(data)
            progress.set_postfix_str("reasons")
            self.table_ = self._table(seqs, data, self.detector_.decision_scores_)
            progress.update(1)
        return self

    def _counts_distinct_rows(self, n_rows: int) -> bool:
        """Whether fitting counts the matrix's distinct rows (``_kmeans_distinct``): the
        detector holds the pipeline's K-means and restarts could run on ``n_rows``
        (:func:`_kmeans_restarts`)."""
        kmeans = self.method == "kmeans" or (self.method == "auto" and not self.normal_)
        return kmeans and _kmeans_restarts(n_rows, 0) > 1

    def _detector_cuts_normal_fit(self) -> bool:
        """Whether normal-only fitting with contamination="auto" leaves the cut to the
        detector's own normal-only fit (the neural detectors: their out-of-fold scores
        by ``n_folds="auto"``, their support rule, the LSTM's count term) rather than
        refitting it ``n_folds`` times here."""
        return bool(
            self.normal_
            and self.contamination == "auto"
            and getattr(self.detector_, "_own_normal_cut", False)
        )

    def _input_stage(self):
        """The stage that turns sequences into what the fitted detector reads and
        words its reasons (:class:`_FeatureInput` or :class:`_SequenceInput`, by the
        detector's ``input_kind``)."""
        return _INPUT_STAGES[getattr(self.detector_, "input_kind", "matrix")]

    def _set_threshold(self, data, train_scores, progress=None, out_of_fold=None, lengths=None):
        """The threshold stage: ``threshold_``, the scores flags are judged against
        (``reference_scores_``) and a record of the rule (``threshold_info_``);
        ``progress`` (a counted bar) advances once, or once per out-of-fold fit.
        ``out_of_fold``: the normal data's out-of-fold scores where the caller has them
        (oddseq.dask, from its partitions), else computed here from ``data``.
        ``lengths``: the fitted sequences' lengths where the detector reads features
        shrunk by evidence, for the normal-only check within evidence
        (:meth:`_check_normal`); without them it judges all scores together."""
        train_scores = np.asarray(train_scores, dtype=np.float64)
        contamination = self.contamination
        jump = twins = tail = floor = moved = above = None
        if out_of_fold is None:  # (oddseq.dask's _out_of_fold may hand over its folds)
            self._fit_folds = None  # normal-only: the folds drawn below (_support_rule's)
        refit = bagged = None  # the unsupervised tail: its refit where its cut collapsed, its bag
        tied_top = None  # the unsupervised tail: a block tied at the top it flags none of
        uncheckable = None  # ... its few flags on too few entities to test them (a count)
        few = False  # the unsupervised tail cut on fewer sequences than 1 / rate
        if contamination != "auto":
            # A float share: the detector checked it (check_contamination) when fitted.
            cut = pipeline_cut(self, train_scores).cut
            rule, reference, rate = f"top {contamination:g} of the training scores", None, None
        elif self._detector_cuts_normal_fit():
            rate = self.false_alarm_rate or DEFAULT_NORMAL_FALSE_ALARM_RATE
            detector = self.detector_
            cut, reference = float(detector.threshold_), detector.validation_scores_
            source = "out-of-fold" if detector.n_folds_ else "held-out"
            rule = (
                f"{type(detector).__name__}'s own normal-only cut: {1 - rate:g} quantile of "
                f"its {source} scores of the normal data"
            )
            if detector.support_rule_:
                rule += ", sequences outside the normal sequences' support flagged"
            jump, twins = self._check_normal(reference, rate, self._counted_scores())
            if progress is not None:
                progress.update(1)
        elif self.normal_:
            rate = self.false_alarm_rate or DEFAULT_NORMAL_FALSE_ALARM_RATE
            reference = out_of_fold
            if reference is None:  # (oddseq.dask computes them over its partitions)
                # Drawn once, read again by the support rule (random_state None, a
                # Generator or a RandomState draws other folds at each call).
                self._fit_folds = folds_in_order(
                    content_order(data), self.n_folds, self.random_state
                )
                with _own_cut_only(True):
                    reference = out_of_fold_scores(
                        lambda: self._detector(len(train_scores)),
                        data,
                        self.n_folds,
                        self.random_state,
                        on_fold=None if progress is None else lambda: progress.update(1),
                        fold=self._fit_folds,
                    )
            cut = pipeline_cut(self, reference, rate).cut
            rule = f"{1 - rate:g} quantile of out-of-fold scores of the normal data"
            evidence = None
            if lengths is not None and self.evidence_prior > 0:
                lengths = np.asarray(lengths, dtype=np.float64)
                evidence = lengths / (lengths + self.evidence_prior)
            check, evidence, read, unit = self._not_normal_scores(data, reference, evidence)
            jump, twins = self._check_normal(
                check, rate, self._counted_scores(), evidence, read, unit
            )
            # (fewer normal sequences than 1 / rate: the quantile is extrapolated past
            # their scores, said below as the unsupervised cut's is)
            scored = np.asarray(reference, dtype=np.float64)
            scored = scored[np.isfinite(scored)]
            few = (
                _too_few_for_the_rate(scored.size, rate)
                and scored.size > 0
                and bool(scored.min() < scored.max())
            )
        elif self.threshold == "tail":
            rate = self.false_alarm_rate or DEFAULT_FALSE_ALARM_RATE
            # The tail cut, up into a clear gap above a plateau of tied scores if it
            # fell under one (at most a quarter fewer flags), or down to the lower edge
            # of a group apart if it fell inside one (at most the top 5%): auto_cut;
            # never below the detector's own floor where it has one (Markov: one miss),
            # the detector's rule itself, not a copy of it; where it collapsed, repaired
            # (_tail_refit), raised to that floor again: pipeline_cut, the one
            # composition predict_confidence re-runs too.
            # (all scores equal: said once, by the detector's own fit where it cuts by
            # the tail rule too)
            cut, tail, moved, refit, bagged = pipeline_cut(
                self, train_scores, rate, warn=self.detector_.natural_cut
            )
            plain = cut if bagged is None else bagged["plain_threshold"]
            reference = train_scores
            rule = f"generalized Pareto tail of the training scores at false-alarm rate {rate:g}"
            if refit is not None:  # the cut collapsed: repaired (see _tail_refit)
                aside = refit["set_aside"] / len(train_scores)
                rule += (
                    f", refitted without the top {aside:.2%}"
                    if aside
                    else ", moved toward the gap under the group at the top"
                ) + f" (the first cut flagged {refit['first_n_flagged']:,})"
            # The move up's test, and why it went as it did (flags under the gap tied or
            # distinct; None: no clear gap above the tail cut).
            above = _gap_above(train_scores, tail)[1]
            # Which entities the test weighed, and whether they are flagged, in words:
            # "the 27 flags under it" read as unflagged ones (H1 s15, finding 2).
            if above is not None:
                lying = (
                    f"the {above['dropped']:,} entities scored between the tail cut and "
                    f"the gap hold {above['distinct']:,} distinct "
                    + ("score" if above["distinct"] == 1 else "scores")
                )
            if moved > tail:
                rule += ", moved up into the clear gap above it" + (
                    "" if above is None else f": {lying} (a plateau of ties) and are not flagged"
                )
            elif above is not None and not above["moved"]:
                rule += (
                    f", not moved up into the clear gap above it: {lying} (a group of their "
                    "own, not a plateau of ties) and stay flagged"
                )
            if moved < tail:
                rule += ", moved down to the gap below the group it fell in"
            if plain > moved:
                floor = plain
                rule += f", raised to {type(self.detector_).__name__}'s own floor"
                if isinstance(self.detector_, MarkovDetector):
                    rule += " (one miss)"
            else:
                few = _too_few_for_the_rate(train_scores.size, rate)
                # (not where the refit acted, nor above a floor: Markov's one miss is no
                # tail model's cut)
                if refit is None and not few:  # (few: its own note says the cut)
                    own = self.detector_._cut_floor()
                    tied_top = _tied_top(train_scores, rate, cut, own)
                    if tied_top is None:
                        uncheckable = _uncheckable_cut(
                            train_scores, rate, plain, int(np.count_nonzero(train_scores > cut))
                        )
            if bagged is not None and cut != plain:
                rule += (
                    f"; bagged: it flagged {bagged['plain_n_flagged']:,}, and "
                    f"{bagged['mean_flagged']:,.1f} on average over {bagged['draws']} "
                    "bootstrap draws of the scores, the share this cut flags"
                )
        else:
            cut, reference, rate = pipeline_cut(self, train_scores).cut, train_scores, None
            rule = "median + 3 x 1.4826 MAD of the training scores"
        if progress is not None and not (self.normal_ and contamination == "auto"):
            progress.update(1)
        self.threshold_ = float(cut)
        self.reference_scores_ = reference
        flagged = int((train_scores > cut).sum())
        self.threshold_info_ = {
            "rule": rule,
            "threshold": float(cut),
            "false_alarm_rate": rate,
            # the fitted entities the cut flags (table_'s flags, before any group
            # stage; normal-only: normal entities); "n_flagged" and "share_flagged":
            # the old names, kept for code and saved models that read them
            "n_flagged_in_fit": flagged,
            "share_flagged_in_fit": flagged / max(len(train_scores), 1),
            "n_flagged": flagged,
            "share_flagged": flagged / max(len(train_scores), 1),
            "normal_only": self.normal_,
            "separate_tail": jump,
            # Normal-only with a detector of features, where most normal entities have a
            # twin: the share of them far from every other (_far_from_twins; 0.0 where
            # no group of 2% to a third is); None otherwise (no twins, fewer than two
            # variants, a detector of sequences, a float contamination)
            "far_from_twins": twins,
            "tail_threshold": None if tail is None else float(tail),
            "gap": tail is not None and moved != tail,
            # Which way the gap moved the tail cut: "up", "down" or None.
            "moved": None if tail is None or moved == tail else ("up" if moved > tail else "down"),
            # The move up's test: None where no gap above the tail cut is clear, else
            # {"moved": whether the flags under it are a plateau of ties (at most half as
            # many distinct scores as flags), "dropped": those flags, "distinct": their
            # distinct scores}; the cut takes the move down instead where that is wider.
            "gap_above": above,
            "floor": floor,
            # Fewer sequences than 1 / false_alarm_rate under the unsupervised tail cut,
            # or normal sequences under the normal-only cut (see _too_few_for_the_rate):
            # noted with a warning.
            "few_sequences": few,
            # Where the unsupervised cut first flagged under half the rate (the data
            # contradict its tail model), the tail refitted without the top that bent
            # it, the cut: {"threshold", "n_flagged", "share_flagged", "set_aside": the
            # top scores left out, "tail_threshold": the refitted tail's cut before its
            # moves, "first_threshold", "first_n_flagged": the cut it replaced}; None
            # elsewhere. "tail_threshold" and "moved" above are then the refit's.
            "tail_refit": refit,
            # The unsupervised tail cut bagged (oddseq.detect._threshold.bagged_cut): the
            # share the rule above flags on bootstrap draws of the training scores, on
            # average: {"threshold", "n_flagged", "mean_flagged", "plain_threshold" and
            # "plain_n_flagged" (the rule's own cut on the scores), "draws",
            # "spread_flagged" (the draws' 10th and 90th percentile counts)}; None
            # elsewhere.
            "bagged": bagged,
        }
        if refit is not None:
            _warn_collapsed_cut(
                len(train_scores), rate, refit, flagged, int((train_scores > plain).sum())
            )
        if tied_top is not None:
            _warn_tied_top(len(train_scores), *tied_top)
        if uncheckable is not None:
            _warn_uncheckable_cut(len(train_scores), rate, uncheckable, flagged)
        if bagged is not None and _unsettled(bagged["spread_flagged"], len(train_scores)):
            seeded = self.method in ("auto", "kmeans", "iforest") or self.method in NEURAL_METHODS
            _warn_unsettled_cut(len(train_scores), bagged["spread_flagged"], flagged, seeded)
        if few and self.normal_:
            _warn_too_few_normal(scored.size, rate)  # (the finite ones counted: RV s35 L2)
        elif few and train_scores.min() < train_scores.max():  # (equal: said already)
            _warn_too_few_for_the_rate(len(train_scores), rate, flagged)

    def _support_rule(self, data) -> None:
        """Normal-only fitting's support rule (``support_rule_``): flag what the normal
        data never did. An entity outside the range the normal entities took on some
        feature (an event type none of them had, more of one than any of them had) is
        flagged where its score is above ``support_floor_`` (the median out-of-fold
        score of the untwinned normal entities inside the range: one step past the
        range and no farther from the normal data than a typical normal variant is a
        variant; None where fewer than 10 such scores, then whatever its score:
        :func:`~oddseq.detect._threshold._support_floor`); the rest are cut at what is
        left of the
        false-alarm rate among the out-of-fold scores of the normal entities inside the
        range, and where ties fill their top (every normal entity has a twin: a
        system log's repeated workflows) strictly above all of them
        (``_normal_cut(above_ties=True)``), or, where a top group of at most the
        exceedances that rate allows stands apart from the other untwinned scores by a
        gap one population does not give, in that gap's middle
        (:func:`~oddseq.detect._threshold._gap_under_top`;
        ``threshold_info_["top_apart"]``: the group's size, None where the cut did not
        move). The rule holds only where it keeps the promise: its own out-of-fold
        false-alarm rate (normal entities outside the range of the other folds,
        ``novelty_rate_``) is below ``false_alarm_rate``;
        else the plain out-of-fold cut stays (and ``threshold_info_`` as it was).
        Measured on HDFS blocks (1,000 normal ones, 16 cells): false alarms
        0.18-1.06% -> 0.05-0.31%, reweighted flag F1 0.926 -> 0.963; on the shop logs
        (continuous features: 1.0-1.5% of normal users leave the other folds' range)
        the rule stands aside (benchmarks/RESULTS.md, "Normal-only HDFS: the support
        rule"; the floor: "Normal-only HDFS: the support rule's floor")."""
        self.support_rule_, self.novelty_rate_, self.support_floor_ = False, None, None
        # The folds that scored the reference (_set_threshold's, or those oddseq.dask's
        # _out_of_fold handed over; else None), read here once and not kept in the model.
        fold, self._fit_folds = getattr(self, "_fit_folds", None), None
        on = self.normal_ and self.contamination == "auto"
        if not on or not isinstance(data.X, np.ndarray):
            return
        # The range of what the detector reads (after the evidence shrinkage): a user
        # with two events is not outside it on a rate that two events cannot estimate.
        X, reference = data.X, self.reference_scores_
        n = X.shape[0]
        # The folds of out_of_fold_scores (drawn in the rows' content order): a row is
        # outside the range of the very rows whose detector scored it (none handed over:
        # drawn again, the same folds where random_state is an int).
        if fold is None or len(fold) != n:
            fold = folds_in_order(content_order(X), self.n_folds, self.random_state)
        outside = outside_other_folds(X, fold, self.n_folds)
        novelty = float(outside.mean())
        rate = self.threshold_info_["false_alarm_rate"]
        self.novelty_rate_ = novelty
        if novelty >= rate or outside.all():
            return
        left = (rate - novelty) / (1.0 - novelty)
        inside = reference[~outside]
        # The top inside score (ties filled the top, no tail to model: _normal_cut's
        # above_ties cut): moved down into a clear gap under a top group of at most the
        # rate's allowance (a rare far family, not the tail of the normal variants:
        # _gap_under_top); apart: the scores above it. The median of this cut over
        # SUPPORT_CUT_DRAWS fold assignments (the fit's own and more seeded from
        # random_state; oddseq.dask too, on the matrices it fetched whole): one
        # assignment decides whether ties leave the rate 10 exceedances, i.e. whether
        # the cut lands inside the untwinned scores or above them all
        # (_support_cut_over_draws).
        with _own_cut_only(True):
            self.threshold_, apart = _support_cut_over_draws(
                lambda: self._detector(n),
                X,
                self.n_folds,
                self.random_state,
                rate,
                (reference, outside),
                SUPPORT_CUT_DRAWS,
            )
        # The range widened by a share of its span on each side: one step past the
        # normal data's extreme on a continuous feature (a 14-day span a hair longer
        # than any in the normal fortnight) is no novelty (TR s46 H1: flags at rank
        # 3,122 with p_normal 0.43); a count none of the normal entities had (a span of
        # 0) stays outside at any excess.
        low, high = X.min(axis=0), X.max(axis=0)
        margin = _SUPPORT_MARGIN * (high - low)
        self.support_rule_, self._support_range = True, (low - margin, high + margin)
        # An entity outside the range no farther from the normal data than a typical
        # untwinned normal entity is a normal variant (_support_floor); none with too
        # few such scores.
        self.support_floor_ = _support_floor(inside)
        flagged = int((self.detector_.decision_scores_ > self.threshold_).sum())
        if apart is not None:
            above = (
                f"into the gap under the top {apart} out-of-fold "
                + ("score" if apart == 1 else "scores")
                + " (a group apart, within the rate)"
            )
        elif self.threshold_ >= inside.max():
            above = "above every out-of-fold score"
        else:
            above = f"above the {1 - left:.4g} quantile of the out-of-fold scores"
        floor = self.support_floor_
        beyond = "" if floor is None else f" and scoring above {floor:.4g}"
        self.threshold_info_.update(
            rule=(
                f"outside the normal data's range on some feature ({novelty:.2%} of normal "
                f"entities out of fold){beyond}, or {above} of the normal entities inside it"
            ),
            threshold=self.threshold_,
            n_flagged_in_fit=flagged,
            share_flagged_in_fit=flagged / max(n, 1),
            n_flagged=flagged,
            share_flagged=flagged / max(n, 1),
            novelty_rate=novelty,
            support_floor=floor,
            # The out-of-fold scores inside the range above the gap the cut moved
            # into (a top group apart; None: not moved).
            top_apart=apart,
        )

    def support_bounds(self):
        """Where normal-only fitting's support rule holds (``support_rule_``), the
        range ``(low, high)`` the normal entities took on each column of the detector's
        matrix, widened by ``_SUPPORT_MARGIN`` (5%) of its span on each side (the rule's
        own out-of-fold gate, ``novelty_rate_``, reads the unwidened ranges: it holds
        where it would without the margin): a row outside it on some column is flagged
        where its score is above ``support_floor_`` (where that is not None; as
        :class:`oddseq.stream.StreamScorer` alerts too); else None."""
        if not getattr(self, "support_rule_", False):
            return None
        return self._support_range

    def _outside_support(self, data, scores) -> np.ndarray | bool:
        """Rows the support rule flags (:meth:`_support_rule`): outside the normal
        data's range on some feature with a score (``scores``, the detector's) above
        ``support_floor_``; False where the rule does not hold."""
        bounds = self.support_bounds()
        if bounds is None:
            # A neural model's own support rule, where it fitted normal-only itself (a
            # model saved before the rule existed has no such attribute: False).
            if self._detector_cuts_normal_fit() and getattr(self.detector_, "support_rule_", False):
                return self.detector_._outside_support(data.X)
            return False
        low, high = bounds
        outside = ((data.X < low) | (data.X > high)).any(axis=1)
        floor = getattr(self, "support_floor_", None)  # (None in models saved before it)
        return outside if floor is None else outside & (np.asarray(scores) > floor)

    def _counted_scores(self) -> bool:
        """Whether the detector's scores count events (MarkovDetector's "surprise": its
        misses, plus the worst event's surprisal / 100 below one to break ties)."""
        detector = self.detector_
        return isinstance(detector, MarkovDetector) and detector.statistic == "surprise"

    def _not_normal_scores(self, X, reference, evidence):
        """What the not-normal check reads (:meth:`_check_normal`): ``(scores,
        evidence, what they are, unit)``, ``unit`` the distance between the normal
        data's variants where most normal entities have a twin (:func:`_twin_unit`),
        else None.

        For a detector of features, each normal entity's out-of-fold distance to its
        nearest normal entity in the fitted matrix ``X`` (the default's own normal-only
        scores, ``reference`` where the method is "auto"), whatever the method: is
        there a normal entity like it? Whether the data holds a large group unlike the
        rest is a question about the data, and the other detectors' own out-of-fold
        scores cannot answer it: their rare but normal modes lie as far out as anomalies
        mixed in. Measured (benchmarks/RESULTS.md, "Fifty-seventh session"): on clean
        normal blocks of hdfs_xu, K-means, LOF, PCA and robust_z warned at 6 of 6 fits,
        ECOD at 5, and on a log of a few repeated workflows ECOD, PCA and the isolation
        forest at 12 of 12, where the nearest-normal distance warned at none; with 10%
        of far-out entities mixed in, robust_z and ECOD fell silent. Over
        ``_CHECK_ROWS`` entities, the distances of exactly that many, drawn by content
        (``rows_by_content``: the same part for the same rows in any order, no
        ``random_state`` read); the default reads its own distances of every entity and
        only draws the unit from the part. The detectors of sequences (Markov,
        invariants, the neural models) have no matrix: their own."""
        if X is None or self._input_stage() is not _FeatureInput:
            return reference, evidence, "out-of-fold scores", None
        X = np.asarray(X)
        read = "out-of-fold distances to the nearest normal entity"
        fold = getattr(self, "_fit_folds", None)
        part = None
        if X.shape[0] > _CHECK_ROWS:
            part = rows_by_content(X, _CHECK_ROWS, _CHECK_SEED, resolve_threads(None))
        if self.method == "auto":  # (its own scores are those distances, of every row)
            scores = np.asarray(reference, dtype=np.float64)
            if part is None:
                return scores, evidence, read, _twin_unit(X, scores)
            return scores, evidence, read, _twin_unit(X[part], scores[part])
        if part is not None:
            X, fold = X[part], None
            evidence = None if evidence is None else np.asarray(evidence)[part]
        with _own_cut_only(True):
            scores = out_of_fold_scores(
                lambda: KNNDetector(n_neighbors=1, contamination=self.contamination),
                X,
                self.n_folds,
                self.random_state,
                fold=fold,
            )
        return scores, evidence, read, _twin_unit(X, scores)

    @staticmethod
    def _check_normal(
        reference,
        rate: float,
        counted: bool = False,
        evidence=None,
        read="out-of-fold scores",
        unit=None,
    ) -> tuple[float, float | None]:
        """The local tail shape of the normal data's out-of-fold scores (``reference``:
        :meth:`_not_normal_scores`) where it is largest
        (:func:`~oddseq.detect.separate_tail`), with a warning when a
        large group (at least ``NOT_NORMAL_SHARE``, 2%) sits far beyond the rest: data
        that is visibly not normal, on which the cut would rest. A handful of rare
        normal workflows far out does not warn.

        ``counted``: the scores count events (Markov's misses, with a tie-break below
        one), judged on the counts themselves. The tie-breaks of the sequences without a
        miss spread over a hundredth, so one miss was "far" beyond them, and the normal
        sequences with a rare step (8.4% of hdfs_xu's hdfs_train, 16.7% of DeepLog's)
        read as a group apart; on the counts a group of sequences with many misses
        (5% of random sequences mixed in) still warns.

        ``evidence`` (the fitted sequences' evidence weights ``n / (n + evidence_prior)``,
        aligned with ``reference``, where the detector reads features shrunk by
        evidence): the group must also lie far beyond the spread of its peers in
        evidence. The shrinkage makes the many short entities a compact spike of low
        scores, so the longer ones read as a group apart against it (YOOCHOOSE's
        ordinary clicks: the top 23%, sessions of 3 to 10+ clicks) though each scores
        like its peers. Entities unlike their peers still warn.

        ``read``: what the scores are, as the warning names them
        (:meth:`_not_normal_scores`). ``unit``: where most normal entities have a
        twin, how far apart the normal data's own variants lie (:func:`_twin_unit`):
        a group of 2% to a third at least 8 units beyond the tie warns too
        (:func:`~oddseq.detect._threshold._far_from_twins`), which the tail's shape
        cannot see there.

        Returns ``(shape, far)``: the largest local tail shape, and the share far from
        every twin (None without ``unit``)."""
        reference = np.asarray(reference, dtype=np.float64)
        if counted:
            reference = np.floor(reference)
        # (finite scores only: the check must never stop a fit that the cut survives)
        finite = np.isfinite(reference)
        if evidence is not None:
            evidence = np.asarray(evidence)[finite]
        shape, share = separate_tail(reference[finite], rate, evidence=evidence, unit=unit)
        far = None if unit is None or unit == math.inf else _far_from_twins(reference[finite], unit)
        said = None
        if shape >= NOT_NORMAL_SHAPE:
            said = (
                f"its top {share:.1%} ({read}) lie far beyond the rest (where they start, "
                f"the top spreads {2**shape:.0f}x as far as the scores below it, where one "
                "population's tail gives at most about 2x)"
            )
        elif far:
            said = (
                f"most normal entities have a twin, and {far:.1%} of the entities lie at "
                f"least {_NOT_NORMAL_JUMP:g} times as far from their nearest normal entity "
                f"({read}) as the normal data's variants lie from each other"
            )
        if said:
            warnings.warn(
                f"normal=True, but the data does not look normal: {said}. If they are "
                "anomalies, the cut rests on them and anomalies like them go unflagged: "
                "clean the normal data, or fit without it (unsupervised: fit(seqs) without "
                "normal=True; detect_anomalies without normal=...; oddseq detect without "
                "--normal).",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        return float(shape), far

    def p_normal(self, scores) -> np.ndarray:
        """How often a normal entity scores at least this high: the share of the
        reference scores at or above each score, with a generalized Pareto tail beyond
        the largest, never under ``1 / (n + 1)`` for ``n`` reference scores: what a
        score beyond all of them can be shown to be (the conformal p-value of such a
        score), not 0 ("never") where the tail model ends or is none (normal-only
        tables read 0.0 beyond the top of tied scores: hdfs_xu fitted on 400 normal
        blocks, seed 781, 120 of 300 anomalous blocks; NA s34 LOW-3). Past the top
        of the reference the ``score`` column orders what p_normal no longer tells
        apart. The reference is the out-of-fold normal scores in normal-only
        fitting (calibrated on data the model never saw), else the training scores: then
        the share of the fitted entities, anomalies included, so an upper bound (a
        fitted entity is one of them: its table never reads under ``1 / n``).

        It does not restate the cut. The unsupervised cut comes from a tail model of the
        normal scores (``threshold_info_["false_alarm_rate"]``: the share of normal
        entities it lets over), which reads the excess of the top over that model as
        anomalies; where the log holds more than that share over the cut, flagged rows
        near it have ``p_normal`` above the rate (Taobao's stored head: 1-2% at the cut
        against a rate of 1%). Select flagged rows by
        ``is_anomaly``; read ``p_normal`` as how rare the score is among those
        entities."""
        if isinstance(scores, (Sequences, pd.DataFrame)):
            raise TypeError(
                "p_normal takes scores, not "
                + (
                    "sequences: pipeline.predict_proba(seqs)['normal'] gives each "
                    "entity's (pipeline.score(seqs) ranks them with it)"
                    if isinstance(scores, Sequences)
                    else "a table: pass its scores, pipeline.p_normal(table['score']) (a "
                    "ranked table has its p_normal column already)"
                )
            )
        reference = self._reference()
        return np.maximum(tail_probability(reference, scores), 1.0 / (reference.size + 1))

    def _reference(self) -> np.ndarray:
        """The scores :meth:`p_normal` and :meth:`predict_proba` read: ``reference_scores_``,
        else (a float contamination) the detector's training scores."""
        reference = self.reference_scores_
        if reference is None:
            reference = self.detector_.decision_scores_
        return np.asarray(reference)

    @reusing_memory
    def score(self, seqs: Sequences, entity_features=None) -> pd.DataFrame:
        """The ranked table for new sequences, with the fitted model (features, scaling,
        detector and threshold unchanged).

        ``entity_features``: for a model fitted with them, the side table of the day
        scored (an account's age grows daily), with the fitted columns, checked as fit
        checks it; used for this call only. Without it such a model scores with the
        table given at fit (entities without a row take the fitted medians) and warns
        once, naming the argument. A model fitted without them refuses one.

        Event types never seen in fit are handled, not refused: the default encoder
        counts them together in ``count[<other>]`` (with the fit's rarer types, where
        more than 30 types were seen; a custom encoder without ``count_unseen`` leaves
        them out of the per-type counts), they count in the length and the timing, and
        the "markov" method scores them as one "unseen" symbol, which makes such
        sequences rank high.

        Scoring warns (scores and flags unchanged) where the sequences are not like
        those the model was fitted on (:mod:`oddseq._fitted_data`): their time span
        and the entities' durations differ by more than 3x from the fitted ones (the
        duration and rate features move with the window: fit on a window as long as
        the one scored), over 5% of their events have types the model never saw (most:
        renamed events or the wrong event column), the entity, event or item column
        has another name than at fit, or far more are flagged than the cut promises
        while the bulk of the scores moved (two thirds above the fitted median, each
        at a one-sided binomial level of 1e-6: a few percent of anomalies cannot do
        that). A model saved before these were recorded skips the first three. Like
        :meth:`fit`, it warns of events outside the log's main time window.
        """
        scored = self._scored(seqs, entity_features, "score")
        if scored is None:
            return empty_table(seqs.ids)
        table = self._table(*scored)
        # (kept for the shell's summary line: oddseq detect --normal, oddseq score)
        self._last_score().share_alarm = _fitted_data.warn_share_alarm(
            self, table["score"], table["is_anomaly"]
        )
        return table

    def _scored(
        self, seqs: Sequences, entity_features, call: str, gives="the ranked table's columns"
    ):
        """What :meth:`score` and :meth:`predict_proba` share: their checks and warnings,
        then (the sequences kept by ``min_events``, what the detector read, its scores);
        None where ``seqs`` has no sequences (warned, naming ``gives``). ``call``: the
        method's name, for the refusals."""
        if not hasattr(self, "detector_"):
            from .exceptions import NotFittedError

            raise NotFittedError("AnomalyPipeline is not fitted yet; call fit(sequences)")
        if not isinstance(seqs, Sequences):
            raise TypeError(not_sequences(f"AnomalyPipeline.{call}", seqs))
        side = self._scoring_side(entity_features, seqs)
        if not len(seqs):
            _warn_no_events("seqs has no sequences (a log with no rows)", gives)
            return None
        n_all, seqs = len(seqs), self._kept(self._as_fitted_events(seqs))
        self._last_score().left_out = n_all - len(seqs)
        self._last_score().listed = 0  # (no group stage here)
        if not len(seqs):  # every entity shorter than min_events
            warnings.warn(
                f"no entity of seqs has min_events={self.min_events} events or more: "
                f"{gives} with no rows (an empty table); fit with a lower min_events to "
                "score shorter entities",
                DataWarning,
                stacklevel=user_stacklevel(),
            )
            return None
        _check_the_log(seqs, learning=False)
        _fitted_data.warn_if_unlike(self, seqs)  # columns, event types, time span
        if not _LOG_CHECKED.get():  # (detect_anomalies compared with normal itself)
            _warn_if_scoring_fitted_normal(self, seqs)
        token = _SIDE_GIVEN.set((self, side))
        try:
            data = self._input_stage().transform(self, seqs)
            return seqs, data, self.detector_.decision_function(data.X)
        finally:
            _SIDE_GIVEN.reset(token)

    def features(self, seqs: Sequences, scaled: bool = True, entity_features=None) -> pd.DataFrame:
        """The feature matrix of ``seqs`` as the fitted model reads it, a DataFrame: one
        row per entity, indexed by its id as :meth:`score`'s table is (the entities
        ``min_events`` leaves out are absent), one column per feature, named as
        ``feature_names_`` (the encoders' features, then the side attributes' columns).

        ``scaled=True`` (default): what the detector scores, after the evidence
        shrinkage (``evidence_prior``) and the log and z scaling (in normal-only fitting
        the scale with its pseudo-row): ``detector_.decision_function(X.to_numpy())`` is
        the table's ``score``, ``detector_.cluster_of(X.to_numpy())`` its ``cluster``,
        so ``oddseq.plot.plot_clusters(pipe.features(seqs), table["cluster"],
        anomalies=table["is_anomaly"])`` draws the clusters the table names (it pairs a
        table's columns with the rows by id). ``scaled=False``: the features in the
        data's units, before the shrinkage (the values the reasons quote; what
        :meth:`oddseq.stream.StreamScorer.features` gives of an entity the stream has
        followed through the same events, exactly up to the stream's ``max_exact_items``
        distinct items of an entity; beyond, its item features are the stream's sketch's
        estimate).

        Takes what :meth:`score` takes (``entity_features``: that day's side table, for
        a model fitted with one) and reads the events as it does, without its warnings
        about the log and without keeping the rows :meth:`explain` reads. A model of
        the event sequences themselves (``method`` "markov", "invariants" or a neural
        one) has no feature matrix: a ValueError says so.

        Examples
        --------
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=300, random_state=1).events
        >>> seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
        >>> pipe = AnomalyPipeline().fit(seqs)
        >>> X = pipe.features(seqs)
        >>> X.shape == (300, len(pipe.feature_names_)), X.index.name
        (True, 'user_id')
        >>> scores = pipe.detector_.decision_function(X.to_numpy())
        >>> bool(np.allclose(scores, pipe.detector_.decision_scores_))
        True
        """
        if not hasattr(self, "detector_"):
            from .exceptions import NotFittedError

            raise NotFittedError("AnomalyPipeline is not fitted yet; call fit(sequences)")
        if not isinstance(seqs, Sequences):
            raise TypeError(not_sequences("AnomalyPipeline.features", seqs))
        if not isinstance(scaled, (bool, np.bool_)):
            raise TypeError(f"scaled must be True or False, got {scaled!r}")
        if self._input_stage() is not _FeatureInput:
            raise ValueError(
                f"method={self.method!r} scores the event sequences themselves, not a "
                "feature matrix: this model has none to give; fit a method of features "
                "(AnomalyPipeline(method='auto'), 'knn', 'kmeans', 'iforest', ...) to read "
                "or draw them"
            )
        side = self._scoring_side(entity_features, seqs)
        names = list(self.feature_names_)
        if len(seqs):
            seqs = self._kept(self._as_fitted_events(seqs))
        if not len(seqs):
            return pd.DataFrame(np.empty((0, len(names))), index=seqs.ids[:0], columns=names)
        token = _SIDE_GIVEN.set((self, side))
        try:  # (not _FeatureInput.transform: explain(entity_ids) keeps the last score's)
            if scaled:
                X = self._matrix(seqs)[1]
            else:
                X = self._features(seqs, fitting=False)
        finally:
            _SIDE_GIVEN.reset(token)
        return pd.DataFrame(X, index=seqs.ids, columns=names)

    def predict_proba(self, seqs: Sequences, method="tail", entity_features=None) -> pd.DataFrame:
        """The probability that each entity is normal and that it is an anomaly, as a
        DataFrame indexed by entity id (in the order of ``seqs``; the entities
        ``min_events`` leaves out are absent, as from :meth:`score`'s table) with
        columns ``normal`` and ``anomaly`` (``.to_numpy()`` gives the detectors'
        ``(n, 2)`` array).

        ``method="tail"`` (the default here): ``normal`` is the ranked table's
        ``p_normal`` (:meth:`p_normal`, the same function) and ``anomaly`` one minus it,
        the share of the reference scores (``reference_scores_``: the out-of-fold scores
        of the normal entities in normal-only fitting, else the fitted entities', anomalies
        included) strictly below the entity's score, with a generalized Pareto tail
        beyond the largest, at most ``n / (n + 1)`` for ``n`` of them: 0.99 reads
        "higher than 99% of the reference", whatever the detector's scale, and on
        entities like the normal ones of a normal-only fit it is about uniform.
        ``method="linear"`` (PyOD's and the detectors' default): the score min-max
        scaled by the reference's range and clipped to [0, 1], which has no such
        reading.

        Neither restates ``is_anomaly``: the cut is its own rule (see :meth:`p_normal`
        and ``threshold_info_``; normal-only fitting also flags entities outside the
        normal data's range); select flagged entities by :meth:`score`'s ``is_anomaly``.

        Takes what :meth:`score` takes (``entity_features``: that day's side table, for
        a model fitted with one), checks and warns as it does, without the reasons. A
        ``seqs`` with no sequences gives an empty frame and a DataWarning.

        Examples
        --------
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=400, random_state=1).events
        >>> seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
        >>> pipe = AnomalyPipeline(method="pca").fit(seqs[:300])
        >>> proba = pipe.predict_proba(seqs[300:])
        >>> list(proba.columns), len(proba)
        (['normal', 'anomaly'], 100)
        >>> bool((proba["normal"] == pipe.score(seqs[300:])["p_normal"].loc[proba.index]).all())
        True
        """
        if method not in ("tail", "linear"):
            raise ValueError(f"method must be 'tail' or 'linear', got {method!r}")
        # explain(entity_ids) reads the last score()'s entities: not these (it reports no
        # reasons), so its scoring step keeps none (see _remember).
        last = self._last_score()
        last.not_kept = True
        try:
            scored = self._scored(
                seqs, entity_features, "predict_proba", gives="the columns normal and anomaly"
            )
        finally:
            last.not_kept = False
        if scored is None:
            return pd.DataFrame({"normal": [], "anomaly": []}, index=seqs.ids[:0], dtype=np.float64)
        kept, _, scores = scored
        if method == "tail":
            normal = self.p_normal(scores)
            anomaly = 1.0 - normal
        else:
            reference = self._reference()
            low, high = float(np.min(reference)), float(np.max(reference))
            anomaly = min_max_probability(scores, low, high)
            normal = 1.0 - anomaly
        return pd.DataFrame({"normal": normal, "anomaly": anomaly}, index=kept.ids)

    def predict_confidence(self, seqs: Sequences, entity_features=None) -> pd.Series:
        """How stable each entity's ``is_anomaly`` is, in [0, 1], as a Series named
        ``confidence`` indexed by entity id (in the order of ``seqs``; the entities
        ``min_events`` leaves out are absent, as from :meth:`score`'s table): PyOD's
        ``predict_confidence`` (ExCeeD, Perini et al., ECML PKDD 2020, as the detectors'),
        read against the pipeline's reference scores (``reference_scores_``, the
        out-of-fold normal ones in normal-only fitting) and its cut (``threshold_``, which
        flags ``share`` of them; a float ``contamination`` is that share): the probability
        that a reference of the same size would put the entity on the same side of the
        cut. Where the cut's rule can be re-run (``contamination="auto"``, but normal-only
        fitting's support rule), that is the share of its cuts on other draws of the
        reference that keep the verdict (:func:`oddseq.detect._base.bootstrap_cuts`),
        not ExCeeD's binomial of a quantile; the scores are held fixed, and refits that
        move them (unsupervised fits) flip more verdicts than this says. 1 = the verdict
        would not change; near 0.5 = it rests on the cut. The
        verdicts are the table's, the support rule's flags of normal-only fitting
        included: an entity flagged by that rule alone (outside the normal range, its
        score under the cut) is read against the rule's floor (``support_floor_``), on
        which its verdict rests.

        Takes what :meth:`score` takes, checks and warns as it does, without the
        reasons. A ``seqs`` with no sequences gives an empty Series and a DataWarning.

        Examples
        --------
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=400, random_state=1).events
        >>> seqs = Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")
        >>> pipe = AnomalyPipeline(method="pca").fit(seqs[:300])
        >>> confidence = pipe.predict_confidence(seqs[300:])
        >>> len(confidence), bool(confidence.between(0, 1).all())
        (100, True)
        """
        last = self._last_score()
        last.not_kept = True  # no reasons: explain(entity_ids) keeps the last score's
        try:
            scored = self._scored(
                seqs, entity_features, "predict_confidence", gives="the confidences"
            )
        finally:
            last.not_kept = False
        if scored is None:
            return pd.Series([], index=seqs.ids[:0], dtype=np.float64, name="confidence")
        kept, data, scores = scored
        over = scores > self.threshold_
        by_range = ~over & self._outside_support(data, scores)
        reference = self._reference()
        share = float(np.mean(reference > self.threshold_))
        # the rule's rate where its cut flags fewer of the reference (tied or
        # extrapolated scores: verdict_confidence's docstring); a contamination is the share
        rate = (getattr(self, "threshold_info_", None) or {}).get("false_alarm_rate")
        c = self.contamination
        if isinstance(c, numbers.Real) and not isinstance(c, bool):
            share, rate = float(c), None
        # the cut's own spread where its rule can be re-run on resamples of the reference
        cuts = pipeline_confidence_cuts(self, reference)
        confidence = verdict_confidence(
            reference, scores, over | by_range, share, rate=rate, cuts=cuts
        )
        if np.any(by_range):
            # Flagged by the support rule alone (outside the normal range, a score over
            # support_floor_): their verdict rests on that floor, not on the cut (read at
            # the cut, such a flag read 0.007-0.14: "unsure" of a verdict the range makes).
            floor = getattr(self, "support_floor_", None)
            if floor is None:  # (a neural model's own rule)
                floor = getattr(self.detector_, "support_floor_", None)
            if floor is None:  # (saved before the floor: the range alone flags)
                confidence[by_range] = 1.0
            else:
                confidence[by_range] = verdict_confidence(
                    reference, scores[by_range], True, float(np.mean(reference > floor))
                )
        return pd.Series(confidence, index=kept.ids, name="confidence")

    def add_item_categories(self, item_categories) -> AnomalyPipeline:
        """Join the categories of items new since the fit to the fitted ones (which win
        where both name an item), so that :meth:`score` reads a later log's new items by
        their categories rather than as items without one; returns the pipeline.

        A model fitted with ``item_categories`` knows the categories of the items it was
        fitted on; a later log's new items have none there, their category features are
        then taken as missing (the fitted typical values), and scoring warns where that is
        most item events. ``oddseq score --category COLUMN`` does this from the shell.
        The joined categories stay with the model (saved with it).

        Parameters
        ----------
        item_categories : dict or pandas.Series
            Item id -> category, one per item, e.g.
            ``later.groupby("item_id")["category_id"].first()``.

        Returns
        -------
        AnomalyPipeline
            ``self``.

        Examples
        --------
        >>> from oddseq.datasets import make_ecommerce
        >>> log = make_ecommerce(n_users=300, random_state=0).events
        >>> early, later = log[log.timestamp < log.timestamp.median()], log
        >>> roles = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
        >>> pipe = AnomalyPipeline(
        ...     item_categories=early.groupby("item_id")["category_id"].first()
        ... ).fit(Sequences.from_events(early, **roles))
        >>> table = pipe.add_item_categories(
        ...     later.groupby("item_id")["category_id"].first()
        ... ).score(Sequences.from_events(later, **roles))
        >>> len(table) == later["user_id"].nunique()
        True
        """
        if not hasattr(self, "detector_"):
            from .exceptions import NotFittedError

            raise NotFittedError(
                "AnomalyPipeline is not fitted yet; call fit(sequences) with item_categories "
                "first, then add_item_categories for a later log's new items"
            )
        if self.item_categories is None:
            raise ValueError(
                "add_item_categories: the model was fitted without item categories, so it "
                "has no category features to read them; fit with them "
                "(AnomalyPipeline(item_categories=...), category=... in detect_anomalies, "
                "oddseq fit --category) to use categories"
            )
        if isinstance(item_categories, pd.DataFrame):
            raise TypeError(
                "item_categories must map items to categories (a dict, or a Series indexed "
                "by item), got a DataFrame; pass df.groupby(item)[category].first() of it"
            )
        if not isinstance(item_categories, (dict, pd.Series)):
            if isinstance(item_categories, (list, tuple, np.ndarray, pd.Index)):
                category_of_items(item_categories, pd.Index([]))  # its TypeError, worded
            raise TypeError(
                "item_categories must map items to categories (a dict, or a Series indexed "
                f"by item such as df.groupby(item)[category].first()), got a "
                f"{type(item_categories).__name__}"
            )
        added = pd.Series(item_categories, dtype=None if len(item_categories) else object)
        category_of_items(added, pd.Index([]))  # one category per item, or its ValueError
        joined = pd.Series(self.item_categories).combine_first(added)
        self.item_categories = joined
        for _, encoder in getattr(getattr(self, "encoder_", None), "encoders_", []):
            if getattr(encoder, "item_categories", None) is not None:
                encoder.item_categories = joined
        return self

    def explain(
        self, seqs=None, entity_ids=None, top: int = 4, entity_features=None
    ) -> pd.DataFrame:
        """Why each of ``entity_ids`` stands out: its ``top`` features with the value and
        the typical value in the data's units (``value_text`` / ``typical_text`` as the
        reasons write them), the ``value_read`` the detector read (the value pulled
        toward the population where it rests on few events, ``evidence_prior``) and the
        ``deviation`` it measured, indexed by (entity id, rank); a reason names a
        feature only where ``value`` and ``value_read`` lie on the same side of
        ``typical``. ``oddseq.plot.plot_explanation`` draws one entity of it. Where the
        entity column is itself named "rank", the features' level is "feature_rank"
        (two levels of one name: ``xs`` and ``droplevel`` by name refuse them).

        Its columns: ``feature`` (the feature's name, as ``feature_names_`` spells it),
        ``value`` and ``typical`` (what the detector expected) with ``value_text`` and
        ``typical_text``, ``value_read``, ``deviation`` (spreads from ``typical``, the
        sign says above or below), ``note`` (what the reason adds: "14 'buy' with no
        'cart'", "typical 8.16 d with 71-100 events"), ``typical_words`` (whose
        expectation ``typical`` is: "typical", "log-scale average", "expected",
        "entities like it have"), ``typical_said`` (the typical value as the reason says
        it, with its words), ``feature_said`` (the feature as the reasons name it:
        "spread of time between events", "'pay_ok' per 'auction_won'"), ``share`` (the
        feature's part of the entity's whole pull on the score: PCA T^2's
        terms are signed, so a share can be negative or pass 1), ``detector`` (the
        ensemble member whose explanation it is, such as "pca_t2") and, where the model
        has a group stage, ``group_reason`` (below).

        ``explain(entity_ids)``: entities of the last :meth:`fit` or :meth:`score`, from
        the features those calls keep in memory (one float32 row per entity; never saved
        with the model, so a loaded model needs the sequences or a score): the calling
        thread's last score first (threads scoring one model each explain their own
        day), then the model's last score from any thread (a thread that did not score:
        a Streamlit rerun, a web handler), then the fit. Each thread that scored keeps
        its last day's features until it ends or the model is refit.
        A group member that ``min_events`` left out and the group stage lists
        (:meth:`join_groups`) is one row of no feature (``deviation`` 0, ``value`` its
        events, ``note`` its few events, ``group_reason`` its group's sentence), from
        the ids detect_anomalies listed, or from ``seqs`` where it is a member of the
        log the stage ran on.
        ``explain(seqs, entity_ids)``: entities of any sequences (default: all of them);
        the only form for the sequence models ("markov", "invariants", the neural methods). A model
        fitted with ``entity_features`` reads the side table given here as
        :meth:`score` does (``explain(seqs, ids, entity_features=side_today)`` for a
        later day; without it, the table given at fit, said once, unless the sequences
        are those the last fit or score read, the fitted log's);
        ``explain(entity_ids)`` reads what the last score read, its table included.

        Examples
        --------
        >>> from oddseq.datasets import make_ecommerce
        >>> log = make_ecommerce(n_users=300, random_state=0).events
        >>> seqs = Sequences.from_events(log, entity="user_id", event="behavior",
        ...                              time="timestamp")
        >>> pipe = AnomalyPipeline().fit(seqs)
        >>> odd = pipe.table_.index[0]
        >>> why = pipe.explain([odd], top=2)
        >>> list(why.columns[:5])
        ['feature', 'value', 'typical', 'value_text', 'typical_text']
        >>> why.index.get_level_values(0).unique().tolist() == [odd]
        True
        >>> why.equals(pipe.explain(seqs, [odd], top=2))
        True
        """
        from ._explain import explain_entities

        if seqs is not None and not isinstance(seqs, (Sequences, pd.DataFrame, np.ndarray)):
            if entity_ids is not None:
                raise TypeError(
                    "explain takes (entity_ids) or (seqs, entity_ids); seqs must be "
                    f"Sequences, got {type(seqs).__name__}"
                )
            seqs, entity_ids = None, seqs  # explain(entity_ids)
        elif isinstance(seqs, np.ndarray) and seqs.ndim == 1:
            seqs, entity_ids = None, seqs
        short = _short_members_asked(self, seqs, entity_ids)
        if short is None:
            why = explain_entities(self, seqs, entity_ids, top=top, entity_features=entity_features)
        else:
            why = _explained_with_short(self, seqs, short, top, entity_features)
        return _rank_level_named(why)

    def _remember(self, call: str, seqs: Sequences, raw: np.ndarray) -> None:
        """Keep the raw features of the sequences ``call`` ("fit" or "score") saw, so
        that ``explain(entity_ids)`` needs no sequences (not saved: ``__getstate__``).
        The fit's are the model's (every thread explains the fitted entities); a
        score's are the calling thread's (:meth:`_last_score`), and the model's
        ``"latest"`` (the same rows, not a copy) for threads that did not score
        (predict_proba's keep neither)."""
        rows = (seqs.ids, raw, seqs.lengths)
        if call == "score":
            last = self._last_score()
            if getattr(last, "not_kept", False):
                return
            last.rows = rows
            self.__dict__.setdefault("_explain_rows", {})["latest"] = rows
        else:
            self.__dict__.setdefault("_explain_rows", {})[call] = rows

    def _last_score(self) -> threading.local:
        """What the calling thread's last :meth:`score` left for later calls: ``rows``
        (its entities' ids, raw features and lengths, read by ``explain(entity_ids)``),
        ``share_alarm`` (read by the shell's summary, ``alarm_summary``) and
        ``left_out``, the sequences ``min_events`` left out (of the last score, or of
        the fit where no score followed it: the shell's summary says them; after
        :func:`detect_anomalies`' group stage, those absent from its table: not the
        members it lists for their group, which ``listed`` counts). Per thread,
        as the side table given to score() is (``_SIDE_GIVEN``): threads scoring one
        model read their own day, where one read another's last one. A thread-local, not
        a context variable: a notebook's cells may each run in a context of their own
        (ipykernel 7.0 did), and explain in the next cell must find the score. A fit
        starts the model afresh for every thread (as it dropped the score's rows)."""
        return self.__dict__.setdefault("_per_thread", threading.local())

    @property
    def _share_alarm(self):
        """The share alarm of the calling thread's last :meth:`score` (or None)."""
        return getattr(self._last_score(), "share_alarm", None)

    def _explain_sources(self) -> dict:
        """What ``explain(entity_ids)`` reads, in this order, each where kept: "score",
        this thread's last score's rows; "latest", the model's last score's from any
        thread (where it is another); "fit", the fit's."""
        kept = self.__dict__.get("_explain_rows", {})
        sources = {}
        rows = getattr(self._last_score(), "rows", None)
        if rows is not None:
            sources["score"] = rows
        latest = kept.get("latest")
        if latest is not None and latest is not rows:
            sources["latest"] = latest
        if "fit" in kept:
            sources["fit"] = kept["fit"]
        return sources

    # Kept in memory, not saved or pickled: caches of the last calls, not the model.
    _NOT_SAVED = (
        "_explain_rows",
        "_per_thread",
        "_side_said",
        "_group_log_rows",
        "_group_sessions",
        "_group_short",
    )

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in self._NOT_SAVED}

    def __setstate__(self, state):
        self.__dict__.update(state)
        info = self.__dict__.get("threshold_info_")
        if isinstance(info, dict):  # a model saved before the record had this key
            info.setdefault("tail_refit", None)
        if "encoder_" in state:  # a model saved before crowds were counted had none
            self.__dict__.setdefault("crowds", False)
            self.__dict__.setdefault("crowds_", False)

    def _from_state(self, state: dict) -> None:
        """Read from a file (:func:`oddseq.load`): as ``__setstate__``, and a model of a
        pair refused since (normal-only with a share) is warned about once here, not on
        every copy (pickle, oddseq.dask's workers)."""
        self.__setstate__(state)
        said = share_cut_of_a_normal_fit(self)
        if said is not None:
            warnings.warn(said, UserWarning, stacklevel=user_stacklevel())

    def join_groups(self, table: pd.DataFrame, groups, sequences=None) -> pd.DataFrame:
        """The ranked table with group suspicion joined: ``groups`` is a fitted
        :class:`oddseq.graph.GroupDetector` over the same entities (sessions take their
        entity's group; given ``sequences``, the sequences the table ranks, only the
        sessions that hold one of their entity's acts in the group, ``group_acts_``,
        as :func:`oddseq.detect_anomalies` joins them). Members of a significant group
        are flagged; their score becomes at least ``threshold_ + g x spread``, where
        ``g`` is the group's suspicion for the member (its significance in log10 units
        times the member's share of the group's objects) and ``spread`` the robust
        spread (1.4826 MAD) of the training scores, so members rank above the cut in
        the order of their groups' significance, and an entity odd on its own keeps its
        higher score; ``p_normal`` is that of the score a member is listed with (score,
        flag and p_normal say one verdict, not a flag beside its own score's 0.9). The
        reason starts with the group's sentence; the column ``group``
        holds the row of ``groups.groups_`` (-1 for none).

        Given ``sequences``, the members that ``min_events`` left out of the table (a
        sequence, or a session, of fewer events: a ring's round is a few events) are
        listed too, after the table's rows before ranking: judged by their group alone
        (:func:`short_member_rows`), their own features never read; their score is the
        group's lift, ``p_normal`` that score's, ``cluster`` -1, and their reason the
        group's sentence and a note of their few events
        (:func:`short_member_note`).

        A table that holds groups already (its ``group`` column: joined before, or the
        one call's own) is refused: its scores are lifted and its reasons start with
        that stage's groups, whose rows the column numbers (trial s46: pandas' "cannot
        insert group, already exists")."""
        if "group" in table.columns:
            raise ValueError(
                "table holds groups already (its 'group' column: joined before, or the one "
                "call's own group stage); join_groups takes a table without them: "
                "detect_anomalies(..., groups=False) (--no-groups), or the table "
                "score(seqs) returns. One GroupDetector may read several columns: "
                "GroupDetector(method='both').fit(df, entity=..., "
                "object=['device_id', 'address_id'], time=...)"
            )
        ids = table.index
        table = table.drop(columns="rank")
        short = None
        if sequences is not None:
            short = short_member_rows(sequences, groups, self.min_events)
            if short.size:
                rows = short_member_frame(
                    sequences.ids[short], sequences.lengths[short], self.min_events
                )
                rows = rows[list(table.columns)].astype(table.dtypes.to_dict())
                table = pd.concat([table, rows])
                ids = table.index
            else:
                short = None
        keys = ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids
        held = None
        if sequences is not None and isinstance(ids, pd.MultiIndex):
            rows = group_member_rows(sequences, *group_acts(groups))
            held = ids.isin(sequences.ids[rows])
        gid, lifted = self._group_lift(keys, table["score"], groups, held)
        said = groups.explain(keys[gid >= 0]).to_numpy(dtype=object) if lifted.size else None
        p_normal = self.p_normal(lifted) if lifted.size else None
        return self._finish(_with_groups(table, gid, lifted, said, p_normal))

    def _group_lift(self, keys, scores, groups, held=None):
        """(the group of each key, -1 for none; the members' scores lifted as
        :meth:`join_groups` says): ``scores`` are the keys' own; ``held``: which rows
        may be members (the sessions holding an act; None: all). oddseq.dask lifts the
        members' rows, gathered, with it."""
        gid = groups.group_of(keys)
        if held is not None:
            gid = np.where(held, gid, -1)
        member = gid >= 0
        score = np.asarray(scores, dtype=np.float64)[member]
        if member.any():
            train = self.detector_.decision_scores_
            _, spread = robust_spread(np.asarray(train, dtype=np.float64), fallback="std")
            lift = self.threshold_ + groups.decision_function(keys)[member] * float(spread)
            score = np.maximum(score, lift)
        return gid, score

    def _finish(self, table: pd.DataFrame) -> pd.DataFrame:
        # By position: an entity column named "score" names the index too, which
        # sort_values("score") refuses as ambiguous.
        order = np.argsort(-table["score"].to_numpy(dtype=np.float64), kind="stable")
        table = table.iloc[order]
        table.insert(1, "rank", np.arange(1, len(table) + 1))
        return table

    def _scaled(self, raw: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The detector's matrix from raw features and sequence lengths: the fitted
        evidence shrinkage, then the scalers (also the stream's path)."""
        shrunk = self.evidence_.transform(raw, lengths)
        return self.z_scaler_.transform(self.log_scaler_.transform(shrunk))

    def _matrix(self, seqs: Sequences):
        """(raw features, the detector's matrix) of sequences, with the fitted stages."""
        raw = self._features(seqs, fitting=False)
        return raw, self._scaled(raw, seqs.lengths)

    def _table(self, seqs, data, scores) -> pd.DataFrame:
        """The ranked table of ``seqs``: ``data`` is their :class:`_Input` (what the
        detector read), ``scores`` the detector's scores of it."""
        table = pd.DataFrame(
            {
                "score": scores,
                "is_anomaly": (scores > self.threshold_) | self._outside_support(data, scores),
                "p_normal": self.p_normal(scores),
                # One dtype whatever the detector (K-means' int32, the others' int64),
                # so that tables of several days, and of a day without events, agree.
                "cluster": np.asarray(self.detector_.cluster_of(data.X), dtype=CLUSTER_DTYPE),
            },
            index=seqs.ids,
        )
        table["reason"] = self._input_stage().reasons(self, seqs, data)
        beyond = self._beyond_range_words(data, scores)
        if beyond is not None:
            rows, words = beyond
            reason = table["reason"].to_numpy(dtype=object).copy()
            reason[rows] = [f"{r}; {w}" if r else w for r, w in zip(reason[rows], words)]
            table["reason"] = reason
        return self._finish(table)

    def _beyond_range_words(self, data, scores):
        """For the rows the support rule alone flags: :func:`beyond_range_words` of the
        table's rows (None where the detector reads no feature matrix)."""
        if not isinstance(data.X, np.ndarray):
            return None
        return beyond_range_words(self, data.X, data.raw, scores, self.threshold_)


def beyond_range_words(pipeline, X, raw, scores, threshold):
    """For the rows the support rule alone flags (outside the normal data's range with a
    score over its floor, and not over ``threshold``): (their positions, the words that
    say where: the feature farthest beyond the range for its span, with the row's value
    in the data's units where ``raw`` is given). TR s46 H1: such flags were ranked
    thousands deep and their reasons named other features. None where there are none or
    the rule does not hold. The batch table's reasons and the stream's alerts say them."""
    bounds = pipeline.support_bounds()
    names = getattr(pipeline, "feature_names_", None)
    if bounds is None or names is None:
        return None
    low, high = bounds
    scores = np.asarray(scores)
    outside = ((X < low) | (X > high)).any(axis=1)
    floor = getattr(pipeline, "support_floor_", None)
    if floor is not None:
        outside &= scores > floor
    rows = np.flatnonzero(outside & ~(scores > threshold))
    if rows.size == 0:
        return None
    span = np.where(high > low, high - low, np.finfo(np.float64).tiny)
    excess = np.maximum(X[rows] - high, low - X[rows]) / span
    words = []
    said_names = _reasons.reason_names(pipeline, names)
    for k, j in enumerate(np.argmax(excess, axis=1).tolist()):
        name = said_names[j]
        if raw is not None and j < raw.shape[1]:
            value = _reasons.format_value(names[j], float(raw[rows[k], j]))
            below = bool(X[rows[k], j] < low[j])
            edge = _raw_edge(pipeline, names, raw[rows[k]], j, low[j] if below else high[j])
            where = ""
            if edge is not None:
                bound, at = edge
                if _reasons._is_count(names[j]) or names[j] == "length":
                    # (a count's edge as the whole count the range holds: "starts at 2",
                    # not "at 1.61", review RV s59b L5)
                    bound = math.ceil(bound - 1e-9) if below else math.floor(bound + 1e-9)
                where = (
                    f"; the range{at} {'starts' if below else 'ends'} at "
                    + _reasons.format_value(names[j], bound)
                )
            words.append(f"beyond the normal entities' range on {name} ({value}{where})")
        else:
            words.append(f"beyond the normal entities' range on {name}")
    return rows, words


def _raw_edge(pipeline, names, raw_row: np.ndarray, j: int, bound: float):
    """The support rule's edge ``bound`` of column ``j`` (in the detector's matrix) in the
    data's units, for the entity whose features are ``raw_row``: (the edge, " at its 91
    events" where the evidence shrinkage weighs the feature by the entity's events, " at
    its 3 events with a value" for the value statistics, which it weighs by those, else
    ""), or None where it cannot be read back. The range is of the shrunk features, so a
    feature an entity's events weigh has a range of its own at each length: "beyond the
    normal entities' range on time from first to last event (1.14 d)" of an entity of 91
    events, where 2,351 of 10,002 normal customers spanned less, all of them of few
    events (TR s59 M2)."""
    evidence = getattr(pipeline, "evidence_", None)
    scalers = getattr(pipeline, "log_scaler_", None), getattr(pipeline, "z_scaler_", None)
    if evidence is None or None in scalers:
        return None
    column = np.array([j])
    shrunk = scalers[0].inverse_transform_at(
        scalers[1].inverse_transform_at(np.array([bound], dtype=np.float64), column), column
    )[0]
    said = ""
    weight = 1.0
    if evidence.kinds_[j] and evidence.prior > 0:  # (prior 0: nothing is shrunk)
        at = np.flatnonzero(np.asarray(names, dtype=object) == "length")
        if not at.size or at[0] >= raw_row.size:
            return None
        length = int(raw_row[at[0]])
        weight = float(evidence.weights(np.array([length]), raw_row[None, :])[0, j])
        if evidence.kinds_[j] in (4, 5):  # (the value statistics: the valued events)
            valued = int(round(float(evidence.valued(np.array([length]), raw_row[None, :])[0])))
            said = f" at its {valued:,} event{'s' if valued != 1 else ''} with a value"
        else:
            said = f" at its {length:,} event{'s' if length != 1 else ''}"
    if not (np.isfinite(shrunk) and weight > 0):
        return None
    edge = (shrunk - (1.0 - weight) * evidence.median_[j]) / weight
    return (float(edge), said) if np.isfinite(edge) else None


class _Input(NamedTuple):
    """What an input stage gives the detector and the reasons for some sequences:
    ``X``, what the detector reads (the scaled feature matrix, or the sequences
    themselves), and ``raw``, the features in the data's units (None without them)."""

    X: object
    raw: np.ndarray | None = None


class _FeatureInput:
    """Sequences -> features (encoders, side attributes) -> evidence shrinkage ->
    log and z scaling: the matrix a detector of features reads; reasons name the
    features that drive each score, in the data's units. Its fitted parts are the
    pipeline's ``encoder_``, ``evidence_``, ``log_scaler_``, ``z_scaler_`` and
    ``feature_names_``."""

    n_steps = 2  # encoding, scaling

    @staticmethod
    def fit(pipe: AnomalyPipeline, seqs: Sequences, progress) -> _Input:
        progress.set_postfix_str("encoding")
        pipe.encoder_ = pipe._new_encoder().fit(seqs)
        raw = pipe._features(seqs, fitting=True)
        side = pipe._set_feature_names()
        progress.update(1)
        progress.set_postfix_str("scaling")
        # What "typical" may say in a reason: a value the training data actually took.
        pipe._raw_range = (raw.min(axis=0), raw.max(axis=0))
        # What "typical" says for a span of entities with about as many events (reasons).
        pipe._typical_by_length = _reasons.typical_by_length(
            raw, seqs.lengths, pipe.feature_names_, side
        )
        pipe.evidence_ = EvidenceShrinker(pipe.evidence_prior).fit(
            raw, seqs.lengths, pipe.feature_names_, n_fixed=side
        )
        # What "typical" says of a shrunk feature: the median of the entities' own values.
        pipe._typical_raw = _reasons.typical_raw(raw, seqs.lengths, pipe.evidence_)
        shrunk = pipe.evidence_.transform(raw, seqs.lengths)
        pipe.log_scaler_ = LogScaler(signed=True, linear=pipe._side_linear(side)).fit(shrunk)
        pipe.z_scaler_ = StandardScaler().fit(pipe.log_scaler_.transform(shrunk))
        if pipe.normal_:
            pipe.z_scaler_.scale_ = _normal_only_scale(pipe.z_scaler_.var_, len(seqs))
        X = pipe.z_scaler_.transform(pipe.log_scaler_.transform(shrunk))
        progress.update(1)
        pipe._remember("fit", seqs, raw)
        return _Input(X, raw)

    @staticmethod
    def transform(pipe: AnomalyPipeline, seqs: Sequences) -> _Input:
        raw, X = pipe._matrix(seqs)
        pipe._remember("score", seqs, raw)
        return _Input(X, raw)

    @staticmethod
    def reasons(pipe: AnomalyPipeline, seqs: Sequences, data: _Input) -> np.ndarray:
        explained, chosen = explained_with_rows(
            pipe.detector_, data.X, _reasons.TABLE_FEATURES, pipe.feature_names_
        )
        reasons = _reasons.feature_reasons(pipe, explained, data.raw, seqs.lengths, chosen)
        reasons = _reasons.name_unseen_types(pipe, reasons, seqs)  # ('refund')
        # (a rare act's count in a busy history: its share of the events)
        reasons = _reasons.with_count_shares(reasons, seqs.lengths)
        # (one-offs alone: the count the entity does far more than typical, if any)
        reasons = _reasons.with_volume(pipe, reasons, data.X, data.raw, seqs.lengths)
        change = dict(getattr(pipe.encoder_, "encoders_", [])).get("change")
        if change is not None:
            # Reasons naming the recent-change columns end with the facts behind them.
            said = np.flatnonzero([_reasons.CHANGE_PHRASE in str(r) for r in reasons])
            if said.size:
                facts = change.recent_facts(seqs.take(said))
                reasons[said] = [
                    _reasons.before_evidence(r, f) for r, f in zip(reasons[said], facts)
                ]
        crowd = dict(getattr(pipe.encoder_, "encoders_", [])).get("crowd")
        if crowd is not None:
            # Reasons naming the crowd for being large say on which item, when, and its
            # usual crowd (one named for a crowd under the table's median has none).
            said = np.flatnonzero([_reasons.CROWD_WORDS in str(r) for r in reasons])
            peak = data.raw[:, list(pipe.feature_names_).index("crowd_peak")]
            said = said[peak[said] > np.median(peak)]
            if said.size:
                facts = crowd.crowd_facts(seqs, said)
                reasons[said] = [
                    _reasons.with_facts(r, _reasons.CROWD_WORDS, f)
                    for r, f in zip(reasons[said], facts)
                ]
        if "value_max" in pipe.feature_names_:
            # Reasons naming the largest value say the event type it was on, where the
            # entity's values lie on several (a withdrawal's amount read as a stake).
            words = _reasons.reason_names(pipe, ["value_max"])[0] + " "
            said = np.flatnonzero([words in str(r) for r in reasons])
            kinds = _reasons.largest_value_events(seqs, said) if said.size else None
            if kinds is not None:
                reasons = _reasons.with_largest_value_events(pipe, reasons, said, kinds)
        return reasons


class _SequenceInput:
    """The event sequences as they are, for detectors that model their order
    (:class:`MarkovDetector`, the neural models): nothing to fit; reasons name each
    sequence's least likely steps."""

    n_steps = 0

    @staticmethod
    def fit(pipe: AnomalyPipeline, seqs: Sequences, progress) -> _Input:
        return _Input(seqs)

    @staticmethod
    def transform(pipe: AnomalyPipeline, seqs: Sequences) -> _Input:
        return _Input(seqs)

    @staticmethod
    def reasons(pipe: AnomalyPipeline, seqs: Sequences, data: _Input) -> np.ndarray:
        if hasattr(pipe.detector_, "reasons"):  # its own words (InvariantsDetector)
            return pipe.detector_.reasons(seqs, top=_reasons.TABLE_STEPS)
        steps = pipe.detector_.explain(seqs, top=_reasons.TABLE_STEPS)
        return _reasons.step_reasons(steps, seqs.ids, seqs.lengths, seqs)


# Input stages by what a detector reads (its ``input_kind``).
_INPUT_STAGES = {"matrix": _FeatureInput, "sequences": _SequenceInput}
