"""A cut that reads the scored batch: measured on saved normal-only scores, not adopted.

A normal-only fit knows what normal scores look like: the out-of-fold scores of normal
data the model never saw (``AnomalyPipeline.reference_scores_``, the neural detectors'
``validation_scores_``). The one call ``detect_anomalies(df, normal=train)`` also holds
the whole scored batch. At a cut t the batch flags R(t) entities where normal ones
alone would give about n P0(S > t), so the excess R(t) - n P0(S > t) estimates how many
anomalies lie above t, and the cut could be chosen from the batch: higher where the
anomalies stand clearly apart (fewer of the false-alarm rate's flags), none where
nothing is in excess. This script measures such cuts against the model's own flags.

Rules (``batch_cut``): candidate cuts are the batch's distinct scores; P0 is
``detect.tail_probability`` of the reference (empirical, a generalized Pareto tail
beyond its largest score); the excess's spread sigma(t) adds the batch's Poisson count
and the reference's sampling error, n^2 P0 (1 - P0) / m for m reference scores. Where
no candidate with P0 <= ``lam`` has an excess of ``z`` sigma, nothing is in excess and
the cut is the model's (``none="rate"``) or the score a normal entity passes with
probability 0.05 / n (``none="bonferroni"``). Else the estimated F1 at t is
2 (X(t) - zf sigma(t)) / (R(t) + A), A the estimated number of anomalies (the excess at
its largest, ``A="max"``, or where the excess's lower bound X - sigma peaks,
``A="at-lcb"``), and the cut is its argmax, with ``up=True`` never below the model's.

Batches: every held-out normal entity of a score file and anomalies drawn to the real
log's prevalence (HDFS 16,838 in 575,061; the generators' planted share), to a third of
it, and to none, ``--draws`` times; F1 and the share flagged of each rule beside the
model's own flags (its cut and its support rule; the support rule's flags are kept by
every rule) and the best cut of the batch's scores.

Score files: ``benchmarks/verdicts.py --batch-scores DIR`` (the one call's default) and
``benchmarks/neural.py batch-scores --out DIR`` (the neural detectors).

Usage:
    python benchmarks/batch_cut.py DIR/*.npz [--draws 10] [--factors 1 0.3333 0]
"""

from __future__ import annotations

import argparse
import collections
import os

import numpy as np

from oddseq.detect._threshold import tail_probability

RULES = {
    # The rule written before the confirmation files (see RESULTS.md, "A cut that reads
    # the scored batch").
    "up, lcb 1, else own": dict(none="rate", zf=1.0, up=True, A="at-lcb"),
    "up, lcb 1, else 0.05/n": dict(none="bonferroni", zf=1.0, up=True, A="at-lcb"),
    "lcb 1, else 0.05/n": dict(none="bonferroni", zf=1.0, A="at-lcb"),
    "estimate, else 0.05/n": dict(none="bonferroni"),
}


def batch_cut(
    reference, scores, own_cut, lam=0.2, z=3.0, none="bonferroni", zf=0.0, A="max", up=False
):
    """The cut of ``scores`` (flags are ``scores > cut``) by the rule described above."""
    reference = np.asarray(reference, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    n, m = scores.size, reference.size
    descending = np.sort(scores)[::-1]
    negated, first = np.unique(-descending, return_index=True)
    cuts = -negated  # distinct scores, highest first
    flagged = first.astype(np.float64)  # #(scores > cut): the rank of its first copy
    null = tail_probability(reference, np.nextafter(cuts, np.inf))  # P0(S > cut)
    expected = n * null
    excess = flagged - expected
    sigma = np.sqrt(expected + n**2 * null * (1 - null) / m + 1.0)
    window = null <= lam
    if not window.any() or (excess[window] / sigma[window]).max() < z:
        if none == "rate":
            return float(own_cut)
        surprising = np.flatnonzero(null < 0.05 / n)
        if surprising.size == 0:
            return float(descending[0])
        return float(max(cuts[surprising[-1]], own_cut))
    if A == "max":
        anomalies = excess[window].max()
    else:
        anomalies = excess[int(np.argmax(np.where(window, excess - sigma, -np.inf)))]
    f1 = 2 * np.maximum(excess - zf * sigma, 0) / (flagged + anomalies)
    f1[~window] = -1.0
    cut = float(cuts[int(np.argmax(f1))])
    return max(cut, float(own_cut)) if up else cut


def _f1(y, flags):
    tp = int(np.count_nonzero(flags & (y == 1)))
    return 2 * tp / max(int(np.count_nonzero(flags)) + int(np.count_nonzero(y)), 1)


def _best_f1(y, scores):
    hits = np.cumsum(y[np.argsort(-scores, kind="stable")])
    positives = int(hits[-1])
    return float(np.max(2 * hits / (np.arange(1, y.size + 1) + positives))) if positives else 0.0


def judge(path, factor, draws, seed=0):
    """Mean F1 and share flagged of the own flags, the best cut and every rule, over
    batches drawn at ``factor`` times the file's prevalence."""
    f = np.load(path, allow_pickle=False)
    reference, normal, anomalous = f["reference"], f["normal"], f["anomalous"]
    own_cut = float(f["threshold"])
    # Flags the model raises whatever the score (the support rule): kept by every rule.
    forced_normal = f["normal_flag"] & (normal <= own_cut)
    forced_anomalous = f["anomalous_flag"] & (anomalous <= own_cut)
    share = float(f["prevalence"]) * factor
    k = min(int(round(share * normal.size / (1 - share))), anomalous.size) if share else 0
    rng = np.random.default_rng(seed)
    rows = collections.defaultdict(list)
    for _ in range(draws if k else 1):
        pick = rng.choice(anomalous.size, k, replace=False)
        scores = np.r_[normal, anomalous[pick]]
        forced = np.r_[forced_normal, forced_anomalous[pick]]
        y = np.r_[np.zeros(normal.size, int), np.ones(k, int)]
        own = np.r_[f["normal_flag"], f["anomalous_flag"][pick]]
        rows["own"].append((_f1(y, own), own.mean()))
        rows["best cut"].append((_best_f1(y, scores), 0.0))  # its share is not shown
        for name, rule in RULES.items():
            flags = (scores > batch_cut(reference, scores, own_cut, **rule)) | forced
            rows[name].append((_f1(y, flags), flags.mean()))
    return {name: np.mean(np.array(v, dtype=float), axis=0) for name, v in rows.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--factors", nargs="*", type=float, default=[1.0, 1 / 3, 0.0])
    args = parser.parse_args()
    names = ["own", "best cut", *RULES]
    for factor in args.factors:
        print(f"\nprevalence x {factor:.2f}: mean F1 (mean share flagged) [cells lower / higher")
        print("than own by > 0.01], per source over its seed files")
        print("| source | " + " | ".join(names) + " |")
        print("|---" * (len(names) + 1) + "|")
        by_source = collections.defaultdict(list)
        for path in sorted(args.files):
            source = os.path.basename(path).rsplit("-seed", 1)[0]
            by_source[source].append(judge(path, factor, args.draws))
        for source, cells in by_source.items():
            own = np.array([c["own"][0] for c in cells])
            row = []
            for name in names:
                f1 = np.array([c[name][0] for c in cells])
                flagged = np.mean([c[name][1] for c in cells])
                text = f"{f1.mean():.3f}" if factor else "-"
                if name != "best cut":
                    text += f" ({100 * flagged:.2f}%)"
                if name in RULES:
                    text += f" [{int((f1 < own - 0.01).sum())}/{int((f1 > own + 0.01).sum())}]"
                row.append(text)
            print(f"| {source} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
