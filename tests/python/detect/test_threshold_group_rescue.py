"""The rescue of a collapsed unsupervised cut where a compact group of 4% reaches down
into the 80th-95th percentiles the tail model reads (#14; /work/notes/H1-s31-results.md).

The law: 19,200 normal scores from a generalized Pareto tail (shape 0.25; the game log's
normal players' tail is about as heavy) and 800 anomalies, 70% of them a compact group
(normal, mean 12, SD 2.5) and 30% spread over 2-12, down into the band. As on the held-out
game log (``heldout_verdicts.py --source game``: 48 of 48 fits of seeds 280-287), the first
tail cut collapses in every draw, and what the pipeline's cut flags was decided by two
yes/no tests at the group's edge: the move down's spacing test, then whether the rest of
a trimmed tail holds its refit. Where both failed, the refit was the least trim the whole
log does not refute, about the rate's share: 8-15% of the group caught, where the other
draws catch 60-85% (the game: 97-165 flagged or 437-993, 9 of 48 fits). A power of the
scores of 0.99 instead of 1 flipped draws 3 and 8. Now a gap that narrowly misses the test
moves the cut part of the way to it (``_graded_edge``)."""

import numpy as np

from oddseq.detect._threshold import _auto_cut, tail_cut

_RATE = 0.01


def _group_in_the_band(seed, n=20_000, share=0.04):
    """(scores, is_anomaly): a generalized Pareto bulk (shape 0.25) and a group of
    ``share`` whose lower 30% spread over 2-12, into the bulk's 80th-95th percentiles."""
    rng = np.random.default_rng(seed)
    group = int(share * n)
    low = int(0.3 * group)
    bulk = (rng.uniform(size=n - group) ** -0.25 - 1) / 0.25
    anomalies = np.r_[rng.normal(12.0, 2.5, size=group - low), rng.uniform(2.0, 12.0, size=low)]
    return np.r_[bulk, anomalies], np.r_[np.zeros(n - group, bool), np.ones(group, bool)]


def _caught(scores, anomalous):
    """(share of the group the pipeline's cut catches, share of the scores it flags)."""
    cut = _auto_cut(scores, _RATE, refit=True)[0]
    return (scores[anomalous] > cut).mean(), (scores > cut).mean()


def test_the_first_tail_cut_collapses_in_every_draw():
    """The premise: the group bends the band, the first cut flags under a tenth of the
    rate's share (about 190 normal scores lie over a right cut), and the rescue decides."""
    for seed in range(12):
        scores, _ = _group_in_the_band(seed)
        assert (scores > tail_cut(scores, _RATE)).sum() < 0.1 * _RATE * scores.size


def test_the_rescued_cut_catches_the_group_in_every_draw():
    """Every draw of the law: at least half the group caught (before: 8-15% in draws 8, 9
    and 11), at most the top 5% and the rate's share flagged."""
    for seed in range(12):
        caught, flagged = _caught(*_group_in_the_band(seed))
        assert caught >= 0.5 and flagged <= 0.06, seed


def test_a_slight_change_of_the_scores_shape_does_not_swing_the_rescue():
    """The scores to a power of 0.98-1.01 (the same order, a slightly other shape, as a
    refit of the detector gives): the share of the group caught stays within 0.15 (before:
    0.10 or 0.81 in draw 3, 0.70 or 0.10 in draw 8)."""
    for seed in (3, 8):
        scores, anomalous = _group_in_the_band(seed)
        caught = [
            _caught(np.sign(scores) * np.abs(scores) ** power, anomalous)[0]
            for power in (0.98, 0.99, 1.0, 1.01)
        ]
        assert min(caught) >= 0.5 and max(caught) - min(caught) <= 0.15, (seed, caught)


def test_the_rescue_is_the_same_whatever_the_unit_origin_or_order():
    scores, _ = _group_in_the_band(9)
    order = np.random.default_rng(0).permutation(scores.size)
    flagged = (scores > _auto_cut(scores, _RATE, refit=True)[0]).sum()
    moved = 3.0 * scores[order] - 40.0
    assert (moved > _auto_cut(moved, _RATE, refit=True)[0]).sum() == flagged
