"""What a model was fitted on, and the warnings scoring gives when new data is not that.

A model fitted on one log and scored on another (yesterday's model on today's log) scores
every entity against what it learned, whether or not the new log is alike. Some
differences move every score and none of them is an error, so scoring warns and goes on
(scores and flags unchanged), naming the fix:

- the time span: duration and rate features scale with the window a log covers (a
  user active all week has a week's duration in a week's log, a day's in a day's), so
  a week's model flagged 17% of a day's users, and a day's model 92% of a week's
  (docs/real-logs.md, "Yesterday's model on today's log");
- event types the model never saw (renamed events, the wrong event column);
- the column names of the roles (entity, event, item, value), where the sequences carry
  them;
- the share flagged, where it lies far above what the cut promises *and* the bulk of
  the scores moved (see :func:`share_alarm`).

:func:`describe` is recorded at fit (``AnomalyPipeline._fitted_data``, saved with the
model); a model saved before it has none and scoring skips these checks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .utils._stacklevel import user_stacklevel
from .utils._unique import distinct

__all__ = [
    "alarm_summary",
    "describe",
    "fingerprints_found",
    "fitted_event_types",
    "kept_fingerprints",
    "share_lower_bound",
    "part_facts",
    "share_alarm",
    "timing_of_parts",
    "unseen_types_warning",
    "warn_if_unlike",
    "warn_share_alarm",
    "warn_unlike",
]

#: The scored log's time span against the fitted one's, beyond which (either way) scoring
#: warns, where the entities' durations moved with it (``DURATION_RATIO``): a window a
#: third as long (or three times) cuts (or stretches) the duration of every entity active
#: across it by that much, 1.1 on the log scale the features are read on. Measured: a
#: week's model on a day of Taobao (8-9x) flagged 17% of its users, a day's model on the
#: week 92%; fitting on the first 70% of a shop log and scoring the rest (2.5x) is
#: ordinary use, and on make_ecommerce windows of 1.5x-3x moved the flags by nothing
#: that matters (2.3% at the fitted span, 1.1-1.7% at 1.5-3x).
SPAN_RATIO = 3.0
#: The scored entities' 90th-percentile duration against the fitted one's, beyond which
#: (the same way as the span) the span's warning is given: where the durations did not
#: move (sessions, or entities that come and go within hours), a longer or shorter
#: window changes nothing the features read, and nothing is said.
DURATION_RATIO = 3.0
#: At least this many scored entities with two events or more (for the durations'
#: quantile), and as many events, before the span is compared (a handful of entities
#: span what they span), and this many events before unseen event types are (a scored
#: entity or two with a new type is novelty, what a model is there to find).
MIN_SCORED = 20
#: The share of the scored events whose type the model never saw beyond which scoring
#: warns. Where the model was fitted on normal data, a new type in a few anomalous
#: entities is what it should find (hdfs_xu's anomalous blocks: their new templates are
#: under 1% of the events of a log with 3% anomalous blocks), so the bar is above that.
UNSEEN_EVENT_SHARE = 0.05
#: At most this many event types are recorded, the most frequent (a log of URL paths
#: has tens of thousands: every one kept made a 4 MB model); the share of the fitted
#: events outside them is recorded too, and scoring counts as unseen only the share of
#: its events outside them beyond that.
RECORDED_EVENT_TYPES = 1_000
#: Beyond this share of unseen event types, the warning names the likely causes.
MOST_UNSEEN = 0.5
#: The one-sided level of the share-flagged alarm's two binomial tests (see
#: :func:`share_alarm`): small, because a model scores many logs and a false alarm on
#: one of them must be rare; the effect-size bar (``BULK_SHARE``) does the rest.
ALARM_LEVEL = 1e-6
#: The share of the scored entities above the median of the scores the cut was set on
#: (``reference_scores_``), from which the bulk of the scores counts as moved. Alike data
#: puts about half above it (0.46-0.53 on every labelled source's held-out data, normal
#: or not); anomalies add at most their own share, so a log must be a third anomalous to
#: reach 2/3 without a shift of the bulk.
BULK_SHARE = 2.0 / 3.0
#: oddseq.dask: at most this many event times and as many durations of each partition
#: go to the client for the span's and the durations' quantiles (weighted by what each
#: sample stands for where a partition has more).
PART_SAMPLE = 100_000
#: A model fitted as normal keeps a 64-bit fingerprint of each fitted entity (its id,
#: length, first and last events and times), so that scoring can tell how many scored
#: entities it was fitted on: it scores them as normal whatever they did, and a saved
#: normal-only model scoring its own log flagged none of 2,910 without a word (trial
#: s42b M4). Of more entities, those whose fingerprint lies in the lowest part of the
#: hash space that holds about this many are kept (1.6 MB in the model file), and scoring
#: counts its entities in that same part, a sample drawn alike on both sides.
FINGERPRINTS = 200_000
_SAMPLE = 1_000_000
_SHOWN = 5


def _span_ns(times: np.ndarray) -> float:
    """The log's time span without strays: from the 1% to the 99% quantile of the event
    times (a sample of a million where there are more)."""
    if times.size > _SAMPLE:
        times = times[np.random.default_rng(0).integers(0, times.size, _SAMPLE)]
    low, high = np.quantile(times.astype(np.float64), [0.01, 0.99])
    return float(high - low)


def _durations(seqs) -> np.ndarray:
    """Last minus first time (ns) of each sequence with two events or more."""
    offsets = np.asarray(seqs.offsets, dtype=np.int64)
    rows = np.flatnonzero(np.diff(offsets) >= 2)
    times = seqs.times
    return (times[offsets[rows + 1] - 1] - times[offsets[rows]]).astype(np.float64)


def _timing(seqs) -> dict | None:
    """The span and the durations' quantiles (seconds), or None without times or with too
    few events or entities to say."""
    if seqs.times is None or seqs.n_events < MIN_SCORED:
        return None
    durations = _durations(seqs)
    if durations.size < MIN_SCORED:
        return None
    q50, q90 = np.quantile(durations, [0.5, 0.9]) / 1e9
    return {
        "span_s": _span_ns(seqs.times) / 1e9,
        "duration_median_s": float(q50),
        "duration_q90_s": float(q90),
    }


def _columns(seqs) -> dict:
    """The role columns' names the sequences carry (entity, event, item, value; None
    where a role has no name). The value's is also what reasons name its features by
    (``_reasons.reason_names``)."""
    ids = seqs.ids
    entity = list(ids.names) if isinstance(ids, pd.MultiIndex) else ids.name
    columns = {
        "entity": entity,
        "event": seqs.event_labels.name,
        "item": None if seqs.items is None else seqs.item_labels.name,
        "value": getattr(seqs, "value_name", None),
    }
    gap = getattr(seqs, "session_gap_ns", None)
    if isinstance(ids, pd.MultiIndex) and gap is not None:
        columns["session_gap_ns"] = int(gap)  # the gap sessions were split at
    return columns


def _gap_text(ns: int) -> str:
    """A session gap as session_gap= takes it: '30min', '2h', '45s'."""
    seconds = ns / 1e9
    if seconds >= 3_600 and seconds % 3_600 == 0:
        return f"{seconds / 3_600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}min"
    return f"{seconds:g}s"


def describe(seqs, times: bool = True) -> dict:
    """What :meth:`AnomalyPipeline.fit` records of the sequences it was fitted on: the
    role columns' names, the event types seen, the time span and the entities' durations
    (``None`` without times). ``times=False`` (oddseq.dask, from a summary of its
    partitions' sequences: their event types and counts only): the event types and
    the event column's name alone; oddseq.dask adds the role columns and the timing
    from its partitions (:func:`part_facts`, :func:`timing_of_parts`)."""
    counts = np.asarray(seqs.event_counts())
    seen = np.flatnonzero(counts > 0)
    kept = seen[np.argsort(-counts[seen], kind="stable")[:RECORDED_EVENT_TYPES]]
    total = counts.sum()
    types = {
        "event_types": np.asarray(seqs.event_labels[np.sort(kept)].astype(str), dtype=object),
        "n_event_types": len(seen),
        "unrecorded_share": float(1.0 - counts[kept].sum() / total) if total else 0.0,
    }
    if not times:
        return {"columns": {"event": seqs.event_labels.name}, **types, "timing": None}
    return {
        "columns": _columns(seqs),
        **types,
        "timing": _timing(seqs),
        "missing": _missing_shares(seqs),
    }


#: The share of a later day's events without a value (or an item) from which scoring
#: says so, where the fitted share was at least this much lower: a column that came
#: empty (an export that lost its prices flagged 92% of a day, each "largest value 0").
MISSING_SHARE, MISSING_RISE = 0.5, 0.3
# ... judged on at least this many scored entities: missing values cluster by entity (a
# channel that sends no price), so a batch of a few entities of the fitted log itself
# can lack most of them (H4, session 21: 36 of 200 batches of 3 users warned).
MISSING_MIN_ENTITIES = 50


def _missing_shares(seqs) -> dict:
    """The share of the events without a value, and without an item, where the
    sequences have the column (the fit's record; a later day's to compare)."""
    shares = {}
    n = len(seqs.events)
    if n and seqs.values is not None:
        shares["value"] = float(np.isnan(np.asarray(seqs.values, dtype=np.float64)).mean())
    if n and seqs.items is not None:
        shares["item"] = float((np.asarray(seqs.items) < 0).mean())
    return shares


def _missing_warnings(fitted: dict, seqs) -> list:
    """Where a later day's events lack their value or item far more often than the
    fitted ones: the column came empty, or is not the one fitted."""
    then = fitted.get("missing")
    if not then or not len(seqs.events) or len(seqs) < MISSING_MIN_ENTITIES:
        return []
    return missing_said(then, _missing_shares(seqs))


def missing_said(then: dict, shares: dict) -> list:
    """:func:`_missing_warnings` from the fitted shares (``then``) and the scored ones
    (oddseq.dask: counted over its partitions)."""
    said = []
    for role, words in (("value", "no value"), ("item", "no item")):
        share = shares.get(role)
        before = then.get(role)
        if share is None or before is None:
            continue
        if share >= MISSING_SHARE and share >= before + MISSING_RISE:
            said.append(
                f"{share:.0%} of the scored events have {words} (at fit {before:.0%}): the "
                f"model reads their {role} features as none (0), which can flag their "
                f"entities. Is the {role} column empty in this data, or not the one the "
                f"model was fitted with? Score with the fitted column, filled ({role}=..., "
                f"--{role} from the shell)"
            )
    return said


def part_facts(seqs, seed: int = 0) -> dict | None:
    """A partition's share of :func:`describe` (oddseq.dask): its role columns' names,
    and (with times) at most ``PART_SAMPLE`` of its event times and of its sequences'
    durations (ns), drawn with ``seed``, with their counts; None without sequences."""
    if seqs is None or len(seqs) == 0:
        return None
    facts = {"columns": _columns(seqs)}
    if seqs.times is None:
        return facts
    rng = np.random.default_rng(seed)

    def sample(values):
        return values if values.size <= PART_SAMPLE else rng.choice(values, PART_SAMPLE)

    times, durations = np.asarray(seqs.times), _durations(seqs)
    facts.update(
        times=sample(times),
        n_times=int(times.size),
        durations=sample(durations),
        n_durations=int(durations.size),
    )
    return facts


def _weighted_quantiles(parts, key: str, quantiles) -> np.ndarray:
    """The quantiles of the values the partitions' samples (``key``) stand for: each
    value weighs what it stands for (its partition's count over its sample's size);
    where every partition sent all of its values, numpy's quantiles of them all."""
    values = [np.asarray(p[key], dtype=np.float64) for p in parts]
    counts = [p[f"n_{key}"] for p in parts]
    every = np.concatenate(values)
    if all(v.size == n for v, n in zip(values, counts)):
        return np.quantile(every, quantiles)
    weights = np.concatenate([np.full(v.size, n / max(v.size, 1)) for v, n in zip(values, counts)])
    order = np.argsort(every, kind="stable")
    every, weights = every[order], weights[order]
    middle = np.cumsum(weights) - weights / 2  # each value at the middle of its weight
    return np.interp(np.asarray(quantiles) * weights.sum(), middle, every)


def timing_of_parts(parts) -> dict | None:
    """:func:`describe`'s ``timing`` from the partitions' :func:`part_facts` (None
    where they have no times, or too few events or entities to say, as one machine)."""
    parts = [p for p in parts if p is not None and "times" in p]
    if not parts:
        return None
    n_events = sum(p["n_times"] for p in parts)
    if n_events < MIN_SCORED or sum(p["n_durations"] for p in parts) < MIN_SCORED:
        return None
    low, high = _weighted_quantiles(parts, "times", [0.01, 0.99])
    q50, q90 = _weighted_quantiles(parts, "durations", [0.5, 0.9]) / 1e9
    return {
        "span_s": float(high - low) / 1e9,
        "duration_median_s": float(q50),
        "duration_q90_s": float(q90),
    }


def _days(seconds: float) -> str:
    """A span in words: "9.0 days", "7.0 h", "35 min", "12 s"."""
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} days"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _span_warning(fitted: dict | None, scored: dict | None) -> str | None:
    if not fitted or not scored:
        return None
    span, fit_span = scored["span_s"], fitted["span_s"]
    q90, fit_q90 = scored["duration_q90_s"], fitted["duration_q90_s"]
    if not (span > 0 and fit_span > 0 and q90 > 0 and fit_q90 > 0):
        return None
    ratio, moved = span / fit_span, q90 / fit_q90
    shorter = ratio < 1 / SPAN_RATIO and moved < 1 / DURATION_RATIO
    longer = ratio > SPAN_RATIO and moved > DURATION_RATIO
    if not (shorter or longer):
        return None
    way, lived = ("shorter", "short") if shorter else ("longer", "long")
    return (
        f"the scored log spans {_days(span)} and the fitted one {_days(fit_span)} (the "
        f"middle 98% of their events): the entities' durations are {way} with it (90th "
        f"percentile {_days(q90)} against {_days(fit_q90)}), so the duration and rate "
        f"features read them as {lived}-lived beyond the fitted ones, which can flag many "
        "(a week's model flagged 17% of a day's Taobao users, a day's model 92% of a "
        "week's). Fit on a window as long as the one scored (a day's model for a day's "
        "log), or score a window as long as the one fitted"
    )


