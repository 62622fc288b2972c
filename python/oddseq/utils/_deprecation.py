"""Renamed parameters: the old name still works for a while, with a FutureWarning."""

from __future__ import annotations

import functools
import warnings

from ._stacklevel import user_stacklevel

__all__ = ["renamed_parameters", "translate_renamed"]


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
            init(self, *args, **_translate(type(self).__name__, until, renames, kwargs))

        wrapper._renamed_parameters = (until, renames)
        return wrapper

    return decorate


def translate_renamed(estimator, params: dict) -> dict:
    """``set_params``'s keyword arguments with the old names of ``estimator``'s renamed
    parameters (see :func:`renamed_parameters`) passed on under the new ones, with the
    constructor's FutureWarning."""
    until, renames = getattr(type(estimator).__init__, "_renamed_parameters", (None, {}))
    if not any(old in params for old in renames):
        return params
    name = f"{type(estimator).__name__}.set_params"
    return _translate(name, until, renames, dict(params))


def _translate(call: str, until: str, renames: dict, kwargs: dict) -> dict:
    owner = call.split(".")[0]
    for old, new in renames.items():
        if old not in kwargs:
            continue
        if new in kwargs:
            raise TypeError(f"{owner}: pass {new}= only ({old}= is its old name)")
        warnings.warn(
            f"{call}({old}=...) is renamed {call}({new}=...): a parameter named "
            f"{old!r} hid the {old}() method scikit-learn's Pipeline calls; "
            f"{old}= stops working in oddseq {until}",
            FutureWarning,
            stacklevel=user_stacklevel(),
        )
        kwargs[new] = kwargs.pop(old)
    return kwargs
