"""Isolation Forest (Liu, Ting & Zhou 2008) and the Extended Isolation Forest (Hariri,
Kind & Brunner 2019); trees are built and rows scored in C++."""

from __future__ import annotations

import hashlib
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _core
from ..utils._params import Boolean, Integer, Threads
from ..utils._validation import (
    check_random_state,
    resolve_threads,
    validate_matrix,
)
from ._base import BaseDetector, Explanation, TrainingStats

__all__ = ["IsolationForest", "average_path_length"]

_SEED_LIMIT = np.iinfo(np.int32).max
_STATS_ROWS = 100_000  # training rows kept for explain()'s medians and spreads
# The stream of explain()'s rows: a draw of its own (C++ iforest_draw_rows, as tree 0 of
# the seed mixed with this), apart from the trees'.
_STATS_SALT = 0x5354415453524F57
# Above _STATS_ROWS rows the fit keys the rows once for the trees' draws and explain()'s:
# the trees' rows drawn here and given to the C++ fit, where they hold at most this many
# row numbers (else the C++ fit draws them in batches, keying the rows again).
_GIVEN_DRAWS = 1 << 22
_FOREST_KEYS = ("tree_offsets", "features", "left", "split", "threshold", "n_samples", "normals")


def average_path_length(n):
    """c(n), the average path length of an unsuccessful search in a binary search tree of
    ``n`` points: the expected depth that normalises isolation path lengths.

    ``2 (ln(n - 1) + γ) - 2 (n - 1) / n``, with c(n) = 0 for n <= 1 and c(2) = 1 (the
    same values as scikit-learn's).

    Examples
    --------
    >>> [round(float(v), 4) for v in average_path_length([1, 2, 256])]
    [0.0, 1.0, 10.2448]
    """
    n = np.asarray(n, dtype=np.float64)
    return _core.iforest_average_path_length(np.ascontiguousarray(n.ravel())).reshape(n.shape)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _count_or_share(value, total: int, name: str, unit: str, other: str) -> int:
    """``value`` as a count of ``total`` ``unit``: an int in [1, total], or a float share
    in (0, 1] of them (at least one); ``other`` names any other accepted value."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if not 1 <= value <= total:
            raise ValueError(
                f"{name}={value} is out of range: X has {total} {unit}; pass an int in "
                f"[1, {total}]{',' if other else ' or'} a share in (0, 1]{other}"
            )
        return int(value)
    if _is_real(value):
        if not 0 < value <= 1:
            raise ValueError(
                f"{name} as a float is a share of the {unit} and must be in (0, 1], got "
                f"{value}; pass an int for a count"
            )
        return max(1, int(value * total))
    what = "'auto', an int" if other else "an int"
    raise TypeError(f"{name} must be {what} or a float, got {value!r}")


def _content_keys(X, threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's hash and copy number and the columns' keys, as C++ iforest_fit keys its
    draws: the columns' refined keys (kmeans_column_keys, then iforest_column_keys over
    the rows' hashes by those), the rows' hashes by them, and copies numbered in row
    order among identical rows; the values rounded by X's kmeans_key_floors, the rows'
    hashes those the draws read (kmeans_draw_hashes: near-equal rows told apart)."""
    floors = _core.kmeans_key_floors(X, threads)
    keys = _core.kmeans_column_keys(X, threads, floors=floors)
    hashes = _core.kmeans_row_hashes(X, keys, threads, floors=floors)
    refined = _core.iforest_column_keys(X, hashes, threads, floors=floors)
    hashes = _core.kmeans_draw_hashes(X, refined, threads, floors=floors)
    return hashes, _core.iforest_copy_numbers(X, hashes, threads), refined


