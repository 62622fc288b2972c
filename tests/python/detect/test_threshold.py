"""The cut rules: tail model, normal-only quantile, out-of-fold scores, tail probability."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddseq.detect import KNNDetector
from oddseq.detect._threshold import (
    check_false_alarm_rate,
    gap_cut,
    mad_cut,
    normal_cut,
    out_of_fold_scores,
    separate_tail,
    tail_cut,
    tail_probability,
)


@pytest.mark.parametrize(
    "sample, exact",
    [
        (lambda r, n: r.exponential(size=n), lambda p: -np.log(p)),
        # A heavy (Pareto, shape 1/3) tail: the model's shape follows it.
        (lambda r, n: r.pareto(3.0, size=n), lambda p: p ** (-1 / 3) - 1),
        # A light (uniform) one: a negative shape.
        (lambda r, n: r.uniform(size=n), lambda p: 1 - p),
    ],
)
def test_tail_cut_recovers_the_quantile_of_known_tails(sample, exact):
    rng = np.random.default_rng(0)
    scores = sample(rng, 200_000)
    for rate in (0.01, 0.001):
        assert tail_cut(scores, rate) == pytest.approx(exact(rate), rel=0.08)


def test_tail_cut_is_robust_to_a_few_percent_of_anomalies():
    rng = np.random.default_rng(1)
    normal = rng.exponential(size=97_000)
    anomalies = rng.uniform(20, 1_000, size=3_000)  # far out: the MAD rule would move less
    clean, mixed = tail_cut(normal, 0.01), tail_cut(np.r_[normal, anomalies], 0.01)
    # The anomalies push the upper percentiles up, so the model's tail reads heavier
    # and the cut moves out (conservative), but not past the anomalies.
    assert clean < mixed < 20
    flagged = np.r_[normal, anomalies] > mixed
    assert flagged[-3_000:].all() and flagged[:97_000].mean() < 0.02


def test_nothing_odd_nothing_flagged():
    """Scores of data with nothing planted: about the false-alarm rate is flagged."""
    rng = np.random.default_rng(2)
    for scores in (rng.gamma(2.0, size=100_000), rng.lognormal(size=100_000)):
        assert (scores > tail_cut(scores, 0.001)).mean() < 0.005


def test_all_equal_scores_flag_nothing_and_warn():
    with pytest.warns(UserWarning, match="every score is the same"):
        cut = tail_cut(np.full(100, 3.0))
    assert not (np.full(100, 3.0) > cut).any()
    assert normal_cut(np.full(100, 3.0), 0.001) == 3.0


def test_tied_scores_fall_back_or_widen():
    scores = np.r_[np.zeros(9_000), np.random.default_rng(3).exponential(size=1_000)]
    cut = tail_cut(scores, 0.001)
    assert np.isfinite(cut) and (scores > cut).mean() <= 0.01
    assert np.isfinite(normal_cut(scores[:1_000], 0.001))


def test_tied_everywhere_never_flags_more_than_the_top_five_percent():
    """Scores with a handful of values (loghub's 2k-line HDFS sample: 17-19 distinct
    K-means, ECOD or Markov scores for 2,200 blocks) have no continuous tail at any
    share; the MAD rule alone put the cut in the bulk and flagged 23-34% of them. The
    tail model allows at most 5% anomalies, so the cut never flags more than the top 5%:
    a plateau of 11% of the entities is a mode, not an anomaly."""
    rng = np.random.default_rng(6)
    scores = np.r_[
        np.full(1_100, 3.0), np.full(500, 3.5), np.full(330, 4.0), np.full(250, 11.5),
        rng.uniform(13, 30, size=20),
    ]  # fmt: skip
    assert (scores > mad_cut(scores)).mean() > 0.1  # what the fallback alone did
    cut = tail_cut(scores, 0.01)
    assert (scores > cut).mean() <= 0.05
    assert (scores > cut).sum() >= 20  # the far ones are still flagged
    # Where the MAD rule flags less than the top 5%, it still decides.
    few = np.repeat([0.0, 1.0, 2.0, 3.0], [4_000, 4_000, 1_850, 150])
    assert tail_cut(few, 0.01) == mad_cut(few) > np.quantile(few, 0.95)


def test_mad_cut_is_the_robust_z_rule():
    scores = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    assert mad_cut(scores) == pytest.approx(3 + 3 * 1.4826 * 1.0)


def test_normal_cut_empirical_where_the_sample_allows():
    scores = np.random.default_rng(4).normal(size=50_000)
    assert normal_cut(scores, 0.01) == pytest.approx(np.quantile(scores, 0.99))


def test_normal_cut_extrapolates_beyond_a_small_sample():
    rng = np.random.default_rng(5)
    cuts = [normal_cut(rng.exponential(size=1_000), 0.0001) for _ in range(20)]
    assert np.median(cuts) == pytest.approx(np.log(10_000), rel=0.2)
    assert np.median(cuts) > np.log(1_000)  # beyond the sample's reach


def test_normal_cut_above_ties_where_the_sample_cannot_place_the_quantile():
    """Ties fill the top (98% of normal entities have a twin) and the rate asks for
    fewer than 10 scores beyond the cut: no tail to model. normal_cut takes the plain
    quantile among a handful of untied scores; above_ties, strictly above every score.
    Where the sample holds the quantile or a tail, both are the same."""
    from oddseq.detect._threshold import _normal_cut

    rng = np.random.default_rng(8)
    tied = np.r_[np.zeros(985), rng.uniform(0.5, 2.0, size=15)]
    assert normal_cut(tied, 0.003) < tied.max()
    assert _normal_cut(tied, 0.003, above_ties=True) == tied.max()
    assert not (tied > _normal_cut(tied, 0.003, above_ties=True)).any()
    smooth = rng.exponential(size=1_000)
    for rate in (0.003, 0.05):
        assert _normal_cut(smooth, rate, above_ties=True) == normal_cut(smooth, rate)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=5, max_size=200), st.sampled_from([0.01, 0.2]))
def test_cuts_are_finite_for_any_scores(values, rate):
    scores = np.array(values)
    if scores.min() == scores.max():
        return
    assert np.isfinite(tail_cut(scores, rate))
    assert np.isfinite(normal_cut(scores, rate))
    p = tail_probability(scores, scores)
    assert np.all((p >= 0) & (p <= 1))


def test_tail_probability_is_monotone_and_extends_past_the_reference():
    reference = np.random.default_rng(6).exponential(size=5_000)
    p = tail_probability(reference, np.array([0.0, 1.0, 5.0, 20.0, 40.0]))
    assert p[0] == 1.0 and np.all(np.diff(p) < 0)
    assert 0 < p[-1] < 1 / 5_000


def test_out_of_fold_scores_never_score_a_row_with_itself():
    X = np.random.default_rng(7).normal(size=(200, 3))
    X = np.vstack([X, X[:1]])  # a copy of row 0 is in another fold, or the same one
    oof = out_of_fold_scores(lambda: KNNDetector(n_neighbors=1), X, n_folds=5, random_state=0)
    in_sample = KNNDetector(n_neighbors=1).fit(X).decision_function(X)
    assert (in_sample == 0).all()  # each row finds itself
    assert (oof > 0).mean() > 0.95


def test_out_of_fold_needs_rows_to_hold_out():
    with pytest.raises(ValueError, match="at least 10"):
        out_of_fold_scores(lambda: KNNDetector(), np.zeros((5, 2)), n_folds=5)


@pytest.mark.parametrize("bad", [0, 0.5, -0.1, 1.0, float("nan")])
def test_false_alarm_rate_out_of_range(bad):
    with pytest.raises(ValueError, match=r"false_alarm_rate must be in \(0, 0.5\)"):
        check_false_alarm_rate(bad)


def test_false_alarm_rate_type():
    with pytest.raises(TypeError, match="false_alarm_rate must be a number"):
        check_false_alarm_rate("0.01")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separate_tail_finds_none_in_one_population(seed):
    """Scores of one population, light or heavy tailed: the local Pickands shape of
    their top stays near the tail's own (0 exponential, 1/3 Pareto), far below 2."""
    rng = np.random.default_rng(seed)
    for scores in (
        rng.exponential(size=3_000),
        rng.pareto(3.0, size=3_000),
        rng.uniform(size=3_000),
    ):
        shape, share = separate_tail(scores, 0.01)
        assert shape < 1.5


