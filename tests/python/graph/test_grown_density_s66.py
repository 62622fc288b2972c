"""A grown group records the grown block's density, not its peeled part's (review RV
s65 L5: a ring's rounds over its few items, grown from the first item's rounds)."""

import sys
from pathlib import Path

import numpy as np

from oddseq.graph import GroupDetector, _detector
from oddseq.graph._detector import _block_density

sys.path.insert(0, str(Path(__file__).parent))
from test_groups_rounds_s65 import _graph, _rounds_log  # noqa: E402


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
    # (a block of one object read against everyone who acted on it: the first item's
    # rounds are no group as peeled, and grow; against its returning audience they are a
    # group as peeled, TR s68 H1)
    monkeypatch.setattr(_detector, "_RETURNING_AUDIENCE", False)
    log, ring = _rounds_log(2)
    det = GroupDetector().fit(log, entity="user", object="item", time="time", time_unit="s")
    groups = det.candidates_[det.candidates_.is_group]
    assert len(groups) == 1 and set(groups.members.iloc[0]) == ring
    assert measured and groups.density.iloc[0] == measured[-1]
