"""Event log -> Sequences (`run.py sequences`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .common import peak_rss_mb, run_case, start_memory_window


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