@pytest.mark.parametrize("group", [0.03, 0.1, 0.2, 0.25])
def test_separate_tail_sees_a_group_far_out(group):
    rng = np.random.default_rng(0)
    n = 3_000
    far = int(group * n)
    scores = np.r_[rng.exponential(size=n - far), 30 + 5 * rng.exponential(size=far)]
    shape, share = separate_tail(scores, 0.01)
    assert shape > 2 and group / 4 <= share <= 2 * group


@pytest.mark.parametrize("seed, flood", [(0, 0.03), (1, 0.05), (2, 0.1)])
def test_separate_tail_sees_a_flood_of_one_sequence_far_out(seed, flood):
    """A script that ran one session over and over, in data said to be normal: its
    entities share one score far beyond the rest. Tied as they are, they are a large
    share far outside, the case the not-normal warning is for (a condition that left
    out mostly tied groups, tried for loghub's 2k-line HDFS sample of block fragments,
    went silent here and was removed)."""
    rng = np.random.default_rng(seed)
    bulk = rng.exponential(size=3_000)
    n_flood = int(flood * bulk.size / (1 - flood))
    shape, share = separate_tail(np.r_[bulk, np.full(n_flood, 40.0)], 0.005)
    assert shape > 2 and flood / 2 <= share <= 2 * flood


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), min_size=30, max_size=400, unique=True),
    st.floats(0.01, 100),
    st.floats(-1e3, 1e3),
)
def test_separate_tail_does_not_depend_on_the_scores_unit_or_origin(values, scale, shift):
    scores = np.array(values, dtype=np.float64)
    shape, share = separate_tail(scores, 0.01)
    moved, moved_share = separate_tail(scale * scores + shift, 0.01)
    assert moved_share == share
    assert moved == pytest.approx(shape, abs=1e-6)


