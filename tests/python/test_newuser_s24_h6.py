"""Session 24, H6: the model's life after fit as an analyst lives it (fit on last week,
score this week: save/load, oddseq fit/score, score(new) and explain on a later log),
and four LOWs left by session 23 (the zone check's cost, two index levels named
``session``, a zipped JSON array in the shell, DST text times' zone)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import oddseq
from oddseq.cli import main
from oddseq.datasets import make_ecommerce
from oddseq.exceptions import DataWarning
from oddseq.sequences import Sequences

ROLES = ["--entity", "user_id", "--event", "behavior", "--time", "timestamp"]
COLUMNS = dict(entity="user_id", event="behavior", time="timestamp")


@pytest.fixture(scope="module")
def weeks():
    """(last week, this week): two shop logs of other users."""
    last = make_ecommerce(n_users=200, random_state=224).events
    this = make_ecommerce(n_users=200, random_state=225).events
    return last, this


def test_oddseq_score_refuses_a_model_file_of_another_estimator(tmp_path, weeks, capsys):
    # A user saved a detector (model.save) and passed it to oddseq score: a traceback
    # ("'StandardScaler' object has no attribute 'score'", exit 1).
    from oddseq.preprocessing import StandardScaler

    _, this = weeks
    this.to_csv(tmp_path / "this.csv", index=False)
    model = StandardScaler().fit(np.arange(6.0).reshape(3, 2)).save(tmp_path / "s.oddseq")
    capsys.readouterr()
    code = main(["score", str(tmp_path / "this.csv"), "--model", str(model), *ROLES])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "holds a StandardScaler" in err and "oddseq fit" in err


def test_scoring_with_the_fitted_side_table_does_not_blame_its_index(weeks):
    # Fitted with entity_features indexed by user_id, scored on this week's users
    # without a table: the warning told the user to index the table by 'user_id',
    # which it is; the new users simply have no row in last week's table.
    last, this = weeks
    ids = pd.Index(last["user_id"].unique(), name="user_id")
    side = pd.DataFrame({"age": np.arange(len(ids), dtype=float)}, index=ids)
    pipe = oddseq.AnomalyPipeline(entity_features=side).fit(Sequences.from_events(last, **COLUMNS))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.score(Sequences.from_events(this, **COLUMNS))
    said = " ".join(str(w.message) for w in caught)
    assert "set_index" not in said and "index must be" not in said
    assert "given at fit" in said and "entity_features=" in said


def test_oddseq_score_of_a_model_with_a_side_table_says_where_to_pass_one(tmp_path, weeks, capsys):
    # The shell said "pass the current one with score(seqs, entity_features=side)" and
    # "index it by 'user_id' (side.set_index('user_id'))": neither is a shell option.
    last, this = weeks
    this.to_csv(tmp_path / "this.csv", index=False)
    ids = pd.Index(last["user_id"].unique(), name="user_id")
    side = pd.DataFrame({"age": np.arange(len(ids), dtype=float)}, index=ids)
    pipe = oddseq.AnomalyPipeline(entity_features=side).fit(Sequences.from_events(last, **COLUMNS))
    model = pipe.save(tmp_path / "m.oddseq")
    capsys.readouterr()
    code = main(["score", str(tmp_path / "this.csv"), "--model", str(model), *ROLES])
    err = capsys.readouterr().err
    assert code == 0
    assert "set_index" not in err
    assert "in Python (oddseq score has no option for a side table)" in err
