"""Warnings and errors raised by oddseq.

Bad input raises the built-in ``ValueError`` or ``TypeError`` with a message that names
the argument and the fix; the classes here mark conditions a caller may want to filter.
"""

from sklearn.exceptions import NotFittedError

__all__ = ["DataWarning", "ConvergenceWarning", "NotFittedError"]


class DataWarning(UserWarning):
    """Input was usable but changed on the way in (rows dropped, values clipped)."""


class ConvergenceWarning(UserWarning):
    """An iterative algorithm stopped before it converged, or degenerated."""
