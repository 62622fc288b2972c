"""Anomaly detectors with PyOD's surface and per-row explanations."""

from ._base import BaseDetector
from ._kmeans import KMeansDetector

__all__ = ["BaseDetector", "KMeansDetector"]
