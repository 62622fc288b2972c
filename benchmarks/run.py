"""oddseq against its peers, side by side in one run, on the same data.

Usage (from the repository root, after ``pip install ".[bench]"``):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [sequences] [kmeans]
        [kmeans-scaling] [encoders] [dbscan [--dbscan-shapes 200k-d2 ...]] [neighbors]
        [iforest] [ecod] [groups [--group-events 1000000 10000000]] [skew]
        [pipeline [--pipeline-cases shop-100k taobao-1M]] [dask [--dask-events 1000000 ...]]
        [--events 10000000] [--entities 100000] [--n 1000000] [--iters 50]

The benchmarks live in ``benchmarks/speed/``, one module each (its data, its worker
for one case, its table); this file is the command line and the worker entry point.

Each measurement runs in a fresh subprocess that loads the shared input from disk, so
its peak memory (ru_maxrss above the loaded input) belongs to that one operation.
Prints a table per benchmark and writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from speed.common import RESULTS, machine
from speed.dask_pipeline import bench_dask, dask_worker
from speed.dbscan import bench_dbscan, dbscan_worker
from speed.ecod import bench_ecod, ecod_worker
from speed.encoders import bench_encoders, encoders_worker
from speed.groups import bench_groups, groups_worker
from speed.iforest import bench_iforest, iforest_worker
from speed.kmeans import bench_kmeans, bench_kmeans_scaling, kmeans_worker
from speed.neighbors import bench_neighbors, neighbors_worker
from speed.pipeline import DEFAULT_PIPELINE_CASES, PIPELINE_CASES, bench_pipeline, pipeline_worker
from speed.sequences import bench_sequences, make_event_log, sequences_worker
from speed.skew import bench_skew, skew_worker

# Re-exported for the other scripts of this folder (quality.py, verdicts.py).
__all__ = ["machine", "make_event_log"]


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
    parser.add_argument(
        "--group-scale-only",
        action="store_true",
        help="groups: only the scale table (no quality tables, no FRAUDAR side by side)",
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