def fitted_event_types(pipe) -> list | None:
    """The event types ``pipe`` records of the log it was fitted on (its most frequent,
    as text), or None: a model saved before they were recorded, or not fitted."""
    types = (getattr(pipe, "_fitted_data", None) or {}).get("event_types")
    return None if types is None else list(types)


def unseen_types_warning(fitted: dict, labels, counts, event_column) -> str | None:
    """The warning's text where over ``UNSEEN_EVENT_SHARE`` of the events counted
    (``counts`` of each event type of ``labels``: a log's, or a stream's window) have
    types the model never saw (``fitted``: its ``_fitted_data``), else None."""
    fitted_types = fitted.get("event_types")
    counts = np.asarray(counts)
    total = int(counts.sum())
    if total < MIN_SCORED or fitted_types is None:  # a handful of events: no log to judge
        return None
    labels = pd.Index(pd.Index(labels).astype(str))
    unseen = ~labels.isin(pd.Index(fitted_types)) & (counts > 0)
    n_unseen = int(counts[unseen].sum())
    share = n_unseen / total
    order = np.argsort(-counts[unseen], kind="stable")
    names = list(labels[unseen][order])
    from .sequences._sequences import respelt_as

    pairs = respelt_as(names, fitted_types)
    # beyond the recorded (most frequent) types, the fitted log's own share outside them;
    # fitted types in another spelling at any share (RV s34 M1: 3% 'view' for the model's
    # 'View' was never shown the map; a new type in a few entities is novelty, unsaid)
    beyond = share - fitted.get("unrecorded_share", 0.0) > UNSEEN_EVENT_SHARE
    if not beyond and not pairs:
        return None
    n_known = fitted.get("n_event_types", len(fitted_types))
    shown = ", ".join(names[:_SHOWN])
    if len(names) > _SHOWN:
        shown += f" and {len(names) - _SHOWN:,} more"
    known = ", ".join(list(fitted_types)[:_SHOWN])
    if n_known > _SHOWN:
        known += f" and {n_known - _SHOWN:,} more"
    never = (
        "never saw"
        if n_known <= len(fitted_types)
        else f"never saw or saw rarely (outside its {len(fitted_types):,} most frequent)"
    )
    said = (
        f"{share:.0%} of the scored events ({n_unseen:,} of {total:,}) have event types the "
        f"model {never} ({shown}; it knows {known}): the model reads them only as "
        "types it never saw (they count in the length and timing, and as one unseen "
        "type), so their entities are judged on little"
    )
    if share > MOST_UNSEEN and not event_column and list(fitted_types) == ["event"]:
        # fitted without an event column (every event one type): the fix is to leave
        # the column out, not to pass one
        said += (
            ". The model was fitted without an event column (every event one type); "
            "score without one too: leave event= (--event from the shell) out, or refit "
            "with this column"
        )
    elif share > MOST_UNSEEN:
        column = f" ({event_column!r} at fit)" if event_column else ""
        said += (
            ". With most events unknown, the event names likely changed since the fit "
            "(renamed, recoded) or the event column is not the one the model was fitted "
            f"with{column}: pass that column (event=... / --event), map the new names to "
            "the old, or refit on data with these names"
        )
    elif beyond or len(pairs) < len(names):
        said += "; if the new types are ordinary, refit on data that has them"
    return said + _respelt(pairs, event_column)


