"""method="invariants" (InvariantsDetector, Lou et al. 2010) beside the default, on the
same splits of every labelled source of benchmarks/verdicts.py.

Usage (from the repository root):

    python benchmarks/invariants.py --part hdfs --seeds 389 390 ... [--peer]
    python benchmarks/invariants.py --part shops --seeds 389 390 ... [--users 2000]
    python benchmarks/invariants.py --part null --seeds 389 [--null-users 5000]
    python benchmarks/invariants.py --part loghub

Parts:
- ``hdfs``: hdfs_xu and hdfs_deeplog. Normal-only: fitted on 1,000 normal blocks (drawn
  by the seed), judged on the other normal blocks and every anomalous one, F1 reweighted
  to the full log's prevalence (verdicts.py's protocol). Unsupervised: every normal block
  with a random 3% of anomalous ones (drawn by the seed). Per cell: ROC-AUC, own-cut F1,
  best-cut F1, share flagged against the true share, for ``auto`` and ``invariants``
  through AnomalyPipeline, and the detector's own "any invariant broken" verdict
  (``any``). ``--peer``: loglizer's InvariantsMiner on the same count matrices (its
  "any broken" verdict; loglizer from a local checkout, ``--loglizer DIR``: ``git clone
  https://github.com/logpai/loglizer``, measured at its commit ac67f97;
  ``--peer-normal-only``: only where it fits 1,000 blocks, its search being slow).
- ``--veto`` (any part): ``veto``, the default's flags kept only where the entity breaks
  an invariant or holds a type unseen in fit (its scores below every such entity's
  elsewhere): a composition measured for the report, not a method of oddseq.
- ``shops``: make_ecommerce and make_marketplace (medium, hard; ``--users``), both modes
  as verdicts.py draws them, and benchmarks/heldout_shop.py's site (unsupervised, 4%
  planted; normal-only fitted on half its normal users).
- ``null``: verdicts.py's nothing-planted logs (share flagged only).
- ``loghub``: the loghub 2k-line HDFS sample, unsupervised.

Rows go to stdout and to ``--out`` (JSON lines; default benchmarks/results/invariants.jsonl).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import verdicts  # noqa: E402

METHODS = ("auto", "invariants")


def _pipeline_row(method, fit, judged, y, weights, normal, seed):
    from oddseq._pipeline import AnomalyPipeline

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(method=method, random_state=seed).fit(fit, normal=normal)
        table = pipe.table_ if fit is judged else pipe.score(judged)
    table = table.reindex(judged.ids)
    row = verdicts.judge(y, table["score"].to_numpy(), table["is_anomaly"].to_numpy(), weights)
    return {**row, "s": time.perf_counter() - t0}


def _any_row(fit, judged, y, weights):
    from oddseq.detect import InvariantsDetector

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = InvariantsDetector().fit(fit)
    scores = det.decision_scores_ if fit is judged else det.decision_function(judged)
    row = verdicts.judge(y, scores, scores > 0, weights)
    return {**row, "invariants": int(len(det.invariant_types_))}


def _veto_row(fit, judged, y, weights, normal, seed):
    """The default's flags kept only where the entity breaks an invariant (or holds an
    event type unseen in fit); its scores put below every such entity's where not."""
    from oddseq._pipeline import AnomalyPipeline
    from oddseq.detect import InvariantsDetector

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AnomalyPipeline(random_state=seed).fit(fit, normal=normal)
        table = (pipe.table_ if fit is judged else pipe.score(judged)).reindex(judged.ids)
        det = InvariantsDetector().fit(fit)
    broke = (det.decision_scores_ if fit is judged else det.decision_function(judged)) > 0
    scores = table["score"].to_numpy()
    scores = np.where(broke, scores, scores.min() - 1.0)
    return verdicts.judge(y, scores, table["is_anomaly"].to_numpy() & broke, weights)


def _counts(seqs, labels):
    """The event-count matrix over ``labels`` (dense; loglizer reads arrays)."""
    index = labels.get_indexer(seqs.event_labels)
    out = np.zeros((len(seqs), len(labels)))
    rows = np.repeat(np.arange(len(seqs)), seqs.lengths)
    codes = index[np.asarray(seqs.events)]
    keep = codes >= 0
    np.add.at(out, (rows[keep], codes[keep]), 1)
    return out


def _peer_row(fit, judged, y, weights, loglizer):
    import contextlib
    import io

    if str(loglizer) not in sys.path:
        sys.path.insert(0, str(loglizer))
    from loglizer.models import InvariantsMiner

    labels = fit.event_labels
    miner = InvariantsMiner()
    with contextlib.redirect_stdout(io.StringIO()):
        miner.fit(_counts(fit, labels))
    flags = miner.predict(_counts(judged, labels)).astype(bool)
    # A type unseen in fit has no column there: loglizer cannot see it.
    return verdicts.judge(y, flags.astype(float), flags, weights)


