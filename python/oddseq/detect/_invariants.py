"""A sequence detector of counting relations: invariants mining (Lou et al., USENIX ATC
2010)."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from ..encode._base import _check_sequences
from ..utils._params import Integer, Real
from ..utils._text import shorten, text_array
from ..utils._unique import distinct
from ..utils._validation import check_positive_int
from ._base import BaseDetector

__all__ = ["InvariantsDetector"]

# The tie-break that says how far off a sequence is (log of its residuals summed) is
# scaled by this, so that it never outweighs one broken invariant (each weighs at least
# log 2, see ``_weights``).
_TIE_BREAK = 1e-3
# Multipliers that hash a pattern of counts over a type set to one integer (wrapping
# int64 arithmetic: deterministic, and collisions between the few patterns of a set are
# only a lost candidate, never a wrong invariant: every candidate is checked exactly).
_HASH = np.random.default_rng(0x1A7).integers(1, 2**62, 64, dtype=np.int64) | 1
#: Most type sets fit visits (the cap on relations of two or more types): more mined
#: types or a larger max_size than fit under it mine fewer types, with a warning.
MAX_SETS = 20_000


class InvariantsDetector(BaseDetector):
    """Sequences that break the counting relations normal sequences keep: invariants
    mining (Lou et al., "Mining Invariants from Console Logs for System Problem
    Detection", USENIX ATC 2010).

    A program's workflow ties how often its events occur: every "open" has a "close",
    every allocated block is received three times. Such a relation is a linear one among
    a sequence's event-type counts with small integer coefficients, ``c(open) - c(close)
    = 0``, and a sequence that breaks one that nearly every fitted sequence keeps is
    odd, whatever its length or order. The verdict is discrete: a sequence that breaks
    nothing scores 0, however rare its workflow (a workflow repeated three times keeps
    the relations of one run).

    Mining (fit):

    1. The per-type counts of every sequence (a sparse matrix built from the sequences'
       codes in one step), reduced to their distinct rows with weights.
    2. Relations of one type, ``c(t) = 0``, for every type that at least ``support`` of
       the sequences lack (a type the normal ones never show).
    3. Relations among 2 to ``max_size`` types, over the ``max_types`` types present in
       the most sequences (at least 2): for each such set, an integer vector orthogonal
       to the most frequent count patterns of the sequences where the set occurs (one
       pattern for two types, the two most frequent independent ones for three: the
       cross product), reduced by its greatest common divisor. Lou et al. take the
       near-null singular vector of the set's columns and round it; that least-squares
       direction is pulled by the very sequences that break the relation, whereas the
       patterns most sequences share pin the exact integer relation. A candidate is an
       invariant when its coefficients are all nonzero and at most ``max_coef``, and
       its support, checked exactly on the integer counts, reaches ``support`` both
       among all sequences and among those where its types occur (so that a relation
       among rare types is not accepted because most sequences hold none of them).
    4. Redundancy: candidates in groups of equal standing (as many sequences breaking
       them, as many types, as large a coefficient), the groups in order of fewest
       breakers, then fewest types, then smallest coefficients; a candidate is kept only
       if it is not a linear combination of the groups before its own (within a group,
       every such member is kept: which of several equivalent relations to keep is not
       left to the types' order). A workflow that is coherent but rare then breaks one
       rank (its presence), not one per type.

    Cost: step 3 visits at most ``C(max_types, 2) + ... + C(max_types, max_size)``
    type sets (4,525 at the defaults), each on the distinct count rows where the set
    occurs; types beyond ``max_types`` get one-type relations only. A log with 3,000
    URL types mines the same 4,525 sets. Never more than ``MAX_SETS`` (20,000): a
    larger ``max_types`` or ``max_size`` mines fewer types, with a warning. Each set
    costs time in the distinct count rows (at most the sequences): about 0.1 s for
    1,000 HDFS blocks in all.

    Score: the sum, over the groups of invariants of equal standing (as many fitted
    sequences broke each, b of the n, as many types, as large a coefficient), of
    ``log((n + 1) / (b + 1))`` (a relation every fitted sequence kept weighs most) times
    the rank of the group that the sequence breaks (the group's rank modulo the groups
    before it, minus that of the members it keeps). So the score is a function of what
    the invariants say, never of the types' names: where three types always agree,
    ``a = b``, ``a = c`` and ``b = c`` are one group of rank 2, and one extra 'a' or one
    extra 'c' breaks rank 1 of it alike. Plus one such weight for each event type never
    seen in fit (as if ``c(t) = 0`` held in every fitted sequence), plus a tie-break
    below one weight: ``0.001 * log(1 + |residuals| summed)`` (how far off).
    Deterministic: no random state, no threads.

    Parameters
    ----------
    max_size : int, default=3
        Most event types one invariant relates.
    support : float in [0.5, 1], default=0.98
        Share of the fitted sequences (and of those where its types occur) that must
        keep a relation for it to be an invariant (loglizer's default 0.98). Fitted on
        a mix where more than ``1 - support`` of the sequences break a relation, the
        relation is not mined.
    max_coef : int, default=10
        Largest coefficient (in absolute value) of an invariant.
    max_types : int, default=30
        Event types (those present in the most sequences) mined for relations of two or
        more types; the cost cap (see above).
    contamination : float in (0, 0.5] or "auto", default="auto"
        "auto": the unsupervised cut of the other detectors
        (:func:`oddseq.detect.auto_cut`), never below one broken invariant.

    Attributes
    ----------
    invariants_ : DataFrame
        One row per invariant: ``relation`` (in words), ``types`` and ``coefficients``
        (tuples), ``support`` (share of the fitted sequences keeping it), ``weight`` and
        ``group`` (invariants of equal standing: a sequence's score counts the group's
        rank it breaks, not its members, see Score).

    Examples
    --------
    >>> from oddseq.sequences import Sequences
    >>> normal = [["open", "read", "close"], ["open", "close", "open", "close"]] * 30
    >>> odd = [["open", "read", "read"]]
    >>> seqs = Sequences.from_lists(normal + odd)
    >>> det = InvariantsDetector().fit(seqs)
    >>> np.flatnonzero(det.labels_).tolist()
    [60]
    >>> det.invariants_["relation"].tolist()
    ["'close' = 'open'"]
    >>> det.reasons(seqs[60:])[0]
    "0 'close' but 1 'open' (98.4% of the fitted sequences keep 'close' = 'open')"
    """

    input_kind = "sequences"

    _parameter_checks = {
        **BaseDetector._parameter_checks,
        "max_size": Integer(1, note="most event types one invariant relates"),
        "support": Real(0.5, 1, note="share of the sequences that keep an invariant"),
        "max_coef": Integer(1, note="largest coefficient of an invariant"),
        "max_types": Integer(1, note="event types mined for relations of two or more"),
    }

    def __init__(
        self, max_size=3, *, support=0.98, max_coef=10, max_types=30, contamination="auto"
    ):
        self.max_size = max_size
        self.support = support
        self.max_coef = max_coef
        self.max_types = max_types
        self.contamination = contamination

    # -- fit -------------------------------------------------------------------------

    def fit(self, X, y=None):
        """Mine the invariants of Sequences X (y is ignored) and score them."""
        params = self._validate_params()
        seqs = _check_sequences(X, "InvariantsDetector.fit")
        if len(seqs) == 0:
            raise ValueError("InvariantsDetector.fit needs at least one sequence (X is empty)")
        counts = _count_matrix(seqs.offsets, seqs.events, len(seqs.event_labels))
        # A type of the vocabulary that no fitted sequence holds (a split of one
        # Sequences, entities min_events left out) is a type unseen in fit: one wording,
        # one weight, however the vocabulary came.
        held = np.flatnonzero(counts.getnnz(axis=0) > 0)
        if held.size < counts.shape[1]:
            counts = counts[:, held].tocsr()
        self.event_labels_ = seqs.event_labels[held]
        self.n_fitted_ = n = counts.shape[0]
        types, coefs, broken, groups = _mine(
            counts,
            params["max_size"],
            float(params["support"]),
            params["max_coef"],
            params["max_types"],
        )
        if len(types) == 0:
            warnings.warn(
                f"InvariantsDetector mined no invariant: no linear relation among the event "
                f"types' counts holds in {params['support']:.1%} of the {n:,} sequences (a shop "
                "log's clicks keep none), so every sequence scores 0 but for event types "
                "unseen in fit; lower support=..., or use another method",
                UserWarning,
                stacklevel=2,
            )
        self.invariant_types_ = types
        self.invariant_coefs_ = coefs
        self.invariant_broken_ = broken
        self.invariant_groups_ = groups
        self.invariant_weights_ = np.log((n + 1.0) / (broken + 1.0))
        self.unseen_weight_ = math.log(n + 1.0)
        self._set_threshold(self._score(seqs)[0])
        return self

    def _cut_floor(self):
        # At least one broken invariant or unseen type (each weighs >= log 2).
        return 1e-9

    # -- scoring ---------------------------------------------------------------------

    def _theta(self) -> sp.csc_matrix:
        """The invariants as columns of a sparse (types x invariants) matrix."""
        types, coefs = self.invariant_types_, self.invariant_coefs_
        r = types.shape[0]
        used = types >= 0
        cols = np.broadcast_to(np.arange(r)[:, None], types.shape)[used]
        return sp.csc_matrix(
            (coefs[used].astype(np.float64), (types[used], cols)),
            shape=(len(self.event_labels_), r),
        )

    def _counts_of(self, seqs):
        """(counts over the fitted types, counts over the types unseen in fit, their
        labels)."""
        mapping = self.event_labels_.get_indexer(seqs.event_labels)
        codes = np.asarray(seqs.events, dtype=np.int64)
        offsets = np.asarray(seqs.offsets, dtype=np.int64)
        if (mapping >= 0).all():
            known = _count_matrix(offsets, mapping[codes], len(self.event_labels_))
            empty = sp.csr_matrix((len(seqs), 0), dtype=np.int64)
            return known, empty, seqs.event_labels[:0]
        rows = np.repeat(np.arange(len(seqs)), np.diff(offsets))
        mapped = mapping[codes]
        seen = mapped >= 0
        known = sp.csr_matrix(
            (np.ones(int(seen.sum()), dtype=np.int64), (rows[seen], mapped[seen])),
            shape=(len(seqs), len(self.event_labels_)),
        )
        unseen_codes = np.flatnonzero(mapping < 0)
        position = np.full(len(mapping), -1, dtype=np.int64)
        position[unseen_codes] = np.arange(unseen_codes.size)
        unseen = sp.csr_matrix(
            (np.ones(int((~seen).sum()), dtype=np.int64), (rows[~seen], position[codes[~seen]])),
            shape=(len(seqs), unseen_codes.size),
        )
        return known, unseen, seqs.event_labels[unseen_codes]

    def _score(self, seqs):
        """Scores, and the parts explain() reads: (scores, residuals (csr, sequences x
        invariants, broken entries only), known counts, unseen counts, unseen labels)."""
        known, unseen, unseen_labels = self._counts_of(seqs)
        residuals = (known.astype(np.float64) @ self._theta()).tocsr()
        residuals.data = np.rint(residuals.data)
        residuals.eliminate_zeros()
        coo, entry = self._entry_weights(residuals)
        weight = np.bincount(coo.row, weights=entry, minlength=len(seqs)).astype(np.float64)
        weight += np.asarray((unseen > 0).sum(axis=1)).ravel() * self.unseen_weight_
        off = (
            np.asarray(abs(residuals).sum(axis=1)).ravel() + np.asarray(unseen.sum(axis=1)).ravel()
        )
        return weight + _TIE_BREAK * np.log1p(off), (coo, entry), known, unseen, unseen_labels

    def _entry_weights(self, residuals: sp.csr_matrix):
        """What each broken invariant of each sequence weighs: (the residuals as coo,
        one weight per entry; 0 where it counts for nothing), so that a score is a function of what
        the invariants say, not of which of several equivalent relations were kept.

        The invariants come in groups of equal standing (as many fitted sequences broke
        each, as many types, as large a coefficient): ``a = b``, ``a = c`` and ``b = c``
        where three types always agree. A sequence's loss in a group is the group's rank
        (modulo the relations of the groups before it) minus the rank of the members it
        still keeps: one extra 'a' (breaks a = b, a = c, keeps b = c) and one extra 'c'
        (breaks a = c, b = c, keeps a = b) both lose 1, whatever the types' names. The
        group's weight times that loss is shared among its broken members (explain's
        shares). A one-type relation of a type no other relation touches is a group of
        its own: it weighs its weight when broken."""
        coo = residuals.tocoo()
        rows, cols = coo.row.astype(np.int64), coo.col.astype(np.int64)
        out = self.invariant_weights_[cols].astype(np.float64)
        for cols_g, vectors, rank in _group_spaces(
            self.invariant_types_, self.invariant_coefs_, self.invariant_groups_
        ):
            at = np.flatnonzero(np.isin(cols, cols_g))
            if at.size == 0:
                continue
            position = np.searchsorted(cols_g, cols[at])
            who, row_of = np.unique(rows[at], return_inverse=True)
            mask = np.zeros((who.size, cols_g.size), dtype=bool)
            mask[row_of, position] = True
            patterns, pattern_of = np.unique(mask, axis=0, return_inverse=True)
            loss = np.array(
                [rank - (_rank(vectors[~pat]) if (~pat).any() else 0) for pat in patterns],
                dtype=np.float64,
            )
            per_entry = loss / patterns.sum(axis=1)
            out[at] *= per_entry[pattern_of.ravel()[row_of]]
        return coo, out

    def decision_function(self, X):
        """Score of each sequence (higher = more anomalous; 0: breaks nothing)."""
        check_is_fitted(self, "invariant_types_")
        return self._score(_check_sequences(X, "InvariantsDetector.decision_function"))[0]

    # -- words -----------------------------------------------------------------------

    @property
    def invariants_(self) -> pd.DataFrame:
        check_is_fitted(self, "invariant_types_")
        n = self.n_fitted_
        return pd.DataFrame(
            {
                "relation": [self._relation(j) for j in range(len(self.invariant_types_))],
                "types": [
                    tuple(self.event_labels_[t] for t in ts if t >= 0)
                    for ts in self.invariant_types_
                ],
                "coefficients": [
                    tuple(int(c) for c, t in zip(cs, ts) if t >= 0)
                    for cs, ts in zip(self.invariant_coefs_, self.invariant_types_)
                ],
                "support": 1.0 - self.invariant_broken_ / n,
                "weight": self.invariant_weights_,
                "group": self.invariant_groups_,
            }
        )

    def _relation(self, j: int) -> str:
        """Invariant j in words: "'close' = 'open'", "2 × 'a' = 'b' + 'c'", "no 'x'"
        (labels quoted, so that integer template ids do not read as arithmetic)."""
        types, coefs = self.invariant_types_[j], self.invariant_coefs_[j]
        terms = [(self._label(t), int(c)) for t, c in zip(types, coefs) if t >= 0]
        if len(terms) == 1:
            return f"no {terms[0][0]}"

        def side(items):
            return " + ".join(f"{abs(c)} × {name}" if abs(c) != 1 else name for name, c in items)

        left = [(name, c) for name, c in terms if c > 0]
        right = [(name, c) for name, c in terms if c < 0]
        if not right:  # a sum of positives = 0: every term is 0
            return f"{side(left)} = 0"
        return f"{side(left)} = {side(right)}"

    def _label(self, t: int) -> str:
        """Type t quoted, long labels in their short form (oddseq.utils._text.shorten)."""
        return f"'{shorten(self.event_labels_[t])}'"

    def _keeps(self, j: int, verb: str = "keep") -> str:
        """Who keeps invariant j: "every fitted sequence keeps", "99.7% of the fitted
        sequences keep", or, where the share would round to 100.0%, "all but 2 of the
        5,755 fitted sequences keep"."""
        broken, n = int(self.invariant_broken_[j]), int(self.n_fitted_)
        if broken == 0:
            return f"every fitted sequence {verb}s"
        share = f"{1.0 - broken / n:.1%}"
        if share == "100.0%":
            return f"all but {broken:,} of the {n:,} fitted sequences {verb}"
        return f"{share} of the fitted sequences {verb}"

    def explain(self, X, top=3):
        """The invariants each sequence breaks, most telling first (highest weight,
        then largest residual), at most ``top`` per sequence; sequences that break none
        have no rows. Columns: ``feature`` (the relation, "'close' = 'open'"; an event type
        unseen in fit: "no 'x'"), ``value`` (the residual: left side minus right side
        for this sequence), ``typical`` (0, what the fitted sequences keep),
        ``deviation`` (the residual), ``share`` (of the sequence's score), ``support``
        (share of the fitted sequences that keep it; 1 for an unseen type) and
        ``reason`` (in words: "2 'close' but 3 'open' (every fitted sequence keeps
        'close' = 'open')"; long labels in their short form). Indexed by (sequence id, rank)."""
        check_is_fitted(self, "invariant_types_")
        top = check_positive_int(top, "top")
        seqs = _check_sequences(X, "InvariantsDetector.explain")
        scores, (coo, entry), known, unseen, unseen_labels = self._score(seqs)
        counted = entry > 0  # broken invariants that count (see _entry_weights)
        rows = np.concatenate([coo.row[counted], unseen.tocoo().row]).astype(np.int64)
        which = np.concatenate([coo.col[counted], -1 - unseen.tocoo().col]).astype(np.int64)
        value = np.concatenate([coo.data[counted], unseen.tocoo().data.astype(np.float64)])
        weight = np.concatenate([entry[counted], np.full(unseen.nnz, self.unseen_weight_)])
        order = np.lexsort((which, -np.abs(value), -weight, rows))
        rows, which, value, weight = rows[order], which[order], value[order], weight[order]
        starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1] if rows.size else np.zeros(0, int)
        rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
        keep = rank < top
        rows, which, value, weight, rank = (a[keep] for a in (rows, which, value, weight, rank))
        total = np.maximum(scores[rows], 1e-300)
        # Each broken invariant's type counts in its sequence, gathered at once.
        # (unseen types' entries, which < 0, have none; with nothing mined there is no
        # invariant row to read at all)
        types = np.full((rows.size, self.invariant_types_.shape[1]), -1, dtype=np.int64)
        types[which >= 0] = self.invariant_types_[which[which >= 0]]
        present = types >= 0
        counts = np.zeros(types.shape, dtype=np.int64)
        if present.any():
            at = np.broadcast_to(rows[:, None], types.shape)[present]
            counts[present] = np.asarray(known.tocsr()[at, types[present]]).ravel()
        relations = [self._relation(j) for j in range(len(self.invariant_types_))]
        keeps = [self._keeps(j) for j in range(len(self.invariant_types_))]
        support = 1.0 - self.invariant_broken_ / self.n_fitted_
        features, supports, texts = [], [], []
        for e, (j, v) in enumerate(zip(which.tolist(), value.tolist())):
            if j < 0:
                label = shorten(unseen_labels[-1 - j])
                features.append(f"no '{label}'")
                supports.append(1.0)
                texts.append(f"{int(v):,} '{label}', a type no fitted sequence had")
                continue
            features.append(relations[j])
            supports.append(float(support[j]))
            texts.append(self._sentence(j, counts[e], relations[j], keeps[j]))
        frame = pd.DataFrame(
            {
                "feature": features,
                "value": value,
                "typical": np.zeros(rows.size),
                "deviation": value,
                "share": weight / total,
                "support": supports,
                "reason": texts,
            },
            index=pd.MultiIndex.from_arrays([seqs.ids.take(rows), rank + 1], names=["row", "rank"]),
        )
        return frame

    def _sentence(self, j: int, counts, relation: str, keeps: str) -> str:
        names = [
            f"{int(c):,} {self._label(t)}"
            for c, t in zip(counts, self.invariant_types_[j])
            if t >= 0
        ]
        if len(names) == 1:
            # (some fitted sequence holds the type: one no fitted sequence holds is
            # unseen, see fit)
            return f"{names[0]} ({self._keeps(j, 'have')} none)"
        if len(names) == 2:
            said = f"{names[0]} but {names[1]}"
        else:
            said = ", ".join(names[:-1]) + f" and {names[-1]}"
        return f"{said} ({keeps} {relation})"

    def reasons(self, X, top=2) -> np.ndarray:
        """One reason per sequence of X, in its order: the ``top`` invariants it breaks
        most tellingly, in words, joined by "; " ("keeps the 10 invariants of the fitted
        sequences" where it breaks none)."""
        seqs = _check_sequences(X, "InvariantsDetector.reasons")
        steps = self.explain(seqs, top=top)
        r = len(self.invariant_types_)
        kept = (
            f"keeps the {r:,} invariant{'s' if r != 1 else ''} of the fitted sequences"
            if r
            else "no invariant was mined (the fitted sequences' counts keep no relation)"
        )
        out = text_array(len(seqs), kept)
        if len(steps):
            where = pd.Index(seqs.ids).get_indexer(steps.index.get_level_values("row"))
            joined = pd.Series(steps["reason"].to_numpy()).groupby(where).agg("; ".join)
            out[joined.index.to_numpy()] = joined.to_numpy()
        return out


# -- mining ------------------------------------------------------------------------------


def _n_sets(n_types: int, max_size: int) -> int:
    """Type sets of 2 to max_size among n_types."""
    return sum(math.comb(n_types, k) for k in range(2, min(max_size, n_types) + 1))


def _count_matrix(offsets, codes, n_types: int) -> sp.csr_matrix:
    """Sequences x event types counts (int64, csr), from the sequences' codes at once."""
    offsets = np.asarray(offsets, dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    counts = sp.csr_matrix(
        (np.ones(codes.size, dtype=np.int64), codes, offsets), shape=(offsets.size - 1, n_types)
    )
    counts.sum_duplicates()
    return counts


def _null_vector(patterns: np.ndarray) -> np.ndarray | None:
    """The primitive integer vector orthogonal to 1 (size 2) or 2 (size 3+: the first
    two independent, by a cross product; larger sets by an integer null space of the
    first independent ones) patterns, first nonzero coefficient positive; None where
    the patterns leave no unique direction."""
    q = patterns.shape[1]
    first = patterns[0]
    if q == 2:
        theta = np.array([first[1], -first[0]], dtype=object)
    else:
        basis = [first]
        for p in patterns[1:]:
            if np.linalg.matrix_rank(np.array(basis + [p], dtype=np.float64)) > len(basis):
                basis.append(p)
                if len(basis) == q - 1:
                    break
        if len(basis) < q - 1:
            return None
        # The cofactors of the (q-1) x q pattern matrix: the integer null vector.
        m = np.array(basis, dtype=object)
        theta = np.array(
            [
                (-1) ** i * int(round(np.linalg.det(np.delete(m, i, axis=1).astype(np.float64))))
                for i in range(q)
            ],
            dtype=object,
        )
    divisor = 0
    for c in theta:
        divisor = math.gcd(divisor, int(c))
    if divisor == 0:
        return None
    theta = np.array([int(c) // divisor for c in theta], dtype=np.int64)
    if theta[np.flatnonzero(theta)[0]] < 0:
        theta = -theta
    return theta


def _mine(counts: sp.csr_matrix, max_size: int, support: float, max_coef: int, max_types: int):
    """The invariants of a counts matrix: (types (r x max_size, -1 padded), coefficients
    (r x max_size), sequences breaking each (r,)). See InvariantsDetector's docs."""
    n, m = counts.shape
    allowed = int(math.floor((1.0 - support) * n + 1e-9))  # sequences that may break one
    present = np.asarray((counts > 0).sum(axis=0)).ravel().astype(np.int64)
    width = max(1, max_size)
    found = []  # (broken, size, max |coef|, types tuple, coefs tuple)

    # One-type relations c(t) = 0.
    for t in np.flatnonzero(present <= allowed):
        found.append((int(present[t]), 1, 1, (int(t),), (1,)))

    # Relations among the most present types.
    mined = np.flatnonzero(present >= 2)
    mined = mined[np.lexsort((mined, -present[mined]))][:max_types]
    if mined.size > 2 and _n_sets(mined.size, max_size) > MAX_SETS:
        fewer = mined.size
        while fewer > 2 and _n_sets(fewer, max_size) > MAX_SETS:
            fewer -= 1
        warnings.warn(
            f"InvariantsDetector mines relations among the {fewer} most present event types, "
            f"not {mined.size}: at max_size={max_size} those would be "
            f"{_n_sets(mined.size, max_size):,} type sets, over the cap of {MAX_SETS:,}; "
            "lower max_size or max_types to choose yourself",
            UserWarning,
            stacklevel=3,
        )
        mined = mined[:fewer]
    mined = np.sort(mined)
    if max_size >= 2 and mined.size >= 2:
        dense = counts[:, mined].toarray()
        rows, weights = np.unique(dense, axis=0, return_counts=True)
        weights = weights.astype(np.int64)
        hashes = _HASH
        for size in range(2, min(max_size, mined.size) + 1):
            for subset in itertools.combinations(range(mined.size), size):
                cols = list(subset)
                sub = rows[:, cols]
                active = sub.any(axis=1)
                if not active.any():
                    continue
                sub, w = sub[active], weights[active]
                n_active = int(w.sum())
                may_break = min(allowed, int(math.floor((1.0 - support) * n_active + 1e-9)))
                if n_active - may_break < 2:
                    continue
                keys = sub @ hashes[:size]
                _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
                per_pattern = np.bincount(inverse.ravel(), weights=w)
                order = np.lexsort((first, -per_pattern))
                theta = _null_vector(sub[first[order[: 4 * size]]])
                if theta is None or (theta == 0).any() or np.abs(theta).max() > max_coef:
                    continue
                broken = int(w[(sub @ theta) != 0].sum())
                if broken > may_break:
                    continue
                found.append(
                    (
                        broken,
                        size,
                        int(np.abs(theta).max()),
                        tuple(int(mined[c]) for c in cols),
                        tuple(int(c) for c in theta),
                    )
                )

    # Redundancy, by groups of equal standing (as many breakers, types, as large a
    # coefficient): a candidate is kept unless it is a combination of the groups before
    # its own. Within a group every independent member is kept, not a basis chosen by
    # the types' order: a = b, a = c and b = c where three types always agree (the score
    # counts the group's rank lost, see InvariantsDetector._entry_weights).
    found.sort()
    kept = []
    in_space = np.zeros(m, dtype=bool)
    in_space[mined] = True
    basis = np.zeros((0, mined.size))  # orthonormal rows: the groups before
    for g, (_, members) in enumerate(itertools.groupby(found, key=lambda f: f[:3])):
        vectors = []
        for broken, _size, _, types, coefs in members:
            if not in_space[types[0]]:
                # a one-type relation of a type no other relation touches: independent
                kept.append((broken, types, coefs, g))
                continue
            vector = _vector(types, coefs, mined)
            residual = vector - (basis @ vector) @ basis if basis.size else vector
            if np.linalg.norm(residual) > 1e-9 * np.linalg.norm(vector):
                kept.append((broken, types, coefs, g))
                vectors.append(residual)
        if vectors:
            basis = _orthonormal(list(basis) + vectors, mined.size)
    r = len(kept)
    types_out = np.full((r, width), -1, dtype=np.int64)
    coefs_out = np.zeros((r, width), dtype=np.int64)
    broken_out = np.zeros(r, dtype=np.int64)
    groups_out = np.zeros(r, dtype=np.int64)
    for j, (broken, types, coefs, g) in enumerate(kept):
        types_out[j, : len(types)] = types
        coefs_out[j, : len(coefs)] = coefs
        broken_out[j] = broken
        groups_out[j] = g
    # group ids 0, 1, ... in order
    groups_out = np.unique(groups_out, return_inverse=True)[1].ravel().astype(np.int64)
    return types_out, coefs_out, broken_out, groups_out


def _vector(types, coefs, space: np.ndarray) -> np.ndarray:
    """A relation as a vector over ``space`` (sorted type codes)."""
    vector = np.zeros(space.size)
    vector[np.searchsorted(space, np.asarray(types, dtype=np.int64))] = coefs
    return vector


def _rank(vectors: np.ndarray) -> int:
    """Rank of relations' vectors projected off others: small-integer relations, so a
    true direction keeps a singular value far above the projections' rounding (1e-15),
    which numpy's default tolerance, relative to the largest, may count."""
    return int((np.linalg.svd(vectors, compute_uv=False) > 1e-7).sum())


def _orthonormal(vectors, dim: int) -> np.ndarray:
    """An orthonormal basis (rows) of the span of ``vectors``."""
    if not vectors:
        return np.zeros((0, dim))
    _, sv, vt = np.linalg.svd(np.array(vectors, dtype=np.float64), full_matrices=False)
    rank = int((sv > sv.max() * 1e-9).sum()) if sv.size else 0
    return vt[:rank]


def _group_spaces(types: np.ndarray, coefs: np.ndarray, groups: np.ndarray):
    """For each group of invariants touching two or more types (or a type another
    invariant touches): (its columns, its members' vectors modulo the groups before it,
    its rank modulo them). A one-type relation on a type of its own is left out (it
    weighs its own weight when broken)."""
    multi = (types >= 0).sum(axis=1) > 1
    space = distinct(types[multi][types[multi] >= 0])
    if space.size == 0:
        return []
    touches = multi | np.isin(types[:, 0], space)
    basis = np.zeros((0, space.size))
    out = []
    for g in distinct(groups[touches]):
        cols = np.flatnonzero(touches & (groups == g))
        vectors = np.array(
            [_vector(types[j][types[j] >= 0], coefs[j][types[j] >= 0], space) for j in cols]
        )
        if basis.size:
            vectors = vectors - (vectors @ basis.T) @ basis
        rank = _rank(vectors) if vectors.size else 0
        out.append((cols, vectors, rank))
        basis = _orthonormal(list(basis) + list(vectors), space.size)
    return out
