"""The one call over a dask DataFrame (`run.py dask`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .common import peak_rss_mb, run_case, start_memory_window
from .pipeline import PIPELINE_DATA
from .sequences import make_event_log

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
            dashboard_address=":0",
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
