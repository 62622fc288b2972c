"""Input validation shared by every public entry point.

Validation happens once, in Python, at the top of fit/predict/transform; messages say
which argument was wrong, what was wrong and how to fix it.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


#: The most threads any ``n_threads`` may ask for: 8 per core of this machine (counted
#: as at least 8 cores, so small machines can still test thread-count independence), and
#: never more than 1024. Far past the core count OpenMP only adds start-up cost, and tens
#: of thousands of threads exhaust the process (libgomp aborts, or the stacks overflow).
MAX_THREADS_PER_CORE = 8
MAX_THREADS_ABSOLUTE = 1024


def max_threads() -> int:
    """The largest ``n_threads`` accepted on this machine (see MAX_THREADS_PER_CORE)."""
    cores = os.cpu_count() or 1
    return min(MAX_THREADS_ABSOLUTE, MAX_THREADS_PER_CORE * max(cores, 8))


def resolve_threads(n_threads) -> int:
    """Map the public ``n_threads`` to the core's convention (0 = every core).

    The one place every entry point's ``n_threads`` is checked: None, or an int from 1
    to :func:`max_threads` (8 per core, counting at least 8 cores, at most 1024).
    """
    if n_threads is None:
        return 0
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads must be a positive int or None, got {n_threads!r}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1 or None (every core), got {n_threads}")
    cap = max_threads()
    if n_threads > cap:
        raise ValueError(
            f"n_threads={n_threads} is more than this machine allows ({cap}: "
            f"{MAX_THREADS_PER_CORE} per core for {os.cpu_count()} core(s), at most "
            f"{MAX_THREADS_ABSOLUTE}); pass None to use every core"
        )
    return int(n_threads)


def _frame_to_numpy(X, name: str) -> np.ndarray:
    """A pandas DataFrame's (or Series') values: nullable columns (Int64, Float64,
    boolean) with <NA> become float64 with NaN, the missing value the rest of the
    checks know; a column that is not numbers (text, category, dates) is a TypeError
    that names it."""
    import pandas as pd

    if not isinstance(X, (pd.DataFrame, pd.Series)):
        return X.to_numpy()
    dtypes = X.dtypes if isinstance(X, pd.DataFrame) else pd.Series([X.dtype], [X.name])

    def floats(values) -> np.ndarray:
        # <NA> (nullable and text columns) and None become NaN, the missing value the
        # rest of the checks know.
        as_objects = values.astype(object)
        return np.asarray(as_objects.where(values.notna(), np.nan), dtype=np.float64)

    def numeric(column, dtype) -> bool:
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            return True
        text = pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)
        if not (pd.api.types.is_object_dtype(dtype) or text):
            return False  # dates, intervals, periods
        # Numbers held as objects (Decimal, mixed int and float), as text (pandas reads
        # a CSV's text columns as str) or as categories are numbers, as numpy reads them.
        try:
            floats(X[column] if isinstance(X, pd.DataFrame) else X)
        except (TypeError, ValueError):
            return False
        return True

    bad = [(column, str(d)) for column, d in dtypes.items() if not numeric(column, d)]
    if bad:
        columns = [column for column, _ in bad]
        more = f" and {len(columns) - 5} more" if len(columns) > 5 else ""
        raise TypeError(
            f"{name} has non-numeric column(s) {columns[:5]}{more} (dtypes "
            f"{sorted({d for _, d in bad})}); drop them ({name}.drop(columns=[...])) or "
            "turn them into numbers (pd.get_dummies for categories) first"
        )
    if any(isinstance(d, pd.api.extensions.ExtensionDtype) for d in dtypes):
        if isinstance(X, pd.Series):
            return floats(X)
        return np.column_stack([floats(X[c]) for c in X.columns]).reshape(X.shape)
    return X.to_numpy()


def check_matrix(
    X,
    name: str = "X",
    *,
    allow_empty: bool = False,
    allow_nan: bool = False,
    squares: bool = True,
) -> np.ndarray:
    """A finite 2-D float32/float64 C-contiguous array, copied only when it must be.

    float32 and float64 keep their dtype; other numeric dtypes become float64. With
    allow_nan, NaN may appear (missing values) but infinity still may not. ``squares``:
    whether the caller sums squares of the values (distances, variances), whose overflow
    :func:`check_magnitude` refuses; an elementwise step (a log) takes any finite value.
    """
    if type(X).__name__ == "Sequences" and hasattr(X, "offsets"):
        raise TypeError(
            f"{name} is Sequences, and this step takes a feature matrix: encode them first "
            "(oddseq.encode.default_encoder().fit_transform(seqs)), or score them whole "
            "with MarkovDetector, the neural detectors or AnomalyPipeline"
        )
    # pandas gives a frame of no columns a .sparse accessor too: that one is empty.
    frame_of_nothing = hasattr(X, "columns") and len(X.columns) == 0
    if (hasattr(X, "sparse") and not frame_of_nothing) or type(X).__module__.startswith(
        "scipy.sparse"
    ):
        raise TypeError(f"{name} is a sparse matrix; pass a dense array (X.toarray()).")
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):
        X = _frame_to_numpy(X, name)
    if isinstance(X, np.ma.MaskedArray) and np.ma.is_masked(X) and np.ndim(X) == 2:
        # np.asarray would drop the mask and read the values under it: masked entries
        # are missing values. (Other shapes: the shape errors below say what to do first.)
        if not allow_nan:
            mask = np.ma.getmaskarray(X)
            raise ValueError(
                f"{name} is a masked array with {int(mask.sum())} masked value(s) in "
                f"{int(mask.any(axis=1).sum())} row(s), and masked values are missing: fill "
                f"them ({name}.filled(value)) or drop those rows "
                f"({name}[~np.ma.getmaskarray({name}).any(axis=1)])"
            )
        if np.iscomplexobj(X):
            raise ValueError(
                f"Complex data not supported: {name} has dtype {X.dtype}; pass real numbers "
                "(np.abs or .real)"
            )
        if X.dtype.kind in "iub":  # (NaN needs a float to sit in)
            X = X.astype(np.float64)
        X = np.ma.getdata(X.filled(np.nan))
    try:
        array = np.asarray(X)
    except ValueError as error:  # ragged nested lists
        raise ValueError(
            f"{name} must be a 2-D array of numbers: its rows differ in length ({error})"
        ) from None
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
    if array.ndim > 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}: one row "
            f"per entity, one column per feature; join the trailing axes with "
            f"{name}.reshape(len({name}), -1) if they are features of each row."
        )
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
    if array.size == 0:
        return np.ascontiguousarray(array)
    if allow_nan:
        if np.isinf(array).any():
            raise ValueError(
                f"{name} contains infinity in {int(np.isinf(array).any(axis=1).sum())} row(s); "
                "only NaN counts as missing"
            )
        # fmin/fmax skip NaN without the all-NaN warnings of nanmin/nanmax.
        low, high = np.fmin.reduce(array, axis=None), np.fmax.reduce(array, axis=None)
    else:
        # Two reductions without a temporary: NaN propagates through min/max, so both
        # are finite exactly when every entry is.
        low, high = array.min(), array.max()
        if not (np.isfinite(low) and np.isfinite(high)):
            bad = int((~np.isfinite(array)).any(axis=1).sum())
            raise ValueError(
                f"{name} contains NaN or infinity in {bad} row(s); impute or drop them first "
                "(oddseq.preprocessing or DataFrame.dropna())."
            )
    if squares:
        check_magnitude(max(-float(low), float(high)), array.shape, array.dtype, name)
    return np.ascontiguousarray(array)


def magnitude_limit(shape, dtype) -> float:
    """The largest |value| accepted in a matrix of this shape and dtype.

    Distances, variances, covariances and inertia add up squared differences, at most
    n_samples * n_features of them, each up to (2 * |value|)**2; the limit keeps that sum
    four times below the dtype's largest number:
    sqrt(finfo(dtype).max / (16 * n_samples * n_features)). In float64 that is about
    1e148 for 1e8 x 100 values; in float32 about 1e15 for 1e6 x 16.
    """
    n_values = max(1, int(np.prod(shape)))
    return float(np.sqrt(np.finfo(dtype).max / (16.0 * n_values)))


def check_magnitude(largest: float, shape, dtype, name: str = "X") -> None:
    """Refuse finite values so large that the squares every estimator sums overflow to
    infinity (silent NaN or inf in scores, distances and inertia otherwise)."""
    limit = magnitude_limit(shape, dtype)
    if largest > limit:
        raise ValueError(
            f"{name} has values as large as {largest:.3g} in magnitude; with shape {shape} "
            f"in {np.dtype(dtype).name}, squared distances and variances overflow above "
            f"{limit:.3g}. Rescale {name} first (divide it by a power of ten)"
            + (", or pass it as float64." if np.dtype(dtype) == np.float32 else ".")
        )


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
    check_int_fits(value, name)
    return int(value)


#: The largest count the C++ kernels take (a C int); past it nanobind raised a TypeError
#: that listed the kernel's signature instead of naming the parameter.
MAX_KERNEL_INT = 2**31 - 1


def check_int_fits(value, name: str) -> None:
    if value > MAX_KERNEL_INT:
        raise ValueError(f"{name} must be at most {MAX_KERNEL_INT}, got {value}")


def check_positive_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def validate_matrix(
    estimator, X, *, reset: bool, name: str = "X", allow_nan: bool = False, squares: bool = True
) -> np.ndarray:
    """check_matrix plus scikit-learn's bookkeeping of n_features_in_ and
    feature_names_in_ (set when reset, compared otherwise)."""
    from sklearn.utils.validation import validate_data

    array = check_matrix(X, name, allow_nan=allow_nan, squares=squares)
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    if not reset and array.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"{name} has {array.shape[1]} features, but {type(estimator).__name__} was "
            f"fitted with {estimator.n_features_in_}"
        )
    return array


def check_generator(random_state) -> np.random.Generator:
    """The numpy Generator of a data generator's ``random_state`` (None, an int >= 0, or
    a Generator, used as it is)."""
    if random_state is not None and not isinstance(
        random_state, (numbers.Integral, np.random.Generator)
    ):
        raise TypeError(
            "random_state must be None, an int or a numpy Generator, got "
            f"{type(random_state).__name__}"
        )
    if isinstance(random_state, numbers.Integral) and random_state < 0:
        raise ValueError(f"random_state must be >= 0, got {random_state}")
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def check_random_state(seed, name: str = "random_state") -> np.random.RandomState:
    """scikit-learn's check_random_state, with a message that names the argument."""
    from sklearn.utils import check_random_state as sk_check_random_state

    try:
        return sk_check_random_state(seed)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be None, an int in [0, 2**32 - 1] or a numpy RandomState, got {seed!r}"
        ) from None


