"""oddseq: find the odd ones out in behaviour sequences.

Events in (pandas), a ranked table of odd entities with reasons out. The flow:
``oddseq.sequences`` (event logs -> Sequences) -> ``oddseq.encode`` (features) ->
``oddseq.preprocessing`` -> ``oddseq.cluster`` -> ``oddseq.graph`` (groups that act
together) -> ``oddseq.detect`` (scores and reasons) -> ``oddseq.metrics`` and
``oddseq.plot``; ``detect_anomalies`` and ``AnomalyPipeline`` do it all in one call;
``oddseq.stream`` scores entities live as their events arrive.
"""

from . import (
    _core,
    cluster,
    datasets,
    detect,
    encode,
    graph,
    metrics,
    plot,
    preprocessing,
    sequences,
    stream,
)
from ._persist import load
from ._pipeline import AnomalyPipeline, detect_anomalies
from .sequences import Sequences

__version__ = "0.1.0"


def simd_level() -> str:
    """The instruction set the C++ kernels use ("scalar", "avx2" or "avx512"): the best
    this CPU supports, chosen once at import; ``ODDSEQ_SIMD`` forces one.

    Examples
    --------
    >>> simd_level() in ("scalar", "avx2", "avx512")
    True
    """
    return _core.simd_level()


__all__ = [
    "AnomalyPipeline",
    "Sequences",
    "detect_anomalies",
    "load",
    "__version__",
    "cluster",
    "datasets",
    "detect",
    "encode",
    "graph",
    "metrics",
    "plot",
    "preprocessing",
    "sequences",
    "simd_level",
    "stream",
]