def test_separate_tail_with_a_unit_floors_the_jump():
    """A tied lower half has no spread: every jump was far. With a unit (how far apart
    the normal variants lie), the jump must be 8 of them; inf: nothing is far."""
    rng = np.random.default_rng(0)
    # three quarters tied, a variant a unit out, and a tenth spread 1-8 units further
    scores = np.r_[
        np.zeros(750), 1 + 0.01 * rng.uniform(size=150), 2 + 2 * rng.exponential(size=100)
    ]
    assert separate_tail(scores, 0.005)[0] >= 2
    assert separate_tail(scores, 0.005, unit=1.0) == (0.0, 0.0)
    assert separate_tail(scores, 0.005, unit=np.inf) == (0.0, 0.0)
    far = np.r_[np.zeros(940), rng.uniform(0.5, 1.5, 30), 40 + rng.exponential(size=30)]
    assert separate_tail(far, 0.005, unit=1.0) == separate_tail(far, 0.005)


def test_separate_tail_of_tied_or_few_scores_is_nothing():
    # A tied bulk (every row has a twin) has no spread to measure a jump against.
    assert separate_tail(np.r_[np.zeros(950), np.arange(50.0)], 0.01) == (0.0, 0.0)
    assert separate_tail(np.ones(100), 0.01) == (0.0, 0.0)
    assert separate_tail(np.arange(50.0), 0.01) == (0.0, 0.0)  # too few to see a top share


def _far_group_with_a_tied_cluster(seed=0):
    """A bulk, a group of 150 far out, and 40 tied normal rows between them (as repeated
    blocks of a system log): a cut at 11 flags the group and the tied cluster."""
    rng = np.random.default_rng(seed)
    return np.r_[rng.exponential(size=5_000), np.full(40, 12.0), 20 + rng.exponential(size=150)]


def test_gap_cut_moves_into_a_clear_gap():
    scores = _far_group_with_a_tied_cluster()
    cut = gap_cut(scores, 11.0)
    assert 12.0 < cut < 20.0
    assert (scores > cut).sum() == 150


def _far_group_with_a_milder_group(seed=0):
    """A bulk, a group of 150 far out, and between them 40 rows of distinct scores (a
    second, milder group of anomalies, as the held-out shop's slow card testers and
    price scrapers under its card testers and crawlers): a cut at 11 flags both groups."""
    rng = np.random.default_rng(seed)
    middle = 12 + rng.uniform(0, 1, size=40)
    return np.r_[rng.exponential(size=5_000), middle, 20 + rng.exponential(size=150)]


@pytest.mark.parametrize("seed", range(5))
def test_gap_cut_keeps_a_milder_group_of_distinct_scores(seed):
    """The gap above 40 distinct scores is as clear as above 40 tied ones, but distinct
    scores under it are a group of their own, not repeated normal rows: the cut stays."""
    scores = _far_group_with_a_milder_group(seed)
    assert gap_cut(scores, 11.0) == 11.0
    assert (scores > gap_cut(scores, 11.0)).sum() == 190
    # The same rows tied (a plateau of repeated normal rows): it moves, as before.
    tied = np.r_[scores[:5_000], np.full(40, 12.0), scores[5_040:]]
    assert (tied > gap_cut(tied, 11.0)).sum() == 150


@pytest.mark.parametrize("seed", range(5))
def test_gap_cut_moves_across_a_plateau_with_a_few_distinct_scores(seed):
    """A plateau of 30 tied rows with 6 distinct scores beside it: 7 distinct scores for
    36 flags dropped, a plateau (at most half as many distinct scores as flags)."""
    rng = np.random.default_rng(seed)
    scores = np.r_[
        rng.exponential(size=5_000),
        np.full(30, 12.0),
        12.5 + rng.uniform(0, 0.4, size=6),
        20 + rng.exponential(size=150),
    ]
    assert (scores > gap_cut(scores, 11.0)).sum() == 150


def test_gap_above_says_why():
    from oddseq.detect._threshold import _gap_above

    cut, why = _gap_above(_far_group_with_a_tied_cluster(), 11.0)
    assert 12.0 < cut < 20.0
    assert why == {"moved": True, "dropped": 40, "distinct": 1}
    cut, why = _gap_above(_far_group_with_a_milder_group(), 11.0)
    assert cut == 11.0
    assert why == {"moved": False, "dropped": 40, "distinct": 40}
    bulk = np.random.default_rng(3).exponential(size=5_000)
    assert _gap_above(bulk, tail_cut(bulk)) == (tail_cut(bulk), None)  # no clear gap


