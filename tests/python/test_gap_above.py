"""The unsupervised cut's move up goes only across a plateau of tied scores, and the
pipeline's threshold_info_ says which way its test went and why (benchmarks/RESULTS.md,
"The gap move on a shop it was not tuned to")."""

import numpy as np
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.detect import auto_cut, tail_cut
from oddseq.detect._threshold import _gap_above
from oddseq.sequences import Sequences


@pytest.fixture(scope="module")
def fitted():
    bunch = make_ecommerce(n_users=600, random_state=3)
    seqs = Sequences.from_events(bunch.events, entity="user_id", event="behavior", time="timestamp")
    return AnomalyPipeline(random_state=0).fit(seqs)


def _scores(middle, seed=0):
    """A bulk, 150 far out, and 40 between: ``middle`` gives their scores."""
    rng = np.random.default_rng(seed)
    return np.r_[rng.exponential(size=5_000), middle(rng), 20 + rng.exponential(size=150)]


def test_a_plateau_of_ties_above_the_tail_cut_still_moves(fitted):
    scores = _scores(lambda rng: np.full(40, 12.0))
    fitted._set_threshold(None, scores)
    info = fitted.threshold_info_
    assert info["moved"] == "up" and info["gap"]
    assert info["gap_above"] == {"moved": True, "dropped": 40, "distinct": 1}
    # which entities the move unflags, in words that say so (H1 s15, finding 2)
    assert (
        ", moved up into the clear gap above it: the 40 entities scored between the tail "
        "cut and the gap hold 1 distinct score (a plateau of ties) and are not flagged"
    ) in info["rule"]
    # That is the rule's cut; bagged over bootstrap draws of the scores, on about half
    # of which the rule flags the plateau too, the pipeline's cut is the nearer count
    # (RESULTS.md, "The cut bagged"), and the record says so.
    bagged = info["bagged"]
    assert bagged["plain_n_flagged"] == 150 == int((scores > auto_cut(scores)).sum())
    assert bagged["plain_threshold"] == auto_cut(scores)
    assert bagged["n_flagged"] in (150, 190)
    assert info["n_flagged"] == bagged["n_flagged"] == int((scores > fitted.threshold_).sum())
    if bagged["n_flagged"] != 150:
        assert info["rule"].endswith(
            f"; bagged: it flagged 150, and {bagged['mean_flagged']:,.1f} on average over "
            f"{bagged['draws']} bootstrap draws of the scores, the share this cut flags"
        )


def test_a_separate_milder_mode_is_kept(fitted):
    scores = _scores(lambda rng: 12 + rng.uniform(0, 1, size=40))
    tail = tail_cut(scores, 0.01)
    assert (scores > tail).sum() >= 190  # both groups above the tail cut
    fitted._set_threshold(None, scores)
    info = fitted.threshold_info_
    assert info["moved"] is None and not info["gap"]
    assert info["threshold"] == info["tail_threshold"] == tail
    dropped = int(((scores > tail) & (scores < 20)).sum())
    assert info["gap_above"] == {"moved": False, "dropped": dropped, "distinct": dropped}
    # "the N flags under it" read as unflagged entities (H1 s15, finding 2): say that
    # these entities are flagged, and where they lie
    assert info["rule"].endswith(
        f", not moved up into the clear gap above it: the {dropped} entities scored between the "
        f"tail cut and the gap hold {dropped} distinct scores (a group of their own, not a "
        "plateau of ties) and stay flagged"
    )
    assert info["n_flagged"] == int((scores > tail).sum())
    assert fitted.threshold_ == auto_cut(scores)


def test_no_clear_gap_above_is_none(fitted):
    scores = np.random.default_rng(5).exponential(size=5_000)
    fitted._set_threshold(None, scores)
    info = fitted.threshold_info_
    assert info["gap_above"] is None and info["moved"] is None
    assert "gap" not in info["rule"]
    assert _gap_above(scores, tail_cut(scores, 0.01)) == (tail_cut(scores, 0.01), None)


def test_the_record_matches_the_test_on_a_shop(fitted):
    scores = fitted.detector_.decision_scores_
    fitted._set_threshold(None, scores)  # after the synthetic scores above, its own again
    info = fitted.threshold_info_
    assert info["gap_above"] == _gap_above(scores, info["tail_threshold"])[1]
    plain = info["threshold"] if info["bagged"] is None else info["bagged"]["plain_threshold"]
    assert plain == auto_cut(scores)