def _respelt(pairs: dict, event_column) -> str:
    """Where unseen event types are fitted ones in another case or with spaces around
    them ("View" for the model's "view": two systems' exports), or a funnel step's name
    in other words ("add to cart" for "add_to_cart"): ``pairs``, from
    ``sequences._sequences.respelt_as``), the sentence that says so with the map to the
    model's spelling (the whole map, up to 50); else ""."""
    if not pairs:
        return ""
    from .sequences._sequences import _MAPPED_SHOWN

    column = repr(event_column) if event_column else "EVENT"
    words = ", ".join(f"{new!r} is {old!r}" for new, old in list(pairs.items())[:_SHOWN])
    if len(pairs) > _SHOWN:
        words += f" and {len(pairs) - _SHOWN:,} more"
    mapped = dict(list(pairs.items())[:_MAPPED_SHOWN])
    first = f" (the first {len(mapped):,} of {len(pairs):,})" if len(mapped) < len(pairs) else ""
    return (
        f". Of them, {words} in another spelling: {MAP_TO_MODEL_SPELLINGS}{first}, "
        f"df[{column}] = df[{column}].replace({mapped!r})"
    )


#: The unseen-types warning's fix for spellings the model knows otherwise (the shell says
#: its --fold-spellings instead).
MAP_TO_MODEL_SPELLINGS = "map them to the model's spellings before scoring"


