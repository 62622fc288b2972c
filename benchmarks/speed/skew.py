"""One entity with a quarter of the events (`run.py skew`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .common import run_case
from .sequences import make_event_log

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
