"""A script has no think time on a clock of whole seconds too (graph/_teams.py ``pace``,
``population_gap``; review RV s63 M2).

Many exports write times to the second (web servers' logs, most CSVs). There a script's
burst of acts within one second has gaps of 0, which the think-time rule did not read:
it read the minutes between bursts, and a farm of bots read as a person's pace. On such
a clock the median gaps now count the gaps of 0, the block's and the log's alike, so a
log whose people also write several events in one second reads as before. The burst bots
and guilds of ``test_graph_think_time_s63`` are fitted on both clocks there (its
``fitted`` fixture).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from oddseq.graph import _teams

sys.path.insert(0, str(Path(__file__).parent))
from test_graph_think_time_s63 import H, _Fit  # noqa: E402


def test_the_gaps_of_0_count_where_the_clock_is_whole_seconds():
    s = 10**9
    # a bot: bursts of 4 acts in one second, a burst every 60 s; people 30 s and 50 s
    burst = np.repeat(np.arange(0, 600, 60), 4) * s
    people = [0, 30 * s, 60 * s, 0, 50 * s, 100 * s, 0, 40 * s, 80 * s]
    fit = _Fit([0, burst.size, burst.size + 3, burst.size + 6, burst.size + 9], [*burst, *people])
    fit._bins = (0, 1, H * s, H * s)  # (its events in one window: pace reads them)
    assert _teams.whole_seconds(fit)
    # the log's everyday gap: the median entity's median, the bot's 0 among them
    assert _teams.population_gap(fit) == pytest.approx(35 * s)
    # the bot's acts in the block's one window (place 0: the first hour)
    _, _, _, think = _teams.pace(fit, np.array([0]), np.array([0]))
    assert think == 0 and not _teams.thinks(fit, think)


def test_a_clock_finer_than_seconds_reads_gaps_above_0_as_before():
    s = 10**9
    burst = np.repeat(np.arange(0, 600, 60), 4) * s + np.tile([0, 1, 2, 3], 10) * (s // 10)
    people = [0, 30 * s, 60 * s, 0, 50 * s, 100 * s, 0, 40 * s, 80 * s]
    fit = _Fit([0, burst.size, burst.size + 3, burst.size + 6, burst.size + 9], [*burst, *people])
    fit._bins = (0, 1, H * s, H * s)
    assert not _teams.whole_seconds(fit)
    _, _, _, think = _teams.pace(fit, np.array([0]), np.array([0]))
    assert think == pytest.approx(s / 10) and not _teams.thinks(fit, think)
    # the same bot with its acts of one second at one time, gaps of 0 left out: the
    # minutes between its bursts
    fit._events.times[: burst.size] -= np.tile([0, 1, 2, 3], 10) * (s // 10)
    fit._events.times[0] += 1  # (a clock finer than seconds)
    fit._whole_seconds = None
    _, _, _, think = _teams.pace(fit, np.array([0]), np.array([0]))
    assert think > 50 * s