def test_gap_cut_leaves_one_population_alone():
    """Scores of one population: the widest gap below the cut is no wider than chance
    gives (a 5% test), so the cut moves on few samples, and never by much."""
    moved = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        for scores in (rng.exponential(size=5_000), rng.pareto(3.0, size=5_000)):
            cut = tail_cut(scores, 0.01)
            moved += gap_cut(scores, cut) != cut
    assert moved <= 4


def test_gap_cut_needs_the_gap_within_the_window():
    # The gap lies above the top 75% of what the cut flags: the cut stays.
    scores = _far_group_with_a_tied_cluster()
    assert gap_cut(scores, 11.0, lowest_share=0.9) == 11.0
    # Too few flagged to judge a gap, or nothing to move.
    assert gap_cut(scores, 21.0 + scores.max()) == 21.0 + scores.max()
    assert gap_cut(np.full(50, 2.0), 1.0) == 1.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), min_size=20, max_size=400, unique=True),
    st.floats(0.01, 100),
    st.floats(-1e3, 1e3),
    st.floats(0.0, 0.3),
)
def test_gap_cut_does_not_depend_on_the_scores_unit_or_origin(values, scale, shift, share):
    scores = np.array(values, dtype=np.float64)
    cut = float(np.quantile(scores, 1 - share))
    flags = scores > gap_cut(scores, cut)
    moved = scale * scores + shift
    assert np.array_equal(flags, moved > gap_cut(moved, scale * cut + shift))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300),
    st.floats(-1e6, 1e6),
    st.floats(0.05, 1.0),
)
def test_gap_cut_only_drops_flags_and_keeps_most(values, cut, lowest_share):
    scores = np.array(values)
    new = gap_cut(scores, cut, lowest_share=lowest_share)
    before, after = scores > cut, scores > new
    assert new >= cut and np.all(after <= before)
    assert after.sum() >= np.ceil(lowest_share * before.sum()) or before.sum() < 4


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"scores": np.array([1.0, np.nan, 2.0])}, ValueError, "scores must be finite"),
        ({"scores": np.ones((3, 2))}, ValueError, "scores must be one-dimensional"),
        ({"scores": np.array([])}, ValueError, "scores must not be empty"),
        ({"cut": "1"}, TypeError, "cut must be a number"),
        ({"cut": float("inf")}, ValueError, "cut must be finite"),
        ({"lowest_share": 0.0}, ValueError, r"lowest_share must be in \(0, 1\]"),
        ({"lowest_share": 1.5}, ValueError, r"lowest_share must be in \(0, 1\]"),
        ({"level": 1.0}, ValueError, r"level must be in \(0, 1\)"),
        ({"level": True}, TypeError, "level must be a number"),
    ],
)
def test_gap_cut_bad_input(kwargs, error, match):
    arguments = {"scores": np.arange(10.0), "cut": 5.0, **kwargs}
    with pytest.raises(error, match=match):
        gap_cut(**arguments)


def test_auto_cut_is_the_tail_cut_moved_into_a_clear_gap():
    from oddseq.detect import auto_cut

    scores = _far_group_with_a_tied_cluster()
    assert auto_cut(scores) == gap_cut(scores, tail_cut(scores, 0.01))
    assert (scores > tail_cut(scores, 0.01)).sum() == 190  # the plateau at 12 too
    assert (scores > auto_cut(scores)).sum() == 150
    assert auto_cut(scores, 0.02) == auto_cut(scores)  # the same gap from further down
    bulk = np.random.default_rng(1).exponential(size=5_000)
    assert auto_cut(bulk) == tail_cut(bulk, 0.01)
    with pytest.warns(UserWarning, match="every score is the same"):
        assert auto_cut(np.full(20, 3.0)) == 3.0


def _plateau_rows(seed=0):
    """One feature whose top holds a plateau of tied rows under a clear gap: 5,000
    exponential values, 60 rows at 7 and 300 beyond 20 (a distance to the one centre
    puts the plateau just above the tail cut, with a few of the bulk's top rows: the
    flags under the gap are mostly tied)."""
    rng = np.random.default_rng(seed)
    rows = np.r_[rng.exponential(size=5_000), np.full(60, 7.0), 20 + rng.exponential(size=300)]
    return rows[:, None]


def _kmeans():
    from oddseq.detect import KMeansDetector

    return KMeansDetector(n_clusters=1, contamination="auto", random_state=0)


def _ensemble():
    from oddseq.detect import EnsembleDetector, KMeansDetector

    return EnsembleDetector([KMeansDetector(n_clusters=1, random_state=0)], contamination="auto")


