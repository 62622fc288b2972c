"""Session 32 (H5): the pipeline's cut composed in one place (review s31 H8 LOW-2, second
half), and log10_excess_sf where every entity is bounded by k (review s31 H8 LOW-5)."""

import numpy as np
import pytest

from oddseq.graph._null import log10_excess_sf


def test_one_object_a_block_never_shows_an_excess():
    """With k = 1 (a block of one object) each entity acts on it at most once, so its
    excess (h - 1)^+ is 0 and no number of entities, infinitely many included, shows
    one: -inf (impossible), where infinitely many entities that can act on k >= 2
    objects show any excess (0.0, certain; review s31 LOW-5: an infinite count with k
    raised the C++ kernel's internal errors at e627d8e)."""
    inf = np.inf
    assert log10_excess_sf(3, [0.1], counts=[inf], k=1) == -inf
    assert log10_excess_sf(1, [0.5], counts=[10.0], k=1) == -inf
    assert log10_excess_sf(1, [inf], k=1) == -inf
    assert log10_excess_sf(0, [0.5], counts=[inf], k=1) == 0.0  # (no excess: certain)
    for excess, lam, k in ((3, 0.1, 5), (2500, 3.0, 5), (3, 3.0, 5), (2500, 0.1, 5), (1, 0.1, 2)):
        assert log10_excess_sf(excess, [lam], counts=[inf], k=k) == 0.0
    assert log10_excess_sf(3, [0.0, 0.1], counts=[inf, 1.0], k=5) < 0.0  # (rate 0: none)
    # the bound k itself is checked before any shortcut
    with pytest.raises(ValueError, match="k must be"):
        log10_excess_sf(3, [0.1], counts=[inf], k=0)


# --- one composition of the pipeline's cut (review s31 H8 LOW-2, second half) ---------


@pytest.fixture(scope="module")
def shop():
    from oddseq.datasets import make_ecommerce
    from oddseq.sequences import Sequences

    log = make_ecommerce(n_users=500, random_state=641).events
    return Sequences.from_events(log, entity="user_id", event="behavior", time="timestamp")


def _record(pipe):
    info = pipe.threshold_info_
    return info["threshold"], info["tail_threshold"], info["tail_refit"]


@pytest.mark.parametrize(
    "params, normal",
    [
        (dict(method="knn"), False),
        (dict(method="markov"), False),
        (dict(method="knn", threshold="mad"), False),
        (dict(method="knn", contamination=0.02), False),
        (dict(method="knn"), True),
    ],
    ids=["tail", "tail-floor", "mad", "contamination", "normal-only"],
)
def test_the_fit_and_the_confidence_cut_by_one_composition(shop, params, normal):
    """pipeline_cut on the pipeline's reference scores is its fitted cut (the fit calls
    it), and it is the rule predict_confidence re-runs (its spread passes the guard)."""
    from oddseq import AnomalyPipeline
    from oddseq.detect._base import pipeline_confidence_cuts, pipeline_cut

    pipe = AnomalyPipeline(random_state=0, **params).fit(shop, normal=normal)
    rate = pipe.threshold_info_["false_alarm_rate"]
    again = pipeline_cut(pipe, pipe._reference(), rate)
    assert again.cut == pipe.threshold_
    cuts = pipeline_confidence_cuts(pipe, pipe._reference())
    assert (cuts is None) == ("contamination" in params)  # (a share: ExCeeD's)
    if cuts is not None:
        assert cuts.size == 100 and np.isfinite(cuts).all()


def test_a_repaired_cut_and_its_floor_are_one_composition(shop, monkeypatch):
    """A collapsed cut (test_tail_refit's bent scores: 4% anomalies above a skewed bulk),
    repaired and raised to a detector's floor: the fit's record is pipeline_cut's, and
    the confidence re-runs that repair on resamples (its cuts spread about the fitted
    cut, not about the collapsed first one)."""
    from oddseq import AnomalyPipeline
    from oddseq.detect._base import pipeline_confidence_cuts, pipeline_cut
    from oddseq.exceptions import DataWarning

    rng = np.random.default_rng(0)
    scores = np.r_[rng.gamma(0.4, 3.0, size=19_200), 9 + rng.uniform(0, 8, size=800)]
    pipe = AnomalyPipeline(method="knn", random_state=0).fit(shop)
    for floor in (None, 9.5):
        if floor is not None:
            monkeypatch.setattr(pipe.detector_, "_cut_floor", lambda f=floor: f)
        with pytest.warns(DataWarning, match="automatic cut"):
            pipe._set_threshold(None, scores)
        got = pipeline_cut(pipe, scores, 0.01)
        assert got.refit is not None and got.refit == pipe.threshold_info_["tail_refit"]
        assert (got.cut, got.tail) == _record(pipe)[:2]
        plain = got.bagged["plain_threshold"]  # the rule's cut, then bagged
        assert plain == (got.moved if floor is None else max(floor, got.moved))
        bagged = got.bagged["threshold"]
        assert got.cut == (bagged if floor is None else max(floor, bagged))
        cuts = pipeline_confidence_cuts(pipe, pipe._reference())
        assert cuts is not None
        assert abs(np.median(cuts) - pipe.threshold_) < abs(
            np.median(cuts) - got.refit["first_threshold"]
        )