def _sessions_warning(fitted: dict, scored: dict) -> str | None:
    """Sessions scored with a model of whole entities, or the other way (the entity is
    recorded as its id and session names, ``["user_id", "session"]``, for sessions):
    every duration and count is read on another scale (92% flagged), which no renamed
    column explains."""
    then, now = fitted.get("entity"), scored.get("entity")
    gap = fitted.get("session_gap_ns")
    fix = f"session_gap={_gap_text(gap)!r}" if gap else "session_gap=..."
    if isinstance(then, list) and isinstance(now, list) and gap:
        other = scored.get("session_gap_ns")
        if other and other != gap:
            return (
                f"the model was fitted on sessions split at gaps over {_gap_text(gap)}, and "
                f"these at gaps over {_gap_text(other)}: sessions of another length, which "
                "its duration and count features read on another scale. Build them as at "
                f"fit: Sequences.from_events(..., {fix})"
            )
    if then is None or now is None or isinstance(then, list) == isinstance(now, list):
        return None
    if isinstance(then, list):
        return (
            f"the model was fitted on sessions (entity {then!r}: built with {fix}) "
            f"and these sequences are whole entities ({now!r}): each entity's whole "
            "history reads as one session, far longer than the fitted ones. Build them "
            "with the session_gap the model was fitted with: Sequences.from_events(..., "
            f"{fix})"
        )
    return (
        f"the model was fitted on whole entities ({then!r}) and these sequences are "
        f"sessions (entity {now!r}): each session reads as an entity of a short history. "
        "Build them as at fit, without session_gap (or fit on sessions)"
    )


