"""The pipeline's unsupervised cut with and without its bag, on saved training scores.

The unsupervised cut (``pipeline_cut``) ends in yes/no steps (a collapsed first cut
repaired or not, a gap clear or not); since the thirty-sixth session it is bagged
(``oddseq.detect._threshold.bagged_cut``: the share the rule flags on 30 bootstrap
draws of the scores, on average). This script re-cuts the training scores that
``benchmarks/seed_gate.py run ... --save-scores DIR`` kept (one file per cell and
``random_state``) both ways, with the default's detector, and prints per cell the counts
flagged and the own-cut F1 (mean and standard deviation over the seeds), then the mean
over labelled cells of the difference and of the standard deviations, and the mean
share flagged of the nothing-planted cells. It judges the detector's flags (the group
stage's members, which the table adds, are left out); the full pipeline with the bag
switched off: ``seed_gate.py run --variant`` a file that sets
``oddseq.detect._threshold._BAGGED_CUT = False``.

Usage (from the repository root):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/seed_gate.py run \\
        /tmp/lab.json shop:846:4000 market-hard:852:3000 ... --random-states 0-9 \\
        --save-scores /tmp/scores
    OMP_NUM_THREADS=1 python benchmarks/bagged_cut.py /tmp/scores [OUT.json]
"""

import argparse
import glob
import json
import os
import time
import warnings
from types import SimpleNamespace

import numpy as np

from oddseq.detect import EnsembleDetector, KMeansDetector, PCADetector, RobustZDetector
from oddseq.detect._base import pipeline_cut


def _default_pipe():
    """What pipeline_cut reads of the default unsupervised AnomalyPipeline (its ensemble
    has no floor of its own)."""
    members = [
        ("kmeans", KMeansDetector()),
        ("pca_t2", PCADetector(statistic="t2")),
        ("robust_z", RobustZDetector()),
    ]
    detector = EnsembleDetector(members, contamination="auto")
    return SimpleNamespace(
        contamination="auto", normal_=False, threshold="tail", detector_=detector
    )


def _f1(y, flags):
    both = int(y.sum() + flags.sum())
    return 2 * int((y & flags).sum()) / both if both else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scores", help="seed_gate.py's --save-scores folder")
    parser.add_argument("out", nargs="?", help="a JSON file for the per-fit rows")
    parser.add_argument("--rate", type=float, default=0.01)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pipe = _default_pipe()
    paths = glob.glob(os.path.join(args.scores, "*_rs*.npz"))
    cells = sorted({os.path.basename(p).rsplit("_rs", 1)[0] for p in paths})
    if not cells:
        raise SystemExit(f"no saved scores (*_rs*.npz) in {args.scores}")
    out, seconds = {}, 0.0
    for cell in cells:
        rows = []
        for path in sorted(glob.glob(os.path.join(args.scores, f"{cell}_rs*.npz"))):
            saved = np.load(path)
            train, y, table = saved["train"], saved["y"].astype(bool), saved["score"]
            plain = pipeline_cut(pipe, train, args.rate, bagged=False).cut
            start = time.process_time()
            bagged = pipeline_cut(pipe, train, args.rate).cut
            seconds += time.process_time() - start
            rows.append(
                {
                    "n": int(train.size),
                    "positives": int(y.sum()),
                    "plain_flagged": int((train > plain).sum()),
                    "bagged_flagged": int((train > bagged).sum()),
                    "plain_f1": _f1(y, table > plain),
                    "bagged_f1": _f1(y, table > bagged),
                }
            )
        out[cell] = rows
        f0 = [r["plain_f1"] for r in rows]
        fb = [r["bagged_f1"] for r in rows]
        print(
            f"{cell:28s} flagged {[r['plain_flagged'] for r in rows]} -> "
            f"{[r['bagged_flagged'] for r in rows]} of {rows[0]['positives']} planted; own F1 "
            f"{np.mean(f0):.3f} (sd {np.std(f0):.3f}) -> {np.mean(fb):.3f} (sd {np.std(fb):.3f})",
            flush=True,
        )
    labelled = [c for c in out if out[c][0]["positives"]]
    clean = [c for c in out if not out[c][0]["positives"]]

    def mean_of(cell, key, how=np.mean):
        return float(how([r[key] for r in out[cell]]))

    if labelled:
        diff = [mean_of(c, "bagged_f1") - mean_of(c, "plain_f1") for c in labelled]
        print(
            f"{len(labelled)} labelled cells: own F1 {np.mean(diff):+.4f} (higher by > 0.01: "
            f"{sum(d > 0.01 for d in diff)}, lower: {sum(d < -0.01 for d in diff)}); sd "
            f"{np.mean([mean_of(c, 'plain_f1', np.std) for c in labelled]):.4f} -> "
            f"{np.mean([mean_of(c, 'bagged_f1', np.std) for c in labelled]):.4f}"
        )
    if clean:
        share = {
            k: np.mean([np.mean([r[k] / r["n"] for r in out[c]]) for c in clean])
            for k in ("plain_flagged", "bagged_flagged")
        }
        print(
            f"{len(clean)} nothing-planted cells: {100 * share['plain_flagged']:.3f}% -> "
            f"{100 * share['bagged_flagged']:.3f}% flagged"
        )
    print(f"the bagged cuts: {seconds:.1f} s CPU in all")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
