"""oddseq.neural: quality on HDFS (normal-only fitting) and training / scoring speed.

Usage (from the repository root, after ``pip install ".[neural]"`` with the CPU build
of torch: ``pip install torch==2.13.0``):

    python benchmarks/neural.py [quality] [cuts] [hdfs-seeds] [shop] [shop-normal]
        [pipeline-normal] [normal-rates] [batch-scores] [speed]
        [--models lstm transformer transformer-2layers transformer-next transformer-masked
        autoencoder]
        [--n 100000] [--threads 2]
        [--max-epochs 50] [--users 5000] [--seeds 0 1] [--rates 0.01 0.005 0.002 0.001]
        [--sources hdfs_xu hdfs_deeplog ecommerce_medium ...] [--out DIR]

quality: for ``hdfs_xu`` and ``hdfs_deeplog`` (../shared/data): each model is fitted on
80% of the normal blocks (``fit(seqs, normal=True)``; its own normal-only cut: out-of-fold
scores with ``n_folds="auto"`` and the support rule, whose flags ``predict`` adds), the
false-positive rate is measured on the other 20% of normal blocks
and the recall on every anomalous block; precision and F1 are reweighted to the full
log's prevalence (16,838 anomalous, 558,223 normal blocks), as ../shared/data/README.md
explains. MarkovDetector (order 3, g=9, DeepLog's rule) runs beside them on the same
split. Each neural model is judged by its own flags (``predict``: the normal-only default
false-alarm rate 0.005, 0.01 before the ninth session) and at 0.001 (the same scores, the
cut moved, no support rule), with the best F1 any cut gives (an oracle) for context.

hdfs-seeds (not run by default): LSTMDetector's HDFS figures at each of ``--seeds`` (split
and model seed), with and without the count term, own cut and best cut.

cuts (not run by default): where the LSTM's HDFS F1 goes, its maximum-surprisal cut at
false-alarm rates 0.01 / 0.005 / 0.002 from three references of normal scores (the
held-out 10% its own cut uses, all fit sequences, out-of-fold scores of 5 refits),
with the oracle cut and the rule "a count vector no fit block has" for comparison.

speed: 100,000 sequences of mean length 30 over 30 event types (a random sparse Markov
chain, lengths geometric), fitted with early stopping; fit time, epochs and scoring
rate (sequences per second). ``--normal``: fitted with ``fit(seqs, normal=True)`` (for
LSTMDetector the count term and the out-of-fold refits, ``--n-folds`` of them when
given), the refits' share of the fit time beside it.

shop (not run by default): unsupervised fits on make_ecommerce (medium, hard) and
make_marketplace (medium), ``--users`` users at each of ``--seeds``: ROC-AUC, average
precision, ROC-AUC per anomaly kind, recall and false-positive rate at the own cut,
with MarkovDetector beside each model.

pipeline-normal (not run by default): ``AnomalyPipeline(method=...).fit(..., normal=True)``
(the one call's normal-only path) for each of ``--models`` among lstm, transformer and
autoencoder, at each of ``--seeds``: HDFS split as in quality (the split's seed too), F1
reweighted to the full log; the shop sets (``--users``) fitted on 80% of their normal
users, plain F1; the flags are the table's ``is_anomaly``, beside the best cut of the
model's scores, the share of held-out normal sequences flagged, the fit's wall and CPU
seconds and, where the model cut itself, the same model's cut without its support rule
("plain") and at its held-out tenth's scores ("tenth").

normal-rates (not run by default): LSTMDetector fitted normal-only once per cell (both
HDFS sets, make_ecommerce and make_marketplace medium and hard at ``--users``, loghub's
2k-line HDFS sample; each at ``--seeds``), its cut and support rule taken again at each
of ``--rates``: own-cut F1 plain and reweighted to the whole log's prevalence, the share
flagged against the true share, the best cut's F1.

batch-scores (not run by default): score files for the batch-cut study (a cut chosen from
the whole scored batch against the normal-only fit's null of out-of-fold normal scores),
so rules can be judged without refitting: each of ``--models`` among lstm, transformer and
autoencoder fitted normal-only (the class defaults) on each of ``--sources`` (both HDFS
sets split as in quality; make_ecommerce and make_marketplace medium and hard at
``--users``, 80% of their normal users fitted) at each of ``--seeds`` (the split's and the
model's seed); one ``<source>-<model>-seed<S>.npz`` per fit in ``--out``
(benchmarks/results/batch-scores/neural by default; the arrays: see ``batch_scores``).

Prints a table per part and writes benchmarks/results/neural.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
RESULTS = HERE / "results"
FULL_HDFS = (16_838, 575_061 - 16_838)  # anomalous, normal blocks of the full log


def machine() -> dict:
    import torch

    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(
                line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return info


def hdfs_lists(path: Path) -> list[list[str]]:
    lists = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            lists.append(line.split(",", 1)[1].split() if "," in line else line.split())
    return lists


def hdfs_split_lists(source: str, seed: int):
    """``quality``'s split of an HDFS set: 80% of the normal blocks to fit (a
    permutation drawn with ``seed``), the other 20% held out, and the anomalous
    blocks: ``(fit, held, abnormal)`` as lists of event lists."""
    normal = hdfs_lists(DATA / source / "hdfs_train")
    abnormal = hdfs_lists(DATA / source / "hdfs_test_abnormal")
    order = np.random.default_rng(seed).permutation(len(normal))
    cut_n = int(0.8 * len(normal))
    return [normal[i] for i in order[:cut_n]], [normal[i] for i in order[cut_n:]], abnormal


def hdfs_split(source: str, seed: int):
    """:func:`hdfs_split_lists` as Sequences."""
    from oddseq.sequences import Sequences

    return tuple(Sequences.from_lists(part) for part in hdfs_split_lists(source, seed))


def make_model(name: str, args):
    from oddseq.neural import LSTMDetector, SequenceAutoencoder, TransformerDetector

    common = dict(max_epochs=args.max_epochs, random_state=0, n_threads=args.threads)
    return {
        "lstm": lambda: LSTMDetector(**common),
        # the defaults: objective="next", one encoder block (n_layers="auto"), read by
        # statistic="auto" ("surprise")
        "transformer": lambda: TransformerDetector(**common),
        # the same objective and statistic with two blocks (the default of 5888001)
        "transformer-2layers": lambda: TransformerDetector(n_layers=2, **common),
        # two blocks read by maximum surprisal (the seventh session's "next" model)
        "transformer-next": lambda: TransformerDetector(
            objective="next", n_layers=2, statistic="max", **common
        ),
        # the default before the eighth session: hidden events, maximum surprisal
        "transformer-masked": lambda: TransformerDetector(objective="masked", **common),
        "autoencoder": lambda: SequenceAutoencoder(**common),
    }[name]()


def reweighted(recall: float, fpr: float) -> tuple[float, float]:
    """Precision and F1 at the full HDFS log's prevalence."""
    tp, fp = recall * FULL_HDFS[0], fpr * FULL_HDFS[1]
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, f1


