from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfTransformer

from oddseq.encode import CountEncoder
from oddseq.sequences import Sequences


def ngrams(seq, n_min, n_max):
    return Counter(
        ">".join(map(str, seq[i : i + n]))
        for n in range(n_min, n_max + 1)
        for i in range(len(seq) - n + 1)
    )


@given(
    st.lists(
        st.lists(st.sampled_from(["pv", "cart", "buy", "fav"]), min_size=1, max_size=15),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([(1, 1), (1, 2), (2, 3)]),
)
def test_counts_match_reference(raw, ngram_range):
    seqs = Sequences.from_lists(raw)
    enc = CountEncoder(ngram_range=ngram_range, unseen="ignore").fit(seqs)
    got = enc.transform(seqs)
    names = [n[len("count[") : -1] for n in enc.get_feature_names_out()]
    vocabulary = set().union(*(ngrams(s, *ngram_range) for s in raw))
    assert set(names) == vocabulary
    for i, s in enumerate(raw):
        expected = ngrams(s, *ngram_range)
        assert {n: got[i, j] for j, n in enumerate(names) if got[i, j]} == {
            k: float(v) for k, v in expected.items()
        }


def test_tfidf_matches_sklearn_and_norms():
    rng = np.random.default_rng(0)
    raw = [list(rng.choice(["a", "b", "c", "d", "e"], rng.integers(1, 20))) for _ in range(50)]
    seqs = Sequences.from_lists(raw)
    counts = CountEncoder(unseen="ignore").fit_transform(seqs)
    ours = CountEncoder(idf="smooth", norm="l2", unseen="ignore").fit_transform(seqs)
    theirs = TfidfTransformer(smooth_idf=True, norm="l2").fit_transform(counts).toarray()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    plain = CountEncoder(idf="plain", unseen="ignore").fit(seqs)
    df = (counts > 0).sum(axis=0)
    np.testing.assert_allclose(plain.idf_, np.log(len(raw) / df))
    freq = CountEncoder(tf="frequency", unseen="ignore").fit_transform(seqs)
    np.testing.assert_allclose(freq.sum(axis=1), 1.0, rtol=1e-6)
    sub = CountEncoder(tf="sublinear", norm="l1", unseen="ignore").fit_transform(seqs)
    np.testing.assert_allclose(np.abs(sub).sum(axis=1), 1.0, rtol=1e-6)


def test_items_unseen_bucket_hashing_and_sparse():
    train = Sequences.from_arrays([0, 3, 5], ["pv"] * 5, items=[1, 2, 2, 3, 1])
    enc = CountEncoder(unit="item").set_output(transform="pandas").fit(train)
    new = Sequences.from_arrays([0, 3], ["pv"] * 3, items=[2, 99, 98])
    row = enc.transform(new).iloc[0]
    assert row["count[item:2]"] == 1 and row["count[<unseen>]"] == 2
    hashed = CountEncoder(unit="item", ngram_range=(1, 2), n_features=8, sparse=True).fit(train)
    matrix = hashed.transform(train)
    assert sp.issparse(matrix) and matrix.shape == (2, 8) and matrix.dtype == np.float32
    # Signed hashing: each n-gram lands on one column with sign +-1.
    assert np.abs(matrix.toarray()).sum() <= 5 + 3


def test_bad_input():
    seqs = Sequences.from_lists([["a", "b"]])
    with pytest.raises(ValueError, match="power of two"):
        CountEncoder(n_features=100).fit(seqs)
    with pytest.raises(ValueError, match="ngram_range"):
        CountEncoder(ngram_range=(2, 1)).fit(seqs)
    with pytest.raises(ValueError, match="tf must be"):
        CountEncoder(tf="log").fit(seqs)
    with pytest.raises(ValueError, match="needs sequences with items"):
        CountEncoder(unit="item").fit(seqs)


def test_large_vocabularies_take_the_hashed_key_path():
    # 400 items with bigrams exceed the dense slot table: keys are hashed and sorted.
    rng = np.random.default_rng(5)
    raw = [list(rng.integers(0, 400, rng.integers(1, 30))) for _ in range(60)]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in raw])])
    items = np.concatenate(raw)
    seqs = Sequences.from_arrays(offsets, ["pv"] * len(items), items=items)
    enc = CountEncoder(unit="item", ngram_range=(1, 2), unseen="ignore", sparse=False).fit(seqs)
    got = enc.transform(seqs)
    names = [n[len("count[") : -1].replace("item:", "") for n in enc.get_feature_names_out()]
    for i, s in enumerate(raw):
        expected = ngrams(s, 1, 2)
        assert {n: got[i, j] for j, n in enumerate(names) if got[i, j]} == {
            k: float(v) for k, v in expected.items()
        }


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_category_counts_match_reference(ngram_range):
    rng = np.random.default_rng(9)
    categories = {item: f"c{item % 7}" for item in range(40)}  # items 40+ have none
    raw = [list(rng.integers(0, 45, rng.integers(1, 25))) for _ in range(30)]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in raw])])
    seqs = Sequences.from_arrays(offsets, ["pv"] * offsets[-1], items=np.concatenate(raw))
    enc = CountEncoder(
        unit="category", item_categories=categories, ngram_range=ngram_range, unseen="ignore"
    ).fit(seqs)
    got = enc.transform(seqs)
    names = [n[len("count[") : -1].replace("category:", "") for n in enc.get_feature_names_out()]
    for i, s in enumerate(raw):
        expected = ngrams([categories.get(item, "<missing>") for item in s], *ngram_range)
        assert {n: got[i, j] for j, n in enumerate(names) if got[i, j]} == {
            k: float(v) for k, v in expected.items()
        }


