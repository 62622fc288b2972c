"""Event logs as sequences: grouping, ordering, sessions and windows (C++ underneath)."""

from ._sequences import Sequences

__all__ = ["Sequences"]