def tied_columns(X, threads: int, keys=None) -> list[np.ndarray]:
    """The groups of two or more columns of X identical on every row (ascending column
    numbers, groups by their first): the columns of one content key (``keys``, default
    ``_core.kmeans_column_keys``), then of one digest of their values, each compared
    with its group's first (one pass over the candidates, however many share a key:
    types seen once each share a multiset of values; zeros of either sign as one). The
    same groups, the columns renumbered, whatever the columns' order."""
    if X.shape[0] == 0 or X.shape[1] < 2:
        return []
    keys = np.asarray(_core.kmeans_column_keys(X, threads) if keys is None else keys)
    order = np.argsort(keys, kind="stable")
    starts = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1]])
    groups = []
    for run in np.split(order, starts[1:]):
        if run.size < 2:
            continue
        by_digest: dict = {}
        for j in run.tolist():
            # (+ 0.0: -0.0 is 0.0, as array_equal and the trees' comparisons see it)
            values = (np.ascontiguousarray(X[:, j]) + 0.0).tobytes()
            by_digest.setdefault(hashlib.blake2b(values, digest_size=16).digest(), []).append(j)
        for first, *found in by_digest.values():
            same = [first] + [j for j in found if np.array_equal(X[:, j], X[:, first])]
            if len(same) > 1:
                groups.append(np.sort(np.asarray(same, dtype=np.int64)))
    return sorted(groups, key=lambda g: int(g[0]))


def group_centres(train, groups) -> list[float]:
    """Each group's (:func:`tied_columns`) fitted centre: the median of ``train`` (the
    rows kept for explain(), ``median_``'s) in its first column; its members are equal
    on every fitted row, so any member's."""
    return [float(np.median(np.asarray(train[:, cols[0]], dtype=np.float64))) for cols in groups]


def _farthest(values, centre) -> np.ndarray:
    """Where in each row of ``values`` (a group's columns) the members farthest from
    ``centre`` lie (all of them where they agree)."""
    away = np.abs(values - centre)
    return away == away.max(axis=1, keepdims=True)


def as_one_feature(X, groups, centres) -> np.ndarray:
    """X as the forest reads it where ``groups`` of columns were identical over the fitted
    rows (:func:`tied_columns`; ``centres``: :func:`group_centres`): each group's columns
    hold, in every row, the group's value, float64: theirs where they agree, else the
    member's farthest from the group's fitted centre (of two as far, the larger). A tree
    drew one of them by its position among columns of one content key, which follows
    the names; each reads the same, so a split on the group sees the row's largest
    departure in it whole (not divided by the group's size, nor cancelled by a member
    departing the other way), whatever the names. X itself where every group agrees."""
    departs = [
        (cols, centre)
        for cols, centre in zip(groups, centres)
        if (X[:, cols[1:]] != X[:, cols[:1]]).any()
    ]
    if not departs:
        return X
    X = np.array(X, dtype=np.float64)
    for cols, centre in departs:
        values = X[:, cols]
        read = np.where(_farthest(values, centre), values, -np.inf).max(axis=1)
        X[:, cols] = read[:, None]
    return X


def _credit_departed(contribution, X, groups, centres) -> np.ndarray:
    """``contribution`` (changed in place) with each group's (:func:`as_one_feature`)
    credited to the members whose value lies farthest from the group's fitted centre,
    the one the forest read among them, in equal parts (all of them where they agree):
    the tree's split named one member by its position, which follows the names."""
    for cols, centre in zip(groups, centres):
        credit = np.sort(contribution[:, cols], axis=1).sum(axis=1)
        farthest = _farthest(X[:, cols], centre)
        contribution[:, cols] = farthest * (credit / farthest.sum(axis=1))[:, None]
    return contribution


def _stats_seed(seed: int) -> int:
    """The seed of explain()'s rows' draw (C++ iforest_draw_rows, one tree): the fit's
    mixed with _STATS_SALT, so its stream is none of the trees'."""
    return int(seed) ^ _STATS_SALT


def _stats_rows_by_keys(X, hashes, copies, seed: int, threads: int) -> np.ndarray:
    """The training rows kept for explain()'s medians and spreads where there are more
    than _STATS_ROWS, sorted: the _STATS_ROWS of smallest key in a draw keyed by the
    rows' content as the trees' rows are (``hashes`` and ``copies``,
    ``_content_keys``), from ``seed`` (``_stats_seed``): the same rows whatever their
    order."""
    return _smallest_keyed_rows(X, hashes, copies, _STATS_ROWS, _stats_seed(seed), threads)