@pytest.mark.parametrize("make", [_kmeans, _ensemble], ids=["kmeans", "ensemble"])
def test_detectors_auto_cut_is_the_one_unsupervised_cut(make):
    """A detector without a natural cut of its own cuts its training scores by
    auto_cut, the pipeline's rule (the gap move included), not by the tail cut alone."""
    from oddseq.detect import auto_cut

    det = make().fit(_plateau_rows())
    scores = det.decision_scores_
    assert det.threshold_ == auto_cut(scores)
    assert (scores > det.threshold_).sum() == 300 < (scores > tail_cut(scores, 0.01)).sum()
    np.testing.assert_array_equal(det.labels_, scores > det.threshold_)


def test_auto_cut_moves_down_to_the_lower_edge_of_a_group_apart():
    """4% of the entities well apart from an exponential bulk push the percentiles the
    tail model is fitted on out: its cut lands above or inside the group and flags
    little of it. A gap below the cut that one population does not give is the
    group's lower edge, and auto_cut moves down to it (at most the top 5%)."""
    from oddseq.detect import auto_cut

    rng = np.random.default_rng(0)
    bulk = rng.exponential(size=5_000)
    scores = np.r_[bulk, rng.uniform(6, 12, size=200)]
    assert (scores > tail_cut(scores, 0.01)).sum() < 50
    flags = scores > auto_cut(scores)
    assert flags[5_000:].all()
    assert flags.sum() <= 0.05 * scores.size and flags[:5_000].mean() < 0.01


def _bent_by_anomalies_without_an_edge(seed):
    """An exponential bulk of 20,000 (its 99th percentile 4.6) and 3% of anomalies spread
    over 3.5-9, across its top without an edge: (normal, anomalies)."""
    rng = np.random.default_rng(seed)
    return rng.exponential(size=20_000), rng.uniform(3.5, 9.0, size=600)


def _holds(normal, anomalies, cut):
    """The cut lets at least a quarter of the rate's (0.01) share of the normal scores
    over and catches at least half the anomalies."""
    return (normal > cut).mean() >= 0.0025 and (anomalies > cut).mean() >= 0.5


def test_the_tail_rule_holds_on_the_normal_scores_alone():
    """The case below, its normal scores alone: the tail cut at 0.01 lets about 1% of them
    over and sits below most of the anomalies, in every draw."""
    for seed in range(20):
        normal, anomalies = _bent_by_anomalies_without_an_edge(seed)
        clean = tail_cut(normal, 0.01)
        assert 0.005 < (normal > clean).mean() < 0.02 and _holds(normal, anomalies, clean)


@pytest.mark.xfail(
    strict=True,
    reason="#14, not met: the anomalies bend the tail model without collapsing it (the "
    "cut flags 0.3-2%, over half the rate, where the collapsed cut's refit, a diagnosis, "
    "would act); a trimmed tail set aside the nothing-planted marketplace's drop queuers "
    "instead (RESULTS.md, seventeenth and eighteenth sessions: measured, not adopted)",
)
def test_auto_cut_holds_where_a_few_percent_bend_the_tail_without_an_edge():
    """3% of anomalies across the normal tail's top, no gap below them: they push the
    80th-95th percentiles out, the model reads a heavier tail and its cut moves out past
    most of them, and no move down finds an edge (today the cut holds in 2 of 20 draws;
    in the others 0.01-0.19% of the normals are over it and 11-55% of the anomalies). The
    unsupervised cut should hold at the rate as the same rule fitted to the normal scores
    alone does (in 20 of 20: about 1% and 80%): here in at least 16 of 20 draws."""
    from oddseq.detect import auto_cut

    held = 0
    for seed in range(20):
        normal, anomalies = _bent_by_anomalies_without_an_edge(seed)
        held += _holds(normal, anomalies, auto_cut(np.r_[normal, anomalies]))
    assert held >= 16


@pytest.mark.parametrize(
    "sample",
    [
        lambda r: r.exponential(size=5_000),
        lambda r: r.gamma(2.0, size=5_000),
        lambda r: r.lognormal(size=5_000),
    ],
    ids=["exponential", "gamma", "lognormal"],
)
def test_auto_cut_seldom_moves_down_in_one_population(sample):
    """The move down is a 5% test: one population's spacings pass it rarely (measured
    1-2 in 40 draws of these tails, 5 in 40 for a Pareto tail with index 3), and never
    past the top 5%."""
    from oddseq.detect import auto_cut

    moved = 0
    for seed in range(20):
        scores = sample(np.random.default_rng(seed))
        cut, tail = auto_cut(scores), tail_cut(scores, 0.01)
        moved += cut < tail
        assert (scores > cut).mean() <= 0.05
    assert moved <= 3