# The fix said when fewer than 2 entities are left to fit on; the shell says it in its own
# words (oddseq.cli's shell_error_text).
FIT_ON_MANY = (
    "A model learns what is usual from many entities: to score one (or a few), fit a "
    "pipeline on a log of many and score them with pipeline.score(...)"
)


# ... and where the data said normal has fewer (the log it ranks is not the one at fault).
NORMAL_OF_MANY = (
    "A model learns what is usual from many entities: fit on a log of many normal ones "
    "(--normal FILE from the shell)"
)


def too_few_to_fit(n: int, min_events: int, n_all: int | None = None, what: str = "") -> str:
    """The refusal of a fit on fewer than 2 sequences (``n`` kept of ``n_all`` with
    ``min_events``; ``what``: "normal " for normal-only data, said of the normal data:
    the log it would rank may hold many), naming the fix."""
    if what == "normal ":
        text = (
            f"normal-only fitting needs at least 2 normal sequences, and the normal data holds {n} "
            f"(with min_events={min_events})"
        )
    else:
        # (fitting, not scoring: oddseq fit says it too; trial s42)
        text = f"fitting needs at least 2 {what}sequences (with min_events={min_events}), got {n}"
    if n_all is not None and n_all > n:
        return (
            f"{text}: {n_all - n:,} of {n_all:,} had fewer than {min_events} events; "
            "lower min_events"
        )
    return f"{text}. {NORMAL_OF_MANY if what == 'normal ' else FIT_ON_MANY}"


def missing_column(role: str, column, df, frame: str = "df") -> str:
    """The ValueError's words for ``role=column`` that is not a column of ``df``: the
    columns there are, and where the index holds it (a log's time kept as its index,
    ``df.set_index("ts")``), how to make it a column again."""
    message = f"{role}={column!r} is not a column of {frame}; available columns: {list(df.columns)}"
    if column is not None and column in [name for name in df.index.names if name is not None]:
        message += (
            f"; {column!r} is the index of {frame}: make it a column with {frame}.reset_index()"
        )
    elif getattr(df.columns, "nlevels", 1) > 1 and not isinstance(column, tuple):
        # Columns of several levels (a pivot, pd.concat(keys=...)): named by tuples.
        full = [name for name in df.columns if column in name]
        if len(full) == 1:
            message += f"; pass its full name: {role}={full[0]!r}"
        elif full:
            message += f"; pass the full name of one: {role}={full[0]!r} or {full[1]!r}"
    return message
