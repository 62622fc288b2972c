"""Plots for the analyst's loop: scores, curves, clusters, timelines, transitions,
explanations, confusion matrix and the k-distance curve.

matplotlib is an optional extra (``pip install "oddseq[plot]"``). Every function takes
an optional ``ax``, draws on it (or on a new figure) and returns the Axes; nothing is
shown, so the functions work in notebooks and headless scripts alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "plot_clusters",
    "plot_confusion",
    "plot_explanation",
    "plot_group",
    "plot_kdistance",
    "plot_pr",
    "plot_roc",
    "plot_scores",
    "plot_timeline",
    "plot_transitions",
]


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            'oddseq.plot needs matplotlib: pip install "oddseq[plot]" (or pip install matplotlib)'
        ) from None
    if ax is None:
        # Constrained layout: tick labels and titles stay inside the figure when saved.
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    return ax


def _vector(values, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be numbers: {error}") from None
    if sum(size > 1 for size in array.shape) > 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    array = array.ravel()
    if array.size == 0:
        raise ValueError(f"{name} is empty: nothing to plot")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def _table_scores(y_score):
    """A ranked table given as the scores: its ``score`` column (as plot_scores reads
    it); anything else as given."""
    if isinstance(y_score, pd.DataFrame) and "score" in y_score.columns:
        return y_score["score"]
    return y_score


def _labels(y_true, n: int) -> np.ndarray:
    y = np.asarray(y_true).ravel()
    if y.shape[0] != n:
        raise ValueError(f"y_true has {y.shape[0]} entries, the scores {n}")
    if not np.isin(y, (0, 1, True, False)).all():
        raise ValueError("y_true must be 0/1 (1 = anomaly)")
    y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError("y_true needs both classes (anomalies and normal rows)")
    return y


def _scores_of(source):
    """(scores, threshold, flagged, the line's name) from a fitted detector or pipeline,
    a ranked table or an array."""
    from ._pipeline import AnomalyPipeline

    if isinstance(source, AnomalyPipeline):
        if not hasattr(source, "threshold_"):
            from .exceptions import NotFittedError

            raise NotFittedError("AnomalyPipeline is not fitted yet; call fit() before plotting")
        table = getattr(source, "table_", None)
        if table is None or table.empty:
            raise ValueError(
                "this pipeline keeps no table of its fitted entities (a loaded model, or the "
                "one oddseq.dask returns): pass a table it scored with its cut, "
                "plot_scores(table, threshold=pipeline.threshold_)"
            )
        scores = _vector(table["score"], "score")
        return scores, float(source.threshold_), table["is_anomaly"].to_numpy(), "threshold"
    if isinstance(source, pd.DataFrame):
        if "score" not in source:
            raise ValueError("a table needs a 'score' column (the output of detect_anomalies)")
        flagged = source["is_anomaly"].to_numpy() if "is_anomaly" in source else None
        scores = _vector(source["score"], "score")
        # A table does not keep the model's cut (threshold_), which lies under its
        # lowest flagged score: the line is that score, named as what it is.
        threshold = scores[flagged].min() if flagged is not None and flagged.any() else None
        return scores, threshold, flagged, "lowest flagged score"
    if hasattr(source, "fit") and hasattr(source, "decision_function"):
        if not hasattr(source, "decision_scores_"):
            from .exceptions import NotFittedError

            raise NotFittedError(
                f"{type(source).__name__} is not fitted yet; call fit() before plotting"
            )
        scores = _vector(source.decision_scores_, "scores")
        return scores, source.threshold_, source.labels_ == 1, "threshold"
    return _vector(source, "scores"), None, None, "threshold"


def plot_scores(source, *, threshold=None, bins=50, log=True, ax=None):
    """Histogram of anomaly scores with the threshold.

    ``source``: a fitted detector (its training scores and ``threshold_``), a fitted
    :class:`AnomalyPipeline` (its fitted entities' scores, ``table_``, before any
    group stage, and its cut, ``threshold_``), the table of :func:`oddseq.detect_anomalies` or of
    :meth:`AnomalyPipeline.score`, or an array of scores (then pass ``threshold``). A
    table does not keep the model's cut, which lies under its lowest flagged score: the
    line is drawn at that score, named "lowest flagged score"; pass
    ``threshold=pipeline.threshold_`` (``return_pipeline=True``) to draw the cut itself.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_scores(np.random.default_rng(0).gamma(2, size=500), threshold=6.0)
    >>> ax.get_xlabel()
    'anomaly score (higher = odder)'
    """
    scores, fitted_threshold, flagged, line = _scores_of(source)
    if threshold is not None:
        threshold, line = float(threshold), "threshold"
    else:
        threshold = fitted_threshold
    ax = _axes(ax)
    edges = np.histogram_bin_edges(scores, bins=bins)
    if flagged is not None and flagged.any():
        ax.hist(scores[~flagged], bins=edges, color="#8da0cb", label="normal")
        ax.hist(scores[flagged], bins=edges, color="#fc8d62", label="flagged")
    else:
        ax.hist(scores, bins=edges, color="#8da0cb", label="scores")
    if threshold is not None:
        ax.axvline(threshold, color="#d62728", linestyle="--", label=f"{line} {threshold:.3g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("anomaly score (higher = odder)")
    ax.set_ylabel("rows")
    ax.legend()
    return ax


def _curve_points(y, scores):
    order = np.argsort(-scores, kind="stable")
    y, s = y[order], scores[order]
    # One point per distinct score: ties move together.
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    return tp, fp


def plot_roc(y_true, y_score, *, ax=None, label=None):
    """ROC curve with its area (oddseq.metrics.roc_auc_score).

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> ax.get_legend().get_texts()[0].get_text()
    'AUC 0.750'
    """
    from .metrics import roc_auc_score
    from .metrics._metrics import paired_by_id

    y_score = _table_scores(y_score)
    y_true = paired_by_id(y_true, y_score)
    scores = _vector(y_score, "y_score")
    y = _labels(y_true, scores.size)
    tp, fp = _curve_points(y, scores)
    ax = _axes(ax)
    text = f"AUC {roc_auc_score(y.astype(int), scores):.3f}"
    ax.plot(
        np.r_[0, fp / (~y).sum()],
        np.r_[0, tp / y.sum()],
        label=text if label is None else f"{label} ({text})",
    )
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right")
    return ax


def plot_pr(y_true, y_score, *, ax=None, label=None):
    """Precision-recall curve with the average precision and the base rate.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_pr([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> ax.get_ylabel()
    'precision'
    """
    from .metrics import average_precision_score
    from .metrics._metrics import paired_by_id

    y_score = _table_scores(y_score)
    y_true = paired_by_id(y_true, y_score)
    scores = _vector(y_score, "y_score")
    y = _labels(y_true, scores.size)
    tp, fp = _curve_points(y, scores)
    ax = _axes(ax)
    text = f"AP {average_precision_score(y.astype(int), scores):.3f}"
    ax.step(
        tp / y.sum(),
        tp / (tp + fp),
        where="post",
        label=text if label is None else f"{label} ({text})",
    )
    ax.axhline(
        y.mean(), color="grey", linestyle=":", linewidth=1, label=f"base rate {y.mean():.3f}"
    )
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper right")
    return ax


def plot_clusters(X, labels, *, anomalies=None, ax=None, max_points=20_000, random_state=0):
    """Rows projected on their first two principal components, coloured by cluster
    (-1, noise, in grey), anomalies circled. Large inputs are subsampled to
    ``max_points`` (anomalies always kept). With X a DataFrame, ``labels`` and
    ``anomalies`` given as Series of the same ids (named alike) in another order, such
    as a ranked table's columns, are paired with its rows by id.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> ax = plot_clusters(X, (X[:, 0] > 0).astype(int), anomalies=X[:, 1] > 2)
    >>> ax.get_xlabel().startswith("PC1")
    True
    """
    from .metrics._metrics import paired_by_id
    from .preprocessing import PCA
    from .utils._validation import check_matrix

    if isinstance(X, pd.DataFrame):
        # A ranked table's columns beside features by entity id: paired by id (the same
        # ids, named alike), as the metrics pair them; else by position.
        rows = pd.Series(np.zeros(len(X.index)), index=X.index)
        if isinstance(labels, pd.Series):
            labels = paired_by_id(labels, rows)
        if isinstance(anomalies, pd.Series):
            anomalies = paired_by_id(anomalies, rows)
    X = check_matrix(X)
    labels = np.asarray(labels).ravel()
    if labels.shape[0] != X.shape[0]:
        raise ValueError(f"labels has {labels.shape[0]} entries, X has {X.shape[0]} rows")
    flagged = np.zeros(X.shape[0], bool) if anomalies is None else np.asarray(anomalies, bool)
    if flagged.shape != labels.shape:
        raise ValueError("anomalies needs one entry per row of X")
    keep = np.arange(X.shape[0])
    if X.shape[0] > max_points:
        rng = np.random.default_rng(random_state)
        keep = np.union1d(
            rng.choice(X.shape[0], max_points, replace=False), np.flatnonzero(flagged)
        )
    if X.shape[1] >= 2 and X.shape[0] >= 2:
        pca = PCA(n_components=2).fit(X)
        xy = pca.transform(X[keep])
        ratio = pca.explained_variance_ratio_
        names = (f"PC1 ({ratio[0]:.0%} of variance)", f"PC2 ({ratio[1]:.0%})")
    else:
        xy = np.column_stack([X[keep, 0], np.zeros(keep.size)])
        names = ("x0", "")
    ax = _axes(ax)
    lab = labels[keep]
    noise = lab == -1
    if noise.any():  # (DBSCAN's; a K-means plot has none to name)
        ax.scatter(xy[noise, 0], xy[noise, 1], s=6, color="lightgrey", label="noise")
    ax.scatter(xy[~noise, 0], xy[~noise, 1], s=6, c=lab[~noise], cmap="tab10")
    odd = flagged[keep]
    if odd.any():
        ax.scatter(
            xy[odd, 0], xy[odd, 1], s=40, facecolors="none", edgecolors="#d62728", label="anomaly"
        )
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if noise.any() or odd.any():  # (a legend of nothing warns)
        ax.legend(loc="best", fontsize="small")
    return ax


def _one_sequence(seqs, entity):
    from .sequences import Sequences

    if not isinstance(seqs, Sequences):
        fix = (
            ": make them with oddseq.Sequences.from_events(df, entity=..., event=..., time=...)"
            if isinstance(seqs, pd.DataFrame)
            else ""
        )
        raise TypeError(f"seqs must be oddseq Sequences, got {type(seqs).__name__}{fix}")
    position = seqs.ids.get_indexer([entity])[0] if entity in seqs.ids else -1
    if position < 0:
        raise ValueError(
            f"entity {entity!r} is not among the sequence ids{_as_text(seqs.ids, entity)}"
        )
    return position


def _as_text(ids, entity) -> str:
    """Where ``entity`` is not an id but one id reads as it in text (``"1003646"`` copied
    from a CSV, the ids int32): the id it means, to pass as written there."""
    text = str(entity)
    try:  # (a hint only: ids of any kind, a session's pairs included, never fail it)
        alike = ids[np.asarray(ids.astype(str)) == text]
    except (TypeError, ValueError):
        return ""
    if len(alike) != 1:
        return ""
    meant = _as_written(alike[0])
    return f"; the id {meant!r} ({type(meant).__name__}) reads so as text: pass {meant!r}"


def plot_timeline(seqs, entity, *, session_gap=None, ax=None):
    """One entity's events as a raster over time, one row per event type, with its
    sessions (split at ``session_gap``, e.g. "30min") shaded.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from oddseq.sequences import Sequences
    >>> seqs = Sequences.from_arrays([0, 4], ["pv", "pv", "cart", "buy"],
    ...                              times=[0, 60, 120, 7200], time_unit="s")
    >>> ax = plot_timeline(seqs, 0, session_gap="30min")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['buy', 'cart', 'pv']
    """
    from .utils._time import duration_ns

    s = _one_sequence(seqs, entity)
    if seqs.times is None:
        raise ValueError("plot_timeline needs sequences with times")
    begin, end = int(seqs.offsets[s]), int(seqs.offsets[s + 1])
    if end == begin:
        raise ValueError(f"entity {entity!r} has no events")
    times = pd.to_datetime(seqs.times[begin:end], utc=True)
    if seqs.tz is not None:
        times = times.tz_convert(seqs.tz)
    events = np.asarray([str(seqs.event_labels[c]) for c in seqs.events[begin:end]], dtype=object)
    types = sorted(set(events))
    row = {t: i for i, t in enumerate(types)}
    ax = _axes(ax)
    if session_gap is not None:
        gap = duration_ns(session_gap, "session_gap")
        ns = seqs.times[begin:end]
        starts = np.r_[0, np.flatnonzero(np.diff(ns) > gap) + 1]
        stops = np.r_[starts[1:] - 1, ns.size - 1]
        for i, (a, b) in enumerate(zip(starts, stops)):
            ax.axvspan(times[a], times[b], color="#e5e5e5" if i % 2 == 0 else "#cfd8e6", zorder=0)
    import matplotlib.dates as mdates

    ax.scatter(times, [row[e] for e in events], marker="|", s=200, color="#1f77b4", zorder=2)
    ax.set_yticks(range(len(types)))
    ax.set_yticklabels(types)
    ax.set_ylim(-0.5, len(types) - 0.5)
    # Concise date ticks (the shared part once, at the axis end) that do not overlap;
    # a single event gets a window of a minute either side, not matplotlib's 16 days.
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7, tz=times.tz)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=times.tz))
    span = times[-1] - times[0]
    pad = max(span * 0.03, pd.Timedelta(minutes=1))
    ax.set_xlim(times[0] - pad, times[-1] + pad)
    n = end - begin
    ax.set_title(f"{entity}: {n:,} event{'' if n == 1 else 's'}")
    if seqs.tz:
        ax.set_xlabel(f"time ({seqs.tz})")
    else:  # (naive times: the log's own clock, of no zone named)
        ax.set_xlabel("time (the log's clock)" if seqs.naive_clock else "time (UTC)")
    return ax


def plot_transitions(seqs, entity, *, ax=None):
    """Transition probabilities of one entity minus those of the whole population
    (rows: previous event, columns: next event): red where this entity moves more often
    than everyone else.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from oddseq.sequences import Sequences
    >>> seqs = Sequences.from_lists([["pv", "cart", "buy"], ["pv", "pv", "pv"]])
    >>> ax = plot_transitions(seqs, 1)
    >>> ax.get_xlabel()
    'next event'
    """
    s = _one_sequence(seqs, entity)
    k = len(seqs.event_labels)
    offsets, codes = seqs.offsets, np.asarray(seqs.events, dtype=np.int64)
    same = np.ones(codes.size, bool)
    same[np.asarray(offsets[1:-1], dtype=np.int64) - 1] = False  # no pair across sequences
    pairs = np.flatnonzero(same[:-1]) if codes.size > 1 else np.array([], dtype=np.int64)

    def matrix(index):
        counts = np.zeros((k, k))
        np.add.at(counts, (codes[index], codes[index + 1]), 1)
        totals = counts.sum(axis=1, keepdims=True)
        return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)

    begin, end = int(offsets[s]), int(offsets[s + 1])
    own = pairs[(pairs >= begin) & (pairs < end - 1)]
    if own.size == 0:
        raise ValueError(f"entity {entity!r} has fewer than two events: no transitions")
    difference = matrix(own) - matrix(pairs)
    ax = _axes(ax)
    limit = max(float(np.abs(difference).max()), 1e-12)
    image = ax.imshow(difference, cmap="RdBu_r", vmin=-limit, vmax=limit)
    names = [str(v) for v in seqs.event_labels]
    ax.set_xticks(range(k))
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_yticks(range(k))
    ax.set_yticklabels(names)
    ax.set_xlabel("next event")
    ax.set_ylabel("previous event")
    ax.figure.colorbar(image, ax=ax, label="P(entity) - P(population)")
    return ax


def plot_explanation(explanation, row=None, *, ax=None):
    """Bars of the deviations that drive one row's score, from a detector's
    ``explain()`` table or an :meth:`AnomalyPipeline.explain` table (the first row or
    entity when ``row`` is None), or from a fitted :class:`AnomalyPipeline` and an
    entity id (``plot_explanation(pipeline, entity_id)``; the top of its ranked table
    when ``row`` is None). With the pipeline the title names the entity and each bar's
    label says, under the feature's name, the value and the typical value in the data's
    units (in the tick labels, which a layout makes room for). A group member that
    ``min_events`` left out, listed for its group (its own features never read), has no
    bar: the plot says so, with its group's sentence, and names ``plot_group``.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> from oddseq.detect import RobustZDetector
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(100, 3)), [[0, 9, 0]]])
    >>> det = RobustZDetector().fit(X)
    >>> ax = plot_explanation(det.explain(X[-1:]))
    >>> ax.get_yticklabels()[-1].get_text()
    'x1'

    One entity of a pipeline's table, by its id:

    >>> from oddseq import AnomalyPipeline
    >>> from oddseq.datasets import make_ecommerce
    >>> from oddseq.sequences import Sequences
    >>> log = make_ecommerce(n_users=300, random_state=0).events
    >>> seqs = Sequences.from_events(log, entity="user_id", event="behavior",
    ...                              time="timestamp")
    >>> pipe = AnomalyPipeline().fit(seqs)
    >>> odd = pipe.table_.index[0]
    >>> ax = plot_explanation(pipe, odd)
    >>> ax.get_title() == f"why {odd} stands out"
    True
    """
    from ._pipeline import AnomalyPipeline

    if isinstance(explanation, AnomalyPipeline):
        if row is None:
            table = getattr(explanation, "table_", None)
            # (a loaded model keeps its fitted table, but not the features to explain it)
            if table is None or table.empty or "fit" not in explanation._explain_sources():
                raise ValueError(
                    "this pipeline keeps no ranked table to take its top entity from, with "
                    "its features (a loaded model, or the one oddseq.dask returns): pass "
                    "the entity's id, plot_explanation(pipeline, entity_id), an id of its "
                    "last score (table.index[0])"
                )
            row = table.index[0]
        explanation = explanation.explain([row])
    if not isinstance(explanation, pd.DataFrame) or "deviation" not in explanation:
        raise TypeError("explanation must be the DataFrame a detector's explain() returns")
    if explanation.empty:
        raise ValueError("explanation is empty: nothing to plot")
    # whose bars: every level but the last, the rank (a session's is (entity, session))
    rows = explanation.index.droplevel(-1)
    row = rows[0] if row is None else row
    mine = rows.isin([row])
    if not mine.any():
        raise ValueError(f"row {row!r} is not in the explanation")
    part = explanation[mine]
    part.index = part.index.get_level_values(-1)
    part = part.sort_index(ascending=False)
    ax = _axes(ax)
    if _listed_for_group(part):  # no feature of its own to draw: say why it is listed
        _say_listed(ax, part)
        ax.set_title(f"why {_as_written(row)} stands out")
        return ax
    deviation = part["deviation"].astype(float).to_numpy()
    colours = ["#d62728" if d > 0 else "#1f77b4" for d in deviation]
    by_entity = "value_text" in part
    labels = part["feature"].astype(str)
    if "feature_said" in part:
        # The pipeline's features, named as its reasons name them ("spread of time
        # between events", not gap_std_s; the funnel's ratios by the log's own events,
        # "'pay_ok' per 'auction_won'": RV s48 L2); a detector's own columns keep theirs.
        labels = part["feature_said"].astype(str)
    elif by_entity:  # (an explanation from before feature_said)
        from ._reasons import reason_name

        labels = labels.map(reason_name)
    if by_entity:
        # The numbers an analyst reads, in the data's units, under each feature's name:
        # tick labels, which every layout makes room for (texts at the bars' ends, with x
        # limits fitted to the axes as first drawn, were cut where a later
        # fig.tight_layout() narrowed the axes for long names: trial s42, 17 of 25 top
        # entities' plots at 8x5 inches, 30 at 6x4).
        if "typical_said" in part:  # the typical value as the reason says it
            typical = part["typical_said"].astype(str).to_numpy()
        else:  # an explanation from before typical_said
            from ._reasons import typical_phrases

            words = part["typical_words"] if "typical_words" in part else ["typical"] * len(part)
            typical = typical_phrases(words, part["typical_text"])
        texts = [f"{v} ({t})" for v, t in zip(part["value_text"], typical)]
        labels = [f"{name}\n{text}" for name, text in zip(labels, texts)]
    ax.barh(labels, deviation, color=colours)
    ax.axvline(0, color="black", linewidth=0.8)
    limit = float(np.abs(deviation).max()) if deviation.size else 1.0
    limit = limit if limit > 0 else 1.0
    ax.set_xlim(
        min(0.0, float(deviation.min())) - 0.05 * limit,
        max(0.0, float(deviation.max())) + 0.05 * limit,
    )
    # (at the right end: a group member's two more lines run left under the feature
    # names, where the figure has room, not past its right edge)
    ax.set_xlabel(
        "deviation from typical (in the feature's spreads)" + _group_said(part), loc="right"
    )
    shown = _as_written(row)
    ax.set_title(f"why {shown} stands out" if by_entity else f"why row {shown} stands out")
    return ax


def _group_said(part) -> str:
    """For a member of a group the group stage flagged (its ``group_reason``), a line
    saying the group is why it is flagged and where to see it: its bars are its own
    features, which alone need not have flagged it (Taobao's lockstep members: purchases
    per view, HC s33). "" for an entity of no group."""
    import re

    said = str(part["group_reason"].iloc[0]) if "group_reason" in part else ""
    group = re.search(r"\(group (\d+)\)", said)
    if group is None:
        return ""
    g = group.group(1)
    return (
        f"\nflagged as a member of group {g}; the bars: its own features"
        f"\nplot_group(pipeline, {g}) draws the group's acts"
    )


def _listed_for_group(part) -> bool:
    """Whether an explanation's rows of one entity are those of a group member that
    ``min_events`` left out, listed for its group (one row of no feature whose note says
    so, ``AnomalyPipeline.explain``): its own features were never read."""
    return (
        len(part) == 1
        and "note" in part
        and str(part["feature"].iloc[0]) == ""
        and "listed for its group" in str(part["note"].iloc[0])
    )


def _say_listed(ax, part) -> None:
    """In place of bars: the row's note (its few events, listed for its group), its
    group's sentence and where to see the group, ``plot_group(pipeline, g)``."""
    import re
    import textwrap

    said = str(part["group_reason"].iloc[0]) if "group_reason" in part else ""
    group = re.search(r"\(group (\d+)\)", said)
    where = (
        f"plot_group(pipeline, {group.group(1)}) draws the group's acts"
        if group
        else "plot_group(pipeline, group) draws its group's acts"
    )
    lines = textwrap.wrap(str(part["note"].iloc[0]), 64)
    if said:
        told = textwrap.wrap("its group: " + said, 64)
        lines += [""] + told[:8] + (["..."] if len(told) > 8 else [])
    lines += ["", where]
    ax.text(
        0.5, 0.5, "\n".join(lines), ha="center", va="center", fontsize=9, transform=ax.transAxes
    )
    ax.set_axis_off()