def test_category_unit_needs_a_mapping_with_one_category_per_item():
    seqs = Sequences.from_arrays([0, 2], ["pv", "pv"], items=[1, 2])
    with pytest.raises(ValueError, match="item_categories"):
        CountEncoder(unit="category").fit(seqs)
    import pandas as pd

    twice = pd.Series(["a", "b", "c"], index=[1, 1, 2])
    with pytest.raises(ValueError, match="more than one category"):
        CountEncoder(unit="category", item_categories=twice).fit(seqs)
    with pytest.raises(ValueError, match="needs sequences with items"):
        CountEncoder(unit="category", item_categories={1: "a"}).fit(Sequences.from_lists([["pv"]]))


def test_item_hashes_do_not_depend_on_missing_items():
    # Numeric item ids hash by value; a missing item is an element of its own that
    # leaves every other item's hashed column where it was.
    clean = Sequences.from_arrays([0, 2], ["pv"] * 2, items=[1.0, 2.0])
    gappy = Sequences.from_arrays([0, 3], ["pv"] * 3, items=[1.0, 2.0, np.nan])
    enc = CountEncoder(unit="item", n_features=64, sparse=False).fit(clean)
    a, b = enc.transform(clean)[0], enc.transform(gappy)[0]
    assert np.abs(b - a).sum() == 1  # only the missing item's column moved


def test_ngram_bindings_take_a_view_and_params():
    """ngram_keys and ngram_counts take (SequencesView, NgramParams, n_threads) instead
    of nine positional arguments; the params are checked once, when made."""
    from oddseq import _core
    from oddseq.encode._counts import _element_codes

    seqs = Sequences.from_lists([["pv", "pv", "cart", "buy"], ["pv", "fav"], ["buy"]])
    codes, hashes, _ = _element_codes(seqs, "event")
    view = _core.SequencesView(offsets=seqs.offsets, events=codes)
    keys = _core.ngram_keys(view, _core.NgramParams(element_hash=hashes, n_min=1, n_max=2), 1)
    vocabulary = np.unique(keys.keys)
    params = _core.NgramParams(
        element_hash=hashes, n_min=1, n_max=2, vocabulary=vocabulary, count_unseen=True
    )
    assert (params.n_min, params.n_max, params.count_unseen, params.hash_width) == (
        1,
        2,
        True,
        0,
    )
    counts = _core.ngram_counts(view, params, 2)
    assert counts.indptr.tolist()[-1] == counts.indices.size
    # pv, pv>pv, pv, pv>cart, cart, cart>buy, buy: six distinct n-grams, seven counts
    assert counts.data[: counts.indptr[1]].sum() == 7
    enc = CountEncoder(ngram_range=(1, 2), unseen="bucket").fit(seqs)
    assert enc.transform(seqs).sum() == counts.data.sum()
    hashed = _core.ngram_counts(
        view, _core.NgramParams(element_hash=hashes, n_min=1, n_max=2, hash_width=8), 1
    )
    assert hashed.indices.max() < 8
    for bad, match in [
        ({"n_min": 0}, "n_min"),
        ({"n_min": 3}, "n_min"),
        ({"hash_width": 6}, "power of two"),
        ({"hash_width": -8}, "power of two"),
        ({"vocabulary": vocabulary[::-1].copy()}, "sorted"),
    ]:
        with pytest.raises(ValueError, match=match):
            _core.NgramParams(**{"element_hash": hashes, "n_min": 1, "n_max": 2, **bad})
    with pytest.raises(IndexError, match="outside"):
        _core.ngram_counts(view, _core.NgramParams(element_hash=hashes[:1], n_min=1, n_max=1), 1)
