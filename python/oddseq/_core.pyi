"""Type stubs for the C++ extension (internal: use the oddseq package)."""

from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray

class Nearest:
    """Each row's nearest centre at one SIMD level (simd_nearest)."""
    @property
    def labels(self) -> NDArray[np.int32]: ...
    @property
    def best(self) -> NDArray[np.floating]: ...
    @property
    def second(self) -> NDArray[np.floating]: ...

class Factorization:
    """Codes of int64 values and the distinct values (factorize_int64)."""
    @property
    def codes(self) -> NDArray[np.int64] | NDArray[np.int32]: ...
    @property
    def uniques(self) -> NDArray[np.int64]: ...

class RangeIndex:
    """Ranges laid out one after another (ranges_to_index)."""
    @property
    def offsets(self) -> NDArray[np.int64]: ...
    @property
    def index(self) -> NDArray[np.int64]: ...

class Neighbors:
    """Each query's k nearest rows (KdTree.knn, knn_self)."""
    @property
    def distances(self) -> NDArray[np.float64]: ...
    @property
    def indices(self) -> NDArray[np.int64]: ...

class Bipartite:
    """The entity-object graph by row (build_bipartite); the time fields are None without times."""
    @property
    def offsets(self) -> NDArray[np.int64]: ...
    @property
    def cols(self) -> NDArray[np.int32] | NDArray[np.int64]: ...
    @property
    def counts(self) -> NDArray[np.int64]: ...
    @property
    def first_time(self) -> NDArray[np.int64] | None: ...
    @property
    def last_time(self) -> NDArray[np.int64] | None: ...

class ByObject:
    """Events' key slots by object (events_by_object); no bins: codes, bin_counts None."""
    @property
    def offsets(self) -> NDArray[np.int64]: ...
    @property
    def rows(self) -> NDArray[np.int32]: ...
    @property
    def codes(self) -> NDArray[np.uint32] | None: ...
    @property
    def bin_counts(self) -> NDArray[np.int64] | None: ...

class TimeBins:
    """The events' times in two staggered binnings from t0 (events_by_object)."""
    def __init__(
        self, *, times: NDArray[np.int64], t0: int, window: int, half: int, n_bins: int
    ) -> None: ...
    @property
    def t0(self) -> int: ...
    @property
    def window(self) -> int: ...
    @property
    def half(self) -> int: ...
    @property
    def n_bins(self) -> int: ...

class DenseBlock:
    """The densest block one peeling found (peel_densest)."""
    @property
    def rows(self) -> NDArray[np.int64]: ...
    @property
    def cols(self) -> NDArray[np.int64]: ...
    @property
    def row_edges(self) -> NDArray[np.int64]: ...
    @property
    def col_edges(self) -> NDArray[np.int64]: ...
    @property
    def weight(self) -> float: ...
    @property
    def density(self) -> float: ...
    @property
    def n_edges(self) -> int: ...
    @property
    def n_nodes(self) -> int: ...

class LockstepColumns:
    """The lockstep graph's degrees and candidate columns (lockstep_columns)."""
    @property
    def object_degree(self) -> NDArray[np.int64]: ...
    @property
    def row_degree(self) -> NDArray[np.int64]: ...
    @property
    def n_edges(self) -> int: ...
    @property
    def n_columns(self) -> int: ...
    @property
    def col_object(self) -> NDArray[np.int64]: ...
    @property
    def col_slot(self) -> NDArray[np.int64]: ...
    @property
    def col_degree(self) -> NDArray[np.int64]: ...
    @property
    def col_expected(self) -> NDArray[np.float64]: ...
    @property
    def member_offsets(self) -> NDArray[np.int64]: ...
    @property
    def members(self) -> NDArray[np.int32]: ...

class Transposed:
    """A CSR graph by column (graph_transpose)."""
    @property
    def col_offsets(self) -> NDArray[np.int64]: ...
    @property
    def row_of(self) -> NDArray[np.int32] | NDArray[np.int64]: ...

class DistinctRows:
    """Each object's distinct rows (distinct_rows)."""
    @property
    def offsets(self) -> NDArray[np.int64]: ...
    @property
    def rows(self) -> NDArray[np.int32]: ...

def simd_level() -> str: ...
def simd_best_supported() -> str: ...
def simd_is_supported(level: str) -> bool: ...
def simd_l1_u8(q: NDArray[np.uint8], rows: NDArray[np.uint8], level: str) -> NDArray[np.uint32]: ...
def simd_l1_u8x16_within(
    q: NDArray[np.uint8], rows: NDArray[np.uint8], limit: int, level: str
) -> NDArray[np.bool_]: ...
def simd_sqdist(a: NDArray[np.floating], b: NDArray[np.floating], level: str) -> float: ...
def simd_dot(a: NDArray[np.floating], b: NDArray[np.floating], level: str) -> float: ...
def simd_nearest(
    x: NDArray[np.floating],
    centers: NDArray[np.floating],
    level: str,
    mu: NDArray[np.floating] | None = None,
) -> Nearest: ...
def simd_grid_limbs(
    x: NDArray[np.floating], weight: float, shifts: NDArray[np.int32], level: str
) -> NDArray[np.int64]: ...
def simd_moment_sums(
    x: NDArray[np.floating], exps: NDArray[np.int64], level: str
) -> NDArray[np.float64]: ...
def simd_grid_slices(
    x: NDArray[np.floating], exps: NDArray[np.int64], level: str
) -> NDArray[np.float64]: ...
def simd_block_distances(
    q: NDArray[np.float64], points: NDArray[np.float64], reduction: str, level: str
) -> NDArray[np.float64]: ...
def simd_screen(
    x: NDArray[np.float32], points: NDArray[np.float32], limits: NDArray[np.float32], level: str
) -> NDArray[np.bool_]: ...

