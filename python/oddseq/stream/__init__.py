"""Live scoring: per-entity state in C++, events in, scores and alerts out.

:class:`StreamScorer` applies a fitted :class:`oddseq.AnomalyPipeline` to entities as
their events arrive; :class:`RiverAdapter` gives it River's ``learn_one`` /
``score_one``; :data:`STREAM_FEATURES` says which features are exact live and how the
others are approximated.
"""

from ._river import RiverAdapter
from ._scorer import STREAM_FEATURES, StreamEvent, StreamScorer, StreamUpdate

__all__ = ["STREAM_FEATURES", "RiverAdapter", "StreamEvent", "StreamScorer", "StreamUpdate"]
