"""Type stubs for the C++ extension (internal: use the oddseq package)."""

import numpy as np
from numpy.typing import NDArray

def simd_level() -> str: ...
def simd_best_supported() -> str: ...
def simd_is_supported(level: str) -> bool: ...
def simd_sqdist(a: NDArray[np.floating], b: NDArray[np.floating], level: str) -> float: ...
def simd_dot(a: NDArray[np.floating], b: NDArray[np.floating], level: str) -> float: ...
def simd_nearest(
    x: NDArray[np.floating], centers: NDArray[np.floating], level: str
) -> tuple[NDArray[np.int32], NDArray[np.floating]]: ...
def simd_block_distances(
    q: NDArray[np.float64], points: NDArray[np.float64], reduction: str, level: str
) -> NDArray[np.float64]: ...
def simd_screen(
    x: NDArray[np.float32], points: NDArray[np.float32], limits: NDArray[np.float32], level: str
) -> NDArray[np.bool_]: ...
def factorize_int64(
    values: NDArray[np.int64], n_threads: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]: ...
def factorize_int64_to_int32(
    values: NDArray[np.int64], n_threads: int
) -> tuple[NDArray[np.int32], NDArray[np.int64]]: ...
def group_rows(
    codes: NDArray[np.int64],
    code_map: NDArray[np.int64] | None,
    n_entities: int,
    times: NDArray[np.int64] | None,
    n_threads: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64] | None]: ...
def gather(src: NDArray, index: NDArray[np.int64], n_threads: int) -> NDArray: ...
def split_by_gap(
    offsets: NDArray[np.int64], times: NDArray[np.int64], max_gap: int, n_threads: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]: ...
def count_windows(
    offsets: NDArray[np.int64], length: int, stride: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]: ...
def time_windows(
    offsets: NDArray[np.int64], times: NDArray[np.int64], width: int, step: int, n_threads: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]: ...
def ranges_to_index(
    starts: NDArray[np.int64], stops: NDArray[np.int64], n_threads: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]: ...
def count_timing_features(
    offsets: NDArray[np.int64],
    events: NDArray[np.int32],
    n_event_types: int,
    times: NDArray[np.int64] | None,
    n_threads: int,
) -> NDArray[np.float32]: ...
def automation_features(
    offsets: NDArray[np.int64],
    times: NDArray[np.int64],
    utc_offset_s: NDArray[np.int64],
    first_hour: int,
    repeat_tolerance_ns: int,
    period_tolerance: float,
    max_lag: int,
    think_time_ns: int,
    n_threads: int,
) -> NDArray[np.float32]: ...
def kmeans_plusplus(
    x: NDArray[np.floating],
    sample_weight: NDArray[np.floating] | None,
    k: int,
    seed: int,
    n_local_trials: int,
    n_threads: int,
) -> NDArray[np.int64]: ...
def kmeans_fit(
    x: NDArray[np.floating],
    sample_weight: NDArray[np.floating] | None,
    centers: NDArray[np.floating],
    max_iter: int,
    tol: float,
    algorithm: str,
    n_threads: int,
) -> tuple[NDArray[np.floating], NDArray[np.int32], float, int, bool]: ...
def assign_nearest(
    x: NDArray[np.floating], centers: NDArray[np.floating], n_threads: int
) -> tuple[NDArray[np.int32], NDArray[np.floating]]: ...
def dbscan(
    x: NDArray[np.float64],
    eps: float,
    min_samples: float,
    sample_weight: NDArray[np.float64] | None,
    metric: str,
    algorithm: str,
    leaf_size: int,
    n_threads: int,
) -> tuple[NDArray[np.int64], NDArray[np.bool_], int, str]: ...
def dbscan_assign(
    core_points: NDArray[np.float64],
    core_labels: NDArray[np.int64],
    x: NDArray[np.float64],
    eps: float,
    metric: str,
    n_threads: int,
) -> NDArray[np.int64]: ...

class KdTree:
    def __init__(
        self, x: NDArray[np.float64], metric: str, leaf_size: int, n_threads: int
    ) -> None: ...
    @property
    def size(self) -> int: ...
    @property
    def dim(self) -> int: ...
    def knn(
        self, x: NDArray[np.float64], k: int, exclude: NDArray[np.int64] | None, n_threads: int
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]: ...
    def radius_count(
        self, x: NDArray[np.float64], radius: float, n_threads: int
    ) -> NDArray[np.int64]: ...

def iforest_fit(
    x: NDArray[np.floating],
    n_estimators: int,
    max_samples: int,
    max_features: int,
    extended: bool,
    seed: int,
    n_threads: int,
) -> dict[str, NDArray]: ...
def iforest_score(
    x: NDArray[np.floating],
    tree_offsets: NDArray[np.int64],
    features: NDArray[np.int32],
    left: NDArray[np.int32],
    split: NDArray[np.int32],
    threshold: NDArray[np.float64],
    n_samples: NDArray[np.int32],
    normals: NDArray[np.float64],
    max_samples: int,
    extended: bool,
    explain: bool,
    n_threads: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]: ...
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
