"""Where the unsupervised cut flags under half the rate, the tail refitted without the
top that bent it (``_trimmed_tail``, ``_auto_cut(refit=True)``), and only there; the
pipeline cuts there, reports it and warns (benchmarks/RESULTS.md, "The cut that
collapsed", eighteenth session; "... repaired by default", nineteenth)."""

import warnings

import numpy as np
import pytest

from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.detect import auto_cut, tail_cut
from oddseq.detect._threshold import _auto_cut, _trimmed_tail
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences


def _bent(seed):
    """A skewed normal bulk of 19,200 whose 99th percentile is about 11, and 800
    anomalies (4%) over 9-17, half of them above the bulk's top: they push the 80th-95th
    percentiles out and the first fit's cut lands past all of them."""
    rng = np.random.default_rng(seed)
    return rng.gamma(0.4, 3.0, size=19_200), 9 + rng.uniform(0, 8, size=800)


def test_a_cut_the_anomalies_pushed_past_themselves_is_refitted():
    collapsed = 0
    for seed in range(10):
        normal, anomalies = _bent(seed)
        scores = np.r_[normal, anomalies]
        first = auto_cut(scores)
        why = {}
        cut, tail = _auto_cut(scores, 0.01, refit=True, why=why)
        if (scores > first).mean() >= 0.005:
            assert not why and cut == first  # the first fit held: nothing refitted
            continue
        collapsed += 1
        assert why["first_cut"] == first and 0 < why["set_aside"] <= 0.05 * scores.size
        assert tail < tail_cut(scores, 0.01)
        # about the rate's share of the normal scores over, most anomalies caught,
        # never more than the top 5% and the rate's share beside them
        assert 0.003 <= (normal > cut).mean() <= 0.02
        assert (anomalies > cut).mean() >= 0.75
        assert (scores > cut).mean() <= 0.06
    assert collapsed >= 6  # the case the refit is for: the first cut flags ~nothing


@pytest.mark.parametrize(
    "sample",
    [
        lambda r: r.exponential(size=20_000),
        lambda r: r.gamma(0.5, 2.5, size=20_000),
        lambda r: r.lognormal(size=20_000),
        lambda r: r.pareto(2.0, size=20_000),
        lambda r: r.normal(size=20_000),
    ],
    ids=["exponential", "gamma", "lognormal", "pareto", "normal"],
)
def test_one_population_is_never_refitted(sample):
    for seed in range(10):
        scores = sample(np.random.default_rng(seed))
        why = {}
        cut, _ = _auto_cut(scores, 0.01, refit=True, why=why)
        assert not why
        assert cut == auto_cut(scores)


def test_plateaus_of_ties_are_not_refitted():
    """A system log's repeated blocks: the ensemble's scores of loghub's 2k-line HDFS
    sample (20 distinct scores for 2,200 blocks, rounded), whose tail model reaches the
    top half for a spread; the first cut flags 0.4%, the plateaus' doing, not a bent
    tail (refitted, it flagged 14%)."""
    values = [-0.316, -0.225, -0.003, 0.59, 1.672, 2.16, 2.545, 15.381, 22.801, 22.881]
    values += [80.556, 93.667, 106.514, 107.016, 124.353, 594.125, 667.089, 1040.634, 1135.93]
    counts = [309, 291, 290, 261, 224, 211, 313, 113, 80, 79, 20, 1, 1, 1, 1, 1, 1, 1, 2]
    scores = np.random.default_rng(0).permutation(np.repeat(values, counts))
    first = auto_cut(scores)
    assert (scores > first).mean() < 0.005  # the refit's trigger
    why = {}
    assert _auto_cut(scores, 0.01, refit=True, why=why)[0] == first and not why
    assert _trimmed_tail(scores, 0.01, first) == (first, 0)


def _refit_cut(scores):
    return _auto_cut(scores, 0.01, refit=True)[0]


