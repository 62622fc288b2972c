"""The table's reasons write each median once, and the neighbour detectors' record of
the rows explain() chose never answers for another matrix or another fit (H11 s27)."""

import gc
import warnings

import numpy as np
import pytest

import oddseq
from oddseq import _reasons
from oddseq.datasets import make_ecommerce
from oddseq.detect import DBSCANDetector, KNNDetector, _neighbors
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


@pytest.fixture(scope="module")
def normal_only():
    """Normal-only "auto" (KNN of one neighbour) fitted on half of a shop, and the shop."""
    seqs = Sequences.from_events(make_ecommerce(n_users=400, random_state=7).events, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(random_state=0).fit(
            seqs.take(np.arange(0, len(seqs), 2)), normal=True
        )
    return pipe, seqs


def _table_parts(pipe, seqs):
    raw, X = pipe._matrix(seqs)
    explained = pipe.detector_.explain(
        X, top=_reasons.TABLE_FEATURES, feature_names=pipe.feature_names_
    )
    return raw, X, explained


def test_each_value_and_median_is_written_once(normal_only, monkeypatch):
    """feature_reasons writes the named values and their typical values once each, and
    the neighbours' medians once (before: the values again, and the medians twice, to
    tell which read apart), with the same reasons as when they are written again."""
    pipe, seqs = normal_only
    raw, X, explained = _table_parts(pipe, seqs)
    named = len(explained)
    at = _said_of(pipe, explained, raw, seqs)[0]
    assert 0 < at.size <= named
    written = []
    real = _reasons.feature_texts

    def counting(names, cols, values):
        written.append(len(cols))
        return real(names, cols, values)

    monkeypatch.setattr(_reasons, "feature_texts", counting)
    reasons = _reasons.feature_reasons(pipe, explained, raw, seqs.lengths)
    # the values, the detector's typical values, then each median of the neighbours
    assert written[0] == written[1] == named
    assert sum(written[2:]) < at.size + named // 4  # (medians, and like-length notes)
    # the medians' texts handed on give the words and sides found without them
    monkeypatch.setattr(_reasons, "feature_texts", real)
    rows, cols, actual, typical, _, agrees = _reasons.in_units(pipe, explained, raw, seqs.lengths)
    whose = _reasons.typical_words_of(pipe, explained)
    args = (pipe, cols, actual, typical, np.asarray(seqs.lengths)[rows])
    expected = real(pipe.feature_names_, cols, typical)
    tail = (expected, whose, agrees, rows, raw, _reasons._clusters_of(explained))
    given = _reasons._typical_words_left(*args, *tail, real(pipe.feature_names_, cols, actual))
    again = _reasons._typical_words_left(*args, *tail)
    for a, b in zip(given, again):
        assert np.array_equal(a, b)
    assert np.array_equal(reasons, _reasons.feature_reasons(pipe, explained, raw, seqs.lengths))


def _said_of(pipe, explained, raw, seqs):
    rows, cols, actual, typical, _, agrees = _reasons.in_units(pipe, explained, raw, seqs.lengths)
    whose = _reasons.typical_words_of(pipe, explained)
    lengths = np.asarray(seqs.lengths)[rows]
    clusters = _reasons._clusters_of(explained)
    return _reasons._said_medians(
        pipe, cols, actual, typical, whose, agrees, rows, raw, lengths, clusters
    )


def _searched(det, X):
    kept = dict(_neighbors._EXPLAINED)
    _neighbors._EXPLAINED.clear()
    try:
        return det._explaining_rows(X)
    finally:
        _neighbors._EXPLAINED.update(kept)


def _data(seed, n=300, d=4):
    return np.random.default_rng(seed).normal(size=(n, d))


@pytest.mark.parametrize("make", [lambda: KNNDetector(1), lambda: DBSCANDetector(min_samples=3)])
def test_a_new_matrix_at_a_freed_ones_id_is_searched(make):
    """A matrix freed and a new one of other rows at its address (its id): the record
    goes with the first the moment it is freed, so nothing can be read for the second
    (a new array at the freed one's id is not forced here: CPython rarely reuses it at
    once, and waiting for it cost 19 s of gc.collect calls); its rows are searched."""
    det = make().fit(_data(0))
    first = _data(1, 200)
    det.explain(first, top=2)
    key = (id(det), id(first))
    assert key in _neighbors._EXPLAINED
    del first  # freed at once (no cycle)
    assert key not in _neighbors._EXPLAINED
    assert not [e for e in _neighbors._EXPLAINED.values() if e[1]() is None]
    second = _data(2, 200)
    rows = np.arange(0, 200, 3)
    assert np.array_equal(det._explaining_rows(second[rows], rows), _searched(det, second[rows]))


@pytest.mark.parametrize("make", [lambda: KNNDetector(2), lambda: DBSCANDetector(min_samples=3)])
def test_a_detector_fitted_again_forgets_what_it_explained(make):
    """The rows a detector chose name its training rows: fitted on other rows, what it
    remembered of a matrix it explained (still alive) is not read."""
    det = make().fit(_data(0))
    X = _data(1, 100)
    det.explain(X, top=2)
    rows = np.arange(0, 100, 4)
    before = det._explaining_rows(X[rows], rows)
    det.fit(_data(5, 150) * 3)
    again = det._explaining_rows(X[rows], rows)
    assert np.array_equal(again, _searched(det, X[rows]))
    assert again.max() < 150 and not np.array_equal(again, before)


def test_a_freed_detectors_record_goes_before_its_matrix():
    """A detector freed while the matrix it explained lives keeps no record: the next
    explanation drops it (its rows were the memory of one matrix's neighbours)."""
    X = _data(1, 100)
    det = KNNDetector(1).fit(_data(0))
    det.explain(X, top=2)
    key = (id(det), id(X))
    assert key in _neighbors._EXPLAINED
    del det
    gc.collect()
    other = KNNDetector(1).fit(_data(3))
    other.explain(_data(4, 50), top=2)
    assert key not in _neighbors._EXPLAINED
    assert all(e[0]() is not None for e in _neighbors._EXPLAINED.values())


def test_the_table_reads_the_explained_rows_without_scaling_again(normal_only, monkeypatch):
    """The reasons of a table read the neighbours explain() chose for its rows through
    the table itself: the rows are not scaled again to find the matrix, and the medians
    are those of a fresh search."""
    pipe, seqs = normal_only
    raw, X, explained = _table_parts(pipe, seqs)
    chosen = _neighbors.explained_rows_of(pipe.detector_, explained)
    assert chosen is not None and np.array_equal(chosen, _searched(pipe.detector_, X))
    scaled = []
    real = type(pipe)._scaled

    def counting(self, *args):
        scaled.append(len(args[0]))
        return real(self, *args)

    monkeypatch.setattr(type(pipe), "_scaled", counting)
    reasons = _reasons.feature_reasons(pipe, explained, raw, seqs.lengths)
    assert scaled == []
    # an equal table not returned by explain(): scaled again, the same words
    again = _reasons.feature_reasons(pipe, explained.copy(), raw, seqs.lengths)
    assert scaled and np.array_equal(reasons, again)


def test_a_tables_record_goes_with_it_and_with_a_new_fit():
    det = KNNDetector(1).fit(_data(0))
    table = det.explain(_data(1, 50), top=2)
    assert _neighbors.explained_rows_of(det, table).shape == (50, 1)
    key = id(table)
    del table
    gc.collect()
    assert key not in _neighbors._FRAMES
    table = det.explain(_data(1, 50), top=2)
    det.fit(_data(2))
    assert _neighbors.explained_rows_of(det, table) is None
    assert id(table) not in _neighbors._FRAMES
