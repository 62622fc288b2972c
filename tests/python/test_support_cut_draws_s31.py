"""Normal-only fitting's support rule reads its cut from several fold assignments
(review s31 P2): on a system log's twinned normal entities, one assignment decided
whether the cut fell inside the dozen untwinned scores or above them all."""

import numpy as np

from oddseq.detect import KNNDetector
from oddseq.detect._threshold import (
    _support_cut_over_draws,
    content_order,
    folds_in_order,
    out_of_fold_scores,
)


def _twinned_log():
    """2,498 rows: 20 workflows repeated 124 times, 14 untwinned variants, two rows
    one past the range and a pair of twins past it (outside where both share a fold)."""
    rng = np.random.default_rng(7)
    patterns = rng.integers(1, 9, size=(20, 4)).astype(float)
    X = np.repeat(patterns, 124, axis=0)
    variants = patterns[rng.integers(20, size=14)] + rng.uniform(0.3, 2.0, size=(14, 4))
    pair = np.full((2, 4), 5.0) + np.eye(4)[0] * 6
    return np.vstack([X, variants, [[0, 5, 5, 5]], [[5, 0, 5, 5]], pair])


def _first_draw(X, random_state):
    """The fit's own draw: out-of-fold scores and the rows outside the other folds'
    range, as AnomalyPipeline._support_rule reads them."""
    scores = out_of_fold_scores(KNNDetector, X, 5, random_state)
    fold = folds_in_order(content_order(X), 5, random_state)
    outside = np.zeros(len(X), dtype=bool)
    for k in range(5):
        held, rest = X[fold == k], X[fold != k]
        outside[fold == k] = ((held < rest.min(axis=0)) | (held > rest.max(axis=0))).any(axis=1)
    return scores, outside


def test_support_cut_does_not_hinge_on_one_fold_assignment():
    X = _twinned_log()
    one, five = {}, {}
    for rs in range(20):
        first = _first_draw(X, rs)
        one[rs] = _support_cut_over_draws(KNNDetector, X, 5, rs, 0.005, first, 1)[0]
        five[rs] = _support_cut_over_draws(KNNDetector, X, 5, rs, 0.005, first, 5)[0]
    # One assignment (the rule before) falls inside the untwinned scores (below 3) or
    # above them all (above 4) by the draw: inside at 2 of 20 random_states (at 3 of 4
    # pinned ones before the draws' keys were rounded). The median of five lands above
    # at 19 of 20: a fit's cut rests on the data, not on one assignment.
    assert all(cut < 3.0 or cut > 4.0 for cut in (*one.values(), *five.values()))
    assert sum(cut < 3.0 for cut in one.values()) >= 2
    above = [cut for cut in five.values() if cut > 4.0]
    assert len(above) >= 18
    assert max(above) - min(above) < 0.2  # and there, one cut
