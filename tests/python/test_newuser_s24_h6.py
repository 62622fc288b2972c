"""Session 24, H6: the model's life after fit as an analyst lives it (fit on last week,
score this week: save/load, oddseq fit/score, score(new) and explain on a later log),
and four LOWs left by session 23 (the zone check's cost, two index levels named
``session``, a zipped JSON array in the shell, DST text times' zone)."""

from __future__ import annotations

import numpy as np
import pytest

from oddseq.cli import main
from oddseq.datasets import make_ecommerce

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
