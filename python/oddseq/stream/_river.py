"""River's one-event-at-a-time surface over a StreamScorer."""

from __future__ import annotations

__all__ = ["RiverAdapter"]


class RiverAdapter:
    """``learn_one`` / ``score_one`` on one event (a dict), for code written for River's
    anomaly detectors (``river.anomaly``).

    An event is absorbed into its entity's state once: ``score_one(x)`` absorbs it and
    returns the entity's score with it (a live entity's score must include its newest
    event), and the ``learn_one(x)`` that follows in River's score-then-learn loop does
    not absorb the same event again; ``learn_one`` alone absorbs it. The model itself is
    not refitted. An entity below ``min_events`` scores NaN. Each event takes
    :meth:`StreamScorer.update_one`'s path (no DataFrame per event): a column absent
    from ``x`` counts as a missing value, so an event without its entity, event type or
    time is skipped and counted as invalid (``counters["n_invalid"]``), as in River's
    sparse dicts; a misspelt key is not an error.

    Parameters
    ----------
    scorer : StreamScorer

    Examples
    --------
    >>> from oddseq import AnomalyPipeline
    >>> from oddseq.datasets import make_ecommerce
    >>> from oddseq.sequences import Sequences
    >>> from oddseq.stream import StreamScorer
    >>> log = make_ecommerce(n_users=200, random_state=0).events
    >>> pipe = AnomalyPipeline().fit(
    ...     Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp"))
    >>> model = RiverAdapter(StreamScorer(pipe, entity="user_id", event="behavior",
    ...                                   time="timestamp"))
    >>> x = {"user_id": 5, "behavior": "pv", "timestamp": 1511539256}
    >>> score = model.score_one(x)
    >>> model.learn_one(x)
    >>> model.scorer.counters["n_events"]
    1
    """

    def __init__(self, scorer):
        self.scorer = scorer
        self._pending = None

    def _absorb(self, x: dict) -> float:
        scorer = self.scorer
        return scorer.update_one(
            x.get(scorer.entity),
            None if scorer.event is None else x.get(scorer.event),
            None if scorer.time is None else x.get(scorer.time),
            None if scorer.item is None else x.get(scorer.item),
            None if scorer.value is None else x.get(scorer.value),
        ).score

    def learn_one(self, x: dict) -> None:
        """Absorb the event ``x`` (unless ``score_one`` just did)."""
        if self._pending is not None and self._pending == x:
            self._pending = None
            return
        self._pending = None
        self._absorb(x)

    def score_one(self, x: dict) -> float:
        """The score of ``x``'s entity with ``x`` absorbed (higher = more anomalous)."""
        score = self._absorb(x)
        self._pending = dict(x)
        return score
