"""A new analyst's trial of session 41 (helper TR, /work/notes/TR-s41-findings.md): the
data warnings said as DataWarning, the few-normal advice's spread, the words of two
refusals."""

import warnings

import numpy as np
import pytest

import oddseq
from oddseq import AnomalyPipeline
from oddseq.datasets import make_ecommerce
from oddseq.detect import tail_cut
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")


def test_the_data_warnings_are_data_warnings():
    # A user who filters on DataWarning (README) saw these as plain UserWarnings (F5).
    with pytest.warns(DataWarning, match="every score is the same"):
        tail_cut(np.ones(50))
    seqs = Sequences.from_lists([["a", "b"] * (1 + i % 5) for i in range(30)])
    with pytest.warns(DataWarning, match="only 30 sequences for the automatic cut"):
        AnomalyPipeline().fit(seqs)
    log = make_ecommerce(n_users=400, random_state=41).events
    with pytest.warns(DataWarning, match="entities scored are in normal with the same events"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="(?!.*entities scored are in normal)")
            oddseq.detect_anomalies(log, **ROLES, normal=log)


def test_the_few_normal_advice_says_how_far_the_share_can_go():
    # 40 normal users, the advised rate 0.025: 6.4% of REES46's later users flagged, and
    # nothing said it could be (F3). The highest of 40 normal scores is passed by one
    # normal entity in 41 on average, by 7.2% or more one time in twenty.
    rng = np.random.default_rng(41)
    normal = Sequences.from_lists(
        [list(rng.choice(list("abc"), int(rng.integers(3, 9)))) for _ in range(40)]
    )
    with pytest.warns(DataWarning, match=r"only 40 normal sequences") as caught:
        AnomalyPipeline().fit(normal, normal=True)
    said = next(str(w.message) for w in caught if "only 40 normal" in str(w.message))
    assert "one time in 41 on average" in said
    assert "one time in twenty that share is 7.2% or more" in said
    # the figure: 1 - 0.05 ** (1 / 40), the Beta(1, 40) tail
    assert f"{1 - 0.05 ** (1 / 40):.1%}" == "7.2%"
    share = 1 - rng.random((20_000, 40)).max(axis=1)  # uniform normal scores' exceedance
    assert np.mean(share >= 0.072) == pytest.approx(0.05, abs=0.006)


def test_a_share_beside_a_normal_log_is_named_as_passed():
    log = make_ecommerce(n_users=200, random_state=41).events
    with pytest.raises(ValueError, match=r"^contamination=0\.05 with a normal= log: "):
        oddseq.detect_anomalies(log, **ROLES, normal=log, contamination=0.05)


def test_a_header_spelt_otherwise_needs_no_quotes(tmp_path, capsys):
    # "pass the name as the header spells it (quoted)" invited --entity "'user_id'" (F7)
    from oddseq.cli import main

    path = tmp_path / "log.csv"
    make_ecommerce(n_users=50, random_state=41).events.to_csv(path, index=False)
    assert main(["detect", str(path), "--entity", "userid", "--event", "behavior"]) != 0
    said = capsys.readouterr().err
    assert "the header spells 'user_id' for 'userid'" in said, said
    assert "(in quotes where it holds spaces)" in said and "(quoted)" not in said
