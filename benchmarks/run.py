"""oddseq against its peers, side by side in one run, on the same data.

Usage (from the repository root, after ``pip install ".[bench]"``):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [sequences] [kmeans]
        [kmeans-scaling] [encoders] [dbscan [--dbscan-shapes 200k-d2 ...]] [neighbors]
        [iforest] [ecod] [groups [--group-events 1000000 10000000]] [skew]
        [pipeline [--pipeline-cases shop-100k taobao-1M]] [dask [--dask-events 1000000 ...]]
        [--events 10000000] [--entities 100000] [--n 1000000] [--iters 50]

Each measurement runs in a fresh subprocess that loads the shared input from disk, so
its peak memory (ru_maxrss above the loaded input) belongs to that one operation.
Prints a table per benchmark and writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_memory_window() -> float:
    """Resets the peak-RSS mark (Linux clear_refs) and returns the current RSS in MB, so
    that peak_rss_mb() - this value is what the code after it allocated at most."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def machine() -> dict:
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cores": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(
                line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    try:
        import oddseq

        info["oddseq_simd"] = oddseq.simd_level()
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        ]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE")
    return info


def run_case(bench: str, case: str, workdir: Path, extra_env=None) -> dict:
    """Runs one case in a fresh interpreter; returns its JSON line."""
    env = {**os.environ, **(extra_env or {})}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", bench, case, str(workdir)],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{bench}/{case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- sequences