def test_refit_is_the_same_whatever_the_unit_origin_or_order():
    normal, anomalies = _bent(1)
    scores = np.r_[normal, anomalies]
    flags = scores > _refit_cut(scores)
    assert flags.mean() > 0.02  # refitted: the first cut flags ~nothing here
    shuffled = np.random.default_rng(2).permutation(scores.size)
    for moved in (scores * 1e3, scores - 50.0):
        assert np.array_equal(moved > _refit_cut(moved), flags)
    assert np.array_equal(scores[shuffled] > _refit_cut(scores[shuffled]), flags[shuffled])


@pytest.fixture(scope="module")
def fitted():
    bunch = make_ecommerce(n_users=600, random_state=3)
    seqs = Sequences.from_events(bunch.events, entity="user_id", event="behavior", time="timestamp")
    return AnomalyPipeline(random_state=0).fit(seqs)


def test_the_pipeline_repairs_its_cut_where_it_collapsed_and_says_so(fitted):
    normal, anomalies = _bent(0)
    scores = np.r_[normal, anomalies]
    why = {}
    refitted, refitted_tail = _auto_cut(scores, 0.01, refit=True, why=why)
    assert why  # seed 0 is one where the cut flags under half the rate
    first = auto_cut(scores)
    first_flagged = int((scores > first).sum())
    assert first_flagged < 0.005 * scores.size
    with pytest.warns(DataWarning) as caught:
        fitted._set_threshold(None, scores)
    info = fitted.threshold_info_
    flagged = int((scores > refitted).sum())
    # the refit is the rule's cut; the pipeline's is that rule bagged (bagged_cut)
    bagged = info["bagged"]
    assert bagged["plain_threshold"] == refitted and bagged["plain_n_flagged"] == flagged
    assert fitted.threshold_ == info["threshold"] == bagged["threshold"]
    assert info["n_flagged"] == int((scores > fitted.threshold_).sum()) == bagged["n_flagged"]
    assert (anomalies > refitted).mean() >= 0.75 and (anomalies > fitted.threshold_).mean() >= 0.75
    assert info["tail_threshold"] == refitted_tail  # the refitted tail, its moves from it
    assert info["tail_refit"] == {
        "threshold": refitted,
        "n_flagged": flagged,
        "share_flagged": flagged / scores.size,
        "set_aside": why["set_aside"],
        "tail_threshold": refitted_tail,
        "first_threshold": first,
        "first_n_flagged": first_flagged,
    }
    assert f"refitted without the top {why['set_aside'] / scores.size:.2%}" in info["rule"]
    (message,) = [str(w.message) for w in caught if "automatic cut" in str(w.message)]
    final = bagged["n_flagged"]
    assert f"first flagged {first_flagged:,} of {scores.size:,} entities" in message
    assert "under half of false_alarm_rate=0.01" in message
    # the table's count first (a trial read the refit's 12 where the table flagged 67)
    assert f"the cut flags {final:,} ({final / scores.size:.2%}" in message
    if final != flagged:
        assert "bagged over bootstrap draws, threshold_info_['bagged']; the repaired" in message
        assert f"cut alone flagged {flagged:,}, threshold_info_['tail_refit']" in message
    # the option it names exists and flags about the first cut's count, or half the rate
    # where the first cut flagged too few to be a share to pass
    said = " ".join(message.split())
    if first_flagged >= 3:
        fewer = first_flagged / scores.size
        advice = (
            f"e.g. {fewer:.2g}, the first cut's share, which leaves the group out "
            "(oddseq detect or oddseq fit"
        )
        want = first_flagged
    else:
        fewer = min(0.01, final / scores.size) / 2
        advice = f"e.g. {fewer:.2g}, a share that leaves the group out (oddseq detect or oddseq fit"
        want = fewer * scores.size
    assert f"{advice} --contamination {fewer:.2g})" in said
    top = scores > np.quantile(scores, 1 - float(f"{fewer:.2g}"))
    assert abs(int(top.sum()) - want) <= 2


def test_the_pipeline_records_no_refit_where_the_first_fit_held(fitted):
    scores = fitted.detector_.decision_scores_
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        fitted._set_threshold(None, scores)
    info = fitted.threshold_info_
    assert info["tail_refit"] is None
    plain = info["threshold"] if info["bagged"] is None else info["bagged"]["plain_threshold"]
    assert plain == auto_cut(scores)


