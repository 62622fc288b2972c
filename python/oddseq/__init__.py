"""oddseq: find the odd ones out in behaviour sequences.

Events in (pandas), a ranked table of odd entities with reasons out. The flow:
``oddseq.sequences`` (event logs -> Sequences) -> ``oddseq.encode`` (features) ->
``oddseq.preprocessing`` -> ``oddseq.cluster`` -> ``oddseq.detect`` (scores and
reasons) -> ``oddseq.metrics``.
"""

from . import cluster, datasets, detect, encode, metrics, preprocessing, sequences
from ._core import simd_level
from ._pipeline import detect_anomalies
from .sequences import Sequences

__version__ = "0.1.0"

__all__ = [
    "Sequences",
    "detect_anomalies",
    "__version__",
    "cluster",
    "datasets",
    "detect",
    "encode",
    "metrics",
    "preprocessing",
    "sequences",
    "simd_level",
]
