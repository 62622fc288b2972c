"""The count term's searches: the count index (NearestNeighbors' manhattan path for
counts) gives the count term exactly what the kd-tree gave, and ``distinct_rows`` the
rows ``np.unique`` gives."""

import numpy as np
import pytest

from oddseq import _core
from oddseq.cluster import _neighbors
from oddseq.neural._counts import CountTable
from oddseq.neural._models import _CountReference
from oddseq.utils._rows import distinct_rows


def counts_of(seed, n=1500, d=12):
    rng = np.random.default_rng(seed)
    lengths = rng.geometric(0.08, n)
    weights = rng.dirichlet(np.ones(d) * 0.5)
    counts = np.stack([rng.multinomial(m, weights) for m in lengths]).astype(np.float64)
    counts[:5, 0] = 300.0  # beyond a byte: the kd-tree serves these
    return counts


def test_distinct_rows_are_numpy_unique_rows():
    counts = counts_of(0)
    counts[7] = -0.0 * counts[7]  # -0.0 and 0.0 are one value
    vectors, inverse = distinct_rows(counts)
    expected = np.unique(counts + 0.0, axis=0)
    assert vectors.shape == expected.shape
    assert np.array_equal(vectors[inverse], counts)
    order = np.lexsort(vectors.T[::-1])
    assert np.array_equal(vectors[order], expected)


@pytest.mark.parametrize("threads", [1, 2])
def test_count_term_is_the_kdtree_s(monkeypatch, threads):
    fit, new = counts_of(1), counts_of(2)
    fit_bytes = fit[5:]  # all within a byte: the count index holds them

    def run():
        table = CountTable(fit_bytes, threads)
        rows = np.arange(0, fit_bytes.shape[0], 2)
        part, own = table.part(rows)
        reference = _CountReference(fit)
        reference.n_threads = threads
        return (
            table.distances,
            table.neighbours,
            own,
            table.distance_to(rows, np.arange(1, fit_bytes.shape[0], 2)),
            reference.own_bits(),
            reference.bits(new),
            _CountReference.of(part, np.sort(own), threads).bits(new),
        )

    ours = run()
    monkeypatch.setattr(
        _neighbors,
        "_CountSearch",
        lambda points, leaf_size, n_threads: _core.KdTree(
            points, "manhattan", leaf_size, n_threads
        ),
    )
    before = run()
    for a, b in zip(ours, before):
        assert np.array_equal(a, b)
