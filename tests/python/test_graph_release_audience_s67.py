"""A release night's first listeners pace on the album as its later listeners do: a crowd,
no group (``graph._crowd.paced_as_audience``; TR s67 H1).

A music service's listeners shuffle and skip on an ordinary evening (gaps about as
irregular as a memoryless pace's) and play a new album through at the tracks' length
(far more regular). Read against their own everyday pace (``_teams.paced_as_people``),
the release night's first fans "left their owners' pace for a script's", and 107-121 of
them were one lockstep group on 3 of 5 of a trial's logs ("chance 1e-21"), above the
fraud. Every later listener of the album plays it through at that pace too: the
objects' rhythm, not a script's. Members whose objects' other audience shuffles there,
or has no everyday of its own, or is too small to say, are read as before.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from oddseq.graph import _crowd, _teams

sys.path.insert(0, str(Path(__file__).parent))
from test_graph_everyday_pace_s46 import DAY, _Read  # noqa: E402

ALBUM = 12


def _evenings(rng, days, skip=(3,)):
    # an ordinary evening each day at 18:00 but ``skip``: 20 tracks shuffled and skipped
    out = []
    for day in range(days):
        if day not in skip:
            out.append(day * DAY + 18 * 3600 + np.cumsum(rng.exponential(120.0, 20) + 5))
    return np.concatenate(out)


def _through(rng, start, lengths):
    # the album played through, each track its own length
    return start + np.r_[0.0, np.cumsum(lengths[:-1] + rng.uniform(0, 3, lengths.size - 1))]


def _loop(rng, start, n=40):
    # a script's loop of tracks at 31-40 s a play
    return start + np.r_[0.0, np.cumsum(rng.uniform(31, 40, n - 1))]


def _log(seed=0, n_members=40, n_audience=60, audience="through", audience_lives=True):
    """Members who play the album through on day 3 at 18:00 (the block); the album's
    later listeners on days 4-6 at 20:00, who play it ``audience`` ("through", or
    "shuffled"), with evenings of their own (``audience_lives``) or none; "loop": the
    members and the audience alike a script's loop at 31-40 s a play (a ring's rotations
    on accounts with owners' evenings). Returns the fit's reading, the block's rows and
    places, and its objects' acts."""
    rng = np.random.default_rng(seed)
    lengths = rng.uniform(150, 330, ALBUM)
    entities, plays = [], []
    for i in range(n_members):
        start = 3 * DAY + 18 * 3600 + rng.uniform(0, 300)
        album = _loop(rng, start) if audience == "loop" else _through(rng, start, lengths)
        entities.append((f"m{i}", np.r_[_evenings(rng, 7), album]))
        plays.append((f"m{i}", album))
    for i in range(n_audience):
        start = (4 + i % 3) * DAY + 20 * 3600 + rng.uniform(0, 600)
        if audience == "through":
            album = _through(rng, start, lengths)
        elif audience == "loop":
            album = _loop(rng, start)
        else:
            album = start + np.cumsum(rng.exponential(120.0, ALBUM) + 5)
        own = _evenings(rng, 7, skip=(4, 5, 6)) if audience_lives else np.empty(0)
        entities.append((f"a{i}", np.r_[own, album]))
        plays.append((f"a{i}", album))
    read = _Read(entities)
    read.min_members = 3
    names = list(read._events.ids)
    rows = np.array([names.index(f"m{i}") for i in range(n_members)], dtype=np.int64)
    places = 2 * np.array([3 * 24 + 18, 3 * 24 + 19], dtype=np.int64)
    t = np.concatenate([(np.asarray(p) * 1e9).astype(np.int64) for _, p in plays])
    row = np.concatenate([np.full(len(p), names.index(n)) for n, p in plays])
    member = np.isin(row, rows)
    acts = (t, member, member, np.zeros(t.size, np.int64), row, np.zeros(1, np.int64))
    return read, rows, places, acts


def test_first_listeners_pace_as_the_albums_later_listeners():
    read, rows, places, acts = _log()
    median_in, median_out, *_ = _teams.everyday_pace(read, rows, places)
    # more regular on the album than on their own evenings: not people by that reading
    assert median_in < _teams._EVERYDAY * median_out
    assert not _teams.paced_as_people(read, rows, places)
    audience_in, audience_out, n_read, n_audience = _crowd._audience_pace(read, acts)
    assert n_read == n_audience == 60 and audience_in == pytest.approx(median_in, rel=0.5)
    assert _crowd.paced_as_audience(read, rows, places, acts)


def test_an_audience_that_shuffles_the_objects_says_nothing_for_them():
    read, rows, places, acts = _log(audience="shuffled")
    assert not _crowd.paced_as_audience(read, rows, places, acts)


def test_an_audience_without_lives_of_its_own_says_nothing_for_them():
    # (a ring's own mates that the grid left out of the block: no everyday to compare)
    read, rows, places, acts = _log(audience_lives=False)
    assert not _crowd.paced_as_audience(read, rows, places, acts)


def test_too_small_an_audience_says_nothing_for_them():
    # (fewer than _ARRIVING of the block: the members would be most of the reading)
    read, rows, places, acts = _log(n_audience=15)
    assert not _crowd.paced_as_audience(read, rows, places, acts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_rings_rotations_at_a_scripts_cadence_are_no_audience(seed):
    # (review RV s67 H2: the ring's other accounts, with owners' evenings of their own,
    # on other days: they pace on its tracks as its members do, at one cadence)
    read, rows, places, acts = _log(seed, audience="loop")
    median_in, median_out, *_ = _teams.everyday_pace(read, rows, places)
    audience_in, audience_out, *_ = _crowd._audience_pace(read, acts)
    assert median_in < _crowd._RHYTHM_FLOOR and audience_in < _crowd._RHYTHM_FLOOR
    assert median_out > 0.6 and audience_out > 0.6  # (lives of their own)
    assert not _crowd.paced_as_audience(read, rows, places, acts)