def quality(args) -> list[dict]:
    from oddseq.detect import MarkovDetector, normal_cut

    rows = []
    for source in ("hdfs_xu", "hdfs_deeplog"):
        fit, held, bad = hdfs_split(source, 0)
        cut_n = len(fit)
        candidates = [("markov (order 3, g=9)", lambda: MarkovDetector(order=3, top_g=9))]
        candidates += [(m, lambda m=m: make_model(m, args)) for m in args.models]
        for name, make in candidates:
            det = make()
            started = time.perf_counter()
            if name.startswith("markov"):
                det.fit(fit)
            else:
                det.fit(fit, normal=True)
            fit_s = time.perf_counter() - started
            started = time.perf_counter()
            bad_scores, held_scores = det.decision_function(bad), det.decision_function(held)
            score_s = time.perf_counter() - started
            # The best cut any threshold could give (an oracle, for context).
            cuts = np.unique(np.r_[bad_scores, held_scores])
            best = max(
                reweighted((bad_scores > c).mean(), (held_scores > c).mean())[1]
                for c in cuts[:: max(1, cuts.size // 1000)]
            )
            # The model's own flags (its cut and, fitted normal-only, its support rule).
            cut_rules = [("own flags (predict)", det.predict(bad), det.predict(held))]
            if not name.startswith("markov"):
                cut = normal_cut(det.validation_scores_, 0.001)
                cut_rules.append(("false-alarm rate 0.001", bad_scores > cut, held_scores > cut))
            for rule, bad_flags, held_flags in cut_rules:
                recall = float(np.mean(bad_flags))
                fpr = float(np.mean(held_flags))
                precision, f1 = reweighted(recall, fpr)
                rows.append(
                    {
                        "source": source,
                        "model": name,
                        "cut": rule,
                        "fit_sessions": cut_n,
                        "held_out_normal": len(held),
                        "anomalous": len(bad),
                        "recall": recall,
                        "false_positive_rate": fpr,
                        "precision_reweighted": precision,
                        "f1_reweighted": f1,
                        "best_cut_f1_reweighted": best,
                        "fit_s": fit_s,
                        "epochs": getattr(det, "n_epochs_", None),
                        "scored_per_s": (len(bad) + len(held)) / score_s,
                    }
                )
                r = rows[-1]
                print(
                    f"{source:<13} {name:<22} {rule:<31} recall {recall:.4f}  fpr {fpr:.4f}  "
                    f"P* {precision:.3f}  F1* {f1:.3f} (best cut {best:.3f})  fit "
                    f"{fit_s:6.1f} s (epochs {r['epochs']})  scoring {r['scored_per_s']:,.0f}/s",
                    flush=True,
                )
    return rows


def cuts(args) -> list[dict]:
    """Where the HDFS F1 is lost: the LSTM's maximum surprisal cut at a false-alarm
    rate from three references (the held-out 10% of fit its own cut uses, every fit
    sequence in-sample, out-of-fold scores of 5 refits), beside the F1 an oracle cut
    gives and the rule "a count vector no fit block has" (a ceiling for rules that
    accept only what fit has seen). Same split and reweighting as ``quality``."""
    from collections import Counter

    from oddseq.detect import normal_cut, out_of_fold_scores
    from oddseq.neural import LSTMDetector
    from oddseq.sequences import Sequences

    rows = []
    for source in ("hdfs_xu", "hdfs_deeplog"):
        fit_lists, held_lists, abnormal = hdfs_split_lists(source, 0)
        seen = {frozenset(Counter(s).items()) for s in fit_lists}
        novel_r = float(np.mean([frozenset(Counter(s).items()) not in seen for s in abnormal]))
        novel_f = float(np.mean([frozenset(Counter(s).items()) not in seen for s in held_lists]))
        unseen_seq = float(
            np.mean([tuple(s) not in set(map(tuple, fit_lists)) for s in held_lists])
        )
        print(
            f"{source}: held-out normal blocks whose sequence no fit block has: {unseen_seq:.3f}; "
            f"novel count vector rule: recall {novel_r:.4f} fpr {novel_f:.4f} "
            f"F1* {reweighted(novel_r, novel_f)[1]:.3f}",
            flush=True,
        )
        fit, held = Sequences.from_lists(fit_lists), Sequences.from_lists(held_lists)
        bad = Sequences.from_lists(abnormal)

        def make():
            return LSTMDetector(random_state=0, n_threads=args.threads, max_epochs=args.max_epochs)

        det = make().fit(fit, normal=True)
        bad_s, held_s = det.decision_function(bad), det.decision_function(held)
        grid = np.unique(np.r_[bad_s, held_s])
        best = max(
            reweighted((bad_s > c).mean(), (held_s > c).mean())[1]
            for c in grid[:: max(1, grid.size // 2000)]
        )
        references = {
            "held-out 10% (own cut)": det.validation_scores_,
            "all fit sequences": det.decision_scores_,
            "out-of-fold (5 refits)": out_of_fold_scores(make, fit, n_folds=5, random_state=0),
        }
        for rate in (0.01, 0.005, 0.002):
            for name, reference in references.items():
                cut = normal_cut(reference, rate)
                recall, fpr = float((bad_s > cut).mean()), float((held_s > cut).mean())
                rows.append(
                    {
                        "source": source,
                        "false_alarm_rate": rate,
                        "reference": name,
                        "recall": recall,
                        "false_positive_rate": fpr,
                        "f1_reweighted": reweighted(recall, fpr)[1],
                        "best_cut_f1_reweighted": best,
                        "novel_count_vector_f1_reweighted": reweighted(novel_r, novel_f)[1],
                        "held_out_unseen_sequence_share": unseen_seq,
                    }
                )
                print(
                    f"{source:<13} rate {rate:<6} {name:<24} recall {recall:.4f} fpr {fpr:.4f} "
                    f"F1* {rows[-1]['f1_reweighted']:.3f} (best cut {best:.3f})",
                    flush=True,
                )
    return rows


RATES = (0.01, 0.005, 0.002, 0.001)


def tenth_reference(det, fit) -> np.ndarray:
    """The cut's reference before ``n_folds`` (``n_folds=0``): the scores of the fitted
    model's own held-out tenth, its count term against the training part only (the
    same network as the out-of-fold fit, so the two cuts are compared on one model)."""
    from oddseq.neural._models import _CountReference

    rows = det._validation_rows
    train = np.setdiff1d(np.arange(len(fit)), rows)
    counts = det._count_matrix(fit)
    bits = _CountReference(counts[train]).bits(counts[rows])
    return det.statistics_["max_surprisal"].to_numpy()[rows] + bits


def normal_only_cells(det, fit, held, bad, f1) -> dict:
    """Own-cut figures of a normal-only fit: for each reference (the out-of-fold
    scores the cut reads, ``validation_scores_``; the held-out tenth's) and each rate
    of ``RATES``, the share of held-out normal sequences flagged, the recall and
    ``f1(recall, fp_rate)``; the best F1 any cut gives (an oracle)."""
    from oddseq.detect import normal_cut

    b, h = det.decision_function(bad), det.decision_function(held)
    grid = np.unique(np.r_[b, h])
    row = {"best_cut_f1": max(f1(float((b > c).mean()), float((h > c).mean())) for c in grid)}
    for name, reference in (("oof", det.validation_scores_), ("tenth", tenth_reference(det, fit))):
        for rate in RATES:
            cut = normal_cut(reference, rate)
            recall, fpr = float((b > cut).mean()), float((h > cut).mean())
            row[f"{name}_{rate}"] = {"recall": recall, "fp_rate": fpr, "f1": f1(recall, fpr)}
    return row


def print_cells(label: str, row: dict) -> None:
    for name in ("oof", "tenth"):
        cells = "  ".join(
            f"{rate}: F1 {cell['f1']:.3f} fp {cell['fp_rate']:.4f}"
            for rate, cell in ((rate, row[f"{name}_{rate}"]) for rate in RATES)
        )
        print(f"{label:<34} {name:<5} {cells}", flush=True)
    print(f"{label:<34} best cut F1 {row['best_cut_f1']:.3f}", flush=True)


def hdfs_seeds(args) -> list[dict]:
    """LSTMDetector(normal=True) (the defaults: the count term, the cut at out-of-fold
    scores of ``n_folds=5`` refits) on both HDFS sets at each of ``--seeds`` (the seed
    draws the 80/20 split of the normal blocks and the model's ``random_state``):
    F1 reweighted as in ``quality`` at the cut of each rate of ``RATES`` from the
    out-of-fold scores and, on the same model, from the held-out tenth's (the cut
    before ``n_folds``), the share of the other normal blocks flagged, the best cut
    (an oracle); the fit time of the model and of the refits."""
    from oddseq.neural import LSTMDetector

    rows = []
    for seed in args.seeds:
        for source in ("hdfs_xu", "hdfs_deeplog"):
            fit, held, bad = hdfs_split(source, seed)
            det = LSTMDetector(
                random_state=seed, n_threads=args.threads, max_epochs=args.max_epochs
            )
            started = time.perf_counter()
            det.fit(fit, normal=True)
            fit_s = time.perf_counter() - started
            row = normal_only_cells(det, fit, held, bad, lambda r, f: reweighted(r, f)[1])
            row.update(
                source=source,
                seed=seed,
                fit_s=fit_s,
                refits_s=det.cut_fit_time_,
                threshold=det.threshold_,
            )
            rows.append(row)
            print_cells(f"{source} seed {seed} (F1*)", row)
            print(f"{'':<34} fit {fit_s:.0f} s, of it refits {det.cut_fit_time_:.0f} s", flush=True)
    return rows


def shop_normal(args) -> list[dict]:
    """Normal-only fits on the shop generators (``shop_sets``: make_ecommerce medium
    and hard, make_marketplace medium, ``--users`` users at each of ``--seeds``):
    LSTMDetector(normal=True) on 80% of the normal users; the other normal users and
    every anomalous one are judged as in ``hdfs_seeds`` (plain F1, at the generator's
    own prevalence)."""
    from oddseq.neural import LSTMDetector

    def plain_f1(n_bad, n_held):
        def f1(recall, fpr):
            tp, fp = recall * n_bad, fpr * n_held
            return 2 * tp / (2 * tp + fp + (n_bad - tp)) if tp > 0 else 0.0

        return f1

    rows = []
    for data, seqs, kinds in shop_sets(args.users, args.seeds):
        seed = int(data.split()[-1])
        normal, bad = np.flatnonzero(kinds == "normal"), np.flatnonzero(kinds != "normal")
        order = np.random.default_rng(seed).permutation(normal.size)
        cut_n = int(0.8 * normal.size)
        fit = seqs.take(np.sort(normal[order[:cut_n]]))
        held = seqs.take(np.sort(normal[order[cut_n:]]))
        det = LSTMDetector(random_state=seed, n_threads=args.threads, max_epochs=args.max_epochs)
        started = time.perf_counter()
        det.fit(fit, normal=True)
        fit_s = time.perf_counter() - started
        n_bad, n_held = bad.size, len(held)
        row = normal_only_cells(det, fit, held, seqs.take(bad), plain_f1(n_bad, n_held))
        row.update(data=data, fit_s=fit_s, refits_s=det.cut_fit_time_, n_bad=n_bad, n_held=n_held)
        rows.append(row)
        print_cells(f"{data} (F1)", row)
        print(
            f"{'':<34} {n_bad} anomalous, {n_held} held-out normal users; fit {fit_s:.0f} s, "
            f"of it refits {det.cut_fit_time_:.0f} s",
            flush=True,
        )
    return rows


def recut(det, fit, rate: float) -> None:
    """Cut a normal-only ``LSTMDetector`` fit (contamination "auto") at another
    false-alarm rate, as ``fit`` with ``false_alarm_rate=rate`` would have (the network,
    the out-of-fold scores and the support do not depend on the rate; ``n_folds="auto"``
    keeps 5 refits below 50 held-out exceedances, 100 before e7d466a, so the fits
    compared read the same refits): the support rule decided again (it holds where
    ``novelty_rate_`` < rate), the cut taken again."""
    from oddseq.utils._validation import check_random_state

    det.false_alarm_rate = rate
    det.support_rule_ = False
    for stale in ("_support_inside", "_support_low", "_support_high"):
        det.__dict__.pop(stale, None)
    seed = int(check_random_state(det.random_state).randint(2**31 - 1))
    det._fit_support(fit, det._validation_rows, seed, det.n_folds_)
    det._set_threshold(det.decision_scores_)


def normal_split(seqs, normal: np.ndarray, seed: int):
    """(fit, held): 80% of the normal sequences ``normal`` (row numbers) to fit, by a
    permutation drawn with ``seed``, and the other 20%, each in row order."""
    order = np.random.default_rng(seed).permutation(normal.size)
    cut_n = int(0.8 * normal.size)
    return seqs.take(np.sort(normal[order[:cut_n]])), seqs.take(np.sort(normal[order[cut_n:]]))


def normal_rate_cells(args):
    """(name, fit, held, bad, normal_total): the normal-only cells of ``normal-rates``."""
    from oddseq.datasets import read_loghub

    for seed in args.seeds:
        for source in ("hdfs_xu", "hdfs_deeplog"):
            fit, held, bad = hdfs_split(source, seed)
            yield f"{source} seed {seed}", fit, held, bad, FULL_HDFS[1], seed
        for data, seqs, kinds in shop_sets(args.users, [seed], marketplace_hard=True):
            normal, anomalous = np.flatnonzero(kinds == "normal"), np.flatnonzero(kinds != "normal")
            fit, held = normal_split(seqs, normal, seed)
            yield data, fit, held, seqs.take(anomalous), normal.size, seed
        folder = DATA / "loghub_hdfs_2k"
        if folder.exists():
            bunch = read_loghub(
                folder / "HDFS_2k.log_structured.csv", labels=folder / "HDFS_2k_block_labels.csv"
            )
            seqs = bunch.sequences
            y = bunch.labels.reindex(seqs.ids).fillna(0).to_numpy().astype(int)
            normal = np.flatnonzero(y == 0)
            fit, held = normal_split(seqs, normal, seed)
            yield (
                f"loghub_hdfs_2k seed {seed}",
                fit,
                held,
                seqs.take(np.flatnonzero(y)),
                normal.size,
                seed,
            )


def normal_rates(args) -> list[dict]:
    """LSTMDetector fitted normal-only (the defaults) once per cell, cut at each of
    ``--rates`` (``recut``: the support rule and the out-of-fold cut as a fit at that
    rate would take them; flags are ``predict``'s). Cells: both HDFS sets, the four
    shop sets (``--users``), loghub's 2k-line HDFS sample, each at ``--seeds`` (the
    80/20 split of the normal sequences and the model's seed). Per cell and rate: the
    share of held-out normal sequences and of anomalous ones flagged, own-cut F1
    plain (at the judged prevalence: every anomalous sequence, a fifth of the normal
    ones) and reweighted to the whole log's prevalence (HDFS: the full log's; the
    generated and loghub logs: all of their own normal sequences), the share flagged
    against the true share at that prevalence; per cell the best reweighted F1 any
    cut of the scores gives (an oracle)."""
    from oddseq.neural import LSTMDetector

    rows = []
    for name, fit, held, bad, normal_total, seed in normal_rate_cells(args):
        det = LSTMDetector(random_state=seed, n_threads=args.threads, max_epochs=args.max_epochs)
        started = time.perf_counter()
        det.fit(fit, normal=True)
        fit_s = time.perf_counter() - started
        b, h = det.decision_function(bad), det.decision_function(held)
        n_bad, n_held = len(bad), len(held)
        true_share = n_bad / (n_bad + normal_total)

        def f1(recall, fpr, negatives, n_bad=n_bad):
            tp, fp = recall * n_bad, fpr * negatives
            return 2 * tp / (2 * tp + fp + (n_bad - tp)) if tp > 0 else 0.0

        grid = np.unique(np.r_[b, h])
        best = max(f1((b > c).mean(), (h > c).mean(), normal_total) for c in grid)
        print(f"{name:<28} fit {fit_s:.0f} s; true share {true_share:.4f}; best cut F1w {best:.3f}")
        for rate in args.rates:
            recut(det, fit, rate)
            recall, fpr = float(det.predict(bad).mean()), float(det.predict(held).mean())
            row = dict(
                cell=name,
                rate=rate,
                support_rule=bool(det.support_rule_),
                novelty_rate=det.novelty_rate_,
                recall=recall,
                false_positive_rate=fpr,
                f1=f1(recall, fpr, n_held),
                f1_reweighted=f1(recall, fpr, normal_total),
                flagged_share=(recall * n_bad + fpr * normal_total) / (n_bad + normal_total),
                true_share=true_share,
                best_cut_f1_reweighted=best,
                fit_s=fit_s,
            )
            rows.append(row)
            print(
                f"{'':<28} rate {rate:<6} support {'yes' if row['support_rule'] else 'no ':<3} "
                f"recall {recall:.3f} fpr {fpr:.4f} F1 {row['f1']:.3f} "
                f"F1w {row['f1_reweighted']:.3f} flagged {row['flagged_share']:.4f}",
                flush=True,
            )
    return rows


def pipeline_normal(args) -> list[dict]:
    """The one call fitted normal-only with each neural method of ``--models`` (see
    the module docstring)."""
    from oddseq import AnomalyPipeline
    from oddseq.detect import normal_cut

    methods = [m for m in args.models if m in ("lstm", "transformer", "autoencoder")]

    def cell(method, data, fit, held, bad, seed, f1_of):
        started, cpu = time.perf_counter(), time.process_time()
        pipe = AnomalyPipeline(method=method, random_state=seed, progress=False)
        pipe.fit(fit, normal=True)
        fit_s, fit_cpu_s = time.perf_counter() - started, time.process_time() - cpu
        recall = float(pipe.score(bad)["is_anomaly"].mean())
        fpr = float(pipe.score(held)["is_anomaly"].mean())
        det, rate = pipe.detector_, pipe.threshold_info_["false_alarm_rate"]
        b, h = det.decision_function(bad), det.decision_function(held)
        grid = np.unique(np.r_[b, h])
        best = max(f1_of(float((b > c).mean()), float((h > c).mean())) for c in grid)
        row = dict(method=method, data=data, recall=recall, false_positive_rate=fpr)
        row.update(f1=f1_of(recall, fpr), best_cut_f1=best, rate=rate, fit_s=fit_s)
        row.update(fit_cpu_s=fit_cpu_s)
        row.update(rule=pipe.threshold_info_["rule"])
        others = ""
        if getattr(det, "normal_", False):
            # The model cut itself: the same network's cut without the support rule
            # (its out-of-fold or held-out scores alone) and at the held-out tenth.
            tenth = det.decision_scores_[det._validation_rows]
            if getattr(det, "count_novelty_", False):
                tenth = tenth_reference(det, fit)
            for name, reference in (("plain", det.validation_scores_), ("tenth", tenth)):
                cut = normal_cut(reference, rate)
                r, f = float((b > cut).mean()), float((h > cut).mean())
                row[f"{name}_cut"] = {"recall": r, "false_positive_rate": f, "f1": f1_of(r, f)}
                others += f"  {name} F1 {f1_of(r, f):.3f} fp {f:.4f}"
            row.update(n_folds=det.n_folds_, support_rule=bool(det.support_rule_))
            row.update(refits_s=det.cut_fit_time_)
        print(
            f"{method:<12} {data:<27} recall {recall:.3f}  false alarms {fpr:.4f}  F1 "
            f"{row['f1']:.3f}  best {best:.3f}  fit {fit_s:.0f} s ({fit_cpu_s:.0f} CPU s){others}",
            flush=True,
        )
        return row

    rows = []
    for seed in args.seeds:
        for source in ("hdfs_xu", "hdfs_deeplog"):
            fit, held, bad = hdfs_split(source, seed)
            f1_of = lambda recall, fpr: reweighted(recall, fpr)[1]  # noqa: E731
            for method in methods:
                rows.append(cell(method, f"{source} seed {seed}", fit, held, bad, seed, f1_of))
        for data, seqs, kinds in shop_sets(args.users, [seed]):
            normal, anomalous = np.flatnonzero(kinds == "normal"), np.flatnonzero(kinds != "normal")
            order = np.random.default_rng(seed).permutation(normal.size)
            cut_n = int(0.8 * normal.size)
            fit = seqs.take(np.sort(normal[order[:cut_n]]))
            held = seqs.take(np.sort(normal[order[cut_n:]]))
            n_bad, n_held = anomalous.size, len(held)

            def f1_of(recall, fpr, n_bad=n_bad, n_held=n_held):
                tp, fp = recall * n_bad, fpr * n_held
                return 2 * tp / (2 * tp + fp + (n_bad - tp)) if tp > 0 else 0.0

            for method in methods:
                rows.append(cell(method, data, fit, held, seqs.take(anomalous), seed, f1_of))
    return rows


SHOPS = {
    # name: (generator, difficulty); one sequence of event types per user, in time order
    "ecommerce_medium": ("ecommerce", "medium"),
    "ecommerce_hard": ("ecommerce", "hard"),
    "marketplace_medium": ("marketplace", "medium"),
    "marketplace_hard": ("marketplace", "hard"),
}


def shop_set(name: str, users: int, seed: int):
    """(Sequences, kinds) of the shop set ``name`` (a key of ``SHOPS``) at ``seed``."""
    from oddseq.datasets import make_ecommerce, make_marketplace
    from oddseq.sequences import Sequences

    generator, difficulty = SHOPS[name]
    if generator == "ecommerce":
        bunch = make_ecommerce(n_users=users, difficulty=difficulty, random_state=seed)
        roles = dict(entity="user_id", event="behavior", time="timestamp")
    else:
        bunch = make_marketplace(n_users=users, difficulty=difficulty, random_state=seed)
        roles = dict(entity="user_id", event="event", time="timestamp")
    seqs = Sequences.from_events(bunch.events, **roles)
    return seqs, bunch.kinds.reindex(seqs.ids).to_numpy()


def shop_sets(users: int, seeds: list[int], marketplace_hard: bool = False):
    """(name, Sequences, kinds) of make_ecommerce (medium, hard) and make_marketplace
    (medium; with ``marketplace_hard`` hard too) at each seed (``shop_set``)."""
    names = list(SHOPS) if marketplace_hard else list(SHOPS)[:3]
    for seed in seeds:
        for name in names:
            seqs, kinds = shop_set(name, users, seed)
            yield f"{name.replace('_', ' ')} seed {seed}", seqs, kinds


BATCH_SCORES = HERE / "results" / "batch-scores" / "neural"
BATCH_SOURCES = ("hdfs_xu", "hdfs_deeplog", *SHOPS)


def batch_cell(source: str, users: int, seed: int):
    """(fit, held, bad, n_anomalous, n_normal) of one ``batch-scores`` cell: the HDFS
    split of ``quality`` (``hdfs_split``) with the full log's counts, or a shop set at
    ``users`` users split by ``normal_split`` with the whole generated log's counts."""
    if source.startswith("hdfs"):
        return (*hdfs_split(source, seed), *FULL_HDFS)
    seqs, kinds = shop_set(source, users, seed)
    normal, anomalous = np.flatnonzero(kinds == "normal"), np.flatnonzero(kinds != "normal")
    fit, held = normal_split(seqs, normal, seed)
    return fit, held, seqs.take(anomalous), anomalous.size, normal.size


def save_scores(path: Path, **arrays) -> None:
    """``np.savez`` to a temporary name beside ``path``, then renamed into place."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def batch_scores(args) -> list[dict]:
    """Score files for the batch-cut study: each of ``--models`` (lstm, transformer,
    autoencoder; the class defaults, ``random_state`` the seed) fitted normal-only
    (``fit(fit, normal=True)``: the normal-only rate 0.005, the support rule,
    ``n_folds="auto"``) on each of ``--sources`` at each of ``--seeds`` (``batch_cell``:
    80% of the normal sequences fitted, the other 20% and every anomalous one scored;
    shops at ``--users``). A rule that reads the whole scored batch against the
    model's null of normal scores is judged on these files without refitting.

    Writes ``--out``/<source>-<model>-seed<S>.npz as soon as each fit is done:
    ``reference`` (``validation_scores_``, the out-of-fold normal scores the cut rests
    on), ``reference_inside`` (which of them lie inside the normal sequences' support:
    where the support rule holds, the cut is taken among those alone at the rate left
    over, ``(rate - novelty_rate_) / (1 - novelty_rate_)``), ``normal`` and
    ``anomalous`` (``decision_function`` of the held-out normal and the anomalous
    sequences), ``normal_flag`` / ``anomalous_flag`` (``predict``: the cut and the
    support rule), ``normal_outside`` / ``anomalous_outside`` (the support rule's own
    flags, outside the normal sequences' support whatever the score; all False where
    the rule does not hold: a moved cut's flags are these or a score above it),
    ``threshold`` (``threshold_``), ``prevalence`` (the anomalous share
    of the whole log: HDFS's full log, a shop's generated log), ``rate`` (the
    false-alarm rate the cut was asked for), and ``meta`` (json: the cell, the
    command, the own cut's recall, false-alarm rate, F1 reweighted to the prevalence
    as ``quality`` does and the share flagged, the best cut's F1, the fit time)."""
    from oddseq.neural import LSTMDetector, SequenceAutoencoder, TransformerDetector

    classes = {
        "lstm": LSTMDetector,
        "transformer": TransformerDetector,
        "autoencoder": SequenceAutoencoder,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in args.seeds:
        for source in args.sources:
            fit, held, bad, n_anomalous, n_normal = batch_cell(source, args.users, seed)
            prevalence = n_anomalous / (n_anomalous + n_normal)

            def f1(recall, fpr, a=n_anomalous, n=n_normal):
                tp = recall * a
                return 2 * tp / (2 * tp + fpr * n + (a - tp)) if tp > 0 else 0.0

            for model in [m for m in args.models if m in classes]:
                det = classes[model](
                    random_state=seed, n_threads=args.threads, max_epochs=args.max_epochs
                )
                started, cpu = time.perf_counter(), time.process_time()
                det.fit(fit, normal=True)
                fit_s, fit_cpu_s = time.perf_counter() - started, time.process_time() - cpu
                b, h = det.decision_function(bad), det.decision_function(held)
                b_flag, h_flag = det.predict(bad).astype(bool), det.predict(held).astype(bool)
                recall, fpr = float(b_flag.mean()), float(h_flag.mean())
                # The best F1 any cut of the scores gives (an oracle, for context).
                grid = np.unique(np.r_[b, h])
                above_b = b.size - np.searchsorted(np.sort(b), grid, side="right")
                above_h = h.size - np.searchsorted(np.sort(h), grid, side="right")
                best = max(f1(r, f) for r, f in zip(above_b / b.size, above_h / h.size))
                rate = det._rate(True)
                if det.support_rule_:
                    inside = det._support_inside
                    b_out, h_out = det._outside_support(bad), det._outside_support(held)
                else:
                    inside = np.ones(det.validation_scores_.size, dtype=bool)
                    b_out, h_out = np.zeros(len(bad), bool), np.zeros(len(held), bool)
                # predict's flags: a score above the cut or outside the support.
                assert np.array_equal(b_flag, (b > det.threshold_) | b_out)
                assert np.array_equal(h_flag, (h > det.threshold_) | h_out)
                meta = dict(
                    source=source,
                    model=model,
                    seed=seed,
                    n_fitted=len(fit),
                    n_normal_held=len(held),
                    n_anomalous_scored=len(bad),
                    log_anomalous=int(n_anomalous),
                    log_normal=int(n_normal),
                    users=args.users if source in SHOPS else None,
                    command="python " + " ".join(sys.argv),
                    recall=recall,
                    false_positive_rate=fpr,
                    own_f1_reweighted=f1(recall, fpr),
                    flagged_share=(recall * n_anomalous + fpr * n_normal)
                    / (n_anomalous + n_normal),
                    true_share=prevalence,
                    best_cut_f1_reweighted=best,
                    support_rule=bool(det.support_rule_),
                    novelty_rate=det.novelty_rate_,
                    n_folds=int(det.n_folds_),
                    fit_s=fit_s,
                    fit_cpu_s=fit_cpu_s,
                    threads=args.threads,
                )
                path = out / f"{source}-{model}-seed{seed}.npz"
                save_scores(
                    path,
                    reference=np.asarray(det.validation_scores_, dtype=np.float64),
                    reference_inside=np.asarray(inside, dtype=bool),
                    normal=np.asarray(h, dtype=np.float64),
                    anomalous=np.asarray(b, dtype=np.float64),
                    normal_flag=h_flag,
                    anomalous_flag=b_flag,
                    normal_outside=np.asarray(h_out, dtype=bool),
                    anomalous_outside=np.asarray(b_out, dtype=bool),
                    threshold=np.float64(det.threshold_),
                    prevalence=np.float64(prevalence),
                    rate=np.float64(rate),
                    meta=np.array(json.dumps(meta)),
                )
                rows.append(meta)
                print(
                    f"{path.name:<40} recall {recall:.3f} fpr {fpr:.4f} F1w "
                    f"{meta['own_f1_reweighted']:.3f} (best {best:.3f}) flagged "
                    f"{meta['flagged_share']:.4f} / true {prevalence:.4f}  support "
                    f"{'yes' if det.support_rule_ else 'no'}  fit {fit_s:.0f} s "
                    f"({fit_cpu_s:.0f} CPU s)",
                    flush=True,
                )
    return rows


def shop(args, make=None) -> list[dict]:
    """Unsupervised fits on the shop generators: ROC-AUC and average precision over all
    anomalous users, ROC-AUC of each kind's users against the normal ones (order-
    dependent kinds such as account takeover are where a sequence model should add),
    and the recall / false-positive rate at the model's own cut; MarkovDetector
    (defaults) beside them."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from oddseq.detect import MarkovDetector

    make = make or (lambda name: make_model(name, args))
    rows = []
    for data, seqs, kinds in shop_sets(args.users, args.seeds):
        y = (kinds != "normal").astype(int)
        print(f"\n{data}: {len(seqs):,} users, {seqs.n_events:,} events", flush=True)
        for name in ["markov"] + list(args.models):
            det = MarkovDetector() if name == "markov" else make(name)
            started = time.perf_counter()
            det.fit(seqs)
            fit_s = time.perf_counter() - started
            scores = det.decision_scores_
            flagged = np.asarray(det.labels_, dtype=bool)
            row = {
                "data": data,
                "model": name,
                "roc_auc": roc_auc_score(y, scores),
                "ap": average_precision_score(y, scores),
                "recall": float(flagged[y == 1].mean()),
                "fp_rate": float(flagged[y == 0].mean()),
                "fit_s": fit_s,
            }
            for kind in sorted(set(kinds) - {"normal"}):
                keep = (kinds == kind) | (kinds == "normal")
                row[f"auc {kind}"] = roc_auc_score(kinds[keep] == kind, scores[keep])
            rows.append(row)
            per_kind = "  ".join(f"{k[4:]} {v:.3f}" for k, v in row.items() if k.startswith("auc "))
            print(
                f"  {name:<12} AUC {row['roc_auc']:.3f}  AP {row['ap']:.3f}  recall "
                f"{row['recall']:.2f}  FP {row['fp_rate']:.3f}  fit {fit_s:5.1f} s  "
                f"| {per_kind}",
                flush=True,
            )
    return rows


def synthetic(n: int, n_types: int = 30, mean_length: int = 30, seed: int = 0, sample_seed=None):
    """A sparse random Markov chain over ``n_types`` events (each event has 4 likely
    successors), geometric lengths with the given mean (at least 2). ``seed`` draws
    the chain and, unless ``sample_seed`` is given, the sequences."""
    from oddseq.sequences import Sequences

    rng = np.random.default_rng(seed)
    transition = np.full((n_types, n_types), 0.02 / n_types)
    for a in range(n_types):
        transition[a, rng.choice(n_types, 4, replace=False)] += rng.dirichlet(np.ones(4))
    if sample_seed is not None:
        rng = np.random.default_rng(sample_seed)
    transition /= transition.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(transition, axis=1)
    lengths = np.maximum(rng.geometric(1.0 / (mean_length - 1), n) + 1, 2)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    events = np.empty(offsets[-1], dtype=np.int64)
    current = rng.integers(0, n_types, n)
    alive = np.ones(n, dtype=bool)
    step = 0
    while alive.any():
        rows = np.flatnonzero(alive)
        events[offsets[rows] + step] = current[rows]
        u = rng.random(rows.size)
        current[rows] = (cumulative[current[rows]] < u[:, None]).sum(axis=1).clip(0, n_types - 1)
        step += 1
        alive = lengths > step
    return Sequences.from_arrays(offsets, events)


def speed(args) -> list[dict]:
    seqs = synthetic(args.n)
    fresh = synthetic(10_000, sample_seed=1)
    print(
        f"\nspeed: {len(seqs):,} sequences, {seqs.n_events:,} events, "
        f"mean length {seqs.lengths.mean():.1f}, {len(seqs.event_labels)} event types, "
        f"{args.threads} threads",
        flush=True,
    )
    rows = []
    for name in args.models:
        det = make_model(name, args)
        if args.n_folds is not None and name == "lstm":
            det.n_folds = args.n_folds
        started, cpu = time.perf_counter(), time.process_time()
        det.fit(seqs, normal=args.normal)
        fit_s, fit_cpu_s = time.perf_counter() - started, time.process_time() - cpu
        # Scoring with one and with two worker threads, alternated (the load of a shared
        # machine moves between runs): wall and CPU sequences per second.
        scoring = {}
        for _ in range(2):
            for threads in (1, 2):
                det.n_threads = threads
                started, cpu = time.perf_counter(), time.process_time()
                det.decision_function(seqs)
                wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
                scoring.setdefault(threads, []).append((len(seqs) / wall_s, len(seqs) / cpu_s))
        det.n_threads = args.threads
        # Bits per event (the end included) on fresh sequences of the same chain, every
        # event scored as decision_function scores it: comparable across training
        # objectives and held-out checks, unlike the history's validation loss.
        stats = det.statistics(fresh)
        steps = fresh.lengths + 1.0
        fresh_bits = float((stats["mean_surprisal"] * steps).sum() / steps.sum())
        rows.append(
            {
                "model": name,
                "sequences": len(seqs),
                "events": int(seqs.n_events),
                "fit_s": fit_s,
                "fit_cpu_s": fit_cpu_s,
                "normal": args.normal,
                "train_s": det.fit_time_,
                "refits_s": getattr(det, "cut_fit_time_", 0.0),
                "epochs": det.n_epochs_,
                "validation_bits": det.history_[-1].get("validation_loss"),
                "best_validation_bits": min(h["validation_loss"] for h in det.history_),
                # the best of the two-thread runs (the 2 cores)
                "scored_per_s": max(w for w, _ in scoring[2]),
                "scoring_runs": {
                    f"{t} threads": [{"per_s": w, "per_cpu_s": c} for w, c in runs]
                    for t, runs in scoring.items()
                },
                "fresh_bits": fresh_bits,
            }
        )
        r = rows[-1]
        print(
            f"{name:<12} fit {fit_s:7.1f} s ({fit_cpu_s:.1f} CPU s, {r['epochs']} epochs, "
            f"{fit_s / r['epochs']:.1f} s each; best validation "
            f"{r['best_validation_bits']:.3f} bits/event; fresh {fresh_bits:.3f})"
            + (f"; normal-only, of it refits {r['refits_s']:.1f} s" if args.normal else ""),
            flush=True,
        )
        for t, runs in scoring.items():
            print(
                f"{'':<12} scoring, {t} thread(s): "
                + ", ".join(f"{w:,.0f}/s ({c:,.0f} per CPU s)" for w, c in runs),
                flush=True,
            )
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", default=["quality", "speed"])
    parser.add_argument(
        "--models",
        nargs="+",
        default=["lstm", "transformer", "autoencoder"],
        choices=[
            "lstm",
            "transformer",
            "transformer-2layers",
            "transformer-next",
            "transformer-masked",
            "autoencoder",
        ],
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-epochs", type=int, default=50)
    parser.add_argument(
        "--normal", action="store_true", help="speed: fit(seqs, normal=True) (normal-only)"
    )
    parser.add_argument(
        "--n-folds", type=int, default=None, help="speed --normal: LSTMDetector's n_folds"
    )
    parser.add_argument("--users", type=int, default=5_000, help="shop: users per set")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[0, 1], help="shop, hdfs-seeds: seeds"
    )
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=list(RATES),
        help="normal-rates: false-alarm rates",
    )
    parser.add_argument(
        "--sources",
        nargs="+",
        default=list(BATCH_SOURCES),
        choices=BATCH_SOURCES,
        help="batch-scores: the cells",
    )
    parser.add_argument(
        "--out", default=str(BATCH_SCORES), help="batch-scores: the folder of score files"
    )
    args = parser.parse_args(argv)
    out = {"machine": machine(), "args": vars(args)}
    if "quality" in args.parts:
        out["quality"] = quality(args)
    if "cuts" in args.parts:
        out["cuts"] = cuts(args)
    if "hdfs-seeds" in args.parts:
        out["hdfs_seeds"] = hdfs_seeds(args)
    if "shop" in args.parts:
        out["shop"] = shop(args)
    if "shop-normal" in args.parts:
        out["shop_normal"] = shop_normal(args)
    if "normal-rates" in args.parts:
        out["normal_rates"] = normal_rates(args)
    if "pipeline-normal" in args.parts:
        out["pipeline_normal"] = pipeline_normal(args)
    if "batch-scores" in args.parts:
        out["batch_scores"] = batch_scores(args)
    if "speed" in args.parts:
        out["speed"] = speed(args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "neural.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
