"""The first encoder: event-type counts and timing per sequence."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..sequences import Sequences
from ..utils._params import Boolean, Integer, Optional, Threads
from ..utils._validation import resolve_threads
from ._base import SequenceEncoder, _check_sequences

__all__ = ["CountTimingEncoder"]

#: The pooled event types kept by name (a reason names at most five).
_POOLED_KEPT = 5


def _most_frequent(counts: np.ndarray, keep: int) -> np.ndarray:
    """The positions (ascending) of the at most ``keep`` most frequent types, chosen by
    their counts alone: a type is kept iff the types at least as frequent as it number
    at most ``keep``. A group tied across the cap is kept whole or pooled whole, so the
    choice does not depend on the labels' order (the positions are labels sorted)."""
    counts = np.asarray(counts)
    ranked = np.sort(counts)[::-1]  # the count of the keep-th most frequent type...
    boundary = ranked[keep - 1]
    # ...and how many types are at least as frequent: over keep if the tie straddles it.
    if np.count_nonzero(counts >= boundary) <= keep:
        return np.flatnonzero(counts >= boundary)
    return np.flatnonzero(counts > boundary)


class CountTimingEncoder(SequenceEncoder):
    """Counts of each event type plus the rhythm of each sequence.

    Columns: ``count[<event>]`` for every event type seen in ``fit``, ``length``, and,
    when the sequences have times, ``duration_s``, ``gap_mean_s`` and ``gap_std_s``
    (population standard deviation of the gaps between consecutive events; 0 for
    sequences of fewer than two events). Event types not seen in ``fit`` count only
    towards ``length``. A log with a single event type (a click log read with
    ``event=None``) gets no ``count[<event>]`` column beside ``length``: it would repeat
    ``length`` (less ``count[<other>]``) and double its weight in every distance.

    Parameters
    ----------
    timing : bool, default=True
        Add ``length`` and the timing columns (when the sequences have times); False
        keeps only the counts (TemporalEncoder has far more rhythm features).
    max_event_types : int, optional
        Keep a column only for the most frequent event types in ``fit`` and count every
        other type, including types first met in ``transform``, in one
        ``count[<other>]`` column: for logs whose events are URL paths or API
        endpoints, where a column per type would be thousands wide. Counts alone
        decide: types tied at the cap keep their columns only if all of them fit, else
        all are pooled (never chosen by label), so there may be fewer columns than
        ``max_event_types`` and relabelling the events changes no value.
        None keeps every type (and unseen types count only towards ``length``, unless
        ``count_unseen``).
    count_unseen : bool, default=False
        Always keep the ``count[<other>]`` column, even when every type of ``fit`` has a
        column of its own: then it counts the event types first met in ``transform``.
        A type never seen in normal data is among the strongest signs of an anomaly in
        system logs (a new error template); for models fitted on normal data only.
    n_threads : int, optional
        Threads for the C++ work; None uses every core.

    Attributes
    ----------
    event_labels_ : pandas.Index
        Event types with their own column, learnt in ``fit``.
    pooled_ : bool
        Whether a ``count[<other>]`` column pools the remaining types.
    pooled_labels_ : pandas.Index
        The most frequent (at most 5) event types of ``fit`` that ``count[<other>]``
        pools (no column of their own), the most frequent first, for the reasons; empty
        where every type has a column.
    n_pooled_ : int
        How many event types of ``fit`` ``count[<other>]`` pools.
    has_times_ : bool
    n_features_out_ : int

    Examples
    --------
    >>> import pandas as pd
    >>> from oddseq.sequences import Sequences
    >>> log = pd.DataFrame({"u": [1, 1, 2], "e": ["pv", "buy", "pv"], "t": [0, 30, 5]})
    >>> seqs = Sequences.from_events(log, entity="u", event="e", time="t")
    >>> enc = CountTimingEncoder().fit(seqs)
    >>> list(enc.get_feature_names_out())[:3]
    ['count[buy]', 'count[pv]', 'length']
    >>> enc.transform(seqs)[0].tolist()
    [1.0, 1.0, 2.0, 30.0, 30.0, 0.0]
    """

    def __init__(self, timing=True, max_event_types=None, count_unseen=False, n_threads=None):
        self.timing = timing
        self.max_event_types = max_event_types
        self.count_unseen = count_unseen
        self.n_threads = n_threads

    _parameter_checks = {
        "timing": Boolean(),
        "max_event_types": Optional(Integer(1)),
        "count_unseen": Boolean(),
        "n_threads": Threads(),
    }

    def fit(self, X, y=None):
        seqs = _check_sequences(X, "CountTimingEncoder.fit")
        keep = self._validate_params()["max_event_types"]
        labels = seqs.event_labels
        self.pooled_ = False
        self.pooled_labels_ = labels[:0]
        self.n_pooled_ = 0
        if keep is not None:
            if len(labels) > keep:  # the most frequent types keep their own column
                counts = np.asarray(seqs.event_counts())
                kept = _most_frequent(counts, keep)
                rest = np.setdiff1d(np.arange(len(labels)), kept)
                # the pooled ones a reason names, the most frequent first (ties in label
                # order), and how many: all of them made a model of URL paths megabytes
                order = np.argsort(-counts[rest], kind="stable")[:_POOLED_KEPT]
                self.pooled_labels_ = labels[rest[order]]
                self.n_pooled_ = len(rest)
                labels, self.pooled_ = labels[kept], True
        self.pooled_ = self.pooled_ or bool(self.count_unseen)
        self.event_labels_ = labels
        # One type with length beside it: its count column says nothing length does not.
        self.single_type_ = bool(self.timing) and len(labels) == 1
        self.has_times_ = bool(self.timing) and seqs.times is not None
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def transform(self, X):
        check_is_fitted(self, "event_labels_")
        seqs = _check_sequences(X, "CountTimingEncoder.transform")
        if self.has_times_ and seqs.times is None:
            raise ValueError(
                "the encoder was fitted on sequences with times but these have none; "
                "build them with a time column"
            )
        threads = resolve_threads(self.n_threads)
        events, n_types = self._codes_in_fit_vocabulary(seqs)
        features = _core.count_timing_features(
            seqs.offsets, events, n_types, seqs.times if self.has_times_ else None, threads
        )
        if n_types > len(self.event_labels_) and not self.pooled_:
            features = np.delete(features, len(self.event_labels_), axis=1)  # unseen types
        if not self.timing:
            n_counts = len(self.event_labels_) + self.pooled_
            features = np.ascontiguousarray(features[:, :n_counts])
        elif getattr(self, "single_type_", False):
            features = np.ascontiguousarray(features[:, 1:])
        return self._wrap(features, seqs)

    def _codes_in_fit_vocabulary(self, seqs: Sequences):
        """Event codes mapped to the fitted vocabulary; unseen events (and, when pooled,
        the types without a column) get one extra code."""
        if seqs.event_labels.equals(self.event_labels_) and not self.pooled_:
            return seqs.events, len(self.event_labels_)
        position = self.event_labels_.get_indexer(seqs.event_labels)
        unseen = len(self.event_labels_)
        mapping = np.where(position < 0, unseen, position).astype(np.int32)
        if np.array_equal(mapping, np.arange(len(mapping))):  # the same codes (pooled_ is
            return seqs.events, unseen + 1  # a column to spare): no pass over the events
        return mapping[seqs.events], unseen + 1  # always room for the extra code

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "event_labels_")
        names = [f"count[{label}]" for label in self.event_labels_]
        if getattr(self, "single_type_", False):
            names = []
        if getattr(self, "pooled_", False):
            names.append("count[<other>]")
        if self.timing:
            names.append("length")
        if self.has_times_:
            names += ["duration_s", "gap_mean_s", "gap_std_s"]
        return np.asarray(names, dtype=object)
