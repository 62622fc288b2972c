"""The table's reasons write each median once (H11 s27), and read the rows a neighbour
detector's explain() chose, handed to them with the table (H4 s28: no record kept)."""

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
    return det._explaining_rows(X)


def _data(seed, n=300, d=4):
    return np.random.default_rng(seed).normal(size=(n, d))


@pytest.mark.parametrize("make", [lambda: KNNDetector(1), lambda: DBSCANDetector(min_samples=3)])
def test_explain_keeps_nothing_of_what_it_explained(make):
    """The rows explain() chose come back to its caller with the table
    (explained_with_rows): nothing of the matrix or the table is kept beside the
    detector (the weak-reference records of s27, L-5), and the detector is unchanged."""
    import weakref

    det = make().fit(_data(0))
    _ = det.feature_scale_  # (computed on first use)
    state = dict(vars(det))
    X = _data(1, 200)
    table, chosen = _neighbors.explained_with_rows(det, X, 2)
    assert np.array_equal(chosen, _searched(det, X))
    refs = weakref.ref(X), weakref.ref(table)
    del X, table
    gc.collect()
    assert refs[0]() is None and refs[1]() is None
    assert vars(det).keys() == state.keys()
    assert all(vars(det)[key] is value for key, value in state.items())


@pytest.mark.parametrize("make", [lambda: KNNDetector(2), lambda: DBSCANDetector(min_samples=3)])
def test_a_detector_fitted_again_explains_against_its_new_rows(make):
    det = make().fit(_data(0))
    X = _data(1, 100)
    _, before = _neighbors.explained_with_rows(det, X, 2)
    det.fit(_data(5, 150) * 3)
    _, again = _neighbors.explained_with_rows(det, X, 2)
    assert np.array_equal(again, _searched(det, X))
    assert again.max() < 150 and not np.array_equal(again, before)


def test_the_table_reads_the_explained_rows_without_scaling_again(normal_only, monkeypatch):
    """The reasons of a table read the neighbours explain() chose for its rows, handed
    to them with the table: the rows are not scaled again, and the medians are those of
    a fresh search."""
    pipe, seqs = normal_only
    raw, X = pipe._matrix(seqs)
    explained, chosen = _neighbors.explained_with_rows(
        pipe.detector_, X, _reasons.TABLE_FEATURES, pipe.feature_names_
    )
    assert np.array_equal(chosen, _searched(pipe.detector_, X))
    scaled = []
    real = type(pipe)._scaled

    def counting(self, *args):
        scaled.append(len(args[0]))
        return real(self, *args)

    monkeypatch.setattr(type(pipe), "_scaled", counting)
    reasons = _reasons.feature_reasons(pipe, explained, raw, seqs.lengths, chosen)
    assert scaled == []
    # without the rows: scaled again and searched, the same words
    again = _reasons.feature_reasons(pipe, explained, raw, seqs.lengths)
    assert scaled and np.array_equal(reasons, again)
