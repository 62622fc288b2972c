"""Live scoring: per-entity state in C++, events in, scores and alerts out.

:class:`StreamScorer` applies a fitted :class:`oddseq.AnomalyPipeline` to entities as
their events arrive; :class:`RiverAdapter` gives it River's ``learn_one`` /
``score_one``; :data:`STREAM_FEATURES` says which features are exact live and how the
others are approximated.
"""

import importlib
from typing import TYPE_CHECKING

__all__ = ["STREAM_FEATURES", "RiverAdapter", "StreamEvent", "StreamScorer", "StreamUpdate"]

# Loaded on first use, like the package's top level: the CLI imports oddseq.stream._cli
# to add its subcommands, and --help should not wait for the scorer's imports.
_WHERE = {name: "._river" if name == "RiverAdapter" else "._scorer" for name in __all__}

if TYPE_CHECKING:
    from ._river import RiverAdapter
    from ._scorer import STREAM_FEATURES, StreamEvent, StreamScorer, StreamUpdate


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'oddseq.stream' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
