"""Evaluation metrics for detectors and clusterings.

Ranking metrics (ROC-AUC, average precision) sort in C++; counting metrics are a few
vector operations. Each equals scikit-learn's function of the same name where
scikit-learn has one, but for one case: labels and scores (or predictions) given as
pandas Series indexed by the same ids, named alike, in another order (labels by entity id
beside a ranked table's column, both indexed by ``user_id``) are paired by id, where
scikit-learn pairs them by position (:func:`paired_by_id`).
"""

from __future__ import annotations

import math
import numbers
import sys

import numpy as np

from .. import _core

__all__ = [
    "accuracy_score",
    "average_precision_score",
    "fowlkes_mallows_score",
    "precision_at_k",
    "precision_recall_fscore",
    "roc_auc_score",
]


def paired_by_id(y_true, y_other, names=("first", "second")):
    """``y_true`` in the order of ``y_other`` where both are pandas Series indexed by
    the same ids (unique) in another order, else as given: labels indexed by entity id
    beside a ranked table's column (ordered by rank) were paired by position, another
    entity's label beside each score (ROC AUC 0.56 where the scores give 0.99). Ids are
    an index named alike on both sides (make_ecommerce's labels and a ranked table:
    ``user_id``): row numbers (a RangeIndex, a sorted frame's original rows) and unnamed
    indexes are positions, not ids. Arrays, Series of other ids, and Series without a
    common index name are paired by position, as scikit-learn pairs them. Ids alike as
    text ("1000" beside 1000) are paired as one; Series indexed alike by other ids are
    refused (by position they would pair unrelated entities)."""
    pd = sys.modules.get("pandas")  # (no pandas loaded: neither is a Series)
    if pd is None or not (isinstance(y_true, pd.Series) and isinstance(y_other, pd.Series)):
        return y_true
    mine, theirs = y_true.index, y_other.index
    if (
        mine.names != theirs.names
        or any(name is None for name in mine.names)
        or len(mine) != len(theirs)
        or mine.equals(theirs)
        or not (mine.is_unique and theirs.is_unique)
    ):
        return y_true
    if theirs.isin(mine).all():
        return y_true.reindex(theirs)
    # Ids on both sides, not the same ones: "1000" beside 1000 (ids read from text on
    # one side) are one id; others cannot be paired by id, and by position they would
    # pair unrelated entities silently (H6 s22: ROC AUC 0.43 where the ids give 0.74).
    as_text = mine.map(str)
    if as_text.is_unique and theirs.map(str).isin(as_text).all():
        return pd.Series(y_true.to_numpy(), index=as_text).reindex(theirs.map(str))
    name = ", ".join(map(str, mine.names))
    first, second = names
    raise ValueError(
        f"two Series both indexed by {name!r} hold other ids (such as "
        f"{theirs[~theirs.isin(mine)][0]!r} in {second} and not in {first}): pair them by "
        f"id first ({first}.reindex({second}.index)), or pass arrays (.to_numpy()) to pair "
        "them by position"
    )


def _paired_with_weights(y_true, y_other, sample_weight, other_name: str):
    """``paired_by_id`` for labels and the weights that belong to them: the weights
    follow ``y_true`` (by position as given, or by id where they are a Series indexed
    by the labels' ids), so where the labels are put in ``y_other``'s order by id the
    weights move with them (they stayed behind: another entity's label and weight beside
    each score, silently; H6's s22 hunt). The weights come back as given or as float64."""
    names = ("y_true", other_name)
    pd = sys.modules.get("pandas")
    if sample_weight is None or pd is None or not isinstance(y_true, pd.Series):
        return paired_by_id(y_true, y_other, names), sample_weight
    if isinstance(sample_weight, pd.Series):
        sample_weight = paired_by_id(sample_weight, y_true, ("sample_weight", "y_true"))
    weight = _weights(sample_weight, len(y_true))
    positions = pd.Series(np.arange(len(y_true)), index=y_true.index)
    paired = paired_by_id(positions, y_other, names)
    if paired is positions:
        return y_true, weight
    order = paired.to_numpy()
    return y_true.iloc[order], weight[order]


