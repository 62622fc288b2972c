"""Live scoring: a fitted AnomalyPipeline applied to entities as their events arrive."""

from __future__ import annotations

import contextlib
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _core
from .._reasons import ALERT_FEATURES, alert_reasons
from ..encode import CountTimingEncoder, DiversityEncoder
from ..sequences._sequences import _duration_ns, _times_to_ns

__all__ = ["StreamScorer", "StreamUpdate", "STREAM_FEATURES"]

# The DiversityEncoder's columns in the order the C++ state writes them.
_DIVERSITY = (
    "n_items",
    "distinct_item_ratio",
    "item_entropy_bits",
    "top_item_share",
    "repeat_previous_item_share",
    "n_items_bought",
    "cart_per_view",
    "fav_per_view",
    "buy_per_view",
    "buy_per_cart",
    "value_sum",
    "value_mean",
    "value_max",
    "value_std",
    "share_value_missing",
    "value_bought_sum",
)

#: How each feature of the pipeline's encoders is computed live. "exact": equal to the
#: batch encoder on the same events (value sums: in arrival order, which is the batch's
#: time order unless late events were accepted); "approximate": how is said; features
#: not listed (the item-category columns, whose ``new_category_share_last_session``
#: needs every earlier session's categories, and ``entity_features``) are refused.
STREAM_FEATURES = {
    "count[<event>]": "exact",
    "count[<other>]": "exact",
    "length": "exact",
    "duration_s": "exact",
    "gap_mean_s": "exact",
    "gap_std_s": "approximate: from exact integer sums of the gaps and squared gaps (ns), "
    "equal to the batch's two-pass value up to its double round-off (the batch leaves "
    "~1e-16 x the mean gap where every gap is equal; the stream gives 0)",
    "n_items": "exact up to max_exact_items distinct items, then a HyperLogLog sketch "
    "(2^10 registers, about 3 % error)",
    "distinct_item_ratio": "as n_items",
    "item_entropy_bits": "exact up to max_exact_items distinct items; beyond, the events on "
    "untracked items are taken as spread evenly over the sketch's extra items",
    "top_item_share": "exact up to max_exact_items distinct items; beyond, the largest of the "
    "tracked items' counts and the even share of the untracked ones",
    "repeat_previous_item_share": "exact",
    "n_items_bought": "as n_items",
    "cart_per_view": "exact",
    "fav_per_view": "exact",
    "buy_per_view": "exact",
    "buy_per_cart": "exact",
    "value_sum": "exact (arrival order)",
    "value_mean": "exact (arrival order)",
    "value_max": "exact",
    "value_std": "approximate: Welford's running variance, equal to the batch's two-pass "
    "value up to double round-off",
    "share_value_missing": "exact",
    "value_bought_sum": "exact (arrival order)",
}


@dataclass
class StreamUpdate:
    """What one :meth:`StreamScorer.update` found.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per entity the events touched (indexed by entity id, in first-touch
        order): ``score``, ``is_anomaly`` (score above the fitted threshold), ``length``,
        ``approximate`` (its item columns come from the sketch).
    alerts : pandas.DataFrame
        The rows of ``scores`` above the threshold, with ``threshold``, ``new`` (first
        crossing since the entity was last below it) and ``reason``.
    n_late_dropped, n_invalid : int
        Events of this batch dropped as too late, and rows with a missing entity, event
        type or time.

    Examples
    --------
    >>> import pandas as pd
    >>> empty = pd.DataFrame(columns=["score"])
    >>> StreamUpdate(scores=empty, alerts=empty).n_late_dropped
    0
    """

    scores: pd.DataFrame
    alerts: pd.DataFrame
    n_late_dropped: int = 0
    n_invalid: int = 0


def _hash_keys(values) -> np.ndarray:
    """64-bit keys of ids: integers by value, everything else by its text."""
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if array.dtype.kind in "iub":
        return pd.util.hash_array(array.astype(np.int64, copy=False))
    return pd.util.hash_array(array.astype(str).astype(object))