def make_event_log(n_events: int, n_entities: int, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    # Heavy-tailed entity sizes, rows shuffled as in a raw log.
    weight = rng.pareto(1.5, n_entities) + 1
    entity = rng.choice(n_entities, n_events, p=weight / weight.sum())
    entity[:n_entities] = np.arange(n_entities)
    rng.shuffle(entity)
    return pd.DataFrame(
        {
            "user_id": (entity * 7919 + 13).astype(np.int64),
            "behavior": pd.Categorical.from_codes(
                rng.choice(4, n_events, p=[0.89, 0.055, 0.03, 0.025]).astype(np.int8),
                ["pv", "cart", "fav", "buy"],
            ),
            "timestamp": rng.integers(1_511_539_200, 1_511_539_200 + 9 * 86_400, n_events),
            "item_id": rng.integers(0, 4_000_000, n_events).astype(np.int64),
        }
    )


def sequences_worker(case: str, workdir: Path) -> dict:
    import pandas as pd

    from oddseq.sequences import Sequences

    df = pd.read_parquet(workdir / "log.parquet")
    input_mb = sum(df[c].memory_usage(index=False, deep=True) for c in df.columns) / 2**20
    base = start_memory_window()
    t0 = time.perf_counter()
    if case == "oddseq":
        seqs = Sequences.from_events(
            df, entity="user_id", event="behavior", time="timestamp", item="item_id"
        )
        elapsed = time.perf_counter() - t0
        first = seqs.ids[0], seqs[0]["item"].tolist()[:5]
        n = len(seqs)
    else:
        grouped = (
            df.sort_values(["user_id", "timestamp"], kind="stable")
            .groupby("user_id", sort=True)[["behavior", "timestamp", "item_id"]]
            .agg(list)
        )
        elapsed = time.perf_counter() - t0
        first = grouped.index[0], grouped["item_id"].iloc[0][:5]
        n = len(grouped)
    return {
        "case": case,
        "seconds": elapsed,
        "peak_extra_mb": peak_rss_mb() - base,
        "input_mb": input_mb,
        "n_sequences": n,
        "check": [int(first[0]), [int(v) for v in first[1]]],
    }


def bench_sequences(args, workdir: Path) -> dict:
    df = make_event_log(args.events, args.entities)
    df.to_parquet(workdir / "log.parquet")
    rows = [run_case("sequences", case, workdir) for case in ("oddseq", "pandas")]
    assert rows[0]["check"] == rows[1]["check"], "oddseq and pandas disagree"
    assert rows[0]["n_sequences"] == rows[1]["n_sequences"]
    ratio = rows[1]["seconds"] / rows[0]["seconds"]
    print(
        f"\nSequences.from_events vs pandas sort_values + groupby.agg(list): "
        f"{args.events:,} events, {args.entities:,} entities, shuffled rows"
    )
    print(f"{'case':<10}{'seconds':>10}{'peak extra MB':>16}{'input MB':>10}")
    for r in rows:
        print(
            f"{r['case']:<10}{r['seconds']:>10.3f}{r['peak_extra_mb']:>16.0f}{r['input_mb']:>10.0f}"
        )
    print(
        f"oddseq is {ratio:.1f}x faster; its peak extra memory is "
        f"{rows[0]['peak_extra_mb'] / rows[0]['input_mb']:.2f}x the input columns"
    )
    return {
        "events": args.events,
        "entities": args.entities,
        "rows": rows,
        "speedup_vs_pandas": ratio,
    }


# ---------------------------------------------------------------------- k-means
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


def encoders_worker(case: str, workdir: Path) -> dict:
    """One encoder family on the shared log: oddseq's encoder, or the pandas code an
    analyst would write for the same features. Returns a few values to cross-check."""
    import pandas as pd

    from oddseq.encode import (
        CountEncoder,
        DecayEncoder,
        DiversityEncoder,
        MinHashEncoder,
        TemporalEncoder,
        TransitionEncoder,
        default_encoder,
    )
    from oddseq.sequences import Sequences

    df = pd.read_parquet(workdir / "log.parquet")
    seqs = Sequences.from_events(
        df, entity="user_id", event="behavior", time="timestamp", item="item_id"
    )
    family, library = case.split("-")
    base = start_memory_window()
    t0 = time.perf_counter()
    if library == "oddseq":
        encoder = {
            "temporal": TemporalEncoder(),
            "transition": TransitionEncoder(),
            "diversity": DiversityEncoder(),
            "default": default_encoder(),
            "counts": CountEncoder(ngram_range=(1, 2), unseen="ignore"),
            "decay": DecayEncoder(half_life="1D"),
            "minhash": MinHashEncoder(n_hashes=64, random_state=0),
        }[family]
        frame = encoder.set_output(transform="pandas").fit_transform(seqs)
        elapsed = time.perf_counter() - t0
        check = {
            "temporal": ["gap_mean_s", "gap_std_s", "max_events_1min"],
            "transition": ["p(buy|cart)", "p(pv|pv)"],
            "diversity": ["n_items", "buy_per_view"],
            "default": ["length"],
            "counts": ["count[pv]", "count[pv>cart]"],
            "decay": ["decayed[buy]", "decayed_total"],
            "minhash": ["minhash_0", "minhash_31", "minhash_63"],
        }[family]
        values = frame[check]
    else:
        ordered = df.sort_values(["user_id", "timestamp"], kind="stable")
        users = ordered["user_id"]
        if family == "temporal":
            gaps = ordered.groupby("user_id")["timestamp"].diff().astype(float)
            stats = gaps.groupby(users).agg(["mean", "std"])
            stats["std"] = gaps.groupby(users).std(ddof=0)
            ts = pd.to_datetime(ordered["timestamp"], unit="s")
            per_min = (
                ordered.assign(t=ts)
                .set_index("t")
                .groupby("user_id")["behavior"]
                .rolling("60s")
                .count()
                .groupby(level=0)
                .max()
            )
            values = pd.DataFrame(
                {"gap_mean_s": stats["mean"], "gap_std_s": stats["std"], "max_events_1min": per_min}
            )
        elif family == "transition":
            nxt = ordered.groupby("user_id")["behavior"].shift(-1)
            pairs = pd.DataFrame(
                {"u": users, "a": ordered["behavior"].astype(str), "b": nxt.astype(object)}
            ).dropna()
            counts = pairs.groupby(["u", "a", "b"]).size()
            p = counts / counts.groupby(level=[0, 1]).transform("sum")
            wide = p.unstack(["a", "b"], fill_value=0.0)
            values = pd.DataFrame(
                {
                    "p(buy|cart)": wide.get(("cart", "buy"), 0.0),
                    "p(pv|pv)": wide.get(("pv", "pv"), 0.0),
                }
            )
        elif family == "counts":
            nxt = ordered.groupby("user_id")["behavior"].shift(-1)
            grams = pd.DataFrame(
                {"u": users, "a": ordered["behavior"].astype(str), "b": nxt.astype(object)}
            )
            unigrams = pd.crosstab(grams["u"], grams["a"])
            bigrams = (
                grams.dropna().groupby(["u", "a", "b"]).size().unstack(["a", "b"], fill_value=0)
            )
            values = pd.DataFrame(
                {"count[pv]": unigrams["pv"], "count[pv>cart]": bigrams.get(("pv", "cart"), 0)}
            )
        elif family == "decay":
            age = ordered["timestamp"].max() - ordered["timestamp"]
            weight = 0.5 ** (age / 86_400)
            table = pd.DataFrame({"u": users, "w": weight, "e": ordered["behavior"]})
            per_type = table.pivot_table(
                index="u", columns="e", values="w", aggfunc="sum", fill_value=0.0, observed=False
            )
            values = pd.DataFrame(
                {"decayed[buy]": per_type["buy"], "decayed_total": per_type.sum(axis=1)}
            )
        elif family == "minhash":
            # Each distinct item hashed once (pandas' hash, then MurmurHash3's finalizer,
            # top 32 bits), then per hash function one vectorised pass and a segmented
            # minimum: the same 64 hash functions MinHashEncoder(random_state=0) draws.
            rng = np.random.RandomState(0)
            mult = rng.randint(0, 2**32, 64, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
            add = rng.randint(0, 2**32, 64, dtype=np.uint64).astype(np.uint32)
            codes, uniques = pd.factorize(ordered["item_id"])
            mixed = pd.util.hash_array(uniques.to_numpy())
            with np.errstate(over="ignore"):
                for factor in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):
                    mixed = (mixed ^ (mixed >> np.uint64(33))) * np.uint64(factor)
                mixed ^= mixed >> np.uint64(33)
            x = (mixed >> np.uint64(32)).astype(np.uint32)[codes]
            starts = np.flatnonzero(np.r_[True, users.to_numpy()[1:] != users.to_numpy()[:-1]])
            signature = np.empty((len(starts), 64), dtype=np.uint32)
            for j in range(64):
                signature[:, j] = np.minimum.reduceat((mult[j] * x + add[j]) >> 8, starts)
            values = pd.DataFrame(
                signature[:, [0, 31, 63]], index=users.iloc[starts].to_numpy()
            ).astype(float)
        else:
            n_items = ordered.groupby("user_id")["item_id"].nunique()
            steps = pd.crosstab(users, ordered["behavior"])
            values = pd.DataFrame(
                {"n_items": n_items, "buy_per_view": steps["buy"] / steps["pv"].clip(lower=1)}
            )
        elapsed = time.perf_counter() - t0
    values = values.sort_index().head(200).astype(float).fillna(0.0)
    return {
        "case": case,
        "seconds": elapsed,
        "peak_extra_mb": peak_rss_mb() - base,
        "events": len(df),
        "check": values.to_numpy().round(3).tolist(),
    }


def bench_encoders(args, workdir: Path) -> dict:
    df = make_event_log(args.events, args.entities)
    df.to_parquet(workdir / "log.parquet")
    print(
        f"\nEncoders vs idiomatic pandas: {args.events:,} events, {args.entities:,} entities "
        "(Sequences built beforehand, not timed)"
    )
    print(
        f"{'family':<12}{'oddseq s':>10}{'pandas s':>10}{'speedup':>9}"
        f"{'M events/s/core':>17}{'peak extra MB':>15}"
    )
    rows = []
    for family in ("counts", "temporal", "transition", "diversity", "decay", "minhash", "default"):
        ours = run_case("encoders", f"{family}-oddseq", workdir)
        row = {
            "family": family,
            "oddseq_seconds": ours["seconds"],
            "oddseq_peak_extra_mb": ours["peak_extra_mb"],
            "events_per_second_per_core": ours["events"] / ours["seconds"] / os.cpu_count(),
        }
        if family != "default":
            theirs = run_case("encoders", f"{family}-pandas", workdir)
            if not np.allclose(ours["check"], theirs["check"], rtol=1e-3, atol=1e-3):
                raise AssertionError(f"{family}: oddseq and pandas disagree")
            row["pandas_seconds"] = theirs["seconds"]
            row["speedup"] = theirs["seconds"] / ours["seconds"]
        rows.append(row)
        speed = f"{row['speedup']:>8.1f}x" if "speedup" in row else f"{'-':>9}"
        pandas_s = f"{row['pandas_seconds']:>10.2f}" if "pandas_seconds" in row else f"{'-':>10}"
        print(
            f"{family:<12}{row['oddseq_seconds']:>10.3f}{pandas_s}{speed}"
            f"{row['events_per_second_per_core'] / 1e6:>17.1f}"
            f"{row['oddseq_peak_extra_mb']:>15.0f}"
        )
    return {"events": args.events, "entities": args.entities, "rows": rows}


# ---------------------------------------------------------------------- skew
SKEW_SHARE = 0.25  # of the events held by one entity (a crawler) in the skewed log
SKEW_CRAWLER_ID = -1


def skew_worker(case: str, workdir: Path) -> dict:
    """Sequences.from_events, the one call's encoders (CountTimingEncoder +
    DiversityEncoder as AnomalyPipeline builds them) or default_encoder() on the even or
    the skewed log; the best of three (sequences) or seven (encoders) runs."""
    import pandas as pd

    from oddseq.encode import CountTimingEncoder, DiversityEncoder, EncoderUnion, default_encoder
    from oddseq.sequences import Sequences

    layout, what = case.split(":")
    df = pd.read_parquet(workdir / f"{layout}.parquet")

    def build():
        return Sequences.from_events(
            df, entity="user_id", event="behavior", time="timestamp", item="item_id"
        )

    seqs = build()
    if what == "sequences":
        run = build
    else:
        if what == "pipeline-encoders":
            encoder = EncoderUnion(
                [
                    ("counts", CountTimingEncoder(max_event_types=30, count_unseen=True)),
                    ("diversity", DiversityEncoder()),
                ]
            )
        else:
            encoder = default_encoder()
        encoder.fit(seqs)

        def run():
            return encoder.transform(seqs)

    times = []
    for _ in range(3 if what == "sequences" else 7):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return {
        "case": case,
        "seconds": min(times),
        "events": len(df),
        "longest": int(seqs.lengths.max()),
    }


def bench_skew(args, workdir: Path) -> dict:
    """The same events spread over many users, or with a quarter of them moved to one
    entity (a crawler): work split per entity leaves one thread alone with the giant."""
    df = make_event_log(args.events, args.entities)
    df.to_parquet(workdir / "even.parquet")
    crawler = np.random.default_rng(1).random(len(df)) < SKEW_SHARE
    df.loc[crawler, "user_id"] = SKEW_CRAWLER_ID
    df.to_parquet(workdir / "skewed.parquet")
    del df
    cores = os.cpu_count()
    print(
        f"\nSkew: {args.events:,} events over {args.entities:,} entities, evenly spread or "
        f"with {SKEW_SHARE:.0%} of them on one entity; M events/s/core ({cores} cores)"
    )
    print(f"{'step':<20}{'even':>8}{'skewed':>8}{'even/skewed':>13}{'longest seq':>13}")
    rows = []
    for what in ("sequences", "pipeline-encoders", "default-encoder"):
        # Alternately, twice each, keeping each layout's best: the machine is shared.
        runs = [run_case("skew", f"{layout}:{what}", workdir) for layout in ("even", "skewed") * 2]
        even = min(runs[0::2], key=lambda r: r["seconds"])
        skewed = min(runs[1::2], key=lambda r: r["seconds"])
        rate = {r["case"]: r["events"] / r["seconds"] / cores / 1e6 for r in (even, skewed)}
        row = {
            "step": what,
            "even_seconds": even["seconds"],
            "skewed_seconds": skewed["seconds"],
            "even_m_events_per_s_per_core": rate[even["case"]],
            "skewed_m_events_per_s_per_core": rate[skewed["case"]],
            "slowdown": skewed["seconds"] / even["seconds"],
            "longest_even": even["longest"],
            "longest_skewed": skewed["longest"],
        }
        rows.append(row)
        print(
            f"{what:<20}{rate[even['case']]:>8.1f}{rate[skewed['case']]:>8.1f}"
            f"{row['slowdown']:>12.2f}x{skewed['longest']:>13,}"
        )
    return {"events": args.events, "entities": args.entities, "share": SKEW_SHARE, "rows": rows}


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


# ------------------------------------------------------------------------- dbscan
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


PIPELINE_CASES = {
    # name: (events, entities, event types, one event per entity)
    "shop-100k": (10_000_000, 100_000, 4, False),
    "urls-20k": (2_000_000, 20_000, 3_000, False),
    "single-event-1M": (1_000_000, 1_000_000, 4, True),
    # Taobao UserBehavior's size: the shop log scaled up tenfold.
    "taobao-1M": (100_000_000, 1_000_000, 4, False),
}
# What runs on each case: the one call as it is ("oddseq": with item=, the group stage
# runs too), without its group stage ("oddseq-nogroups": the per-entity model alone) and
# the analyst's pandas + LOF flow. At Taobao's size the group stage alone held 18.7 GB
# (2026-11-30) on a 23 GB machine, so that case runs without it.
PIPELINE_RUNS = {
    "shop-100k": ["oddseq", "oddseq-nogroups", "pandas+sklearn-LOF"],
    "taobao-1M": ["oddseq-nogroups"],
}
# Cases run by default; the Taobao-sized one is asked for with --pipeline-cases.
DEFAULT_PIPELINE_CASES = ("shop-100k", "urls-20k", "single-event-1M")
# Generated logs of PIPELINE_CASES are written here once and reused (a 100 M event log
# takes minutes to make).
PIPELINE_DATA = RESULTS / "data"


def make_pipeline_log(case: str):
    """The shop log of the encoder benchmark; the same with 3,000 URL-like event types
    (Zipf-distributed); or a million entities with one event each (most feature rows
    then equal)."""
    import pandas as pd

    n_events, n_entities, n_types, single = PIPELINE_CASES[case]
    if n_types == 4 and not single:
        return make_event_log(n_events, n_entities)
    rng = np.random.default_rng(0)
    weights = 1.0 / np.arange(1, n_types + 1) ** 1.1
    labels = [f"/page/{i}" for i in range(n_types)] if n_types > 4 else ["pv", "cart", "fav", "buy"]
    return pd.DataFrame(
        {
            "user_id": np.arange(n_events) if single else rng.integers(0, n_entities, n_events),
            "behavior": pd.Categorical.from_codes(
                rng.choice(n_types, n_events, p=weights / weights.sum()), labels
            ),
            "timestamp": rng.integers(1_600_000_000, 1_600_000_000 + 30 * 86_400, n_events),
            "item_id": rng.integers(0, 1_000_000, n_events),
        }
    )


def pipeline_worker(case: str, workdir: Path) -> dict:
    """detect_anomalies end to end (sequences, features, ensemble, reasons), or the
    analyst's flow on the shop log: per-user aggregates in pandas, then scikit-learn's
    LocalOutlierFactor (scores only: no reasons, no clusters, no model for new data)."""
    import pandas as pd

    name, library = case.rsplit(":", 1)
    df = pd.read_parquet(workdir / f"{name}.parquet")
    try:  # what Arrow's pool kept from the read is not the call's (nor the input's)
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:
        pass
    input_mb = sum(df[c].memory_usage(index=False, deep=True) for c in df.columns) / 2**20
    base = start_memory_window()
    t0 = time.perf_counter()
    stages = None
    if library.startswith("oddseq"):
        import cProfile

        import oddseq

        # The stages' times from the profiler's cumulative times of the functions that
        # run them (a few thousand Python calls in all: the overhead is negligible).
        profile = cProfile.Profile()
        profile.enable()
        table = oddseq.detect_anomalies(
            df,
            entity="user_id",
            event="behavior",
            time="timestamp",
            item="item_id",
            groups=library != "oddseq-nogroups",
        )
        profile.disable()
        seconds = time.perf_counter() - t0
        rows, flagged = len(table), int(table["is_anomaly"].sum())
        stages = pipeline_stages(profile)
    else:
        from sklearn.neighbors import LocalOutlierFactor
        from sklearn.preprocessing import StandardScaler

        g = df.groupby("user_id")
        table = pd.crosstab(df["user_id"], df["behavior"])
        table["n_events"] = g.size()
        table["n_items"] = g["item_id"].nunique()
        span_h = (g["timestamp"].max() - g["timestamp"].min()) / 3600
        table["span_h"] = span_h
        table["events_per_hour"] = table["n_events"] / (span_h + 1)
        X = StandardScaler().fit_transform(np.log1p(table.to_numpy(dtype=float)))
        scores = -LocalOutlierFactor(n_neighbors=20, n_jobs=-1).fit(X).negative_outlier_factor_
        rows, flagged = len(scores), None
        seconds = time.perf_counter() - t0
    peak = peak_rss_mb()
    return {
        "case": case,
        "seconds": seconds,
        "peak_extra_mb": peak - base,
        # Everything the process held at its peak, the loaded input and the interpreter
        # included: what a user's machine must have.
        "peak_total_mb": peak,
        "input_mb": input_mb,
        "rows": rows,
        "flagged": flagged,
        "stages": stages,
    }


def pipeline_stages(profile) -> dict:
    """Seconds per stage of detect_anomalies: the cumulative profiled time of the
    function running each stage (the rest, such as sorting the table, is "other")."""
    import inspect
    import pstats

    from oddseq._pipeline import AnomalyPipeline
    from oddseq.detect import EnsembleDetector
    from oddseq.encode import EncoderUnion
    from oddseq.graph import GroupDetector
    from oddseq.preprocessing import LogScaler, StandardScaler, _quality
    from oddseq.preprocessing._evidence import EvidenceShrinker
    from oddseq.sequences import Sequences

    def key(function):
        # The function itself, not scikit-learn's set_output wrapper around it.
        code = inspect.unwrap(getattr(function, "__func__", function)).__code__
        return code.co_filename, code.co_firstlineno, code.co_name

    stages = {
        "sequences": [Sequences.from_events],
        "log checks": [_quality.warn_about_the_log],
        "encoding": [EncoderUnion.fit, EncoderUnion.transform],
        "evidence shrinkage": [EvidenceShrinker.fit, EvidenceShrinker.transform],
        "scaling": [
            LogScaler.fit,
            LogScaler.transform,
            StandardScaler.fit,
            StandardScaler.transform,
        ],
        "detector fit": [EnsembleDetector.fit],
        "threshold": [AnomalyPipeline._set_threshold],
        "reasons/table": [AnomalyPipeline._table],
        "groups": [GroupDetector.fit, AnomalyPipeline.join_groups],
    }
    timings = pstats.Stats(profile).stats  # key -> (calls, primitive, tottime, cumtime, callers)
    total = max(entry[3] for entry in timings.values())
    out = {}
    for stage, functions in stages.items():
        out[stage] = sum(timings[key(f)][3] for f in functions if key(f) in timings)
    out["other"] = total - sum(out.values())
    return out


def bench_pipeline(args, workdir: Path) -> dict:
    print("\nOne call, detect_anomalies(df, entity, event, time, item), end to end")
    print(
        f"{'case':<30}{'events':>12}{'entities':>11}{'types':>7}{'seconds':>9}"
        f"{'peak extra MB':>14}{'peak total MB':>14}"
    )
    rows = []
    PIPELINE_DATA.mkdir(parents=True, exist_ok=True)
    for name in args.pipeline_cases:
        n_events, n_entities, n_types, _ = PIPELINE_CASES[name]
        data = PIPELINE_DATA / f"{name}.parquet"
        if not data.exists():
            make_pipeline_log(name).to_parquet(data)
        (workdir / f"{name}.parquet").symlink_to(data)
        cases = PIPELINE_RUNS.get(name, ["oddseq"])
        cases = [f"{name}:{run}" for run in cases]
        for case in cases:
            r = run_case("pipeline", case, workdir)
            r.update(events=n_events, entities=n_entities, event_types=n_types)
            rows.append(r)
            print(
                f"{case:<30}{n_events:>12,}{n_entities:>11,}{n_types:>7,}"
                f"{r['seconds']:>9.1f}{r['peak_extra_mb']:>14.0f}{r['peak_total_mb']:>14.0f}"
            )
            if r["stages"]:
                print("    " + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()))
    return {"rows": rows}