def _cells_hdfs(args):
    for source in ("hdfs_xu", "hdfs_deeplog"):
        normal = verdicts._hdfs_lists(verdicts.DATA / source / "hdfs_train")
        anomalous = verdicts._hdfs_lists(verdicts.DATA / source / "hdfs_test_abnormal")
        for seed in args.seeds:
            for cell in verdicts._protocols(source, normal, anomalous, seed, 1):
                yield (*cell, seed)


def _cells_shops(args):
    import oddseq.datasets as datasets

    ns = argparse.Namespace(users=args.users, seed=None)
    for seed in args.seeds:
        ns.seed = seed
        for name in ("ecommerce", "marketplace"):
            for cell in verdicts._shop(name, getattr(datasets, f"make_{name}"), ns):
                yield (*cell, seed)
        yield from _heldout_shop(args.users, seed)


def _heldout_shop(users, seed):
    from heldout_shop import make_heldout_shop

    from oddseq.sequences import Sequences

    shop = make_heldout_shop(users, 0.04, random_state=seed)
    s = Sequences.from_events(shop.events, entity="user_id", event="event", time="timestamp")
    labels = shop.labels.set_index("user_id")["is_anomaly"]
    y = labels.reindex(s.ids).to_numpy().astype(int)
    yield "heldout_shop", "unsupervised", s, s, y, None, seed
    rng = np.random.default_rng(seed)
    normal_rows = np.flatnonzero(y == 0)
    fit_rows = np.sort(rng.choice(normal_rows, len(normal_rows) // 2, replace=False))
    judged = np.setdiff1d(np.arange(len(s)), fit_rows)
    yield "heldout_shop", "normal", s.take(fit_rows), s.take(judged), y[judged], None, seed


def _cells_null(args):
    ns = argparse.Namespace(null_users=args.null_users, seed=None)
    for seed in args.seeds:
        ns.seed = seed
        for cell in verdicts.source_null(ns):
            yield (*cell, seed)


def _cells_loghub(args):
    for cell in verdicts.source_loghub_hdfs(args):
        yield (*cell, 0)


PARTS = {"hdfs": _cells_hdfs, "shops": _cells_shops, "null": _cells_null, "loghub": _cells_loghub}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=list(PARTS), required=True)
    parser.add_argument("--seeds", type=int, nargs="*", default=[389])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--null-users", type=int, default=5000)
    parser.add_argument("--modes", nargs="*", default=["unsupervised", "normal"])
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--peer", action="store_true")
    parser.add_argument("--peer-normal-only", action="store_true")
    parser.add_argument("--veto", action="store_true")
    parser.add_argument(
        "--loglizer",
        help="a checkout of https://github.com/logpai/loglizer (measured at ac67f97): "
        "git clone https://github.com/logpai/loglizer DIR; needed with --peer",
    )
    parser.add_argument("--out", default=str(HERE / "results" / "invariants.jsonl"))
    args = parser.parse_args(argv)
    if args.peer and not args.loglizer:
        parser.error("--peer needs --loglizer DIR (git clone https://github.com/logpai/loglizer)")
    with open(args.out, "a") as out:
        for name, mode, fit, judged, y, weights, seed in PARTS[args.part](args):
            if mode.split("#")[0] not in args.modes:
                continue
            normal = mode == "normal"
            peer = args.peer and (mode == "normal" or not args.peer_normal_only)
            scorers = [*args.methods, "any"] + (["loglizer"] if peer else [])
            scorers += ["veto"] if args.veto else []
            for scorer in scorers:
                if scorer == "any":
                    score = _any_row(fit, judged, y, weights)
                elif scorer == "veto":
                    score = _veto_row(fit, judged, y, weights, normal, seed)
                elif scorer == "loglizer":
                    score = _peer_row(fit, judged, y, weights, args.loglizer)
                else:
                    score = _pipeline_row(scorer, fit, judged, y, weights, normal, seed)
                row = {"source": name, "mode": mode.split("#")[0], "seed": seed}
                row |= {"scorer": scorer, **score}
                out.write(json.dumps(row) + "\n")
                out.flush()
                print(
                    f"{name:<18} {row['mode']:<12} {seed:<4} {scorer:<10} "
                    + " ".join(
                        f"{k} {row[k]:.4f}"
                        for k in ("auc", "f1_own", "f1_best", "flagged", "true_share")
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
