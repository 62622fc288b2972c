"""benchmarks/hdfs_families.py: the helpers that name what the HDFS ranking misses (the
weighted best cut, the blocks' rare signatures, the share of pairs ordered right)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import hdfs_families as H  # noqa: E402


def test_best_cut_weighs_each_block():
    y = np.array([1, 1, 0, 1, 0, 0])
    scores = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    # Unweighted, cutting under the third anomaly costs one false alarm: F1 6/7.
    cut, f1 = H.best_cut(y, scores, np.ones(6))
    assert cut == 3.0
    assert f1 == pytest.approx(6 / 7)
    # A false alarm worth 10 anomalies (the full log's prevalence): stop above it.
    w = np.array([1.0, 1.0, 10.0, 1.0, 10.0, 10.0])
    cut, f1 = H.best_cut(y, scores, w)
    assert cut == 5.0
    assert f1 == pytest.approx(4 / 5)


def test_best_cut_never_splits_tied_scores():
    y = np.array([1, 0, 1])
    scores = np.array([2.0, 1.0, 1.0])
    cut, f1 = H.best_cut(y, scores, np.ones(3))
    # Above the tie: 1 of 2 found (F1 2/3); through it: both and a false alarm (4/5).
    assert cut == 1.0
    assert f1 == pytest.approx(4 / 5)


def test_signatures_name_rare_and_new_types():
    lists = [["5", "22", "5"], ["5", "20"], ["5", "25", "6", "7"]]
    sig = H.signatures(lists, rare_types={"6", "20", "25"}, known={"5", "6", "20", "22", "25"})
    assert sig.tolist() == ["-", "20", "6+25+new 7"]


def test_pair_order_counts_ties_half():
    scores = np.array([3.0, 1.0, 2.0, 2.0, 0.5])
    above = np.array([False, False, True, False, True])  # normal blocks: 2.0, 0.5
    below = np.array([True, True, False, True, False])  # anomalous: 3.0, 1.0, 2.0
    # Pairs (a, n): 3>2, 3>0.5, 1<2, 1>0.5, 2=2 (half), 2>0.5 -> 4.5 of 6.
    assert H.pair_order(scores, above, below) == pytest.approx(4.5 / 6)
    assert np.isnan(H.pair_order(scores, above, np.zeros(5, bool)))