def _as_written(label):
    """An id as a title shows it: numpy scalars as the Python values they hold, also
    within a session's (entity, session) pair: (2843, 0), not (np.int64(2843), ...)."""
    if isinstance(label, tuple):
        return tuple(_as_written(v) for v in label)
    return label.item() if isinstance(label, np.generic) else label


def plot_group(detector, group=0, *, ax=None, max_members=60, max_objects=40):
    """A group of a fitted :class:`oddseq.graph.GroupDetector` (or of the pipeline
    :func:`oddseq.detect_anomalies` returns, its ``groups_``) as a heat map: its
    members (rows) by its objects (columns, in the order of their first event, labelled
    with that time), coloured by the member's number of events on the object. A ring
    shows as a full block; the time labels show when it acted.

    Examples
    --------
    >>> import numpy as np, pandas as pd, matplotlib
    >>> matplotlib.use("Agg")
    >>> from oddseq.graph import GroupDetector
    >>> rng = np.random.default_rng(0)
    >>> users = np.repeat(np.arange(2000), 10)
    >>> ring = np.repeat(np.arange(8), 4), np.tile([90001, 90002, 90003, 90004], 8)
    >>> log = pd.DataFrame({"user": np.concatenate([users, ring[0]]),
    ...                     "item": np.concatenate([rng.integers(0, 20000, users.size),
    ...                                             ring[1]])})
    >>> det = GroupDetector(method="static").fit(log, entity="user", object="item")
    >>> ax = plot_group(det, 0)
    >>> ax.get_title()
    'group 0: 8 members, 4 objects (static)'
    """
    from ._pipeline import AnomalyPipeline

    if isinstance(detector, AnomalyPipeline):
        # detect_anomalies' pipeline keeps the group stage in groups_
        finder = getattr(detector, "groups_", None)
        if finder is None:
            raise TypeError(
                "this pipeline has no group stage (pipeline.groups_): fit it with "
                "oddseq.detect_anomalies(..., item=..., groups=True, return_pipeline=True), "
                "or pass a fitted oddseq.graph.GroupDetector"
            )
        detector = finder
    groups = getattr(detector, "groups_", None)
    if not isinstance(groups, pd.DataFrame):
        raise TypeError(
            "detector must be a fitted oddseq.graph.GroupDetector, or the pipeline of "
            "detect_anomalies(..., return_pipeline=True) (its pipeline.groups_), got "
            f"{type(detector).__name__}"
        )
    if len(groups) == 0:
        raise ValueError("the detector found no groups: nothing to plot")
    if group not in groups.index:
        raise ValueError(
            f"group {group!r} is not one of the detector's groups (0..{len(groups) - 1})"
        )
    edges = detector.group_edges_[detector.group_edges_["group"] == group]
    first_seen = edges.groupby("object", sort=False)["first"].min()
    if first_seen.notna().any():
        first_seen = first_seen.sort_values(kind="stable")
    objects = first_seen.index[:max_objects]
    members = (
        edges.groupby("entity", sort=False)["count"].sum().sort_values(ascending=False)
    ).index[:max_members]
    table = (
        edges.pivot_table(index="entity", columns="object", values="count", aggfunc="sum")
        .reindex(index=members, columns=objects)
        .fillna(0)
    )
    ax = _axes(ax)
    image = ax.imshow(
        table.to_numpy(dtype=float), aspect="auto", cmap="Reds", interpolation="nearest"
    )
    ax.figure.colorbar(image, ax=ax, label="events")
    labels = []
    for obj in objects:
        when = first_seen.get(obj)
        stamp = "" if when is None or pd.isna(when) else "\n" + when.strftime("%d %b %H:%M")
        labels.append(f"{obj}{stamp}")
    ax.set_xticks(range(len(objects)))
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(members)))
    ax.set_yticklabels([str(m) for m in members], fontsize=7)
    ax.set_xlabel("object (first event)")
    ax.set_ylabel("member")
    row = groups.loc[group]
    ax.set_title(
        f"group {group}: {row['n_members']} members, {row['n_objects']} objects ({row['method']})"
    )
    return ax


