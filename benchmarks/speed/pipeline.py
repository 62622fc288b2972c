"""The one call at scale (`run.py pipeline`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .common import RESULTS, peak_rss_mb, run_case, start_memory_window
from .sequences import make_event_log

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
