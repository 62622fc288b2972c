"""DBSCAN against scikit-learn and the dbscan package (`run.py dbscan`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .common import peak_rss_mb, run_case, start_memory_window

# Shapes: (name, n, d, eps, metric, peers). Gaussian blobs (10 centres, unit spread,
# centres uniform in a box of side 20 sqrt(d)) plus 5% uniform noise over their
# bounding box; min_samples = 10 throughout. eps is fixed per shape so that the
# blobs are clusters and the noise is noise (about 5% noise labels in every run).
DBSCAN_SHAPES = [
    ("200k-d2", 200_000, 2, 0.3, "euclidean", ("sklearn", "dbscan")),
    ("200k-d3", 200_000, 3, 0.5, "euclidean", ("sklearn", "dbscan")),
    ("200k-d8", 200_000, 8, 2.0, "euclidean", ("sklearn", "dbscan")),
    ("200k-d32", 200_000, 32, 6.0, "euclidean", ("sklearn",)),
    ("100k-d64-cosine", 100_000, 64, 0.01, "cosine", ("sklearn",)),
    ("2M-d2", 2_000_000, 2, 0.05, "euclidean", ("dbscan",)),
    ("1M-d8", 1_000_000, 8, 2.0, "euclidean", ()),
]


DBSCAN_MIN_SAMPLES = 10


def make_dbscan_data(n: int, d: int, metric: str, seed: int = 0) -> np.ndarray:
    from sklearn.datasets import make_blobs

    rng = np.random.default_rng(seed)
    n_noise = n // 20
    half_side = 10 * d**0.5
    X, _ = make_blobs(
        n - n_noise,
        n_features=d,
        centers=10,
        cluster_std=1.0,
        center_box=(-half_side, half_side),
        random_state=seed,
    )
    X = np.vstack([X, rng.uniform(X.min(0), X.max(0), (n_noise, d))])
    if metric == "cosine":
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X


def dbscan_worker(case: str, workdir: Path) -> dict:
    import sklearn.cluster

    from oddseq.cluster import DBSCAN

    library = case
    X = np.load(workdir / "X.npy")
    eps, metric = json.loads((workdir / "params.json").read_text())
    base = start_memory_window()
    t0 = time.perf_counter()
    if library == "oddseq":
        model = DBSCAN(eps, min_samples=DBSCAN_MIN_SAMPLES, metric=metric).fit(X)
        labels, core = model.labels_, model.core_sample_indices_
    elif library == "sklearn":
        model = sklearn.cluster.DBSCAN(
            eps=eps, min_samples=DBSCAN_MIN_SAMPLES, metric=metric, n_jobs=-1
        ).fit(X)
        labels, core = model.labels_, model.core_sample_indices_
    elif library == "dbscan":
        import dbscan

        labels, is_core = dbscan.DBSCAN(X, eps=eps, min_samples=DBSCAN_MIN_SAMPLES)
        core = np.flatnonzero(is_core)
    else:
        raise ValueError(case)
    seconds = time.perf_counter() - t0
    np.save(workdir / f"core-{library}.npy", core)
    return {
        "case": case,
        "seconds": seconds,
        "clusters": int(labels.max() + 1),
        "noise_share": float((labels == -1).mean()),
        "peak_extra_mb": peak_rss_mb() - base,
    }


def bench_dbscan(args, workdir: Path) -> dict:
    try:
        import dbscan  # noqa: F401

        have_dbscan = True
    except ImportError:
        print("the dbscan package is not installed (pip install dbscan): skipping it")
        have_dbscan = False
    rows = []
    print(f"\nDBSCAN, min_samples={DBSCAN_MIN_SAMPLES}; blobs + 5% uniform noise")
    print(
        f"{'shape':<17}{'eps':>6}{'library':>9}{'seconds':>10}{'oddseq x':>10}"
        f"{'clusters':>9}{'noise':>7}{'peak MB':>9}{'same core':>10}"
    )
    for name, n, d, eps, metric, peers in DBSCAN_SHAPES:
        if args.dbscan_shapes and name not in args.dbscan_shapes:
            continue
        X = make_dbscan_data(n, d, metric)
        np.save(workdir / "X.npy", X)
        (workdir / "params.json").write_text(json.dumps([eps, metric]))
        libraries = ["oddseq"] + [p for p in peers if p != "dbscan" or have_dbscan]
        ours = None
        for library in libraries:
            r = run_case("dbscan", library, workdir)
            r.update(shape=name, n=n, d=d, eps=eps, metric=metric, input_mb=X.nbytes / 2**20)
            ours = ours or r
            r["oddseq_speedup"] = r["seconds"] / ours["seconds"]
            same = np.array_equal(
                np.load(workdir / f"core-{library}.npy"), np.load(workdir / "core-oddseq.npy")
            )
            r["same_core_points"] = bool(same)
            rows.append(r)
            print(
                f"{name:<17}{eps:>6}{library:>9}{r['seconds']:>10.2f}{r['oddseq_speedup']:>9.1f}x"
                f"{r['clusters']:>9}{r['noise_share']:>7.3f}{r['peak_extra_mb']:>9.0f}"
                f"{'yes' if same else 'NO':>10}"
            )
        del X
    return {"min_samples": DBSCAN_MIN_SAMPLES, "rows": rows}
