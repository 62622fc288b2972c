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
