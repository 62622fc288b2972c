"""Values all equal have a spread of exactly 0 (review RV s47 L11: the mean's round-off,
sum / n, gave 5.7e-14 for two prices of 243, and a reason said "normal entities like it
have 5.68e-14"): short sequences and the long ones split into blocks alike."""

import numpy as np

from oddseq.encode import DiversityEncoder
from oddseq.sequences import Sequences


def _spreads(lengths, value):
    offsets = np.r_[0, np.cumsum(lengths)]
    n = int(offsets[-1])
    seqs = Sequences.from_arrays(
        offsets,
        np.full(n, "a", dtype=object),
        items=np.zeros(n, np.int64),
        values=np.full(n, value),
    )
    enc = DiversityEncoder().set_output(transform="pandas").fit(seqs)
    return enc.transform(seqs)["value_std"].to_numpy()


def test_equal_values_have_no_spread():
    for value in (0.1, 243.1, 50_000.07, 1e9 + 0.3):
        assert _spreads([2, 3, 7], value).tolist() == [0.0, 0.0, 0.0], value


def test_a_long_sequence_too():
    # past the kernel's block length (one sequence summed by blocks, in parallel)
    assert _spreads([300_000, 5], 0.1).tolist() == [0.0, 0.0]


def test_values_that_differ_keep_their_spread():
    seqs = Sequences.from_arrays([0, 2], ["a", "a"], items=[1, 1], values=[1.0, 3.0])
    enc = DiversityEncoder().set_output(transform="pandas").fit(seqs)
    assert enc.transform(seqs)["value_std"].iloc[0] == 1.0
