import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oddseq.encode import DecayEncoder, MinHashEncoder
from oddseq.sequences import Sequences


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 10**6)), min_size=1, max_size=20),
        min_size=1,
        max_size=10,
    ),
    st.floats(1.0, 1e6),
)
def test_decay_matches_reference(raw, half_life):
    sequences = [sorted(s, key=lambda e: e[1]) for s in raw]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sequences])]).astype(np.int64)
    flat = [e for s in sequences for e in s]
    seqs = Sequences.from_arrays(
        offsets, np.array([e[0] for e in flat], dtype=object), times=[e[1] for e in flat]
    )
    enc = DecayEncoder(half_life=half_life).fit(seqs)
    got = enc.transform(seqs)
    reference = max(e[1] for e in flat)
    labels = list(enc.event_labels_)
    for i, s in enumerate(sequences):
        weights = {label: 0.0 for label in labels}
        for event, t in s:
            weights[event] += 0.5 ** ((reference - t) / half_life)
        expected = [weights[label] for label in labels] + [sum(weights.values())]
        np.testing.assert_allclose(got[i], expected, rtol=1e-5, atol=1e-6)


def test_decay_reference_choices_and_bad_input():
    seqs = Sequences.from_arrays([0, 2], ["pv", "pv"], times=[0, 3600])
    fixed = DecayEncoder(half_life=3600, reference=7200).fit(seqs)
    assert fixed.transform(seqs)[0].tolist() == pytest.approx([0.25 + 0.5, 0.75])
    stamp = DecayEncoder(half_life="1h", reference=pd.Timestamp(7200, unit="s")).fit(seqs)
    assert stamp.transform(seqs)[0].tolist() == pytest.approx([0.75, 0.75])
    later = Sequences.from_arrays([0, 1], ["pv"], times=[10_000])
    assert DecayEncoder(reference="latest").fit(seqs).transform(later)[0, 0] == 1.0
    with pytest.raises(ValueError, match="half_life"):
        DecayEncoder(half_life=0).fit(seqs)
    with pytest.raises(ValueError, match="reference"):
        DecayEncoder(reference="yesterday").fit(seqs)
    with pytest.raises(ValueError, match="needs event times"):
        DecayEncoder().fit(Sequences.from_lists([[1]]))


def jaccard(a, b):
    return len(a & b) / len(a | b)


def test_minhash_estimates_jaccard_and_finds_near_duplicates():
    rng = np.random.default_rng(0)
    base = set(rng.choice(10_000, 60, replace=False).tolist())
    sets = [base, set(list(base)[:54]) | {20_001, 20_002}, set(range(30_000, 30_060))]
    sets += [set(rng.choice(10_000, 40, replace=False).tolist()) for _ in range(40)]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])])
    items = np.concatenate([sorted(s) for s in sets])
    seqs = Sequences.from_arrays(offsets, ["pv"] * len(items), items=items)
    enc = MinHashEncoder(n_hashes=256, random_state=1).fit(seqs)
    sig = enc.transform(seqs)
    estimate = (sig[0] == sig[1]).mean()
    assert estimate == pytest.approx(jaccard(sets[0], sets[1]), abs=0.08)
    assert (sig[0] == sig[2]).mean() < 0.05
    pairs = enc.similar_pairs(seqs, threshold=0.7)
    assert pairs[["first", "second"]].values.tolist() == [[0, 1]]
    # Signatures hash labels, so another Sequences with other codes compares.
    again = Sequences.from_arrays(
        [0, len(sets[0])], ["pv"] * len(sets[0]), items=sorted(sets[0], reverse=True)
    )
    assert np.array_equal(enc.transform(again)[0], sig[0])


def test_minhash_event_shingles_and_bad_input():
    seqs = Sequences.from_lists([list("abcabc"), list("abcabc"), list("cbacba")])
    enc = MinHashEncoder(unit="event", shingle=3, n_hashes=32).fit(seqs)
    sig = enc.transform(seqs)
    assert np.array_equal(sig[0], sig[1]) and not np.array_equal(sig[0], sig[2])
    assert sig.max() < 2**24
    with pytest.raises(ValueError, match="needs sequences with items"):
        MinHashEncoder().fit(seqs)
    with pytest.raises(ValueError, match="threshold"):
        enc.similar_pairs(seqs, threshold=0)
    with pytest.raises(ValueError, match="unit"):
        MinHashEncoder(unit="word").fit(seqs)


def _mix64(x):
    """MurmurHash3's 64-bit finalizer in numpy (the core's element mixer)."""
    with np.errstate(over="ignore"):  # multiplication modulo 2**64 is the point
        x = np.asarray(x, dtype=np.uint64)
        x = x ^ (x >> np.uint64(33))
        x = x * np.uint64(0xFF51AFD7ED558CCD)
        x = x ^ (x >> np.uint64(33))
        x = x * np.uint64(0xC4CEB9FE1A85EC53)
        return x ^ (x >> np.uint64(33))


