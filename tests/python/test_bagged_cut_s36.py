"""The unsupervised cut bagged over bootstrap draws (detect._threshold.bagged_cut): the
rule's yes/no steps (a collapsed first cut repaired or not, a gap clear or not) made a
graded count, so that scores which barely differ are not flagged 38 or 140."""

from types import SimpleNamespace

import numpy as np
import pytest

from oddseq.detect import KNNDetector
from oddseq.detect._base import pipeline_cut
from oddseq.detect._threshold import bagged_cut


def _pipe():
    """What pipeline_cut reads of an unsupervised AnomalyPipeline with the tail rule."""
    return SimpleNamespace(
        contamination="auto", normal_=False, threshold="tail", detector_=KNNDetector()
    )


def _group_above_a_skewed_bulk(seed, n=3_000, group=90):
    """3% of entities in a compact group above a skewed bulk, near the knife edge where
    the first tail cut collapses on some draws of the same law and not on others."""
    rng = np.random.default_rng(seed)
    return np.r_[rng.gamma(0.4, 3.0, size=n - group), 9 + rng.uniform(0, 8, size=group)]


def test_draws_of_one_law_are_flagged_alike():
    """Twelve logs drawn from one law: the rule alone flagged 38 to 140 of the 90 in the
    group; bagged, the counts spread less than half as much and lie nearer the group."""
    plain, bagged = [], []
    for seed in range(12):
        scores = _group_above_a_skewed_bulk(seed)
        plain.append(int((scores > pipeline_cut(_pipe(), scores, 0.01, bagged=False).cut).sum()))
        bagged.append(int((scores > pipeline_cut(_pipe(), scores, 0.01).cut).sum()))
    plain, bagged = np.array(plain), np.array(bagged)
    assert np.std(bagged) < 0.5 * np.std(plain)
    assert np.mean(np.abs(bagged - 90)) < 0.6 * np.mean(np.abs(plain - 90))


def test_the_record_and_the_cut_agree():
    scores = _group_above_a_skewed_bulk(8)
    got = pipeline_cut(_pipe(), scores, 0.01)
    plain = pipeline_cut(_pipe(), scores, 0.01, bagged=False)
    bag = got.bagged
    assert bag["plain_threshold"] == plain.cut
    assert (got.tail, got.moved) == (plain.tail, plain.moved)
    assert bag["plain_n_flagged"] == int((scores > plain.cut).sum())
    assert got.cut == bag["threshold"] and bag["n_flagged"] == int((scores > got.cut).sum())
    assert bag["draws"] == 30
    low, high = bag["spread_flagged"]
    assert low <= bag["mean_flagged"] <= high
    # the count a cut between distinct scores can flag nearest the draws' mean
    assert abs(bag["n_flagged"] - bag["mean_flagged"]) <= 0.5 + 1e-9


def test_on_one_population_the_bag_and_the_rule_agree_within_the_draws_spread():
    """Nothing apart: the rule's count and the bag's lie among the draws' counts, and both
    near the rate's share (40 of 4,000)."""
    scores = np.random.default_rng(0).exponential(size=4_000)
    plain = pipeline_cut(_pipe(), scores, 0.01, bagged=False).cut
    bag = pipeline_cut(_pipe(), scores, 0.01).bagged
    low, high = bag["spread_flagged"]
    assert bag["plain_threshold"] == plain
    assert low <= bag["plain_n_flagged"] <= high and low <= bag["n_flagged"] <= high
    assert 20 <= bag["n_flagged"] <= 60
    # a rule that flags none of any draw leaves its cut where it was
    top = float(scores.max())
    none = bagged_cut(scores, np.max, top, n_draws=5)
    assert none["threshold"] == top and none["n_flagged"] == 0 == none["mean_flagged"]


def test_same_cut_whatever_the_rows_order_scale_or_shift():
    scores = _group_above_a_skewed_bulk(3)
    flags = scores > pipeline_cut(_pipe(), scores, 0.01).cut
    order = np.random.default_rng(1).permutation(scores.size)
    again = scores[order] > pipeline_cut(_pipe(), scores[order], 0.01).cut
    assert np.array_equal(again, flags[order])
    for moved in (scores * 1e3, scores - 50.0):
        assert np.array_equal(moved > pipeline_cut(_pipe(), moved, 0.01).cut, flags)
    # deterministic: no random_state reaches the draws
    assert pipeline_cut(_pipe(), scores, 0.01) == pipeline_cut(_pipe(), scores, 0.01)


def test_ties_and_equal_scores():
    """Counts a cut can flag lie between distinct scores: a plateau is flagged whole or
    not at all; scores that cannot be told apart are not drawn."""
    rng = np.random.default_rng(2)
    scores = np.r_[rng.exponential(size=2_000), np.full(60, 7.5)]
    bag = pipeline_cut(_pipe(), scores, 0.01).bagged
    above = int((scores > 7.5).sum())
    assert bag["n_flagged"] < above or bag["n_flagged"] >= above + 60
    assert bagged_cut(np.full(50, 3.0), lambda d: 3.0, 3.0) is None
    assert bagged_cut(np.array([1.0]), lambda d: 1.0, 1.0) is None
    with pytest.raises(ValueError, match="n_draws"):
        bagged_cut(scores, lambda d: 1.0, 1.0, n_draws=0)
