"""The fitted pipeline's scaling and detector as a C++ StreamModel, when it has one."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..detect import EnsembleDetector, KMeansDetector, PCADetector, RobustZDetector

__all__ = ["stream_model"]

# How the C++ model combines its members: one detector, or the ensemble's mean / max.
_COMBINE = ("mean", "max")


def _f64(array) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float64)


def _member(detector):
    """A fitted detector as the C++ model's member, or None when it has no C++ scoring
    (every detector but K-means, PCA and robust z)."""
    if isinstance(detector, KMeansDetector):
        centers = detector.kmeans_.cluster_centers_
        if centers.dtype != np.float32:  # fitted on float64 rows, not the pipeline's
            return None
        return _core.StreamMember(
            centers=np.ascontiguousarray(centers).ravel(),
            large=np.ascontiguousarray(detector.large_clusters_, dtype=np.uint8),
            spread=_f64(detector.cluster_scale_).ravel(),  # the explanation's deviations
        )
    if isinstance(detector, PCADetector):
        return _core.StreamMember(
            mean=_f64(detector.mean_),
            components=_f64(detector.components_).ravel(),
            variance=_f64(detector.explained_variance_),
            t2=detector.statistic == "t2",
            spread=_f64(detector.feature_scale_),
        )
    if isinstance(detector, RobustZDetector):
        return _core.StreamMember(
            median=_f64(detector.median_),
            scale=_f64(detector.scale_),
            q1=_f64(detector.q1_),
            q3=_f64(detector.q3_),
            iqr=_f64(detector.iqr_),
            z=float(detector.z),
            fence=float(detector.fence),
        )
    return None


def stream_model(pipeline, columns: np.ndarray, threshold: float | None = None):
    """The pipeline's scoring of one entity row in C++ (``_core.StreamModel``), given
    which columns of the store's row are the pipeline's features, alerting above
    ``threshold`` (default: the pipeline's) or, where the pipeline's support rule holds,
    outside its normal range (:meth:`AnomalyPipeline.support_bounds`) with a score above
    its ``support_floor_``; None when its
    detector has no C++ scoring (then the stream scores through the detector itself)."""
    detector = pipeline.detector_
    if isinstance(detector, EnsembleDetector):
        if detector.normalize != "zscore" or detector.combine not in _COMBINE:
            return None
        members = [_member(member) for _, member in detector.detectors_]
        centre, spread = detector.score_normalization()
        combine = detector.combine
        allowed = detector.explain_with
        explain_with = [allowed is None or name in allowed for name, _ in detector.detectors_]
    else:
        members = [_member(detector)]
        centre = spread = np.empty(0)
        combine = "single"
        explain_with = [True]
    if any(member is None for member in members):
        return None
    evidence = pipeline.evidence_
    # Normal-only fitting's support rule: outside the normal range alerts above the floor.
    bounds = pipeline.support_bounds()
    low, high = (np.empty(0), np.empty(0)) if bounds is None else bounds
    floor = None if bounds is None else getattr(pipeline, "support_floor_", None)
    return _core.StreamModel(
        _core.StreamModelParams(
            columns=np.ascontiguousarray(columns, dtype=np.int64),
            evidence=np.ascontiguousarray(evidence.kinds_, dtype=np.int8),
            shrink_to=_f64(evidence.median_),
            prior=float(evidence.prior),
            log_signed=bool(pipeline.log_scaler_.signed),
            z_mean=_f64(pipeline.z_scaler_.mean_),
            z_scale=_f64(pipeline.z_scaler_.scale_),
            members=members,
            threshold=float(pipeline.threshold_ if threshold is None else threshold),
            combine=combine,
            centre=_f64(centre),
            spread=_f64(spread),
            explain_with=np.asarray(explain_with, dtype=np.uint8),
            min_events=int(pipeline.min_events),
            support_low=_f64(low),
            support_high=_f64(high),
            support_floor=-np.inf if floor is None else float(floor),
            # (the share column where a kind reads it: kinds 4 and 5, else -1; the items
            # column where kind 6 reads it)
            valued=int(evidence.valued_column_) if evidence.reads_valued() else -1,
            items=int(evidence.items_column_) if evidence.reads_items() else -1,
        )
    )