# The dask benchmark's logs: Taobao's shape (100 events per user on average, heavy-tailed
# users, four event types, items), written as this many Parquet files each.
DASK_FILES = 8
DASK_EVENTS_PER_USER = 100


def dask_data(n_events: int) -> Path:
    """A Taobao-shaped log of n_events as DASK_FILES Parquet files (rows shuffled, so
    each user's events are spread over every file), made once and reused."""
    path = PIPELINE_DATA / f"dask-{n_events}"
    if not (path / "_done").exists():
        path.mkdir(parents=True, exist_ok=True)
        df = make_event_log(n_events, n_events // DASK_EVENTS_PER_USER)
        for i, rows in enumerate(np.array_split(np.arange(n_events), DASK_FILES)):
            df.iloc[rows].to_parquet(path / f"part-{i:02d}.parquet", index=False)
        (path / "_done").touch()
    return path


DASK_COLUMNS = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")


def dask_worker(case: str, workdir: Path) -> dict:
    """The one call on the Parquet files: the single-process oddseq.detect_anomalies
    (read included), or oddseq.dask.detect_anomalies on a LocalCluster of two worker
    processes of one thread each (started before the clock starts). Writes the table's
    scores and flags for the comparison."""
    import pandas as pd

    n_events, how = case.split(":")
    data = PIPELINE_DATA / f"dask-{n_events}"
    files = sorted(str(p) for p in data.glob("*.parquet"))
    out = workdir / f"{how}-{n_events}.parquet"
    result = {"case": case}
    if how == "single":
        import oddseq

        t0 = time.perf_counter()
        df = pd.read_parquet(files)
        table = oddseq.detect_anomalies(df, **DASK_COLUMNS, groups=False)
        result["seconds"] = time.perf_counter() - t0
        result["peak_total_mb"] = peak_rss_mb()
    else:
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster

        import oddseq.dask

        t0 = time.perf_counter()
        cluster = LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            memory_limit="8GiB",
        )
        client = Client(cluster)
        client.run(start_memory_window)
        result["cluster_start_seconds"] = time.perf_counter() - t0
        base = start_memory_window()
        t0 = time.perf_counter()
        ddf = dd.read_parquet(files)
        table = oddseq.dask.detect_anomalies(ddf, **DASK_COLUMNS)
        n_rows = len(table)  # the table is in the workers' memory: its partitions counted
        result["seconds"] = time.perf_counter() - t0
        result["rows_counted"] = n_rows
        result["peak_worker_mb"] = sorted(client.run(peak_rss_mb).values())
        result["peak_client_extra_mb"] = peak_rss_mb() - base
        result["peak_client_total_mb"] = peak_rss_mb()
        table = table[["score", "rank", "is_anomaly"]].compute()
        client.close()
        cluster.close()
    table[["score", "rank", "is_anomaly"]].to_parquet(out)
    result["rows"] = len(table)
    result["flagged"] = int(table["is_anomaly"].sum())
    return result


