"""Why an entity stands out, in the data's own units: behind
:meth:`AnomalyPipeline.explain` and ``oddseq.plot.plot_explanation``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._reasons import (
    _clusters_of,
    _typical_words,
    feature_notes,
    feature_texts,
    in_units,
    name_unseen_types,
    over_nothing,
    reason_names,
    typical_words_of,
    whose_said,
)
from .detect._neighbors import explained_with_rows
from .sequences import Sequences
from .utils._unique import distinct

__all__ = ["explain_entities"]


def _reads_sequences(pipeline) -> bool:
    """Whether the pipeline's detector reads the sequences themselves (Markov, the
    neural models), whose explanation is their least likely steps."""
    return getattr(pipeline.detector_, "input_kind", "matrix") == "sequences"


def _wanted(entity_ids) -> list:
    if np.isscalar(entity_ids) or isinstance(entity_ids, tuple):
        entity_ids = [entity_ids]
    return list(entity_ids)


def _as_written(ids: list) -> list:
    """Ids as a refusal shows them: numpy scalars (a table's index, ``seqs.ids``) as
    the Python values they hold, 9 and not np.int64(9), also within a session's
    (entity, session) pair."""
    return [
        tuple(_as_written([v])[0] for v in i)
        if isinstance(i, tuple)
        else (i.item() if isinstance(i, np.generic) else i)
        for i in ids
    ]


def _with_crowds_of(pipeline, raw, kept, positions) -> np.ndarray:
    """``raw`` (features of the sequences at ``positions`` of ``kept``) with the crowd
    column counted among all of ``kept``."""
    from .encode._crowd import crowd_ratios

    crowd = dict(pipeline.encoder_.encoders_)["crowd"]
    column = list(pipeline.feature_names_).index("crowd_peak")
    window = crowd._validate_params()["window"]
    raw = np.array(raw, dtype=np.float64, copy=True)
    raw[:, column] = crowd_ratios(kept, window, crowd.n_threads)[np.asarray(positions)]
    return raw


def _positions(seqs: Sequences, entity_ids) -> np.ndarray:
    if entity_ids is None:
        return np.arange(len(seqs))
    wanted = _wanted(entity_ids)
    positions = seqs.ids.get_indexer(wanted)
    if (positions < 0).any():
        unknown = _as_written([w for w, p in zip(wanted, positions) if p < 0][:5])
        raise ValueError(
            f"entity_ids {unknown} are not among the ids of these sequences (or have fewer "
            "than min_events events); pass ids from the ranked table's index"
        )
    return positions


def _remembered(pipeline, entity_ids):
    """(ids, raw features, lengths, from the fit) of ``entity_ids`` from what the
    pipeline's last ``score`` in this thread, its last ``score`` in any thread and its
    ``fit`` kept (each id from the first that has it); ``from the fit``: which rows came
    from the fit's (the group stage's record is of the fitted log)."""
    kept = pipeline._explain_sources()
    calls = [call for call in ("score", "latest", "fit") if call in kept]
    sources = [kept[call] for call in calls]
    if not sources:
        raise ValueError(
            "this pipeline keeps no features to explain by id ("
            + (
                f"method={pipeline.method!r} explains sequences"
                if _reads_sequences(pipeline)
                else "they are not saved with a model"
            )
            + "): pass the sequences, pipeline.explain(seqs, entity_ids)"
            + (
                ""
                if _reads_sequences(pipeline)
                else ", or score them first: after pipeline.score(seqs) (in any thread), "
                "pipeline.explain(entity_ids) explains that call's entities"
            )
        )
    if entity_ids is None:
        raise ValueError(
            "pass entity_ids (ids from the ranked table's index), or the sequences to "
            "explain every entity of them: pipeline.explain(seqs)"
        )
    wanted = _wanted(entity_ids)
    source = np.full(len(wanted), -1)
    position = np.full(len(wanted), -1)
    for s, (ids, _, _) in enumerate(sources):
        found = ids.get_indexer(wanted)
        new = (source < 0) & (found >= 0)
        source[new], position[new] = s, found[new]
    if (source < 0).any():
        unknown = _as_written([w for w, s in zip(wanted, source) if s < 0][:5])
        raise ValueError(
            f"entity_ids {unknown} are not among the entities of the last fit or score (this "
            "thread's last score, the model's last one in any thread; or have fewer than "
            "min_events events); pass their sequences: "
            "pipeline.explain(seqs, entity_ids)"
        )
    # The ids by source, then back in the order asked for.
    by_source = [ids[position[source == s]] for s, (ids, _, _) in enumerate(sources)]
    ids = by_source[0].append(by_source[1:])[np.argsort(np.argsort(source, kind="stable"))]
    first_raw = sources[0][1]
    raw = np.empty((len(wanted), first_raw.shape[1]), dtype=first_raw.dtype)
    lengths = np.empty(len(wanted), dtype=sources[0][2].dtype)
    for s, (_, r, n) in enumerate(sources):
        mine = source == s
        raw[mine], lengths[mine] = r[position[mine]], n[position[mine]]
    # The rows of the log the group stage ran on (detect_anomalies notes them: the
    # fit's, or with normal= the day's score); else the fit's.
    group_log = pipeline.__dict__.get("_group_log_rows")
    of_log = [calls[s] == "fit" if group_log is None else sources[s] is group_log for s in source]
    return ids, raw, lengths, np.array(of_log, dtype=bool)


def _as_kept(pipeline, ids, raw, lengths) -> bool:
    """Whether each of ``ids`` has the features ``raw`` (and length) that the last fit
    or score kept for it: the fitted log's entities (or a day scored) given again, for
    which the side table of the fit (or the score) is the right one. Only where the
    model has a side table and has not said so yet (else True: nothing to say)."""
    if pipeline.entity_features is None or "_side_said" in pipeline.__dict__:
        return True
    matched = np.zeros(len(ids), dtype=bool)
    for kept_ids, kept_raw, kept_lengths in pipeline._explain_sources().values():
        at = kept_ids.get_indexer(ids)
        found = np.flatnonzero(~matched & (at >= 0))
        if not found.size:
            continue
        mine, theirs = raw[found], kept_raw[at[found]].astype(raw.dtype, copy=False)
        same = ((mine == theirs) | (np.isnan(mine) & np.isnan(theirs))).all(axis=1)
        same &= np.asarray(lengths)[found] == kept_lengths[at[found]]
        matched[found[same]] = True
    return bool(matched.all())


def _group_reasons(pipeline, keys, of_log=None) -> np.ndarray | None:
    """The group stage's sentence for each entity of ``keys`` (a session's: its
    entity's) as the table's reason starts with it, "" outside any group; None where
    the pipeline has no group stage (``groups_``, set by
    :func:`oddseq.detect_anomalies`). ``of_log``: which rows are the log the stage ran
    on (None: all); the others (a later day's, which scoring never groups and whose
    table no group flagged) get "" whatever their id."""
    finder = getattr(pipeline, "groups_", None)
    labels = getattr(finder, "group_labels_", None)
    if labels is None:
        return None
    keys = pd.Index(keys)
    pos = finder.entity_ids_.get_indexer(keys) if len(keys) else np.array([], dtype=np.int64)
    if of_log is not None:
        pos = np.where(np.asarray(of_log, dtype=bool), pos, -1)
    gids = np.where(pos >= 0, labels[np.maximum(pos, 0)], -1) if len(pos) else pos
    sentences = {int(g): finder._sentence(int(g)) for g in distinct(gids[gids >= 0])}
    return np.array([sentences.get(int(g), "") for g in gids], dtype=object)


def _entity_keys(ids: pd.Index) -> pd.Index:
    """The entity of each id, as the group stage keys its members (a session's
    entity: the first level, as ``join_groups`` reads the table's index)."""
    return ids.get_level_values(0) if isinstance(ids, pd.MultiIndex) else ids


def _label_hashes(labels) -> np.ndarray:
    """64-bit hashes of labels as text (5 and "5" alike: the kinds scoring reads alike)."""
    return pd.util.hash_array(np.asarray(labels, dtype=object), categorize=False)


def sequence_prints(seqs: Sequences) -> np.ndarray:
    """A 64-bit fingerprint of each sequence: its id and its events (types, times,
    items and values, by their labels), so that sequences built again from the same
    rows match, and a later day's sequence of the same entity does not."""
    if not len(seqs):
        return np.array([], dtype=np.uint64)
    import hashlib

    ids = seqs.ids
    levels = [ids.get_level_values(k) for k in range(ids.nlevels)]
    by_id = np.column_stack([_label_hashes(level) for level in levels])
    columns = [_label_hashes(seqs.event_labels)[seqs.events]]
    if seqs.times is not None:
        columns.append(np.asarray(seqs.times, dtype=np.int64).view(np.uint64))
    if seqs.items is not None:
        items = np.asarray(seqs.items)
        labels = seqs.item_labels if seqs.item_labels is not None else pd.Index([])
        hashed = _label_hashes(labels) if len(labels) else np.zeros(1, dtype=np.uint64)
        columns.append(np.where(items >= 0, hashed[np.maximum(items, 0)], np.uint64(0)))
    if seqs.values is not None:
        values = np.array(seqs.values, dtype=np.float64)
        values[np.isnan(values)] = np.nan  # one NaN
        columns.append(values.view(np.uint64))
    events = np.ascontiguousarray(np.column_stack(columns), dtype=np.uint64)
    offsets = seqs.offsets
    prints = np.empty(len(seqs), dtype=np.uint64)
    for r in range(len(seqs)):
        digest = hashlib.blake2b(by_id[r].tobytes(), digest_size=8)
        digest.update(events[offsets[r] : offsets[r + 1]].tobytes())
        prints[r] = np.frombuffer(digest.digest(), dtype=np.uint64)[0]
    return prints


def group_log_prints(pipeline, seqs: Sequences) -> np.ndarray:
    """The fingerprints (:func:`sequence_prints`) of the sequences of ``seqs`` (the log
    the group stage ran on) that are members of a group (a session: holding one of its
    entity's acts in the group), sorted: what
    ``explain(seqs, ids)`` tells the group stage's log from a later day's by."""
    from ._pipeline import group_acts, group_member_rows

    seqs = pipeline._as_fitted_events(seqs)
    member = group_member_rows(seqs, *group_acts(pipeline.groups_))
    return np.sort(sequence_prints(seqs.take(member)))


def _of_group_log(pipeline, seqs: Sequences) -> np.ndarray | None:
    """Which of ``seqs`` are sequences of the log the group stage ran on, as it saw
    them (their fingerprints among those kept, ``_group_prints``); None where the
    pipeline keeps none (no group stage; a model saved before they were kept: each id
    takes its group, as before)."""
    prints = getattr(pipeline, "_group_prints", None)
    if prints is None or getattr(pipeline, "groups_", None) is None:
        return None
    from ._pipeline import group_acts, group_member_rows

    member = group_member_rows(seqs, *group_acts(pipeline.groups_))
    of_log = np.zeros(len(seqs), dtype=bool)
    if member.size:
        of_log[member] = np.isin(sequence_prints(seqs.take(member)), prints)
    return of_log


def _no_entities(pipeline, ids, seqs, top: int, entity_features=None) -> pd.DataFrame:
    """The explanation of no entity (``explain([])``, the flagged rows of a day with
    none): the table's columns and index levels with no rows, from one entity's
    explanation (the first of ``seqs`` where there are any, else the first remembered)."""
    if seqs is not None and len(seqs):
        one = explain_entities(
            pipeline, seqs.take([0]), None, top=top, entity_features=entity_features
        )
    else:
        kept = pipeline._explain_sources()
        first = next((kept[c][0][:1] for c in ("score", "latest", "fit") if c in kept), None)
        if first is None or not len(first):
            raise ValueError(
                "no entity to explain, and none kept to give the table's columns from: "
                "pass entity ids, or the sequences, pipeline.explain(seqs, entity_ids)"
            )
        one = explain_entities(pipeline, None, list(first), top=top)
    empty = one.iloc[:0]
    empty.index = _by_entity_and_rank(ids, [], one.index.get_level_values("rank")[:0])
    return empty


def _by_entity_and_rank(ids, rows, ranks) -> pd.MultiIndex:
    """explain()'s index: the rows' ids as score's table gives them (an entity's id, or
    a session's (entity, session) pair in two levels), then the feature's rank; so the
    explanation joins to the table on its index."""
    if isinstance(ids, pd.MultiIndex):
        levels = [ids.get_level_values(i)[rows] for i in range(ids.nlevels)]
        return pd.MultiIndex.from_arrays([*levels, ranks], names=[*ids.names, "rank"])
    return pd.MultiIndex.from_arrays([ids[rows], ranks], names=[ids.name or "entity", "rank"])


def explain_entities(
    pipeline, seqs, entity_ids=None, top: int = 4, entity_features=None
) -> pd.DataFrame:
    """Each entity's ``top`` features by their pull on its score, with the value and
    what the model expected (``typical``) in the data's units (durations in seconds,
    counts, prices), the same text the ``reason`` column uses, and ``deviation`` in the
    detector's units (spreads away from typical; the sign says above or below).
    ``value_read`` is the value the detector read, in the same units: the evidence
    shrinkage (``evidence_prior``) pulls a rate of an entity with few events toward the
    population's median, so a short session's own gap spread can lie above typical
    while the one the detector read, and ``deviation``, lie below; ``value_read`` is
    ``value`` for counts and totals. The ``reason`` column names a feature only where
    ``value`` and ``value_read`` lie on the same side of ``typical``.
    ``typical_words``: whose expectation ``typical`` is, as the reason says it before
    the value: "typical" (the training median), "log-scale average" (PCA's T^2: the mean
    of the log-scaled feature; for a count it expects under sqrt(2) - 1, "most entities
    have none", which the reason says in place of the value), "expected" (PCA's
    prediction), "entities like it have"
    (a K-means centre, the nearest entities' mean; "normal entities like it have" in
    normal-only fitting; ``typical_said`` says the median of the own values of the
    K-means cluster's entities or of the neighbours: KNN, LOF, DBSCAN; one neighbour's
    own value).
    ``typical_said``: the typical value as the table's reason says it in brackets, with
    its words ("typical 12"); for a duration or item variety, that of
    entities with about as many events where the model keeps it ("typical 8.16 d with
    71-100 events", also in ``note``), or both where they lie on two sides of the value;
    in place of a detector's centre of the population (a shrunk feature's median, PCA
    T^2's mean of any feature: "typical"; the cluster's, the neighbours'), the median
    of the entities' own values ("purchases per cart" typical 0, where ``typical`` is
    the median of the shrunk values the detector read, 0.237; "count[pv]" typical 12,
    where T^2's mean of the log-scaled counts is 10.1); a shrunk feature's T^2 mean with
    no such median is said "expected". Where the value is that median, or lies on its
    other side than ``typical``, the reason does not name the feature: the detector's
    centre set it apart, not the entity.
    ``plot_explanation``'s bars say it too: one typical per feature, the reason's.
    ``feature_said``: the feature as the reasons name it (in words; the funnel's ratios
    by the log's own events, "'pay_ok' per 'auction_won'"), as the plot's bars name it.
    ``group_reason`` (only where the pipeline has a group stage, ``groups_``, as
    :func:`oddseq.detect_anomalies` gives it): the sentence of the group the entity is a
    member of, with which the table's reason starts ("" outside any group); the group
    flags its members whatever their own features say (a session: its entity's group,
    where it holds one of the entity's acts in it).
    The groups are those of the log the stage ran on (the fitted log, or the day scored
    with ``normal=``; scoring never runs the stage): an entity explained from a later
    score's memory (``explain(ids)`` after ``score(later)``) has "" whatever its id, and
    so have sequences given (``explain(seqs, ids)``) other than that log's as it was
    (a later day's: told by a fingerprint of the members' sequences kept with the
    model, by oddseq.dask as by one machine; a model saved before it was kept gives
    each id its group).

    Indexed by (entity id, rank); a sessions model's (``session_gap=``) by (entity id,
    session, rank), the levels of score's table, so ``why.join(table, on=[...])`` or
    ``why.droplevel("rank")`` lines the reasons up with the table's rows. For
    ``method="markov"`` the rows are the least likely steps (``feature`` "a → b",
    ``probability``, ``typical`` the expected next event), for ``method="invariants"``
    the invariants each sequence breaks (``feature`` "'close' = 'open'"); the neural methods
    give their model's own explanation of each sequence.
    ``seqs=None``: the entities of the pipeline's last score and fit (see
    :meth:`AnomalyPipeline.explain`). ``entity_features``: with ``seqs``, the side table
    their entities are read with, as :meth:`AnomalyPipeline.score` reads it.
    """

    if not hasattr(pipeline, "detector_"):
        from .exceptions import NotFittedError

        raise NotFittedError("AnomalyPipeline is not fitted yet; call fit(sequences)")
    if seqs is not None and not isinstance(seqs, Sequences):
        from ._pipeline import not_sequences

        _, _, fix = not_sequences("explain", seqs).partition("; ")  # a DataFrame's
        raise TypeError(
            f"seqs must be the Sequences the pipeline scores (Sequences.from_events with the "
            f"arguments of the fit), got {type(seqs).__name__}" + (f"; {fix}" if fix else "")
        )
    top = int(top)
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    side = from_fit = None
    if seqs is None:
        if entity_features is not None:
            raise ValueError(
                "entity_features goes with the sequences, explain(seqs, entity_ids, "
                "entity_features=side); explain(entity_ids) reads what the last score "
                "read, its side table included"
            )
        ids, raw, lengths, from_fit = _remembered(pipeline, entity_ids)
        held = pipeline.__dict__.get("_group_sessions")  # the sessions that are members
        if held is not None and isinstance(ids, pd.MultiIndex):
            from_fit = from_fit & ids.isin(held)
        if not len(ids):
            return _no_entities(pipeline, ids, None, top)
        X = pipeline._scaled(raw, lengths)
    else:
        # The side table as score reads it (refused where the model has none; the
        # fitted one, said once, where none is given).
        # (Without a table given, the fitted one is said where these entities are not
        # the fitted ones as kept: below, once their features are read.)
        side = pipeline._scoring_side(
            entity_features, seqs, call="explain", warn=_reads_sequences(pipeline)
        )
        seqs = pipeline._kept(pipeline._as_fitted_events(seqs))
        kept = seqs
        positions = _positions(seqs, entity_ids)
        seqs = seqs.take(positions)
        ids = seqs.ids
        if not len(ids):
            return _no_entities(pipeline, ids, kept, top, entity_features=entity_features)
    keys = _entity_keys(ids)  # whose group (a session's: its entity's)
    if seqs is not None:
        from_fit = _of_group_log(pipeline, seqs)
    if seqs is not None and _reads_sequences(pipeline):
        steps = pipeline.detector_.explain(seqs, top=top)
        rows = ids.get_indexer(steps.index.get_level_values("row"))
        steps.index = _by_entity_and_rank(ids, rows, steps.index.get_level_values(1))
        groups = _group_reasons(pipeline, keys[rows], None if from_fit is None else from_fit[rows])
        if groups is not None:
            steps["group_reason"] = groups
        return steps
    if seqs is not None:
        from ._pipeline import _SIDE_GIVEN

        token = _SIDE_GIVEN.set((pipeline, side))
        try:
            raw, X = pipeline._matrix(seqs)
        finally:
            _SIDE_GIVEN.reset(token)
        if getattr(pipeline, "crowds_", False):
            # The crowds on these entities' items are counted among the whole log's
            # entities, as the table counts them (review RV s44 H1: among these alone, a
            # member of a crowd of 40 read 1).
            raw = _with_crowds_of(pipeline, raw, kept, positions)
            X = pipeline._scaled(raw, seqs.lengths)
        lengths = seqs.lengths
        if entity_features is None and not _as_kept(pipeline, seqs.ids, raw, lengths):
            pipeline._say_fitted_side("explain")
    explained, chosen = explained_with_rows(pipeline.detector_, X, top, pipeline.feature_names_)
    rows, cols, value, typical, read, agrees = in_units(pipeline, explained, raw, lengths)
    names = pd.Index(pipeline.feature_names_, dtype=object)
    typical_text = feature_texts(names, cols, typical)
    # what a reason adds: count[<other>]'s pooled types, the duration typical by length
    notes = np.asarray(feature_notes(pipeline), dtype=object)[cols]
    pooled = np.flatnonzero(notes != "")  # (count[<other>]'s rows: the one with a note)
    if seqs is not None and pooled.size:  # its types not seen in fitting: the entity's own
        notes[pooled] = name_unseen_types(pipeline, notes[pooled], seqs.take(rows[pooled]))
    # the typical value as the reason says it, with its words (one source: the reasons')
    said, by_length = _typical_words(
        pipeline,
        cols,
        value,
        typical,
        np.asarray(lengths)[rows],
        typical_text,
        typical_words_of(pipeline, explained),
        agrees,
        rows,
        raw,
        _clusters_of(explained),
        chosen,
    )
    notes = np.where(by_length != "", by_length, notes)
    value_text = feature_texts(names, cols, value)
    # a funnel ratio over nothing: the counts it is ("60 'buy' with no 'pv'")
    counts = over_nothing(pipeline, rows, cols, value, raw, value_text)
    notes = np.where(counts != value_text, counts, notes)
    # whose typical, as the reason says it ("most entities have none" for a rare count)
    whose = whose_said(pipeline, cols, typical, typical_words_of(pipeline, explained))
    frame = pd.DataFrame(
        {
            "feature": names[cols].to_numpy(),
            "value": value,
            "typical": typical,
            "value_text": value_text,
            "typical_text": typical_text,
            "value_read": read,
            "deviation": explained["deviation"].to_numpy(np.float64),
            "note": notes,
            "typical_words": whose,
            "typical_said": said,
        }
    )
    for extra in ("share", "detector"):
        if extra in explained:
            frame[extra] = explained[extra].to_numpy()
    groups = _group_reasons(pipeline, keys[rows], None if from_fit is None else from_fit[rows])
    if groups is not None:
        frame["group_reason"] = groups
    # the feature as the reasons name it ("'pay_ok' per 'auction_won'" where the funnel's
    # cart is an auction won, not "purchases per cart": RV s48 L2); after the columns
    # an explanation had before it (code that reads them by place reads the same)
    frame["feature_said"] = reason_names(pipeline, names)[cols]
    frame.index = _by_entity_and_rank(ids, rows, explained.index.get_level_values(1))
    return frame
