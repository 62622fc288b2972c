"""Sequences -> features (`run.py encoders`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .common import peak_rss_mb, run_case, start_memory_window
from .sequences import make_event_log


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