def bench_dask(args, workdir: Path) -> dict:
    print("\nThe one call on Dask: Parquet files, LocalCluster(2 workers x 1 thread), one process")
    print(
        f"{'events':>12}{'users':>10}{'single s':>10}{'dask s':>9}{'ratio':>7}"
        f"{'single MB':>11}{'worker MB':>17}{'client MB':>11}{'same flags':>12}"
        f"{'max |d score|':>15}"
    )
    import pandas as pd

    rows = []
    for n_events in args.dask_events:
        dask_data(n_events)
        single = run_case("dask", f"{n_events}:single", workdir)
        distributed = run_case("dask", f"{n_events}:dask", workdir)
        a = pd.read_parquet(workdir / f"single-{n_events}.parquet")
        b = pd.read_parquet(workdir / f"dask-{n_events}.parquet").reindex(a.index)
        same = bool((a["is_anomaly"] == b["is_anomaly"]).all() and (a["rank"] == b["rank"]).all())
        diff = float((a["score"] - b["score"]).abs().max())
        row = {
            "events": n_events,
            "users": n_events // DASK_EVENTS_PER_USER,
            "single": single,
            "dask": distributed,
            "ratio": distributed["seconds"] / single["seconds"],
            "same_flags_and_ranks": same,
            "max_score_difference": diff,
            "load": os.getloadavg(),
        }
        rows.append(row)
        print(
            f"{n_events:>12,}{row['users']:>10,}{single['seconds']:>10.1f}"
            f"{distributed['seconds']:>9.1f}{row['ratio']:>7.2f}{single['peak_total_mb']:>11.0f}"
            f"{'/'.join(f'{m:.0f}' for m in distributed['peak_worker_mb']):>17}"
            f"{distributed['peak_client_total_mb']:>11.0f}{'yes' if same else 'NO':>12}"
            f"{diff:>15.2g}"
        )
    return {"rows": rows}


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


