"""Renamed parameters: the old name still works for a while, with a FutureWarning."""

from __future__ import annotations

import functools
import warnings

__all__ = ["renamed_parameters"]


def renamed_parameters(until: str, **renames):
    """Decorate an ``__init__`` whose parameters were renamed (``old="new"``): a call
    with an old name warns (FutureWarning) and passes the value on under the new name.
    The signature scikit-learn reads (``get_params``, ``clone``) stays the new one.

    Examples
    --------
    >>> import warnings
    >>> class Detector:
    ...     @renamed_parameters("0.3", score="statistic")
    ...     def __init__(self, *, statistic="spe"):
    ...         self.statistic = statistic
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     Detector(score="t2").statistic
    't2'
    >>> str(caught[0].message)[:54]
    'Detector(score=...) is renamed Detector(statistic=...)'
    """

    def decorate(init):
        @functools.wraps(init)
        def wrapper(self, *args, **kwargs):
            owner = type(self).__name__
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(f"{owner}: pass {new}= only ({old}= is its old name)")
                warnings.warn(
                    f"{owner}({old}=...) is renamed {owner}({new}=...): a parameter named "
                    f"{old!r} hid the {old}() method scikit-learn's Pipeline calls; "
                    f"{old}= stops working in oddseq {until}",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            init(self, *args, **kwargs)

        return wrapper

    return decorate
