"""Anomaly detectors with PyOD's surface and per-row explanations.

Matrix detectors take any feature matrix (encoded sequences, scaled);
:class:`MarkovDetector` and :class:`InvariantsDetector` take Sequences. Every one has
``explain(X, top=3)``: what drives each row's score.
"""

from ._base import BaseDetector
from ._ecod import ECOD
from ._ensemble import EnsembleDetector
from ._iforest import IsolationForest
from ._invariants import InvariantsDetector
from ._kmeans import KMeansDetector
from ._markov import MarkovDetector
from ._neighbors import LOF, DBSCANDetector, KNNDetector
from ._pca import PCADetector, jackson_mudholkar_limit
from ._robust import RobustZDetector
from ._threshold import (
    auto_cut,
    gap_cut,
    normal_cut,
    out_of_fold_scores,
    separate_tail,
    tail_cut,
    tail_probability,
)

__all__ = [
    "LOF",
    "BaseDetector",
    "DBSCANDetector",
    "ECOD",
    "EnsembleDetector",
    "IsolationForest",
    "InvariantsDetector",
    "KMeansDetector",
    "KNNDetector",
    "MarkovDetector",
    "PCADetector",
    "RobustZDetector",
    "auto_cut",
    "gap_cut",
    "jackson_mudholkar_limit",
    "normal_cut",
    "out_of_fold_scores",
    "separate_tail",
    "tail_cut",
    "tail_probability",
]
