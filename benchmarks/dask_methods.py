"""oddseq.dask's neighbour methods, normal-only fitting and side attributes against the
single process (issue 20, benchmarks/RESULTS.md "Neighbour methods, normal-only fitting
and side attributes on Dask").

    python benchmarks/dask_methods.py equal          # real and generated logs: same table?
    python benchmarks/dask_methods.py equal --methods iforest ecod  # only these methods
    python benchmarks/dask_methods.py equal --category  # item categories (category=)
    python benchmarks/dask_methods.py blocks 100000  # exact neighbours by blocks vs one index
    python benchmarks/dask_methods.py calls 20000    # end to end, one process vs Dask

``equal`` and ``calls`` run a LocalCluster of two worker processes of one thread each;
``blocks`` runs on one thread (Dask's synchronous scheduler). ``equal`` needs the real
logs of ../shared/data (its rows for them are skipped without).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SHOP = dict(entity="user_id", event="behavior", time="timestamp")


def _hdfs_events(path, first_block=0, rows=None):
    lists = []
    for line in open(path):
        line = line.strip()
        if line:
            lists.append(line.split(",", 1)[1].split() if "," in line else line.split())
    if rows is not None:
        lists = [lists[i] for i in rows]
    return pd.DataFrame(
        {
            "block": np.repeat(np.arange(len(lists)) + first_block, [len(x) for x in lists]),
            "event": np.concatenate([np.asarray(x) for x in lists]).astype(str),
            "t": np.concatenate([np.arange(len(x)) for x in lists]),
        }
    )


def _compare(name, df, columns, **options):
    import dask.dataframe as dd

    import oddseq
    import oddseq.dask

    t0 = time.perf_counter()
    single = oddseq.detect_anomalies(df, **columns, groups=False, **options)
    t1 = time.perf_counter()
    if options.get("normal") is not None:
        options = {**options, "normal": dd.from_pandas(options["normal"], npartitions=3)}
    got = oddseq.dask.detect_anomalies(dd.from_pandas(df, npartitions=4), **columns, **options)
    got = got.compute().sort_values("rank")
    t2 = time.perf_counter()
    same = {
        c: bool(
            got.index.equals(single.index) and (got[c].to_numpy() == single[c].to_numpy()).all()
        )
        for c in ("rank", "is_anomaly", "p_normal", "reason")
    }
    gap = float(np.abs(got["score"].to_numpy() - single["score"].to_numpy()).max())
    print(
        f"{name:44s} {options.get('method', 'auto'):8s} normal={'normal' in options!s:5s} "
        f"{'category ' if 'category' in options else ''}"
        f"entities={len(single):6,d} flagged={int(single['is_anomaly'].sum()):4d} "
        f"equal {same} max|d score|={gap:.1e} one process {t1 - t0:.1f} s, Dask {t2 - t1:.1f} s, "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def categories(args):
    """category= on the generated logs and the Taobao head (its category_id column)."""
    from oddseq.datasets import make_ecommerce, make_marketplace, read_taobao

    seed = args.seed
    m = make_marketplace(n_users=1500, random_state=seed)
    market = dict(entity="user_id", event="event", time="timestamp", item="item_id")
    _compare(f"make_marketplace n=1500 seed {seed}", m.events, market, category="category_id")
    e = make_ecommerce(n_users=1500, random_state=seed)
    shop = dict(SHOP, item="item_id")
    _compare(f"make_ecommerce n=1500 seed {seed}", e.events, shop, category="category_id")
    normal = e.events[e.events["user_id"].isin(e.labels.index[e.labels == 0][:600])]
    _compare(
        f"make_ecommerce n=1500 seed {seed}", e.events, shop, category="category_id", normal=normal
    )
    taobao = DATA / "taobao_userbehavior_head" / "UserBehavior_head.csv"
    if taobao.exists():
        log = read_taobao(taobao, nrows=100_000)
        _compare("taobao head 100k events", log, shop, category="category_id")


def equal(args):
    from oddseq.datasets import make_ecommerce, make_marketplace, read_taobao

    if args.category:
        categories(args)
        return
    seed = args.seed
    methods = args.methods
    m = make_marketplace(n_users=1500, random_state=seed)
    market = dict(entity="user_id", event="event", time="timestamp", item="item_id")
    for method in methods or ("knn", "lof"):
        _compare(f"make_marketplace n=1500 seed {seed}", m.events, market, method=method)
    normal = m.events[m.events["user_id"].isin(m.labels.index[m.labels == 0][:600])]
    for method in methods or ("auto",):
        _compare(
            f"make_marketplace n=1500 seed {seed}", m.events, market, normal=normal, method=method
        )
    e = make_ecommerce(n_users=1500, random_state=seed)
    normal = e.events[e.events["user_id"].isin(e.labels.index[e.labels == 0][:600])]
    for method in methods or ():
        _compare(f"make_ecommerce n=1500 seed {seed}", e.events, SHOP, method=method)
    for method in methods or ("auto", "kmeans"):
        _compare(f"make_ecommerce n=1500 seed {seed}", e.events, SHOP, normal=normal, method=method)
    taobao = DATA / "taobao_userbehavior_head" / "UserBehavior_head.csv"
    if taobao.exists():
        log = read_taobao(taobao, nrows=100_000)
        for method in methods or ("knn", "lof"):
            _compare("taobao head 100k events", log, dict(SHOP, item="item_id"), method=method)
    hdfs = DATA / "hdfs_xu"
    if hdfs.exists():
        n_train = sum(1 for line in open(hdfs / "hdfs_train") if line.strip())
        order = np.random.default_rng(seed).permutation(n_train)
        fit = _hdfs_events(hdfs / "hdfs_train", rows=order[:1000])
        held = _hdfs_events(hdfs / "hdfs_train", 10**6, rows=order[1000:2000])
        bad = _hdfs_events(hdfs / "hdfs_test_abnormal", 2 * 10**6, rows=range(300))
        judged = pd.concat([held, bad], ignore_index=True)
        columns = dict(entity="block", event="event", time="t")
        for method in methods or ("auto", "lof"):
            _compare(
                "hdfs_xu normal 1000 -> 1000 + 300", judged, columns, normal=fit, method=method
            )


def blocks(args):
    import dask
    from speed.sequences import make_event_log

    import oddseq
    from oddseq.cluster import NearestNeighbors
    from oddseq.dask._neighbors import neighbours

    df = make_event_log(args.users * 100, args.users)
    seqs = oddseq.Sequences.from_events(df, **SHOP)
    pipe = oddseq.AnomalyPipeline(method="knn").fit(seqs)
    X = pipe._scaled(pipe._features(seqs, fitting=False), seqs.lengths)
    k = pipe.detector_.n_neighbors_
    t0 = time.perf_counter()
    dist, ind = NearestNeighbors(n_threads=1).fit(X).kneighbors(n_neighbors=k)
    one = time.perf_counter() - t0
    print(f"rows {X.shape[0]:,} x {X.shape[1]}, k={k}: one index {one:.2f} s", flush=True)
    for p in (2, 4, 8):
        parts = [{"X": part} for part in np.array_split(X, p)]
        starts = np.concatenate([[0], np.cumsum([len(part["X"]) for part in parts])])
        t0 = time.perf_counter()
        with dask.config.set(scheduler="sync"):
            found = dask.compute(
                *neighbours(parts, parts, starts, k, same=True, metric="euclidean", threads=1)
            )
        took = time.perf_counter() - t0
        same = np.array_equal(np.vstack([f[0] for f in found]), dist) and np.array_equal(
            np.vstack([f[1] for f in found]), ind
        )
        print(
            f"  P={p} ({p * p} blocks): {took:.2f} s = {took / one:.2f}x one index, "
            f"same neighbours {same}, load {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def calls(args):
    from speed.sequences import make_event_log

    df = make_event_log(args.users * 100, args.users)
    for method in args.methods or ("knn", "lof", "auto"):
        _compare(f"make_event_log {args.users:,} users", df, SHOP, method=method)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("equal", "blocks", "calls"))
    parser.add_argument("users", nargs="?", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--methods", nargs="+", help="equal, calls: only these methods (default: each case's own)"
    )
    parser.add_argument("--category", action="store_true", help="equal: item categories")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.mode == "blocks":
        blocks(args)
        return
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    )
    client = Client(cluster)
    try:
        equal(args) if args.mode == "equal" else calls(args)
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
