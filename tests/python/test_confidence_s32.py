"""Session 32 (H5): the pipeline's cut composed in one place (review s31 H8 LOW-2, second
half), and log10_excess_sf where every entity is bounded by k (review s31 H8 LOW-5)."""

import numpy as np
import pytest

from oddseq.graph._null import log10_excess_sf


def test_one_object_a_block_never_shows_an_excess():
    """With k = 1 (a block of one object) each entity acts on it at most once, so its
    excess (h - 1)^+ is 0 and no number of entities, infinitely many included, shows
    one: -inf (impossible), where infinitely many entities that can act on k >= 2
    objects show any excess (0.0, certain; review s31 LOW-5: an infinite count with k
    raised the C++ kernel's internal errors at e627d8e)."""
    inf = np.inf
    assert log10_excess_sf(3, [0.1], counts=[inf], k=1) == -inf
    assert log10_excess_sf(1, [0.5], counts=[10.0], k=1) == -inf
    assert log10_excess_sf(1, [inf], k=1) == -inf
    assert log10_excess_sf(0, [0.5], counts=[inf], k=1) == 0.0  # (no excess: certain)
    for excess, lam, k in ((3, 0.1, 5), (2500, 3.0, 5), (3, 3.0, 5), (2500, 0.1, 5), (1, 0.1, 2)):
        assert log10_excess_sf(excess, [lam], counts=[inf], k=k) == 0.0
    assert log10_excess_sf(3, [0.0, 0.1], counts=[inf, 1.0], k=5) < 0.0  # (rate 0: none)
    # the bound k itself is checked before any shortcut
    with pytest.raises(ValueError, match="k must be"):
        log10_excess_sf(3, [0.1], counts=[inf], k=0)
