"""Sequence encoders: Sequences in, a float32 feature matrix with named columns out.

Every encoder is a scikit-learn transformer whose ``transform`` runs in C++ over the
sequences in parallel; ``set_output(transform="pandas")`` gives a DataFrame indexed by
the sequence ids. :func:`context_features` reads a log's side columns (device, IP,
country) from the DataFrame itself, for ``entity_features=``.
"""

from ._automation import AutomationEncoder
from ._base import SequenceEncoder
from ._behaviour import (
    DiversityEncoder,
    EncoderUnion,
    TemporalEncoder,
    TransitionEncoder,
    default_encoder,
)
from ._change import RecentChangeEncoder
from ._context import context_features
from ._count_timing import CountTimingEncoder
from ._counts import CountEncoder
from ._crowd import CrowdEncoder
from ._recency import DecayEncoder, MinHashEncoder

__all__ = [
    "AutomationEncoder",
    "CountEncoder",
    "CountTimingEncoder",
    "CrowdEncoder",
    "DecayEncoder",
    "DiversityEncoder",
    "EncoderUnion",
    "MinHashEncoder",
    "RecentChangeEncoder",
    "SequenceEncoder",
    "TemporalEncoder",
    "TransitionEncoder",
    "context_features",
    "default_encoder",
]
