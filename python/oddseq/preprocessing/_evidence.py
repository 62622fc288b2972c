"""Features that rest on few events, pulled toward the population (empirical Bayes)."""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from .._persist import SaveMixin

__all__ = ["EvidenceColumns", "EvidenceShrinker", "feature_evidence"]

# What a feature is estimated from, read off its name: rhythm features (gaps, rates,
# durations, sessions) from the gaps between events, n - 1 of them; shares, ratios and
# means from the n events; counts, sums, maxima and the length are what they are (a
# one-event user did buy once) and are left alone, but for the value statistics below
# (their largest value too: one valued event's is one draw, VALUED_KINDS). A spread (a
# standard deviation, a coefficient of variation, burstiness, an autocorrelation) rests
# on one observation fewer than what it spreads (its degrees of freedom): one gap has a
# spread of 0 by construction, not a regular rhythm (REES46, a user's two views two hours apart:
# "spread of time between events 0 s (expected 1.43 min)" among the reasons of a
# top-three user under method="pca", trial s41).
_GAP_MARKS = ("gap", "duration", "per_min", "burstiness", "autocorr", "max_events_1", "session")
_EVENT_MARKS = ("share", "ratio", "_per_", "entropy", "mean", "std", "median", "cv")
_SPREAD_MARKS = ("std", "_cv", "burstiness", "autocorr")
# Columns left as they are whatever their names say: the length, and CrowdEncoder's
# crowd_peak, a maximum over the log's crowds (an entity of one event that joined a
# crowd of 110 did), not an estimate from the entity's own events.
_NOT_SHRUNK = ("length", "crowd_peak")

# The evidence kinds (feature_evidence) and the observations each rests on, for an entity
# of n events: 0 none (not shrunk), 1 n (the events), 2 n - 1 (the gaps, or the spread of
# the events), 3 n - 2 (the spread of the gaps). stream/model.cpp reads the same table.
EVIDENCE_OBSERVATIONS_LOST = (None, 0, 1, 2)

# The value statistics (DiversityEncoder's, with a value column) rest on the events that
# carry a value, v = n (1 - share_value_missing), not on all n: kind 4 v (the mean and the
# largest value), kind 5 v - 1 (their spread). An entity none of whose events has a value
# has statistics of 0 for want of values (a price scraper of 14,890 browses: "spread of
# values none (no event has a value) (typical 27.2)" as its first reason, TR s53 M2);
# with no valued event they are the population's, and one expensive view is one draw.
# Measured: benchmarks/RESULTS.md, "Fifty-third session".
VALUED_KINDS = {"value_mean": 4, "value_max": 4, "value_std": 5}
VALUED_SHARE_MISSING = "share_value_missing"

# The item variety and repeats (DiversityEncoder's, with items) rest on the events that
# carry an item: kind 6, the n events where the entity has an item (``n_items`` > 0) and
# none where it has none. Their values are 0 by construction there, not an observation:
# a ride log's riders who never rode (no driver) read "share of events repeating the
# previous item 0 (typical 0.75)" and scored on it (TR s60 M1); now they take the
# population's value. (The events with an item are not counted apart: where there is
# one, the entity's n events weigh it, as before.)
ITEM_KINDS = {
    "distinct_item_ratio": 6,
    "item_entropy_bits": 6,
    "top_item_share": 6,
    "repeat_previous_item_share": 6,
    # (the item categories' too: an entity without an item has no category either)
    "distinct_category_ratio": 6,
    "category_entropy_bits": 6,
    "new_category_share_last_session": 6,
}
ITEMS_COUNT = "n_items"


class EvidenceColumns(NamedTuple):
    """The features an entity's evidence reads beside its length, one value per entity:
    ``share`` (of events without a value, VALUED_SHARE_MISSING) and ``items`` (distinct
    items, ITEMS_COUNT), each None where no kind reads it. What the reasons pass in place
    of the whole feature matrix (its rows x features was gigabytes, review RV s53b H1)."""

    share: np.ndarray | None = None
    items: np.ndarray | None = None


def feature_evidence(names) -> np.ndarray:
    """Per feature name, what it rests on: 3 (a spread of the gaps: n - 2
    observations for n events), 2 (the gaps, or a spread of the events: n - 1), 1 (the
    events: n) or 0 (a count or total, not shrunk). The value statistics' kinds 4 and 5
    (their valued events) are set by :class:`EvidenceShrinker` where the features hold
    the share of events without a value (``VALUED_KINDS``), and the item features' kind
    6 (the events, none without an item) where they hold ``n_items`` (``ITEM_KINDS``)."""
    kinds = np.zeros(len(names), dtype=np.int8)
    for j, name in enumerate(names):
        lowered = str(name).lower()
        if lowered.startswith(("count[", "n_")) or lowered in _NOT_SHRUNK:
            continue
        spread = any(mark in lowered for mark in _SPREAD_MARKS)
        if any(mark in lowered for mark in _GAP_MARKS):
            kinds[j] = 3 if spread else 2
        elif any(mark in lowered for mark in _EVENT_MARKS):
            kinds[j] = 2 if spread else 1
    return kinds


