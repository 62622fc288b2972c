"""What the HDFS ranking misses: the families of blocks on the wrong side of the best cut.

For each HDFS set, protocol and seed of benchmarks/verdicts.py (unsupervised: every normal
block with a random 3% of anomalous ones; normal-only: fitted on 1,000 normal blocks,
judged on the rest and every anomalous block, weighted to the full log's prevalence), the
default (``method="auto"``) is cut at its best F1 and the blocks it misranks (normal ones
above the cut, anomalous ones below) are grouped by their *rare signature*: the event
types they hold that fewer than 1% of the set's normal blocks hold (``-``: none), with
``new`` marking types no normal block holds. Each family is printed with its blocks, its
weight (the F1 it costs is read from the weights), and, normal-only, how many of the 1,000
fitted blocks share the signature (the evidence the fit has for it). Then every detector
of ``--methods`` is judged on the same cell (ROC-AUC, best-cut F1) and on the pair that
matters: the share of (anomalous block, normal block) pairs that the detector orders right
(ties half), the normal blocks of the largest family above the cut against the largest
family of the anomalous blocks they outrank (below the cut, or, where the best cut misses
none, below that normal family's median score).

Usage (from the repository root; ../shared/data, see its README):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/hdfs_families.py \
        [--sources hdfs_xu hdfs_deeplog] [--seeds 659 660 661] \
        [--modes unsupervised normal] [--methods auto kmeans robust_z pca invariants]

Writes benchmarks/results/hdfs-families.json (``--out``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import verdicts as V  # noqa: E402

METHODS = ("auto", "kmeans", "pca", "robust_z", "iforest", "ecod", "markov", "invariants")
RARE = 0.01  # a type fewer than this share of the set's normal blocks hold


def best_cut(y, scores, weights):
    """The score at which the weighted F1 is best (ties cut together) and that F1."""
    order = np.argsort(-scores, kind="stable")
    s, yy, ww = scores[order], y[order], weights[order]
    last = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(ww * (yy == 1))
    fp = np.cumsum(ww * (yy == 0))
    f1 = np.where(last, 2 * tp / (tp + fp + float(np.sum(weights * (y == 1)))), -1.0)
    k = int(np.argmax(f1))
    return float(s[k]), float(f1[k])


def signatures(lists, rare_types, known):
    """Each block's rare signature: its rare types, sorted, 'new' before a type no normal
    block holds; '-' for none."""
    out = []
    for events in lists:
        held = sorted(set(events) & rare_types, key=int)
        held += [f"new {t}" for t in sorted(set(events) - known, key=int)]
        out.append("+".join(held) if held else "-")
    return np.array(out, dtype=object)


def pair_order(scores, above, below):
    """Share of (a, n) pairs, a of ``below`` (anomalous) and n of ``above`` (normal),
    where a scores higher than n; ties count half."""
    a, n = scores[below], scores[above]
    if a.size == 0 or n.size == 0:
        return float("nan")
    a = np.sort(a)
    higher = np.searchsorted(a, n, side="right")  # anomalies <= each normal score
    equal = higher - np.searchsorted(a, n, side="left")
    return float(np.sum(a.size - higher + 0.5 * equal) / (a.size * n.size))


def _lists(seqs):
    """Each sequence's event labels as strings."""
    labels = np.asarray(seqs.event_labels).astype(str)
    return [list(labels[seqs.events[a:b]]) for a, b in zip(seqs.offsets[:-1], seqs.offsets[1:])]


