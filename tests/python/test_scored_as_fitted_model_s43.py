"""A normal-only model keeps fingerprints of the entities it was fitted on, so that its
``score`` says when most of what it scores is that log (trial s42b M4: ``oddseq fit
--normal`` then ``oddseq score`` of the same file flagged none of 2,910, without a word;
only ``detect_anomalies(normal=...)``, which holds both logs, said so)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq import AnomalyPipeline, _fitted_data
from oddseq.datasets import make_ecommerce
from oddseq.sequences import Sequences

ROLES = dict(entity="user_id", event="behavior", time="timestamp")
SAID = "entities scored are among those the model was fitted on as normal, with the same"


@pytest.fixture(scope="module")
def days():
    log = make_ecommerce(n_users=600, n_days=4, random_state=860).events
    day = (log["timestamp"] - log["timestamp"].min()) // 86_400
    return log[day < 3], log[day == 3]


def _seqs(frame):
    return Sequences.from_events(frame, **ROLES)


def _said(call) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in caught if " scored are " in str(w.message)]


def test_a_saved_normal_model_scoring_its_own_log_says_so(days, tmp_path):
    fitted, _ = days
    model = AnomalyPipeline(random_state=0).fit(_seqs(fitted), normal=True)
    model.save(tmp_path / "m.oddseq")
    loaded = oddseq.load(tmp_path / "m.oddseq")
    n = fitted["user_id"].nunique()
    for pipe in (model, loaded):
        (text,) = _said(lambda p=pipe: p.score(_seqs(fitted)))
        assert text.startswith(f"{n:,} of the {n:,} {SAID} events")
        assert "Score data it did not see" in text


def test_a_later_day_and_a_few_fitted_entities_stay_silent(days):
    fitted, later = days
    model = AnomalyPipeline(random_state=0).fit(_seqs(fitted), normal=True)
    assert _said(lambda: model.score(_seqs(later))) == []
    # under a fifth of the scored entities fitted ones: silent, as detect_anomalies' is
    new = later[~later["user_id"].isin(fitted["user_id"])]
    n_new = new["user_id"].nunique()
    assert n_new >= 20
    few = fitted[fitted["user_id"].isin(fitted["user_id"].unique()[: n_new // 5])]
    assert _said(lambda: model.score(_seqs(pd.concat([few, new])))) == []


def test_the_same_ids_with_other_events_are_not_the_fitted_entities(days):
    # A user's fourth day is not the three days it was fitted on: the same id, other events.
    fitted, later = days
    model = AnomalyPipeline(random_state=0).fit(_seqs(fitted), normal=True)
    again = later[later["user_id"].isin(fitted["user_id"])]
    assert again["user_id"].nunique() > 100
    assert _said(lambda: model.score(_seqs(again))) == []


def test_an_unsupervised_model_keeps_no_fingerprints(days):
    # Its table of the fitted log is its verdict: scoring that log again says nothing.
    fitted, _ = days
    model = AnomalyPipeline(random_state=0).fit(_seqs(fitted))
    assert "fingerprints" not in model._fitted_data
    assert _said(lambda: model.score(_seqs(fitted))) == []


def test_detect_anomalies_warns_once(days):
    fitted, _ = days
    texts = _said(lambda: oddseq.detect_anomalies(fitted, **ROLES, groups=False, normal=fitted))
    assert len(texts) == 1 and " entities scored are in normal with the same events" in texts[0]


def test_past_the_kept_number_a_sample_of_the_hash_space_counts(days, monkeypatch):
    fitted, _ = days
    monkeypatch.setattr(_fitted_data, "FINGERPRINTS", 100)
    model = AnomalyPipeline(random_state=0).fit(_seqs(fitted), normal=True)
    kept = model._fitted_data["fingerprints"]
    n = fitted["user_id"].nunique()
    assert kept["share"] == pytest.approx(100 / n)
    assert 60 <= len(kept["hashes"]) <= 140
    (text,) = _said(lambda: model.score(_seqs(fitted)))
    said = int(text.split(" of the ")[0].removeprefix("about ").replace(",", ""))
    # the sample's share of all scored (review RV2 s43 M4: found / share said half)
    assert text.startswith("about ") and said == n


def test_fingerprints_are_the_compared_facts():
    seqs = Sequences.from_lists(
        [["a", "b"], ["a", "b"], ["a", "c"], ["a", "b", "b"]], ids=[1, 2, 3, 4]
    )
    again = Sequences.from_lists([["a", "b"], ["a", "b"]], ids=[1, 5])
    mine = oddseq._pipeline.entity_fingerprints(seqs)
    theirs = oddseq._pipeline.entity_fingerprints(again)
    assert mine.dtype == np.uint64 and len(set(mine.tolist())) == 4
    assert theirs[0] == mine[0] and theirs[1] not in mine
    kept = _fitted_data.kept_fingerprints(mine)
    assert _fitted_data.fingerprints_found({"fingerprints": kept}, theirs) == (1, 2)
    assert _fitted_data.fingerprints_found({}, theirs) is None


def test_a_sample_speaks_on_the_share_it_can_show():
    # review RV s43 M5: 20 of 200 scored fitted (a tenth) read as a fifth from a sample
    # of about 20 lookups 12.9% of the time; the lower bound stays under a fifth there
    lower = _fitted_data.share_lower_bound
    assert lower(2, 20) < 0.2 and lower(4, 20) < 0.2  # 10% and 20% seen: not shown
    assert lower(5, 5) > 0.2 and lower(2, 2) > 0.2  # all of a few: shown
    assert lower(0, 0) == 0.0
    assert lower(30, 100) > 0.2 > lower(25, 100)


def test_sessions_are_said_as_sessions(days):
    fitted, _ = days
    seqs = Sequences.from_events(fitted, **ROLES, session_gap="30min")
    model = AnomalyPipeline(random_state=0).fit(seqs, normal=True)
    (text,) = _said(lambda: model.score(seqs))
    assert f"{len(seqs):,} of the {len(seqs):,} sessions scored are among those" in text
    assert "or sessions held out of the log it was fitted on" in text


def test_the_normal_log_given_as_sessions_is_said_as_sessions(days):
    # (review RV2 s43 L4: the normal= path said "entities" of sessions)
    fitted, _ = days
    texts = _said(
        lambda: oddseq.detect_anomalies(
            fitted, **ROLES, groups=False, normal=fitted, session_gap="30min"
        )
    )
    assert len(texts) == 1 and " sessions scored are in normal with the same events" in texts[0]
    assert "or sessions held out of normal" in texts[0]
