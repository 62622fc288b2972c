"""A sequence-native detector: an n-gram model of what comes next."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..encode._base import _check_sequences
from ..utils._deprecation import renamed_parameters
from ..utils._params import Boolean, Integer, Options, Real
from ..utils._validation import check_positive_int, resolve_threads
from ._base import BaseDetector

__all__ = ["MarkovDetector"]

_SCORES = ("surprise", "max", "mean", "topg")
STATISTICS = (
    "mean_surprisal",
    "max_surprisal",
    "outside_top_g",
    "outside_top_g_share",
    "unseen_events",
    "unseen_transitions",
)


class MarkovDetector(BaseDetector):
    """Sequences whose next events the normal ones make improbable: the non-neural
    counterpart of DeepLog (Du et al. 2017).

    An n-gram model (``order`` events of context, interpolated absolute discounting so
    that unseen contexts back off to shorter ones, and an add-one unigram so that unseen
    events keep a small probability) is fitted on sequences; each sequence is then
    scored event by event, start and end included (a sequence that stops where normal
    ones go on is odd too). Per sequence (``statistics``): the mean and maximum
    surprisal in bits, how many next events are *misses*, that count over the events
    scored, events never seen in fit and transitions never seen in fit. A miss is a
    next event outside the model's ``top_g`` most likely (DeepLog's rule) or one never
    seen after the longest context the model knows (with smoothing, never-seen events
    share the leftover probability almost evenly, so their rank alone says little).

    Fit it on everything (unsupervised) or on known-normal sequences only
    (semi-supervised, DeepLog's setting). Events whose labels were not seen in fit are
    mapped to one "unseen" symbol, never an error.

    Parameters
    ----------
    order : int, default=2
        Events of context.
    top_g : int or "auto", default="auto"
        A next event outside the ``top_g`` most likely counts as a miss. "auto": a third
        of the symbols the model ranks (the event types seen in fit, plus the end when
        ``end_symbol``), rounded up: DeepLog used 9 of HDFS's 28 log keys. The value
        used is ``top_g_``.
    discount : float in (0, 1), default=0.75
    statistic : {"surprise", "max", "mean", "topg"}, default="surprise"
        What ranks the sequences: "surprise" = outside_top_g + max_surprisal / 100 (the
        number of misses, ties broken by the worst event); "max" / "mean" surprisal;
        "topg" the share of misses.
    end_symbol : bool, default=True
        Also score how likely the sequence is to end where it ends.
    contamination : float in (0, 0.5] or "auto", default="auto"
        "auto" with ``statistic="surprise"``: DeepLog's rule (at least one miss), but
        never below the cut on the tail of the fitted sequences' scores that the other
        detectors use (:func:`oddseq.detect.auto_cut`, false-alarm rate 0.01). Fitted on
        normal system-log sessions, where misses are rare, that is DeepLog's rule; fitted
        on a shop log with a handful of event types, where nearly every user has a miss,
        the rule alone flagged every user (make_ecommerce: 100%; with the floor 0.1-0.4%,
        and 0.4-0.6% of logs with nothing planted). Other statistics: that cut.
    n_threads : int or None

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> normal = [["login", "view", "buy", "logout"]] * 50
    >>> odd = [["login", "buy", "buy", "buy", "buy"]]
    >>> seqs = Sequences.from_lists(normal + odd)
    >>> det = MarkovDetector(top_g=1).fit(seqs)
    >>> np.flatnonzero(det.labels_).tolist()
    [50]
    >>> det.explain(seqs[50:], top=1)["feature"].tolist()
    ['login → buy']
    """

    input_kind = "sequences"

    _parameter_checks = {
        **BaseDetector._parameter_checks,
        "order": Integer(1),
        "top_g": Integer(1, auto=True),
        "discount": Real(0, 1, closed="neither"),
        "statistic": Options(*_SCORES),
        "end_symbol": Boolean(),
    }

    @renamed_parameters("0.3", score="statistic")
    def __init__(
        self,
        order=2,
        *,
        top_g="auto",
        discount=0.75,
        statistic="surprise",
        end_symbol=True,
        contamination="auto",
        n_threads=None,
    ):
        self.order = order
        self.top_g = top_g
        self.discount = discount
        self.statistic = statistic
        self.end_symbol = end_symbol
        self.contamination = contamination
        self.n_threads = n_threads

    def fit(self, X, y=None):
        """Fit the model on Sequences X (y is ignored) and score them."""
        order = self._validate_params()["order"]
        seqs = _check_sequences(X, "MarkovDetector.fit")
        if len(seqs) == 0:
            raise ValueError("MarkovDetector.fit needs at least one sequence")
        self.event_labels_ = seqs.event_labels
        ranked = len(self.event_labels_) + bool(self.end_symbol)
        self.top_g_ = -(-ranked // 3) if isinstance(self.top_g, str) else int(self.top_g)
        self._offsets = np.ascontiguousarray(seqs.offsets, dtype=np.int64)
        self._codes = np.ascontiguousarray(seqs.events, dtype=np.int32)
        self._order = order
        self._build()
        self.statistics_ = self._statistics(seqs)
        self._set_threshold(self._combine(self.statistics_))
        return self

    def _build(self):
        self._model = _core.MarkovModel(
            len(self.event_labels_), self._order, float(self.discount), bool(self.end_symbol)
        )
        self._model.fit(self._offsets, self._codes)

    # The C++ model is rebuilt from the training sequences on load.
    # These two methods define the saved state for pickle and for save()/oddseq.load
    # (oddseq._persist); unpickling runs code from the file, so share .oddseq files.
    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: the live object keeps its model
        state.pop("_model", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_codes" in state:
            self._build()

    def _codes_of(self, seqs):
        mapping = self.event_labels_.get_indexer(seqs.event_labels)
        mapping = np.where(mapping < 0, len(self.event_labels_), mapping).astype(np.int32)
        return np.ascontiguousarray(seqs.offsets, dtype=np.int64), mapping[seqs.events]

    def _statistics(self, seqs):
        offsets, codes = self._codes_of(seqs)
        values = self._model.score(offsets, codes, self.top_g_, resolve_threads(self.n_threads))
        return pd.DataFrame(values, index=seqs.ids, columns=list(STATISTICS))

    def _combine(self, stats: pd.DataFrame) -> np.ndarray:
        if self.statistic == "surprise":
            return (stats["outside_top_g"] + stats["max_surprisal"] / 100).to_numpy()
        column = {"max": "max_surprisal", "mean": "mean_surprisal", "topg": "outside_top_g_share"}
        return stats[column[self.statistic]].to_numpy()

    def _cut_floor(self):
        # At least one miss (max surprisal / 100 stays below 1 per miss): the unsupervised
        # cut (here and in AnomalyPipeline) is the tail's, never below DeepLog's rule.
        return 1.0 - 1e-9 if self.statistic == "surprise" else None

    def statistics(self, X) -> pd.DataFrame:
        """The per-sequence statistics (see the class docs), indexed by sequence id."""
        check_is_fitted(self, "event_labels_")
        return self._statistics(_check_sequences(X, "MarkovDetector.statistics"))

    def decision_function(self, X):
        """Score of each sequence (higher = more anomalous)."""
        check_is_fitted(self, "event_labels_")
        return self._combine(
            self._statistics(_check_sequences(X, "MarkovDetector.decision_function"))
        )

    def explain(self, X, top=3):
        """The most surprising steps of each sequence: ``feature`` ("previous → next"),
        ``value`` (the next event), ``typical`` (what the model expected there),
        ``probability``, ``deviation`` (surprisal in bits), ``share`` (of the
        sequence's total surprisal), ``seen`` (whether that transition occurred in fit)
        and ``position`` (0-based; the end of the sequence is "end"). The sequence's start
        and end read "(start)" and "(end)" in ``feature``, ``value`` and ``typical``, in
        parentheses as "(unseen event)": an event type named "start" or "end" (a job's,
        a session's) is not taken for them (one named "(end)" itself would be). Indexed
        by (sequence id, rank)."""
        check_is_fitted(self, "event_labels_")
        top = check_positive_int(top, "top")
        seqs = _check_sequences(X, "MarkovDetector.explain")
        offsets, codes = self._codes_of(seqs)
        steps = self._model.explain(offsets, codes)
        positions, surprisal, likely = steps.positions, steps.surprisal, steps.likely
        n_known = len(self.event_labels_)
        names = np.array(
            [str(v) for v in self.event_labels_] + ["(unseen event)", "(start)", "(end)"],
            dtype=object,
        )
        labels = np.array([str(v) for v in seqs.event_labels] + ["(end)"], dtype=object)
        fitted_pairs = self._fitted_pairs()
        records = []
        for s in range(len(seqs)):
            begin, end = int(positions[s]), int(positions[s + 1])
            length = int(offsets[s + 1] - offsets[s])
            bits = surprisal[begin:end]
            total = float(bits.sum())
            for r, j in enumerate(np.argsort(-bits, kind="stable")[:top], start=1):
                raw_next = seqs.events[offsets[s] + j] if j < length else -1
                next_label = labels[raw_next] if j < length else "(end)"
                prev_label = labels[seqs.events[offsets[s] + j - 1]] if j > 0 else "(start)"
                prev_code = codes[offsets[s] + j - 1] if j > 0 else n_known + 1
                next_code = codes[offsets[s] + j] if j < length else n_known + 2
                records.append(
                    {
                        "row": seqs.ids[s],
                        "rank": r,
                        "feature": f"{prev_label} → {next_label}",
                        "value": next_label,
                        "typical": names[likely[begin + j]],
                        "probability": float(2.0 ** -bits[j]),
                        "deviation": float(bits[j]),
                        "share": float(bits[j] / total) if total > 0 else 0.0,
                        "seen": (int(prev_code), int(next_code)) in fitted_pairs,
                        "position": j if j < length else "end",
                    }
                )
        frame = pd.DataFrame.from_records(records)
        return frame.set_index(["row", "rank"])

    def _fitted_pairs(self) -> set:
        if not hasattr(self, "_pairs"):
            n_known = len(self.event_labels_)
            pairs = set()
            for s in range(len(self._offsets) - 1):
                seq = self._codes[self._offsets[s] : self._offsets[s + 1]].tolist()
                chain = [n_known + 1] + seq + ([n_known + 2] if self.end_symbol else [])
                pairs.update(zip(chain[:-1], chain[1:]))
            self._pairs = pairs
        return self._pairs