def test_auto_cut_does_not_move_down_to_a_heavy_tails_top():
    """The top few percent of one heavy-tailed population (Pareto, index 1.5: the uniform
    shop log's user sizes) pass the spacing test and the width gate now and then (5 of
    40 logs of 20,000 with the rule before ``GROUP_TOP_RATIO``), and a move down there
    flags 2-5% of a log with nothing in it. Their highest score lies hundreds of times
    as far above their edge as their median does; a group of alike entities is compact.
    The cut does not move down to them."""
    from oddseq.detect import auto_cut
    from oddseq.detect._threshold import _gap_below

    before = 0
    for seed in range(40):
        scores = np.random.default_rng(seed).pareto(1.5, size=20_000)
        tail = tail_cut(scores, 0.01)
        before += _gap_below(scores, tail, top_ratio=np.inf) < tail
        assert auto_cut(scores) >= tail
    assert before >= 3


def test_a_compact_group_keeps_the_move_down_whatever_its_spread():
    """The bounded-top condition reads the group's shape, not its width: a planted group
    apart moves the cut down to its edge whether its scores spread over 10-11 or 10-60."""
    from oddseq.detect import auto_cut

    for high in (11.0, 60.0):
        rng = np.random.default_rng(1)
        scores = np.r_[rng.exponential(size=5_000), rng.uniform(10, high, size=200)]
        assert (scores > tail_cut(scores, 0.01)).sum() < 190
        flags = scores > auto_cut(scores)
        assert flags[5_000:].all() and flags[:5_000].mean() < 0.01


def test_auto_cut_does_not_move_down_between_tied_plateaus():
    """A system log's repeated normal blocks: plateaus of tied scores under a group of
    anomalous ones. The steps between plateaus are steps between modes, not a gap in
    a tail: the cut does not move down to them."""
    from oddseq.detect import auto_cut

    rng = np.random.default_rng(4)
    plateaus = np.repeat([1.0, 2.0, 3.0, 5.0, 8.0], [3_000, 1_200, 500, 120, 60])
    scores = np.r_[plateaus, 20 + rng.exponential(size=150)]
    cut = auto_cut(scores)
    assert (scores > cut).sum() <= 150 + 60


def _edge(n, width, seed):
    """An exponential bulk of n scores with an empty interval ``width`` robust standard
    deviations wide just under its top 3%: a dip in one population's density where the
    interval is narrow against the bulk's own spacing (which shrinks as 1 / n), the
    lower edge of the top group where it is wide."""
    from oddseq.utils._stats import robust_spread

    bulk = np.random.default_rng(seed).exponential(size=n)
    spread = float(robust_spread(bulk, fallback="mean_abs")[1])
    low = np.quantile(bulk, 0.97) - width * spread
    return bulk[(bulk <= low) | (bulk > low + width * spread)]


@pytest.mark.parametrize("n", [5_000, 20_000, 80_000])
def test_auto_cut_does_not_move_down_to_a_dip_narrow_on_the_bulks_spacing(n):
    """A gap far wider than the spacings around it but narrow against the bulk's own
    spacing (an empty interval of 550 / n robust standard deviations, the scale of the
    dips of the nothing-planted marketplace: 0.107 at 5,000 scores, 0.028-0.035 at
    20,000) is a dip in one population's density: the cut does not move down to it, at
    any size of log. The spacing test alone passes it (the rule before the width gate)."""
    from oddseq.detect import auto_cut
    from oddseq.detect._threshold import _auto_cut

    for seed in range(5):
        scores = _edge(n, 550 / n, seed)
        tail = tail_cut(scores, 0.01)
        assert auto_cut(scores) >= tail
        before, _ = _auto_cut(scores, 0.01, width=0.0)
        assert before < tail and (scores > before).mean() > 0.025


@pytest.mark.parametrize("n", [5_000, 20_000, 80_000])
def test_auto_cut_moves_down_to_a_lower_edge_at_every_size_of_log(n):
    """A group's lower edge shrinks with the log as a dip does (planted marketplace
    anomalies: 0.21-0.46 robust standard deviations at 5,000 users, 0.075-0.107 at
    20,000): an empty interval of 1,200 / n robust standard deviations moves the cut
    down at every size; a fixed 0.15 (the gate before) refused it from 20,000 scores on."""
    from oddseq.detect import auto_cut
    from oddseq.detect._threshold import _auto_cut

    for seed in range(5):
        scores = _edge(n, 1_200 / n, seed)
        tail = tail_cut(scores, 0.01)
        cut = auto_cut(scores)
        assert cut < tail and 0.025 < (scores > cut).mean() <= 0.031
        fixed, _ = _auto_cut(scores, 0.01, width=0.15)
        assert (fixed >= tail) == (1_200 / n < 0.15)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.floats(0.005, 0.045),
    st.floats(0.0, 8.0),
    st.sampled_from([1_000, 5_000, 20_000]),
)
def test_auto_cut_moves_down_only_past_a_gap_wide_on_the_bulks_spacing(seed, share, offset, n):
    """Wherever the cut moved down, the scores it newly flags are separated from the
    rest by at least GAP_SPACINGS / n robust standard deviations of all the scores,
    and it flags at most the top 5%."""
    from oddseq.detect import auto_cut
    from oddseq.detect._threshold import GAP_SPACINGS
    from oddseq.utils._stats import robust_spread

    rng = np.random.default_rng(seed)
    group = int(share * n)
    scores = np.r_[rng.exponential(size=n - group), 2 + offset + rng.exponential(size=group)]
    cut, tail = auto_cut(scores), tail_cut(scores, 0.01)
    if cut < tail:
        spread = float(robust_spread(scores, fallback="mean_abs")[1])
        above, below = scores[scores > cut].min(), scores[scores <= cut].max()
        assert above - below >= GAP_SPACINGS / n * spread
        assert (scores > cut).mean() <= 0.05


