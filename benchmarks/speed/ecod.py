"""ECOD (`run.py ecod`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .common import peak_rss_mb, run_case, start_memory_window
from .iforest import IFOREST_DATA, make_iforest_data


def ecod_worker(case: str, workdir: Path) -> dict:
    """ECOD's training scores (fit), oddseq against PyOD."""
    import warnings

    X = np.load(workdir / "X.npy")
    if case == "oddseq":
        from oddseq.detect import ECOD
    elif case == "pyod":
        from pyod.models.ecod import ECOD
    else:
        raise ValueError(case)
    base = start_memory_window()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's skew on constant columns
        scores = ECOD().fit(X).decision_scores_
    seconds = time.perf_counter() - t0
    np.save(workdir / f"scores-{case}.npy", scores)
    return {"case": case, "seconds": seconds, "peak_extra_mb": peak_rss_mb() - base}


def bench_ecod(args, workdir: Path) -> dict:
    from sklearn.metrics import roc_auc_score

    print("\nECOD: fit, the training rows' scores")
    print(
        f"{'data':<18}{'library':>10}{'seconds':>9}{'oddseq x':>9}{'ROC-AUC':>9}{'max |diff|':>12}"
    )
    rows = []
    for name, (n, d) in IFOREST_DATA.items():
        X, y = make_iforest_data(n, d)
        np.save(workdir / "X.npy", X)
        results = {case: run_case("ecod", case, workdir) for case in ("oddseq", "pyod")}
        ours = np.load(workdir / "scores-oddseq.npy")
        for case, r in results.items():
            scores = np.load(workdir / f"scores-{case}.npy")
            r.update(
                data=name,
                shape=[n, d],
                oddseq_speedup=r["seconds"] / results["oddseq"]["seconds"],
                roc_auc=float(roc_auc_score(y, scores)),
                max_abs_diff=float(np.abs(scores - ours).max()),
            )
            rows.append(r)
            print(
                f"{name:<18}{case:>10}{r['seconds']:>9.2f}{r['oddseq_speedup']:>8.1f}x"
                f"{r['roc_auc']:>9.4f}{r['max_abs_diff']:>12.1e}"
            )
    return {"rows": rows}
