"""The table's reasons at a million entities (H6 s28): each distinct value written once
and as it is written alone, the typical values' words written only where a reason says
them, and a table of the fitted log not searched for event types it did not fit."""

import warnings

import numpy as np
import pytest

import oddseq
from oddseq import _reasons
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp", item="item_id", value="price")


@pytest.fixture(scope="module")
def fitted():
    """ "auto" fitted on a small shop, its sequences and explanation as the table reads them."""
    seqs = Sequences.from_events(make_ecommerce(n_users=300, random_state=369).events, **ROLES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = oddseq.AnomalyPipeline(random_state=0).fit(seqs)
    raw, X = pipe._matrix(seqs)
    explained = pipe.detector_.explain(
        X, top=_reasons.TABLE_FEATURES, feature_names=pipe.feature_names_
    )
    return pipe, seqs, raw, explained


def test_each_value_is_written_as_it_is_alone():
    """feature_texts writes each distinct (feature, value) once, by hashing the values'
    bits: each as format_value writes it alone. A duration of -0.0 beside 0.0 is "0 s"
    beside "0 s" (an analyst reading "-0 s" sees a bug: review s28 L-2), NaN "nan"
    whatever its sign bit, and the same value of two features each its own way."""
    names = ["duration_s", "count[buy]", "item_entropy_bits", "change_value_log2", "x"]
    rng = np.random.default_rng(369)
    special = [0.0, -0.0, np.nan, -np.nan, np.inf, 1e-12, 59.5, 60.0, 3600.0, 2.5, 7.0]
    drawn = rng.normal(size=200).round(2)
    values = np.r_[special * 3, drawn]
    # the special values (zeros of both signs) of one duration feature, then each feature
    cols = np.r_[np.zeros(len(special) * 3, np.int64), np.arange(len(drawn)) % len(names)]
    texts = _reasons.feature_texts(names, cols, values)
    assert len(texts) == len(values) >= _reasons._FEW_TEXTS
    alone = [_reasons.format_value(names[c], v) for c, v in zip(cols.tolist(), values.tolist())]
    assert texts.tolist() == alone
    assert texts[0] == "0 s" and texts[1] == "0 s"


@pytest.mark.parametrize(
    ("log2_ratio", "text"),
    [
        (2.0, "x4"),
        (-1.0, "x0.5"),
        (10.5, "x1,400"),  # (a ratio over nothing before, in full: not "x1.4e+03")
        (6.64, "x100"),
        (1024.0, "x1.8e+308"),
        (5000.0, "x1.4e+1505"),
        (-1100.0, "x0"),
        (np.inf, "inf"),
    ],
)
def test_a_log2_ratio_past_the_largest_float_is_said_not_an_overflow(log2_ratio, text):
    # a column of entity_features named *_log2 can hold anything: 2.0 ** 1024 raised
    # OverflowError in the reasons (H6 s28)
    assert _reasons.format_value("change_value_log2", log2_ratio) == text
    texts = _reasons.feature_texts(
        ["change_value_log2"], np.zeros(40, np.int64), np.full(40, log2_ratio)
    )
    assert set(texts.tolist()) == {text}


def test_words_at_some_positions_are_those_of_all(fitted):
    """The typical values' words written at some positions (those a reason says) are
    the words written for every position, there; the notes too, or none asked."""
    pipe, seqs, raw, explained = fitted
    rows, cols, actual, typical, _, agrees = _reasons.in_units(pipe, explained, raw, seqs.lengths)
    whose = _reasons.typical_words_of(pipe, explained)
    lengths = np.asarray(seqs.lengths)[rows]
    expected = _reasons.feature_texts(pipe.feature_names_, cols, typical)
    words = _reasons._typical_parts(
        pipe, cols, actual, typical, lengths, expected, whose, agrees, rows, raw,
        _reasons._clusters_of(explained),
    )  # fmt: skip
    assert words.like_at.size  # some said against entities of like length
    every, notes = words.at(pipe)
    left = _reasons._typical_words_left(
        pipe, cols, actual, typical, lengths, expected, whose, agrees, rows, raw,
        _reasons._clusters_of(explained),
    )  # fmt: skip
    assert np.array_equal(every, left[0]) and np.array_equal(notes, left[1])
    assert np.array_equal(words.left, left[2])
    some = np.sort(np.random.default_rng(370).choice(len(cols), len(cols) // 3, replace=False))
    some = np.union1d(some, words.like_at[::2])
    at, at_notes = words.at(pipe, some)
    assert np.array_equal(at, every[some]) and np.array_equal(at_notes, notes[some])
    assert words.at(pipe, some, notes=False)[1] is None
    # "alone" where the words are "most entities have none" and nothing else
    assert np.array_equal(words.alone(), np.isin(every, _reasons.SAID_ALONE))


def test_the_fitted_log_is_not_searched_for_new_types(fitted):
    """Where every event type of the scored log was fitted (the table of the fitted
    log), no reason can name a new type: the reasons are not read for the pooled
    column's note (a million of them were, one by one)."""
    pipe, seqs, raw, explained = fitted

    class Unread:
        def __str__(self):
            raise AssertionError("a reason was read")

    reasons = np.array([Unread() for _ in range(len(seqs))], dtype=object)
    assert _reasons._NOTHING_POOLED in _reasons.feature_notes(pipe)
    assert _reasons.name_unseen_types(pipe, reasons, seqs) is reasons


def test_few_events_noted_as_before(fitted):
    """The reasons of entities with fewer than five events end with how many they rest
    on; a row without a reason (NaN) reads "nan", as numpy's str() wrote it."""
    reasons = np.array(["a", "b", np.nan, "d", "e", "f"], dtype=object)
    lengths = np.array([1, 2, 3, 4, 5, 400])
    out = _reasons.with_evidence(reasons, lengths)
    assert out.tolist() == [
        "a (rests on 1 event)",
        "b (rests on 2 events)",
        "nan (rests on 3 events)",
        "d (rests on 4 events)",
        "e",
        "f",
    ]
    assert reasons[0] == "a"  # not changed in place


@pytest.mark.parametrize("seed", [369, 370, 371])
def test_rows_sorted_as_one_lexsort(seed):
    """The features ranked within their rows, only the rows out of order sorted, are in
    the order of one lexsort of every feature: ties kept in their order, NaN last, a
    feature put last (``last``), rows out of order (a full sort)."""
    rng = np.random.default_rng(seed)
    n_rows, top = 500, 4
    rows = np.repeat(np.arange(n_rows), top)
    keys = [rng.integers(0, 3, rows.size).astype(np.float64) for _ in range(3)]
    keys[1][rng.random(rows.size) < 0.05] = np.nan
    keys[2] = -np.sort(-keys[2].reshape(n_rows, top), axis=1).ravel()  # most in order
    keys.append(rng.random(rows.size) < 0.1)  # a "last" key
    expect = np.lexsort((*keys, rows))
    assert np.array_equal(_reasons._sorted_in_rows(keys, rows), expect)
    assert not np.array_equal(expect, np.arange(rows.size))  # some rows were sorted
    shuffled = rng.permutation(rows)
    assert np.array_equal(_reasons._sorted_in_rows(keys, shuffled), np.lexsort((*keys, shuffled)))
    in_order = [np.zeros(rows.size), np.tile(np.arange(top), n_rows).astype(float)]
    assert np.array_equal(_reasons._sorted_in_rows(in_order, rows), np.arange(rows.size))
