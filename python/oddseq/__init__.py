"""oddseq: find the odd ones out in behaviour sequences.

Events in (pandas), a ranked table of odd entities with reasons out. The flow:
``oddseq.sequences`` (event logs -> Sequences) -> ``oddseq.encode`` (features) ->
``oddseq.preprocessing`` -> ``oddseq.cluster`` -> ``oddseq.graph`` (groups that act
together) -> ``oddseq.detect`` (scores and reasons) -> ``oddseq.metrics`` and
``oddseq.plot``; ``detect_anomalies`` and ``AnomalyPipeline`` do it all in one call;
``oddseq.stream`` scores entities live as their events arrive.
"""

import importlib
from typing import TYPE_CHECKING

# Subpackages and the top-level names load on first use (PEP 562): ``import oddseq``
# stays quick (the CLI's --help, a script that only checks the version), while the
# first estimator pulls in pandas, scikit-learn and scipy (about 3 s of the 3.6 s the
# eager import took; benchmarks/RESULTS.md, "Import time").
_SUBMODULES = (
    "_core",
    "cluster",
    "datasets",
    "detect",
    "encode",
    "exceptions",
    "graph",
    "metrics",
    "plot",
    "preprocessing",
    "sequences",
    "stream",
)
_NAMES = {
    "AnomalyPipeline": "._pipeline",
    "detect_anomalies": "._pipeline",
    "Sequences": ".sequences",
    "load": "._persist",
}

if TYPE_CHECKING:  # editors and type checkers see the names as if imported eagerly
    from . import (
        cluster,
        datasets,
        detect,
        encode,
        exceptions,
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
    from . import _core

    return _core.simd_level()


def __getattr__(name: str):
    if name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    elif name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name], __name__), name)
    else:
        raise AttributeError(f"module 'oddseq' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


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
    "exceptions",
    "graph",
    "metrics",
    "plot",
    "preprocessing",
    "sequences",
    "simd_level",
    "stream",
]
