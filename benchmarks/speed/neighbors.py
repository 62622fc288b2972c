"""Nearest neighbours, kNN and LOF on the pipeline's features (`run.py neighbors`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .common import peak_rss_mb, run_case, start_memory_window
from .dbscan import make_dbscan_data
from .pipeline import make_pipeline_log

NEIGHBOURS_K = 20  # LOF's default, the one call's


def pipeline_features(case: str) -> np.ndarray:
    """The matrix the one call's detectors see for a pipeline case: its encoders' features
    after the signed log and z-scores."""
    from oddseq._pipeline import AnomalyPipeline
    from oddseq.sequences import Sequences

    df = make_pipeline_log(case)
    seqs = Sequences.from_events(
        df, entity="user_id", event="behavior", time="timestamp", item="item_id"
    )
    pipe = AnomalyPipeline(method="kmeans").fit(seqs)
    raw = np.asarray(pipe.encoder_.transform(seqs), dtype=np.float64)
    return np.ascontiguousarray(pipe.z_scaler_.transform(pipe.log_scaler_.transform(raw)))


NEIGHBOURS_DATA = {
    # name: how to make it
    "shop-100k features": lambda: pipeline_features("shop-100k"),
    "urls-20k features": lambda: pipeline_features("urls-20k"),
    "blobs 200k x 8": lambda: make_dbscan_data(200_000, 8, "euclidean"),
    "uniform 100k x 8": lambda: np.random.default_rng(0).uniform(size=(100_000, 8)),
}


def neighbors_worker(case: str, workdir: Path) -> dict:
    """The k nearest other rows of every indexed row, as LOF needs them. Imports and
    the reshaping of faiss's answer (dropping each row itself) stay outside the timing."""
    X = np.load(workdir / "X.npy")
    if case == "oddseq":
        from oddseq.cluster import NearestNeighbors
    elif case.startswith("sklearn"):
        from sklearn.neighbors import NearestNeighbors
    elif case == "faiss":
        import faiss
    else:
        raise ValueError(case)
    base = start_memory_window()
    t0 = time.perf_counter()
    extra = {}
    if case == "oddseq":
        index = NearestNeighbors(n_neighbors=NEIGHBOURS_K).fit(X)
        _, ind = index.kneighbors()
        extra = {"principal_frame": bool(index._tree.rotated), "scan": bool(index._tree.scans)}
    elif case.startswith("sklearn"):
        algorithm = case.split("-", 1)[1]
        index = NearestNeighbors(n_neighbors=NEIGHBOURS_K, algorithm=algorithm, n_jobs=-1).fit(X)
        _, ind = index.kneighbors()
    else:
        # Exhaustive search in float32 (faiss has no float64 index): k + 1 to drop self.
        index = faiss.IndexFlatL2(X.shape[1])
        index.add(X.astype(np.float32))
        _, found = index.search(X.astype(np.float32), NEIGHBOURS_K + 1)
    seconds = time.perf_counter() - t0
    if case == "faiss":
        keep = found != np.arange(len(X))[:, None]
        ind = np.array([r[k][:NEIGHBOURS_K] for r, k in zip(found, keep)])
    np.save(workdir / f"ind-{case}.npy", ind)
    return {"case": case, "seconds": seconds, "peak_extra_mb": peak_rss_mb() - base, **extra}


def bench_neighbors(args, workdir: Path) -> dict:
    try:
        import faiss  # noqa: F401

        peers = ["sklearn-kd_tree", "sklearn-brute", "faiss"]
    except ImportError:
        print("faiss-cpu not installed: skipping it")
        peers = ["sklearn-kd_tree", "sklearn-brute"]
    print(f"\nkNN of every indexed row (k = {NEIGHBOURS_K}, each row's own excluded)")
    print(f"{'data':<20}{'shape':>14}{'library':>17}{'seconds':>9}{'oddseq x':>9}{'same':>7}")
    rows = []
    for name, make in NEIGHBOURS_DATA.items():
        X = make()
        np.save(workdir / "X.npy", X)
        ours = None
        for case in ["oddseq", *peers]:
            r = run_case("neighbors", case, workdir)
            ours = ours or r
            mine = np.load(workdir / "ind-oddseq.npy")
            theirs = np.load(workdir / f"ind-{case}.npy")
            # Sets of neighbours per row: equal distances may be listed in another order.
            same = float(np.mean(np.sort(mine, axis=1) == np.sort(theirs, axis=1)))
            r.update(data=name, shape=list(X.shape), oddseq_speedup=r["seconds"] / ours["seconds"])
            r["same_neighbours"] = same
            rows.append(r)
            print(
                f"{name:<20}{str(X.shape):>14}{case:>17}{r['seconds']:>9.2f}"
                f"{r['oddseq_speedup']:>8.1f}x{same:>7.3f}"
            )
    return {"k": NEIGHBOURS_K, "rows": rows}
