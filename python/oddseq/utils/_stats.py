"""Robust location and spread: the one home of the 1.4826 x MAD rule."""

from __future__ import annotations

import numpy as np

#: 1 / Phi^-1(3/4): makes the median absolute deviation a consistent estimate of a
#: normal distribution's standard deviation.
MAD_TO_STD = 1.4826
#: sqrt(pi / 2): the same for the mean absolute deviation.
MEAN_ABS_TO_STD = 1.2533


def robust_spread(x: np.ndarray, *, fallback: str = "std") -> tuple[np.ndarray, np.ndarray]:
    """(median, spread) down axis 0: spread = 1.4826 x MAD, the robust standard deviation.

    Where the MAD is 0 (over half the values equal) the spread falls back to:

    - ``"std"``: the standard deviation, else 1 (a constant column): a divisor that is
      never 0, for robust z-scores and explanations;
    - ``"mean_abs"``: 1.2533 x the mean absolute deviation from the median, else 0
      (every value equal): for cuts, where 0 says "no spread at all".

    Examples
    --------
    >>> import numpy as np
    >>> median, spread = robust_spread(np.array([[1.0, 5.0], [2.0, 5.0], [9.0, 5.0]]))
    >>> median.tolist(), spread.round(4).tolist()
    ([2.0, 5.0], [1.4826, 1.0])
    """
    median = np.median(x, axis=0)
    deviation = np.abs(x - median)
    spread = MAD_TO_STD * np.median(deviation, axis=0)
    if fallback == "std":
        std = x.std(axis=0)
        spread = np.where(spread > 0, spread, np.where(std > 0, std, 1.0))
    elif fallback == "mean_abs":
        spread = np.where(spread > 0, spread, MEAN_ABS_TO_STD * deviation.mean(axis=0))
    else:
        raise ValueError(f"fallback must be 'std' or 'mean_abs', got {fallback!r}")
    return median, spread
