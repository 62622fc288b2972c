"""Review s32 (H8) LOW-A, LOW-B and notes, fixed in session 33."""

import numpy as np
import pytest

from oddseq.detect import tail_cut
from oddseq.detect._threshold import _auto_cut

# Positive affine maps of the scores: a unit and an origin.
_MAPS = ((1.0, 0.0), (7.0, 3.0), (0.001, 0.0), (3.0, -40.0), (1e-3, 1e3))


def _rounded_exponential(seed: int, n: int = 1_000):
    """Discrete scores with tied plateaus in the tail (miss counts, counts features)."""
    rng = np.random.default_rng(seed)
    return np.round(rng.exponential(1.0, n) * rng.choice([3, 10]))


@pytest.mark.parametrize("rate", [0.05, 0.1])
def test_the_tail_cut_flags_a_tied_plateau_whatever_the_unit_or_origin(rate):
    # At 0.05 (0.1) the tail model's quantile is its own 95th (90th) percentile, a score
    # of a tied plateau: computed in another unit it landed a few ulps on either side
    # and the plateau was flagged or not by the unit (review s32 LOW-A: 11 of 120 draws).
    for seed in range(677, 677 + 12):
        x = _rounded_exponential(seed)
        moved = [x * unit + origin for unit, origin in _MAPS]
        tail = {int((s > tail_cut(s, rate)).sum()) for s in moved}
        auto = {int((s > _auto_cut(s, rate, refit=True)[0]).sum()) for s in moved}
        assert len(tail) == 1 and len(auto) == 1, (seed, rate, tail, auto)
