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
    the item, the crowd is the number of distinct entities that acted on the item in
    that window, and the item's usual crowd is a busy window of the item's other active
    windows: the 90th percentile of their crowds (the k-th smallest, k = floor(0.9 *
    (others - 1))), at least 1, and 1 where the item has no other (a one-off object's
    usual is one entity). A busy window, not the mean: a carrier's NAT address, busy in
    the evening and quiet at night, is at its usual in its evening peak. With few other
    windows it is the smaller of two, the second largest of three to ten: one burst among
    them (a first wave of a campaign) does not hide the next.
    ``crowd_peak`` is the largest crowd / usual over the sequence's (item, window)
    pairs; 0 for a sequence without an item. It is a maximum, a fact of the log, not an
    estimate: an entity of one event that joined a crowd of 110 did, and the pipeline's
    evidence shrinkage leaves it as it is.

    What it measures: objects that are private or quiet (a payee, an IP, a rare
    merchant, an API key's client) crowded into one hour by many entities, the mark of a
    ring paying one payee, a card-testing run on a few merchants, credential stuffing or
    a key tester working from a few proxies. A popular item's crowd is its usual one
    (ratio near 1), and a person's own objects (a home IP, a friend paid each month) hold
    one entity an hour. A launch or a drop (an item new in one hour that many take) reads
    as a crowd too: its ratio is its crowd.

    A crowd counts entities: in a table of sessions or windows (ids of (entity, ...)),
    one entity's sessions on its own objects within a window are one entity, not a
    crowd, and each session gets the ratio of the crowds it joined.

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
        is usual" (a table of sessions counts entities too; "(and 2 more items alike)" where
        other items had the same crowd against their usual in that hour: which one is
        named follows the item coding); "" for a sequence without an item or whose
        largest crowd is no more than its item's usual (nothing stood out)."""
        from .._reasons import shorten
        from ..graph._detector import _window_words

        check_is_fitted(self, "n_features_out_")
        seqs = _check_timed_sequences(seqs, "CrowdEncoder.crowd_facts")
        _check_items(seqs, "CrowdEncoder.crowd_facts")
        window = self._validate_params()["window"]
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= len(seqs)):
            raise ValueError(
                f"rows must be positions of sequences in [0, {len(seqs)}), got "
                f"{int(rows.min())} to {int(rows.max())}"
            )
        _, item, start, crowd, usual, alike = crowd_ratios(seqs, window, self.n_threads, facts=True)
        labels = seqs.item_labels
        zone = getattr(seqs, "tz", None)
        naive = zone is None and getattr(seqs, "naive_clock", False)
        who = "entities"  # (a table of sessions counts entities too: crowd_ratios)
        said = []
        for r in rows.tolist():
            if item[r] < 0 or crowd[r] <= usual[r]:  # (no crowd above its usual: nothing to say)
                said.append("")
                continue
            begin = pd.Timestamp(int(start[r]), unit="ns", tz="UTC")
            end = begin + pd.Timedelta(window, unit="ns")
            if zone is not None:
                begin, end = begin.tz_convert(zone), end.tz_convert(zone)
            elif naive:  # naive times: the log's clock, said as written (no zone)
                begin, end = begin.tz_localize(None), end.tz_localize(None)
            more = int(alike[r]) - 1
            others = f" (and {more:,} more item{'s' if more > 1 else ''} alike)" if more else ""
            said.append(
                f"{int(crowd[r]):,} {who} on {shorten(str(labels[int(item[r])]))}{others}"
                f"{_window_words(begin, end, naive)}, where {usual_words(usual[r])} is usual"
            )
        return said


def usual_words(usual: float) -> str:
    """A usual crowd (or a side column's usual sharers) as a reason says it: "1", "37",
    "8.5", "1,480" (never "1.48e+03"; a busy hour's crowd is a whole count, and a float
    only past 2^53)."""
    return f"{usual:,.0f}" if usual >= 100 else f"{usual:.3g}"


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
    alike), the item -1 for a sequence without one (:func:`oddseq._core.crowd_ratio`).
    A table of sessions or windows (ids of (entity, ...)) counts entities in a crowd, not
    its rows: one entity's sessions on its own IP within an hour are no crowd."""
    times = np.asarray(seqs.times, dtype=np.int64)
    n = len(seqs.offsets) - 1
    if not times.size:
        ratios = np.zeros(n, dtype=np.float32)
        if not facts:
            return ratios
        none = np.full(n, -1, dtype=np.int64)
        return ratios, none, none.copy(), np.zeros(n, np.int64), np.zeros(n), np.zeros(n, np.int64)
    # Clock windows from the epoch: the same event in the same window in every call;
    # each event's window index by floor division, never a difference of two times
    # (which overflows where a log spans over 292 years of nanoseconds).
    absolute = times // window_ns
    first = int(absolute.min())
    n_windows = int(absolute.max()) - first + 1
    if n_windows >= 2**31:
        raise ValueError(
            f"the log spans {n_windows:,} crowd windows, more than 2^31: use a longer window"
        )
    windows = absolute - first
    del absolute
    entity_of = None
    if isinstance(seqs.ids, pd.MultiIndex):
        entity_of = pd.factorize(seqs.ids.get_level_values(0))[0].astype(np.int64)
    view = _core.SequencesView(offsets=seqs.offsets, events=seqs.events, items=seqs.items)
    found = _core.crowd_ratio(
        view,
        len(seqs.item_labels),
        windows,
        n_windows,
        entity_of=entity_of,
        n_threads=resolve_threads(n_threads),
        facts=facts,
    )
    if not facts:
        return found
    ratios, item, window, crowd, usual, alike = found
    start = np.where(item >= 0, (first + window) * window_ns, -1)
    return ratios, item, start, crowd, usual, alike