class EvidenceShrinker(SaveMixin):
    """Shrinks each entity's rate-like features toward the population's median by how
    much evidence they rest on: ``x' = w x + (1 - w) median`` with ``w = e / (e +
    prior)``, where ``e`` is the number of gaps (rhythm features) or events (shares,
    ratios, means) the entity has, one fewer for a spread (of the events, or of the
    gaps: a spread of one gap is 0 by construction). A user with one event has no gaps:
    its gap features say nothing and become the median; its shares move a third of the
    way (prior 2); a user with two events has one gap, and its spread of the gaps
    becomes the median.
    Long sequences keep their values (``w`` near 1). This is the posterior mean of a
    feature under a prior worth ``prior`` observations of a typical entity, the usual
    empirical-Bayes cure for small-sample rates (a 1/1 buy rate is not a 100% buyer).

    The medians are taken over entities with at least ``prior`` observations of each
    feature (all entities when none has).

    Parameters
    ----------
    prior : float, default=2.0
        Observations the population's value is worth; 0 turns shrinkage off.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[10.0], [12.0], [11.0], [900.0]])      # a gap feature
    >>> lengths = np.array([50, 40, 60, 1])                   # the last has one event
    >>> shrunk = EvidenceShrinker().fit(X, lengths, ["gap_mean_s"]).transform(X, lengths)
    >>> shrunk[:, 0].round(2).tolist()
    [10.04, 11.95, 11.0, 11.0]
    """

    def __init__(self, prior: float = 2.0):
        if (
            isinstance(prior, bool)
            or not isinstance(prior, numbers.Real)
            or not np.isfinite(prior)
            or prior < 0
        ):
            raise ValueError(
                f"evidence_prior must be a number >= 0 (0 turns shrinkage off), got {prior!r}"
            )
        self.prior = float(prior)

    def _observations(self, lengths, raw=None):
        """Per entity, the observations of each evidence kind (columns 0-6); ``raw`` (its
        features before the shrinkage, or their EvidenceColumns) where a kind reads its
        valued events (4, 5) or whether it has an item (6)."""
        lengths = np.asarray(lengths, dtype=np.float64)
        lost = EVIDENCE_OBSERVATIONS_LOST
        valued = self.valued(lengths, raw)
        return np.column_stack(
            [np.zeros_like(lengths)]
            + [np.maximum(lengths - k, 0) for k in lost[1:]]
            + [valued, np.maximum(valued - 1, 0), self.with_items(lengths, raw)]
        )

    def with_items(self, lengths, raw=None) -> np.ndarray:
        """Per entity, its events where it has an item (``n_items`` > 0 in ``raw``, its
        features or their EvidenceColumns), none where it has none: kind 6's
        observations (``ITEM_KINDS``); its events where no kind reads them."""
        lengths = np.asarray(lengths, dtype=np.float64)
        if not self.reads_items():
            return lengths.copy()
        if raw is None:
            if self.prior == 0:  # (no shrinkage: no count is read)
                return lengths.copy()
            raise ValueError("the item features' evidence needs the raw features (raw=)")
        if isinstance(raw, EvidenceColumns):
            items = raw.items
        else:
            items = np.asarray(raw)[:, self.items_column_]
        return np.where(np.asarray(items, dtype=np.float64) > 0, lengths, 0.0)

    def valued(self, lengths, raw=None) -> np.ndarray:
        """Per entity, its events that carry a value, ``n (1 - share_value_missing)``,
        where the value statistics are shrunk by them (``valued_column_``, the
        column of ``share_value_missing`` in ``raw``; ``raw`` may be that column alone,
        :meth:`valued_share`); zeros where none is."""
        lengths = np.asarray(lengths, dtype=np.float64)
        if not self.reads_valued():
            return np.zeros_like(lengths)
        if raw is None:
            if self.prior == 0:  # (no shrinkage: no count is read)
                return np.zeros_like(lengths)
            raise ValueError("the value statistics' evidence needs the raw features (raw=)")
        if isinstance(raw, EvidenceColumns):
            share = raw.share
        else:
            raw = np.asarray(raw)
            share = raw if raw.ndim == 1 else raw[:, self.valued_column_]  # (the column alone)
        missing = np.clip(share.astype(np.float64), 0.0, 1.0)
        return np.rint(lengths * (1.0 - missing))

    def valued_share(self, raw, rows=None):
        """The columns of ``raw`` (of ``rows``) the evidence reads beside the lengths,
        as EvidenceColumns: the share of events without a value (:meth:`valued`), the
        distinct items (:meth:`with_items`), each a column, not a copy of the rows (the
        reasons read four cells an entity: rows x features was gigabytes, review RV
        s53b H1); None where no kind reads either."""
        if not (self.reads_valued() or self.reads_items()):
            return None

        def column(j):
            return raw[:, j] if rows is None else raw[rows, j]

        return EvidenceColumns(
            column(self.valued_column_) if self.reads_valued() else None,
            column(self.items_column_) if self.reads_items() else None,
        )

    def reads_valued(self) -> bool:
        """Whether a feature's evidence is the valued events (kinds 4 and 5)."""
        column = getattr(self, "valued_column_", -1)
        return column >= 0 and bool(np.isin(self.kinds_, (4, 5)).any())

    def reads_items(self) -> bool:
        """Whether a feature's evidence is read where the entity has an item (kind 6)."""
        column = getattr(self, "items_column_", -1)
        return column >= 0 and bool((np.asarray(self.kinds_) == 6).any())

    def fit(self, X, lengths, names, n_fixed=0):
        """Learn the population medians; the last ``n_fixed`` columns (attributes that
        do not come from the events, such as an account's age) are never shrunk."""
        self._set_kinds(names, n_fixed)
        enough = self.enough(lengths, X)
        self.median_ = np.zeros(X.shape[1])
        for j in np.flatnonzero(self.kinds_):
            column = X[enough[:, j], j] if enough[:, j].any() else X[:, j]
            self.median_[j] = float(np.median(column))
        return self

    def _set_kinds(self, names, n_fixed=0):
        """Which features are shrunk and by which evidence (``kinds_``; the value
        statistics by the valued events where ``share_value_missing`` is a feature,
        ``valued_column_`` its column, else -1; the item features where the entity has
        an item, read off ``n_items``, ``items_column_``, else -1)."""
        self.kinds_ = feature_evidence(names)
        names = [str(name) for name in names]
        self.valued_column_ = -1
        if VALUED_SHARE_MISSING in names:
            self.valued_column_ = names.index(VALUED_SHARE_MISSING)
            for j, name in enumerate(names):
                self.kinds_[j] = VALUED_KINDS.get(name, self.kinds_[j])
        self.items_column_ = -1
        if ITEMS_COUNT in names:
            self.items_column_ = names.index(ITEMS_COUNT)
            for j, name in enumerate(names):
                if self.kinds_[j]:  # (the events' kind refined: where there is an item)
                    self.kinds_[j] = ITEM_KINDS.get(name, self.kinds_[j])
        if n_fixed:
            self.kinds_[len(self.kinds_) - n_fixed :] = 0
        return self

    def __setstate__(self, state):
        """A model saved before the value statistics read their valued events had none
        (its kinds are 0-3), nor before the item features read whether there is an item
        (kinds 0-5): -1 says so."""
        self.__dict__.update(state)
        self.__dict__.setdefault("valued_column_", -1)
        self.__dict__.setdefault("items_column_", -1)

    def enough(self, lengths, raw=None) -> np.ndarray:
        """Per entity and feature, whether the entity's value counts toward the
        feature's median: at least ``prior`` observations (and at least one). A feature
        with no such entity takes the median over every entity. ``raw``: the entities'
        features before the shrinkage (the value statistics count their valued events)."""
        return self._observations(lengths, raw)[:, self.kinds_] >= max(self.prior, 1.0)

    def weights(self, lengths, raw=None) -> np.ndarray:
        """Per entity and feature, the weight its own value gets (1 = unchanged)."""
        observed = self._observations(lengths, raw)[:, self.kinds_]
        if self.prior == 0:
            return np.ones_like(observed)
        weight = observed / (observed + self.prior)
        weight[:, self.kinds_ == 0] = 1.0
        return weight

    def transform_at(self, values, lengths, cols, raw=None) -> np.ndarray:
        """:meth:`transform` of single cells: ``values[i]`` of feature ``cols[i]`` for
        an entity of ``lengths[i]`` events (and features ``raw[i]`` before the
        shrinkage, where a value statistic is shrunk), as the detector reads it."""
        values = np.asarray(values, dtype=np.float64)
        cols = np.asarray(cols, dtype=np.int64)
        kinds = self.kinds_[cols]
        observed = self._observations(lengths, raw)[np.arange(len(cols)), kinds]
        weight = np.ones_like(values)
        if self.prior > 0:
            shrunk = kinds > 0
            weight[shrunk] = observed[shrunk] / (observed[shrunk] + self.prior)
        return weight * values + (1 - weight) * self.median_[cols]

    def transform(self, X, lengths):
        """A new array (X is left as it is)."""
        weight = self.weights(lengths, X)
        out = np.asarray(X, dtype=np.float64)
        return (weight * out + (1 - weight) * self.median_).astype(X.dtype, copy=False)