class ExactMomentSums:
    """Integer sums of X's values on the columns' grids (exact_moment_sums)."""
    @property
    def n(self) -> int: ...
    @property
    def sums(self) -> NDArray[np.int64]: ...
    @property
    def products(self) -> NDArray[np.int64]: ...

def exact_moment_sums(
    x: NDArray[np.floating], exps: NDArray[np.int64], n_threads: int
) -> ExactMomentSums: ...
def block_pool_enter() -> object: ...
def block_pool_leave(token: object) -> None: ...
def block_pool_stats() -> dict[str, int]: ...
def column_max_abs(x: NDArray[np.floating]) -> NDArray[np.float64]: ...
def column_median_mad(
    x: NDArray[np.float64], n_threads: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def exact_grid_slices(x: NDArray[np.floating], exps: NDArray[np.int64]) -> NDArray[np.float64]: ...
def factorize_int64(
    values: NDArray[np.int64], n_threads: int, sort: bool = False
) -> Factorization: ...
def factorize_int64_to_int32(
    values: NDArray[np.int64], n_threads: int, sort: bool = False
) -> Factorization: ...
def group_rows(
    codes: NDArray[np.int64],
    code_map: NDArray[np.int64] | None,
    n_entities: int,
    times: NDArray[np.int64] | None,
    n_threads: int,
    carried: list[np.ndarray] = ...,
    with_order: bool = True,
) -> Grouping: ...
def gather(src: NDArray, index: NDArray[np.int64], n_threads: int) -> NDArray: ...
def split_by_gap(
    offsets: NDArray[np.int64], times: NDArray[np.int64], max_gap: int, n_threads: int
) -> SessionSplit: ...
def count_windows(offsets: NDArray[np.int64], length: int, stride: int) -> Windows: ...
def time_windows(
    offsets: NDArray[np.int64], times: NDArray[np.int64], width: int, step: int, n_threads: int
) -> Windows: ...
def ranges_to_index(
    starts: NDArray[np.int64], stops: NDArray[np.int64], n_threads: int
) -> RangeIndex: ...
def count_timing_features(
    offsets: NDArray[np.int64],
    events: NDArray[np.int32],
    n_event_types: int,
    times: NDArray[np.int64] | None,
    n_threads: int,
) -> NDArray[np.float32]: ...

class LocalTime:
    """An hourly table of UTC offsets in seconds from first_hour (hours since the
    epoch); hours outside it take the nearest entry."""
    def __init__(self, *, utc_offset_s: NDArray[np.int64], first_hour: int) -> None: ...
    @property
    def first_hour(self) -> int: ...
    @property
    def n_hours(self) -> int: ...

class AutomationParams:
    """AutomationEncoder's settings: the repeat and period tolerances, the
    autocorrelation's largest lag and the human think time."""
    def __init__(
        self,
        *,
        repeat_tolerance_ns: int,
        period_tolerance: float,
        max_lag: int,
        think_time_ns: int,
    ) -> None: ...
    @property
    def repeat_tolerance_ns(self) -> int: ...
    @property
    def period_tolerance(self) -> float: ...
    @property
    def max_lag(self) -> int: ...
    @property
    def think_time_ns(self) -> int: ...

def automation_features(
    sequences: SequencesView, local_time: LocalTime, params: AutomationParams, n_threads: int
) -> NDArray[np.float32]: ...
def kmeans_plusplus(
    x: NDArray[np.floating],
    sample_weight: NDArray[np.floating] | None,
    k: int,
    seed: int,
    n_local_trials: int,
    n_threads: int,
) -> NDArray[np.int64]: ...
def kmeans_race(
    x: NDArray[np.floating],
    hashes: NDArray[np.uint64],
    group_weight: NDArray[np.float64] | None,
    closest: NDArray[np.float64] | None,
    seed: int,
    step: int,
    m: int,
    n_threads: int,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]: ...
def kmeans_key_floors(x: NDArray[np.floating], n_threads: int) -> NDArray[np.float64]:
    """Each column's floor, below which the draws' keys read a value as 0 (2^-40 of the
    column's largest magnitude, to a power of two; a data set cut into parts has the
    largest of its parts')."""

def kmeans_column_keys(
    x: NDArray[np.floating],
    n_threads: int,
    *,
    floors: NDArray[np.float64] | None = None,
    rounded: bool = True,
) -> NDArray[np.uint64]:
    """Each column's key by its values (wrapping sums over the rows). rounded: the values
    as the draws key them (17 significant bits, 0 below the column's floor: floors,
    default these rows' kmeans_key_floors); False: their exact bits."""

def kmeans_row_hashes(
    x: NDArray[np.floating],
    keys: NDArray[np.uint64],
    n_threads: int,
    *,
    floors: NDArray[np.float64] | None = None,
    rounded: bool = True,
) -> NDArray[np.uint64]:
    """Each row's hash by its values and the column keys (floors and rounded as for
    kmeans_column_keys)."""

def kmeans_draw_hashes(
    x: NDArray[np.floating],
    keys: NDArray[np.uint64],
    n_threads: int,
    *,
    floors: NDArray[np.float64] | None = None,
) -> NDArray[np.uint64]:
    """The hashes the draws read: kmeans_row_hashes (rounded), the exact rows sharing one
    numbered by their exact hash under the same keys, then their values, each after the
    first told apart (kmeans_near_tie_hashes)."""

def kmeans_near_tie_hashes(
    hashes: NDArray[np.uint64], numbers: NDArray[np.uint64]
) -> NDArray[np.uint64]:
    """Each rounded row hash told apart for its exact row's number among the rows sharing
    it (0 keeps it)."""

def kmeans_fit(
    x: NDArray[np.floating],
    sample_weight: NDArray[np.floating] | None,
    centers: NDArray[np.floating],
    max_iter: int,
    tol: float,
    algorithm: str,
    n_threads: int,
) -> KMeansRun: ...
def assign_nearest(
    x: NDArray[np.floating], centers: NDArray[np.floating], n_threads: int
) -> Assignment: ...
def kmeans_fixed_shifts(max_abs: NDArray[np.float64], n: int) -> NDArray[np.int32]: ...
def kmeans_cluster_sums(
    x: NDArray[np.floating],
    labels: NDArray[np.int32],
    n_clusters: int,
    shifts: NDArray[np.int32],
    n_threads: int,
) -> ClusterSums: ...
def kmeans_centres_from_sums(
    hi: NDArray[np.int64],
    lo: NDArray[np.uint64],
    weights: NDArray[np.float64],
    shifts: NDArray[np.int32],
    centers: NDArray[np.floating],
) -> NDArray[np.floating]: ...

class DbscanParams:
    """DBSCAN's settings for the core (read-only once made)."""
    def __init__(
        self,
        *,
        eps: float,
        min_samples: float,
        metric: str = "euclidean",
        algorithm: Literal["auto", "grid", "kdtree", "brute"] = "auto",
        leaf_size: int = 32,
    ) -> None: ...
    @property
    def eps(self) -> float: ...
    @property
    def min_samples(self) -> float: ...
    @property
    def metric(self) -> str: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def leaf_size(self) -> int: ...

def dbscan(
    x: NDArray[np.float64],
    sample_weight: NDArray[np.float64] | None,
    params: DbscanParams,
    n_threads: int,
) -> DbscanRun: ...
def dbscan_assign(
    core_points: NDArray[np.float64],
    core_labels: NDArray[np.int64],
    x: NDArray[np.float64],
    eps: float,
    metric: str,
    n_threads: int,
) -> NDArray[np.int64]: ...

# Results read by name (read-only attributes), never by position.
class KMeansRun:
    """One K-means run from initial centres (kmeans_fit)."""
    @property
    def centers(self) -> NDArray[np.floating]: ...
    @property
    def labels(self) -> NDArray[np.int32]: ...
    @property
    def inertia(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def converged(self) -> bool: ...

class Assignment:
    """Each row's nearest centre (assign_nearest)."""
    @property
    def labels(self) -> NDArray[np.int32]: ...
    @property
    def sq_dist(self) -> NDArray[np.floating]: ...

class ClusterSums:
    """Exact per-cluster sums of rows (kmeans_cluster_sums): each sum is hi * 2**64 + lo
    on the columns' fixed-point grids."""
    @property
    def hi(self) -> NDArray[np.int64]: ...
    @property
    def lo(self) -> NDArray[np.uint64]: ...
    @property
    def members(self) -> NDArray[np.int64]: ...

class MiniBatchStep:
    """One mini-batch K-means step (minibatch_step)."""
    @property
    def labels(self) -> NDArray[np.int32]: ...
    @property
    def inertia(self) -> float: ...
    @property
    def moved(self) -> float: ...

class DbscanRun:
    """A DBSCAN clustering (dbscan)."""
    @property
    def labels(self) -> NDArray[np.int64]: ...
    @property
    def is_core(self) -> NDArray[np.bool_]: ...
    @property
    def n_clusters(self) -> int: ...
    @property
    def algorithm(self) -> str: ...

class PcaRun:
    """A principal component analysis (pca_fit)."""
    @property
    def mean(self) -> NDArray[np.float64]: ...
    @property
    def components(self) -> NDArray[np.float64]: ...
    @property
    def explained_variance(self) -> NDArray[np.float64]: ...
    @property
    def total_variance(self) -> float: ...

class Grouping:
    """Rows grouped by entity (group_rows)."""
    @property
    def order(self) -> NDArray[np.int64] | None: ...
    @property
    def offsets(self) -> NDArray[np.int64]: ...
    @property
    def sorted_times(self) -> NDArray[np.int64] | None: ...
    @property
    def carried(self) -> list[np.ndarray]: ...

class SessionSplit:
    """Sequences cut at long gaps (split_by_gap)."""
    @property
    def offsets(self) -> NDArray[np.int64]: ...
    @property
    def parent(self) -> NDArray[np.int64]: ...
    @property
    def session_number(self) -> NDArray[np.int64]: ...

class Windows:
    """Windows of sequences (count_windows, time_windows)."""
    @property
    def starts(self) -> NDArray[np.int64]: ...
    @property
    def stops(self) -> NDArray[np.int64]: ...
    @property
    def parent(self) -> NDArray[np.int64]: ...
    @property
    def origin(self) -> NDArray[np.int64]: ...

class MarkovSteps:
    """Each step's surprisal and prediction (MarkovModel.explain)."""
    @property
    def positions(self) -> NDArray[np.int64]: ...
    @property
    def surprisal(self) -> NDArray[np.float64]: ...
    @property
    def rank(self) -> NDArray[np.int32]: ...
    @property
    def likely(self) -> NDArray[np.int32]: ...

class NgramKeys:
    """The n-grams of each sequence as hashes (ngram_keys)."""
    @property
    def keys(self) -> NDArray[np.int64]: ...
    @property
    def positions(self) -> NDArray[np.int64]: ...
    @property
    def lengths(self) -> NDArray[np.int32]: ...

class SparseCounts:
    """CSR counts of n-grams (ngram_counts)."""
    @property
    def indptr(self) -> NDArray[np.int64]: ...
    @property
    def indices(self) -> NDArray[np.int32]: ...
    @property
    def data(self) -> NDArray[np.float32]: ...

class NgramParams:
    """The n-grams to read (n_min..n_max elements, hashed by element_hash) and the
    columns to count them into: the sorted vocabulary (plus one for unseen n-grams with
    count_unseen) or, with hash_width > 0, that many hashed columns."""
    def __init__(
        self,
        *,
        element_hash: NDArray[np.uint64],
        n_min: int,
        n_max: int,
        vocabulary: NDArray[np.int64] | None = None,
        count_unseen: bool = False,
        hash_width: int = 0,
    ) -> None: ...
    @property
    def n_min(self) -> int: ...
    @property
    def n_max(self) -> int: ...
    @property
    def count_unseen(self) -> bool: ...
    @property
    def hash_width(self) -> int: ...

class KdTree:
    def __init__(
        self,
        x: NDArray[np.float64],
        metric: str,
        leaf_size: int,
        n_threads: int,
        frame: str = "automatic",
    ) -> None: ...
    @property
    def size(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def rotated(self) -> bool: ...
    @property
    def scans(self) -> bool: ...
    def knn_self(self, k: int, n_threads: int) -> Neighbors: ...
    def knn(
        self, x: NDArray[np.float64], k: int, exclude: NDArray[np.int64] | None, n_threads: int
    ) -> Neighbors: ...
    def radius_count(
        self, x: NDArray[np.float64], radius: float, n_threads: int
    ) -> NDArray[np.int64]: ...

class CountL1Index:
    """Exact L1 neighbours of rows of integers in [0, 255] (count vectors)."""
    def __init__(self, x: NDArray[np.float64]) -> None: ...
    @staticmethod
    def representable_rows(x: NDArray[np.float64]) -> NDArray[np.bool_]: ...
    @property
    def size(self) -> int: ...
    @property
    def dim(self) -> int: ...
    def knn_self(self, k: int, n_threads: int) -> Neighbors: ...
    def knn(
        self, x: NDArray[np.float64], k: int, exclude: NDArray[np.int64] | None, n_threads: int
    ) -> Neighbors: ...
    def radius_count(
        self, x: NDArray[np.float64], radius: float, n_threads: int
    ) -> NDArray[np.int64]: ...

class IForestTrees:
    """A fitted isolation forest's flat arrays (iforest_fit)."""
    @property
    def tree_offsets(self) -> NDArray[np.int64]: ...
    @property
    def features(self) -> NDArray[np.int32]: ...
    @property
    def left(self) -> NDArray[np.int32]: ...
    @property
    def split(self) -> NDArray[np.int32]: ...
    @property
    def threshold(self) -> NDArray[np.float64]: ...
    @property
    def n_samples(self) -> NDArray[np.int32]: ...
    @property
    def normals(self) -> NDArray[np.float64]: ...

def iforest_fit(
    x: NDArray[np.floating],
    n_estimators: int,
    max_samples: int,
    max_features: int,
    extended: bool,
    seed: int,
    n_threads: int,
    *,
    tree_rows: NDArray[np.int64] | None = None,
    column_keys: NDArray[np.uint64] | None = None,
) -> IForestTrees: ...
def iforest_column_keys(
    x: NDArray[np.floating],
    hashes: NDArray[np.uint64],
    n_threads: int,
    *,
    floors: NDArray[np.float64] | None = None,
) -> NDArray[np.uint64]:
    """Each column's share of the key the trees' features are drawn by (wrapping sums over
    these rows; hashes: the rows' kmeans_row_hashes of kmeans_column_keys; floors: the
    data's kmeans_key_floors, default these rows')."""

def content_sequence_keys(
    codes: NDArray[np.int64],
    offsets: NDArray[np.int64],
    times: NDArray[np.int64] | None,
    n_threads: int,
) -> NDArray[np.uint64]:
    """Each sequence's 64-bit key by its events' codes and times (int64; times None where
    there are none) and their steps: the same wherever the sequence stands."""

def content_type_keys(
    codes: NDArray[np.int64],
    offsets: NDArray[np.int64],
    times: NDArray[np.int64] | None,
    n_types: int,
    n_threads: int,
) -> NDArray[np.uint64]:
    """Each event type's 64-bit key by where its events stand (codes in [0, n_types); their
    steps, sequences and times), never by its code: relabelled types keep theirs."""

def content_sequence_keys_by_type(
    codes: NDArray[np.int64],
    offsets: NDArray[np.int64],
    times: NDArray[np.int64] | None,
    n_types: int,
    n_threads: int,
) -> NDArray[np.uint64]:
    """content_sequence_keys over each event's content_type_keys in place of its code: each
    sequence's key whatever the types' names."""

def iforest_copy_numbers(
    x: NDArray[np.floating], hashes: NDArray[np.uint64], n_threads: int
) -> NDArray[np.int64]:
    """Each row's number among the rows identical to it (same hash and values), in row
    order."""

def iforest_draw_rows(
    x: NDArray[np.floating],
    hashes: NDArray[np.uint64],
    copies: NDArray[np.int64],
    n_estimators: int,
    max_samples: int,
    seed: int,
    n_threads: int,
) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
    """Each tree's smallest keyed rows: (keys, rows), n_estimators x min(n, max_samples),
    each tree's smallest first."""

class IForestView:
    """A fitted isolation forest's arrays, held by reference and checked once;
    iforest_score reads them in place."""
    def __init__(
        self,
        *,
        tree_offsets: NDArray[np.int64],
        features: NDArray[np.int32],
        left: NDArray[np.int32],
        split: NDArray[np.int32],
        threshold: NDArray[np.float64],
        n_samples: NDArray[np.int32],
        normals: NDArray[np.float64],
        n_features: int,
        max_samples: int,
        extended: bool,
    ) -> None: ...
    @property
    def n_trees(self) -> int: ...
    @property
    def n_nodes(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def max_samples(self) -> int: ...
    @property
    def extended(self) -> bool: ...

class IForestScores:
    """Isolation forest scores (iforest_score)."""
    @property
    def scores(self) -> NDArray[np.float64]: ...
    @property
    def contributions(self) -> NDArray[np.float64] | None: ...

def iforest_score(
    x: NDArray[np.floating], forest: IForestView, explain: bool, n_threads: int
) -> IForestScores: ...
def iforest_average_path_length(n: NDArray[np.float64]) -> NDArray[np.float64]: ...
def roc_auc(
    y_true: NDArray[np.uint8],
    y_score: NDArray[np.float64],
    sample_weight: NDArray[np.float64] | None,
) -> float: ...
def average_precision(
    y_true: NDArray[np.uint8],
    y_score: NDArray[np.float64],
    sample_weight: NDArray[np.float64] | None,
) -> float: ...

# Added with the completeness test (tests/python/test_core_stubs.py).
class MarkovModel:
    def __init__(self, n_events: int, order: int, discount: float, end_symbol: bool) -> None: ...
    def explain(self, offsets: NDArray[np.int64], codes: NDArray[np.int32]) -> MarkovSteps: ...
    def fit(self, offsets: NDArray[np.int64], codes: NDArray[np.int32]) -> None: ...
    def score(
        self, offsets: NDArray[np.int64], codes: NDArray[np.int32], top_g: int, n_threads: int
    ) -> NDArray[np.float64]: ...

class StreamMember:
    """One detector of a StreamModel: K-means, PCA or robust z, by the keywords given
    (K-means' and PCA's spread: the scale the explanation's deviations are in)."""
    @overload
    def __init__(
        self,
        *,
        centers: NDArray[np.float32],
        large: NDArray[np.uint8],
        spread: NDArray[np.float64] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        *,
        mean: NDArray[np.float64],
        components: NDArray[np.float64],
        variance: NDArray[np.float64],
        t2: bool,
        spread: NDArray[np.float64] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        *,
        median: NDArray[np.float64],
        scale: NDArray[np.float64],
        q1: NDArray[np.float64],
        q3: NDArray[np.float64],
        iqr: NDArray[np.float64],
        z: float,
        fence: float,
    ) -> None: ...
    @property
    def kind(self) -> Literal["kmeans", "pca", "robust_z"]: ...

class StreamModelParams:
    """A fitted AnomalyPipeline's scoring of one store row (read-only once made)."""
    def __init__(
        self,
        *,
        columns: NDArray[np.int64],
        evidence: NDArray[np.int8],
        shrink_to: NDArray[np.float64],
        prior: float,
        log_signed: bool,
        z_mean: NDArray[np.float64],
        z_scale: NDArray[np.float64],
        members: list[StreamMember],
        threshold: float,
        combine: Literal["single", "mean", "max"] = "single",
        centre: NDArray[np.float64] | None = None,
        spread: NDArray[np.float64] | None = None,
        explain_with: NDArray[np.uint8] | None = None,
        min_events: int = 1,
        support_low: NDArray[np.float64] | None = None,
        support_high: NDArray[np.float64] | None = None,
        support_floor: float = ...,
        valued: int = -1,
        items: int = -1,
    ) -> None: ...
    @property
    def columns(self) -> NDArray[np.int64]: ...
    @property
    def prior(self) -> float: ...
    @property
    def log_signed(self) -> bool: ...
    @property
    def members(self) -> list[StreamMember]: ...
    @property
    def combine(self) -> Literal["single", "mean", "max"]: ...
    @property
    def threshold(self) -> float: ...
    @property
    def min_events(self) -> int: ...
    @property
    def support_floor(self) -> float: ...
    @property
    def valued(self) -> int: ...
    @property
    def items(self) -> int: ...

class StreamModel:
    def __init__(self, params: StreamModelParams) -> None: ...
    @property
    def n_features(self) -> int: ...

def stream_hash_id(id: int | str) -> int: ...
def stream_hash_texts(values: NDArray[np.object_]) -> NDArray[np.uint64]: ...

class StreamLineFormat:
    """Where the roles are in a CSV or JSON line (read-only once made)."""
    def __init__(
        self,
        *,
        sep: str,
        n_fields: int,
        entity: int,
        event: int = -1,
        time: int = -1,
        item: int = -1,
        value: int = -1,
        json: bool = False,
        keys: list[str] = ...,
    ) -> None: ...
    @property
    def sep(self) -> str: ...
    @property
    def n_fields(self) -> int: ...
    @property
    def entity(self) -> int: ...
    @property
    def event(self) -> int: ...
    @property
    def time(self) -> int: ...
    @property
    def item(self) -> int: ...
    @property
    def value(self) -> int: ...
    @property
    def json(self) -> bool: ...
    @property
    def keys(self) -> list[str]: ...

class StreamLineFeed:
    def __init__(self, format: StreamLineFormat, events: StreamEventParams) -> None: ...
    def feed(
        self,
        store: StreamEntityStore,
        model: StreamModel,
        data: bytes,
        offset: int,
        top: int,
        gather_ns: int,
    ) -> StreamLineFeedRun: ...

class StreamLineFeedRun:
    """What StreamLineFeed.feed read, and its new alerts (oddseq.stream)."""
    @property
    def stop(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def lines(self) -> int: ...
    @property
    def key(self) -> NDArray[np.uint64]: ...
    @property
    def score(self) -> NDArray[np.float64]: ...
    @property
    def length(self) -> NDArray[np.int64]: ...
    @property
    def line(self) -> NDArray[np.int64]: ...
    @property
    def entity_begin(self) -> NDArray[np.int64]: ...
    @property
    def entity_end(self) -> NDArray[np.int64]: ...
    @property
    def entities(self) -> list[bytes]: ...  # each alert's id as text (UTF-8, decoded)
    @property
    def rows(self) -> NDArray[np.float32]: ...
    @property
    def columns(self) -> NDArray[np.int64]: ...
    @property
    def typical(self) -> NDArray[np.float64]: ...
    @property
    def share(self) -> NDArray[np.float64]: ...
    @property
    def deviation(self) -> NDArray[np.float64]: ...
    @property
    def value(self) -> NDArray[np.float64]: ...
    @property
    def cluster(self) -> NDArray[np.int64]: ...  # K-means reference cluster, -1 for none
    @property
    def member(self) -> NDArray[np.int64]: ...  # the member that explains, -1 for none
    @property
    def facts(self) -> NDArray[np.float32]: ...  # n x 8 with recent_change, n x 0 without

class StreamEventParams:
    """How an event's fields become an event in the stream (read-only once made)."""
    def __init__(
        self,
        *,
        labels: list,
        other_code: int,
        has_event: bool,
        has_times: bool,
        has_items: bool,
        has_values: bool,
        time_factor: int = 1,
        unseen_to_caller: bool = False,
    ) -> None: ...
    @property
    def n_labels(self) -> int: ...
    @property
    def other_code(self) -> int: ...
    @property
    def has_event(self) -> bool: ...
    @property
    def has_times(self) -> bool: ...
    @property
    def has_items(self) -> bool: ...
    @property
    def has_values(self) -> bool: ...
    @property
    def time_factor(self) -> int: ...
    @property
    def unseen_to_caller(self) -> bool: ...

class StreamOneEvent:
    def __init__(
        self, store: StreamEntityStore, model: StreamModel, events: StreamEventParams
    ) -> None: ...
    def __call__(
        self, entity: object, event: object, time: object, item: object, value: object
    ) -> tuple[float, bool, bool, None, int] | None: ...

class StreamApplied:
    """What StreamEntityStore.update applied."""
    @property
    def status(self) -> NDArray[np.uint8]: ...
    @property
    def touched(self) -> NDArray[np.uint64]: ...
    @property
    def first_rows(self) -> NDArray[np.int64]: ...

class StreamScores:
    """Entities' scores as they stand in the store."""
    @property
    def score(self) -> NDArray[np.float64]: ...
    @property
    def length(self) -> NDArray[np.int64]: ...
    @property
    def flags(self) -> NDArray[np.uint8]: ...

class StreamScored:
    """What StreamEntityStore.update_scored applied, and the touched entities' scores."""
    @property
    def applied(self) -> StreamApplied: ...
    @property
    def scores(self) -> StreamScores: ...

class StreamFeatures:
    """Entities' feature rows in the store."""
    @property
    def rows(self) -> NDArray[np.float32]: ...
    @property
    def length(self) -> NDArray[np.int64]: ...
    @property
    def found(self) -> NDArray[np.uint8]: ...
    @property
    def approximate(self) -> NDArray[np.uint8]: ...

class StreamExplanation:
    """The features that stand out most in entities' rows."""
    @property
    def columns(self) -> NDArray[np.int64]: ...
    @property
    def typical(self) -> NDArray[np.float64]: ...
    @property
    def share(self) -> NDArray[np.float64]: ...
    @property
    def deviation(self) -> NDArray[np.float64]: ...
    @property
    def value(self) -> NDArray[np.float64]: ...
    @property
    def cluster(self) -> NDArray[np.int64]: ...  # K-means reference cluster, -1 for none
    @property
    def member(self) -> NDArray[np.int64]: ...  # the member that explains, -1 for none
    @property
    def found(self) -> NDArray[np.uint8]: ...

class StreamStoreParams:
    """How a StreamEntityStore keeps its state (read-only once made)."""
    def __init__(
        self,
        *,
        column_of_code: NDArray[np.int32],
        n_columns: int,
        has_times: bool,
        has_items: bool,
        has_values: bool,
        view: int = -1,
        cart: int = -1,
        fav: int = -1,
        buy: int = -1,
        max_exact_items: int = 256,
        lateness_ns: int = 0,
        max_late_events: int = 8,
        ttl_ns: int = 0,
        max_entities: int = 0,
        recent_change: ChangeParams | None = None,
        utc_offset_s: NDArray[np.int64] | None = None,
        first_hour: int = 0,
    ) -> None: ...
    @property
    def column_of_code(self) -> NDArray[np.int32]: ...
    @property
    def n_columns(self) -> int: ...
    @property
    def has_times(self) -> bool: ...
    @property
    def has_items(self) -> bool: ...
    @property
    def has_values(self) -> bool: ...
    @property
    def view(self) -> int: ...
    @property
    def cart(self) -> int: ...
    @property
    def fav(self) -> int: ...
    @property
    def buy(self) -> int: ...
    @property
    def max_exact_items(self) -> int: ...
    @property
    def lateness_ns(self) -> int: ...
    @property
    def max_late_events(self) -> int: ...
    @property
    def ttl_ns(self) -> int: ...
    @property
    def max_entities(self) -> int: ...
    @property
    def recent_change(self) -> ChangeParams | None: ...

class StreamEntityStore:
    def __init__(self, params: StreamStoreParams) -> None: ...
    def update(
        self,
        entity: NDArray[np.uint64],
        code: NDArray[np.int32],
        time: NDArray[np.int64] | None,
        item: NDArray[np.uint64] | None,
        item_present: NDArray[np.uint8] | None,
        value: NDArray[np.float64] | None,
    ) -> StreamApplied: ...
    def update_scored(
        self,
        model: StreamModel,
        entity: NDArray[np.uint64],
        code: NDArray[np.int32],
        time: NDArray[np.int64] | None,
        item: NDArray[np.uint64] | None,
        item_present: NDArray[np.uint8] | None,
        value: NDArray[np.float64] | None,
    ) -> StreamScored: ...
    def score(self, model: StreamModel, keys: NDArray[np.uint64]) -> StreamScores: ...
    def explain(
        self, model: StreamModel, keys: NDArray[np.uint64], top: int
    ) -> StreamExplanation: ...
    def update_one(
        self,
        entity: int | str,
        entity_is_key: bool,
        code: int,
        time: int,
        item: int | str | None,
        item_is_key: bool,
        value: float,
        model: StreamModel | None,
    ) -> tuple[float, bool, bool, None, int]: ...  # a StreamEvent's fields, in its order
    def features(self, keys: NDArray[np.uint64], n_columns: int) -> StreamFeatures: ...
    def change_facts(self, keys: NDArray[np.uint64]) -> NDArray[np.float32]: ...  # n x 8
    def set_alerted(self, keys: NDArray[np.uint64], value: bool) -> None: ...
    def alerted(self, keys: NDArray[np.uint64]) -> NDArray[np.uint8]: ...
    def counters(self) -> dict: ...
    def memory_bytes(self) -> int: ...
    def evict_idle(self, now_ns: int) -> int: ...
    @property
    def watermark(self) -> int: ...
    def __getstate__(self) -> bytes: ...  # the whole state, versioned and checksummed
    def __setstate__(self, state: bytes) -> None: ...  # ValueError for bytes not a state

@overload
def build_bipartite(
    event_offsets: NDArray[np.int64],
    keys: NDArray[np.int32],
    times: NDArray[np.int64] | None,
    n_cols: int,
    n_threads: int,
) -> Bipartite: ...
@overload
def build_bipartite(
    event_offsets: NDArray[np.int64],
    keys: NDArray[np.int64],
    times: NDArray[np.int64] | None,
    n_cols: int,
    n_threads: int,
) -> Bipartite: ...
def decay_features(
    offsets: NDArray[np.int64],
    events: NDArray[np.int32],
    n_event_types: int,
    times: NDArray[np.int64],
    reference_ns: int,
    half_life_ns: int,
    n_threads: int,
) -> NDArray[np.float32]: ...

class SequencesView:
    """Sequences' columns held by reference and checked once, handed to the encoders as
    one argument."""
    def __init__(
        self,
        *,
        offsets: NDArray[np.int64],
        events: NDArray[np.int32],
        times: NDArray[np.int64] | None = None,
        items: NDArray[np.int32] | NDArray[np.int64] | None = None,
        values: NDArray[np.float64] | None = None,
    ) -> None: ...
    @property
    def n_sequences(self) -> int: ...
    @property
    def n_events(self) -> int: ...

class DiversityParams:
    """DiversityEncoder's settings: the session gap and the funnel's event codes (-1
    where the log has none)."""
    def __init__(
        self, *, session_gap_ns: int, view: int = -1, cart: int = -1, fav: int = -1, buy: int = -1
    ) -> None: ...
    @property
    def session_gap_ns(self) -> int: ...
    @property
    def view(self) -> int: ...
    @property
    def cart(self) -> int: ...
    @property
    def fav(self) -> int: ...
    @property
    def buy(self) -> int: ...

def crowd_ratio(
    sequences: SequencesView,
    n_items: int,
    windows: NDArray[np.int64],
    n_windows: int,
    entity_of: NDArray[np.int64] | None = None,
    n_threads: int = 0,
    facts: bool = False,
) -> Any: ...
def diversity_features(
    sequences: SequencesView,
    item_category: NDArray[np.int32] | None,
    params: DiversityParams,
    n_threads: int,
) -> NDArray[np.float32]: ...

class ChangeParams:
    """RecentChangeEncoder's settings: the session gap, the recent window and the
    pseudo-observations each side is smoothed with."""
    def __init__(self, *, session_gap_ns: int, window_ns: int, prior: float) -> None: ...
    @property
    def session_gap_ns(self) -> int: ...
    @property
    def window_ns(self) -> int: ...
    @property
    def prior(self) -> float: ...

def change_features(
    sequences: SequencesView,
    n_event_types: int,
    local_time: LocalTime,
    item_category: NDArray[np.int32] | None,
    params: ChangeParams,
    n_threads: int,
) -> NDArray[np.float32]: ...
def first_indices(codes: NDArray[np.int64], n_codes: int) -> NDArray[np.int64]: ...
def distinct_rows(
    offsets: NDArray[np.int64], rows: NDArray[np.int32], n_threads: int
) -> DistinctRows: ...
def excess_chernoff_grid_min(
    thetas: NDArray[np.float64],
    q: NDArray[np.float64],
    counts_q: NDArray[np.float64],
    k: int,
    lam: NDArray[np.float64],
    counts_lam: NDArray[np.float64],
    excess: float,
) -> float: ...
@overload
def events_by_object(
    event_offsets: NDArray[np.int64],
    keys: NDArray[np.int32],
    n_keys: int,
    n_objects: int,
    bins: TimeBins | None,
    n_threads: int,
) -> ByObject: ...
@overload
def events_by_object(
    event_offsets: NDArray[np.int64],
    keys: NDArray[np.int64],
    n_keys: int,
    n_objects: int,
    bins: TimeBins | None,
    n_threads: int,
) -> ByObject: ...
@overload
def graph_transpose(
    offsets: NDArray[np.int64], cols: NDArray[np.int32], n_cols: int, n_threads: int
) -> Transposed: ...
@overload
def graph_transpose(
    offsets: NDArray[np.int64], cols: NDArray[np.int64], n_cols: int, n_threads: int
) -> Transposed: ...
def lockstep_columns(
    offsets: NDArray[np.int64],
    rows: NDArray[np.int32],
    codes: NDArray[np.uint32],
    n_rows: int,
    bin_share: NDArray[np.float64],
    min_lift: float,
    n_threads: int,
) -> LockstepColumns: ...
def log_sum_exp_lines(
    intercept: NDArray[np.float64], slope: NDArray[np.float64], x0: float, n_points: int
) -> NDArray[np.float64]: ...
def minhash_features(
    offsets: NDArray[np.int64],
    codes: NDArray[np.int32],
    element_hash: NDArray[np.uint64],
    shingle: int,
    multipliers: NDArray[np.uint32],
    increments: NDArray[np.uint32],
    n_threads: int,
) -> NDArray[np.float32]: ...
@overload
def minibatch_step(
    batch: NDArray[np.float32],
    sample_weight: NDArray[np.float32] | None,
    centers: NDArray[np.float32],
    weight_sums: NDArray[np.float64],
    n_threads: int,
) -> MiniBatchStep: ...
@overload
def minibatch_step(
    batch: NDArray[np.float64],
    sample_weight: NDArray[np.float64] | None,
    centers: NDArray[np.float64],
    weight_sums: NDArray[np.float64],
    n_threads: int,
) -> MiniBatchStep: ...
def ngram_counts(sequences: SequencesView, params: NgramParams, n_threads: int) -> SparseCounts: ...
def ngram_keys(sequences: SequencesView, params: NgramParams, n_threads: int) -> NgramKeys: ...
@overload
def log1p(x: NDArray[np.float32], signed: bool, n_threads: int) -> NDArray[np.float32]: ...
@overload
def log1p(x: NDArray[np.float64], signed: bool, n_threads: int) -> NDArray[np.float64]: ...
@overload
def pca_fit(x: NDArray[np.float32], n_components: int, n_threads: int) -> PcaRun: ...
@overload
def pca_fit(x: NDArray[np.float64], n_components: int, n_threads: int) -> PcaRun: ...
def panjer_log_pmf(log_rate: NDArray[np.float64], log_g0: float, n: int) -> NDArray[np.float64]: ...
@overload
def peel_densest(
    offsets: NDArray[np.int64],
    cols: NDArray[np.int32],
    col_offsets: NDArray[np.int64],
    row_of: NDArray[np.int32],
    col_weight: NDArray[np.float64],
    row_alive: NDArray[np.uint8],
    n_threads: int,
) -> DenseBlock: ...
@overload
def peel_densest(
    offsets: NDArray[np.int64],
    cols: NDArray[np.int64],
    col_offsets: NDArray[np.int64],
    row_of: NDArray[np.int64],
    col_weight: NDArray[np.float64],
    row_alive: NDArray[np.uint8],
    n_threads: int,
) -> DenseBlock: ...
@overload
def silhouette_samples(
    x: NDArray[np.float32], labels: NDArray[np.int32], k: int, n_threads: int
) -> NDArray[np.float64]: ...
@overload
def silhouette_samples(
    x: NDArray[np.float64], labels: NDArray[np.int32], k: int, n_threads: int
) -> NDArray[np.float64]: ...
def simd_minhash_min(
    x: NDArray[np.uint32],
    multipliers: NDArray[np.uint32],
    increments: NDArray[np.uint32],
    level: str,
) -> NDArray[np.uint32]: ...
def temporal_feature_names() -> list[str]: ...
def temporal_features(
    sequences: SequencesView, local_time: LocalTime, session_gap_ns: int, n_threads: int
) -> NDArray[np.float32]: ...
def top_columns(x: NDArray[np.float64], top: int, n_threads: int) -> NDArray[np.int64]: ...
def transition_features(
    offsets: NDArray[np.int64],
    events: NDArray[np.int32],
    n_event_types: int,
    order: int,
    norm: str,
    n_threads: int,
) -> NDArray[np.float32]: ...