def _column_warning(fitted: dict, scored: dict) -> str | None:
    sessions = _sessions_warning(fitted, scored)
    if sessions is not None:
        return sessions
    differ = [
        (role, fitted[role], scored[role])
        for role in ("entity", "event", "item", "value")
        if fitted.get(role) is not None
        and scored.get(role) is not None
        and fitted[role] != scored[role]
    ]
    if not differ:
        return None
    said = "; ".join(f"{role} {now!r} (fitted: {then!r})" for role, then, now in differ)
    return (
        f"scored with other column names than the model was fitted with: {said}. A renamed "
        "column is fine; if the roles are swapped or a column is the wrong one, pass the "
        "columns the model was fitted with (entity=..., event=..., item=..., value=...; "
        "--entity, --event, --item, --value from the shell; reasons name the value "
        "statistics by the fitted value column)"
    )


def warn_if_unlike(pipe, seqs) -> None:
    """Scoring's warnings where ``seqs`` are not like what ``pipe`` was fitted on (its
    ``_fitted_data``; a model saved before it has none: nothing is checked): column
    names, event types never seen, time span. Scores and flags are unchanged."""
    fitted = getattr(pipe, "_fitted_data", None)
    if not fitted or len(seqs) == 0:
        return
    warn_unlike(pipe, _columns(seqs), seqs.event_labels, seqs.event_counts(), _timing(seqs))
    for message in _missing_warnings(fitted, seqs):
        warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


