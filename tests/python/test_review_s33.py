"""Review s32 (H8) LOW-A, LOW-B and notes, fixed in session 33."""

import tracemalloc

import numpy as np
import pytest
from scipy.stats import binom

from oddseq import AnomalyPipeline, _pipeline
from oddseq.detect import _threshold, tail_cut
from oddseq.detect._threshold import _auto_cut, content_order, folds_in_order, out_of_fold_scores
from oddseq.graph._null import log10_excess_sf, log10_return_sf
from oddseq.sequences import Sequences

# Positive affine maps of the scores: a unit and an origin.
_MAPS = ((1.0, 0.0), (7.0, 3.0), (0.001, 0.0), (3.0, -40.0), (1e-3, 1e3))


def _rounded_exponential(seed: int, n: int = 1_000):
    """Discrete scores with tied plateaus in the tail (miss counts, counts features)."""
    rng = np.random.default_rng(seed)
    return np.round(rng.exponential(1.0, n) * rng.choice([3, 10]))


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.0125])
def test_the_tail_cut_flags_a_tied_plateau_whatever_the_unit_or_origin(rate):
    # At 0.05 (0.1) the tail model's quantile is its own 95th (90th) percentile, a score
    # of a tied plateau: computed in another unit it landed a few ulps on either side
    # and the plateau was flagged or not by the unit (review s32 LOW-A: 11 of 120 draws).
    # At 0.0125 (p = 1/16 of the top 20%) an exponential tail's step on integer scores.
    for seed in range(677, 677 + 12):
        x = _rounded_exponential(seed)
        moved = [x * unit + origin for unit, origin in _MAPS]
        tail = {int((s > tail_cut(s, rate)).sum()) for s in moved}
        auto = {int((s > _auto_cut(s, rate, refit=True)[0]).sum()) for s in moved}
        assert len(tail) == 1 and len(auto) == 1, (seed, rate, tail, auto)


def test_a_score_near_the_tail_cut_is_no_tie_far_from_the_origin():
    # The same scores in a unit of 1e-3 from an origin of 1000 (1000.000-1000.0xx): the
    # model's cut lies 1.25e-4 under a score in unit 1 (1e-5 of it, no tie), 1.25e-7 in
    # the other; a tolerance of 1e-9 of the scores' magnitude took that for a tie there
    # and flagged 3 where unit 1 flags 5. The tolerance is read on the tail's scale.
    rng = np.random.default_rng(679)
    for t in range(26):  # the 26th draw of a stream of rounded exponential / Pareto ones
        n = int(rng.choice([300, 1000, 5000]))
        if t % 2:
            x = np.round(rng.exponential(1, n) * rng.choice([3, 10]))
        else:
            x = np.round(rng.pareto(rng.uniform(1, 4), n) * 20)
    flags = [int((s > tail_cut(s, 0.01)).sum()) for s in (x, x * 1e-3 + 1e3, x * 1e-3)]
    assert flags == [5, 5, 5]


def _workflow_blocks(workflow_log, n=600, seed=675):
    log = workflow_log(n, np.random.default_rng(seed))
    return Sequences.from_events(log, entity="block", event="event", time="t")


@pytest.fixture
def fold_spy(monkeypatch):
    """The folds the fit's out-of-fold scores were drawn with and the folds the support
    rule read "outside the other folds" from (the first call of each in the fit)."""
    seen = {"scored": [], "support": [], "X": []}
    real_oof, real_folds, real_outside = (
        _pipeline.out_of_fold_scores,
        _threshold.folds_in_order,
        _pipeline.outside_other_folds,
    )

    def oof(*args, **kwargs):
        if kwargs.get("fold") is not None:
            seen["scored"].append(np.array(kwargs["fold"]))
            return real_oof(*args, **kwargs)

        def folds(*a, **k):  # the draw inside out_of_fold_scores
            fold = real_folds(*a, **k)
            seen["scored"].append(fold.copy())
            return fold

        monkeypatch.setattr(_threshold, "folds_in_order", folds)
        try:
            return real_oof(*args, **kwargs)
        finally:
            monkeypatch.setattr(_threshold, "folds_in_order", real_folds)

    def outside(X, fold, n_folds):
        seen["support"].append(np.array(fold))
        seen["X"].append(X)
        return real_outside(X, fold, n_folds)

    monkeypatch.setattr(_pipeline, "out_of_fold_scores", oof)
    monkeypatch.setattr(_pipeline, "outside_other_folds", outside)
    return seen


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    "random_state",
    [None, "generator", "random_state", 0],
    ids=["None", "Generator", "RandomState", "int"],
)
def test_the_support_rule_reads_the_folds_that_scored_the_reference(
    random_state, workflow_log, fold_spy
):
    # Review s32 LOW-B: with None, a Generator or a RandomState the support rule drew
    # its folds anew, so "outside the other folds" was another assignment's range
    # than the one whose detectors scored the reference.
    random_state = {
        "generator": np.random.default_rng(675),
        "random_state": np.random.RandomState(675),
    }.get(random_state, random_state)
    pipe = AnomalyPipeline(random_state=random_state).fit(
        _workflow_blocks(workflow_log), normal=True
    )
    assert pipe.novelty_rate_ is not None
    assert len(fold_spy["scored"]) == 1 and len(fold_spy["support"]) == 1
    np.testing.assert_array_equal(fold_spy["scored"][0], fold_spy["support"][0])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_an_int_random_state_draws_the_folds_and_scores_it_always_drew(workflow_log, fold_spy):
    # Drawn once now: with an int they are those each separate draw gave before, so int
    # fits do not change (the reference bit for bit).
    pipe = AnomalyPipeline(random_state=3).fit(_workflow_blocks(workflow_log), normal=True)
    assert pipe.support_rule_
    X = fold_spy["X"][0]
    drawn = folds_in_order(content_order(X), pipe.n_folds, 3)
    np.testing.assert_array_equal(fold_spy["scored"][0], drawn)
    np.testing.assert_array_equal(fold_spy["support"][0], drawn)
    again = out_of_fold_scores(lambda: pipe._detector(X.shape[0]), X, pipe.n_folds, 3)
    np.testing.assert_array_equal(pipe.reference_scores_, again)


