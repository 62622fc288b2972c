"""The not-normal warning of normal-only fitting, measured: does it stay silent on clean
normal data, and does it fire when far-out entities are mixed in, for each method?

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 \\
        python benchmarks/not_normal.py run OUT.json [--sources ...] [--methods ...] [--tree DIR]
    python benchmarks/not_normal.py compare BASE.json NEW.json

Sources (each fitted with ``normal=True`` at ``random_state`` 0 and 1, clean and with a
share of far-out entities mixed in: sessions of 5-40 error events of 1-3 of 40 kinds no
normal entity has):
- ``workflow``: 600 blocks of a few repeated workflows (most blocks have a twin; 5% write
  four times, 3% close more than once: rare, normal modes), data seeds 0-5, 3% and 5%
  far;
- ``hdfs_xu``, ``hdfs_deeplog``: 1,000 normal blocks of the real log (needs
  ../shared/data), drawn at seeds 20-22, 3% and 10% far;
- ``ecommerce``, ``marketplace``: 1,500 users of make_ecommerce / make_marketplace with
  nothing planted, data seeds 0-2, 3% and 10% far.

``--tree DIR``: judge the revision checked out in DIR (seed_gate.py's option). ``compare``
prints, per source and share far, how many fits warned under each file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "python"))  # (the tests' workflow log)
from seed_gate import _import_oddseq  # noqa: E402
from verdicts import DATA, _hdfs_lists  # noqa: E402
from workflow_logs import workflow_log  # noqa: E402

METHODS = "auto,kmeans,knn,lof,pca,dbscan,robust_z,iforest,ecod,markov"
SOURCES = ("workflow", "hdfs_xu", "hdfs_deeplog", "ecommerce", "marketplace")


def _error_sessions(rng, k):
    """``k`` sessions of 5-40 error events of 1-3 of 40 kinds."""
    out = []
    for _ in range(k):
        kinds = rng.choice(40, size=int(rng.integers(1, 4)), replace=False)
        out.append([f"error{x}" for x in rng.choice(kinds, int(rng.integers(5, 40)))])
    return out


def _cases(oddseq, source):
    """(name, share far, the sequences fitted) of a source."""
    from oddseq.sequences import Sequences

    if source == "workflow":
        for seed in range(6):
            log = workflow_log(600, np.random.default_rng(seed))
            for far in (0.0, 0.03, 0.05):
                k = int(round(far * 600 / (1 - far)))
                extra = [
                    pd.DataFrame(
                        {"block": f"e{j}", "event": e, "t": 10**7 + 100 * j + np.arange(len(e))}
                    )
                    for j, e in enumerate(_error_sessions(np.random.default_rng(100 + seed), k))
                ]
                both = pd.concat([log, *extra], ignore_index=True)
                yield (
                    f"{source}{seed}",
                    far,
                    Sequences.from_events(both, entity="block", event="event", time="t"),
                )
    elif source in ("hdfs_xu", "hdfs_deeplog"):
        normal = _hdfs_lists(DATA / source / "hdfs_train")
        for seed in (20, 21, 22):
            order = np.random.default_rng(seed).permutation(len(normal))
            fit = [normal[i] for i in order[:1000]]
            for far in (0.0, 0.03, 0.1):
                k = int(round(far * 1000 / (1 - far)))
                far_lists = _error_sessions(np.random.default_rng(seed), k)
                yield f"{source}{seed}", far, Sequences.from_lists(fit + far_lists)
    else:
        make = getattr(oddseq.datasets, f"make_{source}")
        for seed in (0, 1, 2):
            events = make(n_users=1500, anomaly_rate=0.0, random_state=seed).events
            event = "behavior" if "behavior" in events else "event"
            events = events[["user_id", event, "timestamp"]]
            start = events["timestamp"].min()
            span = events["timestamp"].max() - start
            for far in (0.0, 0.03, 0.1):
                k = int(round(far * 1500 / (1 - far)))
                rng = np.random.default_rng(seed)
                extra = [
                    pd.DataFrame(
                        {
                            "user_id": 10**8 + j,
                            event: e,
                            "timestamp": start + span * np.sort(rng.random(len(e))),
                        }
                    )
                    for j, e in enumerate(_error_sessions(rng, k))
                ]
                both = pd.concat([events, *extra], ignore_index=True)
                yield (
                    f"{source}{seed}",
                    far,
                    Sequences.from_events(both, entity="user_id", event=event, time="timestamp"),
                )


def run(args) -> None:
    oddseq = _import_oddseq(args.tree)
    importlib.import_module("oddseq.datasets")

    rows = []
    for source in args.sources:
        for name, far, seqs in _cases(oddseq, source):
            for method in args.methods.split(","):
                for rs in (0, 1):
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        pipe = oddseq.AnomalyPipeline(method=method, random_state=rs)
                        pipe.fit(seqs, normal=True)
                    warned = any("normal=True, but" in str(w.message) for w in caught)
                    shape = float(pipe.threshold_info_.get("separate_tail") or 0.0)
                    twins = pipe.threshold_info_.get("far_from_twins")  # (None: no such key)
                    rows.append(
                        dict(
                            source=source,
                            case=name,
                            far=far,
                            method=method,
                            random_state=rs,
                            warned=warned,
                            separate_tail=shape,
                            far_from_twins=twins,
                        )
                    )
                    print(name, far, method, rs, warned, f"{shape:.2f}", flush=True)
    Path(args.out).write_text(json.dumps({"tree": args.tree, "rows": rows}, indent=0))


def compare(args) -> None:
    tables = [pd.DataFrame(json.loads(Path(f).read_text())["rows"]) for f in args.files]

    def counts(t):
        return t.groupby(["source", "far", "method"]).warned.agg(
            lambda v: f"{int(v.sum())}/{len(v)}"
        )

    both = pd.concat([counts(t) for t in tables], axis=1, keys=["base", "new"])
    new = tables[1]
    if "far_from_twins" in new:
        twins = new.dropna(subset=["far_from_twins"])
        print("far_from_twins in the new file (min-max over fits, where most have a twin):")
        print(
            twins.groupby(["source", "far"])
            .far_from_twins.agg(["min", "max", "size"])
            .to_string(float_format=lambda v: f"{v:.4f}")
        )
    for source, part in both.groupby(level="source"):
        print(f"\n{source}: fits that warned (base -> new)")
        print(
            (part["base"].fillna("-") + " -> " + part["new"].fillna("-"))
            .droplevel("source")
            .unstack("far")
            .to_string()
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="fit each method normal-only on each case")
    r.add_argument("out")
    r.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    r.add_argument("--methods", default=METHODS, help="comma-separated")
    r.add_argument("--tree", help="a checkout of the revision to judge (git worktree)")
    c = sub.add_parser("compare", help="compare two files of run (base, new)")
    c.add_argument("files", nargs=2)
    args = parser.parse_args(argv)
    run(args) if args.command == "run" else compare(args)


if __name__ == "__main__":
    main()