@pytest.mark.parametrize("shingle", [1, 2, 3])
def test_minhash_signatures_match_reference(shingle):
    rng = np.random.default_rng(shingle)
    lists = [rng.integers(0, 50, rng.integers(0, 40)).tolist() for _ in range(30)]
    seqs = Sequences.from_arrays(
        np.concatenate([[0], np.cumsum([len(x) for x in lists])]),
        ["pv"] * sum(map(len, lists)),
        items=np.concatenate(lists).astype(np.int64),
    )
    enc = MinHashEncoder(n_hashes=20, shingle=shingle, random_state=3).fit(seqs)
    got = enc.transform(seqs)
    prime = np.uint64(0x100000001B3)
    for row, items in zip(got, lists):
        label_hash = pd.util.hash_array(np.asarray(items, dtype=np.int64))
        elements = []
        for start in range(len(items) - shingle + 1):
            e = np.uint64(0)
            for k in range(shingle):
                with np.errstate(over="ignore"):
                    e = _mix64(e * prime + label_hash[start + k])
            elements.append(int(e) >> 32)
        if not elements:
            assert (row == 2**24).all()
            continue
        x = np.array(elements, dtype=np.uint32)
        hashed = (enc.multipliers_[:, None] * x[None, :] + enc.increments_[:, None]) >> np.uint32(8)
        np.testing.assert_array_equal(row, hashed.min(axis=1).astype(np.float32))


def test_minhash_estimates_are_unbiased_over_many_pairs():
    # The hash family must behave like random permutations: over 300 random pairs of sets
    # with known Jaccard similarity the estimates centre on the truth, with the binomial
    # spread sqrt(J(1-J)/n_hashes) and no worse.
    rng = np.random.default_rng(11)
    sets, truths = [], []
    for _ in range(300):
        shared = rng.integers(0, 80)
        a_only, b_only = rng.integers(1, 60, 2)
        pool = rng.choice(10**9, shared + a_only + b_only, replace=False)
        first = pool[: shared + a_only]
        second = np.concatenate([pool[:shared], pool[shared + a_only :]])
        sets += [first, second]
        truths.append(shared / (shared + a_only + b_only))
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])])
    seqs = Sequences.from_arrays(offsets, ["pv"] * offsets[-1], items=np.concatenate(sets))
    sig = MinHashEncoder(n_hashes=128, random_state=5).fit_transform(seqs)
    estimates = (sig[0::2] == sig[1::2]).mean(axis=1)
    truths = np.array(truths)
    errors = estimates - truths
    assert abs(errors.mean()) < 0.01
    z = errors / np.sqrt(np.maximum(truths * (1 - truths), 1e-3) / 128)
    assert np.mean(np.abs(z) > 3) < 0.02


def test_minhash_missing_items_do_not_change_other_elements():
    with_missing = Sequences.from_arrays([0, 3, 5], ["pv"] * 5, items=[1.0, 2.0, np.nan, 1.0, 2.0])
    enc = MinHashEncoder(n_hashes=16).fit(with_missing)
    sig = enc.transform(with_missing)
    assert not np.array_equal(sig[0], sig[1])  # the missing item is an element of its own
    clean = Sequences.from_arrays([0, 2], ["pv"] * 2, items=[1.0, 2.0])
    np.testing.assert_array_equal(enc.transform(clean)[0], sig[1])


def test_similar_pairs_against_all_pairs():
    # Planted groups of near-duplicates among random users: every reported pair is
    # verified on the whole signature, and identical signatures (equal in every band)
    # are never missed.
    rng = np.random.default_rng(4)
    sets = [rng.choice(5_000, rng.integers(5, 40), replace=False) for _ in range(300)]
    for _group in range(20):
        base = rng.choice(5_000, 30, replace=False)
        for _ in range(int(rng.integers(2, 6))):
            sets.append(np.concatenate([base, rng.choice(5_000, int(rng.integers(0, 3)))]))
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])])
    seqs = Sequences.from_arrays(offsets, ["pv"] * offsets[-1], items=np.concatenate(sets))
    enc = MinHashEncoder(n_hashes=64).fit(seqs)
    sig = enc.transform(seqs)
    found = enc.similar_pairs(seqs, threshold=0.8)
    all_pairs = (sig[:, None, :] == sig[None, :, :]).mean(axis=2)
    got = found[["first", "second"]].to_numpy()
    assert (got[:, 0] < got[:, 1]).all() and len(np.unique(got, axis=0)) == len(got)
    np.testing.assert_allclose(found["similarity"], all_pairs[got[:, 0], got[:, 1]])
    assert (found["similarity"] >= 0.8).all()
    identical = {(i, j) for i, j in zip(*np.nonzero(np.triu(all_pairs == 1, 1)))}
    assert identical <= {tuple(p) for p in got.tolist()}
    above = np.triu(all_pairs >= 0.8, 1).sum()
    assert len(got) >= 0.9 * above  # LSH finds nearly all of them