@settings(max_examples=40, deadline=None)
@given(
    # At most 6 decimals: a change of origin never rounds two scores together (1e-278
    # and 0 shifted by 1 are both 1.0: other data, not the same data in another unit).
    st.lists(
        st.floats(0, 1e3, allow_nan=False).map(lambda v: round(v, 6)), min_size=50, max_size=400
    ),
    st.floats(1e-3, 1e3),
    st.floats(-1e3, 1e3),
)
def test_auto_cut_flags_the_same_whatever_the_unit_or_origin(values, scale, shift):
    from oddseq.detect import auto_cut

    scores = np.asarray(values)
    moved = scores * scale + shift
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = scores > auto_cut(scores), moved > auto_cut(moved)
    assert (a != b).sum() <= 1  # rounding at a cut between two near-equal scores


def _lumpy_log_scores(seed, far):
    """Scores shaped like a sequence model's on a system log's normal data (the
    Transformer's misses + max surprisal / 100 on HDFS): a bulk of small surprisals,
    tied where workflows repeat, 1.25% of rare normal workflows with one to a dozen
    missed events, and a share ``far`` of entities far outside (dozens of misses)."""
    rng = np.random.default_rng(seed)
    n = 4_000
    n_far = int(far * n / (1 - far))
    bulk = np.round(rng.gamma(2.0, 0.02, size=n - 50), 3)  # tied: repeated workflows
    rare = rng.integers(1, 13, size=12) + rng.uniform(0.02, 0.1, size=12)  # 12 rare workflows
    far_out = 20 + rng.integers(0, 40, size=n_far) + rng.uniform(0, 0.1, size=n_far)
    return np.r_[bulk, rng.choice(rare, size=50), far_out]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separate_tail_ignores_a_handful_of_rare_workflows(seed):
    """Rare normal workflows of a system log lie far beyond the rest, but they are a
    handful (1.25% here, 12 workflows), not a large share far outside: no group reported
    at the normal-only rate (before the group's share was bounded: shape 6.6-7.4 at the
    top 1%, as the Transformer's 6.5 on hdfs_xu's normal blocks)."""
    shape, share = separate_tail(_lumpy_log_scores(seed, 0.0), 0.005)
    assert shape < 2


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.r_[np.arange(99.0), np.nan], 0.01), "finite"),
        ((np.arange(100.0).reshape(10, 10), 0.01), "one-dimensional"),
        ((np.arange(100.0), -0.1), "false_alarm_rate"),
        ((np.arange(100.0), 0.01, 5.0), "min_share"),
        ((np.arange(100.0), 0.01, 0.02, None, -1.0), "unit must be a positive"),
        ((np.arange(100.0), 0.01, 0.02, None, float("nan")), "unit must be a positive"),
    ],
)
def test_separate_tail_refuses_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        separate_tail(*args)


