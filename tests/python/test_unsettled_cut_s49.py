"""Where the automatic cut's count is unsettled (the bag's bootstrap draws of the scores
flag from a few to several times as many), the fit says so and how to hold the count
(TR s48 H3: a betting log flagged 79-205 accounts by random_state alone, the draws of one
fit 45-292, while the scores' order held, Spearman >= 0.976)."""

import warnings

import pytest

import oddseq
from oddseq import _pipeline
from oddseq.datasets import make_ecommerce
from oddseq.detect import _threshold
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def _unsettled(caught):
    return [str(w.message) for w in caught if "unsettled" in str(w.message)]


def test_the_words():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _pipeline._warn_unsettled_cut(6_298, (45.0, 292.2), 205)
    (said,) = _unsettled(caught)
    assert said.startswith("the automatic cut's count is unsettled on these scores: ")
    assert "45-292 of 6,298 entities" in said and "it flags 205 by score," in said
    assert "threshold_info_['bagged']" in said and "random_state" in said
    assert "contamination= the share to flag, e.g. 0.033" in said
    assert "--contamination 0.033" in said
    assert "normal=" in said and "--normal FILE" in said and "oddseq fit FILE --normal" in said
    assert caught[0].category is DataWarning
    # a method whose scores do not depend on random_state: not named
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _pipeline._warn_unsettled_cut(6_298, (45.0, 292.2), 205, seeded=False)
    (said,) = _unsettled(caught)
    assert "random_state" not in said and "so a small change to the log can move" in said


@pytest.mark.parametrize(
    "spread, n, said",
    [
        ((45.0, 292.2), 6_298, True),  # TR s48's log: 6.5x, 3.9% of the entities apart
        ((97.0, 142.0), 3_000, False),  # 1.5x: settled
        ((19.0, 185.0), 4_000, True),  # a shop with nothing planted
        ((3.0, 14.0), 3_000, False),  # 4.7x, but 11 entities apart: 0.4%
        ((0.0, 30.0), 300, True),  # none on some draws, a tenth of the entities on others
        ((30.0, 95.0), 3_000, True),  # 3.2x, 65 apart (2.2%)
        ((30.0, 85.0), 3_000, False),  # 2.8x
    ],
)
def test_when(spread, n, said):
    assert _pipeline._unsettled(spread, n) is said


@pytest.fixture(scope="module")
def seqs():
    log = make_ecommerce(n_users=600, random_state=3).events
    return Sequences.from_events(log, **ROLES)


def _fit(seqs, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe = oddseq.AnomalyPipeline(random_state=0, **kw).fit(seqs)
    return pipe, _unsettled(caught)


def test_a_fit_whose_draws_disagree_says_so(seqs, monkeypatch):
    pipe, said = _fit(seqs)
    low, high = pipe.threshold_info_["bagged"]["spread_flagged"]
    assert not said and not _pipeline._unsettled((low, high), 600)  # this log's cut holds
    # The same scores with draws that disagree (the bag's record as a wide one reads)
    plain = _threshold.bagged_cut

    def wide(scores, rule, cut, n_draws=None, seed=0):
        record = plain(scores, rule, cut, n_draws, seed)
        return {**record, "spread_flagged": (1.0, 60.0)}

    monkeypatch.setattr(_threshold, "bagged_cut", wide)
    pipe, said = _fit(seqs)
    assert len(said) == 1 and "1-60 of 600 entities" in said[0], said
    flagged = pipe.threshold_info_["n_flagged_in_fit"]
    assert f"it flags {flagged:,} by score," in said[0]
    # a fixed share or normal-only fitting has no such cut: silent
    assert not _fit(seqs, contamination=0.05)[1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oddseq.AnomalyPipeline(random_state=0).fit(seqs, normal=True)
    assert not _unsettled(caught)


def test_the_shell_says_it_once(tmp_path, monkeypatch, capsys):
    from oddseq.cli import main

    log = make_ecommerce(n_users=600, random_state=3).events
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    plain = _threshold.bagged_cut
    monkeypatch.setattr(
        _threshold,
        "bagged_cut",
        lambda *a, **k: {**plain(*a, **k), "spread_flagged": (1.0, 60.0)},
    )
    args = ["detect", str(path), "--entity", "user_id", "--event", "behavior"]
    args += ["--time", "timestamp", "-o", str(tmp_path / "out.csv")]
    assert main(args) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "unsettled" in line]
    assert len(said) == 1 and said[0].startswith("oddseq detect: warning: "), said
    assert "--contamination" in said[0] and "--normal FILE" in said[0]
