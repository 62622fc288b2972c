"""Declarative parameter checks, in scikit-learn's ``_parameter_checks`` shape: an
estimator lists each parameter's constraint once, in a class table, and
:func:`validate_params` checks them all at the top of ``fit``.

Each constraint checks one value and returns it in the form the code uses (an int, a
float, "auto", the core's thread count); a wrong type is a TypeError, a value out of
range a ValueError, and both name the parameter, what it must be and what it got.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import check_int_fits, check_positive_int, resolve_threads

__all__ = [
    "Boolean",
    "Check",
    "Contamination",
    "Integer",
    "Optional",
    "Options",
    "Real",
    "Threads",
    "validate_params",
]


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Real:
    """A real number (not a bool) in an interval: ``Real(0, 1, closed="neither")`` is
    (0, 1), ``Real(0, None, closed="neither")`` is > 0, ``Real(1, None)`` is >= 1.

    Examples
    --------
    >>> Real(0.5, 1, closed="right").check(0.9, "alpha")
    0.9
    >>> Real(0.5, 1, closed="right").check(0.2, "alpha")
    Traceback (most recent call last):
    ...
    ValueError: alpha must be in (0.5, 1], got 0.2

    ``finite=True`` refuses infinity too; ``note`` says in the message what the
    number is for.
    """

    def __init__(self, low=None, high=None, *, closed: str = "both", finite=False, note=None):
        self.low, self.high, self.closed = low, high, closed
        self.finite, self.note = finite, note

    def __str__(self) -> str:
        low_in = self.closed in ("both", "left")
        high_in = self.closed in ("both", "right")
        if self.high is None:
            return f"{'>=' if low_in else '>'} {self.low:g}"
        if self.low is None:
            return f"{'<=' if high_in else '<'} {self.high:g}"
        return f"{'[' if low_in else '('}{self.low:g}, {self.high:g}{']' if high_in else ')'}"

    def _inside(self, value) -> bool:
        low_in = self.closed in ("both", "left")
        high_in = self.closed in ("both", "right")
        above = self.low is None or (value >= self.low if low_in else value > self.low)
        below = self.high is None or (value <= self.high if high_in else value < self.high)
        inside = bool(above and below) and not math.isnan(value)
        return inside and (math.isfinite(value) or not self.finite)

    def check(self, value, name: str) -> float:
        interval = str(self)
        bounded = interval[0] in "[("
        number = "a finite number" if self.finite else "a number"
        note = f" ({self.note})" if self.note else ""
        if not _is_number(value):
            where = f"in {interval}" if bounded else interval
            raise TypeError(f"{name} must be {number} {where}{note}, got {value!r}")
        if not self._inside(value):
            where = f"in {interval}" if bounded else f"{number} {interval}"
            raise ValueError(f"{name} must be {where}{note}, got {value!r}")
        return float(value)


class Integer:
    """An int (not a bool) of at least ``minimum`` (:func:`check_positive_int`'s checks
    and messages); with ``auto``, the string "auto" too; ``note`` says in the message
    what the number is for.

    Examples
    --------
    >>> Integer(2, note="folds").check(1, "n_folds")
    Traceback (most recent call last):
    ...
    ValueError: n_folds must be an integer >= 2 (folds), got 1
    """

    def __init__(self, minimum: int = 1, *, auto: bool = False, note=None):
        self.minimum, self.auto, self.note = minimum, auto, note

    def check(self, value, name: str):
        if self.auto and isinstance(value, str):
            if value != "auto":
                raise ValueError(
                    f"{name} must be an int >= {self.minimum} or 'auto', got {value!r}"
                )
            return value
        if self.note is None:
            return check_positive_int(value, name, minimum=self.minimum)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{name} must be an integer >= {self.minimum} ({self.note}), got {value!r}"
            )
        if value < self.minimum:
            raise ValueError(
                f"{name} must be an integer >= {self.minimum} ({self.note}), got {value!r}"
            )
        check_int_fits(value, name)
        return int(value)


class Boolean:
    """True or False (numpy's too)."""

    def check(self, value, name: str) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r}")
        return bool(value)


class Options:
    """One of a few values (strings, usually).

    Examples
    --------
    >>> Options("spe", "t2").check("q", "statistic")
    Traceback (most recent call last):
    ...
    ValueError: statistic must be one of ('spe', 't2'), got 'q'
    """

    def __init__(self, *values):
        self.values = values

    def check(self, value, name: str):
        if not any(value is v or (type(value) is type(v) and value == v) for v in self.values):
            raise ValueError(f"{name} must be one of {self.values}, got {value!r}")
        return value


class Optional:
    """None, or a value ``constraint`` accepts.

    Examples
    --------
    >>> Optional(Integer(1)).check(None, "max_features") is None
    True
    """

    def __init__(self, constraint):
        self.constraint = constraint

    def check(self, value, name: str):
        return None if value is None else self.constraint.check(value, name)


class Check:
    """A rule with its own check function, ``check(value, name) -> checked value``
    raising TypeError / ValueError: for values whose wording or test is the rule's own
    (a pair of n-gram sizes, a power of two, a threshold rule shared with other code).

    Examples
    --------
    >>> def even(value, name):
    ...     if value % 2:
    ...         raise ValueError(f"{name} must be even, got {value}")
    ...     return value
    >>> Check(even).check(3, "width")
    Traceback (most recent call last):
    ...
    ValueError: width must be even, got 3
    """

    def __init__(self, check):
        self._check = check

    def check(self, value, name: str):
        return self._check(value, name)


class Contamination:
    """A detector's ``contamination``: a number in (0, 0.5], or "auto" (see
    :func:`oddseq.detect._base.check_contamination`, whose messages it gives)."""

    def check(self, value, name: str):
        from ..detect._base import check_contamination

        return check_contamination(value)


class Threads:
    """``n_threads``: None (every core) or 1 to :func:`max_threads`; checked value is the
    core's convention (0 = every core), see :func:`resolve_threads`."""

    def check(self, value, name: str) -> int:
        return resolve_threads(value)


def validate_params(estimator) -> dict:
    """Check every parameter of ``estimator`` that its class's
    ``_parameter_checks`` table names; the checked values by name.

    Examples
    --------
    >>> class Detector:
    ...     _parameter_checks = {"alpha": Real(0, 1, closed="neither")}
    ...     def __init__(self, alpha=0.5):
    ...         self.alpha = alpha
    >>> validate_params(Detector())
    {'alpha': 0.5}
    >>> validate_params(Detector(alpha="x"))
    Traceback (most recent call last):
    ...
    TypeError: alpha must be a number in (0, 1), got 'x'
    """
    table = getattr(type(estimator), "_parameter_checks", {})
    return {name: check.check(getattr(estimator, name), name) for name, check in table.items()}