def _scores_rising_with_evidence(seed, n=3_000):
    """Out-of-fold scores of one population under an evidence shrinkage (prior 30): many
    entities of two events in a compact spike near 0, the longer ones spread above it,
    each scoring like its peers (a score scale growing with the length); and the
    entities' evidence weights."""
    rng = np.random.default_rng(seed)
    lengths = 1 + rng.geometric(0.45, n)
    scores = 0.002 * (lengths - 1.0) ** 4 * rng.lognormal(0, 0.8, n)
    return scores, lengths / (lengths + 30.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separate_tail_within_evidence_reads_longer_entities_with_their_peers(seed):
    """Judged on all scores together, the longer entities read as a group far beyond
    the spike of short ones (as YOOCHOOSE's ordinary clicks: the top 23% warned); among
    their peers in evidence they are not apart."""
    scores, evidence = _scores_rising_with_evidence(seed)
    assert separate_tail(scores, 0.005)[0] > 2
    assert separate_tail(scores, 0.005, evidence=evidence) == (0.0, 0.0)


@pytest.mark.parametrize("seed, far", [(0, 0.03), (1, 0.05), (2, 0.1)])
def test_separate_tail_within_evidence_still_sees_a_group_far_out(seed, far):
    """A group far beyond its peers in evidence (lengths drawn alike) still counts, with
    the same shape and share."""
    scores, evidence = _scores_rising_with_evidence(seed)
    rng = np.random.default_rng(seed + 10)
    n_far = int(far * scores.size / (1 - far))
    lengths = 1 + rng.geometric(0.45, n_far)
    scores = np.r_[scores, 10 * scores.max() * (1 + rng.exponential(size=n_far))]
    evidence = np.r_[evidence, lengths / (lengths + 30.0)]
    plain = separate_tail(scores, 0.005)
    assert plain[0] > 2 and far / 2 <= plain[1] <= 2 * far
    assert separate_tail(scores, 0.005, evidence=evidence) == plain


def test_separate_tail_within_evidence_sees_a_far_group_longer_than_the_rest():
    """A far group whose entities have more events than nearly all the others is still
    judged against its peers in evidence: the entities the shrinkage leaves about as
    free (weights within a factor 1.25), not only those of its own lengths (which are
    the group itself)."""
    rng = np.random.default_rng(0)
    lengths = 1 + rng.geometric(0.02, 3_000)  # median 35, 99% below 230
    scores = rng.lognormal(0, 0.3, lengths.size) * lengths / (lengths + 30.0)
    far = rng.integers(300, 600, 150)
    scores = np.r_[scores, 20 + rng.exponential(size=far.size)]
    lengths = np.r_[lengths, far]
    plain = separate_tail(scores, 0.005)
    assert plain[0] > 2
    assert separate_tail(scores, 0.005, evidence=lengths / (lengths + 30.0)) == plain


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 1e3), min_size=30, max_size=300),
    st.integers(0, 2**32 - 1),
)
def test_separate_tail_within_evidence_only_silences(values, seed):
    """The peers' spread is a further condition on a group: with evidence the shape is
    never larger, and where it is the same the group is the same."""
    scores = np.array(values)
    lengths = 1 + np.random.default_rng(seed).geometric(0.3, scores.size)
    plain = separate_tail(scores, 0.005)
    within = separate_tail(scores, 0.005, evidence=lengths / (lengths + 30.0))
    assert within[0] <= plain[0]
    assert within == plain or within[0] < plain[0]


@pytest.mark.parametrize(
    "evidence",
    [
        np.full(99, 0.5),
        np.array(["a"] * 100),
        np.full((100, 1), 0.5),
        np.full(100, -0.1),
        np.full(100, 2.0),
    ],
)
def test_separate_tail_refuses_evidence_that_does_not_fit(evidence):
    with pytest.raises(ValueError, match=r"evidence must hold one weight in \[0, 1\] per score"):
        separate_tail(np.arange(100.0), 0.01, evidence=evidence)


@pytest.mark.parametrize("sds, seen", [(5.0, False), (10.0, True)])
def test_separate_tail_far_means_far_against_the_bulks_spread(sds, seen):
    """Where "far" starts: 5% of the scores from ``sds`` standard deviations of a
    normal bulk out (half-normal beyond it) is a group outside at 10, the tail's shoulder
    at 5 (the jump is 8 lower-half spreads at the least; at 8 it counts, at 6 not)."""
    rng = np.random.default_rng(0)
    bulk = rng.normal(size=2_850)
    scores = np.r_[bulk, sds + np.abs(rng.normal(size=150))]
    assert (separate_tail(scores, 0.005)[0] >= 2) is seen


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separate_tail_ignores_the_edge_of_a_dense_mode(seed):
    """A dense mode (tied workflows of much the same surprise) with a smooth rise above
    it, as the sequence models' scores of hdfs_deeplog's normal blocks: the top 6%
    spreads 8x the next 6% (shape 3.0-3.2 at the mode's edge: it warned), but nothing
    lies far out: the jump is a few times the lower half's spread."""
    rng = np.random.default_rng(seed)
    low = np.round(rng.uniform(0.0, 0.042, size=3_040), 4)
    mode = np.round(rng.normal(0.044, 0.0004, size=560), 4)
    scores = np.r_[low, mode, 0.046 + rng.exponential(0.02, size=400)]
    shape, share = separate_tail(scores, 0.005)
    assert shape < 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separate_tail_ignores_a_second_mode(seed):
    """42% of the normal scores spread high above a tight lower mode (two kinds of
    normal entities, as the LSTM's scores of the hard marketplace's normal users): a
    second mode, not a group outside (shape 3.9 at the top 23%: it warned)."""
    rng = np.random.default_rng(seed)
    scores = np.r_[2.8 + 0.5 * rng.random(2_320), 4.5 + rng.gamma(2.0, 3.0, size=1_680)]
    assert separate_tail(scores, 0.005)[0] < 2


@pytest.mark.parametrize("seed, far", [(0, 0.03), (1, 0.05), (2, 0.1)])
def test_separate_tail_sees_a_large_share_far_out_of_lumpy_scores(seed, far):
    shape, share = separate_tail(_lumpy_log_scores(seed, far), 0.005)
    assert shape > 2 and far / 4 <= share <= 2 * far
