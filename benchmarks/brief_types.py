"""``context=``'s ``brief_types[<column>]`` measured: with it and without, side by side.

The one call's context table reads, per side column, the event types an entity did only
on a value of one brief stretch, beyond chance (``oddseq.encode.context_features(...,
event=)``). Each cell is scored twice on the same log and ``random_state``: with the
context table as it was before (``context_features`` without ``event``) and with the
types (``event=``), both passed as ``entity_features=`` so that nothing else differs, and
reports the F1 of the model's own flags, the best cut's F1, ROC-AUC, the share flagged
beside the true share, and the flags of the kinds named with ``--watch``.

Sources: ``--accounts SEED ...`` draws of ``benchmarks/heldout_accounts.py`` (side
columns ``ip`` and ``device``; a seed prefixed ``null`` draws nothing planted), and any
labelled log of one's own: ``--log FILE --labels FILE --roles JSON --context COLS``
(labels: the entity column and ``is_anomaly``, or ``kind`` where "normal" is not odd;
``segment`` names a normal row's kind for ``--watch``).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 \\
        python benchmarks/brief_types.py --accounts 848 849 null871 --n-users 4000 \\
        --random-states 0 1 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_auc_score

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import machine  # noqa: E402

import oddseq  # noqa: E402
from oddseq.encode import context_features  # noqa: E402


def judged(table, y, kinds, watch) -> dict:
    flags = table["is_anomaly"].to_numpy(bool)
    tp = int((flags & y).sum())
    own = 2 * tp / max(flags.sum() + y.sum(), 1)
    out = {"own_f1": own, "flagged": float(flags.mean()), "true": float(y.mean())}
    if y.any() and not y.all():
        p, r, _ = precision_recall_curve(y, table["score"])
        out["best_f1"] = float(np.max(2 * p * r / np.maximum(p + r, 1e-12)))
        out["auc"] = float(roc_auc_score(y, table["score"]))
    out["kinds"] = {
        k: f"{int((flags & (kinds == k)).sum())}/{int((kinds == k).sum())}" for k in watch
    }
    return out


def cell(name, log, roles, columns, y_of, kinds_of, random_states, watch) -> list:
    entity, event, time_ = roles["entity"], roles["event"], roles["time"]
    tables = {
        "without": context_features(log, entity, columns, time_),
        "with": context_features(log, entity, columns, time_, event=event),
    }
    rows = []
    for rs in random_states:
        for arm, side in tables.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = oddseq.detect_anomalies(log, **roles, entity_features=side, random_state=rs)
            got = judged(table, y_of(table.index), kinds_of(table.index), watch)
            got.update(cell=name, arm=arm, random_state=rs, seconds=time.perf_counter() - start)
            rows.append(got)
            print(json.dumps(got), flush=True)
    return rows


def accounts_cells(seeds, n_users, random_states, watch):
    import heldout_verdicts as H

    source = H.SOURCES["accounts"]()
    for seed in seeds:
        null = str(seed).startswith("null")
        events, labels = source.draw(n_users, 0.0 if null else 0.04, int(str(seed)[4 * null :]))
        lab = labels.set_index(source.entity)
        yield from cell(
            f"accounts {seed}",
            events,
            H.roles(source),
            ["ip", "device"],
            lambda ix, lab=lab: lab["is_anomaly"].reindex(ix).to_numpy(bool),
            lambda ix, lab=lab: lab["kind"].reindex(ix).astype(str).to_numpy(),
            random_states,
            watch or ["account_takeover", "traveller", "family_shared"],
        )


def log_cells(path, labels_path, roles, columns, random_states, watch):
    log = pd.read_csv(path, low_memory=False)
    labels = pd.read_csv(labels_path).set_index(roles["entity"])
    if "is_anomaly" in labels:
        odd = labels["is_anomaly"].astype(bool)
    else:
        odd = labels["kind"].astype(str) != "normal"
    kind = labels["kind"].astype(str)
    if "segment" in labels:
        kind = kind.where(odd, labels["segment"].astype(str))
    yield from cell(
        Path(path).name,
        log,
        roles,
        columns,
        lambda ix: odd.reindex(ix).fillna(False).to_numpy(bool),
        lambda ix: kind.reindex(ix).astype(str).to_numpy(),
        random_states,
        watch,
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", nargs="*", default=[])
    ap.add_argument("--n-users", type=int, default=4000)
    ap.add_argument("--log")
    ap.add_argument("--labels")
    ap.add_argument("--roles", type=json.loads, help='e.g. {"entity": "user_id", ...}')
    ap.add_argument("--context", help="the side columns, comma-separated")
    ap.add_argument("--random-states", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--watch", nargs="*", default=[])
    ap.add_argument("--out", type=Path, help="JSON lines of every row")
    args = ap.parse_args(argv)
    print(json.dumps({"machine": machine()}, default=str), flush=True)  # (BLAS, cores)
    rows = list(accounts_cells(args.accounts, args.n_users, args.random_states, args.watch))
    if args.log:
        columns = args.context.split(",")
        rows += log_cells(
            args.log, args.labels, args.roles, columns, args.random_states, args.watch
        )
    frame = pd.DataFrame(rows)
    means = frame.groupby(["cell", "arm"])[
        [c for c in ("own_f1", "best_f1", "auc", "flagged") if c in frame]
    ].mean()
    print(means.round(4).to_string())
    if args.out:
        args.out.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


if __name__ == "__main__":
    main()