def warn_unlike(pipe, columns: dict | None, labels, counts, timing: dict | None) -> None:
    """:func:`warn_if_unlike` from what the scored data is: its role columns' names
    (:func:`_columns`), its event types (``labels``) and their ``counts``, and its
    ``timing`` (:func:`_timing`; None without times). oddseq.dask gathers them from its
    partitions (:func:`part_facts`, :func:`timing_of_parts`)."""
    fitted = getattr(pipe, "_fitted_data", None)
    if not fitted:
        return
    fitted_columns = fitted.get("columns") or {}
    messages = [
        _column_warning(fitted_columns, columns or {}),
        unseen_types_warning(fitted, labels, counts, fitted_columns.get("event")),
        _span_warning(fitted.get("timing"), timing),
    ]
    for message in messages:
        if message is not None:
            warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


def combined_hash(parts) -> np.ndarray:
    """One uint64 a row from several uint64 arrays of equal length (``parts``, each a
    hash or a count of the row), mixed so that the high bits depend on every part (the
    kept fingerprints are a range of the hash space)."""
    mixed = np.full(len(parts[0]), 0x9E3779B97F4A7C15, dtype=np.uint64)
    for part in parts:  # (uint64 products wrap, as a hash wants)
        mixed = (mixed ^ np.asarray(part, dtype=np.uint64)) * np.uint64(0x100000001B3)
    mixed ^= mixed >> np.uint64(31)  # (the low bits of the last part into the top)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    return mixed ^ (mixed >> np.uint64(29))


