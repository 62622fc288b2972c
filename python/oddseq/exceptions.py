"""Warnings and errors raised by oddseq.

Bad input raises the built-in ``ValueError`` or ``TypeError`` with a message that names
the argument and the fix; the classes here mark conditions a caller may want to filter
or catch (:class:`MissingValuesError` is a ``ValueError`` that carries its counts).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imported when asked for: __getattr__ below)
    from sklearn.exceptions import NotFittedError

__all__ = ["DataWarning", "ConvergenceWarning", "MissingValuesError", "NotFittedError"]


class DataWarning(UserWarning):
    """Input was usable but changed on the way in (rows dropped, values clipped)."""


class ConvergenceWarning(UserWarning):
    """An iterative algorithm stopped before it converged, or degenerated."""


class MissingValuesError(ValueError):
    """A log refused for rows with a missing entity, event or time (without
    ``dropna=True``, or with it where no row is left): a ``ValueError`` whose message
    names the columns and the fix, with ``counts`` (column -> rows missing it, every
    column checked), ``n_rows`` (rows read) and ``dropna`` (whether rows were being
    dropped). oddseq.dask reads a log in parts and refuses with the whole log's counts,
    added up from these."""

    def __init__(self, message: str, counts: dict, n_rows: int, dropna: bool):
        super().__init__(message)
        self.counts, self.n_rows, self.dropna = counts, n_rows, dropna

    def __reduce__(self):  # pickled whole (from a dask worker, say)
        return type(self), (str(self), self.counts, self.n_rows, self.dropna)


def __getattr__(name):
    # scikit-learn's NotFittedError (the class its check_is_fitted raises, so one
    # ``except`` catches both), imported when asked for: importing scikit-learn costs
    # ~0.9 s, and every module that warns imports this one (``oddseq --help`` took 1.5 s).
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError

        return NotFittedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
