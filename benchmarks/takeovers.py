"""Hijacked accounts: does comparing each entity's last session with its own past help?

The one call's default with and without ``recent_change=True``
(:class:`oddseq.encode.RecentChangeEncoder`) side by side on the labelled sources of
``benchmarks/verdicts.py`` that have times, both ways of fitting (unsupervised, and
normal-only: fitted on half of the normal users, judged on the rest), and on the logs
with nothing planted: ROC-AUC, average precision, F1 of the own flags and of the best
cut, share flagged; per anomaly kind, the recall of the flags and the recall within the
top (as many as are planted). The HDFS block sets have no times: not applicable.

Usage (from the repository root):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/takeovers.py \
        [--sources ecommerce marketplace loghub_hdfs null] [--seed 20] [--users 5000]

Writes benchmarks/results/takeovers-<seed>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import machine  # noqa: E402
from verdicts import judge, source_loghub_hdfs  # noqa: E402


def _shop(name, make, args):
    """(name, mode, fit sequences, judged sequences, y, kinds of the judged) per
    difficulty and mode, as verdicts.py draws them."""
    from oddseq.sequences import Sequences

    for difficulty in ("medium", "hard"):
        bunch = make(n_users=args.users, difficulty=difficulty, random_state=args.seed)
        roles = getattr(bunch, "roles", None) or dict(
            entity="user_id", event="behavior", time="timestamp", item="item_id", value="price"
        )
        s = Sequences.from_events(bunch.events, **roles)
        y = bunch.labels.reindex(s.ids).to_numpy().astype(int)
        kinds = bunch.kinds.reindex(s.ids).astype(str).to_numpy()
        yield f"{name}-{difficulty}", "unsupervised", s, s, y, kinds
        normal_rows = np.flatnonzero(y == 0)
        rng = np.random.default_rng(args.seed)
        fit_rows = np.sort(rng.choice(normal_rows, len(normal_rows) // 2, replace=False))
        judged = np.setdiff1d(np.arange(len(s)), fit_rows)
        yield (
            f"{name}-{difficulty}",
            "normal",
            s.take(fit_rows),
            s.take(judged),
            y[judged],
            kinds[judged],
        )


def sources(args):
    from oddseq.datasets import make_ecommerce, make_marketplace
    from oddseq.sequences import Sequences

    if "ecommerce" in args.sources:
        yield from _shop("ecommerce", make_ecommerce, args)
    if "marketplace" in args.sources:
        yield from _shop("marketplace", make_marketplace, args)
    if "loghub_hdfs" in args.sources:
        for name, mode, fit, judged, y, _ in source_loghub_hdfs(args):
            if judged.times is None:
                print(f"{name}: no times, not applicable")
                continue
            yield name, mode, fit, judged, y, None
    if "null" in args.sources:
        roles = dict(entity="user_id", event="behavior", time="timestamp", item="item_id")
        shop = make_ecommerce(n_users=args.null_users, anomaly_rate=0.0, random_state=args.seed)
        s = Sequences.from_events(shop.events, **roles, value="price")
        yield "null-ecommerce", "unsupervised", s, s, np.zeros(len(s), dtype=int), None
        market = make_marketplace(n_users=args.null_users, anomaly_rate=0.0, random_state=args.seed)
        s = Sequences.from_events(market.events, **market.roles)
        yield "null-marketplace", "unsupervised", s, s, np.zeros(len(s), dtype=int), None


def per_kind(kinds, y, scores, flags):
    """Per anomaly kind: planted, flagged (recall of the own flags), within the top
    (as many entities as are planted)."""
    if kinds is None or not np.any(y == 1):
        return {}
    top = np.zeros(len(y), dtype=bool)
    top[np.argsort(-scores, kind="stable")[: int(np.sum(y == 1))]] = True
    out = {}
    for kind in sorted(set(kinds[y == 1])):
        mine = kinds == kind
        out[kind] = {
            "n": int(mine.sum()),
            "flagged": int((flags & mine).sum()),
            "in_top": int((top & mine).sum()),
        }
    return out


def main():
    from oddseq import AnomalyPipeline

    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sources", nargs="*", default=["ecommerce", "marketplace", "loghub_hdfs", "null"]
    )
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--null-users", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--modes", nargs="*", default=["unsupervised", "normal"])
    args = parser.parse_args()
    rows = []
    for name, mode, fit, judged, y, kinds in sources(args):
        if mode not in args.modes:
            continue
        for change in (False, True):
            began = time.perf_counter()
            pipe = AnomalyPipeline(random_state=args.seed, recent_change=change)
            if mode == "normal":
                table = pipe.fit(fit, normal=True).score(judged)
            else:
                table = pipe.fit(fit).table_
            table = table.reindex(judged.ids)
            scores = table["score"].to_numpy(dtype=np.float64)
            flags = table["is_anomaly"].to_numpy(dtype=bool)
            row = {
                "source": name,
                "mode": mode,
                "recent_change": change,
                "seconds": time.perf_counter() - began,
                **judge(y, scores, flags),
                "kinds": per_kind(kinds, y, scores, flags),
            }
            rows.append(row)
            kind_text = " ".join(
                f"{k[:8]}={v['flagged']}/{v['in_top']}/{v['n']}" for k, v in row["kinds"].items()
            )
            print(
                f"{name:20s} {mode:12s} change={int(change)} auc={row['auc']:.3f} "
                f"ap={row['ap']:.3f} f1={row['f1_own']:.3f}/{row['f1_best']:.3f} "
                f"flagged={row['flagged']:.4f} ({row['seconds']:.1f}s) {kind_text}",
                flush=True,
            )
    out = HERE / "results" / f"takeovers-{args.seed}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps({"rows": rows, "machine": machine(), "args": vars(args)}, indent=1, default=str)
    )


if __name__ == "__main__":
    main()