def _labels_1d(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")
    if array.dtype == object and any(v is None for v in array):
        raise ValueError(f"{name} contains missing values")
    return array


def _binary(y, name: str, pos_label) -> np.ndarray:
    """y as uint8 0/1 with 1 where y == pos_label; at most two distinct values."""
    array = _labels_1d(y, name)
    distinct = np.unique(array)
    if distinct.size > 2:
        raise ValueError(
            f"{name} must be binary (two classes), found {distinct.size} distinct values "
            f"such as {distinct[:5].tolist()}"
        )
    if distinct.size == 2 and pos_label not in distinct.tolist():
        raise ValueError(
            f"pos_label={pos_label!r} is not one of the values of {name} "
            f"{distinct.tolist()}; pass pos_label=..."
        )
    return np.ascontiguousarray(array == pos_label, dtype=np.uint8)


def _scores(y_score, n: int) -> np.ndarray:
    scores = _labels_1d(y_score, "y_score")
    if scores.dtype.kind not in "fiub":
        raise TypeError(f"y_score must be numeric, got dtype {scores.dtype}")
    if scores.shape[0] != n:
        raise ValueError(f"y_true has {n} entries but y_score has {scores.shape[0]}")
    return np.ascontiguousarray(scores, dtype=np.float64)


def _weights(sample_weight, n: int):
    if sample_weight is None:
        return None
    weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
    if weight.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {weight.shape}")
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise ValueError("sample_weight must be finite and non-negative")
    return weight


def roc_auc_score(y_true, y_score, *, sample_weight=None, pos_label=1) -> float:
    """Area under the ROC curve of scores (higher = more likely positive).

    Equal to ``sklearn.metrics.roc_auc_score`` for binary labels (ties in score count
    half, by the trapezoidal rule).

    Examples
    --------
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y_true, weight = _paired_with_weights(y_true, y_score, sample_weight, "y_score")
    y = _binary(y_true, "y_true", pos_label)
    scores = _scores(y_score, y.size)
    weight = _weights(weight, y.size)
    if y.min() == y.max():
        raise ValueError(
            "ROC AUC is undefined when y_true holds only one class; it needs both "
            "positives and negatives"
        )
    return float(_core.roc_auc(y, scores, weight))


def average_precision_score(y_true, y_score, *, sample_weight=None, pos_label=1) -> float:
    """Average precision: the precision at each distinct threshold weighted by the gain
    in recall (no interpolation), as ``sklearn.metrics.average_precision_score``.

    Examples
    --------
    >>> round(average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    y_true, weight = _paired_with_weights(y_true, y_score, sample_weight, "y_score")
    y = _binary(y_true, "y_true", pos_label)
    scores = _scores(y_score, y.size)
    weight = _weights(weight, y.size)
    if y.max() == 0:
        raise ValueError("average precision is undefined without positives in y_true")
    return float(_core.average_precision(y, scores, weight))


def precision_recall_fscore(y_true, y_pred, *, beta=1.0, pos_label=1, zero_division=0.0):
    """Precision, recall and F-beta of the positive class for binary predictions.

    ``zero_division`` is returned where a ratio has a zero denominator (no predicted or
    no actual positives), as in scikit-learn.

    Returns
    -------
    precision, recall, fscore : float

    Examples
    --------
    >>> precision_recall_fscore([0, 1, 1, 0], [0, 1, 0, 1])
    (0.5, 0.5, 0.5)
    """
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
        raise TypeError(f"beta must be a number >= 0, got {beta!r}")
    if not (math.isfinite(beta) and beta >= 0):
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
    # A number (NaN allowed, as scikit-learn's np.nan); scikit-learn's "warn" is not one.
    if isinstance(zero_division, (bool, np.bool_)) or not isinstance(zero_division, numbers.Real):
        raise TypeError(
            f"zero_division must be a number (0.0, 1.0 or np.nan), got {zero_division!r}"
        )
    y_true = paired_by_id(y_true, y_pred, ("y_true", "y_pred"))
    y = _binary(y_true, "y_true", pos_label).astype(bool)
    pred = _labels_1d(y_pred, "y_pred")
    if pred.shape != y.shape:
        raise ValueError(f"y_true has {y.size} entries but y_pred has {pred.size}")
    pred = _binary(pred, "y_pred", pos_label).astype(bool)
    tp = float(np.count_nonzero(y & pred))
    predicted = float(np.count_nonzero(pred))
    actual = float(np.count_nonzero(y))
    precision = tp / predicted if predicted else float(zero_division)
    recall = tp / actual if actual else float(zero_division)
    b2 = beta * beta
    denominator = b2 * precision + recall
    if predicted == 0 and actual == 0:
        fscore = float(zero_division)
    elif denominator == 0:
        fscore = 0.0
    else:
        fscore = (1 + b2) * precision * recall / denominator
    return precision, recall, fscore


def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None) -> float:
    """Share (or weighted count when ``normalize=False``) of exact matches.

    Examples
    --------
    >>> accuracy_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize must be True or False, got {normalize!r}")
    y_true, weight = _paired_with_weights(y_true, y_pred, sample_weight, "y_pred")
    y = _labels_1d(y_true, "y_true")
    pred = _labels_1d(y_pred, "y_pred")
    if pred.shape != y.shape:
        raise ValueError(f"y_true has {y.size} entries but y_pred has {pred.size}")
    hits = (y == pred).astype(np.float64)
    weight = _weights(weight, y.size)
    if weight is None:
        return float(hits.mean()) if normalize else float(hits.sum())
    total = float(hits @ weight)
    if normalize and not weight.sum() > 0:
        raise ValueError(
            "sample_weight sums to 0: there is no share of matches to give; give some row "
            "a weight > 0, or normalize=False for the weighted count"
        )
    return total / float(weight.sum()) if normalize else total


def precision_at_k(y_true, y_score, k=None, *, pos_label=1) -> float:
    """Share of positives among the ``k`` highest scores (default: as many as there are
    positives, i.e. R-precision). Ties in score are broken by position, first first.

    Examples
    --------
    >>> precision_at_k([0, 1, 1, 0], [0.9, 0.8, 0.7, 0.1], k=2)
    0.5
    """
    y_true = paired_by_id(y_true, y_score, ("y_true", "y_score"))
    y = _binary(y_true, "y_true", pos_label)
    scores = _scores(y_score, y.size)
    if k is None:
        k = int(y.sum())
        if k == 0:
            raise ValueError("precision_at_k with k=None needs at least one positive")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= y.size:
        raise ValueError(f"k must be an int in [1, {y.size}], got {k!r}")
    top = np.argsort(-scores, kind="stable")[:k]
    return float(y[top].mean())


def fowlkes_mallows_score(labels_true, labels_pred) -> float:
    """Fowlkes-Mallows index: geometric mean of pairwise precision and recall between
    two clusterings, as ``sklearn.metrics.fowlkes_mallows_score`` (Series of the same
    ids in another order are paired by id, :func:`paired_by_id`).

    Examples
    --------
    >>> fowlkes_mallows_score([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    # Series of the same ids in another order (the kinds by user id beside a ranked
    # table's cluster column) are paired by id, as the other metrics pair them.
    a = _labels_1d(
        paired_by_id(labels_true, labels_pred, ("labels_true", "labels_pred")), "labels_true"
    )
    b = _labels_1d(labels_pred, "labels_pred")
    if a.shape != b.shape:
        raise ValueError(f"labels_true has {a.size} entries but labels_pred has {b.size}")
    _, code_a = np.unique(a, return_inverse=True)
    _, code_b = np.unique(b, return_inverse=True)
    n = a.size
    pair_code = code_a.astype(np.int64) * (code_b.max() + 1) + code_b
    _, joint = np.unique(pair_code, return_counts=True)
    tk = float(np.dot(joint, joint)) - n
    pk = float(np.sum(np.bincount(code_a).astype(np.float64) ** 2)) - n
    qk = float(np.sum(np.bincount(code_b).astype(np.float64) ** 2)) - n
    if tk == 0.0:
        return 0.0
    return float(np.sqrt(tk / pk) * np.sqrt(tk / qk))
