"""Robust location and spread: the one home of the 1.4826 x MAD rule."""

from __future__ import annotations

import numbers

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
    if fallback not in ("std", "mean_abs"):
        raise ValueError(f"fallback must be 'std' or 'mean_abs', got {fallback!r}")
    median, mad = median_and_mad(x)
    spread = MAD_TO_STD * mad
    if fallback == "std":
        return median, spread_or_std(spread, x.std(axis=0))
    deviation = np.abs(x - median)
    return median, np.where(spread > 0, spread, MEAN_ABS_TO_STD * deviation.mean(axis=0))


def median_and_mad(x) -> tuple:
    """(``np.median(x, axis=0)``, ``np.median(np.abs(x - median), axis=0)``), the same
    bits; a float64 matrix's columns selected in C++, in parallel (numpy's partition
    along the first axis of a million-row matrix took 2.5 s for 28 columns, the C++
    selection 0.5 s)."""
    if isinstance(x, np.ndarray) and x.ndim == 2 and x.dtype == np.float64 and x.size:
        from .. import _core

        median, mad = _core.column_median_mad(np.ascontiguousarray(x), 0)
        return median, mad
    median = np.median(x, axis=0)
    return median, np.median(np.abs(x - median), axis=0)


def spread_or_std(spread, std):
    """robust_spread's "std" fallback: the spread where positive, else the standard
    deviation where positive, else 1."""
    return np.where(spread > 0, spread, np.where(std > 0, std, 1.0))


def n_components_for(wanted, variance: np.ndarray, total: float, n_features: int) -> int:
    """How many principal components to keep, one rule for PCA and PCADetector.

    ``wanted`` is an int in [1, n_features] (kept as it is) or a float in (0, 1): the
    fewest leading components whose variance reaches that share of ``total``, the
    variance of all components (one when there is no variance at all). ``variance``
    holds the components' variances in decreasing order. Callers map None to their own
    default first (PCA: every feature; PCADetector: 0.95).

    Examples
    --------
    >>> n_components_for(0.9, np.array([6.0, 3.0, 1.0]), 10.0, 3)
    2
    >>> n_components_for(3, np.array([6.0, 3.0, 1.0]), 10.0, 3)
    3
    """
    if isinstance(wanted, numbers.Integral) and not isinstance(wanted, bool):
        if not 1 <= wanted <= n_features:
            raise ValueError(f"n_components must be in [1, {n_features}], got {wanted}")
        return int(wanted)
    if isinstance(wanted, numbers.Real) and not isinstance(wanted, bool) and 0 < wanted < 1:
        if not total > 0:
            return 1
        share = np.cumsum(variance) / total
        return int(min(np.searchsorted(share, wanted) + 1, n_features))
    raise ValueError(f"n_components must be an int, a float in (0, 1) or None, got {wanted!r}")
