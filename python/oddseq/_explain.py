"""Why an entity stands out, in the data's own units: behind
:meth:`AnomalyPipeline.explain` and ``oddseq.plot.plot_explanation``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._reasons import (
    _typical_words,
    feature_notes,
    feature_texts,
    in_units,
    over_nothing,
    typical_words_of,
    whose_said,
)
from .sequences import Sequences

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
    from_fit = np.array([calls[s] == "fit" for s in source], dtype=bool)
    return ids, raw, lengths, from_fit


def _group_reasons(pipeline, ids, fitted=None) -> np.ndarray | None:
    """The group stage's sentence for each of ``ids`` ("" outside any group), as the
    table's reason starts with it; None where the pipeline has no group stage
    (``groups_``, set by :func:`oddseq.detect_anomalies`). ``fitted``: which ids were
    read from the fitted log (None: all); the others, read from a later score (which
    never runs the stage, and whose table no group flagged), get "" whatever their id."""
    finder = getattr(pipeline, "groups_", None)
    labels = getattr(finder, "group_labels_", None)
    if labels is None:
        return None
    ids = pd.Index(ids)
    pos = finder.entity_ids_.get_indexer(ids) if len(ids) else np.array([], dtype=np.int64)
    if fitted is not None:
        pos = np.where(np.asarray(fitted, dtype=bool), pos, -1)
    gids = np.where(pos >= 0, labels[np.maximum(pos, 0)], -1) if len(pos) else pos
    sentences = {int(g): finder._sentence(int(g)) for g in np.unique(gids[gids >= 0])}
    return np.array([sentences.get(int(g), "") for g in gids], dtype=object)


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
    if isinstance(ids, pd.MultiIndex):  # (entity, session): one label per row
        ids = ids.to_flat_index()
    empty.index = pd.MultiIndex.from_arrays(
        [ids[:0], one.index.get_level_values(1)[:0]], names=one.index.names
    )
    return empty


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
    normal-only fitting).
    ``typical_said``: the typical value as the table's reason says it in brackets, with
    its words ("log-scale average 0.42"); for a duration or item variety, that of
    entities with about as many events where the model keeps it ("typical 8.16 d with
    71-100 events", also in ``note``), or both where they lie on two sides of the value.
    ``plot_explanation``'s bars say it too: one typical per feature, the reason's.
    ``group_reason`` (only where the pipeline has a group stage, ``groups_``, as
    :func:`oddseq.detect_anomalies` gives it): the sentence of the group the entity is a
    member of, with which the table's reason starts ("" outside any group); the group
    flags its members whatever their own features say. The groups are the fitted log's
    (scoring never runs the stage): an entity explained from a later score's memory
    (``explain(ids)`` after ``score(later)``) has "" whatever its id; sequences given
    (``explain(seqs, ids)``) are taken for the fitted log's and get their id's group.

    Indexed by (entity id, rank). For ``method="markov"`` the rows are the least
    likely steps (``feature`` "a → b", ``probability``, ``typical`` the expected next
    event); the neural methods give their model's own explanation of each sequence.
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
        if not len(ids):
            return _no_entities(pipeline, ids, None, top)
        X = pipeline._scaled(raw, lengths)
    else:
        # The side table as score reads it (refused where the model has none; the
        # fitted one, said once, where none is given).
        side = pipeline._scoring_side(entity_features, seqs, call="explain")
        seqs = pipeline._kept(pipeline._as_fitted_events(seqs))
        kept = seqs
        seqs = seqs.take(_positions(seqs, entity_ids))
        ids = seqs.ids
        if not len(ids):
            return _no_entities(pipeline, ids, kept, top, entity_features=entity_features)
    if isinstance(ids, pd.MultiIndex):  # (entity, session): one label per row
        ids = ids.to_flat_index()
    if seqs is not None and _reads_sequences(pipeline):
        steps = pipeline.detector_.explain(seqs, top=top)
        rows = ids.get_indexer(steps.index.get_level_values("row"))
        steps.index = pd.MultiIndex.from_arrays(
            [ids[rows], steps.index.get_level_values(1)], names=[ids.name or "entity", "rank"]
        )
        groups = _group_reasons(pipeline, ids[rows])
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
        lengths = seqs.lengths
    explained = pipeline.detector_.explain(X, top=top, feature_names=pipeline.feature_names_)
    rows, cols, value, typical, read, _ = in_units(pipeline, explained, raw, lengths)
    names = pd.Index(pipeline.feature_names_, dtype=object)
    typical_text = feature_texts(names, cols, typical)
    # what a reason adds: count[<other>]'s pooled types, the duration typical by length
    notes = np.asarray(feature_notes(pipeline), dtype=object)[cols]
    # the typical value as the reason says it, with its words (one source: the reasons')
    said, by_length = _typical_words(
        pipeline,
        cols,
        value,
        typical,
        np.asarray(lengths)[rows],
        typical_text,
        typical_words_of(pipeline, explained),
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
    groups = _group_reasons(pipeline, ids[rows], None if from_fit is None else from_fit[rows])
    if groups is not None:
        frame["group_reason"] = groups
    frame.index = pd.MultiIndex.from_arrays(
        [ids[rows], explained.index.get_level_values(1)], names=[ids.name or "entity", "rank"]
    )
    return frame