def _fingerprint_bar(share: float) -> np.uint64:
    """The fingerprints below which are kept, for a kept ``share`` of the hash space."""
    return np.uint64(min(int(share * 2.0**64), 2**64 - 1))


def kept_fingerprints(hashes: np.ndarray) -> dict:
    """What a normal-only fit records of its entities' fingerprints (``hashes``, one
    each): the sorted distinct ones in the lowest ``share`` of the hash space, which
    keeps about :data:`FINGERPRINTS` (all, where there are no more)."""
    share = min(1.0, FINGERPRINTS / max(len(hashes), 1))
    kept = hashes if share >= 1.0 else hashes[hashes < _fingerprint_bar(share)]
    return {"hashes": distinct(kept), "share": share}


def fingerprints_found(fitted: dict, hashes: np.ndarray) -> tuple[int, int] | None:
    """Of the scored entities (their fingerprints, ``hashes``) in the part of the hash
    space the fit kept (:func:`kept_fingerprints`; all of them where it kept all): how
    many are fitted ones, and how many were looked up (the sample's size); None where
    the fit kept none (an unsupervised fit, or a model saved before they were kept)."""
    kept = fitted.get("fingerprints")
    if kept is None:
        return None
    share = float(kept["share"])
    if share < 1.0:
        hashes = hashes[hashes < _fingerprint_bar(share)]
    stored = kept["hashes"]
    if not len(stored) or not len(hashes):
        return 0, len(hashes)
    at = np.minimum(np.searchsorted(stored, hashes), len(stored) - 1)
    return int(np.count_nonzero(stored[at] == hashes)), len(hashes)


def share_lower_bound(found: int, looked_up: int, z: float = 1.96) -> float:
    """Wilson's lower bound on a share seen ``found`` times in ``looked_up`` (0 where
    nothing was looked up): where the fingerprints are a sample, a warning stands on
    the share it can show, not on a guess from a few lookups (review RV s43 M5: 20 of
    200 scored fitted, a tenth, read as a fifth 12.9% of the time)."""
    if looked_up <= 0:
        return 0.0
    p, n = found / looked_up, looked_up
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float((centre - spread) / (1 + z * z / n))


def _binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    from scipy.stats import binom

    return float(binom.sf(k - 1, n, p))


def expected_share(pipe) -> float | None:
    """The share of alike entities the model's cut flags: its false-alarm rate, or the
    share it flagged of the fitted entities where that is more (an unsupervised fit's
    anomalies; a ``contamination`` share); None where the model records neither."""
    info = getattr(pipe, "threshold_info_", None) or {}
    shares = [info.get("false_alarm_rate"), info.get("share_flagged")]
    shares = [float(s) for s in shares if s is not None]
    return max(shares) if shares else None


def _bulk_moved(scores, reference):
    """(how many ``scores`` are above the median of ``reference``, the share above it
    from which the bulk counts as moved, the share of ``reference`` above it).

    Alike data puts about the reference's own share above its median: a half where the
    scores are distinct, far less where they tie at the median (normal-only on logs of
    repeated blocks: hdfs_xu's out-of-fold scores are 0 to their 90th percentile, 1% above
    the median). The bar is that share plus a third of the rest (``BULK_SHARE`` where it
    is a half): anomalies, all above, must be a third of the log to reach it alone.
    """
    median = np.median(reference)
    base = max(float(np.mean(reference > median)), 0.5 / reference.size)
    bar = base + (1.0 - base) * (BULK_SHARE - 0.5) / 0.5
    return int((scores > median).sum()), bar, base


