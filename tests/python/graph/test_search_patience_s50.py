"""A larger patience reaches the ring that pollers of a few URLs hide at the default
(test_search.py's xfail): the knob the one call now takes (groups=GroupDetector(...))."""

import pytest
from test_search import in_groups, web_log

from oddseq.graph import GroupDetector


@pytest.mark.parametrize(("seed", "n_ring", "n_items"), [(0, 25, 20), (2, 30, 60)])
def test_a_larger_patience_reaches_the_ring_behind_the_pollers(seed, n_ring, n_items):
    log = web_log(seed, n_ring=n_ring, n_items=n_items)
    roles = dict(entity="client", object="path", time="t")
    default = GroupDetector().fit(log, **roles)
    # The default stops on the pollers' three blocks, and says so.
    assert default.search_ends_ == {"temporal": {"end": "patience", "blocks": 3}}
    assert in_groups(default, 100_000, 200_000) == 0
    det = GroupDetector(patience=10).fit(log, **roles)
    assert det.search_ends_["temporal"]["end"] == "patience"
    assert det.search_ends_["temporal"]["blocks"] > 3
    # the whole ring, and nobody else
    assert in_groups(det, 100_000, 200_000) == n_ring
    assert in_groups(det, 200_000, 300_000) == 0
    assert in_groups(det, 0, 100_000) == 0