def test_out_of_fold_scores_refuses_folds_that_are_not_one_per_row():
    from oddseq.detect import KNNDetector

    X = np.random.default_rng(675).normal(size=(40, 2))
    fold = folds_in_order(content_order(X), 4, 0)
    given = out_of_fold_scores(lambda: KNNDetector(n_neighbors=3), X, 4, fold=fold)
    np.testing.assert_array_equal(
        given, out_of_fold_scores(lambda: KNNDetector(n_neighbors=3), X, 4)
    )
    for bad in (fold[:-1], fold + 1, fold.astype(float)):
        with pytest.raises(ValueError, match="fold must hold each of the 40 rows' fold"):
            out_of_fold_scores(lambda: KNNDetector(n_neighbors=3), X, 4, fold=bad)


@pytest.mark.parametrize(
    ("function", "args", "name"),
    [
        (log10_excess_sf, (3, [1e-5], [1, 1]), "lam"),
        (log10_excess_sf, (3, 0.5), "lam"),
        (log10_return_sf, (3, [4, 5], 0.1, [1]), "n_acts"),
    ],
)
def test_the_nulls_refuse_counts_that_do_not_match_their_values(function, args, name):
    # Review s32 note: numpy's IndexError ("boolean index did not match") before.
    with pytest.raises(ValueError, match=f"{name} must be a 1-d array and counts hold one"):
        function(*args)


@pytest.mark.parametrize(
    ("excess", "n_acts", "p", "before"),
    [(5, 3 * 10**4, 1e-4, -0.4099113976388051), (3, 10**6, 1e-6, None), (40, 10**6, 4e-5, None)],
)
def test_a_busy_entity_costs_the_return_null_no_memory_of_its_acts(excess, n_acts, p, before):
    # Review s32 note: the bound's arrays were as wide as an entity's acts (600 x 1e6
    # floats for a million acts on one object: GBs; 30,000 acts: 980 MB). Jumps past
    # what the tail asks count as one (exact), so they are as wide as the excess.
    tracemalloc.start()
    try:
        value = log10_return_sf(excess, [n_acts], p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20, peak
    # An upper bound of the one entity's exact tail, P(h - 1 >= excess); the same value
    # as the arrays as wide as the acts gave, where they could be afforded.
    assert value >= binom.logsf(excess, n_acts, p) / np.log(10) - 1e-12
    if before is not None:
        assert value == pytest.approx(before, abs=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_folds_handed_over_with_out_of_fold_scores_are_the_support_rules(workflow_log, fold_spy):
    # oddseq.dask scores the normal rows out of fold over its partitions and hands the
    # scores to _set_threshold; the folds it drew, left in _fit_folds (its _out_of_fold),
    # are those the support rule reads. Not kept in the model after the fit.
    pipe = AnomalyPipeline(random_state=np.random.default_rng(676))
    pipe.fit(_workflow_blocks(workflow_log), normal=True)
    assert pipe._fit_folds is None
    X = fold_spy["X"][0]
    fold = folds_in_order(content_order(X), pipe.n_folds, 680)
    scores = out_of_fold_scores(lambda: pipe._detector(X.shape[0]), X, pipe.n_folds, fold=fold)
    pipe._fit_folds = fold
    pipe._set_threshold(None, pipe.detector_.decision_scores_, out_of_fold=scores)
    pipe._support_rule(_pipeline._Input(X))
    np.testing.assert_array_equal(fold_spy["support"][-1], fold)
    assert pipe._fit_folds is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: log10_excess_sf(0, [0.5], k=0), "k must be the block's number of objects"),
        (lambda: log10_excess_sf(3, [0.5], k=2.7), "a whole number >= 1, got 2.7"),
        (lambda: log10_excess_sf(3, [0.5], k=True), "a whole number >= 1, got True"),
        (lambda: log10_return_sf(0, [4], 1.5), "p must be a probability"),
    ],
)
def test_the_nulls_check_their_arguments_before_any_shortcut(call, message):
    # Review s32 (e06911a's nit): an excess of 0 returned before k was checked, and k =
    # 2.7 was floored to 2 without a word.
    with pytest.raises(ValueError, match=message):
        call()


def test_a_whole_k_of_any_type_reads_as_that_int():
    expected = log10_excess_sf(3, [0.5, 1.5], k=4)
    assert log10_excess_sf(3, [0.5, 1.5], k=np.int64(4)) == expected
    assert log10_excess_sf(3, [0.5, 1.5], k=4.0) == expected
