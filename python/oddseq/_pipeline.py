"""The one call: an event log in, a ranked table of odd entities with reasons out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .detect import KMeansDetector
from .encode import CountTimingEncoder, DiversityEncoder, EncoderUnion
from .preprocessing import LogScaler, StandardScaler
from .sequences import Sequences
from .utils._progress import step

__all__ = ["detect_anomalies", "rank_sequences"]


_DURATION_UNITS = ((86_400.0, "d"), (3_600.0, "h"), (60.0, "min"), (1.0, "s"))


def format_value(feature: str, value: float) -> str:
    """A feature value in the unit an analyst reads: durations (names ending in ``_s``)
    in s/min/h/d, counts as whole numbers, other numbers with three significant digits.

    Examples
    --------
    >>> format_value("duration_s", 7_198_000), format_value("count[buy]", 12.0)
    ('83.3 d', '12')
    """
    if feature.endswith("_s"):
        for size, unit in _DURATION_UNITS:
            if abs(value) >= size:
                return f"{value / size:.3g} {unit}"
        return f"{value:.2g} s"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3g}"


def detect_anomalies(
    df: pd.DataFrame,
    entity: str,
    event: str,
    time: str | None,
    item: str | None = None,
    value: str | None = None,
    session_gap=None,
    contamination: float = 0.02,
    n_clusters: int = 8,
    random_state=0,
    progress: bool = False,
) -> pd.DataFrame:
    """Rank the entities of an event log from most to least odd, with the reasons.

    The flow: :meth:`Sequences.from_events` -> :class:`CountTimingEncoder` (counts per
    event type, length, duration, gaps) and :class:`DiversityEncoder` (items, funnel,
    values) -> ``LogScaler(signed=True)`` -> ``StandardScaler`` ->
    :class:`KMeansDetector` (distance to the nearest group of similar entities).

    Parameters
    ----------
    df, entity, event, time, item, value, session_gap
        As :meth:`Sequences.from_events`; with ``session_gap`` each session is scored.
    contamination : float in (0, 0.5]
        Expected share of odd entities: the top share gets ``is_anomaly``.
    n_clusters : int
        Groups of normal behaviour K-means looks for.

    Returns
    -------
    DataFrame indexed by the entity (or (entity, session)) ids, most odd first, with
    ``score`` (higher = odder), ``rank``, ``is_anomaly``, ``cluster`` and ``reason`` (the
    two features that put the entity farthest from its group, in the data's own units).

    Examples
    --------
    >>> from oddseq.datasets import make_ecommerce
    >>> log = make_ecommerce(n_users=500, random_state=0).events
    >>> table = detect_anomalies(log, entity="user_id", event="behavior", time="timestamp")
    >>> list(table.columns)
    ['score', 'rank', 'is_anomaly', 'cluster', 'reason']
    >>> int(table["rank"].iloc[0])
    1
    """
    with step(f"building sequences from {len(df):,} events", enabled=progress):
        seqs = Sequences.from_events(
            df,
            entity=entity,
            event=event,
            time=time,
            item=item,
            value=value,
            session_gap=session_gap,
        )
    return rank_sequences(
        seqs,
        contamination=contamination,
        n_clusters=n_clusters,
        random_state=random_state,
        progress=progress,
    )


def rank_sequences(
    seqs: Sequences, *, contamination=0.02, n_clusters=8, random_state=0, progress=False
) -> pd.DataFrame:
    """Score every sequence: counts and timing -> log1p -> z-scores -> distance to the
    nearest K-means centre. Returns a DataFrame indexed by the sequence ids with
    ``score``, ``rank``, ``is_anomaly``, ``cluster`` and ``reason``, best first."""
    with step(f"encoding {len(seqs):,} sequences", enabled=progress):
        # A compact set: with one distance-based detector, the full default_encoder's
        # 70+ columns dilute the distances (measured on make_ecommerce: average
        # precision 0.38 against 0.59 for this set at medium difficulty).
        encoder = EncoderUnion(
            [("counts", CountTimingEncoder()), ("diversity", DiversityEncoder())]
        ).fit(seqs)
        raw = encoder.transform(seqs)
        names = encoder.get_feature_names_out()
    with step("scaling and clustering", enabled=progress):
        log_scaler = LogScaler(signed=True).fit(raw)
        z_scaler = StandardScaler().fit(log_scaler.transform(raw))
        X = z_scaler.transform(log_scaler.transform(raw))
        detector = KMeansDetector(
            n_clusters=min(n_clusters, len(seqs)),
            contamination=contamination,
            random_state=random_state,
        ).fit(X)
    scores = detector.decision_scores_
    table = pd.DataFrame(
        {
            "score": scores,
            "is_anomaly": detector.labels_.astype(bool),
            "cluster": detector.kmeans_.labels_,
        },
        index=seqs.ids,
    )
    # Reasons in the analyst's units: the raw feature against its cluster's typical value.
    explained = detector.explain(X, top=2, feature_names=names)
    centers_raw = log_scaler.inverse_transform(
        z_scaler.inverse_transform(detector.kmeans_.cluster_centers_.astype(np.float64))
    )
    rows = explained.index.get_level_values("row").to_numpy()
    cols = pd.Index(names).get_indexer(explained["feature"])
    typical = centers_raw[explained["cluster"].to_numpy(), cols]
    actual = raw[rows, cols]
    phrases = [
        f"{name} {format_value(name, value)} (typical {format_value(name, typ)})"
        for name, value, typ in zip(explained["feature"], actual, typical)
    ]
    reason = pd.Series(phrases).groupby(rows).agg("; ".join)
    table["reason"] = reason.to_numpy()
    table = table.sort_values("score", ascending=False, kind="stable")
    table.insert(1, "rank", np.arange(1, len(table) + 1))
    return table