class StreamScorer:
    """Score entities as their events arrive, with a fitted :class:`AnomalyPipeline`.

    The per-entity state lives in C++ (counts per event type, first/last time, exact
    sums of the gaps and their squares, the newest events, distinct items, funnel counts,
    value sums): each event costs O(1), and after events e1..en an entity's features are
    those the pipeline's encoders compute on e1..en (:data:`STREAM_FEATURES` says which
    are exact and how the others are approximated). They are then shrunk, scaled and
    scored exactly as :meth:`AnomalyPipeline.score` does, and judged against the fitted
    ``threshold_``. The stream scores whole entities (``entity`` ids), not sessions.
    Entity and item ids are kept as 64-bit hashes of their values (integers by value,
    anything else by its text; two ids collide with probability about 2^-64). One
    scorer is fed from one thread at a time.

    Refused (``ValueError``): ``method="markov"`` (it scores the whole order of events),
    pipelines with ``item_categories`` (``new_category_share_last_session`` needs every
    earlier session's categories) or ``entity_features``.

    Parameters
    ----------
    pipeline : AnomalyPipeline
        Fitted.
    entity, event, time, item, value : str or None
        Column roles of the events given to :meth:`update` (as in
        ``Sequences.from_events``); ``time`` is required when the pipeline was fitted
        with times, ``item`` / ``value`` when it was fitted with items / values.
    time_unit : {"s", "ms", "us", "ns"}
        Unit of numeric times.
    lateness : float, str or Timedelta, default=0
        How far (seconds, or a string like "5s") an event may be older than its entity's
        newest event and still be applied, placed among the entity's
        ``max_late_events`` newest events exactly where the batch's time order puts it.
        Later ones (or ones older than those newest events) are dropped and counted.
    ttl : float, str or Timedelta, optional
        Entities idle (by event time) longer than this are forgotten, and counted: on
        their next event they start afresh, and a sweep removes them from memory once
        the stream's clock has moved on by ttl / 16. None keeps entities forever.
    max_entities : int, optional
        Cap on tracked entities. Policy: when a new entity would exceed it, the tenth of
        the cap whose newest event is oldest is forgotten at once (counted).
    max_exact_items : int, default=256
        Distinct items (and bought items) kept exactly per entity; beyond, a 1 kB
        HyperLogLog sketch per entity.
    max_late_events : int, default=8
        Newest events kept per entity to place late events (only the newest one without
        ``lateness``).

    Attributes
    ----------
    threshold_ : float
        The pipeline's fitted threshold.
    feature_names_ : numpy.ndarray

    Examples
    --------
    >>> from oddseq import AnomalyPipeline
    >>> from oddseq.datasets import make_ecommerce
    >>> from oddseq.sequences import Sequences
    >>> log = make_ecommerce(n_users=300, random_state=0).events
    >>> seqs = Sequences.from_events(log, entity="user_id", event="behavior",
    ...                              time="timestamp", item="item_id")
    >>> pipe = AnomalyPipeline().fit(seqs)
    >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp",
    ...                     item="item_id")
    >>> out = live.update(log.sort_values("timestamp", kind="stable"))
    >>> len(out.scores) == log["user_id"].nunique()
    True
    >>> bool(out.alerts["score"].gt(live.threshold_).all())
    True
    """

    def __init__(
        self,
        pipeline,
        entity,
        event=None,
        time=None,
        item=None,
        value=None,
        time_unit="s",
        lateness=0,
        ttl=None,
        max_entities=None,
        max_exact_items=256,
        max_late_events=8,
    ):
        self.pipeline = pipeline
        self.entity, self.event, self.time, self.item, self.value = entity, event, time, item, value
        self.time_unit = time_unit
        self._check_pipeline()
        self._check_roles()
        lateness_ns = 0 if _is_zero(lateness) else _duration_ns(lateness, "lateness")
        ttl_ns = 0 if ttl is None else _duration_ns(ttl, "ttl")
        for name, number, low in (
            ("max_entities", max_entities, 1),
            ("max_exact_items", max_exact_items, 1),
            ("max_late_events", max_late_events, 1),
        ):
            if number is None and name == "max_entities":
                continue
            if (
                isinstance(number, bool)
                or not isinstance(number, (int, np.integer))
                or not low <= number < 2**31
            ):
                raise ValueError(f"{name} must be an integer in [{low}, 2**31), got {number!r}")
        if (lateness_ns or ttl_ns) and not self._has_times:
            raise ValueError(
                "lateness and ttl are measured in event time, but the pipeline was fitted "
                "without times; leave them out"
            )
        self.lateness_ns_, self.ttl_ns_ = int(lateness_ns), int(ttl_ns)
        self._store = _core.StreamEntityStore(
            self._column_of_code,
            self._n_columns,
            self._has_times,
            self._has_items,
            self._has_values,
            *self._funnel_codes,
            int(max_exact_items),
            self.lateness_ns_,
            int(max_late_events),
            self.ttl_ns_,
            int(max_entities or 0),
        )
        self.n_invalid_ = 0

    # ---- construction

    def _check_pipeline(self):
        pipe = self.pipeline
        if not hasattr(pipe, "detector_"):
            raise ValueError("StreamScorer needs a fitted AnomalyPipeline; call fit(sequences)")
        if getattr(pipe, "method", None) == "markov":
            raise ValueError(
                "StreamScorer cannot stream method='markov': it scores the whole order of "
                "each sequence; fit the pipeline with a feature method (auto, knn, ...)"
            )
        if getattr(pipe, "entity_features", None) is not None:
            raise ValueError(
                "StreamScorer does not support entity_features (side attributes joined by "
                "entity id); fit the pipeline without them"
            )
        if not hasattr(pipe, "encoder_"):
            raise ValueError(
                f"StreamScorer cannot stream method={getattr(pipe, 'method', None)!r}: it "
                "scores whole sequences, not features; fit the pipeline with a feature "
                "method (auto, knn, ...)"
            )
        encoders = dict(getattr(pipe.encoder_, "encoders_", []))
        counts, diversity = encoders.get("counts"), encoders.get("diversity")
        if not isinstance(counts, CountTimingEncoder) or not isinstance(
            diversity, DiversityEncoder
        ):
            raise ValueError(
                "StreamScorer supports the pipeline's CountTimingEncoder + DiversityEncoder "
                f"features; this pipeline encodes with {list(encoders)}"
            )
        unsupported = [n for n in diversity.get_feature_names_out() if n not in _DIVERSITY]
        if unsupported:
            raise ValueError(
                f"StreamScorer cannot compute {unsupported} live: "
                "new_category_share_last_session needs every earlier session's categories, "
                "and the category columns come with it; fit the pipeline without "
                "item_categories to stream it"
            )
        labels = pd.Index(counts.event_labels_)
        k = len(labels)
        funnel = dict(diversity.funnel_)
        extra = [v for v in funnel.values() if labels.get_indexer([v])[0] < 0]
        # Codes: the count labels, the pooled/unseen code k, then funnel labels without a
        # column of their own (they count in column k).
        self._labels = labels.append(pd.Index(extra, dtype=labels.dtype)) if extra else labels
        self._column_of_code = np.array(list(range(k)) + [k] * (1 + len(extra)), dtype=np.int32)
        self._n_columns = k + 1
        self._other_code = k
        codes = []
        for step in ("view", "cart", "fav", "buy"):
            label = funnel.get(step)
            if label is None:
                codes.append(-1)
                continue
            at = self._labels.get_indexer([label])[0]
            codes.append(int(at) if at < k else k + 1 + extra.index(label))
        self._funnel_codes = codes
        # The pipeline's columns in the C++ row (counts, other, length, 3 timing, 16).
        columns = [] if getattr(counts, "single_type_", False) else list(range(k))
        if counts.pooled_:
            columns.append(k)
        if counts.timing:
            columns.append(k + 1)
        if counts.has_times_:
            columns += [k + 2, k + 3, k + 4]
        columns += [k + 5 + _DIVERSITY.index(n) for n in diversity.get_feature_names_out()]
        names = list(pipe.encoder_.get_feature_names_out())
        if len(columns) != len(names) or list(pipe.feature_names_) != names:
            raise ValueError(
                "StreamScorer does not recognise this pipeline's features "
                f"{list(pipe.feature_names_)}"
            )
        self._columns = np.asarray(columns, dtype=np.int64)
        self.feature_names_ = np.asarray(names, dtype=object)
        self._has_times = bool(counts.has_times_)
        self._has_items = bool(diversity.has_items_)
        self._has_values = bool(diversity.has_values_)
        self.threshold_ = float(pipe.threshold_)

    def _check_roles(self):
        for role, needed in (
            ("time", self._has_times),
            ("item", self._has_items),
            ("value", self._has_values),
        ):
            given = getattr(self, role)
            if needed and given is None:
                raise ValueError(
                    f"the pipeline was fitted with {role}s; name the {role} column ({role}=...)"
                )
            if not needed and given is not None:
                raise ValueError(
                    f"the pipeline was fitted without {role}s, so {role}={given!r} would be "
                    f"ignored; leave {role} out"
                )
        if self.entity is None:
            raise ValueError("entity must name the column of entity ids")

    # ---- the stream

    def _parse(self, events: pd.DataFrame):
        """The batch as C++ arrays, less rows with a missing entity, event or time."""
        if not isinstance(events, pd.DataFrame):
            raise TypeError(f"events must be a pandas DataFrame, got {type(events).__name__}")
        roles = [self.entity, self.event, self.time, self.item, self.value]
        missing = [c for c in roles if c is not None and c not in events.columns]
        if missing:
            raise ValueError(
                f"column(s) {missing} not in the events; they have {list(events.columns)}"
            )
        bad = events[self.entity].isna().to_numpy().copy()
        if self.event is not None:
            bad |= events[self.event].isna().to_numpy()
        times = None
        if self._has_times:
            times, bad_time, _ = _times_to_ns(events[self.time], self.time_unit, self.time)
            if bad_time is not None:
                bad |= bad_time
        if bad.any():
            events = events.loc[~bad]
            times = None if times is None else times[~bad]
        if self.event is None:
            code = np.zeros(len(events), dtype=np.int32)
        else:
            given = events[self.event]
            if self._labels.dtype.kind in "iuf" and given.dtype.kind not in "iuf":
                # Numeric types read as text (CSV, JSON strings): compared as numbers;
                # text that is no number is an unseen type.
                given = pd.to_numeric(given, errors="coerce")
            at = self._labels.get_indexer(given)
            code = np.where(at < 0, self._other_code, at).astype(np.int32)
        item = present = value = None
        if self._has_items:
            present = events[self.item].notna().to_numpy()
            item = np.zeros(len(events), dtype=np.uint64)
            item[present] = _hash_keys(events[self.item].to_numpy()[present])
            present = present.astype(np.uint8)
        if self._has_values:
            value = pd.to_numeric(events[self.value], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
        entity_ids = events[self.entity].to_numpy()
        arrays = (
            np.ascontiguousarray(_hash_keys(entity_ids)),
            code,
            None if times is None else np.ascontiguousarray(times, dtype=np.int64),
            item,
            present,
            None if value is None else np.ascontiguousarray(value),
        )
        return arrays, entity_ids, int(bad.sum())

    def update(self, events: pd.DataFrame) -> StreamUpdate:
        """Apply a batch of events (rows in arrival order) and score the entities they
        touched.

        Unknown event types count as the pipeline's unseen types (``count[<other>]``,
        or only ``length`` when it has no such column), as in batch scoring. Rows with a
        missing entity, event type or time are skipped and counted (``n_invalid_``).

        Parameters
        ----------
        events : pandas.DataFrame
            With the columns named at construction.

        Returns
        -------
        StreamUpdate
            ``scores`` of the touched entities and the ``alerts`` among them.

        Examples
        --------
        >>> import pandas as pd
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
        >>> new = pd.DataFrame({"user_id": [1, 1], "behavior": ["pv", "teleport"],
        ...                     "timestamp": [1511539256, 1511539260]})
        >>> out = live.update(new)
        >>> out.scores["length"].tolist()
        [2]
        """
        arrays, entity_ids, n_invalid = self._parse(events)
        self.n_invalid_ += n_invalid
        status, touched = self._store.update(*arrays)
        n_dropped = int((status == 2).sum())
        # Each touched entity's id as its first row of the batch gave it.
        unique, first = np.unique(arrays[0], return_index=True)
        first = first[np.searchsorted(unique, touched)]
        labels = pd.Index(entity_ids[first], name=self.entity)
        scores, alerts = self._score(touched, labels)
        return StreamUpdate(scores, alerts, n_late_dropped=n_dropped, n_invalid=n_invalid)

    def _raw(self, keys):
        rows, lengths, found, approximate = self._store.features(keys, self._n_columns)
        return rows[:, self._columns], lengths, found.astype(bool), approximate.astype(bool)

    def features(self, entity_ids) -> pd.DataFrame:
        """The current features of these entities (the pipeline's encoder columns),
        indexed by id; entities not tracked (never seen, or evicted) are left out.

        Examples
        --------
        >>> import pandas as pd
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
        >>> _ = live.update(pd.DataFrame({"user_id": [7, 7], "behavior": ["pv", "buy"],
        ...                               "timestamp": [0, 30]}))
        >>> live.features([7]).loc[7, ["count[buy]", "length", "gap_mean_s"]].tolist()
        [1.0, 2.0, 30.0]
        """
        ids = pd.Index(entity_ids)
        raw, _, found, _ = self._raw(np.ascontiguousarray(_hash_keys(ids.to_numpy())))
        return pd.DataFrame(raw[found], index=ids[found], columns=self.feature_names_)

    def _score(self, keys, labels):
        pipe = self.pipeline
        raw, lengths, found, approximate = self._raw(keys)
        keep = found & (lengths >= pipe.min_events)
        raw, lengths, approximate, labels, keys = (
            raw[keep],
            lengths[keep],
            approximate[keep],
            labels[keep],
            keys[keep],
        )
        columns = ["score", "is_anomaly", "length", "approximate"]
        if len(keys) == 0:
            empty = pd.DataFrame(columns=columns, index=labels)
            return empty, pd.DataFrame(
                columns=["score", "threshold", "new", "reason"], index=labels
            )
        X = pipe._scaled(raw, lengths)
        with _few_threads(len(X)):
            score = np.asarray(pipe.detector_.decision_function(X), dtype=np.float64)
        above = score > self.threshold_
        scores = pd.DataFrame(
            {"score": score, "is_anomaly": above, "length": lengths, "approximate": approximate},
            index=labels,
        )
        was = self._store.alerted(keys).astype(bool)
        if (was & ~above).any():
            self._store.set_alerted(np.ascontiguousarray(keys[was & ~above]), False)
        hit = np.flatnonzero(above)
        alerts = pd.DataFrame(
            {
                "score": score[hit],
                "threshold": self.threshold_,
                "new": ~was[hit],
                "reason": self._reasons(X[hit], raw[hit]),
            },
            index=labels[hit],
        )
        if len(hit):
            self._store.set_alerted(np.ascontiguousarray(keys[hit]), True)
        return scores, alerts

    def _reasons(self, X, raw) -> np.ndarray:
        """The two features that drive each alert, in the data's units, as the batch
        table's reasons say them."""
        if len(X) == 0:
            return np.array([], dtype=object)
        pipe = self.pipeline
        with _few_threads(len(X)):
            explained = pipe.detector_.explain(
                X, top=ALERT_FEATURES, feature_names=self.feature_names_
            )
        return alert_reasons(pipe, explained, raw)

    # ---- housekeeping

    @property
    def counters(self) -> dict:
        """Events applied, late ones accepted and dropped, entities evicted by the TTL
        and by the cap, entities tracked, invalid rows skipped.

        Examples
        --------
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> StreamScorer(pipe, entity="user_id", event="behavior",
        ...              time="timestamp").counters["n_entities"]
        0
        """
        out = dict(self._store.counters())
        out["n_invalid"] = self.n_invalid_
        return out

    def memory_bytes(self) -> int:
        """Heap bytes of the per-entity state (estimated from its containers).

        Examples
        --------
        >>> from oddseq import AnomalyPipeline
        >>> from oddseq.datasets import make_ecommerce
        >>> from oddseq.sequences import Sequences
        >>> log = make_ecommerce(n_users=200, random_state=0).events
        >>> pipe = AnomalyPipeline().fit(
        ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
        >>> live = StreamScorer(pipe, entity="user_id", event="behavior", time="timestamp")
        >>> live.memory_bytes() >= 0
        True
        """
        return int(self._store.memory_bytes())


_SMALL = 2048  # rows scored on one OpenMP thread: waking the others costs more
_controller = None


def _few_threads(n_rows: int):
    """One OpenMP thread for a few rows (a one-event update took 21 ms with every core
    woken for it on a loaded 2-core machine, 2.7 ms on one); results do not depend on
    the thread count."""
    global _controller
    if n_rows >= _SMALL:
        return contextlib.nullcontext()
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="openmp")


def _is_zero(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == 0
