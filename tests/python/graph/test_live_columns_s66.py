"""The activity test counts as a block's choice only the windows the search still held;
a grown group's density is the grown block's.

A block's windows are chosen among those where its members meet on its objects, and a
window an earlier block took is no choice of a later one (``windows_met``). The columns
it reads were the array the search was given, not the copy the search zeroes block by
block, so every window counted as a choice (review RV s65 M3): more tests than the
search made."""

import sys
from pathlib import Path

import numpy as np

from oddseq.graph import GroupDetector, _detector
from oddseq.graph._detector import _block_density

sys.path.insert(0, str(Path(__file__).parent))
from test_groups_rounds_s65 import _graph, _rounds_log, _sale_log  # noqa: E402


class _PeelSpy:
    """oddseq._core, with the weights of each call of peel_densest kept (the array, and
    how many of its columns were taken then)."""

    def __init__(self, core):
        self._core = core
        self.weights, self.taken = [], []

    def peel_densest(self, offsets, cols, col_offsets, row_of, weight, alive, threads):
        self.weights.append(weight)
        self.taken.append(int((weight == 0).sum()))
        return self._core.peel_densest(offsets, cols, col_offsets, row_of, weight, alive, threads)

    def __getattr__(self, name):
        return getattr(self._core, name)


def test_the_activity_test_reads_the_columns_the_search_still_holds(monkeypatch):
    spy = _PeelSpy(_detector._core)
    monkeypatch.setattr(_detector, "_core", spy)
    seen = []
    visit_stats = GroupDetector._visit_stats

    def reading(self, rows, objects, parts):
        live = self._live_columns[0]
        # (the array the search peels now, and how many of its columns earlier blocks
        # took, against how many the activity test sees taken)
        seen.append(
            (live is spy.weights[-1], int((spy.weights[-1] == 0).sum()), int((live == 0).sum()))
        )
        return visit_stats(self, rows, objects, parts)

    monkeypatch.setattr(GroupDetector, "_visit_stats", reading)
    # a 4-item sale's crowds, blocks of one object each, come before the ring
    log, ring = _sale_log(0)
    det = GroupDetector().fit(log, entity="user", object="item", time="time", time_unit="s")
    assert seen, "the activity test ran"
    assert all(same for same, _, _ in seen)
    assert all(taken == read for _, taken, read in seen)
    # and by the time the ring is judged, earlier blocks have taken columns
    assert max(taken for _, taken, _ in seen) > spy.taken[0]
    groups = det.candidates_[det.candidates_.is_group]
    assert set().union(*groups.members) == ring


def test_a_blocks_density_is_its_edges_weight_over_its_rows_and_columns():
    # rows' columns: 0 -> {0, 1}, 1 -> {0, 1, 2}, 2 -> {2}; the block of rows 0, 1 on
    # columns 0, 1: 4 edges of weights 1, 1, 3, 3 over 2 rows and 2 columns
    graph = _graph([[0, 1], [0, 1, 2], [2]], 3)
    weight = np.array([1.0, 3.0, 5.0])
    assert _block_density(graph, np.array([0, 1]), np.array([0, 1]), weight) == 8.0 / 4
    # a column of the block none of its rows act on adds to its size only
    assert _block_density(graph, np.array([0]), np.array([0, 2]), weight) == 1.0 / 3


def test_a_grown_group_records_the_grown_blocks_density(monkeypatch):
    # (review RV s65 L5: it recorded the peeled part's, the first item's rounds alone)
    measured = []
    block_density = _detector._block_density

    def measuring(graph, rows, cols, weight):
        measured.append(block_density(graph, rows, cols, weight))
        return measured[-1]

    monkeypatch.setattr(_detector, "_block_density", measuring)
    log, ring = _rounds_log(2)
    det = GroupDetector().fit(log, entity="user", object="item", time="time", time_unit="s")
    groups = det.candidates_[det.candidates_.is_group]
    assert len(groups) == 1 and set(groups.members.iloc[0]) == ring
    assert measured and groups.density.iloc[0] == measured[-1]