def cell(src, mode, fit, judged, y, weights, seed, methods, normal_lists):
    from oddseq._pipeline import AnomalyPipeline

    known = set().union(*map(set, normal_lists))
    share = Counter(t for events in normal_lists for t in set(events))
    rare = {t for t, c in share.items() if c < RARE * len(normal_lists)}
    judged_lists = _lists(judged)
    sig = signatures(judged_lists, rare, known)
    w = np.ones(len(y)) if weights is None else weights
    scores = {}
    for method in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe = AnomalyPipeline(method=method, random_state=seed)
            pipe.fit(fit, normal=mode == "normal")
            table = pipe.score(judged) if mode == "normal" else pipe.table_
        scores[method] = table.reindex(judged.ids)["score"].to_numpy()
    cut, f1 = best_cut(y, scores["auto"], w)
    fitted_sig = Counter()
    if mode == "normal":
        fitted_sig = Counter(signatures(_lists(fit), rare, known))
    families = []
    sides = {
        "normal above": (scores["auto"] >= cut) & (y == 0),
        "anomalous below": (scores["auto"] < cut) & (y == 1),
    }
    lengths = np.diff(judged.offsets)
    for label, side in sides.items():
        for s, n in Counter(sig[side]).most_common():
            rows = side & (sig == s)
            families.append(
                {
                    "side": label,
                    "signature": s,
                    "blocks": int(n),
                    "weight": float(np.sum(w[rows])),
                    "judged_with_signature": int(np.sum(sig == s)),
                    "fitted_with_signature": int(fitted_sig.get(s, 0)),
                    "length_range": [int(lengths[rows].min()), int(lengths[rows].max())],
                }
            )
    # The pair that matters: the largest normal family above the cut, and the largest
    # family of the anomalies it outranks (those below the cut, or, where none is, those
    # scoring under that family's median score).
    normal_rows = [f for f in families if f["side"] == "normal above"]
    top = {"normal above": None, "anomalous below": None}
    above = below = np.zeros(len(y), bool)
    if normal_rows:
        top["normal above"] = max(normal_rows, key=lambda f: f["weight"])["signature"]
        above = (sig == top["normal above"]) & sides["normal above"]
        outranked = sides["anomalous below"]
        if not outranked.any():
            outranked = (y == 1) & (scores["auto"] < np.median(scores["auto"][above]))
        if outranked.any():
            top["anomalous below"] = Counter(sig[outranked]).most_common(1)[0][0]
            below = (sig == top["anomalous below"]) & outranked
    judged_methods = {}
    for method, s in scores.items():
        judged_methods[method] = {
            "auc": _auc(y, s),
            "f1_best": V.best_f1(y, s, weights),
            "pair": pair_order(s, above, below),
        }
    return {
        "source": src,
        "mode": mode,
        "seed": seed,
        "best_cut": cut,
        "f1_best": f1,
        "families": families,
        "pair": top,
        "methods": judged_methods,
    }


def _auc(y, s):
    from oddseq.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def show(row):
    head = f"{row['source']} {row['mode']} seed {row['seed']}"
    print(f"\n## {head}: the default's best cut {row['best_cut']:.3f}, F1 {row['f1_best']:.4f}")
    print("| side | rare signature | blocks | weight | lengths | judged with it | fitted with it |")
    print("|---|---|---|---|---|---|---|")
    for f in row["families"]:
        low, high = f["length_range"]
        cells = [f["side"], f["signature"], f["blocks"], f"{f['weight']:.0f}", f"{low}-{high}"]
        cells += [f["judged_with_signature"], f["fitted_with_signature"]]
        print("| " + " | ".join(map(str, cells)) + " |")
    pair = row["pair"]
    print(f"\npair: anomalous '{pair['anomalous below']}' above normal '{pair['normal above']}'")
    print("| detector | ROC-AUC | best-cut F1 | pair ordered right |")
    print("|---|---|---|---|")
    for m, r in row["methods"].items():
        print(f"| {m} | {r['auc']:.4f} | {r['f1_best']:.4f} | {r['pair']:.3f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", nargs="*", default=["hdfs_xu", "hdfs_deeplog"])
    parser.add_argument("--seeds", nargs="*", type=int, default=[659, 660, 661])
    parser.add_argument("--modes", nargs="*", default=["unsupervised", "normal"])
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--out", default=str(HERE / "results" / "hdfs-families.json"))
    args = parser.parse_args(argv)
    if "auto" not in args.methods:
        parser.error("--methods must include auto (the families are the default's)")
    rows = []
    for src in args.sources:
        normal_lists = V._hdfs_lists(V.DATA / src / "hdfs_train")
        for seed in args.seeds:
            ns = argparse.Namespace(seed=seed, draws=1)
            for name, mode, fit, judged, y, weights in V.SOURCES[src](ns):
                mode = mode.split("#")[0]
                if mode not in args.modes:
                    continue
                row = cell(name, mode, fit, judged, y, weights, seed, args.methods, normal_lists)
                show(row)
                rows.append(row)
    print("\n## means over seeds: best-cut F1 / pair ordered right")
    for src in args.sources:
        for mode in args.modes:
            cells = [r for r in rows if r["source"] == src and r["mode"] == mode]
            if not cells:
                continue
            text = ", ".join(
                f"{m} {np.mean([c['methods'][m]['f1_best'] for c in cells]):.4f} / "
                f"{np.nanmean([c['methods'][m]['pair'] for c in cells]):.3f}"
                for m in args.methods
            )
            print(f"- {src} {mode} ({len(cells)} seeds): {text}")
    Path(args.out).write_text(json.dumps({"machine": V.machine(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
