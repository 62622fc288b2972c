"""Unsupervised cut rules judged offline on saved training scores, over many seeds.

The unsupervised cut (``oddseq.detect.auto_cut``) is the one step between the detectors'
scores and the flags; a change of it does not change a score. So the scores of each cell
(a source, a seed, a ``random_state``, a call) are saved once, and each rule is judged on
all of them in seconds: ``verdicts.py --gate-cuts --save-scores DIR`` (its sources, with
``--random-states`` for several draws of one data seed) and ``heldout_verdicts.py
--save-scores DIR --only-unsupervised`` (the held-out shop, accounts, web and game logs,
each plain and with items/values, and each one's nothing-planted draw; group-stage
members stay flagged whatever the cut). Per rule: own-cut F1 over the best cut's per
labelled cell (HDFS draws averaged), its mean, how many cells miss (< 0.5) or reach 0.9,
how many fall or rise by more than 0.03 against ``auto_cut`` and the largest fall; and
the share flagged of each nothing-planted log. Run (seconds)::

    python benchmarks/cut_rules.py DIR [DIR ...]

Rules: ``auto_cut``; ``refit`` (``AnomalyPipeline``'s cut since the nineteenth session:
where ``auto_cut`` flags so few that the data contradict its tail, the tail refitted
without the top that bent it, ``_auto_cut(refit=True)``); ``trimmed first`` (the refit
before the moves); ``levelled 0.1`` (the move down's spacings levelled by the bulk's tail shape,
``verdicts.py``'s ``_levelled_gap_below``); ``refit + levelled``; ``refit, levelled, rate
0.005``. Eighteenth session: RESULTS.md, "The cut that collapsed".
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from verdicts import _levelled_gap_below  # noqa: E402

from oddseq.detect._threshold import (  # noqa: E402
    _auto_cut,
    _trimmed_tail,
    _wider_move,
    gap_cut,
    tail_cut,
)

RATE = 0.01


def _levelled_moves(scores, tail, level=0.1):
    below = _levelled_gap_below(scores, tail, level)
    return _wider_move(scores, tail, gap_cut(scores, tail), below)


def trimmed_first(scores, rate=RATE):
    """The refit of the tail cut before any move, then today's moves."""
    tail = _trimmed_tail(scores, rate, tail_cut(scores, rate))[0]
    return _auto_cut_from(scores, tail)


def _auto_cut_from(scores, tail):
    from oddseq.detect._threshold import _moved

    return _moved(scores, tail, 0.05, None)


def levelled(scores, rate=RATE):
    return _levelled_moves(scores, tail_cut(scores, rate))


def refit_levelled(scores, rate=RATE):
    """The levelled cut; where it flags so few that the data contradict its tail, the
    refit of ``_trimmed_tail`` and the levelled moves from it."""
    cut = levelled(scores, rate)
    refitted, aside = _trimmed_tail(scores, rate, cut)
    return _levelled_moves(scores, refitted) if aside else cut


RULES = {
    "auto_cut": lambda s: _auto_cut(s, RATE)[0],
    "refit": lambda s: _auto_cut(s, RATE, refit=True)[0],
    "trimmed first": trimmed_first,
    "levelled 0.1": levelled,
    "refit + levelled": refit_levelled,
    "refit + levelled, rate 0.005": lambda s: refit_levelled(s, 0.005),
}


def f1(y, flags):
    tp = np.count_nonzero(flags & y)
    return 2 * tp / max(tp + np.count_nonzero(flags) + np.count_nonzero(y) - tp, 1)


def best_f1(y, scores, group):
    """F1 at the best cut of the scores, group members flagged whatever the cut."""
    tp0, fp0, positives = np.count_nonzero(group & y), np.count_nonzero(group & ~y), y.sum()
    s, yy = scores[~group], y[~group]
    order = np.argsort(-s, kind="stable")
    s, yy = s[order], yy[order]
    tp, fp = tp0 + np.cumsum(yy), fp0 + np.cumsum(~yy)
    last = np.r_[s[1:] != s[:-1], True]  # cuts between distinct scores only
    f = (2 * tp / (2 * tp + fp + (positives - tp)))[last]
    none = 2 * tp0 / max(2 * tp0 + fp0 + positives - tp0, 1)
    return float(max(f.max() if f.size else 0.0, none))


def judge(folders) -> pd.DataFrame:
    rows = []
    for folder in folders:
        for file in sorted(Path(folder).glob("*.npz")):
            saved = np.load(file)
            scores = saved["scores"].astype(np.float64)
            y = saved["y"].astype(bool)
            group = saved["group"].astype(bool) if "group" in saved.files else np.zeros_like(y)
            seed, cell = file.stem.split("-", 1)
            best = best_f1(y, scores, group) if y.any() else np.nan
            for rule, cut in RULES.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    flags = (scores > cut(scores)) | group
                row = {"seed": seed, "cell": cell, "rule": rule, "flagged": flags.mean()}
                row["true"] = y.mean()
                if y.any():
                    own = f1(y, flags)
                    row.update(own=own, best=best, ratio=own / best if best else np.nan)
                rows.append(row)
    return pd.DataFrame(rows)


def main(folders):
    frame = judge(folders)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_rows", 1_000)
    labelled = frame[frame["true"] > 0].copy()
    labelled["cell"] = labelled["cell"].str.replace(r"draw\d+", "draw", regex=True)
    labelled = labelled.groupby(["seed", "cell", "rule"], as_index=False)[["ratio"]].mean()
    wide = labelled.pivot_table(index=["cell", "seed"], columns="rule", values="ratio")
    wide = wide[list(RULES)]
    print(wide.round(3).to_string())
    base = wide["auto_cut"]
    for rule in RULES:
        change = wide[rule] - base
        print(
            f"{rule:30s} mean own/best {wide[rule].mean():.4f}, misses (< 0.5) "
            f"{int((wide[rule] < 0.5).sum())}, >= 0.9 {int((wide[rule] >= 0.9).sum())} of "
            f"{len(wide)}; against auto_cut: {int((change < -0.03).sum())} fall and "
            f"{int((change > 0.03).sum())} rise by > 0.03, largest fall {change.min():+.3f}"
        )
    clean = frame[frame["true"] == 0]
    if len(clean):
        shares = clean.pivot_table(index=["cell", "seed"], columns="rule", values="flagged")
        print("share flagged (%) of the nothing-planted logs")
        print((100 * shares[list(RULES)]).round(2).to_string())
    return frame


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
