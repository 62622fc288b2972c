"""K-means against scikit-learn and faiss, and its thread scaling
(`run.py kmeans kmeans-scaling`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .common import peak_rss_mb, run_case, start_memory_window


def kmeans_worker(case: str, workdir: Path) -> dict:
    # Libraries load before the baseline so that only the algorithm's memory counts.
    import sklearn.cluster

    try:
        import faiss
    except ImportError:
        faiss = None
    from oddseq.cluster import KMeans

    X = np.load(workdir / "X.npy")
    init = np.load(workdir / "init.npy")
    iters = int((workdir / "iters").read_text())
    base = start_memory_window()
    if case == "gemm":
        a = np.random.default_rng(0).random((4096, 4096), dtype=np.float32)
        a @ a
        t0 = time.perf_counter()
        reps = 3
        for _ in range(reps):
            a @ a
        seconds = (time.perf_counter() - t0) / reps
        return {"case": case, "gflops": 2 * 4096**3 / seconds / 1e9}
    t0 = time.perf_counter()
    if case.startswith("oddseq"):
        algorithm = case.split("-")[1]
        km = KMeans(
            init.shape[0], init=init, n_init=1, max_iter=iters, tol=0, algorithm=algorithm
        ).fit(X)
        inertia, n_iter = km.inertia_, km.n_iter_
    elif case.startswith("sklearn"):
        algorithm = case.split("-")[1]
        km = sklearn.cluster.KMeans(
            init.shape[0], init=init, n_init=1, max_iter=iters, tol=0, algorithm=algorithm
        ).fit(X)
        inertia, n_iter = km.inertia_, km.n_iter_
    elif case == "faiss":
        km = faiss.Kmeans(
            X.shape[1],
            init.shape[0],
            niter=iters,
            seed=0,
            max_points_per_centroid=X.shape[0] + 1,
            min_points_per_centroid=1,
        )
        km.train(X, init_centroids=init)
        _, labels = km.index.search(X, 1)
        inertia = float(((X - km.centroids[labels[:, 0]]) ** 2).sum(dtype=np.float64))
        n_iter = iters
    else:
        raise ValueError(case)
    seconds = time.perf_counter() - t0
    return {
        "case": case,
        "seconds": seconds,
        "n_iter": int(n_iter),
        "ms_per_iter": 1000 * seconds / n_iter,
        "inertia": float(inertia),
        "peak_extra_mb": peak_rss_mb() - base,
    }


def bench_kmeans(args, workdir: Path) -> dict:
    rng = np.random.default_rng(0)
    n, d, k = args.n, 32, 64
    centers = rng.normal(0, 4, (k, d)).astype(np.float32)
    X = (centers[rng.integers(0, k, n)] + rng.normal(0, 1, (n, d))).astype(np.float32)
    init = X[rng.choice(n, k, replace=False)]
    np.save(workdir / "X.npy", X)
    np.save(workdir / "init.npy", init)
    (workdir / "iters").write_text(str(args.iters))
    cases = ["oddseq-hamerly", "oddseq-lloyd", "sklearn-lloyd", "sklearn-elkan"]
    rows = [run_case("kmeans", case, workdir) for case in cases]
    try:
        import faiss  # noqa: F401

        # faiss is fastest here with single-threaded BLAS (its own OpenMP does the rest).
        rows.append(run_case("kmeans", "faiss", workdir, {"OPENBLAS_NUM_THREADS": "1"}))
    except ImportError:
        print("faiss-cpu not installed: skipping it")
    gemm = run_case("kmeans", "gemm", workdir)["gflops"]
    ours = rows[0]
    flops = 2.0 * n * k * d
    print(
        f"\nKMeans float32 n={n:,} d={d} k={k}, {args.iters} iterations from the same "
        f"initial centres (tol=0)"
    )
    print(
        f"{'case':<15}{'ms/iter':>9}{'iters':>7}{'speedup':>9}{'rel. inertia':>14}"
        f"{'peak extra MB':>15}"
    )
    for r in rows:
        r["oddseq_speedup"] = r["ms_per_iter"] / ours["ms_per_iter"]
        r["inertia_rel_diff"] = (r["inertia"] - ours["inertia"]) / ours["inertia"]
        print(
            f"{r['case']:<15}{r['ms_per_iter']:>9.1f}{r['n_iter']:>7}"
            f"{r['oddseq_speedup']:>8.2f}x{r['inertia_rel_diff']:>14.2e}{r['peak_extra_mb']:>15.0f}"
        )
    lloyd = next(r for r in rows if r["case"] == "oddseq-lloyd")
    achieved = flops / (lloyd["ms_per_iter"] / 1000) / 1e9
    print(
        f"oddseq Lloyd: {achieved:.0f} GFLOP/s (2nkd per iteration) = "
        f"{100 * achieved / gemm:.0f}% of numpy's float32 GEMM ({gemm:.0f} GFLOP/s, 4096^2)"
    )
    return {
        "n": n,
        "d": d,
        "k": k,
        "iters": args.iters,
        "rows": rows,
        "gemm_gflops": gemm,
        "lloyd_gflops": achieved,
        "input_mb": X.nbytes / 2**20,
    }


def bench_kmeans_scaling(args, workdir: Path) -> dict:
    """ms per iteration over n (k = 64) and over k (n = 1,000,000), d = 32, float32,
    10 iterations from the same initial centres with tol=0, in this process."""
    import sklearn.cluster

    from oddseq.cluster import KMeans

    rng = np.random.default_rng(1)
    d, iters = 32, 10
    shapes = [
        (10_000, 64),
        (100_000, 64),
        (1_000_000, 64),
        (10_000_000, 64),
        (1_000_000, 8),
        (1_000_000, 256),
        (1_000_000, 1024),
    ]
    rows = []
    print(
        f"\nKMeans scaling: float32, d={d}, {iters} iterations from the same centres (tol=0); "
        "ms per iteration"
    )
    print(f"{'n':>11}{'k':>6}{'hamerly':>10}{'lloyd':>10}{'sklearn':>10}{'speedup':>9}")
    for n, k in shapes:
        true_centers = rng.normal(0, 4, (k, d)).astype(np.float32)
        X = true_centers[rng.integers(0, k, n)]
        X += rng.normal(0, 1, (n, d)).astype(np.float32)
        init = X[rng.choice(n, k, replace=False)]
        result = {"n": n, "k": k, "d": d}
        same = dict(init=init, n_init=1, max_iter=iters, tol=0)
        contenders = [
            ("hamerly", KMeans(k, algorithm="hamerly", **same)),
            ("lloyd", KMeans(k, algorithm="lloyd", **same)),
            ("sklearn", sklearn.cluster.KMeans(k, algorithm="lloyd", **same)),
        ]
        for name, model in contenders:
            t0 = time.perf_counter()
            model.fit(X)
            result[name] = 1000 * (time.perf_counter() - t0) / model.n_iter_
        result["speedup"] = result["sklearn"] / result["hamerly"]
        rows.append(result)
        print(
            f"{n:>11,}{k:>6}{result['hamerly']:>10.1f}{result['lloyd']:>10.1f}"
            f"{result['sklearn']:>10.1f}{result['speedup']:>8.1f}x"
        )
        del X
    return {"rows": rows}