# ---------------------------------------------------------------------- iforest
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


# ---------------------------------------------------------------------- groups
def make_group_log(n_events: int, seed: int = 0):
    """A Taobao-shaped log without groups: n/100 users with heavy-tailed activity, n/25
    items with Zipf popularity, times over 9 days (user, item, ts arrays)."""
    rng = np.random.default_rng(seed)
    n_users, n_items = max(n_events // 100, 10), max(n_events // 25, 40)
    weight = rng.pareto(1.5, n_users) + 1
    user = rng.choice(n_users, n_events, p=weight / weight.sum())
    rank = np.floor(n_items ** rng.random(n_events)).astype(np.int64) - 1  # ~ 1/rank
    item = rng.permutation(n_items)[np.clip(rank, 0, n_items - 1)]
    ts = rng.integers(1_511_539_200, 1_511_539_200 + 9 * 86_400, n_events)
    return user.astype(np.int64), item.astype(np.int64), ts.astype(np.int64)


def reference_fraudar(offsets, cols, n_cols, weight):
    """REFERENCE ONLY (for the density check and the speed comparison): FRAUDAR's greedy
    peeling (Hooi et al. 2016) written plainly in Python with heapq, as the authors'
    Python code does it, with column weights given. spartan2 does not build here
    (Cython missing at build time), so this is the peer. Ties go to the smaller node id
    (rows first), like oddseq's, so both peel in the same order."""
    import heapq

    n_rows = len(offsets) - 1
    offsets, cols, weight = offsets.tolist(), cols.tolist(), weight.tolist()
    by_col = [[] for _ in range(n_cols)]
    for r in range(n_rows):
        for e in range(offsets[r], offsets[r + 1]):
            by_col[cols[e]].append(r)
    prio = [0.0] * (n_rows + n_cols)
    for r in range(n_rows):
        s = 0.0
        for e in range(offsets[r], offsets[r + 1]):
            s += weight[cols[e]]
        prio[r] = s
    for c in range(n_cols):
        if weight[c] > 0:
            s = 0.0
            for _ in by_col[c]:
                s += weight[c]
            prio[n_rows + c] = s
    nodes = [v for v in range(n_rows + n_cols) if prio[v] > 0]
    f = 0.0
    for r in range(n_rows):
        f += prio[r]
    heap = [(prio[v], v) for v in nodes]
    heapq.heapify(heap)
    present = bytearray(n_rows + n_cols)
    for v in nodes:
        present[v] = 1
    n0 = len(nodes)
    best, best_step, removed = f / n0, 0, []
    for step in range(1, n0):
        while True:
            p, v = heapq.heappop(heap)
            if present[v] and p == prio[v]:
                break
        present[v] = 0
        removed.append(v)
        f -= prio[v]
        if v < n_rows:
            for e in range(offsets[v], offsets[v + 1]):
                u = n_rows + cols[e]
                if present[u]:
                    prio[u] -= weight[cols[e]]
                    heapq.heappush(heap, (prio[u], u))
        else:
            w = weight[v - n_rows]
            for u in by_col[v - n_rows]:
                if present[u]:
                    prio[u] -= w
                    heapq.heappush(heap, (prio[u], u))
        g = f / (n0 - step)
        if g > best:
            best, best_step = g, step
    block = set(nodes) - set(removed[:best_step])
    rows = sorted(v for v in block if v < n_rows)
    inside = {v - n_rows for v in block if v >= n_rows}
    total = 0.0
    for r in rows:
        for e in range(offsets[r], offsets[r + 1]):
            if cols[e] in inside:
                total += weight[cols[e]]
    return rows, sorted(inside), total / (len(rows) + len(inside))


def groups_worker(case: str, workdir: Path) -> dict:
    import pandas as pd

    from oddseq import _core
    from oddseq.graph import EntityObjectGraph, GroupDetector, fraudar_weights

    arrays = np.load(workdir / "log.npz")
    df = pd.DataFrame({"user": arrays["user"], "item": arrays["item"], "ts": arrays["ts"]})
    del arrays
    extra = {}
    if case.startswith("seq-"):
        # The one call's path: Sequences built first (as the per-entity stage does),
        # then the group stage on their items and times.
        from oddseq.sequences import Sequences

        t0 = time.perf_counter()
        df["event"] = np.zeros(len(df), dtype=np.int8)
        seqs = Sequences.from_events(df, entity="user", event="event", time="ts", item="item")
        extra["sequences_seconds"] = time.perf_counter() - t0
        del df
        base = start_memory_window()
        t0, c0 = time.perf_counter(), time.process_time()
        det = GroupDetector(method=case[4:]).fit(seqs)
        seconds = time.perf_counter() - t0
        return {
            "case": case,
            "seconds": seconds,
            "cpu_seconds": time.process_time() - c0,
            "peak_extra_mb": peak_rss_mb() - base,
            "peak_total_mb": peak_rss_mb(),
            "groups": len(det.groups_),
            "candidates": len(det.candidates_),
            **extra,
        }
    base = start_memory_window()
    t0 = time.perf_counter()
    if case in ("static", "temporal", "both"):
        det = GroupDetector(method=case).fit(df, entity="user", object="item", time="ts")
        extra = {"groups": len(det.groups_), "candidates": len(det.candidates_)}
    elif case == "graph":
        g = EntityObjectGraph.from_events(df, entity="user", object="item", time="ts")
        extra = {"edges": g.n_edges}
    elif case in ("peel-oddseq", "peel-reference"):
        g = EntityObjectGraph.from_events(df, entity="user", object="item")
        weight = fraudar_weights(g.col_degree, 5.0)
        col_offsets, row_of = g.transposed()
        base = start_memory_window()
        t0 = time.perf_counter()
        if case == "peel-oddseq":
            alive = np.ones(g.n_rows, dtype=np.uint8)
            b = _core.peel_densest(g.offsets, g.cols, col_offsets, row_of, weight, alive, 0)
            rows, cols, density = b["rows"].tolist(), b["cols"].tolist(), b["density"]
        else:
            rows, cols, density = reference_fraudar(g.offsets, g.cols, g.n_cols, weight)
        extra = {
            "density": density,
            "block_rows": len(rows),
            "block_cols": len(cols),
            "edges": g.n_edges,
        }
    else:
        raise ValueError(case)
    seconds = time.perf_counter() - t0
    return {"case": case, "seconds": seconds, "peak_extra_mb": peak_rss_mb() - base, **extra}


def _camouflage(events, kinds, rng, per_member: int = 30):
    """FRAUDAR's camouflage: every ring member also views popular items (the 200 most
    viewed), per_member extra events at random times."""
    import pandas as pd

    members = kinds.index[(kinds == "ring").to_numpy()]
    popular = events["item_id"].value_counts().index[:200].to_numpy()
    n = members.size * per_member
    ts = events["timestamp"].to_numpy()
    extra = pd.DataFrame(
        {
            "user_id": np.repeat(members.to_numpy(), per_member),
            "item_id": popular[rng.integers(0, popular.size, n)],
            "timestamp": rng.integers(ts.min(), ts.max(), n),
        }
    )
    return pd.concat([events[["user_id", "item_id", "timestamp"]], extra], ignore_index=True)


def _ring_quality(det, kinds) -> dict:
    from sklearn.metrics import roc_auc_score

    ring = (kinds == "ring").to_numpy()
    flagged = det.predict(kinds.index).astype(bool)
    # Groups of the other coordinated kinds (click farms, scalpers, fake engagement)
    # are true groups too; precision counts members of those as right.
    coordinated = kinds.isin(["ring", "click_farm", "scalper", "fake_engagement"]).to_numpy()
    return {
        "roc_auc": float(roc_auc_score(ring, det.decision_function(kinds.index))),
        "recall": float((flagged & ring).sum() / ring.sum()),
        "precision_rings": float((flagged & ring).sum() / max(flagged.sum(), 1)),
        "precision_coordinated": float((flagged & coordinated).sum() / max(flagged.sum(), 1)),
        "groups": int(len(det.groups_)),
    }


def bench_groups(args, workdir: Path) -> dict:
    from oddseq.datasets import make_ecommerce
    from oddseq.graph import GroupDetector

    print("\nGroups: make_ecommerce with rings of individually normal members")
    print(
        f"{'log':<34}{'method':>9}{'ROC-AUC':>9}{'recall':>8}{'prec(ring)':>11}"
        f"{'prec(coord)':>12}{'groups':>7}{'s':>7}"
    )
    quality = []
    for n_users, rate, seed, camo in [
        (20_000, 0.0, 0, False),
        (20_000, 0.0, 1, False),
        (20_000, 0.02, 0, False),
        (20_000, 0.0, 0, True),
        (20_000, 0.02, 0, True),
    ]:
        data = make_ecommerce(n_users=n_users, anomaly_rate=rate, rings=10, random_state=seed)
        events = data.events
        if camo:
            events = _camouflage(events, data.kinds, np.random.default_rng(seed))
        name = f"{n_users // 1000}k users, anom {rate}, seed {seed}{', camo' if camo else ''}"
        for method in ("both", "temporal", "static"):
            t0 = time.perf_counter()
            det = GroupDetector(method=method).fit(
                events, entity="user_id", object="item_id", time="timestamp"
            )
            r = {"log": name, "method": method, "seconds": time.perf_counter() - t0}
            r.update(_ring_quality(det, data.kinds))
            quality.append(r)
            print(
                f"{name:<34}{method:>9}{r['roc_auc']:>9.4f}{r['recall']:>8.3f}"
                f"{r['precision_rings']:>11.3f}{r['precision_coordinated']:>12.3f}"
                f"{r['groups']:>7}{r['seconds']:>7.2f}"
            )
    print("\nNo rings (anomaly_rate=0, rings=0): groups found at the default threshold")
    ringless = []
    for seed in range(5):
        data = make_ecommerce(n_users=20_000, anomaly_rate=0.0, random_state=seed)
        det = GroupDetector().fit(data.events, entity="user_id", object="item_id", time="timestamp")
        top = float(det.candidates_["significance"].max()) if len(det.candidates_) else None
        ringless.append({"seed": seed, "groups": len(det.groups_), "max_significance": top})
        print(f"  seed {seed}: {len(det.groups_)} groups (best candidate's significance {top})")

    print("\nFRAUDAR's greedy, one block, same graph and weights: oddseq vs the reference")
    print(f"{'events':>10}{'edges':>10}{'case':>16}{'seconds':>9}{'density':>20}{'speedup':>9}")
    peel_rows = []
    user, item, ts = make_group_log(args.group_reference_events)
    np.savez(workdir / "log.npz", user=user, item=item, ts=ts)
    results = {c: run_case("groups", c, workdir) for c in ("peel-oddseq", "peel-reference")}
    for case, r in results.items():
        r.update(
            events=args.group_reference_events,
            speedup=r["seconds"] and results["peel-reference"]["seconds"] / r["seconds"],
            density_diff=abs(r["density"] - results["peel-oddseq"]["density"]),
        )
        peel_rows.append(r)
        print(
            f"{r['events']:>10}{r['edges']:>10}{case:>16}{r['seconds']:>9.3f}"
            f"{r['density']:>20.15f}{r['speedup']:>8.1f}x"
        )

    print("\nScale: Taobao-shaped logs (events/100 users, events/25 Zipf items, 9 days)")
    print("seq-*: GroupDetector(method=*).fit(Sequences) as the one call runs it (Sequences")
    print("built first, not timed); others: from the DataFrame (grouping by entity included)")
    print(
        f"{'events':>11}{'case':>14}{'seconds':>9}{'cpu s':>8}{'peak MB':>9}"
        f"{'total MB':>9}{'groups':>7}"
    )
    scale = []
    for n in args.group_events:
        user, item, ts = make_group_log(n)
        np.savez(workdir / "log.npz", user=user, item=item, ts=ts)
        del user, item, ts
        cases = ["seq-temporal", "seq-static", "seq-both"]
        if n <= args.group_dataframe_max:
            cases += ["graph", "static", "temporal", "both"]
        for case in cases:
            r = run_case("groups", case, workdir)
            r["events"] = n
            scale.append(r)
            print(
                f"{n:>11}{case:>14}{r['seconds']:>9.2f}{r.get('cpu_seconds', float('nan')):>8.1f}"
                f"{r['peak_extra_mb']:>9.0f}{r.get('peak_total_mb', float('nan')):>9.0f}"
                f"{r.get('groups', ''):>7}"
            )
    return {"quality": quality, "ringless": ringless, "fraudar": peel_rows, "scale": scale}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        bench, case, workdir = sys.argv[2], sys.argv[3], Path(sys.argv[4])
        worker = {
            "sequences": sequences_worker,
            "kmeans": kmeans_worker,
            "encoders": encoders_worker,
            "dbscan": dbscan_worker,
            "pipeline": pipeline_worker,
            "neighbors": neighbors_worker,
            "iforest": iforest_worker,
            "ecod": ecod_worker,
            "groups": groups_worker,
            "skew": skew_worker,
            "dask": dask_worker,
        }[bench]
        print(json.dumps(worker(case, workdir)))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("benchmarks", nargs="*", default=["sequences", "kmeans", "kmeans-scaling"])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument(
        "--dbscan-shapes", nargs="*", default=None, help="subset of the DBSCAN shapes by name"
    )
    parser.add_argument(
        "--pipeline-cases",
        nargs="*",
        choices=list(PIPELINE_CASES),
        default=list(DEFAULT_PIPELINE_CASES),
        help="cases of the pipeline benchmark (taobao-1M: 100 M events, minutes)",
    )
    parser.add_argument("--group-events", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--dask-events",
        type=int,
        nargs="*",
        default=[1_000_000, 10_000_000],
        help="log sizes of the dask benchmark (Parquet files made once in results/data)",
    )
    parser.add_argument("--group-reference-events", type=int, default=1_000_000)
    parser.add_argument(
        "--group-dataframe-max",
        type=int,
        default=20_000_000,
        help="groups: largest log also timed from the DataFrame (the seq-* cases run at all)",
    )
    args = parser.parse_args()
    info = machine()
    print(json.dumps(info, indent=1))
    RESULTS.mkdir(exist_ok=True)
    for name in args.benchmarks:
        with tempfile.TemporaryDirectory() as tmp:
            result = {
                "sequences": bench_sequences,
                "kmeans": bench_kmeans,
                "kmeans-scaling": bench_kmeans_scaling,
                "encoders": bench_encoders,
                "dbscan": bench_dbscan,
                "pipeline": bench_pipeline,
                "neighbors": bench_neighbors,
                "iforest": bench_iforest,
                "ecod": bench_ecod,
                "groups": bench_groups,
                "skew": bench_skew,
                "dask": bench_dask,
            }[name](args, Path(tmp))
        result["machine"] = info
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
