"""The fitted pipeline's scaling and detector as a C++ StreamModel, when it has one."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..detect import EnsembleDetector, KMeansDetector, PCADetector, RobustZDetector

__all__ = ["stream_model"]

# How the C++ model combines its members: one detector, or the ensemble's mean / max.
_COMBINE = {"mean": 1, "max": 2}


def _f64(array) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float64)


def _member(detector):
    """A fitted detector as the C++ model's member spec, or None when it has no C++
    scoring (every detector but K-means, PCA and robust z)."""
    if isinstance(detector, KMeansDetector):
        centers = detector.kmeans_.cluster_centers_
        if centers.dtype != np.float32:  # fitted on float64 rows, not the pipeline's
            return None
        return (
            "kmeans",
            np.ascontiguousarray(centers).ravel(),
            np.ascontiguousarray(detector.large_clusters_, dtype=np.uint8),
        )
    if isinstance(detector, PCADetector):
        return (
            "pca",
            _f64(detector.mean_),
            _f64(detector.components_).ravel(),
            _f64(detector.explained_variance_),
            detector.statistic == "t2",
        )
    if isinstance(detector, RobustZDetector):
        return (
            "robust_z",
            _f64(detector.median_),
            _f64(detector.scale_),
            _f64(detector.q1_),
            _f64(detector.q3_),
            _f64(detector.iqr_),
            float(detector.z),
            float(detector.fence),
        )
    return None


def stream_model(pipeline, columns: np.ndarray, threshold: float | None = None):
    """The pipeline's scoring of one entity row in C++ (``_core.StreamModel``), given
    which columns of the store's row are the pipeline's features, alerting above
    ``threshold`` (default: the pipeline's) or, where the pipeline's support rule holds,
    outside its normal range (:meth:`AnomalyPipeline.support_bounds`); None when its
    detector has no C++ scoring (then the stream scores through the detector itself)."""
    detector = pipeline.detector_
    if isinstance(detector, EnsembleDetector):
        if detector.normalize != "zscore" or detector.combine not in _COMBINE:
            return None
        members = [_member(member) for _, member in detector.detectors_]
        centre, spread = detector.score_normalization()
        combine = _COMBINE[detector.combine]
        allowed = detector.explain_with
        explain_with = [allowed is None or name in allowed for name, _ in detector.detectors_]
    else:
        members = [_member(detector)]
        centre = spread = np.empty(0)
        combine = 0
        explain_with = [True]
    if any(member is None for member in members):
        return None
    evidence = pipeline.evidence_
    # Normal-only fitting's support rule: outside the normal range alerts whatever the score.
    bounds = pipeline.support_bounds()
    low, high = (np.empty(0), np.empty(0)) if bounds is None else bounds
    return _core.StreamModel(
        np.ascontiguousarray(columns, dtype=np.int64),
        np.ascontiguousarray(evidence.kinds_, dtype=np.int8),
        _f64(evidence.median_),
        float(evidence.prior),
        bool(pipeline.log_scaler_.signed),
        _f64(pipeline.z_scaler_.mean_),
        _f64(pipeline.z_scaler_.scale_),
        members,
        combine,
        _f64(centre),
        _f64(spread),
        np.asarray(explain_with, dtype=np.uint8),
        float(pipeline.threshold_ if threshold is None else threshold),
        int(pipeline.min_events),
        _f64(low),
        _f64(high),
    )
