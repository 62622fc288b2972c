"""Bags of event or item n-grams with tf-idf weighting and feature hashing."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..sequences import Sequences
from ..utils._params import Check, Integer, Optional, Options, Threads
from ..utils._validation import check_positive_int, resolve_threads
from ._base import SequenceEncoder, _check_sequences

__all__ = ["CountEncoder"]

_SPARSE_ABOVE = 4096  # sparse="auto" switches to CSR above this many columns


# The hash a missing item or an item without a known category stands for (any fixed
# value: the same in every Sequences).
SENTINEL_HASH = np.uint64(0x9E3779B97F4A7C15)


def label_hashes(labels: pd.Index) -> np.ndarray:
    """A 64-bit hash per label, the same for equal labels in any Sequences: numbers by
    value, anything else by its text (turning millions of numeric item ids into text
    cost seconds)."""
    values = labels.to_numpy()
    if values.dtype.kind not in "iub":
        values = np.asarray(labels.astype(str), dtype=object)
    return np.ascontiguousarray(pd.util.hash_array(values), dtype=np.uint64)


def _plain_keys(categories: pd.Series) -> pd.Series:
    """Item categories keyed by text items written as floats ("11101.0", a map built
    from a file read with dtype=str, or a model saved so) keyed by the items as
    Sequences read them ("11101": RV s34 L8); where both forms are keys, the first."""
    from ..utils._ids import whole_float_ids

    keys = categories.index
    if not len(keys) or isinstance(keys, pd.MultiIndex):
        return categories
    plain = whole_float_ids(pd.Series(keys, dtype=keys.dtype))
    if plain is None:
        return categories
    categories = categories.set_axis(pd.Index(plain.to_numpy(dtype=object), name=keys.name))
    return categories[~categories.index.duplicated()]


def category_of_items(item_categories, item_labels: pd.Index):
    """(category labels, int32 category code per item code, -1 where the item has no
    category) from a mapping or Series item -> category."""
    if isinstance(item_categories, (list, tuple, np.ndarray, pd.Index)):
        # pd.Series of a list indexes it 0, 1, 2...: items would get the categories of
        # their positions, or none at all, without a word.
        raise TypeError(
            "item_categories must map items to categories (a dict, or a Series indexed by "
            "item such as df.groupby(item)[category].first()), got a "
            f"{type(item_categories).__name__}"
        )
    categories = pd.Series(item_categories)
    if not categories.index.is_unique:
        duplicated = categories.index[categories.index.duplicated()][:3].tolist()
        raise ValueError(
            f"item_categories gives more than one category for items {duplicated}; "
            "pass one category per item (e.g. df.groupby(item)[category].first())"
        )
    categories = _plain_keys(categories)
    mapped = categories.reindex(item_labels)
    labels = pd.Index(pd.unique(mapped.dropna()))
    return labels, np.ascontiguousarray(labels.get_indexer(mapped.to_numpy()), dtype=np.int32)


def _element_codes(seqs: Sequences, unit: str, item_categories=None):
    """(int32 codes, uint64 hash per code of its label, labels) for events, items or
    item categories. Missing items (and, for categories, items without one) are one
    extra element, "<missing>"."""
    if unit == "event":
        labels = seqs.event_labels
        return (
            np.ascontiguousarray(seqs.events, dtype=np.int32),
            label_hashes(labels),
            labels,
        )
    if seqs.items is None:
        raise ValueError(f"unit={unit!r} needs sequences with items (an item column)")
    codes = seqs.items
    if unit == "item":
        labels = seqs.item_labels
    else:
        labels, category = category_of_items(item_categories, seqs.item_labels)
        codes = np.where(codes >= 0, category[np.maximum(codes, 0)], -1)
    hashes = label_hashes(labels)
    if (codes < 0).any():  # a missing element is an element of its own
        labels = labels.append(pd.Index(["<missing>"]))
        hashes = np.append(hashes, SENTINEL_HASH)
        codes = np.where(codes < 0, len(labels) - 1, codes)
    return np.ascontiguousarray(codes, dtype=np.int32), hashes, labels


def _element_view(seqs: Sequences, codes: np.ndarray) -> _core.SequencesView:
    """The sequences with ``codes`` (events, items or categories: ``_element_codes``) as
    the elements the n-gram kernels read."""
    return _core.SequencesView(offsets=seqs.offsets, events=codes)


def _ngram_range(value, name: str) -> tuple[int, int]:
    """(n_min, n_max) with 1 <= n_min <= n_max <= 8."""
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
        or not 1 <= value[0] <= value[1] <= 8
    ):
        raise ValueError(
            f"{name} must be (n_min, n_max) with 1 <= n_min <= n_max <= 8, got {value!r}"
        )
    return int(value[0]), int(value[1])


def _power_of_two(value, name: str) -> int:
    """A positive int that is a power of two (the width of a hashed feature space)."""
    width = check_positive_int(value, name)
    if width & (width - 1):
        raise ValueError(
            f"{name} must be a power of two for feature hashing, got {width}; "
            f"try {1 << (width - 1).bit_length()}"
        )
    return width


class CountEncoder(SequenceEncoder):
    """Counts of event (or item, or item category) n-grams per sequence, optionally
    tf-idf weighted.

    With ``n_features=None`` the vocabulary of n-grams is learnt in ``fit`` (columns
    ``count[pv]``, ``count[pv>cart]``, ..., plus ``count[<unseen>]`` for n-grams met
    only later); with ``n_features`` a power of two, n-grams are hashed into that many
    columns with a random sign (signed feature hashing: no vocabulary, fixed width, for
    huge vocabularies such as item n-grams).

    Parameters
    ----------
    unit : {"event", "item", "category"}, default="event"
        What is counted; "category" counts the categories of the items acted on (needs
        ``item_categories``).
    item_categories : mapping or Series, optional
        item label -> category label, for ``unit="category"``; items without one count
        as ``<missing>``.
    ngram_range : (int, int), default=(1, 1)
        Smallest and largest n.
    tf : {"raw", "frequency", "sublinear"}, default="raw"
        Counts, counts over the sequence's total, or 1 + log(count).
    idf : {None, "smooth", "plain"}, default=None
        Multiply by ln((1 + N) / (1 + df)) + 1 (scikit-learn's smooth idf) or by
        ln(N / df) (the plain idf of the classic log-anomaly work), learnt in fit.
    norm : {None, "l1", "l2"}, default=None
    n_features : int, optional
        Hash width (a power of two); None learns a vocabulary.
    min_df : int, default=1
        Vocabulary n-grams must occur in at least this many sequences.
    max_features : int, optional
        Keep the n-grams in most sequences (vocabulary mode).
    unseen : {"bucket", "ignore"}, default="bucket"
    sparse : {"auto", True, False}, default="auto"
        scipy.sparse CSR output; "auto" above 4,096 columns.
    n_threads : int, optional

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> seqs = Sequences.from_lists([["pv", "pv", "buy"], ["pv", "cart"]])
    >>> enc = CountEncoder(ngram_range=(1, 2)).set_output(transform="pandas").fit(seqs)
    >>> enc.transform(seqs).loc[0, ["count[pv]", "count[pv>buy]", "count[pv>pv]"]].tolist()
    [2.0, 1.0, 1.0]
    >>> hashed = CountEncoder(n_features=16).fit(seqs)
    >>> hashed.transform(seqs).shape
    (2, 16)
    """

    def __init__(
        self,
        unit="event",
        item_categories=None,
        ngram_range=(1, 1),
        tf="raw",
        idf=None,
        norm=None,
        n_features=None,
        min_df=1,
        max_features=None,
        unseen="bucket",
        sparse="auto",
        n_threads=None,
    ):
        self.unit = unit
        self.item_categories = item_categories
        self.ngram_range = ngram_range
        self.tf = tf
        self.idf = idf
        self.norm = norm
        self.n_features = n_features
        self.min_df = min_df
        self.max_features = max_features
        self.unseen = unseen
        self.sparse = sparse
        self.n_threads = n_threads

    _parameter_checks = {
        "unit": Options("event", "item", "category"),
        "ngram_range": Check(_ngram_range),
        "tf": Options("raw", "frequency", "sublinear"),
        "idf": Options(None, "smooth", "plain"),
        "norm": Options(None, "l1", "l2"),
        "n_features": Optional(Check(_power_of_two)),
        "min_df": Integer(1),
        "max_features": Optional(Integer(1)),
        "unseen": Options("bucket", "ignore"),
        "sparse": Options("auto", True, False),
        "n_threads": Threads(),
    }

    def _check_params(self):
        params = self._validate_params()
        if params["unit"] == "category" and self.item_categories is None:
            raise ValueError(
                "unit='category' needs item_categories (a mapping or Series item -> category)"
            )
        return params["ngram_range"]

    def fit(self, X, y=None):
        seqs = _check_sequences(X, "CountEncoder.fit")
        n_min, n_max = self._check_params()
        threads = resolve_threads(self.n_threads)
        codes, hashes, labels = _element_codes(seqs, self.unit, self.item_categories)
        self.n_sequences_ = len(seqs)
        if self.n_features is None:
            ngrams = _core.ngram_keys(
                _element_view(seqs, codes),
                _core.NgramParams(element_hash=hashes, n_min=n_min, n_max=n_max),
                threads,
            )
            positions, lengths = ngrams.positions, ngrams.lengths
            found = _core.factorize_int64(ngrams.keys, threads)
            key_codes, uniques = found.codes, found.uniques
            df = np.bincount(key_codes, minlength=len(uniques))
            order = np.argsort(key_codes, kind="stable")
            first = (
                order[np.r_[0, np.flatnonzero(np.diff(key_codes[order])) + 1]]
                if len(order)
                else order
            )
            keep = np.flatnonzero(df >= self.min_df)
            if self.max_features is not None and len(keep) > self.max_features:
                by_df = np.lexsort((uniques[keep], -df[keep]))
                keep = keep[by_df[: self.max_features]]
            by_key = keep[np.argsort(uniques[keep], kind="stable")]
            self.vocabulary_keys_ = np.ascontiguousarray(uniques[by_key])
            self.document_frequency_ = df[by_key]
            start, length = positions[first][by_key], lengths[first][by_key]
            prefix = {"event": "", "item": "item:", "category": "category:"}[self.unit]
            self._names = [
                "count[" + ">".join(prefix + str(labels[c]) for c in codes[p : p + n]) + "]"
                for p, n in zip(start.tolist(), length.tolist())
            ]
            if self.unseen == "bucket":
                self._names.append("count[<unseen>]")
            width = len(self._names)
        else:
            self.vocabulary_keys_ = np.zeros(0, dtype=np.int64)
            width = int(self.n_features)
            self._names = [f"hash_{j:0{len(str(width - 1))}d}" for j in range(width)]
        self.n_features_out_ = width
        if self.idf is not None:
            counts = self._counts(seqs, codes, hashes, n_min, n_max, threads)
            df_columns = np.bincount(counts.indices, minlength=width).astype(np.float64)
            n = float(len(seqs))
            if self.idf == "smooth":
                self.idf_ = np.log((1 + n) / (1 + df_columns)) + 1
            else:
                self.idf_ = np.log(n / np.maximum(df_columns, 1))
        return self

    def _counts(self, seqs, codes, hashes, n_min, n_max, threads) -> sp.csr_matrix:
        params = _core.NgramParams(
            element_hash=hashes,
            n_min=n_min,
            n_max=n_max,
            vocabulary=self.vocabulary_keys_,
            count_unseen=self.unseen == "bucket",
            hash_width=0 if self.n_features is None else int(self.n_features),
        )
        counts = _core.ngram_counts(_element_view(seqs, codes), params, threads)
        return sp.csr_matrix(
            (counts.data, counts.indices, counts.indptr), shape=(len(seqs), self.n_features_out_)
        )

    def transform(self, X):
        check_is_fitted(self, "vocabulary_keys_")
        seqs = _check_sequences(X, "CountEncoder.transform")
        n_min, n_max = self._check_params()
        threads = resolve_threads(self.n_threads)
        codes, hashes, _ = _element_codes(seqs, self.unit, self.item_categories)
        matrix = self._counts(seqs, codes, hashes, n_min, n_max, threads)
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        if self.tf == "frequency":
            totals = np.bincount(rows, weights=np.abs(matrix.data), minlength=matrix.shape[0])
            matrix.data = (matrix.data / totals[rows]).astype(np.float32)
        elif self.tf == "sublinear":
            matrix.data = (np.sign(matrix.data) * (1 + np.log(np.abs(matrix.data)))).astype(
                np.float32
            )
        if self.idf is not None:
            matrix.data = (matrix.data * self.idf_[matrix.indices]).astype(np.float32)
        if self.norm is not None:
            values = np.abs(matrix.data) if self.norm == "l1" else matrix.data**2
            totals = np.bincount(rows, weights=values, minlength=matrix.shape[0])
            if self.norm == "l2":
                totals = np.sqrt(totals)
            safe = np.where(totals > 0, totals, 1.0)
            matrix.data = (matrix.data / safe[rows]).astype(np.float32)
        matrix.eliminate_zeros()
        as_sparse = self.sparse is True or (
            self.sparse == "auto" and self.n_features_out_ > _SPARSE_ABOVE
        )
        if getattr(self, "_output_container", "default") == "pandas":
            if as_sparse:
                return pd.DataFrame.sparse.from_spmatrix(
                    matrix, index=seqs.ids, columns=self.get_feature_names_out()
                )
            return self._wrap(matrix.toarray(), seqs)
        return matrix if as_sparse else matrix.toarray()

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "vocabulary_keys_")
        return np.asarray(self._names, dtype=object)