#: ``oddseq.plot.group``: the same as :func:`plot_group`.
group = plot_group
#: ``oddseq.plot.explanation(pipeline, entity_id)``: the same as :func:`plot_explanation`.
explanation = plot_explanation


def plot_confusion(y_true, y_pred, *, ax=None):
    """2 x 2 confusion matrix of flagged against true anomalies, with counts.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_confusion([0, 0, 1, 1], [0, 1, 1, 1])
    >>> [t.get_text() for t in ax.texts]
    ['1', '1', '0', '2']
    """
    from .metrics._metrics import paired_by_id

    y = np.asarray(paired_by_id(y_true, y_pred)).ravel().astype(int)
    p = np.asarray(y_pred).ravel().astype(int)
    if y.size == 0 or y.shape != p.shape:
        raise ValueError("y_true and y_pred must be non-empty and of equal length")
    if not (np.isin(y, (0, 1)).all() and np.isin(p, (0, 1)).all()):
        raise ValueError("y_true and y_pred must be 0/1 (1 = anomaly)")
    matrix = np.array([[np.sum((y == a) & (p == b)) for b in (0, 1)] for a in (0, 1)])
    ax = _axes(ax)
    ax.imshow(matrix, cmap="Blues")
    for a in (0, 1):
        for b in (0, 1):
            ax.text(
                b,
                a,
                str(matrix[a, b]),
                ha="center",
                va="center",
                color="white" if matrix[a, b] > matrix.max() / 2 else "black",
            )
    ax.set_xticks([0, 1])
    ax.set_xticklabels(["normal", "flagged"])
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["normal", "anomaly"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return ax


def plot_kdistance(
    X, min_samples=5, *, metric="euclidean", ax=None, sample_size=20_000, random_state=0
):
    """The sorted k-distance curve (k = min_samples - 1) with the eps that
    :func:`oddseq.cluster.suggest_eps` picks at its knee.

    Examples
    --------
    >>> import numpy as np, matplotlib
    >>> matplotlib.use("Agg")
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> ax = plot_kdistance(X, 5)
    >>> ax.get_legend().get_texts()[0].get_text().startswith("suggested eps")
    True
    """
    from .cluster import NearestNeighbors, suggest_eps
    from .utils._validation import check_positive_int

    min_samples = check_positive_int(min_samples, "min_samples", minimum=2)
    eps = suggest_eps(
        X, min_samples, metric=metric, sample_size=sample_size, random_state=random_state
    )
    index = NearestNeighbors(metric=metric).fit(X)
    n = index.n_samples_fit_
    rows = np.arange(n)
    if n > sample_size:
        rows = np.sort(np.random.RandomState(random_state).choice(n, sample_size, replace=False))
    queries = index._points[rows]
    dist = index._tree.knn(
        np.ascontiguousarray(queries), min_samples, rows.astype(np.int64), 0
    ).distances
    curve = np.sort(index._space.distances(dist)[:, min_samples - 2])
    ax = _axes(ax)
    ax.plot(np.linspace(0, 1, curve.size), curve, color="#1f77b4")
    ax.axhline(eps, color="#d62728", linestyle="--", label=f"suggested eps {eps:.3g}")
    ax.set_xlabel("share of points (sorted)")
    ax.set_ylabel(f"distance to neighbour {min_samples - 1}")
    ax.legend(loc="upper left")
    return ax