def _smallest_keyed_rows(X, hashes, copies, size: int, seed: int, threads: int) -> np.ndarray:
    """The ``size`` rows of smallest key (all where fewer) in one draw (C++
    iforest_draw_rows, one tree of ``seed``) keyed by the rows' content (``hashes`` and
    ``copies``, ``_content_keys``), sorted."""
    _, rows = _core.iforest_draw_rows(X, hashes, copies, 1, size, seed, threads)
    return np.sort(rows[0])


def rows_by_content(X, size: int, seed: int, threads: int) -> np.ndarray:
    """``size`` rows of ``X`` (all where fewer), sorted, drawn by their content as an
    isolation tree's rows are (``_content_keys``: values rounded, copies of a row drawn
    apart) from ``seed``: the same rows whatever the rows' order, and no random
    generator advanced. The not-normal check's part of a large normal log."""
    hashes, copies, _ = _content_keys(X, threads)
    return _smallest_keyed_rows(X, hashes, copies, size, seed, threads)


class IsolationForest(TrainingStats, BaseDetector):
    """Isolation Forest: how few random cuts it takes to isolate a row.

    Each tree is grown on ``max_samples`` rows drawn without replacement by cutting a
    random feature at a random value between its minimum and maximum in the node (or,
    with ``extended=True``, by a random hyperplane through the node's bounding box), to
    depth ceil(log2(max_samples)). Anomalies are isolated close to the root. A row's score
    is ``2 ** (-E[h(x)] / c(max_samples))``: E[h(x)] its path length averaged over the
    trees, with c(size) added at a leaf that still holds ``size`` training rows, and c()
    the :func:`average_path_length`. Scores lie in (0, 1]; near 1 is anomalous, well below
    0.5 normal. ``decision_function`` equals scikit-learn's ``-score_samples``.

    Trees are built in parallel, each from its own seed derived from ``random_state``
    and its index, so the forest and every score are the same for any ``n_threads``.
    Each tree's rows and features are drawn by keys from their content, not their
    position: a row's key hashes its values (each column keyed by its content; the
    values rounded to 17 significant bits, so that a sum's last bit draws nothing else,
    rows equal to that rounding told apart by their exact values) and its number among
    the rows identical to it, and a tree takes the ``max_samples`` rows of
    smallest key (a uniform draw without replacement, copies of a row drawn apart);
    its features are the columns of smallest key. So reordering the rows (renamed
    entities) or the columns (relabelled event types) grows the same forest and gives
    the same scores, bit for bit (but for rows or columns no content tells apart: a
    symmetry of the table, where the draw follows the column order). Columns identical
    on every fitted row (event types that always come together) are such a tie: a split
    names whichever of them the column order puts there, so they are read as one
    feature, the group's value (theirs where they agree, else the member's farthest
    from the group's training median, of two as far the larger): a split on it sees a
    scored row's largest departure among them whole, whatever the names, and the
    fitted rows score as they would without it.

    Parameters
    ----------
    n_estimators : int, default=100
        Number of trees.
    max_samples : "auto", int or float, default="auto"
        Rows per tree: "auto" is min(256, n_samples), an int a count in [1, n_samples], a
        float a share of n_samples in (0, 1].
    max_features : int or float, default=1.0
        Features per tree: an int a count in [1, n_features], a float a share in (0, 1]
        (at least one feature).
    extended : bool, default=False
        Cut by random hyperplanes over the tree's features (the Extended Isolation Forest
        at full extension level), which removes the axis-parallel artefacts of the score
        map; stores n_features weights per split.
    contamination : float in (0, 0.5] or "auto", default="auto"
        "auto" flags scores above 0.5, the cut of the paper and of scikit-learn's
        ``offset_ = -0.5`` (in place of :class:`BaseDetector`'s default rule); a float flags
        that share of the training rows.
    random_state : int, RandomState or None, default=None
    n_threads : int or None, default=None
        None uses every core.

    Attributes
    ----------
    max_samples_ : int
        Rows per tree.
    n_features_per_tree_ : int
    forest_ : dict of ndarray
        The trees as flat arrays: ``tree_offsets`` (first node of each tree), ``features``
        (n_estimators, n_features_per_tree_) used by each tree, per node ``left`` (left
        child within the tree, right = left + 1, -1 at a leaf), ``split`` (the feature, or
        the row of ``normals`` when extended), ``threshold`` (go left when the value is <=
        it) and ``n_samples`` (training rows in the node), and ``normals`` (the
        hyperplanes' weights over the tree's features).
    median_, feature_scale_ : ndarray of shape (n_features,)
        Training median and robust spread per feature (:meth:`explain`), computed on
        first use from the training rows the detector keeps for it: all of them up to
        100,000, else a random 100,000 drawn by the rows' content keys, as the trees'
        rows are (a median's error is then under 1% of a spread; the same rows, so the
        same reasons, whatever the rows' order).
    decision_scores_, labels_, threshold_ : PyOD's fitted attributes

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(500, 3)), [[0.0, 8.0, 0.0]]])
    >>> det = IsolationForest(random_state=1).fit(X)
    >>> top = np.quantile(det.decision_scores_, 0.99)  # (x[73], far on two axes, vies)
    >>> bool(det.labels_[500]), bool(det.decision_scores_[500] > top)
    (True, True)
    >>> det.explain(X[-1:], top=1)["feature"].tolist()
    ['x1']
    """

    _parameter_checks = {
        **BaseDetector._parameter_checks,
        "n_estimators": Integer(1),
        "extended": Boolean(),
        "n_threads": Threads(),
    }

    def __init__(
        self,
        n_estimators=100,
        *,
        max_samples="auto",
        max_features=1.0,
        extended=False,
        contamination="auto",
        random_state=None,
        n_threads=None,
    ):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_features = max_features
        self.extended = extended
        self.contamination = contamination
        self.random_state = random_state
        self.n_threads = n_threads

    def _resolve_sizes(self, n: int, d: int) -> tuple[int, int]:
        samples = self.max_samples
        if isinstance(samples, str):
            if samples != "auto":
                raise ValueError(
                    f"max_samples must be 'auto', an int or a float in (0, 1], got {samples!r}"
                )
            rows = min(256, n)
        else:
            rows = _count_or_share(samples, n, "max_samples", "rows", " or 'auto'")
        cols = _count_or_share(self.max_features, d, "max_features", "features", "")
        return rows, cols

    def fit(self, X, y=None):
        params = self._validate_params()
        n_estimators, threads = params["n_estimators"], params["n_threads"]
        X = validate_matrix(self, X, reset=True)
        rows, cols = self._resolve_sizes(*X.shape)
        seed = int(check_random_state(self.random_state).randint(_SEED_LIMIT))
        extended = bool(self.extended)
        if X.shape[0] > _STATS_ROWS:
            # Kept for explain(): the training medians and spreads are computed when first
            # asked for (three medians per feature cost twice the scoring of the rows),
            # from _STATS_ROWS rows drawn by their content keys, so that memory stays
            # bounded; the trees' rows drawn by the same keys where they are few.
            hashes, copies, column_keys = _content_keys(X, threads)
            tied = tied_columns(X, threads, column_keys)
            if n_estimators * rows <= _GIVEN_DRAWS:
                _, tree_rows = _core.iforest_draw_rows(
                    X, hashes, copies, n_estimators, rows, seed, threads
                )
                trees = _core.iforest_fit(
                    X,
                    n_estimators,
                    rows,
                    cols,
                    extended,
                    seed,
                    threads,
                    tree_rows=tree_rows,
                    column_keys=column_keys,
                )
            else:
                trees = _core.iforest_fit(X, n_estimators, rows, cols, extended, seed, threads)
            kept = _stats_rows_by_keys(X, hashes, copies, seed, threads)
        else:
            trees = _core.iforest_fit(X, n_estimators, rows, cols, extended, seed, threads)
            kept, tied = np.arange(X.shape[0]), None
        self._set_forest(trees, rows, cols, X[kept], tied)
        # (the groups agree on every fitted row: X as the forest reads it)
        self._set_threshold(self._score(X, explain=False, read=X).scores)
        return self

    def _stats_rows(self):
        check_is_fitted(self, "forest_")
        return self._train

    def _set_forest(self, trees, rows: int, cols: int, train: np.ndarray, tied=None) -> None:
        """The fitted state from ``_core.iforest_fit``'s trees, with ``train`` the rows
        kept for explain() (``_stats_rows_by_keys``) and ``tied`` the groups of columns
        identical over the fitted rows (:func:`tied_columns`; None: over ``train``, all
        the fitted rows up to _STATS_ROWS); fit's and oddseq.dask's."""
        self.max_samples_ = rows
        self.n_features_per_tree_ = cols
        self.forest_ = {key: getattr(trees, key) for key in _FOREST_KEYS}
        self._train = train
        self._feature_stats = None
        threads = resolve_threads(self.n_threads)
        self._tied = tied_columns(train, threads) if tied is None else list(tied)
        self._tied_centres = group_centres(train, self._tied)

    natural_cut = True  # (BaseDetector.natural_cut)

    def _auto_threshold(self, scores):
        # The paper's and scikit-learn's cut: s > 0.5 is anomalous.
        return 0.5

    # Groups of columns identical over the fitted rows (tied_columns); none in a model
    # saved before they were kept.
    _tied: list = []

    # Their fitted centres (group_centres); None in a model saved before they were kept.
    _tied_centres: list | None = None

    def _centres(self) -> list:
        """The groups' fitted centres (:func:`group_centres`), from the kept rows where a
        model saved before they were kept has groups."""
        if self._tied_centres is None or len(self._tied_centres) != len(self._tied):
            self._tied_centres = group_centres(self._train, self._tied) if self._tied else []
        return self._tied_centres

    def _score(self, X, *, explain: bool, read=None):
        """The C++ scores of X as the forest reads it (``read``, default
        ``as_one_feature(X, ...)``): ``_core.IForestScores`` (scores, contributions)."""
        forest = _core.IForestView(
            **{key: self.forest_[key] for key in _FOREST_KEYS},
            n_features=self.n_features_in_,
            max_samples=self.max_samples_,
            extended=bool(self.extended),
        )
        read = as_one_feature(X, self._tied, self._centres()) if read is None else read
        return _core.iforest_score(read, forest, explain, resolve_threads(self.n_threads))

    def decision_function(self, X):
        """Anomaly score in (0, 1] per row (scikit-learn's ``-score_samples``); above 0.5
        is anomalous by the paper's rule."""
        check_is_fitted(self, "forest_")
        X = validate_matrix(self, X, reset=False)
        return self._score(X, explain=False).scores

    def _explain(self, X) -> Explanation:
        """The features whose cuts isolated each row.

        Along the row's path in every tree, each split credits its feature with
        log2(rows at the node / rows in the child the row went to) (an empty child counts
        as one row): how much that cut shrank the row's remaining population (a
        DIFFI-like importance; a hyperplane shares its credit by the squared weights).
        Contributions are averaged over trees; a group of columns read as one feature
        gives its credit to those of them farthest from the group's training median, the
        one read among them (in equal parts);
        ``typical`` is the training median and ``deviation`` is in robust spreads of the
        feature.
        """
        centres = self._centres()
        read = as_one_feature(X, self._tied, centres)
        contribution = self._score(X, explain=True, read=read).contributions
        X = X.astype(np.float64, copy=False)
        if len(self._tied):  # each group's credit to the members that departed
            contribution = _credit_departed(np.array(contribution), X, self._tied, centres)
        typical = np.broadcast_to(self.median_, X.shape)
        return Explanation(X, typical, contribution, self.feature_scale_)