def test_few_flags_of_a_few_hundred_entities_are_no_evidence():
    """A right tail model's flags vary: no flag of 600 at the rate 0.01 (5.7 expected)
    happens 0.3% of the time and contradicts nothing; 2 of 20,000 (190) does."""
    from oddseq.detect._threshold import _refutes

    assert not _refutes(0, 0.01 * 600 * 0.95)
    assert _refutes(0, 0.01 * 2_000 * 0.95) and _refutes(2, 0.01 * 20_000 * 0.95)
    assert not _refutes(100, 190.0)  # over half the count expected
    rng = np.random.default_rng(0)
    false = sum(_refutes(int(k), 57.0) for k in rng.poisson(57.0, size=20_000))
    assert false <= 0.001 * 20_000


def test_the_repaired_cut_keeps_the_detectors_own_floor(fitted, monkeypatch):
    """A detector's floor (MarkovDetector: one miss) holds under the repair as under the
    first cut: the refit is raised to it and the rule says so."""
    normal, anomalies = _bent(0)
    scores = np.r_[normal, anomalies]
    refitted = _auto_cut(scores, 0.01, refit=True)[0]
    floor = (refitted + auto_cut(scores)) / 2
    monkeypatch.setattr(fitted.detector_, "_cut_floor", lambda: floor)
    with pytest.warns(DataWarning) as caught:
        fitted._set_threshold(None, scores)
    info = fitted.threshold_info_
    (message,) = [str(w.message) for w in caught if "automatic cut" in str(w.message)]
    flagged = int((scores > floor).sum())  # what the cut flags, not the refit's count
    assert f"the cut flags {flagged:,} ({flagged / scores.size:.2%}" in message
    assert "raised to the detector's own floor" in " ".join(message.split())
    assert fitted.threshold_ == info["threshold"] == floor
    assert info["floor"] == floor and info["tail_refit"]["threshold"] == refitted
    assert "raised to" in info["rule"] and "refitted without the top" in info["rule"]


@pytest.mark.parametrize("set_aside, said", [(0, "Moved toward the gap"), (40, "Refitted")])
def test_the_warning_says_which_repair_acted(set_aside, said):
    """Where only the graded move toward the gap under the group acted (nothing set
    aside), the warning says so instead of "Refitted without the top 0.00%"."""
    from oddseq._pipeline import _warn_collapsed_cut

    refit = {"first_n_flagged": 3, "set_aside": set_aside, "n_flagged": 120}
    with pytest.warns(DataWarning) as caught:
        _warn_collapsed_cut(2_000, 0.01, refit, 120)
    text = str(caught[0].message)
    assert said in text and "0.00%" not in text
    assert "flags 120 (6.00%" in text


def test_a_first_cut_of_one_or_none_is_no_share_to_advise():
    # Trial s43 M2: "e.g. 0.00033 for the first cut's" (1 of 3,063): half the rate instead.
    from oddseq._pipeline import _warn_collapsed_cut

    refit = {"first_n_flagged": 1, "set_aside": 60, "n_flagged": 12}
    with pytest.warns(DataWarning) as caught:
        _warn_collapsed_cut(3_063, 0.01, refit, flagged=67, plain=12)
    said = " ".join(str(caught[0].message).split())
    assert "the cut flags 67 (2.19%; bagged over bootstrap draws, threshold_info_['bagged']" in said
    assert "the repaired cut alone flagged 12, threshold_info_['tail_refit']" in said
    assert (
        "e.g. 0.005, a share that leaves the group out (oddseq detect or oddseq fit "
        "--contamination 0.005)"
    ) in said
    assert "0.00033" not in said
    # where the cut itself flags fewer than half the rate's share, half of what it flags
    with pytest.warns(DataWarning) as caught:
        _warn_collapsed_cut(3_063, 0.01, {**refit, "n_flagged": 30}, flagged=9, plain=9)
    said = " ".join(str(caught[0].message).split())
    assert "e.g. 0.0015, a share that leaves the group out (oddseq detect" in said
    # each count beside its own record (review RV2 s43 L2)
    assert "the refit flagged 30, threshold_info_['tail_refit'], and the detector's own" in said
    assert "floor above it, threshold_info_['floor'], leaves 9" in said
