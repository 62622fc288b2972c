"""Input validation shared by every public entry point.

Validation happens once, in Python, at the top of fit/predict/transform; messages say
which argument was wrong, what was wrong and how to fix it.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def resolve_threads(n_threads) -> int:
    """Map the public ``n_threads`` to the core's convention (0 = every core)."""
    if n_threads is None:
        return 0
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads must be a positive int or None, got {n_threads!r}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1 or None (every core), got {n_threads}")
    return int(n_threads)


def check_matrix(
    X, name: str = "X", *, allow_empty: bool = False, allow_nan: bool = False
) -> np.ndarray:
    """A finite 2-D float32/float64 C-contiguous array, copied only when it must be.

    float32 and float64 keep their dtype; other numeric dtypes become float64. With
    allow_nan, NaN may appear (missing values) but infinity still may not.
    """
    if hasattr(X, "sparse") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{name} is a sparse matrix; pass a dense array (X.toarray()).")
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):
        X = X.to_numpy()
    array = np.asarray(X)
    if array.dtype == object or array.dtype.kind in "USV":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{name} must be numeric; found values of dtype {array.dtype}: {error}"
            ) from None
    if np.iscomplexobj(array):
        raise ValueError(
            f"Complex data not supported: {name} has dtype {array.dtype}; pass real numbers "
            "(np.abs or .real)"
        )
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}. Reshape "
            "your data with X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a "
            "single sample."
        )
    if array.dtype not in FLOAT_DTYPES:
        array = array.astype(np.float64)
    if not allow_empty:
        if array.shape[0] == 0:
            raise ValueError(
                f"{name} has 0 sample(s) (shape={array.shape}) while a minimum of 1 is required."
            )
        if array.shape[1] == 0:
            raise ValueError(
                f"{name} has 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
            )
    if allow_nan:
        if np.isinf(array).any():
            raise ValueError(
                f"{name} contains infinity in {int(np.isinf(array).any(axis=1).sum())} row(s); "
                "only NaN counts as missing"
            )
    elif not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).any(axis=1).sum())
        raise ValueError(
            f"{name} contains NaN or infinity in {bad} row(s); impute or drop them first "
            "(oddseq.preprocessing or DataFrame.dropna())."
        )
    return np.ascontiguousarray(array)


def check_sample_weight(sample_weight, n_samples: int, dtype) -> np.ndarray | None:
    """None, or a finite non-negative 1-D array of length n_samples with positive sum."""
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        weight = np.full(n_samples, sample_weight, dtype=dtype)
    else:
        weight = np.asarray(sample_weight)
        if weight.dtype.kind not in "fiub":
            raise TypeError(f"sample_weight must be numeric, got dtype {weight.dtype}")
        weight = np.ascontiguousarray(weight, dtype=dtype)
    if weight.ndim != 1 or weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, got {weight.shape}"
        )
    if not np.isfinite(weight).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (weight < 0).any():
        raise ValueError(
            f"sample_weight has {int((weight < 0).sum())} negative value(s); weights must be >= 0"
        )
    if not weight.sum() > 0:
        raise ValueError("sample_weight sums to zero; at least one sample needs a positive weight")
    return weight


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_positive_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def validate_matrix(
    estimator, X, *, reset: bool, name: str = "X", allow_nan: bool = False
) -> np.ndarray:
    """check_matrix plus scikit-learn's bookkeeping of n_features_in_ and
    feature_names_in_ (set when reset, compared otherwise)."""
    from sklearn.utils.validation import validate_data

    array = check_matrix(X, name, allow_nan=allow_nan)
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    if not reset and array.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"{name} has {array.shape[1]} features, but {type(estimator).__name__} was "
            f"fitted with {estimator.n_features_in_}"
        )
    return array


def check_random_state(seed) -> np.random.RandomState:
    from sklearn.utils import check_random_state as sk_check_random_state

    return sk_check_random_state(seed)
