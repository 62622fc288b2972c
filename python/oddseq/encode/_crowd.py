"""CrowdEncoder: how crowded each entity's items were, against each item's usual crowd."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..utils._params import Check, Threads
from ..utils._time import duration_ns
from ..utils._validation import resolve_threads
from ._base import SequenceEncoder, _check_timed_sequences

__all__ = ["CrowdEncoder"]

_NAME = "crowd_peak"


def _window_ns(value, name: str) -> int:
    return duration_ns(value, name)


class CrowdEncoder(SequenceEncoder):
    """How crowded each sequence's items were when it acted on them: one column,
    ``crowd_peak``.

    For every item and clock window (an hour by default) in which the sequence acted on
    the item, the crowd is the number of distinct sequences that acted on the item in
    that window, and the item's usual crowd is the mean crowd of the item's other active
    windows (at least 1, and 1 where the item has no other: a one-off object's usual is
    one entity). ``crowd_peak`` is the largest crowd / usual over the sequence's
    (item, window) pairs; 0 for a sequence without an item. It is a maximum, a fact of
    the log, not an estimate: an entity of one event that joined a crowd of 110 did, and
    the pipeline's evidence shrinkage leaves it as it is.

    What it measures: objects that are private or quiet (a payee, an IP, a rare
    merchant, an API key's client) crowded into one hour by many entities, the mark of a
    ring paying one payee, a card-testing run on a few merchants, credential stuffing or
    a key tester working from a few proxies. A popular item's crowd is its usual one
    (ratio near 1), and a person's own objects (a home IP, a friend paid each month) hold
    one entity an hour. A launch or a drop (an item new in one hour that many take) reads
    as a crowd too: its ratio is its crowd.

    The crowds are counted among the sequences given to ``transform``: they are a fact
    of the log scored, not of one entity, so score a window's whole log together (a
    subset of its entities meets fewer of each other). Windows are clock windows from
    the epoch (UTC), so the same events fall in the same windows in every call.

    Parameters
    ----------
    window : float, str or Timedelta, default="1h"
        Length of the clock windows (seconds or a duration string).
    n_threads : int, optional

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> # five accounts pay one payee within the hour; two others each pay their own
    >>> entities = ["r1", "r2", "r3", "r4", "r5", "a", "a", "b", "b"]
    >>> items = ["p9"] * 5 + ["pa", "pa", "pb", "pb"]
    >>> times = [10, 20, 30, 40, 50, 100, 90_000, 200, 90_200]
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user": entities, "event": "pay", "payee": items, "t": times})
    >>> seqs = Sequences.from_events(log, entity="user", event="event", time="t", item="payee")
    >>> enc = CrowdEncoder().set_output(transform="pandas").fit(seqs)
    >>> enc.transform(seqs)["crowd_peak"].tolist()
    [1.0, 1.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    """

    def __init__(self, window="1h", n_threads=None):
        self.window = window
        self.n_threads = n_threads

    _parameter_checks = {
        "window": Check(_window_ns),
        "n_threads": Threads(),
    }

    def fit(self, X, y=None):
        seqs = _check_timed_sequences(X, "CrowdEncoder.fit")
        _check_items(seqs, "CrowdEncoder.fit")
        self._validate_params()
        self.n_features_out_ = 1
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_out_")
        seqs = _check_timed_sequences(X, "CrowdEncoder.transform")
        _check_items(seqs, "CrowdEncoder.transform")
        window = self._validate_params()["window"]
        return self._wrap(crowd_ratios(seqs, window, self.n_threads)[:, None], seqs)

    def get_feature_names_out(self, input_features=None):
        return np.asarray([_NAME], dtype=object)

    def crowd_facts(self, seqs, rows) -> list[str]:
        """Where the ``crowd_peak`` of each of the sequences at ``rows`` of ``seqs`` came
        from (the crowds counted among all of ``seqs``, as ``transform`` counts them):
        "55 entities on 45.0.15.153 between 02:00 and 03:00 on 10 Mar 2025 (UTC), where 1
        is usual" ("sessions" for a table of sessions; "(and 2 more items alike)" where
        other items had the same crowd against their usual in that hour: which one is
        named follows the item coding); "" for a sequence without an item or whose
        largest crowd is no more than its item's usual (nothing stood out)."""
        from .._reasons import shorten
        from ..graph._detector import _window_words

        check_is_fitted(self, "n_features_out_")
        window = self._validate_params()["window"]
        rows = np.asarray(rows, dtype=np.int64)
        _, item, start, crowd, usual, alike = crowd_ratios(seqs, window, self.n_threads, facts=True)
        labels = seqs.item_labels
        zone = getattr(seqs, "tz", None)
        who = "sessions" if isinstance(seqs.ids, pd.MultiIndex) else "entities"
        said = []
        for r in rows.tolist():
            if item[r] < 0 or crowd[r] <= usual[r]:  # (no crowd above its usual: nothing to say)
                said.append("")
                continue
            begin = pd.Timestamp(int(start[r]), unit="ns", tz="UTC")
            end = begin + pd.Timedelta(window, unit="ns")
            if zone is not None:
                begin, end = begin.tz_convert(zone), end.tz_convert(zone)
            more = int(alike[r]) - 1
            others = f" (and {more:,} more item{'s' if more > 1 else ''} alike)" if more else ""
            said.append(
                f"{int(crowd[r]):,} {who} on {shorten(str(labels[int(item[r])]))}{others}"
                f"{_window_words(begin, end)}, where {usual[r]:.3g} is usual"
            )
        return said


def _check_items(seqs, who: str) -> None:
    if seqs.items is None:
        name = who.split(".")[0]
        raise ValueError(
            f"{name} needs the items acted on, but these sequences have none; build them "
            "with an item column (Sequences.from_events(..., item=...))"
        )


def crowd_ratios(seqs, window_ns: int, n_threads=None, facts: bool = False):
    """``crowd_peak`` of each sequence of ``seqs`` (with items and times), float32; with
    ``facts``, (ratios, item codes, window starts in ns, crowds, usual crowds, items
    alike), the item -1 for a sequence without one (:func:`oddseq._core.crowd_ratio`)."""
    times = np.asarray(seqs.times, dtype=np.int64)
    n = len(seqs.offsets) - 1
    if not times.size:
        ratios = np.zeros(n, dtype=np.float32)
        if not facts:
            return ratios
        none = np.full(n, -1, dtype=np.int64)
        return ratios, none, none.copy(), np.zeros(n, np.int64), np.zeros(n), np.zeros(n, np.int64)
    # Clock windows from the epoch: the same event in the same window in every call.
    t0 = int(times.min()) // window_ns * window_ns
    n_windows = (int(times.max()) - t0) // window_ns + 1
    if n_windows >= 2**31:
        raise ValueError(
            f"the log spans {n_windows:,} crowd windows, more than 2^31: use a longer window"
        )
    view = _core.SequencesView(
        offsets=seqs.offsets, events=seqs.events, times=times, items=seqs.items
    )
    found = _core.crowd_ratio(
        view, len(seqs.item_labels), t0, window_ns, n_windows, resolve_threads(n_threads), facts
    )
    if not facts:
        return found
    ratios, item, window, crowd, usual, alike = found
    start = np.where(item >= 0, t0 + window * window_ns, -1)
    return ratios, item, start, crowd, usual, alike