def _alarm(pipe, scores, flags):
    """(share flagged, share expected, share above the fitted median, flagged, n) where
    :func:`share_alarm` rings, else None."""
    scores = np.asarray(scores, dtype=np.float64)
    flags = np.asarray(flags, dtype=bool)
    expected = expected_share(pipe)
    reference = getattr(pipe, "reference_scores_", None)
    if reference is None:
        reference = getattr(getattr(pipe, "detector_", None), "decision_scores_", None)
    finite = np.isfinite(scores)
    n = int(finite.sum())
    if expected is None or reference is None or n == 0:
        return None
    flagged = int(flags[finite].sum())
    reference = np.asarray(reference, dtype=np.float64)
    reference = reference[np.isfinite(reference)]
    if reference.size == 0 or flagged / n <= expected:
        return None
    above, bar, base = _bulk_moved(scores[finite], reference)
    if above < bar * n or _binomial_tail(above, n, base) >= ALARM_LEVEL:
        return None
    if _binomial_tail(flagged, n, expected) >= ALARM_LEVEL:
        return None
    return flagged / n, expected, above / n, flagged, n


def share_alarm(pipe, scores, flags) -> str | None:
    """The warning's text where a scored log (``scores``, ``flags``: its table's ``score``
    and ``is_anomaly``) is flagged far beyond the model's promise, else None.

    Two one-sided binomial tests at ``ALARM_LEVEL`` must both reject, and the bulk must
    have moved by ``BULK_SHARE``:

    - the flags: more flagged than Binomial(n, expected) gives (:func:`expected_share`);
    - the bulk: more scored entities above the median of the scores the cut was set on
      (``reference_scores_``: the normal data's out-of-fold scores, or the training
      scores) than Binomial(n, p) gives, p the share of those scores above it (1/2 where
      they are distinct, less where they tie at the median), and at least ``BULK_SHARE``
      of them where p is 1/2 (p plus a third of the rest: :func:`_bulk_moved`).

    The second is what tells a moved log from a log with anomalies: normal-only scoring of
    a log that holds some should flag more than the rate (that is the point), but a few
    percent of anomalies cannot put two thirds of a log above the normal median; a log
    whose window, event names or columns differ from the fit's moves everyone. A log
    that is mostly anomalies moves the bulk too (hdfs_xu's test set, 79% anomalous
    blocks, scored normal-only: the warning says so, as one of its two readings).
    """
    alarm = _alarm(pipe, scores, flags)
    return None if alarm is None else _alarm_text(alarm)


def _alarm_text(alarm) -> str:
    """:func:`share_alarm`'s words for an alarm of :func:`_alarm`."""
    share, expected, above, flagged, n = alarm
    return (
        f"{share:.1%} flagged against {expected:.1%} expected ({flagged:,} of {n:,}), and "
        f"{above:.0%} of the entities score above the median of the data the model was "
        "fitted on (at most half would). Two readings. The data moved from what the model "
        "was fitted on (its time span, event names, columns: another warning says which "
        "where one moved far, but a window even half again as long as the fitted one "
        "moves the duration features)? Refit on data like the data scored, a normal "
        "stretch of it (as long a window, the same event names and columns). Or most of "
        "what was scored is anomalous (an incident)? Then the flags are right: do not "
        "refit on it. Until you know which, read the flags as a ranking only"
    )


def alarm_summary(pipe, table=None) -> str | None:
    """The shell summary's words for :func:`share_alarm` on a ranked table, or None;
    without ``table``, for the alarm of ``pipe``'s last :meth:`AnomalyPipeline.score` in
    the calling thread (the one its warning told: ``oddseq detect --normal``, whose
    table holds the group stage's flags too)."""
    if table is None:
        alarm = getattr(pipe, "_share_alarm", None)
    else:
        alarm = _alarm(pipe, table["score"], table["is_anomaly"])
    if alarm is None:
        return None
    share, expected = alarm[:2]
    return (
        f"{share:.1%} against {expected:.1%} expected: the data may have moved from what "
        "the model was fitted on (see the warnings): refit on a normal stretch of it; or "
        "most of it is anomalous (an incident): do not refit on it"
    )


def warn_share_alarm(pipe, scores, flags):
    """:func:`share_alarm` as a warning, where it has something to say; the alarm (as
    :func:`_alarm` gives it, for :func:`alarm_summary`) or None."""
    alarm = _alarm(pipe, scores, flags)
    if alarm is not None:
        warnings.warn(_alarm_text(alarm), UserWarning, stacklevel=user_stacklevel())
    return alarm
