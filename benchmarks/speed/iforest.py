"""Isolation forest (`run.py iforest`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .common import peak_rss_mb, run_case, start_memory_window

IFOREST_DATA = {
    # name: (rows, features); Gaussian rows with 1% planted outliers (one feature +-6)
    "gauss 100k x 20": (100_000, 20),
    "gauss 1M x 10": (1_000_000, 10),
}


def make_iforest_data(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.zeros(n, dtype=np.int8)
    out = rng.choice(n, n // 100, replace=False)
    X[out, rng.integers(0, d, out.size)] += rng.choice([-6.0, 6.0], out.size)
    y[out] = 1
    return X, y


def iforest_worker(case: str, workdir: Path) -> dict:
    """Isolation forest fit (100 trees, 256 rows each) and the anomaly score of every
    training row, which scikit-learn gives by a second pass (score_samples). oddseq's fit
    already scores the training rows; decision_function scores them again inside the
    timing so both sides do the same work."""
    X = np.load(workdir / "X.npy")
    if case.startswith("oddseq"):
        from oddseq.detect import IsolationForest
    elif case.startswith("sklearn"):
        from sklearn.ensemble import IsolationForest
    else:
        raise ValueError(case)
    base = start_memory_window()
    t0 = time.perf_counter()
    if case.startswith("oddseq"):
        det = IsolationForest(random_state=0, extended=case == "oddseq-extended").fit(X)
        t_fit = time.perf_counter() - t0
        scores = det.decision_function(X)
    else:
        # sklearn-seed1: another forest of the same library, for the agreement to expect
        seed = 1 if case == "sklearn-seed1" else 0
        det = IsolationForest(random_state=seed, n_jobs=-1).fit(X)
        t_fit = time.perf_counter() - t0
        scores = -det.score_samples(X)
    seconds = time.perf_counter() - t0
    np.save(workdir / f"scores-{case}.npy", scores)
    return {
        "case": case,
        "seconds": seconds,
        "fit_seconds": t_fit,
        "peak_extra_mb": peak_rss_mb() - base,
    }


def bench_iforest(args, workdir: Path) -> dict:
    from sklearn.metrics import roc_auc_score

    print("\nIsolation forest: fit (100 trees x 256 rows) + score every row")
    print(
        f"{'data':<18}{'library':>18}{'seconds':>9}{'fit s':>7}{'oddseq x':>9}"
        f"{'ROC-AUC':>9}{'mean s':>8}{'r(sk)':>7}"
    )
    rows = []
    for name, (n, d) in IFOREST_DATA.items():
        X, y = make_iforest_data(n, d)
        np.save(workdir / "X.npy", X)
        results = {case: run_case("iforest", case, workdir) for case in ("oddseq", "sklearn")}
        for case in ("sklearn-seed1", "oddseq-extended"):
            results[case] = run_case("iforest", case, workdir)
        sk = np.load(workdir / "scores-sklearn.npy")
        for case, r in results.items():
            scores = np.load(workdir / f"scores-{case}.npy")
            r.update(
                data=name,
                shape=[n, d],
                oddseq_speedup=r["seconds"] / results["oddseq"]["seconds"],
                roc_auc=float(roc_auc_score(y, scores)),
                mean_score=float(scores.mean()),
                corr_sklearn=float(np.corrcoef(scores, sk)[0, 1]),
            )
            rows.append(r)
            print(
                f"{name:<18}{case:>18}{r['seconds']:>9.2f}{r['fit_seconds']:>7.2f}"
                f"{r['oddseq_speedup']:>8.1f}x{r['roc_auc']:>9.4f}{r['mean_score']:>8.4f}"
                f"{r['corr_sklearn']:>7.3f}"
            )
    return {"rows": rows}
