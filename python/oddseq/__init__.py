"""oddseq: find the odd ones out in behaviour sequences.

Events in (pandas), a ranked table of odd entities with reasons out. The flow:
``oddseq.sequences`` (event logs -> Sequences) -> ``oddseq.encode`` (features) ->
``oddseq.preprocessing`` -> ``oddseq.cluster`` -> ``oddseq.detect`` (scores and
reasons) -> ``oddseq.metrics`` and ``oddseq.plot``; ``detect_anomalies`` and
``AnomalyPipeline`` do it all in one call.
"""

from . import cluster, datasets, detect, encode, metrics, plot, preprocessing, sequences
from ._core import simd_level
from ._pipeline import AnomalyPipeline, detect_anomalies
from .sequences import Sequences

__version__ = "0.1.0"

__all__ = [
    "AnomalyPipeline",
    "Sequences",
    "detect_anomalies",
    "__version__",
    "cluster",
    "datasets",
    "detect",
    "encode",
    "metrics",
    "plot",
    "preprocessing",
    "sequences",
    "simd_level",
]
