"""deep-loglizer's LSTM (DeepLog) beside oddseq's LSTMDetector on the same HDFS split.

Usage (from the repository root; deep-loglizer is not installed or vendored: point
``--deeploglizer`` at a checkout of https://github.com/logpai/deep-loglizer, whose
``deeploglizer`` package this script imports at run time):

    python benchmarks/deeploglizer_peer.py --deeploglizer /path/to/deep-loglizer
        [--source hdfs_xu hdfs_deeplog] [--threads 1] [--epochs 100]

The split is benchmarks/neural.py's: 80% of the normal blocks to fit (seed 0), the
other 20% and every anomalous block to test. deep-loglizer's LSTM runs as its
``benchmarks/wo_semantics/lstm_unsup.sh`` runs it on HDFS (``demo/lstm_demo.py``'s
defaults: sliding windows of 10, stride 1, next-log labels, a 2-layer bidirectional
LSTM of 128, embeddings of 32, batch 1,024, learning rate 0.01, top-k up to 10,
patience 3). Its own protocol is kept and stated: after every epoch it evaluates on the
*test* set, keeps the epoch and the top-k (1..10) with the best test F1 and stops after
3 epochs without a better one, so its F1 is chosen on the test labels (an oracle cut;
oddseq's own cut never sees them). Recall and precision are turned into the
false-positive rate and the F1 reweighted to the full log's prevalence, as
benchmarks/neural.py reports. oddseq's LSTMDetector (defaults, ``normal=True``) runs on
the same split, threads and machine, in the same process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from neural import DATA, RESULTS, hdfs_lists, reweighted  # noqa: E402


def split(source: str):
    normal = hdfs_lists(DATA / source / "hdfs_train")
    abnormal = hdfs_lists(DATA / source / "hdfs_test_abnormal")
    order = np.random.default_rng(0).permutation(len(normal))
    cut_n = int(0.8 * len(normal))
    return [normal[i] for i in order[:cut_n]], [normal[i] for i in order[cut_n:]], abnormal


def oddseq_lstm(fit, held, abnormal, threads: int) -> dict:
    from oddseq.neural import LSTMDetector
    from oddseq.sequences import Sequences

    det = LSTMDetector(random_state=0, n_threads=threads)
    started = time.perf_counter()
    det.fit(Sequences.from_lists(fit), normal=True)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    fpr = float(det.predict(Sequences.from_lists(held)).mean())
    recall = float(det.predict(Sequences.from_lists(abnormal)).mean())
    score_s = time.perf_counter() - started
    precision, f1 = reweighted(recall, fpr)
    return {
        "model": "oddseq LSTMDetector (own cut)",
        "recall": recall,
        "fp_rate": fpr,
        "precision_rew": precision,
        "f1_rew": f1,
        "fit_s": fit_s,
        "epochs": det.n_epochs_,
        "score_s": score_s,
    }


def deeploglizer_lstm(fit, held, abnormal, threads: int, epochs: int) -> dict:
    import torch
    from deeploglizer.common.dataloader import log_dataset
    from deeploglizer.common.preprocess import FeatureExtractor
    from deeploglizer.common.utils import seed_everything
    from deeploglizer.models import LSTM
    from torch.utils.data import DataLoader

    torch.set_num_threads(threads)
    params = dict(  # demo/lstm_demo.py's defaults, as lstm_unsup.sh runs them on HDFS
        model_name="LSTM",
        use_attention=False,
        hidden_size=128,
        num_layers=2,
        num_directions=2,
        embedding_dim=32,
        window_size=10,
        stride=1,
        feature_type="sequentials",
        label_type="next_log",
        eval_type="session",
        use_tfidf=False,
        max_token_len=50,
        min_token_count=1,
        batch_size=1024,
        learning_rate=0.01,
        topk=10,
        patience=3,
        gpu=-1,
    )
    seed_everything(42)
    train = {i: {"templates": list(s), "label": 0} for i, s in enumerate(fit)}
    test = {i: {"templates": list(s), "label": 0} for i, s in enumerate(held)}
    test.update({len(held) + i: {"templates": list(s), "label": 1} for i, s in enumerate(abnormal)})
    started = time.perf_counter()
    ext = FeatureExtractor(**params)
    train = ext.fit_transform(train)
    test = ext.transform(test, datatype="test")
    train_loader = DataLoader(
        log_dataset(train, feature_type="sequentials"),
        batch_size=params["batch_size"],
        shuffle=True,
    )
    test_loader = DataLoader(
        log_dataset(test, feature_type="sequentials"), batch_size=4096, shuffle=False
    )
    prep_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as save:
        model = LSTM(meta_data=ext.meta_data, model_save_path=save, **params)
        evaluations = []  # per epoch: seconds its test-set evaluation took
        evaluate = model.evaluate

        def timed_evaluate(*a, **k):
            begun = time.perf_counter()
            out = evaluate(*a, **k)
            evaluations.append(time.perf_counter() - begun)
            return out

        model.evaluate = timed_evaluate
        started = time.perf_counter()
        best = model.fit(
            train_loader,
            test_loader=test_loader,
            epoches=epochs,
            learning_rate=params["learning_rate"],
        )
        fit_s = time.perf_counter() - started
    recall, precision = float(best["rc"]), float(best["pc"])
    tp = recall * len(abnormal)
    fp = tp / precision - tp if precision > 0 else 0.0
    fpr = fp / len(held)
    precision_rew, f1_rew = reweighted(recall, fpr)
    topk = next(k for k in best if k.startswith("top"))
    return {
        "model": "deep-loglizer LSTM (test-chosen epoch and top-k)",
        "recall": recall,
        "fp_rate": fpr,
        "precision_rew": precision_rew,
        "f1_rew": f1_rew,
        "f1_on_test_split": float(best["f1"]),
        "top_k": int(topk[3:].split("-")[0]),
        "prepare_s": prep_s,
        "fit_s": fit_s,
        "epochs": len(evaluations),
        "best_epoch": int(best["converge"]),
        "train_s": fit_s - sum(evaluations),
        "evaluate_s": sum(evaluations),
        "train_windows": len(train_loader.dataset),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deeploglizer", required=True, type=Path)
    parser.add_argument("--source", nargs="+", default=["hdfs_xu", "hdfs_deeplog"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.deeploglizer.resolve()))
    rows = []
    for source in args.source:
        fit, held, abnormal = split(source)
        print(f"\n{source}: fit {len(fit):,} normal, test {len(held):,} normal + {len(abnormal):,}")
        for run in (
            oddseq_lstm(fit, held, abnormal, args.threads),
            deeploglizer_lstm(fit, held, abnormal, args.threads, args.epochs),
        ):
            row = {"data": source, **run}
            rows.append(row)
            print(
                f"  {row['model']:<50} recall {row['recall']:.3f}  FP rate "
                f"{row['fp_rate']:.4f}  F1 (rew.) {row['f1_rew']:.3f}  fit "
                f"{row['fit_s']:.1f} s ({row['epochs']} epochs)",
                flush=True,
            )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "deeploglizer_peer.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
