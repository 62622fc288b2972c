"""Sequence encoders: Sequences in, a float32 feature matrix with named columns out."""

from ._count_timing import CountTimingEncoder, SequenceEncoder

__all__ = ["CountTimingEncoder", "SequenceEncoder"]
