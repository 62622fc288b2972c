"""The search for groups (GroupDetector._peel): which blocks it meets, when it stops.

A web log's pollers (an app's API, feeds: many clients each fetching one URL on a period)
fill one-object blocks denser than any ring, since a block of one column is as dense as
the column's burst; they are no group, and they should not end the search before the
groups behind them (they do: the xfail below)."""

import numpy as np
import pandas as pd
import pytest

from oddseq.graph import GroupDetector

T0 = 1_795_046_400
HOUR, DAY = 3600, 86_400


def web_log(seed, n_ring=30, n_items=12, n_pollers=300, n_urls=3):
    """3,000 background users (20 random views each over a week), pollers of ``n_urls``
    URLs (each fetches one of them every hour all week, at its own minute), and a ring of
    ``n_ring`` keys fetching the same ``n_items`` items within one hour (ids 100_000 on)."""
    rng = np.random.default_rng(seed)
    background = pd.DataFrame(
        {
            "client": np.repeat(np.arange(3000), 20),
            "path": rng.integers(0, 8000, 60_000),
            "t": T0 + rng.integers(0, 7 * DAY, 60_000),
        }
    )
    ticks = np.arange(0, 7 * DAY, HOUR)
    pollers = pd.DataFrame(
        {
            "client": np.repeat(200_000 + np.arange(n_pollers), ticks.size),
            "path": np.repeat(99_999 - rng.integers(0, n_urls, n_pollers), ticks.size),
            "t": T0
            + np.tile(ticks, n_pollers)
            + np.repeat(rng.integers(0, HOUR, n_pollers), ticks.size),
        }
    )
    ring = pd.DataFrame(
        {
            "client": np.repeat(100_000 + np.arange(n_ring), n_items),
            "path": np.tile(20_000 + np.arange(n_items), n_ring),
            "t": T0 + DAY + 14 * HOUR + rng.integers(0, 3000, n_ring * n_items),
        }
    )
    return pd.concat([background, pollers, ring], ignore_index=True)


def in_groups(det, low, high):
    ids = det.entity_ids_[det.labels_ == 1]
    return int(((ids >= low) & (ids < high)).sum())


@pytest.mark.xfail(
    strict=True,
    reason="each URL's pollers are a rejected block and three in a row use up patience=3, "
    "so the search stops before the ring; not counting one object's crowd (and taking all "
    "of its windows out) finds it, but on the web log it also reaches the drop crowd "
    "(a release's page, cart add and checkout) and the crawlers' robots.txt + sitemap, "
    "which the null model takes for groups: measured, not adopted (benchmarks/RESULTS.md, "
    "sixteenth session, H9)",
)
@pytest.mark.parametrize(("seed", "n_ring", "n_items"), [(0, 25, 20), (1, 30, 40), (2, 30, 60)])
def test_pollers_of_a_few_urls_do_not_hide_a_ring(seed, n_ring, n_items):
    log = web_log(seed, n_ring=n_ring, n_items=n_items)
    det = GroupDetector().fit(log, entity="client", object="path", time="t")
    assert in_groups(det, 100_000, 200_000) == n_ring
    assert in_groups(det, 200_000, 300_000) == 0
    assert in_groups(det, 0, 100_000) == 0
    # Each URL's crowd is met once: all of its windows left the search with it.
    crowds = det.candidates_[det.candidates_["n_objects"].eq(1)]
    pollers = crowds[crowds["objects"].map(lambda o: o[0] >= 99_997)]
    assert len(pollers) == 3
    assert sorted(o[0] for o in pollers["objects"]) == [99_997, 99_998, 99_999]


def test_pollers_alone_are_no_group():
    det = GroupDetector().fit(
        web_log(2, n_ring=0, n_items=0), entity="client", object="path", time="t"
    )
    assert det.labels_.sum() == 0
    assert len(det.groups_) == 0
    # The pollers' blocks were met and rejected (one object each), not filtered away.
    assert det.candidates_["n_objects"].eq(1).any()
